//! The browser build's memory allocator: small per-thread caches in front of one shared
//! heap.
//!
//! Why: on wasm32 with threads, std's allocator is a single dlmalloc behind one global
//! *spin* lock (the page's main thread may never wait, so std spins everywhere). Every
//! `Box`, `Arc` and `String` of every Worker takes that lock, and dlmalloc's bookkeeping
//! bounces between cores with it. With more busy threads than cores (a pool of two plus
//! its submitter on a 2-core machine) the holder is sometimes preempted, and everyone
//! else, the main thread included, spins through the rest of their time slice. Native
//! allocators avoid both with per-thread caches; this is the smallest such cache.
//!
//! How: allocations of up to [`MAX_SMALL`] bytes (alignment up to 8) come in size classes
//! of [`CLASS`] bytes. Each thread keeps a free list per class. A thread whose list is
//! empty takes [`BATCH`] blocks from the shared heap under one lock; a thread whose list
//! has grown to [`KEEP`] (it frees what others allocated, as a pool worker does) hands
//! [`BATCH`] back under one lock. So the lock is taken about once per `BATCH` small
//! allocations instead of once per allocation. Larger or more aligned requests go straight
//! to the shared heap. Every block is a real heap block of its class's size, so any
//! thread may free any block, and blocks can always go back.
//!
//! The core here is generic over the shared heap ([`Backing`]) and over where a thread's
//! lists live, so it is tested natively on top of the system allocator; only the
//! `#[global_allocator]` at the bottom is wasm32-only.

use std::alloc::Layout;
use std::cell::UnsafeCell;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};

/// Size-class granularity, and the largest size served from the per-thread lists.
pub const CLASS: usize = 16;
pub const MAX_SMALL: usize = 512;
const CLASSES: usize = MAX_SMALL / CLASS;
/// Blocks moved between a thread's list and the shared heap at once.
pub const BATCH: usize = 32;
/// A list this long gives [`BATCH`] blocks back.
pub const KEEP: usize = 2 * BATCH;
/// Alignment of every cached block (dlmalloc's own on wasm32).
const ALIGN: usize = 8;

/// The shared heap. Called with its lock held, one caller at a time.
pub trait Backing {
    /// # Safety
    /// As `GlobalAlloc::alloc` (non-zero size).
    unsafe fn malloc(&mut self, size: usize, align: usize) -> *mut u8;
    /// # Safety
    /// As `GlobalAlloc::alloc_zeroed`. A heap that knows fresh memory is zero skips the
    /// clearing (dlmalloc does for memory just grown), which matters for large buffers.
    unsafe fn calloc(&mut self, size: usize, align: usize) -> *mut u8 {
        let p = self.malloc(size, align);
        if !p.is_null() {
            ptr::write_bytes(p, 0, size);
        }
        p
    }
    /// # Safety
    /// `ptr` came from `malloc` or `realloc` of this heap with this size and align.
    unsafe fn free(&mut self, ptr: *mut u8, size: usize, align: usize);
    /// # Safety
    /// As `GlobalAlloc::realloc`.
    unsafe fn realloc(&mut self, ptr: *mut u8, size: usize, align: usize, new: usize) -> *mut u8;
}

/// One thread's free lists: a singly linked list per class, threaded through the free
/// blocks themselves (every block is at least 16 bytes).
pub struct Lists {
    heads: [*mut u8; CLASSES],
    lens: [u32; CLASSES],
    /// Set by [`Shared::flush`]: the thread is ending, and what it frees from then on (its
    /// last `Arc`s, wasm-bindgen's teardown of its own thread-local block, which holds
    /// these very lists) goes straight back to the heap instead of into lists nobody
    /// will read again.
    closed: bool,
}

impl Lists {
    pub const fn new() -> Self {
        Lists {
            heads: [ptr::null_mut(); CLASSES],
            lens: [0; CLASSES],
            closed: false,
        }
    }

