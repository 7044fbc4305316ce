//! Queue, producer and consumer with a sentinel. Its catalogue entry (knobs, Python, lesson)
//! is in [`super::catalog`]; the code that runs goes between the markers below, which the
//! page shows to the learner verbatim.
//!
//! With "forget one sentinel" the main program joins a consumer that never ends, exactly as
//! a plain `join()` would in Python: the run really hangs. The watchdog's `Stall` event then
//! names the consumer and the queue it waits on ("consumer-2 waits on queue jobs (empty:
//! nobody puts)"), and a cancel ends the run within the cancel budget.
//!
//! Figures: `produced`, `consumed` (items, not counting sentinels), `still-waiting`
//! (consumers that never read their sentinel; only recorded when the run is cut short),
//! `producer-blocked-ms` (time the producer spent blocked in `put()` on a full queue) and
//! `producer-blocked-puts` (how many of its puts had to wait).

use super::runner::Scene;
use crate::engine::sync::stdout::print;
use crate::engine::sync::Queue;
use crate::engine::work::io_wait;
use crate::engine::worker::{Worker, WorkerSpec};
use crate::engine::{EngineResult, Flavour, RunCtx};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use web_time::Instant;

// ANCHOR: code
/// The value that means "stop": it can never be a real item.
const SENTINEL: i64 = -1;

/// 5, 10, 13, then 16, 19, ... for as many items as asked.
fn make_items(count: usize) -> Vec<i64> {
    let first = [5, 10, 13];
    let more = (1..).map(|i| 13 + 3 * i);
    first.into_iter().chain(more).take(count).collect()
}

fn producer(
    jobs: &Queue<i64>,
    items: &[i64],
    sentinels: usize,
    held_up: &HeldUp,
) -> EngineResult<()> {
    for &item in items {
        let full = jobs.full();
        let started = Instant::now();
        jobs.put(item, true, None)?; // blocks while a bounded queue is full
        held_up.count(full, started.elapsed());
        print(&format!("producer put {item}"))?;
    }
    for _ in 0..sentinels {
        jobs.put(SENTINEL, true, None)?;
    }
    Ok(())
}

fn consumer(
    jobs: &Queue<i64>,
    name: &str,
    work: Duration,
    consumed: &AtomicU64,
) -> EngineResult<i32> {
    let ctx = RunCtx::require()?.0;
    loop {
        let item = jobs.get(true, None)?; // blocks while the queue is empty
        if item == SENTINEL {
            print(&format!("{name} read the sentinel and stops"))?;
            return Ok(0);
        }
        io_wait(&ctx, None, work)?; // time.sleep(WORK)
        print(&format!("{name} doubled {item} to {}", item * 2))?;
        consumed.fetch_add(1, Ordering::SeqCst);
    }
}

pub fn run(s: &Scene) -> EngineResult<()> {
    slow_motion(s); // the slow-motion knob: a pause at every put and get
    let consumers_wanted = s.int("workers") as usize;
    let items = make_items(s.int("items") as usize);
    let work = Duration::from_secs_f64(s.float("latency-ms") / 1000.0);
    let jobs = Queue::<i64>::new(s.ctx, "jobs", s.int("capacity") as usize); // 0: unbounded
    let consumed = Arc::new(AtomicU64::new(0));
    let held_up = HeldUp::default(); // how long a full queue held the producer up

    let mut consumers: Vec<Worker> = Vec::new();
    for i in 1..=consumers_wanted {
        let name = format!("consumer-{i}");
        let (jobs, consumed) = (jobs.clone(), consumed.clone());
        let worker = WorkerSpec::new(Flavour::Thread).name(name.clone()).start(
            s.ctx,
            s.threads,
            move || consumer(&jobs, &name, work, &consumed),
        )?;
        consumers.push(worker);
    }

    // One sentinel per consumer; the deliberate mistake puts one fewer.
    let sentinels = if s.flag("forget-sentinel") {
        consumers_wanted - 1
    } else {
        consumers_wanted
    };
    producer(&jobs, &items, sentinels, &held_up)?;

    // A consumer whose sentinel never comes never ends: this join then waits forever,
    // until the watchdog names the stuck consumer and you cancel the run.
    let mut joined = Ok(());
    for c in &consumers {
        if let Err(e) = c.join() {
            joined = Err(e);
            break;
        }
    }
    report(s, items.len(), &consumed, &consumers, &held_up);
    joined
}
// ANCHOR_END: code

pub fn threads_needed(c: &super::knob::Config) -> usize {
    c.int("workers").unwrap_or(1).max(1) as usize
}

/// The slow-motion knob (`slow-ms`): a pause at every sync point. Left alone at 0, so a
/// slow motion chosen by the caller (the CLI's option) still applies.
pub(crate) fn slow_motion(s: &Scene) {
    let ms = s.float("slow-ms");
    if ms > 0.0 {
        s.ctx.set_slowmo(Duration::from_secs_f64(ms / 1000.0));
    }
}

/// Back-pressure, as the playground measures it: puts that found the queue full, and the
/// time the producer spent in them. (Python keeps no such counter.)
#[derive(Default)]
struct HeldUp {
    puts: AtomicU64,
    us: AtomicU64,
}

impl HeldUp {
    fn count(&self, was_full: bool, took: Duration) {
        if was_full {
            self.puts.fetch_add(1, Ordering::Relaxed);
            self.us
                .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        }
    }
}

/// The summary: items produced vs consumed, who is still waiting, and the back-pressure.
fn report(
    s: &Scene,
    produced: usize,
    consumed: &AtomicU64,
    consumers: &[Worker],
    held_up: &HeldUp,
) {
    let consumed = consumed.load(Ordering::SeqCst);
    s.figure(
        "produced",
        produced as f64,
        "items",
        format!("the producer put {produced} items"),
    );
    s.figure(
        "consumed",
        consumed as f64,
        "items",
        format!("the consumers doubled {consumed} of {produced} items"),
    );
    let waiting: Vec<&str> = consumers
        .iter()
        // Still blocked, or stopped only by the cancel (exit code -15): never saw a sentinel.
        .filter(|c| c.exitcode() != Some(0))
        .map(|c| c.name())
        .collect();
    if !waiting.is_empty() {
        s.figure(
            "still-waiting",
            waiting.len() as f64,
            "consumers",
            format!(
                "{} still blocked in get(): its sentinel was never put",
                waiting.join(", ")
            ),
        );
    }
    let puts = held_up.puts.load(Ordering::Relaxed);
    let us = held_up.us.load(Ordering::Relaxed);
    s.figure(
        "producer-blocked-puts",
        puts as f64,
        "puts",
        format!("{puts} puts found the queue full and waited (back-pressure)"),
    );
    s.figure(
        "producer-blocked-ms",
        us as f64 / 1000.0,
        "ms",
        format!(
            "the producer was blocked for {:.1} ms in put()",
            us as f64 / 1000.0
        ),
    );
}
