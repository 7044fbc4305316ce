//! The live timeline: one lane per worker, spans coloured by what the worker was doing,
//! ticks for instant events, drawn as SVG while the run goes.
//!
//! The number of SVG elements stays bounded whatever the trace size: spans at least
//! `WIDE_PX` wide are drawn one by one (up to a cap per lane), narrower ones are pooled
//! into per-pixel columns and drawn as one path per kind and lane, and markers keep at most
//! one tick per pixel column. Hover details come from a `data-tip` attribute read by a
//! single listener and written straight into the tooltip's DOM, so moving the mouse
//! never re-renders thousands of elements.

use super::common::{fmt_us, worker_class};
use crate::engine::trace::WorkerId;
use crate::ui::views_handle::ViewsHandle;
use crate::views::picture::Frame;
use crate::views::timeline::{
    Marker, MarkerGroup, MarkerKind, Span, SpanKind, Timeline as TimelineView,
};
use gloo::events::EventListener;
use std::fmt::Write as _;
use web_sys::{Element, HtmlElement};
use yew::prelude::*;

const LABEL_W: f64 = 120.0;
const AXIS_H: f64 = 22.0;
const LANE_H: f64 = 28.0;
/// Spans at least this wide (px) are drawn individually.
const WIDE_PX: f64 = 3.0;
/// Most individual spans per lane; the rest are pooled like narrow ones.
const MAX_WIDE_PER_LANE: usize = 1_500;
/// Marker stretches at most this many pixels apart are drawn as one bar.
const MARKER_GAP_PX: usize = 2;
/// Narrowest window, in µs.
const MIN_SPAN_US: f64 = 20.0;

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub handle: ViewsHandle,
    /// Draw a vertical line at the moment of this event (a clicked console line).
    #[prop_or_default]
    pub highlight_seq: Option<u64>,
}

/// Which stretch of time is shown.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Window {
    /// The whole run so far, growing as it goes.
    Fit,
    Fixed {
        t0: f64,
        t1: f64,
    },
}

struct Drag {
    client_x: i32,
    t0: f64,
    t1: f64,
}

