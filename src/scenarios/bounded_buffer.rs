//! Bounded buffer with two semaphores. Its catalogue entry (knobs, Python, lesson) is in
//! [`super::catalog`]; the code that runs goes between the markers below, which the page
//! shows to the learner verbatim.
//!
//! How the trace shows the slots (for the UI): the ring buffer is an engine
//! [`Array`](crate::engine::sync::Array) named `buffer` (`ObjectNew { kind: Array }`) with
//! one cell per slot. Every write to a slot records `Counter { name: "[i]", value }` on that
//! object: `value` is the item number (items are numbered from 1) and `0` means the slot is
//! empty. The next write and read positions are `Value`s named `put_at` and `take_at`
//! (`Counter { name: "value" }` on each). The semaphores `empty` and `fill` record their
//! values as `Counter { name: "value" }` too, so a view can draw the slots, both arrows
//! and both counts live from the trace alone. (The array's own lock, `buffer.lock`, is
//! taken inside the mutex and never contended.)
//!
//! Figures: `produced`, `consumed`, `max-filled` (the most slots ever full at once: it never
//! exceeds the capacity), `producer-wait-ms` (time producers spent waiting on `empty`, i.e.
//! on a full buffer) and `consumer-wait-ms` (time consumers spent waiting on `fill`, i.e.
//! on an empty buffer).

use super::runner::Scene;
use crate::engine::sync::stdout::print;
use crate::engine::sync::{Array, Lock, Semaphore, Value};
use crate::engine::work::io_wait;
use crate::engine::worker::WorkerSpec;
use crate::engine::{EngineError, EngineResult, Flavour, RunCtx};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use web_time::Instant;

// ANCHOR: code
/// Everything the producers and consumers share.
struct BoundedBuffer {
    buffer: Arc<Array<i64>>, // one cell per slot; 0 is an empty slot
    put_at: Arc<Value<i64>>,
    take_at: Arc<Value<i64>>,
    produced: Arc<Value<i64>>,
    consumed: Arc<Value<i64>>,
    empty: Arc<Semaphore>, // free slots
    fill: Arc<Semaphore>,  // items ready
    mutex: Arc<Lock>,      // one worker at a time touches the buffer
    waits: Waits,          // the playground's stopwatch on the two semaphores
}

impl BoundedBuffer {
    fn new(ctx: &Arc<RunCtx>, capacity: usize) -> BoundedBuffer {
        BoundedBuffer {
            buffer: Array::new(ctx, "buffer", &vec![0; capacity]),
            put_at: Value::new(ctx, "put_at", 0),
            take_at: Value::new(ctx, "take_at", 0),
            produced: Value::new(ctx, "produced", 0),
            consumed: Value::new(ctx, "consumed", 0),
            empty: Semaphore::new(ctx, "empty", capacity as u32),
            fill: Semaphore::new(ctx, "fill", 0),
            mutex: Lock::new(ctx, "mutex"),
            waits: Waits::default(),
        }
    }

    /// The slots as `[1 2 _ _]`.
    fn slots(&self) -> String {
        let cells: Vec<String> = self
            .buffer
            .load_all()
            .iter()
            .map(|&x| if x == 0 { "_".into() } else { x.to_string() })
            .collect();
        format!("[{}]", cells.join(" "))
    }
}

/// How many of `total` items worker `index` of `parts` handles.
fn share(total: usize, parts: usize, index: usize) -> usize {
    total / parts + usize::from(index < total % parts)
}

fn producer(b: &BoundedBuffer, index: usize, count: usize, produce: Duration) -> EngineResult<i32> {
    let ctx = RunCtx::require()?.0;
    let capacity = b.buffer.len() as i64;
    for _ in 0..count {
        io_wait(&ctx, None, produce)?; // making the item
        b.waits.producer.time(|| b.empty.acquire(true, None))?; // wait for a free slot
        {
            let _mutex = b.mutex.lock()?;
            let item = b.produced.get()? + 1;
            b.produced.set(item)?;
            let at = b.put_at.get()?;
            b.buffer.set(at as usize, item)?;
            b.put_at.set((at + 1) % capacity)?;
            print(&format!(
                "producer-{} put {item:<3} {}",
                index + 1,
                b.slots()
            ))?;
            b.waits.filled(&b.buffer);
        }
        b.fill.release(1)?; // one more item ready
    }
    Ok(0)
}

