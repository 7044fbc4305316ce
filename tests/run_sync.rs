//! The locks-and-signals scenarios (lock, event, condition, semaphore, deadlock,
//! shared-state) run natively with their default knobs: each shows its phenomenon, measured
//! in its figures, and finishes or is diagnosed within its budget. Also: a wait with a
//! timeout that gives up records `WaitTimedOut`, and the views close that wait on it.

use concurrency_playground::engine::sync::{Barrier, Condition, Event as PyEvent, Lock, Queue};
use concurrency_playground::engine::sync::{RLock, Semaphore};
use concurrency_playground::engine::trace::{Event, EventKind, Outcome};
use concurrency_playground::engine::worker::Threads;
use concurrency_playground::engine::{EngineError, RunCtx};
use concurrency_playground::scenarios::knob::parse_pairs;
use concurrency_playground::scenarios::runner::{self, RunOptions};
use concurrency_playground::views::{SpanKind, StatePanel, Timeline};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// What one run left behind.
struct Ran {
    outcome: Outcome,
    events: Vec<Event>,
}

impl Ran {
    fn figures(&self) -> HashMap<String, f64> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Figure(f) => Some((f.key.clone(), f.value)),
                _ => None,
            })
            .collect()
    }

    fn figure(&self, key: &str) -> f64 {
        match self.figures().get(key) {
            Some(v) => *v,
            None => panic!("no figure {key}: {:?}", self.figures()),
        }
    }

    /// Everything printed, in trace order.
    fn output(&self) -> String {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Print { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    fn has(&self, what: impl Fn(&EventKind) -> bool) -> bool {
        self.events.iter().any(|e| what(&e.kind))
    }

    fn deadlock_cycle(&self) -> Option<Vec<String>> {
        self.events.iter().find_map(|e| match &e.kind {
            EventKind::Deadlock { cycle } => Some(cycle.clone()),
            _ => None,
        })
    }
}

/// Run scenario `id` with its defaults changed by `knobs`, on a pool of `threads`.
fn run_with(id: &str, knobs: &[(&str, &str)], threads: usize) -> Ran {
    let scenario = runner::find(id).expect("scenario exists");
    let (config, messages) = parse_pairs(scenario.info.knobs, knobs.iter().copied());
    assert!(messages.is_empty(), "{id}: {messages:?}");
    let ctx = RunCtx::new();
    let pool = Threads::build(threads).expect("pool");
    let opts = RunOptions {
        budget: Duration::from_secs(30),
        ..RunOptions::default()
    };
    let outcome = runner::run_native(&ctx, &pool, scenario, &config, &opts);
    Ran {
        outcome,
        events: ctx.recorder.drain_sorted(),
    }
}

fn run(id: &str, knobs: &[(&str, &str)]) -> Ran {
    let scenario = runner::find(id).expect("scenario exists");
    let (config, _) = parse_pairs(scenario.info.knobs, knobs.iter().copied());
    run_with(id, knobs, (scenario.threads_needed)(&config))
}

/// How many of `n` runs satisfy `claim`.
fn count(n: usize, mut claim: impl FnMut() -> bool) -> usize {
    (0..n).filter(|_| claim()).count()
}

// ---- lock -----------------------------------------------------------------------------

#[test]
fn lock_default_garbles_lines_and_loses_updates() {
    let mut runs = Vec::new();
    let hits = count(20, || {
        let r = run("lock", &[("items", "2000")]);
        assert_eq!(r.outcome, Outcome::Done);
        let ok = r.figure("garbled-lines") > 0.0 && r.figure("lost-updates") > 0.0;
        runs.push((r.figure("garbled-lines"), r.figure("lost-updates")));
        ok
    });
    println!("lock without the lock (garbled, lost): {runs:?}");
    assert!(hits >= 19, "{hits} of 20: {runs:?}");
}

#[test]
fn lock_defaults_show_the_figures_and_real_pieces() {
    let r = run("lock", &[]);
    assert_eq!(r.outcome, Outcome::Done);
    let f = r.figures();
    println!("lock defaults: {f:?}");
    assert_eq!(f["counter-expected"], 4.0 * 10_000.0);
    assert_eq!(
        f["counter-total"] + f["lost-updates"],
        f["counter-expected"]
    );
    // The garbling is in the trace itself: single characters from different workers.
    let pieces = r
        .events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::Print { text } if text.chars().count() == 1))
        .count();
    let words = ["tango...", "foxtrot...", "10"];
    let expected: usize = (0..4).map(|i| (words[i % 3].len() + 1) * 3).sum();
    assert_eq!(pieces, expected);
}

