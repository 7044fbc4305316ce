//! The queue, pool and executor scenarios, run for real: each one's phenomenon with the
//! default knobs, its deliberate mistakes, and its diagnosis when it hangs.

use concurrency_playground::engine::worker::Threads;
use concurrency_playground::engine::{Event, EventKind, Outcome, RunCtx};
use concurrency_playground::scenarios::runner::{self, RunOptions};
use concurrency_playground::scenarios::Config;
use concurrency_playground::views::{StatePanel, Timeline, Timings};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use web_time::Instant;

/// The runs share two cores with other work: one at a time keeps them honest.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

fn config(id: &str, pairs: &[(&str, &str)]) -> Config {
    let spec = runner::find(id).expect("scenario").info.knobs;
    let mut c = Config::defaults(spec);
    for (k, v) in pairs {
        let messages = c.set_text(k, v);
        assert!(messages.is_empty(), "{id} {k}={v}: {messages:?}");
    }
    c
}

struct Ran {
    outcome: Outcome,
    events: Vec<Event>,
}

impl Ran {
    fn figure(&self, key: &str) -> f64 {
        self.events
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::Figure(f) if f.key == key => Some(f.value),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no figure {key}: {:?}", self.figure_keys()))
    }

    fn has_figure(&self, key: &str) -> bool {
        self.figure_keys().iter().any(|k| k == key)
    }

    fn figure_keys(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Figure(f) => Some(f.key.clone()),
                _ => None,
            })
            .collect()
    }

    /// Every printed line, whole (pieces joined per worker).
    fn lines(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Print { text } => Some(text.trim_end_matches('\n').to_string()),
                _ => None,
            })
            .collect()
    }

    fn count(&self, pred: impl Fn(&EventKind) -> bool) -> usize {
        self.events.iter().filter(|e| pred(&e.kind)).count()
    }
}

fn run_with(id: &str, c: &Config, threads: usize, opts: &RunOptions) -> Ran {
    let ctx = RunCtx::new();
    let th = Threads::build(threads).expect("pool");
    let scenario = runner::find(id).expect("scenario");
    let outcome = runner::run_native(&ctx, &th, scenario, c, opts);
    Ran {
        outcome,
        events: ctx.recorder.drain_sorted(),
    }
}

