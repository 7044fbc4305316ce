//! `threading.Semaphore` and `BoundedSemaphore`: a counter that blocks `acquire` at zero.
//!
//! Besides the value, it tracks who is "inside" (acquired and not yet released) and the
//! most that were ever inside at once, because the semaphore lesson's claim is that this
//! never exceeds the initial value. A bounded semaphore refuses a release past its initial
//! value (Python's `ValueError`).
//!
//! A semaphore has no owner, so "inside" is a reading of how it is used. Used as a limit
//! (the semaphore lesson), each worker releases what it acquired. Used as a signal (the
//! bounded buffer's `fill`, a start gate), one worker releases and another acquires: a
//! release with nobody inside is a signal, and the acquire that takes it is not an entry.
//! Counted as entries, the buffer's consumers piled up "inside" `fill` for good.

use super::{check_blocking_args, new_id, register, remove_one};
use crate::engine::liveness::{Inspect, ObjectState};
use crate::engine::run::{current_worker_or_main, RunCtx};
use crate::engine::trace::{EventKind, ObjectId, ObjectKind, WorkerId};
use crate::engine::wait::{deadline_after, WaitCell, Woken};
use crate::engine::{EngineError, EngineResult};
use std::sync::Arc;

/// What a semaphore has seen since it was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SemaphoreStats {
    pub value: i64,
    /// Acquired and not yet released, right now.
    pub inside: u32,
    /// The most ever inside at once.
    pub max_inside: u32,
    pub acquisitions: u64,
}

struct SState {
    value: i64,
    holders: Vec<WorkerId>,
    /// Releases made with nobody inside (signals) that no acquire has taken yet.
    signals: u64,
    max_inside: u32,
    acquisitions: u64,
    waiters: Vec<WorkerId>,
}

pub struct Semaphore {
    ctx: Arc<RunCtx>,
    id: ObjectId,
    name: String,
    /// `Some(initial)` for a bounded semaphore.
    bound: Option<i64>,
    cell: WaitCell<SState>,
}

/// `BoundedSemaphore(value)`: a [`Semaphore`] that refuses to be released above its
/// initial value. (A constructor only; the object is a `Semaphore`.)
pub struct BoundedSemaphore;

impl BoundedSemaphore {
    #[allow(clippy::new_ret_no_self)]
    pub fn new(ctx: &Arc<RunCtx>, name: &str, value: u32) -> Arc<Semaphore> {
        Semaphore::bounded(ctx, name, value)
    }
}

impl Semaphore {
    /// `Semaphore(value)`.
    pub fn new(ctx: &Arc<RunCtx>, name: &str, value: u32) -> Arc<Semaphore> {
        Self::build(ctx, name, value, false)
    }

    /// `BoundedSemaphore(value)`.
    pub fn bounded(ctx: &Arc<RunCtx>, name: &str, value: u32) -> Arc<Semaphore> {
        Self::build(ctx, name, value, true)
    }

    fn build(ctx: &Arc<RunCtx>, name: &str, value: u32, bounded: bool) -> Arc<Semaphore> {
        let kind = if bounded {
            ObjectKind::BoundedSemaphore
        } else {
            ObjectKind::Semaphore
        };
        let id = new_id(ctx, name, kind);
        let s = Arc::new(Semaphore {
            ctx: ctx.clone(),
            id,
            name: name.to_string(),
            bound: bounded.then_some(value as i64),
            cell: WaitCell::new(SState {
                value: value as i64,
                holders: Vec::new(),
                signals: 0,
                max_inside: 0,
                acquisitions: 0,
                waiters: Vec::new(),
            }),
        });
        register(ctx, &s);
        ctx.emit(
            Some(id),
            EventKind::Counter {
                name: "value".into(),
                value: value as i64,
            },
        );
        s
    }

    pub fn id(&self) -> ObjectId {
        self.id
    }

    pub fn is_bounded(&self) -> bool {
        self.bound.is_some()
    }