#[function_component(Timeline)]
pub fn timeline(p: &TimelineProps) -> Html {
    let container = use_node_ref();
    let tooltip = use_node_ref();
    let width = use_state(|| 900.0_f64);
    let window = use_state(|| Window::Fit);
    let drag = use_mut_ref(|| None::<Drag>);

    // Measure the width after every render (state changes only when it differs) and on
    // window resizes.
    {
        let (container, width) = (container.clone(), width.clone());
        use_effect(move || {
            if let Some(el) = container.cast::<Element>() {
                let w = el.client_width() as f64;
                if w > 0.0 && (w - *width).abs() > 1.0 {
                    width.set(w);
                }
            }
        });
    }
    {
        let (container, width) = (container.clone(), width.clone());
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|win| {
                EventListener::new(&win, "resize", move |_| {
                    if let Some(el) = container.cast::<Element>() {
                        width.set(el.client_width() as f64);
                    }
                })
            });
            move || drop(listener)
        });
    }

    let views = p.handle.borrow();
    let tl = &views.timeline;
    let full = full_range(tl);
    let (t0, t1) = match *window {
        Window::Fit => full,
        Window::Fixed { t0, t1 } => (t0, t1),
    };
    let plot_w = (*width - LABEL_W - 8.0).max(50.0);
    let scale = Scale { t0, t1, plot_w };

    // Bring a highlighted moment into view when it is outside a fixed window.
    let highlight_t = p.highlight_seq.and_then(|s| tl.time_of_seq(s));
    {
        let window = window.clone();
        use_effect_with(highlight_t, move |t| {
            if let (Some(t), Window::Fixed { t0, t1 }) = (*t, *window) {
                let t = t as f64;
                if t < t0 || t > t1 {
                    let half = (t1 - t0) / 2.0;
                    window.set(Window::Fixed {
                        t0: t - half,
                        t1: t + half,
                    });
                }
            }
        });
    }

    let set_window = {
        let window = window.clone();
        move |t0: f64, t1: f64| {
            let span = (t1 - t0).max(MIN_SPAN_US);
            window.set(Window::Fixed { t0, t1: t0 + span });
        }
    };
    let zoom = {
        let set_window = set_window.clone();
        move |factor: f64, anchor: f64| {
            let t = t0 + anchor * (t1 - t0);
            let span = ((t1 - t0) * factor).max(MIN_SPAN_US);
            set_window(t - anchor * span, t - anchor * span + span);
        }
    };
    let pan = {
        let set_window = set_window.clone();
        move |frac: f64| {
            let d = frac * (t1 - t0);
            set_window(t0 + d, t1 + d);
        }
    };
    let fit = {
        let window = window.clone();
        move || window.set(Window::Fit)
    };

    let button = |label: &'static str,
                  title: &'static str,
                  testid: &'static str,
                  f: Callback<MouseEvent>| {
        html! { <button type="button" onclick={f} title={title} aria-label={title} data-testid={testid}>{label}</button> }
    };
    let zoom_in = {
        let zoom = zoom.clone();
        Callback::from(move |_| zoom(0.5, 0.5))
    };
    let zoom_out = {
        let zoom = zoom.clone();
        Callback::from(move |_| zoom(2.0, 0.5))
    };
    let pan_left = {
        let pan = pan.clone();
        Callback::from(move |_| pan(-0.25))
    };
    let pan_right = {
        let pan = pan.clone();
        Callback::from(move |_| pan(0.25))
    };
    let fit_click = {
        let fit = fit.clone();
        Callback::from(move |_| fit())
    };

    let onkeydown = {
        let (zoom, pan, fit) = (zoom.clone(), pan.clone(), fit.clone());
        Callback::from(move |e: KeyboardEvent| {
            let handled = match e.key().as_str() {
                "ArrowLeft" => {
                    pan(-0.1);
                    true
                }
                "ArrowRight" => {
                    pan(0.1);
                    true
                }
                "+" | "=" | "ArrowUp" => {
                    zoom(0.8, 0.5);
                    true
                }
                "-" | "_" | "ArrowDown" => {
                    zoom(1.25, 0.5);
                    true
                }
                "f" | "F" | "0" | "Home" => {
                    fit();
                    true
                }
                _ => false,
            };
            if handled {
                e.prevent_default();
            }
        })
    };
    let onwheel = {
        let (zoom, pan, container) = (zoom.clone(), pan.clone(), container.clone());
        Callback::from(move |e: WheelEvent| {
            if e.ctrl_key() || e.meta_key() {
                e.prevent_default();
                let anchor = container
                    .cast::<Element>()
                    .map(|el| {
                        let r = el.get_bounding_client_rect();
                        ((e.client_x() as f64 - r.left() - LABEL_W) / plot_w).clamp(0.0, 1.0)
                    })
                    .unwrap_or(0.5);
                zoom(if e.delta_y() < 0.0 { 0.8 } else { 1.25 }, anchor);
            } else if e.shift_key() || e.delta_x().abs() > e.delta_y().abs() {
                e.prevent_default();
                let d = if e.delta_x() != 0.0 {
                    e.delta_x()
                } else {
                    e.delta_y()
                };
                pan(d.signum() * 0.05);
            }
        })
    };
    let onmousedown = {
        let drag = drag.clone();
        Callback::from(move |e: MouseEvent| {
            if e.button() == 0 {
                *drag.borrow_mut() = Some(Drag {
                    client_x: e.client_x(),
                    t0,
                    t1,
                });
            }
        })
    };
    let end_drag = {
        let (drag, tooltip) = (drag.clone(), tooltip.clone());
        Callback::from(move |_: MouseEvent| {
            drag.borrow_mut().take();
            hide_tip(&tooltip);
        })
    };
    let onmouseup = {
        let drag = drag.clone();
        Callback::from(move |_: MouseEvent| {
            drag.borrow_mut().take();
        })
    };
    let onmousemove = {
        let (drag, tooltip, set_window) = (drag.clone(), tooltip.clone(), set_window.clone());
        Callback::from(move |e: MouseEvent| {
            if let Some(d) = &*drag.borrow() {
                let dx = (e.client_x() - d.client_x) as f64;
                if dx.abs() >= 2.0 {
                    let dt = -dx / plot_w * (d.t1 - d.t0);
                    set_window(d.t0 + dt, d.t1 + dt);
                }
                return;
            }
            let tip = e
                .target_dyn_into::<Element>()
                .and_then(|el| el.get_attribute("data-tip"));
            match tip {
                Some(text) => show_tip(&tooltip, &text, e.client_x(), e.client_y()),
                None => hide_tip(&tooltip),
            }
        })
    };

    let lanes: Vec<WorkerId> = tl.lanes().map(|l| l.worker).collect();
    let height = AXIS_H + lanes.len() as f64 * LANE_H + 4.0;
    let total_w = LABEL_W + plot_w + 8.0;
    let summary = tl.summary();
    let following = matches!(*window, Window::Fit);

    html! {
        <section class="timeline" aria-label="Timeline" data-testid="timeline">
            <div class="timeline-bar" role="toolbar" aria-label="Timeline zoom and pan">
                { button("−", "Zoom out", "tl-zoom-out", zoom_out) }
                { button("+", "Zoom in", "tl-zoom-in", zoom_in) }
                { button("◀", "Pan left", "tl-pan-left", pan_left) }
                { button("▶", "Pan right", "tl-pan-right", pan_right) }
                <button type="button" onclick={fit_click} aria-pressed={following.to_string()} data-testid="tl-fit">{"Fit"}</button>
                <span class="help">{format!("{} shown · ctrl+wheel zooms, drag pans", fmt_us(t1 - t0))}</span>
            </div>
            <div class="timeline-plot" ref={container} tabindex="0"
                aria-label="Timeline chart: arrow keys pan, + and − zoom, F fits the whole run"
                {onkeydown} {onwheel} {onmousedown} {onmousemove} {onmouseup} onmouseleave={end_drag}>
                if lanes.is_empty() {
                    <p class="timeline-empty">{"The timeline appears when the run starts."}</p>
                } else {
                    <svg width={format!("{total_w}")} height={format!("{height}")} role="img"
                        aria-label="Timeline: one lane per worker; see the text version below"
                        data-testid="timeline-svg">
                        { axis(&scale, full.0, height) }
                        { for lanes.iter().enumerate().map(|(i, &w)| lane(tl, w, i, &scale)) }
                        { now_line(tl, &scale, height) }
                        if let Some(t) = highlight_t {
                            { highlight_line(t as f64, &scale, height) }
                        }
                    </svg>
                }
                <div class="timeline-tip" ref={tooltip} hidden=true role="tooltip"></div>
            </div>
            { legend(tl) }
            <details class="timeline-text" data-testid="timeline-text">
                <summary>{"Timeline as text"}</summary>
                <ul>{ for summary.into_iter().map(|s| html! { <li>{s}</li> }) }</ul>
            </details>
        </section>
    }
}

