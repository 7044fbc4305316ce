//! The primitive state panel: one card per lock, semaphore, queue, event, condition,
//! barrier and shared value of the run, plus the scenario's counters, each with a text line a screen
//! reader can follow (`StatePanel::describe`).

use super::common::{sparkline, worker_class};
use crate::engine::trace::{ObjectKind, WorkerId};
use crate::ui::views_handle::ViewsHandle;
use crate::views::state::{ObjectView, StatePanel as StateView};
use yew::prelude::*;

/// Cards beyond this many are summarised (a run may create thousands of objects).
const MAX_CARDS: usize = 48;
/// Queue slots drawn; the rest are counted.
const MAX_SLOTS: usize = 32;

#[derive(Properties, PartialEq)]
pub struct StatePanelProps {
    pub handle: ViewsHandle,
}

#[function_component(StatePanel)]
pub fn state_panel(p: &StatePanelProps) -> Html {
    let views = p.handle.borrow();
    let st = &views.state;
    // The GIL, stdout and pool objects are shown elsewhere (timeline, console).
    let shown: Vec<&ObjectView> = st
        .objects()
        .filter(|o| {
            !matches!(
                o.kind,
                Some(ObjectKind::Stdout | ObjectKind::Pool | ObjectKind::Manager)
            )
        })
        // A value's own lock is shown on the value's card.
        .filter(|o| o.part_of.is_none())
        .collect();
    let counters: Vec<_> = st.counters().collect();
    if shown.is_empty() && counters.is_empty() {
        return html! {
            <section class="state-panel" aria-label="Primitive state" data-testid="state-panel">
                <p class="help">{"Locks, queues and other primitives appear here when the run creates them."}</p>
            </section>
        };
    }
    let hidden = shown.len().saturating_sub(MAX_CARDS);
    html! {
        <section class="state-panel" aria-label="Primitive state" data-testid="state-panel">
            <div class="state-cards">
                { for shown.iter().take(MAX_CARDS).map(|o| card(st, o)) }
                { for counters.iter().map(|(name, series)| html! {
                    <article class="state-card counter" data-testid="state-counter" data-name={name.to_string()}>
                        <h3>{name.to_string()}<span class="kind">{"counter"}</span></h3>
                        <p class="big">{series.last().map(|p| p.value.to_string()).unwrap_or_default()}</p>
                        { sparkline(series, 160, 28, name) }
                    </article>
                }) }
            </div>
            if hidden > 0 {
                <p class="help">{format!("{hidden} more objects not shown.")}</p>
            }
        </section>
    }
}

fn kind_name(k: Option<ObjectKind>) -> &'static str {
    match k {
        Some(ObjectKind::Lock) => "Lock",
        Some(ObjectKind::RLock) => "RLock",
        Some(ObjectKind::Event) => "Event",
        Some(ObjectKind::Condition) => "Condition",
        Some(ObjectKind::Semaphore) => "Semaphore",
        Some(ObjectKind::BoundedSemaphore) => "BoundedSemaphore",
        Some(ObjectKind::Barrier) => "Barrier",
        Some(ObjectKind::Queue) => "Queue",
        Some(ObjectKind::Value) => "Value",
        Some(ObjectKind::Array) => "Array",
        Some(ObjectKind::Manager) => "Manager",
        Some(ObjectKind::Gil) => "GIL",
        Some(ObjectKind::Pool) => "Pool",
        Some(ObjectKind::Stdout) => "stdout",
        Some(ObjectKind::Other) | None => "object",
    }
}

/// Worker names as coloured chips (the name is the text; colour only repeats it).
fn chips(st: &StateView, ws: &[WorkerId], empty: &str) -> Html {
    if ws.is_empty() {
        return html! { <span class="none">{empty.to_string()}</span> };
    }
    html! {
        { for ws.iter().map(|&w| html! {
            <span class={classes!("chip", worker_class(w))}>{st.roster.worker_name(w)}</span>
        }) }
    }
}

/// A `Value`'s or `Array`'s own lock, as rows of its card.
fn own_lock_rows(st: &StateView, o: &ObjectView) -> Html {
    let Some(lock) = st.own_lock(o) else {
        return html! {};
    };
    html! {
        <>
            { row("lock", chips(st, &lock.holders, "free")) }
            { row("waiting", chips(st, &lock.waiters, "nobody")) }
        </>
    }
}

fn row(label: &str, value: Html) -> Html {
    html! { <div class="row"><dt>{label.to_string()}</dt><dd>{value}</dd></div> }
}

