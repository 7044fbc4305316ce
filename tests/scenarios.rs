//! The scenario catalogue and the knob layer: every entry is complete and consistent, the
//! config parser repairs instead of failing (property-tested), and every Python text runs
//! under CPython and prints what its lesson describes.

use concurrency_playground::scenarios::catalog::{self, Theme, CODE_DIR, MARKER_END, MARKER_START};
use concurrency_playground::scenarios::knob::{
    self, link_query, parse_cli, parse_pairs, parse_query, Config, KnobKind, KnobSpec, KnobValue,
    PageOptions, RESERVED_KEYS,
};
use concurrency_playground::scenarios::{all, extract_between_markers, find};
use proptest::prelude::*;
use std::collections::HashSet;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CURRICULUM_ORDER: [&str; 18] = [
    "start-join",
    "worker-class",
    "gil",
    "lock",
    "event",
    "condition",
    "semaphore",
    "queue-sentinel",
    "bounded-buffer",
    "site-checker",
    "pool",
    "executor",
    "shared-state",
    "parallel-map",
    "do-work",
    "timing-calls",
    "worker-logging",
    "deadlock",
];

fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with('-')
        && !text.ends_with('-')
        && !text.contains("--")
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn one_line(text: &str) -> bool {
    !text.trim().is_empty() && !text.contains('\n')
}

// ---------------------------------------------------------------------------------------
// The catalogue.

#[test]
fn there_are_18_scenarios_in_curriculum_order() {
    let ids: Vec<&str> = all().iter().map(|s| s.id).collect();
    assert_eq!(ids, CURRICULUM_ORDER);
}

#[test]
fn ids_are_unique_slugs_and_find_works() {
    let mut seen = HashSet::new();
    for s in all() {
        assert!(is_slug(s.id), "{} is not a slug", s.id);
        assert!(seen.insert(s.id), "{} repeated", s.id);
        assert_eq!(find(s.id).map(|f| f.id), Some(s.id));
    }
    assert!(find("no-such-scenario").is_none());
    assert!(find("").is_none());
    assert!(find("LOCK").is_none(), "ids are exact lowercase slugs");
}

#[test]
fn titles_promises_and_themes_are_filled_in() {
    for s in all() {
        assert!(one_line(s.title), "{}", s.id);
        assert!(one_line(s.promise), "{}", s.id);
        assert!(s.promise.len() <= 120, "{} promise too long", s.id);
    }
    for theme in Theme::ALL {
        assert!(
            catalog::by_theme(theme).count() > 0,
            "theme {} is empty",
            theme.title()
        );
    }
    let titles: HashSet<&str> = Theme::ALL.iter().map(|t| t.title()).collect();
    assert_eq!(titles.len(), 7);
}

#[test]
fn every_lesson_is_complete() {
    for s in all() {
        let l = &s.lesson;
        for (name, text) in [
            ("notice", l.notice),
            ("try_next", l.try_next),
            ("why", l.why),
            ("python_api", l.python_api),
            ("rust_api", l.rust_api),
        ] {
            assert!(text.trim().len() > 10, "{}: lesson.{name} is empty", s.id);
        }
        if s.id != "do-work" {
            assert!(l.source_figures.is_empty() && l.source_setup.is_empty());
        }
    }
}

#[test]
fn do_work_carries_the_source_figures() {
    let lesson = find("do-work").map(|s| s.lesson).expect("do-work exists");
    let figure = |machine: &str, flavour: &str, work: &str| {
        lesson
            .source_figures
            .iter()
            .find(|f| f.machine == machine && f.flavour == flavour && f.work == work)
            .map(|f| f.millis)
    };
    assert_eq!(lesson.source_figures.len(), 8);
    assert_eq!(figure("first", "thread", "fileio"), Some(455.752));
    assert_eq!(figure("first", "process", "fileio"), Some(319.279));
    assert_eq!(figure("first", "thread", "square"), Some(338.309));
    assert_eq!(figure("first", "process", "square"), Some(287.488));
    assert_eq!(figure("second", "thread", "fileio"), Some(237.557));
    assert_eq!(figure("second", "process", "fileio"), Some(323.963));
    assert_eq!(figure("second", "thread", "square"), Some(232.082));
    assert_eq!(figure("second", "process", "square"), Some(282.785));
    assert!(lesson.source_setup.contains("40 processors"));
    assert!(lesson.source_setup.contains("Python 2.6"));
    let pool = find("do-work").and_then(|s| s.knob("pool")).map(|k| k.kind);
    assert!(matches!(pool, Some(KnobKind::Int { default: 50, .. })));
}