/// The run so far: start to now (at least 1 ms, so an empty run still has a scale).
fn full_range(tl: &TimelineView) -> (f64, f64) {
    let start = tl.run_start_us().unwrap_or(0) as f64;
    let end = (tl.run_end_us().unwrap_or(tl.now_us()) as f64).max(start + 1_000.0);
    (start, end)
}

#[derive(Clone, Copy)]
struct Scale {
    t0: f64,
    t1: f64,
    plot_w: f64,
}

impl Scale {
    fn x(&self, t: f64) -> f64 {
        LABEL_W + (t - self.t0) / (self.t1 - self.t0).max(1e-9) * self.plot_w
    }
    fn clamp_x(&self, x: f64) -> f64 {
        x.clamp(LABEL_W, LABEL_W + self.plot_w)
    }
}

/// Vertical band of a lane each kind occupies: (top offset, height).
fn band(kind: SpanKind) -> (f64, f64) {
    match kind {
        SpanKind::Lifetime => (12.0, 3.0),
        SpanKind::Task => (2.0, 22.0),
        SpanKind::Gil => (23.0, 4.0),
        _ => (6.0, 14.0),
    }
}

fn kind_class(kind: SpanKind) -> &'static str {
    match kind {
        SpanKind::Lifetime => "sk-life",
        SpanKind::Task => "sk-task",
        SpanKind::LockWait => "sk-lockwait",
        SpanKind::LockHold => "sk-lockhold",
        SpanKind::Gil => "sk-gil",
        SpanKind::QueueBlockedPut => "sk-qput",
        SpanKind::QueueBlockedGet => "sk-qget",
        SpanKind::Sleep => "sk-sleep",
        SpanKind::SemWait => "sk-semwait",
        SpanKind::SemHold => "sk-semhold",
        SpanKind::CondWait => "sk-condwait",
        SpanKind::EventWait => "sk-eventwait",
        SpanKind::BarrierWait => "sk-barrierwait",
        SpanKind::JoinWait => "sk-joinwait",
        SpanKind::ResultWait => "sk-resultwait",
    }
}

