//! The speedup sweep: measured speedup against the number of workers, the ideal line
//! (speedup = k, flat past the cores) and the fitted Amdahl curve, with the same numbers
//! as a table.

use crate::views::timings::{amdahl_speedup, Sweep};
use yew::prelude::*;

const W: f64 = 420.0;
const H: f64 = 260.0;
const PAD_L: f64 = 40.0;
const PAD_B: f64 = 30.0;
const PAD_T: f64 = 10.0;
const PAD_R: f64 = 12.0;

#[derive(Properties, PartialEq)]
pub struct SpeedupChartProps {
    /// `views::timings::sweep_on(&[(workers, wall_seconds), ...], cores)`.
    pub sweep: Sweep,
    /// The heading of the table's time column: what each point timed.
    #[prop_or("Wall (s)")]
    pub time_column: &'static str,
}

#[function_component(SpeedupChart)]
pub fn speedup_chart(p: &SpeedupChartProps) -> Html {
    let rows = &p.sweep.rows;
    if rows.is_empty() {
        return html! {
            <section class="speedup" data-testid="speedup-chart">
                <p class="help">{"Run the sweep to measure speedup for 1, 2, … workers."}</p>
            </section>
        };
    }
    let k_max = rows.iter().map(|r| r.k).max().unwrap_or(1).max(2) as f64;
    let s_max = rows
        .iter()
        .map(|r| r.speedup)
        .filter(|s| s.is_finite())
        .fold(k_max, f64::max)
        .ceil();
    let x = |k: f64| PAD_L + (k - 1.0) / (k_max - 1.0) * (W - PAD_L - PAD_R);
    let y = |s: f64| H - PAD_B - (s / s_max) * (H - PAD_B - PAD_T);
    // Past the cores, more workers only take turns: the ideal and the law level off there.
    let knee = p
        .sweep
        .cores
        .map_or(k_max, |c| (c as f64).clamp(1.0, k_max));
    let amdahl_path = p.sweep.serial_fraction.map(|f| {
        (0..=60)
            .map(|i| {
                let k = 1.0 + (k_max - 1.0) * i as f64 / 60.0;
                format!("{:.1},{:.1}", x(k), y(amdahl_speedup(f, k.min(knee))))
            })
            .collect::<Vec<_>>()
            .join(" ")
    });
    let measured = rows
        .iter()
        .filter(|r| r.speedup.is_finite())
        .map(|r| format!("{:.1},{:.1}", x(r.k as f64), y(r.speedup)))
        .collect::<Vec<_>>()
        .join(" ");
    let y_ticks: Vec<f64> = {
        let step = (s_max / 5.0).ceil().max(1.0);
        (0..=5)
            .map(|i| i as f64 * step)
            .filter(|v| *v <= s_max)
            .collect()
    };
    let label = format!(
        "Speedup against workers: measured {}{}",
        rows.iter()
            .map(|r| format!("{:.2}× at {}", r.speedup, r.k))
            .collect::<Vec<_>>()
            .join(", "),
        p.sweep
            .serial_fraction
            .map(|f| format!("; Amdahl fit: {:.0}% serial", f * 100.0))
            .unwrap_or_default()
    );
    html! {
        <section class="speedup" data-testid="speedup-chart">
            <svg width={format!("{W}")} height={format!("{H}")} viewBox={format!("0 0 {W} {H}")} role="img" aria-label={label}>
                <g class="axis">
                    <line x1={format!("{PAD_L}")} x2={format!("{}", W - PAD_R)} y1={format!("{}", H - PAD_B)} y2={format!("{}", H - PAD_B)} />
                    <line x1={format!("{PAD_L}")} x2={format!("{PAD_L}")} y1={format!("{PAD_T}")} y2={format!("{}", H - PAD_B)} />
                    { for rows.iter().map(|r| html! {
                        <text x={format!("{:.1}", x(r.k as f64))} y={format!("{}", H - PAD_B + 14.0)} text-anchor="middle">{r.k}</text>
                    }) }
                    { for y_ticks.iter().map(|v| html! {
                        <text x={format!("{}", PAD_L - 4.0)} y={format!("{:.1}", y(*v) + 4.0)} text-anchor="end">{format!("{v:.0}×")}</text>
                    }) }
                    <text x={format!("{}", (W + PAD_L) / 2.0)} y={format!("{}", H - 2.0)} text-anchor="middle">{"workers"}</text>
                </g>
                if let Some(path) = amdahl_path {
                    <polyline class="amdahl" points={path} fill="none" />
                }
                // Over the fitted curve: with no serial part the two coincide, and the
                // dashes keep the ideal visible.
                <polyline class="ideal" fill="none" points={format!("{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
                    x(1.0), y(1.0), x(knee), y(knee), x(k_max), y(knee))} />
                <polyline class="measured" points={measured} fill="none" />
                { for rows.iter().filter(|r| r.speedup.is_finite()).map(|r| html! {
                    <circle class="measured-point" cx={format!("{:.1}", x(r.k as f64))} cy={format!("{:.1}", y(r.speedup))} r="4">
                        <title>{format!("{} workers: {:.2}× ({:.3} s)", r.k, r.speedup, r.wall_s)}</title>
                    </circle>
                }) }
            </svg>
            <ul class="chart-key" aria-hidden="true">
                <li class="measured">{"measured"}</li>
                <li class="ideal">{match p.sweep.cores {
                    Some(c) if (c as f64) < k_max => format!("ideal (k×, at most {c}× on {c} cores)"),
                    _ => "ideal (k×)".to_string(),
                }}</li>
                if let Some(f) = p.sweep.serial_fraction {
                    <li class="amdahl">{format!("Amdahl fit, {:.0}% serial", f * 100.0)}</li>
                }
            </ul>
            <table class="sweep-table" data-testid="sweep-table">
                <caption>{format!("Baseline (1 worker): {:.3} s", p.sweep.baseline_s)}</caption>
                <thead><tr><th scope="col">{"Workers"}</th><th scope="col">{p.time_column}</th><th scope="col">{"Speedup"}</th>
                    <th scope="col">{"Efficiency"}</th><th scope="col">{"Ideal"}</th><th scope="col">{"Amdahl"}</th></tr></thead>
                <tbody>
                { for rows.iter().map(|r| html! {
                    <tr>
                        <th scope="row">{r.k}</th>
                        <td>{format!("{:.3}", r.wall_s)}</td>
                        <td>{format!("{:.2}×", r.speedup)}</td>
                        <td>{format!("{:.0}%", r.efficiency * 100.0)}</td>
                        <td>{format!("{:.0}×", r.ideal)}</td>
                        <td>{r.amdahl.map(|a| format!("{a:.2}×")).unwrap_or_else(|| "–".into())}</td>
                    </tr>
                }) }
                </tbody>
            </table>
        </section>
    }
}
