//! Named logical workers: Python's `Thread` and `Process`, each running on its own thread of
//! a pool the runtime hands us (natively a rayon pool, in the browser one whose threads are
//! Web Workers).
//!
//! A logical worker keeps its pool thread for its whole life, even while it blocks, so a
//! run that wants more live workers than the pool has threads would deadlock: such a start
//! is refused with [`EngineError::PoolTooSmall`] instead. [`Threads`] counts the live
//! workers to make that check.
//!
//! The flavour (thread or process) changes nothing here; it is remembered in a thread-local
//! so the GIL model and the serialization helpers know who is calling.

use super::error::{EngineError, EngineResult};
use super::run::RunCtx;
use super::trace::{EventKind, Flavour, ObjectId, WorkerId, MAIN_WORKER};
use super::wait::{deadline_after, WaitCell, Woken};
use std::cell::Cell;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// A worker's target, boxed so the code that runs it is not copied per closure type.
type Target = Box<dyn FnOnce() -> EngineResult<i32> + Send>;

/// The exit code of a worker stopped by cancellation (Python shows `-15`, `-SIGTERM`, for
/// a terminated process): distinct from a clean `0` and from an exception's `1`.
pub const EXIT_CANCELLED: i32 = -15;

/// The exit code of a worker whose target raised (returned an error or panicked).
pub const EXIT_ERROR: i32 = 1;

thread_local! {
    static FLAVOUR: Cell<Flavour> = const { Cell::new(Flavour::Thread) };
}

/// The flavour of the logical worker the calling thread plays. The main program counts as
/// a thread (it is where the GIL model's `MainThread` lives).
pub fn current_flavour() -> Flavour {
    FLAVOUR.with(|f| f.get())
}

/// Python's `current_thread().name` / `current_process().name` and the worker id that
/// plays the PID's role. Outside any run: `("MainThread", 0)`.
pub fn current_worker() -> (String, WorkerId) {
    match RunCtx::current() {
        Some((ctx, id)) => (ctx.registry.worker_name(id), id),
        None => ("MainThread".to_string(), MAIN_WORKER),
    }
}

/// The OS threads logical workers run on, and how many of them are taken.
///
/// Cloning shares the pool and the count, so every part of a run sees the same budget.
#[derive(Clone)]
pub struct Threads {
    pool: Arc<rayon::ThreadPool>,
    size: usize,
    live: Arc<AtomicUsize>,
    /// Started workers per run id, for [`Threads::end_of_main`]. Weak: a finished worker
    /// whose handles are gone is forgotten, so old runs (and their recorders) are freed.
    roster: Arc<Mutex<HashMap<u32, Vec<Weak<Shared>>>>>,
}

/// Pool threads reserved for blocking work; given back when dropped.
pub struct Slots {
    live: Arc<AtomicUsize>,
    n: usize,
}

impl Drop for Slots {
    fn drop(&mut self) {
        self.live.fetch_sub(self.n, Ordering::AcqRel);
    }
}

impl Threads {
    /// Wrap a pool built elsewhere (the browser runtime builds one on Web Workers).
    pub fn new(pool: Arc<rayon::ThreadPool>) -> Self {
        let size = pool.current_num_threads();
        Threads {
            pool,
            size,
            live: Arc::new(AtomicUsize::new(0)),
            roster: Default::default(),
        }
    }

    /// Build a native pool of `n` threads (tests, the CLI, benchmarks).
    pub fn build(n: usize) -> EngineResult<Self> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .thread_name(|i| format!("playground-{i}"))
            .build()
            .map_err(|e| EngineError::Invalid(format!("cannot build the thread pool: {e}")))?;
        Ok(Self::new(Arc::new(pool)))
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// Logical workers (and other reservations) holding a thread right now.
    pub fn live(&self) -> usize {
        self.live.load(Ordering::Acquire)
    }

    pub fn pool(&self) -> &Arc<rayon::ThreadPool> {
        &self.pool
    }

    /// Reserve `n` threads for blocking work, all or nothing. The runtime calls this for
    /// the main program when it runs the main program on the pool too.
    pub fn reserve(&self, n: usize) -> EngineResult<Slots> {
        let mut cur = self.live.load(Ordering::Acquire);
        loop {
            let needed = cur + n;
            if needed > self.size {
                return Err(EngineError::PoolTooSmall {
                    needed,
                    threads: self.size,
                });
            }
            match self
                .live
                .compare_exchange(cur, needed, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => {
                    return Ok(Slots {
                        live: self.live.clone(),
                        n,
                    })
                }
                Err(seen) => cur = seen,
            }
        }
    }

