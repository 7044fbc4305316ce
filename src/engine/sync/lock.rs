//! `threading.Lock` / `multiprocessing.Lock`: a non-reentrant mutual-exclusion lock.
//!
//! Like Python's, any worker may release it (it has no owner in the language's rules), but
//! it remembers who acquired it so the state panel and the deadlock detector can say
//! "held by Thread-2". It also keeps cheap running totals of time spent waiting for it and
//! holding it, because the lock lesson compares the two.

use super::{check_blocking_args, new_id, register, remove_one};
use crate::engine::liveness::{Inspect, ObjectState};
use crate::engine::run::{current_worker_or_main, RunCtx};
use crate::engine::trace::{EventKind, ObjectId, ObjectKind, WorkerId};
use crate::engine::wait::{deadline_after, WaitCell, Woken};
use crate::engine::{EngineError, EngineResult};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Totals for one lock since it was created. All times in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LockStats {
    /// Successful acquisitions.
    pub acquisitions: u64,
    /// Acquisitions that had to wait first.
    pub contended: u64,
    /// Total time workers spent blocked waiting for the lock.
    pub wait_us: u64,
    /// Total time the lock was held (acquire to release).
    pub hold_us: u64,
}

/// Running totals kept with relaxed atomics: two additions per acquire/release pair.
#[derive(Default)]
pub(crate) struct LockTimers {
    acquisitions: AtomicU64,
    contended: AtomicU64,
    wait_us: AtomicU64,
    hold_us: AtomicU64,
}

impl LockTimers {
    pub(crate) fn acquired(&self, waited_us: Option<u64>) {
        self.acquisitions.fetch_add(1, Ordering::Relaxed);
        if let Some(us) = waited_us {
            self.contended.fetch_add(1, Ordering::Relaxed);
            self.wait_us.fetch_add(us, Ordering::Relaxed);
        }
    }

    pub(crate) fn waited_in_vain(&self, us: u64) {
        self.wait_us.fetch_add(us, Ordering::Relaxed);
    }

    pub(crate) fn released(&self, held_us: u64) {
        self.hold_us.fetch_add(held_us, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self) -> LockStats {
        LockStats {
            acquisitions: self.acquisitions.load(Ordering::Relaxed),
            contended: self.contended.load(Ordering::Relaxed),
            wait_us: self.wait_us.load(Ordering::Relaxed),
            hold_us: self.hold_us.load(Ordering::Relaxed),
        }
    }
}

struct LockState {
    owner: Option<WorkerId>,
    /// When the current holder acquired it, µs since the run started.
    since_us: u64,
    waiters: Vec<WorkerId>,
    /// The waiters that gave a timeout (see `ObjectState::timed_waiters`).
    timed_waiters: Vec<WorkerId>,
}

pub struct Lock {
    ctx: Arc<RunCtx>,
    id: ObjectId,
    name: String,
    cell: WaitCell<LockState>,
    timers: LockTimers,
    /// Mirrors `owner.is_some()` (written under the cell's mutex), so a worker can watch
    /// for the release without taking the mutex; see `spin_until_free`.
    busy: AtomicBool,
}

/// How many times `acquire` looks at a held lock before it parks. A `with lock:` around
/// a counter holds it for well under a microsecond, far less than putting a thread to
/// sleep and waking it costs (a futex round trip, a context switch): a waiter that
/// looks a few hundred times usually finds it free and never parks. A lock held longer (a
/// sleep, slow motion) is waited for exactly as before.
const SPINS: u32 = 200;

impl Lock {
    pub fn new(ctx: &Arc<RunCtx>, name: &str) -> Arc<Lock> {
        let id = new_id(ctx, name, ObjectKind::Lock);
        let lock = Arc::new(Lock {
            ctx: ctx.clone(),
            id,
            name: name.to_string(),
            cell: WaitCell::new(LockState {
                owner: None,
                since_us: 0,
                waiters: Vec::new(),
                timed_waiters: Vec::new(),
            }),
            timers: LockTimers::default(),
            busy: AtomicBool::new(false),
        });
        register(ctx, &lock);
        lock
    }

