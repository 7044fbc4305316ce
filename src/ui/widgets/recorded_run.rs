//! "Replay a recorded run": the fallback when live workers cannot start.
//!
//! The site ships one run of every scenario in `recordings/<id>.json`, made by the real
//! engine at build time (`playground record-all`). This button fetches the example's
//! recording from the page's own origin, checks it like any loaded file, and opens the
//! replay page with it.

use crate::ui::app::Route;
use crate::ui::fetch::fetch_bytes;
use crate::views::export::{load_trace, TraceFile};
use yew::prelude::*;

/// Where the recordings are served, relative to the page.
pub const RECORDINGS_DIR: &str = "recordings";

async fn fetch_recording(scenario: &str) -> Result<TraceFile, String> {
    let bytes = fetch_bytes(&format!("{RECORDINGS_DIR}/{scenario}.json"), "recorded run").await?;
    let trace = load_trace(&bytes)?;
    if trace.scenario != scenario {
        return Err(format!(
            "the recording is of `{}`, not `{scenario}`",
            trace.scenario
        ));
    }
    Ok(trace)
}

#[derive(Properties, PartialEq)]
pub struct RecordedRunProps {
    pub scenario: AttrValue,
}

/// A button that replays the shipped recording of `scenario`.
#[function_component(ReplayRecordedRun)]
pub fn replay_recorded_run(p: &RecordedRunProps) -> Html {
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    let onclick = {
        let (busy, error, scenario) = (busy.clone(), error.clone(), p.scenario.clone());
        Callback::from(move |_: MouseEvent| {
            busy.set(true);
            error.set(None);
            let (busy, error, scenario) = (busy.clone(), error.clone(), scenario.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match fetch_recording(&scenario).await {
                    Ok(trace) => {
                        crate::ui::pages::replay::hand_off(trace);
                        crate::ui::app::navigate(&Route::Replay);
                    }
                    Err(m) => error.set(Some(m)),
                }
                busy.set(false);
            });
        })
    };
    html! {
        <>
            <button type="button" {onclick} disabled={*busy} data-testid="replay-recording">
                {if *busy {"Loading the recorded run…"} else {"Replay a recorded run"}}</button>
            if let Some(m) = &*error {
                <span class="notice bad" role="alert" data-testid="recording-error">{m.clone()}</span>
            }
        </>
    }
}