/// The lessons whose work grows with their workers are real lessons with a workers knob
/// (the one a speedup sweep varies), and the fixed-work ones (a set number of items, URLs
/// or tasks shared out) are not among them.
#[test]
fn work_that_grows_with_the_workers_is_marked() {
    // Each worker counts, sleeps, increments or logs its own share here.
    for id in ["worker-class", "lock", "gil"] {
        assert!(find(id).unwrap().work_grows_with_workers(), "{id}");
    }
    // A set number of items, URLs or tasks is shared out among the workers here.
    for id in [
        "condition",
        "queue-sentinel",
        "site-checker",
        "pool",
        "executor",
        "parallel-map",
        "do-work",
    ] {
        assert!(!find(id).unwrap().work_grows_with_workers(), "{id}");
    }
    for s in all().iter().filter(|s| s.work_grows_with_workers()) {
        assert!(s.knob("workers").is_some(), "{} has no workers knob", s.id);
        assert!(s.has_speedup_sweep(), "{}", s.id);
    }
    let unswept: Vec<&str> = all()
        .iter()
        .filter(|s| !s.has_speedup_sweep())
        .map(|s| s.id)
        .collect();
    assert_eq!(unswept, ["timing-calls"]);
}

#[test]
fn every_knob_is_well_formed() {
    for s in all() {
        let mut keys = HashSet::new();
        for k in s.knobs {
            assert!(is_slug(k.key), "{}: key {}", s.id, k.key);
            assert!(keys.insert(k.key), "{}: key {} repeated", s.id, k.key);
            assert!(
                !RESERVED_KEYS.contains(&k.key),
                "{}: {} is reserved",
                s.id,
                k.key
            );
            assert!(one_line(k.label) && one_line(k.help), "{}: {}", s.id, k.key);
            match k.kind {
                KnobKind::Int { min, max, default } => {
                    assert!(min <= default && default <= max, "{}: {}", s.id, k.key)
                }
                KnobKind::Float { min, max, default } => assert!(
                    min.is_finite() && max.is_finite() && min <= default && default <= max,
                    "{}: {}",
                    s.id,
                    k.key
                ),
                KnobKind::Bool { .. } => {}
                KnobKind::Choice { options, default } => {
                    assert!(options.contains(&default), "{}: {}", s.id, k.key);
                    let distinct: HashSet<String> =
                        options.iter().map(|o| o.to_ascii_lowercase()).collect();
                    assert_eq!(distinct.len(), options.len(), "{}: {}", s.id, k.key);
                }
            }
        }
        // A pool-size knob stays within what the hardening issue promises to run.
        if let Some(KnobKind::Int { min, max, .. }) = s.knob("pool").map(|k| k.kind) {
            assert!(min == 1 && max >= 16, "{}", s.id);
        }
    }
}

#[test]
fn the_mistake_knobs_exist_and_are_off_or_shown_by_default() {
    let bool_default = |id: &str, key: &str| match find(id).and_then(|s| s.knob(key)) {
        Some(KnobSpec {
            kind: KnobKind::Bool { default },
            ..
        }) => Some(*default),
        _ => None,
    };
    assert_eq!(
        bool_default("queue-sentinel", "forget-sentinel"),
        Some(false)
    );
    assert_eq!(bool_default("deadlock", "opposite-order"), Some(true));
    assert_eq!(bool_default("lock", "use-lock"), Some(false));
    assert_eq!(bool_default("gil", "gil"), Some(true));
    assert!(find("site-checker")
        .and_then(|s| s.knob("fail-urls"))
        .is_some());
}

#[test]
fn every_scenario_shows_rust_code_and_python() {
    for s in all() {
        assert!(!s.rust_code().trim().is_empty(), "{}", s.id);
        assert!(!s.rust_code().contains("ANCHOR"), "{}", s.id);
        assert!(
            s.python.contains("if __name__ == \"__main__\":"),
            "{}: the Python text needs a main guard (multiprocessing re-imports it)",
            s.id
        );
    }
}

// ---------------------------------------------------------------------------------------
// Cutting the running code out of a module.

#[test]
fn shown_rust_is_exactly_the_code_between_the_modules_markers() {
    // build.rs cuts the snippets; this reads the modules afresh and cuts them again here.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/scenarios");
    for s in all() {
        let source = std::fs::read_to_string(dir.join(s.rust_file)).unwrap();
        let expected = extract_between_markers(&source);
        assert!(
            !expected.is_empty(),
            "{}: {} has no markers",
            s.id,
            s.rust_file
        );
        assert_eq!(s.rust_code(), expected, "{}", s.id);
    }
}

/// The page fetches each example's code from `CODE_DIR` (it is not compiled into the
/// wasm): www/index.html must copy `src/scenarios/` there, and every URL must name a file
/// that holds exactly the text the native catalogue has.
#[test]
fn the_page_can_fetch_every_examples_code() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let index = std::fs::read_to_string(root.join("www/index.html")).unwrap();
    let copy = format!(
        r#"<link data-trunk rel="copy-dir" href="../src/scenarios" data-target-path="{CODE_DIR}" />"#
    );
    assert!(index.contains(&copy), "www/index.html lacks {copy}");
    let served = |url: String| {
        let rel = url
            .strip_prefix(&format!("{CODE_DIR}/"))
            .expect("under CODE_DIR")
            .to_string();
        std::fs::read_to_string(root.join("src/scenarios").join(rel)).unwrap()
    };
    for s in all() {
        assert_eq!(served(s.python_url()), s.python, "{}", s.id);
        assert_eq!(
            extract_between_markers(&served(s.rust_url())),
            s.rust_code(),
            "{}",
            s.id
        );
    }
}

