//! Timing a call, k at a time. Its catalogue entry (knobs, Python, lesson) is in [`super::catalog`]; the code
//! that runs goes between the markers below, which the page shows to the learner verbatim.

// ANCHOR: code
use crate::engine::executor::Executor;
use crate::engine::gil::run_cpu;
use crate::engine::sync::stdout::print;
use crate::engine::trace::Flavour;
use crate::engine::work::{io_wait, SumSquares};
use crate::engine::{EngineResult, RunCtx};
use std::time::Duration;
use web_time::Instant;

/// One client "request": a round trip to a server (an I/O wait) and a little CPU work to
/// build the request and read the answer. Returns the status code.
fn request(latency: Duration) -> EngineResult<u16> {
    let (ctx, _) = RunCtx::require()?;
    run_cpu(&ctx, None, SumSquares::new(20_000))?; // encode the request
    io_wait(&ctx, None, latency)?; // time.sleep(LATENCY): waiting for the server
    Ok(200)
}

/// `request()` timed on its own, in seconds.
fn timed_request(latency: Duration) -> EngineResult<f64> {
    let start = Instant::now();
    request(latency)?;
    Ok(start.elapsed().as_secs_f64())
}

pub fn run(s: &Scene) -> EngineResult<()> {
    if s.float("slow-ms") > 0.0 {
        // Slow motion: a pause at every sync point.
        s.ctx
            .set_slowmo(Duration::from_secs_f64(s.float("slow-ms") / 1000.0));
    }
    let repeats = s.int("repeats") as usize;
    let latency = Duration::from_secs_f64(s.float("latency-ms") / 1000.0);

    // timeit.timeit(request, number=REPEATS): one call after another
    let start = Instant::now();
    for _ in 0..repeats {
        request(latency)?;
    }
    let total = start.elapsed().as_secs_f64();
    print(&format!(
        "1 at a time: {repeats} calls in {total:.3} s, {:.1} ms per call, {:.1} calls/s",
        total / repeats as f64 * 1000.0,
        repeats as f64 / total
    ))?;
    figures(s, 0, total / repeats as f64, repeats as f64 / total);

    // Then k calls at a time: REPEATS * k calls on a ThreadPoolExecutor(k)
    for k in ks(s.int("workers") as usize) {
        let start = Instant::now();
        let pool = Executor::new(s.ctx, s.threads, Flavour::Thread, k)?;
        let mut latencies = Vec::new();
        for took in pool.map(
            move |_: usize| timed_request(latency),
            (0..repeats * k).collect(),
        )? {
            latencies.push(took?);
        }
        pool.shutdown(true)?;
        let wall = start.elapsed().as_secs_f64();
        let mean = latencies.iter().sum::<f64>() / latencies.len() as f64;
        let throughput = latencies.len() as f64 / wall;
        print(&format!(
            "{k} at a time: {:.1} ms per call, {throughput:.1} calls/s",
            mean * 1000.0
        ))?;
        figures(s, k, mean, throughput);
    }
    Ok(())
}
// ANCHOR_END: code

use super::runner::Scene;

/// The concurrency levels to try, like the Python's `sorted({1, 2, WORKERS})`.
fn ks(workers: usize) -> Vec<usize> {
    let mut ks = vec![1, 2, workers.max(1)];
    ks.sort_unstable();
    ks.dedup();
    ks
}

/// The figures for one concurrency level; `k == 0` is the timeit loop on the main program.
fn figures(s: &Scene, k: usize, latency_s: f64, throughput: f64) {
    let label = if k == 0 {
        "timeit".to_string()
    } else {
        format!("k{k}")
    };
    let how = if k == 0 {
        "one after another (timeit)".to_string()
    } else {
        format!("{k} at a time")
    };
    s.figure(
        &format!("{label}-latency-ms"),
        latency_s * 1000.0,
        "ms",
        format!("{how}: each call took {:.1} ms", latency_s * 1000.0),
    );
    s.figure(
        &format!("{label}-throughput"),
        throughput,
        "calls/s",
        format!("{how}: {throughput:.1} calls per second"),
    );
}

/// The largest executor holds one pool thread per worker (at least 2: k = 1 and 2 always run).
pub fn threads_needed(c: &super::knob::Config) -> usize {
    c.int("workers").unwrap_or(4).max(2) as usize
}
