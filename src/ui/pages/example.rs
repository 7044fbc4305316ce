//! An example page: the knobs, Run / Cancel / Run again, the lesson beside the code, and
//! the live views of the run (console, timeline, state, timings), all computed from the
//! trace the run streams.
//!
//! The page's root carries `data-run-state` (idle | running | done | failed | cancelled)
//! for tests and embeds.

use crate::engine::trace::{EventKind, Outcome};
use crate::runtime::session::{self, LiveRun, PoolState};
use crate::scenarios::catalog::ScenarioInfo;
use crate::scenarios::knob::{self, Config, KnobKind, Message, PageOptions};
use crate::scenarios::runner::{self, RunOptions, Runnable};
use crate::ui::frame::use_frame_loop;
use crate::ui::pages::home::capitalise;
use crate::ui::views_handle::ViewsHandle;
use crate::ui::widgets::knob_form::KnobForm;
use crate::ui::widgets::run_history::RunHistory as RunHistoryTable;
use crate::ui::widgets::speedup_chart::SpeedupChart;
use crate::views::Views;
use yew::prelude::*;

/// The knob a speedup sweep varies, and how far: the worker count, up to twice the cores
/// (so oversubscription shows) and never past the knob's own maximum.
fn sweep_knob(info: &ScenarioInfo) -> Option<(&'static str, i64)> {
    if !info.has_speedup_sweep() {
        return None;
    }
    let cores = session::with(|s| s.env.cores) as i64;
    info.knobs.iter().find_map(|k| match k.kind {
        KnobKind::Int { max, .. } if matches!(k.key, "workers" | "pool") => {
            Some((k.key, max.min((2 * cores).max(2)).min(8)))
        }
        _ => None,
    })
}

/// The figure a lesson that times its own parallel part reports it under. Such a lesson
/// (parallel-map, gil) also times the serial version in the same run, so the run's wall
/// time holds a part that no worker count shortens, and a sweep of it reads as Amdahl's
/// law with a large serial fraction that is only the lesson's own baseline.
const PARALLEL_PART: &str = "parallel-ms";

/// What each point of a sweep timed.
#[derive(Clone, Copy, PartialEq)]
enum SweepMeasure {
    /// The whole run's wall time.
    Wall,
    /// The lesson's [`PARALLEL_PART`] figure.
    ParallelPart,
    /// The whole run's wall time divided by the workers, for a lesson whose work grows
    /// with them ([`ScenarioInfo::work_grows_with_workers`]).
    WallPerWorker,
    /// The lesson's [`PARALLEL_PART`] divided by the workers, for the same kind of lesson.
    ParallelPartPerTask,
}

impl SweepMeasure {
    /// What the chart's caption says each point is.
    fn caption(self) -> &'static str {
        match self {
            Self::Wall => "Each point is the wall time of the whole run.",
            Self::ParallelPart => {
                "Each point is the lesson's own timing of its parallel part (pool.map), not \
                 the whole run: the run also times the serial version, which no number of \
                 workers shortens."
            }
            Self::WallPerWorker => {
                "Each worker brings its own work, so the work grows with the workers. Each \
                 point is the run's wall time divided by the number of workers: the speedup \
                 is how much more work gets done in the same time than with one worker. \
                 Work that waits (sleeps, I/O, a lock held by another) needs no core, so \
                 it can pass the cores' line; work that computes cannot."
            }
            Self::ParallelPartPerTask => {
                "Each worker brings its own task, so the work grows with the workers. Each \
                 point is the lesson's own timing of its tasks run at once, divided by the \
                 number of tasks: the speedup is how much more work gets done in the same \
                 time than with one worker."
            }
        }
    }

    /// The heading of the chart table's time column.
    fn column(self) -> &'static str {
        match self {
            Self::ParallelPartPerTask => "Per task (s)",
            Self::WallPerWorker => "Per worker (s)",
            Self::Wall | Self::ParallelPart => "Wall (s)",
        }
    }
}

/// A sweep in progress: runs the same config with the worker knob at 1, 2, … `max`.
struct SweepProgress {
    key: &'static str,
    base: Config,
    current: i64,
    max: i64,
    points: Vec<(u32, f64)>,
    /// Decided by the first point: the lesson's [`PARALLEL_PART`] if it reports one.
    measure: SweepMeasure,
    /// The lesson's work grows with its workers
    /// ([`ScenarioInfo::work_grows_with_workers`]).
    per_task: bool,
}

