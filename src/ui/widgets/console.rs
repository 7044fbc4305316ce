//! The live console: the run's shared stdout, each line tagged and coloured by the
//! worker(s) that wrote it.
//!
//! Virtualised: every row has the same height, so the rows in view follow from the
//! scroll offset alone and only those (plus a few either side) are in the DOM, whatever
//! the number of lines. Past a few hundred thousand lines the scroll height would exceed
//! what browsers can lay out, so the spacer is capped and the scroll position maps to a
//! line proportionally.

use super::common::{now_ms, worker_class};
use crate::engine::trace::WorkerId;
use crate::ui::views_handle::ViewsHandle;
use crate::views::console::{ConsoleLine, Filter, LineKind, NoticeKind};
use gloo::timers::callback::Timeout;
use web_sys::{Element, HtmlSelectElement};
use yew::prelude::*;

/// Row height in px; must match `.vconsole .vline` in styles.css.
pub const ROW_PX: f64 = 20.0;
/// Rows rendered above and below the viewport.
const OVERSCAN: usize = 10;
/// Tallest spacer we ask the browser to lay out.
const MAX_SCROLL_PX: f64 = 4_000_000.0;
/// Screen readers hear about new lines at most this often.
const ANNOUNCE_EVERY_MS: f64 = 1_000.0;

#[derive(Properties, PartialEq)]
pub struct ConsoleProps {
    pub handle: ViewsHandle,
    /// A line was clicked (or Enter pressed on it): its first event's `seq`.
    #[prop_or_default]
    pub on_select_seq: Callback<u64>,
}

/// Where the viewport is, as last measured.
#[derive(Clone, Copy, PartialEq)]
struct Scroll {
    top: f64,
    height: f64,
}

