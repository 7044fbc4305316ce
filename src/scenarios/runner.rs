//! Running a scenario: the contract every scenario module implements, and the supervision
//! around it (the main program, the watchdog, the time budget), shared by the CLI, the
//! tests and the browser.
//!
//! A scenario module provides
//! `pub fn run(s: &Scene) -> EngineResult<()>` (its main program: it creates primitives,
//! starts workers, waits for them, and records its results with [`Scene::figure`]) and
//! `pub fn threads_needed(c: &Config) -> usize` (how many pool threads its workers occupy at
//! once, so the page can size the pool and the engine can refuse a run that would hang).

use super::catalog::ScenarioInfo;
use super::knob::Config;
use crate::engine::liveness::{Alarm, Watchdog};
use crate::engine::run::RunCtx;
use crate::engine::trace::{EventKind, Outcome, MAIN_WORKER};
use crate::engine::work::FileStore;
use crate::engine::worker::Threads;
use crate::engine::{EngineError, EngineResult};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a scenario's main program gets.
pub struct Scene<'a> {
    pub ctx: &'a Arc<RunCtx>,
    pub threads: &'a Threads,
    pub config: &'a Config,
    /// Where file-I/O work writes: real storage where the platform offers it. Shared, so
    /// pool tasks (which must be `'static`) can hold it.
    pub files: Arc<dyn FileStore>,
}

impl Scene<'_> {
    /// Record one measured result. `text` is what the learner reads.
    pub fn figure(&self, key: &str, value: f64, unit: &str, text: impl Into<String>) {
        self.ctx.emit(
            None,
            EventKind::Figure(Box::new(crate::engine::trace::Figure {
                key: key.to_string(),
                value,
                unit: unit.to_string(),
                text: text.into(),
            })),
        );
    }

    /// An integer knob, clamped by the config layer already; 0 if the scenario lacks it.
    pub fn int(&self, key: &str) -> i64 {
        self.config.int(key).unwrap_or(0)
    }

    pub fn float(&self, key: &str) -> f64 {
        self.config.float(key).unwrap_or(0.0)
    }

    pub fn flag(&self, key: &str) -> bool {
        self.config.bool(key).unwrap_or(false)
    }

    pub fn choice(&self, key: &str) -> &'static str {
        self.config.choice(key).unwrap_or("")
    }
}

pub type RunFn = fn(&Scene) -> EngineResult<()>;
pub type ThreadsFn = fn(&Config) -> usize;

/// A runnable scenario: its catalogue entry and its code.
#[derive(Clone, Copy)]
pub struct Runnable {
    pub info: &'static ScenarioInfo,
    pub run: RunFn,
    pub threads_needed: ThreadsFn,
}

/// The scenario with this id, ready to run.
pub fn find(id: &str) -> Option<Runnable> {
    use super::*;
    let info = catalog::find(id)?;
    let (run, threads_needed): (RunFn, ThreadsFn) = match id {
        "start-join" => (start_join::run, start_join::threads_needed),
        "worker-class" => (worker_class::run, worker_class::threads_needed),
        "gil" => (gil::run, gil::threads_needed),
        "lock" => (lock::run, lock::threads_needed),
        "event" => (event::run, event::threads_needed),
        "condition" => (condition::run, condition::threads_needed),
        "semaphore" => (semaphore::run, semaphore::threads_needed),
        "queue-sentinel" => (queue_sentinel::run, queue_sentinel::threads_needed),
        "bounded-buffer" => (bounded_buffer::run, bounded_buffer::threads_needed),
        "site-checker" => (site_checker::run, site_checker::threads_needed),
        "pool" => (pool::run, pool::threads_needed),
        "executor" => (executor::run, executor::threads_needed),
        "shared-state" => (shared_state::run, shared_state::threads_needed),
        "parallel-map" => (parallel_map::run, parallel_map::threads_needed),
        "do-work" => (do_work::run, do_work::threads_needed),
        "timing-calls" => (timing_calls::run, timing_calls::threads_needed),
        "worker-logging" => (worker_logging::run, worker_logging::threads_needed),
        "deadlock" => (deadlock::run, deadlock::threads_needed),
        _ => return None,
    };
    Some(Runnable {
        info,
        run,
        threads_needed,
    })
}

/// How a run is supervised.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Report a stall after this long without progress while someone waits.
    pub stall_after: Duration,
    /// Cancel the run (with a message) after this long.
    pub budget: Duration,
    /// Delay at every sync point (slow motion).
    pub slowmo: Duration,
    /// Record every event (off only for benchmarks of untraced runs).
    pub traced: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            stall_after: Duration::from_millis(1500),
            budget: Duration::from_secs(120),
            slowmo: Duration::ZERO,
            traced: true,
        }
    }
}

/// Shared between a run's main program and its watchdog: whether the main program has
/// ended, and why the watchdog cancelled, if it did.
#[derive(Default)]
pub struct Supervision {
    finished: AtomicBool,
    reason: Mutex<Option<String>>,
}

impl Supervision {
    pub fn finished(&self) -> bool {
        self.finished.load(Ordering::SeqCst)
    }

    fn cancel_because(&self, ctx: &RunCtx, why: String) {
        *crate::engine::liveness::lock(&self.reason) = Some(why);
        ctx.cancel();
    }

    fn reason(&self) -> Option<String> {
        crate::engine::liveness::lock(&self.reason).clone()
    }
}