#[test]
fn markers_cut_exactly_the_code_between_them() {
    let source = format!(
        "use x;\n\n    {MARKER_START}\n\n    fn run() {{\n        go();\n    }}\n\n    {MARKER_END}\nfn tests() {{}}\n"
    );
    assert_eq!(
        extract_between_markers(&source),
        "    fn run() {\n        go();\n    }"
    );
}

#[test]
fn markers_missing_or_reversed_give_nothing() {
    assert_eq!(extract_between_markers(""), "");
    assert_eq!(extract_between_markers("fn main() {}\n"), "");
    assert_eq!(
        extract_between_markers(&format!("{MARKER_START}\ncode\n")),
        ""
    );
    assert_eq!(
        extract_between_markers(&format!("{MARKER_END}\ncode\n{MARKER_START}\n")),
        ""
    );
}

#[test]
fn a_marker_inside_a_string_is_not_a_marker() {
    let source = format!(
        "let s = \"{MARKER_START}\";\n{MARKER_START}\nreal();\n{MARKER_END}\nlet t = \"{MARKER_END}\";\n"
    );
    assert_eq!(extract_between_markers(&source), "real();");
}

#[test]
fn crlf_sources_are_cut_too() {
    let source = format!("a\r\n{MARKER_START}\r\nb();\r\n{MARKER_END}\r\n");
    assert_eq!(extract_between_markers(&source), "b();");
}

// ---------------------------------------------------------------------------------------
// The knob parser: examples.

fn spec(id: &str) -> &'static [KnobSpec] {
    find(id).map(|s| s.knobs).unwrap_or(&[])
}

#[test]
fn defaults_come_from_the_spec() {
    let config = Config::defaults(spec("pool"));
    assert_eq!(config.int("pool"), Some(4));
    assert_eq!(config.choice("method"), Some("map"));
    assert_eq!(config.choice("flavour"), Some("process"));
    assert_eq!(config.to_query(), "");
    assert!(config
        .to_query_full()
        .starts_with("pool=4&items=12&method=map"));
}

#[test]
fn out_of_range_values_are_clamped_with_a_message() {
    let (config, messages) = parse_pairs(spec("pool"), [("pool", "99")]);
    assert_eq!(config.int("pool"), Some(16));
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].text,
        "Pool size 99 is above the maximum 16; using 16"
    );
    let (config, messages) = parse_pairs(spec("pool"), [("pool", "-3")]);
    assert_eq!(config.int("pool"), Some(1));
    assert!(messages[0].text.contains("below the minimum 1"));
    let (config, messages) = parse_pairs(spec("pool"), [("pool", "99999999999999999999999999999")]);
    assert_eq!(config.int("pool"), Some(16));
    assert!(messages[0].text.contains("above the maximum"));
    let (config, messages) = parse_pairs(spec("pool"), [("latency-ms", "1e308")]);
    assert_eq!(config.float("latency-ms"), Some(5000.0));
    assert_eq!(messages.len(), 1);
}

#[test]
fn unparsable_values_fall_back_to_the_default_with_a_message() {
    for bad in ["four", "4x", "NaN", "0x10", "∞", "--", "🦀"] {
        let (config, messages) = parse_pairs(spec("pool"), [("pool", bad)]);
        assert_eq!(config.int("pool"), Some(4), "{bad}");
        assert_eq!(messages.len(), 1, "{bad}");
        assert!(messages[0].text.contains("whole number"), "{bad}");
    }
    let (config, messages) = parse_pairs(spec("pool"), [("method", "mapp")]);
    assert_eq!(config.choice("method"), Some("map"));
    assert!(messages[0].text.contains("imap_unordered"));
    let (config, messages) = parse_pairs(spec("lock"), [("use-lock", "maybe")]);
    assert_eq!(config.bool("use-lock"), Some(false));
    assert_eq!(messages.len(), 1);
}

#[test]
fn lenient_but_honest_forms_are_accepted() {
    let (config, messages) = parse_pairs(
        spec("pool"),
        [
            ("POOL", " 8 "),
            ("method", "IMAP_Unordered"),
            ("latency_ms", "2.5"),
        ],
    );
    assert!(messages.is_empty(), "{messages:?}");
    assert_eq!(config.int("pool"), Some(8));
    assert_eq!(config.choice("method"), Some("imap_unordered"));
    assert_eq!(config.float("latency-ms"), Some(2.5));
    let (config, messages) = parse_pairs(spec("pool"), [("pool", "3.6")]);
    assert_eq!(config.int("pool"), Some(4));
    assert!(messages[0].text.contains("rounding"));
    for (text, expected) in [("on", true), ("yes", true), ("1", true), ("off", false)] {
        let (config, messages) = parse_pairs(spec("lock"), [("use-lock", text)]);
        assert!(messages.is_empty());
        assert_eq!(config.bool("use-lock"), Some(expected));
    }
}

