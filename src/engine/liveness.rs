//! What the deadlock and stall detectors read: every primitive registers itself here once,
//! at creation (not on the hot path), and can be asked for a snapshot of its state. The
//! state panel of the UI is fed from the same snapshots' events.

use super::trace::{ObjectId, ObjectKind, WorkerId};
use std::sync::{Mutex, Weak};

/// A primitive's live state, as the detectors and the state panel see it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObjectState {
    pub id: ObjectId,
    pub name: String,
    pub kind: Option<ObjectKind>,
    /// Workers that hold it (a lock's owner; a semaphore's holders).
    pub holders: Vec<WorkerId>,
    /// Workers blocked on it right now.
    pub waiters: Vec<WorkerId>,
    /// Those of `waiters` whose wait has a timeout: they will give up by themselves, so
    /// they are no deadlock (Python's `acquire(timeout=...)`).
    pub timed_waiters: Vec<WorkerId>,
    /// A count where the primitive has one (semaphore value, queue length, event flag as 0/1).
    pub value: Option<i64>,
}

/// Implemented by every primitive so the detectors can see it.
pub trait Inspect: Send + Sync {
    fn snapshot(&self) -> ObjectState;
}

/// The run's registry of primitives and worker names.
#[derive(Default)]
pub struct Registry {
    objects: Mutex<Vec<Weak<dyn Inspect>>>,
    workers: Mutex<Vec<(WorkerId, String)>>,
}

impl Registry {
    pub fn register_object(&self, o: Weak<dyn Inspect>) {
        lock(&self.objects).push(o);
    }

    pub fn register_worker(&self, id: WorkerId, name: &str) {
        lock(&self.workers).push((id, name.to_string()));
    }

    /// The main program is `MainThread` unless the run named it (`RunCtx::name_main_process`).
    pub fn worker_name(&self, id: WorkerId) -> String {
        let named = lock(&self.workers)
            .iter()
            .find(|(w, _)| *w == id)
            .map(|(_, n)| n.clone());
        match named {
            Some(n) => n,
            None if id == super::trace::MAIN_WORKER => "MainThread".into(),
            None => format!("worker-{id}"),
        }
    }

    /// Snapshots of every primitive still alive.
    pub fn snapshot(&self) -> Vec<ObjectState> {
        let mut v = lock(&self.objects);
        v.retain(|w| w.strong_count() > 0);
        v.iter()
            .filter_map(|w| w.upgrade())
            .map(|o| o.snapshot())
            .collect()
    }
}

/// Poisoning cannot happen under `panic=abort`; natively, keep going with the data.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

// ---- deadlock detection ------------------------------------------------------------------

use super::run::RunCtx;
use super::trace::EventKind;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// `waiter` is blocked on `object`, which `holder` holds.
#[derive(Clone, Debug, PartialEq, Eq)]
struct WaitEdge {
    waiter: WorkerId,
    holder: WorkerId,
    object: ObjectId,
    object_name: String,
}

/// Only owned locks make wait-for edges. A semaphore, queue or event can be released or
/// fed by anyone, so waiting on one is not waiting for a particular worker; such hangs
/// are the stall detector's business.
fn is_owned_lock(kind: Option<ObjectKind>) -> bool {
    matches!(kind, Some(ObjectKind::Lock) | Some(ObjectKind::RLock))
}

fn wait_for_edges(states: &[ObjectState]) -> Vec<WaitEdge> {
    let mut edges = Vec::new();
    for s in states.iter().filter(|s| is_owned_lock(s.kind)) {
        for &waiter in s.waiters.iter().filter(|w| !s.timed_waiters.contains(w)) {
            for &holder in s.holders.iter().filter(|h| **h != waiter) {
                edges.push(WaitEdge {
                    waiter,
                    holder,
                    object: s.id,
                    object_name: s.name.clone(),
                });
            }
        }
    }
    edges
}

/// A cycle in the wait-for graph, as the edges along it in order.
fn find_cycle(edges: &[WaitEdge]) -> Option<Vec<WaitEdge>> {
    let mut out: HashMap<WorkerId, Vec<&WaitEdge>> = HashMap::new();
    for e in edges {
        out.entry(e.waiter).or_default().push(e);
    }
    let mut starts: Vec<WorkerId> = out.keys().copied().collect();
    starts.sort_unstable();
    let mut finished: HashSet<WorkerId> = HashSet::new();
    for start in starts {
        let mut path: Vec<&WaitEdge> = Vec::new();
        if let Some(c) = dfs(start, &out, &mut path, &mut finished) {
            return Some(c);
        }
    }
    None
}

