//! The replay page (`#/replay`): a recorded run played back at any speed, with a scrubber
//! that goes forward and back. The console, timeline, state panel and timings are the
//! same widgets as a live run's, fed from the replay's views at the cursor.
//!
//! A run arrives either from a file (our own trace format, checked by `load_trace`) or
//! from the example page's "Replay this run", which leaves it in [`hand_off`].

use crate::scenarios::knob::parse_f64;
use crate::ui::frame::use_frame_loop;
use crate::ui::views_handle::ViewsHandle;
use crate::ui::widgets::common::fmt_us;
use crate::ui::widgets::console::Console;
use crate::ui::widgets::state_panel::StatePanel;
use crate::ui::widgets::timeline::Timeline;
use crate::ui::widgets::timings::Timings;
use crate::views::export::{load_trace, TraceFile, MAX_TRACE_BYTES};
use crate::views::replay::Replay;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

thread_local! {
    /// The run the example page wants replayed; taken once by the replay page.
    static HANDED_OFF: RefCell<Option<TraceFile>> = const { RefCell::new(None) };
}

/// Leave a run for the replay page to pick up when it opens.
pub fn hand_off(trace: TraceFile) {
    HANDED_OFF.with(|h| *h.borrow_mut() = Some(trace));
}

fn take_handed_off() -> Option<TraceFile> {
    HANDED_OFF.with(|h| h.borrow_mut().take())
}

pub const SPEEDS: [f64; 7] = [0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0];

/// What is loaded: the player and where the run came from.
struct Loaded {
    replay: RefCell<Replay>,
    scenario: String,
    config: String,
}

