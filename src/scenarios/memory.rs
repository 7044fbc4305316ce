//! Memory bounds: what a run may allocate at once, estimated from its knobs before it
//! starts, so a combination that would not fit is refused with a message instead of
//! ending in a wasm `unreachable` trap when an allocation fails.
//!
//! The browser module's memory can grow to [`MODULE_MAX_BYTES`] (set by `--max-memory` in
//! `.cargo/config.toml`). A run gets [`RUN_BUDGET_BYTES`] of it; the rest stays for the
//! module itself, the page's views and the trace the run streams. The estimates count the
//! big allocations only (worker stacks, file buffers, payloads), rounded up: they are meant
//! to catch knob combinations that are far too big, not to account for every byte.

use super::knob::Config;
use crate::engine::{EngineError, EngineResult};

const MIB: u64 = 1024 * 1024;

/// The wasm module's maximum memory: 512 MiB.
pub const MODULE_MAX_BYTES: u64 = 512 * MIB;

/// What one run may use of it.
pub const RUN_BUDGET_BYTES: u64 = 384 * MIB;
const _: () = assert!(RUN_BUDGET_BYTES < MODULE_MAX_BYTES);

/// Each pool thread's stack in the browser (wasm-bindgen's default for a new thread),
/// plus its thread-local storage, rounded up.
pub const STACK_BYTES: u64 = MIB + 64 * 1024;

fn knob(c: &Config, key: &str) -> u64 {
    c.int(key).unwrap_or(0).max(0) as u64
}

/// The largest amount of memory a run of `scenario` with `config` may hold at once, by
/// estimate. `threads` is how many pool threads it occupies (their stacks count).
pub fn estimate(scenario: &str, config: &Config, threads: usize) -> u64 {
    let stacks = threads as u64 * STACK_BYTES;
    let data = match scenario {
        // Every busy worker of a file-I/O pool holds the data it writes, the stored copy
        // (in memory in the browser) and the copy it reads back.
        "do-work" => knob(config, "pool") * knob(config, "file-kb") * 1024 * 3,
        // One shared payload; a process pool pickles a copy per submitted task and
        // unpickles another.
        "executor" => knob(config, "payload-kb") * 1024 * (1 + 2 * knob(config, "items")),
        _ => 0,
    };
    stacks + data
}

/// Refuse a run whose estimate exceeds the budget, naming what to turn down.
pub fn check(scenario: &str, config: &Config, threads: usize) -> EngineResult<()> {
    let need = estimate(scenario, config, threads);
    if need <= RUN_BUDGET_BYTES {
        return Ok(());
    }
    let hint = match scenario {
        "do-work" => "lower the pool size or the file size",
        "executor" => "lower the argument size or the number of tasks",
        _ => "lower the number of workers",
    };
    Err(EngineError::Invalid(format!(
        "this run would need about {} MiB of memory at once, more than the {} MiB a run \
         may use here (the page's whole limit is {} MiB): {hint}",
        need.div_ceil(MIB),
        RUN_BUDGET_BYTES / MIB,
        MODULE_MAX_BYTES / MIB,
    )))
}
