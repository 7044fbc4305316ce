//! Lock. Its catalogue entry (knobs, Python, lesson) is in [`super::catalog`]; the code
//! that runs goes between the markers below, which the page shows to the learner verbatim.
//!
//! Both halves of the lesson really race: the printing workers write their lines one
//! character at a time with a real pause between characters, so without the lock their
//! writes land in between each other's; the counting workers do a separate read and write
//! back with a yield in between, so without the lock one worker's write-back overwrites
//! the others' increments.

use super::runner::Scene;
use crate::engine::sync::shared::race_window;
use crate::engine::sync::stdout::print;
use crate::engine::sync::{Lock, LockGuard};
use crate::engine::trace::Flavour;
use crate::engine::work::io_wait;
use crate::engine::worker::{Worker, WorkerSpec};
use crate::engine::{EngineResult, RunCtx};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

// ANCHOR: code
/// What the printing workers say, as in the source.
const WORDS: [&str; 3] = ["tango...", "foxtrot...", "10"];
/// Lines each printing worker writes.
const TIMES: usize = 3;
/// The pause between two characters of a line: `time.sleep(0.001)`.
const PIECE_PAUSE: Duration = Duration::from_millis(1);

pub fn run(s: &Scene) -> EngineResult<()> {
    slow_motion(s);
    let use_lock = s.flag("use-lock");
    let workers = s.int("workers") as usize;
    let increments = s.int("items") as u64;
    let part = s.choice("part");

    // One lock guards both the printing and the counter; with `use-lock` off the workers
    // simply never take it (Python's `NoLock` stand-in).
    let lock = Lock::new(s.ctx, "lock");
    let guard = use_lock.then(|| lock.clone());
    print(&format!("lock is {}", if use_lock { "on" } else { "off" }))?;

    if part == "both" || part == "print" {
        // sys.stdout; it also keeps a transcript so the run can count garbled lines.
        let out = Arc::new(SharedOutput::default());
        run_all(s, workers, |i| {
            let (ctx, guard, out) = (s.ctx.clone(), guard.clone(), out.clone());
            let word = WORDS[i % WORDS.len()];
            move || say(&ctx, guard.as_deref(), &out, word, TIMES)
        })?;
        report_lines(s, &out, workers * TIMES)?;
    }

    if part == "both" || part == "counter" {
        let counter = Arc::new(AtomicU64::new(0));
        run_all(s, workers, |_| {
            let (guard, counter) = (guard.clone(), counter.clone());
            move || add(guard.as_deref(), &counter, increments)
        })?;
        let expected = workers as u64 * increments;
        let got = counter.load(Ordering::SeqCst);
        print(&format!(
            "counter: expected {expected}, got {got} ({} updates lost)",
            expected - got
        ))?;
        report_counter(s, expected, got);
    }
    report_lock_times(s, &lock, use_lock);
    Ok(())
}

/// `with lock:` when there is a lock, nothing at all when there is not.
fn hold(lock: Option<&Lock>) -> EngineResult<Option<LockGuard<'_>>> {
    lock.map(|l| l.lock()).transpose()
}

/// Print `word` on its own line `times` times, one character at a time.
fn say(
    ctx: &RunCtx,
    lock: Option<&Lock>,
    out: &SharedOutput,
    word: &str,
    times: usize,
) -> EngineResult<i32> {
    for _ in 0..times {
        let _held = hold(lock)?;
        for piece in word.chars().chain(['\n']) {
            out.write(piece)?; // sys.stdout.write(piece)
            io_wait(ctx, None, PIECE_PAUSE)?; // another worker may write here
        }
    }
    Ok(0)
}

/// `counter += 1`, `times` times, spelled out as the three steps it really is.
fn add(lock: Option<&Lock>, counter: &AtomicU64, times: u64) -> EngineResult<i32> {
    for _ in 0..times {
        let _held = hold(lock)?;
        let current = counter.load(Ordering::Relaxed); // read...
        let_others_run(); // ...another worker may run here (time.sleep(0))...
        counter.store(current + 1, Ordering::Relaxed); // ...and write back over its update
    }
    Ok(0)
}

