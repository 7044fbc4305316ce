//! Executors and futures. Its catalogue entry (knobs, Python, lesson) is in
//! [`super::catalog`]; the code that runs goes between the markers below, which the page
//! shows to the learner verbatim.
//!
//! The flavour knob is the one line that switches `ThreadPoolExecutor` to
//! `ProcessPoolExecutor`. With processes every argument really crosses as bytes
//! (`Serialize` / `Deserialize` events with their size and time); with threads the payload
//! is shared, not copied.
//!
//! Figures: `pickle-bytes-small`, `pickle-bytes-medium`, `pickle-bytes-large` and the
//! matching `pickle-ms-*` (a round trip of a growing argument: bytes and time), `exceptions`
//! (futures whose task raised; the exception came back as a value), `out-of-order`
//! (futures `as_completed` yielded out of submission order), `bytes-to-workers` (the bytes
//! of every task argument that crossed to a worker: 0 for threads) and `wall-ms`.

use super::runner::Scene;
use crate::engine::executor::{as_completed, Executor};
use crate::engine::pickle::{pickle, unpickle};
use crate::engine::sync::stdout::print;
use crate::engine::{EngineError, EngineResult, Flavour};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::sync::Arc;
use std::time::Duration;
use web_time::Instant;

// ANCHOR: code
/// The task: a checksum of every 4096th byte of the payload. Task 3 raises when asked.
fn checksum(task: (u64, Payload), fail_one: bool) -> EngineResult<(u64, u64)> {
    let (number, payload) = task;
    if fail_one && number == 3 {
        let error = format!("ValueError: task {number} does not like its input");
        return Err(EngineError::Task(error));
    }
    let total = payload
        .bytes()
        .iter()
        .step_by(4096)
        .map(|&b| b as u64)
        .sum();
    Ok((number, total))
}

/// What crossing to a process costs: serialize a list of floats and read it back. The
/// best of `REPEAT` round trips, as `timeit` reports: the first ones also pay for warming
/// up (in the browser, compiling the code on first use) and say little about the size.
fn pickle_round_trip(s: &Scene, kb: usize) -> EngineResult<(usize, Duration)> {
    let data: Vec<f64> = (0..kb * 1024 / 8).map(|i| i as f64).collect(); // about `kb` KB
    let (mut size, mut best) = (0, Duration::MAX);
    for _ in 0..REPEAT {
        let start = Instant::now();
        let blob = pickle(s.ctx, &data)?;
        unpickle(s.ctx, &blob)?;
        (size, best) = (blob.len(), best.min(start.elapsed()));
    }
    Ok((size, best))
}

/// How many times each pickling round trip is timed.
const REPEAT: usize = 5;

pub fn run(s: &Scene) -> EngineResult<()> {
    super::queue_sentinel::slow_motion(s);
    let workers = s.int("workers") as usize;
    let tasks = s.int("items") as u64;
    let payload_kb = s.int("payload-kb") as usize;
    let fail_one = s.flag("fail-one");
    // The one line that switches between threads and processes:
    let flavour = match s.choice("flavour") {
        "process" => Flavour::Process, // ProcessPoolExecutor
        _ => Flavour::Thread,          // ThreadPoolExecutor
    };

    // Pickling grows with the argument.
    let mut sizes = Vec::new();
    for kb in [
        (payload_kb / 64).max(1),
        (payload_kb / 8).max(1),
        payload_kb.max(1),
    ] {
        let (bytes, took) = pickle_round_trip(s, kb)?;
        print(&format!(
            "an argument of {bytes:>9} bytes pickles and unpickles in {:8.3} ms (best of {REPEAT})",
            took.as_secs_f64() * 1000.0
        ))?;
        sizes.push((bytes, took));
    }

    let payload = Payload::new((0..payload_kb * 1024).map(|i| i as u8).collect());
    let start = Instant::now();
    let executor = Executor::new(s.ctx, s.threads, flavour, workers)?;
    let mut futures = Vec::new();
    for n in 0..tasks {
        let task = (n, payload.clone()); // shared by threads, pickled for a process
        futures.push(executor.submit(move |t| checksum(t, fail_one), task)?);
    }
    let mut finished = Vec::new();
    for done in as_completed(s.ctx, &futures) {
        let (number, future) = done?;
        finished.push(number);
        match future.result(None) {
            Ok((_, total)) => print(&format!("as_completed: task {number} -> {total}"))?,
            Err(EngineError::Cancelled) => return Err(EngineError::Cancelled),
            // The task's exception comes back as a value; the run goes on.
            Err(error) => print(&format!("as_completed: task {number} raised {error}"))?,
        }
    }
    let squares: Vec<u64> = executor
        .map(
            |(x, y): (u64, u32)| Ok(x.pow(y)),
            (0..5).map(|x| (x, 2)).collect(),
        )?
        .collect::<EngineResult<_>>()?;
    print(&format!("map keeps input order: {squares:?}"))?;
    executor.shutdown(true)?;
    print(&format!(
        "{} executor with {workers} workers",
        s.choice("flavour")
    ))?;
    report(s, &sizes, &futures, &finished, &payload, start.elapsed())
}
// ANCHOR_END: code

