//! `playground`: the scenarios in a terminal, on the same engine as the browser.
//!
//! ```text
//! playground list
//! playground run <id> [--<knob> <value>]... [--trace FILE] [--save FILE] [--quiet]
//! playground record-all <dir>
//! ```
//!
//! `run` prints the shared stdout live, exactly as the workers wrote it (garbled where
//! they garbled it), then the run's measured figures and its timings. `--trace` writes the
//! Chrome Trace Event JSON (open it at ui.perfetto.dev or chrome://tracing); `--save`
//! writes the playground's own trace file, which the page can replay.
//!
//! `record-all` runs every scenario once and saves each run as `<dir>/<id>.json`, plus
//! `<dir>/index.json` listing the ids: the recorded runs the site ships for pages where
//! live workers cannot start. The real engine makes them at build time; none are hand-made.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match cli::main(&args) {
        Ok(code) => std::process::exit(code),
        Err(message) => {
            eprintln!("playground: {message}");
            std::process::exit(2);
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
#[path = "playground/record_all.rs"]
mod record_all;

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use concurrency_playground::engine::trace::{Event, EventKind, Outcome};
    use concurrency_playground::engine::worker::Threads;
    use concurrency_playground::engine::RunCtx;
    use concurrency_playground::scenarios::{self, runner};
    use concurrency_playground::views::{self, Views};
    use std::io::Write;
    use std::time::Duration;

    const USAGE: &str = "usage: playground list\n       playground run <id> [--<knob> <value>]... [--trace FILE] [--save FILE] [--quiet]\n       playground knobs <id>\n       playground record-all <dir>";

    pub fn main(args: &[String]) -> Result<i32, String> {
        match args.first().map(String::as_str) {
            Some("list") => {
                for s in scenarios::all() {
                    println!("{}\t{}\t{}", s.id, s.theme.title(), s.promise);
                }
                Ok(0)
            }
            Some("knobs") => knobs(args.get(1)),
            Some("run") => run(&args[1..]),
            Some("record-all") => super::record_all::record_all(args.get(1)),
            Some("-h" | "--help" | "help") => {
                println!("{USAGE}");
                Ok(0)
            }
            _ => Err(USAGE.to_string()),
        }
    }

    fn lookup(id: Option<&String>) -> Result<runner::Runnable, String> {
        let id = id.ok_or("which scenario? `playground list` shows the ids")?;
        runner::find(id)
            .ok_or_else(|| format!("unknown scenario `{id}`; `playground list` shows the ids"))
    }

    fn knobs(id: Option<&String>) -> Result<i32, String> {
        let s = lookup(id)?;
        for k in s.info.knobs {
            println!("--{}\t{}\t{:?}", k.key, k.help, k.kind);
        }
        Ok(0)
    }

    fn run(args: &[String]) -> Result<i32, String> {
        let scenario = lookup(args.first())?;
        // Our own flags first; everything else is the scenario's knobs.
        let (mut trace, mut save, mut quiet) = (None, None, false);
        let mut knob_args = Vec::new();
        let mut rest = args[1..].iter();
        while let Some(a) = rest.next() {
            match a.as_str() {
                "--trace" => trace = Some(rest.next().ok_or("--trace needs a file name")?.clone()),
                "--save" => save = Some(rest.next().ok_or("--save needs a file name")?.clone()),
                "--quiet" => quiet = true,
                _ => knob_args.push(a.clone()),
            }
        }
        let parsed = scenarios::knob::parse_cli(scenario.info.knobs, &knob_args);
        for m in &parsed.messages {
            eprintln!("playground: {m}");
        }
        let config = parsed.config;
        let threads =
            Threads::build((scenario.threads_needed)(&config).max(1)).map_err(|e| e.to_string())?;
        let ctx = RunCtx::new();
        let main = {
            let (ctx, config, threads) = (ctx.clone(), config.clone(), threads.clone());
            std::thread::spawn(move || {
                runner::run_native(
                    &ctx,
                    &threads,
                    scenario,
                    &config,
                    &runner::RunOptions::default(),
                )
            })
        };
        // Drain live: print the shared stdout as it is written.
        let mut events: Vec<Event> = Vec::new();
        let stdout = std::io::stdout();
        let mut outcome = None;
        while outcome.is_none() {
            let start = events.len();
            ctx.recorder.drain_into(&mut events, usize::MAX);
            let mut out = stdout.lock();
            for e in &events[start..] {
                match &e.kind {
                    EventKind::Print { text } if !quiet => {
                        let _ = out.write_all(text.as_bytes());
                    }
                    EventKind::Stall { ms, waiting } => {
                        let _ = writeln!(out, "!! no progress for {ms} ms: {}", waiting.join("; "));
                    }
                    EventKind::Deadlock { cycle } => {
                        let _ = writeln!(out, "!! deadlock: {}", cycle.join("; "));
                    }
                    EventKind::RunEnd { outcome: o } => outcome = Some(o.clone()),
                    _ => {}
                }
            }
            let _ = out.flush();
            if outcome.is_none() {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let _ = main.join();
        ctx.recorder.drain_into(&mut events, usize::MAX);
        events.sort_by_key(|e| e.seq);
        report(&events, outcome.as_ref());
        let config_text = config.to_query();
        if let Some(path) = trace {
            let json = views::export::chrome_trace(&events, scenario.info.id);
            std::fs::write(&path, json).map_err(|e| format!("cannot write {path}: {e}"))?;
            println!("trace: {path} (open it at ui.perfetto.dev or chrome://tracing)");
        }
        if let Some(path) = save {
            let file = views::export::TraceFile::new(scenario.info.id, &config_text, events);
            let text = views::export::save_trace(&file)?;
            std::fs::write(&path, text).map_err(|e| format!("cannot write {path}: {e}"))?;
            println!("saved: {path}");
        }
        Ok(match outcome {
            Some(Outcome::Done) => 0,
            Some(Outcome::Cancelled) => 130,
            _ => 1,
        })
    }

    fn report(events: &[Event], outcome: Option<&Outcome>) {
        let views = Views::build(events);
        println!("\n--- figures");
        for e in events {
            if let EventKind::Figure(f) = &e.kind {
                println!("{}", f.text);
            }
        }
        println!("--- timings");
        println!("wall: {:.1} ms", views.timings.wall_us() as f64 / 1e3);
        if let Some(l) = views.timings.latency() {
            println!(
                "tasks: {} (latency min {:.2} / p50 {:.2} / p95 {:.2} / max {:.2} ms), {:.0} tasks/s",
                l.count,
                l.min as f64 / 1e3,
                l.p50 as f64 / 1e3,
                l.p95 as f64 / 1e3,
                l.max as f64 / 1e3,
                views.timings.throughput_per_s()
            );
        }
        println!("events: {}", events.len());
        match outcome {
            Some(Outcome::Done) => println!("outcome: done"),
            Some(Outcome::Cancelled) => println!("outcome: cancelled"),
            Some(Outcome::Failed(m)) => println!("outcome: failed: {m}"),
            None => println!("outcome: unknown"),
        }
    }
}
