//! Exports of a run, and our own trace file.
//!
//! - [`chrome_trace`]: Chrome Trace Event Format JSON, which opens in ui.perfetto.dev and
//!   chrome://tracing. Viewers stack `B`/`E` slices per thread and mis-draw slices that
//!   overlap without nesting (a lock released after the task that took it ended, the GIL
//!   handed over mid-task). So each worker's spans are split into *tracks*, each track
//!   strictly nested, and every track becomes a thread of its own, named after the worker.
//! - [`save_trace`] / [`load_trace`]: a versioned JSON envelope around the raw events, for
//!   "replay a saved run". Loading treats the bytes as untrusted: size cap, type checks,
//!   clear messages, never a panic.

use super::timeline::{Span, SpanKind, Timeline};
use crate::engine::trace::{Event, EventKind, WorkerId};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};

pub const TRACE_FORMAT: &str = "concurrency-playground-trace";
pub const TRACE_VERSION: u64 = 1;
/// Larger files are refused before parsing: a browser tab should not choke on a drop.
pub const MAX_TRACE_BYTES: usize = 50 * 1024 * 1024;

/// The Chrome trace's single process id.
const PID: u64 = 1;

/// Which family a span is drawn with: work, synchronisation, or the GIL.
fn group(kind: SpanKind) -> usize {
    match kind {
        SpanKind::Lifetime | SpanKind::Task | SpanKind::Sleep => 0,
        SpanKind::Gil => 2,
        _ => 1,
    }
}

const GROUP_SUFFIX: [&str; 3] = ["", " · sync", " · GIL"];
const GROUP_CAT: [&str; 3] = ["run", "sync", "gil"];

/// Split spans into tracks on which every pair of spans is either disjoint or nested,
/// greedily: earliest start first, longest first on ties, onto the first track where it
/// fits inside the innermost open span (or the track is idle).
fn nest_into_tracks(mut spans: Vec<Span>) -> Vec<Vec<Span>> {
    spans.sort_by(|a, b| {
        a.start_us
            .cmp(&b.start_us)
            .then(b.end_us.cmp(&a.end_us))
            .then(a.start_seq.cmp(&b.start_seq))
    });
    let mut tracks: Vec<Vec<Span>> = Vec::new();
    let mut stacks: Vec<Vec<u64>> = Vec::new();
    for s in spans {
        let mut placed = false;
        for (t, stack) in stacks.iter_mut().enumerate() {
            while stack
                .last()
                .is_some_and(|&end| end <= s.start_us && end < s.end_us)
            {
                stack.pop();
            }
            if stack.last().is_none_or(|&end| end >= s.end_us) {
                stack.push(s.end_us);
                tracks[t].push(s);
                placed = true;
                break;
            }
        }
        if !placed {
            stacks.push(vec![s.end_us]);
            tracks.push(vec![s]);
        }
    }
    tracks
}

/// Balanced `B`/`E` events for one strictly nested track, in stack order.
fn begin_end_events(track: &[Span], tid: u64, names: &Timeline, out: &mut Vec<Value>) {
    let cat = track
        .first()
        .map(|s| GROUP_CAT[group(s.kind)])
        .unwrap_or("run");
    let mut open: Vec<u64> = Vec::new();
    let end = |ts: u64, out: &mut Vec<Value>| {
        out.push(json!({"ph": "E", "pid": PID, "tid": tid, "ts": ts}));
    };
    for s in track {
        while let Some(&top) = open.last() {
            if top <= s.start_us && top < s.end_us {
                end(top, out);
                open.pop();
            } else {
                break;
            }
        }
        let mut args = Map::new();
        if let Some(o) = s.object {
            args.insert("object".into(), json!(names.roster.object_name(o)));
        }
        if let Some(t) = s.task {
            args.insert("task".into(), json!(t));
        }
        if s.is_open() {
            args.insert("open_at_end".into(), json!(true));
        }
        let name = match (s.kind, s.object) {
            (SpanKind::Task, _) => format!("task {}", s.task.unwrap_or(0)),
            (k, Some(o)) if k != SpanKind::Lifetime => {
                format!("{} {}", k.label(), names.roster.object_name(o))
            }
            (k, _) => k.label().to_string(),
        };
        out.push(json!({"ph": "B", "pid": PID, "tid": tid, "ts": s.start_us,
                        "name": name, "cat": cat, "args": args}));
        open.push(s.end_us);
    }
    while let Some(top) = open.pop() {
        end(top, out);
    }
}