fn run(id: &str, pairs: &[(&str, &str)]) -> Ran {
    let c = config(id, pairs);
    let needed = (runner::find(id).expect("scenario").threads_needed)(&c);
    let r = run_with(id, &c, needed.max(1), &RunOptions::default());
    assert_eq!(r.outcome, Outcome::Done, "{id} {pairs:?}: {:?}", r.lines());
    r
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

// ---- queue-sentinel ---------------------------------------------------------------------

#[test]
fn queue_sentinel_consumers_double_every_item_and_stop() {
    let _s = serial();
    let r = run("queue-sentinel", &[]);
    let lines = r.lines();
    for want in ["doubled 5 to 10", "doubled 10 to 20", "doubled 13 to 26"] {
        assert_eq!(
            lines.iter().filter(|l| l.contains(want)).count(),
            1,
            "{lines:?}"
        );
    }
    for name in ["consumer-1", "consumer-2"] {
        let stop = format!("{name} read the sentinel and stops");
        assert!(lines.contains(&stop), "{lines:?}");
    }
    assert_eq!(r.figure("produced"), 3.0);
    assert_eq!(r.figure("consumed"), 3.0);
    assert!(!r.has_figure("still-waiting"));
    let panel = StatePanel::build(&r.events);
    let jobs = panel.by_name("jobs").expect("the jobs queue");
    assert_eq!(jobs.maxsize, Some(0), "unbounded by default");
    // Each item's work is a recorded sleep (`time.sleep(WORK)`, 20 ms), so the timings
    // show where the consumers' time went.
    let timeline = Timeline::build(&r.events);
    let times = Timings::worker_times(&timeline);
    let consumers: Vec<_> = times
        .iter()
        .filter(|w| w.name.starts_with("consumer-"))
        .collect();
    assert_eq!(consumers.len(), 2);
    let slept: u64 = consumers.iter().map(|w| w.sleeping_us).sum();
    assert!(slept >= 3 * 19_000, "3 items of 20 ms: slept {slept} µs");
    for w in &consumers {
        assert!(w.busy_us + w.sleeping_us <= w.alive_us, "{w:?}");
    }
}

#[test]
fn queue_sentinel_many_items_all_arrive_once() {
    let _s = serial();
    let r = run(
        "queue-sentinel",
        &[("items", "200"), ("workers", "16"), ("latency-ms", "0")],
    );
    assert_eq!(r.figure("produced"), 200.0);
    assert_eq!(r.figure("consumed"), 200.0);
    let stops = r
        .lines()
        .iter()
        .filter(|l| l.ends_with("read the sentinel and stops"))
        .count();
    assert_eq!(stops, 16);
}

#[test]
fn queue_sentinel_bounded_queue_blocks_the_producer() {
    let _s = serial();
    let r = run("queue-sentinel", &[("capacity", "1"), ("items", "10")]);
    let blocked_puts = r.count(|k| {
        matches!(k, EventKind::QueueBlocked { op } if *op == concurrency_playground::engine::trace::QueueOp::Put)
    });
    assert!(
        blocked_puts >= 1,
        "a queue of 1 with slow consumers must fill"
    );
    assert!(r.figure("producer-blocked-puts") >= 1.0);
    assert!(r.figure("producer-blocked-ms") > 0.0);
    assert_eq!(r.figure("consumed"), 10.0);
    // The queue never held more than its capacity.
    let max_len = r
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::QueuePut { len, .. } => Some(len),
            _ => None,
        })
        .max();
    assert_eq!(max_len, Some(1));
    let panel = StatePanel::build(&r.events);
    let jobs = panel.by_name("jobs").expect("the jobs queue");
    assert_eq!((jobs.maxsize, jobs.max_len), (Some(1), 1));
}

#[test]
fn queue_sentinel_forgotten_sentinel_is_named_and_cancel_ends_it() {
    let _s = serial();
    let c = config("queue-sentinel", &[("forget-sentinel", "true")]);
    let ctx = RunCtx::new();
    let th = Threads::build(2).expect("pool");
    let scenario = runner::find("queue-sentinel").expect("scenario");
    let opts = RunOptions {
        stall_after: ms(300),
        ..RunOptions::default()
    };
    let runner_thread = {
        let ctx = ctx.clone();
        std::thread::spawn(move || runner::run_native(&ctx, &th, scenario, &c, &opts))
    };
    let mut seen = Vec::new();
    let started = Instant::now();
    let stall = loop {
        ctx.recorder.drain_into(&mut seen, usize::MAX);
        if let Some(w) = seen.iter().find_map(|e| match &e.kind {
            EventKind::Stall { waiting, .. } => Some(waiting.clone()),
            _ => None,
        }) {
            break w;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no stall reported"
        );
        std::thread::sleep(ms(20));
    };
    assert_eq!(stall.len(), 1, "{stall:?}");
    assert!(stall[0].contains("consumer-"), "{stall:?}");
    assert!(stall[0].contains("queue jobs"), "{stall:?}");
    assert!(!runner_thread.is_finished(), "the run must keep waiting");
    let cancelled_at = Instant::now();
    ctx.cancel();
    let outcome = runner_thread.join().expect("runner");
    let took = cancelled_at.elapsed();
    assert!(took < ms(200), "cancel took {took:?}");
    assert_eq!(outcome, Outcome::Cancelled);
    ctx.recorder.drain_into(&mut seen, usize::MAX);
    let r = Ran {
        outcome,
        events: seen,
    };
    assert_eq!(r.figure("consumed"), 3.0);
    assert_eq!(r.figure("still-waiting"), 1.0);
}

