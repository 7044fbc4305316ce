//! The pool timing experiment. Its catalogue entry (knobs, Python, lesson) is in [`super::catalog`]; the code
//! that runs goes between the markers below, which the page shows to the learner verbatim.

// ANCHOR: code
use crate::engine::pool::{Pool, PoolSpec};
use crate::engine::sync::stdout::print;
use crate::engine::trace::Flavour;
use crate::engine::work::{file_roundtrip, square, FileStore};
use crate::engine::{EngineError, EngineResult, RunCtx};
use web_time::Instant;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    FileIo,
    Square,
}

/// `fileio(number)`: write about 600 KB to a file, read it back, delete it.
fn fileio(files: &dyn FileStore, number: u64, bytes: usize) -> EngineResult<u64> {
    let (ctx, me) = RunCtx::require()?;
    let name = format!("do-work-{}-{me}-{number}", ctx.id());
    Ok(file_roundtrip(&ctx, None, files, &name, bytes)?.bytes as u64)
}

/// Start a pool, `apply_async` every item, `get()` every result: the time of all of it,
/// starting the pool included, in milliseconds.
fn do_work(
    s: &Scene,
    pool_size: usize,
    items: u64,
    flavour: Flavour,
    kind: Kind,
) -> EngineResult<f64> {
    let bytes = s.int("file-kb") as usize * 1024;
    let start = Instant::now();
    let pool = Pool::new(s.ctx, s.threads, PoolSpec::new(flavour, pool_size))?;
    let mut pending = Vec::new();
    for i in 0..items {
        let handle = match kind {
            Kind::FileIo => {
                let store = s.files.clone();
                pool.apply_async(move |n| fileio(store.as_ref(), n, bytes), i)?
            }
            Kind::Square => pool.apply_async(|n: u64| Ok(square(n)), i)?,
        };
        pending.push(handle);
    }
    let results = pending
        .iter()
        .map(|p| p.take(None))
        .collect::<EngineResult<Vec<u64>>>()?;
    pool.close();
    pool.join()?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    if results.len() as u64 != items {
        // assert len(results) == items
        return Err(EngineError::Task(format!(
            "{} results for {items} items",
            results.len()
        )));
    }
    Ok(ms)
}

pub fn run(s: &Scene) -> EngineResult<()> {
    let pool_size = s.int("pool") as usize;
    print(&format!(
        "pool {pool_size}, {} file items of {} KB ({} storage), {} square items",
        s.int("file-items"),
        s.int("file-kb"),
        s.files.name(),
        s.int("square-items")
    ))?;
    print("case               here   source 1   source 2")?;
    for (flavour, kind) in cases(s) {
        let items = match kind {
            Kind::FileIo => s.int("file-items"),
            Kind::Square => s.int("square-items"),
        } as u64;
        let ms = do_work(s, pool_size, items, flavour, kind)?;
        let (first, second) = source_ms(flavour, kind);
        print(&format!(
            "{:<14} {ms:>8.3} ms {first:>8.3} ms {second:>8.3} ms",
            label(flavour, kind)
        ))?;
        s.figure(
            &format!("{}-ms", label(flavour, kind).replace('/', "-")),
            ms,
            "ms",
            format!("{} with a pool of {pool_size}, starting the pool included: {ms:.1} ms (source: {first} and {second} ms)", label(flavour, kind)),
        );
    }
    report(s)
}
// ANCHOR_END: code

use super::runner::Scene;

/// The cases the knobs ask for, in the source's order.
fn cases(s: &Scene) -> Vec<(Flavour, Kind)> {
    let flavours = match s.choice("flavour") {
        "thread" => vec![Flavour::Thread],
        "process" => vec![Flavour::Process],
        _ => vec![Flavour::Thread, Flavour::Process],
    };
    let kinds = match s.choice("work-kind") {
        "fileio" => vec![Kind::FileIo],
        "square" => vec![Kind::Square],
        _ => vec![Kind::FileIo, Kind::Square],
    };
    kinds
        .iter()
        .flat_map(|k| flavours.iter().map(move |f| (*f, *k)))
        .collect()
}

fn label(flavour: Flavour, kind: Kind) -> &'static str {
    match (flavour, kind) {
        (Flavour::Thread, Kind::FileIo) => "thread/fileio",
        (Flavour::Process, Kind::FileIo) => "process/fileio",
        (Flavour::Thread, Kind::Square) => "thread/square",
        (Flavour::Process, Kind::Square) => "process/square",
    }
}

/// The source's two measurements of a case, from the catalogue's lesson.
fn source_ms(flavour: Flavour, kind: Kind) -> (f64, f64) {
    let (f, k) = match label(flavour, kind).split_once('/') {
        Some(pair) => pair,
        None => return (0.0, 0.0),
    };
    let figures = super::catalog::find("do-work")
        .map(|info| info.lesson.source_figures)
        .unwrap_or(&[]);
    let on = |machine: &str| {
        figures
            .iter()
            .find(|x| x.machine == machine && x.flavour == f && x.work == k)
            .map(|x| x.millis)
            .unwrap_or(0.0)
    };
    (on("first"), on("second"))
}

fn report(s: &Scene) -> EngineResult<()> {
    let (share, text) = where_files_went(s.files.as_ref());
    print(&format!("files: {text}"))?;
    s.figure("file-store", share, "share", text);
    s.figure(
        "pool-size",
        s.int("pool") as f64,
        "workers",
        format!(
            "each case started a pool of {} workers (the source used 50)",
            s.int("pool")
        ),
    );
    if let Ok(cores) = std::thread::available_parallelism() {
        s.figure(
            "cores",
            cores.get() as f64,
            "cores",
            format!("this machine reports {cores} cores: try that as the pool size"),
        );
    }
    Ok(())
}

/// Where the file items' bytes went, as the share of round trips that reached real storage
/// and a sentence for the learner. A store that can mix (OPFS in the browser, memory on a
/// thread without a scratch file) counted its writes; the others use one place.
fn where_files_went(files: &dyn FileStore) -> (f64, String) {
    let Some(t) = files.tally() else {
        return if files.name() == "memory" {
            (
                0.0,
                "the file items went to memory: this platform offered no file storage".to_string(),
            )
        } else {
            (
                1.0,
                format!("the file items went to {} (real storage)", files.name()),
            )
        };
    };
    let total = t.stored + t.in_memory;
    let name = files.name();
    let text = match (t.stored, t.in_memory) {
        (0, 0) => "no file items ran".to_string(),
        (n, 0) => format!(
            "all {n} file round trips went to {name}, the browser's origin-private file system (one scratch file per Web Worker). Each one is a real write and read through the browser's storage layer, so file items take several times longer than they would in memory"
        ),
        (0, n) => format!(
            "all {n} file round trips went to memory: no Worker could open a scratch file on {name}"
        ),
        (on, off) => format!(
            "mixed: {on} of {total} file round trips went to {name} (one scratch file per Web Worker), {off} to memory (threads without a scratch file)"
        ),
    };
    let share = if total == 0 {
        0.0
    } else {
        t.stored as f64 / total as f64
    };
    (share, text)
}

/// A pool of `pool` workers really starts that many workers, each on its own pool thread,
/// and one pool at a time is alive.
pub fn threads_needed(c: &super::knob::Config) -> usize {
    c.int("pool").unwrap_or(50).max(0) as usize
}
