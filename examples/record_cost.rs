//! Cost of recording one event from several threads at once, beside the cost of the clock
//! read each event takes: where tracing overhead (P7) goes.
//!
//! `cargo run --profile release-native --example record_cost`

use concurrency_playground::engine::record::Recorder;
use concurrency_playground::engine::trace::EventKind;
use std::sync::Arc;
use web_time::Instant;

/// Lets the shared workloads file say `crate::engine::...` here too.
mod engine {
    pub use concurrency_playground::engine::*;
}

#[path = "../src/runtime/bench_workloads.rs"]
#[allow(dead_code)]
mod workloads;

const THREADS: u32 = 4;
const PER: u64 = 100_000;

fn ns_per_op(op: impl Fn(u32) + Send + Sync + 'static) -> f64 {
    workloads::ns_per_op(THREADS, PER, op)
}

fn main() {
    for _ in 0..3 {
        let clock = ns_per_op(|_| {
            std::hint::black_box(Instant::now());
        });
        let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let c = counter.clone();
        let shared = ns_per_op(move |_| {
            c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            std::hint::black_box(Instant::now());
        });
        let rec = Arc::new(Recorder::new(1));
        let r = rec.clone();
        let record = ns_per_op(move |w| r.record(w, Some(1), EventKind::LockAcquire));
        let drained = rec.drain_sorted().len();
        println!(
            "clock {clock:.1} ns/op, clock + shared counter {shared:.1} ns/op, \
             record {record:.1} ns/event ({drained} events)"
        );
    }
}
