//! Condition. Its catalogue entry (knobs, Python, lesson) is in [`super::catalog`]; the code
//! that runs goes between the markers below, which the page shows to the learner verbatim.
//!
//! Consumers really sleep in `Condition::wait` and the producer really wakes them with
//! `notify` or `notify_all`. Each consumer counts its wake-ups and the ones that found
//! nothing to take, so the cost of `notify_all` (everyone wakes, one wins) is measured.

use super::lock::slow_motion;
use super::runner::Scene;
use crate::engine::liveness::lock as shelf_of;
use crate::engine::sync::stdout::print;
use crate::engine::sync::Condition;
use crate::engine::trace::Flavour;
use crate::engine::work::io_wait;
use crate::engine::worker::{Worker, WorkerSpec};
use crate::engine::EngineResult;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

// ANCHOR: code
/// What the condition guards. Rust wants shared data inside a `Mutex`; it is only ever
/// touched while holding `ready`'s lock, so that mutex is never contended.
#[derive(Default)]
struct Shelf {
    items: VecDeque<u64>,
    finished: bool,
    wakeups: u64,
    empty_wakeups: u64,
}

pub fn run(s: &Scene) -> EngineResult<()> {
    slow_motion(s);
    let consumers = s.int("workers") as usize;
    let items = s.int("items") as u64;
    let notify_all = s.choice("notify") == "notify_all";
    let pause = Duration::from_secs_f64(s.float("latency-ms") / 1000.0);

    let ready = Condition::new(s.ctx, "ready"); // with its own RLock, as in Python
    let shelf = Arc::new(Mutex::new(Shelf::default()));
    let mut threads: Vec<Worker> = Vec::new();
    for i in 1..=consumers {
        let (ready, shelf, name) = (ready.clone(), shelf.clone(), format!("consumer-{i}"));
        threads.push(start(s, move || consumer(&ready, &shelf, &name))?);
    }
    let (ctx, p_ready, p_shelf) = (s.ctx.clone(), ready.clone(), shelf.clone());
    threads.push(start(s, move || {
        producer(&ctx, &p_ready, &p_shelf, items, pause, notify_all)
    })?);
    for t in &threads {
        t.join()?;
    }
    let how = if notify_all { "notify_all" } else { "notify" };
    let sh = shelf_of(&shelf);
    print(&format!(
        "{how}: {} wake-ups, {} found nothing to do",
        sh.wakeups, sh.empty_wakeups
    ))?;
    report(s, items, &sh);
    Ok(())
}

fn consumer(ready: &Condition, shelf: &Mutex<Shelf>, name: &str) -> EngineResult<i32> {
    loop {
        let held = ready.lock()?; // with ready:
                                  // Always wait in a loop on the predicate: another consumer may have taken the
                                  // item first. `ready.wait_for(has_work)` is this loop; it is written out here to
                                  // count the wake-ups.
        while !has_work(&shelf_of(shelf)) {
            ready.wait(None)?;
            let mut sh = shelf_of(shelf);
            sh.wakeups += 1;
            if !has_work(&sh) {
                sh.empty_wakeups += 1;
            }
        }
        let Some(item) = shelf_of(shelf).items.pop_front() else {
            return Ok(0); // finished and nothing left
        };
        drop(held);
        print(&format!("{name} took item {item}"))?;
    }
}

fn has_work(sh: &Shelf) -> bool {
    !sh.items.is_empty() || sh.finished
}

fn producer(
    ctx: &crate::engine::RunCtx,
    ready: &Condition,
    shelf: &Mutex<Shelf>,
    items: u64,
    pause: Duration,
    notify_all: bool,
) -> EngineResult<i32> {
    for i in 0..items {
        io_wait(ctx, None, pause)?; // time.sleep(PAUSE): making the item
        let _held = ready.lock()?;
        shelf_of(shelf).items.push_back(i);
        if notify_all {
            ready.notify_all()?; // everyone wakes to check
        } else {
            ready.notify(1)?; // one consumer wakes
        }
    }
    let _held = ready.lock()?;
    shelf_of(shelf).finished = true;
    ready.notify_all()?; // everyone must see that the work is over
    Ok(0)
}
// ANCHOR_END: code

fn start<F>(s: &Scene, f: F) -> EngineResult<Worker>
where
    F: FnOnce() -> EngineResult<i32> + Send + 'static,
{
    WorkerSpec::new(Flavour::Thread).start(s.ctx, s.threads, f)
}

fn report(s: &Scene, produced: u64, sh: &Shelf) {
    s.figure(
        "produced",
        produced as f64,
        "items",
        format!("the producer made {produced} items"),
    );
    // Every item taken leaves the shelf; what is left was never consumed.
    let consumed = produced.saturating_sub(sh.items.len() as u64);
    s.figure(
        "consumed",
        consumed as f64,
        "items",
        format!("the consumers took {consumed} items"),
    );
    s.figure(
        "wakeups",
        sh.wakeups as f64,
        "wake-ups",
        format!("consumers woke {} times", sh.wakeups),
    );
    s.figure(
        "empty-wakeups",
        sh.empty_wakeups as f64,
        "wake-ups",
        format!(
            "{} wake-ups found nothing to take and went back to sleep",
            sh.empty_wakeups
        ),
    );
}

/// The consumers and the producer all block at the same time.
pub fn threads_needed(c: &super::knob::Config) -> usize {
    c.int("workers").unwrap_or(1).max(1) as usize + 1
}
