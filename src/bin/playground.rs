//! `playground`: the scenarios in a terminal, on the same engine as the browser.
//!
//! ```text
//! playground list
//! playground run <id> [--<knob> <value>]... [--trace FILE]
//! ```

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match cli::main(&args) {
        Ok(()) => {}
        Err(message) => {
            eprintln!("playground: {message}");
            std::process::exit(2);
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use concurrency_playground::engine::trace::{EventKind, Outcome};
    use concurrency_playground::engine::RunCtx;
    use std::collections::HashMap;
    use std::io::Write;
    use std::sync::Arc;
    use std::time::Duration;

    const USAGE: &str =
        "usage: playground list | playground run <id> [--<knob> <value>]... [--trace FILE]";

    pub fn main(args: &[String]) -> Result<(), String> {
        match args.first().map(String::as_str) {
            Some("list") => {
                println!("smoke\tworkers printing at once: the smallest live demo");
                Ok(())
            }
            Some("run") => run(&args[1..]),
            Some("-h" | "--help" | "help") => {
                println!("{USAGE}");
                Ok(())
            }
            _ => Err(USAGE.to_string()),
        }
    }

    fn run(args: &[String]) -> Result<(), String> {
        let id = args
            .first()
            .ok_or("run needs a scenario id; `playground list` shows them")?;
        if id != "smoke" {
            return Err(format!(
                "unknown scenario `{id}`; `playground list` shows the ids"
            ));
        }
        let mut workers = 4usize;
        let mut rest = args[1..].iter();
        while let Some(flag) = rest.next() {
            let value = rest.next().ok_or(format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--workers" => {
                    workers = value
                        .parse::<usize>()
                        .map_err(|_| format!("--workers takes a whole number, not `{value}`"))?
                        .clamp(1, 16)
                }
                "--trace" => {}
                other => return Err(format!("unknown option `{other}` for scenario `{id}`")),
            }
        }
        let pool = Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(workers)
                .build()
                .map_err(|e| e.to_string())?,
        );
        let ctx = RunCtx::new();
        let started = web_time::Instant::now();
        let runner = {
            let (ctx, pool) = (ctx.clone(), pool.clone());
            std::thread::spawn(move || {
                let _main = ctx.enter(0);
                ctx.emit(
                    None,
                    EventKind::RunStart {
                        scenario: "smoke".into(),
                    },
                );
                let r = concurrency_playground::scenarios::smoke::run(
                    &ctx,
                    &pool,
                    workers,
                    5,
                    Duration::from_millis(20),
                );
                let outcome = match r {
                    Ok(()) => Outcome::Done,
                    Err(e) => Outcome::Failed(e.to_string()),
                };
                ctx.emit(None, EventKind::RunEnd { outcome });
            })
        };
        let mut names: HashMap<u32, String> = HashMap::new();
        names.insert(0, "MainThread".into());
        let stdout = std::io::stdout();
        let mut finished = None;
        while finished.is_none() {
            let mut batch = Vec::new();
            ctx.recorder.drain_into(&mut batch, usize::MAX);
            let mut out = stdout.lock();
            for e in batch {
                match e.kind {
                    EventKind::WorkerNew { name, .. } => {
                        names.insert(e.worker, name);
                    }
                    EventKind::Print { text } => {
                        let _ = write!(
                            out,
                            "[{}] {}",
                            names.get(&e.worker).map_or("?", |s| s),
                            text
                        );
                    }
                    EventKind::RunEnd { outcome } => finished = Some(outcome),
                    _ => {}
                }
            }
            let _ = out.flush();
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = runner.join();
        let _ = writeln!(
            stdout.lock(),
            "-- {:?} in {:.1} ms",
            finished,
            started.elapsed().as_secs_f64() * 1e3
        );
        match finished {
            Some(Outcome::Failed(m)) => Err(m),
            _ => Ok(()),
        }
    }
}
