//! Workers, the GIL model, pickling, pools and executors, checked against what Python does.

use concurrency_playground::engine::executor::{as_completed, Executor};
use concurrency_playground::engine::gil::{Gil, Kernel};
use concurrency_playground::engine::pickle::{cross, NotPicklable};
use concurrency_playground::engine::pool::{Pool, PoolSpec};
use concurrency_playground::engine::run::RunCtx;
use concurrency_playground::engine::wait::WaitCell;
use concurrency_playground::engine::work::{self, SumSquares};
use concurrency_playground::engine::worker::{
    current_worker, Threads, WorkerSpec, EXIT_CANCELLED, EXIT_ERROR,
};
use concurrency_playground::engine::{EngineError, Event, EventKind, Flavour};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use web_time::Instant;

/// Tests that time things must not share the two cores with each other.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

fn threads(n: usize) -> Threads {
    Threads::build(n).expect("pool")
}

fn events(ctx: &RunCtx) -> Vec<Event> {
    ctx.recorder.drain_sorted()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn default_names_follow_python() {
    let _s = serial();
    let ctx = RunCtx::new();
    let th = threads(4);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut ws = Vec::new();
    for spec in [
        WorkerSpec::new(Flavour::Thread),
        WorkerSpec::new(Flavour::Process),
        WorkerSpec::new(Flavour::Process).name("my_service"),
        WorkerSpec::new(Flavour::Thread),
    ] {
        let seen = seen.clone();
        ws.push(
            spec.start(&ctx, &th, move || {
                seen.lock().unwrap().push(current_worker());
                Ok(0)
            })
            .unwrap(),
        );
    }
    let names: Vec<_> = ws.iter().map(|w| w.name().to_string()).collect();
    assert_eq!(names, ["Thread-1", "Process-1", "my_service", "Thread-2"]);
    for w in &ws {
        assert_eq!(w.join().unwrap(), 0);
    }
    let mut seen = seen.lock().unwrap().clone();
    seen.sort_by_key(|s| s.1);
    let expected: Vec<_> = ws.iter().map(|w| (w.name().to_string(), w.id())).collect();
    assert_eq!(seen, expected);
    assert_eq!(current_worker().0, "MainThread");
    let ev = events(&ctx);
    let news = ev
        .iter()
        .filter(|e| matches!(e.kind, EventKind::WorkerNew { .. }))
        .count();
    let ends = ev
        .iter()
        .filter(|e| matches!(e.kind, EventKind::WorkerEnd { exit_code: 0 }))
        .count();
    assert_eq!((news, ends), (4, 4));
}

#[test]
fn join_with_timeout_and_is_alive() {
    let _s = serial();
    let ctx = RunCtx::new();
    let th = threads(2);
    let c = ctx.clone();
    let w = WorkerSpec::new(Flavour::Thread)
        .start(&ctx, &th, move || c.sleep(ms(300)).map(|_| 0))
        .unwrap();
    assert!(!w.join_timeout(0.05).unwrap());
    assert!(w.is_alive());
    assert_eq!(w.exitcode(), None);
    assert!(w.join_timeout(5.0).unwrap());
    assert!(!w.is_alive());
    assert_eq!(w.exitcode(), Some(0));
    assert!(w.join_timeout(-1.0).is_err());
}

#[test]
fn exit_codes_for_return_error_and_cancel() {
    let _s = serial();
    let th = threads(3);
    let ctx = RunCtx::new();
    let ok = WorkerSpec::new(Flavour::Process)
        .start(&ctx, &th, || Ok(3))
        .unwrap();
    let bad = WorkerSpec::new(Flavour::Thread)
        .start(&ctx, &th, || {
            Err(EngineError::Task("ZeroDivisionError: boom".into()))
        })
        .unwrap();
    assert_eq!(ok.join().unwrap(), 3);
    assert_eq!(bad.join().unwrap(), EXIT_ERROR);
    let logged = events(&ctx).iter().any(|e| {
        matches!(&e.kind, EventKind::Log(l) if l.text.contains("boom")) && e.worker == bad.id()
    });
    assert!(logged, "the error is recorded as a log line of the worker");

    let ctx = RunCtx::new();
    let c = ctx.clone();
    let sleeper = WorkerSpec::new(Flavour::Thread)
        .start(&ctx, &th, move || c.sleep(ms(10_000)).map(|_| 0))
        .unwrap();
    ctx.cancel();
    let fresh = RunCtx::new();
    // Join through a run that is not cancelled, so the wait itself is not cut short.
    let deadline = Instant::now() + ms(2000);
    while sleeper.is_alive() && Instant::now() < deadline {
        fresh.sleep(ms(5)).unwrap();
    }
    assert_eq!(sleeper.exitcode(), Some(EXIT_CANCELLED));
    assert_ne!(EXIT_CANCELLED, 0);
    assert_ne!(EXIT_CANCELLED, EXIT_ERROR);
}

#[test]
fn too_many_blocking_workers_are_refused_not_deadlocked() {
    let _s = serial();
    let th = threads(2);
    let ctx = RunCtx::new();
    let gate = Arc::new(WaitCell::new(false));
    let mut ws = Vec::new();
    for _ in 0..2 {
        let (c, g) = (ctx.clone(), gate.clone());
        ws.push(
            WorkerSpec::new(Flavour::Thread)
                .start(&ctx, &th, move || {
                    let guard = g.lock();
                    drop(g.wait_while(&c, guard, None, |open| !*open)?);
                    Ok(0)
                })
                .unwrap(),
        );
    }
    let third = WorkerSpec::new(Flavour::Thread).start(&ctx, &th, || Ok(0));
    assert_eq!(
        third.err(),
        Some(EngineError::PoolTooSmall {
            needed: 3,
            threads: 2
        })
    );
    assert!(Pool::new(&ctx, &th, PoolSpec::new(Flavour::Process, 1)).is_err());
    *gate.lock() = true;
    gate.notify_all();
    for w in ws {
        assert_eq!(w.join().unwrap(), 0);
    }
    assert_eq!(th.live(), 0);
    let again = WorkerSpec::new(Flavour::Thread)
        .start(&ctx, &th, || Ok(7))
        .unwrap();
    assert_eq!(again.join().unwrap(), 7);
}

#[test]
fn sixteen_blocking_workers_on_sixteen_threads() {
    let _s = serial();
    let th = threads(16);
    let ctx = RunCtx::new();
    // Every worker waits until all 16 have arrived: only possible if all run at once.
    let arrived = Arc::new(WaitCell::new(0usize));
    let ws: Vec<_> = (0..16)
        .map(|_| {
            let (c, a) = (ctx.clone(), arrived.clone());
            WorkerSpec::new(Flavour::Thread)
                .start(&ctx, &th, move || {
                    let mut g = a.lock();
                    *g += 1;
                    a.notify_all();
                    let (g, woken) =
                        a.wait_while(&c, g, Some(Instant::now() + ms(10_000)), |n| *n < 16)?;
                    drop(g);
                    Ok(
                        if woken == concurrency_playground::engine::wait::Woken::Ready {
                            0
                        } else {
                            2
                        },
                    )
                })
                .unwrap()
        })
        .collect();
    for w in ws {
        assert_eq!(w.join().unwrap(), 0);
    }
}

#[test]
fn daemons_are_abandoned_non_daemons_are_joined() {
    let _s = serial();
    let th = threads(3);
    let ctx = RunCtx::new();
    let c = ctx.clone();
    let normal = WorkerSpec::new(Flavour::Thread)
        .start(&ctx, &th, move || c.sleep(ms(100)).map(|_| 0))
        .unwrap();
    let c = ctx.clone();
    let daemon = WorkerSpec::new(Flavour::Thread)
        .name("background")
        .daemon(true)
        .start(&ctx, &th, move || c.sleep(ms(60_000)).map(|_| 0))
        .unwrap();
    let abandoned = th.end_of_main(&ctx).unwrap();
    assert_eq!(normal.exitcode(), Some(0), "non-daemon waited for");
    assert_eq!(abandoned, ["background"]);
    let fresh = RunCtx::new();
    let deadline = Instant::now() + ms(2000);
    while daemon.is_alive() && Instant::now() < deadline {
        fresh.sleep(ms(5)).unwrap();
    }
    assert_eq!(daemon.exitcode(), Some(EXIT_CANCELLED));
}

fn slow_double(ctx: Arc<RunCtx>) -> impl Fn(u64) -> Result<u64, EngineError> + Send + Sync {
    move |x| {
        ctx.sleep(ms((7 * x) % 5))?;
        Ok(x * 2)
    }
}

#[test]
fn map_keeps_order_over_both_flavours() {
    let _s = serial();
    let th = threads(4);
    for flavour in [Flavour::Thread, Flavour::Process] {
        let ctx = RunCtx::new();
        let pool = Pool::new(&ctx, &th, PoolSpec::new(flavour, 4)).unwrap();
        let items: Vec<u64> = (0..100).collect();
        let got = pool
            .map(slow_double(ctx.clone()), items.clone(), Some(7))
            .unwrap();
        assert_eq!(got, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        let got: Vec<u64> = pool
            .imap(slow_double(ctx.clone()), items.clone(), None)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(got, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        pool.close();
        pool.join().unwrap();
        assert_eq!(th.live(), 0);
    }
}

#[test]
fn chunksize_sets_the_number_of_tasks() {
    let _s = serial();
    let th = threads(2);
    let ctx = RunCtx::new();
    let pool = Pool::new(&ctx, &th, PoolSpec::new(Flavour::Process, 2)).unwrap();
    events(&ctx);
    pool.map(|x: u32| Ok(x + 1), (0..100).collect(), Some(7))
        .unwrap();
    let ev = events(&ctx);
    let submits = ev
        .iter()
        .filter(|e| matches!(e.kind, EventKind::TaskSubmit { .. }))
        .count();
    assert_eq!(submits, 15, "ceil(100 / 7) tasks");
    let ends = ev
        .iter()
        .filter(|e| matches!(e.kind, EventKind::TaskEnd { ok: true, .. }))
        .count();
    assert_eq!(ends, 15);
    pool.map(|x: u32| Ok(x + 1), (0..100).collect(), None)
        .unwrap();
    let submits = events(&ctx)
        .iter()
        .filter(|e| matches!(e.kind, EventKind::TaskSubmit { .. }))
        .count();
    assert_eq!(
        pool.default_chunksize(100),
        13,
        "ceil(100 / (4 * 2 workers))"
    );
    assert_eq!(submits, 8, "ceil(100 / 13) tasks");
    assert!(pool.map(|x: u32| Ok(x), vec![1], Some(0)).is_err());
}

#[test]
fn imap_unordered_yields_in_completion_order() {
    let _s = serial();
    let th = threads(3);
    let ctx = RunCtx::new();
    let pool = Pool::new(&ctx, &th, PoolSpec::new(Flavour::Thread, 3)).unwrap();
    let c = ctx.clone();
    let nap = move |d: u64| {
        c.sleep(ms(d))?;
        Ok(d)
    };
    let lengths = vec![300u64, 20, 150];
    let unordered: Vec<u64> = pool
        .imap_unordered(nap.clone(), lengths.clone(), Some(1))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(unordered, [20, 150, 300]);
    let ordered: Vec<u64> = pool
        .imap(nap, lengths.clone(), Some(1))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(ordered, lengths);
}

#[test]
fn apply_async_get_times_out_then_succeeds() {
    let _s = serial();
    let th = threads(2);
    let ctx = RunCtx::new();
    let pool = Pool::new(&ctx, &th, PoolSpec::new(Flavour::Process, 2)).unwrap();
    let c = ctx.clone();
    let r = pool
        .apply_async(
            move |x: u64| {
                c.sleep(ms(300))?;
                Ok(x + 1)
            },
            41,
        )
        .unwrap();
    assert_eq!(r.get(Some(0.05)), Err(EngineError::Timeout));
    assert!(!r.ready());
    assert!(r.wait(Some(5.0)).unwrap());
    assert_eq!(r.get(None), Ok(42));
    assert_eq!(r.get(Some(0.0)), Ok(42), "get can be called again");
    assert_eq!(r.successful(), Some(true));
    assert_eq!(pool.apply(|x: u64| Ok(x * 3), 5), Ok(15));
}

#[test]
fn a_task_error_comes_back_as_a_value() {
    let _s = serial();
    let th = threads(2);
    let ctx = RunCtx::new();
    for flavour in [Flavour::Thread, Flavour::Process] {
        let ex = Executor::new(&ctx, &th, flavour, 2).unwrap();
        let f = ex
            .submit(
                |x: i64| {
                    if x == 0 {
                        Err(EngineError::Task(
                            "ZeroDivisionError: division by zero".into(),
                        ))
                    } else {
                        Ok(10 / x)
                    }
                },
                0,
            )
            .unwrap();
        let err = f.result(Some(5.0)).unwrap_err();
        assert!(err.to_string().contains("ZeroDivisionError"));
        assert!(f.done());
        assert_eq!(f.exception(None).unwrap(), Some(err));
        let ok = ex.submit(|x: i64| Ok(10 / x), 5).unwrap();
        assert_eq!(ok.result(None), Ok(2), "the pool goes on after an error");
        assert_eq!(ok.exception(None), Ok(None));
        ex.shutdown(true).unwrap();
    }
}

#[test]
fn process_flavour_really_serializes_thread_flavour_does_not() {
    let _s = serial();
    let th = threads(2);
    let big: Vec<u64> = (0..10_000).collect();

    let ctx = RunCtx::new();
    let pool = Pool::new(&ctx, &th, PoolSpec::new(Flavour::Process, 1)).unwrap();
    events(&ctx);
    let sum = pool
        .apply(|v: Vec<u64>| Ok(v.iter().sum::<u64>()), big.clone())
        .unwrap();
    assert_eq!(sum, 49_995_000);
    let ev = events(&ctx);
    let ser: Vec<u64> = ev
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Serialize { bytes, .. } => Some(bytes),
            _ => None,
        })
        .collect();
    let de = ev
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Deserialize { bytes, .. } if bytes > 0))
        .count();
    assert_eq!(ser.len(), 2, "argument and result");
    assert!(
        ser[0] > 40_000,
        "the 10k-number argument is big: {}",
        ser[0]
    );
    assert_eq!(de, 2);
    let unpicklable = pool.apply(
        |_: NotPicklable| Ok(0u8),
        NotPicklable("_thread.lock".into()),
    );
    match unpicklable {
        Err(EngineError::Serialize(m)) => assert!(m.contains("cannot pickle '_thread.lock'")),
        other => panic!("expected a pickling error, got {other:?}"),
    }
    let bad_result = pool.apply(|_: u8| Ok(NotPicklable("file".into())), 1);
    assert!(matches!(bad_result, Err(EngineError::Serialize(_))));
    assert_eq!(pool.apply(|x: u8| Ok(x), 9), Ok(9), "still usable");

    let ctx = RunCtx::new();
    let pool = Pool::new(&ctx, &th, PoolSpec::new(Flavour::Thread, 1)).unwrap();
    events(&ctx);
    pool.apply(|v: Vec<u64>| Ok(v.len()), big.clone()).unwrap();
    assert_eq!(
        pool.apply(|n: NotPicklable| Ok(n.0), NotPicklable("lock".into())),
        Ok("lock".to_string()),
        "threads share memory: nothing is pickled"
    );
    assert_eq!(cross(&ctx, big.clone(), Flavour::Thread).unwrap(), big);
    let ev = events(&ctx);
    assert!(!ev.iter().any(|e| matches!(
        e.kind,
        EventKind::Serialize { .. } | EventKind::Deserialize { .. }
    )));
    assert_eq!(cross(&ctx, big.clone(), Flavour::Process).unwrap(), big);
    assert_eq!(events(&ctx).len(), 2);
}

