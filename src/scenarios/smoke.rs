//! The smoke demo: a few workers each print numbered lines with a short real wait between
//! them, so their lines interleave live. It exercises the whole path (pool threads,
//! the run context, the trace, the live drain) with nothing else in the way.

use crate::engine::run::RunCtx;
use crate::engine::trace::{EventKind, Flavour};
use crate::engine::wait::WaitCell;
use crate::engine::EngineResult;
use std::sync::Arc;
use std::time::Duration;

/// Start `workers` workers on `pool`, each printing `lines` lines `pause` apart, and wait
/// for all of them (cancellable). Call from the run's coordinator, never the UI thread.
pub fn run(
    ctx: &Arc<RunCtx>,
    pool: &rayon::ThreadPool,
    workers: usize,
    lines: usize,
    pause: Duration,
) -> EngineResult<()> {
    let finished = Arc::new(WaitCell::new(0usize));
    for _ in 0..workers {
        let id = ctx.new_worker_id();
        let name = ctx.default_name(Flavour::Thread);
        ctx.registry.register_worker(id, &name);
        // WorkerNew is recorded under the new worker's id: it is what names that lane.
        ctx.recorder.record(
            id,
            None,
            EventKind::WorkerNew {
                name: name.clone(),
                flavour: Flavour::Thread,
                daemon: false,
            },
        );
        let (ctx, finished) = (ctx.clone(), finished.clone());
        pool.spawn(move || {
            let _enter = ctx.enter(id);
            ctx.emit(None, EventKind::WorkerStart);
            let mut result = Ok(());
            for line in 1..=lines {
                ctx.emit(
                    None,
                    EventKind::Print {
                        text: format!("{name}: line {line} of {lines}\n"),
                    },
                );
                ctx.progress();
                if let Err(e) = ctx.sleep(pause) {
                    result = Err(e);
                    break;
                }
            }
            let exit_code = if result.is_ok() { 0 } else { 1 };
            ctx.emit(None, EventKind::WorkerEnd { exit_code });
            *finished.lock() += 1;
            finished.notify_all();
        });
    }
    let g = finished.lock();
    let _ = finished.wait_while(ctx, g, None, |n| *n < workers)?;
    Ok(())
}
