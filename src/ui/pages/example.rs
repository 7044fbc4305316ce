//! An example page: the knobs, Run / Cancel / Run again, the lesson beside the code, and
//! the live views of the run (console, timeline, state, timings), all computed from the
//! trace the run streams.
//!
//! The page's root carries `data-run-state` (idle | running | done | failed | cancelled)
//! for tests and embeds.

use crate::engine::trace::{EventKind, Outcome};
use crate::runtime::session::{self, LiveRun, PoolState};
use crate::scenarios::knob::{self, Config, Message, PageOptions};
use crate::scenarios::runner::{self, RunOptions, Runnable};
use crate::ui::frame::use_frame_loop;
use crate::ui::pages::home::capitalise;
use crate::ui::views_handle::ViewsHandle;
use crate::ui::widgets::knob_form::KnobForm;
use crate::views::Views;
use yew::prelude::*;

/// Events applied per animation frame at most: keeps each frame well under 50 ms even
/// when a run floods; the rest waits in the recorder's queue for the next frame.
const MAX_EVENTS_PER_FRAME: usize = 20_000;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RunState {
    Idle,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Idle => "idle",
            RunState::Running => "running",
            RunState::Done => "done",
            RunState::Failed => "failed",
            RunState::Cancelled => "cancelled",
        }
    }
}

/// One measured result, from a `Figure` event.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    pub key: String,
    pub value: f64,
    pub unit: String,
    pub text: String,
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub id: String,
}

/// The query part of the hash route (`#/examples/lock?workers=4` gives `workers=4`).
pub fn hash_query() -> String {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    hash.split_once('?')
        .map(|(_, q)| q.to_string())
        .unwrap_or_default()
}