#[function_component(Console)]
pub fn console(p: &ConsoleProps) -> Html {
    let viewport = use_node_ref();
    let filter = use_state(|| Filter::All);
    let scroll = use_state(|| Scroll {
        top: 0.0,
        height: 352.0,
    });
    // Follow new output until the learner scrolls up; back at the bottom, follow again.
    let stick = use_mut_ref(|| true);
    // The scroll offset our own follow-the-end scroll last set.
    let auto_top = use_mut_ref(|| 0.0f64);
    let selected = use_state(|| None::<usize>);
    let announcement = use_state(String::new);
    let announcer = use_mut_ref(Announcer::default);

    let views = p.handle.borrow();
    let console = &views.console;
    let total = console.filtered_len(*filter);
    let spacer_px = (total as f64 * ROW_PX).min(MAX_SCROLL_PX);
    let rows_in_view = (scroll.height / ROW_PX).ceil() as usize + 1;

    // Which line sits at the top of the viewport.
    let top_line = if *stick.borrow() {
        total.saturating_sub(rows_in_view.saturating_sub(1))
    } else if spacer_px < MAX_SCROLL_PX {
        (scroll.top / ROW_PX) as usize
    } else {
        let scrollable = (spacer_px - scroll.height).max(1.0);
        let frac = (scroll.top / scrollable).clamp(0.0, 1.0);
        (frac * total.saturating_sub(rows_in_view) as f64) as usize
    };
    let first = top_line.saturating_sub(OVERSCAN).min(total);
    let last = (top_line + rows_in_view + OVERSCAN).min(total);
    // Where the first rendered row goes: exact when unscaled, else pinned to the view.
    let first_px = if spacer_px < MAX_SCROLL_PX {
        first as f64 * ROW_PX
    } else {
        let top = if *stick.borrow() {
            (spacer_px - scroll.height).max(0.0)
        } else {
            scroll.top
        };
        top - (top_line - first) as f64 * ROW_PX
    };

    // Keep the viewport at the bottom while following, whenever the line count changes
    // (any render can show lines the feed applied since the last redraw).
    {
        let viewport = viewport.clone();
        let (stick, auto_top) = (stick.clone(), auto_top.clone());
        // The spacer's height is known here, so the bottom is too: reading `scrollHeight`
        // instead forced a second layout after every redraw of a flood.
        let bottom = spacer_px.ceil() as i32;
        use_effect_with((p.handle.version, *filter, total), move |_| {
            if *stick.borrow() {
                if let Some(el) = viewport.cast::<Element>() {
                    el.set_scroll_top(bottom);
                    // Where that landed (the browser clamps it); layout is fresh here.
                    *auto_top.borrow_mut() = el.scroll_top() as f64;
                }
            }
        });
    }

    // Announce new lines, throttled.
    {
        let handle = p.handle.clone();
        let announcement = announcement.clone();
        let announcer = announcer.clone();
        use_effect_with(p.handle.version, move |_| {
            Announcer::poke(announcer, handle, announcement);
        });
    }

    let onscroll = {
        let (scroll, stick, auto_top) = (scroll.clone(), stick.clone(), auto_top.clone());
        Callback::from(move |e: Event| {
            let el: Element = e.target_unchecked_into();
            let top = el.scroll_top() as f64;
            let height = el.client_height() as f64;
            // A scroll event can arrive after more lines were drawn than when our own
            // scroll to the bottom was made: at or past that scroll is still following.
            // Only the learner scrolling up stops it.
            let at_bottom = top >= *auto_top.borrow() - ROW_PX
                || top + height >= el.scroll_height() as f64 - ROW_PX;
            let was_following = std::mem::replace(&mut *stick.borrow_mut(), at_bottom);
            // Following, the rows drawn depend on the height only: the scroll our own
            // effect just made needs no second render.
            if !(was_following && at_bottom && height == scroll.height) {
                scroll.set(Scroll { top, height });
            }
        })
    };
    let onchange = {
        let (filter, stick) = (filter.clone(), stick.clone());
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            *stick.borrow_mut() = true;
            filter.set(match value.parse::<WorkerId>() {
                Ok(w) => Filter::Worker(w),
                Err(_) => Filter::All,
            });
        })
    };
    let jump_to_end = {
        let (viewport, stick, scroll) = (viewport.clone(), stick.clone(), scroll.clone());
        Callback::from(move |_: MouseEvent| {
            *stick.borrow_mut() = true;
            if let Some(el) = viewport.cast::<Element>() {
                el.set_scroll_top(el.scroll_height());
            }
            scroll.set(Scroll { ..*scroll });
        })
    };

    // One pair of handlers for all rows (the row is found from the event's target), so a
    // redraw builds no closures per row.
    let select_from = {
        let (selected, on_select) = (selected.clone(), p.on_select_seq.clone());
        move |target: Option<web_sys::EventTarget>| {
            let row = target
                .and_then(|t| wasm_bindgen::JsCast::dyn_into::<Element>(t).ok())
                .and_then(|el| el.closest(".vline").ok().flatten());
            let Some(row) = row else { return false };
            let number = |name: &str| row.get_attribute(name).and_then(|v| v.parse().ok());
            match (number("data-index"), number("data-seq")) {
                (Some(index), Some(seq)) => {
                    selected.set(Some(index as usize));
                    on_select.emit(seq);
                    true
                }
                _ => false,
            }
        }
    };
    let on_row_click = {
        let select_from = select_from.clone();
        Callback::from(move |e: MouseEvent| {
            select_from(e.target());
        })
    };
    let on_row_key = Callback::from(move |e: KeyboardEvent| {
        if (e.key() == "Enter" || e.key() == " ") && select_from(e.target()) {
            e.prevent_default();
        }
    });
    // While following, the rows in view change wholesale on every redraw: keyed by their
    // slot, the same DOM rows are patched instead of being rebuilt. Scrolled back, keys
    // are line numbers, so a focused row keeps its line.
    let following_now = *stick.borrow();
    let rows = console.lines(*filter, first, last).into_iter().enumerate().map(|(slot, (index, line))| {
        let label = console.writers_label(line);
        let seq = line.first_seq;
        let key = if following_now { slot } else { index };
        let is_selected = *selected == Some(index);
        html! {
            <div key={key}
                class={classes!("vline", line_class(line), is_selected.then_some("selected"))}
                data-testid="console-line" data-index={index.to_string()} data-seq={seq.to_string()}
                data-worker={label.clone()}
                tabindex="0" role="button" aria-pressed={is_selected.to_string()}>
                <span class="tag">{label}</span>
                { level_prefix(line) }
                { line_body(line) }
            </div>
        }
    });

    let workers: Vec<(WorkerId, String)> = console
        .roster
        .workers()
        .map(|(w, info)| (w, info.name.clone()))
        .collect();
    let filter_value = match *filter {
        Filter::All => "all".to_string(),
        Filter::Worker(w) => w.to_string(),
    };
    let following = *stick.borrow();

    html! {
        <section class="vconsole" aria-label="Program output" data-testid="console">
            <div class="vconsole-bar">
                <label>{"Show "}
                    <select onchange={onchange} value={filter_value.clone()} data-testid="console-filter">
                        <option value="all" selected={filter_value == "all"}>{"all workers"}</option>
                        { for workers.iter().map(|(w, name)| html! {
                            <option value={w.to_string()} selected={filter_value == w.to_string()}>{name.clone()}</option>
                        }) }
                    </select>
                </label>
                <span class="vconsole-count" data-testid="console-count">
                    {format!("{total} line{}", if total == 1 { "" } else { "s" })}
                </span>
                if !following && total > 0 {
                    <button type="button" onclick={jump_to_end} data-testid="console-follow">{"Jump to latest ↓"}</button>
                }
            </div>
            <div class="vconsole-viewport" ref={viewport} onscroll={onscroll} tabindex="0"
                role="group" aria-label="Console lines (click a line to find it on the timeline)">
                <div class="vconsole-spacer" style={format!("height:{spacer_px}px")}>
                    <div class="vconsole-rows" style={format!("transform:translateY({first_px}px)")}
                        onclick={on_row_click} onkeydown={on_row_key}>
                        { for rows }
                    </div>
                </div>
                if total == 0 {
                    // In the lines' own font and weights, so the browser loads those
                    // faces now rather than in the first frame of a run.
                    <p class="vconsole-empty"><span class="tag">{"stdout"}</span>{"No output yet."}</p>
                }
            </div>
            <div class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="console-live">
                {(*announcement).clone()}
            </div>
        </section>
    }
}

