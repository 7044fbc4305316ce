//! The page's one runtime: the supervisor pool (two Workers, where
//! each run's main program and watchdog block so the page never does), the learner-sized
//! scenario pool, and the live run.
//!
//! Lives on the main thread only (a thread-local), so the UI can reach it without locks.

use super::opfs::OpfsStore;
use super::{env, pool};
use crate::engine::run::RunCtx;
use crate::engine::trace::{EventKind, Outcome};
use crate::engine::work::{FileStore, MemStore};
use crate::engine::worker::Threads;
use crate::engine::EngineResult;
use crate::scenarios::knob::Config;
use crate::scenarios::runner::{main_program, watchdog, RunOptions, Runnable, Supervision};
use rayon::ThreadPool;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// Threads of the supervisor pool: one for a run's main program, one for its watchdog.
pub const SUPERVISOR_THREADS: usize = 2;

#[derive(Clone, Debug, PartialEq)]
pub enum PoolState {
    /// Not isolated: no Worker can share memory. The string says why and how to fix it.
    Unavailable(String),
    Starting,
    Ready {
        size: usize,
    },
    Failed(String),
}

pub struct Session {
    pub env: env::Environment,
    pub pool_state: PoolState,
    /// The page can reach the Origin Private File System, so pool Workers open scratch
    /// files there and file work goes to [`OpfsStore`] (which still counts any fallback).
    pub opfs: bool,
    pool: Option<Arc<ThreadPool>>,
    /// How many of the scenario pool's Workers are running yet.
    pool_live: Arc<AtomicUsize>,
    /// The scenario pool's Workers were asked to open OPFS scratch files.
    pool_scratch: bool,
    live: Option<LiveRun>,
}

/// A run in progress (or just finished) whose events the UI drains.
#[derive(Clone)]
pub struct LiveRun {
    pub ctx: Arc<RunCtx>,
    finished: Arc<AtomicBool>,
}

impl LiveRun {
    pub fn finished(&self) -> bool {
        self.finished.load(Ordering::SeqCst)
    }
}

thread_local! {
    static SESSION: RefCell<Option<Session>> = const { RefCell::new(None) };
}

// In the runtime's one JS module, which the page and every Worker load anyway: an
// `inline_js` snippet would be one more module for each of them to fetch at start.
#[wasm_bindgen(module = "/src/runtime/spawn_worker.js")]
extern "C" {
    /// Calls `f` from JS and returns the message of what it throws, if it throws. A JS
    /// exception does not unwind Rust: it drops the wasm frames between the throw and the
    /// nearest JS `catch` without running their destructors. Here that `catch` sits just
    /// inside [`act`], whose own frame (and the session borrow it holds) survives and ends
    /// normally.
    #[wasm_bindgen(js_name = callGuarded)]
    fn cp_call_guarded(f: &mut dyn FnMut()) -> Option<String>;
}

/// Run `f` with the page's session, creating it on first use.
///
/// For reads and plain updates. An action that calls into the browser (starting or
/// dropping Workers, launching a run) goes through [`act`] instead: if the browser threw
/// inside `with`, the session would stay borrowed and every later call would trap.
pub fn with<R>(f: impl FnOnce(&mut Session) -> R) -> R {
    SESSION.with(|s| {
        let mut s = s.borrow_mut();
        let session = s.get_or_insert_with(|| {
            let env = env::detect();
            let pool_state = if env.isolated {
                PoolState::Starting
            } else {
                PoolState::Unavailable(env::NOT_ISOLATED.to_string())
            };
            Session {
                env,
                pool_state,
                opfs: false,
                pool: None,
                pool_live: Arc::new(AtomicUsize::new(0)),
                pool_scratch: false,
                live: None,
            }
        });
        f(session)
    })
}

/// [`with`] for actions that call into the browser: an exception the browser throws
/// inside `f` comes back as an `Err` with its message, and the session stays usable.
///
/// Why: the page once died this way. The browser refused a wait on the main thread inside
/// rayon (since fixed in `pool.rs`); the exception passed through `with`, its borrow was
/// never released, and every later page trapped on it. Whatever `f` had half done stays
/// half done (its destructors never ran), which the message tells the learner.
pub fn act<R>(f: impl FnOnce(&mut Session) -> Result<R, String>) -> Result<R, String> {
    let mut f = Some(f);
    let mut out = None;
    guarded(&mut |s| {
        if let Some(f) = f.take() {
            out = Some(f(s));
        }
    })?;
    out.unwrap_or_else(|| Err("the action did not run".to_string()))
}

/// The part of [`act`] that is the same for every action (one copy in the module).
fn guarded(call: &mut dyn FnMut(&mut Session)) -> Result<(), String> {
    with(|session| {
        let mut once = || call(session);
        match cp_call_guarded(&mut once) {
            None => Ok(()),
            Some(what) => Err(format!(
                "the browser stopped this action with an exception ({what}). The page \
                 carries on; if runs misbehave after this, reload it"
            )),
        }
    })
}

