//! Benchmark entry points for `scripts/bench-browser.mjs` (Playwright), reachable from the
//! page as `window.wasmBindings.cp_bench_*`. Knob-free and invisible in the UI.
//!
//! The page's main thread must never block, so every measurement is started here and runs
//! on the supervisor pool; the script polls [`cp_bench_result`] for its JSON. The flood
//! benchmark drains on the main thread, once per animation frame, into the same views
//! model the example page feeds, so it measures the page's drain path (not yew's render).

use super::bench_workloads as work;
use super::session;
use crate::engine::trace::{EventKind, Flavour};
use crate::engine::worker::Threads;
use crate::views::console::Filter;
use crate::views::Views;
use std::cell::RefCell;
use std::sync::Mutex;
use wasm_bindgen::prelude::*;

static RESULT: Mutex<Option<String>> = Mutex::new(None);

fn put_result(s: String) {
    *crate::engine::liveness::lock(&RESULT) = Some(s);
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
    crate::engine::liveness::lock(&RESULT).take()
}

/// Start one measurement on a scenario pool of `pool_size` threads:
/// `cpu` (k = `a` workers, `b` iterations in all), `dispatch` (`a` tasks, traced if
/// `b` != 0), `handoff` (`a` messages). Returns at once; poll [`cp_bench_result`].
#[wasm_bindgen]
pub fn cp_bench_start(kind: String, pool_size: usize, a: f64, b: f64) -> Result<(), JsValue> {
    let pool = session::with(|s| s.ensure_pool(pool_size)).map_err(|e| JsValue::from_str(&e))?;
    crate::engine::liveness::lock(&RESULT).take();
    rayon::spawn(move || {
        let threads = Threads::new(pool);
        let out = match kind.as_str() {
            "cpu" => work::cpu_split(&threads, a as usize, b as u64).map(|r| {
                format!(
                    "{{\"wall_ms\":{},\"iterations\":{}}}",
                    r.wall_ms, r.iterations
                )
            }),
            "dispatch" => work::dispatch_rate(&threads, Flavour::Process, 2, a as usize, b != 0.0)
                .map(|r| format!("{{\"tasks_per_s\":{r}}}")),
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
    });
    Ok(())
}

/// What the flood's main-thread drain saw so far.
#[derive(Default)]
struct FloodSeen {
    views: Views,
    prints: u64,
    dropped: u64,
    /// Event-to-drain latency of each print, in µs.
    latencies: Vec<u32>,
    finished: bool,
}

thread_local! {
    static FLOOD: RefCell<FloodSeen> = RefCell::new(FloodSeen::default());
}

/// Start a flood through the session: the run's main program prints `rate` lines per
/// second for `secs` seconds, paced against the clock.
#[wasm_bindgen]
pub fn cp_bench_flood_start(rate: f64, secs: f64) -> Result<(), JsValue> {
    FLOOD.with(|f| *f.borrow_mut() = FloodSeen::default());
    let launched = session::with(|s| {
        s.launch("bench-flood", move |ctx, _pool| {
            let t0 = web_time::Instant::now();
            let mut sent: u64 = 0;
            loop {
                let elapsed = t0.elapsed().as_secs_f64().min(secs);
                let due = (rate * elapsed) as u64;
                while sent < due {
                    ctx.emit(
                        None,
                        EventKind::Print {
                            text: format!("line {sent}\n"),
                        },
                    );
                    sent += 1;
                }
                if elapsed >= secs {
                    return Ok(());
                }
                ctx.sleep(std::time::Duration::from_millis(1))?;
            }
        })
    });
    launched.map(|_| ()).map_err(|e| JsValue::from_str(&e))
}

/// One frame's drain, as the example page does it (at most 20,000 events). Returns
/// how many events it took.
#[wasm_bindgen]
pub fn cp_bench_flood_drain() -> usize {
    let Some(live) = session::with(|s| s.live()) else {
        return 0;
    };
    let mut batch = Vec::new();
    live.ctx.recorder.drain_into(&mut batch, 20_000);
    let now = live.ctx.recorder.now_us();
    FLOOD.with(|f| {
        let mut f = f.borrow_mut();
        for e in &batch {
            match &e.kind {
                EventKind::Print { .. } => {
                    f.prints += 1;
                    f.latencies.push(now.saturating_sub(e.t_us) as u32);
                }
                EventKind::Dropped { count } => f.dropped += count,
                EventKind::RunEnd { .. } => f.finished = true,
                _ => {}
            }
        }
        f.views.apply_batch(&batch);
    });
    batch.len()
}

/// The flood's figures as JSON: prints seen, recorder drops, console lines, whether
/// the run ended, and drain latency percentiles (ms).
#[wasm_bindgen]
pub fn cp_bench_flood_report() -> String {
    FLOOD.with(|f| {
        let f = f.borrow();
        let mut l: Vec<f64> = f.latencies.iter().map(|&u| u as f64 / 1e3).collect();
        l.sort_by(|a, b| a.total_cmp(b));
        let pick = |q: f64| l.get(((l.len() as f64 - 1.0) * q) as usize).copied().unwrap_or(-1.0);
        format!(
            "{{\"prints\":{},\"dropped\":{},\"console_lines\":{},\"finished\":{},\"lat_p50_ms\":{},\"lat_p95_ms\":{},\"lat_max_ms\":{}}}",
            f.prints,
            f.dropped,
            f.views.console.filtered_len(Filter::All),
            f.finished,
            pick(0.5),
            pick(0.95),
            pick(1.0)
        )
    })
}
