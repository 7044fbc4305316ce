//! What the deadlock and stall detectors read: every primitive registers itself here once,
//! at creation (not on the hot path), and can be asked for a snapshot of its state. The
//! state panel of the UI is fed from the same snapshots' events.

use super::trace::{ObjectId, ObjectKind, WorkerId};
use std::sync::{Mutex, Weak};

/// A primitive's live state, as the detectors and the state panel see it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObjectState {
    pub id: ObjectId,
    pub name: String,
    pub kind: Option<ObjectKind>,
    /// Workers that hold it (a lock's owner; a semaphore's holders).
    pub holders: Vec<WorkerId>,
    /// Workers blocked on it right now.
    pub waiters: Vec<WorkerId>,
    /// A count where the primitive has one (semaphore value, queue length, event flag as 0/1).
    pub value: Option<i64>,
}

/// Implemented by every primitive so the detectors can see it.
pub trait Inspect: Send + Sync {
    fn snapshot(&self) -> ObjectState;
}

/// The run's registry of primitives and worker names.
#[derive(Default)]
pub struct Registry {
    objects: Mutex<Vec<Weak<dyn Inspect>>>,
    workers: Mutex<Vec<(WorkerId, String)>>,
}

impl Registry {
    pub fn register_object(&self, o: Weak<dyn Inspect>) {
        lock(&self.objects).push(o);
    }

    pub fn register_worker(&self, id: WorkerId, name: &str) {
        lock(&self.workers).push((id, name.to_string()));
    }

    pub fn worker_name(&self, id: WorkerId) -> String {
        if id == super::trace::MAIN_WORKER {
            return "MainThread".into();
        }
        lock(&self.workers)
            .iter()
            .find(|(w, _)| *w == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| format!("worker-{id}"))
    }

    /// Snapshots of every primitive still alive.
    pub fn snapshot(&self) -> Vec<ObjectState> {
        let mut v = lock(&self.objects);
        v.retain(|w| w.strong_count() > 0);
        v.iter()
            .filter_map(|w| w.upgrade())
            .map(|o| o.snapshot())
            .collect()
    }
}

/// Poisoning cannot happen under `panic=abort`; natively, keep going with the data.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