#[function_component(ReplayPage)]
pub fn replay_page() -> Html {
    let loaded = use_state(|| None::<Rc<Loaded>>);
    let views = use_state(ViewsHandle::default);
    let pos = use_state(|| 0usize);
    let playing = use_state(|| false);
    let speed = use_state(|| 1.0_f64);
    let error = use_state(|| None::<String>);
    let last_frame = use_mut_ref(|| None::<f64>);

    // Show the player's views at its cursor (cheap: the views' logs share chunks).
    let sync = {
        let (views, pos) = (views.clone(), pos.clone());
        move |l: &Loaded| {
            let r = l.replay.borrow();
            views.set(views.replace(r.views().clone()));
            pos.set(r.position());
        }
    };

    let load = {
        let (loaded, error, playing, sync) =
            (loaded.clone(), error.clone(), playing.clone(), sync.clone());
        Callback::from(move |trace: TraceFile| {
            let (scenario, config) = (trace.scenario.clone(), trace.config.clone());
            let mut replay = Replay::from_trace(trace);
            // Open at the end, the whole run in view; Play starts again from the top.
            let len = replay.len();
            replay.seek(len);
            let l = Rc::new(Loaded {
                replay: RefCell::new(replay),
                scenario,
                config,
            });
            sync(&l);
            loaded.set(Some(l));
            playing.set(false);
            error.set(None);
        })
    };

    {
        let load = load.clone();
        use_effect_with((), move |_| {
            if let Some(t) = take_handed_off() {
                load.emit(t);
            }
        });
    }

    {
        let (loaded, playing, speed, last_frame, sync) = (
            loaded.clone(),
            playing.clone(),
            speed.clone(),
            last_frame.clone(),
            sync.clone(),
        );
        use_frame_loop(Callback::from(move |t: f64| {
            let prev = last_frame.borrow_mut().replace(t);
            let (Some(l), true) = ((*loaded).clone(), *playing) else {
                return;
            };
            let elapsed_ms = prev.map(|p| t - p).unwrap_or(0.0).clamp(0.0, 100.0);
            let more = {
                let mut r = l.replay.borrow_mut();
                r.set_speed(*speed);
                r.advance(elapsed_ms * 1000.0)
            };
            sync(&l);
            if !more {
                playing.set(false);
            }
        }));
    }

    let on_file = {
        let (load, error) = (load.clone(), error.clone());
        Callback::from(move |e: Event| {
            let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() else {
                return;
            };
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            if file.size() > MAX_TRACE_BYTES as f64 {
                error.set(Some(format!(
                    "The file is {:.1} MB; trace files over {} MB are refused.",
                    file.size() / (1024.0 * 1024.0),
                    MAX_TRACE_BYTES / (1024 * 1024)
                )));
                return;
            }
            let (load, error) = (load.clone(), error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let bytes = match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                    Ok(buf) => js_sys::Uint8Array::new(&buf).to_vec(),
                    Err(_) => {
                        error.set(Some("The file could not be read.".into()));
                        return;
                    }
                };
                match load_trace(&bytes) {
                    Ok(t) => load.emit(t),
                    Err(m) => error.set(Some(m)),
                }
            });
        })
    };

    let control = |f: fn(&mut Replay, &mut bool)| {
        let (loaded, playing, sync) = (loaded.clone(), playing.clone(), sync.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(l) = &*loaded {
                let mut play = *playing;
                f(&mut l.replay.borrow_mut(), &mut play);
                sync(l);
                playing.set(play);
            }
        })
    };
    let on_play = control(|r, play| {
        if *play {
            *play = false;
        } else {
            if r.at_end() {
                r.seek(0);
            }
            *play = true;
        }
    });
    let on_start = control(|r, play| {
        r.seek(0);
        *play = false;
    });
    let on_back = control(|r, play| {
        r.step_back();
        *play = false;
    });
    let on_forward = control(|r, play| {
        r.step_forward();
        *play = false;
    });
    let on_end = control(|r, play| {
        let n = r.len();
        r.seek(n);
        *play = false;
    });
    let on_scrub = {
        let (loaded, playing, sync) = (loaded.clone(), playing.clone(), sync.clone());
        Callback::from(move |e: InputEvent| {
            let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() else {
                return;
            };
            if let (Some(l), Ok(to)) = (&*loaded, input.value().parse::<usize>()) {
                l.replay.borrow_mut().seek(to);
                sync(l);
                playing.set(false);
            }
        })
    };
    let on_speed = {
        let speed = speed.clone();
        Callback::from(move |e: Event| {
            if let Some(s) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                speed.set(parse_f64(&s.value()).unwrap_or(1.0));
            }
        })
    };

    let (len, time, duration, title) = match &*loaded {
        Some(l) => {
            let r = l.replay.borrow();
            let title = match crate::scenarios::runner::find(&l.scenario) {
                Some(s) => s.info.title.to_string(),
                None if l.scenario.is_empty() => "a recorded run".to_string(),
                None => l.scenario.clone(),
            };
            (r.len(), r.time_us(), r.duration_us(), title)
        }
        None => (0, 0, 0, String::new()),
    };
    let has = loaded.is_some();
    html! {
        <div class="replay" data-testid="replay" data-position={(*pos).to_string()} data-len={len.to_string()}
            data-playing={(*playing).to_string()}>
            <nav class="crumbs"><a href="#/">{"Catalogue"}</a>{" › Replay"}</nav>
            <h1>{"Replay a run"}</h1>
            <p class="promise">{"Watch a recorded run again at any speed, and scrub back and forth: every view is rebuilt from the trace."}</p>
            <label class="file-pick">{"Load a saved run (a \"Save run\" file, at most "}{MAX_TRACE_BYTES / (1024 * 1024)}{" MB): "}
                <input type="file" accept=".json,application/json" onchange={on_file} data-testid="replay-file" />
            </label>
            if let Some(m) = &*error {
                <div class="notice bad" role="alert" data-testid="replay-error">{m.clone()}</div>
            }
            if let Some(l) = &*loaded {
                <p data-testid="replay-title"><strong>{title}</strong>
                    if !l.config.is_empty() { {" with "}<code>{l.config.clone()}</code> }
                    {format!(" · {len} events")}</p>
            }
            <div class="replay-controls" role="group" aria-label="Player">
                <button type="button" onclick={on_start} disabled={!has} data-testid="replay-start">{"Start"}</button>
                <button type="button" onclick={on_back} disabled={!has} aria-label="One event back" data-testid="replay-back">{"◀ step"}</button>
                <button type="button" class="primary" onclick={on_play} disabled={!has} data-testid="replay-play">
                    {if *playing {"Pause"} else {"Play"}}</button>
                <button type="button" onclick={on_forward} disabled={!has} aria-label="One event forward" data-testid="replay-forward">{"step ▶"}</button>
                <button type="button" onclick={on_end} disabled={!has} data-testid="replay-end">{"End"}</button>
                <label>{"Speed "}
                    <select onchange={on_speed} data-testid="replay-speed">
                        { for SPEEDS.iter().map(|s| html! {
                            <option value={s.to_string()} selected={*s == *speed}>{format!("{s}×")}</option>
                        }) }
                    </select>
                </label>
                <input type="range" class="scrubber" min="0" max={len.to_string()} step="1" value={(*pos).to_string()}
                    oninput={on_scrub} disabled={!has} aria-label="Position in the run (events)"
                    aria-valuetext={format!("event {} of {len}, {}", *pos, fmt_us(time as f64))}
                    data-testid="replay-scrubber" />
                <span class="replay-time" data-testid="replay-time">
                    {format!("{} / {} · event {} of {len}", fmt_us(time as f64), fmt_us(duration as f64), *pos)}</span>
            </div>
            if has {
                <div class="run-views">
                    <section class="panel console-panel" aria-labelledby="r-console-h">
                        <h2 id="r-console-h">{"Console"}</h2>
                        <Console handle={(*views).clone()} />
                    </section>
                    <section class="panel timeline-panel" aria-labelledby="r-timeline-h">
                        <h2 id="r-timeline-h">{"Timeline"}</h2>
                        <Timeline handle={(*views).clone()} />
                    </section>
                    <div class="views-row">
                        <section class="panel" aria-labelledby="r-state-h">
                            <h2 id="r-state-h">{"Primitives"}</h2>
                            <StatePanel handle={(*views).clone()} />
                        </section>
                        <section class="panel" aria-labelledby="r-timings-h">
                            <h2 id="r-timings-h">{"Timings"}</h2>
                            <Timings handle={(*views).clone()} />
                        </section>
                    </div>
                </div>
            }
        </div>
    }
}