/// Start the supervisor pool and a scenario pool of `size` threads. The Workers are spawned
/// before this returns, so calling it ahead of the first render lets them load the module
/// while the page draws; the future resolves when the supervisor's Workers are up, and
/// reports failures in `pool_state` instead of throwing.
pub fn start(size: usize) -> impl std::future::Future<Output = ()> {
    // Both pools' Workers load the module at once (spawning returns at once). The
    // supervisor's go first: the page is ready when they are, and on two cores the Workers
    // boot roughly in the order they were spawned. The scenario pool opens no scratch
    // files, so clearing old ones may overlap its start.
    let spawned = with(|s| s.env.isolated).then(|| {
        let supervisor = pool::build_supervisor(SUPERVISOR_THREADS);
        let scenario_pool = pool::build_with_scratch(size, "pool", false);
        let sweep = pool::sweep_scratch();
        (supervisor, scenario_pool, sweep)
    });
    async move {
        let Some((supervisor, scenario_pool, sweep)) = spawned else {
            return;
        };
        let started = match supervisor {
            Ok(live) => {
                if pool::until_count(&live, SUPERVISOR_THREADS, SUPERVISOR_LIMIT_MS).await {
                    Ok(())
                } else {
                    Err("its Workers did not start within 30 s".to_string())
                }
            }
            Err(e) => Err(e),
        };
        let opfs = sweep.await;
        with(|s| s.opfs = opfs);
        if let Err(e) = started {
            let msg = format!("the worker pool could not start: {e}");
            with(|s| s.pool_state = PoolState::Failed(msg));
            return;
        }
        with(|s| s.install(scenario_pool, false));
    }
}

/// How long the page waits for the supervisor's Workers before it says they failed.
const SUPERVISOR_LIMIT_MS: f64 = 30_000.0;

/// Wait (on a supervisor Worker, never the page) until `size` pool threads run, at most
/// [`WARM_UP_LIMIT`]: past that the run goes ahead with the threads it has.
fn wait_until_live(ctx: &RunCtx, live: &AtomicUsize, size: usize) {
    let start = web_time::Instant::now();
    while live.load(Ordering::SeqCst) < size && start.elapsed() < WARM_UP_LIMIT {
        if ctx.sleep(std::time::Duration::from_millis(2)).is_err() {
            return; // cancelled: the run ends as it starts
        }
    }
}

/// How long a run waits for its pool's Workers to boot.
const WARM_UP_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

