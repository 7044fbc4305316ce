//! The views of the trace, natively: console, timeline, state panel, timings, exports,
//! trace files and replay, on hand-built traces and on traces recorded from real threads.

use concurrency_playground::engine::trace::{
    Event, EventKind, Figure, Flavour, ObjectKind, Outcome, QueueOp, WorkerId,
};
use concurrency_playground::engine::RunCtx;
use concurrency_playground::views::console::{Filter, LineKind};
use concurrency_playground::views::export::{MAX_TRACE_BYTES, TRACE_FORMAT};
use concurrency_playground::views::timings::{
    histogram, sweep, sweep_on, LatencyStats, RunHistory,
};
use concurrency_playground::views::{
    chrome_trace, load_trace, save_trace, Console, Replay, SpanKind, StatePanel, Timeline, Timings,
    TraceFile, Views,
};
use proptest::prelude::*;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Builds a trace by hand: each event gets the next seq.
#[derive(Default)]
struct Tr {
    events: Vec<Event>,
}

impl Tr {
    fn ev(
        &mut self,
        t_us: u64,
        worker: WorkerId,
        object: Option<u32>,
        kind: EventKind,
    ) -> &mut Self {
        let seq = self.events.len() as u64;
        self.events.push(Event {
            run: 1,
            seq,
            t_us,
            worker,
            object,
            kind,
        });
        self
    }
    fn worker(&mut self, t: u64, id: WorkerId, name: &str) -> &mut Self {
        self.ev(
            t,
            id,
            None,
            EventKind::WorkerNew {
                name: name.into(),
                flavour: Flavour::Thread,
                daemon: false,
            },
        )
    }
    fn object(&mut self, t: u64, id: u32, name: &str, kind: ObjectKind) -> &mut Self {
        self.ev(
            t,
            0,
            Some(id),
            EventKind::ObjectNew {
                name: name.into(),
                kind,
            },
        )
    }
    fn print(&mut self, t: u64, w: WorkerId, text: &str) -> &mut Self {
        self.ev(t, w, None, EventKind::Print { text: text.into() })
    }
}

fn texts(c: &Console, f: Filter) -> Vec<String> {
    c.lines(f, 0, usize::MAX)
        .into_iter()
        .map(|(_, l)| l.text.clone())
        .collect()
}

// ---- console ---------------------------------------------------------------------------

#[test]
fn interleaved_pieces_make_a_garbled_line_tagged_with_both_workers() {
    let mut t = Tr::default();
    t.worker(0, 1, "Thread-1").worker(0, 2, "Thread-2");
    t.print(1, 1, "hello ")
        .print(2, 2, "world ")
        .print(3, 1, "from 1\n");
    t.print(4, 2, "from 2\n").print(5, 1, "whole line\n");
    let c = Console::build(&t.events);
    assert_eq!(
        texts(&c, Filter::All),
        ["hello world from 1", "from 2", "whole line"]
    );
    let first = c.line(0).unwrap();
    assert_eq!(first.writers, vec![1, 2]);
    assert!(first.is_garbled());
    assert_eq!(first.segments, vec![(0, 1), (6, 2), (12, 1)]);
    assert_eq!((first.first_seq, first.last_seq), (2, 4));
    assert_eq!((first.first_t_us, first.last_t_us), (1, 3));
    assert_eq!(c.line(1).unwrap().writers, vec![2]);
    assert!(c.line(1).unwrap().segments.is_empty());
    assert_eq!(c.garbled_count(), 1);
    assert!(c
        .tagged_text()
        .contains("[Thread-1+Thread-2] hello world from 1\n"));
    assert!(c.tagged_text().contains("[Thread-2] from 2\n"));
    assert_eq!(c.plain_text(), "hello world from 1\nfrom 2\nwhole line\n");
}

#[test]
fn filter_by_worker_keeps_its_lines_and_every_notice() {
    let mut t = Tr::default();
    t.worker(0, 1, "A").worker(0, 2, "B");
    t.print(1, 1, "a1\n").print(2, 2, "b1\n").print(3, 1, "a-");
    t.print(4, 2, "b\n");
    t.ev(
        5,
        0,
        None,
        EventKind::Deadlock {
            cycle: vec!["A holds x, waits for y".into()],
        },
    );
    t.print(6, 2, "b2 partial");
    let c = Console::build(&t.events);
    assert_eq!(c.len(), 5);
    assert_eq!(
        texts(&c, Filter::Worker(1)),
        ["a1", "a-b", "Deadlock: A holds x, waits for y"]
    );
    assert_eq!(
        texts(&c, Filter::Worker(2)),
        [
            "b1",
            "a-b",
            "Deadlock: A holds x, waits for y",
            "b2 partial"
        ]
    );
    assert_eq!(c.filtered_len(Filter::Worker(2)), 4);
    // A virtualised window, with the global index for clicks.
    let window = c.lines(Filter::Worker(2), 1, 3);
    assert_eq!(
        window.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![2, 3]
    );
    // A worker never seen still sees the notice.
    assert_eq!(
        texts(&c, Filter::Worker(9)),
        ["Deadlock: A holds x, waits for y"]
    );
}

#[test]
fn several_lines_in_one_piece_logs_and_run_end_flush() {
    let mut t = Tr::default();
    t.print(1, 0, "one\ntwo\nthr");
    t.ev(2, 0, None, EventKind::log("INFO", "logged"));
    t.print(3, 0, "ee");
    t.ev(4, 0, None, EventKind::Dropped { count: 3 });
    t.print(5, 0, "unterminated");
    t.ev(
        6,
        0,
        None,
        EventKind::RunEnd {
            outcome: Outcome::Cancelled,
        },
    );
    let c = Console::build(&t.events);
    let lines = texts(&c, Filter::All);
    assert_eq!(lines[..3], ["one", "two", "logged"]);
    assert!(lines[3].contains("3 events were lost"));
    assert_eq!(lines[4], "threeunterminated");
    assert_eq!(lines[5], "Run cancelled");
    assert!(matches!(c.line(2).unwrap().kind, LineKind::Log { .. }));
    assert_eq!(c.line(0).unwrap().writers, vec![0]);
    assert!(c.tagged_text().starts_with("[MainThread] one\n"));
    assert!(c.plain_text().contains("INFO: logged\n"));
    assert!(c.plain_text().ends_with("*** Run cancelled\n"));
}