/// Lessons written with `multiprocessing` (a "process" flavour knob, or the site checker,
/// which has only processes and so no knob) call the main program `MainProcess`, as
/// Python's `current_process().name` does there. do-work's default flavour, "both", keeps
/// `MainThread`.
fn main_is_process(id: &str, config: &Config) -> bool {
    id == "site-checker" || config.choice("flavour") == Some("process")
}

/// The run's main program, as the main worker: records `RunStart`, runs the scenario, waits
/// for its non-daemon workers like Python does at exit, and records `RunEnd`. Blocks; call it
/// on a worker thread, never on the browser's main thread.
pub fn main_program(
    ctx: &Arc<RunCtx>,
    threads: &Threads,
    files: Arc<dyn FileStore>,
    scenario: Runnable,
    config: &Config,
    supervision: &Supervision,
) -> Outcome {
    let _main = ctx.enter(MAIN_WORKER);
    ctx.emit(
        None,
        EventKind::RunStart {
            scenario: scenario.info.id.to_string(),
        },
    );
    if main_is_process(scenario.info.id, config) {
        ctx.name_main_process();
    }
    let scene = Scene {
        ctx,
        threads,
        config,
        files,
    };
    let needed = (scenario.threads_needed)(config);
    let result = if needed > threads.size() {
        Err(EngineError::PoolTooSmall {
            needed,
            threads: threads.size(),
        })
    } else {
        // Refused up front: a failed allocation in wasm is a trap, not an error.
        super::memory::check(scenario.info.id, config, needed).and_then(|()| (scenario.run)(&scene))
    };
    // Abandoning daemon workers at the end cancels the run so they stop; that is a
    // normal end, so only a cancel seen before it makes the run "cancelled".
    let cancelled_before_end = ctx.is_cancelled();
    let result = result.and_then(|()| threads.end_of_main(ctx).map(|_| ()));
    let outcome = match (result, supervision.reason()) {
        (_, Some(why)) => Outcome::Failed(why),
        (Ok(()), None) if cancelled_before_end => Outcome::Cancelled,
        (Ok(()), None) => Outcome::Done,
        (Err(EngineError::Cancelled), None) => Outcome::Cancelled,
        (Err(e), None) => Outcome::Failed(e.to_string()),
    };
    if !matches!(outcome, Outcome::Done) {
        // Workers still blocked would otherwise hold their pool threads.
        ctx.cancel();
        let _ = threads.end_of_main(ctx);
    }
    ctx.emit(
        None,
        EventKind::RunEnd {
            outcome: outcome.clone(),
        },
    );
    supervision.finished.store(true, Ordering::SeqCst);
    outcome
}

/// How often the watchdog looks.
pub const WATCH_POLL: Duration = Duration::from_millis(50);

/// The watchdog: records stalls and deadlocks as they happen; a deadlock, or running past
/// the budget, cancels the run with the reason. Blocks until the main program ends.
pub fn watchdog(ctx: &Arc<RunCtx>, supervision: &Supervision, opts: &RunOptions) {
    let mut dog = Watchdog::new(ctx, opts.stall_after);
    let started = web_time::Instant::now();
    while !supervision.finished() {
        match dog.check() {
            Some(Alarm::Deadlock(cycle)) => {
                supervision.cancel_because(
                    ctx,
                    format!("deadlock: no worker can go on. {}", cycle.join("; ")),
                );
            }
            Some(Alarm::Stall(_)) | None => {}
        }
        if !ctx.is_cancelled() && started.elapsed() > opts.budget {
            supervision.cancel_because(
                ctx,
                format!(
                    "the run took longer than its {} s budget and was stopped",
                    opts.budget.as_secs()
                ),
            );
        }
        // Not the run's cancellable sleep: the watchdog must outlive a cancel until the
        // main program has really ended.
        wait_a_little(WATCH_POLL);
    }
}

fn wait_a_little(d: Duration) {
    let cell = crate::engine::wait::WaitCell::new(());
    let ctx = RunCtx::new();
    let g = cell.lock();
    let deadline = web_time::Instant::now() + d;
    let _ = cell.wait_while(&ctx, g, Some(deadline), |_| true);
}

/// Everything a finished native run produced.
#[cfg(not(target_arch = "wasm32"))]
pub struct NativeRun {
    pub ctx: Arc<RunCtx>,
    pub outcome: Outcome,
}

/// Run a scenario natively: the main program on this thread, the watchdog on another, the
/// workers on `threads`. Events stay in `ctx.recorder` for the caller to drain (live, from
/// another thread, or all at the end).
#[cfg(not(target_arch = "wasm32"))]
pub fn run_native(
    ctx: &Arc<RunCtx>,
    threads: &Threads,
    scenario: Runnable,
    config: &Config,
    opts: &RunOptions,
) -> Outcome {
    ctx.set_slowmo(opts.slowmo);
    ctx.recorder.set_enabled(opts.traced);
    let supervision = Arc::new(Supervision::default());
    let dog = {
        let (ctx, supervision, opts) = (ctx.clone(), supervision.clone(), opts.clone());
        std::thread::spawn(move || watchdog(&ctx, &supervision, &opts))
    };
    let files: Arc<dyn FileStore> = match crate::engine::work::TempDirStore::new() {
        Ok(s) => Arc::new(s),
        Err(_) => Arc::new(crate::engine::work::MemStore::default()),
    };
    let outcome = main_program(ctx, threads, files, scenario, config, &supervision);
    let _ = dog.join();
    outcome
}