pub fn js_error_text(e: &wasm_bindgen::JsValue) -> String {
    e.as_string()
        .or_else(|| {
            js_sys::Reflect::get(e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

impl Session {
    /// Replace the scenario pool with one of `size` threads. The old pool's Workers end
    /// and close once their current jobs finish (a live run is cancelled first).
    /// The new pool's Workers open no scratch files: a file-using run rebuilds it with them.
    pub fn resize(&mut self, size: usize) {
        self.rebuild(size, false);
    }

    /// [`Session::resize`], saying whether the new pool's Workers open OPFS scratch files.
    fn rebuild(&mut self, size: usize, scratch: bool) {
        if !self.env.isolated {
            return;
        }
        if let Some(live) = &self.live {
            live.ctx.cancel();
        }
        // Dropping a rayon pool wakes its threads through a std `Mutex`, which the page may
        // not wait on (see `pool::supervise`): a supervisor Worker drops the old pool.
        if let Some(old) = self.pool.take() {
            let _ = pool::supervise(move || drop(old));
        }
        self.install(pool::build_with_scratch(size, "pool", scratch), scratch);
    }

    fn install(&mut self, built: Result<pool::WebPool, String>, scratch: bool) {
        match built {
            Ok(p) => {
                self.pool_state = PoolState::Ready {
                    size: p.pool.current_num_threads(),
                };
                self.pool_live = p.live_counter();
                self.pool = Some(p.pool);
                self.pool_scratch = scratch;
            }
            Err(e) => self.pool_state = PoolState::Failed(e),
        }
    }

    /// A pool Worker died: cancel the live run and replace the (broken) scenario pool with
    /// a fresh one of the same size. The broken pool is dropped; its surviving threads end
    /// once the cancelled run lets them go.
    pub fn recover_from_crash(&mut self) {
        if let Some(live) = &self.live {
            live.ctx.cancel();
        }
        let size = self
            .pool
            .as_ref()
            .map(|p| p.current_num_threads())
            .unwrap_or(1);
        if self.pool.is_some() || matches!(self.pool_state, PoolState::Failed(_)) {
            self.rebuild(size, self.pool_scratch);
        }
    }

    pub fn pool(&self) -> Option<Arc<ThreadPool>> {
        self.pool.clone()
    }

    pub fn live(&self) -> Option<LiveRun> {
        self.live.clone()
    }

    /// Make sure the scenario pool has exactly `size` threads (a run needs one per
    /// logical worker that may block). Rebuilding costs tens of milliseconds.
    pub fn ensure_pool(&mut self, size: usize) -> Result<Arc<ThreadPool>, String> {
        self.ensure_pool_for(size, false)
    }

    /// [`Session::ensure_pool`]; with `files`, the pool's Workers must also hold OPFS
    /// scratch files (a pool built without them is rebuilt).
    fn ensure_pool_for(&mut self, size: usize, files: bool) -> Result<Arc<ThreadPool>, String> {
        match (&self.pool, &self.pool_state) {
            (Some(p), _) if p.current_num_threads() == size && (self.pool_scratch || !files) => {
                Ok(p.clone())
            }
            (_, PoolState::Unavailable(m)) | (None, PoolState::Failed(m)) => Err(m.clone()),
            (None, PoolState::Starting) => {
                Err("the worker pool is still starting; try again in a moment".to_string())
            }
            _ => {
                self.rebuild(size, files);
                self.pool.clone().ok_or_else(|| match &self.pool_state {
                    PoolState::Failed(m) => m.clone(),
                    _ => "the worker pool could not be rebuilt".to_string(),
                })
            }
        }
    }

    /// Start a scenario: its main program and its watchdog run on the two supervisor
    /// threads (they block), its workers on a scenario pool sized for it. Returns at once.
    pub fn launch_scenario(
        &mut self,
        scenario: Runnable,
        config: Config,
        opts: RunOptions,
    ) -> Result<LiveRun, String> {
        let need = (scenario.threads_needed)(&config).clamp(1, pool::MAX_POOL);
        // A scenario with file items (do-work) writes to OPFS where the page has it.
        let opfs = self.opfs && scenario.info.knob("file-items").is_some();
        let pool = self.ensure_pool_for(need, opfs)?;
        let trap = super::crash::take_armed();
        if let Some(old) = &self.live {
            old.ctx.cancel();
        }
        let ctx = RunCtx::new();
        ctx.set_slowmo(opts.slowmo);
        ctx.recorder.set_enabled(opts.traced);
        let finished = Arc::new(AtomicBool::new(false));
        let supervision = Arc::new(Supervision::default());
        let size = pool.current_num_threads();
        let threads = Threads::new(pool);
        // A freshly built pool's Workers take a few milliseconds each to boot. A lesson
        // whose workers must really overlap (lost updates, garbling, the GIL's speedups)
        // would otherwise see them start one by one. do-work waits too: it times starting
        // its pools' workers, as the source did, but booting 50 Web Workers is the page's
        // own start-up (about 2 s here), and it fell on the first case of the first run
        // only: thread/fileio read 4.8 s there against 2.4-2.6 s in the runs after.
        let pool_live = self.pool_live.clone();
        {
            let (ctx, supervision, finished) = (ctx.clone(), supervision.clone(), finished.clone());
            pool::supervise(move || {
                if trap {
                    super::crash::trap_one_worker(threads.pool());
                }
                wait_until_live(&ctx, &pool_live, size);
                // OPFS where the page has it (each pool Worker then holds a scratch file),
                // memory otherwise; the do-work lesson reports where the files really went.
                let files: Arc<dyn FileStore> = if opfs {
                    Arc::new(OpfsStore::default())
                } else {
                    Arc::new(MemStore::default())
                };
                main_program(&ctx, &threads, files, scenario, &config, &supervision);
                finished.store(true, Ordering::SeqCst);
            })?;
        }
        {
            let (ctx, supervision) = (ctx.clone(), supervision.clone());
            pool::supervise(move || watchdog(&ctx, &supervision, &opts))?;
        }
        let live = LiveRun { ctx, finished };
        self.live = Some(live.clone());
        Ok(live)
    }

    /// Start a run: its main program `main` runs on the supervisor pool (it may block),
    /// with the scenario pool for its workers. Returns at once.
    pub fn launch(
        &mut self,
        scenario: &str,
        main: impl FnOnce(&Arc<RunCtx>, &Arc<ThreadPool>) -> EngineResult<()> + Send + 'static,
    ) -> Result<LiveRun, String> {
        let pool = self.pool.clone().ok_or_else(|| match &self.pool_state {
            PoolState::Unavailable(m) | PoolState::Failed(m) => m.clone(),
            _ => "the worker pool is still starting; try again in a moment".to_string(),
        })?;
        if let Some(old) = &self.live {
            old.ctx.cancel();
        }
        let ctx = RunCtx::new();
        let finished = Arc::new(AtomicBool::new(false));
        let live = LiveRun {
            ctx: ctx.clone(),
            finished: finished.clone(),
        };
        let scenario = scenario.to_string();
        pool::supervise(move || {
            let _enter = ctx.enter(crate::engine::trace::MAIN_WORKER);
            ctx.emit(None, EventKind::RunStart { scenario });
            let outcome = match main(&ctx, &pool) {
                Ok(()) if ctx.is_cancelled() => Outcome::Cancelled,
                Ok(()) => Outcome::Done,
                Err(crate::engine::EngineError::Cancelled) => Outcome::Cancelled,
                Err(e) => Outcome::Failed(e.to_string()),
            };
            ctx.emit(None, EventKind::RunEnd { outcome });
            finished.store(true, Ordering::SeqCst);
        })?;
        self.live = Some(live.clone());
        Ok(live)
    }
}
