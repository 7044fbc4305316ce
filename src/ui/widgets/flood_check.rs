//! "Can this browser keep up?": the pool's workers print, together, a chosen number of
//! lines a second for a chosen time, and the page shows them through the same console
//! and timeline as every lesson, fed the same way (`ui::live_feed`). Afterwards it says
//! how many lines arrived, how many were lost, the rate reached, the longest gap between
//! two frames (a long task shows up as one) and how long lines took to reach the screen.
//!
//! Teachers use it to check a classroom machine; the tests and the benchmark use it to
//! measure the page under a flood of the size the goals name.

use crate::engine::trace::Outcome;
use crate::runtime::session::{self, LiveRun};
use crate::scenarios::knob::parse_f64;
use crate::scenarios::smoke;
use crate::ui::frame::use_frame_loop;
use crate::ui::live_feed::Feed;
use crate::ui::pages::example::RunState;
use crate::ui::views_handle::ViewsHandle;
use crate::ui::widgets::common::now_ms;
use crate::ui::widgets::console::Console;
use crate::ui::widgets::timeline::Timeline;
use crate::views::console::Filter;
use crate::views::Views;
use web_sys::HtmlInputElement;
use yew::prelude::*;

const RATE: (f64, f64, f64) = (1_000.0, 1_000_000.0, 100_000.0);
const SECS: (f64, f64, f64) = (1.0, 60.0, 10.0);

#[derive(Clone, PartialEq, Default)]
struct Report {
    expected: u64,
    lines: u64,
    dropped: u64,
    wall_s: f64,
    worst_gap_ms: f64,
    p95_latency_ms: f64,
}

/// What the page measures while a flood runs.
#[derive(Clone, Default)]
struct Meter {
    started_ms: f64,
    /// Lines the workers will print in all.
    expected: u64,
    worst_gap_ms: f64,
    last_frame_ms: f64,
    /// Events the recorder reported dropped.
    dropped: u64,
}

/// A number typed by the learner, clamped to its range; a note says what was changed.
fn parse(raw: &str, (lo, hi, default): (f64, f64, f64), what: &str) -> (f64, Option<String>) {
    match parse_f64(&raw.trim().replace('_', "")) {
        Some(v) if v.is_finite() && (lo..=hi).contains(&v) => (v, None),
        Some(v) if v.is_finite() => {
            let c = v.clamp(lo, hi);
            (
                c,
                Some(format!("{what} must be between {lo} and {hi}; using {c}.")),
            )
        }
        _ => (
            default,
            Some(format!(
                "{what}: \"{raw}\" is not a number; using {default}."
            )),
        ),
    }
}

