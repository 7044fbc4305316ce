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

use super::event_reader::read_event;
use super::timeline::{Span, SpanKind, Timeline};
use crate::engine::trace::{Event, EventKind, ObjectId, WorkerId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;

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

/// A value in a Chrome event's `args`.
enum Arg<'a> {
    Str(&'a str),
    Int(i64),
    Uint(u64),
    Bool(bool),
    List(&'a [String]),
}

/// Writes the Chrome JSON straight into a string: building a `serde_json::Value` per
/// event made a 100k-event export take seconds.
struct ChromeOut {
    buf: String,
    count: usize,
}

impl ChromeOut {
    /// Open an event object with its common fields; finish it with [`end`](Self::end).
    fn open(&mut self, ph: &str, tid: u64, ts: u64) -> &mut Self {
        if self.count > 0 {
            self.buf.push(',');
        }
        self.count += 1;
        let _ = write!(
            self.buf,
            "\n{{\"ph\":\"{ph}\",\"pid\":{PID},\"tid\":{tid},\"ts\":{ts}"
        );
        self
    }

    fn str(&mut self, key: &str, value: &str) -> &mut Self {
        let _ = write!(self.buf, ",\"{key}\":");
        push_json_str(&mut self.buf, value);
        self
    }

    fn num(&mut self, key: &str, value: u64) -> &mut Self {
        let _ = write!(self.buf, ",\"{key}\":{value}");
        self
    }

    fn args(&mut self, args: &[(&str, Arg)]) -> &mut Self {
        self.buf.push_str(",\"args\":{");
        for (i, (k, v)) in args.iter().enumerate() {
            if i > 0 {
                self.buf.push(',');
            }
            push_json_str(&mut self.buf, k);
            self.buf.push(':');
            match v {
                Arg::Str(s) => push_json_str(&mut self.buf, s),
                Arg::Int(n) => {
                    let _ = write!(self.buf, "{n}");
                }
                Arg::Uint(n) => {
                    let _ = write!(self.buf, "{n}");
                }
                Arg::Bool(b) => {
                    let _ = write!(self.buf, "{b}");
                }
                Arg::List(items) => {
                    self.buf.push('[');
                    for (j, item) in items.iter().enumerate() {
                        if j > 0 {
                            self.buf.push(',');
                        }
                        push_json_str(&mut self.buf, item);
                    }
                    self.buf.push(']');
                }
            }
        }
        self.buf.push('}');
        self
    }

    fn end(&mut self) {
        self.buf.push('}');
    }
}

/// A JSON string literal, escaped.
fn push_json_str(buf: &mut String, s: &str) {
    buf.push('"');
    for c in s.chars() {
        match c {
            '"' => buf.push_str("\\\""),
            '\\' => buf.push_str("\\\\"),
            '\n' => buf.push_str("\\n"),
            '\r' => buf.push_str("\\r"),
            '\t' => buf.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(buf, "\\u{:04x}", c as u32);
            }
            c => buf.push(c),
        }
    }
    buf.push('"');
}

/// An object's name without allocating when the trace named it.
fn object_name(t: &Timeline, id: ObjectId) -> Cow<'_, str> {
    match t.roster.object(id) {
        Some(o) => Cow::Borrowed(o.name.as_str()),
        None => Cow::Owned(format!("object-{id}")),
    }
}