// ---- bounded-buffer ---------------------------------------------------------------------

/// Every item 1..=n was taken out exactly once.
fn consumed_items(r: &Ran) -> Vec<u64> {
    let mut got: Vec<u64> = r
        .lines()
        .iter()
        .filter_map(|l| {
            let rest = l.split(" got ").nth(1)?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .collect();
    got.sort_unstable();
    got
}

#[test]
fn bounded_buffer_every_item_goes_through_once() {
    let _s = serial();
    let r = run("bounded-buffer", &[]);
    assert_eq!(r.figure("produced"), 20.0);
    assert_eq!(r.figure("consumed"), 20.0);
    assert_eq!(consumed_items(&r), (1..=20).collect::<Vec<_>>());
    assert!(r.lines().contains(&"produced 20, consumed 20".to_string()));
    assert!(r.figure("max-filled") <= 4.0);
    // The slots are drawn from the trace: an Array named `buffer` with a Counter per slot.
    let buffer = r
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::ObjectNew { name, kind } if name == "buffer" => {
                assert_eq!(*kind, concurrency_playground::engine::ObjectKind::Array);
                e.object
            }
            _ => None,
        })
        .expect("a buffer object");
    let slot_writes: Vec<(String, i64)> = r
        .events
        .iter()
        .filter(|e| e.object == Some(buffer))
        .filter_map(|e| match &e.kind {
            EventKind::Counter { name, value } => Some((name.clone(), *value)),
            _ => None,
        })
        .collect();
    assert_eq!(
        slot_writes.len(),
        44,
        "4 starting cells, 20 puts and 20 takes"
    );
    let (start, writes) = slot_writes.split_at(4);
    let start: Vec<(&str, i64)> = start.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    assert_eq!(start, [("[0]", 0), ("[1]", 0), ("[2]", 0), ("[3]", 0)]);
    let mut slots = [0i64; 4];
    for (name, value) in writes {
        let i: usize = name
            .trim_matches(|c| c == '[' || c == ']')
            .parse()
            .expect("slot");
        // A put fills an empty slot; a take empties a full one.
        assert!(
            (slots[i] == 0) != (*value == 0),
            "slot {i}: {} -> {value}",
            slots[i]
        );
        slots[i] = *value;
    }
    assert_eq!(slots, [0; 4]);
    println!(
        "bounded-buffer defaults: max-filled {} producer-wait {:.1} ms consumer-wait {:.1} ms",
        r.figure("max-filled"),
        r.figure("producer-wait-ms"),
        r.figure("consumer-wait-ms")
    );
}

// Regression: the state panel listed the consumers "inside" `fill` (consumer-1,
// consumer-2, consumer-1, consumer-2 after a run, value 0), because every acquire counted
// as an entry although `fill` is a signal: producers release it, consumers acquire it.
#[test]
fn bounded_buffer_signals_put_nobody_inside_fill() {
    let _s = serial();
    let r = run(
        "bounded-buffer",
        &[("consume-ms", "0"), ("produce-ms", "5")],
    );
    let panel = StatePanel::build(&r.events);
    let fill = panel.by_name("fill").expect("fill");
    assert_eq!((fill.max_inside, fill.holders.len()), (0, 0));
    // `empty` is the limit: producers hold the slots they filled until consumers free them.
    let empty = panel.by_name("empty").expect("empty");
    assert!((1..=4).contains(&empty.max_inside), "{}", empty.max_inside);
    assert!(empty.holders.is_empty());
    assert_eq!((fill.value, empty.value), (Some(0), Some(4)));
}

