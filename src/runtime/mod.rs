//! The browser runtime (wasm32 only), kept thin: it owns the Web Worker pools, starts
//! runs on them, and hands their events to the UI, which drains them once per animation
//! frame. Nothing here blocks the main thread: runs start on the supervisor pool (`pool::supervise`), and events
//! come back through the recorder's lock-free queue.

// Without the atomics feature the module has no shared memory: every Worker would get a
// heap of its own, and the pools would fail at run time in ways far from the cause.
// (scripts/env.sh and .cargo/config.toml set the flags; see the toolchain notes.)
#[cfg(not(target_feature = "atomics"))]
compile_error!(
    "the browser build needs `-C target-feature=+atomics,+bulk-memory` and a rebuilt std: \
     `source scripts/env.sh` first, or use `trunk build` / `scripts/serve.sh`"
);

pub mod crash;
pub mod env;
pub mod opfs;
pub mod pool;
pub mod session;
pub mod stats;

pub use session::Session;
pub mod bench;
pub mod bench_workloads;
