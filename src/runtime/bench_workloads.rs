//! The benchmark workloads, shared word for word by the browser entry points
//! (`runtime::bench`) and the native example (`examples/bench_native.rs`, which includes
//! this file by path), so wasm and native figures time exactly the same code.
//!
//! Platform-neutral on purpose: engine only, `web_time::Instant`, no sleeping. Every
//! function blocks, so in the browser it must run on a Worker, never the main thread.

use crate::engine::error::EngineResult;
use crate::engine::gil::run_cpu;
use crate::engine::pool::{Pool, PoolSpec};
use crate::engine::run::RunCtx;
use crate::engine::sync::lock::Lock;
use crate::engine::sync::queue::Queue;
use crate::engine::trace::{Flavour, MAIN_WORKER};
use crate::engine::work::SumSquares;
use crate::engine::worker::{Threads, WorkerSpec};
use web_time::Instant;

/// The checksum of `sum(i*i for i in range(n))` split into `k` contiguous chunks is
/// not the same as one pass (each chunk restarts at 0), so the CPU figure returns the
/// work done instead: iterations, which the caller divides by the time.
pub struct CpuRun {
    pub wall_ms: f64,
    pub iterations: u64,
}

/// CPU-bound kernel split across `k` process-flavoured workers (no GIL): start all,
/// join all, as the CPU-bound lesson does. `total` iterations in all.
pub fn cpu_split(threads: &Threads, k: usize, total: u64) -> EngineResult<CpuRun> {
    let ctx = RunCtx::new();
    ctx.recorder.set_enabled(false);
    let _main = ctx.enter(MAIN_WORKER);
    let per = total / k as u64;
    let t0 = Instant::now();
    let workers = (0..k)
        .map(|_| {
            let c = ctx.clone();
            WorkerSpec::new(Flavour::Process).start(&ctx, threads, move || {
                run_cpu(&c, None, SumSquares::new(per)).map(|s| (s & 1) as i32)
            })
        })
        .collect::<EngineResult<Vec<_>>>()?;
    for w in workers {
        w.join()?;
    }
    Ok(CpuRun {
        wall_ms: t0.elapsed().as_secs_f64() * 1e3,
        iterations: per * k as u64,
    })
}

/// `apply_async` of `n` trivial tasks on a pool of `workers`, then `get` of each: tasks/s.
/// Pool start is not timed (as in CPython's anchor, which warms its pools first).
pub fn dispatch_rate(
    threads: &Threads,
    flavour: Flavour,
    workers: usize,
    n: usize,
    traced: bool,
) -> EngineResult<f64> {
    let ctx = RunCtx::new();
    ctx.recorder.set_enabled(traced);
    let _main = ctx.enter(MAIN_WORKER);
    let pool = Pool::new(&ctx, threads, PoolSpec::new(flavour, workers))?;
    let t0 = Instant::now();
    let handles = (0..n as u64)
        .map(|i| pool.apply_async(|x: u64| Ok(x), i))
        .collect::<EngineResult<Vec<_>>>()?;
    let mut last = 0;
    for h in &handles {
        last = h.take(None)?;
    }
    let secs = t0.elapsed().as_secs_f64();
    pool.close();
    pool.join()?;
    drop(ctx.recorder.drain_sorted());
    if last != n as u64 - 1 {
        return Err(crate::engine::EngineError::Task("wrong last result".into()));
    }
    Ok(n as f64 / secs)
}