/// The state panel's cards after a real run: each shared value reads its own final value,
/// the buffer's cells are empty again, and the values' own locks are on their cards.
#[test]
fn bounded_buffer_panel_reads_each_value_on_its_own_card() {
    let _s = serial();
    let r = run(
        "bounded-buffer",
        &[
            ("items", "10"),
            ("capacity", "4"),
            ("consume-ms", "0"),
            ("produce-ms", "1"),
        ],
    );
    let panel = StatePanel::build(&r.events);
    let value = |name: &str| panel.by_name(name).and_then(|o| o.value);
    assert_eq!(value("produced"), Some(10));
    assert_eq!(value("consumed"), Some(10));
    assert_eq!(value("put_at"), Some(10 % 4));
    assert_eq!(value("take_at"), Some(10 % 4));
    assert_eq!(
        panel.by_name("buffer").map(|o| o.cells.clone()),
        Some(vec![0; 4])
    );
    for name in ["buffer", "put_at", "take_at", "produced", "consumed"] {
        let o = panel.by_name(name).unwrap();
        let lock = panel
            .own_lock(o)
            .unwrap_or_else(|| panic!("{name} has no lock"));
        assert_eq!(lock.name, format!("{name}.lock"));
        assert!(lock.holders.is_empty() && lock.waiters.is_empty());
    }
    assert_eq!(panel.counters().count(), 0);
}

#[test]
fn bounded_buffer_slow_consumers_fill_it_and_producers_wait() {
    let _s = serial();
    let mut full = 0;
    for _ in 0..20 {
        let r = run(
            "bounded-buffer",
            &[
                ("items", "8"),
                ("capacity", "3"),
                ("produce-ms", "2"),
                ("consume-ms", "30"),
            ],
        );
        if r.figure("max-filled") == 3.0
            && r.figure("producer-wait-ms") > r.figure("consumer-wait-ms")
        {
            full += 1;
        }
    }
    assert!(full >= 19, "{full} of 20");
}

#[test]
fn bounded_buffer_slow_producers_leave_it_empty_and_consumers_wait() {
    let _s = serial();
    let mut starved = 0;
    for _ in 0..20 {
        let r = run(
            "bounded-buffer",
            &[
                ("items", "6"),
                ("capacity", "4"),
                ("produce-ms", "20"),
                ("consume-ms", "0"),
            ],
        );
        if r.figure("max-filled") <= 2.0
            && r.figure("consumer-wait-ms") > r.figure("producer-wait-ms")
        {
            starved += 1;
        }
    }
    assert!(starved >= 19, "{starved} of 20");
}

// ---- site-checker -----------------------------------------------------------------------

fn is_site(url: &str) -> bool {
    url.strip_prefix("http://site-")
        .and_then(|r| r.strip_suffix(".example"))
        .is_some_and(|n| n.parse::<u32>().is_ok())
}

fn is_process_name(name: &str) -> bool {
    name.strip_prefix("Process-")
        .is_some_and(|n| n.parse::<u32>().is_ok())
}

/// `Process-2 - http://site-3.example got 200.`
fn is_ok_line(line: &str) -> bool {
    let Some((name, rest)) = line.split_once(" - ") else {
        return false;
    };
    let Some(url) = rest.strip_suffix(" got 200.") else {
        return false;
    };
    is_process_name(name) && is_site(url)
}

/// `Process-1 failed on http://site-7.example with: could not connect to http://site-7.example`
fn is_failure_line(line: &str) -> bool {
    let Some((name, rest)) = line.split_once(" failed on ") else {
        return false;
    };
    let Some((url, error)) = rest.split_once(" with: ") else {
        return false;
    };
    is_process_name(name) && is_site(url) && error == format!("could not connect to {url}")
}

