//! One run of a scenario: its recorder, its cancel flag, its slow-motion setting, the ids it
//! hands out, and which logical worker the current OS thread (or Web Worker) is playing.
//!
//! Primitives find the run and the calling worker through a thread-local set by
//! [`RunCtx::enter`], so scenario code reads like Python's (`lock.acquire()`), with no
//! context argument threaded through every call.

use super::error::{EngineError, EngineResult};
use super::record::Recorder;
use super::trace::{EventKind, ObjectId, ObjectKind, WorkerId, MAIN_WORKER};
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How often a blocked wait wakes to look at the cancel flag. Cancel must land within
/// 200 ms; this keeps it near 20 ms while costing a sleeping worker almost nothing.
pub const CANCEL_POLL: Duration = Duration::from_millis(20);

static NEXT_RUN: AtomicU32 = AtomicU32::new(1);

pub struct RunCtx {
    pub recorder: Recorder,
    cancelled: AtomicBool,
    /// Pairs with `cancelled`: cancellable sleeps wait here and wake at once on cancel.
    sleepers: (Mutex<()>, Condvar),
    slowmo_us: AtomicU64,
    next_object: AtomicU32,
    next_worker: AtomicU32,
    /// Per-flavour counters for Python's default names (`Thread-1`, `Process-1`).
    next_thread_name: AtomicU32,
    next_process_name: AtomicU32,
    /// Numbers `ThreadPoolExecutor-N_i`: each run is a program of its own, counting from 0.
    next_executor: AtomicU32,
    /// Last time anybody made progress (µs since start), for the stall detector.
    last_progress_us: AtomicU64,
    /// Primitives and worker names, for the deadlock and stall detectors.
    pub registry: super::liveness::Registry,
}

thread_local! {
    static CURRENT: RefCell<Option<(Arc<RunCtx>, WorkerId)>> = const { RefCell::new(None) };
}

impl RunCtx {
    pub fn new() -> Arc<Self> {
        let id = NEXT_RUN.fetch_add(1, Ordering::Relaxed);
        Arc::new(RunCtx {
            recorder: Recorder::new(id),
            cancelled: AtomicBool::new(false),
            sleepers: (Mutex::new(()), Condvar::new()),
            slowmo_us: AtomicU64::new(0),
            next_object: AtomicU32::new(1),
            next_worker: AtomicU32::new(1),
            next_thread_name: AtomicU32::new(1),
            next_process_name: AtomicU32::new(1),
            next_executor: AtomicU32::new(0),
            last_progress_us: AtomicU64::new(0),
            registry: Default::default(),
        })
    }

    pub fn id(&self) -> u32 {
        self.recorder.run_id()
    }

    /// Make the calling thread act as `worker` of this run until the guard drops.
    pub fn enter(self: &Arc<Self>, worker: WorkerId) -> EnterGuard {
        let prev = CURRENT.with(|c| c.borrow_mut().replace((self.clone(), worker)));
        EnterGuard { prev }
    }

    /// The run and worker the calling thread plays, if any.
    pub fn current() -> Option<(Arc<RunCtx>, WorkerId)> {
        CURRENT.with(|c| c.borrow().clone())
    }

    /// Like [`current`](Self::current), but an error a scenario can show when a primitive is
    /// used outside a run.
    pub fn require() -> EngineResult<(Arc<RunCtx>, WorkerId)> {
        Self::current().ok_or_else(|| {
            EngineError::Invalid("a playground primitive was used outside a run".into())
        })
    }

    // ---- ids and names -------------------------------------------------------------

    pub fn new_object(&self, name: &str, kind: ObjectKind) -> ObjectId {
        let id = self.next_object.fetch_add(1, Ordering::Relaxed);
        let worker = current_worker_or_main();
        self.recorder.record(
            worker,
            Some(id),
            EventKind::ObjectNew {
                name: name.to_string(),
                kind,
            },
        );
        id
    }

    pub fn new_worker_id(&self) -> WorkerId {
        self.next_worker.fetch_add(1, Ordering::Relaxed)
    }

    /// Python calls the main program `MainProcess` in `multiprocessing` code (its
    /// `current_process().name`) and `MainThread` in `threading` code. A lesson built on
    /// processes says so once, before it starts anything, so its output and its main lane
    /// read as the Python beside it does.
    pub fn name_main_process(&self) {
        let name = "MainProcess";
        self.registry
            .register_worker(super::trace::MAIN_WORKER, name);
        self.recorder.record(
            super::trace::MAIN_WORKER,
            None,
            super::trace::EventKind::WorkerNew {
                name: name.into(),
                flavour: super::trace::Flavour::Process,
                daemon: false,
            },
        );
    }

    /// The next thread executor's number, `N` in its workers' `ThreadPoolExecutor-N_i`.
    pub fn next_executor_number(&self) -> u32 {
        self.next_executor.fetch_add(1, Ordering::Relaxed)
    }