    fn pop(&mut self, c: usize) -> *mut u8 {
        let head = self.heads[c];
        if !head.is_null() {
            // Safety: a listed block is free and holds the next pointer in its first word.
            self.heads[c] = unsafe { head.cast::<*mut u8>().read() };
            self.lens[c] -= 1;
        }
        head
    }

    /// # Safety
    /// `block` is a free block of class `c`, owned by nobody else.
    unsafe fn push(&mut self, c: usize, block: *mut u8) {
        block.cast::<*mut u8>().write(self.heads[c]);
        self.heads[c] = block;
        self.lens[c] += 1;
    }
}

impl Default for Lists {
    fn default() -> Self {
        Self::new()
    }
}

/// The shared heap behind a spin lock (it must never wait: the main thread cannot).
pub struct Shared<B> {
    locked: AtomicBool,
    heap: UnsafeCell<B>,
}

// Safety: the heap is only reached through `with`, which holds the lock, and a heap's
// memory belongs to no thread (dlmalloc's handle holds raw pointers, hence no auto-Send).
unsafe impl<B> Sync for Shared<B> {}
unsafe impl<B> Send for Shared<B> {}

/// The class of a request that may be cached, by size and alignment.
fn class_of(size: usize, align: usize) -> Option<usize> {
    (size <= MAX_SMALL && align <= ALIGN).then(|| size.max(1).div_ceil(CLASS) - 1)
}

fn class_size(c: usize) -> usize {
    (c + 1) * CLASS
}

impl<B: Backing> Shared<B> {
    pub const fn new(heap: B) -> Self {
        Shared {
            locked: AtomicBool::new(false),
            heap: UnsafeCell::new(heap),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut B) -> R) -> R {
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            while self.locked.load(Ordering::Relaxed) {
                std::hint::spin_loop();
            }
        }
        // Safety: we hold the lock.
        let r = f(unsafe { &mut *self.heap.get() });
        self.locked.store(false, Ordering::Release);
        r
    }

    /// # Safety
    /// As `GlobalAlloc::alloc`; `lists` belong to the calling thread.
    pub unsafe fn alloc(&self, lists: &mut Lists, layout: Layout) -> *mut u8 {
        let Some(c) = class_of(layout.size(), layout.align()) else {
            return self.with(|h| h.malloc(layout.size(), layout.align()));
        };
        let size = class_size(c);
        if lists.closed {
            // Made at its class's size: another thread may free it into its lists.
            return self.with(|h| h.malloc(size, ALIGN));
        }
        let block = lists.pop(c);
        if !block.is_null() {
            return block;
        }
        self.with(|h| {
            for _ in 0..BATCH - 1 {
                let extra = h.malloc(size, ALIGN);
                if extra.is_null() {
                    break;
                }
                lists.push(c, extra);
            }
            h.malloc(size, ALIGN)
        })
    }

    /// # Safety
    /// As `GlobalAlloc::alloc_zeroed`; `lists` belong to the calling thread.
    pub unsafe fn alloc_zeroed(&self, lists: &mut Lists, layout: Layout) -> *mut u8 {
        if class_of(layout.size(), layout.align()).is_none() {
            return self.with(|h| h.calloc(layout.size(), layout.align()));
        }
        let p = self.alloc(lists, layout);
        if !p.is_null() {
            ptr::write_bytes(p, 0, layout.size());
        }
        p
    }

    /// # Safety
    /// As `GlobalAlloc::dealloc`; `lists` belong to the calling thread.
    pub unsafe fn dealloc(&self, lists: &mut Lists, block: *mut u8, layout: Layout) {
        let Some(c) = class_of(layout.size(), layout.align()) else {
            return self.with(|h| h.free(block, layout.size(), layout.align()));
        };
        let size = class_size(c);
        if lists.closed {
            return self.with(|h| h.free(block, size, ALIGN));
        }
        lists.push(c, block);
        if lists.lens[c] as usize >= KEEP {
            self.with(|h| {
                for _ in 0..BATCH {
                    h.free(lists.pop(c), size, ALIGN);
                }
            });
        }
    }

    /// # Safety
    /// As `GlobalAlloc::realloc`; `lists` belong to the calling thread.
    pub unsafe fn realloc(
        &self,
        lists: &mut Lists,
        block: *mut u8,
        layout: Layout,
        new: usize,
    ) -> *mut u8 {
        let (align, old) = (layout.align(), layout.size());
        match (class_of(old, align), class_of(new, align)) {
            (Some(a), Some(b)) if a == b => block,
            (None, None) => self.with(|h| h.realloc(block, old, align, new)),
            _ => {
                let moved = self.alloc(lists, Layout::from_size_align_unchecked(new, align));
                if !moved.is_null() {
                    ptr::copy_nonoverlapping(block, moved, old.min(new));
                    self.dealloc(lists, block, layout);
                }
                moved
            }
        }
    }

    /// Give all of a thread's cached blocks back (a thread about to end); from then on
    /// its allocations skip the lists.
    pub fn flush(&self, lists: &mut Lists) {
        lists.closed = true;
        self.with(|h| {
            for c in 0..CLASSES {
                loop {
                    let block = lists.pop(c);
                    if block.is_null() {
                        break;
                    }
                    // Safety: listed blocks are free blocks of class `c` from this heap.
                    unsafe { h.free(block, class_size(c), ALIGN) };
                }
            }
        });
    }
}