fn line_class(line: &ConsoleLine) -> Classes {
    let mut c = Classes::new();
    if let Some(&w) = line.writers.first() {
        c.push(worker_class(w));
    }
    match &line.kind {
        LineKind::Output => {}
        LineKind::Log { .. } => c.push("log"),
        LineKind::Notice(k) => {
            c.push("notice-line");
            c.push(match k {
                NoticeKind::Deadlock => "n-deadlock",
                NoticeKind::Stall => "n-stall",
                NoticeKind::Dropped => "n-dropped",
                NoticeKind::RunEnd => "n-end",
            });
        }
    }
    if line.is_garbled() {
        c.push("garbled");
    }
    c
}

fn level_prefix(line: &ConsoleLine) -> Html {
    match &line.kind {
        LineKind::Log { level } => html! { <span class="level">{format!("{level}: ")}</span> },
        LineKind::Notice(_) => html! { <span class="level">{"*** "}</span> },
        LineKind::Output => html! {},
    }
}

/// The text; a garbled line coloured piece by piece, one colour per writer.
fn line_body(line: &ConsoleLine) -> Html {
    if line.segments.is_empty() {
        return html! { <span class="text">{line.text.clone()}</span> };
    }
    let text = &line.text;
    let pieces = line.segments.iter().enumerate().map(|(i, &(start, w))| {
        let end = line
            .segments
            .get(i + 1)
            .map(|s| s.0 as usize)
            .unwrap_or(text.len());
        let piece = text.get(start as usize..end).unwrap_or("");
        html! { <span class={classes!("seg", worker_class(w))}>{piece.to_string()}</span> }
    });
    html! { <span class="text">{ for pieces }</span> }
}

/// Throttles the live region: at most one announcement per second, and a pending one
/// is flushed by a timer so the last lines of a burst are announced too.
#[derive(Default)]
struct Announcer {
    announced_len: usize,
    last_ms: f64,
    /// A flush is scheduled and has not fired yet.
    pending: bool,
    /// The last flush timer. Kept (not dropped) when it fires: dropping a timer frees
    /// its closure, which must not happen while that closure runs.
    timer: Option<Timeout>,
}

impl Announcer {
    fn poke(
        me: std::rc::Rc<std::cell::RefCell<Announcer>>,
        handle: ViewsHandle,
        out: UseStateHandle<String>,
    ) {
        let wait = {
            let a = me.borrow();
            if a.pending {
                return;
            }
            ANNOUNCE_EVERY_MS - (now_ms() - a.last_ms)
        };
        if wait <= 0.0 {
            Self::announce(&me, &handle, &out);
            return;
        }
        let me2 = me.clone();
        let timer = Timeout::new(wait.ceil() as u32, move || {
            me2.borrow_mut().pending = false;
            Self::announce(&me2, &handle, &out);
        });
        let mut a = me.borrow_mut();
        a.pending = true;
        a.timer = Some(timer);
    }

    fn announce(
        me: &std::rc::Rc<std::cell::RefCell<Announcer>>,
        handle: &ViewsHandle,
        out: &UseStateHandle<String>,
    ) {
        let views = handle.borrow();
        let len = views.console.len();
        let mut a = me.borrow_mut();
        if len < a.announced_len {
            // A new run (or a replay seek backwards): start counting again.
            a.announced_len = 0;
        }
        if len == a.announced_len {
            return;
        }
        let new = len - a.announced_len;
        a.announced_len = len;
        a.last_ms = now_ms();
        let Some(last) = views.console.line(len - 1) else {
            return;
        };
        let mut text: String = last.text.chars().take(120).collect();
        if text.len() < last.text.len() {
            text.push('…');
        }
        out.set(format!(
            "{new} new line{}, last: {}: {text}",
            if new == 1 { "" } else { "s" },
            views.console.writers_label(last)
        ));
    }
}
