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

#[path = "common/float_edges.rs"]
mod float_edges;
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

#[wasm_bindgen_test]
async fn a_pool_worker_round_trips_a_file_through_its_opfs_scratch_file() {
    use concurrency_playground::engine::work::FileStore;
    use concurrency_playground::runtime::opfs::{self, OpfsStore};
    use std::sync::Arc;

    let web = pool::build_counted(2, "opfs").expect("pool builds when isolated");
    assert!(web.until_live(10_000.0).await, "two Web Workers start");
    // Both Workers report their scratch file open (the report crosses this thread's loop).
    let waited = js_sys::Date::now();
    while pool::scratch_files() < 2 && js_sys::Date::now() - waited < 5_000.0 {
        sleep_ms(10).await;
    }
    assert!(
        pool::scratch_files() >= 2,
        "both Workers opened a scratch file"
    );
    let store = Arc::new(OpfsStore::default());
    let (tx, rx) = crossbeam_channel::unbounded();
    for i in 0..4u32 {
        let (store, tx) = (store.clone(), tx.clone());
        web.pool.spawn(move || {
            let data: Vec<u8> = (0..300_000u32).map(|b| (b * 7 + i) as u8).collect();
            let name = format!("item-{i}");
            let result = store
                .write(&name, &data)
                .and_then(|()| store.read(&name))
                .and_then(|back| store.remove(&name).map(|()| back));
            // After the remove, the file is gone for this store.
            let gone = store.read(&name).is_err();
            let _ = tx.send((
                opfs::this_thread_has_scratch(),
                result.map(|b| b == data),
                gone,
            ));
        });
    }
    drop(tx);
    for (scratch, same, gone) in rx.iter() {
        assert!(
            scratch,
            "every pool Worker holds a scratch file in Chromium"
        );
        assert_eq!(same, Ok(true), "the bytes come back from OPFS unchanged");
        assert!(gone, "a removed file cannot be read");
    }
    assert_eq!(store.name(), "OPFS");
    let tally = store.tally().expect("the OPFS store counts its writes");
    assert_eq!((tally.stored, tally.in_memory), (4, 0));
    // This test's own thread is no pool Worker: it has no scratch file, so memory it is,
    // and the tally says so.
    assert!(!opfs::this_thread_has_scratch());
    store.write("here", b"abc").expect("memory write");
    assert_eq!(store.read("here").as_deref(), Ok(&b"abc"[..]));
    let tally = store.tally().expect("tally");
    assert_eq!((tally.stored, tally.in_memory), (4, 1));
}

/// Not a check: how long a 50-Worker pool takes to have every thread running, with and
/// without each Worker opening its OPFS scratch file first. Run it on purpose:
/// `WASM_BINDGEN_TEST_TIMEOUT=300 cargo test --target wasm32-unknown-unknown --test web --
/// --include-ignored --nocapture pool_start`.
#[wasm_bindgen_test]
#[ignore]
async fn pool_start_with_and_without_scratch_files() {
    let mut times: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for round in 0..8 {
        let scratch = round % 2 == 0;
        let started = js_sys::Date::now();
        let web = pool::build_with_scratch(50, "start", scratch).expect("pool builds");
        assert!(web.until_live(60_000.0).await, "fifty Web Workers start");
        times[scratch as usize].push(js_sys::Date::now() - started);
        drop(web);
        // Let the dropped pool's Workers close before timing the next one.
        let waited = js_sys::Date::now();
        while pool::open_workers() > 0 && js_sys::Date::now() - waited < 20_000.0 {
            sleep_ms(20).await;
        }
    }
    console_log!(
        "50-Worker pool start (ms), without scratch files: {:?}; with: {:?}",
        times[0],
        times[1]
    );
}

async fn sleep_ms(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let f = js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into())
            .ok()
            .and_then(|f| wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(f).ok());
        if let Some(f) = f {
            let _ = f.call2(&wasm_bindgen::JsValue::NULL, &resolve, &ms.into());
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(p).await;
}

/// `knob::parse_f64` converts through JS's `parseFloat` in the browser: it must accept
/// exactly what Rust's parser accepts and give the same bits, on the edges of the syntax,
/// of the range and of rounding, and on many generated decimals.
#[wasm_bindgen_test]
fn parse_f64_in_the_browser_matches_rusts_parser() {
    use concurrency_playground::scenarios::knob::parse_f64;
    let same = |s: &str| {
        let want = s.parse::<f64>().ok();
        let got = parse_f64(s);
        match (want, got) {
            (Some(w), Some(g)) if w.is_nan() => assert!(g.is_nan(), "{s:?}"),
            (Some(w), Some(g)) => assert_eq!(w.to_bits(), g.to_bits(), "{s:?}"),
            (None, None) => {}
            _ => panic!("{s:?}: Rust gives {want:?}, parse_f64 {got:?}"),
        }
    };
    float_edges::FLOAT_EDGES.iter().for_each(|s| same(s));
    // Decimals with up to 25 digits and exponents far past both ends of the range.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let digits = format!("{}{}", x, x.rotate_left(17) % 1_000_000);
        let cut = (x % 26) as usize % digits.len().max(1);
        let exp = (x >> 40) as i64 % 700 - 350;
        same(&format!("{}.{}e{exp}", &digits[..cut], &digits[cut..]));
        same(&digits[..cut.max(1)]);
    }
}

#[wasm_bindgen::prelude::wasm_bindgen(
    inline_js = "export function cp_test_throw() { throw new Error('thrown for the test'); }"
)]
extern "C" {
    fn cp_test_throw();
}

/// Regression: an exception the browser threw inside a session action (a refused wait
/// inside rayon) left the session borrowed, and every later page trapped on it.
#[wasm_bindgen_test]
fn an_exception_inside_a_session_action_leaves_the_session_usable() {
    use concurrency_playground::runtime::session;
    let thrown: Result<(), String> = session::act(|_| {
        cp_test_throw();
        Ok(())
    });
    let message = thrown.expect_err("the exception comes back as an error");
    assert!(message.contains("thrown for the test"), "{message}");
    // Not left borrowed: a read and another action both work.
    assert!(session::with(|s| s.env.cores) >= 1);
    assert_eq!(session::act(|_| Ok(7)), Ok(7));
}
