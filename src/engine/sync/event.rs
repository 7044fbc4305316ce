//! `threading.Event`: a flag workers can wait for. `set()` wakes every waiter, even if the
//! flag is cleared again before they run (as in Python, `wait()` then returns true).

use super::{new_id, register, remove_one};
use crate::engine::liveness::{Inspect, ObjectState};
use crate::engine::run::{current_worker_or_main, RunCtx};
use crate::engine::trace::{EventKind, ObjectId, ObjectKind, WorkerId};
use crate::engine::wait::{deadline_after, WaitCell, Woken};
use crate::engine::EngineResult;
use std::sync::Arc;

struct EState {
    flag: bool,
    /// Bumped by every `set()`, so a waiter knows it was woken even if the flag was
    /// cleared again before it looked.
    sets: u64,
    waiters: Vec<WorkerId>,
}

pub struct Event {
    ctx: Arc<RunCtx>,
    id: ObjectId,
    name: String,
    cell: WaitCell<EState>,
}

impl Event {
    pub fn new(ctx: &Arc<RunCtx>, name: &str) -> Arc<Event> {
        let id = new_id(ctx, name, ObjectKind::Event);
        let ev = Arc::new(Event {
            ctx: ctx.clone(),
            id,
            name: name.to_string(),
            cell: WaitCell::new(EState {
                flag: false,
                sets: 0,
                waiters: Vec::new(),
            }),
        });
        register(ctx, &ev);
        ev
    }

    pub fn id(&self) -> ObjectId {
        self.id
    }

    pub fn is_set(&self) -> bool {
        self.cell.lock().flag
    }

    pub fn set(&self) -> EngineResult<()> {
        self.ctx.sync_point()?;
        let mut st = self.cell.lock();
        st.flag = true;
        st.sets += 1;
        self.ctx.emit(Some(self.id), EventKind::EventSet);
        self.ctx.progress();
        drop(st);
        self.cell.notify_all();
        Ok(())
    }

    pub fn clear(&self) -> EngineResult<()> {
        self.ctx.sync_point()?;
        let mut st = self.cell.lock();
        st.flag = false;
        self.ctx.emit(Some(self.id), EventKind::EventClear);
        Ok(())
    }

    /// Python's `wait(timeout=None)`: true once the event is set, false on timeout.
    pub fn wait(&self, timeout: Option<f64>) -> EngineResult<bool> {
        let deadline = deadline_after(timeout)?;
        self.ctx.sync_point()?;
        let me = current_worker_or_main();
        let mut st = self.cell.lock();
        if st.flag {
            self.ctx
                .emit(Some(self.id), EventKind::EventWake { flag: true });
            return Ok(true);
        }
        self.ctx.emit(Some(self.id), EventKind::EventWait);
        let seen = st.sets;
        st.waiters.push(me);
        let (mut st, woken) = match self
            .cell
            .wait_while(&self.ctx, st, deadline, |s| !s.flag && s.sets == seen)
        {
            Ok(x) => x,
            Err(e) => {
                remove_one(&mut self.cell.lock().waiters, me);
                return Err(e);
            }
        };
        remove_one(&mut st.waiters, me);
        let flag = woken == Woken::Ready;
        if !flag {
            self.ctx.emit(Some(self.id), EventKind::WaitTimedOut);
        }
        self.ctx.emit(Some(self.id), EventKind::EventWake { flag });
        if flag {
            self.ctx.progress();
        }
        Ok(flag)
    }
}

impl Inspect for Event {
    fn snapshot(&self) -> ObjectState {
        let st = self.cell.lock();
        ObjectState {
            id: self.id,
            name: self.name.clone(),
            kind: Some(ObjectKind::Event),
            holders: Vec::new(),
            waiters: st.waiters.clone(),
            timed_waiters: Vec::new(),
            value: Some(st.flag as i64),
        }
    }
}