#[test]
fn site_checker_reports_every_url_and_failures_do_not_stop_it() {
    let _s = serial();
    let r = run("site-checker", &[("latency-ms", "40")]);
    let lines = r.lines();
    assert_eq!(
        lines.iter().filter(|l| is_ok_line(l)).count(),
        10,
        "{lines:?}"
    );
    assert_eq!(
        lines.iter().filter(|l| is_failure_line(l)).count(),
        2,
        "{lines:?}"
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some("checked 12 URLs with 4 workers")
    );
    assert_eq!(r.figure("checked"), 12.0);
    assert_eq!(r.figure("ok"), 10.0);
    assert_eq!(r.figure("failed"), 2.0);
    // Each worker stopped cleanly at its own STOP.
    let clean_ends = r.count(|k| matches!(k, EventKind::WorkerEnd { exit_code: 0 }));
    assert_eq!(clean_ends, 4);
    // Every URL was reported exactly once.
    let mut urls: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split("http://").nth(1))
        .map(|rest| rest.split(' ').next().unwrap_or(""))
        .collect();
    urls.sort_unstable();
    urls.dedup();
    assert_eq!(urls.len(), 12);
}

#[test]
fn site_checker_defaults_overlap_the_waits() {
    let _s = serial();
    let r = run("site-checker", &[]);
    assert_eq!(r.figure("failed"), 2.0);
    println!(
        "site-checker defaults: wall {:.0} ms for {:.0} ms of waiting",
        r.figure("wall-ms"),
        r.figure("waiting-ms")
    );
}

#[test]
fn site_checker_16_workers_and_the_fail_knob() {
    let _s = serial();
    let r = run(
        "site-checker",
        &[
            ("workers", "16"),
            ("items", "40"),
            ("latency-ms", "5"),
            ("fail-urls", "7"),
        ],
    );
    assert_eq!(r.figure("failed"), 7.0);
    assert_eq!(r.figure("ok"), 33.0);
    let r = run("site-checker", &[("fail-urls", "0"), ("latency-ms", "1")]);
    assert_eq!(r.figure("failed"), 0.0);
    assert!(r.lines().iter().all(|l| !l.contains(" failed on ")));
}

// ---- pool -------------------------------------------------------------------------------

fn squares(n: u64) -> String {
    let v: Vec<u64> = (0..n).map(|i| i * i).collect();
    format!("{v:?}")
}

#[test]
fn pool_map_keeps_input_order_with_only_k_running() {
    let _s = serial();
    let mut k_at_once = 0;
    for _ in 0..20 {
        let r = run("pool", &[("items", "8"), ("latency-ms", "60")]);
        assert!(
            r.lines().contains(&format!("map: {}", squares(8))),
            "{:?}",
            r.lines()
        );
        assert_eq!(r.figure("in-input-order"), 1.0);
        assert!(r.figure("max-running") <= 4.0);
        if r.figure("max-running") == 4.0 {
            k_at_once += 1;
        }
    }
    assert!(k_at_once >= 19, "{k_at_once} of 20");
}

#[test]
fn pool_defaults_show_the_lesson() {
    let _s = serial();
    let r = run("pool", &[]);
    assert!(r.lines().contains(&format!("map: {}", squares(12))));
    assert!(r.lines().iter().any(|l| l.starts_with("ForkPoolWorker-")));
    assert_eq!(r.figure("tasks"), 12.0);
    assert!(
        r.figure("out-of-order") > 0.0,
        "the seeded pauses reorder the jobs"
    );
    println!(
        "pool defaults: max-running {} wall {:.0} ms",
        r.figure("max-running"),
        r.figure("wall-ms")
    );
}

#[test]
fn pool_imap_unordered_yields_in_completion_order() {
    let _s = serial();
    let mut as_finished = 0;
    for _ in 0..20 {
        let r = run(
            "pool",
            &[
                ("method", "imap_unordered"),
                ("items", "8"),
                ("latency-ms", "80"),
            ],
        );
        assert_eq!(r.figure("in-input-order"), 0.0);
        let finished: Vec<u64> = r
            .lines()
            .iter()
            .filter_map(|l| l.split(" finished job ").nth(1)?.parse().ok())
            .collect();
        let got = r
            .lines()
            .iter()
            .find_map(|l| l.strip_prefix("imap_unordered: ").map(str::to_string))
            .expect("results line");
        let want: Vec<u64> = finished.iter().map(|n| n * n).collect();
        if got == format!("{want:?}") {
            as_finished += 1;
        }
    }
    assert!(as_finished >= 19, "{as_finished} of 20");
}

