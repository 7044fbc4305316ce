//! Figures for the execution engine: pool dispatch throughput (traced and untraced), a
//! native rayon + channel baseline, and the GIL model's CPU ratios. Prints, asserts nothing.
//!
//! `cargo run --release --example engine_bench`
//!
//! Compare with CPython 3 on the same kind of machine (/work/shared/bench/py_dispatch.py):
//! `multiprocessing.Pool.apply_async` + `get`, 2 workers, trivial task: about 18.3k tasks/s.

use concurrency_playground::engine::executor::Executor;
use concurrency_playground::engine::gil::Gil;
use concurrency_playground::engine::pool::{Pool, PoolSpec};
use concurrency_playground::engine::run::RunCtx;
use concurrency_playground::engine::work::{Factorial, DEFAULT_FACTORIAL_N};
use concurrency_playground::engine::worker::{Threads, WorkerSpec};
use concurrency_playground::engine::{EngineResult, Flavour};
use web_time::Instant;

const TASKS: usize = 20_000;
const WORKERS: usize = 2;
const CPYTHON_APPLY_ASYNC: f64 = 18_300.0;

fn rate(n: usize, secs: f64) -> String {
    format!("{:>9.0} tasks/s", n as f64 / secs)
}

fn apply_async_rate(threads: &Threads, flavour: Flavour, traced: bool) -> EngineResult<f64> {
    let ctx = RunCtx::new();
    ctx.recorder.set_enabled(traced);
    let pool = Pool::new(&ctx, threads, PoolSpec::new(flavour, WORKERS))?;
    let t0 = Instant::now();
    let handles = (0..TASKS as u64)
        .map(|i| pool.apply_async(|x: u64| Ok(x), i))
        .collect::<EngineResult<Vec<_>>>()?;
    for h in &handles {
        h.take(None)?;
    }
    let secs = t0.elapsed().as_secs_f64();
    pool.close();
    pool.join()?;
    drop(ctx.recorder.drain_sorted());
    Ok(secs)
}

fn map_rate(threads: &Threads, flavour: Flavour, chunksize: Option<usize>) -> EngineResult<f64> {
    let ctx = RunCtx::new();
    let pool = Pool::new(&ctx, threads, PoolSpec::new(flavour, WORKERS))?;
    let t0 = Instant::now();
    let out = pool.map(|x: u64| Ok(x), (0..TASKS as u64).collect(), chunksize)?;
    let secs = t0.elapsed().as_secs_f64();
    assert_eq!(out.len(), TASKS);
    pool.close();
    pool.join()?;
    Ok(secs)
}

fn executor_rate(threads: &Threads, flavour: Flavour) -> EngineResult<f64> {
    let ctx = RunCtx::new();
    let ex = Executor::new(&ctx, threads, flavour, WORKERS)?;
    let t0 = Instant::now();
    let futures = (0..TASKS as u64)
        .map(|i| ex.submit(|x: u64| Ok(x), i))
        .collect::<EngineResult<Vec<_>>>()?;
    for f in &futures {
        f.result(None)?;
    }
    let secs = t0.elapsed().as_secs_f64();
    ex.shutdown(true)?;
    Ok(secs)
}

/// What the engine is measured against: bare rayon spawns answering over a channel.
fn rayon_baseline(threads: &Threads) -> f64 {
    let (tx, rx) = crossbeam_channel::unbounded();
    let t0 = Instant::now();
    for i in 0..TASKS as u64 {
        let tx = tx.clone();
        threads.pool().spawn(move || {
            let _ = tx.send(i);
        });
    }
    for _ in 0..TASKS {
        let _ = rx.recv();
    }
    t0.elapsed().as_secs_f64()
}

fn cpu_wall(threads: &Threads, flavour: Flavour, n: usize, gil_on: bool) -> EngineResult<f64> {
    let ctx = RunCtx::new();
    let gil = Gil::new(&ctx);
    gil.set_enabled(gil_on);
    let t0 = Instant::now();
    let ws = (0..n)
        .map(|_| {
            let g = gil.clone();
            WorkerSpec::new(flavour).start(&ctx, threads, move || {
                g.run(Factorial::new(DEFAULT_FACTORIAL_N)).map(|_| 0)
            })
        })
        .collect::<EngineResult<Vec<_>>>()?;
    for w in ws {
        w.join()?;
    }
    Ok(t0.elapsed().as_secs_f64())
}

fn main() -> EngineResult<()> {
    let threads = Threads::build(8)?;
    println!("engine_bench: {TASKS} trivial tasks, {WORKERS} workers (CPython Pool.apply_async: {CPYTHON_APPLY_ASYNC:.0} tasks/s)");
    for flavour in [Flavour::Thread, Flavour::Process] {
        for traced in [true, false] {
            let secs = apply_async_rate(&threads, flavour, traced)?;
            println!(
                "  apply_async+get  {flavour:?} traced={traced:<5} {}  ({:.2}x CPython)",
                rate(TASKS, secs),
                TASKS as f64 / secs / CPYTHON_APPLY_ASYNC
            );
        }
        for chunksize in [Some(1), None] {
            let secs = map_rate(&threads, flavour, chunksize)?;
            println!(
                "  map chunksize={:<7} {flavour:?}  {}",
                chunksize.map_or("default".to_string(), |c| c.to_string()),
                rate(TASKS, secs)
            );
        }
        let secs = executor_rate(&threads, flavour)?;
        println!("  executor submit+result {flavour:?} {}", rate(TASKS, secs));
    }
    println!(
        "  rayon spawn+channel baseline {}",
        rate(TASKS, rayon_baseline(&threads))
    );

    let one = cpu_wall(&threads, Flavour::Thread, 1, true)?;
    println!(
        "\nfactorial({DEFAULT_FACTORIAL_N}) on one worker: {:.1} ms",
        one * 1e3
    );
    for n in [2, 4] {
        let gil = cpu_wall(&threads, Flavour::Thread, n, true)?;
        let free = cpu_wall(&threads, Flavour::Thread, n, false)?;
        let procs = cpu_wall(&threads, Flavour::Process, n, true)?;
        println!(
            "  {n} workers: threads+GIL {:.2}x, threads no GIL {:.2}x, processes {:.2}x one worker's time",
            gil / one,
            free / one,
            procs / one
        );
    }
    Ok(())
}
