//! The engine on the browser's threads: run in headless Chromium by wasm-bindgen-test
//! (`scripts/test.sh`). Blocking is allowed in a dedicated worker, so the test itself runs
//! in one, and spawns pools of real Web Workers from there.
#![cfg(target_arch = "wasm32")]

use concurrency_playground::engine::trace::EventKind;
use concurrency_playground::engine::RunCtx;
use concurrency_playground::runtime::pool;
use std::collections::BTreeSet;
use std::time::Duration;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen_test]
async fn a_run_time_pool_computes_on_several_web_workers() {
    let web = pool::build_counted(3, "test").expect("pool builds when isolated");
    assert!(web.until_live(10_000.0).await, "three Web Workers start");
    let pool = web.pool;
    // Each pool thread reports which rayon thread computed its share of the sum.
    let (tx, rx) = crossbeam_channel::unbounded();
    for part in 0..6u64 {
        let tx = tx.clone();
        pool.spawn(move || {
            let sum: u64 = (part * 1000..(part + 1) * 1000).map(|x| x * x).sum();
            let _ = tx.send((rayon::current_thread_index(), sum));
        });
    }
    drop(tx);
    let results: Vec<_> = rx.iter().collect();
    let total: u64 = results.iter().map(|(_, s)| s).sum();
    assert_eq!(total, (0..6000u64).map(|x| x * x).sum::<u64>());
    assert!(
        results.iter().all(|(i, _)| i.is_some()),
        "every part ran on a pool thread"
    );
}

#[wasm_bindgen_test]
async fn the_engine_runs_unchanged_on_the_browser_pool() {
    let web = pool::build_counted(4, "smoke").expect("pool builds when isolated");
    assert!(web.until_live(10_000.0).await, "four Web Workers start");
    let pool = web.pool;
    let ctx = RunCtx::new();
    let _main = ctx.enter(0);
    concurrency_playground::scenarios::smoke::run(&ctx, &pool, 4, 3, Duration::from_millis(5))
        .expect("the smoke run finishes");
    let events = ctx.recorder.drain_sorted();
    let printers: BTreeSet<u32> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Print { .. }))
        .map(|e| e.worker)
        .collect();
    assert_eq!(printers.len(), 4, "four workers printed");
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Print { .. }))
            .count(),
        12
    );
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
}