/// Keep the address bar equal to the current config, without a navigation.
fn write_url(id: &str, config: &Config, page: &PageOptions) {
    let mut page = page.clone();
    page.run = false;
    let q = knob::link_query(config, &page);
    let url = if q.is_empty() {
        format!("#/examples/{id}")
    } else {
        format!("#/examples/{id}?{q}")
    };
    if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

#[function_component(Example)]
pub fn example(p: &Props) -> Html {
    // A navigation to another configured link of the same example starts afresh: the
    // router's location changes only on real navigations, not when the page itself
    // rewrites the address to follow the knobs.
    let query = yew_router::hooks::use_location()
        .map(|l| l.query_str().trim_start_matches('?').to_string())
        .unwrap_or_default();
    let Some(scenario) = runner::find(&p.id) else {
        return html! {
            <section class="not-found" data-testid="unknown-example">
                <h1>{"No such example"}</h1>
                <p role="alert">{format!("There is no example called “{}”. ", p.id)}
                    <a href="#/">{"See every example in the catalogue."}</a></p>
            </section>
        };
    };
    html! { <ExampleBody key={format!("{}?{query}", p.id)} {scenario} /> }
}

#[derive(Properties)]
struct BodyProps {
    scenario: Runnable,
}

impl PartialEq for BodyProps {
    fn eq(&self, other: &Self) -> bool {
        self.scenario.info.id == other.scenario.info.id
    }
}

#[function_component(ExampleBody)]
fn example_body(p: &BodyProps) -> Html {
    let scenario = p.scenario;
    let info = scenario.info;
    // The URL is read once, when the page opens; from then on the page writes it.
    let initial = use_memo((), |_| knob::parse_query(info.knobs, &hash_query()));
    // (Keyed by the link: a new link remounts this body, so reading it once is enough.)
    let config = use_state(|| initial.config.clone());
    let page_opts = initial.page.clone();
    let messages = use_state(|| initial.messages.clone());
    let run_state = use_state(|| RunState::Idle);
    let views = use_state(ViewsHandle::default);
    let figures = use_state(Vec::<Figure>::new);
    let error = use_state(|| None::<String>);
    let pool_state = use_state(|| session::with(|s| s.pool_state.clone()));
    let live = use_mut_ref(|| None::<LiveRun>);
    // Every drained event of the current run, for the exports and replay (see ShareBar).
    let run_events = use_mut_ref(Vec::<crate::engine::trace::Event>::new);
    let autostart = use_mut_ref(|| page_opts.run);

    let start = {
        let run_events = run_events.clone();
        let (config, run_state, views, figures, error, live) = (
            config.clone(),
            run_state.clone(),
            views.clone(),
            figures.clone(),
            error.clone(),
            live.clone(),
        );
        Callback::from(move |_: ()| {
            let launched = session::with(|s| {
                s.launch_scenario(scenario, (*config).clone(), RunOptions::default())
            });
            match launched {
                Ok(run) => {
                    *live.borrow_mut() = Some(run);
                    run_events.borrow_mut().clear();
                    views.set(views.replace(Views::new()));
                    figures.set(Vec::new());
                    error.set(None);
                    run_state.set(RunState::Running);
                }
                Err(m) => {
                    error.set(Some(m));
                    run_state.set(RunState::Failed);
                }
            }
        })
    };

    {
        let run_events = run_events.clone();
        let (run_state, views, figures, error, live, pool_state, autostart, start) = (
            run_state.clone(),
            views.clone(),
            figures.clone(),
            error.clone(),
            live.clone(),
            pool_state.clone(),
            autostart.clone(),
            start.clone(),
        );
        use_frame_loop(Callback::from(move |_t: f64| {
            let ps = session::with(|s| s.pool_state.clone());
            if *pool_state != ps {
                pool_state.set(ps.clone());
            }
            if *autostart.borrow() && matches!(ps, PoolState::Ready { .. }) {
                *autostart.borrow_mut() = false;
                start.emit(());
            }
            let Some(run) = live.borrow().clone() else {
                return;
            };
            let mut batch = Vec::new();
            run.ctx
                .recorder
                .drain_into(&mut batch, MAX_EVENTS_PER_FRAME);
            if batch.is_empty() {
                return;
            }
            let mut new_figures = Vec::new();
            let mut ended = None;
            for e in &batch {
                match &e.kind {
                    EventKind::Figure {
                        key,
                        value,
                        unit,
                        text,
                    } => new_figures.push(Figure {
                        key: key.clone(),
                        value: *value,
                        unit: unit.clone(),
                        text: text.clone(),
                    }),
                    EventKind::RunEnd { outcome } => ended = Some(outcome.clone()),
                    _ => {}
                }
            }
            batch.sort_by_key(|e| e.seq);
            views.set(views.update(|v| v.apply_batch(&batch)));
            run_events.borrow_mut().extend(batch);
            if !new_figures.is_empty() {
                let mut all = (*figures).clone();
                all.extend(new_figures);
                figures.set(all);
            }
            if let Some(outcome) = ended {
                run_state.set(match outcome {
                    Outcome::Done => RunState::Done,
                    Outcome::Cancelled => RunState::Cancelled,
                    Outcome::Failed(m) => {
                        error.set(Some(m));
                        RunState::Failed
                    }
                });
            }
        }));
    }

    let on_knob = {
        let (config, messages) = (config.clone(), messages.clone());
        let page_opts = page_opts.clone();
        Callback::from(move |(key, raw): (&'static str, String)| {
            let mut c = (*config).clone();
            let msgs = c.set_text(key, &raw);
            write_url(info.id, &c, &page_opts);
            messages.set(msgs);
            config.set(c);
        })
    };
    let on_run = {
        let start = start.clone();
        Callback::from(move |_: MouseEvent| start.emit(()))
    };
    let on_cancel = {
        let live = live.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(run) = live.borrow().as_ref() {
                run.ctx.cancel();
            }
        })
    };

    let running = *run_state == RunState::Running;
    let pool_ready = matches!(*pool_state, PoolState::Ready { .. });
    let finished_once = !matches!(*run_state, RunState::Idle | RunState::Running);
    let lesson = &info.lesson;
    html! {
        <div class="example" data-run-state={run_state.as_str()} data-testid="example">
            if page_opts.embed { <crate::ui::widgets::embed::EmbedMode /> }
            <nav class="crumbs"><a href="#/">{"Catalogue"}</a>{" › "}{capitalise(info.theme.title())}</nav>
            <h1>{info.title}</h1>
            <p class="promise">{info.promise}</p>
            <div class="example-grid">
                <div class="controls">
                    <KnobForm spec={info.knobs} config={(*config).clone()} locked={page_opts.locked.clone()}
                        disabled={running} on_change={on_knob} />
                    <MessageList messages={(*messages).clone()} />
                    <div class="buttons">
                        <button class="primary" onclick={on_run.clone()} disabled={running || !pool_ready}
                            data-testid="run">{if finished_once {"Run again"} else {"Run"}}</button>
                        <button onclick={on_cancel} disabled={!running} data-testid="cancel">{"Cancel"}</button>
                        <span class="run-state" role="status">{status_text(*run_state, &pool_state)}</span>
                    </div>
                    if let Some(m) = &*error {
                        <div class="notice bad" role="alert" data-testid="run-error">{m.clone()}</div>
                    }
                    if let PoolState::Unavailable(why) | PoolState::Failed(why) = &*pool_state {
                        <crate::ui::widgets::embed::WorkersUnavailable why={why.clone()} />
                    }
                    <crate::ui::widgets::share_bar::ShareBar scenario={info.id} title={info.title}
                        config={(*config).clone()} page={page_opts.clone()} views={(*views).clone()}
                        events={crate::ui::widgets::share_bar::RunEvents(run_events.clone())}
                        figures={(*figures).clone()} finished={finished_once} />
                    <FigureList figures={(*figures).clone()} source={lesson.source_figures} setup={lesson.source_setup} />
                </div>
                <div class="lesson" data-testid="lesson">
                    <h2>{"What to notice"}</h2><p>{lesson.notice}</p>
                    <h2>{"Try next"}</h2><p>{lesson.try_next}</p>
                    <h2>{"Why"}</h2><p>{lesson.why}</p>
                    <p class="apis"><strong>{"Python: "}</strong><code>{lesson.python_api}</code>
                        <br /><strong>{"Rust here: "}</strong><code>{lesson.rust_api}</code></p>
                </div>
            </div>
            <crate::ui::pages::example_views::RunViews handle={(*views).clone()} {info} />
        </div>
    }
}