pub fn threads_needed(c: &super::knob::Config) -> usize {
    c.int("workers").unwrap_or(1).max(1) as usize
}

/// A byte payload that threads share without copying (Python passes the same `bytes`
/// object to every thread) and that a process receives as serialized bytes.
#[derive(Clone, Debug, Default)]
pub struct Payload(Arc<Vec<u8>>);

impl Payload {
    fn new(bytes: Vec<u8>) -> Self {
        Payload(Arc::new(bytes))
    }

    fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.as_slice().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<u8>::deserialize(d).map(Payload::new)
    }
}

fn report(
    s: &Scene,
    sizes: &[(usize, Duration)],
    futures: &[crate::engine::executor::Future<(u64, u64)>],
    finished: &[usize],
    payload: &Payload,
    elapsed: Duration,
) -> EngineResult<()> {
    for ((bytes, took), step) in sizes.iter().zip(["small", "medium", "large"]) {
        let ms = took.as_secs_f64() * 1000.0;
        s.figure(
            &format!("pickle-bytes-{step}"),
            *bytes as f64,
            "bytes",
            format!("a {step} argument pickles to {bytes} bytes"),
        );
        s.figure(
            &format!("pickle-ms-{step}"),
            ms,
            "ms",
            format!("its round trip through pickle took {ms:.3} ms (best of {REPEAT})"),
        );
    }
    let raised = futures
        .iter()
        .filter(|f| matches!(f.exception(Some(0.0)), Ok(Some(_))))
        .count();
    s.figure(
        "exceptions",
        raised as f64,
        "futures",
        match raised {
            0 => "no task raised".to_string(),
            1 => "1 task raised; its future carried the exception back as a value".to_string(),
            n => format!("{n} tasks raised; their futures carried the exceptions back as values"),
        },
    );
    let moved = finished.iter().enumerate().filter(|(i, n)| i != *n).count();
    s.figure(
        "out-of-order",
        moved as f64,
        "futures",
        format!("as_completed yielded the tasks in the order {finished:?}"),
    );
    let per_task = if s.choice("flavour") == "process" {
        serde_json::to_vec(&(0u64, payload))
            .map(|v| v.len())
            .unwrap_or(0)
    } else {
        0
    };
    let crossed = per_task * futures.len();
    s.figure(
        "bytes-to-workers",
        crossed as f64,
        "bytes",
        if crossed == 0 {
            "threads share the payload: no bytes were copied to the workers".to_string()
        } else {
            format!(
                "{} task arguments of {per_task} bytes each were pickled to the workers",
                futures.len()
            )
        },
    );
    let ms = elapsed.as_secs_f64() * 1000.0;
    s.figure(
        "wall-ms",
        ms,
        "ms",
        format!("the executor part took {ms:.0} ms"),
    );
    Ok(())
}