#[test]
fn pool_apply_runs_one_job_at_a_time_and_the_others_keep_order() {
    let _s = serial();
    let r = run(
        "pool",
        &[("method", "apply"), ("items", "5"), ("latency-ms", "10")],
    );
    assert_eq!(r.figure("max-running"), 1.0);
    assert!(r.lines().contains(&format!("apply: {}", squares(5))));
    for method in ["apply_async", "imap"] {
        let r = run(
            "pool",
            &[("method", method), ("items", "6"), ("latency-ms", "10")],
        );
        assert!(r.lines().contains(&format!("{method}: {}", squares(6))));
        assert_eq!(r.figure("in-input-order"), 1.0);
    }
}

#[test]
fn pool_chunksize_sets_the_number_of_tasks() {
    let _s = serial();
    let r = run(
        "pool",
        &[("items", "12"), ("chunksize", "5"), ("latency-ms", "5")],
    );
    assert_eq!(r.figure("tasks"), 3.0);
    assert_eq!(r.count(|k| matches!(k, EventKind::TaskSubmit { .. })), 3);
    assert!(r.lines().contains(&format!("map: {}", squares(12))));
}

#[test]
fn pool_of_16_threads_on_two_cores() {
    let _s = serial();
    let r = run(
        "pool",
        &[
            ("pool", "16"),
            ("items", "48"),
            ("latency-ms", "30"),
            ("flavour", "thread"),
        ],
    );
    assert!(r.lines().contains(&format!("map: {}", squares(48))));
    assert!(r.figure("max-running") <= 16.0);
    assert!(r.figure("max-running") >= 2.0);
}

// ---- executor ---------------------------------------------------------------------------

#[test]
fn executor_futures_carry_results_and_the_exception() {
    let _s = serial();
    let r = run("executor", &[]);
    let lines = r.lines();
    let raised: Vec<&String> = lines.iter().filter(|l| l.contains(" raised ")).collect();
    assert_eq!(raised.len(), 1, "{lines:?}");
    assert_eq!(
        raised[0],
        "as_completed: task 3 raised ValueError: task 3 does not like its input"
    );
    assert_eq!(lines.iter().filter(|l| l.contains(" -> ")).count(), 7);
    assert!(lines.contains(&"map keeps input order: [0, 1, 4, 9, 16]".to_string()));
    assert_eq!(
        lines.last().map(String::as_str),
        Some("thread executor with 4 workers")
    );
    assert_eq!(r.figure("exceptions"), 1.0);
    assert_eq!(r.figure("bytes-to-workers"), 0.0);
    assert!(r
        .lines()
        .iter()
        .any(|l| l.contains("ThreadPoolExecutor") || l.contains("->")));
}

#[test]
fn executor_process_flavour_pickles_every_argument() {
    let _s = serial();
    let r = run("executor", &[("flavour", "process"), ("fail-one", "false")]);
    assert_eq!(r.figure("exceptions"), 0.0);
    assert!(r.lines().iter().all(|l| !l.contains(" raised ")));
    assert!(r.figure("bytes-to-workers") >= 8.0 * 64.0 * 1024.0);
    // Every task's 64 KB argument was really serialized on its way to a worker.
    let big = r.count(|k| matches!(k, EventKind::Serialize { bytes, .. } if *bytes >= 64 * 1024));
    assert!(big >= 8, "8 arguments of 64 KB; got {big}");
    let small = r.figure("pickle-bytes-small");
    let medium = r.figure("pickle-bytes-medium");
    let large = r.figure("pickle-bytes-large");
    assert!(small < medium && medium < large, "{small} {medium} {large}");
    println!(
        "executor pickle: {small} B {:.3} ms, {medium} B {:.3} ms, {large} B {:.3} ms",
        r.figure("pickle-ms-small"),
        r.figure("pickle-ms-medium"),
        r.figure("pickle-ms-large")
    );
}

