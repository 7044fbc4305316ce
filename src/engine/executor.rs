//! `concurrent.futures`: one `Executor` type for `ThreadPoolExecutor` and
//! `ProcessPoolExecutor`, chosen by the flavour, so switching is the one-line change the
//! classic material teaches. Built on [`Pool`]; a future is a pool task's result handle.
//!
//! Unlike CPython, which starts executor workers lazily, all `max_workers` start up front,
//! so the refusal of a too-large executor happens at construction.

use super::error::{EngineError, EngineResult};
use super::pool::{AsyncResult, Ordered, Pool, PoolSpec, Transferable};
use super::run::RunCtx;
use super::trace::{EventKind, Flavour};
use super::wait::WaitCell;
use super::worker::{Threads, Worker};
use std::collections::VecDeque;
use std::sync::Arc;

pub struct Executor {
    pool: Pool,
}

impl Executor {
    /// `ThreadPoolExecutor(max_workers)` (workers `ThreadPoolExecutor-0_0`...) or
    /// `ProcessPoolExecutor(max_workers)` (workers `ForkProcess-1`...).
    pub fn new(
        ctx: &Arc<RunCtx>,
        threads: &Threads,
        flavour: Flavour,
        max_workers: usize,
    ) -> EngineResult<Executor> {
        let spec = match flavour {
            Flavour::Thread => {
                let e = ctx.next_executor_number();
                PoolSpec::new(flavour, max_workers)
                    .names(move |i| format!("ThreadPoolExecutor-{e}_{i}"))
                    .label("ThreadPoolExecutor")
            }
            Flavour::Process => PoolSpec::new(flavour, max_workers)
                .names(|i| format!("ForkProcess-{}", i + 1))
                .label("ProcessPoolExecutor"),
        };
        Ok(Executor {
            pool: Pool::new(ctx, threads, spec)?,
        })
    }

    pub fn flavour(&self) -> Flavour {
        self.pool.flavour()
    }

    pub fn workers(&self) -> &[Worker] {
        self.pool.workers()
    }

    /// `submit(f, arg)`: schedule `f(arg)` and return its future.
    pub fn submit<A, R, F>(&self, f: F, arg: A) -> EngineResult<Future<R>>
    where
        A: Transferable,
        R: Transferable,
        F: FnOnce(A) -> EngineResult<R> + Send + 'static,
    {
        Ok(Future {
            inner: self.pool.apply_async(f, arg)?,
        })
    }

    /// `map(f, items)`: results in the order of `items` (one task per item, like the
    /// executor's default `chunksize=1`).
    pub fn map<A, R, F>(&self, f: F, items: Vec<A>) -> EngineResult<Ordered<R>>
    where
        A: Transferable,
        R: Transferable,
        F: Fn(A) -> EngineResult<R> + Send + Sync + 'static,
    {
        self.pool.imap(f, items, Some(1))
    }

    /// `shutdown(wait)`: accept no more work; with `wait`, wait for the queued work and
    /// the workers to finish.
    pub fn shutdown(&self, wait: bool) -> EngineResult<()> {
        self.pool.close();
        if wait {
            self.pool.join()?;
        }
        Ok(())
    }
}

/// A `concurrent.futures.Future`. Cheap to clone.
pub struct Future<R> {
    inner: AsyncResult<R>,
}

impl<R> Clone for Future<R> {
    fn clone(&self) -> Self {
        Future {
            inner: self.inner.clone(),
        }
    }
}

impl<R: Transferable> Future<R> {
    pub fn task(&self) -> u64 {
        self.inner.task()
    }

    pub fn done(&self) -> bool {
        self.inner.ready()
    }

    /// `result(timeout)`: the value, the task's error as a value, or `Timeout`.
    pub fn result(&self, timeout: Option<f64>) -> EngineResult<R>
    where
        R: Clone,
    {
        self.inner.get(timeout)
    }

    /// `exception(timeout)`: the task's error if it failed, `None` if it succeeded.
    pub fn exception(&self, timeout: Option<f64>) -> EngineResult<Option<EngineError>> {
        if !self.inner.wait(timeout)? {
            return Err(EngineError::Timeout);
        }
        Ok(match self.inner.successful() {
            Some(false) => self.inner.error(),
            _ => None,
        })
    }
}

/// `as_completed(futures)`: `(position, future)` pairs in the order the futures finish.
pub fn as_completed<R: Transferable>(ctx: &Arc<RunCtx>, futures: &[Future<R>]) -> AsCompleted<R> {
    let queue = Arc::new(WaitCell::new(VecDeque::new()));
    for (i, f) in futures.iter().enumerate() {
        f.inner.watch(&queue, i);
    }
    AsCompleted {
        ctx: ctx.clone(),
        futures: futures.to_vec(),
        queue,
        remaining: futures.len(),
    }
}

pub struct AsCompleted<R> {
    ctx: Arc<RunCtx>,
    futures: Vec<Future<R>>,
    queue: Arc<WaitCell<VecDeque<usize>>>,
    remaining: usize,
}

impl<R: Transferable> Iterator for AsCompleted<R> {
    type Item = EngineResult<(usize, Future<R>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let g = self.queue.lock();
        let _awaiting = g
            .is_empty()
            .then(|| self.ctx.awaiting(EventKind::ResultWait { task: None }));
        match self.queue.wait_while(&self.ctx, g, None, |q| q.is_empty()) {
            Ok((mut g, _)) => {
                let i = g.pop_front()?;
                self.remaining -= 1;
                let f = self.futures.get(i)?.clone();
                Some(Ok((i, f)))
            }
            Err(e) => {
                self.remaining = 0;
                Some(Err(e))
            }
        }
    }
}
