//! Timings of a run: wall time, the per-task latency distribution, throughput, where
//! each worker's time went; the arithmetic of a speedup sweep with an Amdahl fit; a
//! record of past runs to compare; and the CSV download.

use super::applog::AppendLog;
use super::roster::Roster;
use super::timeline::{SpanKind, Timeline};
use crate::engine::trace::{Event, EventKind, Outcome, WorkerId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// One finished task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskRecord {
    pub task: u64,
    pub worker: WorkerId,
    pub submit_us: Option<u64>,
    pub start_us: u64,
    pub end_us: u64,
    pub ok: bool,
}

impl TaskRecord {
    /// Running time: start to end.
    pub fn latency_us(&self) -> u64 {
        self.end_us.saturating_sub(self.start_us)
    }

    /// Submission to end: running time plus time queued.
    pub fn turnaround_us(&self) -> Option<u64> {
        self.submit_us.map(|s| self.end_us.saturating_sub(s))
    }
}

/// Summary of a set of durations, in µs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatencyStats {
    pub count: usize,
    pub min: u64,
    pub p50: u64,
    pub p95: u64,
    pub max: u64,
    pub mean: f64,
}

impl LatencyStats {
    /// `None` for no samples. Percentiles by nearest rank, so each is a real sample.
    pub fn of(samples: &[u64]) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        let mut v = samples.to_vec();
        v.sort_unstable();
        let rank = |p: f64| {
            let r = (p / 100.0 * v.len() as f64).ceil() as usize;
            v[r.clamp(1, v.len()) - 1]
        };
        Some(LatencyStats {
            count: v.len(),
            min: v[0],
            p50: rank(50.0),
            p95: rank(95.0),
            max: v[v.len() - 1],
            mean: v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64,
        })
    }
}

/// One bar of a histogram: samples in `[lo_us, hi_us)` (the last bar includes `hi_us`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bin {
    pub lo_us: u64,
    pub hi_us: u64,
    pub count: usize,
}

/// Equal-width bins from the minimum to the maximum sample.
pub fn histogram(samples: &[u64], bins: usize) -> Vec<Bin> {
    let (Some(&min), Some(&max)) = (samples.iter().min(), samples.iter().max()) else {
        return Vec::new();
    };
    let bins = bins.max(1);
    let width = ((max - min) / bins as u64 + 1).max(1);
    let mut out: Vec<Bin> = (0..bins as u64)
        .map(|i| Bin {
            lo_us: min.saturating_add(i.saturating_mul(width)),
            hi_us: min.saturating_add((i + 1).saturating_mul(width)),
            count: 0,
        })
        .collect();
    for &s in samples {
        let i = (((s - min) / width) as usize).min(bins - 1);
        out[i].count += 1;
    }
    out
}

/// Where one worker's time went.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerTime {
    pub worker: WorkerId,
    pub name: String,
    pub alive_us: u64,
    /// Running code: alive (for a pool's worker, in a task: between tasks it is idle) and
    /// neither waiting nor sleeping.
    pub busy_us: u64,
    /// Blocked on any primitive.
    pub waiting_us: u64,
    pub sleeping_us: u64,
    pub gil_us: u64,
    pub tasks: u32,
}

#[derive(Clone, Debug, Default)]
pub struct Timings {
    pub roster: Roster,
    pub scenario: Option<String>,
    pub outcome: Option<Outcome>,
    run_start_us: Option<u64>,
    run_end_us: Option<u64>,
    last_us: u64,
    events: u64,
    submitted: BTreeMap<u64, u64>,
    running: BTreeMap<u64, (WorkerId, u64)>,
    done: AppendLog<TaskRecord>,
}

impl Timings {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn build(events: &[Event]) -> Self {
        let mut t = Self::new();
        for e in events {
            t.apply(e);
        }
        t
    }

    pub fn apply(&mut self, e: &Event) {
        self.roster.apply(e);
        self.events += 1;
        self.last_us = self.last_us.max(e.t_us);
        match &e.kind {
            EventKind::RunStart { scenario } => {
                self.scenario = Some(scenario.clone());
                self.run_start_us.get_or_insert(e.t_us);
            }
            EventKind::RunEnd { outcome } => {
                self.outcome = Some(outcome.clone());
                self.run_end_us = Some(e.t_us);
            }
            EventKind::TaskSubmit { task } => {
                self.submitted.insert(*task, e.t_us);
            }
            EventKind::TaskStart { task } => {
                self.running.insert(*task, (e.worker, e.t_us));
            }
            EventKind::TaskEnd { task, ok } => {
                if let Some((worker, start_us)) = self.running.remove(task) {
                    self.done.push(TaskRecord {
                        task: *task,
                        worker,
                        submit_us: self.submitted.remove(task),
                        start_us,
                        end_us: e.t_us,
                        ok: *ok,
                    });
                }
            }
            _ => {}
        }
    }

    /// Run start to run end; while running, to the latest event.
    pub fn wall_us(&self) -> u64 {
        let start = self.run_start_us.unwrap_or(0);
        self.run_end_us
            .unwrap_or(self.last_us)
            .saturating_sub(start)
    }