/// The run as Chrome Trace Event Format JSON. Spans still open at the end of the trace
/// are closed at its last timestamp.
pub fn chrome_trace(events: &[Event], title: &str) -> String {
    let timeline = Timeline::build(events);
    let now = timeline.now_us();
    let mut out: Vec<Value> = Vec::new();
    out.push(
        json!({"ph": "M", "pid": PID, "tid": 0, "name": "process_name",
                    "args": {"name": title}}),
    );
    // Every worker's first track is its "main" thread: instants and flows go there.
    let mut main_tid: BTreeMap<WorkerId, u64> = BTreeMap::new();
    let mut next_tid = 1u64;
    for lane in timeline.lanes() {
        let name = timeline.lane_name(lane.worker);
        let mut groups: [Vec<Span>; 3] = Default::default();
        for s in lane.all_spans(now) {
            groups[group(s.kind)].push(s);
        }
        for (g, spans) in groups.into_iter().enumerate() {
            let mut tracks = nest_into_tracks(spans);
            if g == 0 && tracks.is_empty() {
                tracks.push(Vec::new());
            }
            for (i, track) in tracks.iter().enumerate() {
                let tid = next_tid;
                next_tid += 1;
                main_tid.entry(lane.worker).or_insert(tid);
                let extra = if i == 0 {
                    String::new()
                } else {
                    format!(" #{}", i + 1)
                };
                out.push(
                    json!({"ph": "M", "pid": PID, "tid": tid, "name": "thread_name",
                                "args": {"name": format!("{name}{}{extra}", GROUP_SUFFIX[g])}}),
                );
                out.push(
                    json!({"ph": "M", "pid": PID, "tid": tid, "name": "thread_sort_index",
                                "args": {"sort_index": tid}}),
                );
                begin_end_events(track, tid, &timeline, &mut out);
            }
        }
    }
    instants_counters_flows(events, &timeline, &main_tid, &mut out);
    let doc = json!({
        "traceEvents": out,
        "displayTimeUnit": "ms",
        "otherData": {"generator": "concurrency-playground", "title": title},
    });
    doc.to_string()
}

fn instants_counters_flows(
    events: &[Event],
    timeline: &Timeline,
    main_tid: &BTreeMap<WorkerId, u64>,
    out: &mut Vec<Value>,
) {
    let tid = |w: WorkerId| main_tid.get(&w).copied().unwrap_or(0);
    let obj_name = |e: &Event| {
        e.object
            .map(|o| timeline.roster.object_name(o))
            .unwrap_or_default()
    };
    // Puts waiting for their get, per (queue, item): the flow arrows.
    let mut pending_puts: HashMap<(u32, u64), VecDeque<(u64, WorkerId)>> = HashMap::new();
    let mut next_flow = 1u64;
    for e in events {
        let instant = |name: String, args: Value| {
            json!({"ph": "i", "s": "t", "pid": PID, "tid": tid(e.worker), "ts": e.t_us,
                   "name": name, "cat": "event", "args": args})
        };
        let counter = |name: String, key: &str, v: i64| json!({"ph": "C", "pid": PID, "tid": 0, "ts": e.t_us, "name": name, "args": {key: v}});
        match &e.kind {
            EventKind::QueuePut { item, len } => {
                out.push(instant(
                    format!("put {item}"),
                    json!({"queue": obj_name(e), "item": item, "len": len}),
                ));
                out.push(counter(
                    format!("{} length", obj_name(e)),
                    "len",
                    *len as i64,
                ));
                pending_puts
                    .entry((e.object.unwrap_or(0), *item))
                    .or_default()
                    .push_back((e.t_us, e.worker));
            }
            EventKind::QueueGet { item, len } => {
                out.push(instant(
                    format!("get {item}"),
                    json!({"queue": obj_name(e), "item": item, "len": len}),
                ));
                out.push(counter(
                    format!("{} length", obj_name(e)),
                    "len",
                    *len as i64,
                ));
                let key = (e.object.unwrap_or(0), *item);
                if let Some((put_t, put_w)) = pending_puts.get_mut(&key).and_then(|q| q.pop_front())
                {
                    let id = next_flow;
                    next_flow += 1;
                    out.push(
                        json!({"ph": "s", "id": id, "pid": PID, "tid": tid(put_w), "ts": put_t,
                                    "name": "item", "cat": "queue"}),
                    );
                    out.push(
                        json!({"ph": "f", "bp": "e", "id": id, "pid": PID, "tid": tid(e.worker),
                                    "ts": e.t_us, "name": "item", "cat": "queue"}),
                    );
                }
            }
            EventKind::Print { text } => out.push(instant("print".into(), json!({"text": text}))),
            EventKind::Log { level, text } => {
                out.push(instant(format!("log {level}"), json!({"text": text})))
            }
            EventKind::EventSet => out.push(instant(format!("set {}", obj_name(e)), json!({}))),
            EventKind::EventClear => out.push(instant(format!("clear {}", obj_name(e)), json!({}))),
            EventKind::CondNotify { n } => {
                out.push(instant(format!("notify {}", obj_name(e)), json!({"n": n})))
            }
            EventKind::SemAcquire { value } | EventKind::SemRelease { value } => {
                out.push(counter(format!("{} value", obj_name(e)), "value", *value))
            }
            EventKind::Counter { name, value } => out.push(counter(name.clone(), "value", *value)),
            EventKind::Deadlock { cycle } => {
                out.push(instant("deadlock".into(), json!({"cycle": cycle})))
            }
            _ => {}
        }
    }
}