/// Start one thread per worker with `target(i)`, then join them all.
fn run_all<F, T>(s: &Scene, workers: usize, target: T) -> EngineResult<()>
where
    T: Fn(usize) -> F,
    F: FnOnce() -> EngineResult<i32> + Send + 'static,
{
    let threads: Vec<Worker> = (0..workers)
        .map(|i| WorkerSpec::new(Flavour::Thread).start(s.ctx, s.threads, target(i)))
        .collect::<EngineResult<_>>()?;
    for t in &threads {
        t.join()?;
    }
    Ok(())
}
// ANCHOR_END: code

/// Python's `time.sleep(0)`: see [`race_window`] (without it, in the browser each
/// worker's 10,000 increments ended before the next worker woke, and nothing was lost).
fn let_others_run() {
    race_window();
}

/// The shared standard output, as a terminal sees it: each `write` lands whole (like one
/// `write(2)` call), but writes of different workers land in whatever order they come.
/// The transcript is kept beside the trace so the run can count its own garbled lines.
#[derive(Default)]
pub struct SharedOutput {
    transcript: Mutex<String>,
}

impl SharedOutput {
    /// Write one piece; the trace's `Print` and the transcript agree on the order because
    /// both happen under the same mutex.
    pub fn write(&self, piece: char) -> EngineResult<()> {
        let mut text = crate::engine::liveness::lock(&self.transcript);
        let mut buf = [0u8; 4];
        crate::engine::sync::stdout::write(piece.encode_utf8(&mut buf))?;
        text.push(piece);
        Ok(())
    }

    pub fn transcript(&self) -> String {
        crate::engine::liveness::lock(&self.transcript).clone()
    }
}

/// Lines of `text` that are not one of the words whole.
pub fn garbled_lines(text: &str) -> usize {
    text.lines().filter(|l| !WORDS.contains(l)).count()
}

fn report_lines(s: &Scene, out: &SharedOutput, lines: usize) -> EngineResult<()> {
    let garbled = garbled_lines(&out.transcript());
    s.figure(
        "garbled-lines",
        garbled as f64,
        "lines",
        format!("{garbled} of {lines} printed lines came out garbled"),
    );
    Ok(())
}

fn report_counter(s: &Scene, expected: u64, got: u64) {
    let lost = expected.saturating_sub(got);
    s.figure(
        "counter-expected",
        expected as f64,
        "updates",
        format!("workers × increments = {expected}"),
    );
    s.figure(
        "counter-total",
        got as f64,
        "updates",
        format!("the counter ended at {got}"),
    );
    s.figure(
        "lost-updates",
        lost as f64,
        "updates",
        format!("lost {lost} of {expected} updates"),
    );
}

fn report_lock_times(s: &Scene, lock: &Lock, used: bool) {
    let st = lock.stats();
    let ms = |us: u64| us as f64 / 1000.0;
    let (wait_text, hold_text) = if used {
        (
            format!(
                "workers spent {:.1} ms waiting for the lock ({} of {} acquisitions had to wait)",
                ms(st.wait_us),
                st.contended,
                st.acquisitions
            ),
            format!("the lock was held for {:.1} ms in all", ms(st.hold_us)),
        )
    } else {
        (
            "the lock was off: nobody waited for it".to_string(),
            "the lock was off: nobody held it".to_string(),
        )
    };
    s.figure("lock-wait-ms", ms(st.wait_us), "ms", wait_text);
    s.figure("lock-hold-ms", ms(st.hold_us), "ms", hold_text);
}

/// Apply the `slow-ms` knob, if the scenario has one and it is above zero (otherwise the
/// run's own slow-motion setting stays).
pub(super) fn slow_motion(s: &Scene) {
    let ms = s.float("slow-ms");
    if ms > 0.0 {
        s.ctx.set_slowmo(Duration::from_secs_f64(ms / 1000.0));
    }
}

/// Every worker of one part runs at once.
pub fn threads_needed(c: &super::knob::Config) -> usize {
    c.int("workers").unwrap_or(1).max(1) as usize
}