fn card(st: &StateView, o: &ObjectView) -> Html {
    let body = match o.kind {
        Some(ObjectKind::Semaphore | ObjectKind::BoundedSemaphore) => html! {
            <>
                { row("value", html! { <strong>{o.value.map(|v| v.to_string()).unwrap_or_else(|| "?".into())}</strong> }) }
                { row("inside", chips(st, &o.holders, "nobody")) }
                { row("max inside", html! { {o.max_inside} }) }
                { row("waiting", chips(st, &o.waiters, "nobody")) }
            </>
        },
        Some(ObjectKind::Queue) => {
            let extra = o.items.len().saturating_sub(MAX_SLOTS);
            html! {
                <>
                    // A row of its own: a <dl> may hold only name/value groups.
                    { row("items", html! {
                        <div class="slots" role="group" aria-label={format!("{} items", o.len)} data-testid="queue-slots">
                            { for o.items.iter().take(MAX_SLOTS).map(|i| html! { <span class="slot">{i}</span> }) }
                            if extra > 0 { <span class="slot more">{format!("+{extra}")}</span> }
                            if o.items.is_empty() { <span class="none">{"empty"}</span> }
                        </div>
                    }) }
                    { row("length", html! { {format!("{} (peak {})", o.len, o.max_len)} }) }
                    if let Some(limit) = o.maxsize {
                        { row("maxsize", html! { {if limit == 0 { "unbounded".to_string() } else { limit.to_string() }} }) }
                    }
                    { row("puts / gets", html! { {format!("{} / {}", o.puts, o.gets)} }) }
                    { row("blocked putting", chips(st, &o.blocked_putters, "nobody")) }
                    { row("blocked getting", chips(st, &o.waiters, "nobody")) }
                </>
            }
        }
        Some(ObjectKind::Event) => {
            let set = o.flag == Some(true);
            html! {
                <>
                    { row("flag", html! { <span class={classes!("flag", set.then_some("set"))}>{if set { "set" } else { "clear" }}</span> }) }
                    { row("waiting", chips(st, &o.waiters, "nobody")) }
                </>
            }
        }
        Some(ObjectKind::Barrier) => html! {
            <>
                { row("arrived", html! { <strong>{format!("{}/{}", o.arrived, o.parties)}</strong> }) }
                { row("rounds", html! { {o.rounds} }) }
                { row("waiting", chips(st, &o.waiters, "nobody")) }
            </>
        },
        Some(ObjectKind::Value) => html! {
            <>
                { row("value", html! { <strong>{o.value.map(|v| v.to_string()).unwrap_or_else(|| "?".into())}</strong> }) }
                { own_lock_rows(st, o) }
            </>
        },
        Some(ObjectKind::Array) => {
            let extra = o.cells.len().saturating_sub(MAX_SLOTS);
            html! {
                <>
                    { row("cells", html! {
                        <div class="slots" role="group" aria-label={format!("{} cells", o.cells.len())} data-testid="array-cells">
                            { for o.cells.iter().take(MAX_SLOTS).map(|v| html! { <span class="slot">{v}</span> }) }
                            if extra > 0 { <span class="slot more">{format!("+{extra}")}</span> }
                        </div>
                    }) }
                    { own_lock_rows(st, o) }
                </>
            }
        }
        Some(ObjectKind::Condition) => html! {
            <>
                { row("waiting", chips(st, &o.waiters, "nobody")) }
                { row("notifies", html! { {o.notifies} }) }
            </>
        },
        _ => html! {
            <>
                { row("held by", chips(st, &o.holders, "free")) }
                if o.depth > 1 { { row("depth", html! { {o.depth} }) } }
                { row("waiting", chips(st, &o.waiters, "nobody")) }
            </>
        },
    };
    let series = if o.series.is_empty() {
        html! {}
    } else {
        html! { <div class="series">{ sparkline(&o.series, 160, 28, &o.name) }</div> }
    };
    let lock = st.own_lock(o).unwrap_or(o);
    let busy = !lock.holders.is_empty() || !lock.waiters.is_empty();
    html! {
        <article class={classes!("state-card", busy.then_some("busy"))} data-testid="state-object"
            data-name={o.name.clone()} aria-label={st.describe(o)}>
            <h3>{o.name.clone()}<span class="kind">{kind_name(o.kind)}</span></h3>
            <dl>{body}</dl>
            {series}
        </article>
    }
}