/// Balanced `B`/`E` events for one strictly nested track, in stack order.
fn begin_end_events(track: &[Span], tid: u64, names: &Timeline, out: &mut ChromeOut) {
    let cat = track
        .first()
        .map(|s| GROUP_CAT[group(s.kind)])
        .unwrap_or("run");
    let mut open: Vec<u64> = Vec::new();
    let mut name = String::new();
    for s in track {
        while let Some(&top) = open.last() {
            if top <= s.start_us && top < s.end_us {
                out.open("E", tid, top).end();
                open.pop();
            } else {
                break;
            }
        }
        name.clear();
        let object = s.object.map(|o| object_name(names, o));
        match (s.kind, &object) {
            (SpanKind::Task, _) => {
                let _ = write!(name, "task {}", s.task.unwrap_or(0));
            }
            (SpanKind::JoinWait, _) => {
                let joined = s.joined().map(|w| names.lane_name(w)).unwrap_or_default();
                let _ = write!(name, "joining {joined}");
            }
            (k, Some(o)) if k != SpanKind::Lifetime => {
                let _ = write!(name, "{} {o}", k.label());
            }
            (k, _) => name.push_str(k.label()),
        }
        let mut args: Vec<(&str, Arg)> = Vec::new();
        if let Some(o) = &object {
            args.push(("object", Arg::Str(o)));
        }
        if let Some(t) = s.task.filter(|_| s.kind != SpanKind::JoinWait) {
            args.push(("task", Arg::Uint(t)));
        }
        if s.is_open() {
            args.push(("open_at_end", Arg::Bool(true)));
        }
        out.open("B", tid, s.start_us)
            .str("name", &name)
            .str("cat", cat)
            .args(&args)
            .end();
        open.push(s.end_us);
    }
    while let Some(top) = open.pop() {
        out.open("E", tid, top).end();
    }
}

/// The run as Chrome Trace Event Format JSON. Spans still open at the end of the trace
/// are closed at its last timestamp.
pub fn chrome_trace(events: &[Event], title: &str) -> String {
    let timeline = Timeline::build(events);
    let now = timeline.now_us();
    let mut out = ChromeOut {
        buf: String::with_capacity(events.len() * 100 + 256),
        count: 0,
    };
    out.buf.push_str("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"generator\":\"concurrency-playground\",\"title\":");
    push_json_str(&mut out.buf, title);
    out.buf.push_str("},\"traceEvents\":[");
    out.open("M", 0, 0)
        .str("name", "process_name")
        .args(&[("name", Arg::Str(title))])
        .end();
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
                let thread = format!("{name}{}{extra}", GROUP_SUFFIX[g]);
                out.open("M", tid, 0)
                    .str("name", "thread_name")
                    .args(&[("name", Arg::Str(&thread))])
                    .end();
                out.open("M", tid, 0)
                    .str("name", "thread_sort_index")
                    .args(&[("sort_index", Arg::Uint(tid))])
                    .end();
                begin_end_events(track, tid, &timeline, &mut out);
            }
        }
    }
    instants_counters_flows(events, &timeline, &main_tid, &mut out);
    out.buf.push_str("\n]}");
    out.buf
}

