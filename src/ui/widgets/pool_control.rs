//! The product's first knob: how many Web Workers the pool has.

use web_sys::HtmlInputElement;
use yew::prelude::*;

pub const MIN: usize = 1;
pub const MAX: usize = 16;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub size: usize,
    pub disabled: bool,
    pub on_change: Callback<usize>,
}

/// Parse what the learner typed: a clamped size, or a message and no change.
pub fn parse_size(text: &str) -> Result<usize, String> {
    match text.trim().parse::<i64>() {
        Ok(n) if n < MIN as i64 => Err(format!("the pool needs at least {MIN} worker")),
        Ok(n) if n > MAX as i64 => Err(format!("at most {MAX} workers; using {MAX}")),
        Ok(n) => Ok(n as usize),
        Err(_) => Err(format!("type a whole number from {MIN} to {MAX}")),
    }
}

#[function_component(PoolControl)]
pub fn pool_control(p: &Props) -> Html {
    let text = use_state(|| p.size.to_string());
    let message = use_state(|| None::<String>);
    let oninput = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            text.set(e.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let apply = {
        let (text, message, on_change) = (text.clone(), message.clone(), p.on_change.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match parse_size(&text) {
                Ok(n) => {
                    message.set(None);
                    on_change.emit(n);
                }
                Err(m) => {
                    if m.starts_with("at most") {
                        text.set(MAX.to_string());
                        on_change.emit(MAX);
                    }
                    message.set(Some(m));
                }
            }
        })
    };
    html! {
        <form class="pool-control" onsubmit={apply}>
            <label for="pool-size">{"Pool size (Web Workers)"}</label>
            <input id="pool-size" type="number" min={MIN.to_string()} max={MAX.to_string()}
                value={(*text).clone()} {oninput} disabled={p.disabled} data-testid="pool-size" />
            <button type="submit" disabled={p.disabled} data-testid="pool-apply">{"Rebuild pool"}</button>
            <span class="help">{format!("{MIN}–{MAX}; more than your cores shows oversubscription")}</span>
            if let Some(m) = &*message {
                <span class="message" role="status">{m.clone()}</span>
            }
        </form>
    }
}