// ---- our own trace file ----------------------------------------------------------------

/// A saved run: what it was, how it was configured, and every event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceFile {
    pub format: String,
    pub version: u64,
    pub scenario: String,
    /// The knobs as the URL query carries them.
    pub config: String,
    pub events: Vec<Event>,
}

impl TraceFile {
    pub fn new(scenario: &str, config: &str, events: Vec<Event>) -> Self {
        TraceFile {
            format: TRACE_FORMAT.into(),
            version: TRACE_VERSION,
            scenario: scenario.into(),
            config: config.into(),
            events,
        }
    }
}

/// The trace file's JSON text.
pub fn save_trace(t: &TraceFile) -> Result<String, String> {
    serde_json::to_string(t).map_err(|e| format!("could not write the trace: {e}"))
}

/// Read a trace file from untrusted bytes. Every failure is a sentence for the learner.
pub fn load_trace(bytes: &[u8]) -> Result<TraceFile, String> {
    if bytes.len() > MAX_TRACE_BYTES {
        return Err(format!(
            "The file is {:.1} MB; trace files over {} MB are refused.",
            bytes.len() as f64 / (1024.0 * 1024.0),
            MAX_TRACE_BYTES / (1024 * 1024)
        ));
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("The file is empty.".into());
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "The file is not text (UTF-8), so it is not a trace file.".to_string())?;
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("The file is not valid JSON ({e})."))?;
    let Value::Object(mut obj) = value else {
        return Err("The file is JSON but not a trace: expected an object at the top.".into());
    };
    match obj.get("format") {
        Some(Value::String(f)) if f == TRACE_FORMAT => {}
        _ if obj.contains_key("traceEvents") => {
            return Err("This is a Chrome Trace Event file (an export for Perfetto); \
                        load a playground trace file instead."
                .into())
        }
        Some(other) => {
            return Err(format!(
                "Not a Concurrency Playground trace: \"format\" is {other}, expected \"{TRACE_FORMAT}\"."
            ))
        }
        None => return Err("Not a Concurrency Playground trace: no \"format\" field.".into()),
    }
    let version = match obj.get("version") {
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| format!("\"version\" must be a whole number, got {n}."))?,
        Some(other) => return Err(format!("\"version\" must be a number, got {other}.")),
        None => return Err("The trace has no \"version\" field.".into()),
    };
    if version != TRACE_VERSION {
        return Err(format!(
            "Trace version {version} is not supported; this playground reads version {TRACE_VERSION}."
        ));
    }
    let string_field = |obj: &Map<String, Value>, key: &str| match obj.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        None | Some(Value::Null) => Ok(String::new()),
        Some(other) => Err(format!("\"{key}\" must be a string, got {other}.")),
    };
    let scenario = string_field(&obj, "scenario")?;
    let config = string_field(&obj, "config")?;
    let raw = match obj.remove("events") {
        Some(Value::Array(a)) => a,
        Some(_) => return Err("\"events\" must be a list.".into()),
        None => return Err("The trace has no \"events\" list.".into()),
    };
    let mut events = Vec::with_capacity(raw.len());
    for (i, v) in raw.into_iter().enumerate() {
        let e: Event =
            serde_json::from_value(v).map_err(|err| format!("Event #{i} is malformed: {err}."))?;
        events.push(e);
    }
    Ok(TraceFile {
        format: TRACE_FORMAT.into(),
        version,
        scenario,
        config,
        events,
    })
}