fn dfs<'a>(
    node: WorkerId,
    out: &HashMap<WorkerId, Vec<&'a WaitEdge>>,
    path: &mut Vec<&'a WaitEdge>,
    finished: &mut HashSet<WorkerId>,
) -> Option<Vec<WaitEdge>> {
    if finished.contains(&node) {
        return None;
    }
    if let Some(pos) = path.iter().position(|e| e.waiter == node) {
        return Some(path[pos..].iter().map(|e| (*e).clone()).collect());
    }
    for e in out.get(&node).map(|v| v.as_slice()).unwrap_or(&[]) {
        path.push(e);
        if let Some(c) = dfs(e.holder, out, path, finished) {
            return Some(c);
        }
        path.pop();
    }
    finished.insert(node);
    None
}

/// The wait-for cycle, if the run is deadlocked, as readable lines such as
/// "Thread-1 holds lock_a and waits for lock_b (held by Thread-2)".
///
/// Snapshots are taken object by object, so one look could in principle stitch together
/// moments that never coexisted. A real deadlock does not move, so the cycle is only
/// reported if a second look still shows every edge of it.
pub fn find_deadlock(ctx: &RunCtx) -> Option<Vec<String>> {
    let cycle = find_cycle(&wait_for_edges(&ctx.registry.snapshot()))?;
    let again = wait_for_edges(&ctx.registry.snapshot());
    if !cycle.iter().all(|e| again.contains(e)) {
        return None;
    }
    Some(describe_cycle(ctx, &cycle))
}

fn describe_cycle(ctx: &RunCtx, cycle: &[WaitEdge]) -> Vec<String> {
    let n = cycle.len();
    (0..n)
        .map(|i| {
            let e = &cycle[i];
            // What this worker holds that the previous worker in the cycle wants.
            let held = &cycle[(i + n - 1) % n].object_name;
            format!(
                "{} holds {} and waits for {} (held by {})",
                ctx.registry.worker_name(e.waiter),
                held,
                e.object_name,
                ctx.registry.worker_name(e.holder)
            )
        })
        .collect()
}

// ---- stall detection -----------------------------------------------------------------------

/// No progress for `ms`; `waiting` says who waits on what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stall {
    pub ms: u64,
    pub waiting: Vec<String>,
}

