//! `queue.Queue` / `multiprocessing.Queue`: a FIFO, bounded when `maxsize > 0`.
//!
//! Every item gets an id when it is put. `QueuePut` and `QueueGet` carry it, so a view can
//! draw each hand-off from producer to consumer, and the state panel shows the contents as
//! ids. `task_done` and `join` follow Python: `join` waits until every item put has been
//! marked done, and one `task_done` too many is a `ValueError`.

use super::{new_id, register, remove_one};
use crate::engine::liveness::{Inspect, ObjectState};
use crate::engine::run::{current_worker_or_main, RunCtx};
use crate::engine::trace::{EventKind, ObjectId, ObjectKind, QueueOp, WorkerId};
use crate::engine::wait::{deadline_after, WaitCell, Woken};
use crate::engine::{EngineError, EngineResult};
use std::collections::VecDeque;
use std::sync::Arc;

struct QState<T> {
    items: VecDeque<(u64, T)>,
    next_item: u64,
    /// Items put and not yet marked done (Python's `unfinished_tasks`).
    unfinished: u64,
    waiters: Vec<WorkerId>,
}

pub struct Queue<T> {
    ctx: Arc<RunCtx>,
    id: ObjectId,
    name: String,
    maxsize: usize,
    cell: WaitCell<QState<T>>,
}

