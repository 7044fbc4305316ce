//! The live console: every line tagged with its worker and coloured by worker.

use yew::prelude::*;

#[derive(Clone, PartialEq)]
pub struct Line {
    pub worker: u32,
    pub tag: String,
    pub text: String,
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lines: std::rc::Rc<Vec<Line>>,
}

#[function_component(LiveConsole)]
pub fn live_console(p: &Props) -> Html {
    html! {
        <pre class="console" data-testid="console" aria-label="Program output">
            { for p.lines.iter().map(|l| html! {
                <div class={classes!("line", format!("w{}", l.worker % 8))} data-worker={l.tag.clone()}>
                    <span class="tag">{&l.tag}</span>{&l.text}
                </div>
            }) }
        </pre>
    }
}