    /// Python's next default name for a flavour: `Thread-3`, `Process-2`.
    pub fn default_name(&self, flavour: super::trace::Flavour) -> String {
        let n = match flavour {
            super::trace::Flavour::Thread => &self.next_thread_name,
            super::trace::Flavour::Process => &self.next_process_name,
        }
        .fetch_add(1, Ordering::Relaxed);
        format!("{}-{}", flavour.default_prefix(), n)
    }

    // ---- recording -------------------------------------------------------------------

    /// Record an event for the calling worker.
    ///
    /// With tracing off, most kinds are dropped before the thread-local lookup of the
    /// calling worker, so an untraced hot path pays one relaxed load per event.
    #[inline]
    pub fn emit(&self, object: Option<ObjectId>, kind: EventKind) {
        if !self.recorder.keeps(&kind) {
            return;
        }
        self.recorder.record(current_worker_or_main(), object, kind);
    }

    /// Record that the calling worker starts waiting for a join or a result (`kind` is a
    /// `JoinWait` or a `ResultWait`); the returned guard records `WaitDone` when the wait
    /// is over, however it ends. Only waits that really block are recorded: the timeline
    /// then shows a main program blocked in `join()` or `map()` as blocked.
    pub(crate) fn awaiting(&self, kind: EventKind) -> Awaiting<'_> {
        self.emit(None, kind);
        Awaiting { ctx: self }
    }

    /// [`RunCtx::emit`] at a time the caller already read from `recorder.now_us()`.
    pub fn emit_at(&self, object: Option<ObjectId>, kind: EventKind, t_us: u64) {
        if !self.recorder.keeps(&kind) {
            return;
        }
        self.recorder
            .record_at(current_worker_or_main(), object, kind, t_us);
    }

    /// Mark progress now (the stall detector watches this).
    pub fn progress(&self) {
        self.progress_at(self.recorder.now_us());
    }

    /// Mark progress at a time the caller already read.
    pub fn progress_at(&self, t_us: u64) {
        self.last_progress_us.store(t_us, Ordering::Relaxed);
    }

    pub fn last_progress_us(&self) -> u64 {
        self.last_progress_us.load(Ordering::Relaxed)
    }

    // ---- cancellation ----------------------------------------------------------------

    /// Never blocks: the page's Cancel button calls it on the browser's main thread, where
    /// a contended mutex would trap. So it takes no lock; a sleeper that checked the flag
    /// just before it was set misses the wake-up, and sees the flag one
    /// [`CANCEL_POLL`] later, because sleeps wait in slices of that length.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.sleepers.1.notify_all();
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// `Err(Cancelled)` once the run is cancelled: long CPU loops call this now and then.
    pub fn check(&self) -> EngineResult<()> {
        if self.is_cancelled() {
            Err(EngineError::Cancelled)
        } else {
            Ok(())
        }
    }

    /// A real wait (`time.sleep`), cut short by cancel.
    pub fn sleep(&self, d: Duration) -> EngineResult<()> {
        let deadline = web_time::Instant::now() + d;
        let mut g = self.sleepers.0.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            self.check()?;
            let now = web_time::Instant::now();
            if now >= deadline {
                return Ok(());
            }
            g = self
                .sleepers
                .1
                .wait_timeout(g, (deadline - now).min(CANCEL_POLL))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    // ---- slow motion -------------------------------------------------------------------

    /// Delay every sync point by this much, so a learner can watch interleavings.
    pub fn set_slowmo(&self, d: Duration) {
        self.slowmo_us.store(
            d.as_micros().min(u64::MAX as u128) as u64,
            Ordering::Relaxed,
        );
    }

    /// Called by every primitive before it acts: the slow-motion delay, and a cancel check.
    /// (A step-by-step scheduler would plug in here too.)
    pub fn sync_point(&self) -> EngineResult<()> {
        self.check()?;
        let us = self.slowmo_us.load(Ordering::Relaxed);
        if us > 0 {
            self.sleep(Duration::from_micros(us))?;
        }
        Ok(())
    }
}

/// Restores the previous (run, worker) of the thread when dropped.
pub struct EnterGuard {
    prev: Option<(Arc<RunCtx>, WorkerId)>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        CURRENT.with(|c| *c.borrow_mut() = prev);
    }
}

/// The calling thread's worker id, or the main program's when outside any worker.
pub fn current_worker_or_main() -> WorkerId {
    CURRENT.with(|c| c.borrow().as_ref().map(|(_, w)| *w).unwrap_or(MAIN_WORKER))
}

/// A join or result wait in progress (see [`RunCtx::awaiting`]).
pub(crate) struct Awaiting<'a> {
    ctx: &'a RunCtx,
}

impl Drop for Awaiting<'_> {
    fn drop(&mut self) {
        self.ctx.emit(None, EventKind::WaitDone);
    }
}