#[test]
fn lock_on_gives_whole_lines_and_the_exact_total() {
    for _ in 0..3 {
        let r = run("lock", &[("use-lock", "true"), ("items", "2000")]);
        assert_eq!(r.outcome, Outcome::Done);
        assert_eq!(r.figure("garbled-lines"), 0.0);
        assert_eq!(r.figure("lost-updates"), 0.0);
        assert_eq!(r.figure("counter-total"), 8000.0);
        assert!(r.figure("lock-hold-ms") > 0.0);
        let out = r.output();
        for word in ["tango...\n", "foxtrot...\n", "10\n"] {
            assert!(out.contains(word), "{out}");
        }
    }
}

#[test]
fn lock_on_with_default_increments_is_exact_and_reports_wait_and_hold() {
    let r = run("lock", &[("use-lock", "true"), ("part", "counter")]);
    assert_eq!(r.outcome, Outcome::Done);
    println!("lock on, defaults: {:?}", r.figures());
    assert_eq!(r.figure("counter-total"), 40_000.0);
    assert!(r.figure("lock-hold-ms") > 0.0);
    assert!(r
        .output()
        .contains("counter: expected 40000, got 40000 (0 updates lost)"));
}

#[test]
fn lock_parts_run_alone_and_sixteen_workers_work() {
    let r = run("lock", &[("part", "print"), ("workers", "16")]);
    assert_eq!(r.outcome, Outcome::Done);
    assert!(r.figure("garbled-lines") > 0.0);
    assert!(!r.figures().contains_key("lost-updates"));
    let r = run(
        "lock",
        &[("part", "counter"), ("workers", "16"), ("items", "200")],
    );
    assert_eq!(r.outcome, Outcome::Done);
    assert!(!r.figures().contains_key("garbled-lines"));
    assert!(r.figure("lost-updates") > 0.0);
}

// ---- event ----------------------------------------------------------------------------

#[test]
fn event_wakes_every_patient_worker_and_the_impatient_one_times_out() {
    for _ in 0..5 {
        let r = run("event", &[]);
        assert_eq!(r.outcome, Outcome::Done);
        println!("event: {:?}", r.figures());
        assert_eq!(r.figure("proceeded"), 3.0);
        assert_eq!(r.figure("timed-out"), 1.0);
        assert_eq!(r.figure("is-set-after-clear"), 0.0);
        let out = r.output();
        assert!(out.contains("impatient: gave up after 0.200 s, wait returned False"));
        assert!(out.contains("after clear(): is_set() is False"));
        // Nobody proceeded before the main program set the event.
        let set_at = out.find("main: setting the event").expect("set line");
        for i in 1..=3 {
            let line = format!("waiter-{i}: got the go-ahead");
            assert!(out.find(&line).expect("waiter line") > set_at, "{out}");
        }
        // The impatient wait's timeout is in the trace and closes its wait span.
        assert!(r.has(|k| *k == EventKind::WaitTimedOut));
        assert_eq!(r.outcome, Outcome::Done);
    }
}

#[test]
fn event_with_a_long_timeout_every_wait_returns_true() {
    let r = run(
        "event",
        &[
            ("set-after-ms", "50"),
            ("timeout-ms", "5000"),
            ("workers", "16"),
        ],
    );
    assert_eq!(r.outcome, Outcome::Done);
    assert_eq!(r.figure("proceeded"), 17.0);
    assert_eq!(r.figure("timed-out"), 0.0);
    assert!(r.output().contains("impatient: wait returned True"));
}

// ---- condition ------------------------------------------------------------------------

#[test]
fn condition_every_item_is_consumed_and_notify_wakes_one() {
    let r = run("condition", &[]);
    assert_eq!(r.outcome, Outcome::Done);
    println!("condition notify: {:?}", r.figures());
    assert_eq!(r.figure("produced"), 6.0);
    assert_eq!(r.figure("consumed"), 6.0);
    let took = r.output().matches(" took item ").count();
    assert_eq!(took, 6);
    let quiet = count(5, || {
        let r = run("condition", &[("latency-ms", "20")]);
        r.figure("empty-wakeups") == 0.0
    });
    assert!(quiet >= 4, "{quiet} of 5");
}