impl<T: Send + 'static> Queue<T> {
    /// `Queue(maxsize)`: `0` means unbounded, as in Python.
    pub fn new(ctx: &Arc<RunCtx>, name: &str, maxsize: usize) -> Arc<Queue<T>> {
        let id = new_id(ctx, name, ObjectKind::Queue);
        let q = Arc::new(Queue {
            ctx: ctx.clone(),
            id,
            name: name.to_string(),
            maxsize,
            cell: WaitCell::new(QState {
                items: VecDeque::new(),
                next_item: 1,
                unfinished: 0,
                waiters: Vec::new(),
            }),
        });
        register(ctx, &q);
        // Its size limit, for the state panel's "3 of 5" (0: unbounded).
        ctx.emit(
            Some(id),
            EventKind::Counter {
                name: "maxsize".into(),
                value: maxsize.min(i64::MAX as usize) as i64,
            },
        );
        q
    }

    pub fn id(&self) -> ObjectId {
        self.id
    }

    pub fn maxsize(&self) -> usize {
        self.maxsize
    }

    fn is_full(&self, st: &QState<T>) -> bool {
        self.maxsize > 0 && st.items.len() >= self.maxsize
    }

    /// Python's `put(item, block=True, timeout=None)`. Returns the item's id.
    /// `Full` if it cannot put without blocking, or the timeout ran out.
    pub fn put(&self, item: T, block: bool, timeout: Option<f64>) -> EngineResult<u64> {
        let deadline = if block {
            deadline_after(timeout)?
        } else {
            None
        };
        self.ctx.sync_point()?;
        let me = current_worker_or_main();
        let mut st = self.cell.lock();
        if self.is_full(&st) {
            if !block {
                return Err(EngineError::Full);
            }
            self.ctx
                .emit(Some(self.id), EventKind::QueueBlocked { op: QueueOp::Put });
            st.waiters.push(me);
            let (s, woken) = self.wait(st, deadline, me, |q, s| q.is_full(s))?;
            st = s;
            if woken == Woken::TimedOut {
                self.ctx.emit(Some(self.id), EventKind::WaitTimedOut);
                return Err(EngineError::Full);
            }
        }
        let item_id = st.next_item;
        st.next_item += 1;
        st.items.push_back((item_id, item));
        st.unfinished += 1;
        let len = st.items.len() as u32;
        self.ctx
            .emit(Some(self.id), EventKind::QueuePut { item: item_id, len });
        self.emit_len(len);
        self.ctx.progress();
        drop(st);
        self.cell.notify_all();
        Ok(item_id)
    }

    /// Python's `get(block=True, timeout=None)`. `Empty` if nothing came in time.
    pub fn get(&self, block: bool, timeout: Option<f64>) -> EngineResult<T> {
        self.get_with_id(block, timeout).map(|(_, item)| item)
    }

    /// Like [`get`](Self::get), with the item's id.
    pub fn get_with_id(&self, block: bool, timeout: Option<f64>) -> EngineResult<(u64, T)> {
        let deadline = if block {
            deadline_after(timeout)?
        } else {
            None
        };
        self.ctx.sync_point()?;
        let me = current_worker_or_main();
        let mut st = self.cell.lock();
        if st.items.is_empty() {
            if !block {
                return Err(EngineError::Empty);
            }
            self.ctx
                .emit(Some(self.id), EventKind::QueueBlocked { op: QueueOp::Get });
            st.waiters.push(me);
            let (s, woken) = self.wait(st, deadline, me, |_, s| s.items.is_empty())?;
            st = s;
            if woken == Woken::TimedOut {
                self.ctx.emit(Some(self.id), EventKind::WaitTimedOut);
                return Err(EngineError::Empty);
            }
        }
        let Some((item_id, item)) = st.items.pop_front() else {
            return Err(EngineError::Empty);
        };
        let len = st.items.len() as u32;
        self.ctx
            .emit(Some(self.id), EventKind::QueueGet { item: item_id, len });
        self.emit_len(len);
        self.ctx.progress();
        drop(st);
        self.cell.notify_all();
        Ok((item_id, item))
    }

    /// Block while `blocked`, keeping the waiter list right on every way out.
    fn wait<'a>(
        &'a self,
        st: std::sync::MutexGuard<'a, QState<T>>,
        deadline: Option<web_time::Instant>,
        me: WorkerId,
        blocked: impl Fn(&Self, &QState<T>) -> bool,
    ) -> EngineResult<(std::sync::MutexGuard<'a, QState<T>>, Woken)> {
        match self
            .cell
            .wait_while(&self.ctx, st, deadline, |s| blocked(self, s))
        {
            Ok((mut st, woken)) => {
                remove_one(&mut st.waiters, me);
                Ok((st, woken))
            }
            Err(e) => {
                remove_one(&mut self.cell.lock().waiters, me);
                Err(e)
            }
        }
    }

    pub fn put_nowait(&self, item: T) -> EngineResult<u64> {
        self.put(item, false, None)
    }

    pub fn get_nowait(&self) -> EngineResult<T> {
        self.get(false, None)
    }

    fn emit_len(&self, len: u32) {
        self.ctx.emit(
            Some(self.id),
            EventKind::Counter {
                name: "len".into(),
                value: len as i64,
            },
        );
    }

    pub fn qsize(&self) -> usize {
        self.cell.lock().items.len()
    }

    pub fn empty(&self) -> bool {
        self.cell.lock().items.is_empty()
    }

    pub fn full(&self) -> bool {
        self.is_full(&self.cell.lock())
    }

    /// The ids of the items inside, front first (for the state panel).
    pub fn item_ids(&self) -> Vec<u64> {
        self.cell.lock().items.iter().map(|(id, _)| *id).collect()
    }

    /// Python's `task_done()`: one fewer unfinished item.
    pub fn task_done(&self) -> EngineResult<()> {
        self.ctx.sync_point()?;
        let mut st = self.cell.lock();
        if st.unfinished == 0 {
            return Err(EngineError::Invalid(format!(
                "ValueError: task_done() called too many times on queue {}",
                self.name
            )));
        }
        st.unfinished -= 1;
        self.ctx.emit(Some(self.id), EventKind::TaskDone);
        self.ctx.progress();
        let all_done = st.unfinished == 0;
        drop(st);
        if all_done {
            self.cell.notify_all();
        }
        Ok(())
    }

    /// Python's `join()`: block until every item put has been marked done.
    pub fn join(&self) -> EngineResult<()> {
        self.ctx.sync_point()?;
        let me = current_worker_or_main();
        let mut st = self.cell.lock();
        if st.unfinished == 0 {
            return Ok(());
        }
        st.waiters.push(me);
        let (_st, _woken) = self.wait(st, None, me, |_, s| s.unfinished > 0)?;
        Ok(())
    }

    /// Items put and not yet marked done.
    pub fn unfinished_tasks(&self) -> u64 {
        self.cell.lock().unfinished
    }
}

impl<T: Send + 'static> Inspect for Queue<T> {
    fn snapshot(&self) -> ObjectState {
        let st = self.cell.lock();
        ObjectState {
            id: self.id,
            name: self.name.clone(),
            kind: Some(ObjectKind::Queue),
            holders: Vec::new(),
            waiters: st.waiters.clone(),
            timed_waiters: Vec::new(),
            value: Some(st.items.len() as i64),
        }
    }
}