#[function_component(FloodCheck)]
pub fn flood_check() -> Html {
    let rate_raw = use_state(|| RATE.2.to_string());
    let secs_raw = use_state(|| SECS.2.to_string());
    let message = use_state(|| None::<String>);
    let state = use_state(|| RunState::Idle);
    let views = use_state(ViewsHandle::default);
    let report = use_state(|| None::<Report>);
    let live = use_mut_ref(|| None::<LiveRun>);
    let feed = use_mut_ref(Feed::default);
    let meter = use_mut_ref(Meter::default);

    {
        let (live, feed, views, state, report, meter) = (
            live.clone(),
            feed.clone(),
            views.clone(),
            state.clone(),
            report.clone(),
            meter.clone(),
        );
        use_frame_loop(Callback::from(move |_t: f64| {
            let Some(run) = live.borrow().clone() else {
                return;
            };
            let now = now_ms();
            {
                let mut m = meter.borrow_mut();
                if m.last_frame_ms > 0.0 {
                    m.worst_gap_ms = m.worst_gap_ms.max(now - m.last_frame_ms);
                }
                m.last_frame_ms = now;
            }
            let fed = feed.borrow_mut().frame(&run, &views, None, false);
            meter.borrow_mut().dropped += fed.dropped;
            if let Some(h) = fed.redraw {
                views.set(h);
            }
            let Some(outcome) = fed.ended else { return };
            live.borrow_mut().take();
            let m = meter.borrow().clone();
            let mut lat = feed.borrow().latencies_us().to_vec();
            lat.sort_unstable();
            let p95 = lat
                .get(((lat.len() as f64 - 1.0) * 0.95).max(0.0) as usize)
                .copied()
                .unwrap_or(0);
            let lines = {
                let v = views.borrow();
                (v.console.filtered_len(Filter::All) - v.console.notice_count()) as u64
            };
            report.set(Some(Report {
                expected: m.expected,
                lines,
                dropped: m.dropped,
                wall_s: (now - m.started_ms) / 1e3,
                worst_gap_ms: m.worst_gap_ms,
                p95_latency_ms: p95 as f64 / 1e3,
            }));
            state.set(match outcome {
                Outcome::Done => RunState::Done,
                Outcome::Cancelled => RunState::Cancelled,
                Outcome::Failed(_) => RunState::Failed,
            });
        }));
    }

    let on_start = {
        let (rate_raw, secs_raw, message, state, views, report, live, feed, meter) = (
            rate_raw.clone(),
            secs_raw.clone(),
            message.clone(),
            state.clone(),
            views.clone(),
            report.clone(),
            live.clone(),
            feed.clone(),
            meter.clone(),
        );
        Callback::from(move |_| {
            let (rate, m1) = parse(&rate_raw, RATE, "Lines per second");
            let (secs, m2) = parse(&secs_raw, SECS, "Seconds");
            let notes: Vec<String> = m1.into_iter().chain(m2).collect();
            message.set((!notes.is_empty()).then(|| notes.join(" ")));
            let workers = session::with(|s| s.pool().map(|p| p.current_num_threads()).unwrap_or(1));
            let launched = session::act(|s| {
                s.launch("flood", move |ctx, pool| {
                    smoke::flood(ctx, pool, workers, rate, secs)
                })
            });
            match launched {
                Ok(run) => {
                    *live.borrow_mut() = Some(run);
                    feed.borrow_mut().reset();
                    // Each worker prints floor(its share x seconds) lines.
                    let per = ((rate / workers as f64) * secs) as u64;
                    *meter.borrow_mut() = Meter {
                        started_ms: now_ms(),
                        expected: per * workers as u64,
                        ..Meter::default()
                    };
                    views.set(views.replace(Views::new()));
                    report.set(None);
                    state.set(RunState::Running);
                }
                Err(m) => {
                    message.set(Some(m));
                    state.set(RunState::Failed);
                }
            }
        })
    };
    let on_cancel = {
        let live = live.clone();
        Callback::from(move |_| {
            if let Some(run) = &*live.borrow() {
                run.ctx.cancel();
            }
        })
    };
    let input = |value: &UseStateHandle<String>| {
        let value = value.clone();
        Callback::from(move |e: InputEvent| {
            value.set(e.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let running = *state == RunState::Running;
    html! {
        <section class="flood" data-flood-state={state.as_str()} aria-labelledby="flood-h">
            <h2 id="flood-h">{"Can this browser keep up? A flood of output"}</h2>
            <p>{"The pool's workers print, together, this many lines a second for this long. The page shows every line in the same console and timeline as the lessons."}</p>
            <div class="flood-knobs">
                <label>{"Lines per second "}
                    <input type="number" min="1000" max="1000000" step="1000" value={(*rate_raw).clone()}
                        oninput={input(&rate_raw)} disabled={running} data-testid="flood-rate" />
                </label>
                <label>{"Seconds "}
                    <input type="number" min="1" max="60" value={(*secs_raw).clone()}
                        oninput={input(&secs_raw)} disabled={running} data-testid="flood-secs" />
                </label>
                <button onclick={on_start} disabled={running} data-testid="flood-run">{"Start the flood"}</button>
                <button onclick={on_cancel} disabled={!running} data-testid="flood-cancel">{"Cancel"}</button>
            </div>
            if let Some(m) = &*message {
                <div class="notice" role="status" data-testid="flood-message">{m.clone()}</div>
            }
            if let Some(r) = &*report {
                <dl class="flood-report" data-testid="flood-report"
                    data-lines={r.lines.to_string()} data-expected={r.expected.to_string()}
                    data-dropped={r.dropped.to_string()} data-worst-gap-ms={format!("{:.0}", r.worst_gap_ms)}
                    data-p95-ms={format!("{:.0}", r.p95_latency_ms)}>
                    <dt>{"Lines shown"}</dt>
                    <dd>{format!("{} of {} printed", r.lines, r.expected)}</dd>
                    <dt>{"Lost"}</dt>
                    <dd>{if r.dropped == 0 { "none".to_string() } else { format!("{} events", r.dropped) }}</dd>
                    <dt>{"Rate reached"}</dt>
                    <dd>{format!("{:.0} lines/s over {:.1} s", r.lines as f64 / r.wall_s.max(1e-9), r.wall_s)}</dd>
                    <dt>{"Longest gap between frames"}</dt>
                    <dd>{format!("{:.0} ms (a task over 50 ms makes the page feel stuck)", r.worst_gap_ms)}</dd>
                    <dt>{"Line to screen, 95th percentile"}</dt>
                    <dd>{format!("{:.0} ms", r.p95_latency_ms)}</dd>
                </dl>
            }
            <div class="run-views">
                <section class="panel console-panel" aria-label="Flood output">
                    <Console handle={(*views).clone()} />
                </section>
                <section class="panel timeline-panel" aria-label="Flood timeline">
                    <Timeline handle={(*views).clone()} />
                </section>
            </div>
        </section>
    }
}
