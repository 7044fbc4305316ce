//! Threads vs processes and the GIL. Its catalogue entry (knobs, Python, lesson) is in [`super::catalog`]; the code
//! that runs goes between the markers below, which the page shows to the learner verbatim.

// ANCHOR: code
use crate::engine::executor::Executor;
use crate::engine::gil::Gil;
use crate::engine::sync::stdout::print;
use crate::engine::work::{io_wait, Factorial};
use crate::engine::EngineResult;
use std::sync::Arc;
use std::time::Duration;
use web_time::Instant;

/// One task: CPU work (`math.factorial(n).bit_length()`) or an I/O wait.
#[derive(Clone, Copy)]
enum Task {
    Cpu { n: u32 },
    Io { latency: Duration },
}

impl Task {
    /// Run the task as the calling worker. A thread must hold the GIL to compute and lets
    /// it go while it waits; a process has no GIL to share. Also returns what the work got
    /// from the cores (see `Usage` below), for a fair timing on a busy machine.
    fn run(self, gil: &Arc<Gil>) -> EngineResult<(u64, Usage)> {
        let start = Instant::now();
        let (result, mut usage) = match self {
            Task::Cpu { n } => {
                let (size, usage) = gil.run(Metered::new(Factorial::new(n), gil))?;
                (size.bits, usage)
            }
            Task::Io { latency } => {
                let (ctx, _) = crate::engine::RunCtx::require()?;
                io_wait(&ctx, Some(gil.as_ref()), latency)?;
                (0, Usage::default())
            }
        };
        usage.took_s = start.elapsed().as_secs_f64();
        Ok((result, usage))
    }
}

pub fn run(s: &Scene) -> EngineResult<()> {
    if s.float("slow-ms") > 0.0 {
        // Slow motion: a pause at every sync point.
        s.ctx
            .set_slowmo(Duration::from_secs_f64(s.float("slow-ms") / 1000.0));
    }
    let workers = s.int("workers") as usize;
    let flavour = flavour_of(s.choice("flavour"));
    let task = match s.choice("work-kind") {
        "io" => Task::Io {
            latency: Duration::from_secs_f64(s.float("latency-ms") / 1000.0),
        },
        _ => Task::Cpu {
            n: s.int("work") as u32 * 1000,
        },
    };
    // The run's one GIL: only thread-flavoured workers take it.
    let gil = Gil::new(s.ctx);
    gil.set_enabled(s.flag("gil"));
    gil.set_switch_interval(Duration::from_secs_f64(s.float("switch-ms") / 1000.0));

    // ThreadPoolExecutor(workers) or ProcessPoolExecutor(workers); all start now, before timing.
    let pool = Executor::new(s.ctx, s.threads, flavour, workers)?;

    let mut best = Best::default();
    for _ in 0..s.int("repeat") {
        // The work one after another, on the main program: [task() for _ in range(workers)]
        let start = Instant::now();
        let mut used = Usage::default();
        for _ in 0..workers {
            used += task.run(&gil)?.1;
        }
        let serial = Phase::new(start.elapsed(), &[used]);

        // The same work, one task per worker at the same time: pool.map(task, ...)
        let handoffs_before = gil.handoffs();
        let g = gil.clone();
        let start = Instant::now();
        let mut used = Vec::new();
        for done in pool.map(move |_: usize| task.run(&g), (0..workers).collect())? {
            used.push(done?.1); // each worker measured its own steps
        }
        let parallel = Phase::new(start.elapsed(), &used);
        let handoffs = gil.handoffs() - handoffs_before;

        print(&format!(
            "one after another {:.3} s, on {workers} {} {:.3} s: {:.2}x by the wall clock ({handoffs} GIL hand-offs)",
            serial.wall,
            plural(s.choice("flavour")),
            parallel.wall,
            serial.wall / parallel.wall
        ))?;
        best.keep(serial, parallel); // like timeit.repeat: the least disturbed run counts
    }
    pool.shutdown(true)?;
    print(&format!(
        "speedup {:.2}x {} ({:.2}x by the wall clock)",
        best.speedup(),
        correction_note(),
        best.wall_speedup()
    ))?;
    report(s, &gil, workers, &best)
}
// ANCHOR_END: code