#[test]
fn unknown_empty_and_repeated_keys_are_reported() {
    let (config, messages) = parse_pairs(
        spec("pool"),
        [
            ("pool", "2"),
            ("colour", "red"),
            ("pool", "6"),
            ("items", ""),
        ],
    );
    assert_eq!(config.int("pool"), Some(6), "the last value wins");
    assert_eq!(config.int("items"), Some(12));
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages[0].text.contains("unknown setting 'colour'"));
    assert!(messages[1].text.contains("more than once"));
    assert!(messages[2].text.contains("empty"));
}

#[test]
fn a_flood_of_bad_keys_gets_a_summary() {
    let query: String = (0..500).map(|i| format!("junk{i}=1&")).collect();
    let parsed = parse_query(spec("lock"), &query);
    assert_eq!(parsed.messages.len(), knob::MAX_MESSAGES);
    assert!(parsed.messages[knob::MAX_MESSAGES - 1]
        .text
        .contains("and 481 more problems"));
}

#[test]
fn long_values_are_shortened_in_messages() {
    let long = "x".repeat(1_000_000);
    let (_, messages) = parse_pairs(spec("pool"), [("pool", long.as_str())]);
    assert!(messages[0].text.len() < 300);
    let (_, messages) = parse_pairs(spec("pool"), [(long.as_str(), "1")]);
    assert!(messages[0].text.len() < 300);
}

#[test]
fn query_strings_are_decoded_and_page_options_split_off() {
    let parsed = parse_query(
        spec("queue-sentinel"),
        "?workers=3&forget-sentinel&run=1&lock=workers,%20items,nope&view=Python&embed=0&latency-ms=1%2E5",
    );
    assert_eq!(parsed.config.int("workers"), Some(3));
    assert_eq!(parsed.config.bool("forget-sentinel"), Some(true));
    assert_eq!(parsed.config.float("latency-ms"), Some(1.5));
    assert_eq!(
        parsed.page,
        PageOptions {
            run: true,
            embed: false,
            locked: vec!["workers", "items"],
            view: Some("python".to_string()),
        }
    );
    assert_eq!(parsed.messages.len(), 1, "{:?}", parsed.messages);
    assert!(parsed.messages[0].text.contains("cannot lock 'nope'"));
}

#[test]
fn reserved_keys_are_not_reported_by_parse_pairs() {
    let (_, messages) = parse_pairs(spec("lock"), [("run", "1"), ("embed", "1"), ("view", "x")]);
    assert!(messages.is_empty(), "{messages:?}");
}

#[test]
fn bad_page_options_are_explained() {
    let parsed = parse_query(spec("lock"), "run=sometimes&view=%3Cscript%3E");
    assert!(!parsed.page.run);
    assert_eq!(parsed.page.view, None);
    assert_eq!(parsed.messages.len(), 2);
}

#[test]
fn percent_decoding_never_fails() {
    assert_eq!(knob::percent_decode("a%20b+c"), "a b c");
    assert_eq!(knob::percent_decode("%"), "%");
    assert_eq!(knob::percent_decode("%4"), "%4");
    assert_eq!(knob::percent_decode("%zz"), "%zz");
    assert_eq!(knob::percent_decode("%C3%A9"), "é");
    assert_eq!(knob::percent_decode("%FF"), "\u{FFFD}");
    assert_eq!(knob::percent_encode("a b,é"), "a%20b,%C3%A9");
}

#[test]
fn cli_arguments_in_all_three_forms() {
    let args = [
        "--workers",
        "5",
        "--forget-sentinel",
        "--capacity=2",
        "--items",
        "-5",
        "stray",
    ];
    let parsed = parse_cli(spec("queue-sentinel"), &args);
    assert_eq!(parsed.config.int("workers"), Some(5));
    assert_eq!(parsed.config.bool("forget-sentinel"), Some(true));
    assert_eq!(parsed.config.int("capacity"), Some(2));
    assert_eq!(parsed.config.int("items"), Some(1));
    assert_eq!(parsed.messages.len(), 2, "{:?}", parsed.messages);
    assert!(parsed.messages[1].text.contains("'stray' is not a setting"));
    let parsed = parse_cli(spec("queue-sentinel"), &["--workers"]);
    assert_eq!(parsed.config.int("workers"), Some(2));
    assert!(parsed.messages[0].text.contains("needs a value"));
}

#[test]
fn to_query_round_trips_with_page_options() {
    let mut config = Config::defaults(spec("site-checker"));
    assert!(config.set_text("workers", "7").is_empty());
    assert!(config.set_text("latency-ms", "12.25").is_empty());
    assert!(!config.set_text("nonsense", "1").is_empty());
    let page = PageOptions {
        run: true,
        embed: true,
        locked: vec!["workers"],
        view: Some("timeline".into()),
    };
    let query = link_query(&config, &page);
    assert_eq!(
        query,
        "workers=7&latency-ms=12.25&run=1&embed=1&lock=workers&view=timeline"
    );
    let parsed = parse_query(spec("site-checker"), &query);
    assert!(parsed.messages.is_empty());
    assert_eq!(parsed.config, config);
    assert_eq!(parsed.page, page);
    let cli = parse_cli(spec("site-checker"), &config.to_cli_args());
    assert_eq!(cli.config, config);
}

