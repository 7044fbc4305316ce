//! `Pool(k)`: k logical workers taking jobs from one queue, over either flavour.
//!
//! With the process flavour (`multiprocessing.Pool`, workers named `ForkPoolWorker-1`...)
//! every argument and result is really serialized on its way to and from a worker (see
//! [`super::pickle`]); with the thread flavour (`multiprocessing.pool.ThreadPool`) values
//! are shared. The task code itself runs on the worker's thread in both cases.
//!
//! All k workers are started when the pool is created, each on its own pool thread, so a
//! pool of 50 really starts 50 workers and pays for it; creating more than the threads
//! free is refused with `PoolTooSmall`. The job queue is a [`WaitCell`], so idle workers
//! and callers of `get()` stop within the cancel budget when the run is cancelled.

use super::error::{EngineError, EngineResult};
use super::pickle::Parcel;
use super::run::RunCtx;
use super::trace::{EventKind, Flavour, ObjectId, ObjectKind};
use super::wait::{deadline_after, WaitCell, Woken};
use super::worker::{Threads, Worker, WorkerSpec};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Values that can be sent to a worker of either flavour.
pub trait Transferable: Serialize + DeserializeOwned + Send + 'static {}
impl<T: Serialize + DeserializeOwned + Send + 'static> Transferable for T {}

type Namer = Arc<dyn Fn(usize) -> String + Send + Sync>;

/// How to build a pool: flavour, size, and optionally how its workers are named.
#[derive(Clone)]
pub struct PoolSpec {
    flavour: Flavour,
    workers: usize,
    names: Option<Namer>,
    label: Option<String>,
}

impl PoolSpec {
    pub fn new(flavour: Flavour, workers: usize) -> Self {
        PoolSpec {
            flavour,
            workers,
            names: None,
            label: None,
        }
    }

    /// Name worker `i` (from 0). Default: `ForkPoolWorker-{i+1}` for processes, Python's
    /// next `Thread-N` for threads.
    pub fn names(mut self, f: impl Fn(usize) -> String + Send + Sync + 'static) -> Self {
        self.names = Some(Arc::new(f));
        self
    }

    /// The pool's name in the trace (default `Pool` or `ThreadPool`).
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
}

struct Job {
    run: Box<dyn FnOnce() + Send>,
    /// Called instead of `run` when the pool is terminated first, so nobody waits forever.
    abandon: Box<dyn FnOnce() + Send>,
}

#[derive(Default)]
struct Jobs {
    queue: VecDeque<Job>,
    closed: bool,
    terminated: bool,
}

/// What a task hands back: its result, packed for the flavour, or its error.
type Outcome<R> = EngineResult<Parcel<R>>;
type Deliver<R> = Arc<dyn Fn(Outcome<R>) + Send + Sync>;

pub struct Pool {
    ctx: Arc<RunCtx>,
    id: ObjectId,
    flavour: Flavour,
    workers: Vec<Worker>,
    jobs: Arc<WaitCell<Jobs>>,
    next_task: AtomicU64,
}

impl Pool {
    /// Start a pool: all its workers start now.
    pub fn new(ctx: &Arc<RunCtx>, threads: &Threads, spec: PoolSpec) -> EngineResult<Pool> {
        let k = spec.workers;
        if k == 0 {
            return Err(EngineError::Invalid(
                "ValueError: Number of processes must be at least 1".into(),
            ));
        }
        let free = threads.size().saturating_sub(threads.live());
        if k > free {
            return Err(EngineError::PoolTooSmall {
                needed: threads.live() + k,
                threads: threads.size(),
            });
        }
        let label = spec.label.clone().unwrap_or_else(|| {
            match spec.flavour {
                Flavour::Process => "Pool",
                Flavour::Thread => "ThreadPool",
            }
            .to_string()
        });
        let id = ctx.new_object(&label, ObjectKind::Pool);
        let jobs = Arc::new(WaitCell::new(Jobs::default()));
        let mut pool = Pool {
            ctx: ctx.clone(),
            id,
            flavour: spec.flavour,
            workers: Vec::with_capacity(k),
            jobs: jobs.clone(),
            next_task: AtomicU64::new(1),
        };
        for i in 0..k {
            let name = match (&spec.names, spec.flavour) {
                (Some(f), _) => Some(f(i)),
                (None, Flavour::Process) => Some(format!("ForkPoolWorker-{}", i + 1)),
                (None, Flavour::Thread) => None,
            };
            let (run, q) = (ctx.clone(), jobs.clone());
            let started = WorkerSpec::new(spec.flavour)
                .name_opt(name)
                .daemon(true)
                .start(ctx, threads, move || work_loop(&run, &q));
            match started {
                Ok(w) => pool.workers.push(w),
                Err(e) => {
                    pool.stop(true);
                    return Err(e);
                }
            }
        }
        Ok(pool)
    }

