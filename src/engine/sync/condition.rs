//! `threading.Condition`: wait until notified, giving the lock up while waiting.
//!
//! As in Python, a condition made without a lock gets its own reentrant lock, and waiting
//! or notifying without holding the lock is a `RuntimeError` (here `NotOwner`). Each wait
//! takes a ticket; `notify(n)` hands wake-ups to the `n` oldest tickets, so `notify` wakes
//! exactly one waiter and `notify_all` every one, which is what the lesson contrasts.

use super::lock::Lock;
use super::rlock::RLock;
use super::{new_id, register};
use crate::engine::liveness::{Inspect, ObjectState};
use crate::engine::run::{current_worker_or_main, RunCtx};
use crate::engine::trace::{EventKind, ObjectId, ObjectKind, WorkerId};
use crate::engine::wait::{deadline_after, WaitCell, Woken};
use crate::engine::{EngineError, EngineResult};
use std::collections::VecDeque;
use std::sync::Arc;
use web_time::Instant;

/// The lock a condition is built on.
#[derive(Clone)]
pub enum CondLock {
    Lock(Arc<Lock>),
    RLock(Arc<RLock>),
}

struct CState {
    next_ticket: u64,
    /// Waiting tickets, oldest first, with their worker.
    waiting: VecDeque<(u64, WorkerId)>,
    /// Tickets notified but not yet woken.
    notified: Vec<u64>,
}

pub struct Condition {
    ctx: Arc<RunCtx>,
    id: ObjectId,
    name: String,
    lock: CondLock,
    cell: WaitCell<CState>,
}

impl Condition {
    /// `Condition()`: with its own `RLock`, named after the condition.
    pub fn new(ctx: &Arc<RunCtx>, name: &str) -> Arc<Condition> {
        let lock = RLock::new(ctx, &format!("{name}.lock"));
        Self::build(ctx, name, CondLock::RLock(lock))
    }

    /// `Condition(lock)` with a plain lock.
    pub fn with_lock(ctx: &Arc<RunCtx>, name: &str, lock: Arc<Lock>) -> Arc<Condition> {
        Self::build(ctx, name, CondLock::Lock(lock))
    }

    /// `Condition(rlock)`.
    pub fn with_rlock(ctx: &Arc<RunCtx>, name: &str, lock: Arc<RLock>) -> Arc<Condition> {
        Self::build(ctx, name, CondLock::RLock(lock))
    }

    fn build(ctx: &Arc<RunCtx>, name: &str, lock: CondLock) -> Arc<Condition> {
        let id = new_id(ctx, name, ObjectKind::Condition);
        let c = Arc::new(Condition {
            ctx: ctx.clone(),
            id,
            name: name.to_string(),
            lock,
            cell: WaitCell::new(CState {
                next_ticket: 0,
                waiting: VecDeque::new(),
                notified: Vec::new(),
            }),
        });
        register(ctx, &c);
        c
    }

    pub fn id(&self) -> ObjectId {
        self.id
    }

    pub fn lock_ref(&self) -> &CondLock {
        &self.lock
    }

    pub fn acquire(&self, blocking: bool, timeout: Option<f64>) -> EngineResult<bool> {
        match &self.lock {
            CondLock::Lock(l) => l.acquire(blocking, timeout),
            CondLock::RLock(l) => l.acquire(blocking, timeout),
        }
    }

    pub fn release(&self) -> EngineResult<()> {
        match &self.lock {
            CondLock::Lock(l) => l.release(),
            CondLock::RLock(l) => l.release(),
        }
    }

