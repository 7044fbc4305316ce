//! Semaphore. Its catalogue entry (knobs, Python, lesson) is in [`super::catalog`]; the code
//! that runs goes between the markers below, which the page shows to the learner verbatim.
//!
//! More workers than slots really compete for the semaphore; each stays inside for a real
//! wait. The workers count who is inside themselves, and the semaphore keeps its own count
//! too: both maxima are reported, and neither may exceed k. The deliberate extra release
//! is refused by a bounded semaphore with Python's `ValueError`.

use super::lock::slow_motion;
use super::runner::Scene;
use crate::engine::sync::stdout::print;
use crate::engine::sync::{BoundedSemaphore, Semaphore};
use crate::engine::trace::Flavour;
use crate::engine::work::io_wait;
use crate::engine::worker::{Worker, WorkerSpec};
use crate::engine::{EngineError, EngineResult, RunCtx};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

// ANCHOR: code
/// Who is inside right now, and the most ever inside at once.
#[derive(Default)]
struct Occupancy {
    inside: AtomicU32,
    most_inside: AtomicU32,
}

pub fn run(s: &Scene) -> EngineResult<()> {
    slow_motion(s);
    let workers = s.int("workers") as usize;
    let slots = s.int("slots") as u32;
    let stay = Duration::from_secs_f64(s.float("latency-ms") / 1000.0);

    // A pool of `slots` connections.
    let connections = if s.flag("bounded") {
        BoundedSemaphore::new(s.ctx, "connections", slots)
    } else {
        Semaphore::new(s.ctx, "connections", slots)
    };
    let occupancy = Arc::new(Occupancy::default());
    let mut threads: Vec<Worker> = Vec::new();
    for i in 1..=workers {
        let (ctx, sem, occ) = (s.ctx.clone(), connections.clone(), occupancy.clone());
        let name = format!("worker-{i}");
        threads.push(start(s, move || {
            use_connection(&ctx, &sem, &occ, &name, stay)
        })?);
    }
    for t in &threads {
        t.join()?;
    }
    let most = occupancy.most_inside.load(Ordering::SeqCst);
    print(&format!("most inside at once: {most} (limit {slots})"))?;

    let mut refused = None;
    if s.flag("over-release") {
        match connections.release(1) {
            // One release too many.
            Ok(()) => print("the semaphore accepted an extra release: now k+1 can get in")?,
            Err(error @ EngineError::OverRelease) => {
                print(&format!(
                    "BoundedSemaphore refused an extra release: {error}"
                ))?;
                refused = Some(error.to_string());
            }
            Err(other) => return Err(other),
        }
    }
    report(s, &connections, most, slots, refused);
    Ok(())
}

fn use_connection(
    ctx: &RunCtx,
    connections: &Semaphore,
    occupancy: &Occupancy,
    name: &str,
    stay: Duration,
) -> EngineResult<i32> {
    let _slot = connections.lock()?; // with connections:
    let now_inside = occupancy.inside.fetch_add(1, Ordering::SeqCst) + 1;
    occupancy
        .most_inside
        .fetch_max(now_inside, Ordering::SeqCst);
    print(&format!("{name} in ({now_inside} inside)"))?;
    io_wait(ctx, None, stay)?; // using the connection
    occupancy.inside.fetch_sub(1, Ordering::SeqCst);
    Ok(0)
}
// ANCHOR_END: code

fn start<F>(s: &Scene, f: F) -> EngineResult<Worker>
where
    F: FnOnce() -> EngineResult<i32> + Send + 'static,
{
    WorkerSpec::new(Flavour::Thread).start(s.ctx, s.threads, f)
}

fn report(s: &Scene, sem: &Semaphore, most: u32, slots: u32, refused: Option<String>) {
    let engine_most = sem.stats().max_inside;
    s.figure(
        "max-inside",
        most.max(engine_most) as f64,
        "workers",
        format!(
            "at most {} workers were inside at once (limit {slots})",
            most.max(engine_most)
        ),
    );
    s.figure(
        "slots",
        slots as f64,
        "workers",
        format!("the semaphore started at {slots}"),
    );
    s.figure(
        "acquisitions",
        sem.stats().acquisitions as f64,
        "",
        format!("{} acquisitions in all", sem.stats().acquisitions),
    );
    if let Some(message) = refused {
        s.figure(
            "over-release-refused",
            1.0,
            "",
            format!("the extra release was refused: {message}"),
        );
    } else if s.flag("over-release") {
        s.figure(
            "over-release-refused",
            0.0,
            "",
            format!(
                "the extra release was accepted: the value is now {}, one more than k",
                sem.value()
            ),
        );
    }
    s.figure(
        "value-at-end",
        sem.value() as f64,
        "",
        format!("the semaphore's value at the end: {}", sem.value()),
    );
}

/// Every worker blocks on the semaphore at the same time.
pub fn threads_needed(c: &super::knob::Config) -> usize {
    c.int("workers").unwrap_or(1).max(1) as usize
}
