//! Start and join. Its catalogue entry (knobs, Python, lesson) is in [`super::catalog`]; the code
//! that runs goes between the markers below, which the page shows to the learner verbatim.

// ANCHOR: code
use crate::engine::pickle::Parcel;
use crate::engine::sync::stdout::print;
use crate::engine::work::io_wait;
use crate::engine::worker::{current_worker, Worker, WorkerSpec};
use crate::engine::{EngineResult, RunCtx};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The target of each worker: sleep a little, then say who we are.
fn worker(number: u32, latency: Duration) -> EngineResult<i32> {
    let (ctx, _) = RunCtx::require()?;
    io_wait(&ctx, None, latency)?; // time.sleep(LATENCY)
    let (name, _pid) = current_worker(); // current_process().name
    print(&format!("Worker: {number} ({name})"))?;
    Ok(0) // the exit code
}

/// The target of `my_service`: double a number and say which worker id did it.
fn doubler(number: u32) -> EngineResult<i32> {
    let result = number * 2;
    let (_name, pid) = current_worker(); // os.getpid()
    print(&format!(
        "{number} doubled to {result} by process id: {pid}"
    ))?;
    Ok(0)
}

pub fn run(s: &Scene) -> EngineResult<()> {
    if s.float("slow-ms") > 0.0 {
        // Slow motion: a pause at every sync point.
        s.ctx
            .set_slowmo(Duration::from_secs_f64(s.float("slow-ms") / 1000.0));
    }
    let (ctx, threads) = (s.ctx, s.threads);
    let flavour = flavour_of(s.choice("flavour"));
    let latency = Duration::from_secs_f64(s.float("latency-ms") / 1000.0);
    let daemon = s.flag("daemon");
    let join_timeout = s.float("join-timeout-ms") / 1000.0; // 0 means "wait forever"

    // Only for the summary: the order in which the `Worker: i` lines came out.
    let arrivals = Arc::new(Mutex::new(Vec::new()));

    // Process(target=worker, args=(i,), daemon=DAEMON) for each i, then start() each.
    let mut workers: Vec<Worker> = Vec::new();
    for i in 0..s.int("workers") as u32 {
        // args=(i,) crosses to a process pickled; a thread shares it as is.
        let args = Parcel::pack(ctx, i, flavour)?;
        let arrivals = arrivals.clone();
        let w = WorkerSpec::new(flavour)
            .daemon(daemon)
            .start(ctx, threads, move || {
                let (ctx, _) = RunCtx::require()?;
                let code = worker(args.open(&ctx)?, latency)?;
                lock(&arrivals).push(i);
                Ok(code)
            })?;
        workers.push(w);
    }

    // A custom name instead of the default `Process-N`.
    let args = Parcel::pack(ctx, 5u32, flavour)?;
    let service = WorkerSpec::new(flavour)
        .name("my_service")
        .start(ctx, threads, move || {
            let (ctx, _) = RunCtx::require()?;
            doubler(args.open(&ctx)?)
        })?;
    print(&format!(
        "started {}; alive: {}",
        service.name(),
        service.is_alive()
    ))?;

    workers.push(service);
    for w in &workers {
        if join_timeout > 0.0 {
            w.join_timeout(join_timeout)?; // join(timeout): gives up after the timeout
        } else {
            w.join()?; // join(): waits as long as it takes
        }
        let state = match w.exitcode() {
            None => "still running".to_string(), // is_alive() is still true
            Some(code) => format!("exit code {code}"),
        };
        print(&format!("joined {}: {state}", w.name()))?;
    }
    // Returning ends the main program: non-daemon workers are still waited for, daemon
    // workers that are still running are abandoned.
    let (main_name, _) = current_worker();
    print(&format!("main is {main_name}; done"))?;
    let order = lock(&arrivals).clone();
    report(s, &workers, &order)
}
// ANCHOR_END: code

use super::runner::Scene;
use crate::engine::liveness::lock;
use crate::engine::trace::Flavour;

fn flavour_of(choice: &str) -> Flavour {
    if choice == "thread" {
        Flavour::Thread
    } else {
        Flavour::Process
    }
}

/// The figures of the summary: how the joins went, and who will be abandoned.
fn report(s: &Scene, workers: &[Worker], order: &[u32]) -> EngineResult<()> {
    let out_of_place = inversions(order);
    let shown: Vec<String> = order.iter().map(u32::to_string).collect();
    s.figure(
        "order-inversions",
        out_of_place as f64,
        "pairs",
        format!(
            "the Worker lines came out in the order {}: {out_of_place} pairs out of start order \
             (run again: the order changes)",
            shown.join(" ")
        ),
    );
    let finished = workers.iter().filter(|w| w.exitcode() == Some(0)).count();
    let running: Vec<&Worker> = workers.iter().filter(|w| w.is_alive()).collect();
    let abandoned = running.iter().filter(|w| w.daemon()).count();
    s.figure(
        "started",
        workers.len() as f64,
        "workers",
        format!(
            "{} workers started (the last one named my_service)",
            workers.len()
        ),
    );
    s.figure(
        "exit-code-0",
        finished as f64,
        "workers",
        format!(
            "{finished} of {} workers had ended with exit code 0 when the main program finished",
            workers.len()
        ),
    );
    s.figure(
        "still-running",
        running.len() as f64,
        "workers",
        format!(
            "{} still running after their join; {abandoned} of them are daemons and are abandoned",
            running.len()
        ),
    );
    s.figure(
        "abandoned",
        abandoned as f64,
        "workers",
        "daemon workers still running when the main program ended",
    );
    Ok(())
}

/// How many pairs of lines came out in the opposite order to the one the workers started in.
fn inversions(order: &[u32]) -> usize {
    order
        .iter()
        .enumerate()
        .map(|(i, a)| order[i + 1..].iter().filter(|b| *b < a).count())
        .sum()
}

/// At most every worker plus `my_service` is alive at once.
pub fn threads_needed(c: &super::knob::Config) -> usize {
    c.int("workers").unwrap_or(5).max(0) as usize + 1
}
