//! Pool. Its catalogue entry (knobs, Python, lesson) is in [`super::catalog`]; the code that
//! runs goes between the markers below, which the page shows to the learner verbatim.
//!
//! Every job sleeps a different, seeded time, so jobs finish out of order: `map` and `imap`
//! still return results in input order, `imap_unordered` in completion order, and `apply`
//! waits for each job before sending the next.
//!
//! Figures: `max-running` (the most jobs running at once: k for the parallel methods, 1 for
//! `apply`), `tasks` (how many tasks went to the pool: items / chunksize, rounded up, for
//! the chunked methods), `in-input-order` (1 if the results came back in input order),
//! `out-of-order` (positions where the jobs' completion order differs from input order)
//! and `wall-ms`.

use super::runner::Scene;
use super::site_checker::SeededRng;
use crate::engine::pool::{Pool, PoolSpec};
use crate::engine::sync::stdout::print;
use crate::engine::work::io_wait;
use crate::engine::worker::current_worker;
use crate::engine::{EngineResult, Flavour, RunCtx};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use web_time::Instant;

// ANCHOR: code
/// One job: `(number, pause in ms)`. Returns the number squared.
fn job(task: (u64, f64)) -> EngineResult<u64> {
    let (number, pause_ms) = task;
    let ctx = RunCtx::require()?.0;
    // Jobs take different times, so they finish out of order.
    io_wait(&ctx, None, Duration::from_secs_f64(pause_ms / 1000.0))?;
    print(&format!("{} finished job {number}", current_worker().0))?;
    Ok(number * number)
}

pub fn run(s: &Scene) -> EngineResult<()> {
    let k = s.int("pool") as usize;
    let method = s.choice("method");
    let chunksize = Some(s.int("chunksize") as usize);
    let flavour = match s.choice("flavour") {
        "thread" => Flavour::Thread, // multiprocessing.pool.ThreadPool
        _ => Flavour::Process,       // multiprocessing.Pool
    };
    let mut rng = SeededRng::new(s.int("seed") as u64);
    let latency = s.float("latency-ms");
    let tasks: Vec<(u64, f64)> = (0..s.int("items") as u64)
        .map(|n| (n, rng.next_f64() * latency))
        .collect();
    let meter = Meter::default(); // the playground counts the jobs running at once
    let job = meter.wrap(job);

    let start = Instant::now();
    let pool = Pool::new(s.ctx, s.threads, PoolSpec::new(flavour, k))?;
    let results: Vec<u64> = match method {
        // Input order, whatever order the jobs finish in.
        "map" => pool.map(job, tasks.clone(), chunksize)?,
        // One job at a time: apply waits for each result before sending the next job.
        "apply" => {
            let mut results = Vec::new();
            for t in &tasks {
                results.push(pool.apply(job.clone(), *t)?);
            }
            results
        }
        // Send every job first, then wait for each handle's result.
        "apply_async" => {
            let mut pending = Vec::new();
            for t in &tasks {
                pending.push(pool.apply_async(job.clone(), *t)?);
            }
            let mut results = Vec::new();
            for p in &pending {
                results.push(p.get(Some(60.0))?);
            }
            results
        }
        "imap" => pool
            .imap(job, tasks.clone(), chunksize)?
            .collect::<EngineResult<_>>()?,
        // Completion order: each result as soon as its job is done.
        _ => pool
            .imap_unordered(job, tasks.clone(), chunksize)?
            .collect::<EngineResult<_>>()?,
    };
    pool.close();
    pool.join()?;
    let elapsed = start.elapsed();

    print(&format!("{method}: {results:?}"))?;
    print(&format!(
        "{} jobs on a pool of {k} in {:.3} s",
        tasks.len(),
        elapsed.as_secs_f64()
    ))?;
    report(s, &meter, &results, elapsed)
}
// ANCHOR_END: code

pub fn threads_needed(c: &super::knob::Config) -> usize {
    c.int("pool").unwrap_or(1).max(1) as usize
}

/// The playground's own instrument (Python has none): how many jobs run at once, the
/// most ever, and the order the jobs finished in.
#[derive(Clone, Default)]
struct Meter {
    inner: Arc<MeterInner>,
}

#[derive(Default)]
struct MeterInner {
    running: AtomicUsize,
    max_running: AtomicUsize,
    finished: Mutex<Vec<u64>>,
}

impl Meter {
    /// `f`, counted while it runs. Cheap to clone, so `apply` can send it again and again.
    fn wrap(
        &self,
        f: fn((u64, f64)) -> EngineResult<u64>,
    ) -> impl Fn((u64, f64)) -> EngineResult<u64> + Clone + Send + Sync + 'static {
        let meter = self.clone();
        move |task| {
            let m = &meter.inner;
            let now = m.running.fetch_add(1, Ordering::SeqCst) + 1;
            m.max_running.fetch_max(now, Ordering::SeqCst);
            let out = f(task);
            crate::engine::liveness::lock(&m.finished).push(task.0);
            m.running.fetch_sub(1, Ordering::SeqCst);
            out
        }
    }

    fn max_running(&self) -> usize {
        self.inner.max_running.load(Ordering::SeqCst)
    }

    fn finished(&self) -> Vec<u64> {
        crate::engine::liveness::lock(&self.inner.finished).clone()
    }
}

fn report(s: &Scene, meter: &Meter, results: &[u64], elapsed: Duration) -> EngineResult<()> {
    let k = s.int("pool");
    let items = results.len();
    let method = s.choice("method");
    let max = meter.max_running();
    s.figure(
        "max-running",
        max as f64,
        "jobs",
        format!("at most {max} jobs ran at once on a pool of {k}; the others waited in the queue"),
    );
    let chunksize = s.int("chunksize").max(1) as usize;
    let (tasks, how) = match method {
        "apply" | "apply_async" => (items, "one task per job".to_string()),
        _ => (items.div_ceil(chunksize), format!("chunksize {chunksize}")),
    };
    s.figure(
        "tasks",
        tasks as f64,
        "tasks",
        format!("{items} jobs went to the workers as {tasks} tasks ({how})"),
    );
    let in_order = results
        .iter()
        .enumerate()
        .all(|(i, &r)| r == (i as u64) * (i as u64));
    s.figure(
        "in-input-order",
        if in_order { 1.0 } else { 0.0 },
        "",
        if in_order {
            format!("{method} returned the results in input order")
        } else {
            format!("{method} returned the results in completion order")
        },
    );
    let finished = meter.finished();
    let moved = finished
        .iter()
        .enumerate()
        .filter(|(i, &n)| n != *i as u64)
        .count();
    s.figure(
        "out-of-order",
        moved as f64,
        "jobs",
        format!("the jobs finished in the order {finished:?}: {moved} out of input order"),
    );
    let ms = elapsed.as_secs_f64() * 1000.0;
    s.figure(
        "wall-ms",
        ms,
        "ms",
        format!("{items} jobs on a pool of {k}, including starting it: {ms:.0} ms"),
    );
    Ok(())
}
