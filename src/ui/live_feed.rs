//! How a page takes a live run's events, one animation frame at a time, without ever
//! giving the browser a long task.
//!
//! Two costs share the main thread: applying events to the views, and drawing them.
//! - Applying is done in chunks until a per-frame budget is spent; whatever is left waits
//!   in the recorder's lock-free queue for the next frame. Nothing is dropped: the queue
//!   is only ever drained, never trimmed.
//! - Drawing is paced: at most every [`REDRAW_MS`] while events keep coming, and never in
//!   a frame that already spent its whole budget applying (that redraw is owed and gets
//!   the next frame to itself).
//!
//! The example page and the environment page's demos both feed their widgets through
//! this, so both keep the same promise.

use crate::engine::trace::{Event, EventKind, Outcome};
use crate::runtime::session::LiveRun;
use crate::ui::views_handle::ViewsHandle;
use crate::ui::widgets::common::now_ms;
use crate::views::AppendLog;
use std::cell::RefCell;

/// Events taken from the recorder at a time while a frame's budget lasts.
const DRAIN_CHUNK: usize = 2_000;
/// Milliseconds of each animation frame spent applying events (the rest is for drawing).
const FRAME_BUDGET_MS: f64 = 6.0;
/// While a run is producing events, redraw at most this often: 20 times a second reads
/// smoothly, and drawing every frame would spend the main thread on it.
pub const REDRAW_MS: f64 = 50.0;

/// What one frame's feeding produced.
#[derive(Default)]
pub struct Fed {
    pub applied: usize,
    /// `Figure` events, in order.
    pub figures: Vec<Event>,
    pub ended: Option<Outcome>,
    /// Events the recorder had to drop (it reports them as `Dropped`).
    pub dropped: u64,
    /// Hand this to the views' state to redraw now (`None`: not yet).
    pub redraw: Option<ViewsHandle>,
}

/// The pacing state of one page's feed.
#[derive(Default)]
pub struct Feed {
    last_render: f64,
    owed: bool,
    /// When the oldest event applied but not yet drawn was recorded (µs, run clock).
    oldest_undrawn_us: Option<u64>,
    /// Per redraw: how long its oldest event waited to reach the screen, in µs.
    latencies_us: Vec<u64>,
    /// The chunk being applied, kept between frames: growing a fresh `Vec` to
    /// [`DRAIN_CHUNK`] every frame was a tenth of a flood's main-thread time, in
    /// reallocations under the allocator lock the workers also take.
    batch: Vec<Event>,
}

impl Feed {
    /// Start over for a new run.
    pub fn reset(&mut self) {
        *self = Feed::default();
    }

    /// Event-to-screen latencies so far, one per redraw (the worst event of each), µs.
    pub fn latencies_us(&self) -> &[u64] {
        &self.latencies_us
    }

    fn drew(&mut self, run: &LiveRun, now: f64) {
        self.last_render = now;
        self.owed = false;
        if let Some(t) = self.oldest_undrawn_us.take() {
            self.latencies_us
                .push(run.ctx.recorder.now_us().saturating_sub(t));
        }
    }

    /// One animation frame: either the owed redraw alone, or applying events within the
    /// budget (and a redraw when it is due). `keep` collects every applied event (the
    /// run's trace, for export); `skip_backlog` drops everything but the run's end, its
    /// workers' ends and the ends of their join and result waits (a cancelled run that has
    /// already stopped).
    pub fn frame(
        &mut self,
        run: &LiveRun,
        views: &ViewsHandle,
        keep: Option<&RefCell<AppendLog<Event>>>,
        skip_backlog: bool,
    ) -> Fed {
        let started = now_ms();
        if self.owed && started - self.last_render >= REDRAW_MS {
            self.drew(run, started);
            return Fed {
                redraw: Some(views.update(|_| ())),
                ..Fed::default()
            };
        }
        let mut fed = Fed::default();
        let mut more_pending = false;
        let mut batch = std::mem::take(&mut self.batch);
        batch.reserve(DRAIN_CHUNK);
        let handle = views.update(|v| loop {
            batch.clear();
            if skip_backlog {
                run.ctx.recorder.drain_into(&mut batch, usize::MAX);
                // The workers' ends too (one each, so still cheap): without them the
                // views kept a cancelled waiter "blocked" after the run. Likewise the end
                // of a join or result wait the cancel broke (one per waiting worker).
                batch.retain(|e| {
                    matches!(
                        e.kind,
                        EventKind::RunEnd { .. }
                            | EventKind::WorkerEnd { .. }
                            | EventKind::WaitDone
                    )
                });
            } else {
                run.ctx.recorder.drain_into(&mut batch, DRAIN_CHUNK);
            }
            if batch.is_empty() {
                break;
            }
            // The recorder hands events out in `seq` order, each drain after the last.
            debug_assert!(batch.is_sorted_by_key(|e| e.seq));
            for e in &batch {
                match &e.kind {
                    EventKind::Figure(_) => fed.figures.push(e.clone()),
                    EventKind::RunEnd { outcome } => fed.ended = Some(outcome.clone()),
                    EventKind::Dropped { count } => fed.dropped += count,
                    _ => {}
                }
                if !matches!(e.kind, EventKind::Dropped { .. }) {
                    let t = self.oldest_undrawn_us.get_or_insert(e.t_us);
                    *t = (*t).min(e.t_us);
                }
            }
            v.apply_batch(&batch);
            fed.applied += batch.len();
            if let Some(keep) = keep {
                let mut all = keep.borrow_mut();
                for e in batch.drain(..) {
                    all.push(e);
                }
            }
            if now_ms() - started > FRAME_BUDGET_MS {
                more_pending = true;
                break;
            }
        });
        batch.clear();
        self.batch = batch;
        if fed.applied == 0 {
            return fed;
        }
        let now = now_ms();
        let due = now - self.last_render >= REDRAW_MS;
        if fed.ended.is_some() || (due && !more_pending) {
            self.drew(run, now);
            fed.redraw = Some(handle);
        } else {
            self.owed = true;
        }
        fed
    }
}
