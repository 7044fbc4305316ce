//! The environment panel: what the browser offers and what the pool is doing.

use crate::runtime::env::Environment;
use crate::runtime::session::PoolState;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub env: Environment,
    pub pool: PoolState,
    /// Pool threads running right now, across pools.
    pub live_threads: usize,
}

#[function_component(EnvPanel)]
pub fn env_panel(p: &Props) -> Html {
    let (pool_text, pool_class) = match &p.pool {
        PoolState::Unavailable(_) => ("unavailable".to_string(), "bad"),
        PoolState::Starting => ("starting…".to_string(), "warn"),
        PoolState::Ready { size } => (format!("{size} threads"), "good"),
        PoolState::Failed(_) => ("failed".to_string(), "bad"),
    };
    let resolution = if p.env.timer_resolution_us.is_finite() {
        format!("{:.0} µs", p.env.timer_resolution_us)
    } else {
        "unknown".into()
    };
    html! {
        <section class="env-panel" aria-label="Environment">
            <dl>
                <div><dt>{"Cross-origin isolated"}</dt>
                    <dd class={if p.env.isolated {"good"} else {"bad"}} data-testid="isolated">
                        {if p.env.isolated {"yes"} else {"no"}}</dd></div>
                <div><dt>{"Cores reported"}</dt><dd data-testid="cores">{p.env.cores}</dd></div>
                <div><dt>{"Worker pool"}</dt><dd class={pool_class} data-testid="pool-state">{pool_text}</dd></div>
                <div><dt>{"Pool threads live"}</dt><dd data-testid="live-threads">{p.live_threads}</dd></div>
                <div><dt>{"Timer resolution"}</dt><dd data-testid="timer">{resolution}</dd></div>
            </dl>
            {
                match &p.pool {
                    PoolState::Unavailable(why) | PoolState::Failed(why) => html! {
                        <div class="notice bad" role="alert" data-testid="no-workers">
                            <strong>{"Live workers are unavailable. "}</strong>{why.clone()}
                            if p.env.in_iframe {
                                <p><a href={current_url()} target="_blank" rel="noopener">{"Open in a new tab"}</a></p>
                            }
                        </div>
                    },
                    _ => html! {},
                }
            }
        </section>
    }
}

fn current_url() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default()
}
