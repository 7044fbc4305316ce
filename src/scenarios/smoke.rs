//! The environment page's demos, on the whole path (pool threads, the run context, the
//! trace, the live drain and the widgets) with no lesson in the way:
//! - the smoke demo: a few workers each print numbered lines with a short real wait
//!   between them, so their lines interleave live;
//! - the flood: the workers print, together, a set number of lines per second for a set
//!   time, paced against the clock. It answers "can this browser keep up?" and is what the
//!   tests and the benchmark measure the page's responsiveness with.

use crate::engine::run::RunCtx;
use crate::engine::trace::{EventKind, Flavour};
use crate::engine::wait::WaitCell;
use crate::engine::EngineResult;
use std::sync::Arc;
use std::time::Duration;

/// How a worker spaces its lines.
#[derive(Clone, Copy, Debug)]
pub enum Pace {
    /// `lines` lines, `pause` apart.
    Steady { lines: usize, pause: Duration },
    /// `per_sec` lines a second (this worker's share) for `secs` seconds.
    Flood { per_sec: f64, secs: f64 },
}

/// Start `workers` workers on `pool`, each printing `lines` lines `pause` apart, and wait
/// for all of them (cancellable). Call from the run's coordinator, never the UI thread.
pub fn run(
    ctx: &Arc<RunCtx>,
    pool: &rayon::ThreadPool,
    workers: usize,
    lines: usize,
    pause: Duration,
) -> EngineResult<()> {
    run_paced(ctx, pool, workers, Pace::Steady { lines, pause })
}

/// `rate` lines a second in all, shared by `workers` workers, for `secs` seconds.
pub fn flood(
    ctx: &Arc<RunCtx>,
    pool: &rayon::ThreadPool,
    workers: usize,
    rate: f64,
    secs: f64,
) -> EngineResult<()> {
    let per_sec = rate / workers.max(1) as f64;
    run_paced(ctx, pool, workers, Pace::Flood { per_sec, secs })
}

fn run_paced(
    ctx: &Arc<RunCtx>,
    pool: &rayon::ThreadPool,
    workers: usize,
    pace: Pace,
) -> EngineResult<()> {
    let finished = Arc::new(WaitCell::new(0usize));
    for _ in 0..workers {
        let id = ctx.new_worker_id();
        let name = ctx.default_name(Flavour::Thread);
        ctx.registry.register_worker(id, &name);
        // WorkerNew is recorded under the new worker's id: it is what names that lane.
        ctx.recorder.record(
            id,
            None,
            EventKind::WorkerNew {
                name: name.clone(),
                flavour: Flavour::Thread,
                daemon: false,
            },
        );
        let (ctx, finished) = (ctx.clone(), finished.clone());
        pool.spawn(move || {
            let _enter = ctx.enter(id);
            ctx.emit(None, EventKind::WorkerStart);
            let result = match pace {
                Pace::Steady { lines, pause } => steady(&ctx, &name, lines, pause),
                Pace::Flood { per_sec, secs } => paced_flood(&ctx, &name, per_sec, secs),
            };
            let exit_code = if result.is_ok() { 0 } else { 1 };
            ctx.emit(None, EventKind::WorkerEnd { exit_code });
            *finished.lock() += 1;
            finished.notify_all();
        });
    }
    let g = finished.lock();
    let _ = finished.wait_while(ctx, g, None, |n| *n < workers)?;
    Ok(())
}

fn steady(ctx: &RunCtx, name: &str, lines: usize, pause: Duration) -> EngineResult<()> {
    for line in 1..=lines {
        ctx.emit(
            None,
            EventKind::Print {
                text: format!("{name}: line {line} of {lines}\n"),
            },
        );
        ctx.progress();
        ctx.sleep(pause)?;
    }
    Ok(())
}

/// Print whatever is due by the clock, then nap for a millisecond: the rate holds on
/// average whatever the timer's resolution, and a slow consumer never slows the producer.
fn paced_flood(ctx: &RunCtx, name: &str, per_sec: f64, secs: f64) -> EngineResult<()> {
    let t0 = web_time::Instant::now();
    let mut sent: u64 = 0;
    loop {
        let elapsed = t0.elapsed().as_secs_f64().min(secs);
        let due = (per_sec * elapsed) as u64;
        while sent < due {
            ctx.emit(
                None,
                EventKind::Print {
                    text: format!("{name}: line {sent}\n"),
                },
            );
            sent += 1;
        }
        ctx.progress();
        if elapsed >= secs {
            return Ok(());
        }
        ctx.sleep(Duration::from_millis(1))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_prints_its_rate_times_its_duration() {
        let ctx = RunCtx::new();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .expect("pool");
        flood(&ctx, &pool, 3, 30_000.0, 0.2).expect("flood");
        let prints = ctx
            .recorder
            .drain_sorted()
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Print { .. }))
            .count();
        // Each of the three workers prints floor(10,000/s x 0.2 s) = 2,000 lines.
        assert_eq!(prints, 6_000);
    }
}
