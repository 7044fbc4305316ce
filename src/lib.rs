//! # Concurrency Playground
//!
//! Teaches threads vs processes, locks, events, conditions, semaphores, queues, pools,
//! futures, shared state and the GIL by running every pattern for real on Web Workers.
//!
//! The architecture, in the direction the arrows point:
//!
//! - [`engine`]: platform-neutral and tested natively. Instrumented primitives, workers,
//!   pools, the GIL model, cancellation, and the trace: the single source of truth.
//! - [`scenarios`]: one module per lesson, built on the engine: knobs, the code that runs,
//!   the Python it mirrors, and what to notice.
//! - `runtime` (wasm32 only): pools of Web Workers, launching runs, draining events once per
//!   animation frame. Thin.
//! - [`route`]: the site's hash routes, platform-neutral so their matching is tested natively.
//! - `ui` (wasm32 only): yew views of the trace. It reads events and scenario metadata,
//!   never engine internals.

// `runtime::pool` waits on and notifies a futex directly (`memory_atomic_wait32` / `_notify`).
#![cfg_attr(target_arch = "wasm32", feature(stdarch_wasm_atomic_wait))]

pub mod engine;
pub mod heap;
pub mod route;
pub mod scenarios;
pub mod views;

#[cfg(target_arch = "wasm32")]
pub mod runtime;
#[cfg(target_arch = "wasm32")]
pub mod ui;
