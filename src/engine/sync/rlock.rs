//! `threading.RLock`: a reentrant lock. The worker that holds it may acquire it again;
//! it is free once released as many times as acquired, and only its owner may release it.

use super::lock::{LockStats, LockTimers};
use super::{check_blocking_args, new_id, register, remove_one};
use crate::engine::liveness::{Inspect, ObjectState};
use crate::engine::run::{current_worker_or_main, RunCtx};
use crate::engine::trace::{EventKind, ObjectId, ObjectKind, WorkerId};
use crate::engine::wait::{deadline_after, WaitCell, Woken};
use crate::engine::{EngineError, EngineResult};
use std::sync::Arc;

struct RState {
    owner: Option<WorkerId>,
    count: u32,
    since_us: u64,
    waiters: Vec<WorkerId>,
    /// The waiters that gave a timeout (see `ObjectState::timed_waiters`).
    timed_waiters: Vec<WorkerId>,
}

pub struct RLock {
    ctx: Arc<RunCtx>,
    id: ObjectId,
    name: String,
    cell: WaitCell<RState>,
    timers: LockTimers,
}

impl RLock {
    pub fn new(ctx: &Arc<RunCtx>, name: &str) -> Arc<RLock> {
        let id = new_id(ctx, name, ObjectKind::RLock);
        let lock = Arc::new(RLock {
            ctx: ctx.clone(),
            id,
            name: name.to_string(),
            cell: WaitCell::new(RState {
                owner: None,
                count: 0,
                since_us: 0,
                waiters: Vec::new(),
                timed_waiters: Vec::new(),
            }),
            timers: LockTimers::default(),
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

    /// Python's `acquire(blocking=True, timeout=-1)`. The owner re-acquires at once.
    pub fn acquire(&self, blocking: bool, timeout: Option<f64>) -> EngineResult<bool> {
        check_blocking_args(blocking, timeout)?;
        let deadline = deadline_after(timeout)?;
        self.ctx.sync_point()?;
        self.acquire_n(blocking, deadline, 1)
    }

    fn acquire_n(
        &self,
        blocking: bool,
        deadline: Option<web_time::Instant>,
        count: u32,
    ) -> EngineResult<bool> {
        let me = current_worker_or_main();
        let mut st = self.cell.lock();
        if st.owner == Some(me) {
            st.count += count;
            self.ctx.emit(Some(self.id), EventKind::LockAcquire);
            return Ok(true);
        }
        if st.owner.is_none() {
            self.take(&mut st, me, count, None);
            return Ok(true);
        }
        if !blocking {
            return Ok(false);
        }
        self.ctx.emit(Some(self.id), EventKind::LockWait);
        let started = self.ctx.recorder.now_us();
        st.waiters.push(me);
        if deadline.is_some() {
            st.timed_waiters.push(me);
        }
        let (mut st, woken) = match self
            .cell
            .wait_while(&self.ctx, st, deadline, |s| s.owner.is_some())
        {
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
                self.take(&mut st, me, count, Some(waited_us));
                Ok(true)
            }
            Woken::TimedOut => {
                self.timers.waited_in_vain(waited_us);
                self.ctx.emit(Some(self.id), EventKind::WaitTimedOut);
                Ok(false)
            }
        }
    }

    fn take(&self, st: &mut RState, me: WorkerId, count: u32, waited_us: Option<u64>) {
        st.owner = Some(me);
        st.count = count;
        st.since_us = self.ctx.recorder.now_us();
        self.timers.acquired(waited_us);
        self.ctx.emit(Some(self.id), EventKind::LockAcquire);
        self.ctx.progress();
    }

    /// Python's `release()`: only the owner may release (`RuntimeError` otherwise).
    pub fn release(&self) -> EngineResult<()> {
        self.ctx.sync_point()?;
        self.release_now()
    }

    pub(crate) fn release_now(&self) -> EngineResult<()> {
        let me = current_worker_or_main();
        let mut st = self.cell.lock();
        if st.owner != Some(me) {
            return Err(EngineError::NotOwner(format!("lock {}", self.name)));
        }
        st.count -= 1;
        self.ctx.emit(Some(self.id), EventKind::LockRelease);
        if st.count == 0 {
            self.free(&mut st);
            drop(st);
            self.cell.notify_one();
        }
        Ok(())
    }

    fn free(&self, st: &mut RState) {
        st.owner = None;
        let held = self.ctx.recorder.now_us().saturating_sub(st.since_us);
        self.timers.released(held);
        self.ctx.progress();
    }

    /// Give the lock up entirely, whatever the recursion depth, and return the depth so
    /// `Condition.wait` can restore it (Python's `_release_save`).
    pub(crate) fn release_save(&self) -> EngineResult<u32> {
        let me = current_worker_or_main();
        let mut st = self.cell.lock();
        if st.owner != Some(me) {
            return Err(EngineError::NotOwner(format!("lock {}", self.name)));
        }
        let depth = st.count;
        st.count = 0;
        self.ctx.emit(Some(self.id), EventKind::LockRelease);
        self.free(&mut st);
        drop(st);
        self.cell.notify_one();
        Ok(depth)
    }

    /// Take the lock back at the saved depth (Python's `_acquire_restore`).
    pub(crate) fn acquire_restore(&self, depth: u32) -> EngineResult<()> {
        self.acquire_n(true, None, depth.max(1)).map(|_| ())
    }

    /// `with rlock:`.
    pub fn lock(&self) -> EngineResult<RLockGuard<'_>> {
        self.acquire(true, None)?;
        Ok(RLockGuard { lock: self })
    }

    /// Whether the calling worker owns it (Python's `_is_owned`).
    pub fn held_by_me(&self) -> bool {
        self.cell.lock().owner == Some(current_worker_or_main())
    }

    /// Current recursion depth (0 when free).
    pub fn depth(&self) -> u32 {
        self.cell.lock().count
    }

    pub fn stats(&self) -> LockStats {
        self.timers.stats()
    }
}

impl Inspect for RLock {
    fn snapshot(&self) -> ObjectState {
        let st = self.cell.lock();
        ObjectState {
            id: self.id,
            name: self.name.clone(),
            kind: Some(ObjectKind::RLock),
            holders: st.owner.into_iter().collect(),
            waiters: st.waiters.clone(),
            timed_waiters: st.timed_waiters.clone(),
            value: Some(st.count as i64),
        }
    }
}

pub struct RLockGuard<'a> {
    lock: &'a RLock,
}

impl Drop for RLockGuard<'_> {
    fn drop(&mut self) {
        let _ = self.lock.release_now();
    }
}
