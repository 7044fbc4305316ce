//! Work queue and done queue: a site status checker. Its catalogue entry (knobs, Python,
//! lesson) is in [`super::catalog`]; the code that runs goes between the markers below,
//! which the page shows to the learner verbatim.
//!
//! The checks are simulated like the Python text's: a real, cancellable wait of the
//! latency (times a jitter between 0.5 and 1.5 drawn from the seed) and status 200, or a
//! connection error for the URLs the seed picked to fail. No network is touched.
//!
//! Figures: `checked` (URLs), `ok`, `failed`, `wall-ms` (from the first put to the last
//! result) and `waiting-ms` (the sum of every check's wait: what one worker alone would
//! need), whose ratio is the overlap the workers bought.

use super::runner::Scene;
use crate::engine::sync::stdout::print;
use crate::engine::sync::Queue;
use crate::engine::work::io_wait;
use crate::engine::worker::{current_worker, WorkerSpec};
use crate::engine::{EngineError, EngineResult, Flavour, RunCtx};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use web_time::Instant;

// ANCHOR: code
/// Pretend to fetch `url`: wait, then return a status or fail like a refused connection.
fn check(url: &str, latency: Duration, failing: &BTreeSet<String>) -> EngineResult<u16> {
    let ctx = RunCtx::require()?.0;
    io_wait(&ctx, None, latency)?; // the network round trip
    if failing.contains(url) {
        return Err(EngineError::Task(format!("could not connect to {url}")));
    }
    Ok(200)
}

fn worker(work: &Queue<String>, done: &Queue<String>, plan: &Plan) -> EngineResult<i32> {
    let name = current_worker().0;
    loop {
        let url = work.get(true, None)?;
        if url == "STOP" {
            return Ok(0);
        }
        match check(&url, plan.latency(&url), &plan.failing) {
            Ok(status) => done.put(format!("{name} - {url} got {status}."), true, None)?,
            // A cancelled run is not the site's fault: stop instead of reporting it.
            Err(EngineError::Cancelled) => return Err(EngineError::Cancelled),
            Err(error) => done.put(format!("{name} failed on {url} with: {error}"), true, None)?,
        };
    }
}

pub fn run(s: &Scene) -> EngineResult<()> {
    let workers_wanted = s.int("workers") as usize;
    let urls: Vec<String> = (1..=s.int("items"))
        .map(|i| format!("http://site-{i}.example"))
        .collect();
    let plan = Arc::new(Plan::new(s, &urls)); // latencies and the URLs that fail
    let work = Queue::<String>::new(s.ctx, "work", 0);
    let done = Queue::<String>::new(s.ctx, "done", 0);
    let started = Instant::now();
    for url in &urls {
        work.put(url.clone(), true, None)?;
    }

    let mut workers = Vec::new();
    for _ in 0..workers_wanted {
        let (work_q, done_q, plan) = (work.clone(), done.clone(), plan.clone());
        let w = WorkerSpec::new(Flavour::Process)
            .start(s.ctx, s.threads, move || worker(&work_q, &done_q, &plan))?;
        workers.push(w);
        work.put("STOP".to_string(), true, None)?; // one STOP per worker
    }
    let mut lines = Vec::new();
    for _ in &urls {
        let line = done.get(true, None)?;
        print(&line)?;
        lines.push(line);
    }
    for w in &workers {
        w.join()?;
    }
    print(&format!(
        "checked {} URLs with {workers_wanted} workers",
        urls.len()
    ))?;
    report(s, &plan, &lines, started);
    Ok(())
}
// ANCHOR_END: code

pub fn threads_needed(c: &super::knob::Config) -> usize {
    c.int("workers").unwrap_or(1).max(1) as usize
}

/// What the seed decides up front, so a run can be repeated: each URL's latency and the
/// URLs that fail.
struct Plan {
    latencies: Vec<(String, Duration)>,
    failing: BTreeSet<String>,
}

impl Plan {
    fn new(s: &Scene, urls: &[String]) -> Plan {
        let mut rng = SeededRng::new(s.int("seed") as u64);
        let base = s.float("latency-ms").max(0.0);
        let latencies = urls
            .iter()
            .map(|u| {
                let ms = base * (0.5 + rng.next_f64());
                (u.clone(), Duration::from_secs_f64(ms / 1000.0))
            })
            .collect();
        let fail = (s.int("fail-urls").max(0) as usize).min(urls.len());
        let failing = rng.sample(urls, fail).into_iter().collect();
        Plan { latencies, failing }
    }

    fn latency(&self, url: &str) -> Duration {
        self.latencies
            .iter()
            .find(|(u, _)| u == url)
            .map(|(_, d)| *d)
            .unwrap_or_default()
    }

    fn total_wait(&self) -> Duration {
        self.latencies.iter().map(|(_, d)| *d).sum()
    }
}

fn report(s: &Scene, plan: &Plan, lines: &[String], started: Instant) {
    let wall = started.elapsed().as_secs_f64() * 1000.0;
    let failed = lines.iter().filter(|l| l.contains(" failed on ")).count();
    let ok = lines.len() - failed;
    s.figure(
        "checked",
        lines.len() as f64,
        "URLs",
        format!("{} URLs checked", lines.len()),
    );
    s.figure("ok", ok as f64, "URLs", format!("{ok} answered 200"));
    s.figure(
        "failed",
        failed as f64,
        "URLs",
        format!("{failed} failed, and the run went on"),
    );
    s.figure(
        "wall-ms",
        wall,
        "ms",
        format!("all checks took {wall:.0} ms of wall time"),
    );
    let waiting = plan.total_wait().as_secs_f64() * 1000.0;
    s.figure(
        "waiting-ms",
        waiting,
        "ms",
        format!("one worker alone would have waited {waiting:.0} ms"),
    );
}

/// A small seeded generator (SplitMix64): the same seed gives the same choices, on every
/// platform, without a dependency.
pub(crate) struct SeededRng(u64);

impl SeededRng {
    pub(crate) fn new(seed: u64) -> Self {
        SeededRng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `k` distinct elements of `from`, like Python's `random.sample`.
    pub(crate) fn sample<T: Clone>(&mut self, from: &[T], k: usize) -> Vec<T> {
        let mut idx: Vec<usize> = (0..from.len()).collect();
        let k = k.min(idx.len());
        for i in 0..k {
            let j = i + (self.next_u64() % (idx.len() - i) as u64) as usize;
            idx.swap(i, j);
        }
        idx[..k].iter().map(|&i| from[i].clone()).collect()
    }
}
