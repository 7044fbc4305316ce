//! Embed mode (`embed=1`): the page inside a course's iframe. It drops the site chrome
//! (a class on `<body>`, styled in styles.css) and tells the host its height whenever it
//! changes, so the host's script can size the iframe to fit without a scroll bar.
//!
//! The height is checked once per animation frame rather than with a ResizeObserver:
//! the page already runs a frame loop, and one comparison per frame costs nothing.

use crate::ui::frame::use_frame_loop;
use wasm_bindgen::JsValue;
use yew::prelude::*;

/// The `type` of the message the host receives: `{type, height}`.
pub const HEIGHT_MESSAGE: &str = "concurrency-playground:height";
pub const BODY_CLASS: &str = "embed";

fn document_height() -> Option<f64> {
    let doc = web_sys::window()?.document()?;
    // The root element's box is as tall as the content (not the viewport).
    let h = doc.document_element()?.get_bounding_client_rect().height();
    Some(h.ceil())
}

fn post_height(height: f64) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(parent) = window.parent().ok().flatten() else {
        return;
    };
    if parent == window {
        return;
    }
    let msg = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&msg, &"type".into(), &HEIGHT_MESSAGE.into());
    let _ = js_sys::Reflect::set(&msg, &"height".into(), &JsValue::from_f64(height));
    let _ = parent.post_message(&msg, "*");
}

fn set_body_class(on: bool) {
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let list = body.class_list();
        let _ = if on {
            list.add_1(BODY_CLASS)
        } else {
            list.remove_1(BODY_CLASS)
        };
    }
}

/// Mount on a page opened with `embed=1`; renders nothing.
#[function_component(EmbedMode)]
pub fn embed_mode() -> Html {
    use_effect_with((), |_| {
        set_body_class(true);
        || set_body_class(false)
    });
    let last = use_mut_ref(|| 0.0_f64);
    use_frame_loop(Callback::from(move |_t: f64| {
        if let Some(h) = document_height() {
            if (h - *last.borrow()).abs() >= 1.0 {
                *last.borrow_mut() = h;
                post_height(h);
            }
        }
    }));
    html! {}
}

#[derive(Properties, PartialEq)]
pub struct UnavailableProps {
    /// Why the pool could not start (from the session).
    pub why: String,
    /// The example's scenario, whose shipped recording can be replayed instead.
    #[prop_or_default]
    pub scenario: Option<AttrValue>,
}

/// Shown on an example when live workers cannot start: why, a new-tab link (the usual fix
/// inside a course page's iframe), and the way to replay a recorded or saved run instead.
#[function_component(WorkersUnavailable)]
pub fn workers_unavailable(p: &UnavailableProps) -> Html {
    let href = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default()
        .replace("embed=1", "embed=0");
    html! {
        <div class="notice bad" role="alert" data-testid="no-workers">
            <strong>{"Live workers are unavailable. "}</strong>{p.why.clone()}
            <p><a href={href} target="_blank" rel="noopener" data-testid="open-new-tab">{"Open in a new tab"}</a>
                {" · "}<a href="#/replay">{"replay a saved run"}</a></p>
            if let Some(id) = &p.scenario {
                <p><crate::ui::widgets::recorded_run::ReplayRecordedRun scenario={id.clone()} /></p>
            }
        </div>
    }
}