#[cfg(target_arch = "wasm32")]
mod global {
    use super::{Backing, Lists, Shared};
    use std::alloc::{GlobalAlloc, Layout};
    use std::cell::UnsafeCell;

    impl Backing for dlmalloc::Dlmalloc {
        unsafe fn malloc(&mut self, size: usize, align: usize) -> *mut u8 {
            dlmalloc::Dlmalloc::malloc(self, size, align)
        }
        unsafe fn calloc(&mut self, size: usize, align: usize) -> *mut u8 {
            dlmalloc::Dlmalloc::calloc(self, size, align)
        }
        unsafe fn free(&mut self, ptr: *mut u8, size: usize, align: usize) {
            dlmalloc::Dlmalloc::free(self, ptr, size, align)
        }
        unsafe fn realloc(
            &mut self,
            ptr: *mut u8,
            size: usize,
            align: usize,
            new: usize,
        ) -> *mut u8 {
            dlmalloc::Dlmalloc::realloc(self, ptr, size, align, new)
        }
    }

    struct ThreadCached(Shared<dlmalloc::Dlmalloc>);

    std::thread_local! {
        // Const-initialised and without a destructor: no allocation, no lazy set-up, so
        // the allocator can use it.
        static LISTS: UnsafeCell<Lists> = const { UnsafeCell::new(Lists::new()) };
    }

    #[global_allocator]
    static HEAP: ThreadCached = ThreadCached(Shared::new(dlmalloc::Dlmalloc::new()));

    // Safety: `Shared` serialises the heap; each thread's lists are its own, and an
    // allocator call never re-enters another on the same thread.
    unsafe impl GlobalAlloc for ThreadCached {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            LISTS.with(|l| self.0.alloc(&mut *l.get(), layout))
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            LISTS.with(|l| self.0.alloc_zeroed(&mut *l.get(), layout))
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            LISTS.with(|l| self.0.dealloc(&mut *l.get(), ptr, layout))
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
            LISTS.with(|l| self.0.realloc(&mut *l.get(), ptr, layout, new))
        }
    }

    /// Give the calling thread's cached blocks back: a Worker whose pool is being
    /// replaced calls this before it ends, so its cache does not outlive it.
    pub fn flush_thread_cache() {
        LISTS.with(|l| HEAP.0.flush(unsafe { &mut *l.get() }));
    }
}

