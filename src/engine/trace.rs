//! The event type. Every view of a run (console, timeline, state panel, timings, export,
//! replay) is computed from a stream of these, so an event must say everything a view
//! needs: which run, where it sits in the one total order (`seq`), when (`t_us`, one clock
//! for all workers), who (`worker`) and on what (`object`).

use serde::{Deserialize, Serialize};

/// A logical worker in a run. `0` is always the main program (Python's `MainThread` /
/// `MainProcess`); workers are numbered from 1 in the order they are created.
pub type WorkerId = u32;

/// A primitive (lock, queue, ...) in a run, numbered from 1 in creation order.
pub type ObjectId = u32;

/// The main program's worker id.
pub const MAIN_WORKER: WorkerId = 0;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub run: u32,
    /// Position in the run's single total order. Assigned atomically when the event is
    /// recorded, so two events of different workers are never ambiguous.
    pub seq: u64,
    /// Microseconds since the run started, on the clock shared by every worker.
    pub t_us: u64,
    pub worker: WorkerId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<ObjectId>,
    pub kind: EventKind,
}

/// Whether a worker models a Python thread (shared memory, GIL) or a process
/// (no GIL, everything crossing to it is serialized).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Flavour {
    #[default]
    Thread,
    Process,
}

impl Flavour {
    /// Python's default name prefix: `Thread-1`, `Process-1`.
    pub fn default_prefix(self) -> &'static str {
        match self {
            Flavour::Thread => "Thread",
            Flavour::Process => "Process",
        }
    }
}

/// The kind of primitive an object is, so views can draw its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Lock,
    RLock,
    Event,
    Condition,
    Semaphore,
    BoundedSemaphore,
    Barrier,
    Queue,
    Value,
    Array,
    Manager,
    Gil,
    Pool,
    Stdout,
    Other,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "detail")]
pub enum Outcome {
    Done,
    Failed(String),
    Cancelled,
}

/// Which side of a queue blocked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueOp {
    Put,
    Get,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum EventKind {
    RunStart {
        scenario: String,
    },
    RunEnd {
        outcome: Outcome,
    },
    /// A worker was created; names it for every view. Recorded by its creator but under
    /// the NEW worker's id (`Event::worker`), so every view can name that lane. For a
    /// pool's worker, `Event::object` is the pool.
    WorkerNew {
        name: String,
        flavour: Flavour,
        daemon: bool,
    },
    WorkerStart,
    WorkerEnd {
        exit_code: i32,
    },
    /// A piece of output written to the shared stdout. A whole line ends with `\n`;
    /// the lock lesson writes lines a piece at a time, so pieces can interleave.
    Print {
        text: String,
    },
    /// Boxed, like [`EventKind::Figure`]: every event is as large as the largest kind,
    /// and these two rare ones made every lock event twice its size.
    Log(Box<Log>),
    /// A primitive was created; names it for every view.
    ObjectNew {
        name: String,
        kind: ObjectKind,
    },
    LockWait,
    LockAcquire,
    LockRelease,
    EventSet,
    EventClear,
    EventWait,
    /// `flag` is what `wait()` returned: false on timeout.
    EventWake {
        flag: bool,
    },
    CondWait,
    CondNotify {
        n: u32,
    },
    CondWake {
        timed_out: bool,
    },
    SemWait,
    SemAcquire {
        value: i64,
    },
    SemRelease {
        value: i64,
    },
    BarrierWait {
        arrived: u32,
        parties: u32,
    },
    BarrierPass,
    QueuePut {
        item: u64,
        len: u32,
    },
    QueueGet {
        item: u64,
        len: u32,
    },
    QueueBlocked {
        op: QueueOp,
    },
    TaskDone,
    TaskSubmit {
        task: u64,
    },
    TaskStart {
        task: u64,
    },
    TaskEnd {
        task: u64,
        ok: bool,
    },
    GilAcquire,
    GilRelease,
    /// Bytes crossing to or from a process-flavoured worker, and the time it took.
    Serialize {
        bytes: u64,
        us: u64,
    },
    Deserialize {
        bytes: u64,
        us: u64,
    },
    SleepStart {
        ms: u64,
    },
    SleepEnd,
    /// A value to plot over time (queue length, semaphore value, shared counter...).
    Counter {
        name: String,
        value: i64,
    },
    /// Liveness: nobody made progress for `ms`; `waiting` names the stuck workers.
    Stall {
        ms: u64,
        waiting: Vec<String>,
    },
    /// Liveness: a wait-for cycle, as readable lines ("Thread-1 holds lock_a, waits for lock_b").
    Deadlock {
        cycle: Vec<String>,
    },
    /// The recorder's buffer was full and this many events were lost. Never silent.
    Dropped {
        count: u64,
    },
    Note {
        text: String,
    },
    /// `join()` on a worker still running: the caller waits until `worker` ends.
    JoinWait {
        worker: WorkerId,
    },
    /// `get()`, `result()` or `map()` on task `task`, not done yet; or, with no task, on
    /// whichever finishes next (`as_completed`, `imap_unordered`).
    ResultWait {
        task: Option<u64>,
    },
    /// The caller's `JoinWait` or `ResultWait` is over: the wait returned, timed out or was
    /// cancelled.
    WaitDone,
    /// A wait with a timeout gave up (`acquire(timeout=..)` returned false, `get` raised
    /// Empty...): closes the worker's wait span on `object`.
    WaitTimedOut,
    /// One measured result of the run (see [`Figure`]).
    Figure(Box<Figure>),
}

/// One measured result of the run, for the summary panel, the CLI and the export.
/// `text` is the sentence a learner reads ("lost 3,412 of 40,000 updates"). Serialised
/// exactly as the struct variant it was: `{"k":"figure","key":..,"value":..,..}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub key: String,
    pub value: f64,
    pub unit: String,
    pub text: String,
}

/// A `logging` record kept at the source: `{"k":"log","level":..,"text":..}` in a trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Log {
    pub level: String,
    pub text: String,
}

impl EventKind {
    /// A log record of `level` (`"error"`, `"info"`...).
    pub fn log(level: &str, text: impl Into<String>) -> Self {
        EventKind::Log(Box::new(Log {
            level: level.to_string(),
            text: text.into(),
        }))
    }
}

impl Event {
    /// A short human-readable description, used by the CLI, tooltips and the text
    /// alternative of the timeline.
    pub fn describe(&self) -> String {
        // The boxed kinds read as the struct variants they were: `Figure { key: .. }`.
        match &self.kind {
            EventKind::Figure(f) => format!("{f:?}"),
            EventKind::Log(l) => format!("{l:?}"),
            kind => format!("{kind:?}"),
        }
    }
}
