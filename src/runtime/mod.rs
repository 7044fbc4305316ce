//! The browser runtime (wasm32 only), kept thin: it owns the Web Worker pools, starts
//! runs on them, and hands their events to the UI, which drains them once per animation
//! frame. Nothing here blocks the main thread: runs start on the supervisor pool (`pool::supervise`), and events
//! come back through the recorder's lock-free queue.

pub mod crash;
pub mod env;
pub mod opfs;
pub mod pool;
pub mod session;
pub mod stats;

pub use session::Session;
pub mod bench;
pub mod bench_workloads;
