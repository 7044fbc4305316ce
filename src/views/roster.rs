//! Names of workers and objects, learned from `WorkerNew` and `ObjectNew` events.
//!
//! Maps, not vectors indexed by id: a loaded trace file is untrusted, and an id of
//! `u32::MAX` must not make a view allocate gigabytes.

use crate::engine::trace::{
    Event, EventKind, Flavour, ObjectId, ObjectKind, WorkerId, MAIN_WORKER,
};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub struct WorkerInfo {
    pub name: String,
    pub flavour: Flavour,
    pub daemon: bool,
    /// The pool it serves, for a pool's worker: idle between tasks, not running.
    pub pool: Option<ObjectId>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ObjectInfo {
    pub name: String,
    pub kind: ObjectKind,
}

#[derive(Clone, Debug, Default)]
pub struct Roster {
    workers: BTreeMap<WorkerId, WorkerInfo>,
    objects: BTreeMap<ObjectId, ObjectInfo>,
}

impl Roster {
    /// Learn from one event; returns true when it named somebody.
    pub fn apply(&mut self, e: &Event) -> bool {
        match &e.kind {
            EventKind::WorkerNew {
                name,
                flavour,
                daemon,
            } => {
                self.workers.insert(
                    e.worker,
                    WorkerInfo {
                        name: name.clone(),
                        flavour: *flavour,
                        daemon: *daemon,
                        pool: e.object,
                    },
                );
                true
            }
            EventKind::ObjectNew { name, kind } => {
                if let Some(id) = e.object {
                    self.objects.insert(
                        id,
                        ObjectInfo {
                            name: name.clone(),
                            kind: *kind,
                        },
                    );
                }
                true
            }
            _ => false,
        }
    }

    /// A worker's display name: its `WorkerNew` name, `MainThread` for worker 0, or a
    /// placeholder for a worker the trace never introduced.
    pub fn worker_name(&self, id: WorkerId) -> String {
        match self.workers.get(&id) {
            Some(w) => w.name.clone(),
            None if id == MAIN_WORKER => "MainThread".into(),
            None => format!("worker-{id}"),
        }
    }

    pub fn worker(&self, id: WorkerId) -> Option<&WorkerInfo> {
        self.workers.get(&id)
    }

    /// Every named worker, by id.
    pub fn workers(&self) -> impl Iterator<Item = (WorkerId, &WorkerInfo)> {
        self.workers.iter().map(|(k, v)| (*k, v))
    }

    pub fn object(&self, id: ObjectId) -> Option<&ObjectInfo> {
        self.objects.get(&id)
    }

    pub fn object_name(&self, id: ObjectId) -> String {
        self.objects
            .get(&id)
            .map(|o| o.name.clone())
            .unwrap_or_else(|| format!("object-{id}"))
    }
}