    pub fn id(&self) -> ObjectId {
        self.id
    }

    pub fn flavour(&self) -> Flavour {
        self.flavour
    }

    pub fn workers(&self) -> &[Worker] {
        &self.workers
    }

    /// Queue one task; `deliver` receives its outcome (or an error if it never runs).
    fn submit<A, R, F>(&self, f: F, arg: A, deliver: Deliver<R>) -> EngineResult<u64>
    where
        A: Transferable,
        R: Transferable,
        F: FnOnce(A) -> EngineResult<R> + Send + 'static,
    {
        self.ctx.check()?;
        {
            let j = self.jobs.lock();
            if j.closed || j.terminated {
                return Err(EngineError::Invalid("ValueError: Pool not running".into()));
            }
        }
        let task = self.next_task.fetch_add(1, Ordering::Relaxed);
        let parcel = Parcel::pack(&self.ctx, arg, self.flavour)?;
        self.ctx.emit(Some(self.id), EventKind::TaskSubmit { task });
        let (ctx, pool, flavour) = (self.ctx.clone(), self.id, self.flavour);
        let on_abandon = deliver.clone();
        let run = move || {
            ctx.emit(Some(pool), EventKind::TaskStart { task });
            let out = parcel.open(&ctx).and_then(|a| {
                let r = catch_unwind(AssertUnwindSafe(|| f(a)))
                    .unwrap_or_else(|_| Err(EngineError::Task(format!("task {task} panicked"))))?;
                Parcel::pack(&ctx, r, flavour)
            });
            ctx.emit(
                Some(pool),
                EventKind::TaskEnd {
                    task,
                    ok: out.is_ok(),
                },
            );
            ctx.progress();
            deliver(out);
        };
        let abandon = move || {
            on_abandon(Err(EngineError::Task(
                "the pool was terminated before this task ran".into(),
            )))
        };
        self.jobs.lock().queue.push_back(Job {
            run: Box::new(run),
            abandon: Box::new(abandon),
        });
        self.jobs.notify_one();
        Ok(task)
    }

    /// `apply_async(f, (arg,))`: queue `f(arg)` and return a handle on its result.
    pub fn apply_async<A, R, F>(&self, f: F, arg: A) -> EngineResult<AsyncResult<R>>
    where
        A: Transferable,
        R: Transferable,
        F: FnOnce(A) -> EngineResult<R> + Send + 'static,
    {
        let cell = Arc::new(WaitCell::new(Slot::<R> {
            out: None,
            watchers: Vec::new(),
        }));
        let target = cell.clone();
        let deliver: Deliver<R> = Arc::new(move |out| fill(&target, out));
        let task = self.submit(f, arg, deliver)?;
        Ok(AsyncResult {
            ctx: self.ctx.clone(),
            task,
            cell,
        })
    }

    /// `apply(f, (arg,))`: run `f(arg)` on a worker and wait for it.
    pub fn apply<A, R, F>(&self, f: F, arg: A) -> EngineResult<R>
    where
        A: Transferable,
        R: Transferable,
        F: FnOnce(A) -> EngineResult<R> + Send + 'static,
    {
        self.apply_async(f, arg)?.take(None)
    }

    /// Python's default chunk size for `map`: about four chunks per worker.
    pub fn default_chunksize(&self, items: usize) -> usize {
        items.div_ceil(4 * self.workers.len().max(1)).max(1)
    }

