//! The run's views under an example: console, timeline, state panel, timings, and the
//! code. Until the dedicated widgets land this renders simple versions of each.

use crate::scenarios::catalog::ScenarioInfo;
use crate::ui::views_handle::ViewsHandle;
use crate::views::console::Filter;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub handle: ViewsHandle,
    pub info: &'static ScenarioInfo,
}

#[function_component(RunViews)]
pub fn run_views(p: &Props) -> Html {
    let views = p.handle.borrow();
    let console = &views.console;
    let n = console.len();
    let from = n.saturating_sub(500);
    html! {
        <div class="run-views">
            <section aria-label="Console">
                <h2>{"Console"}</h2>
                <pre class="console" data-testid="console">
                    { for console.lines(Filter::All, from, n).into_iter().map(|(_, l)| html! {
                        <div class={classes!("line", format!("w{}", l.writers.first().copied().unwrap_or(0) % 8))}
                             data-worker={console.writers_label(l)}>
                            <span class="tag">{console.writers_label(l)}</span>{&l.text}
                        </div>
                    }) }
                </pre>
            </section>
            <section aria-label="Timeline" data-testid="timeline">
                <h2>{"Timeline"}</h2>
                <ul>{ for views.timeline.summary().into_iter().map(|s| html! { <li>{s}</li> }) }</ul>
            </section>
            <section class="code" aria-label="Code">
                <h2>{"Python"}</h2>
                <pre class="code-block"><code>{p.info.python}</code></pre>
                <h2>{"Rust (the code that runs)"}</h2>
                <pre class="code-block"><code>{p.info.rust_code()}</code></pre>
            </section>
        </div>
    }
}
