//! The recorder's store: a multi-producer, single-consumer log in which an event's
//! sequence number *is* its slot.
//!
//! Why not a general lock-free queue: a queue orders its items by its own tail counter,
//! so the recorder needed a second contended counter for `seq`, and a drain could still
//! hand out a later event before an earlier one (two workers can push in the other order
//! from the one they took their numbers in). Here a writer takes one ticket with a single
//! `fetch_add` and writes into the slot that ticket names; the reader walks the slots in
//! ticket order and stops at the first one not written yet. So recording pays one
//! contended read-modify-write instead of two (and no compare-and-swap retry loop), and
//! every drain is already in the run's total order.
//!
//! Slots live in segments of [`SEG`] events. Segment `g` (tickets `g·SEG ..`) sits in
//! directory entry `g mod dir.len()`; the first writer to need it installs it, and the
//! reader retires it to a free list once it has read all of it. The owner (the recorder)
//! never takes a ticket when `tail - head` has reached its capacity, and the directory
//! spans that capacity plus [`SLACK`] tickets, far more than there can ever be writers
//! between their check and their ticket. So a writer never finds its directory entry
//! still held by an unread older segment (if it ever did, it would wait for the reader
//! rather than overwrite). Retired segments are reused, and freed only with the log, so a
//! pointer read from the directory always points at a live segment.

use super::trace::Event;
use crossbeam_queue::SegQueue;
use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};

/// Events per segment: 1024 × 80 bytes, large enough that installing one is rare.
const SEG_BITS: u32 = 10;
const SEG: u64 = 1 << SEG_BITS;
/// Tickets the directory spans beyond the capacity: a bound on writers that passed the
/// capacity check and have not yet taken their ticket (each thread is at most one).
const SLACK: u64 = 1 << 16;

/// Keeps a hot counter on its own cache line, so the one every writer bumps does not
/// evict the reader's, and neither evicts the read-mostly fields.
#[repr(align(128))]
#[derive(Default)]
struct Line<T>(T);

struct Slot {
    full: AtomicBool,
    event: UnsafeCell<MaybeUninit<Event>>,
}

/// A segment on the free list. Segments are handled by raw pointer from allocation to
/// the log's drop: writers may hold a reference to one while it changes hands, which a
/// `Box` (a claim of sole ownership) would contradict.
struct SegmentPtr(*mut Segment);

// Safety: a segment is only reached through the protocol in the module note.
unsafe impl Send for SegmentPtr {}

struct Segment {
    /// Which segment of the log this is (`ticket >> SEG_BITS`), set before it is installed.
    gen: AtomicU64,
    slots: Box<[Slot]>,
}

impl Segment {
    fn new() -> Box<Segment> {
        Box::new(Segment {
            gen: AtomicU64::new(u64::MAX),
            slots: (0..SEG)
                .map(|_| Slot {
                    full: AtomicBool::new(false),
                    event: UnsafeCell::new(MaybeUninit::uninit()),
                })
                .collect(),
        })
    }
}

pub(super) struct EventLog {
    /// The next ticket.
    tail: Line<AtomicU64>,
    /// The next ticket the reader will read: everything before it has been handed out.
    head: Line<AtomicU64>,
    dir: Box<[AtomicPtr<Segment>]>,
    /// Read segments waiting for reuse, touched once per [`SEG`] events. Lock-free,
    /// because the reader is often the browser's main thread, which must never wait.
    free: SegQueue<SegmentPtr>,
    /// One reader at a time; a second concurrent drain returns nothing instead of waiting.
    reading: AtomicBool,
    /// Segments ever allocated, so tests can see that a drained log reuses them.
    #[cfg(test)]
    allocated: AtomicU64,
}

// Safety: a slot's event is written by the one writer holding its ticket before `full`
// is set (release), and read by the one reader after it sees `full` (acquire); events
// themselves are `Send`.
unsafe impl Send for EventLog {}
unsafe impl Sync for EventLog {}

impl EventLog {
    /// A log that holds up to `capacity` unread events (the owner enforces it with
    /// [`EventLog::unread`] before [`EventLog::push`]).
    pub(super) fn new(capacity: u64) -> Self {
        let segments = (capacity + SLACK).div_ceil(SEG) + 2;
        EventLog {
            tail: Line::default(),
            head: Line::default(),
            dir: (0..segments.next_power_of_two())
                .map(|_| AtomicPtr::new(ptr::null_mut()))
                .collect(),
            free: SegQueue::new(),
            reading: AtomicBool::new(false),
            #[cfg(test)]
            allocated: AtomicU64::new(0),
        }
    }

