//! `playground record-all <dir>`: one recorded run of every scenario, made by the real
//! engine, for the site to ship. Pages where live workers cannot start (no cross-origin
//! isolation, an iframe in a plain course page) offer these for replay instead.
//!
//! Each run uses the scenario's default knobs, except where [`SMALLER_KNOBS`] says
//! otherwise: a recording is downloaded whole before it plays, so it is kept small.

use concurrency_playground::engine::trace::{Event, Outcome};
use concurrency_playground::engine::worker::Threads;
use concurrency_playground::engine::RunCtx;
use concurrency_playground::scenarios::{self, runner};
use concurrency_playground::views::export::{save_trace, TraceFile};
use std::path::Path;
use std::time::Duration;

/// A recording is cut short after this long: shipped runs should be quick to watch.
const RECORDING_BUDGET: Duration = Duration::from_secs(30);

/// Above this a recording is reported as too big (the table below should prevent it).
const LARGEST_RECORDING_BYTES: usize = 2 * 1024 * 1024;

/// Knobs (as CLI arguments) for scenarios whose default run would make a big file: with
/// their defaults, shared-state records about 80,000 events (7.7 MB) and do-work about
/// 24,000 (2.2 MB). The replay page says which knobs a recording used.
const SMALLER_KNOBS: &[(&str, &[&str])] = &[
    ("shared-state", &["--items", "100"]),
    ("do-work", &["--square-items", "500", "--file-items", "100"]),
];

pub fn record_all(dir: Option<&String>) -> Result<i32, String> {
    let dir = Path::new(dir.ok_or("record-all needs a directory")?);
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut ids = Vec::new();
    let mut too_big = 0;
    for info in scenarios::all() {
        let scenario = runner::find(info.id).ok_or_else(|| format!("no code for {}", info.id))?;
        let overrides = SMALLER_KNOBS
            .iter()
            .find(|(id, _)| *id == info.id)
            .map(|(_, args)| *args)
            .unwrap_or(&[]);
        let config = scenarios::knob::parse_cli(info.knobs, overrides).config;
        let (events, outcome) = record(scenario, &config)?;
        let file = TraceFile::new(info.id, &config.to_query(), events);
        let count = file.events.len();
        let text = save_trace(&file)?;
        let path = dir.join(format!("{}.json", info.id));
        std::fs::write(&path, &text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        let flag = if text.len() > LARGEST_RECORDING_BYTES {
            too_big += 1;
            "  TOO BIG: add smaller knobs"
        } else {
            ""
        };
        println!(
            "{:<16} {:>7} events {:>8.1} KB  {}{flag}",
            info.id,
            count,
            text.len() as f64 / 1024.0,
            outcome_word(&outcome)
        );
        ids.push(info.id);
    }
    let index = serde_json::to_string(&ids).map_err(|e| e.to_string())?;
    let path = dir.join("index.json");
    std::fs::write(&path, index).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("recorded {} scenarios into {}", ids.len(), dir.display());
    Ok(if too_big > 0 { 1 } else { 0 })
}

fn outcome_word(o: &Outcome) -> String {
    match o {
        Outcome::Done => "done".into(),
        Outcome::Cancelled => "cancelled".into(),
        Outcome::Failed(m) => format!("failed: {m}"),
    }
}

/// Run one scenario to its end (or its budget) and return every event in order.
fn record(
    scenario: runner::Runnable,
    config: &scenarios::knob::Config,
) -> Result<(Vec<Event>, Outcome), String> {
    let threads =
        Threads::build((scenario.threads_needed)(config).max(1)).map_err(|e| e.to_string())?;
    let ctx = RunCtx::new();
    let opts = runner::RunOptions {
        budget: RECORDING_BUDGET,
        ..runner::RunOptions::default()
    };
    let main = {
        let (ctx, config, threads) = (ctx.clone(), config.clone(), threads.clone());
        std::thread::spawn(move || runner::run_native(&ctx, &threads, scenario, &config, &opts))
    };
    // Drain while it runs so the recorder's queue never fills.
    let mut events = Vec::new();
    while !main.is_finished() {
        ctx.recorder.drain_into(&mut events, usize::MAX);
        std::thread::sleep(Duration::from_millis(20));
    }
    let outcome = main
        .join()
        .map_err(|_| format!("{} panicked", scenario.info.id))?;
    ctx.recorder.drain_into(&mut events, usize::MAX);
    events.sort_by_key(|e| e.seq);
    Ok((events, outcome))
}
