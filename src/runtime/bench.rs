//! Benchmark entry points for `scripts/bench-browser.mjs` (Playwright), reachable from the
//! page as `window.wasmBindings.cp_bench_*`. Knob-free and invisible in the UI.
//!
//! The page's main thread must never block, so every measurement is started here and runs
//! on the supervisor pool; the script polls [`cp_bench_result`] for its JSON. (The flood
//! is measured on the environment page's flood check instead, where it is drawn.)

use super::bench_workloads as work;
use super::session;
use crate::engine::trace::Flavour;
use crate::engine::worker::Threads;
use crossbeam_queue::SegQueue;
use wasm_bindgen::prelude::*;

/// The finished measurement, left by a supervisor thread for the page to take. A queue,
/// not a `Mutex`: the page polls it, and its main thread must never wait for a lock.
static RESULT: SegQueue<String> = SegQueue::new();

fn put_result(s: String) {
    RESULT.push(s);
}

/// The scenario pool's state: `ready:N`, `starting`, `unavailable` or `failed`.
#[wasm_bindgen]
pub fn cp_bench_pool_state() -> String {
    session::with(|s| match &s.pool_state {
        session::PoolState::Ready { size } => format!("ready:{size}"),
        session::PoolState::Starting => "starting".into(),
        session::PoolState::Unavailable(_) => "unavailable".into(),
        session::PoolState::Failed(m) => format!("failed:{m}"),
    })
}

/// The last finished measurement as JSON (`{"ok":..}` or `{"error":..}`), taken once.
#[wasm_bindgen]
pub fn cp_bench_result() -> Option<String> {
    RESULT.pop()
}

/// Start one measurement on a scenario pool of `pool_size` threads:
/// `cpu` (k = `a` workers, `b` iterations in all), `dispatch` on process-flavoured
/// workers or `dispatch-thread` on thread-flavoured ones (`a` tasks, traced if `b` != 0),
/// `handoff` (`a` messages). Returns at once; poll [`cp_bench_result`].
#[wasm_bindgen]
pub fn cp_bench_start(kind: String, pool_size: usize, a: f64, b: f64) -> Result<(), JsValue> {
    let pool = session::act(|s| s.ensure_pool(pool_size)).map_err(|e| JsValue::from_str(&e))?;
    while RESULT.pop().is_some() {}
    super::pool::supervise(move || {
        let threads = Threads::new(pool);
        let out = match kind.as_str() {
            "cpu" => work::cpu_split(&threads, a as usize, b as u64).map(|r| {
                format!(
                    "{{\"wall_ms\":{},\"iterations\":{}}}",
                    r.wall_ms, r.iterations
                )
            }),
            "dispatch" | "dispatch-thread" => {
                let flavour = if kind == "dispatch" {
                    Flavour::Process
                } else {
                    Flavour::Thread
                };
                work::dispatch_rate(&threads, flavour, 2, a as usize, b != 0.0)
                    .map(|r| format!("{{\"tasks_per_s\":{r}}}"))
            }
            "handoff" => work::handoff_median_us(&threads, a as usize, 200)
                .map(|r| format!("{{\"median_us\":{r}}}")),
            other => Err(crate::engine::EngineError::Invalid(format!(
                "unknown benchmark {other}"
            ))),
        };
        put_result(match out {
            Ok(j) => format!("{{\"ok\":{j}}}"),
            Err(e) => format!("{{\"error\":{:?}}}", e.to_string()),
        });
    })
    .map_err(|e| JsValue::from_str(&e))
}