    /// Python's `acquire(blocking=True, timeout=None)`: false if it could not.
    pub fn acquire(&self, blocking: bool, timeout: Option<f64>) -> EngineResult<bool> {
        check_blocking_args(blocking, timeout)?;
        let deadline = deadline_after(timeout)?;
        self.ctx.sync_point()?;
        let me = current_worker_or_main();
        let mut st = self.cell.lock();
        if st.value == 0 {
            if !blocking {
                return Ok(false);
            }
            self.ctx.emit(Some(self.id), EventKind::SemWait);
            st.waiters.push(me);
            let (s, woken) = match self
                .cell
                .wait_while(&self.ctx, st, deadline, |s| s.value == 0)
            {
                Ok(x) => x,
                Err(e) => {
                    remove_one(&mut self.cell.lock().waiters, me);
                    return Err(e);
                }
            };
            st = s;
            remove_one(&mut st.waiters, me);
            if woken == Woken::TimedOut {
                self.ctx.emit(Some(self.id), EventKind::WaitTimedOut);
                return Ok(false);
            }
        }
        st.value -= 1;
        if st.signals > 0 {
            st.signals -= 1;
        } else {
            st.holders.push(me);
        }
        st.acquisitions += 1;
        st.max_inside = st.max_inside.max(st.holders.len() as u32);
        let value = st.value;
        self.ctx
            .emit(Some(self.id), EventKind::SemAcquire { value });
        self.emit_value(value);
        self.ctx.progress();
        Ok(true)
    }

    /// Python's `release(n=1)`.
    pub fn release(&self, n: u32) -> EngineResult<()> {
        if n == 0 {
            return Err(EngineError::Invalid(
                "ValueError: n must be one or more".into(),
            ));
        }
        self.ctx.sync_point()?;
        self.release_now(n)
    }

    /// Release without a sync point (guards must release even while cancelling).
    fn release_now(&self, n: u32) -> EngineResult<()> {
        let me = current_worker_or_main();
        let mut st = self.cell.lock();
        if let Some(bound) = self.bound {
            if st.value + n as i64 > bound {
                return Err(EngineError::OverRelease);
            }
        }
        st.value += n as i64;
        for _ in 0..n {
            // Usually the releaser is the one inside. When someone else releases (the
            // bounded buffer's consumers free the slots producers took), the oldest
            // holder leaves; with nobody inside, the release is a signal.
            if st.holders.contains(&me) {
                remove_one(&mut st.holders, me);
            } else if !st.holders.is_empty() {
                st.holders.remove(0);
            } else {
                st.signals += 1;
            }
        }
        let value = st.value;
        self.ctx
            .emit(Some(self.id), EventKind::SemRelease { value });
        self.emit_value(value);
        self.ctx.progress();
        drop(st);
        if n == 1 {
            self.cell.notify_one();
        } else {
            self.cell.notify_all();
        }
        Ok(())
    }

    fn emit_value(&self, value: i64) {
        self.ctx.emit(
            Some(self.id),
            EventKind::Counter {
                name: "value".into(),
                value,
            },
        );
    }

    /// `with sem:` — acquire, release when the guard drops.
    pub fn lock(&self) -> EngineResult<SemGuard<'_>> {
        self.acquire(true, None)?;
        Ok(SemGuard { sem: self })
    }

    pub fn value(&self) -> i64 {
        self.cell.lock().value
    }

    pub fn stats(&self) -> SemaphoreStats {
        let st = self.cell.lock();
        SemaphoreStats {
            value: st.value,
            inside: st.holders.len() as u32,
            max_inside: st.max_inside,
            acquisitions: st.acquisitions,
        }
    }

    /// Workers inside right now, oldest first (a worker may appear more than once).
    pub fn holders(&self) -> Vec<WorkerId> {
        self.cell.lock().holders.clone()
    }
}

impl Inspect for Semaphore {
    fn snapshot(&self) -> ObjectState {
        let st = self.cell.lock();
        ObjectState {
            id: self.id,
            name: self.name.clone(),
            kind: Some(if self.bound.is_some() {
                ObjectKind::BoundedSemaphore
            } else {
                ObjectKind::Semaphore
            }),
            holders: st.holders.clone(),
            waiters: st.waiters.clone(),
            timed_waiters: Vec::new(),
            value: Some(st.value),
        }
    }
}

pub struct SemGuard<'a> {
    sem: &'a Semaphore,
}

impl Drop for SemGuard<'_> {
    fn drop(&mut self) {
        let _ = self.sem.release_now(1);
    }
}
