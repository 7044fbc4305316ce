//! The one place every blocking wait goes through.
//!
//! A primitive keeps its state in a [`WaitCell`] (a mutex and a condition variable). To
//! block, it calls [`WaitCell::wait_while`], which wakes every [`CANCEL_POLL`] to look at
//! the run's cancel flag, so any wait (a deadlock, a consumer waiting for a sentinel that
//! never comes) ends within the cancel budget and returns `Err(Cancelled)` instead of
//! hanging the Web Worker. Slow motion happens at the run's `sync_point`.

use super::error::{EngineError, EngineResult};
use super::run::{RunCtx, CANCEL_POLL};
use std::sync::{Condvar, Mutex, MutexGuard};
use web_time::Instant;

pub struct WaitCell<T> {
    state: Mutex<T>,
    cv: Condvar,
}

/// How a wait ended when it did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Woken {
    /// The condition became false.
    Ready,
    /// The deadline passed first.
    TimedOut,
}

impl<T> WaitCell<T> {
    pub fn new(state: T) -> Self {
        WaitCell {
            state: Mutex::new(state),
            cv: Condvar::new(),
        }
    }

    /// Lock the state for a short, non-blocking critical section.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Block while `blocked(&mut state)` is true, until `deadline` if given. Cancellable.
    pub fn wait_while<'a>(
        &'a self,
        ctx: &RunCtx,
        mut guard: MutexGuard<'a, T>,
        deadline: Option<Instant>,
        mut blocked: impl FnMut(&mut T) -> bool,
    ) -> EngineResult<(MutexGuard<'a, T>, Woken)> {
        loop {
            if !blocked(&mut guard) {
                return Ok((guard, Woken::Ready));
            }
            if ctx.is_cancelled() {
                return Err(EngineError::Cancelled);
            }
            let mut slice = CANCEL_POLL;
            if let Some(d) = deadline {
                let now = Instant::now();
                if now >= d {
                    return Ok((guard, Woken::TimedOut));
                }
                slice = slice.min(d - now);
            }
            guard = self
                .cv
                .wait_timeout(guard, slice)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    pub fn notify_one(&self) {
        self.cv.notify_one();
    }

    pub fn notify_all(&self) {
        self.cv.notify_all();
    }
}

/// `timeout` in seconds (Python style: `None` blocks forever) to a deadline.
/// Negative or NaN timeouts are Python's `ValueError`.
pub fn deadline_after(timeout: Option<f64>) -> EngineResult<Option<Instant>> {
    match timeout {
        None => Ok(None),
        Some(t) if t.is_nan() || t < 0.0 => Err(EngineError::Invalid(
            "ValueError: timeout must be a non-negative number".into(),
        )),
        Some(t) => Ok(Some(
            Instant::now() + std::time::Duration::from_secs_f64(t.min(1e9)),
        )),
    }
}