/// Paint order: background first, holds under the waits and the GIL strip on top.
fn layer(kind: SpanKind) -> u8 {
    match kind {
        SpanKind::Lifetime => 0,
        SpanKind::Task => 1,
        SpanKind::LockHold | SpanKind::SemHold => 2,
        SpanKind::Gil => 4,
        _ => 3,
    }
}

fn span_tip(tl: &TimelineView, w: WorkerId, s: &Span) -> String {
    let mut t = format!("{}: {}", tl.lane_name(w), s.kind.label());
    if let Some(o) = s.object {
        t.push_str(&format!(" · {}", tl.roster.object_name(o)));
    }
    if let Some(w) = s.joined() {
        t.push_str(&format!(" {}", tl.lane_name(w)));
    } else if let Some(task) = s.task {
        t.push_str(&format!(" · task {task}"));
    }
    t.push_str(&format!(" · {}", fmt_us(s.duration_us() as f64)));
    if s.is_open() {
        t.push_str(" (still going)");
    }
    t
}

fn marker_tip(tl: &TimelineView, w: WorkerId, m: &Marker) -> String {
    let what = match m.kind {
        MarkerKind::Put { item } => format!("put item {item}"),
        MarkerKind::Get { item } => format!("got item {item}"),
        MarkerKind::Print => "print".into(),
        MarkerKind::Log => "log record".into(),
        MarkerKind::EventSet => "event set".into(),
        MarkerKind::EventClear => "event cleared".into(),
        MarkerKind::Notify { n } => format!("notify({n})"),
        MarkerKind::Submit { task } => format!("submitted task {task}"),
        MarkerKind::BarrierPass => "passed the barrier".into(),
        MarkerKind::Serialize { bytes, us } => {
            format!("pickled {bytes} B in {}", fmt_us(us as f64))
        }
        MarkerKind::Deserialize { bytes, us } => {
            format!("unpickled {bytes} B in {}", fmt_us(us as f64))
        }
    };
    let obj = m
        .object
        .map(|o| format!(" · {}", tl.roster.object_name(o)))
        .unwrap_or_default();
    format!("{}: {what}{obj}", tl.lane_name(w))
}