#[test]
fn pool_of_fifty_starts_fifty_named_workers() {
    let _s = serial();
    let th = threads(50);
    let ctx = RunCtx::new();
    let pool = Pool::new(&ctx, &th, PoolSpec::new(Flavour::Process, 50)).unwrap();
    assert_eq!(th.live(), 50);
    let names: Vec<_> = pool
        .workers()
        .iter()
        .map(|w| w.name().to_string())
        .collect();
    assert_eq!(names[0], "ForkPoolWorker-1");
    assert_eq!(names[49], "ForkPoolWorker-50");
    let starts = events(&ctx)
        .iter()
        .filter(|e| matches!(e.kind, EventKind::WorkerNew { .. }))
        .count();
    assert_eq!(starts, 50);
    let squares = pool
        .map(|x: u64| Ok(work::square(x)), (0..2000).collect(), None)
        .unwrap();
    assert_eq!(squares[1999], 1999 * 1999);
    pool.terminate().unwrap();
    assert_eq!(th.live(), 0);

    let ctx = RunCtx::new();
    let tp = Pool::new(&ctx, &th, PoolSpec::new(Flavour::Thread, 2)).unwrap();
    assert_eq!(tp.workers()[1].name(), "Thread-2");
}

#[test]
fn executor_as_completed_and_map() {
    let _s = serial();
    let th = threads(3);
    for flavour in [Flavour::Thread, Flavour::Process] {
        let ctx = RunCtx::new();
        let ex = Executor::new(&ctx, &th, flavour, 3).unwrap();
        let c = ctx.clone();
        let nap = move |d: u64| {
            c.sleep(ms(d))?;
            Ok(d)
        };
        let futures: Vec<_> = [250u64, 10, 120]
            .iter()
            .map(|d| ex.submit(nap.clone(), *d).unwrap())
            .collect();
        let order: Vec<usize> = as_completed(&ctx, &futures).map(|r| r.unwrap().0).collect();
        assert_eq!(order, [1, 2, 0]);
        let mapped: Vec<u64> = ex
            .map(nap, vec![30, 1, 2])
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(mapped, [30, 1, 2]);
        // Each run counts executors from 0, as each Python program does (the count was
        // global: the executor lesson's workers read ThreadPoolExecutor-3_0 after three
        // other lessons had run).
        let expected_first = match flavour {
            Flavour::Thread => "ThreadPoolExecutor-0_0",
            Flavour::Process => "ForkProcess-1",
        };
        assert_eq!(ex.workers()[0].name(), expected_first);
        ex.shutdown(true).unwrap();
        if flavour == Flavour::Thread {
            let second = Executor::new(&ctx, &th, flavour, 1).unwrap();
            assert_eq!(second.workers()[0].name(), "ThreadPoolExecutor-1_0");
            second.shutdown(true).unwrap();
        }
        assert!(
            ex.submit(|x: u8| Ok(x), 1).is_err(),
            "no submit after shutdown"
        );
    }
}

