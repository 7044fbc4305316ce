//! The timeline: one lane per worker, with spans (what the worker was doing from when to
//! when) and instant markers (a put, a print...), all paired from events alone.
//!
//! A span opens at one event and closes at its partner (`LockWait` → `LockAcquire` is a
//! wait, `LockAcquire` → `LockRelease` a hold). Until its partner arrives a span is
//! *open* and is drawn to "now", the latest time seen. Closed spans are appended to an
//! [`AppendLog`] in the order they close; a running maximum of their end times keeps that
//! log searchable by time even when close events arrive slightly out of time order.

use super::applog::AppendLog;
use super::overview::Overview;
use super::roster::Roster;
use crate::engine::trace::{Event, EventKind, ObjectId, QueueOp, WorkerId};
use std::collections::BTreeMap;

/// What a worker was doing during a span.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpanKind {
    /// From `WorkerStart` (or `RunStart` for the main program) to its end.
    Lifetime,
    Task,
    /// Asked for a lock, not yet granted.
    LockWait,
    /// Holding a lock (re-entrant acquires of an RLock nest inside one hold).
    LockHold,
    Gil,
    QueueBlockedPut,
    QueueBlockedGet,
    Sleep,
    SemWait,
    /// Inside a semaphore.
    SemHold,
    CondWait,
    EventWait,
    BarrierWait,
    /// In `join()`, waiting for another worker to end.
    JoinWait,
    /// In `get()`, `result()`, `map()` or `as_completed`, waiting for a task's result.
    ResultWait,
}

impl SpanKind {
    pub const ALL: [SpanKind; 15] = [
        SpanKind::Lifetime,
        SpanKind::Task,
        SpanKind::LockWait,
        SpanKind::LockHold,
        SpanKind::Gil,
        SpanKind::QueueBlockedPut,
        SpanKind::QueueBlockedGet,
        SpanKind::Sleep,
        SpanKind::SemWait,
        SpanKind::SemHold,
        SpanKind::CondWait,
        SpanKind::EventWait,
        SpanKind::BarrierWait,
        SpanKind::JoinWait,
        SpanKind::ResultWait,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// A short label for legends, tooltips and exports.
    pub fn label(self) -> &'static str {
        match self {
            SpanKind::Lifetime => "alive",
            SpanKind::Task => "task",
            SpanKind::LockWait => "lock wait",
            SpanKind::LockHold => "lock held",
            SpanKind::Gil => "GIL held",
            SpanKind::QueueBlockedPut => "blocked on put",
            SpanKind::QueueBlockedGet => "blocked on get",
            SpanKind::Sleep => "sleeping",
            SpanKind::SemWait => "semaphore wait",
            SpanKind::SemHold => "inside semaphore",
            SpanKind::CondWait => "condition wait",
            SpanKind::EventWait => "event wait",
            SpanKind::BarrierWait => "barrier wait",
            SpanKind::JoinWait => "joining",
            SpanKind::ResultWait => "waiting for a result",
        }
    }

    /// Waiting or sleeping: the worker is not running its code.
    pub fn is_off_cpu(self) -> bool {
        self.is_waiting() || self == SpanKind::Sleep
    }

