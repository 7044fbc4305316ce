//! A parallel list comprehension. Its catalogue entry (knobs, Python, lesson) is in [`super::catalog`]; the code
//! that runs goes between the markers below, which the page shows to the learner verbatim.

// ANCHOR: code
use crate::engine::gil::{Gil, Kernel};
use crate::engine::pool::{Pool, PoolSpec};
use crate::engine::sync::stdout::print;
use crate::engine::EngineResult;
use web_time::Instant;

/// `f(x)`: `total += (x * i) % 7` for `steps` steps. Written as a [`Kernel`] so it runs in
/// small slices (a thread must hold the GIL while it computes; a process has its own).
struct F {
    x: u64,
    i: u64,
    steps: u64,
    total: u64,
}

impl Kernel for F {
    type Output = u64;
    fn step(&mut self) -> Option<u64> {
        let end = (self.i + 20_000).min(self.steps);
        while self.i < end {
            self.total += std::hint::black_box(self.x * self.i) % 7;
            self.i += 1;
        }
        (self.i == self.steps).then_some(self.total)
    }
}

fn f(gil: &Gil, x: u64, steps: u64) -> EngineResult<u64> {
    gil.run(F {
        x,
        i: 0,
        steps,
        total: 0,
    })
}

pub fn run(s: &Scene) -> EngineResult<()> {
    let pool_size = s.int("pool") as usize;
    let steps = s.int("work") as u64 * 1000;
    let repeat = s.int("repeat").max(1);
    let xs: Vec<u64> = (0..s.int("items") as u64).collect();
    let gil = Gil::new(s.ctx); // only thread-flavoured workers take it

    // with Pool(POOL) as pool: started before anything is timed
    let pool = Pool::new(
        s.ctx,
        s.threads,
        PoolSpec::new(flavour_of(s.choice("flavour")), pool_size),
    )?;
    // Like timeit.repeat: time both ways REPEAT times, and the least disturbed run counts.
    let (mut serial_time, mut parallel_time) = (f64::INFINITY, f64::INFINITY);
    let mut same = true;
    for _ in 0..repeat {
        // [f(x) for x in xs], on the main program
        let start = Instant::now();
        let serial = xs
            .iter()
            .map(|&x| f(&gil, x, steps))
            .collect::<EngineResult<Vec<u64>>>()?;
        serial_time = serial_time.min(start.elapsed().as_secs_f64());

        // pool.map(f, xs)
        let g = gil.clone();
        let start = Instant::now();
        let parallel = pool.map(move |x| f(&g, x, steps), xs.clone(), None)?;
        parallel_time = parallel_time.min(start.elapsed().as_secs_f64());
        same &= parallel == serial; // map keeps the order of xs
    }
    pool.close();
    pool.join()?;

    let speedup = serial_time / parallel_time;
    print(&format!(
        "comprehension: {serial_time:.3} s (best of {repeat})"
    ))?;
    print(&format!(
        "pool.map({pool_size}):  {parallel_time:.3} s (best of {repeat})"
    ))?;
    print(&format!(
        "{}; speedup {speedup:.2}x, efficiency {:.0}%",
        if same {
            "same results"
        } else {
            "DIFFERENT results"
        },
        speedup / pool_size as f64 * 100.0
    ))?;
    report(s, xs.len(), same, serial_time, parallel_time)
}
// ANCHOR_END: code

use super::runner::Scene;
use crate::engine::trace::Flavour;

fn flavour_of(choice: &str) -> Flavour {
    if choice == "thread" {
        Flavour::Thread
    } else {
        Flavour::Process
    }
}

fn report(s: &Scene, items: usize, same: bool, serial: f64, parallel: f64) -> EngineResult<()> {
    let pool = s.int("pool").max(1) as f64;
    let speedup = if parallel > 0.0 {
        serial / parallel
    } else {
        0.0
    };
    s.figure(
        "same-results",
        if same { 1.0 } else { 0.0 },
        "bool",
        if same {
            "pool.map gave exactly the comprehension's results, in the same order"
        } else {
            "pool.map gave different results: this is a bug"
        },
    );
    s.figure(
        "serial-ms",
        serial * 1000.0,
        "ms",
        format!(
            "[f(x) for x in xs] over {items} items: {:.1} ms (best of {})",
            serial * 1000.0,
            s.int("repeat")
        ),
    );
    s.figure(
        "parallel-ms",
        parallel * 1000.0,
        "ms",
        format!(
            "pool.map(f, xs) on {} {}: {:.1} ms (best of {})",
            s.int("pool"),
            if s.choice("flavour") == "process" {
                "processes"
            } else {
                "threads"
            },
            parallel * 1000.0,
            s.int("repeat")
        ),
    );
    s.figure(
        "speedup",
        speedup,
        "x",
        format!(
            "{speedup:.2}x with {} workers and {} thousand steps per item",
            s.int("pool"),
            s.int("work")
        ),
    );
    let efficiency = speedup / pool;
    s.figure(
        "efficiency",
        efficiency,
        "ratio",
        format!("speedup per worker: {efficiency:.2} (1.0 is perfect)"),
    );
    let per_item_us = parallel * 1e6 / items.max(1) as f64;
    s.figure(
        "per-item-us",
        per_item_us,
        "µs",
        format!("wall time of pool.map per item, overhead included: {per_item_us:.0} µs"),
    );
    Ok(())
}

/// One pool thread per pool worker.
pub fn threads_needed(c: &super::knob::Config) -> usize {
    c.int("pool").unwrap_or(2).max(0) as usize
}