#[test]
fn condition_notify_all_wakes_everyone_for_nothing() {
    let hits = count(5, || {
        let all = run(
            "condition",
            &[("notify", "notify_all"), ("latency-ms", "20")],
        );
        assert_eq!(all.outcome, Outcome::Done);
        assert_eq!(all.figure("consumed"), 6.0);
        let one = run("condition", &[("latency-ms", "20")]);
        println!(
            "empty wake-ups: notify_all {}, notify {}",
            all.figure("empty-wakeups"),
            one.figure("empty-wakeups")
        );
        all.figure("empty-wakeups") > one.figure("empty-wakeups")
            && all.figure("wakeups") > one.figure("wakeups")
    });
    assert!(hits >= 5, "{hits} of 5");
}

#[test]
fn condition_with_sixteen_consumers() {
    let r = run(
        "condition",
        &[("workers", "16"), ("items", "20"), ("latency-ms", "5")],
    );
    assert_eq!(r.outcome, Outcome::Done);
    assert_eq!(r.figure("consumed"), 20.0);
}

// ---- semaphore ------------------------------------------------------------------------

#[test]
fn semaphore_never_lets_more_than_k_inside() {
    for _ in 0..3 {
        let r = run("semaphore", &[]);
        assert_eq!(r.outcome, Outcome::Done);
        println!("semaphore: {:?}", r.figures());
        assert_eq!(r.figure("max-inside"), 3.0);
        assert_eq!(r.figure("acquisitions"), 8.0);
        assert_eq!(r.figure("value-at-end"), 3.0);
        // The printed counts agree.
        let out = r.output();
        assert!(out.contains("most inside at once: 3 (limit 3)"), "{out}");
        assert!(!out.contains("(4 inside)"), "{out}");
    }
    let r = run(
        "semaphore",
        &[("workers", "16"), ("slots", "5"), ("latency-ms", "20")],
    );
    assert_eq!(r.outcome, Outcome::Done);
    assert_eq!(r.figure("max-inside"), 5.0);
}

#[test]
fn bounded_semaphore_refuses_the_extra_release_with_value_error() {
    let r = run(
        "semaphore",
        &[("over-release", "true"), ("latency-ms", "10")],
    );
    assert_eq!(r.outcome, Outcome::Done);
    assert_eq!(r.figure("over-release-refused"), 1.0);
    assert!(r.output().contains(
        "BoundedSemaphore refused an extra release: ValueError: Semaphore released too many times"
    ));
    assert_eq!(r.figure("value-at-end"), 3.0);

    let r = run(
        "semaphore",
        &[
            ("over-release", "true"),
            ("bounded", "false"),
            ("latency-ms", "10"),
        ],
    );
    assert_eq!(r.outcome, Outcome::Done);
    assert_eq!(r.figure("over-release-refused"), 0.0);
    assert_eq!(r.figure("value-at-end"), 4.0);
}

// ---- deadlock -------------------------------------------------------------------------

#[test]
fn deadlock_by_default_is_detected_and_the_run_fails_with_the_cycle() {
    let hits = count(20, || {
        let r = run("deadlock", &[]);
        let cycle = r.deadlock_cycle();
        let failed = matches!(&r.outcome, Outcome::Failed(why) if why.starts_with("deadlock"));
        if !(failed && cycle.is_some()) {
            println!("not diagnosed: {:?} {:?}", r.outcome, r.output());
            return false;
        }
        let cycle = cycle.unwrap_or_default();
        assert_eq!(cycle.len(), 2, "{cycle:?}");
        assert!(
            cycle.iter().any(|l| l.contains("holds A and waits for B")),
            "{cycle:?}"
        );
        assert!(
            cycle.iter().any(|l| l.contains("holds B and waits for A")),
            "{cycle:?}"
        );
        assert_eq!(r.figure("finished-workers"), 0.0);
        assert_eq!(r.figure("deadlocked"), 1.0);
        true
    });
    assert!(hits >= 19, "{hits} of 20");
}

// Regression: after a deadlocked run the state panel showed both locks free and each
// worker still waiting for one. Stopping the run ends the workers in their waits, and no
// event closed those waits: a worker that has ended waits for nothing.
#[test]
fn after_a_deadlock_the_stopped_workers_wait_for_nothing() {
    let r = (0..5)
        .map(|_| run("deadlock", &[]))
        .find(|r| r.deadlock_cycle().is_some())
        .expect("a diagnosed deadlock in 5 runs");
    let diagnosed = r
        .events
        .iter()
        .position(|e| matches!(e.kind, EventKind::Deadlock { .. }))
        .expect("the deadlock event");
    let then = StatePanel::build(&r.events[..=diagnosed]);
    let end = StatePanel::build(&r.events);
    for name in ["A", "B"] {
        let o = then.by_name(name).expect("lock");
        assert_eq!(
            (o.holders.len(), o.waiters.len()),
            (1, 1),
            "{name} at the diagnosis"
        );
        let o = end.by_name(name).expect("lock");
        assert!(
            o.waiters.is_empty(),
            "{name} after the run: {:?}",
            o.waiters
        );
        // Stopping the run may hand the lock to the other worker's last wait; that worker
        // still lets go of it as it stops (the lesson code used to leak it).
        assert!(
            o.holders.is_empty(),
            "{name} after the run: held by {:?}",
            o.holders
        );
    }
}

