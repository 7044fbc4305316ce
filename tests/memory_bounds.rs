//! Knob combinations too big for the browser module's memory are refused before the run
//! starts, with a message that says what to turn down; the defaults and ordinary values fit.

use concurrency_playground::engine::run::RunCtx;
use concurrency_playground::engine::trace::Outcome;
use concurrency_playground::engine::worker::Threads;
use concurrency_playground::scenarios::knob::Config;
use concurrency_playground::scenarios::memory::{
    check, estimate, MODULE_MAX_BYTES, RUN_BUDGET_BYTES,
};
use concurrency_playground::scenarios::{catalog, runner};

fn config(id: &str, pairs: &[(&str, &str)]) -> Config {
    let info = catalog::find(id).unwrap();
    let mut c = Config::defaults(info.knobs);
    for (k, v) in pairs {
        assert!(c.set_text(k, v).is_empty(), "{k}={v}");
    }
    c
}

fn threads_for(id: &str, c: &Config) -> usize {
    (runner::find(id).unwrap().threads_needed)(c)
}

#[test]
fn the_maximum_is_the_one_the_module_is_linked_with() {
    let config = include_str!("../.cargo/config.toml");
    assert!(
        config.contains(&format!("--max-memory={MODULE_MAX_BYTES}")),
        "memory::MODULE_MAX_BYTES differs from --max-memory in .cargo/config.toml"
    );
    let readme = include_str!("../README.md");
    assert!(readme.contains(&format!("{} MiB", MODULE_MAX_BYTES >> 20)));
}

#[test]
fn every_default_config_fits() {
    for info in catalog::all() {
        let c = Config::defaults(info.knobs);
        let t = threads_for(info.id, &c);
        assert!(
            check(info.id, &c, t).is_ok(),
            "{} defaults refused",
            info.id
        );
    }
}

#[test]
fn too_big_combinations_are_refused_with_a_message() {
    let c = config("do-work", &[("pool", "64"), ("file-kb", "2048")]);
    let err = check("do-work", &c, threads_for("do-work", &c))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("MiB") && err.contains("512") && err.contains("file size"),
        "{err}"
    );
    // The same pool with the default file size fits.
    let c = config("do-work", &[("pool", "64")]);
    assert!(check("do-work", &c, threads_for("do-work", &c)).is_ok());
    // Executor: the largest payload times the most tasks is still under the budget.
    let c = config("executor", &[("payload-kb", "2048"), ("items", "32")]);
    assert!(estimate("executor", &c, threads_for("executor", &c)) <= RUN_BUDGET_BYTES);
}

#[test]
fn a_refused_run_fails_up_front_without_starting_workers() {
    let scenario = runner::find("do-work").unwrap();
    let c = config("do-work", &[("pool", "64"), ("file-kb", "2048")]);
    let threads = Threads::build(64).unwrap();
    let ctx = RunCtx::new();
    let outcome = runner::run_native(&ctx, &threads, scenario, &c, &runner::RunOptions::default());
    match outcome {
        Outcome::Failed(m) => assert!(m.contains("memory"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let events = ctx.recorder.drain_sorted();
    assert!(events.iter().all(|e| !matches!(
        e.kind,
        concurrency_playground::engine::trace::EventKind::WorkerStart
    )));
}
