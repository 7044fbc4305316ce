//! The platform-neutral engine: instrumented primitives with Python's semantics, logical
//! workers and pools, the GIL and pickling models, cancellation, liveness detection, and
//! the trace every view is built from. It uses std, rayon, crossbeam, serde and web-time
//! only, so it runs under native `cargo test` and unchanged on the browser's Web Workers.

pub mod error;
mod event_log;
pub mod executor;
pub mod gil;
pub mod liveness;
pub mod pickle;
pub mod pool;
pub mod record;
pub mod run;
pub mod sync;
pub mod trace;
pub mod wait;
pub mod work;
pub mod worker;

pub use error::{EngineError, EngineResult};
pub use run::RunCtx;
pub use trace::{Event, EventKind, Flavour, ObjectId, ObjectKind, Outcome, WorkerId};