/// A blocking hand-off between two workers: the pinger puts `i` on one queue, the echo
/// worker gets it and puts it on the other, the pinger gets it back. Median µs per round
/// trip over `n` messages after `warm` unmeasured ones.
pub fn handoff_median_us(threads: &Threads, n: usize, warm: usize) -> EngineResult<f64> {
    let ctx = RunCtx::new();
    ctx.recorder.set_enabled(false);
    let _main = ctx.enter(MAIN_WORKER);
    let ping: std::sync::Arc<Queue<u64>> = Queue::new(&ctx, "ping", 0);
    let pong: std::sync::Arc<Queue<u64>> = Queue::new(&ctx, "pong", 0);
    let total = (n + warm) as u64;
    let echo = {
        let (ping, pong) = (ping.clone(), pong.clone());
        WorkerSpec::new(Flavour::Thread).start(&ctx, threads, move || {
            for _ in 0..total {
                let m = ping.get(true, None)?;
                pong.put(m, true, None)?;
            }
            Ok(0)
        })?
    };
    let pinger = {
        let (ping, pong) = (ping.clone(), pong.clone());
        let lat = std::sync::Arc::new(std::sync::Mutex::new(Vec::with_capacity(n)));
        let out = lat.clone();
        let w = WorkerSpec::new(Flavour::Thread).start(&ctx, threads, move || {
            let mut v = Vec::with_capacity(n);
            for i in 0..total {
                let t0 = Instant::now();
                ping.put(i, true, None)?;
                let back = pong.get(true, None)?;
                let us = t0.elapsed().as_secs_f64() * 1e6;
                if back != i {
                    return Ok(1);
                }
                if i >= warm as u64 {
                    v.push(us);
                }
            }
            *lock_ignoring_poison(&out) = v;
            Ok(0)
        })?;
        (w, lat)
    };
    let code = pinger.0.join()?;
    echo.join()?;
    if code != 0 {
        return Err(crate::engine::EngineError::Task(
            "hand-off out of order".into(),
        ));
    }
    let mut v = std::mem::take(&mut *lock_ignoring_poison(&pinger.1));
    Ok(median(&mut v))
}

/// A lock-heavy run: `k` workers each take and release one lock `per` times, with a
/// tiny critical section. Wall ms (all workers started and joined).
///
/// While it runs, the calling thread drains the trace every 10 ms and keeps every event,
/// as the page (once per frame) and the CLI (every 10 ms) do: recording into a log nobody
/// reads would measure the memory a whole run's events take on top of tracing itself.
pub fn lock_heavy_ms(threads: &Threads, k: usize, per: usize, traced: bool) -> EngineResult<f64> {
    let ctx = RunCtx::new();
    ctx.recorder.set_enabled(traced);
    let _main = ctx.enter(MAIN_WORKER);
    let lock = Lock::new(&ctx, "counter_lock");
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let t0 = Instant::now();
    let ws = (0..k)
        .map(|_| {
            let (lock, counter) = (lock.clone(), counter.clone());
            WorkerSpec::new(Flavour::Thread).start(&ctx, threads, move || {
                for _ in 0..per {
                    let _g = lock.lock()?;
                    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                Ok(0)
            })
        })
        .collect::<EngineResult<Vec<_>>>()?;
    let mut kept = Vec::new();
    while ws.iter().any(|w| w.is_alive()) {
        ctx.recorder.drain_into(&mut kept, usize::MAX);
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    for w in ws {
        w.join()?;
    }
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    ctx.recorder.drain_into(&mut kept, usize::MAX);
    drop(kept);
    if counter.load(std::sync::atomic::Ordering::Relaxed) != (k * per) as u64 {
        return Err(crate::engine::EngineError::Task("lost an increment".into()));
    }
    Ok(ms)
}

/// Nanoseconds per event when `writers` threads each record `per` lock events at once
/// into one recorder, nothing draining it until they are done (as in a CLI run).
/// Native only: the browser side starts its threads through the pools.
#[cfg(not(target_arch = "wasm32"))]
pub fn record_ns_per_event(writers: u32, per: u64) -> f64 {
    let recorder = std::sync::Arc::new(crate::engine::record::Recorder::new(1));
    let r = recorder.clone();
    let ns = ns_per_op(writers, per, move |w| {
        r.record(w + 1, Some(1), crate::engine::trace::EventKind::LockAcquire)
    });
    drop(recorder.drain_sorted());
    ns
}

/// Nanoseconds per call when `threads` threads each call `op(thread)` `per` times at once.
#[cfg(not(target_arch = "wasm32"))]
pub fn ns_per_op(threads: u32, per: u64, op: impl Fn(u32) + Send + Sync + 'static) -> f64 {
    let op = std::sync::Arc::new(op);
    let t0 = Instant::now();
    let hs: Vec<_> = (0..threads)
        .map(|w| {
            let op = op.clone();
            std::thread::spawn(move || (0..per).for_each(|_| op(w)))
        })
        .collect();
    for h in hs {
        let _ = h.join();
    }
    t0.elapsed().as_secs_f64() * 1e9 / (per * u64::from(threads)) as f64
}

/// A mutex guard even if a holder panicked (the data is plain numbers).
fn lock_ignoring_poison<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}