    /// Queue `items` in chunks of `chunksize` (one task per chunk).
    fn chunked<A, R, F>(
        &self,
        f: F,
        items: Vec<A>,
        chunksize: Option<usize>,
        mut deliver_for: impl FnMut(usize) -> Deliver<Vec<R>>,
    ) -> EngineResult<usize>
    where
        A: Transferable,
        R: Transferable,
        F: Fn(A) -> EngineResult<R> + Send + Sync + 'static,
    {
        let size = match chunksize {
            Some(0) => {
                return Err(EngineError::Invalid(
                    "ValueError: chunksize must be at least 1".into(),
                ))
            }
            Some(c) => c,
            None => self.default_chunksize(items.len()),
        };
        let f = Arc::new(f);
        let mut items = items.into_iter().peekable();
        let mut n = 0;
        while items.peek().is_some() {
            let chunk: Vec<A> = items.by_ref().take(size).collect();
            let f = f.clone();
            let task = move |chunk: Vec<A>| chunk.into_iter().map(|a| f(a)).collect();
            self.submit(task, chunk, deliver_for(n))?;
            n += 1;
        }
        Ok(n)
    }

    /// `map(f, items, chunksize)`: every result, in the order of `items`. The first task
    /// error is returned, as Python raises the first exception.
    pub fn map<A, R, F>(
        &self,
        f: F,
        items: Vec<A>,
        chunksize: Option<usize>,
    ) -> EngineResult<Vec<R>>
    where
        A: Transferable,
        R: Transferable,
        F: Fn(A) -> EngineResult<R> + Send + Sync + 'static,
    {
        let mut out = Vec::with_capacity(items.len());
        for r in self.imap(f, items, chunksize)? {
            out.push(r?);
        }
        Ok(out)
    }

    /// `imap(f, items, chunksize)`: results in the order of `items`, each as soon as it and
    /// everything before it is done.
    pub fn imap<A, R, F>(
        &self,
        f: F,
        items: Vec<A>,
        chunksize: Option<usize>,
    ) -> EngineResult<Ordered<R>>
    where
        A: Transferable,
        R: Transferable,
        F: Fn(A) -> EngineResult<R> + Send + Sync + 'static,
    {
        let mut cells = Vec::new();
        self.chunked(f, items, chunksize, |_| {
            let cell = Arc::new(WaitCell::new(Slot::<Vec<R>> {
                out: None,
                watchers: Vec::new(),
            }));
            let target = cell.clone();
            cells.push(cell);
            Arc::new(move |out| fill(&target, out))
        })?;
        Ok(Ordered {
            ctx: self.ctx.clone(),
            chunks: cells.into(),
            current: VecDeque::new(),
        })
    }

    /// `imap_unordered(f, items, chunksize)`: results in the order they complete.
    pub fn imap_unordered<A, R, F>(
        &self,
        f: F,
        items: Vec<A>,
        chunksize: Option<usize>,
    ) -> EngineResult<Unordered<R>>
    where
        A: Transferable,
        R: Transferable,
        F: Fn(A) -> EngineResult<R> + Send + Sync + 'static,
    {
        let done: Arc<WaitCell<VecDeque<Outcome<Vec<R>>>>> =
            Arc::new(WaitCell::new(VecDeque::new()));
        let sink = done.clone();
        let deliver: Deliver<Vec<R>> = Arc::new(move |out| {
            sink.lock().push_back(out);
            sink.notify_all();
        });
        let chunks = self.chunked(f, items, chunksize, |_| deliver.clone())?;
        Ok(Unordered {
            ctx: self.ctx.clone(),
            done,
            remaining: chunks,
            current: VecDeque::new(),
        })
    }

    /// No more tasks; workers leave once the queue is empty.
    pub fn close(&self) {
        self.jobs.lock().closed = true;
        self.jobs.notify_all();
    }