    fn remember(&self, ctx: &RunCtx, w: &Worker) {
        let mut roster = super::liveness::lock(&self.roster);
        for list in roster.values_mut() {
            list.retain(|w| w.strong_count() > 0);
        }
        roster.retain(|_, list| !list.is_empty());
        roster
            .entry(ctx.id())
            .or_default()
            .push(Arc::downgrade(&w.shared));
    }

    /// What Python does when the main program ends: wait for every non-daemon worker of the
    /// run, then abandon the daemon ones. A daemon cannot be killed mid-instruction, so the
    /// run is cancelled, which makes each daemon stop at its next wait or check and gives
    /// its pool thread back. Returns the names of the daemons that were abandoned.
    pub fn end_of_main(&self, ctx: &Arc<RunCtx>) -> EngineResult<Vec<String>> {
        let workers: Vec<Worker> = super::liveness::lock(&self.roster)
            .remove(&ctx.id())
            .unwrap_or_default()
            .iter()
            .filter_map(Weak::upgrade)
            .map(|shared| Worker { shared })
            .collect();
        for w in workers.iter().filter(|w| !w.daemon()) {
            w.join()?;
        }
        let abandoned: Vec<String> = workers
            .iter()
            .filter(|w| w.daemon() && w.is_alive())
            .map(|w| w.name().to_string())
            .collect();
        if !abandoned.is_empty() {
            ctx.emit(
                None,
                EventKind::Note {
                    text: format!(
                        "main program ended: daemon workers abandoned: {}",
                        abandoned.join(", ")
                    ),
                },
            );
            ctx.cancel();
        }
        Ok(abandoned)
    }
}

/// How to start a worker: `WorkerSpec::new(Flavour::Process).name("my_service").start(..)`.
#[derive(Clone, Debug, Default)]
pub struct WorkerSpec {
    flavour: Flavour,
    name: Option<String>,
    daemon: bool,
    pool: Option<ObjectId>,
}

impl WorkerSpec {
    pub fn new(flavour: Flavour) -> Self {
        WorkerSpec {
            flavour,
            name: None,
            daemon: false,
            pool: None,
        }
    }

    /// A worker of this pool. Its `WorkerNew` names the pool, so the views can tell a
    /// pool worker (busy only while it runs a task, idle between tasks) from a worker
    /// that runs its own code from start to end.
    pub fn in_pool(mut self, pool: ObjectId) -> Self {
        self.pool = Some(pool);
        self
    }

    /// A custom name; without one the worker gets Python's default (`Thread-1`, `Process-1`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    pub fn name_opt(mut self, name: Option<String>) -> Self {
        self.name = name;
        self
    }

    pub fn daemon(mut self, daemon: bool) -> Self {
        self.daemon = daemon;
        self
    }

    /// Create and start the worker on its own pool thread. `f` is the target: its `Ok`
    /// value is the exit code, an error gives exit code 1 (and a log line with the
    /// message), cancellation gives [`EXIT_CANCELLED`].
    pub fn start<F>(self, ctx: &Arc<RunCtx>, threads: &Threads, f: F) -> EngineResult<Worker>
    where
        F: FnOnce() -> EngineResult<i32> + Send + 'static,
    {
        self.start_boxed(ctx, threads, Box::new(f))
    }

    /// [`WorkerSpec::start`] with the target boxed: one copy of the start-up, the rayon job
    /// and [`run_target`] serves every scenario's target, instead of one per closure type
    /// (two dozen of them cost about 20 KB of the page's wasm).
    fn start_boxed(self, ctx: &Arc<RunCtx>, threads: &Threads, f: Target) -> EngineResult<Worker> {
        ctx.check()?;
        let slots = threads.reserve(1)?;
        let id = ctx.new_worker_id();
        let name = self.name.unwrap_or_else(|| ctx.default_name(self.flavour));
        ctx.registry.register_worker(id, &name);
        ctx.recorder.record(
            id,
            self.pool,
            EventKind::WorkerNew {
                name: name.clone(),
                flavour: self.flavour,
                daemon: self.daemon,
            },
        );
        let shared = Arc::new(Shared {
            id,
            name,
            flavour: self.flavour,
            daemon: self.daemon,
            exit: WaitCell::new(None),
            ctx: ctx.clone(),
        });
        let worker = Worker {
            shared: shared.clone(),
        };
        threads.remember(ctx, &worker);
        let run = ctx.clone();
        threads.pool.spawn(move || {
            let code = run_target(&run, &shared, f);
            // Give the thread back before anyone can see the end, so a joiner that starts
            // a new worker at once is not refused.
            drop(slots);
            *shared.exit.lock() = Some(code);
            shared.exit.notify_all();
        });
        Ok(worker)
    }
}