fn consumer(b: &BoundedBuffer, index: usize, count: usize, consume: Duration) -> EngineResult<i32> {
    let ctx = RunCtx::require()?.0;
    let capacity = b.buffer.len() as i64;
    for _ in 0..count {
        b.waits.consumer.time(|| b.fill.acquire(true, None))?; // wait for an item
        {
            let _mutex = b.mutex.lock()?;
            let at = b.take_at.get()?;
            let item = b.buffer.get(at as usize)?;
            if item == 0 {
                return Err(EngineError::Task(format!("slot {at} was empty")));
            }
            b.buffer.set(at as usize, 0)?;
            b.take_at.set((at + 1) % capacity)?;
            b.consumed.set(b.consumed.get()? + 1)?;
            print(&format!(
                "consumer-{} got {item:<3} {}",
                index + 1,
                b.slots()
            ))?;
        }
        b.empty.release(1)?; // one more free slot
        io_wait(&ctx, None, consume)?; // using the item
    }
    Ok(0)
}

pub fn run(s: &Scene) -> EngineResult<()> {
    super::queue_sentinel::slow_motion(s);
    let items = s.int("items") as usize;
    let producers = s.int("producers") as usize;
    let consumers = s.int("consumers") as usize;
    let produce = Duration::from_secs_f64(s.float("produce-ms") / 1000.0);
    let consume = Duration::from_secs_f64(s.float("consume-ms") / 1000.0);
    let b = Arc::new(BoundedBuffer::new(s.ctx, s.int("capacity") as usize));

    let mut workers = Vec::new();
    for i in 0..producers {
        let (b, count) = (b.clone(), share(items, producers, i));
        let spec = WorkerSpec::new(Flavour::Thread).name(format!("producer-{}", i + 1));
        workers.push(spec.start(s.ctx, s.threads, move || producer(&b, i, count, produce))?);
    }
    for i in 0..consumers {
        let (b, count) = (b.clone(), share(items, consumers, i));
        let spec = WorkerSpec::new(Flavour::Thread).name(format!("consumer-{}", i + 1));
        workers.push(spec.start(s.ctx, s.threads, move || consumer(&b, i, count, consume))?);
    }
    for w in &workers {
        w.join()?;
    }
    let (produced, consumed) = (b.produced.get()?, b.consumed.get()?);
    print(&format!("produced {produced}, consumed {consumed}"))?;
    report(s, &b)
}
// ANCHOR_END: code

pub fn threads_needed(c: &super::knob::Config) -> usize {
    let n = |k: &str| c.int(k).unwrap_or(1).max(1) as usize;
    n("producers") + n("consumers")
}

/// The playground's stopwatch: time spent blocked on each semaphore, and the fullest the
/// buffer ever was. (Python keeps none of this; the summary needs it.)
#[derive(Default)]
struct Waits {
    producer: Stopwatch,
    consumer: Stopwatch,
    max_filled: AtomicU64,
}

impl Waits {
    /// Called by a producer inside the mutex, right after filling a slot.
    fn filled(&self, buffer: &Array<i64>) {
        let full = buffer.load_all().iter().filter(|&&x| x != 0).count() as u64;
        self.max_filled.fetch_max(full, Ordering::Relaxed);
    }
}

#[derive(Default)]
struct Stopwatch {
    us: AtomicU64,
}

impl Stopwatch {
    fn time<T>(&self, f: impl FnOnce() -> EngineResult<T>) -> EngineResult<T> {
        let t0 = Instant::now();
        let out = f();
        self.us
            .fetch_add(t0.elapsed().as_micros() as u64, Ordering::Relaxed);
        out
    }

    fn ms(&self) -> f64 {
        self.us.load(Ordering::Relaxed) as f64 / 1000.0
    }
}

fn report(s: &Scene, b: &BoundedBuffer) -> EngineResult<()> {
    let capacity = b.buffer.len();
    let (produced, consumed) = (b.produced.get()?, b.consumed.get()?);
    s.figure(
        "produced",
        produced as f64,
        "items",
        format!("{produced} items produced"),
    );
    s.figure(
        "consumed",
        consumed as f64,
        "items",
        format!("{consumed} items consumed"),
    );
    let max = b.waits.max_filled.load(Ordering::Relaxed);
    s.figure(
        "max-filled",
        max as f64,
        "slots",
        format!("at most {max} of {capacity} slots were full at once"),
    );
    let p = b.waits.producer.ms();
    s.figure(
        "producer-wait-ms",
        p,
        "ms",
        format!("producers waited {p:.0} ms on `empty` (a full buffer)"),
    );
    let c = b.waits.consumer.ms();
    s.figure(
        "consumer-wait-ms",
        c,
        "ms",
        format!("consumers waited {c:.0} ms on `fill` (an empty buffer)"),
    );
    Ok(())
}