// ---------------------------------------------------------------------------------------
// The knob parser: properties. 100k+ random inputs per property.

fn scenario_index() -> impl Strategy<Value = usize> {
    0..CURRICULUM_ORDER.len()
}

/// Any text at all: arbitrary unicode scalars, controls and NULs included. (Cheaper to
/// generate than `any::<String>()`, which goes through a regex engine.)
/// Text drawn from a small alphabet (cheap stand-in for a regex strategy).
fn text_from(alphabet: &'static str, len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    let chars: Vec<char> = alphabet.chars().collect();
    proptest::collection::vec(proptest::sample::select(chars), len)
        .prop_map(|cs| cs.into_iter().collect())
}

fn any_text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..max).prop_map(|cs| cs.into_iter().collect())
}

/// Keys: real knob keys (in odd spellings), reserved keys, and junk.
fn any_key() -> impl Strategy<Value = String> {
    let known: Vec<String> = all()
        .iter()
        .flat_map(|s| s.knobs.iter().map(|k| k.key.to_string()))
        .chain(RESERVED_KEYS.iter().map(|k| k.to_string()))
        .collect();
    prop_oneof![
        4 => proptest::sample::select(known.clone()),
        1 => proptest::sample::select(known).prop_map(|k| k.to_uppercase().replace('-', "_")),
        2 => any_text(24),
        1 => text_from("abcdefghijklmnopqrstuvwxyz-", 0..12),
    ]
}

/// Values: numbers of every size and sign, floats, words, unicode, very long text.
fn any_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (-20i64..40).prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| f.to_string()),
        text_from("0123456789", 15..40),
        text_from("0123456789", 15..40).prop_map(|d| format!("-{d}")),
        any_text(24),
        proptest::sample::select(vec![
            "thread",
            "process",
            "map",
            "imap_unordered",
            "on",
            "off",
            "true",
            "yes",
            "no",
            "NaN",
            "inf",
            "-inf",
            "1e9",
            "",
            " 4 ",
            "4.5",
            "-0",
        ])
        .prop_map(String::from),
        any_text(64),
        (any::<char>(), 1000usize..20_000).prop_map(|(c, n)| c.to_string().repeat(n)),
    ]
}

/// Could a knob accept `raw` as it stands, without repair? (An independent oracle.)
fn accepted_as_is(spec: &KnobSpec, raw: &str) -> bool {
    let t = raw.trim();
    match spec.kind {
        KnobKind::Int { min, max, .. } => match t.parse::<f64>() {
            Ok(v) => v.is_finite() && v.fract() == 0.0 && v >= min as f64 && v <= max as f64,
            Err(_) => false,
        },
        KnobKind::Float { min, max, .. } => t
            .parse::<f64>()
            .is_ok_and(|v| v.is_finite() && v >= min && v <= max),
        KnobKind::Bool { .. } => matches!(
            t.to_ascii_lowercase().as_str(),
            "1" | "0" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "t" | "f"
        ),
        KnobKind::Choice { options, .. } => options.iter().any(|o| o.eq_ignore_ascii_case(t)),
    }
}

fn in_range(spec: &KnobSpec, value: KnobValue) -> bool {
    match (spec.kind, value) {
        (KnobKind::Int { min, max, .. }, KnobValue::Int(v)) => min <= v && v <= max,
        (KnobKind::Float { min, max, .. }, KnobValue::Float(v)) => min <= v && v <= max,
        (KnobKind::Bool { .. }, KnobValue::Bool(_)) => true,
        (KnobKind::Choice { options, .. }, KnobValue::Choice(c)) => options.contains(&c),
        _ => false,
    }
}

fn assert_valid(config: &Config) {
    for (spec, (key, value)) in config.spec().iter().zip(config.iter()) {
        assert_eq!(spec.key, key);
        assert!(in_range(spec, value), "{key} = {value:?}");
    }
}

#[path = "common/float_edges.rs"]
mod float_edges;
use float_edges::FLOAT_EDGES;