    /// Drop the tasks not started yet (their results become errors) and stop the workers
    /// after their current task, then wait for them. Python kills worker processes on the
    /// spot; a logical worker stops at its next task boundary instead.
    pub fn terminate(&self) -> EngineResult<()> {
        self.stop(false);
        self.join_workers()
    }

    fn stop(&self, also_close: bool) {
        let pending: Vec<Job> = {
            let mut j = self.jobs.lock();
            j.terminated = true;
            j.closed |= also_close;
            j.queue.drain(..).collect()
        };
        self.jobs.notify_all();
        for job in pending {
            (job.abandon)();
        }
    }

    /// Wait for the workers to exit. As in Python, the pool must be closed or terminated.
    pub fn join(&self) -> EngineResult<()> {
        {
            let j = self.jobs.lock();
            if !j.closed && !j.terminated {
                return Err(EngineError::Invalid(
                    "ValueError: Pool is still running (call close() or terminate() first)".into(),
                ));
            }
        }
        self.join_workers()
    }

    fn join_workers(&self) -> EngineResult<()> {
        for w in &self.workers {
            w.join()?;
        }
        Ok(())
    }
}

impl Drop for Pool {
    /// Like Python's pool finalizer: a pool dropped while running is terminated (without
    /// waiting), so its workers give their threads back.
    fn drop(&mut self) {
        let running = {
            let j = self.jobs.lock();
            !j.closed && !j.terminated
        };
        if running {
            self.stop(false);
        }
    }
}

/// A worker's life in a pool: take a job, run it, until closed and empty, or terminated.
fn work_loop(ctx: &RunCtx, jobs: &WaitCell<Jobs>) -> EngineResult<i32> {
    loop {
        let job = {
            let g = jobs.lock();
            let (mut g, _) = jobs.wait_while(ctx, g, None, |j| {
                j.queue.is_empty() && !j.closed && !j.terminated
            })?;
            if g.terminated {
                return Ok(0);
            }
            match g.queue.pop_front() {
                Some(job) => job,
                None => return Ok(0),
            }
        };
        (job.run)();
    }
}

/// The shared slot of one task's outcome, and who wants to hear about it.
pub(crate) struct Slot<R> {
    out: Option<Outcome<R>>,
    /// `as_completed` iterators waiting on this task: (their queue, our position).
    watchers: Vec<(Arc<WaitCell<VecDeque<usize>>>, usize)>,
}

fn fill<R>(cell: &WaitCell<Slot<R>>, out: Outcome<R>) {
    let watchers = {
        let mut s = cell.lock();
        s.out = Some(out);
        std::mem::take(&mut s.watchers)
    };
    cell.notify_all();
    for (q, i) in watchers {
        q.lock().push_back(i);
        q.notify_all();
    }
}

/// Python's `AsyncResult`: a handle on a task's result.
pub struct AsyncResult<R> {
    ctx: Arc<RunCtx>,
    task: u64,
    cell: Arc<WaitCell<Slot<R>>>,
}

impl<R> Clone for AsyncResult<R> {
    fn clone(&self) -> Self {
        AsyncResult {
            ctx: self.ctx.clone(),
            task: self.task,
            cell: self.cell.clone(),
        }
    }
}

impl<R: Transferable> AsyncResult<R> {
    /// The task id in the trace (`TaskSubmit { task }`).
    pub fn task(&self) -> u64 {
        self.task
    }

    pub fn ready(&self) -> bool {
        self.cell.lock().out.is_some()
    }

    /// `None` until ready; then whether the task succeeded.
    pub fn successful(&self) -> Option<bool> {
        self.cell.lock().out.as_ref().map(|o| o.is_ok())
    }

    /// Wait until ready or `timeout` seconds pass; whether it is ready.
    pub fn wait(&self, timeout: Option<f64>) -> EngineResult<bool> {
        let deadline = deadline_after(timeout)?;
        let g = self.cell.lock();
        let (g, woken) = self
            .cell
            .wait_while(&self.ctx, g, deadline, |s| s.out.is_none())?;
        drop(g);
        Ok(woken == Woken::Ready)
    }

