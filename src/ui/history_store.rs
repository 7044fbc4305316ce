//! The run history of each example, kept in the browser's localStorage so a reload (for
//! instance after a worker crash) keeps the learner's last runs. Storage is optional:
//! private windows may refuse it, and then the history simply lives as long as the page.

use crate::views::timings::RunHistory;
use wasm_bindgen::{JsCast, JsValue};

/// Larger than this and we do not store it (the history holds ten short records).
const MAX_STORED_CHARS: usize = 64 * 1024;

fn key(scenario: &str) -> String {
    format!("cp-run-history/{scenario}")
}

/// `window.localStorage`, reached without the web-sys `Storage` feature.
fn storage() -> Option<JsValue> {
    let window = web_sys::window()?;
    js_sys::Reflect::get(&window, &"localStorage".into())
        .ok()
        .filter(|s| !s.is_null() && !s.is_undefined())
}

fn call(target: &JsValue, method: &str, args: &[&JsValue]) -> Option<JsValue> {
    let f = js_sys::Reflect::get(target, &method.into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    let args: js_sys::Array = args.iter().map(|a| (*a).clone()).collect();
    f.apply(target, &args).ok()
}

/// The stored history of `scenario`, or an empty one if none (or unreadable).
pub fn load(scenario: &str) -> RunHistory {
    storage()
        .and_then(|s| call(&s, "getItem", &[&key(scenario).into()]))
        .and_then(|v| v.as_string())
        .filter(|t| t.len() <= MAX_STORED_CHARS)
        // From bytes, like every other JSON the page reads: one copy of the parser.
        .and_then(|t| serde_json::from_slice::<RunHistory>(t.as_bytes()).ok())
        .map(|mut h| {
            h.capacity = h.capacity.clamp(1, 50);
            while h.runs.len() > h.capacity {
                h.runs.pop_front();
            }
            h
        })
        .unwrap_or_default()
}

/// Store the history of `scenario`; failures (quota, private mode) are ignored.
pub fn save(scenario: &str, history: &RunHistory) {
    let (Some(s), Ok(text)) = (storage(), serde_json::to_string(history)) else {
        return;
    };
    if text.len() <= MAX_STORED_CHARS {
        let _ = call(&s, "setItem", &[&key(scenario).into(), &text.into()]);
    }
}