#[test]
fn a_lock_keeps_real_threads_lines_whole() {
    // The lock lesson, for real: four threads write a line in three pieces each.
    for locked in [true, false] {
        let ctx = RunCtx::new();
        for w in 1..=4 {
            ctx.recorder.record(
                w,
                None,
                EventKind::WorkerNew {
                    name: format!("Thread-{w}"),
                    flavour: Flavour::Thread,
                    daemon: false,
                },
            );
        }
        let stdout_lock = Arc::new(Mutex::new(()));
        let handles: Vec<_> = (1..=4)
            .map(|w| {
                let ctx = ctx.clone();
                let lock = stdout_lock.clone();
                std::thread::spawn(move || {
                    let _g = ctx.enter(w);
                    for i in 0..50 {
                        let _held = locked.then(|| lock.lock().unwrap());
                        for piece in [
                            format!("Thread-{w} "),
                            format!("says {i}"),
                            "\n".to_string(),
                        ] {
                            ctx.emit(None, EventKind::Print { text: piece });
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let events = ctx.recorder.drain_sorted();
        let c = Console::build(&events);
        assert_eq!(c.len(), 200, "one line per newline");
        for w in 1..=4 {
            assert!(c.filtered_len(Filter::Worker(w)) >= 50);
        }
        if locked {
            assert_eq!(c.garbled_count(), 0);
            for l in c.iter() {
                assert_eq!(l.writers.len(), 1);
                assert!(l
                    .text
                    .starts_with(&format!("Thread-{} says ", l.writers[0])));
            }
        } else {
            println!(
                "without the lock: {} of 200 lines garbled",
                c.garbled_count()
            );
        }
    }
}

#[test]
fn console_holds_many_lines_and_serves_windows() {
    let mut t = Tr::default();
    t.worker(0, 1, "T1").worker(0, 2, "T2");
    for i in 0..100_000u64 {
        t.print(i, 1 + (i % 2) as u32, &format!("line {i}\n"));
    }
    let c = Console::build(&t.events);
    assert_eq!(c.len(), 100_000);
    let w = c.lines(Filter::All, 77_000, 77_003);
    assert_eq!(w[2].1.text, "line 77002");
    let odd = c.lines(Filter::Worker(2), 10, 11);
    assert_eq!(odd[0].1.text, "line 21");
    assert_eq!(c.filtered_len(Filter::Worker(1)), 50_000);
}

// ---- timeline --------------------------------------------------------------------------

fn lock_trace() -> Tr {
    let mut t = Tr::default();
    t.worker(0, 1, "Thread-1").worker(0, 2, "Thread-2");
    t.object(0, 1, "lock", ObjectKind::Lock);
    t.ev(0, 1, None, EventKind::WorkerStart)
        .ev(0, 2, None, EventKind::WorkerStart);
    t.ev(5, 1, Some(1), EventKind::LockWait)
        .ev(5, 1, Some(1), EventKind::LockAcquire);
    t.ev(10, 2, Some(1), EventKind::LockWait);
    t.ev(30, 1, Some(1), EventKind::LockRelease);
    t.ev(30, 2, Some(1), EventKind::LockAcquire);
    t.ev(50, 2, Some(1), EventKind::LockRelease);
    t.ev(60, 1, None, EventKind::WorkerEnd { exit_code: 0 });
    t
}

fn kinds(spans: &[concurrency_playground::views::Span]) -> Vec<(SpanKind, u64, u64)> {
    spans
        .iter()
        .map(|s| (s.kind, s.start_us, s.end_us))
        .collect()
}

#[test]
fn lock_wait_and_hold_are_separate_spans() {
    let tl = Timeline::build(&lock_trace().events);
    let mut s2 = tl.spans_in(2, 0, 100);
    s2.sort_by_key(|s| (s.start_us, s.kind as u8));
    assert_eq!(
        kinds(&s2),
        vec![
            (SpanKind::Lifetime, 0, 60),
            (SpanKind::LockWait, 10, 30),
            (SpanKind::LockHold, 30, 50)
        ]
    );
    // Thread-2 never ended: its lifetime is open and drawn to now (60).
    assert!(s2[0].is_open());
    assert!(!s2[1].is_open());
    let t2 = tl.totals(2);
    assert_eq!(
        (t2.of(SpanKind::LockWait), t2.of(SpanKind::LockHold)),
        (20, 20)
    );
    assert!(tl.lane_summary(2).contains("waited 0.0 ms for locks"));
    // Window queries.
    assert_eq!(kinds(&tl.spans_in(2, 31, 40)).len(), 2, "lifetime and hold");
    assert!(tl.spans_in(1, 61, 70).is_empty());
    assert_eq!(tl.time_of_seq(7), Some(10));
    assert_eq!(tl.time_of_seq(8), Some(30));
    assert_eq!(tl.time_of_seq(999), None);
}

#[test]
fn rlock_reentry_and_release_by_another_worker() {
    let mut t = Tr::default();
    t.ev(0, 1, Some(1), EventKind::LockAcquire)
        .ev(1, 1, Some(1), EventKind::LockAcquire);
    t.ev(2, 1, Some(1), EventKind::LockRelease)
        .ev(3, 1, Some(1), EventKind::LockRelease);
    t.ev(4, 1, Some(2), EventKind::LockAcquire)
        .ev(9, 2, Some(2), EventKind::LockRelease);
    let tl = Timeline::build(&t.events);
    let spans = tl.spans_in(1, 0, 10);
    assert_eq!(
        kinds(&spans),
        vec![(SpanKind::LockHold, 0, 3), (SpanKind::LockHold, 4, 9)]
    );
    assert!(spans.iter().all(|s| !s.is_open()));
    let st = StatePanel::build(&t.events);
    assert!(st.object(1).unwrap().holders.is_empty());
    assert!(st.object(2).unwrap().holders.is_empty());
}

/// "Busy" in the timings: a worker of its own runs its code whenever it is neither
/// waiting nor sleeping (a wait nested in another counts once); a pool's worker the same,
/// but only inside its tasks: one that got no task was idle, not busy.
#[test]
fn busy_means_running_code_for_own_workers_and_tasks_for_pool_workers() {
    let mut t = Tr::default();
    t.worker(0, 1, "Thread-1");
    t.ev(
        0,
        2,
        Some(9),
        EventKind::WorkerNew {
            name: "ForkPoolWorker-1".into(),
            flavour: Flavour::Process,
            daemon: true,
        },
    );
    t.ev(
        0,
        3,
        Some(9),
        EventKind::WorkerNew {
            name: "ForkPoolWorker-2".into(),
            flavour: Flavour::Process,
            daemon: true,
        },
    );
    t.object(0, 1, "cond", ObjectKind::Condition)
        .object(0, 9, "Pool", ObjectKind::Pool);
    t.ev(0, 1, None, EventKind::WorkerStart)
        .ev(0, 2, None, EventKind::WorkerStart)
        .ev(0, 3, None, EventKind::WorkerStart);
    // ForkPoolWorker-1: one 40 ms task that sleeps 15 ms of it; ForkPoolWorker-2: no task.
    t.ev(10_000, 2, None, EventKind::TaskStart { task: 1 })
        .ev(20_000, 2, None, EventKind::SleepStart { ms: 15 })
        .ev(35_000, 2, None, EventKind::SleepEnd)
        .ev(50_000, 2, None, EventKind::TaskEnd { task: 1, ok: true });
    // Thread-1: runs 10 ms, sleeps 20 ms, runs 10 ms, then waits on the condition for
    // 30 ms, re-taking its lock inside the wait for the last 5 ms, then runs 30 ms.
    t.ev(10_000, 1, None, EventKind::SleepStart { ms: 20 })
        .ev(30_000, 1, None, EventKind::SleepEnd)
        .ev(40_000, 1, Some(1), EventKind::CondWait)
        .ev(65_000, 1, Some(1), EventKind::LockWait)
        .ev(70_000, 1, Some(1), EventKind::LockAcquire)
        .ev(70_000, 1, Some(1), EventKind::CondWake { timed_out: false })
        .ev(100_000, 1, None, EventKind::WorkerEnd { exit_code: 0 })
        .ev(100_000, 2, None, EventKind::WorkerEnd { exit_code: 0 })
        .ev(100_000, 3, None, EventKind::WorkerEnd { exit_code: 0 });
    let tl = Timeline::build(&t.events);
    assert_eq!(
        tl.totals(1).off_cpu_us,
        50_000,
        "the nested lock wait counts once"
    );
    let times = Timings::worker_times(&tl);
    let get = |id| times.iter().find(|w| w.worker == id).unwrap();
    let own = get(1);
    assert_eq!(
        (own.alive_us, own.busy_us, own.waiting_us, own.sleeping_us),
        (100_000, 50_000, 35_000, 20_000)
    );
    let pooled = get(2);
    assert_eq!(
        (pooled.alive_us, pooled.busy_us, pooled.sleeping_us),
        (100_000, 25_000, 15_000)
    );
    let idle = get(3);
    assert_eq!((idle.alive_us, idle.busy_us), (100_000, 0));
    // The text alternative says the same.
    assert_eq!(
        tl.lane_summary(1),
        "Thread-1: busy 50.0 ms, waited 5.0 ms for locks, waited 30.0 ms on other primitives, slept 20.0 ms"
    );
    assert_eq!(tl.roster.worker(3).unwrap().pool, Some(9));
}

#[test]
fn queue_blocking_tasks_gil_sleep_and_summary() {
    let mut t = Tr::default();
    t.worker(0, 1, "Thread-1");
    t.object(0, 1, "q", ObjectKind::Queue)
        .object(0, 2, "gil", ObjectKind::Gil);
    t.ev(0, 1, None, EventKind::WorkerStart);
    t.ev(0, 1, Some(1), EventKind::QueueBlocked { op: QueueOp::Get });
    t.ev(5_000, 0, Some(1), EventKind::QueuePut { item: 7, len: 1 });
    t.ev(8_000, 1, Some(1), EventKind::QueueGet { item: 7, len: 0 });
    for (task, start) in [(1u64, 10_000u64), (2, 30_000)] {
        t.ev(start, 1, None, EventKind::TaskStart { task });
        t.ev(start, 1, Some(2), EventKind::GilAcquire);
        t.ev(start + 10_000, 1, Some(2), EventKind::GilRelease);
        t.ev(
            start + 10_000,
            1,
            None,
            EventKind::TaskEnd { task, ok: true },
        );
    }
    t.ev(50_000, 1, None, EventKind::SleepStart { ms: 10 });
    t.ev(60_000, 1, None, EventKind::SleepEnd);
    t.ev(80_000, 1, None, EventKind::WorkerEnd { exit_code: 0 });
    let tl = Timeline::build(&t.events);
    let spans = tl.spans_in(1, 0, 100_000);
    let blocked: Vec<_> = spans
        .iter()
        .filter(|s| s.kind == SpanKind::QueueBlockedGet)
        .collect();
    assert_eq!(blocked.len(), 1);
    assert_eq!(
        (blocked[0].start_us, blocked[0].end_us),
        (0, 8_000),
        "closed by its own get, not the put"
    );
    let totals = tl.totals(1);
    assert_eq!(totals.tasks_done, 2);
    assert_eq!(totals.of(SpanKind::Gil), 20_000);
    assert_eq!(totals.of(SpanKind::Sleep), 10_000);
    let summary = tl.lane_summary(1);
    assert_eq!(
        summary,
        "Thread-1: ran 2 tasks, busy 20.0 ms, blocked 8.0 ms on queues, slept 10.0 ms, held the GIL 25% of the time"
    );
    let times = Timings::worker_times(&tl);
    let t1 = times.iter().find(|w| w.worker == 1).unwrap();
    assert_eq!(t1.name, "Thread-1");
    assert_eq!(
        (t1.alive_us, t1.busy_us, t1.waiting_us, t1.sleeping_us),
        (80_000, 20_000, 8_000, 10_000)
    );
    assert_eq!((t1.gil_us, t1.tasks), (20_000, 2));
    let markers = tl.markers_in(1, 0, 100_000);
    assert_eq!(markers.len(), 1);
    assert_eq!(tl.markers_in(0, 4_000, 6_000).len(), 1);
}

#[test]
fn window_queries_match_a_brute_force_filter() {
    let mut t = Tr::default();
    let mut x = 12345u64;
    let mut rnd = move |n: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % n
    };
    let mut time = 0;
    for task in 0..2_000u64 {
        let w = 1 + rnd(3) as u32;
        time += rnd(50);
        t.ev(time, w, None, EventKind::TaskStart { task });
        // Ends arrive a little out of time order now and then.
        let end = time + rnd(400);
        t.ev(end, w, None, EventKind::TaskEnd { task, ok: true });
    }
    let tl = Timeline::build(&t.events);
    let now = tl.now_us();
    for _ in 0..200 {
        let t0 = rnd(now + 100);
        let t1 = t0 + rnd(2_000);
        for w in 1..=3 {
            let mut got = kinds(&tl.spans_in(w, t0, t1));
            let mut want: Vec<_> = tl
                .lane(w)
                .unwrap()
                .all_spans(now)
                .filter(|s| s.end_us >= t0 && s.start_us <= t1)
                .map(|s| (s.kind, s.start_us, s.end_us))
                .collect();
            got.sort();
            want.sort();
            assert_eq!(got, want);
        }
    }
}

// ---- state panel -----------------------------------------------------------------------

#[test]
fn state_panel_tracks_every_primitive() {
    let mut t = Tr::default();
    t.worker(0, 1, "T1").worker(0, 2, "T2").worker(0, 3, "T3");
    t.object(0, 1, "lock", ObjectKind::Lock)
        .object(0, 2, "sem", ObjectKind::Semaphore)
        .object(0, 3, "buf", ObjectKind::Queue)
        .object(0, 4, "ready", ObjectKind::Event)
        .object(0, 5, "barrier", ObjectKind::Barrier);
    t.ev(1, 1, Some(1), EventKind::LockAcquire)
        .ev(2, 2, Some(1), EventKind::LockWait);
    t.ev(3, 3, Some(1), EventKind::LockWait);
    t.ev(4, 1, Some(2), EventKind::SemAcquire { value: 1 });
    t.ev(5, 2, Some(2), EventKind::SemWait);
    t.ev(6, 3, Some(2), EventKind::SemAcquire { value: 0 });
    t.ev(7, 1, Some(2), EventKind::SemRelease { value: 1 });
    t.ev(8, 2, Some(2), EventKind::SemAcquire { value: 0 });
    for (i, item) in [10u64, 11, 12].iter().enumerate() {
        t.ev(
            10 + i as u64,
            1,
            Some(3),
            EventKind::QueuePut {
                item: *item,
                len: i as u32 + 1,
            },
        );
    }
    t.ev(13, 1, Some(3), EventKind::QueueBlocked { op: QueueOp::Put });
    t.ev(14, 2, Some(3), EventKind::QueueGet { item: 10, len: 2 });
    t.ev(15, 0, Some(4), EventKind::EventSet);
    t.ev(
        16,
        1,
        Some(5),
        EventKind::BarrierWait {
            arrived: 1,
            parties: 3,
        },
    );
    t.ev(
        17,
        2,
        Some(5),
        EventKind::BarrierWait {
            arrived: 2,
            parties: 3,
        },
    );
    t.ev(
        18,
        0,
        None,
        EventKind::Counter {
            name: "counter".into(),
            value: 5,
        },
    );
    t.ev(
        19,
        0,
        None,
        EventKind::Counter {
            name: "counter".into(),
            value: 9,
        },
    );
    let st = StatePanel::build(&t.events);
    let lock = st.by_name("lock").unwrap();
    assert_eq!(
        (lock.holders.clone(), lock.waiters.clone()),
        (vec![1], vec![2, 3])
    );
    assert_eq!(st.describe(lock), "lock: held by T1; waiting: T2, T3");
    let sem = st.by_name("sem").unwrap();
    assert_eq!(sem.value, Some(0));
    assert_eq!(sem.holders, vec![3, 2]);
    assert_eq!(sem.max_inside, 2);
    assert!(sem.waiters.is_empty());
    assert_eq!(sem.series.len(), 4);
    let q = st.by_name("buf").unwrap();
    assert_eq!(q.items.iter().copied().collect::<Vec<_>>(), vec![11, 12]);
    assert_eq!((q.len, q.max_len, q.puts, q.gets), (2, 3, 3, 1));
    assert_eq!(q.blocked_putters, vec![1]);
    assert_eq!(
        q.series.iter().map(|p| p.value).collect::<Vec<_>>(),
        vec![1, 2, 3, 2]
    );
    assert_eq!(st.by_name("ready").unwrap().flag, Some(true));
    let b = st.by_name("barrier").unwrap();
    assert_eq!((b.arrived, b.parties, b.waiters.len()), (2, 3, 2));
    let c = st.counter("counter").unwrap();
    assert_eq!(c.iter().map(|p| p.value).collect::<Vec<_>>(), vec![5, 9]);
}

/// Every engine `Value` records `Counter { name: "value" }` on itself, and every semaphore
/// too. The panel once keyed counters by name alone, so all of them drew one "value" card
/// (the bounded buffer's ended at 4: the positions, the counts and the semaphores mixed).
#[test]
fn values_semaphores_and_arrays_do_not_share_one_counter() {
    let mut t = Tr::default();
    t.worker(0, 1, "T1").worker(0, 2, "T2");
    t.object(0, 1, "put_at", ObjectKind::Value)
        .object(0, 2, "put_at.lock", ObjectKind::RLock)
        .object(0, 3, "produced", ObjectKind::Value)
        .object(0, 4, "produced.lock", ObjectKind::RLock)
        .object(0, 5, "empty", ObjectKind::Semaphore)
        .object(0, 6, "buffer", ObjectKind::Array)
        .object(0, 7, "buffer.lock", ObjectKind::RLock)
        // A lock named like a value's, but not created with it: a card of its own.
        .object(0, 8, "produced.lock", ObjectKind::RLock);
    let counter = |name: &str, value: i64| EventKind::Counter {
        name: name.into(),
        value,
    };
    t.ev(1, 0, Some(1), counter("value", 0))
        .ev(1, 0, Some(3), counter("value", 0))
        .ev(1, 0, Some(5), counter("value", 4))
        .ev(1, 0, Some(6), counter("[0]", 0))
        .ev(1, 0, Some(6), counter("[1]", 0));
    t.ev(2, 1, Some(2), EventKind::LockAcquire)
        .ev(3, 2, Some(2), EventKind::LockWait)
        .ev(4, 1, Some(1), counter("value", 1))
        .ev(4, 1, Some(3), counter("value", 7))
        .ev(4, 1, Some(6), counter("[1]", 7))
        .ev(5, 1, Some(5), EventKind::SemAcquire { value: 3 })
        .ev(5, 1, Some(5), counter("value", 3))
        // A damaged trace's cell index is ignored, not allocated.
        .ev(6, 1, Some(6), counter("[4294967295]", 1))
        .ev(6, 1, Some(6), counter("[x]", 1))
        .ev(7, 0, None, counter("scenario", 42));
    let st = StatePanel::build(&t.events);

    let put_at = st.by_name("put_at").unwrap();
    assert_eq!(put_at.value, Some(1));
    assert_eq!(
        put_at.series.iter().map(|p| p.value).collect::<Vec<_>>(),
        vec![0, 1]
    );
    assert_eq!(st.by_name("produced").unwrap().value, Some(7));
    let empty = st.by_name("empty").unwrap();
    assert_eq!(empty.value, Some(3));
    assert_eq!(
        empty.series.iter().map(|p| p.value).collect::<Vec<_>>(),
        vec![4, 3]
    );
    let buffer = st.by_name("buffer").unwrap();
    assert_eq!(buffer.cells, vec![0, 7]);

    // Only the scenario's own counter is a counter card.
    let names: Vec<&str> = st.counters().map(|(n, _)| n).collect();
    assert_eq!(names, vec!["scenario"]);

    // Each value's lock is on its card (and marked as part of it), the stray one is not.
    let lock = st.own_lock(put_at).unwrap();
    assert_eq!((lock.id, lock.part_of), (2, Some(1)));
    assert_eq!(
        st.describe(put_at),
        "put_at: value 1; lock held by T1; waiting: T2"
    );
    assert_eq!(st.own_lock(buffer).map(|l| l.id), Some(7));
    assert_eq!(st.describe(buffer), "buffer: [0, 7]");
    assert_eq!(st.object(8).unwrap().part_of, None);

    // In the exported trace each is its own counter track too.
    let json = chrome_trace(&t.events, "values");
    for track in [
        "\"put_at value\"",
        "\"produced value\"",
        "\"buffer[1]\"",
        "\"scenario\"",
    ] {
        assert!(json.contains(track), "no {track} track");
    }
    assert!(
        !json.contains("\"name\":\"value\""),
        "a shared \"value\" track"
    );
}

/// The legend lists the markers a run drew: each lane knows which groups it has had.
#[test]
fn lanes_know_which_markers_they_have_had() {
    use concurrency_playground::views::timeline::MarkerGroup;
    let mut t = Tr::default();
    t.worker(0, 1, "T1").worker(0, 2, "T2");
    t.object(0, 1, "q", ObjectKind::Queue);
    t.ev(1, 1, Some(1), EventKind::QueuePut { item: 1, len: 1 })
        .ev(
            2,
            2,
            None,
            EventKind::Log(Box::new(concurrency_playground::engine::trace::Log {
                level: "INFO".into(),
                text: "hi".into(),
            })),
        );
    let tl = Timeline::build(&t.events);
    let lane = |w| tl.lanes().find(|l| l.worker == w).unwrap();
    assert!(lane(1).has_marked(MarkerGroup::Put) && !lane(1).has_marked(MarkerGroup::Output));
    assert!(lane(2).has_marked(MarkerGroup::Output) && !lane(2).has_marked(MarkerGroup::Put));
    assert!(!lane(1).has_marked(MarkerGroup::Get) && !lane(2).has_marked(MarkerGroup::Other));
}

// ---- timings -----------------------------------------------------------------------------

#[test]
fn latency_percentiles_histogram_and_throughput() {
    let mut t = Tr::default();
    t.ev(
        0,
        0,
        None,
        EventKind::RunStart {
            scenario: "pool".into(),
        },
    );
    // Task i runs i ms, for i in 1..=100, shuffled across workers.
    for i in 1..=100u64 {
        let task = (i * 37) % 101;
        t.ev(0, 0, None, EventKind::TaskSubmit { task });
        t.ev(
            1_000,
            1 + (i % 3) as u32,
            None,
            EventKind::TaskStart { task },
        );
        t.ev(
            1_000 + i * 1_000,
            1 + (i % 3) as u32,
            None,
            EventKind::TaskEnd { task, ok: true },
        );
    }
    t.ev(
        2_000_000,
        0,
        None,
        EventKind::RunEnd {
            outcome: Outcome::Done,
        },
    );
    let tm = Timings::build(&t.events);
    let l = tm.latency().unwrap();
    assert_eq!(
        (l.count, l.min, l.p50, l.p95, l.max),
        (100, 1_000, 50_000, 95_000, 100_000)
    );
    assert!((l.mean - 50_500.0).abs() < 1e-6);
    let h = tm.latency_histogram(10);
    assert_eq!(h.len(), 10);
    assert_eq!(h.iter().map(|b| b.count).sum::<usize>(), 100);
    assert!(h.iter().all(|b| b.count == 10), "{h:?}");
    assert_eq!(tm.wall_us(), 2_000_000);
    assert!((tm.throughput_per_s() - 50.0).abs() < 1e-9);
    assert!(tm
        .tasks()
        .iter()
        .all(|r| r.turnaround_us() == Some(r.end_us)));
    let csv = tm.csv();
    assert!(csv.contains("latency_p95_us,95000\n"));
    assert_eq!(csv.lines().filter(|l| l.ends_with(",true")).count(), 100);
    let rec = tm.record("workers=3");
    assert_eq!(
        (rec.scenario.as_str(), rec.outcome.as_str(), rec.tasks),
        ("pool", "done", 100)
    );
    let mut hist = RunHistory::new(2);
    for wall in [100, 50, 25] {
        hist.push(concurrency_playground::views::timings::RunRecord {
            wall_us: wall,
            ..rec.clone()
        });
    }
    assert_eq!(hist.relative_walls(), vec![1.0, 0.5]);
    assert!(hist.csv().contains("\"workers=3\"") || hist.csv().contains("workers=3"));
    assert_eq!(LatencyStats::of(&[]), None);
    assert!(histogram(&[], 5).is_empty());
    assert_eq!(histogram(&[7, 7, 7], 3)[0].count, 3);
}

// Regression: a sweep of 1-4 perfectly parallel workers on a 2-core machine (2 and 4
// workers as fast as each other) was fitted with Amdahl's law over the workers and read
// "32% serial", with an ideal of 4x that no 2-core machine reaches.
#[test]
fn a_sweep_past_the_cores_is_not_read_as_serial_work() {
    let on_two: Vec<(u32, f64)> = (1..=4).map(|k| (k, 8.0 / k.min(2) as f64)).collect();
    let s = sweep_on(&on_two, Some(2));
    assert!(s.serial_fraction.unwrap() < 1e-9, "{:?}", s.serial_fraction);
    assert_eq!(
        s.rows.iter().map(|r| r.ideal).collect::<Vec<_>>(),
        [1.0, 2.0, 2.0, 2.0]
    );
    assert!(s
        .rows
        .iter()
        .all(|r| (r.amdahl.unwrap() - r.speedup).abs() < 1e-9));
    assert_eq!(s.cores, Some(2));
    // Over the workers alone, the same times look like a third of the work is serial.
    let blind = sweep(&on_two).serial_fraction.unwrap();
    assert!(blind > 0.2, "{blind}");
    // A real serial part is still found past the cores.
    let amdahl: Vec<(u32, f64)> = (1..=4)
        .map(|k| (k, 10.0 * (0.3 + 0.7 / k.min(2) as f64)))
        .collect();
    assert!((sweep_on(&amdahl, Some(2)).serial_fraction.unwrap() - 0.3).abs() < 1e-9);
    // Every point at or past the cores: nothing to fit, and no panic on zero cores.
    assert_eq!(
        sweep_on(&[(2, 1.0), (3, 1.0)], Some(2)).serial_fraction,
        None
    );
    assert_eq!(sweep_on(&on_two, Some(0)).cores, None);
}

#[test]
fn amdahl_fit_recovers_a_known_serial_fraction() {
    let exact: Vec<(u32, f64)> = (1..=8)
        .map(|k| (k, 10.0 * (0.2 + 0.8 / k as f64)))
        .collect();
    let s = sweep(&exact);
    assert!((s.serial_fraction.unwrap() - 0.2).abs() < 1e-9);
    assert!((s.baseline_s - 10.0).abs() < 1e-12);
    assert_eq!(s.rows[0].efficiency, 1.0);
    let r4 = &s.rows[3];
    assert!((r4.speedup - 1.0 / (0.2 + 0.8 / 4.0)).abs() < 1e-9);
    assert!((r4.amdahl.unwrap() - r4.speedup).abs() < 1e-9);
    assert_eq!(r4.ideal, 4.0);
    // With ±3% noise the fit stays close.
    let noisy: Vec<(u32, f64)> = exact
        .iter()
        .enumerate()
        .map(|(i, &(k, t))| (k, t * if i % 2 == 0 { 1.03 } else { 0.97 }))
        .collect();
    assert!((sweep(&noisy).serial_fraction.unwrap() - 0.2).abs() < 0.05);
    // Perfectly parallel, and no k = 1 measured.
    let par: Vec<(u32, f64)> = [2u32, 4, 8].iter().map(|&k| (k, 8.0 / k as f64)).collect();
    let s = sweep(&par);
    assert!(s.serial_fraction.unwrap() < 1e-9);
    assert!((s.baseline_s - 8.0).abs() < 1e-9);
    // Too little to fit.
    assert_eq!(sweep(&[(4, 1.0)]).serial_fraction, None);
    assert!(sweep(&[(0, 1.0), (2, f64::NAN)]).rows.is_empty());
    assert!(sweep(&exact).csv().starts_with("workers,wall_s,speedup"));
}

// ---- exports -----------------------------------------------------------------------------

fn rich_trace() -> Tr {
    let mut t = lock_trace();
    t.ev(
        0,
        0,
        None,
        EventKind::RunStart {
            scenario: "mix".into(),
        },
    );
    t.object(0, 2, "q", ObjectKind::Queue)
        .object(0, 3, "gil", ObjectKind::Gil);
    t.object(0, 4, "sem", ObjectKind::Semaphore)
        .object(0, 5, "other", ObjectKind::Lock);
    // Overlapping, not nested: lock 1 taken in task 1, released after task 1 ended.
    t.ev(61, 1, None, EventKind::TaskStart { task: 1 });
    t.ev(62, 1, Some(1), EventKind::LockAcquire);
    t.ev(63, 1, Some(3), EventKind::GilAcquire);
    t.ev(64, 1, Some(5), EventKind::LockAcquire);
    t.ev(65, 1, None, EventKind::TaskEnd { task: 1, ok: true });
    t.ev(66, 1, Some(1), EventKind::LockRelease);
    t.ev(67, 1, Some(2), EventKind::QueuePut { item: 1, len: 1 });
    t.ev(68, 1, Some(2), EventKind::QueuePut { item: 2, len: 2 });
    t.ev(69, 2, Some(2), EventKind::QueueGet { item: 1, len: 1 });
    t.ev(70, 2, Some(2), EventKind::QueueGet { item: 2, len: 0 });
    t.ev(71, 2, Some(4), EventKind::SemAcquire { value: 0 });
    t.print(72, 2, "done \"quoted\"\t\u{1} \\ é\n");
    t.ev(
        73,
        0,
        None,
        EventKind::Counter {
            name: "n".into(),
            value: 3,
        },
    );
    // Left open: the GIL, lock 5, Thread-2's lifetime, the semaphore hold.
    t
}

#[test]
fn chrome_export_is_balanced_named_and_linked() {
    let t = rich_trace();
    let json = chrome_trace(&t.events, "mix (run 1)");
    let doc: Value = serde_json::from_str(&json).expect("valid JSON");
    let evs = doc["traceEvents"].as_array().unwrap();
    let ph = |e: &Value| e["ph"].as_str().unwrap_or("").to_string();
    // Thread names: every worker by name, and the process.
    let names: Vec<&str> = evs
        .iter()
        .filter(|e| e["name"] == "thread_name")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .collect();
    for n in ["MainThread", "Thread-1", "Thread-2"] {
        assert!(names.contains(&n), "{names:?}");
    }
    assert!(evs
        .iter()
        .any(|e| e["name"] == "process_name" && e["args"]["name"] == "mix (run 1)"));
    // Per thread: B/E balanced, properly nested, timestamps never going back.
    let mut stacks: HashMap<u64, Vec<u64>> = HashMap::new();
    let mut last_ts: HashMap<u64, u64> = HashMap::new();
    let mut b_count = 0;
    for e in evs.iter().filter(|e| ph(e) == "B" || ph(e) == "E") {
        let tid = e["tid"].as_u64().unwrap();
        let ts = e["ts"].as_u64().unwrap();
        assert!(
            ts >= *last_ts.get(&tid).unwrap_or(&0),
            "time went back on tid {tid}"
        );
        last_ts.insert(tid, ts);
        let stack = stacks.entry(tid).or_default();
        if ph(e) == "B" {
            b_count += 1;
            stack.push(ts);
        } else {
            assert!(stack.pop().is_some(), "E without B on tid {tid}");
        }
    }
    assert!(
        stacks.values().all(|s| s.is_empty()),
        "unbalanced: {stacks:?}"
    );
    assert!(b_count >= 10);
    // Spans left open end at the last timestamp.
    let last = t.events.iter().map(|e| e.t_us).max().unwrap();
    assert!(evs
        .iter()
        .any(|e| ph(e) == "B" && e["args"]["open_at_end"] == true));
    assert!(evs.iter().filter(|e| ph(e) == "E").any(|e| e["ts"] == last));
    // The non-nested lock hold forced a second track for Thread-1's sync spans.
    assert!(names.iter().any(|n| n.starts_with("Thread-1 · sync")));
    assert!(names.contains(&"Thread-1 · GIL"));
    // Flows: each id once as s and once as f; two items, two arrows.
    let mut flows: HashMap<u64, (u32, u32)> = HashMap::new();
    for e in evs {
        match ph(e).as_str() {
            "s" => flows.entry(e["id"].as_u64().unwrap()).or_default().0 += 1,
            "f" => flows.entry(e["id"].as_u64().unwrap()).or_default().1 += 1,
            _ => {}
        }
    }
    assert_eq!(flows.len(), 2);
    assert!(flows.values().all(|&c| c == (1, 1)));
    // Instants with args, counters.
    assert!(evs
        .iter()
        .any(|e| ph(e) == "i" && e["args"]["text"] == "done \"quoted\"\t\u{1} \\ é\n"));
    assert!(evs
        .iter()
        .any(|e| ph(e) == "i" && e["name"] == "put 2" && e["args"]["len"] == 2));
    assert!(evs.iter().any(|e| ph(e) == "C" && e["name"] == "q length"));
    assert!(evs.iter().any(|e| ph(e) == "C" && e["name"] == "sem value"));
    assert!(evs.iter().any(|e| ph(e) == "C" && e["name"] == "n"));
}

#[test]
fn trace_file_round_trips() {
    let t = rich_trace();
    let file = TraceFile::new("mix", "workers=2&slowmo=0", t.events.clone());
    let text = save_trace(&file).unwrap();
    assert!(text.contains(TRACE_FORMAT));
    let back = load_trace(text.as_bytes()).unwrap();
    assert_eq!(back, file);
    assert_eq!(back.events, t.events);
}

#[test]
fn load_rejects_bad_input_with_clear_messages() {
    let ok = save_trace(&TraceFile::new("s", "", rich_trace().events)).unwrap();
    let with = |key: &str, v: &str| {
        let mut doc: Value = serde_json::from_str(&ok).unwrap();
        doc[key] = serde_json::from_str(v).unwrap();
        doc.to_string()
    };
    let cases: Vec<(String, &str)> = vec![
        ("".into(), "empty"),
        ("{\"format\": ".into(), "not valid JSON"),
        ("[1,2]".into(), "expected an object"),
        ("{}".into(), "no \"format\""),
        ("{\"traceEvents\": []}".into(), "Chrome Trace Event file"),
        (with("format", "\"other\""), "\"format\" is \"other\""),
        (with("version", "2"), "version 2 is not supported"),
        (with("version", "\"1\""), "must be a number"),
        (with("version", "1.5"), "whole number"),
        (with("scenario", "3"), "\"scenario\" must be a string"),
        (with("events", "{}"), "must be a list"),
        (with("events", "[{\"run\": 1}]"), "Event #0 is malformed"),
        (
            with(
                "events",
                "[{\"run\":1,\"seq\":-1,\"t_us\":0,\"worker\":0,\"kind\":{\"k\":\"task_done\"}}]",
            ),
            "Event #0",
        ),
    ];
    for (input, want) in cases {
        let err = load_trace(input.as_bytes()).unwrap_err();
        assert!(
            err.contains(want),
            "for {input:.60}: got {err:?}, wanted {want:?}"
        );
    }
    let err = load_trace(&[0xff, 0xfe, b'{']).unwrap_err();
    assert!(err.contains("UTF-8"), "{err}");
    let big = vec![b' '; MAX_TRACE_BYTES + 1];
    assert!(load_trace(&big).unwrap_err().contains("over 50 MB"));
    let deep = "[".repeat(100_000);
    assert!(load_trace(deep.as_bytes()).is_err());
}

/// One of every event kind, with every object kind, flavour, queue side and outcome.
fn every_kind() -> Vec<EventKind> {
    use EventKind as K;
    let s = |x: &str| x.to_string();
    let mut kinds = vec![
        K::RunStart {
            scenario: s("lock"),
        },
        K::RunEnd {
            outcome: Outcome::Done,
        },
        K::RunEnd {
            outcome: Outcome::Failed(s("deadlock")),
        },
        K::RunEnd {
            outcome: Outcome::Cancelled,
        },
        K::WorkerNew {
            name: s("T-1"),
            flavour: Flavour::Thread,
            daemon: false,
        },
        K::WorkerNew {
            name: s("P-1"),
            flavour: Flavour::Process,
            daemon: true,
        },
        K::WorkerStart,
        K::WorkerEnd { exit_code: -3 },
        K::Print {
            text: s("a \"b\"\n"),
        },
        K::log("INFO", "x"),
        K::LockWait,
        K::LockAcquire,
        K::LockRelease,
        K::EventSet,
        K::EventClear,
        K::EventWait,
        K::EventWake { flag: true },
        K::CondWait,
        K::CondNotify { n: 2 },
        K::CondWake { timed_out: true },
        K::SemWait,
        K::SemAcquire { value: -1 },
        K::SemRelease { value: 7 },
        K::BarrierWait {
            arrived: 1,
            parties: 3,
        },
        K::BarrierPass,
        K::QueuePut {
            item: u64::MAX,
            len: 1,
        },
        K::QueueGet { item: 4, len: 0 },
        K::QueueBlocked { op: QueueOp::Put },
        K::QueueBlocked { op: QueueOp::Get },
        K::TaskDone,
        K::TaskSubmit { task: 1 },
        K::TaskStart { task: 1 },
        K::TaskEnd { task: 1, ok: false },
        K::GilAcquire,
        K::GilRelease,
        K::Serialize { bytes: 10, us: 2 },
        K::Deserialize { bytes: 10, us: 3 },
        K::SleepStart { ms: 5 },
        K::SleepEnd,
        K::Counter {
            name: s("n"),
            value: i64::MIN,
        },
        K::Stall {
            ms: 900,
            waiting: vec![s("T-1"), s("T-2")],
        },
        K::Deadlock { cycle: vec![] },
        K::Dropped { count: 12 },
        K::Note { text: s("") },
        K::WaitTimedOut,
        K::JoinWait { worker: 3 },
        K::ResultWait { task: Some(7) },
        K::ResultWait { task: None },
        K::WaitDone,
        K::Figure(Box::new(Figure {
            key: s("lost"),
            value: 0.25,
            unit: s("%"),
            text: s("lost a quarter"),
        })),
        K::Figure(Box::new(Figure {
            key: s("n"),
            value: 3.0,
            unit: s(""),
            text: s(""),
        })),
    ];
    use ObjectKind as O;
    for kind in [
        O::Lock,
        O::RLock,
        O::Event,
        O::Condition,
        O::Semaphore,
        O::BoundedSemaphore,
        O::Barrier,
        O::Queue,
        O::Value,
        O::Array,
        O::Manager,
        O::Gil,
        O::Pool,
        O::Stdout,
        O::Other,
    ] {
        kinds.push(K::ObjectNew { name: s("o"), kind });
    }
    // Adding a kind breaks this match until the kind is listed above too.
    let variant = |k: &EventKind| match k {
        K::RunStart { .. } => 0,
        K::RunEnd { .. } => 1,
        K::WorkerNew { .. } => 2,
        K::WorkerStart => 3,
        K::WorkerEnd { .. } => 4,
        K::Print { .. } => 5,
        K::Log { .. } => 6,
        K::ObjectNew { .. } => 7,
        K::LockWait => 8,
        K::LockAcquire => 9,
        K::LockRelease => 10,
        K::EventSet => 11,
        K::EventClear => 12,
        K::EventWait => 13,
        K::EventWake { .. } => 14,
        K::CondWait => 15,
        K::CondNotify { .. } => 16,
        K::CondWake { .. } => 17,
        K::SemWait => 18,
        K::SemAcquire { .. } => 19,
        K::SemRelease { .. } => 20,
        K::BarrierWait { .. } => 21,
        K::BarrierPass => 22,
        K::QueuePut { .. } => 23,
        K::QueueGet { .. } => 24,
        K::QueueBlocked { .. } => 25,
        K::TaskDone => 26,
        K::TaskSubmit { .. } => 27,
        K::TaskStart { .. } => 28,
        K::TaskEnd { .. } => 29,
        K::GilAcquire => 30,
        K::GilRelease => 31,
        K::Serialize { .. } => 32,
        K::Deserialize { .. } => 33,
        K::SleepStart { .. } => 34,
        K::SleepEnd => 35,
        K::Counter { .. } => 36,
        K::Stall { .. } => 37,
        K::Deadlock { .. } => 38,
        K::Dropped { .. } => 39,
        K::Note { .. } => 40,
        K::WaitTimedOut => 41,
        K::Figure { .. } => 42,
        K::JoinWait { .. } => 43,
        K::ResultWait { .. } => 44,
        K::WaitDone => 45,
    };
    let seen: std::collections::BTreeSet<i32> = kinds.iter().map(variant).collect();
    assert_eq!(seen.len(), 46, "every kind is listed");
    kinds
}

/// `load_trace` reads events with its own small reader instead of serde's derive (see
/// views/event_reader.rs); serde's derive stays the definition of the format. Both must
/// accept the same events, read the same values and refuse the same damaged ones.
#[test]
fn trace_reader_agrees_with_serde_on_every_kind_and_damage() {
    let load_one = |event: &Value| {
        let doc = serde_json::json!({
            "format": TRACE_FORMAT, "version": 1, "scenario": "s", "config": "",
            "events": [event],
        });
        load_trace(doc.to_string().as_bytes()).map(|mut f| f.events.remove(0))
    };
    let check = |v: &Value| {
        let ours = load_one(v);
        let serde = serde_json::from_value::<Event>(v.clone());
        match (&ours, &serde) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{v}"),
            (Err(_), Err(_)) => {}
            _ => panic!("{v}: reader {ours:?}, serde {serde:?}"),
        }
    };
    let damage: Vec<Option<Value>> = [
        "null",
        "-1",
        "0",
        "1",
        "1.5",
        "2147483648",
        "-2147483649",
        "4294967296",
        "18446744073709551615",
        "-9223372036854775808",
        "1e300",
        "\"x\"",
        "\"thread\"",
        "\"failed\"",
        "\"done\"",
        "true",
        "[]",
        "[\"a\"]",
        "[1]",
        "{}",
    ]
    .iter()
    .map(|j| Some(serde_json::from_str(j).unwrap()))
    .chain([None])
    .collect();
    let mut checked = 0;
    for (i, kind) in every_kind().into_iter().enumerate() {
        let object = if i % 2 == 0 { Some(3) } else { None };
        let event = Event {
            run: 1,
            seq: i as u64,
            t_us: 10,
            worker: 2,
            object,
            kind,
        };
        let good = serde_json::to_value(&event).unwrap();
        assert_eq!(load_one(&good).unwrap(), event);
        // Every field of the event, of its kind and of a run end's outcome, replaced by
        // each damaged value or removed; plus an unknown field, which both ignore.
        let mut paths: Vec<Vec<String>> = vec![vec!["extra".into()], vec!["object".into()]];
        for (key, v) in good.as_object().unwrap() {
            paths.push(vec![key.clone()]);
            for (k2, v2) in v.as_object().into_iter().flatten() {
                paths.push(vec![key.clone(), k2.clone()]);
                for k3 in v2.as_object().into_iter().flatten().map(|(k, _)| k) {
                    paths.push(vec![key.clone(), k2.clone(), k3.clone()]);
                }
            }
        }
        for path in &paths {
            for d in &damage {
                let mut v = good.clone();
                let (last, parents) = path.split_last().unwrap();
                let mut at = &mut v;
                for p in parents {
                    at = &mut at[p.as_str()];
                }
                let obj = at.as_object_mut().unwrap();
                match d {
                    Some(d) => obj.insert(last.clone(), d.clone()),
                    None => obj.remove(last),
                };
                check(&v);
                checked += 1;
            }
        }
    }
    for raw in [
        "[]",
        "3",
        "{\"run\":1}",
        "{\"run\":1,\"seq\":1,\"t_us\":1,\"worker\":1,\"kind\":{\"k\":\"nope\"}}",
    ] {
        check(&serde_json::from_str(raw).unwrap());
    }
    assert!(checked > 5000, "{checked}");
}

proptest! {
    #[test]
    fn load_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = load_trace(&bytes);
    }

    #[test]
    fn load_never_panics_on_json_like_text(s in "[{}\\[\\]\":,0-9a-z_ -]{0,200}") {
        let _ = load_trace(s.as_bytes());
    }

    #[test]
    fn load_never_panics_on_damaged_traces(cut in 0usize..4000, flip in 0usize..4000, byte in any::<u8>()) {
        let mut text = save_trace(&TraceFile::new("s", "c", rich_trace().events)).unwrap().into_bytes();
        let n = text.len();
        text[flip % n] = byte;
        text.truncate(cut % (n + 1));
        let _ = load_trace(&text);
    }
}

// ---- replay ------------------------------------------------------------------------------

/// Everything a page would show, as text, to compare two sets of views.
fn fingerprint(v: &Views) -> String {
    let mut s = v.console.tagged_text();
    for w in 0..5 {
        s.push_str(&format!("{}|", v.console.filtered_len(Filter::Worker(w))));
    }
    s.push_str(&v.timeline.summary().join("\n"));
    for lane in v.timeline.lanes() {
        let mut spans = v.timeline.spans_in(lane.worker, 0, u64::MAX);
        spans.sort_by_key(|s| (s.start_seq, s.kind as u8));
        s.push_str(&format!(
            "{spans:?}{:?}",
            v.timeline.markers_in(lane.worker, 0, u64::MAX)
        ));
    }
    for o in v.state.objects() {
        s.push_str(&v.state.describe(o));
        s.push_str(&format!("{:?}", o.series.iter().collect::<Vec<_>>()));
    }
    s.push_str(&v.timings.csv());
    s
}

/// A real trace from a few std threads: workers, a shared queue, prints, tasks.
fn recorded_trace() -> Vec<Event> {
    let ctx = RunCtx::new();
    let _main = ctx.enter(0);
    ctx.emit(
        None,
        EventKind::RunStart {
            scenario: "recorded".into(),
        },
    );
    let q = ctx.new_object("q", ObjectKind::Queue);
    let lock = ctx.new_object("lock", ObjectKind::Lock);
    let queued = Arc::new(Mutex::new(std::collections::VecDeque::new()));
    let handles: Vec<_> = (1..=3u32)
        .map(|w| {
            ctx.recorder.record(
                w,
                None,
                EventKind::WorkerNew {
                    name: format!("Thread-{w}"),
                    flavour: Flavour::Thread,
                    daemon: false,
                },
            );
            let ctx = ctx.clone();
            let queued = queued.clone();
            std::thread::spawn(move || {
                let _g = ctx.enter(w);
                ctx.emit(None, EventKind::WorkerStart);
                for i in 0..300u64 {
                    let task = w as u64 * 1000 + i;
                    ctx.emit(None, EventKind::TaskStart { task });
                    ctx.emit(Some(lock), EventKind::LockWait);
                    ctx.emit(Some(lock), EventKind::LockAcquire);
                    {
                        let mut qd = queued.lock().unwrap();
                        qd.push_back(task);
                        ctx.emit(
                            Some(q),
                            EventKind::QueuePut {
                                item: task,
                                len: qd.len() as u32,
                            },
                        );
                    }
                    ctx.emit(Some(lock), EventKind::LockRelease);
                    ctx.emit(
                        None,
                        EventKind::Print {
                            text: format!("{w}:{i} "),
                        },
                    );
                    ctx.emit(None, EventKind::Print { text: "\n".into() });
                    ctx.emit(None, EventKind::TaskEnd { task, ok: true });
                }
                ctx.emit(None, EventKind::WorkerEnd { exit_code: 0 });
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    loop {
        let mut qd = queued.lock().unwrap();
        let Some(item) = qd.pop_front() else { break };
        ctx.emit(
            Some(q),
            EventKind::QueueGet {
                item,
                len: qd.len() as u32,
            },
        );
    }
    ctx.emit(
        None,
        EventKind::RunEnd {
            outcome: Outcome::Done,
        },
    );
    ctx.recorder.drain_sorted()
}

#[test]
fn replay_back_and_forth_matches_a_fresh_build() {
    let events = recorded_trace();
    assert!(events.len() > 5_000);
    let full = Views::build(&events);
    // Fed in shuffled batches, the views come out the same.
    let mut batched = Views::new();
    for chunk in events.chunks(97) {
        let mut b = chunk.to_vec();
        b.reverse();
        batched.apply_batch(&b);
    }
    assert_eq!(fingerprint(&batched), fingerprint(&full));
    assert_eq!(full.timings.tasks().len(), 900);
    assert_eq!(full.console.len(), 901, "900 lines and the end notice");
    assert_eq!(full.state.by_name("q").unwrap().items.len(), 0);
    let mut r = Replay::with_interval(events.clone(), 500);
    r.seek(r.len());
    assert_eq!(fingerprint(r.views()), fingerprint(&full));
    let mut x = 99u64;
    for _ in 0..25 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let pos = (x >> 33) as usize % (events.len() + 1);
        r.seek(pos);
        assert_eq!(r.position(), pos);
        assert_eq!(
            fingerprint(r.views()),
            fingerprint(&Views::build(&events[..pos])),
            "at {pos}"
        );
    }
    // Step back one by one across a checkpoint, then forward again.
    r.seek(1_003);
    for _ in 0..6 {
        assert!(r.step_back());
    }
    assert_eq!(
        fingerprint(r.views()),
        fingerprint(&Views::build(&events[..997]))
    );
    assert!(r.step_forward());
    assert_eq!(
        fingerprint(r.views()),
        fingerprint(&Views::build(&events[..998]))
    );
    r.seek(0);
    assert!(!r.step_back());
    assert_eq!(r.views().console.len(), 0);
}

#[test]
fn replay_plays_by_time_at_any_speed() {
    let t = lock_trace();
    let mut r = Replay::new(t.events.clone());
    r.set_speed(0.5);
    assert!(r.advance(20.0)); // 10 µs of trace time
    assert_eq!(r.time_us(), 10);
    assert_eq!(r.position(), 8, "everything up to t = 10");
    r.set_speed(f64::NAN);
    assert_eq!(r.speed(), 1.0);
    while r.advance(7.0) {}
    assert!(r.at_end());
    r.seek_time(30);
    assert_eq!(r.time_us(), 30);
    assert_eq!(r.time_of_seq(7), Some(10));
    assert_eq!(r.duration_us(), 60);
}

#[test]
fn a_100k_event_trace_builds_quickly() {
    let mut t = Tr::default();
    t.worker(0, 1, "T1").worker(0, 2, "T2").worker(0, 3, "T3");
    t.object(0, 1, "lock", ObjectKind::Lock)
        .object(0, 2, "q", ObjectKind::Queue);
    let mut time = 0;
    let mut n = 0u64;
    while t.events.len() < 100_000 {
        let w = 1 + (n % 3) as u32;
        time += 3;
        t.ev(time, w, None, EventKind::TaskStart { task: n });
        t.ev(time, w, Some(1), EventKind::LockWait);
        t.ev(time + 1, w, Some(1), EventKind::LockAcquire);
        t.ev(
            time + 1,
            w,
            Some(2),
            EventKind::QueuePut { item: n, len: 1 },
        );
        t.ev(
            time + 2,
            w,
            Some(2),
            EventKind::QueueGet { item: n, len: 0 },
        );
        t.ev(time + 2, w, Some(1), EventKind::LockRelease);
        t.print(time + 2, w, &format!("task {n} done\n"));
        t.ev(time + 3, w, None, EventKind::TaskEnd { task: n, ok: true });
        n += 1;
    }
    let start = std::time::Instant::now();
    let v = Views::build(&t.events);
    let build = start.elapsed();
    assert_eq!(v.timings.tasks().len() as u64, n);
    let mut r = Replay::from_trace(TraceFile::new("bench", "", t.events.clone()));
    r.seek(r.len());
    let start = std::time::Instant::now();
    for k in 1..=20 {
        r.seek(r.len() - k * 4_000);
    }
    let back = start.elapsed() / 20;
    let start = std::time::Instant::now();
    let json = chrome_trace(&t.events, "bench");
    let export = start.elapsed();
    println!(
        "{} events: all views built in {:.1} ms; backward seek {:.2} ms on average; \
         Chrome export {:.1} ms ({} KB)",
        t.events.len(),
        build.as_secs_f64() * 1e3,
        back.as_secs_f64() * 1e3,
        export.as_secs_f64() * 1e3,
        json.len() / 1024
    );
}

// ---- robustness: arbitrary traces -----------------------------------------------------------

fn arb_kind() -> impl Strategy<Value = EventKind> {
    let small = 0u64..4;
    prop_oneof![
        Just(EventKind::RunStart {
            scenario: "s".into()
        }),
        Just(EventKind::RunEnd {
            outcome: Outcome::Done
        }),
        (0u32..4).prop_map(|w| EventKind::WorkerNew {
            name: format!("T{w}"),
            flavour: Flavour::Thread,
            daemon: false
        }),
        Just(EventKind::WorkerStart),
        Just(EventKind::WorkerEnd { exit_code: 0 }),
        "[ab\n]{0,4}".prop_map(|text| EventKind::Print { text }),
        Just(EventKind::log("INFO", "x")),
        Just(EventKind::ObjectNew {
            name: "o".into(),
            kind: ObjectKind::Queue
        }),
        Just(EventKind::ObjectNew {
            name: "s".into(),
            kind: ObjectKind::Semaphore
        }),
        Just(EventKind::LockWait),
        Just(EventKind::LockAcquire),
        Just(EventKind::LockRelease),
        Just(EventKind::EventSet),
        Just(EventKind::EventWait),
        Just(EventKind::EventWake { flag: true }),
        Just(EventKind::CondWait),
        Just(EventKind::CondNotify { n: 1 }),
        Just(EventKind::CondWake { timed_out: false }),
        (-2i64..3).prop_map(|value| EventKind::SemAcquire { value }),
        (-2i64..3).prop_map(|value| EventKind::SemRelease { value }),
        Just(EventKind::SemWait),
        (0u32..4, 0u32..4)
            .prop_map(|(arrived, parties)| EventKind::BarrierWait { arrived, parties }),
        Just(EventKind::BarrierPass),
        (small.clone(), 0u32..4).prop_map(|(item, len)| EventKind::QueuePut { item, len }),
        (small.clone(), 0u32..4).prop_map(|(item, len)| EventKind::QueueGet { item, len }),
        Just(EventKind::QueueBlocked { op: QueueOp::Put }),
        Just(EventKind::QueueBlocked { op: QueueOp::Get }),
        small
            .clone()
            .prop_map(|task| EventKind::TaskSubmit { task }),
        small.clone().prop_map(|task| EventKind::TaskStart { task }),
        small.prop_map(|task| EventKind::TaskEnd { task, ok: true }),
        Just(EventKind::GilAcquire),
        Just(EventKind::GilRelease),
        Just(EventKind::SleepStart { ms: 1 }),
        Just(EventKind::SleepEnd),
        Just(EventKind::Counter {
            name: "c".into(),
            value: 1
        }),
        Just(EventKind::Deadlock {
            cycle: vec!["a".into()]
        }),
        Just(EventKind::Stall {
            ms: 5,
            waiting: vec![]
        }),
        Just(EventKind::Dropped { count: 2 }),
    ]
}

/// Events in any order, on few workers and objects, with times that mostly rise but
/// sometimes jump back or to the end of the clock.
fn arb_trace() -> impl Strategy<Value = Vec<Event>> {
    proptest::collection::vec(
        (
            0u32..4,
            proptest::option::of(1u32..4),
            0u64..50,
            0u8..20,
            arb_kind(),
        ),
        0..80,
    )
    .prop_map(|raw| {
        let mut t = 1_000u64;
        raw.into_iter()
            .enumerate()
            .map(|(i, (worker, object, dt, wild, kind))| {
                t = match wild {
                    0 => t.saturating_sub(dt),
                    1 => u64::MAX - dt,
                    _ => t.saturating_add(dt),
                };
                Event {
                    run: 1,
                    seq: i as u64,
                    t_us: t,
                    worker,
                    object,
                    kind,
                }
            })
            .collect()
    })
}

fn assert_balanced_chrome(json: &str) {
    let doc: Value = serde_json::from_str(json).expect("valid JSON");
    let mut depth: HashMap<u64, i64> = HashMap::new();
    for e in doc["traceEvents"].as_array().unwrap() {
        let tid = e["tid"].as_u64().unwrap();
        match e["ph"].as_str().unwrap() {
            "B" => *depth.entry(tid).or_default() += 1,
            "E" => {
                let d = depth.entry(tid).or_default();
                *d -= 1;
                assert!(*d >= 0, "E before B on tid {tid}");
            }
            _ => {}
        }
    }
    assert!(depth.values().all(|&d| d == 0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_trace_builds_exports_and_replays(events in arb_trace(), back in 0usize..80) {
        let views = Views::build(&events);
        let _ = views.timeline.summary();
        let _ = views.timings.csv();
        let _ = views.timings.latency_histogram(7);
        for o in views.state.objects() {
            let _ = views.state.describe(o);
        }
        assert_balanced_chrome(&chrome_trace(&events, "fuzz"));
        let file = TraceFile::new("fuzz", "", events.clone());
        prop_assert_eq!(load_trace(save_trace(&file).unwrap().as_bytes()).unwrap(), file);
        let mut r = Replay::with_interval(events.clone(), 7);
        r.seek(events.len());
        let pos = back.min(events.len());
        r.seek(pos);
        prop_assert_eq!(fingerprint(r.views()), fingerprint(&Views::build(&events[..pos])));
    }

    #[test]
    fn console_lines_are_the_pieces_split_at_newlines(
        pieces in proptest::collection::vec((0u32..3, "[ab\n]{0,5}"), 0..60)
    ) {
        let mut t = Tr::default();
        for (w, text) in &pieces {
            t.print(0, *w, text);
        }
        let c = Console::build(&t.events);
        let all: String = pieces.iter().map(|p| p.1.as_str()).collect();
        let shown: Vec<String> = c.iter().map(|l| l.text.clone()).collect();
        let mut expected: Vec<String> = all.split('\n').map(String::from).collect();
        if expected.last().is_some_and(|l| l.is_empty()) {
            expected.pop();
        }
        prop_assert_eq!(&shown, &expected);
        for l in c.iter() {
            // Writers are distinct and every segment boundary lies inside the text.
            let mut ws = l.writers.clone();
            ws.dedup();
            prop_assert_eq!(ws.len(), l.writers.len());
            prop_assert!(l.segments.iter().all(|s| s.0 as usize <= l.text.len()));
            prop_assert_eq!(l.segments.is_empty(), l.writers.len() == 1);
        }
        for w in 0..4 {
            let filtered: Vec<usize> = c.lines(Filter::Worker(w), 0, usize::MAX).iter().map(|x| x.0).collect();
            let brute: Vec<usize> = (0..c.len()).filter(|&i| c.line(i).unwrap().visible_to(w)).collect();
            prop_assert_eq!(filtered, brute);
        }
    }
}

// ---- timeline pictures: the overview path agrees with the exact one -------------------

mod pictures {
    use super::*;
    use concurrency_playground::views::picture::Frame;

    /// Random lock traffic on `workers` lanes (wait, acquire, release in time order per
    /// worker, interleaved), with a print now and then.
    fn traffic(workers: u32, rounds: usize, gaps: &[u64]) -> Vec<Event> {
        let mut t = Tr::default();
        t.ev(
            0,
            0,
            None,
            EventKind::RunStart {
                scenario: "x".into(),
            },
        );
        for w in 1..=workers {
            t.worker(0, w, &format!("Thread-{w}"));
            t.ev(0, w, None, EventKind::WorkerStart);
        }
        t.object(0, 1, "lock", ObjectKind::Lock);
        let mut now = 1u64;
        for r in 0..rounds {
            let w = 1 + (r as u32 % workers);
            let g = |i: usize| gaps[(r * 3 + i) % gaps.len()];
            t.ev(now, w, Some(1), EventKind::LockWait);
            now += g(0);
            t.ev(now, w, Some(1), EventKind::LockAcquire);
            now += g(1);
            if r % 7 == 0 {
                t.ev(now, w, None, EventKind::Print { text: "x\n".into() });
            }
            t.ev(now, w, Some(1), EventKind::LockRelease);
            now += g(2);
        }
        t.events
    }

    fn near(cols: &[bool], c: usize) -> bool {
        (c.saturating_sub(1)..=c + 1).any(|i| cols.get(i).copied().unwrap_or(false))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn overview_matches_exact(
            workers in 1u32..4,
            rounds in 1usize..3000,
            gaps in proptest::collection::vec(0u64..400, 1..20),
            plot_w in 100.0f64..2000.0,
        ) {
            let tl = Timeline::build(&traffic(workers, rounds, &gaps));
            let f = Frame { t0: 0.0, t1: tl.now_us().max(1) as f64, plot_w, wide_px: 3.0, max_wide: usize::MAX };
            for lane in tl.lanes() {
                let w = lane.worker;
                let exact = tl.picture_with(w, &f, false);
                let coarse = tl.picture(w, &f);
                // Columns narrower than a bucket (a run of a few µs) must take the exact path.
                if f.col_us() < lane.overview().res_us() as f64 {
                    prop_assert!(!coarse.from_overview);
                    continue;
                }
                prop_assert!(coarse.from_overview);
                let key = |p: &concurrency_playground::views::picture::LanePicture| {
                    let mut v: Vec<_> = p.wide.iter().map(|s| (s.kind as u8, s.start_us, s.end_us)).collect();
                    v.sort();
                    v
                };
                prop_assert_eq!(key(&exact), key(&coarse), "the same spans drawn one by one");
                for e in &exact.pooled {
                    let c = coarse.pooled.iter().find(|p| p.kind == e.kind);
                    prop_assert!(c.is_some(), "{:?} pooled in both", e.kind);
                    let c = c.unwrap();
                    for (i, &cov) in e.covered.iter().enumerate() {
                        if cov { prop_assert!(c.covered[i], "exact column {} of {:?} covered", i, e.kind); }
                    }
                    for (i, &cov) in c.covered.iter().enumerate() {
                        if cov { prop_assert!(near(&e.covered, i), "overview column {} of {:?} has a span nearby", i, e.kind); }
                    }
                    let sum = |v: &[u32]| v.iter().map(|&n| n as u64).sum::<u64>();
                    prop_assert_eq!(sum(&e.starts), sum(&c.starts), "every narrow span counted once");
                }
                prop_assert_eq!(exact.pooled.len(), coarse.pooled.len());
                let marked = |p: &concurrency_playground::views::picture::LanePicture| {
                    p.marks_per_col.iter().map(|&n| n > 0).collect::<Vec<_>>()
                };
                let (me, mc) = (marked(&exact), marked(&coarse));
                for i in 0..f.cols() {
                    if me[i] { prop_assert!(near(&mc, i), "marker column {} kept", i); }
                    if mc[i] { prop_assert!(near(&me, i), "overview marker column {} real", i); }
                }
                for p in [&exact, &coarse] {
                    let starts: Vec<usize> = (0..f.cols()).filter(|&c| p.marks_per_col[c] > 0 && (c == 0 || p.marks_per_col[c - 1] == 0)).collect();
                    prop_assert_eq!(p.ticks.iter().map(|t| t.0).collect::<Vec<_>>(), starts, "a tick per stretch");
                }
            }
        }
    }
}

/// Regression: boxing the figure and log kinds (to halve every event's size) must not
/// change the trace format that saved runs and the shipped recordings use.
#[test]
fn boxed_figure_and_log_events_keep_their_flat_json() {
    let figure = EventKind::Figure(Box::new(Figure {
        key: "lost".into(),
        value: 0.5,
        unit: "%".into(),
        text: "half".into(),
    }));
    assert_eq!(
        serde_json::to_value(&figure).unwrap(),
        serde_json::json!({"k": "figure", "key": "lost", "value": 0.5, "unit": "%", "text": "half"})
    );
    let log = EventKind::log("INFO", "x");
    assert_eq!(
        serde_json::to_value(&log).unwrap(),
        serde_json::json!({"k": "log", "level": "INFO", "text": "x"})
    );
    let back: EventKind =
        serde_json::from_str(r#"{"k":"figure","key":"n","value":3.0,"unit":"","text":"t"}"#)
            .unwrap();
    assert!(matches!(back, EventKind::Figure(f) if f.key == "n" && f.value == 3.0));
    // Every event is the size of its largest kind: keep it at most 72 bytes (it was 112).
    assert!(
        std::mem::size_of::<Event>() <= 72,
        "{}",
        std::mem::size_of::<Event>()
    );
}
