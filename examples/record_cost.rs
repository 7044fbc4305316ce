//! Cost of recording one event from several threads at once, beside the cost of the clock
//! read each event takes: where tracing overhead (P7) goes.
//!
//! `cargo run --profile release-native --example record_cost`

use concurrency_playground::engine::record::Recorder;
use concurrency_playground::engine::trace::EventKind;
use std::sync::Arc;
use web_time::Instant;

const THREADS: u32 = 4;
const PER: u64 = 100_000;

/// ns per operation, `op` run `PER` times on each of `THREADS` threads at once.
fn ns_per_op(op: impl Fn(u32) + Send + Sync + 'static) -> f64 {
    let op = Arc::new(op);
    let t0 = Instant::now();
    let hs: Vec<_> = (0..THREADS)
        .map(|w| {
            let op = op.clone();
            std::thread::spawn(move || {
                for _ in 0..PER {
                    op(w);
                }
            })
        })
        .collect();
    for h in hs {
        let _ = h.join();
    }
    t0.elapsed().as_secs_f64() * 1e9 / (PER * THREADS as u64) as f64
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
