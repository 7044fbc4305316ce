//! Instrumented synchronisation primitives with the semantics of Python's `threading`,
//! `queue` and `multiprocessing` counterparts.
//!
//! Every primitive follows the same pattern, so the detectors and views can rely on it:
//! - it is created with the run and a display name, gets an object id from
//!   [`RunCtx::new_object`] and registers a weak handle in the run's registry, so the
//!   deadlock and stall detectors can ask it for its state;
//! - each operation calls [`RunCtx::sync_point`] first (slow motion and cancel), records
//!   what it does as trace events, and marks progress when something moves;
//! - it blocks only through [`WaitCell::wait_while`](super::wait::WaitCell::wait_while), so
//!   every wait is cancellable.

pub mod barrier;
pub mod condition;
pub mod event;
pub mod lock;
pub mod manager;
pub mod queue;
pub mod rlock;
pub mod semaphore;
pub mod shared;
pub mod stdout;

pub use barrier::Barrier;
pub use condition::Condition;
pub use event::Event;
pub use lock::{Lock, LockGuard, LockStats};
pub use manager::{DictProxy, Manager, ManagerStats};
pub use queue::Queue;
pub use rlock::{RLock, RLockGuard};
pub use semaphore::{BoundedSemaphore, Semaphore, SemaphoreStats};
pub use shared::{Array, Scalar, Value};

use super::liveness::Inspect;
use super::run::RunCtx;
use super::trace::{ObjectId, ObjectKind};
use std::sync::Arc;

/// Give a primitive its id (recording `ObjectNew`) before it is built.
pub(crate) fn new_id(ctx: &RunCtx, name: &str, kind: ObjectKind) -> ObjectId {
    ctx.new_object(name, kind)
}

/// Make a freshly built primitive visible to the detectors.
pub(crate) fn register<T: Inspect + 'static>(ctx: &RunCtx, obj: &Arc<T>) {
    let weak: std::sync::Weak<T> = Arc::downgrade(obj);
    ctx.registry.register_object(weak);
}

/// Remove one occurrence of `w` from a list of workers (a worker may appear twice when it
/// holds two units of a semaphore).
pub(crate) fn remove_one(list: &mut Vec<super::trace::WorkerId>, w: super::trace::WorkerId) {
    if let Some(i) = list.iter().position(|x| *x == w) {
        list.remove(i);
    }
}

/// Python refuses `acquire(blocking=False, timeout=...)`; so do we.
pub(crate) fn check_blocking_args(blocking: bool, timeout: Option<f64>) -> super::EngineResult<()> {
    if !blocking && timeout.is_some() {
        return Err(super::EngineError::Invalid(
            "ValueError: can't specify a timeout for a non-blocking call".into(),
        ));
    }
    Ok(())
}
