//! What the browser offers: isolation (needed to share memory with Workers), cores,
//! timer resolution. Read once at start and shown in the environment panel.

use wasm_bindgen::JsValue;

/// Why live workers may be unavailable, in plain words, with the fix.
pub const NOT_ISOLATED: &str =
    "Live workers need a cross-origin isolated page, and this one is not. \
Browsers only let Web Workers share memory when the server sends the headers \
Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp \
(and, inside an iframe, when the host page is isolated too and allows it). \
Open the playground in its own tab from a server that sends them (`trunk serve` does), \
or replay a recorded run here.";

#[derive(Clone, Debug, PartialEq)]
pub struct Environment {
    pub isolated: bool,
    pub cores: usize,
    /// Smallest step of `performance.now()` seen, in microseconds.
    pub timer_resolution_us: f64,
    pub in_iframe: bool,
}

pub fn cross_origin_isolated() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("crossOriginIsolated"))
        .map(|v| v.is_truthy())
        .unwrap_or(false)
}

pub fn detect() -> Environment {
    let window = web_sys::window();
    let cores = window
        .as_ref()
        .map(|w| w.navigator().hardware_concurrency() as usize)
        .filter(|&c| c > 0)
        .unwrap_or(1);
    let in_iframe = window
        .as_ref()
        .and_then(|w| w.top().ok().flatten().map(|top| top != *w))
        .unwrap_or(false);
    Environment {
        isolated: cross_origin_isolated(),
        cores,
        timer_resolution_us: timer_resolution_us(),
        in_iframe,
    }
}

/// The smallest non-zero step between consecutive `performance.now()` readings, found by
/// sampling for at most about a millisecond.
fn timer_resolution_us() -> f64 {
    let Some(perf) = web_sys::window().and_then(|w| w.performance()) else {
        return f64::NAN;
    };
    let start = perf.now();
    let mut last = start;
    let mut best = f64::INFINITY;
    while perf.now() - start < 1.0 {
        let now = perf.now();
        let step = now - last;
        if step > 0.0 && step < best {
            best = step;
        }
        last = now;
    }
    best * 1000.0
}