use super::runner::Scene;
use crate::engine::gil::Kernel;
use crate::engine::trace::Flavour;

fn flavour_of(choice: &str) -> Flavour {
    if choice == "process" {
        Flavour::Process
    } else {
        Flavour::Thread
    }
}

/// What CPU work got from the cores: time on a core, and time ready to run but kept
/// waiting for one, summed over the work's steps only (a worker waiting for the GIL or for
/// I/O is not counted, it is not working). From Linux's `/proc/thread-self/schedstat`;
/// zero elsewhere (the browser has no such clock).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Usage {
    /// How long the whole task took (wall clock, on the worker).
    took_s: f64,
    run_s: f64,
    ready_s: f64,
    /// Whether the GIL went to someone else while this work was under way.
    waited_for_gil: bool,
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, o: Usage) {
        self.took_s += o.took_s;
        self.run_s += o.run_s;
        self.ready_s += o.ready_s;
        self.waited_for_gil |= o.waited_for_gil;
    }
}

/// A kernel that measures its steps on the thread that runs them. Between two steps the
/// GIL may have been handed over (then the gap is a wait, not work, and is skipped); if
/// nobody took it in between, the gap counts as work too.
struct Metered<K> {
    inner: K,
    gil: Arc<Gil>,
    #[cfg(target_os = "linux")]
    clock: Option<std::fs::File>,
    /// The reading at the end of the last step, and the GIL's hand-off count then.
    last: Option<((f64, f64), u64)>,
    usage: Usage,
}

impl<K> Metered<K> {
    fn new(inner: K, gil: &Arc<Gil>) -> Self {
        Metered {
            inner,
            gil: gil.clone(),
            #[cfg(target_os = "linux")]
            clock: std::fs::File::open("/proc/thread-self/schedstat").ok(),
            last: None,
            usage: Usage::default(),
        }
    }

    /// (on a core, ready for one) in seconds so far, for this thread.
    ///
    /// The time on a core comes from the thread's CPU clock, not from `schedstat`: the
    /// kernel brings a running thread's `schedstat` time up to date only at a scheduler
    /// tick or a switch, so read just before a GIL hand-off it lags by up to a tick, and
    /// the work since that tick went uncounted (the two-thread figure read 0.56x where the
    /// wall clock said 0.9x). The time spent ready is settled when the thread gets a core,
    /// so `schedstat` has it exactly for a thread that is reading it.
    fn now(&mut self) -> Option<(f64, f64)> {
        #[cfg(target_os = "linux")]
        {
            use std::io::{Read, Seek};
            let file = self.clock.as_mut()?;
            let mut text = String::new();
            file.rewind().ok()?;
            file.read_to_string(&mut text).ok()?;
            let ready = text.split_whitespace().nth(1)?.parse::<f64>().ok()?;
            Some((thread_cpu_s()?, ready / 1e9))
        }
        #[cfg(not(target_os = "linux"))]
        None
    }
}

/// This thread's CPU time, exact to the call.
#[cfg(target_os = "linux")]
fn thread_cpu_s() -> Option<f64> {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec for the call's duration.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    (rc == 0).then(|| t.tv_sec as f64 + t.tv_nsec as f64 / 1e9)
}

impl<K: Kernel> Kernel for Metered<K> {
    type Output = (K::Output, Usage);

