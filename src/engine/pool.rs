//! `Pool(k)`: k logical workers taking jobs from one queue, over either flavour.
//!
//! With the process flavour (`multiprocessing.Pool`, workers named `ForkPoolWorker-1`...)
//! every argument and result is really serialized on its way to and from a worker (see
//! [`super::pickle`]); with the thread flavour (`multiprocessing.pool.ThreadPool`) values
//! are shared. The task code itself runs on the worker's thread in both cases.
//!
//! All k workers are started when the pool is created, each on its own pool thread, so a
//! pool of 50 really starts 50 workers and pays for it; creating more than the threads
//! free is refused with `PoolTooSmall`.
//!
//! Dispatch is built for throughput: a task is one allocation, the job queue is lock-free,
//! and nobody makes a system call for a task unless somebody is actually asleep (idle
//! workers and callers of `get()` spin briefly before they park). Every park is a
//! [`WaitCell`] wait, so parked workers and getters still stop within the cancel budget.

use super::error::{EngineError, EngineResult};
use super::pickle::Parcel;
use super::run::RunCtx;
use super::trace::{EventKind, Flavour, ObjectId, ObjectKind};
use super::wait::{deadline_after, WaitCell, Woken};
use super::worker::{Threads, Worker, WorkerSpec};
use crossbeam_queue::SegQueue;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::VecDeque;
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

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

/// A queued task, type-erased. One allocation per task: the task's function, its packed
/// argument and where its outcome goes all live in one `Arc`. For `apply_async` that is
/// also where the result waits, so the submitter allocates once per task and, as it drops
/// the last handle, frees on its own thread (a free on a worker's thread is what made
/// the allocator the main cost of dispatching a trivial task).
trait Job: Send + Sync {
    /// Runs the task; a second call (or one after `abandon`) does nothing.
    fn run(&self, ctx: &RunCtx, pool: ObjectId, flavour: Flavour);
    /// Called instead of `run` when the pool is terminated first, so nobody waits forever.
    fn abandon(&self);
}

/// Where a task's outcome goes: its `ResultCell`, or a closure of `imap`/`imap_unordered`.
trait Deliver<R>: Send + Sync {
    fn deliver(&self, out: Outcome<R>);
}

impl<R: Send, G: Fn(Outcome<R>) + Send + Sync> Deliver<R> for G {
    fn deliver(&self, out: Outcome<R>) {
        self(out)
    }
}

impl<R: Send> Deliver<R> for ResultCell<R> {
    fn deliver(&self, out: Outcome<R>) {
        self.fill(out)
    }
}

struct Task<A, R, F, D> {
    id: u64,
    /// The function and its packed argument, taken by whoever runs or abandons the task.
    work: Mutex<Option<(F, Parcel<A>)>>,
    deliver: D,
    _result: PhantomData<fn() -> R>,
}

