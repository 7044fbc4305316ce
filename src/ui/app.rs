//! The app shell: routes (hash routes, so any static host serves every link) and the
//! one-time start of the worker pools.

use crate::runtime::session;
use yew::prelude::*;
use yew_router::prelude::*;

#[derive(Clone, Routable, PartialEq)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/examples/:id")]
    Example { id: String },
    #[at("/environment")]
    Environment,
    #[at("/replay")]
    Replay,
    #[not_found]
    #[at("/404")]
    NotFound,
}

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
    let hash = web_sys::window()?.location().hash().ok()?;
    let rest = hash.strip_prefix("#/examples/")?;
    let id = rest.split(['?', '/']).next()?;
    let lesson = crate::scenarios::runner::find(id)?;
    if lesson.info.knob("file-items").is_some() {
        return None;
    }
    let config = crate::scenarios::knob::parse_query(
        lesson.info.knobs,
        rest.split_once('?').map_or("", |(_, q)| q),
    )
    .config;
    Some((lesson.threads_needed)(&config).clamp(1, crate::runtime::pool::MAX_POOL))
}

#[function_component(App)]
pub fn app() -> Html {
    html! {
        <HashRouter>
            <header class="site-header">
                <a class="brand" href="#/">{"Concurrency Playground"}</a>
                <span class="tagline">{"threads, processes, locks and queues, running for real on Web Workers"}</span>
            </header>
            <main>
                <Switch<Route> render={switch} />
            </main>
        </HashRouter>
    }
}

fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <crate::ui::pages::home::Home /> },
        Route::Example { id } => html! { <crate::ui::pages::example::Example {id} /> },
        Route::Environment => html! { <crate::ui::pages::environment::Environment /> },
        Route::Replay => html! { <crate::ui::pages::replay::ReplayPage /> },
        Route::NotFound => html! { <crate::ui::pages::not_found::NotFound /> },
    }
}
