//! Event. Its catalogue entry (knobs, Python, lesson) is in [`super::catalog`]; the code
//! that runs goes between the markers below, which the page shows to the learner verbatim.
//!
//! The patient workers really block in `Event::wait` until the main program sets the
//! event; the impatient one gives up when its timeout runs out, before the event is set
//! with the default knobs. The figures say how many proceeded, how many waits returned
//! false, and how closely the woken workers followed the `set()`.

use super::lock::slow_motion;
use super::runner::Scene;
use crate::engine::sync::stdout::print;
use crate::engine::sync::Event;
use crate::engine::trace::Flavour;
use crate::engine::work::io_wait;
use crate::engine::worker::{Worker, WorkerSpec};
use crate::engine::EngineResult;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use web_time::Instant;

// ANCHOR: code
pub fn run(s: &Scene) -> EngineResult<()> {
    slow_motion(s);
    let workers = s.int("workers") as usize;
    let set_after = Duration::from_secs_f64(s.float("set-after-ms") / 1000.0);
    let timeout = s.float("timeout-ms") / 1000.0;

    let go = Event::new(s.ctx, "go");
    let tally = Arc::new(Tally::default());
    let mut threads: Vec<Worker> = Vec::new();
    for i in 1..=workers {
        let (go, tally) = (go.clone(), tally.clone());
        let name = format!("waiter-{i}");
        threads.push(start(s, &name.clone(), move || {
            patient(&go, &name, &tally)
        })?);
    }
    let (impatient_go, impatient_tally) = (go.clone(), tally.clone());
    threads.push(start(s, "impatient", move || {
        impatient(&impatient_go, timeout, &impatient_tally)
    })?);

    io_wait(s.ctx, None, set_after)?; // time.sleep(SET_AFTER)
    print("main: setting the event")?;
    tally.set_at(Instant::now());
    go.set()?; // wakes every waiter at once
    for t in &threads {
        t.join()?;
    }
    go.clear()?; // the flag is down again; a new wait() would block
    print(&format!(
        "after clear(): is_set() is {}",
        py_bool(go.is_set())
    ))?;
    tally.report(s, workers, go.is_set());
    Ok(())
}

/// Wait as long as it takes.
fn patient(go: &Event, name: &str, tally: &Tally) -> EngineResult<i32> {
    go.wait(None)?;
    tally.proceeded();
    print(&format!("{name}: got the go-ahead"))?;
    Ok(0)
}

/// Wait at most `timeout` seconds: `wait` returns false if the event was not set by then.
fn impatient(go: &Event, timeout: f64, tally: &Tally) -> EngineResult<i32> {
    if go.wait(Some(timeout))? {
        tally.proceeded();
        print("impatient: wait returned True")?;
    } else {
        tally.gave_up();
        print(&format!(
            "impatient: gave up after {timeout:.3} s, wait returned False"
        ))?;
    }
    Ok(0)
}
// ANCHOR_END: code

fn start<F>(s: &Scene, name: &str, f: F) -> EngineResult<Worker>
where
    F: FnOnce() -> EngineResult<i32> + Send + 'static,
{
    WorkerSpec::new(Flavour::Thread)
        .name(name)
        .start(s.ctx, s.threads, f)
}

fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// What the workers saw, for the summary: counts, and the latest wake after `set()`.
#[derive(Default)]
struct Tally {
    proceeded: AtomicU64,
    gave_up: AtomicU64,
    /// When `set()` was called, as µs since `origin`, and the latest wake after it.
    origin: std::sync::OnceLock<Instant>,
    last_wake_us: AtomicU64,
}

impl Tally {
    fn set_at(&self, t: Instant) {
        let _ = self.origin.set(t);
    }

    fn proceeded(&self) {
        self.proceeded.fetch_add(1, Ordering::SeqCst);
        if let Some(t) = self.origin.get() {
            let us = t.elapsed().as_micros() as u64;
            self.last_wake_us.fetch_max(us, Ordering::SeqCst);
        }
    }

    fn gave_up(&self) {
        self.gave_up.fetch_add(1, Ordering::SeqCst);
    }

    fn report(&self, s: &Scene, workers: usize, set_after_clear: bool) {
        let proceeded = self.proceeded.load(Ordering::SeqCst);
        let gave_up = self.gave_up.load(Ordering::SeqCst);
        s.figure(
            "proceeded",
            proceeded as f64,
            "workers",
            format!(
                "{proceeded} of {} waiting workers proceeded after set()",
                workers + 1
            ),
        );
        s.figure(
            "timed-out",
            gave_up as f64,
            "waits",
            format!("{gave_up} wait(timeout) call(s) returned False"),
        );
        let spread = self.last_wake_us.load(Ordering::SeqCst) as f64 / 1000.0;
        s.figure(
            "wake-spread-ms",
            spread,
            "ms",
            format!("every woken worker was running {spread:.2} ms after set()"),
        );
        s.figure(
            "is-set-after-clear",
            set_after_clear as u8 as f64,
            "",
            format!("after clear(), is_set() is {}", py_bool(set_after_clear)),
        );
    }
}

/// The patient waiters and the impatient one block at the same time.
pub fn threads_needed(c: &super::knob::Config) -> usize {
    c.int("workers").unwrap_or(1).max(1) as usize + 1
}