#[test]
fn float_syntax_check_agrees_with_rusts_parser() {
    for s in FLOAT_EDGES {
        assert_eq!(
            knob::is_rust_float_syntax(s),
            s.parse::<f64>().is_ok(),
            "{s:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn float_syntax_check_agrees_on_random_text(s in "[-+0-9.eEinfatyINFATY_ x]{0,12}") {
        prop_assert_eq!(knob::is_rust_float_syntax(&s), s.parse::<f64>().is_ok(), "{:?}", s);
    }
}

/// Cases per property; `PG_FUZZ_CASES=1000000` runs the hardening issue's million.
/// The default, 20k cases of 1..10 inputs each over four properties, is well over 100k
/// random inputs per test run.
fn fuzz_config() -> ProptestConfig {
    let cases = std::env::var("PG_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(fuzz_config())]

    #[test]
    fn random_pairs_never_panic_and_always_give_a_valid_config(
        index in scenario_index(),
        pairs in proptest::collection::vec((any_key(), any_value()), 0..6),
    ) {
        let spec = all()[index].knobs;
        let (config, messages) = parse_pairs(spec, pairs.iter().map(|(k, v)| (k, v)));
        assert_valid(&config);
        for m in &messages {
            prop_assert!(!m.text.trim().is_empty());
            prop_assert!(m.text.chars().count() < 600);
        }
    }

    #[test]
    fn every_repair_is_explained(
        index in scenario_index(),
        knob in any::<prop::sample::Index>(),
        value in any_value(),
    ) {
        let scenario = &all()[index];
        prop_assume!(!scenario.knobs.is_empty());
        let spec = knob.get(scenario.knobs);
        let (config, messages) = parse_pairs(scenario.knobs, [(spec.key, value.as_str())]);
        assert_valid(&config);
        if accepted_as_is(spec, &value) {
            prop_assert!(messages.is_empty(), "{:?} -> {:?}", value, messages);
        } else {
            prop_assert_eq!(messages.len(), 1);
            prop_assert!(!messages[0].text.is_empty());
        }
    }

    #[test]
    fn random_query_strings_and_cli_args_never_panic(
        index in scenario_index(),
        query in any_text(200),
        junk in text_from("abcdefghijklmnopqrstuvwxyz0123456789=&%+_-", 0..60),
        args in proptest::collection::vec(any_value(), 0..8),
    ) {
        let spec = all()[index].knobs;
        for q in [query.as_str(), junk.as_str()] {
            let parsed = parse_query(spec, q);
            assert_valid(&parsed.config);
            prop_assert!(parsed.messages.iter().all(|m| !m.text.trim().is_empty()));
            for locked in &parsed.page.locked {
                prop_assert!(spec.iter().any(|k| k.key == *locked));
            }
        }
        let parsed = parse_cli(spec, &args);
        assert_valid(&parsed.config);
        prop_assert!(parsed.messages.iter().all(|m| !m.text.trim().is_empty()));
    }

    #[test]
    fn to_query_then_parse_is_the_same_config(
        index in scenario_index(),
        seeds in proptest::collection::vec(any::<u64>(), 8),
        full in any::<bool>(),
    ) {
        let spec = all()[index].knobs;
        let mut config = Config::defaults(spec);
        for (k, seed) in spec.iter().zip(seeds.iter()) {
            let text = match k.kind {
                KnobKind::Int { min, max, .. } => {
                    let span = (max - min) as u64 + 1;
                    (min + (seed % span) as i64).to_string()
                }
                KnobKind::Float { min, max, .. } => {
                    let fraction = (*seed as f64) / (u64::MAX as f64);
                    (min + (max - min) * fraction).clamp(min, max).to_string()
                }
                KnobKind::Bool { .. } => (seed % 2 == 0).to_string(),
                KnobKind::Choice { options, .. } => {
                    options[(*seed as usize) % options.len()].to_string()
                }
            };
            prop_assert!(config.set_text(k.key, &text).is_empty(), "{} = {}", k.key, text);
        }
        let query = if full { config.to_query_full() } else { config.to_query() };
        let parsed = parse_query(spec, &query);
        prop_assert!(parsed.messages.is_empty(), "{:?}", parsed.messages);
        prop_assert_eq!(&parsed.config, &config);
        let cli = parse_cli(spec, &config.to_cli_args());
        prop_assert!(cli.messages.is_empty());
        prop_assert_eq!(&cli.config, &config);
    }
}

// ---------------------------------------------------------------------------------------
// Every Python text runs under CPython, small, and prints what its lesson describes.

struct PythonCase {
    id: &'static str,
    env: &'static [(&'static str, &'static str)],
    expect: &'static [&'static str],
}

const SMALL: &[(&str, &str)] = &[
    ("WORKERS", "3"),
    ("ITEMS", "6"),
    ("LATENCY_MS", "5"),
    ("WORK", "3"),
    ("POOL", "2"),
    ("REPEATS", "3"),
];

const PYTHON_CASES: &[PythonCase] = &[
    PythonCase {
        id: "start-join",
        env: &[],
        expect: &[
            "Worker: 0",
            "Worker: 2",
            "5 doubled to 10 by process id: ",
            "joined my_service: exit code 0",
        ],
    },
    PythonCase {
        id: "worker-class",
        env: &[("STYLE", "target")],
        expect: &["order: 0 ", "3 workers (target) printed 18 numbers"],
    },
    PythonCase {
        id: "gil",
        env: &[],
        expect: &[
            "cpu on 3 threads",
            "speedup with threads",
            "speedup with processes",
            "io on 3 processes",
        ],
    },
    PythonCase {
        id: "lock",
        env: &[("USE_LOCK", "0"), ("ITEMS", "200")],
        expect: &["lock is off", "counter: expected 600, got "],
    },
    PythonCase {
        id: "lock",
        env: &[("USE_LOCK", "1"), ("ITEMS", "200")],
        expect: &[
            "lock is on",
            "tango...\n",
            "foxtrot...\n",
            "10\n",
            "expected 600, got 600 (0 updates lost)",
        ],
    },
    PythonCase {
        id: "event",
        env: &[("SET_AFTER_MS", "200"), ("TIMEOUT_MS", "20")],
        expect: &[
            "wait returned False",
            "waiter-3: got the go-ahead",
            "is_set() is False",
        ],
    },
    PythonCase {
        id: "condition",
        env: &[("NOTIFY", "notify_all")],
        expect: &["took item 0", "took item 5", "notify_all: "],
    },
    PythonCase {
        id: "semaphore",
        env: &[("SLOTS", "2"), ("OVER_RELEASE", "1"), ("LATENCY_MS", "30")],
        expect: &[
            "most inside at once: ",
            "(limit 2)",
            "BoundedSemaphore refused an extra release",
        ],
    },
    PythonCase {
        id: "queue-sentinel",
        env: &[("WORKERS", "2"), ("ITEMS", "3")],
        expect: &[
            "doubled 5 to 10",
            "doubled 10 to 20",
            "doubled 13 to 26",
            "produced 3, consumed 3",
            "read the sentinel",
        ],
    },
    PythonCase {
        id: "queue-sentinel",
        env: &[
            ("WORKERS", "2"),
            ("ITEMS", "3"),
            ("FORGET_SENTINEL", "1"),
            ("CAPACITY", "1"),
        ],
        expect: &[
            "produced 3, consumed 3",
            "is still blocked in get(): its sentinel was never put",
        ],
    },
    PythonCase {
        id: "bounded-buffer",
        env: &[("CAPACITY", "2"), ("PRODUCE_MS", "1"), ("CONSUME_MS", "3")],
        expect: &["producer-1 put 1", "produced 6, consumed 6"],
    },
    PythonCase {
        id: "site-checker",
        env: &[("FAIL_URLS", "2")],
        expect: &[
            " got 200.",
            " failed on http://site-",
            " with: could not connect",
            "checked 6 URLs with 3 workers",
        ],
    },
    PythonCase {
        id: "pool",
        env: &[("METHOD", "imap_unordered")],
        expect: &[
            "finished job 5",
            "imap_unordered: [",
            "6 jobs on a pool of 2",
        ],
    },
    PythonCase {
        id: "pool",
        env: &[],
        expect: &["map: [0, 1, 4, 9, 16, 25]"],
    },
    PythonCase {
        id: "executor",
        env: &[("FLAVOUR", "process"), ("PAYLOAD_KB", "8")],
        expect: &[
            "pickles and unpickles in",
            "task 3 raised ValueError",
            "map keeps input order: [0, 1, 4, 9, 16]",
            "process executor",
        ],
    },
    PythonCase {
        id: "shared-state",
        env: &[],
        expect: &[
            "exact total is 18",
            "value     total      18",
            "array     total      18",
            "manager   total      18",
            "messages  total      18",
        ],
    },
    PythonCase {
        id: "parallel-map",
        env: &[("WORK", "200"), ("REPEAT", "2")],
        expect: &["comprehension: ", "pool.map(2)", "same results; speedup "],
    },
    PythonCase {
        id: "do-work",
        env: &[
            ("POOL", "8"),
            ("FILE_ITEMS", "4"),
            ("FILE_KB", "4"),
            ("SQUARE_ITEMS", "20"),
        ],
        expect: &[
            "thread/fileio",
            "process/fileio",
            "thread/square",
            "process/square",
            "455.752 ms",
            "282.785 ms",
        ],
    },
    PythonCase {
        id: "timing-calls",
        env: &[],
        expect: &[
            "1 at a time: 3 calls",
            "3 at a time: ",
            "ms per call",
            "calls/s",
        ],
    },
    PythonCase {
        id: "worker-logging",
        env: &[("LEVEL", "DEBUG")],
        expect: &[
            "Process-1",
            "Process-3",
            "DEBUG",
            "INFO",
            "WARNING worker 2 is done",
        ],
    },
    PythonCase {
        id: "deadlock",
        env: &[("HOLD_MS", "100"), ("TIMEOUT_MS", "300")],
        expect: &[
            "gave up waiting for lock",
            "cycle: Thread-1 holds A and waits for B; Thread-2 holds B and waits for A",
        ],
    },
    PythonCase {
        id: "deadlock",
        env: &[("OPPOSITE_ORDER", "0"), ("HOLD_MS", "20")],
        expect: &[
            "Thread-1 holds A and B: done",
            "Thread-2 holds A and B: done",
            "no deadlock",
        ],
    },
];

const PYTHON_TIMEOUT: Duration = Duration::from_secs(20);

/// Runs `python3 <file>` with `env`; returns (exit code, stdout + stderr) or a reason.
fn run_python(file: &std::path::Path, env: &[(&str, &str)]) -> Result<(i32, String), String> {
    let mut command = Command::new("python3");
    command
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in SMALL.iter().chain(env.iter()) {
        command.env(k, v);
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start python3: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let mut stderr = child.stderr.take().ok_or("no stderr")?;
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + PYTHON_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {PYTHON_TIMEOUT:?}"));
            }
            Err(e) => return Err(format!("wait failed: {e}")),
        }
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    Ok((status.code().unwrap_or(-1), format!("{out}{err}")))
}

