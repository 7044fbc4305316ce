//! Platform-neutral views of a run's trace.
//!
//! The browser UI and the CLI are thin: everything they show is computed here, from
//! `&[Event]` alone, by plain structs that are tested natively. Every view is fed
//! incrementally with [`Views::apply`] (a live run is a replay at speed 1) and can be
//! rebuilt from any prefix of a trace (the replay scrubber going backward).
//!
//! Events are applied in the order given. The recorder's drains come out in `seq` order,
//! each after the one before, so the order the views see is the run's total order.
//!
//! ```
//! use concurrency_playground::views::{console::Filter, Views};
//! # let drained: Vec<concurrency_playground::engine::Event> = Vec::new();
//! let mut views = Views::new();
//! views.apply_batch(&drained); // once per animation frame
//! let visible = views.console.lines(Filter::All, 0, 50); // what a virtual list shows
//! let now = views.timeline.now_us();
//! let spans = views.timeline.spans_in(1, now.saturating_sub(1_000_000), now);
//! let text_alternative = views.timeline.summary();
//! # let _ = (visible, spans, text_alternative);
//! ```
//!
//! Growing collections live in [`AppendLog`]s, whose full chunks are shared between
//! clones: that is what makes a checkpoint of all views cheap, and so backward seeks
//! in [`replay::Replay`] fast.

pub mod applog;
pub mod console;
mod event_reader;
pub mod export;
pub mod highlight;
pub mod overview;
pub mod picture;
pub mod replay;
pub mod roster;
pub mod state;
pub mod timeline;
pub mod timings;

pub use applog::AppendLog;
pub use console::{Console, ConsoleLine, LineKind};
pub use export::{chrome_trace, load_trace, save_trace, TraceFile};
pub use replay::Replay;
pub use roster::Roster;
pub use state::StatePanel;
pub use timeline::{Span, SpanKind, Timeline};
pub use timings::Timings;

use crate::engine::trace::Event;

/// Every view of one run, fed together. This is what a live page or a replay holds.
#[derive(Clone, Debug, Default)]
pub struct Views {
    pub console: Console,
    pub timeline: Timeline,
    pub state: StatePanel,
    pub timings: Timings,
    /// How many events have been applied.
    pub applied: usize,
}

impl Views {
    pub fn new() -> Self {
        Self::default()
    }

    /// All views of a trace (or of a prefix of one).
    pub fn build(events: &[Event]) -> Self {
        let mut v = Self::new();
        v.apply_all(events);
        v
    }

    pub fn apply(&mut self, e: &Event) {
        self.console.apply(e);
        self.timeline.apply(e);
        self.state.apply(e);
        self.timings.apply(e);
        self.applied += 1;
    }

    pub fn apply_all(&mut self, events: &[Event]) {
        for e in events {
            self.apply(e);
        }
    }

    /// Apply one drained batch in `seq` order, whatever order it arrived in.
    pub fn apply_batch(&mut self, batch: &[Event]) {
        if batch.is_sorted_by_key(|e| e.seq) {
            self.apply_all(batch);
        } else {
            let mut sorted: Vec<&Event> = batch.iter().collect();
            sorted.sort_by_key(|e| e.seq);
            for e in sorted {
                self.apply(e);
            }
        }
    }
}