    fn step(&mut self) -> Option<Self::Output> {
        let before = match self.last {
            Some((reading, handoffs)) if handoffs == self.gil.handoffs() => Some(reading),
            Some(_) => {
                self.usage.waited_for_gil = true;
                self.now()
            }
            None => self.now(),
        };
        let out = self.inner.step();
        let after = self.now();
        if let (Some(b), Some(a)) = (before, after) {
            self.usage.run_s += (a.0 - b.0).max(0.0);
            self.usage.ready_s += (a.1 - b.1).max(0.0);
        }
        self.last = after.map(|a| (a, self.gil.handoffs()));
        out.map(|o| (o, self.usage))
    }
}

/// One timed phase: its wall time, and the time it would have taken without the other
/// programs on the machine (its own time).
///
/// Why: tests run on a 2-core machine shared with other busy programs, where the wall
/// clock mostly measures how much CPU the scheduler gave to someone else. Each worker
/// times its own task and knows how long its CPU work sat ready to run without a core (its
/// stalls); its own time is what it took minus those. Waits for the GIL and for I/O are not
/// stalls, so the GIL's serialisation and the I/O waits stay in. Our own workers compete
/// for the cores too, so a phase can never be shorter than its CPU work spread over every
/// core. Without the clock (the browser) the own time is the time the tasks took.
#[derive(Clone, Copy, Debug)]
struct Phase {
    wall: f64,
    /// The slowest worker's own time.
    own: f64,
    /// Own time per second of CPU work (see `new`).
    per_work: f64,
}

impl Phase {
    fn new(wall: Duration, workers: &[Usage]) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get()) as f64;
        let n = workers.len().max(1) as f64;
        let run: f64 = workers.iter().map(|u| u.run_s).sum();
        let own_of = |u: &Usage| u.took_s - u.ready_s;
        let own = workers
            .iter()
            .map(own_of)
            .fold(0.0, f64::max)
            .max(run / cores);
        // The same task can cost more CPU in one place than another (other programs
        // sharing the caches, the clock speed), so time is counted per second of CPU work.
        // A worker that never waited for the GIL spent its own time on its own task only:
        // its unit is its own CPU time (one n-th of the phase's work, as every task is the
        // same). One that waited also spent it waiting out the others' work: its unit is the
        // whole phase's CPU time. The phase can't beat its work spread over every core.
        let per_work = if workers.iter().all(|u| u.run_s > 1e-4) {
            workers
                .iter()
                .map(|u| {
                    let unit = if u.waited_for_gil { run } else { u.run_s * n };
                    own_of(u) / unit
                })
                .fold(0.0, f64::max)
                .max(1.0 / cores)
        } else {
            own // waiting work: no CPU to speak of, the own time itself
        };
        Phase {
            wall: wall.as_secs_f64(),
            own,
            per_work,
        }
    }
}

/// The best (least disturbed) of the repeats, each way of counting.
#[derive(Default)]
struct Best {
    serial_wall: Option<f64>,
    parallel_wall: Option<f64>,
    serial_own: Option<f64>,
    parallel_own: Option<f64>,
    serial_per_work: Option<f64>,
    parallel_per_work: Option<f64>,
}

fn least(best: Option<f64>, x: f64) -> Option<f64> {
    Some(best.map_or(x, |b| b.min(x)))
}

impl Best {
    fn keep(&mut self, serial: Phase, parallel: Phase) {
        self.serial_wall = least(self.serial_wall, serial.wall);
        self.parallel_wall = least(self.parallel_wall, parallel.wall);
        self.serial_own = least(self.serial_own, serial.own);
        self.parallel_own = least(self.parallel_own, parallel.own);
        self.serial_per_work = least(self.serial_per_work, serial.per_work);
        self.parallel_per_work = least(self.parallel_per_work, parallel.per_work);
    }

    /// The speedup with the other programs' share taken out (the summary's figure).
    fn speedup(&self) -> f64 {
        ratio(
            self.serial_per_work.unwrap_or(0.0),
            self.parallel_per_work.unwrap_or(0.0),
        )
    }