/// One lane: label, spans (wide ones individually, narrow ones pooled) and markers, from
/// the lane's picture (see `views::picture`: bounded work whatever the trace's size).
fn lane(tl: &TimelineView, w: WorkerId, index: usize, sc: &Scale) -> Html {
    let y = AXIS_H + index as f64 * LANE_H;
    let frame = Frame {
        t0: sc.t0,
        t1: sc.t1,
        plot_w: sc.plot_w,
        wide_px: WIDE_PX,
        max_wide: MAX_WIDE_PER_LANE,
    };
    let pic = tl.picture(w, &frame);

    let mut wide: Vec<(u8, Html)> = Vec::new();
    for s in &pic.wide {
        let x0 = sc.clamp_x(sc.x(s.start_us as f64));
        let x1 = sc.clamp_x(sc.x(s.end_us as f64));
        let (dy, h) = band(s.kind);
        let class = classes!("span", kind_class(s.kind), s.is_open().then_some("open"));
        wide.push((
            layer(s.kind),
            html! {
                <rect class={class} x={format!("{x0:.1}")} y={format!("{:.1}", y + dy)}
                    width={format!("{:.1}", x1 - x0)} height={format!("{h}")}
                    data-tip={span_tip(tl, w, s)} />
            },
        ));
    }
    // Each kind's pooled columns are one path per lane: a lock lesson's lanes hold hundreds
    // of runs, and as separate rects every redraw re-set hundreds of attributes as the
    // scale moved.
    for p in &pic.pooled {
        let (dy, h) = band(p.kind);
        let top = y + dy;
        let mut d = String::new();
        let mut count = 0u64;
        let mut c = 0;
        while c < p.covered.len() {
            if !p.covered[c] {
                c += 1;
                continue;
            }
            let start = c;
            while c < p.covered.len() && p.covered[c] {
                count += p.starts[c] as u64;
                c += 1;
            }
            let x = LABEL_W + start as f64;
            let width = (c - start).max(1);
            // Writing into the one string: no allocation per run.
            let _ = write!(d, "M{x} {top:.1}h{width}v{h}h-{width}z");
        }
        if d.is_empty() {
            continue;
        }
        let tip = match count {
            0 => format!(
                "{}: part of a short {} span",
                tl.lane_name(w),
                p.kind.label()
            ),
            1 => format!(
                "{}: 1 short {} span (zoom in for details)",
                tl.lane_name(w),
                p.kind.label()
            ),
            n => format!(
                "{}: {n} short {} spans, too narrow to draw one by one (zoom in for details)",
                tl.lane_name(w),
                p.kind.label()
            ),
        };
        wide.push((
            layer(p.kind),
            html! {
                <path class={classes!("span", kind_class(p.kind), "pooled")} d={d} data-tip={tip} />
            },
        ));
    }
    wide.sort_by_key(|(l, _)| *l);

    // Markers: a lone tick keeps its own details; a stretch of neighbouring columns
    // with markers (a flood of prints, say) is one bar, so a flood stays a few elements.
    let mut ticks = Vec::new();
    // Stretches a couple of pixels apart are one bar: the gap carries no information at
    // this zoom, and a flood in bursts would otherwise cost hundreds of elements.
    let mut i = 0;
    while i < pic.ticks.len() {
        let (c0, m) = pic.ticks[i];
        let stretch_end = |c: usize| {
            let mut c1 = c;
            while c1 + 1 < pic.marks_per_col.len() && pic.marks_per_col[c1 + 1] > 0 {
                c1 += 1;
            }
            c1
        };
        let mut c1 = stretch_end(c0);
        i += 1;
        while i < pic.ticks.len() && pic.ticks[i].0 <= c1 + MARKER_GAP_PX + 1 {
            c1 = stretch_end(pic.ticks[i].0);
            i += 1;
        }
        let class = marker_class(&m);
        if c1 == c0 && pic.marks_per_col[c0] == 1 {
            let x = sc.x(m.t_us as f64);
            ticks.push(html! {
                <rect class={classes!("marker", class)} x={format!("{:.1}", x - 0.75)} y={format!("{:.1}", y)}
                    width="1.5" height="6" data-tip={marker_tip(tl, w, &m)} />
            });
        } else {
            let n: u64 = pic.marks_per_col[c0..=c1].iter().map(|&n| n as u64).sum();
            let tip = format!("{}: {n} events here (zoom in for details)", tl.lane_name(w));
            ticks.push(html! {
                <rect class={classes!("marker", class, "pooled")} x={format!("{}", LABEL_W + c0 as f64)}
                    y={format!("{:.1}", y)} width={format!("{}", (c1 + 1 - c0).max(2))} height="6" data-tip={tip} />
            });
        }
    }

    let name = tl.lane_name(w);
    html! {
        <g class={classes!("lane", worker_class(w))} data-testid="timeline-lane" data-worker={name.clone()}>
            <rect class="lane-bg" x={format!("{LABEL_W}")} y={format!("{y}")}
                width={format!("{}", sc.plot_w)} height={format!("{LANE_H}")} />
            <text class="lane-label" x="4" y={format!("{:.1}", y + LANE_H / 2.0 + 4.0)}>
                { truncate(&name, 16) }
            </text>
            { for wide.into_iter().map(|(_, h)| h) }
            { for ticks }
        </g>
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

fn marker_class(m: &Marker) -> &'static str {
    group_style(m.kind.group()).0
}

/// A marker group's class and legend label.
fn group_style(g: MarkerGroup) -> (&'static str, &'static str) {
    match g {
        MarkerGroup::Put => ("mk-put", "put on a queue"),
        MarkerGroup::Get => ("mk-get", "got from a queue"),
        MarkerGroup::Output => ("mk-print", "print or log"),
        MarkerGroup::Other => ("mk-other", "other event (hover for which)"),
    }
}

/// Time axis: ticks at 1, 2 or 5 × 10^n µs, labelled from the run's start.
fn axis(sc: &Scale, origin: f64, height: f64) -> Html {
    let span = (sc.t1 - sc.t0).max(1e-9);
    let rough = span / (sc.plot_w / 110.0).max(1.0);
    let mag = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * mag)
        .max(1.0);
    let first = ((sc.t0 - origin) / step).ceil() * step + origin;
    let mut ticks = Vec::new();
    let mut t = first;
    while t <= sc.t1 && ticks.len() < 40 {
        let x = sc.x(t);
        ticks.push(html! {
            <g class="tick">
                <line x1={format!("{x:.1}")} x2={format!("{x:.1}")} y1={format!("{}", AXIS_H - 4.0)} y2={format!("{height}")} />
                <text x={format!("{:.1}", x + 2.0)} y="12">{fmt_us(t - origin)}</text>
            </g>
        });
        t += step;
    }
    html! { <g class="axis">{ for ticks }</g> }
}

