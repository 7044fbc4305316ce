//! When a pool Worker dies: a debug-only way to make one die on purpose, and the words
//! the page shows when one does.
//!
//! A trap (a panic under `panic=abort`, running out of memory, `unreachable`) ends the
//! Worker's wasm instance mid-job. The pool it belonged to is then broken: rayon still
//! counts the dead thread and may queue work on it that never runs. `spawn_worker.js`
//! catches the trap and reports it; the page then stops the run with these words and
//! builds a fresh pool (see `Session::recover_from_crash`).
//!
//! The switch is not in any menu or URL a learner sees: tests (and curious developers)
//! call `cpDebugTrapNextRun()` from the app's JS module, and the next run's pool loses one
//! Worker to a deliberate trap before the scenario starts. See README, "Debug switches".

use rayon::ThreadPool;
use std::sync::atomic::{AtomicBool, Ordering};
use wasm_bindgen::prelude::*;

static TRAP_NEXT_RUN: AtomicBool = AtomicBool::new(false);

/// Arm the debug trap: the next run starts by making one pool Worker trap.
#[wasm_bindgen(js_name = cpDebugTrapNextRun)]
pub fn arm_trap_next_run() {
    TRAP_NEXT_RUN.store(true, Ordering::SeqCst);
}

/// Whether the trap is armed; disarms it (one trap per arming).
pub fn take_armed() -> bool {
    TRAP_NEXT_RUN.swap(false, Ordering::SeqCst)
}

/// Queue a task that traps on `pool`. Queued before the scenario's own tasks, so the first
/// pool thread to look for work takes it and dies. Call it on a supervisor thread: handing
/// a job to rayon may wait on a lock, which the page's main thread must never do (see
/// `pool::supervise`).
pub fn trap_one_worker(pool: &ThreadPool) {
    pool.spawn(|| {
        #[cfg(target_arch = "wasm32")]
        core::arch::wasm32::unreachable();
    });
}

/// What the learner reads after a Worker died, given the browser's own error text.
pub fn plain_words(detail: &str) -> String {
    let detail = detail.trim();
    let what = if detail.contains("unreachable") {
        "a worker thread crashed (it hit a trap: the wasm equivalent of a Rust panic)".to_string()
    } else if detail.to_ascii_lowercase().contains("memory") {
        "a worker thread ran out of memory and crashed".to_string()
    } else if detail.is_empty() {
        "a worker thread crashed".to_string()
    } else {
        format!("a worker thread crashed ({detail})")
    };
    format!(
        "The run was stopped because {what}. Its pool could not be trusted any more, so a \
         fresh pool of workers was built; your settings and run history are kept. \
         Press “Run again” to try once more."
    )
}

/// Drain the pool notices; if a Worker died, recover (cancel the live run, rebuild the
/// pool) and return what to tell the learner. Call once per frame on the main thread.
pub fn take_crash_and_recover() -> Option<String> {
    let detail = super::pool::take_notices()
        .into_iter()
        .map(|super::pool::WorkerNotice::Error(d)| d)
        .next()?;
    let recovered = super::session::act(|s| {
        s.recover_from_crash();
        Ok(())
    });
    Some(match recovered {
        Ok(()) => plain_words(&detail),
        Err(m) => format!("{} Then recovering failed: {m}", plain_words(&detail)),
    })
}