/// Runs the target as worker `shared.id` and turns how it ended into an exit code.
fn run_target(ctx: &Arc<RunCtx>, shared: &Shared, f: Target) -> i32 {
    let _entered = ctx.enter(shared.id);
    let previous = FLAVOUR.with(|c| c.replace(shared.flavour));
    ctx.emit(None, EventKind::WorkerStart);
    ctx.progress();
    let outcome = catch_unwind(AssertUnwindSafe(f));
    let code = match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(EngineError::Cancelled)) => EXIT_CANCELLED,
        Ok(Err(e)) => {
            log_exception(ctx, &shared.name, &e.to_string());
            EXIT_ERROR
        }
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "the worker panicked".to_string());
            log_exception(ctx, &shared.name, &msg);
            EXIT_ERROR
        }
    };
    ctx.emit(None, EventKind::WorkerEnd { exit_code: code });
    ctx.progress();
    FLAVOUR.with(|c| c.set(previous));
    code
}

fn log_exception(ctx: &RunCtx, name: &str, msg: &str) {
    ctx.emit(
        None,
        EventKind::log("error", format!("Exception in {name}: {msg}")),
    );
}

struct Shared {
    id: WorkerId,
    name: String,
    flavour: Flavour,
    daemon: bool,
    /// `None` while running, then the exit code.
    exit: WaitCell<Option<i32>>,
    ctx: Arc<RunCtx>,
}

/// A handle on a started logical worker. Cheap to clone.
#[derive(Clone)]
pub struct Worker {
    shared: Arc<Shared>,
}

impl Worker {
    pub fn id(&self) -> WorkerId {
        self.shared.id
    }

    pub fn name(&self) -> &str {
        &self.shared.name
    }

    pub fn flavour(&self) -> Flavour {
        self.shared.flavour
    }

    pub fn daemon(&self) -> bool {
        self.shared.daemon
    }

    pub fn is_alive(&self) -> bool {
        self.shared.exit.lock().is_none()
    }

    /// `None` while running, like Python's `Process.exitcode`.
    pub fn exitcode(&self) -> Option<i32> {
        *self.shared.exit.lock()
    }

    /// Wait for the worker to end; its exit code. `Err(Cancelled)` if the run is cancelled
    /// while waiting.
    pub fn join(&self) -> EngineResult<i32> {
        let ctx = &self.shared.ctx;
        let g = self.shared.exit.lock();
        let _awaiting = self.awaiting(g.is_none());
        let (g, _) = self.shared.exit.wait_while(ctx, g, None, |e| e.is_none())?;
        Ok(g.unwrap_or(EXIT_CANCELLED))
    }

    /// A join that will block (the worker is still running) is recorded as a wait.
    fn awaiting(&self, running: bool) -> Option<crate::engine::run::Awaiting<'_>> {
        running.then(|| {
            self.shared.ctx.awaiting(EventKind::JoinWait {
                worker: self.shared.id,
            })
        })
    }

    /// `join(timeout)` in seconds: whether the worker had ended when the wait returned
    /// (Python returns `None` and leaves you to ask `is_alive()`).
    pub fn join_timeout(&self, timeout: f64) -> EngineResult<bool> {
        let ctx = &self.shared.ctx;
        let deadline = deadline_after(Some(timeout))?;
        let g = self.shared.exit.lock();
        let _awaiting = self.awaiting(g.is_none());
        let (g, woken) = self
            .shared
            .exit
            .wait_while(ctx, g, deadline, |e| e.is_none())?;
        drop(g);
        Ok(woken == Woken::Ready)
    }
}
