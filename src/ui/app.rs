//! The app shell: routes (hash routes, so any static host serves every link; matched in
//! [`crate::route`]) and the one-time start of the worker pools.

pub use crate::route::Route;
use crate::runtime::session;
use yew::prelude::*;

/// Default scenario pool size: the cores the browser reports, at least 2, at most 16.
pub fn default_pool_size() -> usize {
    session::with(|s| s.env.cores).clamp(2, 16)
}

/// Spawns the pools' Workers first, so they load the module while the first page renders
/// (started from the first render's effect, they began only after it).
pub fn start_pools() {
    wasm_bindgen_futures::spawn_local(session::start(first_pool_size()));
}

/// The scenario pool's first size: what the lesson the page opens on will run with, so its
/// first Run starts at once. Built at the cores' count instead, start-join's first Run
/// (six threads by default) rebuilt the pool and waited 300–450 ms for six new Workers.
/// Other pages, and lessons whose files need a pool with OPFS scratch files (built at
/// their first Run anyway), start with [`default_pool_size`].
fn first_pool_size() -> usize {
    landing_lesson_threads().unwrap_or_else(default_pool_size)
}

fn landing_lesson_threads() -> Option<usize> {
    let Location { path, query } = read_location();
    let Route::Example { id } = Route::recognize(&path) else {
        return None;
    };
    let lesson = crate::scenarios::runner::find(&id)?;
    if lesson.info.knob("file-items").is_some() {
        return None;
    }
    let config = crate::scenarios::knob::parse_query(lesson.info.knobs, &query).config;
    Some((lesson.threads_needed)(&config).clamp(1, crate::runtime::pool::MAX_POOL))
}

/// Where the address points: the hash's path (`/examples/lock`) and its query without the
/// `?` (`workers=4`).
#[derive(Clone, PartialEq)]
struct Location {
    path: String,
    query: String,
}

/// Reads the hash the way yew-router's hash history did: resolved against the page's
/// address, so the browser normalises the path (`.` and `..` segments, escapes).
fn read_location() -> Location {
    let parts = web_sys::window().and_then(|w| {
        let loc = w.location();
        let (hash, href) = (loc.hash().ok()?, loc.href().ok()?);
        let url = web_sys::Url::new_with_base(hash.trim_start_matches('#'), &href).ok()?;
        Some((url.pathname(), url.search()))
    });
    let (path, search) = parts.unwrap_or_default();
    Location {
        path,
        query: search.trim_start_matches('?').to_string(),
    }
}

/// A page's address must be a hash route: a bare address (or a hash that is not a path)
/// becomes `#/`, in place, without a history entry.
fn ensure_hash_route() {
    let Some(w) = web_sys::window() else { return };
    if w.location().hash().is_ok_and(|h| h.starts_with("#/")) {
        return;
    }
    if let Ok(h) = w.history() {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("#/"));
    }
}

/// Opens `route`, as following a link to it would (a history entry, then a `hashchange`).
pub fn navigate(route: &Route) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_hash(&route.path());
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let location = use_state(|| {
        ensure_hash_route();
        read_location()
    });
    {
        let location = location.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|w| {
                gloo::events::EventListener::new(&w, "hashchange", move |_| {
                    location.set(read_location())
                })
            });
            move || drop(listener)
        });
    }
    html! {
        <>
            <header class="site-header">
                <a class="brand" href="#/">{"Concurrency Playground"}</a>
                <span class="tagline">{"threads, processes, locks and queues, running for real on Web Workers"}</span>
            </header>
            <main>
                {switch(Route::recognize(&location.path), &location.query)}
            </main>
        </>
    }
}

fn switch(route: Route, query: &str) -> Html {
    match route {
        Route::Home => html! { <crate::ui::pages::home::Home /> },
        Route::Example { id } => {
            html! { <crate::ui::pages::example::Example {id} query={query.to_string()} /> }
        }
        Route::Environment => html! { <crate::ui::pages::environment::Environment /> },
        Route::Replay => html! { <crate::ui::pages::replay::ReplayPage /> },
        Route::NotFound => html! { <crate::ui::pages::not_found::NotFound /> },
    }
}
