//! Deadlock. Its catalogue entry (knobs, Python, lesson) is in [`super::catalog`]; the code
//! that runs goes between the markers below, which the page shows to the learner verbatim.
//!
//! By default the second worker takes the locks in the opposite order, and each holds its
//! first lock for `hold-ms` (50 ms) before reaching for the second, long enough for the
//! other to take its own first lock: the deadlock then happens on every run. The run's
//! watchdog (see [`super::runner::watchdog`]) finds the wait-for cycle, records it as a
//! `Deadlock` event, and stops the run, which ends `Failed` with the diagnosis. With
//! `opposite-order` off both workers take A then B, and the run is `Done`.
//!
//! By default (`timeout-ms` 0) the workers wait for their second lock for ever, as
//! `with a: with b:` does: a real deadlock. With a timeout (as the Python text uses so
//! that the script ends by itself) a worker gives up instead: a cycle of timed waits
//! undoes itself, so the watchdog does not call it a deadlock, and the run ends with no
//! work done.

use super::lock::slow_motion;
use super::runner::Scene;
use crate::engine::sync::stdout::print;
use crate::engine::sync::Lock;
use crate::engine::trace::Flavour;
use crate::engine::work::io_wait;
use crate::engine::worker::{current_worker, WorkerSpec};
use crate::engine::{EngineError, EngineResult, RunCtx};
use std::sync::Arc;
use std::time::Duration;

// ANCHOR: code
pub fn run(s: &Scene) -> EngineResult<()> {
    slow_motion(s);
    let hold = Duration::from_secs_f64(s.float("hold-ms") / 1000.0);
    // 0 means wait for ever, like `with b:`; otherwise `acquire(timeout=...)`.
    let timeout = Some(s.float("timeout-ms") / 1000.0).filter(|t| *t > 0.0);
    let a = Lock::new(s.ctx, "A");
    let b = Lock::new(s.ctx, "B");
    // The mistake: the second worker takes the locks in the other order.
    let second_order = if s.flag("opposite-order") {
        (b.clone(), a.clone())
    } else {
        (a.clone(), b.clone())
    };

    let t1 = start(s, (a, b), hold, timeout)?;
    let t2 = start(s, second_order, hold, timeout)?;
    // A deadlocked join never returns by itself: the watchdog sees the cycle, records it
    // and cancels the run, and the join returns `Cancelled`.
    let finished = [t1.join(), t2.join()];
    report(s, &finished)?; // a deadlocked run stops here, failed with the diagnosis
    if finished.iter().all(|r| *r == Ok(0)) {
        print("no deadlock: both threads took the locks in the same order")?;
    } else {
        print("no deadlock, but no work either: a thread gave up waiting for a lock")?;
    }
    Ok(())
}

/// Take `first`, hold it a while, then take `second` too.
fn transfer(
    ctx: &RunCtx,
    first: &Lock,
    second: &Lock,
    hold: Duration,
    timeout: Option<f64>,
) -> EngineResult<i32> {
    let (name, _) = current_worker();
    let _first = first.lock()?; // with first:
    print(&format!("{name} holds lock {}", first.name()))?;
    io_wait(ctx, None, hold)?; // long enough for the other thread to take its first lock

    // if second.acquire(timeout=...): try: ... finally: second.release()
    if let Some(_second) = second.lock_timeout(timeout)? {
        print(&format!(
            "{name} holds {} and {}: done",
            first.name(),
            second.name()
        ))?;
        Ok(0)
    } else {
        print(&format!(
            "{name} gave up waiting for lock {}",
            second.name()
        ))?;
        Ok(1)
    }
}
// ANCHOR_END: code

fn start(
    s: &Scene,
    (first, second): (Arc<Lock>, Arc<Lock>),
    hold: Duration,
    timeout: Option<f64>,
) -> EngineResult<crate::engine::worker::Worker> {
    let ctx = s.ctx.clone();
    WorkerSpec::new(Flavour::Thread).start(s.ctx, s.threads, move || {
        transfer(&ctx, &first, &second, hold, timeout)
    })
}

/// How many workers got both locks. A cancelled run still gets its figure, then the
/// cancellation goes on up so the run ends with the watchdog's diagnosis.
fn report(s: &Scene, finished: &[EngineResult<i32>]) -> EngineResult<()> {
    let done = finished.iter().filter(|r| **r == Ok(0)).count();
    let stuck = s.ctx.is_cancelled();
    s.figure(
        "finished-workers",
        done as f64,
        "workers",
        format!("{done} of {} workers got both locks", finished.len()),
    );
    s.figure(
        "deadlocked",
        stuck as u8 as f64,
        "",
        if stuck {
            "deadlock: the run stopped making progress and was stopped".to_string()
        } else {
            "no deadlock".to_string()
        },
    );
    if stuck {
        return Err(EngineError::Cancelled);
    }
    Ok(())
}

/// Both workers block at the same time.
pub fn threads_needed(_c: &super::knob::Config) -> usize {
    2
}
