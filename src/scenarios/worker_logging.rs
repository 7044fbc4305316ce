//! Logging from workers. Its catalogue entry (knobs, Python, lesson) is in
//! [`super::catalog`]; the code that runs goes between the markers below, which the page
//! shows to the learner verbatim.
//!
//! Each worker logs through a queue, like Python's `QueueHandler`: a record carries the
//! worker's name, its level and the wall-clock time it was made, and crosses to one
//! listener (pickled when the workers are processes). The listener is the only writer: it
//! prints each record formatted like `%(asctime)s %(processName)-10s %(levelname)-7s
//! %(message)s`. At the source, each record kept is also a `Log { level, text }` event in
//! the worker's own lane (level names as Python spells them: `DEBUG`, `INFO`, `WARNING`).
//!
//! Figures: `records` (lines the sink wrote), `dropped` (records below the level, dropped
//! at the source), `sources` (distinct workers seen by the sink) and `out-of-time-order`
//! (records the sink wrote after a later-stamped one: the queue keeps put order).

use super::runner::Scene;
use crate::engine::pickle::Parcel;
use crate::engine::sync::stdout::print;
use crate::engine::sync::Queue;
use crate::engine::worker::{current_worker, WorkerSpec};
use crate::engine::{EngineResult, EventKind, Flavour, RunCtx};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

// ANCHOR: code
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
enum Level {
    Debug,
    Info,
    Warning,
}

/// One log record: who, when, how serious, what.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct LogRecord {
    created_us: u64, // wall-clock time, µs since 1970
    process_name: String,
    level: Level,
    message: String,
}

type Records = Queue<Option<Parcel<LogRecord>>>; // None tells the listener to stop

/// A logger whose handler sends every record to the shared queue (a `QueueHandler`).
#[derive(Clone)]
struct Logger {
    records: Arc<Records>,
    level: Level,
    flavour: Flavour,
    dropped: Arc<AtomicU64>,
}

impl Logger {
    fn log(&self, level: Level, message: String) -> EngineResult<()> {
        if level < self.level {
            self.dropped.fetch_add(1, Ordering::Relaxed); // below the level: dropped here
            return Ok(());
        }
        let ctx = RunCtx::require()?.0;
        let record = LogRecord {
            created_us: now_us(),
            process_name: current_worker().0,
            level,
            message,
        };
        let text = record.message.clone();
        ctx.emit(None, EventKind::log(level_name(level), text));
        // To a process the record crosses as bytes, as a multiprocessing queue pickles it.
        let parcel = Parcel::pack(&ctx, record, self.flavour)?;
        self.records.put(Some(parcel), true, None)?;
        Ok(())
    }

    fn debug(&self, message: String) -> EngineResult<()> {
        self.log(Level::Debug, message)
    }

    fn info(&self, message: String) -> EngineResult<()> {
        self.log(Level::Info, message)
    }

    fn warning(&self, message: String) -> EngineResult<()> {
        self.log(Level::Warning, message)
    }
}

fn worker(log: &Logger, number: usize, records: usize) -> EngineResult<i32> {
    for i in 0..records {
        log.debug(format!("step {i}: details"))?;
        log.info(format!("step {i} of worker {number}"))?;
    }
    log.warning(format!("worker {number} is done"))?;
    Ok(0)
}

/// The `QueueListener`: the one writer. Takes records until told to stop.
fn listener(records: &Records, sink: &Sink) -> EngineResult<i32> {
    let ctx = RunCtx::require()?.0;
    while let Some(parcel) = records.get(true, None)? {
        let record = parcel.open(&ctx)?;
        sink.write(&record)?; // "%(asctime)s %(processName)-10s %(levelname)-7s %(message)s"
    }
    Ok(0)
}