    /// Tickets handed out so far.
    pub(super) fn tickets(&self) -> u64 {
        self.tail.0.load(Ordering::Relaxed)
    }

    /// Events written or being written and not yet read (approximate while writers run).
    pub(super) fn unread(&self) -> u64 {
        self.tickets()
            .saturating_sub(self.head.0.load(Ordering::Relaxed))
    }

    /// Take the next ticket, make it the event's `seq`, and store the event. Nothing
    /// between the two can fail: a ticket never written would stop every later read.
    pub(super) fn push(&self, mut event: Event) {
        let ticket = self.tail.0.fetch_add(1, Ordering::Relaxed);
        event.seq = ticket;
        let segment = self.segment_for_writer(ticket >> SEG_BITS);
        let slot = &segment.slots[(ticket & (SEG - 1)) as usize];
        // Safety: this ticket is ours alone, and the reader does not touch the slot until
        // `full` is set below.
        unsafe { (*slot.event.get()).write(event) };
        slot.full.store(true, Ordering::Release);
    }

    fn entry(&self, gen: u64) -> &AtomicPtr<Segment> {
        &self.dir[(gen as usize) & (self.dir.len() - 1)]
    }

    /// The installed segment `gen`, installing it if this writer is the first to need it.
    fn segment_for_writer(&self, gen: u64) -> &Segment {
        let entry = self.entry(gen);
        loop {
            let p = entry.load(Ordering::Acquire);
            if p.is_null() {
                let fresh = self.spare_segment();
                // Safety: `fresh` is ours until the exchange below publishes it.
                unsafe { (*fresh).gen.store(gen, Ordering::Relaxed) };
                match entry.compare_exchange(
                    ptr::null_mut(),
                    fresh,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    // Safety: installed segments are only freed with the log.
                    Ok(_) => return unsafe { &*fresh },
                    Err(_) => {
                        // Another writer installed first: keep ours for later.
                        // Safety: the exchange failed, so nobody else saw `fresh`.
                        unsafe { (*fresh).gen.store(u64::MAX, Ordering::Relaxed) };
                        self.retire(fresh);
                        continue;
                    }
                }
            }
            // Safety: segments are only freed with the log.
            let segment = unsafe { &*p };
            // A segment that failed to install briefly carries a generation, so check the
            // entry still holds it; once it does with our generation, it stays until the
            // reader has read our slot.
            if segment.gen.load(Ordering::Acquire) == gen && entry.load(Ordering::Acquire) == p {
                return segment;
            }
            // An older segment not yet read (see the module note: cannot happen within
            // the capacity), or a racing install: wait for the reader or the installer.
            std::hint::spin_loop();
        }
    }

    /// A segment nobody uses: a retired one, or a new one.
    fn spare_segment(&self) -> *mut Segment {
        match self.free.pop() {
            Some(SegmentPtr(p)) => p,
            None => {
                #[cfg(test)]
                self.allocated.fetch_add(1, Ordering::Relaxed);
                Box::into_raw(Segment::new())
            }
        }
    }

    fn retire(&self, segment: *mut Segment) {
        self.free.push(SegmentPtr(segment));
    }

    /// Move up to `max` events, in ticket order, into `out`, stopping at the first ticket
    /// whose event is not written yet. Never blocks. Returns how many were moved.
    pub(super) fn read_into(&self, out: &mut Vec<Event>, max: usize) -> usize {
        if self.reading.swap(true, Ordering::Acquire) {
            return 0;
        }
        let mut head = self.head.0.load(Ordering::Relaxed);
        let mut n = 0;
        while n < max {
            let gen = head >> SEG_BITS;
            let entry = self.entry(gen);
            let p = entry.load(Ordering::Acquire);
            if p.is_null() {
                break;
            }
            // Safety: segments are only freed with the log; the reader alone retires them.
            let segment = unsafe { &*p };
            if segment.gen.load(Ordering::Acquire) != gen {
                break;
            }
            let first = (head & (SEG - 1)) as usize;
            let mut i = first;
            while i < SEG as usize && n < max {
                let slot = &segment.slots[i];
                if !slot.full.load(Ordering::Acquire) {
                    break;
                }
                // Safety: `full` says the writer finished; the slot is read exactly once,
                // then marked empty for the segment's next use.
                out.push(unsafe { (*slot.event.get()).assume_init_read() });
                slot.full.store(false, Ordering::Relaxed);
                i += 1;
                n += 1;
            }
            head += (i - first) as u64;
            if i < SEG as usize {
                break;
            }
            // Read to the end: retire the segment for reuse (its entry is cleared and every
            // ticket in it has been read, so no writer needs it any more).
            entry.store(ptr::null_mut(), Ordering::Release);
            segment.gen.store(u64::MAX, Ordering::Relaxed);
            self.retire(p);
        }
        self.head.0.store(head, Ordering::Release);
        self.reading.store(false, Ordering::Release);
        n
    }
}

