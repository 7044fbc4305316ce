//! Figures for the soak script (`tests/e2e/soak.mjs`): how many pool Workers are open and
//! how big the shared wasm memory has grown. Not shown anywhere in the UI.

use wasm_bindgen::prelude::*;

/// `{ "openWorkers": n, "liveThreads": n, "wasmBytes": n }` as a JS object.
#[wasm_bindgen(js_name = cpDebugStats)]
pub fn debug_stats() -> JsValue {
    let o = js_sys::Object::new();
    let set = |k: &str, v: f64| {
        let _ = js_sys::Reflect::set(&o, &k.into(), &JsValue::from_f64(v));
    };
    set("openWorkers", super::pool::open_workers() as f64);
    set("liveThreads", super::pool::live_threads() as f64);
    set(
        "supervisorThreads",
        super::session::SUPERVISOR_THREADS as f64,
    );
    #[cfg(target_arch = "wasm32")]
    set(
        "wasmBytes",
        (core::arch::wasm32::memory_size(0) * 65536) as f64,
    );
    o.into()
}