    pub fn tasks(&self) -> &AppendLog<TaskRecord> {
        &self.done
    }

    pub fn tasks_running(&self) -> usize {
        self.running.len()
    }

    pub fn latencies_us(&self) -> Vec<u64> {
        self.done.iter().map(|t| t.latency_us()).collect()
    }

    pub fn latency(&self) -> Option<LatencyStats> {
        LatencyStats::of(&self.latencies_us())
    }

    pub fn latency_histogram(&self, bins: usize) -> Vec<Bin> {
        histogram(&self.latencies_us(), bins)
    }

    /// Finished tasks per second of wall time.
    pub fn throughput_per_s(&self) -> f64 {
        let wall = self.wall_us();
        if wall == 0 {
            0.0
        } else {
            self.done.len() as f64 / (wall as f64 / 1e6)
        }
    }

    /// Busy vs waiting per worker, from the timeline's spans.
    pub fn worker_times(timeline: &Timeline) -> Vec<WorkerTime> {
        timeline
            .lanes()
            .map(|lane| {
                let w = lane.worker;
                let t = timeline.totals(w);
                WorkerTime {
                    worker: w,
                    name: timeline.lane_name(w),
                    alive_us: timeline.alive_us(w),
                    busy_us: timeline.busy_us(w),
                    waiting_us: t.waiting_us(),
                    sleeping_us: t.of(SpanKind::Sleep),
                    gil_us: t.of(SpanKind::Gil),
                    tasks: t.tasks_done,
                }
            })
            .collect()
    }

    /// A record for the run history.
    pub fn record(&self, config: &str) -> RunRecord {
        RunRecord {
            scenario: self.scenario.clone().unwrap_or_default(),
            config: config.to_string(),
            wall_us: self.wall_us(),
            outcome: match &self.outcome {
                None => "running".into(),
                Some(Outcome::Done) => "done".into(),
                Some(Outcome::Failed(_)) => "failed".into(),
                Some(Outcome::Cancelled) => "cancelled".into(),
            },
            tasks: self.done.len() as u64,
            events: self.events,
        }
    }

    /// The timings download: a summary block, then one row per task.
    pub fn csv(&self) -> String {
        let mut s = String::from("metric,value\n");
        s.push_str(&format!("wall_us,{}\n", self.wall_us()));
        s.push_str(&format!("tasks,{}\n", self.done.len()));
        s.push_str(&format!(
            "throughput_per_s,{:.3}\n",
            self.throughput_per_s()
        ));
        if let Some(l) = self.latency() {
            for (k, v) in [
                ("min", l.min),
                ("p50", l.p50),
                ("p95", l.p95),
                ("max", l.max),
            ] {
                s.push_str(&format!("latency_{k}_us,{v}\n"));
            }
        }
        s.push_str("\ntask,worker,submit_us,start_us,end_us,latency_us,ok\n");
        for t in self.done.iter() {
            s.push_str(&format!(
                "{},{},{},{},{},{},{}\n",
                t.task,
                csv_field(&self.roster.worker_name(t.worker)),
                t.submit_us.map(|v| v.to_string()).unwrap_or_default(),
                t.start_us,
                t.end_us,
                t.latency_us(),
                t.ok
            ));
        }
        s
    }
}

/// Quote a CSV field when it needs it.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

// ---- speedup sweep -------------------------------------------------------------------

/// Amdahl's law: the speedup on `k` workers when a fraction `serial` cannot run in parallel.
pub fn amdahl_speedup(serial: f64, k: f64) -> f64 {
    1.0 / (serial + (1.0 - serial) / k)
}