    /// `with cond:`.
    pub fn lock(&self) -> EngineResult<CondGuard<'_>> {
        self.acquire(true, None)?;
        Ok(CondGuard { cond: self })
    }

    fn owned(&self) -> bool {
        match &self.lock {
            CondLock::Lock(l) => l.held_by_me(),
            CondLock::RLock(l) => l.held_by_me(),
        }
    }

    fn require_owned(&self, op: &str) -> EngineResult<()> {
        if self.owned() {
            Ok(())
        } else {
            Err(EngineError::NotOwner(format!(
                "lock: {op}() on condition {} needs its lock held",
                self.name
            )))
        }
    }

    /// Python's `wait(timeout=None)`: release the lock, block until notified or the timeout
    /// runs out, take the lock back. True unless it timed out.
    pub fn wait(&self, timeout: Option<f64>) -> EngineResult<bool> {
        let deadline = deadline_after(timeout)?;
        self.wait_until(deadline)
    }

    fn wait_until(&self, deadline: Option<Instant>) -> EngineResult<bool> {
        self.require_owned("wait")?;
        self.ctx.sync_point()?;
        let me = current_worker_or_main();
        let ticket = {
            let mut st = self.cell.lock();
            let t = st.next_ticket;
            st.next_ticket += 1;
            st.waiting.push_back((t, me));
            t
        };
        // Give the lock up only after taking a ticket, so a notify in between is not lost.
        let saved = match &self.lock {
            CondLock::Lock(l) => l.release_now().map(|_| 1),
            CondLock::RLock(l) => l.release_save(),
        };
        if let Err(e) = saved {
            self.forget(ticket);
            return Err(e);
        }
        let depth = saved.unwrap_or(1);
        self.ctx.emit(Some(self.id), EventKind::CondWait);
        let st = self.cell.lock();
        let waited = self
            .cell
            .wait_while(&self.ctx, st, deadline, |s| !s.notified.contains(&ticket));
        let timed_out = match waited {
            Ok((mut st, woken)) => {
                let was_notified = remove_ticket(&mut st, ticket);
                woken == Woken::TimedOut && !was_notified
            }
            Err(e) => {
                self.forget(ticket);
                return Err(e);
            }
        };
        if timed_out {
            self.ctx.emit(Some(self.id), EventKind::WaitTimedOut);
        }
        self.ctx
            .emit(Some(self.id), EventKind::CondWake { timed_out });
        match &self.lock {
            CondLock::Lock(l) => l.acquire(true, None).map(|_| ())?,
            CondLock::RLock(l) => l.acquire_restore(depth)?,
        }
        Ok(!timed_out)
    }

    fn forget(&self, ticket: u64) {
        remove_ticket(&mut self.cell.lock(), ticket);
    }

    /// Python's `wait_for(predicate, timeout=None)`: wait until `predicate()` is true or the
    /// timeout runs out; returns the predicate's last value.
    pub fn wait_for(
        &self,
        mut predicate: impl FnMut() -> bool,
        timeout: Option<f64>,
    ) -> EngineResult<bool> {
        let deadline = deadline_after(timeout)?;
        loop {
            if predicate() {
                return Ok(true);
            }
            if let Some(d) = deadline {
                if Instant::now() >= d {
                    return Ok(false);
                }
            }
            self.wait_until(deadline)?;
        }
    }

    /// Python's `notify(n=1)`: wake up to `n` of the oldest waiters.
    pub fn notify(&self, n: usize) -> EngineResult<()> {
        self.require_owned("notify")?;
        self.ctx.sync_point()?;
        let mut st = self.cell.lock();
        let mut woken = 0u32;
        while (woken as usize) < n {
            let Some((t, _)) = st.waiting.pop_front() else {
                break;
            };
            st.notified.push(t);
            woken += 1;
        }
        self.ctx
            .emit(Some(self.id), EventKind::CondNotify { n: woken });
        if woken > 0 {
            self.ctx.progress();
        }
        drop(st);
        if woken > 0 {
            self.cell.notify_all();
        }
        Ok(())
    }

    pub fn notify_all(&self) -> EngineResult<()> {
        self.notify(usize::MAX)
    }

    /// How many workers wait on it right now.
    pub fn waiting(&self) -> usize {
        self.cell.lock().waiting.len()
    }
}

/// Drop a ticket from both lists; true if it had been notified.
fn remove_ticket(st: &mut CState, ticket: u64) -> bool {
    st.waiting.retain(|(t, _)| *t != ticket);
    if let Some(i) = st.notified.iter().position(|t| *t == ticket) {
        st.notified.swap_remove(i);
        true
    } else {
        false
    }
}

impl Inspect for Condition {
    fn snapshot(&self) -> ObjectState {
        let st = self.cell.lock();
        ObjectState {
            id: self.id,
            name: self.name.clone(),
            kind: Some(ObjectKind::Condition),
            holders: Vec::new(),
            waiters: st.waiting.iter().map(|(_, w)| *w).collect(),
            timed_waiters: Vec::new(),
            value: Some(st.waiting.len() as i64),
        }
    }
}

pub struct CondGuard<'a> {
    cond: &'a Condition,
}

impl Drop for CondGuard<'_> {
    fn drop(&mut self) {
        match &self.cond.lock {
            CondLock::Lock(l) => l.release_if_mine(),
            // Only the owner can release an RLock, so an error here means "not mine".
            CondLock::RLock(l) => {
                let _ = l.release_now();
            }
        }
    }
}
