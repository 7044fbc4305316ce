//! Native figures for `scripts/bench.sh`: one JSON line per figure on stdout, medians of
//! `BENCH_REPS` (default 5) repetitions. Times the same workloads as the browser
//! (`src/runtime/bench_workloads.rs`, included by path) plus the do_work table.
//!
//! `cargo run --profile release-native --example bench_native`
//! (`BENCH_ONLY=P4,P7` for some figures only, `BENCH_P7_ONCE=true|false` for one
//! lock-heavy run under an instruction counter).

use concurrency_playground::engine::pool::{Pool, PoolSpec};
use concurrency_playground::engine::run::RunCtx;
use concurrency_playground::engine::trace::{Flavour, MAIN_WORKER};
use concurrency_playground::engine::work::{file_roundtrip, square, TempDirStore, FILE_BYTES};
use concurrency_playground::engine::worker::Threads;
use concurrency_playground::engine::EngineResult;
use std::sync::Arc;
use web_time::Instant;

/// Lets the shared workloads file say `crate::engine::...` here too.
mod engine {
    pub use concurrency_playground::engine::*;
}

#[path = "../src/runtime/bench_workloads.rs"]
#[allow(dead_code)]
mod workloads;

use workloads::median;

fn reps() -> usize {
    std::env::var("BENCH_REPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
        .max(1)
}

/// `BENCH_ONLY=P4,P7` runs just those figures (profiling one figure without the rest).
fn wanted(id: &str) -> bool {
    match std::env::var("BENCH_ONLY") {
        Ok(list) => list.split(',').any(|x| x.trim() == id),
        Err(_) => true,
    }
}

fn emit(id: &str, name: &str, value: f64, extra: &str) {
    println!("{{\"id\":\"{id}\",\"name\":\"{name}\",\"value\":{value}{extra}}}");
}

/// `do_work(count, items, kind, method)` as the source timed it: pool start, every
/// `apply_async`, every `get`. Returns ms and checks the results.
fn do_work(
    threads: &Threads,
    store: &Arc<TempDirStore>,
    count: usize,
    items: u64,
    flavour: Flavour,
    fileio: bool,
) -> EngineResult<f64> {
    let ctx = RunCtx::new();
    ctx.recorder.set_enabled(false);
    let _main = ctx.enter(MAIN_WORKER);
    let t0 = Instant::now();
    let pool = Pool::new(&ctx, threads, PoolSpec::new(flavour, count))?;
    let mut sum: u64 = 0;
    if fileio {
        let hs = (0..items)
            .map(|i| {
                let (c, s) = (ctx.clone(), store.clone());
                pool.apply_async(
                    move |i: u64| {
                        file_roundtrip(&c, None, s.as_ref(), &format!("test-{i}"), FILE_BYTES)
                            .map(|r| r.bytes as u64)
                    },
                    i,
                )
            })
            .collect::<EngineResult<Vec<_>>>()?;
        for h in &hs {
            sum += h.take(None)?;
        }
        assert_eq!(sum, items * FILE_BYTES as u64);
    } else {
        let hs = (0..items)
            .map(|i| pool.apply_async(|x: u64| Ok(square(x)), i))
            .collect::<EngineResult<Vec<_>>>()?;
        for h in &hs {
            sum = sum.wrapping_add(h.take(None)?);
        }
        assert_eq!(sum, (0..items).map(|x| x * x).sum::<u64>());
    }
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    pool.close();
    pool.join()?;
    Ok(ms)
}

fn med_of(n: usize, mut f: impl FnMut() -> EngineResult<f64>) -> EngineResult<f64> {
    let mut v = (0..n).map(|_| f()).collect::<EngineResult<Vec<_>>>()?;
    Ok(median(&mut v))
}

/// Bare rayon spawns answering over a channel: what the engine's dispatch is set against.
fn rayon_rate(threads: &Threads, n: usize) -> f64 {
    let (tx, rx) = crossbeam_channel::unbounded();
    let t0 = Instant::now();
    for i in 0..n as u64 {
        let tx = tx.clone();
        threads.pool().spawn(move || {
            let _ = tx.send(i);
        });
    }
    for _ in 0..n {
        let _ = rx.recv();
    }
    n as f64 / t0.elapsed().as_secs_f64()
}

/// The gil scenario's own speedup figure for one run at its default knobs.
fn gil_speedup(threads: &Threads, flavour: &str) -> f64 {
    use concurrency_playground::engine::EventKind;
    use concurrency_playground::scenarios::knob::Config;
    use concurrency_playground::scenarios::runner::{self, RunOptions};
    let Some(scenario) = runner::find("gil") else {
        return f64::NAN;
    };
    let mut config = Config::defaults(scenario.info.knobs);
    let _ = config.set_text("flavour", flavour);
    let ctx = RunCtx::new();
    runner::run_native(&ctx, threads, scenario, &config, &RunOptions::default());
    ctx.recorder
        .drain_sorted()
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Figure(f) if f.key == "speedup" => Some(f.value),
            _ => None,
        })
        .unwrap_or(f64::NAN)
}