#[derive(Clone, Debug, PartialEq)]
pub struct SweepRow {
    pub k: u32,
    pub wall_s: f64,
    /// Baseline time over this time.
    pub speedup: f64,
    /// Speedup per worker: 1 is perfect scaling.
    pub efficiency: f64,
    /// Perfect scaling: `k`, or the cores where there are fewer.
    pub ideal: f64,
    /// What the fitted Amdahl law predicts, when there is a fit.
    pub amdahl: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Sweep {
    pub rows: Vec<SweepRow>,
    /// Fitted serial fraction in [0, 1]; needs two or more distinct worker counts.
    pub serial_fraction: Option<f64>,
    /// The one-worker time speedups are measured against: measured at k = 1 if there,
    /// else the fit's prediction.
    pub baseline_s: f64,
    /// The cores the sweep ran on, when known: more workers than that cannot run at once.
    pub cores: Option<u32>,
}

/// Speedup, efficiency and an Amdahl fit from (workers, wall seconds) pairs, with no limit
/// on how many workers run at once ([`sweep_on`] with unlimited cores).
pub fn sweep(points: &[(u32, f64)]) -> Sweep {
    sweep_on(points, None)
}

/// Speedup, efficiency and an Amdahl fit from (workers, wall seconds) pairs measured on
/// `cores` cores.
///
/// At most `cores` workers run at once, so `k` workers get `p = min(k, cores)` times the
/// speed of one at best: that is the ideal, and the law fitted is Amdahl's over `p`. Fitted
/// over `k` instead, a perfectly parallel run swept past the cores reads as a large serial
/// fraction (a sweep of 1-4 processes on 2 cores read "32% serial").
///
/// The fit is least squares on the times themselves, `T = a + b / p` (linear in `a` and
/// `b`), so every measurement counts, including k = 1, and the serial fraction is
/// `a / (a + b)`. Pairs with k = 0 or a non-positive or non-finite time are ignored.
pub fn sweep_on(points: &[(u32, f64)], cores: Option<u32>) -> Sweep {
    let cores = cores.filter(|&c| c > 0);
    let p = |k: u32| cores.map_or(k, |c| k.min(c)) as f64;
    let mut pts: Vec<(u32, f64)> = points
        .iter()
        .copied()
        .filter(|&(k, t)| k > 0 && t.is_finite() && t > 0.0)
        .collect();
    pts.sort_by_key(|p| p.0);
    let fit = fit_time_model(&pts.iter().map(|&(k, t)| (p(k), t)).collect::<Vec<_>>());
    let measured_one = pts.iter().find(|p| p.0 == 1).map(|p| p.1);
    let baseline_s = measured_one
        .or(fit.map(|(a, b)| a + b))
        .or(pts.first().map(|&(k, t)| t * p(k)))
        .unwrap_or(0.0);
    let serial_fraction = fit.map(|(a, b)| (a / (a + b)).clamp(0.0, 1.0));
    let rows = pts
        .iter()
        .map(|&(k, t)| {
            let speedup = baseline_s / t;
            SweepRow {
                k,
                wall_s: t,
                speedup,
                efficiency: speedup / k as f64,
                ideal: p(k),
                amdahl: serial_fraction.map(|f| amdahl_speedup(f, p(k))),
            }
        })
        .collect();
    Sweep {
        rows,
        serial_fraction,
        baseline_s,
        cores,
    }
}

/// Least squares for `T = a + b x` with `x = 1/p` over (p, T) pairs; `None` without two
/// distinct p or when the fit is degenerate.
fn fit_time_model(pts: &[(f64, f64)]) -> Option<(f64, f64)> {
    let n = pts.len() as f64;
    if pts.len() < 2 || pts.iter().all(|q| q.0 == pts[0].0) {
        return None;
    }
    let xs: Vec<f64> = pts.iter().map(|q| 1.0 / q.0).collect();
    let mx = xs.iter().sum::<f64>() / n;
    let my = pts.iter().map(|q| q.1).sum::<f64>() / n;
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    let sxy: f64 = xs.iter().zip(pts).map(|(x, q)| (x - mx) * (q.1 - my)).sum();
    if sxx <= 0.0 {
        return None;
    }
    // Times cannot have a negative serial or parallel part; clamp to the boundary.
    let b = (sxy / sxx).max(0.0);
    let a = (my - b * mx).max(0.0);
    if a + b > 0.0 {
        Some((a, b))
    } else {
        None
    }
}

impl Sweep {
    pub fn csv(&self) -> String {
        let mut s = String::from("workers,wall_s,speedup,efficiency,ideal,amdahl\n");
        for r in &self.rows {
            s.push_str(&format!(
                "{},{:.6},{:.4},{:.4},{},{}\n",
                r.k,
                r.wall_s,
                r.speedup,
                r.efficiency,
                r.ideal,
                r.amdahl.map(|a| format!("{a:.4}")).unwrap_or_default()
            ));
        }
        s
    }
}

// ---- run history ---------------------------------------------------------------------

/// One past run, for the side-by-side comparison.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    pub scenario: String,
    /// The knobs as the URL query would carry them.
    pub config: String,
    pub wall_us: u64,
    /// done | failed | cancelled | running
    pub outcome: String,
    pub tasks: u64,
    pub events: u64,
}

/// The last few runs, newest last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunHistory {
    pub capacity: usize,
    pub runs: VecDeque<RunRecord>,
}

impl Default for RunHistory {
    fn default() -> Self {
        Self::new(10)
    }
}

impl RunHistory {
    pub fn new(capacity: usize) -> Self {
        RunHistory {
            capacity: capacity.max(1),
            runs: VecDeque::new(),
        }
    }

    pub fn push(&mut self, r: RunRecord) {
        if self.runs.len() == self.capacity {
            self.runs.pop_front();
        }
        self.runs.push_back(r);
    }

    /// Each run's wall time relative to the first one listed (1.0 = as fast).
    pub fn relative_walls(&self) -> Vec<f64> {
        let base = self.runs.front().map(|r| r.wall_us).unwrap_or(0);
        self.runs
            .iter()
            .map(|r| {
                if base == 0 {
                    0.0
                } else {
                    r.wall_us as f64 / base as f64
                }
            })
            .collect()
    }

    pub fn csv(&self) -> String {
        let mut s = String::from("scenario,config,wall_us,outcome,tasks,events\n");
        for r in &self.runs {
            s.push_str(&format!(
                "{},{},{},{},{},{}\n",
                csv_field(&r.scenario),
                csv_field(&r.config),
                r.wall_us,
                r.outcome,
                r.tasks,
                r.events
            ));
        }
        s
    }
}