/// Wall time for `n` workers of `flavour` each running the same CPU kernel.
fn cpu_wall(th: &Threads, flavour: Flavour, n: usize, gil_on: bool, size: u64) -> Duration {
    let ctx = RunCtx::new();
    let gil = Gil::new(&ctx);
    gil.set_enabled(gil_on);
    let t0 = Instant::now();
    let ws: Vec<_> = (0..n)
        .map(|_| {
            let g = gil.clone();
            WorkerSpec::new(flavour)
                .start(&ctx, th, move || g.run(SumSquares::new(size)).map(|_| 0))
                .unwrap()
        })
        .collect();
    for w in ws {
        assert_eq!(w.join().unwrap(), 0);
    }
    t0.elapsed()
}

/// Kernel size that takes about `target` in this build on this machine.
fn calibrate(target: Duration) -> u64 {
    let probe = 200_000u64;
    let t0 = Instant::now();
    let mut k = SumSquares::new(probe);
    while k.step().is_none() {}
    let per = t0.elapsed().as_secs_f64() / probe as f64;
    ((target.as_secs_f64() / per.max(1e-10)) as u64).clamp(100_000, 200_000_000)
}

/// Wall time for `n` plain OS threads running the kernel: what the machine allows right now
/// (the other agents on this 2-core box may be using a core).
fn raw_wall(n: usize, size: u64) -> Duration {
    let t0 = Instant::now();
    let hs: Vec<_> = (0..n)
        .map(|_| {
            std::thread::spawn(move || {
                let mut k = SumSquares::new(size);
                while k.step().is_none() {}
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    t0.elapsed()
}

/// The shortest of three tries: filters out the times another program took our core.
fn best_of_3(mut f: impl FnMut() -> Duration) -> f64 {
    (0..3).map(|_| f().as_secs_f64()).fold(f64::MAX, f64::min)
}

/// The timing claim itself. It needs the two cores to be free: on this build machine, shared
/// with other jobs (load 6 on 2 cores), wall-clock ratios are noise, so it is opt-in:
/// `cargo test --test engine_exec -- --ignored`. `examples/engine_bench.rs` prints the
/// same ratios. The structural tests below check the mechanism on any machine.
#[test]
#[ignore = "timing: needs an idle 2-core machine"]
fn gil_serializes_cpu_threads_processes_run_in_parallel() {
    let _s = serial();
    let th = threads(4);
    let size = calibrate(ms(10));
    let (mut gil_ok, mut proc_ok) = (0, 0);
    let mut seen = Vec::new();
    for _ in 0..20 {
        let one = best_of_3(|| cpu_wall(&th, Flavour::Thread, 1, true, size));
        let threads2 = best_of_3(|| cpu_wall(&th, Flavour::Thread, 2, true, size));
        let procs2 = best_of_3(|| cpu_wall(&th, Flavour::Process, 2, true, size));
        let raw2 = best_of_3(|| raw_wall(2, size));
        let (gr, pr, rr) = (threads2 / one, procs2 / one, raw2 / one);
        seen.push((gr, pr, rr));
        gil_ok += (gr >= 1.7) as u32;
        // On an idle 2-core machine raw threads take ~1.0x and processes must beat 1.4x;
        // when other programs hold a core, processes must be as parallel as raw threads.
        proc_ok += (pr < 1.4_f64.max(rr * 1.25)) as u32;
    }
    assert!(
        gil_ok >= 19,
        "2 threads under the GIL vs 1 (gil, proc, raw): {seen:?}"
    );
    assert!(proc_ok >= 19, "2 processes vs 1 (gil, proc, raw): {seen:?}");
}

#[test]
fn gil_hands_over_in_turns_and_never_has_two_holders() {
    let _s = serial();
    let th = threads(3);
    let ctx = RunCtx::new();
    let gil = Gil::new(&ctx);
    gil.set_switch_interval(ms(2));
    let size = calibrate(ms(40));
    let ws: Vec<_> = (0..3)
        .map(|_| {
            let g = gil.clone();
            WorkerSpec::new(Flavour::Thread)
                .start(&ctx, &th, move || g.run(SumSquares::new(size)).map(|_| 0))
                .unwrap()
        })
        .collect();
    for w in &ws {
        w.join().unwrap();
    }
    let mut holder = None;
    let mut turns = Vec::new();
    for e in events(&ctx) {
        match e.kind {
            EventKind::GilAcquire => {
                assert_eq!(holder, None, "two holders at once");
                holder = Some(e.worker);
                turns.push(e.worker);
            }
            EventKind::GilRelease => {
                assert_eq!(holder, Some(e.worker));
                holder = None;
            }
            _ => {}
        }
    }
    assert!(turns.len() >= 6, "the GIL changed hands: {turns:?}");
    // FIFO hand-off: while all three compute, nobody gets it twice in a row.
    let repeats = turns.windows(2).filter(|w| w[0] == w[1]).count();
    assert!(repeats <= 3, "turns alternate: {turns:?}");
    let held = gil.held_us();
    assert_eq!(held.len(), 3);
    assert!(held.iter().all(|(_, us)| *us > 0));
}

#[test]
fn processes_and_gil_off_threads_never_touch_the_gil() {
    let _s = serial();
    let th = threads(2);
    for (flavour, gil_on) in [(Flavour::Process, true), (Flavour::Thread, false)] {
        let ctx = RunCtx::new();
        let gil = Gil::new(&ctx);
        gil.set_enabled(gil_on);
        let ws: Vec<_> = (0..2)
            .map(|_| {
                let g = gil.clone();
                WorkerSpec::new(flavour)
                    .start(&ctx, &th, move || {
                        g.run(SumSquares::new(300_000)).map(|_| 0)
                    })
                    .unwrap()
            })
            .collect();
        for w in ws {
            assert_eq!(w.join().unwrap(), 0);
        }
        assert!(gil.held_us().is_empty());
        assert!(!events(&ctx)
            .iter()
            .any(|e| matches!(e.kind, EventKind::GilAcquire | EventKind::GilRelease)));
    }
}

#[test]
fn io_waits_overlap_even_with_the_gil() {
    let _s = serial();
    let th = threads(4);
    let ctx = RunCtx::new();
    let gil = Gil::new(&ctx);
    let ws: Vec<_> = (0..4)
        .map(|_| {
            let (c, g) = (ctx.clone(), gil.clone());
            WorkerSpec::new(Flavour::Thread)
                .start(&ctx, &th, move || {
                    g.run(SumSquares::new(10_000))?;
                    work::io_wait(&c, Some(&g), ms(150))?;
                    Ok(0)
                })
                .unwrap()
        })
        .collect();
    for w in ws {
        assert_eq!(w.join().unwrap(), 0);
    }
    let ev = events(&ctx);
    let last_start = ev
        .iter()
        .filter(|e| matches!(e.kind, EventKind::SleepStart { .. }))
        .map(|e| e.seq)
        .max()
        .unwrap();
    let first_end = ev
        .iter()
        .filter(|e| matches!(e.kind, EventKind::SleepEnd))
        .map(|e| e.seq)
        .min()
        .unwrap();
    assert!(last_start < first_end, "all four were waiting at once");
}

#[test]
fn cancel_lands_fast_and_leaves_the_pool_usable() {
    let _s = serial();
    let th = threads(6);
    let ctx = RunCtx::new();
    let pool = Pool::new(&ctx, &th, PoolSpec::new(Flavour::Thread, 4)).unwrap();
    let gil = Gil::new(&ctx);
    let c = ctx.clone();
    let pending: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            pool.apply_async(move |_: u8| c.sleep(ms(60_000)).map(|_| 0u8), 0)
                .unwrap()
        })
        .collect();
    let g = gil.clone();
    let cpu = WorkerSpec::new(Flavour::Thread)
        .start(&ctx, &th, move || {
            g.run(SumSquares::new(u64::MAX)).map(|_| 0)
        })
        .unwrap();
    let c = ctx.clone();
    let waiter = pending[7].clone();
    let getter = WorkerSpec::new(Flavour::Thread)
        .start(&ctx, &th, move || {
            let _ = &c;
            waiter.get(None).map(|_| 0)
        })
        .unwrap();
    let fresh = RunCtx::new();
    fresh.sleep(ms(50)).unwrap();
    let t0 = Instant::now();
    ctx.cancel();
    while th.live() > 0 && t0.elapsed() < ms(2000) {
        fresh.sleep(ms(2)).unwrap();
    }
    let took = t0.elapsed();
    assert_eq!(th.live(), 0, "every worker gave its thread back");
    assert!(took < ms(200), "cancel took {took:?}");
    assert_eq!(cpu.exitcode(), Some(EXIT_CANCELLED));
    assert_eq!(getter.exitcode(), Some(EXIT_CANCELLED));
    assert_eq!(pending[0].get(None), Err(EngineError::Cancelled));
    drop(pool);

    let ctx = RunCtx::new();
    let pool = Pool::new(&ctx, &th, PoolSpec::new(Flavour::Process, 6)).unwrap();
    let v = pool
        .map(|x: u32| Ok(x * x), (0..10).collect(), None)
        .unwrap();
    assert_eq!(v[9], 81);
    pool.close();
    pool.join().unwrap();
}

/// The main program blocked in `join()` or on a result was invisible: the timeline showed
/// its lane idle and the timings said it waited 0 µs. A wait that really blocks is now
/// recorded (`JoinWait` / `ResultWait` ... `WaitDone`); one that does not is not.
#[test]
fn blocking_joins_and_result_waits_are_recorded_others_are_not() {
    use concurrency_playground::engine::trace::MAIN_WORKER;
    use concurrency_playground::views::{SpanKind, Timeline};
    let _s = serial();
    let th = threads(3);
    let ctx = RunCtx::new();
    let _main = ctx.enter(MAIN_WORKER);
    let c = ctx.clone();
    let w = WorkerSpec::new(Flavour::Thread)
        .start(&ctx, &th, move || {
            c.sleep(ms(40))?;
            Ok(0)
        })
        .unwrap();
    w.join().unwrap();
    w.join().unwrap(); // already ended: no wait
    let pool = Pool::new(&ctx, &th, PoolSpec::new(Flavour::Thread, 2)).unwrap();
    let c = ctx.clone();
    let nap = move |d: u64| {
        c.sleep(ms(d))?;
        Ok(d)
    };
    let first = pool.apply_async(nap.clone(), 40).unwrap();
    assert_eq!(first.get(None).unwrap(), 40);
    assert_eq!(first.get(None).unwrap(), 40); // ready: no wait
    let unordered: Vec<u64> = pool
        .imap_unordered(nap, vec![30, 10], Some(1))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(unordered, [10, 30]);
    pool.close();
    pool.join().unwrap();

    let evs = events(&ctx);
    let main_waits: Vec<&EventKind> = evs
        .iter()
        .filter(|e| e.worker == MAIN_WORKER)
        .map(|e| &e.kind)
        .filter(|k| {
            matches!(
                k,
                EventKind::JoinWait { .. } | EventKind::ResultWait { .. } | EventKind::WaitDone
            )
        })
        .collect();
    let task = first.task();
    let want_start = [
        EventKind::JoinWait { worker: w.id() },
        EventKind::WaitDone,
        EventKind::ResultWait { task: Some(task) },
        EventKind::WaitDone,
        EventKind::ResultWait { task: None },
        EventKind::WaitDone,
    ];
    assert!(
        main_waits.len() >= want_start.len() && main_waits.len().is_multiple_of(2),
        "{main_waits:?}"
    );
    for (got, want) in main_waits.iter().zip(&want_start) {
        assert_eq!(*got, want, "{main_waits:?}");
    }
    // The rest: perhaps the second unordered result, then the pool's two workers joined.
    for pair in main_waits[want_start.len()..].chunks(2) {
        assert!(matches!(
            pair,
            [
                EventKind::ResultWait { task: None } | EventKind::JoinWait { .. },
                EventKind::WaitDone
            ]
        ));
    }

    let tl = Timeline::build(&evs);
    let main = tl
        .lanes()
        .find(|l| l.worker == MAIN_WORKER)
        .expect("main lane");
    assert!(main.has_seen(SpanKind::JoinWait) && main.has_seen(SpanKind::ResultWait));
    // The join span knows whom it waited for: the tooltip and the export name it.
    let first_join = tl
        .spans_in(MAIN_WORKER, 0, u64::MAX)
        .into_iter()
        .find(|s| s.kind == SpanKind::JoinWait)
        .expect("a join span");
    assert_eq!(first_join.joined(), Some(w.id()));
    let export = concurrency_playground::views::chrome_trace(&evs, "join");
    let joined_name = format!("joining {}", tl.lane_name(w.id()));
    assert!(
        export.contains(&joined_name),
        "no {joined_name:?} in the export"
    );
    assert!(main
        .open_spans()
        .iter()
        .all(|s| s.kind == SpanKind::Lifetime));
    // About 40 ms in the join and 40 + 10 ms waiting for results.
    let waited = tl.totals(MAIN_WORKER).waiting_us();
    assert!(waited >= 80_000, "main waited {waited} µs");
    let summary = tl.lane_summary(MAIN_WORKER);
    assert!(
        summary.contains("in join()") && summary.contains("for results"),
        "{summary}"
    );
    assert!(!summary.contains("other primitives"), "{summary}");
}