/// Every worker blocked on a primitive right now, as "Thread-2 waits on queue q (empty)".
pub fn waiting_workers(ctx: &RunCtx) -> Vec<String> {
    let mut rows: Vec<(WorkerId, String)> = Vec::new();
    for s in ctx.registry.snapshot() {
        for &w in &s.waiters {
            rows.push((w, describe_wait(ctx, w, &s)));
        }
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    rows.into_iter().map(|(_, line)| line).collect()
}

fn describe_wait(ctx: &RunCtx, w: WorkerId, s: &ObjectState) -> String {
    let holders = || {
        s.holders
            .iter()
            .map(|h| ctx.registry.worker_name(*h))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let v = s.value.unwrap_or(0);
    let (kind, detail) = match s.kind {
        Some(ObjectKind::Lock) | Some(ObjectKind::RLock) if !s.holders.is_empty() => {
            ("lock", format!("held by {}", holders()))
        }
        Some(ObjectKind::Lock) | Some(ObjectKind::RLock) => ("lock", "free".to_string()),
        Some(ObjectKind::Queue) if v == 0 => ("queue", "empty: nobody puts".to_string()),
        Some(ObjectKind::Queue) => ("queue", format!("full at {v} items")),
        Some(ObjectKind::Semaphore) | Some(ObjectKind::BoundedSemaphore) => {
            let by = if s.holders.is_empty() {
                String::new()
            } else {
                format!(", held by {}", holders())
            };
            ("semaphore", format!("value {v}{by}"))
        }
        Some(ObjectKind::Event) => ("event", "never set".to_string()),
        Some(ObjectKind::Condition) => ("condition", "never notified".to_string()),
        Some(ObjectKind::Barrier) => ("barrier", format!("{v} arrived")),
        _ => ("object", String::new()),
    };
    let tail = if detail.is_empty() {
        String::new()
    } else {
        format!(" ({detail})")
    };
    format!(
        "{} waits on {kind} {}{tail}",
        ctx.registry.worker_name(w),
        s.name
    )
}

/// A stall: nobody made progress for at least `after` while some worker waits on a
/// primitive. Returns how long (ms) and who waits on what. A run that is only computing
/// (no waiter) is not stalled.
pub fn check_stall(ctx: &RunCtx, after: Duration) -> Option<(u64, Vec<String>)> {
    let idle_us = ctx.recorder.now_us().saturating_sub(ctx.last_progress_us());
    if (idle_us as u128) < after.as_micros() {
        return None;
    }
    let waiting = waiting_workers(ctx);
    if waiting.is_empty() {
        return None;
    }
    Some((idle_us / 1000, waiting))
}

// ---- the watchdog ------------------------------------------------------------------------

/// Something the watchdog raised (each is raised once).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Alarm {
    Deadlock(Vec<String>),
    Stall(Stall),
}

/// How a [`watch`] ended. The caller decides whether a deadlock means cancelling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// `done()` became true.
    Finished,
    /// A wait-for cycle, as readable lines.
    Deadlock(Vec<String>),
    /// The run was cancelled while watching.
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchReport {
    pub verdict: Verdict,
    /// The first stall seen, if any (a run may stall and then recover).
    pub stall: Option<Stall>,
}

/// Looks at a run now and then and records `Deadlock` and `Stall` events, each once: a
/// deadlock once per run, a stall once per stretch without progress.
pub struct Watchdog {
    ctx: Arc<RunCtx>,
    stall_after: Duration,
    deadlock: Option<Vec<String>>,
    first_stall: Option<Stall>,
    /// The progress stamp of the stall last reported, so the same stretch is not
    /// reported twice.
    stall_stamp: Option<u64>,
}

impl Watchdog {
    pub fn new(ctx: &Arc<RunCtx>, stall_after: Duration) -> Self {
        Watchdog {
            ctx: ctx.clone(),
            stall_after,
            deadlock: None,
            first_stall: None,
            stall_stamp: None,
        }
    }

    /// One non-blocking look. Returns an alarm the first time it is seen.
    pub fn check(&mut self) -> Option<Alarm> {
        if self.deadlock.is_none() {
            if let Some(cycle) = find_deadlock(&self.ctx) {
                self.ctx.emit(
                    None,
                    EventKind::Deadlock {
                        cycle: cycle.clone(),
                    },
                );
                self.deadlock = Some(cycle.clone());
                return Some(Alarm::Deadlock(cycle));
            }
        }
        let stamp = self.ctx.last_progress_us();
        if self.stall_stamp == Some(stamp) {
            return None;
        }
        let (ms, waiting) = check_stall(&self.ctx, self.stall_after)?;
        self.stall_stamp = Some(stamp);
        let stall = Stall { ms, waiting };
        self.ctx.emit(
            None,
            EventKind::Stall {
                ms: stall.ms,
                waiting: stall.waiting.clone(),
            },
        );
        if self.first_stall.is_none() {
            self.first_stall = Some(stall.clone());
        }
        Some(Alarm::Stall(stall))
    }

    pub fn deadlock(&self) -> Option<&Vec<String>> {
        self.deadlock.as_ref()
    }

    pub fn first_stall(&self) -> Option<&Stall> {
        self.first_stall.as_ref()
    }
}

/// Watch a run until `done()` or a deadlock, looking every `poll`. Sleeps through the run's
/// cancellable sleep, so cancelling the run ends the watch too. It blocks, so it belongs
/// on a worker or a native thread; the browser's main thread calls [`Watchdog::check`]
/// once per frame instead.
pub fn watch(
    ctx: &Arc<RunCtx>,
    stall_after: Duration,
    poll: Duration,
    done: impl Fn() -> bool,
) -> WatchReport {
    let mut dog = Watchdog::new(ctx, stall_after);
    let verdict = loop {
        if done() {
            break Verdict::Finished;
        }
        if let Some(Alarm::Deadlock(cycle)) = dog.check() {
            break Verdict::Deadlock(cycle);
        }
        if ctx.sleep(poll).is_err() {
            break if done() {
                Verdict::Finished
            } else {
                Verdict::Cancelled
            };
        }
    };
    WatchReport {
        verdict,
        stall: dog.first_stall.clone(),
    }
}