#[test]
fn deadlock_fixed_by_one_lock_order_finishes() {
    for _ in 0..5 {
        let r = run("deadlock", &[("opposite-order", "false")]);
        assert_eq!(r.outcome, Outcome::Done);
        assert!(r.deadlock_cycle().is_none());
        assert_eq!(r.figure("finished-workers"), 2.0);
        assert!(r
            .output()
            .contains("no deadlock: both threads took the locks in the same order"));
    }
}

/// With a timeout the workers give up instead of deadlocking: a cycle of timed waits
/// undoes itself, so the watchdog must not call it a deadlock (a regression: it did, and
/// cancelled runs that would have ended by themselves).
#[test]
fn deadlock_with_a_timeout_the_workers_give_up_instead() {
    for _ in 0..5 {
        let r = run("deadlock", &[("timeout-ms", "300"), ("hold-ms", "50")]);
        assert_eq!(r.outcome, Outcome::Done);
        assert!(r.output().contains("gave up waiting for lock"));
        assert!(r.has(|k| *k == EventKind::WaitTimedOut));
        assert!(!r.has(|k| matches!(k, EventKind::Deadlock { .. })));
        assert!(r.figure("finished-workers") < 2.0);
    }
}

// ---- shared state ---------------------------------------------------------------------

#[test]
fn shared_state_every_method_reaches_the_exact_total_and_costs_are_measured() {
    let r = run("shared-state", &[]);
    assert_eq!(r.outcome, Outcome::Done);
    let f = r.figures();
    println!("shared-state defaults: {f:?}");
    for m in ["value", "array", "manager", "messages"] {
        assert_eq!(f[&format!("{m}-total")], 4000.0, "{m}");
        assert!(f[&format!("{m}-us-per-op")] > 0.0, "{m}");
    }
    // Each manager call really crosses as bytes both ways.
    assert!(r.has(|k| matches!(k, EventKind::Serialize { .. })));
    assert!(r.has(|k| matches!(k, EventKind::Deserialize { .. })));
}

#[test]
fn shared_state_manager_costs_more_per_operation_than_a_value() {
    let hits = count(5, || {
        let r = run("shared-state", &[("items", "300")]);
        r.figure("manager-us-per-op") > r.figure("value-us-per-op")
    });
    assert!(hits >= 5, "{hits} of 5");
}

#[test]
fn shared_state_single_methods_and_sixteen_workers() {
    let r = run(
        "shared-state",
        &[("method", "messages"), ("workers", "16"), ("items", "100")],
    );
    assert_eq!(r.outcome, Outcome::Done);
    assert_eq!(r.figure("messages-total"), 1600.0);
    assert!(!r.figures().contains_key("value-total"));
}

// ---- WaitTimedOut ---------------------------------------------------------------------

