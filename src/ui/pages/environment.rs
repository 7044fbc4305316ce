//! The environment page: what this browser offers, the pool-size knob and the smoke demo, whose
//! workers print interleaved lines live.

use crate::engine::trace::{EventKind, Outcome};
use crate::runtime::pool;
use crate::runtime::session::{self, PoolState};
use crate::ui::frame::use_frame_loop;
use crate::ui::pages::example::RunState;
use crate::ui::widgets::env_panel::EnvPanel;
use crate::ui::widgets::flood_check::FloodCheck;
use crate::ui::widgets::live_console::{Line, LiveConsole};
use crate::ui::widgets::pool_control::PoolControl;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;
use yew::prelude::*;

#[function_component(Environment)]
pub fn environment() -> Html {
    let pool_state = use_state(|| session::with(|s| s.pool_state.clone()));
    let live_threads = use_state(|| 0usize);
    let lines = use_state(|| Rc::new(Vec::<Line>::new()));
    let run_state = use_state(|| RunState::Idle);
    let error = use_state(|| None::<String>);
    let names = use_mut_ref(HashMap::<u32, String>::new);
    // The smoke demo's own run: the flood below runs through the same session, and its
    // events are not this console's to take.
    let smoke_run = use_mut_ref(|| None::<session::LiveRun>);
    let env = session::with(|s| s.env.clone());

    {
        let smoke_run = smoke_run.clone();
        let (pool_state, live_threads, lines, run_state, names, error) = (
            pool_state.clone(),
            live_threads.clone(),
            lines.clone(),
            run_state.clone(),
            names.clone(),
            error.clone(),
        );
        use_frame_loop(Callback::from(move |_t: f64| {
            let ps = session::with(|s| s.pool_state.clone());
            let live = smoke_run.borrow().clone();
            if *pool_state != ps {
                pool_state.set(ps);
            }
            let n = pool::live_threads();
            if *live_threads != n {
                live_threads.set(n);
            }
            for notice in pool::take_notices() {
                let pool::WorkerNotice::Error(m) = notice;
                error.set(Some(format!("a worker stopped: {m}")));
            }
            let Some(live) = live else { return };
            let mut batch = Vec::new();
            live.ctx.recorder.drain_into(&mut batch, 50_000);
            if batch.is_empty() {
                return;
            }
            let mut new_lines = (**lines).clone();
            for e in batch {
                match e.kind {
                    EventKind::WorkerNew { name, .. } => {
                        names.borrow_mut().insert(e.worker, name);
                    }
                    EventKind::Print { text } => {
                        let tag = names
                            .borrow()
                            .get(&e.worker)
                            .cloned()
                            .unwrap_or_else(|| "MainThread".into());
                        new_lines.push(Line {
                            worker: e.worker,
                            tag,
                            text: text.trim_end_matches('\n').to_string(),
                        });
                    }
                    EventKind::RunEnd { outcome } => run_state.set(match outcome {
                        Outcome::Done => RunState::Done,
                        Outcome::Cancelled => RunState::Cancelled,
                        Outcome::Failed(m) => {
                            error.set(Some(m));
                            RunState::Failed
                        }
                    }),
                    _ => {}
                }
            }
            lines.set(Rc::new(new_lines));
        }));
    }

    let on_resize = Callback::from(|n: usize| {
        let resized = session::act(|s| {
            s.resize(n);
            Ok(())
        });
        if let Err(m) = resized {
            session::with(|s| s.pool_state = PoolState::Failed(m));
        }
    });
    let on_run = {
        let smoke_run = smoke_run.clone();
        let (lines, run_state, error, names) = (
            lines.clone(),
            run_state.clone(),
            error.clone(),
            names.clone(),
        );
        Callback::from(move |_| {
            lines.set(Rc::new(Vec::new()));
            names.borrow_mut().clear();
            error.set(None);
            let workers = session::with(|s| s.pool().map(|p| p.current_num_threads()).unwrap_or(1));
            let launched = session::act(|s| {
                s.launch("smoke", move |ctx, pool| {
                    crate::scenarios::smoke::run(ctx, pool, workers, 8, Duration::from_millis(60))
                })
            });
            match launched {
                Ok(run) => {
                    *smoke_run.borrow_mut() = Some(run);
                    run_state.set(RunState::Running);
                }
                Err(m) => {
                    error.set(Some(m));
                    run_state.set(RunState::Failed);
                }
            }
        })
    };
    let on_cancel = {
        let smoke_run = smoke_run.clone();
        Callback::from(move |_| {
            if let Some(l) = &*smoke_run.borrow() {
                l.ctx.cancel();
            }
        })
    };
    let size = match &*pool_state {
        PoolState::Ready { size } => *size,
        _ => crate::ui::app::default_pool_size(),
    };
    let can_run = matches!(&*pool_state, PoolState::Ready { .. });
    let running = *run_state == RunState::Running;
    html! {
        <div class="environment" data-run-state={run_state.as_str()}>
            <EnvPanel env={env} pool={(*pool_state).clone()} live_threads={*live_threads} />
            <PoolControl size={size} disabled={!can_run || running} on_change={on_resize} />
            <section class="smoke">
                <h2>{"Smoke demo: workers printing at once"}</h2>
                <p>{"One worker per pool thread, each printing eight lines with a short real wait in between. Their lines interleave differently on every run."}</p>
                <div class="buttons">
                    <button onclick={on_run} disabled={!can_run || running} data-testid="run">{"Run"}</button>
                    <button onclick={on_cancel} disabled={!running} data-testid="cancel">{"Cancel"}</button>
                </div>
                if let Some(m) = &*error {
                    <div class="notice bad" role="alert">{m.clone()}</div>
                }
                <LiveConsole lines={(*lines).clone()} />
            </section>
            <FloodCheck />
        </div>
    }
}
