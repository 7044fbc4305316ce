//! The code panel: the Python a learner would write and the Rust that actually runs,
//! syntax-highlighted (`views::highlight`), as tabs or side by side.

use crate::views::highlight::{tokenize, Lang};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CodeViewProps {
    /// `ScenarioInfo::python`.
    pub python: AttrValue,
    /// `ScenarioInfo::rust_code()`.
    pub rust: AttrValue,
    /// Start side by side (wide screens).
    #[prop_or_default]
    pub side_by_side: bool,
}

#[function_component(CodeView)]
pub fn code_view(p: &CodeViewProps) -> Html {
    let tab = use_state(|| Lang::Python);
    let side = use_state(|| p.side_by_side);
    let python = {
        let src = p.python.clone();
        use_memo(src, |s| highlighted(s, Lang::Python))
    };
    let rust = {
        let src = p.rust.clone();
        use_memo(src, |s| highlighted(s, Lang::Rust))
    };

    let select = |lang: Lang| {
        let tab = tab.clone();
        Callback::from(move |_: MouseEvent| tab.set(lang))
    };
    // Arrow keys move between the two tabs, as in the ARIA tabs pattern.
    let onkeydown = {
        let tab = tab.clone();
        Callback::from(move |e: KeyboardEvent| {
            if matches!(
                e.key().as_str(),
                "ArrowLeft" | "ArrowRight" | "Home" | "End"
            ) {
                e.prevent_default();
                tab.set(if *tab == Lang::Python {
                    Lang::Rust
                } else {
                    Lang::Python
                });
            }
        })
    };
    let toggle_side = {
        let side = side.clone();
        Callback::from(move |_: MouseEvent| side.set(!*side))
    };
    let tab_button = |lang: Lang, label: &'static str, id: &'static str| {
        let on = *tab == lang;
        html! {
            <button type="button" role="tab" id={format!("code-tab-{id}")} aria-selected={on.to_string()}
                aria-controls={format!("code-panel-{id}")} tabindex={if on { "0" } else { "-1" }}
                class={classes!("code-tab", on.then_some("active"))} onclick={select(lang)}
                onkeydown={onkeydown.clone()} data-testid={format!("code-tab-{id}")}>{label}</button>
        }
    };
    let panel = |id: &'static str, title: &'static str, body: &Html| {
        html! {
            <div class="code-panel" id={format!("code-panel-{id}")} role={if *side { "region" } else { "tabpanel" }}
                aria-label={title} data-testid={format!("code-{id}")}>
                if *side { <h3 class="code-title">{title}</h3> }
                <pre class={classes!("code", format!("lang-{id}"))} tabindex="0"><code>{body.clone()}</code></pre>
            </div>
        }
    };

    html! {
        <section class={classes!("code-view", side.then_some("side-by-side"))} aria-label="Code" data-testid="code-view">
            <div class="code-bar">
                if !*side {
                    <div role="tablist" aria-label="Language">
                        { tab_button(Lang::Python, "Python", "python") }
                        { tab_button(Lang::Rust, "Rust (what runs)", "rust") }
                    </div>
                }
                <button type="button" class="code-side-toggle" aria-pressed={side.to_string()}
                    onclick={toggle_side} data-testid="code-side-by-side">{"Side by side"}</button>
            </div>
            <div class="code-panels">
                if *side || *tab == Lang::Python { { panel("python", "Python", &python) } }
                if *side || *tab == Lang::Rust { { panel("rust", "Rust", &rust) } }
            </div>
        </section>
    }
}

fn highlighted(src: &str, lang: Lang) -> Html {
    html! {
        { for tokenize(src, lang).into_iter().map(|t| match t.kind.css_class() {
            Some(class) => html! { <span class={class}>{t.text.to_string()}</span> },
            None => html! { {t.text.to_string()} },
        }) }
    }
}
