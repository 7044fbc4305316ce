//! `threading.Barrier`: `parties` workers wait until all have arrived, then all pass.
//!
//! As in Python, `wait` returns each worker's arrival index (0 for the first to arrive,
//! `parties - 1` for the last), a timeout breaks the barrier for everyone, and `abort` /
//! `reset` make current waiters fail with `BrokenBarrier`.

use super::{new_id, register, remove_one};
use crate::engine::liveness::{Inspect, ObjectState};
use crate::engine::run::{current_worker_or_main, RunCtx};
use crate::engine::trace::{EventKind, ObjectId, ObjectKind, WorkerId};
use crate::engine::wait::{deadline_after, WaitCell, Woken};
use crate::engine::{EngineError, EngineResult};
use std::sync::Arc;

struct BState {
    arrived: u32,
    /// Bumped each time the barrier lets a full set of parties through.
    passes: u64,
    /// Bumped by `reset`, so waiters of the old cycle know they were broken.
    resets: u64,
    broken: bool,
    waiters: Vec<WorkerId>,
}

pub struct Barrier {
    ctx: Arc<RunCtx>,
    id: ObjectId,
    name: String,
    parties: u32,
    cell: WaitCell<BState>,
}

impl Barrier {
    /// `Barrier(parties)`; zero parties is Python's `ValueError`.
    pub fn new(ctx: &Arc<RunCtx>, name: &str, parties: u32) -> EngineResult<Arc<Barrier>> {
        if parties == 0 {
            return Err(EngineError::Invalid(
                "ValueError: a barrier needs at least one party".into(),
            ));
        }
        let id = new_id(ctx, name, ObjectKind::Barrier);
        let b = Arc::new(Barrier {
            ctx: ctx.clone(),
            id,
            name: name.to_string(),
            parties,
            cell: WaitCell::new(BState {
                arrived: 0,
                passes: 0,
                resets: 0,
                broken: false,
                waiters: Vec::new(),
            }),
        });
        register(ctx, &b);
        Ok(b)
    }

    pub fn id(&self) -> ObjectId {
        self.id
    }

    pub fn parties(&self) -> u32 {
        self.parties
    }

    /// Workers waiting at the barrier now (`n_waiting`).
    pub fn n_waiting(&self) -> u32 {
        self.cell.lock().arrived
    }

    pub fn broken(&self) -> bool {
        self.cell.lock().broken
    }

    /// Python's `wait(timeout=None)`: the arrival index, or `BrokenBarrier`.
    pub fn wait(&self, timeout: Option<f64>) -> EngineResult<u32> {
        let deadline = deadline_after(timeout)?;
        self.ctx.sync_point()?;
        let me = current_worker_or_main();
        let mut st = self.cell.lock();
        if st.broken {
            return Err(EngineError::BrokenBarrier);
        }
        let index = st.arrived;
        st.arrived += 1;
        self.ctx.emit(
            Some(self.id),
            EventKind::BarrierWait {
                arrived: st.arrived,
                parties: self.parties,
            },
        );
        if st.arrived == self.parties {
            st.arrived = 0;
            st.passes += 1;
            self.ctx.emit(Some(self.id), EventKind::BarrierPass);
            self.ctx.progress();
            drop(st);
            self.cell.notify_all();
            return Ok(index);
        }
        let (passes, resets) = (st.passes, st.resets);
        st.waiters.push(me);
        let waited = self.cell.wait_while(&self.ctx, st, deadline, |s| {
            s.passes == passes && s.resets == resets && !s.broken
        });
        let (mut st, woken) = match waited {
            Ok(x) => x,
            Err(e) => {
                // A cancelled party can never arrive: break the barrier for the others.
                let mut st = self.cell.lock();
                remove_one(&mut st.waiters, me);
                st.broken = true;
                drop(st);
                self.cell.notify_all();
                return Err(e);
            }
        };
        remove_one(&mut st.waiters, me);
        if st.passes != passes {
            self.ctx.emit(Some(self.id), EventKind::BarrierPass);
            return Ok(index);
        }
        if woken == Woken::TimedOut && st.resets == resets {
            self.ctx.emit(Some(self.id), EventKind::WaitTimedOut);
            st.broken = true;
            drop(st);
            self.cell.notify_all();
        }
        Err(EngineError::BrokenBarrier)
    }

    /// Python's `abort()`: break the barrier; current and future waits fail.
    pub fn abort(&self) -> EngineResult<()> {
        self.ctx.sync_point()?;
        let mut st = self.cell.lock();
        st.broken = true;
        self.ctx.emit(
            Some(self.id),
            EventKind::Note {
                text: format!("barrier {} aborted", self.name),
            },
        );
        drop(st);
        self.cell.notify_all();
        Ok(())
    }

    /// Python's `reset()`: back to empty; workers waiting now get `BrokenBarrier`.
    pub fn reset(&self) -> EngineResult<()> {
        self.ctx.sync_point()?;
        let mut st = self.cell.lock();
        st.arrived = 0;
        st.resets += 1;
        st.broken = false;
        self.ctx.emit(
            Some(self.id),
            EventKind::Note {
                text: format!("barrier {} reset", self.name),
            },
        );
        drop(st);
        self.cell.notify_all();
        Ok(())
    }
}

impl Inspect for Barrier {
    fn snapshot(&self) -> ObjectState {
        let st = self.cell.lock();
        ObjectState {
            id: self.id,
            name: self.name.clone(),
            kind: Some(ObjectKind::Barrier),
            holders: Vec::new(),
            waiters: st.waiters.clone(),
            timed_waiters: Vec::new(),
            value: Some(st.arrived as i64),
        }
    }
}