    pub fn id(&self) -> ObjectId {
        self.id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Python's `acquire(blocking=True, timeout=-1)`: `timeout: None` waits forever.
    /// Returns false when a non-blocking attempt fails or the timeout runs out.
    pub fn acquire(&self, blocking: bool, timeout: Option<f64>) -> EngineResult<bool> {
        check_blocking_args(blocking, timeout)?;
        let deadline = deadline_after(timeout)?;
        self.ctx.sync_point()?;
        let me = current_worker_or_main();
        let mut st = self.cell.lock();
        if st.owner.is_none() {
            self.take(&mut st, me, None);
            return Ok(true);
        }
        if !blocking {
            return Ok(false);
        }
        // The wait starts here in the trace, whether it ends after a short spin or a sleep.
        let started = self.ctx.recorder.now_us();
        self.ctx
            .emit_at(Some(self.id), EventKind::LockWait, started);
        if st.waiters.is_empty() {
            // Nobody is queued, so the holder is likely about to let go.
            drop(st);
            self.spin_until_free();
            st = self.cell.lock();
            if st.owner.is_none() {
                let waited_us = self.ctx.recorder.now_us().saturating_sub(started);
                self.take(&mut st, me, Some(waited_us));
                return Ok(true);
            }
        }
        st.waiters.push(me);
        if deadline.is_some() {
            st.timed_waiters.push(me);
        }
        let waited = self
            .cell
            .wait_while(&self.ctx, st, deadline, |s| s.owner.is_some());
        let (mut st, woken) = match waited {
            Ok(x) => x,
            Err(e) => {
                let mut st = self.cell.lock();
                remove_one(&mut st.waiters, me);
                if deadline.is_some() {
                    remove_one(&mut st.timed_waiters, me);
                }
                return Err(e);
            }
        };
        remove_one(&mut st.waiters, me);
        if deadline.is_some() {
            remove_one(&mut st.timed_waiters, me);
        }
        let waited_us = self.ctx.recorder.now_us().saturating_sub(started);
        match woken {
            Woken::Ready => {
                self.take(&mut st, me, Some(waited_us));
                Ok(true)
            }
            Woken::TimedOut => {
                self.timers.waited_in_vain(waited_us);
                self.ctx.emit(Some(self.id), EventKind::WaitTimedOut);
                Ok(false)
            }
        }
    }

    /// Watch the lock for a moment without holding anything (see [`SPINS`]).
    fn spin_until_free(&self) {
        for _ in 0..SPINS {
            if !self.busy.load(Ordering::Relaxed) {
                return;
            }
            std::hint::spin_loop();
        }
    }

    fn take(&self, st: &mut LockState, me: WorkerId, waited_us: Option<u64>) {
        st.owner = Some(me);
        self.busy.store(true, Ordering::Relaxed);
        // One clock read serves the hold timer, the trace and the stall detector.
        let now = self.ctx.recorder.now_us();
        st.since_us = now;
        self.timers.acquired(waited_us);
        // Recorded inside the critical section so the trace order is the real order.
        self.ctx.emit_at(Some(self.id), EventKind::LockAcquire, now);
        self.ctx.progress_at(now);
    }

    /// Python's `release()`. Releasing an unlocked lock is a `RuntimeError`.
    pub fn release(&self) -> EngineResult<()> {
        self.ctx.sync_point()?;
        self.release_now()
    }

    /// Release without a sync point: used by guards and by `Condition.wait`, which must
    /// give the lock up even when the run is being cancelled.
    pub(crate) fn release_now(&self) -> EngineResult<()> {
        self.release_inner(false)
    }

    /// What a guard does when it drops: release only if the dropping worker still holds
    /// the lock. After a cancelled `Condition.wait` the lock was never taken back, and a
    /// guard must not release it from under whoever holds it now.
    pub(crate) fn release_if_mine(&self) {
        let _ = self.release_inner(true);
    }

    fn release_inner(&self, only_mine: bool) -> EngineResult<()> {
        let mut st = self.cell.lock();
        let mine = st.owner == Some(current_worker_or_main());
        if st.owner.is_none() || (only_mine && !mine) {
            return Err(EngineError::NotOwner(format!("lock {}", self.name)));
        }
        st.owner = None;
        self.busy.store(false, Ordering::Relaxed);
        let now = self.ctx.recorder.now_us();
        self.timers.released(now.saturating_sub(st.since_us));
        self.ctx.emit_at(Some(self.id), EventKind::LockRelease, now);
        self.ctx.progress_at(now);
        // Waking costs a system call even when nobody sleeps, and every waiter is listed
        // (under this mutex) before it sleeps, so an empty list means no one to wake.
        let wake = !st.waiters.is_empty();
        drop(st);
        if wake {
            self.cell.notify_one();
        }
        Ok(())
    }

    /// `with lock:` — acquire, and release when the guard drops.
    pub fn lock(&self) -> EngineResult<LockGuard<'_>> {
        self.acquire(true, None)?;
        Ok(LockGuard { lock: self })
    }

    /// `if lock.acquire(timeout=t): try: ... finally: lock.release()`: `None` when the
    /// timeout runs out, else a guard that releases even when the body fails. A bare
    /// `acquire` ... `release` pair leaks the lock when anything between them returns an
    /// error (a cancelled run), as it would in Python without the `finally`.
    pub fn lock_timeout(&self, timeout: Option<f64>) -> EngineResult<Option<LockGuard<'_>>> {
        Ok(self
            .acquire(true, timeout)?
            .then_some(LockGuard { lock: self }))
    }

    /// Python's `locked()`.
    pub fn locked(&self) -> bool {
        self.cell.lock().owner.is_some()
    }

    /// Whether the calling worker is the one that acquired it.
    pub fn held_by_me(&self) -> bool {
        self.cell.lock().owner == Some(current_worker_or_main())
    }

    /// Wait and hold totals since creation.
    pub fn stats(&self) -> LockStats {
        self.timers.stats()
    }
}

impl Inspect for Lock {
    fn snapshot(&self) -> ObjectState {
        let st = self.cell.lock();
        ObjectState {
            id: self.id,
            name: self.name.clone(),
            kind: Some(ObjectKind::Lock),
            holders: st.owner.into_iter().collect(),
            waiters: st.waiters.clone(),
            timed_waiters: st.timed_waiters.clone(),
            value: Some(st.owner.is_some() as i64),
        }
    }
}

/// Releases the lock when dropped (the end of a `with` block).
pub struct LockGuard<'a> {
    lock: &'a Lock,
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        self.lock.release_if_mine();
    }
}
