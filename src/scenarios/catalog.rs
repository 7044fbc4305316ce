//! The catalogue: every curriculum pattern as data the CLI and the page read: its id, title,
//! promise, theme, knobs, the Python it mirrors, the Rust that runs, and its lesson.
//!
//! It is plain `static` data so the page can draw the catalogue and an example's form
//! before any run starts, and so tests can check every entry without running anything.

use super::knob::{boolean, choice, float, int, KnobSpec};
pub use super::markers::{extract_between_markers, MARKER_END, MARKER_START};

/// Where the page fetches the code it shows, relative to the page: www/index.html has
/// trunk copy `src/scenarios/` (the Python texts and the scenario modules) to `code/`.
/// The texts are not compiled into the page's wasm, where they were about 24 KB of its
/// gzip size (issue 7, P5): an example page fetches its two files when it opens.
pub const CODE_DIR: &str = "code";

/// The code `build.rs` cut out of `src/scenarios/<stem>.rs` (see [`extract_between_markers`]).
#[cfg(not(target_arch = "wasm32"))]
macro_rules! shown_code {
    ($stem:literal) => {
        include_str!(concat!(env!("OUT_DIR"), "/shown_code/", $stem, ".rs"))
    };
}

/// The catalogue's groups, in the order the home page shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Theme {
    StartingAndJoining,
    LocksAndSignals,
    Queues,
    PoolsAndFutures,
    ThreadsVsProcesses,
    SharedState,
    Pitfalls,
}

impl Theme {
    pub const ALL: [Theme; 7] = [
        Theme::StartingAndJoining,
        Theme::LocksAndSignals,
        Theme::Queues,
        Theme::PoolsAndFutures,
        Theme::ThreadsVsProcesses,
        Theme::SharedState,
        Theme::Pitfalls,
    ];

    /// The heading the page shows.
    pub fn title(self) -> &'static str {
        match self {
            Theme::StartingAndJoining => "starting and joining",
            Theme::LocksAndSignals => "locks and signals",
            Theme::Queues => "queues",
            Theme::PoolsAndFutures => "pools and futures",
            Theme::ThreadsVsProcesses => "threads vs processes",
            Theme::SharedState => "shared state",
            Theme::Pitfalls => "pitfalls",
        }
    }
}

/// What a learner reads beside an example.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lesson {
    /// What to look at in the output, timeline and summary.
    pub notice: &'static str,
    /// One change to make and run again.
    pub try_next: &'static str,
    /// Why it happens.
    pub why: &'static str,
    /// The Python API the example uses.
    pub python_api: &'static str,
    /// Its counterpart in the engine.
    pub rust_api: &'static str,
    /// Measurements the source material published, for a table next to the live ones.
    /// Empty except for the pool timing experiment.
    pub source_figures: &'static [SourceFigure],
    /// How those figures were measured (machine, pool size, item counts); empty if none.
    pub source_setup: &'static str,
}

/// One published timing from the source material.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SourceFigure {
    /// Which machine: "first" (40 processors, Python 2.6) or "second".
    pub machine: &'static str,
    /// "thread" or "process".
    pub flavour: &'static str,
    /// "fileio" or "square".
    pub work: &'static str,
    pub millis: f64,
}

/// One example page.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScenarioInfo {
    /// The slug used in URLs (`#/examples/<id>`) and the CLI (`playground run <id>`).
    pub id: &'static str,
    pub title: &'static str,
    /// One line on the catalogue card.
    pub promise: &'static str,
    pub theme: Theme,
    pub knobs: &'static [KnobSpec],
    /// The equivalent Python 3, runnable with CPython 3.11. It reads its sizes from
    /// environment variables named after the knobs (`latency-ms` -> `LATENCY_MS`, see
    /// [`super::knob::Config::to_env`]) and defaults to the knobs' defaults.
    /// `src/scenarios/python/<id>.py`; the page fetches it ([`Self::python_url`]) instead.
    #[cfg(not(target_arch = "wasm32"))]
    pub python: &'static str,
    /// The module's file name under `src/scenarios/`, so a native test can check that the
    /// shown code is exactly what stands between the markers there, and the page can fetch
    /// it ([`Self::rust_url`]).
    pub rust_file: &'static str,
    /// The running code between the module's markers, cut by `build.rs` at build time.
    /// Native only: the page fetches the module and cuts it with the same function.
    #[cfg(not(target_arch = "wasm32"))]
    pub shown_rust: &'static str,
    pub lesson: Lesson,
}

/// Lessons where every worker brings its own work (each counts, sleeps, increments or
/// logs its own share), so N workers do N times the work of one. A speedup sweep of their
/// wall time stays near 1 even when the workers run side by side, and read as "100%
/// serial"; the page divides by the workers instead (work done per unit of time).
const WORK_GROWS_WITH_WORKERS: &[&str] = &[
    "start-join",
    "worker-class",
    "gil",
    "lock",
    "event",
    "semaphore",
    "shared-state",
    "worker-logging",
];

