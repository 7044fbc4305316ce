//! Timings of the current run: wall time, throughput, the per-task latency distribution,
//! where each worker's time went, and the figures the scenario measured.

use super::common::{fmt_us, worker_class};
use crate::ui::views_handle::ViewsHandle;
use crate::views::timings::{Timings as TimingsView, WorkerTime};
use yew::prelude::*;

const BINS: usize = 20;
const HIST_W: f64 = 360.0;
const HIST_H: f64 = 90.0;

/// One `EventKind::Figure` of the run: (key, value, unit, text). The views do not keep
/// them, so the page collects them from the events it drains.
pub type Figure = (String, f64, String, String);

#[derive(Properties, PartialEq)]
pub struct TimingsProps {
    pub handle: ViewsHandle,
    #[prop_or_default]
    pub figures: Vec<Figure>,
}

#[function_component(Timings)]
pub fn timings(p: &TimingsProps) -> Html {
    let views = p.handle.borrow();
    let t = &views.timings;
    let workers = TimingsView::worker_times(&views.timeline);
    let latency = t.latency();
    // Task counts mean something only where a pool runs tasks; a run of plain workers
    // would read "0 tasks, 0.0 tasks/s" beside work that plainly happened.
    let has_tasks = !t.tasks().is_empty() || t.tasks_running() > 0;
    let has_gil = workers.iter().any(|w| w.gil_us > 0);
    html! {
        <section class="timings" aria-label="Timings" data-testid="timings">
            <dl class="timings-summary">
                <div><dt>{"Wall time"}</dt><dd data-testid="wall-time">{fmt_us(t.wall_us() as f64)}</dd></div>
                if has_tasks {
                    <div><dt>{"Tasks done"}</dt><dd data-testid="tasks-done">
                        {t.tasks().len()}
                        if t.tasks_running() > 0 { {format!(" (+{} running)", t.tasks_running())} }
                    </dd></div>
                    <div><dt>{"Throughput"}</dt><dd data-testid="throughput">{format!("{:.1} tasks/s", t.throughput_per_s())}</dd></div>
                }
                if let Some(l) = latency {
                    <div><dt>{"Task latency"}</dt><dd data-testid="latency">
                        {format!("min {} · p50 {} · p95 {} · max {}", fmt_us(l.min as f64), fmt_us(l.p50 as f64), fmt_us(l.p95 as f64), fmt_us(l.max as f64))}
                    </dd></div>
                }
            </dl>
            if !p.figures.is_empty() {
                <ul class="figures" data-testid="figures">
                    { for p.figures.iter().map(|(key, value, unit, text)| html! {
                        <li data-key={key.clone()}>
                            <strong>{format_value(*value, unit)}</strong>{" "}{text.clone()}
                        </li>
                    }) }
                </ul>
            }
            { histogram(t) }
            if !workers.is_empty() {
                <table class="worker-times" data-testid="worker-times">
                    <caption>{"Where each worker's time went"}</caption>
                    <thead><tr><th scope="col">{"Worker"}</th>
                        if has_tasks { <th scope="col">{"Tasks"}</th> }
                        <th scope="col" title={BUSY_MEANS}>{"Busy"}</th>
                        <th scope="col" title="Blocked on a lock, queue, condition, event, semaphore, barrier, join or result">{"Waiting"}</th>
                        <th scope="col" title="In time.sleep, or an I/O wait standing for one">{"Sleeping"}</th>
                        if has_gil { <th scope="col">{"GIL"}</th> }
                        <th scope="col">{"Share"}</th></tr></thead>
                    <tbody>
                    { for workers.iter().map(|w| {
                        html! {
                            <tr>
                                <th scope="row"><span class={classes!("chip", worker_class(w.worker))}>{w.name.clone()}</span></th>
                                if has_tasks { <td>{w.tasks}</td> }
                                <td>{fmt_us(w.busy_us as f64)}</td>
                                <td>{fmt_us(w.waiting_us as f64)}</td>
                                <td>{fmt_us(w.sleeping_us as f64)}</td>
                                if has_gil { <td>{fmt_us(w.gil_us as f64)}</td> }
                                <td>{ share_bar(w) }</td>
                            </tr>
                        }
                    }) }
                    </tbody>
                </table>
            }
        </section>
    }
}

const BUSY_MEANS: &str = "Running code: neither waiting nor sleeping (a pool's worker only counts its tasks: it is idle between them)";

/// Busy, waiting and sleeping as shares of the worker's life; what is left of a pool
/// worker's bar is its idle time.
fn share_bar(w: &WorkerTime) -> Html {
    let alive = w.alive_us.max(1) as f64;
    let mut left = 100.0;
    let mut part = |us: u64| {
        let pct = (100.0 * us as f64 / alive).clamp(0.0, left);
        left -= pct;
        pct
    };
    let (busy, waiting, sleeping) = (part(w.busy_us), part(w.waiting_us), part(w.sleeping_us));
    html! {
        <div class="share" role="img" aria-label={format!("busy {busy:.0}%, waiting {waiting:.0}%, sleeping {sleeping:.0}%")}>
            <span class="busy" style={format!("width:{busy:.1}%")}></span>
            <span class="waiting" style={format!("width:{waiting:.1}%")}></span>
            <span class="sleeping" style={format!("width:{sleeping:.1}%")}></span>
        </div>
    }
}

fn format_value(v: f64, unit: &str) -> String {
    let num = if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    };
    if unit.is_empty() {
        num
    } else {
        format!("{num} {unit}")
    }
}

/// Latency histogram as SVG bars, with a text caption of the same numbers.
fn histogram(t: &TimingsView) -> Html {
    let bins = t.latency_histogram(BINS);
    let Some(peak) = bins.iter().map(|b| b.count).max().filter(|&m| m > 0) else {
        return html! {};
    };
    let bar_w = HIST_W / bins.len() as f64;
    let bars = bins.iter().enumerate().map(|(i, b)| {
        let h = (b.count as f64 / peak as f64) * (HIST_H - 14.0);
        html! {
            <rect class="bar" x={format!("{:.1}", i as f64 * bar_w + 0.5)} y={format!("{:.1}", HIST_H - 14.0 - h)}
                width={format!("{:.1}", (bar_w - 1.0).max(0.5))} height={format!("{h:.1}")}>
                <title>{format!("{}–{}: {} task(s)", fmt_us(b.lo_us as f64), fmt_us(b.hi_us as f64), b.count)}</title>
            </rect>
        }
    });
    let (lo, hi) = (bins[0].lo_us, bins[bins.len() - 1].hi_us);
    html! {
        <figure class="histogram" data-testid="latency-histogram">
            <svg width={format!("{HIST_W}")} height={format!("{HIST_H}")} viewBox={format!("0 0 {HIST_W} {HIST_H}")}
                role="img" aria-label={format!("Task latency histogram from {} to {}, tallest bar {peak} tasks", fmt_us(lo as f64), fmt_us(hi as f64))}>
                { for bars }
                <text x="0" y={format!("{}", HIST_H - 2.0)}>{fmt_us(lo as f64)}</text>
                <text x={format!("{HIST_W}")} y={format!("{}", HIST_H - 2.0)} text-anchor="end">{fmt_us(hi as f64)}</text>
            </svg>
            <figcaption>{"Per-task latency (start to end)"}</figcaption>
        </figure>
    }
}