fn main() -> EngineResult<()> {
    let reps = reps();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let threads = Threads::build(64)?;

    // `BENCH_P7_ONCE=true|false`: one lock-heavy run, traced or not, and nothing else, so
    // an instruction counter (valgrind) can compare the two without the machine's noise.
    if let Ok(traced) = std::env::var("BENCH_P7_ONCE") {
        workloads::lock_heavy_ms(&threads, 4, 20_000, traced == "true")?;
        return Ok(());
    }

    // P2: one worker's speed on the CPU kernel (the browser runs the same one).
    let iters: u64 = 200_000_000;
    if wanted("P2") {
        let _ = workloads::cpu_split(&threads, 1, iters / 10)?;
        let ms = med_of(reps, || {
            workloads::cpu_split(&threads, 1, iters).map(|r| r.wall_ms)
        })?;
        emit("P2", "native_iters_per_us", iters as f64 / (ms * 1e3), "");
    }

    // The GIL lesson's claim, timed: CPU work on two thread-flavoured workers (one GIL) and
    // on two process-flavoured ones (a GIL each), with the lesson's default knobs. The
    // tests check the mechanism on the trace; the speedups are timings, so they live here.
    if wanted("GIL") {
        for flavour in ["thread", "process"] {
            let s = med_of(reps, || Ok(gil_speedup(&threads, flavour)))?;
            emit("GIL", &format!("native_gil_{flavour}_speedup"), s, "");
        }
    }

    // P3: the do_work table, pool start included.
    let store = Arc::new(TempDirStore::new()?);
    let tables: &[(&str, u64)] = if wanted("P3") {
        &[("fileio", 300), ("square", 2000)]
    } else {
        &[]
    };
    for &(method, items) in tables {
        for count in [50, cores] {
            for (kind, flavour) in [("thread", Flavour::Thread), ("process", Flavour::Process)] {
                let fileio = method == "fileio";
                let _ = do_work(&threads, &store, count, items, flavour, fileio)?;
                let ms = med_of(reps, || {
                    do_work(&threads, &store, count, items, flavour, fileio)
                })?;
                emit(
                    "P3",
                    &format!("do_work({count},{items},{kind},{method})"),
                    ms,
                    &format!(
                        ",\"method\":\"{method}\",\"count\":{count},\"kind\":\"{kind}\",\"cores\":{cores}"
                    ),
                );
            }
        }
    }

    // P4: dispatch throughput, 2 workers, trivial task.
    let n = 20_000;
    for (flavour, fname) in [(Flavour::Process, "process"), (Flavour::Thread, "thread")] {
        if !wanted("P4") {
            break;
        }
        for traced in [false, true] {
            let _ = workloads::dispatch_rate(&threads, flavour, 2, n, traced)?;
            let r = med_of(reps, || {
                workloads::dispatch_rate(&threads, flavour, 2, n, traced)
            })?;
            emit(
                "P4",
                &format!("native_dispatch_{fname}_traced_{traced}"),
                r,
                "",
            );
        }
    }
    if wanted("P4") {
        let r = med_of(reps, || Ok(rayon_rate(&threads, n)))?;
        emit("P4", "native_rayon_spawn_channel", r, "");
    }

    // P8: queue hand-off round trip between two workers.
    if wanted("P8") {
        let us = med_of(reps, || workloads::handoff_median_us(&threads, 5_000, 500))?;
        emit("P8", "native_handoff_median_us", us, "");
    }
    if !wanted("P7") {
        return Ok(());
    }

    // P7: tracing overhead on a lock-heavy run. Four workers on a 2-core machine make the
    // wall time hostage to the scheduler (a run of 80k lock operations varied by a third
    // from one run to the next), so each run is longer and there are at least 9 pairs.
    let (k, per) = (4, 60_000);
    let _ = workloads::lock_heavy_ms(&threads, k, per, true)?;
    let mut ratios = Vec::new();
    let (mut on, mut off) = (Vec::new(), Vec::new());
    for _ in 0..reps.max(9) {
        let a = workloads::lock_heavy_ms(&threads, k, per, false)?;
        let b = workloads::lock_heavy_ms(&threads, k, per, true)?;
        ratios.push(b / a);
        off.push(a);
        on.push(b);
    }
    // Beside the ratio, which the scheduler sways, the recorder's own cost per event with
    // one writer and with two at once (no lock, nothing else running): steadier figures
    // for judging a change to recording.
    for writers in [1u32, 2] {
        let ns = med_of(reps, || {
            Ok(workloads::record_ns_per_event(writers, 500_000))
        })?;
        emit("P7", &format!("native_record_ns_{writers}w"), ns, "");
    }
    emit(
        "P7",
        "native_lock_traced_over_untraced",
        median(&mut ratios),
        &format!(
            ",\"untraced_ms\":{},\"traced_ms\":{}",
            median(&mut off),
            median(&mut on)
        ),
    );
    Ok(())
}
