//! Threads vs processes and the GIL. Its catalogue entry (knobs, Python, lesson) is in [`super::catalog`]; the code
//! that runs goes between the markers below, which the page shows to the learner verbatim.

// ANCHOR: code
use crate::engine::executor::Executor;
use crate::engine::gil::Gil;
use crate::engine::sync::stdout::print;
use crate::engine::work::{io_wait, Factorial};
use crate::engine::EngineResult;
use std::sync::Arc;
use std::time::Duration;
use web_time::Instant;

/// One task: CPU work (`math.factorial(n).bit_length()`) or an I/O wait.
#[derive(Clone, Copy)]
enum Task {
    Cpu { n: u32 },
    Io { latency: Duration },
}

impl Task {
    /// Run the task as the calling worker. A thread must hold the GIL to compute and lets
    /// it go while it waits; a process has no GIL to share.
    fn run(self, gil: &Gil) -> EngineResult<u64> {
        match self {
            Task::Cpu { n } => Ok(gil.run(Factorial::new(n))?.bits),
            Task::Io { latency } => {
                let (ctx, _) = crate::engine::RunCtx::require()?;
                io_wait(&ctx, Some(gil), latency)?;
                Ok(0)
            }
        }
    }
}

/// Wall time of `body`, in seconds (`time.perf_counter()` before and after).
fn timed(body: impl FnOnce() -> EngineResult<()>) -> EngineResult<f64> {
    let start = Instant::now();
    body()?;
    Ok(start.elapsed().as_secs_f64())
}

pub fn run(s: &Scene) -> EngineResult<()> {
    let workers = s.int("workers") as usize;
    let flavour = flavour_of(s.choice("flavour"));
    let task = match s.choice("work-kind") {
        "io" => Task::Io { latency: Duration::from_secs_f64(s.float("latency-ms") / 1000.0) },
        _ => Task::Cpu { n: s.int("work") as u32 * 1000 },
    };
    // The run's one GIL: only thread-flavoured workers take it.
    let gil = Gil::new(s.ctx);
    gil.set_enabled(s.flag("gil"));
    gil.set_switch_interval(Duration::from_secs_f64(s.float("switch-ms") / 1000.0));

    // ThreadPoolExecutor(workers) or ProcessPoolExecutor(workers); all start now, before timing.
    let pool = Executor::new(s.ctx, s.threads, flavour, workers)?;

    let mut serial_best = f64::INFINITY;
    let mut parallel_best = f64::INFINITY;
    for _ in 0..s.int("repeat") {
        // The work one after another, on the main program: [task() for _ in range(workers)]
        let serial = timed(|| {
            for _ in 0..workers {
                task.run(&gil)?;
            }
            Ok(())
        })?;
        // The same work, one task per worker at the same time: pool.map(task, ...)
        let handoffs_before = gil.handoffs();
        let g = gil.clone();
        let parallel = timed(|| {
            for bits in pool.map(move |_: usize| task.run(&g), (0..workers).collect())? {
                bits?;
            }
            Ok(())
        })?;
        let handoffs = gil.handoffs() - handoffs_before;
        print(&format!(
            "one after another {serial:.3} s, on {workers} {} {parallel:.3} s: {:.2}x ({handoffs} GIL hand-offs)",
            s.choice("flavour"),
            serial / parallel
        ))?;
        // Like timeit, keep the best of the repeats: the run least disturbed by the rest of the machine.
        serial_best = serial_best.min(serial);
        parallel_best = parallel_best.min(parallel);
    }
    pool.shutdown(true)?;
    print(&format!("best: speedup {:.2}x", serial_best / parallel_best))?;
    report(s, &gil, workers, serial_best, parallel_best)
}
// ANCHOR_END: code

use super::runner::Scene;
use crate::engine::trace::Flavour;

fn flavour_of(choice: &str) -> Flavour {
    if choice == "process" {
        Flavour::Process
    } else {
        Flavour::Thread
    }
}

fn report(
    s: &Scene,
    gil: &Arc<Gil>,
    workers: usize,
    serial: f64,
    parallel: f64,
) -> EngineResult<()> {
    let speedup = if parallel > 0.0 { serial / parallel } else { 0.0 };
    let what = format!(
        "{} work on {workers} {}s, GIL {}",
        s.choice("work-kind"),
        s.choice("flavour"),
        if gil.enabled() { "on" } else { "off" }
    );
    s.figure(
        "serial-ms",
        serial * 1000.0,
        "ms",
        format!("{workers} tasks one after another (best of {})", s.int("repeat")),
    );
    s.figure(
        "parallel-ms",
        parallel * 1000.0,
        "ms",
        format!("{workers} tasks at once, one per worker (best of {})", s.int("repeat")),
    );
    s.figure(
        "speedup",
        speedup,
        "x",
        format!("{what}: {speedup:.2}x faster than one after another"),
    );
    s.figure(
        "efficiency",
        speedup / workers.max(1) as f64,
        "ratio",
        format!(
            "speedup per worker: 1.0 would be perfect use of {workers} workers"
        ),
    );
    s.figure(
        "gil-handoffs",
        gil.handoffs() as f64,
        "hand-offs",
        "times the GIL changed hands over the whole run (see the GIL lane in the timeline)",
    );
    if let Ok(cores) = std::thread::available_parallelism() {
        s.figure(
            "cores",
            cores.get() as f64,
            "cores",
            format!("this machine reports {cores} cores"),
        );
    }
    Ok(())
}

/// One pool thread per worker of the executor.
pub fn threads_needed(c: &super::knob::Config) -> usize {
    c.int("workers").unwrap_or(2).max(0) as usize
}
