//! The `playground` command line: the front end teachers and benchmarks use.

use std::process::Command;

fn playground(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_playground"))
        .args(args)
        .output()
        .expect("the playground binary runs")
}

#[test]
fn list_prints_every_scenario_id_first() {
    let out = playground(&["list"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let ids: Vec<&str> = text
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(ids.len(), 18, "{text}");
    for id in [
        "start-join",
        "lock",
        "queue-sentinel",
        "do-work",
        "deadlock",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
}

#[test]
fn a_bad_id_or_knob_value_is_refused_with_a_message() {
    let out = playground(&["run", "no-such-lesson"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown scenario `no-such-lesson`"));

    let out = playground(&["run"]);
    assert!(!out.status.success());
    assert!(!out.stderr.is_empty());

    // A bad knob value is repaired, and the repair is said.
    let out = playground(&[
        "run",
        "lock",
        "--workers",
        "999",
        "--items",
        "100",
        "--quiet",
    ]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("999"));
}

#[test]
fn run_prints_output_figures_and_writes_a_chrome_trace() {
    let dir = std::env::temp_dir().join(format!("pg-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("trace.json");
    let out = playground(&["run", "queue-sentinel", "--trace", trace.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for doubled in ["10", "20", "26"] {
        assert!(
            text.contains(doubled),
            "doubled item {doubled} missing: {text}"
        );
    }
    assert!(text.contains("outcome: done"), "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    let events = json["traceEvents"].as_array().expect("a traceEvents array");
    assert!(events
        .iter()
        .any(|e| e["ph"] == "M" && e["name"] == "thread_name"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_deadlocked_run_exits_non_zero_naming_the_cycle() {
    let out = playground(&["run", "deadlock"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("deadlock"), "{text}");
    assert!(text.contains("waits for"), "{text}");
}