/// Lessons the page offers no speedup sweep for: timing-calls already runs k = 1, 2 and
/// WORKERS calls at once and reports each level's throughput, so a sweep of its WORKERS
/// knob only adds levels to the run (it read 0.75x, "100% serial", at 3 and 4 workers).
const NO_SPEEDUP_SWEEP: &[&str] = &["timing-calls"];

impl ScenarioInfo {
    /// Whether N workers do N times the work of one ([`WORK_GROWS_WITH_WORKERS`]).
    pub fn work_grows_with_workers(&self) -> bool {
        WORK_GROWS_WITH_WORKERS.contains(&self.id)
    }

    /// Whether the page offers a speedup sweep ([`NO_SPEEDUP_SWEEP`]); it also needs a
    /// workers or pool knob to vary.
    pub fn has_speedup_sweep(&self) -> bool {
        !NO_SPEEDUP_SWEEP.contains(&self.id)
    }

    /// The Rust the learner reads: exactly the running code between the module's markers.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn rust_code(&self) -> &'static str {
        self.shown_rust
    }

    /// Where the page fetches [`Self::python`] from, relative to the page.
    pub fn python_url(&self) -> String {
        format!("{CODE_DIR}/python/{}.py", self.id)
    }

    /// Where the page fetches the whole module from, relative to the page; the shown code
    /// is what [`extract_between_markers`] cuts out of it.
    pub fn rust_url(&self) -> String {
        format!("{CODE_DIR}/{}", self.rust_file)
    }

    pub fn knob(&self, key: &str) -> Option<&'static KnobSpec> {
        self.knobs.iter().find(|k| k.key == key)
    }
}

/// Every scenario, in curriculum order.
pub fn all() -> &'static [ScenarioInfo] {
    SCENARIOS
}

/// The scenario with this id (exact, lowercase slug).
pub fn find(id: &str) -> Option<&'static ScenarioInfo> {
    SCENARIOS.iter().find(|s| s.id == id)
}

/// The scenarios of one theme, in curriculum order.
pub fn by_theme(theme: Theme) -> impl Iterator<Item = &'static ScenarioInfo> {
    SCENARIOS.iter().filter(move |s| s.theme == theme)
}

// ---------------------------------------------------------------------------------------
// Knobs shared by several scenarios.

const SLOW_MS: KnobSpec = float(
    "slow-ms",
    "Slow motion (ms)",
    "Extra pause at every sync point so you can watch the interleaving; 0 is full speed",
    0.0,
    1000.0,
    0.0,
);
const SEED: KnobSpec = int(
    "seed",
    "Seed",
    "Seeds the random choices so a run can be repeated",
    0,
    4_294_967_295,
    42,
);
const FLAVOUR_THREAD: KnobSpec = choice(
    "flavour",
    "Flavour",
    "thread shares memory (and the GIL); process shares nothing and pickles what crosses",
    &["thread", "process"],
    "thread",
);
const FLAVOUR_PROCESS: KnobSpec = choice(
    "flavour",
    "Flavour",
    "thread shares memory (and the GIL); process shares nothing and pickles what crosses",
    &["thread", "process"],
    "process",
);
const GIL: KnobSpec = boolean(
    "gil",
    "GIL",
    "Thread workers must hold one global interpreter lock to run CPU work, as in CPython",
    true,
);

const fn workers(default: i64) -> KnobSpec {
    int(
        "workers",
        "Workers",
        "How many workers to start",
        1,
        16,
        default,
    )
}

const fn pool_size(default: i64) -> KnobSpec {
    int(
        "pool",
        "Pool size",
        "How many workers the pool keeps; the other tasks wait their turn",
        1,
        16,
        default,
    )
}

const fn latency(help: &'static str, default: f64) -> KnobSpec {
    float("latency-ms", "I/O latency (ms)", help, 0.0, 5000.0, default)
}

// ---------------------------------------------------------------------------------------
// The 18 scenarios.