fn now_line(tl: &TimelineView, sc: &Scale, height: f64) -> Html {
    if tl.run_end_us().is_some() {
        return html! {};
    }
    let x = sc.x(tl.now_us() as f64);
    if x < LABEL_W || x > LABEL_W + sc.plot_w {
        return html! {};
    }
    html! { <line class="tl-now" x1={format!("{x:.1}")} x2={format!("{x:.1}")} y1={format!("{AXIS_H}")} y2={format!("{height}")} /> }
}

fn highlight_line(t: f64, sc: &Scale, height: f64) -> Html {
    let x = sc.x(t);
    if x < LABEL_W || x > LABEL_W + sc.plot_w {
        return html! {};
    }
    html! {
        <line class="tl-highlight" data-testid="timeline-highlight" x1={format!("{x:.1}")} x2={format!("{x:.1}")}
            y1="0" y2={format!("{height}")} />
    }
}

/// The kinds of span this run has drawn (fifteen swatches for a run that uses two only
/// send the learner looking for the other thirteen).
fn legend(tl: &TimelineView) -> Html {
    let kinds = SpanKind::ALL
        .iter()
        .filter(|k| **k != SpanKind::Lifetime)
        .filter(|k| tl.lanes().any(|l| l.has_seen(**k)));
    // The ticks too: unexplained, a learner cannot tell a put from a print.
    let marks = MarkerGroup::ALL
        .into_iter()
        .filter(|g| tl.lanes().any(|l| l.has_marked(*g)))
        .map(group_style);
    html! {
        <ul class="timeline-legend" aria-label="Legend">
            { for kinds.map(|k| html! {
                <li>
                    <svg width="18" height="12" aria-hidden="true">
                        <rect class={classes!("span", kind_class(*k))} x="0" y="0" width="18" height="12" />
                    </svg>
                    {k.label()}
                </li>
            }) }
            { for marks.map(|(class, label)| html! {
                <li>
                    <svg width="18" height="12" aria-hidden="true">
                        <rect class={classes!("marker", class)} x="8" y="3" width="2" height="6" />
                    </svg>
                    {label}
                </li>
            }) }
        </ul>
    }
}

fn show_tip(tooltip: &NodeRef, text: &str, x: i32, y: i32) {
    if let Some(el) = tooltip.cast::<HtmlElement>() {
        el.set_text_content(Some(text));
        let _ = el.set_attribute("style", &format!("left:{}px;top:{}px", x + 14, y + 14));
        el.set_hidden(false);
    }
}

fn hide_tip(tooltip: &NodeRef) {
    if let Some(el) = tooltip.cast::<HtmlElement>() {
        el.set_hidden(true);
    }
}
