//! The catalogue: every lesson, grouped by theme, each card with its one-line promise.

use crate::runtime::session;
use crate::scenarios::catalog::{self, Theme};
use yew::prelude::*;

#[function_component(Home)]
pub fn home() -> Html {
    let isolated = session::with(|s| s.env.isolated);
    html! {
        <div class="catalogue">
            <section class="intro">
                <h1>{"Threads, processes, locks and queues, for real"}</h1>
                <p>{"Every example runs on real Web Workers that share memory, with Python's \
                    semantics: pick one, change the pool size, the work or the locks, and \
                    watch the interleaved output, the per-worker timeline and the timings live. \
                    The Python each example mirrors sits beside the Rust that runs."}</p>
                if !isolated {
                    <p class="notice bad" role="status">{"This page is not cross-origin isolated, so live workers are unavailable here. "}
                        <a href="#/environment">{"Why, and how to fix it"}</a></p>
                }
            </section>
            { for Theme::ALL.iter().map(|&theme| html! {
                <section class="theme" aria-labelledby={format!("theme-{}", slug(theme.title()))}>
                    <h2 id={format!("theme-{}", slug(theme.title()))}>{capitalise(theme.title())}</h2>
                    <ul class="cards">
                        { for catalog::by_theme(theme).map(|s| html! {
                            <li class="card" data-testid="scenario-card">
                                <a href={format!("#/examples/{}", s.id)}>
                                    <span class="card-title">{s.title}</span>
                                    <span class="card-promise">{s.promise}</span>
                                </a>
                            </li>
                        }) }
                    </ul>
                </section>
            }) }
            <p class="footer-links"><a href="#/environment">{"Environment and worker pool"}</a></p>
        </div>
    }
}

fn slug(s: &str) -> String {
    s.replace(' ', "-")
}

pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
