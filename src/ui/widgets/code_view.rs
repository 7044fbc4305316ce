//! The code panel: the Python a learner would write and the Rust that actually runs,
//! syntax-highlighted (`views::highlight`), as tabs or side by side.
//!
//! Neither text is compiled into the page (issue 7, P5): the panel fetches the Python file
//! and the scenario's module from the site (`catalog::CODE_DIR`) when it opens, and cuts the
//! shown Rust out of the module with the same [`extract_between_markers`] `build.rs` and
//! the native tests use. Until then it says it is loading; if a fetch fails it says why
//! and offers to try again.

use crate::scenarios::catalog::extract_between_markers;
use crate::ui::fetch::fetch_text;
use crate::views::highlight::{tokenize, Lang};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CodeViewProps {
    /// `ScenarioInfo::python_url()`.
    pub python_url: AttrValue,
    /// `ScenarioInfo::rust_url()`: the whole module; the panel shows the code between its
    /// markers.
    pub rust_url: AttrValue,
    /// Start side by side (wide screens).
    #[prop_or_default]
    pub side_by_side: bool,
}

/// One fetch of the two files: their URLs and which attempt (Try again counts up).
type Request = (AttrValue, AttrValue, u32);

/// The two texts, highlighted once when they arrive.
#[derive(Clone, PartialEq)]
enum Code {
    Loading,
    Ready { python: Html, rust: Html },
    Failed(String),
}

/// Both files, the Rust cut between its markers.
async fn fetch_code(python_url: &str, rust_url: &str) -> Result<(String, String), String> {
    let python = fetch_text(python_url, "Python text").await?;
    let module = fetch_text(rust_url, "Rust module").await?;
    let rust = extract_between_markers(&module);
    if rust.is_empty() {
        return Err(format!("{rust_url} has no code between its markers"));
    }
    Ok((python, rust.to_string()))
}

#[function_component(CodeView)]
pub fn code_view(p: &CodeViewProps) -> Html {
    let tab = use_state(|| Lang::Python);
    let side = use_state(|| p.side_by_side);
    let code = use_state(|| Code::Loading);
    let attempt = use_state(|| 0u32);
    // The request the panel wants now: a slow answer for an example the learner already
    // left (or for an earlier attempt) must not replace it.
    let wanted = use_mut_ref(|| None::<Request>);
    {
        let code = code.clone();
        let key = (p.python_url.clone(), p.rust_url.clone(), *attempt);
        use_effect_with(key, move |key| {
            let key = key.clone();
            *wanted.borrow_mut() = Some(key.clone());
            code.set(Code::Loading);
            wasm_bindgen_futures::spawn_local(async move {
                let result = fetch_code(&key.0, &key.1).await;
                if !is_wanted(&wanted, &key) {
                    return;
                }
                code.set(match result {
                    Ok((python, rust)) => Code::Ready {
                        python: highlighted(&python, Lang::Python),
                        rust: highlighted(&rust, Lang::Rust),
                    },
                    Err(m) => Code::Failed(m),
                });
            });
        });
    }
    let retry = {
        let attempt = attempt.clone();
        Callback::from(move |_: MouseEvent| attempt.set(*attempt + 1))
    };
    let status = match &*code {
        Code::Loading => html! {
            <p class="code-status" role="status" data-testid="code-loading">{"Loading the code…"}</p>
        },
        Code::Failed(m) => html! {
            <p class="code-status notice bad" role="alert" data-testid="code-error">
                {format!("Could not load the code: {m}. ")}
                <button type="button" onclick={retry} data-testid="code-retry">{"Try again"}</button>
            </p>
        },
        Code::Ready { .. } => Html::default(),
    };
    let (python, rust) = match &*code {
        Code::Ready { python, rust } => (python.clone(), rust.clone()),
        _ => (Html::default(), Html::default()),
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
            { status }
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

fn is_wanted(wanted: &Rc<RefCell<Option<Request>>>, key: &Request) -> bool {
    wanted.borrow().as_ref() == Some(key)
}