impl Drop for EventLog {
    fn drop(&mut self) {
        // No writers are left (they borrow the log), so every ticket was written: reading
        // them all drops them and retires every installed segment but the last.
        let mut rest = Vec::new();
        while self.read_into(&mut rest, 1 << 16) > 0 {
            rest.clear();
        }
        let installed = self
            .dir
            .iter()
            .map(|entry| entry.swap(ptr::null_mut(), Ordering::Relaxed))
            .filter(|p| !p.is_null());
        let retired = std::iter::from_fn(|| self.free.pop().map(|SegmentPtr(p)| p));
        for p in installed.collect::<Vec<_>>().into_iter().chain(retired) {
            // Safety: every segment came from `Box::into_raw` and is in exactly one of the
            // directory or the free list; the unread tail of a partly read segment has no
            // written slots (see above), and `MaybeUninit` drops nothing.
            drop(unsafe { Box::from_raw(p) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::trace::EventKind;
    use std::sync::Arc;

    fn note(worker: u32, i: u64) -> Event {
        Event {
            run: 1,
            seq: 0,
            t_us: i,
            worker,
            object: None,
            kind: EventKind::Note {
                text: i.to_string(),
            },
        }
    }

    /// Four writers and a reader draining in small bites while they write, across many
    /// segments: every ticket arrives once, in order, and each writer's events in the
    /// order it wrote them.
    #[test]
    fn concurrent_reads_come_out_whole_and_in_ticket_order() {
        let log = Arc::new(EventLog::new(1 << 20));
        let per = 20_000u64;
        let writers: Vec<_> = (0..4u32)
            .map(|w| {
                let log = log.clone();
                std::thread::spawn(move || (0..per).for_each(|i| log.push(note(w, i))))
            })
            .collect();
        let mut got = Vec::new();
        let mut batch = Vec::new();
        while got.len() < (4 * per) as usize {
            batch.clear();
            log.read_into(&mut batch, 777);
            got.append(&mut batch);
        }
        writers.into_iter().for_each(|h| h.join().unwrap());
        assert!(got.iter().enumerate().all(|(i, e)| e.seq == i as u64));
        for w in 0..4 {
            let mine: Vec<u64> = got
                .iter()
                .filter(|e| e.worker == w)
                .map(|e| e.t_us)
                .collect();
            assert_eq!(mine, (0..per).collect::<Vec<_>>());
        }
        assert_eq!(log.unread(), 0);
    }

    /// A reader that stops at a partly written segment picks up where it left off.
    #[test]
    fn reads_resume_mid_segment() {
        let log = EventLog::new(100);
        let mut out = Vec::new();
        for i in 0..5 {
            log.push(note(0, i));
        }
        assert_eq!(log.read_into(&mut out, 3), 3);
        assert_eq!(log.read_into(&mut out, 10), 2);
        assert_eq!(log.read_into(&mut out, 10), 0);
        log.push(note(0, 5));
        assert_eq!(log.read_into(&mut out, 10), 1);
        assert!(out.iter().enumerate().all(|(i, e)| e.seq == i as u64));
    }

    /// A log drained as it fills reuses its segments instead of walking through new ones.
    #[test]
    fn drained_log_reuses_its_segments() {
        let log = EventLog::new(1 << 22);
        let mut out = Vec::new();
        for i in 0..50 * SEG {
            log.push(note(0, i));
            if i % 300 == 0 {
                out.clear();
                log.read_into(&mut out, usize::MAX);
            }
        }
        assert!(log.allocated.load(Ordering::Relaxed) <= 3);
    }

    /// Dropping a log with unread events (some in a partly read segment) drops them.
    #[test]
    fn dropping_unread_events_frees_them() {
        let log = EventLog::new(1 << 12);
        for i in 0..3 * SEG + 5 {
            log.push(note(0, i));
        }
        let mut out = Vec::new();
        log.read_into(&mut out, (SEG + 7) as usize);
        drop(log);
        assert_eq!(out.len(), (SEG + 7) as usize);
    }
}
