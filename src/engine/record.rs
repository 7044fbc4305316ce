//! Recording events cheaply and losslessly.
//!
//! Workers write into an [`EventLog`] whose slot numbers are the sequence numbers: no
//! lock on the hot path, one contended atomic increment per event, and every drain comes
//! out in the run's total order, a later drain never carrying an earlier event.
//!
//! The log is bounded by a soft capacity so that a run nobody drains cannot eat the
//! module's memory. Past it, events are counted as dropped (they take no sequence number),
//! and the next drain reports the count as a `Dropped` event: loss is never silent.

use super::event_log::EventLog;
use super::trace::{Event, EventKind, ObjectId, WorkerId};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use web_time::Instant;

/// Default soft capacity: 4M events (about 300 MB at worst), far above what a drained run holds.
pub const DEFAULT_CAPACITY: usize = 4 << 20;

pub struct Recorder {
    run: u32,
    origin: Instant,
    capacity: usize,
    enabled: AtomicBool,
    log: EventLog,
    /// Events ever dropped.
    lost_total: AtomicU64,
    /// Dropped since the last drain, reported by it.
    dropped: AtomicU64,
}

impl Recorder {
    pub fn new(run: u32) -> Self {
        Self::with_capacity(run, DEFAULT_CAPACITY)
    }

    pub fn with_capacity(run: u32, capacity: usize) -> Self {
        Recorder {
            run,
            origin: Instant::now(),
            capacity: capacity.max(1),
            enabled: AtomicBool::new(true),
            log: EventLog::new(capacity.max(1) as u64),
            lost_total: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    pub fn run_id(&self) -> u32 {
        self.run
    }

    /// Microseconds since the run started.
    /// (Whole seconds and sub-second micros: no 128-bit division on every event.)
    pub fn now_us(&self) -> u64 {
        let d = self.origin.elapsed();
        d.as_secs() * 1_000_000 + u64::from(d.subsec_micros())
    }

    /// Turn tracing off (benchmarks of untraced runs). Prints and run start/end are
    /// still recorded, because the console needs them.
    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
    }

    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Whether an event of this kind would be recorded now (tracing on, or a kind the
    /// console needs even untraced). Lets callers skip building what would be dropped.
    #[inline]
    pub fn keeps(&self, kind: &EventKind) -> bool {
        self.enabled() || always_kept(kind)
    }

    /// Record one event. Never blocks.
    pub fn record(&self, worker: WorkerId, object: Option<ObjectId>, kind: EventKind) {
        self.record_when(worker, object, kind, None);
    }

    /// [`Recorder::record`] at a time the caller has just read from [`Recorder::now_us`]
    /// for its own use (a lock's hold time): one clock read instead of two on hot paths.
    pub fn record_at(
        &self,
        worker: WorkerId,
        object: Option<ObjectId>,
        kind: EventKind,
        t_us: u64,
    ) {
        self.record_when(worker, object, kind, Some(t_us));
    }

    fn record_when(
        &self,
        worker: WorkerId,
        object: Option<ObjectId>,
        kind: EventKind,
        t_us: Option<u64>,
    ) {
        if !self.keeps(&kind) {
            return;
        }
        // Soft bound: racing writers can pass it together, by at most one each, which the
        // log's directory allows for.
        if self.log.unread() >= self.capacity as u64 {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            self.lost_total.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let t_us = t_us.unwrap_or_else(|| self.now_us());
        self.log.push(Event {
            run: self.run,
            seq: 0, // the log's ticket
            t_us,
            worker,
            object,
            kind,
        });
    }

    /// Events recorded so far (including dropped ones).
    pub fn recorded(&self) -> u64 {
        self.log.tickets() + self.lost_total.load(Ordering::Relaxed)
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Move up to `max` events into `out`, in `seq` order and after every event an earlier
    /// drain returned. If events were dropped since the last drain, a `Dropped` event is
    /// appended. Never blocks; safe on the UI thread.
    pub fn drain_into(&self, out: &mut Vec<Event>, max: usize) -> usize {
        let n = self.log.read_into(out, max);
        let lost = self.dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            out.push(Event {
                run: self.run,
                seq: u64::MAX,
                t_us: self.now_us(),
                worker: super::trace::MAIN_WORKER,
                object: None,
                kind: EventKind::Dropped { count: lost },
            });
        }
        n
    }

    /// Everything recorded so far, in `seq` order.
    pub fn drain_sorted(&self) -> Vec<Event> {
        let mut v = Vec::new();
        self.drain_into(&mut v, usize::MAX);
        v
    }
}

fn always_kept(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Print { .. }
            | EventKind::RunStart { .. }
            | EventKind::RunEnd { .. }
            | EventKind::WorkerNew { .. }
            | EventKind::Deadlock { .. }
            | EventKind::Stall { .. }
            | EventKind::Dropped { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_buffer_counts_and_reports_drops() {
        let r = Recorder::with_capacity(1, 3);
        for i in 0..5 {
            r.record(
                0,
                None,
                EventKind::Note {
                    text: i.to_string(),
                },
            );
        }
        let mut out = Vec::new();
        assert_eq!(r.drain_into(&mut out, usize::MAX), 3);
        assert_eq!(out.last().unwrap().kind, EventKind::Dropped { count: 2 });
        assert_eq!(r.recorded(), 5);
        // Drained, the recorder takes events again, numbered on from the kept ones.
        r.record(0, None, EventKind::TaskDone);
        out.clear();
        r.drain_into(&mut out, usize::MAX);
        assert_eq!((out.len(), out[0].seq), (1, 3));
    }

    #[test]
    fn concurrent_recording_keeps_every_seq_once() {
        let r = std::sync::Arc::new(Recorder::new(7));
        let hs: Vec<_> = (0..4)
            .map(|w| {
                let r = r.clone();
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        r.record(w, None, EventKind::TaskDone);
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        let v = r.drain_sorted();
        assert_eq!(v.len(), 40_000);
        assert!(v.iter().enumerate().all(|(i, e)| e.seq == i as u64));
    }
}