impl<A, R, F, D> Task<A, R, F, D> {
    fn take_work(&self) -> Option<(F, Parcel<A>)> {
        self.work.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

impl<A, R, F, D> Job for Task<A, R, F, D>
where
    A: Transferable,
    R: Transferable,
    F: FnOnce(A) -> EngineResult<R> + Send + 'static,
    D: Deliver<R>,
{
    fn run(&self, ctx: &RunCtx, pool: ObjectId, flavour: Flavour) {
        let Some((f, arg)) = self.take_work() else {
            return;
        };
        let task = self.id;
        ctx.emit(Some(pool), EventKind::TaskStart { task });
        let out = arg.open(ctx).and_then(|a| {
            let r = catch_unwind(AssertUnwindSafe(|| f(a)))
                .unwrap_or_else(|_| Err(EngineError::Task(format!("task {task} panicked"))))?;
            Parcel::pack(ctx, r, flavour)
        });
        ctx.emit(
            Some(pool),
            EventKind::TaskEnd {
                task,
                ok: out.is_ok(),
            },
        );
        ctx.progress();
        self.deliver.deliver(out);
    }

    fn abandon(&self) {
        if self.take_work().is_some() {
            self.deliver.deliver(Err(EngineError::Task(
                "the pool was terminated before this task ran".into(),
            )))
        }
    }
}

/// What an `AsyncResult` holds: a task whose outcome lands in its own `ResultCell`.
trait HasCell<R>: Send + Sync {
    fn cell(&self) -> &ResultCell<R>;
}

impl<A, R, F> HasCell<R> for Task<A, R, F, ResultCell<R>>
where
    A: Send,
    R: Send,
    F: Send,
{
    fn cell(&self) -> &ResultCell<R> {
        &self.deliver
    }
}

const CLOSED: u8 = 1;
const TERMINATED: u8 = 2;

/// How many times an idle worker looks at the queue again before it parks. Parking and
/// being woken cost two system calls and a context switch, far more than a trivial task;
/// a short spin lets a worker pick up the next task of a burst without either.
const IDLE_SPINS: u32 = 64;

/// The job queue: lock-free, so submitting and taking never contend on a lock, plus a
/// doorbell for the workers that found it empty and parked. A submitter rings only when
/// somebody is parked, so a busy pool makes no system call per task.
struct Jobs {
    queue: SegQueue<Arc<dyn Job>>,
    state: AtomicU8,
    /// Workers parked (or about to park) on `bell`.
    parked: AtomicUsize,
    bell: WaitCell<()>,
}

impl Jobs {
    fn new() -> Self {
        Jobs {
            queue: SegQueue::new(),
            state: AtomicU8::new(0),
            parked: AtomicUsize::new(0),
            bell: WaitCell::new(()),
        }
    }

    fn state(&self) -> u8 {
        self.state.load(Ordering::Acquire)
    }

    fn push(&self, job: Arc<dyn Job>) {
        self.queue.push(job);
        // Pairs with the fence in `park`: either the worker sees the job, or we see it parked.
        fence(Ordering::SeqCst);
        if self.parked.load(Ordering::SeqCst) > 0 {
            self.ring(false);
        }
    }

    /// Wake one parked worker (or all). Taking the bell's lock first means a worker between
    /// its last look at the queue and its wait cannot miss the ring.
    fn ring(&self, all: bool) {
        drop(self.bell.lock());
        if all {
            self.bell.notify_all();
        } else {
            self.bell.notify_one();
        }
    }

    /// Sleep until there is a job or the pool's state changes. Cancellable.
    fn park(&self, ctx: &RunCtx) -> EngineResult<()> {
        let g = self.bell.lock();
        self.parked.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let waited = self.bell.wait_while(ctx, g, None, |_| {
            self.queue.is_empty() && self.state.load(Ordering::Acquire) == 0
        });
        self.parked.fetch_sub(1, Ordering::SeqCst);
        waited.map(|_| ())
    }

    fn set(&self, flag: u8) {
        self.state.fetch_or(flag, Ordering::AcqRel);
        self.ring(true);
    }

    /// Abandon every job not started yet.
    fn abandon_pending(&self) {
        while let Some(job) = self.queue.pop() {
            job.abandon();
        }
    }
}

/// What a task hands back: its result, packed for the flavour, or its error.
type Outcome<R> = EngineResult<Parcel<R>>;

pub struct Pool {
    ctx: Arc<RunCtx>,
    id: ObjectId,
    flavour: Flavour,
    workers: Vec<Worker>,
    jobs: Arc<Jobs>,
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
        let jobs = Arc::new(Jobs::new());
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
            let (run, q, flavour) = (ctx.clone(), jobs.clone(), spec.flavour);
            let started = WorkerSpec::new(spec.flavour)
                .name_opt(name)
                .daemon(true)
                .in_pool(id)
                .start(ctx, threads, move || work_loop(&run, &q, id, flavour));
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
    /// Returns the queued task, which the caller may keep to read its outcome.
    fn submit<A, R, F, D>(&self, f: F, arg: A, deliver: D) -> EngineResult<Arc<Task<A, R, F, D>>>
    where
        A: Transferable,
        R: Transferable,
        F: FnOnce(A) -> EngineResult<R> + Send + 'static,
        D: Deliver<R> + 'static,
    {
        self.ctx.check()?;
        if self.jobs.state() != 0 {
            return Err(EngineError::Invalid("ValueError: Pool not running".into()));
        }
        let task = self.next_task.fetch_add(1, Ordering::Relaxed);
        let arg = Parcel::pack(&self.ctx, arg, self.flavour)?;
        self.ctx.emit(Some(self.id), EventKind::TaskSubmit { task });
        let queued = Arc::new(Task {
            id: task,
            work: Mutex::new(Some((f, arg))),
            deliver,
            _result: PhantomData,
        });
        self.jobs.push(queued.clone());
        // A terminate that raced with this submit: nobody will run the task, so say so.
        if self.jobs.state() & TERMINATED != 0 {
            self.jobs.abandon_pending();
        }
        Ok(queued)
    }

    /// `apply_async(f, (arg,))`: queue `f(arg)` and return a handle on its result.
    pub fn apply_async<A, R, F>(&self, f: F, arg: A) -> EngineResult<AsyncResult<R>>
    where
        A: Transferable,
        R: Transferable,
        F: FnOnce(A) -> EngineResult<R> + Send + 'static,
    {
        let queued = self.submit(f, arg, ResultCell::new())?;
        Ok(AsyncResult {
            ctx: self.ctx.clone(),
            task: queued.id,
            cell: queued,
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

    /// Queue `items` in chunks of `chunksize` (one task per chunk); the chunks' task ids.
    fn chunked<A, R, F, D>(
        &self,
        f: F,
        items: Vec<A>,
        chunksize: Option<usize>,
        mut deliver_for: impl FnMut(usize) -> D,
    ) -> EngineResult<Vec<u64>>
    where
        A: Transferable,
        R: Transferable,
        F: Fn(A) -> EngineResult<R> + Send + Sync + 'static,
        D: Fn(Outcome<Vec<R>>) + Send + Sync + 'static,
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
        let mut tasks = Vec::new();
        while items.peek().is_some() {
            let chunk: Vec<A> = items.by_ref().take(size).collect();
            let f = f.clone();
            let task = move |chunk: Vec<A>| chunk.into_iter().map(|a| f(a)).collect();
            tasks.push(self.submit(task, chunk, deliver_for(tasks.len()))?.id);
        }
        Ok(tasks)
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
        let tasks = self.chunked(f, items, chunksize, |_| {
            let cell = Arc::new(ResultCell::<Vec<R>>::new());
            let target = cell.clone();
            cells.push(cell);
            move |out| target.fill(out)
        })?;
        Ok(Ordered {
            ctx: self.ctx.clone(),
            chunks: tasks.into_iter().zip(cells).collect(),
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
        let tasks = self.chunked(f, items, chunksize, |_| {
            let sink = done.clone();
            move |out| {
                sink.lock().push_back(out);
                sink.notify_all();
            }
        })?;
        Ok(Unordered {
            ctx: self.ctx.clone(),
            done,
            remaining: tasks.len(),
            current: VecDeque::new(),
        })
    }

    /// No more tasks; workers leave once the queue is empty.
    pub fn close(&self) {
        self.jobs.set(CLOSED);
    }

    /// Drop the tasks not started yet (their results become errors) and stop the workers
    /// after their current task, then wait for them. Python kills worker processes on the
    /// spot; a logical worker stops at its next task boundary instead.
    pub fn terminate(&self) -> EngineResult<()> {
        self.stop(false);
        self.join_workers()
    }

    fn stop(&self, also_close: bool) {
        self.jobs
            .set(TERMINATED | if also_close { CLOSED } else { 0 });
        self.jobs.abandon_pending();
    }

    /// Wait for the workers to exit. As in Python, the pool must be closed or terminated.
    pub fn join(&self) -> EngineResult<()> {
        if self.jobs.state() == 0 {
            return Err(EngineError::Invalid(
                "ValueError: Pool is still running (call close() or terminate() first)".into(),
            ));
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
        if self.jobs.state() == 0 {
            self.stop(false);
        }
    }
}

/// A worker's life in a pool: take a job, run it, until closed and empty, or terminated.
fn work_loop(ctx: &RunCtx, jobs: &Jobs, pool: ObjectId, flavour: Flavour) -> EngineResult<i32> {
    let mut idle_looks = 0;
    loop {
        // Read the state before popping: a job queued before `close()` is then seen.
        let state = jobs.state();
        if state & TERMINATED != 0 {
            return Ok(0);
        }
        if let Some(job) = jobs.queue.pop() {
            idle_looks = 0;
            job.run(ctx, pool, flavour);
            continue;
        }
        if state & CLOSED != 0 {
            return Ok(0);
        }
        ctx.check()?;
        if idle_looks < IDLE_SPINS {
            idle_looks += 1;
            if idle_looks % 8 == 0 {
                // Give the core to the submitter when the workers outnumber the cores.
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
            continue;
        }
        idle_looks = 0;
        jobs.park(ctx)?;
    }
}

/// The shared slot of one task's outcome, and who wants to hear about it.
struct Slot<R> {
    out: Option<Outcome<R>>,
    /// `as_completed` iterators waiting on this task: (their queue, our position).
    watchers: Vec<(Arc<WaitCell<VecDeque<usize>>>, usize)>,
}

/// How many times a caller of `get()` looks again before it parks (see [`IDLE_SPINS`]).
const RESULT_SPINS: u32 = 64;

/// One task's outcome, with a lock-free "ready" flag so a `get()` of a finished task takes
/// no wait at all, and a count of parked getters so a worker finishing a task nobody waits
/// for yet makes no system call to wake anyone.
pub(crate) struct ResultCell<R> {
    ready: AtomicBool,
    parked: AtomicUsize,
    slot: WaitCell<Slot<R>>,
}

impl<R> ResultCell<R> {
    fn new() -> Self {
        ResultCell {
            ready: AtomicBool::new(false),
            parked: AtomicUsize::new(0),
            slot: WaitCell::new(Slot {
                out: None,
                watchers: Vec::new(),
            }),
        }
    }

    fn fill(&self, out: Outcome<R>) {
        let watchers = {
            let mut s = self.slot.lock();
            s.out = Some(out);
            self.ready.store(true, Ordering::Release);
            std::mem::take(&mut s.watchers)
        };
        // A getter counts itself under the slot's lock before it waits, so after our
        // critical section it is either counted here or will find the outcome itself.
        if self.parked.load(Ordering::Acquire) > 0 {
            self.slot.notify_all();
        }
        for (q, i) in watchers {
            q.lock().push_back(i);
            q.notify_all();
        }
    }

    fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Wait until the outcome is in (or `deadline` passes) and lock the slot. Cancellable.
    fn wait_locked(
        &self,
        ctx: &RunCtx,
        deadline: Option<web_time::Instant>,
        task: Option<u64>,
    ) -> EngineResult<(MutexGuard<'_, Slot<R>>, Woken)> {
        if !self.is_ready() && deadline.is_none() {
            for i in 1..=RESULT_SPINS {
                if self.is_ready() {
                    break;
                }
                if i % 8 == 0 {
                    std::thread::yield_now();
                } else {
                    std::hint::spin_loop();
                }
            }
        }
        let g = self.slot.lock();
        if g.out.is_some() {
            return Ok((g, Woken::Ready));
        }
        let _awaiting = ctx.awaiting(EventKind::ResultWait { task });
        self.parked.fetch_add(1, Ordering::AcqRel);
        let waited = self.slot.wait_while(ctx, g, deadline, |s| s.out.is_none());
        self.parked.fetch_sub(1, Ordering::AcqRel);
        waited
    }
}

/// Python's `AsyncResult`: a handle on a task's result.
pub struct AsyncResult<R> {
    ctx: Arc<RunCtx>,
    task: u64,
    /// The queued task itself, whose `ResultCell` the worker fills.
    cell: Arc<dyn HasCell<R>>,
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
        self.cell.cell().is_ready()
    }

    /// `None` until ready; then whether the task succeeded.
    pub fn successful(&self) -> Option<bool> {
        self.cell.cell().slot.lock().out.as_ref().map(|o| o.is_ok())
    }

    /// Wait until ready or `timeout` seconds pass; whether it is ready.
    pub fn wait(&self, timeout: Option<f64>) -> EngineResult<bool> {
        let deadline = deadline_after(timeout)?;
        let (g, woken) = self
            .cell
            .cell()
            .wait_locked(&self.ctx, deadline, Some(self.task))?;
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
        let (g, woken) = self
            .cell
            .cell()
            .wait_locked(&self.ctx, deadline, Some(self.task))?;
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
        take_from(
            &self.ctx,
            self.cell.cell(),
            deadline_after(timeout)?,
            Some(self.task),
        )
    }

    /// The task's error, if it has ended with one (a copy; the result stays).
    pub fn error(&self) -> Option<EngineError> {
        match &self.cell.cell().slot.lock().out {
            Some(Err(e)) => Some(e.clone()),
            _ => None,
        }
    }

    /// Register an `as_completed` queue to hear when this task ends.
    pub(crate) fn watch(&self, queue: &Arc<WaitCell<VecDeque<usize>>>, position: usize) {
        let mut s = self.cell.cell().slot.lock();
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
    cell: &ResultCell<R>,
    deadline: Option<web_time::Instant>,
    task: Option<u64>,
) -> EngineResult<R> {
    let (mut g, woken) = cell.wait_locked(ctx, deadline, task)?;
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
    /// Each chunk's task id and where its results arrive, in submission order.
    chunks: VecDeque<(u64, Arc<ResultCell<Vec<R>>>)>,
    current: VecDeque<R>,
}

impl<R: Transferable> Iterator for Ordered<R> {
    type Item = EngineResult<R>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.current.pop_front() {
                return Some(Ok(r));
            }
            let (task, cell) = self.chunks.pop_front()?;
            match take_from(&self.ctx, &cell, None, Some(task)) {
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
            let _awaiting = g
                .is_empty()
                .then(|| self.ctx.awaiting(EventKind::ResultWait { task: None }));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::trace::MAIN_WORKER;

    /// A task that sleeps `ms` and returns `x`: keeps the pool's one worker busy.
    fn apply_slow(pool: &Pool, ctx: &Arc<RunCtx>, ms: u64, x: u64) -> AsyncResult<u64> {
        let ctx = ctx.clone();
        pool.apply_async(
            move |x: u64| {
                ctx.sleep(std::time::Duration::from_millis(ms))?;
                Ok(x)
            },
            x,
        )
        .unwrap()
    }

    /// Fast dispatch keeps the trace whole: for every task, one submit, one start and one
    /// successful end, in that order, and four real crossings for a process pool.
    #[test]
    fn every_task_is_traced_once_and_in_order() {
        let th = Threads::build(4).unwrap();
        let ctx = RunCtx::new();
        let _main = ctx.enter(MAIN_WORKER);
        let pool = Pool::new(&ctx, &th, PoolSpec::new(Flavour::Process, 3)).unwrap();
        let n = 2_000u64;
        let handles: Vec<_> = (0..n)
            .map(|i| pool.apply_async(|x: u64| Ok(x * 2), i).unwrap())
            .collect();
        for (i, h) in handles.iter().enumerate() {
            assert_eq!(h.take(None), Ok(2 * i as u64));
        }
        pool.close();
        pool.join().unwrap();
        let events = ctx.recorder.drain_sorted();
        // Per task: the seqs of its submit, start and successful end.
        let mut seen: std::collections::HashMap<u64, [Vec<u64>; 3]> = Default::default();
        for e in &events {
            let (task, at) = match e.kind {
                EventKind::TaskSubmit { task } => (task, 0),
                EventKind::TaskStart { task } => (task, 1),
                EventKind::TaskEnd { task, ok: true } => (task, 2),
                _ => continue,
            };
            seen.entry(task).or_default()[at].push(e.seq);
        }
        assert_eq!(seen.len() as u64, n);
        for h in &handles {
            let [submit, start, end] = &seen[&h.task()];
            assert_eq!((submit.len(), start.len(), end.len()), (1, 1, 1));
            assert!(
                submit[0] < start[0] && start[0] < end[0],
                "task {}",
                h.task()
            );
        }
        let crossings = |main: bool| {
            events
                .iter()
                .filter(|e| {
                    matches!(
                        e.kind,
                        EventKind::Serialize { .. } | EventKind::Deserialize { .. }
                    ) && (e.worker == MAIN_WORKER) == main
                })
                .count() as u64
        };
        assert_eq!(
            crossings(true),
            2 * n,
            "argument out, result back in, on main"
        );
        assert_eq!(
            crossings(false),
            2 * n,
            "argument in, result out, on workers"
        );
    }

    /// A handle keeps its task's allocation (the result lives there), but not what the
    /// task captured: that goes as soon as it has run or been abandoned.
    #[test]
    fn a_kept_handle_does_not_keep_the_task_function_or_argument() {
        let th = Threads::build(2).unwrap();
        let ctx = RunCtx::new();
        let _main = ctx.enter(MAIN_WORKER);
        let pool = Pool::new(&ctx, &th, PoolSpec::new(Flavour::Thread, 1)).unwrap();
        let captured = Arc::new(1u64);
        let c = captured.clone();
        let h = pool.apply_async(move |g: u64| Ok(*c + g), 2).unwrap();
        assert_eq!(h.get(None), Ok(3));
        assert_eq!(Arc::strong_count(&captured), 1);
        // The same for a task dropped by terminate().
        let _busy = apply_slow(&pool, &ctx, 30, 0);
        let c = captured.clone();
        let queued = pool.apply_async(move |g: u64| Ok(*c + g), 2).unwrap();
        pool.terminate().unwrap();
        assert!(matches!(
            queued.get(Some(5.0)),
            Ok(3) | Err(EngineError::Task(_))
        ));
        assert_eq!(Arc::strong_count(&captured), 1);
    }

    /// Tasks still queued when the pool is terminated all resolve (to an error), and the
    /// ones already run keep their results: no handle is left waiting.
    #[test]
    fn terminate_resolves_every_handle() {
        let th = Threads::build(2).unwrap();
        let ctx = RunCtx::new();
        let _main = ctx.enter(MAIN_WORKER);
        let pool = Pool::new(&ctx, &th, PoolSpec::new(Flavour::Thread, 1)).unwrap();
        let first = apply_slow(&pool, &ctx, 50, 7);
        let rest: Vec<_> = (0..200u64)
            .map(|i| pool.apply_async(|x: u64| Ok(x), i).unwrap())
            .collect();
        pool.terminate().unwrap();
        let mut abandoned = 0;
        for (i, h) in rest.iter().enumerate() {
            match h.take(Some(5.0)) {
                Ok(v) => assert_eq!(v, i as u64),
                Err(EngineError::Task(_)) => abandoned += 1,
                Err(e) => panic!("task {i}: {e:?}"),
            }
        }
        assert!(abandoned > 0, "the queued tasks were dropped, not run");
        assert!(matches!(
            first.take(Some(5.0)),
            Ok(7) | Err(EngineError::Task(_))
        ));
        assert!(
            pool.apply_async(|x: u64| Ok(x), 1).is_err(),
            "no longer running"
        );
    }
}