#[cfg(target_arch = "wasm32")]
pub use global::flush_thread_cache;

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::{GlobalAlloc, System};
    use std::collections::HashMap;
    use std::sync::atomic::AtomicUsize;
    use std::sync::{Arc, Mutex};

    /// The system allocator, counting live blocks and locked calls, and checking that
    /// every free names the size and alignment its block was made with.
    #[derive(Default)]
    struct Checked {
        live: HashMap<usize, (usize, usize)>,
        calls: usize,
    }

    impl Backing for Checked {
        unsafe fn malloc(&mut self, size: usize, align: usize) -> *mut u8 {
            self.calls += 1;
            let p = System.alloc(Layout::from_size_align(size, align).unwrap());
            assert!(self.live.insert(p as usize, (size, align)).is_none());
            p
        }
        unsafe fn free(&mut self, ptr: *mut u8, size: usize, align: usize) {
            self.calls += 1;
            assert_eq!(self.live.remove(&(ptr as usize)), Some((size, align)));
            System.dealloc(ptr, Layout::from_size_align(size, align).unwrap());
        }
        unsafe fn realloc(
            &mut self,
            ptr: *mut u8,
            size: usize,
            align: usize,
            new: usize,
        ) -> *mut u8 {
            let fresh = self.malloc(new, align);
            ptr::copy_nonoverlapping(ptr, fresh, size.min(new));
            self.free(ptr, size, align);
            fresh
        }
    }

    fn shared() -> Arc<Shared<Checked>> {
        Arc::new(Shared::new(Checked::default()))
    }

    /// Once a thread's lists are flushed, every block is back in the heap.
    fn assert_all_returned(heap: &Shared<Checked>, lists: &mut Lists) {
        heap.flush(lists);
        assert!(heap.with(|h| h.live.is_empty()));
    }

    #[test]
    fn classes_cover_every_small_size_once() {
        assert_eq!(class_of(1, 1), Some(0));
        assert_eq!(class_of(16, 8), Some(0));
        assert_eq!(class_of(17, 8), Some(1));
        assert_eq!(class_of(MAX_SMALL, 8), Some(CLASSES - 1));
        assert_eq!(class_of(MAX_SMALL + 1, 8), None);
        assert_eq!(class_of(16, 16), None);
        for size in 1..=MAX_SMALL {
            assert!(class_size(class_of(size, 8).unwrap()) >= size);
        }
    }

    /// A thread allocating and freeing its own small blocks takes the lock about once
    /// per batch, not once per block.
    #[test]
    fn small_allocations_take_the_lock_once_per_batch() {
        let heap = shared();
        let mut lists = Lists::new();
        let layout = Layout::from_size_align(40, 8).unwrap();
        unsafe {
            for _ in 0..1000 {
                let blocks: Vec<*mut u8> =
                    (0..10).map(|_| heap.alloc(&mut lists, layout)).collect();
                for b in blocks {
                    heap.dealloc(&mut lists, b, layout);
                }
            }
        }
        let calls = heap.with(|h| h.calls);
        assert!(
            calls <= 2 * BATCH,
            "{calls} locked calls for 10,000 allocations"
        );
        assert_all_returned(&heap, &mut lists);
    }

    /// After a flush (a Worker ending), what the thread frees goes back at once, blocks
    /// made by other threads included, and what it still allocates can be freed anywhere.
    #[test]
    fn a_flushed_thread_keeps_nothing() {
        let heap = shared();
        let (mut ending, mut other) = (Lists::new(), Lists::new());
        let layout = Layout::from_size_align(24, 8).unwrap();
        unsafe {
            let from_other: Vec<*mut u8> =
                (0..100).map(|_| heap.alloc(&mut other, layout)).collect();
            let own = heap.alloc(&mut ending, layout);
            heap.flush(&mut ending);
            for b in from_other {
                heap.dealloc(&mut ending, b, layout);
            }
            heap.dealloc(&mut ending, own, layout);
            assert_eq!(ending.lens, [0; CLASSES]);
            let late = heap.alloc(&mut ending, layout);
            assert_eq!(ending.lens, [0; CLASSES]);
            heap.dealloc(&mut other, late, layout);
        }
        assert_all_returned(&heap, &mut other);
    }

    /// Producer and consumer threads (blocks allocated on one thread, written, and freed
    /// on another, as between a pool's submitter and its workers), with sizes across every
    /// class and some large ones: contents survive, every block goes back to the heap
    /// with the size it was made with, and nothing is left once the lists are flushed.
    #[test]
    fn blocks_cross_threads_and_all_go_back() {
        let heap = shared();
        let (tx, rx) = std::sync::mpsc::channel::<(usize, usize, u8)>();
        let rx = Arc::new(Mutex::new(rx));
        let checked = Arc::new(AtomicUsize::new(0));
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let (heap, rx, checked) = (heap.clone(), rx.clone(), checked.clone());
                std::thread::spawn(move || {
                    let mut lists = Lists::new();
                    loop {
                        let msg = rx.lock().unwrap().recv();
                        let Ok((addr, size, fill)) = msg else { break };
                        let p = addr as *mut u8;
                        unsafe {
                            assert!((0..size).all(|i| *p.add(i) == fill));
                            heap.dealloc(&mut lists, p, Layout::from_size_align(size, 8).unwrap());
                        }
                        checked.fetch_add(1, Ordering::Relaxed);
                    }
                    heap.flush(&mut lists);
                })
            })
            .collect();
        let mut lists = Lists::new();
        for i in 0..40_000usize {
            let size = if i % 97 == 0 {
                1000 + i % 300
            } else {
                1 + (i * 7) % MAX_SMALL
            };
            let fill = (i % 251) as u8;
            unsafe {
                let p = heap.alloc(&mut lists, Layout::from_size_align(size, 8).unwrap());
                assert!(!p.is_null());
                ptr::write_bytes(p, fill, size);
                tx.send((p as usize, size, fill)).unwrap();
            }
        }
        drop(tx);
        consumers.into_iter().for_each(|h| h.join().unwrap());
        heap.flush(&mut lists);
        assert_eq!(checked.load(Ordering::Relaxed), 40_000);
        assert!(heap.with(|h| h.live.is_empty()));
    }

    /// Zeroed blocks are zero, small (reused from a list) and large.
    #[test]
    fn zeroed_blocks_are_zero() {
        let heap = shared();
        let mut lists = Lists::new();
        unsafe {
            for size in [24, 4000] {
                let l = Layout::from_size_align(size, 8).unwrap();
                let p = heap.alloc(&mut lists, l);
                ptr::write_bytes(p, 0xAB, size);
                heap.dealloc(&mut lists, p, l);
                let z = heap.alloc_zeroed(&mut lists, l);
                assert!((0..size).all(|i| *z.add(i) == 0));
                heap.dealloc(&mut lists, z, l);
            }
        }
        assert_all_returned(&heap, &mut lists);
    }

    /// Growing a block within its class keeps it; across classes it moves with its
    /// contents.
    #[test]
    fn realloc_keeps_contents() {
        let heap = shared();
        let mut lists = Lists::new();
        unsafe {
            let l = Layout::from_size_align(20, 8).unwrap();
            let p = heap.alloc(&mut lists, l);
            ptr::write_bytes(p, 7, 20);
            assert_eq!(heap.realloc(&mut lists, p, l, 30), p);
            let q = heap.realloc(&mut lists, p, l, 300);
            assert!((0..20).all(|i| *q.add(i) == 7));
            let big = Layout::from_size_align(300, 8).unwrap();
            let r = heap.realloc(&mut lists, q, big, 5000);
            assert!((0..20).all(|i| *r.add(i) == 7));
            heap.dealloc(&mut lists, r, Layout::from_size_align(5000, 8).unwrap());
        }
        assert_all_returned(&heap, &mut lists);
    }
}