    fn wall_speedup(&self) -> f64 {
        ratio(
            self.serial_wall.unwrap_or(0.0),
            self.parallel_wall.unwrap_or(0.0),
        )
    }
}

/// Says which speedup the summary shows: corrected for other programs where the system
/// tells how long our threads waited for a core (Linux), plain time elsewhere (browsers).
fn correction_note() -> &'static str {
    if std::fs::metadata("/proc/thread-self/schedstat").is_ok() {
        "with the time other programs kept our workers off the cores taken out"
    } else {
        "by the time the tasks took: close other busy tabs and programs for a fair figure"
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

/// "threads" or "processes", as the flavour knob's value reads in a sentence.
fn plural(flavour: &str) -> &'static str {
    if flavour == "process" {
        "processes"
    } else {
        "threads"
    }
}

fn report(s: &Scene, gil: &Arc<Gil>, workers: usize, best: &Best) -> EngineResult<()> {
    let speedup = best.speedup();
    let wall = best.wall_speedup();
    let what = format!(
        "{} work on {workers} {}, GIL {}",
        s.choice("work-kind"),
        plural(s.choice("flavour")),
        if gil.enabled() { "on" } else { "off" }
    );
    let repeats = s.int("repeat");
    let serial_ms = best.serial_own.unwrap_or(0.0) * 1000.0;
    let parallel_ms = best.parallel_own.unwrap_or(0.0) * 1000.0;
    s.figure(
        "serial-ms",
        serial_ms,
        "ms",
        format!("{workers} tasks one after another: {serial_ms:.1} ms (best of {repeats})"),
    );
    s.figure(
        "parallel-ms",
        parallel_ms,
        "ms",
        format!("{workers} tasks at once, one per worker: {parallel_ms:.1} ms (best of {repeats})"),
    );
    s.figure(
        "speedup",
        speedup,
        "x",
        format!(
            "{what}: {speedup:.2}x faster than one after another ({})",
            correction_note()
        ),
    );
    s.figure(
        "wall-speedup",
        wall,
        "x",
        format!("{what}: {wall:.2}x by the wall clock alone (best of {repeats})"),
    );
    let efficiency = speedup / workers.max(1) as f64;
    s.figure(
        "efficiency",
        efficiency,
        "ratio",
        format!(
            "speedup per worker: {efficiency:.2} (1.0 would be perfect use of {workers} workers)"
        ),
    );
    let handoffs = gil.handoffs();
    s.figure(
        "gil-handoffs",
        handoffs as f64,
        "hand-offs",
        format!(
            "the GIL changed hands {handoffs} times over the whole run (see the GIL lane in \
             the timeline)"
        ),
    );
    if let Ok(cores) = std::thread::available_parallelism() {
        s.figure(
            "cores",
            cores.get() as f64,
            "cores",
            format!("this machine reports {cores} cores"),
        );
    }
    Ok(())
}

/// One pool thread per worker of the executor.
pub fn threads_needed(c: &super::knob::Config) -> usize {
    c.int("workers").unwrap_or(2).max(0) as usize
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::thread_cpu_s;
    use web_time::Instant;

    /// A short burst of work shows on the thread's CPU clock at once, and never as more
    /// than the time that passed. The `schedstat` reading this clock replaced stayed flat
    /// through such bursts until the next scheduler tick.
    #[test]
    fn cpu_clock_counts_a_burst_shorter_than_a_tick() {
        for _ in 0..50 {
            let (wall, cpu) = (Instant::now(), thread_cpu_s().unwrap());
            let mut x = 1u64;
            while wall.elapsed().as_micros() < 300 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
            let used = thread_cpu_s().unwrap() - cpu;
            let passed = wall.elapsed().as_secs_f64();
            assert!(used > 0.0, "300 us of work read as no CPU time");
            assert!(used <= passed + 1e-6, "{used} s of CPU in {passed} s");
        }
    }
}
