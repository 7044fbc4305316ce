//! Shared state. Its catalogue entry (knobs, Python, lesson) is in [`super::catalog`]; the
//! code that runs goes between the markers below, which the page shows to the learner
//! verbatim.
//!
//! Process-flavoured workers make the same number of updates three ways: through shared
//! memory (`Value`, `Array`, each behind its own lock), through a manager's dict proxy
//! (every get and set a serialized request and a serialized answer), and by message
//! passing (each update pickled onto a queue, summed by the main program). Each method is
//! timed from starting its workers to having the total, and the cost per operation is
//! recorded for each, so the gap between them is measured, not claimed.
//!
//! How far that gap is from CPython's is said in the lesson: the engine's manager serves
//! requests on the caller's thread (a Web Worker pool has no thread to spare for a server
//! process), so a proxy call costs its four JSON encodings and decodings but no trip to
//! another process and back.

use super::lock::slow_motion;
use super::runner::Scene;
use crate::engine::pickle::{pickle, unpickle, Pickled};
use crate::engine::sync::stdout::print;
use crate::engine::sync::{Array, DictProxy, Manager, Queue, Value};
use crate::engine::trace::Flavour;
use crate::engine::worker::{Worker, WorkerSpec};
use crate::engine::{EngineResult, RunCtx};
use std::sync::Arc;
use web_time::Instant;

// ANCHOR: code
pub fn run(s: &Scene) -> EngineResult<()> {
    slow_motion(s);
    let workers = s.int("workers") as usize;
    let ops = s.int("items") as u64;
    let method = s.choice("method");
    let exact = workers as u64 * ops;
    print(&format!(
        "{workers} workers x {ops} updates; the exact total is {exact}"
    ))?;
    let methods: [(&str, Method); 4] = [
        ("value", with_value),
        ("array", with_array),
        ("manager", with_manager),
        ("messages", with_messages),
    ];
    for (name, body) in methods {
        if method == "all" || method == name {
            timed(s, name, body)?;
        }
    }
    Ok(())
}

/// Shared memory: one `Value` with the lock it carries.
fn add_to_value(total: &Value<i64>, ops: u64) -> EngineResult<i32> {
    for _ in 0..ops {
        total.add(1)?; // with total.get_lock(): total.value += 1
    }
    Ok(0)
}

/// Shared memory: an `Array`, one slot per worker, same lock for all.
fn add_to_array(slots: &Array<i64>, index: usize, ops: u64) -> EngineResult<i32> {
    for _ in 0..ops {
        slots.add(index, 1)?; // with slots.get_lock(): slots[index] += 1
    }
    Ok(0)
}

/// A manager's dict: every get and set is a round trip to the manager. `d[k] += 1` is two
/// of them and not atomic, so each worker counts under its own key.
fn add_by_dict_keys(shared: &DictProxy, key: &str, ops: u64) -> EngineResult<i32> {
    for _ in 0..ops {
        let current: i64 = shared.get(key)?.unwrap_or(0);
        shared.set(key, &(current + 1))?;
    }
    Ok(0)
}

/// Message passing: share nothing, send each update (pickled, as a process must).
fn send_ones(ctx: &RunCtx, outbox: &Queue<Pickled<i64>>, ops: u64) -> EngineResult<i32> {
    for _ in 0..ops {
        outbox.put(pickle(ctx, &1i64)?, true, None)?;
    }
    Ok(0)
}

fn with_value(s: &Scene, workers: usize, ops: u64) -> EngineResult<i64> {
    let total = Value::new(s.ctx, "total", 0i64);
    join_all(start_all(s, workers, |_| {
        let total = total.clone();
        move || add_to_value(&total, ops)
    })?)?;
    Ok(total.load())
}

fn with_array(s: &Scene, workers: usize, ops: u64) -> EngineResult<i64> {
    let slots = Array::new(s.ctx, "slots", &vec![0i64; workers]);
    join_all(start_all(s, workers, |i| {
        let slots = slots.clone();
        move || add_to_array(&slots, i, ops)
    })?)?;
    Ok(slots.load_all().iter().sum())
}

fn with_manager(s: &Scene, workers: usize, ops: u64) -> EngineResult<i64> {
    let manager = Manager::new(s.ctx, "manager");
    let shared = manager.dict();
    join_all(start_all(s, workers, |i| {
        let shared = shared.clone(); // another proxy to the same dict
        move || add_by_dict_keys(&shared, &i.to_string(), ops)
    })?)?;
    Ok(shared.items::<i64>()?.values().sum())
}

fn with_messages(s: &Scene, workers: usize, ops: u64) -> EngineResult<i64> {
    let inbox: Arc<Queue<Pickled<i64>>> = Queue::new(s.ctx, "inbox", 0);
    let senders = start_all(s, workers, |_| {
        let (ctx, outbox) = (s.ctx.clone(), inbox.clone());
        move || send_ones(&ctx, &outbox, ops)
    })?;
    let mut total = 0;
    for _ in 0..workers as u64 * ops {
        total += unpickle(s.ctx, &inbox.get(true, None)?)?;
    }
    join_all(senders)?;
    Ok(total)
}
// ANCHOR_END: code

/// One way of sharing: builds its state, runs the workers, returns the total.
type Method = fn(&Scene, usize, u64) -> EngineResult<i64>;

/// Start `workers` process-flavoured workers with `target(i)`.
fn start_all<F, T>(s: &Scene, workers: usize, target: T) -> EngineResult<Vec<Worker>>
where
    T: Fn(usize) -> F,
    F: FnOnce() -> EngineResult<i32> + Send + 'static,
{
    (0..workers)
        .map(|i| WorkerSpec::new(Flavour::Process).start(s.ctx, s.threads, target(i)))
        .collect()
}

fn join_all(workers: Vec<Worker>) -> EngineResult<()> {
    for w in &workers {
        w.join()?;
    }
    Ok(())
}

/// Run one method, print its line as the Python does, and record its figures.
fn timed(s: &Scene, name: &str, body: Method) -> EngineResult<()> {
    let workers = s.int("workers").max(1) as usize;
    let ops = s.int("items").max(1) as u64;
    let started = Instant::now();
    let total = body(s, workers, ops)?;
    let elapsed = started.elapsed().as_secs_f64();
    let n = (workers as u64 * ops) as f64;
    let per_op_us = elapsed / n * 1e6;
    print(&format!(
        "{name:<9} total {total:>7}  {elapsed:7.3} s  {per_op_us:8.2} us per operation"
    ))?;
    s.figure(
        &format!("{name}-total"),
        total as f64,
        "updates",
        format!("{name}: the total is {total} (exact: {n})"),
    );
    s.figure(
        &format!("{name}-us-per-op"),
        per_op_us,
        "µs",
        format!("{name}: {per_op_us:.2} µs per operation, {elapsed:.3} s in all"),
    );
    Ok(())
}

/// Every worker of one method runs at once.
pub fn threads_needed(c: &super::knob::Config) -> usize {
    c.int("workers").unwrap_or(1).max(1) as usize
}
