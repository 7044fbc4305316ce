//! Reads one event of a trace file from its parsed JSON, by hand.
//!
//! Why not `serde_json::from_value::<Event>`: the derived `Deserialize` of the internally
//! tagged [`EventKind`] (`{"k": "print", "text": ..}`) first buffers every kind into serde's
//! generic `Content` tree and then runs one visitor per variant over it. In the page's wasm
//! that was a single 64 KB function (issue 7, P5), all for loading a trace file or a
//! recorded run. Here each variant is a few calls to one small typed getter per field type.
//!
//! The derive stays the definition of the format: the files are written with `Serialize`,
//! and a native test (`tests/views.rs`) checks that this reader accepts exactly what
//! `serde_json::from_value::<Event>` accepts, for every kind and many damaged ones, and
//! reads the same values. What it does not copy are serde's rarely used alternative
//! spellings that no saved run contains: an event or outcome written as a JSON array, a
//! kind named by its variant index instead of its name.

use crate::engine::trace::{Event, EventKind, Figure, Flavour, Log, ObjectKind, Outcome, QueueOp};
use serde_json::{Map, Value};

/// One event object of a trace file's `"events"` list.
pub(super) fn read_event(v: &Value) -> Result<Event, String> {
    let e = Fields::of(v, "an event")?;
    let kind = Fields::of(e.get("kind")?, "\"kind\"")?;
    Ok(Event {
        run: e.u32("run")?,
        seq: e.u64("seq")?,
        t_us: e.u64("t_us")?,
        worker: e.u32("worker")?,
        object: e.opt_u32("object")?,
        kind: read_kind(&kind)?,
    })
}

/// The fields of one JSON object, each read as the type the format gives it.
struct Fields<'a>(&'a Map<String, Value>);

impl<'a> Fields<'a> {
    fn of(v: &'a Value, what: &str) -> Result<Self, String> {
        match v {
            Value::Object(m) => Ok(Fields(m)),
            other => Err(format!("{what} must be an object, got {}", kind_of(other))),
        }
    }

    fn get(&self, key: &str) -> Result<&'a Value, String> {
        self.0
            .get(key)
            .ok_or_else(|| format!("missing field `{key}`"))
    }

    fn u64(&self, key: &str) -> Result<u64, String> {
        let v = self.get(key)?;
        v.as_u64().ok_or_else(|| bad(key, v, "a whole number ≥ 0"))
    }

    fn u32(&self, key: &str) -> Result<u32, String> {
        let v = self.get(key)?;
        as_u32(v).ok_or_else(|| bad(key, v, "a whole number from 0 to 4294967295"))
    }

    /// Missing and `null` both mean none, as with `#[serde(default)]` on an `Option`.
    fn opt_u32(&self, key: &str) -> Result<Option<u32>, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.u32(key).map(Some),
        }
    }

    fn opt_u64(&self, key: &str) -> Result<Option<u64>, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.u64(key).map(Some),
        }
    }

    fn i64(&self, key: &str) -> Result<i64, String> {
        let v = self.get(key)?;
        v.as_i64().ok_or_else(|| bad(key, v, "a whole number"))
    }

    fn i32(&self, key: &str) -> Result<i32, String> {
        let v = self.get(key)?;
        v.as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| bad(key, v, "a 32-bit whole number"))
    }

    /// Any JSON number: serde reads whole numbers into an `f64` too.
    fn f64(&self, key: &str) -> Result<f64, String> {
        let v = self.get(key)?;
        v.as_f64().ok_or_else(|| bad(key, v, "a number"))
    }

    fn bool(&self, key: &str) -> Result<bool, String> {
        let v = self.get(key)?;
        v.as_bool().ok_or_else(|| bad(key, v, "true or false"))
    }

    fn str(&self, key: &str) -> Result<&'a str, String> {
        let v = self.get(key)?;
        v.as_str().ok_or_else(|| bad(key, v, "a string"))
    }

    fn string(&self, key: &str) -> Result<String, String> {
        self.str(key).map(str::to_owned)
    }

    fn strings(&self, key: &str) -> Result<Vec<String>, String> {
        let v = self.get(key)?;
        let list = v
            .as_array()
            .ok_or_else(|| bad(key, v, "a list of strings"))?;
        list.iter()
            .map(|s| s.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad(key, v, "a list of strings"))
    }

    /// A unit enum written as its snake_case name: the index of `name` in `names`.
    fn name_in(&self, key: &str, names: &[&str]) -> Result<usize, String> {
        let s = self.str(key)?;
        names
            .iter()
            .position(|n| *n == s)
            .ok_or_else(|| format!("`{key}` is \"{s}\", expected one of {}", names.join(", ")))
    }
}

fn as_u32(v: &Value) -> Option<u32> {
    v.as_u64().and_then(|n| u32::try_from(n).ok())
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn bad(key: &str, got: &Value, want: &str) -> String {
    format!("`{key}` must be {want}, got {}", kind_or_number(got))
}

/// Numbers are shown (a learner can see `-1` or `1.5` is the problem); other values are
/// named by their type, so a long string never floods the message.
fn kind_or_number(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        other => kind_of(other).to_owned(),
    }
}

