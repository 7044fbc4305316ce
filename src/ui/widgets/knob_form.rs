//! An example's knobs as form controls, with their ranges and help. Knobs a teacher locked
//! through the URL are shown read-only.

use crate::scenarios::knob::{Config, KnobKind, KnobSpec, KnobValue};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub spec: &'static [KnobSpec],
    pub config: Config,
    pub locked: Vec<&'static str>,
    pub disabled: bool,
    /// (key, raw text): the page validates it through the config layer.
    pub on_change: Callback<(&'static str, String)>,
}

#[function_component(KnobForm)]
pub fn knob_form(p: &Props) -> Html {
    html! {
        <fieldset class="knobs" data-testid="knobs">
            <legend>{"Knobs"}</legend>
            { for p.spec.iter().map(|k| knob(k, p)) }
        </fieldset>
    }
}

fn knob(k: &'static KnobSpec, p: &Props) -> Html {
    let locked = p.locked.contains(&k.key);
    let disabled = p.disabled || locked;
    let id = format!("knob-{}", k.key);
    let help_id = format!("{id}-help");
    let value = p.config.get(k.key);
    let key = k.key;
    let control = match k.kind {
        KnobKind::Int { min, max, .. } => {
            let cb = p.on_change.clone();
            let onchange = Callback::from(move |e: Event| {
                cb.emit((key, e.target_unchecked_into::<HtmlInputElement>().value()))
            });
            let v = match value {
                Some(KnobValue::Int(n)) => n.to_string(),
                _ => String::new(),
            };
            html! { <input id={id.clone()} type="number" min={min.to_string()} max={max.to_string()} step="1"
            value={v} {onchange} {disabled} aria-describedby={help_id.clone()} data-knob={key} /> }
        }
        KnobKind::Float { min, max, .. } => {
            let cb = p.on_change.clone();
            let onchange = Callback::from(move |e: Event| {
                cb.emit((key, e.target_unchecked_into::<HtmlInputElement>().value()))
            });
            let v = match value {
                Some(KnobValue::Float(x)) => x.to_string(),
                _ => String::new(),
            };
            html! { <input id={id.clone()} type="number" min={min.to_string()} max={max.to_string()} step="any"
            value={v} {onchange} {disabled} aria-describedby={help_id.clone()} data-knob={key} /> }
        }
        KnobKind::Bool { .. } => {
            let cb = p.on_change.clone();
            let onchange = Callback::from(move |e: Event| {
                let on = e.target_unchecked_into::<HtmlInputElement>().checked();
                cb.emit((key, if on { "true".into() } else { "false".into() }))
            });
            let checked = matches!(value, Some(KnobValue::Bool(true)));
            html! { <input id={id.clone()} type="checkbox" {checked} {onchange} {disabled}
            aria-describedby={help_id.clone()} data-knob={key} /> }
        }
        KnobKind::Choice { options, .. } => {
            let cb = p.on_change.clone();
            let onchange = Callback::from(move |e: Event| {
                cb.emit((key, e.target_unchecked_into::<HtmlSelectElement>().value()))
            });
            let current = match value {
                Some(KnobValue::Choice(c)) => c,
                _ => "",
            };
            html! {
                <select id={id.clone()} {onchange} {disabled} aria-describedby={help_id.clone()} data-knob={key}>
                    { for options.iter().map(|o| html! { <option value={*o} selected={*o == current}>{*o}</option> }) }
                </select>
            }
        }
    };
    let range = match k.kind {
        KnobKind::Int { min, max, .. } => format!(" ({min}–{max})"),
        KnobKind::Float { min, max, .. } => format!(" ({min}–{max})"),
        _ => String::new(),
    };
    html! {
        <div class={classes!("knob", locked.then_some("locked"))}>
            <label for={id.clone()}>{k.label}</label>
            {control}
            <span class="help" id={help_id}>{k.help}{range}
                if locked { <span class="lock-note">{" · fixed by the lesson"}</span> }
            </span>
        </div>
    }
}