    /// `get(timeout)`: the result, the task's error as a value, or `Timeout`. Can be called
    /// again; with the process flavour each call deserializes anew.
    pub fn get(&self, timeout: Option<f64>) -> EngineResult<R>
    where
        R: Clone,
    {
        let deadline = deadline_after(timeout)?;
        let g = self.cell.lock();
        let (g, woken) = self
            .cell
            .wait_while(&self.ctx, g, deadline, |s| s.out.is_none())?;
        if woken == Woken::TimedOut {
            return Err(EngineError::Timeout);
        }
        match &g.out {
            Some(Ok(parcel)) => parcel.open_ref(&self.ctx),
            Some(Err(e)) => Err(e.clone()),
            None => Err(EngineError::Timeout),
        }
    }

    /// Like `get`, but moves the result out (no `Clone` needed); later calls fail.
    pub fn take(&self, timeout: Option<f64>) -> EngineResult<R> {
        take_from(&self.ctx, &self.cell, deadline_after(timeout)?)
    }

    /// The task's error, if it has ended with one (a copy; the result stays).
    pub fn error(&self) -> Option<EngineError> {
        match &self.cell.lock().out {
            Some(Err(e)) => Some(e.clone()),
            _ => None,
        }
    }

    /// Register an `as_completed` queue to hear when this task ends.
    pub(crate) fn watch(&self, queue: &Arc<WaitCell<VecDeque<usize>>>, position: usize) {
        let mut s = self.cell.lock();
        if s.out.is_some() {
            drop(s);
            queue.lock().push_back(position);
            queue.notify_all();
        } else {
            s.watchers.push((queue.clone(), position));
        }
    }
}

fn take_from<R: Transferable>(
    ctx: &RunCtx,
    cell: &WaitCell<Slot<R>>,
    deadline: Option<web_time::Instant>,
) -> EngineResult<R> {
    let g = cell.lock();
    let (mut g, woken) = cell.wait_while(ctx, g, deadline, |s| s.out.is_none())?;
    if woken == Woken::TimedOut {
        return Err(EngineError::Timeout);
    }
    let out = g.out.replace(Err(EngineError::Invalid(
        "this result was already taken".into(),
    )));
    drop(g);
    match out {
        Some(Ok(parcel)) => parcel.open(ctx),
        Some(Err(e)) => Err(e),
        None => Err(EngineError::Timeout),
    }
}

/// `imap`'s iterator: results in submission order.
pub struct Ordered<R> {
    ctx: Arc<RunCtx>,
    chunks: VecDeque<Arc<WaitCell<Slot<Vec<R>>>>>,
    current: VecDeque<R>,
}

impl<R: Transferable> Iterator for Ordered<R> {
    type Item = EngineResult<R>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.current.pop_front() {
                return Some(Ok(r));
            }
            let cell = self.chunks.pop_front()?;
            match take_from(&self.ctx, &cell, None) {
                Ok(chunk) => self.current = chunk.into(),
                Err(e) => {
                    if e == EngineError::Cancelled {
                        self.chunks.clear();
                    }
                    return Some(Err(e));
                }
            }
        }
    }
}

/// `imap_unordered`'s iterator: results in completion order.
pub struct Unordered<R> {
    ctx: Arc<RunCtx>,
    done: Arc<WaitCell<VecDeque<Outcome<Vec<R>>>>>,
    remaining: usize,
    current: VecDeque<R>,
}

impl<R: Transferable> Iterator for Unordered<R> {
    type Item = EngineResult<R>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.current.pop_front() {
                return Some(Ok(r));
            }
            if self.remaining == 0 {
                return None;
            }
            let g = self.done.lock();
            let waited = self.done.wait_while(&self.ctx, g, None, |q| q.is_empty());
            let out = match waited {
                Ok((mut g, _)) => g.pop_front(),
                Err(e) => {
                    self.remaining = 0;
                    return Some(Err(e));
                }
            };
            self.remaining -= 1;
            match out.map(|o| o.and_then(|p| p.open(&self.ctx))) {
                Some(Ok(chunk)) => self.current = chunk.into(),
                Some(Err(e)) => return Some(Err(e)),
                None => {}
            }
        }
    }
}
