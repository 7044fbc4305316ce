//! Small helpers the trace widgets share: worker colours, time formatting, sparklines.

use crate::engine::trace::WorkerId;
use crate::views::state::Point;
use crate::views::AppendLog;
use yew::prelude::*;

/// The palette class of a worker (`w0`..`w7` in styles.css, Okabe–Ito colours). Colour
/// is never the only cue: every place that uses it also shows the worker's name.
pub fn worker_class(w: WorkerId) -> String {
    format!("w{}", w % 8)
}

/// A duration in µs as a short human string: `850 µs`, `12.3 ms`, `4.56 s`.
pub fn fmt_us(us: f64) -> String {
    if !us.is_finite() {
        "–".into()
    } else if us.abs() < 1_000.0 {
        format!("{us:.0} µs")
    } else if us.abs() < 1_000_000.0 {
        format!("{:.1} ms", us / 1_000.0)
    } else {
        format!("{:.2} s", us / 1_000_000.0)
    }
}

/// A monotonic clock in milliseconds with sub-millisecond resolution (the page's
/// `performance.now()`), for frame budgets and throttling.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// A tiny line chart of a series, downsampled to one point per pixel column (the
/// highest value in the column, so a brief peak still shows).
pub fn sparkline(series: &AppendLog<Point>, width: u32, height: u32, label: &str) -> Html {
    let (Some(first), Some(last)) = (series.get(0), series.last()) else {
        return html! {};
    };
    let t0 = first.t_us;
    let span = last.t_us.saturating_sub(t0).max(1) as f64;
    let cols = width.max(2) as usize;
    let mut col_max: Vec<Option<i64>> = vec![None; cols];
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for p in series.iter() {
        let c = (((p.t_us.saturating_sub(t0)) as f64 / span) * (cols - 1) as f64) as usize;
        let slot = &mut col_max[c.min(cols - 1)];
        *slot = Some(slot.map_or(p.value, |v| v.max(p.value)));
        lo = lo.min(p.value);
        hi = hi.max(p.value);
    }
    lo = lo.min(0);
    let range = (hi - lo).max(1) as f64;
    let h = height as f64;
    let mut points = String::new();
    let mut prev: Option<i64> = None;
    for (c, v) in col_max.iter().enumerate() {
        // Hold the previous value across empty columns: the series is a step function.
        let Some(v) = v.or(prev) else { continue };
        prev = Some(v);
        let y = h - 1.0 - (v - lo) as f64 / range * (h - 2.0);
        points.push_str(&format!("{c},{y:.1} "));
    }
    html! {
        <svg class="sparkline" width={width.to_string()} height={height.to_string()}
            viewBox={format!("0 0 {width} {height}")} role="img"
            aria-label={format!("{label}: from {} to {}, peak {hi}", first.value, last.value)}>
            <polyline points={points} fill="none" stroke="currentColor" stroke-width="1.5" />
        </svg>
    }
}