pub fn run(s: &Scene) -> EngineResult<()> {
    super::queue_sentinel::slow_motion(s);
    let flavour = match s.choice("flavour") {
        "thread" => Flavour::Thread,
        _ => Flavour::Process,
    };
    let records = Queue::new(s.ctx, "records", 0);
    let sink = Arc::new(Sink::default());
    let listening = {
        let (records, sink) = (records.clone(), sink.clone());
        WorkerSpec::new(Flavour::Thread)
            .name("QueueListener")
            .start(s.ctx, s.threads, move || listener(&records, &sink))?
    };
    let log = Logger {
        records: records.clone(),
        level: parse_level(s.choice("level")),
        flavour,
        dropped: Arc::new(AtomicU64::new(0)),
    };
    let mut workers = Vec::new();
    for number in 1..=s.int("workers") as usize {
        let (log, each) = (log.clone(), s.int("items") as usize);
        let spec = WorkerSpec::new(flavour);
        workers.push(spec.start(s.ctx, s.threads, move || worker(&log, number, each))?);
    }
    for w in &workers {
        w.join()?;
    }
    records.put(None, true, None)?; // listener.stop()
    listening.join()?;
    report(s, &sink, &log)
}
// ANCHOR_END: code

pub fn threads_needed(c: &super::knob::Config) -> usize {
    c.int("workers").unwrap_or(1).max(1) as usize + 1
}

fn parse_level(name: &str) -> Level {
    match name {
        "DEBUG" => Level::Debug,
        "WARNING" => Level::Warning,
        _ => Level::Info,
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Debug => "DEBUG",
        Level::Info => "INFO",
        Level::Warning => "WARNING",
    }
}

/// Wall-clock time in µs since 1970 (0 if the clock is before 1970).
fn now_us() -> u64 {
    web_time::SystemTime::now()
        .duration_since(web_time::SystemTime::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// `%(asctime)s` as Python's logging writes it: `2026-11-22 01:02:57,123` (UTC here).
fn asctime(us: u64) -> String {
    let secs = us / 1_000_000;
    let millis = (us / 1000) % 1000;
    let (y, m, d) = civil_date((secs / 86_400) as i64);
    let t = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02},{millis:03}",
        t / 3600,
        (t / 60) % 60,
        t % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Hinnant's algorithm,
/// written out from its description).
fn civil_date(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The one shared sink: prints formatted lines and remembers what it wrote for the summary.
#[derive(Default)]
struct Sink {
    written: Mutex<Vec<(u64, String)>>,
}

impl Sink {
    fn write(&self, r: &LogRecord) -> EngineResult<()> {
        print(&format!(
            "{} {:<10} {:<7} {}",
            asctime(r.created_us),
            r.process_name,
            level_name(r.level),
            r.message
        ))?;
        crate::engine::liveness::lock(&self.written).push((r.created_us, r.process_name.clone()));
        Ok(())
    }
}

fn report(s: &Scene, sink: &Sink, log: &Logger) -> EngineResult<()> {
    let written = crate::engine::liveness::lock(&sink.written).clone();
    let n = written.len();
    s.figure(
        "records",
        n as f64,
        "records",
        format!("the one sink wrote {n} records"),
    );
    let dropped = log.dropped.load(Ordering::Relaxed);
    s.figure(
        "dropped",
        dropped as f64,
        "records",
        format!(
            "{dropped} records below {} were dropped at the source",
            level_name(log.level)
        ),
    );
    let sources: BTreeSet<&str> = written.iter().map(|(_, w)| w.as_str()).collect();
    s.figure(
        "sources",
        sources.len() as f64,
        "workers",
        format!(
            "records came from {}",
            sources.into_iter().collect::<Vec<_>>().join(", ")
        ),
    );
    let late = written.windows(2).filter(|w| w[1].0 < w[0].0).count();
    s.figure(
        "out-of-time-order",
        late as f64,
        "records",
        format!("{late} records reached the sink after a record stamped later"),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{asctime, civil_date};

    #[test]
    fn dates_match_known_days() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(11_016), (2000, 2, 29));
        assert_eq!(civil_date(20_414), (2025, 11, 22));
        assert_eq!(asctime(1_763_773_377_123_000), "2025-11-22 01:02:57,123");
    }
}