/// Worker 1 gives up on every kind of timed wait while the main program holds or starves
/// the primitive: each gives up with `WaitTimedOut` on that object, and the timeline and
/// state panel close the wait on it.
#[test]
fn every_timed_wait_that_gives_up_records_wait_timed_out_and_the_views_close_it() {
    let ctx = RunCtx::new();
    let _main = ctx.enter(0);
    let lock = Lock::new(&ctx, "lock");
    let rlock = RLock::new(&ctx, "rlock");
    let event = PyEvent::new(&ctx, "event");
    let cond = Condition::new(&ctx, "cond");
    let sem = Semaphore::new(&ctx, "sem", 0);
    let barrier = Barrier::new(&ctx, "barrier", 2).expect("barrier");
    let empty: Arc<Queue<u32>> = Queue::new(&ctx, "empty", 1);
    let full: Arc<Queue<u32>> = Queue::new(&ctx, "full", 1);
    full.put(7, true, None).expect("first put fits");
    assert!(lock.acquire(true, None).expect("main takes lock"));
    assert!(rlock.acquire(true, None).expect("main takes rlock"));

    let t = 0.02;
    let worker = {
        let ctx = ctx.clone();
        let (lock, rlock, event, cond) = (lock.clone(), rlock.clone(), event.clone(), cond.clone());
        let (sem, barrier, empty, full) =
            (sem.clone(), barrier.clone(), empty.clone(), full.clone());
        std::thread::spawn(move || {
            let _w = ctx.enter(1);
            assert_eq!(lock.acquire(true, Some(t)), Ok(false));
            assert_eq!(rlock.acquire(true, Some(t)), Ok(false));
            assert_eq!(event.wait(Some(t)), Ok(false));
            {
                let _held = cond.lock().expect("cond lock");
                assert_eq!(cond.wait(Some(t)), Ok(false));
            }
            assert_eq!(sem.acquire(true, Some(t)), Ok(false));
            assert_eq!(barrier.wait(Some(t)), Err(EngineError::BrokenBarrier));
            assert_eq!(empty.get(true, Some(t)), Err(EngineError::Empty));
            assert_eq!(full.put(8, true, Some(t)), Err(EngineError::Full));
        })
    };
    worker.join().expect("worker");
    let events = ctx.recorder.drain_sorted();
    let objects = [
        lock.id(),
        rlock.id(),
        event.id(),
        cond.id(),
        sem.id(),
        barrier.id(),
        empty.id(),
        full.id(),
    ];
    for id in objects {
        let timed_out = events
            .iter()
            .filter(|e| e.object == Some(id) && e.kind == EventKind::WaitTimedOut)
            .collect::<Vec<_>>();
        assert_eq!(timed_out.len(), 1, "object {id}");
        assert_eq!(timed_out[0].worker, 1, "object {id}");
    }

    let timeline = Timeline::build(&events);
    let lane = timeline.lane(1).expect("worker 1's lane");
    let open: Vec<_> = lane
        .open_spans()
        .iter()
        .filter(|s| s.kind.is_waiting())
        .collect();
    assert!(open.is_empty(), "waits left open: {open:?}");
    let closed_waits: Vec<_> = lane
        .all_spans(timeline.now_us())
        .filter(|s| s.kind.is_waiting())
        .collect();
    for id in objects {
        let on_it: Vec<_> = closed_waits
            .iter()
            .filter(|s| s.object == Some(id))
            .collect();
        assert_eq!(
            on_it.len(),
            1,
            "one wait span on object {id}: {closed_waits:?}"
        );
        // It ends at the WaitTimedOut event, not later.
        let end = events
            .iter()
            .find(|e| e.object == Some(id) && e.kind == EventKind::WaitTimedOut)
            .map(|e| e.seq);
        assert_eq!(on_it[0].end_seq, end, "object {id}");
    }
    let kinds: Vec<SpanKind> = closed_waits.iter().map(|s| s.kind).collect();
    for k in [
        SpanKind::LockWait,
        SpanKind::EventWait,
        SpanKind::CondWait,
        SpanKind::SemWait,
        SpanKind::BarrierWait,
        SpanKind::QueueBlockedGet,
        SpanKind::QueueBlockedPut,
    ] {
        assert!(kinds.contains(&k), "{k:?} in {kinds:?}");
    }

    let panel = StatePanel::build(&events);
    for id in objects {
        let o = panel.object(id).expect("object in the panel");
        assert!(o.waiters.is_empty(), "{}: {:?}", o.name, o.waiters);
        assert!(o.blocked_putters.is_empty(), "{}", o.name);
    }
}

/// A wait that succeeds records no `WaitTimedOut`.
#[test]
fn a_timed_wait_that_succeeds_records_no_timeout() {
    let ctx = RunCtx::new();
    let _main = ctx.enter(0);
    let event = PyEvent::new(&ctx, "event");
    let sem = Semaphore::new(&ctx, "sem", 0);
    let waiter = {
        let (ctx, event, sem) = (ctx.clone(), event.clone(), sem.clone());
        std::thread::spawn(move || {
            let _w = ctx.enter(1);
            assert_eq!(event.wait(Some(10.0)), Ok(true));
            assert_eq!(sem.acquire(true, Some(10.0)), Ok(true));
        })
    };
    std::thread::sleep(Duration::from_millis(30));
    event.set().expect("set");
    sem.release(1).expect("release");
    waiter.join().expect("waiter");
    let events = ctx.recorder.drain_sorted();
    assert!(!events.iter().any(|e| e.kind == EventKind::WaitTimedOut));
}