#[test]
fn every_python_text_runs_and_prints_its_lesson() {
    // Every scenario has at least one case.
    for id in CURRICULUM_ORDER {
        assert!(
            PYTHON_CASES.iter().any(|c| c.id == id),
            "no Python case for {id}"
        );
    }
    // Run the texts exactly as the page shows them, from a scratch directory.
    let dir = std::env::temp_dir().join(format!("playground-python-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    for s in all() {
        std::fs::write(dir.join(format!("{}.py", s.id)), s.python).expect("write the text");
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(case) = PYTHON_CASES.get(i) else {
                    break;
                };
                let file = dir.join(format!("{}.py", case.id));
                let problem = match run_python(&file, case.env) {
                    Err(reason) => Some(reason),
                    Ok((0, output)) => {
                        let missing: Vec<&str> = case
                            .expect
                            .iter()
                            .copied()
                            .filter(|e| !output.contains(e))
                            .collect();
                        (!missing.is_empty()).then(|| format!("missing {missing:?} in:\n{output}"))
                    }
                    Ok((code, output)) => Some(format!("exit code {code}:\n{output}")),
                };
                if let Some(problem) = problem {
                    let mut list = failures.lock().unwrap_or_else(|p| p.into_inner());
                    list.push(format!("{} {:?}: {problem}", case.id, case.env));
                }
            });
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
    let failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Every environment variable a Python text reads is one of its scenario's knobs, so the
/// page's "run it yourself" line (`Config::to_env`) always means something to the script.
#[test]
fn python_texts_read_only_their_own_knobs() {
    for s in all() {
        let knob_envs: Vec<String> = s.knobs.iter().map(|k| knob::env_name(k.key)).collect();
        let mut read = 0;
        for piece in s.python.split("os.environ.get(\"").skip(1) {
            let name = piece.split('"').next().unwrap_or("");
            assert!(knob_envs.iter().any(|e| e == name), "{} reads {name}", s.id);
            read += 1;
        }
        assert!(read > 0, "{} reads no sizes from the environment", s.id);
    }
    let mut config = Config::defaults(spec("lock"));
    assert!(config.set_text("use-lock", "on").is_empty());
    assert!(config.set_text("items", "5").is_empty());
    assert_eq!(
        config.to_env(),
        vec![
            ("USE_LOCK".to_string(), "1".to_string()),
            ("ITEMS".to_string(), "5".to_string())
        ]
    );
}

/// A Python text falls back to its knobs' defaults, so the page's "run it yourself"
/// line, which names only the knobs changed, runs the same work the page ran. (The
/// parallel-map text did 200 thousand steps per item where the page did 1000, and the
/// do-work text a tenth of the classic sizes.)
#[test]
fn python_defaults_are_the_knobs_defaults() {
    for s in all() {
        for piece in s.python.split("os.environ.get(\"").skip(1) {
            let (name, rest) = piece.split_once('"').expect("a closing quote");
            let literal = rest
                .trim_start_matches(',')
                .split(')')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"');
            let knob = s
                .knobs
                .iter()
                .find(|k| knob::env_name(k.key) == name)
                .unwrap_or_else(|| panic!("{} reads {name}", s.id));
            let want = knob.default_value().to_string();
            let same = match (literal.parse::<f64>(), want.parse::<f64>()) {
                (Ok(a), Ok(b)) => a == b,
                _ => literal == want,
            };
            assert!(
                same,
                "{}: the Python's {name} defaults to {literal}, the knob to {want}",
                s.id
            );
        }
    }
}

/// The Python lesson's claim, checked statistically: without the lock, updates are lost
/// in at least 19 of 20 runs.
#[test]
fn python_loses_updates_without_the_lock() {
    let dir = std::env::temp_dir().join(format!("playground-lock-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let file = dir.join("lock.py");
    std::fs::write(&file, find("lock").map(|s| s.python).unwrap_or("")).expect("write");
    let env = [
        ("USE_LOCK", "0"),
        ("PART", "counter"),
        ("WORKERS", "3"),
        ("ITEMS", "200"),
    ];
    let mut lossy = 0;
    for _ in 0..20 {
        let (code, output) = run_python(&file, &env).expect("python ran");
        assert_eq!(code, 0, "{output}");
        if !output.contains("(0 updates lost)") {
            lossy += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(lossy >= 19, "updates were lost in only {lossy} of 20 runs");
}

#[test]
fn the_semaphore_limit_holds_in_python() {
    let dir = std::env::temp_dir().join(format!("playground-sem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let file = dir.join("semaphore.py");
    std::fs::write(&file, find("semaphore").map(|s| s.python).unwrap_or("")).expect("write");
    let result = run_python(
        &file,
        &[("WORKERS", "8"), ("SLOTS", "3"), ("LATENCY_MS", "10")],
    );
    let _ = std::fs::remove_dir_all(&dir);
    let (code, output) = result.expect("python ran");
    assert_eq!(code, 0, "{output}");
    let most: usize = output
        .split("most inside at once: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!((1..=3).contains(&most), "{output}");
}