/// A finished sweep: seconds per worker count, and what was timed.
#[derive(Clone, PartialEq)]
struct SweepResult {
    points: Vec<(u32, f64)>,
    measure: SweepMeasure,
    /// The cores the page reported when the sweep ran.
    cores: u32,
}

impl SweepProgress {
    /// The config of the next run, if any.
    fn next(&mut self) -> Option<Config> {
        if self.current >= self.max {
            return None;
        }
        self.current += 1;
        let mut cfg = self.base.clone();
        let _ = cfg.set_text(self.key, &self.current.to_string());
        Some(cfg)
    }
}

use crate::ui::live_feed::Feed;

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
    /// The address's query (`workers=4`), as the router last saw it.
    pub query: String,
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
    let query = &p.query;
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
    // Set by the Cancel button: once that run has ended, its backlog is dropped unseen.
    let cancel_clicked = use_mut_ref(|| false);
    // Every drained event of the current run, for the exports and replay (see ShareBar).
    // Chunked, so a run of millions of events never copies them all to grow (that copy
    // would be one long task on the main thread).
    let run_events = use_mut_ref(crate::views::AppendLog::<crate::engine::trace::Event>::new);
    let feed = use_mut_ref(Feed::default);
    let autostart = use_mut_ref(|| page_opts.run);
    let history = use_state(|| crate::ui::history_store::load(info.id));
    // A speedup sweep in progress: the worker counts still to run and the walls so far.
    let sweep = use_mut_ref(|| None::<SweepProgress>);
    let sweep_result = use_state(|| None::<SweepResult>);

    let start = {
        let (run_events, feed) = (run_events.clone(), feed.clone());
        let cancel_clicked = cancel_clicked.clone();
        let (config, run_state, views, figures, error, live) = (
            config.clone(),
            run_state.clone(),
            views.clone(),
            figures.clone(),
            error.clone(),
            live.clone(),
        );
        Callback::from(move |cfg: Option<Config>| {
            let cfg = cfg.unwrap_or_else(|| (*config).clone());
            let launched =
                session::act(|s| s.launch_scenario(scenario, cfg, RunOptions::default()));
            match launched {
                Ok(run) => {
                    *live.borrow_mut() = Some(run);
                    *cancel_clicked.borrow_mut() = false;
                    *run_events.borrow_mut() = crate::views::AppendLog::new();
                    feed.borrow_mut().reset();
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
        let feed = feed.clone();
        let cancel_clicked = cancel_clicked.clone();
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
        let (history, sweep, sweep_result, config) = (
            history.clone(),
            sweep.clone(),
            sweep_result.clone(),
            config.clone(),
        );
        use_frame_loop(Callback::from(move |_t: f64| {
            // A pool Worker died: the run is stopped, the pool rebuilt (see runtime::crash).
            if let Some(words) = crate::runtime::crash::take_crash_and_recover() {
                live.borrow_mut().take();
                sweep.borrow_mut().take();
                error.set(Some(words));
                run_state.set(RunState::Failed);
            }
            let ps = session::with(|s| s.pool_state.clone());
            if *pool_state != ps {
                pool_state.set(ps.clone());
            }
            if *autostart.borrow() && matches!(ps, PoolState::Ready { .. }) {
                *autostart.borrow_mut() = false;
                start.emit(None);
            }
            let Some(run) = live.borrow().clone() else {
                return;
            };
            // Cancelled and ended: show "cancelled" now instead of replaying a flood's
            // backlog frame by frame; only the end of the run is kept.
            let skip_backlog = *cancel_clicked.borrow() && run.finished();
            let fed = feed
                .borrow_mut()
                .frame(&run, &views, Some(&run_events), skip_backlog);
            if let Some(handle) = fed.redraw {
                views.set(handle);
            }
            let ended = fed.ended;
            let new_figures: Vec<Figure> = fed
                .figures
                .into_iter()
                .filter_map(|e| match e.kind {
                    EventKind::Figure(f) => {
                        let crate::engine::trace::Figure {
                            key,
                            value,
                            unit,
                            text,
                        } = *f;
                        Some(Figure {
                            key,
                            value,
                            unit,
                            text,
                        })
                    }
                    _ => None,
                })
                .collect();
            let parallel_part_s = figures
                .iter()
                .chain(&new_figures)
                .find(|f| f.key == PARALLEL_PART)
                .map(|f| f.value / 1e3);
            if !new_figures.is_empty() {
                let mut all = (*figures).clone();
                all.extend(new_figures);
                figures.set(all);
            }
            if let Some(outcome) = ended {
                let record = views.borrow().timings.record(&config.to_query());
                let wall_s = record.wall_us as f64 / 1e6;
                let mut h = (*history).clone();
                h.push(record);
                crate::ui::history_store::save(info.id, &h);
                history.set(h);
                // A sweep goes on with the next worker count, or ends with its chart.
                let next = sweep.borrow_mut().as_mut().and_then(|sw| {
                    // The first point decides what the whole sweep times.
                    if sw.points.is_empty() {
                        sw.measure = match (parallel_part_s, sw.per_task) {
                            (None, false) => SweepMeasure::Wall,
                            (None, true) => SweepMeasure::WallPerWorker,
                            (Some(_), false) => SweepMeasure::ParallelPart,
                            (Some(_), true) => SweepMeasure::ParallelPartPerTask,
                        };
                    }
                    let s = match (sw.measure, parallel_part_s) {
                        (SweepMeasure::ParallelPart, Some(p)) => p,
                        (SweepMeasure::ParallelPartPerTask, Some(p)) => {
                            p / sw.current.max(1) as f64
                        }
                        (SweepMeasure::WallPerWorker, _) => wall_s / sw.current.max(1) as f64,
                        _ => wall_s,
                    };
                    sw.points.push((sw.current as u32, s));
                    sw.next()
                });
                match next {
                    Some(cfg) if matches!(outcome, Outcome::Done) => start.emit(Some(cfg)),
                    _ => {
                        if let Some(sw) = sweep.borrow_mut().take() {
                            sweep_result.set(Some(SweepResult {
                                points: sw.points,
                                measure: sw.measure,
                                cores: session::with(|s| s.env.cores) as u32,
                            }));
                        }
                    }
                }
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
        let (start, sweep) = (start.clone(), sweep.clone());
        Callback::from(move |_: MouseEvent| {
            sweep.borrow_mut().take();
            start.emit(None)
        })
    };
    let sweep_knob = sweep_knob(info);
    let on_sweep = {
        let (start, sweep, sweep_result, config) = (
            start.clone(),
            sweep.clone(),
            sweep_result.clone(),
            config.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let Some((key, max)) = sweep_knob else { return };
            let mut progress = SweepProgress {
                key,
                base: (*config).clone(),
                current: 0,
                max,
                points: Vec::new(),
                measure: SweepMeasure::Wall,
                per_task: info.work_grows_with_workers(),
            };
            sweep_result.set(None);
            if let Some(cfg) = progress.next() {
                *sweep.borrow_mut() = Some(progress);
                start.emit(Some(cfg));
            }
        })
    };
    let on_cancel = {
        let (live, cancel_clicked) = (live.clone(), cancel_clicked.clone());
        Callback::from(move |_: MouseEvent| {
            *cancel_clicked.borrow_mut() = true;
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
                        if let Some((key, max)) = sweep_knob {
                            <button onclick={on_sweep} disabled={running || !pool_ready} data-testid="sweep"
                                title={format!("Run with {key} = 1, 2, … {max} and plot the speedup")}>
                                {format!("Speedup sweep 1–{max}")}</button>
                        }
                        <span class="run-state" role="status">{status_text(*run_state, &pool_state)}</span>
                    </div>
                    if let Some(m) = &*error {
                        <div class="notice bad" role="alert" data-testid="run-error">{m.clone()}</div>
                    }
                    if let PoolState::Unavailable(why) | PoolState::Failed(why) = &*pool_state {
                        <crate::ui::widgets::embed::WorkersUnavailable why={why.clone()} scenario={info.id} />
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
            if let Some(result) = &*sweep_result {
                <section class="panel" aria-labelledby="sweep-h" data-testid="sweep-result">
                    <h2 id="sweep-h">{"Speedup sweep"}</h2>
                    <p class="hint" data-testid="sweep-measure">{result.measure.caption()}</p>
                    <SpeedupChart sweep={crate::views::timings::sweep_on(&result.points, Some(result.cores))} time_column={result.measure.column()} />
                </section>
            }
            <crate::ui::pages::example_views::RunViews handle={(*views).clone()} {info} />
            if !history.runs.is_empty() {
                <section class="panel" aria-labelledby="history-h">
                    <h2 id="history-h">{"Your last runs"}</h2>
                    <RunHistoryTable history={(*history).clone()} />
                </section>
            }
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