fn instants_counters_flows(
    events: &[Event],
    timeline: &Timeline,
    main_tid: &BTreeMap<WorkerId, u64>,
    out: &mut ChromeOut,
) {
    let tid = |w: WorkerId| main_tid.get(&w).copied().unwrap_or(0);
    // Puts waiting for their get, per (queue, item): the flow arrows.
    let mut pending_puts: HashMap<(u32, u64), VecDeque<(u64, WorkerId)>> = HashMap::new();
    let mut next_flow = 1u64;
    let mut name = String::new();
    for e in events {
        let obj = e
            .object
            .map(|o| object_name(timeline, o))
            .unwrap_or(Cow::Borrowed(""));
        name.clear();
        let instant = |out: &mut ChromeOut, name: &str, args: &[(&str, Arg)]| {
            out.open("i", tid(e.worker), e.t_us)
                .str("s", "t")
                .str("name", name)
                .str("cat", "event")
                .args(args)
                .end();
        };
        let counter = |out: &mut ChromeOut, name: &str, key: &str, v: i64| {
            out.open("C", 0, e.t_us)
                .str("name", name)
                .args(&[(key, Arg::Int(v))])
                .end();
        };
        match &e.kind {
            EventKind::QueuePut { item, len } | EventKind::QueueGet { item, len } => {
                let put = matches!(e.kind, EventKind::QueuePut { .. });
                let _ = write!(name, "{} {item}", if put { "put" } else { "get" });
                let args = [
                    ("queue", Arg::Str(&obj)),
                    ("item", Arg::Uint(*item)),
                    ("len", Arg::Uint(*len as u64)),
                ];
                instant(out, &name, &args);
                name.clear();
                let _ = write!(name, "{obj} length");
                counter(out, &name, "len", *len as i64);
                let key = (e.object.unwrap_or(0), *item);
                if put {
                    pending_puts
                        .entry(key)
                        .or_default()
                        .push_back((e.t_us, e.worker));
                } else if let Some((put_t, put_w)) =
                    pending_puts.get_mut(&key).and_then(|q| q.pop_front())
                {
                    let id = next_flow;
                    next_flow += 1;
                    out.open("s", tid(put_w), put_t)
                        .num("id", id)
                        .str("name", "item")
                        .str("cat", "queue")
                        .end();
                    out.open("f", tid(e.worker), e.t_us)
                        .str("bp", "e")
                        .num("id", id)
                        .str("name", "item")
                        .str("cat", "queue")
                        .end();
                }
            }
            EventKind::Print { text } => instant(out, "print", &[("text", Arg::Str(text))]),
            EventKind::Log(log) => {
                let _ = write!(name, "log {}", log.level);
                instant(out, &name, &[("text", Arg::Str(&log.text))]);
            }
            EventKind::EventSet => {
                let _ = write!(name, "set {obj}");
                instant(out, &name, &[]);
            }
            EventKind::EventClear => {
                let _ = write!(name, "clear {obj}");
                instant(out, &name, &[]);
            }
            EventKind::CondNotify { n } => {
                let _ = write!(name, "notify {obj}");
                instant(out, &name, &[("n", Arg::Uint(*n as u64))]);
            }
            EventKind::SemAcquire { value } | EventKind::SemRelease { value } => {
                let _ = write!(name, "{obj} value");
                counter(out, &name, "value", *value);
            }
            // A primitive's counter is its own track: every Value records one named
            // "value", every Array cell "[i]", and one shared name would merge them all.
            EventKind::Counter { name: c, value } if e.object.is_some() => {
                let sep = if c.starts_with('[') { "" } else { " " };
                let _ = write!(name, "{obj}{sep}{c}");
                counter(out, &name, "value", *value);
            }
            EventKind::Counter { name, value } => counter(out, name, "value", *value),
            EventKind::Deadlock { cycle } => {
                instant(out, "deadlock", &[("cycle", Arg::List(cycle))])
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

/// A JSON value as compact JSON text, for error messages: what `{value}` prints, through
/// the byte serializer the page has anyway (`Value`'s `Display` compiles a second one).
fn json_text(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
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
    // Parsed from the bytes, not `text`: the page's other JSON is read from bytes too, so
    // serde_json's parser is compiled once into the wasm (a second copy for `&str` input
    // was 9 KB of wasm, 2 KB gzip). The UTF-8 check above keeps the "not text" message.
    let value: Value = serde_json::from_slice(text.as_bytes())
        .map_err(|e| format!("The file is not valid JSON ({e})."))?;
    let Value::Object(mut obj) = value else {
        return Err("The file is JSON but not a trace: expected an object at the top.".into());
    };
    match obj.get("format") {
        Some(Value::String(f)) if f == TRACE_FORMAT => {}
        _ if obj.contains_key("traceEvents") => {
            return Err(
                "This is a Chrome Trace Event file (an export for Perfetto); \
                        load a playground trace file instead."
                    .into(),
            )
        }
        Some(other) => {
            let other = json_text(other);
            return Err(format!(
                "Not a Concurrency Playground trace: \"format\" is {other}, expected \"{TRACE_FORMAT}\"."
            ));
        }
        None => return Err("Not a Concurrency Playground trace: no \"format\" field.".into()),
    }
    let version = match obj.get("version") {
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| format!("\"version\" must be a whole number, got {n}."))?,
        Some(other) => {
            let other = json_text(other);
            return Err(format!("\"version\" must be a number, got {other}."));
        }
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
        Some(other) => Err(format!(
            "\"{key}\" must be a string, got {}.",
            json_text(other)
        )),
    };
    let scenario = string_field(&obj, "scenario")?;
    let config = string_field(&obj, "config")?;
    let raw = match obj.remove("events") {
        Some(Value::Array(a)) => a,
        Some(_) => return Err("\"events\" must be a list.".into()),
        None => return Err("The trace has no \"events\" list.".into()),
    };
    let mut events = Vec::with_capacity(raw.len());
    for (i, v) in raw.iter().enumerate() {
        let e = read_event(v).map_err(|err| format!("Event #{i} is malformed: {err}."))?;
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