#[test]
fn executor_process_vs_thread_with_a_big_payload() {
    let _s = serial();
    for flavour in ["thread", "process"] {
        let r = run(
            "executor",
            &[
                ("flavour", flavour),
                ("payload-kb", "128"),
                ("workers", "16"),
                ("items", "16"),
            ],
        );
        assert_eq!(r.figure("exceptions"), 1.0);
        println!(
            "executor {flavour} 16 x 128 KB: {:.0} ms, {} bytes to workers",
            r.figure("wall-ms"),
            r.figure("bytes-to-workers")
        );
    }
}

// ---- worker-logging ---------------------------------------------------------------------

/// `2026-11-22 01:02:57,123 Process-1  INFO    step 0 of worker 1`
fn parse_log_line(line: &str) -> Option<(String, String, String)> {
    let (date, rest) = line.split_at_checked(23)?;
    let ok_date = date.len() == 23
        && date.as_bytes()[4] == b'-'
        && date.as_bytes()[10] == b' '
        && date.as_bytes()[19] == b','
        && date[20..].chars().all(|c| c.is_ascii_digit());
    if !ok_date {
        return None;
    }
    let rest = rest.strip_prefix(' ')?;
    let name = rest.get(..10)?.trim_end().to_string();
    let level = rest.get(11..18)?.trim_end().to_string();
    let message = rest.get(19..)?.to_string();
    Some((name, level, message))
}

#[test]
fn worker_logging_one_sink_names_every_worker() {
    let _s = serial();
    let r = run("worker-logging", &[]);
    let parsed: Vec<(String, String, String)> =
        r.lines().iter().filter_map(|l| parse_log_line(l)).collect();
    assert_eq!(parsed.len(), r.lines().len(), "{:?}", r.lines());
    assert_eq!(parsed.len(), 3 * (5 + 1));
    assert_eq!(r.figure("records"), 18.0);
    assert_eq!(
        r.figure("dropped"),
        15.0,
        "the DEBUG records are dropped at INFO"
    );
    assert_eq!(r.figure("sources"), 3.0);
    for (name, level, message) in &parsed {
        assert!(is_process_name(name), "{name}");
        assert!(level == "INFO" || level == "WARNING", "{level}");
        assert!(!message.is_empty());
    }
    for n in 1..=3 {
        let done = format!("worker {n} is done");
        assert!(parsed.iter().any(|(_, l, m)| l == "WARNING" && *m == done));
    }
    // At the source: a Log event in each worker's own lane, one per record kept.
    let logs: Vec<&Event> = r
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Log { .. }))
        .collect();
    assert_eq!(logs.len(), 18);
    assert!(logs.iter().all(|e| e.worker != 0));
    // Process workers pickle each record across to the listener.
    assert!(r.count(|k| matches!(k, EventKind::Serialize { .. })) >= 18);
}

#[test]
fn worker_logging_levels_filter_at_the_source() {
    let _s = serial();
    let r = run("worker-logging", &[("level", "DEBUG")]);
    assert_eq!(r.figure("records"), 33.0);
    assert_eq!(r.figure("dropped"), 0.0);
    assert!(r.lines().iter().any(|l| l.contains(" DEBUG ")));
    let r = run(
        "worker-logging",
        &[("level", "WARNING"), ("flavour", "thread")],
    );
    assert_eq!(r.figure("records"), 3.0);
    assert_eq!(r.count(|k| matches!(k, EventKind::Serialize { .. })), 0);
    let r = run("worker-logging", &[("workers", "16"), ("items", "20")]);
    assert_eq!(r.figure("records"), 16.0 * 21.0);
    assert_eq!(r.figure("sources"), 16.0);
}
