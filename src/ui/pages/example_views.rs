//! The run's views under an example: console and timeline side by side with the state
//! panel, then the timings and the code. Every one of them reads the same trace views.

use crate::scenarios::catalog::ScenarioInfo;
use crate::ui::views_handle::ViewsHandle;
use crate::ui::widgets::code_view::CodeView;
use crate::ui::widgets::console::Console;
use crate::ui::widgets::state_panel::StatePanel;
use crate::ui::widgets::timeline::Timeline;
use crate::ui::widgets::timings::Timings;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub handle: ViewsHandle,
    pub info: &'static ScenarioInfo,
}

#[function_component(RunViews)]
pub fn run_views(p: &Props) -> Html {
    // Clicking a console line marks its moment on the timeline.
    let selected = use_state(|| None::<u64>);
    let on_select = {
        let selected = selected.clone();
        Callback::from(move |seq: u64| selected.set(Some(seq)))
    };
    html! {
        <div class="run-views">
            <section class="panel console-panel" aria-labelledby="console-h">
                <h2 id="console-h">{"Console"}</h2>
                <Console handle={p.handle.clone()} on_select_seq={on_select} />
            </section>
            <section class="panel timeline-panel" aria-labelledby="timeline-h">
                <h2 id="timeline-h">{"Timeline"}</h2>
                <Timeline handle={p.handle.clone()} highlight_seq={*selected} />
            </section>
            <div class="views-row">
                <section class="panel" aria-labelledby="state-h">
                    <h2 id="state-h">{"Primitives"}</h2>
                    <StatePanel handle={p.handle.clone()} />
                </section>
                <section class="panel" aria-labelledby="timings-h">
                    <h2 id="timings-h">{"Timings"}</h2>
                    <Timings handle={p.handle.clone()} />
                </section>
            </div>
            <section class="panel code" aria-labelledby="code-h">
                <h2 id="code-h">{"The code"}</h2>
                <CodeView python_url={p.info.python_url()} rust_url={p.info.rust_url()} />
            </section>
        </div>
    }
}