static SCENARIOS: &[ScenarioInfo] = &[
    ScenarioInfo {
        id: "start-join",
        title: "Start and join",
        promise: "Start named workers, wait for them, and watch the output order change from run to run",
        theme: Theme::StartingAndJoining,
        knobs: &[
            workers(5),
            FLAVOUR_PROCESS,
            latency("How long each worker sleeps before it prints", 50.0),
            boolean("daemon", "Daemon workers", "Daemon workers are abandoned when the main program ends; others are waited for", false),
            float("join-timeout-ms", "Join timeout (ms)", "Give up waiting for a worker after this long; 0 waits forever", 0.0, 10_000.0, 0.0),
            SLOW_MS,
        ],
        #[cfg(not(target_arch = "wasm32"))]
        python: include_str!("python/start-join.py"),
        rust_file: "start_join.rs",
        #[cfg(not(target_arch = "wasm32"))]
        shown_rust: shown_code!("start_join"),
        lesson: Lesson {
            notice: "Each worker prints `Worker: i`, but the lines arrive in a different order on each run. The doubler says which worker id did the work, `my_service` carries a custom name and the others get default names like `Process-1`. After `join`, every non-daemon worker is no longer alive and has exit code 0.",
            try_next: "Run it three times and compare the order. Then make the workers daemons with a short join timeout and see who is abandoned.",
            why: "Started workers run at the same time, and which one the scheduler lets print first is not fixed. `join` is the only thing that makes the main program wait; a daemon worker is not waited for when the program ends.",
            python_api: "multiprocessing.Process(target=, args=, name=, daemon=), start(), join(timeout), is_alive(), exitcode, current_process().name, os.getpid()",
            rust_api: "engine::worker::WorkerSpec::new(flavour).name(..).daemon(..).start(..), Worker::join / join_timeout / is_alive / exitcode, worker::current_worker(), pickle::Parcel for the arguments",
            source_figures: &[],
            source_setup: "",
        },
    },
    ScenarioInfo {
        id: "worker-class",
        title: "A worker class",
        promise: "Subclass Thread and override run(), or pass a target: the same work, two styles",
        theme: Theme::StartingAndJoining,
        knobs: &[
            workers(3),
            int("items", "Count to", "Each worker prints 0 up to this number minus one", 1, 100, 10),
            latency("Sleep between two numbers", 10.0),
            choice("style", "Style", "subclass overrides run(); target passes a function", &["subclass", "target"], "subclass"),
            SLOW_MS,
        ],
        #[cfg(not(target_arch = "wasm32"))]
        python: include_str!("python/worker-class.py"),
        rust_file: "worker_class.rs",
        #[cfg(not(target_arch = "wasm32"))]
        shown_rust: shown_code!("worker_class"),
        lesson: Lesson {
            notice: "Three workers each count 0..9 with a short sleep, and the output interleaves as `0 0 0 1 1 1 ...`: each sleep lets the others take a turn.",
            try_next: "Set the sleep to 0 and watch the rows stop interleaving so neatly; switch the style and see the output does not change.",
            why: "`start()` calls `run()` on a new thread; by default `run()` calls the target. Overriding `run()` is the same thing written as a class, handy when the worker keeps state.",
            python_api: "class Worker(threading.Thread): def run(self): ...; threading.Thread(target=f, args=...)",
            rust_api: "a `Thread` trait with `run()` implemented by a `Worker` struct, or a target function, both started with engine::worker::WorkerSpec::start; engine::sync::Lock",
            source_figures: &[],
            source_setup: "",
        },
    },
    ScenarioInfo {
        id: "gil",
        title: "Threads vs processes and the GIL",
        promise: "CPU work does not speed up on threads under the GIL, but does on processes; waiting speeds up on both",
        theme: Theme::ThreadsVsProcesses,
        knobs: &[
            workers(2),
            FLAVOUR_THREAD,
            GIL,
            choice("work-kind", "Work", "cpu computes a big factorial; io waits, releasing the GIL", &["cpu", "io"], "cpu"),
            int("work", "Work size", "n for factorial(n), in thousands, per worker", 1, 2000, 25),
            latency("How long each I/O task waits", 300.0),
            float("switch-ms", "Switch interval (ms)", "How often a thread holding the GIL hands it over (sys.getswitchinterval())", 0.1, 100.0, 5.0),
            int("repeat", "Repeats", "Time both ways this many times and keep the best of each, like timeit.repeat", 1, 10, 3),
            SLOW_MS,
        ],
        #[cfg(not(target_arch = "wasm32"))]
        python: include_str!("python/gil.py"),
        rust_file: "gil.rs",
        #[cfg(not(target_arch = "wasm32"))]
        shown_rust: shown_code!("gil"),
        lesson: Lesson {
            notice: "With the thread flavour and the GIL on, N workers doing CPU work take about as long as doing it N times in a row: the speedup stays near 1×, and the timeline shows the GIL passing from lane to lane. The process flavour runs the lanes side by side and approaches the number of cores. Each way is timed a few times and the best counts, like timeit.repeat. On a machine busy with other programs the wall clock mostly measures how much CPU they took; where the system can tell (Linux), each worker also measures how long its work sat ready without a core, and the summary's speedup takes that out (the plain wall-clock speedup is shown next to it).",
            try_next: "Switch Work to io: now threads speed up too. Then turn the GIL off and compare.",
            why: "CPython lets only the thread holding the global interpreter lock run Python code; it hands the lock over every switch interval and releases it whenever a thread waits for I/O. Processes each have their own interpreter, so nothing is shared and nothing is serialized by a lock. The GIL here is a model of CPython's behaviour.",
            python_api: "threading.Thread vs multiprocessing.Process, math.factorial, time.sleep, sys.getswitchinterval()",
            rust_api: "engine::gil::Gil (the GIL model: run, allow_threads, handoffs), engine::executor::Executor over the thread or process flavour, engine::work::Factorial and io_wait",
            source_figures: &[],
            source_setup: "",
        },
    },
    ScenarioInfo {
        id: "lock",
        title: "Lock",
        promise: "Without a lock, lines come out garbled and a shared counter loses updates; with one, both are exact",
        theme: Theme::LocksAndSignals,
        knobs: &[
            workers(4),
            boolean("use-lock", "Use the lock", "Guard the printing and the counter with one lock", false),
            int("items", "Increments", "How many times each worker adds 1 to the shared counter", 1, 1_000_000, 10_000),
            choice("part", "Part", "Which half of the lesson to run", &["both", "print", "counter"], "both"),
            SLOW_MS,
        ],
        #[cfg(not(target_arch = "wasm32"))]
        python: include_str!("python/lock.py"),
        rust_file: "lock.rs",
        #[cfg(not(target_arch = "wasm32"))]
        shown_rust: shown_code!("lock"),
        lesson: Lesson {
            notice: "Without the lock, workers writing `tango...` and `foxtrot...` a character at a time (with a 1 ms pause between characters) cut into each other's lines, and the counter ends far below workers × increments: the summary says how many lines came out garbled and how many updates were lost. With the lock each line is whole and the total is exact, and the summary puts the time spent waiting for the lock next to the time it was held.",
            try_next: "Turn the lock on and run again. Then raise the workers and see the waiting time grow.",
            why: "Writing a line in pieces, or `counter += 1` (read, add, write back), is several steps; another worker can run between them. A lock makes the steps one indivisible section, at the price of waiting.",
            python_api: "threading.Lock / multiprocessing.Lock, `with lock:`, acquire(), release()",
            rust_api: "engine::sync::Lock (acquire / release / guard), the shared output's write",
            source_figures: &[],
            source_setup: "",
        },
    },
    ScenarioInfo {
        id: "event",
        title: "Event",
        promise: "Workers wait until the main program says go; a wait with a timeout returns False",
        theme: Theme::LocksAndSignals,
        knobs: &[
            workers(3),
            float("set-after-ms", "Set after (ms)", "How long the main program waits before it sets the event", 0.0, 10_000.0, 500.0),
            float("timeout-ms", "Impatient timeout (ms)", "One worker waits only this long; shorter than Set after makes wait() return False", 0.0, 10_000.0, 200.0),
            SLOW_MS,
        ],
        #[cfg(not(target_arch = "wasm32"))]
        python: include_str!("python/event.py"),
        rust_file: "event.rs",
        #[cfg(not(target_arch = "wasm32"))]
        shown_rust: shown_code!("event"),
        lesson: Lesson {
            notice: "All the waiting workers wake together when the event is set. The impatient worker's `wait(timeout)` returns False first. After `clear()` the flag is down again.",
            try_next: "Make the timeout longer than Set after: now every wait returns True.",
            why: "An Event is one flag with a waiting room: `set()` raises it and wakes everyone, `clear()` lowers it, and `wait()` returns the flag, so False means it timed out.",
            python_api: "threading.Event: set(), clear(), is_set(), wait(timeout) -> bool",
            rust_api: "engine::sync::Event: set, clear, is_set, wait(timeout) -> bool",
            source_figures: &[],
            source_setup: "",
        },
    },
    ScenarioInfo {
        id: "condition",
        title: "Condition",
        promise: "Consumers sleep on a condition until a producer says data is ready",
        theme: Theme::LocksAndSignals,
        knobs: &[
            workers(3),
            int("items", "Items", "How many items the producer makes", 1, 1000, 6),
            choice("notify", "Wake", "notify wakes one waiter per item; notify_all wakes them all to check", &["notify", "notify_all"], "notify"),
            latency("How long the producer takes per item", 100.0),
            SLOW_MS,
        ],
        #[cfg(not(target_arch = "wasm32"))]
        python: include_str!("python/condition.py"),
        rust_file: "condition.rs",
        #[cfg(not(target_arch = "wasm32"))]
        shown_rust: shown_code!("condition"),
        lesson: Lesson {
            notice: "Consumers block in a `while not has_work(): ready.wait()` loop (the loop `wait_for(has_work)` runs for you) and each item wakes one of them. With notify_all, every consumer wakes, checks the predicate, and all but one go back to sleep: the summary counts the wake-ups that found nothing.",
            try_next: "Switch to notify_all and count the wake-ups that found nothing.",
            why: "A condition pairs a lock with a waiting room. Waiting releases the lock; waking takes it back. Always wait in a loop on the predicate (`wait_for`), because another consumer may have taken the item first.",
            python_api: "threading.Condition: with cond:, wait(), wait_for(predicate), notify(n), notify_all()",
            rust_api: "engine::sync::Condition: wait, wait_for, notify, notify_all",
            source_figures: &[],
            source_setup: "",
        },
    },
    ScenarioInfo {
        id: "semaphore",
        title: "Semaphore",
        promise: "At most k workers inside at once, like a pool of k connections",
        theme: Theme::LocksAndSignals,
        knobs: &[
            workers(8),
            int("slots", "Slots (k)", "How many workers may be inside at once", 1, 16, 3),
            latency("How long each worker stays inside", 100.0),
            boolean("bounded", "Bounded", "A BoundedSemaphore refuses a release past its starting value", true),
            boolean("over-release", "Release once too often", "Deliberate mistake: one extra release at the end", false),
            SLOW_MS,
        ],
        #[cfg(not(target_arch = "wasm32"))]
        python: include_str!("python/semaphore.py"),
        rust_file: "semaphore.rs",
        #[cfg(not(target_arch = "wasm32"))]
        shown_rust: shown_code!("semaphore"),
        lesson: Lesson {
            notice: "The occupancy never goes above k: the summary reports the largest number inside at once. Everyone else waits at the door.",
            try_next: "Turn on the extra release: the bounded semaphore refuses it with ValueError; an unbounded one silently lets k+1 in from then on.",
            why: "A semaphore is a counter: acquire takes one (waiting at zero), release gives one back. A bounded semaphore also checks that releases never exceed the start value, which catches this bug early.",
            python_api: "threading.Semaphore(k), threading.BoundedSemaphore(k), `with sem:`",
            rust_api: "engine::sync::Semaphore and BoundedSemaphore (over-release is EngineError::OverRelease)",
            source_figures: &[],
            source_setup: "",
        },
    },
    ScenarioInfo {
        id: "queue-sentinel",
        title: "Queue, producer and consumer with a sentinel",
        promise: "Consumers loop until they read a sentinel; forget one and a consumer waits forever",
        theme: Theme::Queues,
        knobs: &[
            workers(2),
            int("items", "Items", "How many items to produce (the first three are 5, 10, 13)", 1, 10_000, 3),
            int("capacity", "Queue capacity", "0 is unbounded; a small capacity makes the producer block (back-pressure)", 0, 1000, 0),
            boolean("forget-sentinel", "Forget one sentinel", "Deliberate mistake: put one sentinel fewer than there are consumers", false),
            latency("How long a consumer takes per item", 20.0),
            SLOW_MS,
        ],
        #[cfg(not(target_arch = "wasm32"))]
        python: include_str!("python/queue-sentinel.py"),
        rust_file: "queue_sentinel.rs",
        #[cfg(not(target_arch = "wasm32"))]
        shown_rust: shown_code!("queue_sentinel"),
        lesson: Lesson {
            notice: "The producer puts 5, 10, 13 and then one -1 per consumer; the consumers print the doubles 10, 20, 26 and stop at their sentinel. Items produced equal items consumed.",
            try_next: "Turn on \"Forget one sentinel\": one consumer waits forever on an empty queue, the playground names it and lets you cancel. Then set the capacity to 1 and watch the producer block.",
            why: "`get()` blocks while the queue is empty, so a consumer only stops when it reads a value that means stop. One sentinel ends one consumer; a bounded queue's `put()` blocks while it is full.",
            python_api: "queue.Queue(maxsize) / multiprocessing.Queue: put(), get(), task_done(), join()",
            rust_api: "engine::sync::Queue: put / get with block and timeout, Full and Empty errors",
            source_figures: &[],
            source_setup: "",
        },
    },
    ScenarioInfo {
        id: "bounded-buffer",
        title: "Bounded buffer with two semaphores",
        promise: "The textbook producer/consumer: empty counts free slots, fill counts items, a mutex guards the buffer",
        theme: Theme::Queues,
        knobs: &[
            int("capacity", "Slots", "How many slots the buffer has", 1, 32, 4),
            int("items", "Items", "How many items go through the buffer", 1, 10_000, 20),
            int("producers", "Producers", "How many producers", 1, 8, 1),
            int("consumers", "Consumers", "How many consumers", 1, 8, 2),
            float("produce-ms", "Produce time (ms)", "How long making one item takes", 0.0, 2000.0, 10.0),
            float("consume-ms", "Consume time (ms)", "How long using one item takes", 0.0, 2000.0, 50.0),
            SLOW_MS,
        ],
        #[cfg(not(target_arch = "wasm32"))]
        python: include_str!("python/bounded-buffer.py"),
        rust_file: "bounded_buffer.rs",
        #[cfg(not(target_arch = "wasm32"))]
        shown_rust: shown_code!("bounded_buffer"),
        lesson: Lesson {
            notice: "The buffer's slots fill and drain live. With slow consumers the buffer stays full and producers wait on `empty`; with slow producers it stays empty and consumers wait on `fill`.",
            try_next: "Swap the produce and consume times and watch which side waits.",
            why: "`empty` starts at the capacity and `fill` at zero: a producer takes an empty slot and gives a fill, a consumer does the opposite, and the mutex keeps two workers from touching the buffer at once.",
            python_api: "threading.Semaphore(capacity), threading.Semaphore(0), threading.Lock",
            rust_api: "engine::sync::Semaphore twice and engine::sync::Lock around a ring of slots (an engine::sync::Array)",
            source_figures: &[],
            source_setup: "",
        },
    },
    ScenarioInfo {
        id: "site-checker",
        title: "Work queue and done queue: a site status checker",
        promise: "Workers check URLs from a work queue until STOP and report each result on a done queue",
        theme: Theme::Queues,
        knobs: &[
            workers(4),
            int("items", "URLs", "How many URLs to check", 1, 200, 12),
            latency("How long each check takes", 150.0),
            int("fail-urls", "Failing URLs", "Deliberately make this many URLs fail", 0, 200, 2),
            SEED,
        ],
        #[cfg(not(target_arch = "wasm32"))]
        python: include_str!("python/site-checker.py"),
        rust_file: "site_checker.rs",
        #[cfg(not(target_arch = "wasm32"))]
        shown_rust: shown_code!("site_checker"),
        lesson: Lesson {
            notice: "Lines like `Process-2 - http://site-3.example got 200.` arrive in completion order, and a failure reads `Process-1 failed on http://site-7.example with: ...` while the run goes on. Each worker stops at its own STOP.",
            try_next: "Raise the workers from 1 to 8 with a high latency and watch the wall time fall; make more URLs fail.",
            why: "Checking a site is mostly waiting, so several workers overlap their waits. A work queue hands out jobs, a done queue collects results, and catching the error inside the worker keeps one bad URL from killing the worker.",
            python_api: "multiprocessing.Process, multiprocessing.Queue, iter(queue.get, 'STOP'), current_process().name",
            rust_api: "engine::sync::Queue for work and done, engine workers, an I/O wait per URL",
            source_figures: &[],
            source_setup: "",
        },
    },
    ScenarioInfo {
        id: "pool",
        title: "Pool",
        promise: "A queue of jobs with only k running at once while the others wait",
        theme: Theme::PoolsAndFutures,
        knobs: &[
            pool_size(4),
            int("items", "Items", "How many tasks to run", 1, 10_000, 12),
            choice("method", "Method", "How to hand the tasks to the pool", &["map", "apply", "apply_async", "imap", "imap_unordered"], "map"),
            int("chunksize", "Chunk size", "Tasks sent to a worker at a time: bigger is less overhead, worse balance", 1, 1000, 1),
            FLAVOUR_PROCESS,
            latency("How long each task takes (random up to this, from the seed)", 100.0),
            SEED,
        ],
        #[cfg(not(target_arch = "wasm32"))]
        python: include_str!("python/pool.py"),
        rust_file: "pool.rs",
        #[cfg(not(target_arch = "wasm32"))]
        shown_rust: shown_code!("pool"),
        lesson: Lesson {
            notice: "Only k tasks run at a time; the timeline shows the rest queued. `map` returns results in input order even though tasks finish out of order; `imap_unordered` yields them as they finish; `apply` blocks on each task in turn.",
            try_next: "Switch the method to imap_unordered and compare the result order; then try apply and see the parallelism vanish.",
            why: "A pool keeps k workers alive and feeds them tasks from a queue. `map` waits for every result and puts them back in order; `apply` waits for one task before sending the next.",
            python_api: "multiprocessing.Pool(k): map, apply, apply_async(...).get(timeout), imap, imap_unordered, chunksize",
            rust_api: "engine::pool::Pool: map, apply, apply_async -> AsyncResult::get, imap, imap_unordered, chunksize",
            source_figures: &[],
            source_setup: "",
        },
    },
    ScenarioInfo {
        id: "executor",
        title: "Executors and futures",
        promise: "The same code on threads or processes, switched by one line; futures carry results and exceptions",
        theme: Theme::PoolsAndFutures,
        knobs: &[
            workers(4),
            int("items", "Tasks", "How many tasks to submit", 1, 32, 8),
            FLAVOUR_THREAD,
            int("payload-kb", "Argument size (KB)", "Size of each task's argument: processes must pickle it", 0, 2048, 64),
            boolean("fail-one", "One task raises", "One task raises an exception; its future carries it", true),
            SLOW_MS,
        ],
        #[cfg(not(target_arch = "wasm32"))]
        python: include_str!("python/executor.py"),
        rust_file: "executor.rs",
        #[cfg(not(target_arch = "wasm32"))]
        shown_rust: shown_code!("executor"),
        lesson: Lesson {
            notice: "`as_completed` yields futures as they finish; the failing task's exception comes back from `result()` instead of crashing the run. With the process flavour the summary shows the bytes pickled and the time it took, growing with the argument size.",
            try_next: "Switch the flavour to process and raise the argument size to 2048 KB: watch serialization time take over.",
            why: "An executor hides the pool behind one interface, so ThreadPoolExecutor and ProcessPoolExecutor are one line apart. A process shares no memory, so every argument and result is pickled across.",
            python_api: "concurrent.futures.ThreadPoolExecutor / ProcessPoolExecutor: submit -> Future, map, as_completed, Future.result(), Future.exception()",
            rust_api: "engine::executor::Executor: submit -> Future, map, as_completed; errors come back as values",
            source_figures: &[],
            source_setup: "",
        },
    },
    ScenarioInfo {
        id: "shared-state",
        title: "Shared state",
        promise: "Shared memory, a manager's proxy, or messages: three ways to share, and the cost of each",
        theme: Theme::SharedState,
        knobs: &[
            workers(4),
            int("items", "Operations", "How many updates each worker makes", 1, 100_000, 1000),
            choice("method", "Method", "Which way of sharing to run; all compares them", &["all", "value", "array", "manager", "messages"], "all"),
            SLOW_MS,
        ],
        #[cfg(not(target_arch = "wasm32"))]
        python: include_str!("python/shared-state.py"),
        rust_file: "shared_state.rs",
        #[cfg(not(target_arch = "wasm32"))]
        shown_rust: shown_code!("shared_state"),
        lesson: Lesson {
            notice: "All three reach the same total, but the cost per operation differs: shared memory is cheapest, a manager's proxy is much slower (about ten times a Value update in our runs) because every update is two calls, each a serialized request and a serialized answer, and messages sit in between. Be fair to the numbers: the playground's manager answers on the caller's own worker (the browser has no spare worker for a server process), so a call here costs its four encodings and decodings but no trip to another process. In CPython every proxy call also crosses a socket to the manager's process and back, so the gap there is usually much larger.",
            try_next: "Raise the operations and compare the per-operation cost of each method.",
            why: "`Value` and `Array` live in shared memory with a lock beside them. A Manager runs a server that owns a real dict; proxies send each operation to it and wait for the answer, so it is flexible but slow. Message passing shares nothing at all.",
            python_api: "multiprocessing.Value, Array, get_lock(), Manager().dict(), Queue",
            rust_api: "engine::sync shared Value and Array with their lock, the Manager-style dict proxy, Queue",
            source_figures: &[],
            source_setup: "",
        },
    },
    ScenarioInfo {
        id: "parallel-map",
        title: "A parallel list comprehension",
        promise: "[f(x) for x in xs] becomes pool.map(f, xs): same result, measured speedup",
        theme: Theme::PoolsAndFutures,
        knobs: &[
            pool_size(2),
            int("items", "Items", "How many elements in xs", 1, 100_000, 40),
            int("work", "Work per item", "CPU work f does per element (thousands of steps)", 1, 10_000, 1000),
            FLAVOUR_PROCESS,
            int("repeat", "Repeats", "Time both ways this many times and keep the best of each, like timeit.repeat", 1, 10, 3),
        ],
        #[cfg(not(target_arch = "wasm32"))]
        python: include_str!("python/parallel-map.py"),
        rust_file: "parallel_map.rs",
        #[cfg(not(target_arch = "wasm32"))]
        shown_rust: shown_code!("parallel_map"),
        lesson: Lesson {
            notice: "The results are identical; the wall time drops with the pool when each item has enough work, and the summary gives speedup and efficiency. Both ways are timed a few times and the best of each counts, like timeit.repeat, so one run disturbed by the page loading or another program does not decide the speedup.",
            try_next: "Make the work per item tiny: the pool's overhead wins and the comprehension is faster.",
            why: "pool.map splits xs into chunks, ships them to workers and reassembles the results in order. That costs something per item, so it only pays when f does real work.",
            python_api: "[f(x) for x in xs], multiprocessing.Pool.map(f, xs)",
            rust_api: "iterator map vs engine::pool::Pool::map",
            source_figures: &[],
            source_setup: "",
        },
    },
    ScenarioInfo {
        id: "do-work",
        title: "The pool timing experiment",
        promise: "do_work(pool_size, items, thread|process, fileio|square): rerun the classic measurement live",
        theme: Theme::ThreadsVsProcesses,
        knobs: &[
            int("pool", "Pool size", "How many workers each pool starts (the source used 50)", 1, 64, 50),
            int("file-items", "File items", "How many file-I/O items", 1, 1000, 300),
            int("file-kb", "File size (KB)", "How much each file-I/O item writes and reads back", 1, 2048, 600),
            int("square-items", "Square items", "How many squaring items", 1, 100_000, 2000),
            choice("flavour", "Flavour", "Which pools to time", &["both", "thread", "process"], "both"),
            choice("work-kind", "Work", "Which workloads to time", &["both", "fileio", "square"], "both"),
        ],
        #[cfg(not(target_arch = "wasm32"))]
        python: include_str!("python/do-work.py"),
        rust_file: "do_work.rs",
        #[cfg(not(target_arch = "wasm32"))]
        shown_rust: shown_code!("do_work"),
        lesson: Lesson {
            notice: "Four timings, thread and process pools over file I/O and squaring, appear next to the source's. Squaring 2000 numbers is trivial work, so most of the time goes to starting the pool and passing tasks around. Each pool really starts all its workers (50 by default, one Web Worker each in the browser) and the time includes that. The summary counts where the files went: real storage (a temp directory natively; in the browser the Origin Private File System, through one scratch file per Web Worker with a synchronous access handle) or memory where the platform offers none.",
            try_next: "Set the pool size to the number of cores and compare; then cut the square items to 20.",
            why: "Each apply_async is a message to a worker and each get() a wait for an answer; for tiny tasks that overhead, plus starting 50 workers, dominates the work itself. The timing includes starting the pool, as the source's did.",
            python_api: "multiprocessing.Pool(n) / multiprocessing.pool.ThreadPool(n), apply_async, AsyncResult.get()",
            rust_api: "engine::pool::Pool::new(ctx, threads, PoolSpec::new(flavour, n)), apply_async / AsyncResult::take, close, join; engine::work::file_roundtrip over the run's FileStore, work::square",
            source_figures: &[
                SourceFigure { machine: "first", flavour: "thread", work: "fileio", millis: 455.752 },
                SourceFigure { machine: "first", flavour: "process", work: "fileio", millis: 319.279 },
                SourceFigure { machine: "first", flavour: "thread", work: "square", millis: 338.309 },
                SourceFigure { machine: "first", flavour: "process", work: "square", millis: 287.488 },
                SourceFigure { machine: "second", flavour: "thread", work: "fileio", millis: 237.557 },
                SourceFigure { machine: "second", flavour: "process", work: "fileio", millis: 323.963 },
                SourceFigure { machine: "second", flavour: "thread", work: "square", millis: 232.082 },
                SourceFigure { machine: "second", flavour: "process", work: "square", millis: 282.785 },
            ],
            source_setup: "First machine: 40 processors, Python 2.6. Pool size 50, 300 file items of about 600 KB each written and read back, 2000 square items. A second machine measured the same four cases.",
        },
    },
    ScenarioInfo {
        id: "timing-calls",
        title: "Timing a call, k at a time",
        promise: "Time one request ten times, then k at once: latency per call and throughput as k grows",
        theme: Theme::ThreadsVsProcesses,
        knobs: &[
            int("repeats", "Repeats", "How many calls to time (the timeit number)", 1, 1000, 10),
            workers(4),
            latency("How long one request takes", 50.0),
            SLOW_MS,
        ],
        #[cfg(not(target_arch = "wasm32"))]
        python: include_str!("python/timing-calls.py"),
        rust_file: "timing_calls.rs",
        #[cfg(not(target_arch = "wasm32"))]
        shown_rust: shown_code!("timing_calls"),
        lesson: Lesson {
            notice: "One at a time, each call costs its latency and throughput is 1 / latency. With k workers the latency per call stays about the same but the throughput grows about k times, until something saturates.",
            try_next: "Raise the workers to 16 and see throughput climb while latency stays flat.",
            why: "A request is mostly waiting. Overlapping waits costs nothing extra, so concurrency multiplies throughput without making any single call faster.",
            python_api: "timeit.timeit(stmt, number=10), concurrent.futures.ThreadPoolExecutor(k).map",
            rust_api: "web_time::Instant around engine I/O waits, engine::pool::Executor",
            source_figures: &[],
            source_setup: "",
        },
    },
    ScenarioInfo {
        id: "worker-logging",
        title: "Logging from workers",
        promise: "Log records carry the worker's name and a timestamp and all go to one shared sink",
        theme: Theme::SharedState,
        knobs: &[
            workers(3),
            int("items", "Records", "How many log records each worker writes", 1, 1000, 5),
            choice("level", "Level", "The lowest level the sink keeps", &["DEBUG", "INFO", "WARNING"], "INFO"),
            FLAVOUR_PROCESS,
            SLOW_MS,
        ],
        #[cfg(not(target_arch = "wasm32"))]
        python: include_str!("python/worker-logging.py"),
        rust_file: "worker_logging.rs",
        #[cfg(not(target_arch = "wasm32"))]
        shown_rust: shown_code!("worker_logging"),
        lesson: Lesson {
            notice: "Every record names its worker and its time, and they arrive in one stream in time order; records below the level are dropped at the source.",
            try_next: "Set the level to DEBUG and watch the extra records appear.",
            why: "Processes cannot share a file handle safely, so each sends its records through a queue to one listener that writes them: one sink, no torn lines.",
            python_api: "logging.getLogger, logging.handlers.QueueHandler, QueueListener, %(processName)s %(asctime)s",
            rust_api: "a Logger putting records on an engine::sync::Queue (pickled for processes via engine::pickle::Parcel), one QueueListener worker printing them; EventKind::Log at the source",
            source_figures: &[],
            source_setup: "",
        },
    },
    ScenarioInfo {
        id: "deadlock",
        title: "Deadlock",
        promise: "Two locks taken in opposite orders stop the run; see the cycle and the fix",
        theme: Theme::Pitfalls,
        knobs: &[
            boolean("opposite-order", "Opposite lock order", "Deliberate mistake: the second worker takes the locks in the other order", true),
            float("hold-ms", "Hold time (ms)", "How long each worker holds its first lock before reaching for the second", 0.0, 2000.0, 50.0),
            float("timeout-ms", "Give up after (ms)", "0: wait for the second lock for ever (a real deadlock); otherwise give up after this long, like acquire(timeout=...)", 0.0, 10_000.0, 0.0),
            SLOW_MS,
        ],
        #[cfg(not(target_arch = "wasm32"))]
        python: include_str!("python/deadlock.py"),
        rust_file: "deadlock.rs",
        #[cfg(not(target_arch = "wasm32"))]
        shown_rust: shown_code!("deadlock"),
        lesson: Lesson {
            notice: "Each worker holds one lock and waits for the other: no progress. The playground's watchdog finds the cycle (Thread-1 holds A and waits for B, Thread-2 holds B and waits for A), records it, and stops the run, which ends failed with that diagnosis. The Python version cannot be stopped from outside, so its threads wait with a timeout, give up, and it prints the cycle itself.",
            try_next: "Turn the opposite order off: with one lock order for everyone the run finishes. Or give the waits a timeout (say 500 ms), as the Python does: a worker gives up, so nothing hangs, but nothing gets done either.",
            why: "A deadlock needs a cycle of waiting. If every worker takes locks in the same global order, a cycle cannot form.",
            python_api: "threading.Lock, acquire(timeout=...), `with a: with b:`",
            rust_api: "engine::sync::Lock, engine::liveness deadlock detection from the locks' holders and waiters",
            source_figures: &[],
            source_setup: "",
        },
    },
];