    /// Time spent waiting for somebody else (as opposed to working or sleeping).
    pub fn is_waiting(self) -> bool {
        matches!(
            self,
            SpanKind::LockWait
                | SpanKind::QueueBlockedPut
                | SpanKind::QueueBlockedGet
                | SpanKind::SemWait
                | SpanKind::CondWait
                | SpanKind::EventWait
                | SpanKind::BarrierWait
                | SpanKind::JoinWait
                | SpanKind::ResultWait
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub kind: SpanKind,
    pub object: Option<ObjectId>,
    /// The task of a task or result-wait span; for a join, the worker joined (see
    /// [`Span::joined`]).
    pub task: Option<u64>,
    pub start_us: u64,
    /// For an open span, "now" at the time of the query.
    pub end_us: u64,
    pub start_seq: u64,
    /// `None` while the span is open.
    pub end_seq: Option<u64>,
}

impl Span {
    /// The worker a join span waits for.
    pub fn joined(&self) -> Option<WorkerId> {
        match self.kind {
            SpanKind::JoinWait => self.task.and_then(|w| WorkerId::try_from(w).ok()),
            _ => None,
        }
    }

    pub fn is_open(&self) -> bool {
        self.end_seq.is_none()
    }

    pub fn duration_us(&self) -> u64 {
        self.end_us.saturating_sub(self.start_us)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerKind {
    Put { item: u64 },
    Get { item: u64 },
    Print,
    Log,
    EventSet,
    EventClear,
    Notify { n: u32 },
    Submit { task: u64 },
    BarrierPass,
    Serialize { bytes: u64, us: u64 },
    Deserialize { bytes: u64, us: u64 },
}

/// How the timeline tells its ticks apart, and how its legend names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerGroup {
    Put,
    Get,
    /// A print or a log record.
    Output,
    Other,
}

impl MarkerGroup {
    pub const ALL: [MarkerGroup; 4] = [
        MarkerGroup::Put,
        MarkerGroup::Get,
        MarkerGroup::Output,
        MarkerGroup::Other,
    ];
}

impl MarkerKind {
    pub fn group(self) -> MarkerGroup {
        match self {
            MarkerKind::Put { .. } => MarkerGroup::Put,
            MarkerKind::Get { .. } => MarkerGroup::Get,
            MarkerKind::Print | MarkerKind::Log => MarkerGroup::Output,
            _ => MarkerGroup::Other,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Marker {
    pub kind: MarkerKind,
    pub object: Option<ObjectId>,
    pub t_us: u64,
    pub seq: u64,
}

/// Time a lane spent in each kind of span, plus tasks run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LaneTotals {
    pub us: [u64; SpanKind::ALL.len()],
    pub tasks_done: u32,
    /// Time in at least one waiting or sleeping span. Not the sum of those kinds: a
    /// condition wait re-takes its lock inside the wait, and that counts once here.
    pub off_cpu_us: u64,
    /// The part of `off_cpu_us` spent inside a task (a pool worker's sleeps and waits).
    pub off_cpu_in_tasks_us: u64,
}

impl LaneTotals {
    pub fn of(&self, k: SpanKind) -> u64 {
        self.us[k.index()]
    }

    /// Time blocked on any primitive.
    pub fn waiting_us(&self) -> u64 {
        SpanKind::ALL
            .iter()
            .filter(|k| k.is_waiting())
            .map(|k| self.of(*k))
            .fold(0u64, u64::saturating_add)
    }

    fn add(&mut self, s: &Span) {
        let slot = &mut self.us[s.kind.index()];
        *slot = slot.saturating_add(s.duration_us());
    }
}

#[derive(Clone, Debug, Default)]
pub struct Lane {
    pub worker: WorkerId,
    closed: AppendLog<Span>,
    /// Running maximum of `closed[..=i].end_us`: sorted, so searchable.
    end_runmax: AppendLog<u64>,
    /// How far any end time lags the running maximum: bounds a search exactly.
    end_disorder: u64,
    max_duration: u64,
    open: Vec<Span>,
    /// RLock re-entry depth per held lock.
    lock_depth: Vec<(ObjectId, u32)>,
    markers: AppendLog<Marker>,
    /// Which span kinds this lane has had, one bit per `SpanKind::index`.
    kinds_seen: u32,
    /// Which marker groups it has had, one bit per `MarkerGroup`.
    groups_seen: u8,
    marker_runmax: u64,
    marker_disorder: u64,
    totals: LaneTotals,
    /// How many waiting or sleeping spans are open, and since when the first one is.
    off_cpu_depth: u32,
    off_cpu_since: u64,
    /// The same spans and markers, bucketed: what a whole-run window is drawn from.
    overview: Overview,
}

impl Lane {
    fn open_span(&mut self, kind: SpanKind, e: &Event, task: Option<u64>) {
        self.kinds_seen |= 1 << kind.index();
        if kind.is_off_cpu() {
            if self.off_cpu_depth == 0 {
                self.off_cpu_since = e.t_us;
            }
            self.off_cpu_depth = self.off_cpu_depth.saturating_add(1);
        }
        self.open.push(Span {
            kind,
            object: e.object,
            task,
            start_us: e.t_us,
            end_us: e.t_us,
            start_seq: e.seq,
            end_seq: None,
        });
    }

    /// Close the most recent open span that `matches`; false if there was none.
    fn close_span(&mut self, e: &Event, matches: impl Fn(&Span) -> bool) -> bool {
        let Some(i) = self.open.iter().rposition(matches) else {
            return false;
        };
        let mut s = self.open.remove(i);
        s.end_us = e.t_us.max(s.start_us);
        s.end_seq = Some(e.seq);
        let runmax = self.end_runmax.last().copied().unwrap_or(0).max(s.end_us);
        self.end_disorder = self.end_disorder.max(runmax - s.end_us);
        self.max_duration = self.max_duration.max(s.duration_us());
        self.totals.add(&s);
        if s.kind.is_off_cpu() {
            self.off_cpu_depth = self.off_cpu_depth.saturating_sub(1);
            if self.off_cpu_depth == 0 {
                let off = s.end_us.saturating_sub(self.off_cpu_since);
                self.totals.off_cpu_us = self.totals.off_cpu_us.saturating_add(off);
                if self.in_task() {
                    let t = &mut self.totals.off_cpu_in_tasks_us;
                    *t = t.saturating_add(off);
                }
            }
        }
        if s.kind == SpanKind::Task {
            self.totals.tasks_done += 1;
        }
        self.end_runmax.push(runmax);
        self.overview.add_span(&s);
        self.closed.push(s);
        true
    }

    fn in_task(&self) -> bool {
        self.open.iter().any(|s| s.kind == SpanKind::Task)
    }

    fn mark(&mut self, kind: MarkerKind, e: &Event) {
        self.groups_seen |= 1 << kind.group() as u8;
        self.marker_runmax = self.marker_runmax.max(e.t_us);
        self.marker_disorder = self.marker_disorder.max(self.marker_runmax - e.t_us);
        self.markers.push(Marker {
            kind,
            object: e.object,
            t_us: e.t_us,
            seq: e.seq,
        });
        self.overview.add_marker(e.t_us);
    }

    /// Closed spans in close order, then the open ones (drawn to `now`).
    pub fn all_spans(&self, now: u64) -> impl Iterator<Item = Span> + '_ {
        self.closed
            .iter()
            .copied()
            .chain(self.open.iter().map(move |s| Span {
                end_us: now.max(s.start_us),
                ..*s
            }))
    }

    /// Whether this lane has ever had a marker of `group`.
    pub fn has_marked(&self, group: MarkerGroup) -> bool {
        self.groups_seen & (1 << group as u8) != 0
    }

    /// Whether this lane has ever had a span of `kind`.
    pub fn has_seen(&self, kind: SpanKind) -> bool {
        self.kinds_seen & (1 << kind.index()) != 0
    }

    pub fn open_spans(&self) -> &[Span] {
        &self.open
    }

    pub fn markers(&self) -> &AppendLog<Marker> {
        &self.markers
    }

    pub fn overview(&self) -> &Overview {
        &self.overview
    }

    /// How far marker times can fall behind the latest one seen (they are recorded
    /// slightly out of time order across threads).
    pub fn marker_disorder(&self) -> u64 {
        self.marker_disorder
    }
}

#[derive(Clone, Debug, Default)]
pub struct Timeline {
    pub roster: Roster,
    lanes: BTreeMap<WorkerId, Lane>,
    now_us: u64,
    run_start_us: Option<u64>,
    run_end_us: Option<u64>,
    /// (seq, t_us) of every event, for "when did this happen".
    clock: AppendLog<(u64, u64)>,
}

impl Timeline {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn build(events: &[Event]) -> Self {
        let mut t = Self::new();
        for e in events {
            t.apply(e);
        }
        t
    }

    pub fn apply(&mut self, e: &Event) {
        use EventKind as K;
        self.roster.apply(e);
        self.now_us = self.now_us.max(e.t_us);
        self.clock.push((e.seq, e.t_us));
        let obj = e.object;
        let lane = self.lanes.entry(e.worker).or_insert_with(|| Lane {
            worker: e.worker,
            ..Default::default()
        });
        let same = |k: SpanKind| move |s: &Span| s.kind == k && s.object == obj;
        match &e.kind {
            K::RunStart { .. } => {
                self.run_start_us.get_or_insert(e.t_us);
                lane.open_span(SpanKind::Lifetime, e, None);
            }
            K::RunEnd { .. } => {
                self.run_end_us = Some(e.t_us);
                lane.close_span(e, |s| s.kind == SpanKind::Lifetime);
            }
            K::WorkerStart => lane.open_span(SpanKind::Lifetime, e, None),
            K::WorkerEnd { .. } => {
                lane.close_span(e, |s| s.kind == SpanKind::Lifetime);
            }
            K::TaskStart { task } => lane.open_span(SpanKind::Task, e, Some(*task)),
            K::TaskEnd { task, .. } => {
                let t = *task;
                if !lane.close_span(e, |s| s.kind == SpanKind::Task && s.task == Some(t)) {
                    lane.close_span(e, |s| s.kind == SpanKind::Task);
                }
            }
            K::LockWait => lane.open_span(SpanKind::LockWait, e, None),
            K::LockAcquire => {
                lane.close_span(e, same(SpanKind::LockWait));
                let id = obj.unwrap_or(0);
                match lane.lock_depth.iter_mut().find(|d| d.0 == id) {
                    Some(d) => d.1 += 1,
                    None => {
                        lane.lock_depth.push((id, 1));
                        lane.open_span(SpanKind::LockHold, e, None);
                    }
                }
            }
            K::LockRelease => self.release_lock(e),
            K::GilAcquire => {
                lane.close_span(e, same(SpanKind::LockWait));
                lane.open_span(SpanKind::Gil, e, None);
            }
            K::GilRelease => {
                lane.close_span(e, |s| s.kind == SpanKind::Gil);
            }
            K::QueueBlocked { op } => {
                let k = match op {
                    QueueOp::Put => SpanKind::QueueBlockedPut,
                    QueueOp::Get => SpanKind::QueueBlockedGet,
                };
                lane.open_span(k, e, None);
            }
            K::QueuePut { item, .. } | K::QueueGet { item, .. } => {
                lane.close_span(e, |s| {
                    matches!(
                        s.kind,
                        SpanKind::QueueBlockedPut | SpanKind::QueueBlockedGet
                    ) && s.object == obj
                });
                let m = if matches!(e.kind, K::QueuePut { .. }) {
                    MarkerKind::Put { item: *item }
                } else {
                    MarkerKind::Get { item: *item }
                };
                lane.mark(m, e);
            }
            K::SleepStart { .. } => lane.open_span(SpanKind::Sleep, e, None),
            K::SleepEnd => {
                lane.close_span(e, |s| s.kind == SpanKind::Sleep);
            }
            K::SemWait => lane.open_span(SpanKind::SemWait, e, None),
            K::SemAcquire { .. } => {
                lane.close_span(e, same(SpanKind::SemWait));
                lane.open_span(SpanKind::SemHold, e, None);
            }
            K::SemRelease { .. } => {
                lane.close_span(e, same(SpanKind::SemHold));
            }
            K::CondWait => lane.open_span(SpanKind::CondWait, e, None),
            K::CondWake { .. } => {
                lane.close_span(e, same(SpanKind::CondWait));
            }
            K::EventWait => lane.open_span(SpanKind::EventWait, e, None),
            K::EventWake { .. } => {
                lane.close_span(e, same(SpanKind::EventWait));
            }
            K::BarrierWait { .. } => lane.open_span(SpanKind::BarrierWait, e, None),
            K::JoinWait { worker } => {
                lane.open_span(SpanKind::JoinWait, e, Some(u64::from(*worker)))
            }
            K::ResultWait { task } => lane.open_span(SpanKind::ResultWait, e, *task),
            K::WaitDone => {
                lane.close_span(e, |s| {
                    matches!(s.kind, SpanKind::JoinWait | SpanKind::ResultWait)
                });
            }
            // The wait gave up: end whichever wait span the worker has open on that object.
            K::WaitTimedOut => {
                lane.close_span(e, |s| s.kind.is_waiting() && s.object == obj);
            }
            K::BarrierPass => {
                lane.close_span(e, same(SpanKind::BarrierWait));
                lane.mark(MarkerKind::BarrierPass, e);
            }
            K::Print { .. } => lane.mark(MarkerKind::Print, e),
            K::Log { .. } => lane.mark(MarkerKind::Log, e),
            K::EventSet => lane.mark(MarkerKind::EventSet, e),
            K::EventClear => lane.mark(MarkerKind::EventClear, e),
            K::CondNotify { n } => lane.mark(MarkerKind::Notify { n: *n }, e),
            K::TaskSubmit { task } => lane.mark(MarkerKind::Submit { task: *task }, e),
            K::Serialize { bytes, us } => lane.mark(
                MarkerKind::Serialize {
                    bytes: *bytes,
                    us: *us,
                },
                e,
            ),
            K::Deserialize { bytes, us } => lane.mark(
                MarkerKind::Deserialize {
                    bytes: *bytes,
                    us: *us,
                },
                e,
            ),
            _ => {}
        }
    }

    /// A plain `Lock` may be released by a worker that does not hold it; the hold then
    /// ends in the holder's lane.
    fn release_lock(&mut self, e: &Event) {
        let id = e.object.unwrap_or(0);
        let obj = e.object;
        let mut lanes: Vec<WorkerId> = vec![e.worker];
        lanes.extend(self.lanes.keys().copied().filter(|w| *w != e.worker));
        for w in lanes {
            let Some(lane) = self.lanes.get_mut(&w) else {
                continue;
            };
            let Some(pos) = lane.lock_depth.iter().position(|d| d.0 == id) else {
                continue;
            };
            if lane.lock_depth[pos].1 > 1 {
                lane.lock_depth[pos].1 -= 1;
            } else {
                lane.lock_depth.remove(pos);
                lane.close_span(e, |s| s.kind == SpanKind::LockHold && s.object == obj);
            }
            return;
        }
    }

    // ---- reading ------------------------------------------------------------------

    /// The latest time seen: where open spans end.
    pub fn now_us(&self) -> u64 {
        self.now_us
    }

    pub fn run_start_us(&self) -> Option<u64> {
        self.run_start_us
    }

    pub fn run_end_us(&self) -> Option<u64> {
        self.run_end_us
    }

    /// Lanes by worker id (the main program first).
    pub fn lanes(&self) -> impl Iterator<Item = &Lane> {
        self.lanes.values()
    }

    pub fn lane(&self, w: WorkerId) -> Option<&Lane> {
        self.lanes.get(&w)
    }

    pub fn lane_name(&self, w: WorkerId) -> String {
        self.roster.worker_name(w)
    }

    /// Spans of a lane that intersect `[t0, t1]`, open ones drawn to now. What a zoomed
    /// and panned view asks for each frame.
    pub fn spans_in(&self, w: WorkerId, t0: u64, t1: u64) -> Vec<Span> {
        let Some(lane) = self.lanes.get(&w) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        // Every span before `first` ends before t0.
        let first = lane.end_runmax.partition_point(|&m| m < t0);
        // A span whose running max passes this bound ends after t1 + max duration, so
        // it starts after t1; the disorder term covers ends below the running max.
        let stop = t1
            .saturating_add(lane.max_duration)
            .saturating_add(lane.end_disorder);
        for i in first..lane.closed.len() {
            let (Some(s), Some(&m)) = (lane.closed.get(i), lane.end_runmax.get(i)) else {
                break;
            };
            if m > stop {
                break;
            }
            if s.end_us >= t0 && s.start_us <= t1 {
                out.push(*s);
            }
        }
        for s in &lane.open {
            if s.start_us <= t1 && self.now_us >= t0 {
                out.push(Span {
                    end_us: self.now_us.max(s.start_us),
                    ..*s
                });
            }
        }
        out
    }

    /// Markers of a lane within `[t0, t1]`.
    pub fn markers_in(&self, w: WorkerId, t0: u64, t1: u64) -> Vec<Marker> {
        let Some(lane) = self.lanes.get(&w) else {
            return Vec::new();
        };
        let lo = t0.saturating_sub(lane.marker_disorder);
        let hi = t1.saturating_add(lane.marker_disorder);
        let first = lane.markers.partition_point(|m| m.t_us < lo);
        let mut out = Vec::new();
        for i in first..lane.markers.len() {
            let Some(m) = lane.markers.get(i) else { break };
            if m.t_us > hi {
                break;
            }
            if m.t_us >= t0 && m.t_us <= t1 {
                out.push(*m);
            }
        }
        out
    }

    /// When the event with this `seq` happened: a console line's click target.
    pub fn time_of_seq(&self, seq: u64) -> Option<u64> {
        let i = self.clock.partition_point(|&(s, _)| s < seq);
        match self.clock.get(i) {
            Some(&(s, t)) if s == seq => Some(t),
            // Fed out of seq order: fall back to a scan.
            _ => self.clock.iter().find(|(s, _)| *s == seq).map(|&(_, t)| t),
        }
    }

    /// Time per kind of span, open spans counted to now.
    pub fn totals(&self, w: WorkerId) -> LaneTotals {
        let Some(lane) = self.lanes.get(&w) else {
            return LaneTotals::default();
        };
        let mut t = lane.totals.clone();
        for s in &lane.open {
            let slot = &mut t.us[s.kind.index()];
            *slot = slot.saturating_add(self.now_us.saturating_sub(s.start_us));
        }
        if lane.off_cpu_depth > 0 {
            let off = self.now_us.saturating_sub(lane.off_cpu_since);
            t.off_cpu_us = t.off_cpu_us.saturating_add(off);
            if lane.in_task() {
                t.off_cpu_in_tasks_us = t.off_cpu_in_tasks_us.saturating_add(off);
            }
        }
        t
    }

    /// How long a worker has been alive: its lifetime span, else the run so far.
    pub fn alive_us(&self, w: WorkerId) -> u64 {
        let life = self.totals(w).of(SpanKind::Lifetime);
        if life > 0 {
            life
        } else {
            self.now_us.saturating_sub(self.run_start_us.unwrap_or(0))
        }
    }

    /// The timeline's text alternative: one sentence per worker.
    pub fn summary(&self) -> Vec<String> {
        self.lanes.keys().map(|&w| self.lane_summary(w)).collect()
    }

    /// Time running code: alive and neither waiting nor sleeping. A pool's worker counts
    /// only its tasks (it records nothing while idle between them); so does a worker of
    /// an older trace that ran tasks, saved before `WorkerNew` named the pool.
    pub fn busy_us(&self, w: WorkerId) -> u64 {
        let t = self.totals(w);
        let in_pool = self
            .lanes
            .get(&w)
            .is_some_and(|l| l.has_seen(SpanKind::Task))
            || self
                .roster
                .worker(w)
                .is_some_and(|info| info.pool.is_some());
        if in_pool {
            t.of(SpanKind::Task).saturating_sub(t.off_cpu_in_tasks_us)
        } else {
            self.alive_us(w).saturating_sub(t.off_cpu_us)
        }
    }

    pub fn lane_summary(&self, w: WorkerId) -> String {
        let t = self.totals(w);
        let ms = |us: u64| format!("{:.1} ms", us as f64 / 1000.0);
        let mut parts = Vec::new();
        let running = self
            .lanes
            .get(&w)
            .map(|l| l.open.iter().filter(|s| s.kind == SpanKind::Task).count())
            .unwrap_or(0);
        if t.tasks_done > 0 || running > 0 {
            let plural = if t.tasks_done == 1 { "" } else { "s" };
            let mut p = format!("ran {} task{plural}", t.tasks_done);
            if running > 0 {
                p.push_str(&format!(" (+{running} running)"));
            }
            parts.push(p);
        }
        let busy = self.busy_us(w);
        if busy > 0 {
            parts.push(format!("busy {}", ms(busy)));
        }
        // The waits a learner asks about by name; the rest are "other primitives".
        let queue_us = t
            .of(SpanKind::QueueBlockedPut)
            .saturating_add(t.of(SpanKind::QueueBlockedGet));
        let named = [
            (t.of(SpanKind::LockWait), "waited", "for locks"),
            (queue_us, "blocked", "on queues"),
            (t.of(SpanKind::JoinWait), "waited", "in join()"),
            (t.of(SpanKind::ResultWait), "waited", "for results"),
        ];
        let mut other = t.waiting_us();
        for (us, verb, what) in named {
            other = other.saturating_sub(us);
            if us > 0 {
                parts.push(format!("{verb} {} {what}", ms(us)));
            }
        }
        if other > 0 {
            parts.push(format!("waited {} on other primitives", ms(other)));
        }
        if t.of(SpanKind::Sleep) > 0 {
            parts.push(format!("slept {}", ms(t.of(SpanKind::Sleep))));
        }
        let gil = t.of(SpanKind::Gil);
        if gil > 0 {
            let alive = self.alive_us(w).max(1);
            parts.push(format!(
                "held the GIL {:.0}% of the time",
                100.0 * gil as f64 / alive as f64
            ));
        }
        if parts.is_empty() {
            parts.push("did nothing the trace shows".into());
        }
        format!("{}: {}", self.lane_name(w), parts.join(", "))
    }
}
