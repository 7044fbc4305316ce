//! One module per curriculum pattern, plus the catalogue that describes them all and the
//! knob layer that turns URLs and CLI flags into a valid configuration.
//!
//! - [`knob`]: knob specs, [`knob::Config`], and the parser that never fails (it repairs
//!   and explains instead).
//! - [`catalog`]: the 18 scenarios as static data: id, title, promise, theme, knobs,
//!   the Python text, the Rust shown to learners (cut between markers), and the lesson.
//! - one module per pattern: the code that runs, between `// ANCHOR: code` markers.

pub mod catalog;
pub mod knob;
pub mod markers;
pub mod memory;
pub mod runner;
pub mod smoke;

pub mod bounded_buffer;
pub mod condition;
pub mod deadlock;
pub mod do_work;
pub mod event;
pub mod executor;
pub mod gil;
pub mod lock;
pub mod parallel_map;
pub mod pool;
pub mod queue_sentinel;
pub mod semaphore;
pub mod shared_state;
pub mod site_checker;
pub mod start_join;
pub mod timing_calls;
pub mod worker_class;
pub mod worker_logging;

pub use catalog::{all, extract_between_markers, find, Lesson, ScenarioInfo, SourceFigure, Theme};
pub use knob::{Config, KnobKind, KnobSpec, KnobValue, Message, PageOptions, Parsed};