const FLAVOURS: [&str; 2] = ["thread", "process"];
const QUEUE_OPS: [&str; 2] = ["put", "get"];
/// In the order of [`ObjectKind`]'s variants, as `#[serde(rename_all = "snake_case")]`
/// spells them.
const OBJECT_KINDS: [&str; 15] = [
    "lock",
    "r_lock",
    "event",
    "condition",
    "semaphore",
    "bounded_semaphore",
    "barrier",
    "queue",
    "value",
    "array",
    "manager",
    "gil",
    "pool",
    "stdout",
    "other",
];
const OBJECT_KIND_VALUES: [ObjectKind; 15] = [
    ObjectKind::Lock,
    ObjectKind::RLock,
    ObjectKind::Event,
    ObjectKind::Condition,
    ObjectKind::Semaphore,
    ObjectKind::BoundedSemaphore,
    ObjectKind::Barrier,
    ObjectKind::Queue,
    ObjectKind::Value,
    ObjectKind::Array,
    ObjectKind::Manager,
    ObjectKind::Gil,
    ObjectKind::Pool,
    ObjectKind::Stdout,
    ObjectKind::Other,
];

/// `{"outcome": "done" | "failed" | "cancelled", "detail": ..}`: adjacently tagged, where
/// only `failed` carries a detail (a unit outcome may have none or `null`).
fn read_outcome(f: &Fields) -> Result<Outcome, String> {
    let unit = |o: Outcome| match f.0.get("detail") {
        None | Some(Value::Null) => Ok(o),
        Some(v) => Err(bad("detail", v, "absent or null for this outcome")),
    };
    match f.name_in("outcome", &["done", "failed", "cancelled"])? {
        0 => unit(Outcome::Done),
        1 => f.string("detail").map(Outcome::Failed),
        _ => unit(Outcome::Cancelled),
    }
}

/// The kind object: its `"k"` tag names the variant, the other fields are its data
/// (fields a variant does not have are ignored, as serde does).
fn read_kind(f: &Fields) -> Result<EventKind, String> {
    use EventKind as K;
    let tag = f.str("k")?;
    Ok(match tag {
        "run_start" => K::RunStart {
            scenario: f.string("scenario")?,
        },
        "run_end" => K::RunEnd {
            outcome: read_outcome(&Fields::of(f.get("outcome")?, "`outcome`")?)?,
        },
        "worker_new" => K::WorkerNew {
            name: f.string("name")?,
            flavour: [Flavour::Thread, Flavour::Process][f.name_in("flavour", &FLAVOURS)?],
            daemon: f.bool("daemon")?,
        },
        "worker_start" => K::WorkerStart,
        "worker_end" => K::WorkerEnd {
            exit_code: f.i32("exit_code")?,
        },
        "print" => K::Print {
            text: f.string("text")?,
        },
        "log" => K::Log(Box::new(Log {
            level: f.string("level")?,
            text: f.string("text")?,
        })),
        "object_new" => K::ObjectNew {
            name: f.string("name")?,
            kind: OBJECT_KIND_VALUES[f.name_in("kind", &OBJECT_KINDS)?],
        },
        "lock_wait" => K::LockWait,
        "lock_acquire" => K::LockAcquire,
        "lock_release" => K::LockRelease,
        "event_set" => K::EventSet,
        "event_clear" => K::EventClear,
        "event_wait" => K::EventWait,
        "event_wake" => K::EventWake {
            flag: f.bool("flag")?,
        },
        "cond_wait" => K::CondWait,
        "cond_notify" => K::CondNotify { n: f.u32("n")? },
        "cond_wake" => K::CondWake {
            timed_out: f.bool("timed_out")?,
        },
        "sem_wait" => K::SemWait,
        "sem_acquire" => K::SemAcquire {
            value: f.i64("value")?,
        },
        "sem_release" => K::SemRelease {
            value: f.i64("value")?,
        },
        "barrier_wait" => K::BarrierWait {
            arrived: f.u32("arrived")?,
            parties: f.u32("parties")?,
        },
        "barrier_pass" => K::BarrierPass,
        "queue_put" => K::QueuePut {
            item: f.u64("item")?,
            len: f.u32("len")?,
        },
        "queue_get" => K::QueueGet {
            item: f.u64("item")?,
            len: f.u32("len")?,
        },
        "queue_blocked" => K::QueueBlocked {
            op: [QueueOp::Put, QueueOp::Get][f.name_in("op", &QUEUE_OPS)?],
        },
        "task_done" => K::TaskDone,
        "task_submit" => K::TaskSubmit {
            task: f.u64("task")?,
        },
        "task_start" => K::TaskStart {
            task: f.u64("task")?,
        },
        "task_end" => K::TaskEnd {
            task: f.u64("task")?,
            ok: f.bool("ok")?,
        },
        "gil_acquire" => K::GilAcquire,
        "gil_release" => K::GilRelease,
        "serialize" => K::Serialize {
            bytes: f.u64("bytes")?,
            us: f.u64("us")?,
        },
        "deserialize" => K::Deserialize {
            bytes: f.u64("bytes")?,
            us: f.u64("us")?,
        },
        "sleep_start" => K::SleepStart { ms: f.u64("ms")? },
        "sleep_end" => K::SleepEnd,
        "counter" => K::Counter {
            name: f.string("name")?,
            value: f.i64("value")?,
        },
        "stall" => K::Stall {
            ms: f.u64("ms")?,
            waiting: f.strings("waiting")?,
        },
        "deadlock" => K::Deadlock {
            cycle: f.strings("cycle")?,
        },
        "dropped" => K::Dropped {
            count: f.u64("count")?,
        },
        "note" => K::Note {
            text: f.string("text")?,
        },
        "wait_timed_out" => K::WaitTimedOut,
        "join_wait" => K::JoinWait {
            worker: f.u32("worker")?,
        },
        "result_wait" => K::ResultWait {
            task: f.opt_u64("task")?,
        },
        "wait_done" => K::WaitDone,
        "figure" => K::Figure(Box::new(Figure {
            key: f.string("key")?,
            value: f.f64("value")?,
            unit: f.string("unit")?,
            text: f.string("text")?,
        })),
        other => return Err(format!("unknown kind \"{other}\"")),
    })
}