fn status_text(state: RunState, pool: &PoolState) -> String {
    match (state, pool) {
        (_, PoolState::Unavailable(_)) => "live workers unavailable on this page".into(),
        (RunState::Idle, PoolState::Starting) => "starting the worker pool…".into(),
        (RunState::Idle, _) => "ready".into(),
        (RunState::Running, _) => "running…".into(),
        (RunState::Done, _) => "done".into(),
        (RunState::Failed, _) => "failed".into(),
        (RunState::Cancelled, _) => "cancelled".into(),
    }
}

#[derive(Properties, PartialEq)]
struct MessagesProps {
    messages: Vec<Message>,
}

#[function_component(MessageList)]
fn message_list(p: &MessagesProps) -> Html {
    if p.messages.is_empty() {
        return html! {};
    }
    html! {
        <ul class="messages" role="alert" data-testid="config-messages">
            { for p.messages.iter().map(|m| html! { <li>{m.to_string()}</li> }) }
        </ul>
    }
}

#[derive(Properties, PartialEq)]
struct FiguresProps {
    figures: Vec<Figure>,
    source: &'static [crate::scenarios::catalog::SourceFigure],
    setup: &'static str,
}

#[function_component(FigureList)]
fn figure_list(p: &FiguresProps) -> Html {
    html! {
        <section class="figures" aria-label="Results" data-testid="figures">
            if !p.figures.is_empty() {
                <h2>{"Results"}</h2>
                <ul>{ for p.figures.iter().map(|f| html! { <li data-key={f.key.clone()}>{&f.text}</li> }) }</ul>
            }
            if !p.source.is_empty() {
                <SourceTable figures={p.figures.clone()} source={p.source} setup={p.setup} />
            }
        </section>
    }
}

#[function_component(SourceTable)]
fn source_table(p: &FiguresProps) -> Html {
    let live = |flavour: &str, work: &str| {
        let key = format!("{flavour}-{work}-ms");
        p.figures
            .iter()
            .find(|f| f.key == key)
            .map(|f| format!("{:.1}", f.value))
            .unwrap_or_else(|| "–".into())
    };
    let published = |machine: &str, flavour: &str, work: &str| {
        p.source
            .iter()
            .find(|s| s.machine == machine && s.flavour == flavour && s.work == work)
            .map(|s| format!("{:.3}", s.millis))
            .unwrap_or_default()
    };
    let cases = [
        ("thread", "fileio"),
        ("process", "fileio"),
        ("thread", "square"),
        ("process", "square"),
    ];
    html! {
        <table class="source-table" data-testid="source-table">
            <caption>{"Milliseconds: this run next to the published figures. "}{p.setup}</caption>
            <thead><tr><th>{"case"}</th><th>{"here, now"}</th><th>{"source, machine 1"}</th><th>{"source, machine 2"}</th></tr></thead>
            <tbody>
            { for cases.iter().map(|(f, w)| html! {
                <tr><th>{format!("{f} / {w}")}</th><td>{live(f, w)}</td>
                    <td>{published("first", f, w)}</td><td>{published("second", f, w)}</td></tr>
            }) }
            </tbody>
        </table>
    }
}
