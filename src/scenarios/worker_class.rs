//! A worker class. Its catalogue entry (knobs, Python, lesson) is in [`super::catalog`]; the code
//! that runs goes between the markers below, which the page shows to the learner verbatim.

// ANCHOR: code
use crate::engine::sync::stdout::print;
use crate::engine::sync::Lock;
use crate::engine::trace::Flavour;
use crate::engine::work::io_wait;
use crate::engine::worker::{Worker as Handle, WorkerSpec};
use crate::engine::{EngineResult, RunCtx};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What every worker shares: how far to count, how long to pause, and the printed order.
struct Counting {
    count: u32,
    pause: Duration,
    seen: Mutex<Vec<u32>>, // every number in the order it was printed
    seen_lock: Arc<Lock>,  // makes "append + print" one step
}

/// `count_up()`: print 0..count, sleeping between numbers so the others get a turn.
fn count_up(shared: &Counting) -> EngineResult<()> {
    let (ctx, _) = RunCtx::require()?;
    for i in 0..shared.count {
        {
            let _with = shared.seen_lock.lock()?; // with seen_lock:
            lock(&shared.seen).push(i);
            print(&i.to_string())?;
        }
        io_wait(&ctx, None, shared.pause)?; // time.sleep(PAUSE)
    }
    Ok(())
}

/// Python's `Thread` subclass: the behaviour lives in an overridden `run()`.
trait Thread: Send + 'static {
    fn run(&self) -> EngineResult<()>;
}

/// `class Worker(threading.Thread)`, with its own state.
struct Worker {
    shared: Arc<Counting>,
}

impl Thread for Worker {
    fn run(&self) -> EngineResult<()> {
        count_up(&self.shared)
    }
}

/// `start()` on a subclass: a new thread that calls its `run()`.
fn start_subclass(s: &Scene, w: impl Thread) -> EngineResult<Handle> {
    WorkerSpec::new(Flavour::Thread).start(s.ctx, s.threads, move || w.run().map(|()| 0))
}

/// `Thread(target=count_up).start()`: the default `run()` calls the target.
fn start_target(
    s: &Scene,
    target: fn(&Counting) -> EngineResult<()>,
    arg: Arc<Counting>,
) -> EngineResult<Handle> {
    WorkerSpec::new(Flavour::Thread).start(s.ctx, s.threads, move || target(&arg).map(|()| 0))
}

pub fn run(s: &Scene) -> EngineResult<()> {
    if s.float("slow-ms") > 0.0 {
        // Slow motion: a pause at every sync point.
        s.ctx
            .set_slowmo(Duration::from_secs_f64(s.float("slow-ms") / 1000.0));
    }
    let shared = Arc::new(Counting {
        count: s.int("items") as u32,
        pause: Duration::from_secs_f64(s.float("latency-ms") / 1000.0),
        seen: Mutex::new(Vec::new()),
        seen_lock: Lock::new(s.ctx, "seen_lock"),
    });
    let style = s.choice("style");
    let mut workers = Vec::new();
    for _ in 0..s.int("workers") {
        let w = if style == "subclass" {
            start_subclass(
                s,
                Worker {
                    shared: shared.clone(),
                },
            )?
        } else {
            start_target(s, count_up, shared.clone())?
        };
        workers.push(w);
    }
    for w in &workers {
        w.join()?;
    }
    let seen = lock(&shared.seen).clone();
    let order: Vec<String> = seen.iter().map(u32::to_string).collect();
    print(&format!("order: {}", order.join(" ")))?;
    print(&format!(
        "{} workers ({style}) printed {} numbers",
        workers.len(),
        seen.len()
    ))?;
    report(s, &seen, workers.len())
}
// ANCHOR_END: code

use super::runner::Scene;
use crate::engine::liveness::lock;

/// The figures: how neatly the output interleaved.
fn report(s: &Scene, seen: &[u32], workers: usize) -> EngineResult<()> {
    let lead = max_lead(seen, workers);
    let in_step = seen.windows(2).all(|p| p[0] <= p[1]);
    s.figure(
        "printed",
        seen.len() as f64,
        "numbers",
        format!("{workers} workers printed {} numbers", seen.len()),
    );
    s.figure(
        "in-step",
        if in_step { 1.0 } else { 0.0 },
        "bool",
        if in_step {
            "the output went 0 0 0 1 1 1 ...: nobody printed a number before all had printed the one before"
                .to_string()
        } else {
            "the output was not perfectly in step: one worker got ahead of the others".to_string()
        },
    );
    s.figure(
        "max-lead",
        lead as f64,
        "numbers",
        format!("the fastest worker was at most {lead} number(s) ahead of the slowest"),
    );
    Ok(())
}

/// The largest gap, at any moment, between the numbers of lines printed by the most and
/// the least advanced worker, read from the printed sequence alone: when the k-th `i` is
/// printed, `k` workers have reached `i`.
fn max_lead(seen: &[u32], workers: usize) -> u32 {
    let mut reached: Vec<u32> = Vec::new(); // reached[i] = how many printed i so far
    let mut lead = 0;
    for &i in seen {
        let i = i as usize;
        if reached.len() <= i {
            reached.resize(i + 1, 0);
        }
        reached[i] += 1;
        // The slowest worker has printed every number j with reached[j] == workers.
        let done_by_all = reached
            .iter()
            .take_while(|&&r| r as usize >= workers)
            .count();
        lead = lead.max((i + 1).saturating_sub(done_by_all) as u32);
    }
    lead
}

/// One pool thread per worker.
pub fn threads_needed(c: &super::knob::Config) -> usize {
    c.int("workers").unwrap_or(3).max(0) as usize
}
