//! The last runs side by side: configuration, outcome, wall time and how it compares to
//! the oldest run listed.

use super::common::fmt_us;
use crate::views::timings::RunHistory as History;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RunHistoryProps {
    pub history: History,
}

#[function_component(RunHistory)]
pub fn run_history(p: &RunHistoryProps) -> Html {
    let runs = &p.history.runs;
    if runs.is_empty() {
        return html! {
            <section class="run-history" data-testid="run-history">
                <p class="help">{"Finished runs are listed here to compare."}</p>
            </section>
        };
    }
    let rel = p.history.relative_walls();
    let max_wall = runs.iter().map(|r| r.wall_us).max().unwrap_or(1).max(1) as f64;
    html! {
        <section class="run-history" data-testid="run-history">
            <table>
                <caption>{"Recent runs (oldest first)"}</caption>
                <thead><tr><th scope="col">{"#"}</th><th scope="col">{"Scenario"}</th><th scope="col">{"Settings"}</th>
                    <th scope="col">{"Outcome"}</th><th scope="col">{"Wall"}</th><th scope="col">{"vs first"}</th>
                    <th scope="col">{"Tasks"}</th><th scope="col">{"Events"}</th></tr></thead>
                <tbody>
                { for runs.iter().zip(rel).enumerate().map(|(i, (r, rel))| html! {
                    <tr data-testid="run-history-row">
                        <th scope="row">{i + 1}</th>
                        <td>{r.scenario.clone()}</td>
                        <td class="config"><code>{if r.config.is_empty() { "defaults".to_string() } else { r.config.clone() }}</code></td>
                        <td class={classes!("outcome", r.outcome.clone())}>{r.outcome.clone()}</td>
                        <td>
                            <div class="wallbar" aria-hidden="true"><span style={format!("width:{:.1}%", 100.0 * r.wall_us as f64 / max_wall)}></span></div>
                            {fmt_us(r.wall_us as f64)}
                        </td>
                        <td>{if rel > 0.0 { format!("{rel:.2}×") } else { "–".into() }}</td>
                        <td>{r.tasks}</td>
                        <td>{r.events}</td>
                    </tr>
                }) }
                </tbody>
            </table>
        </section>
    }
}
