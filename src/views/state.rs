//! The primitive state panel, rebuilt from events alone: who holds each lock and who
//! waits for it, a semaphore's value and who is inside, a queue's contents (the bounded
//! buffer's slots) and its length over time, an event's flag, a barrier's arrivals, and
//! the counters a scenario plots.

use super::applog::AppendLog;
use super::roster::Roster;
use crate::engine::trace::{Event, EventKind, ObjectId, ObjectKind, QueueOp, WorkerId};
use std::collections::{BTreeMap, VecDeque};

/// One value of a series at one time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Point {
    pub t_us: u64,
    pub value: i64,
}

/// What the panel shows for one primitive. Fields that do not apply to its kind stay at
/// their defaults.
#[derive(Clone, Debug, Default)]
pub struct ObjectView {
    pub id: ObjectId,
    pub name: String,
    pub kind: Option<ObjectKind>,
    /// A lock's holder, or every worker inside a semaphore (one entry per acquire).
    pub holders: Vec<WorkerId>,
    /// RLock re-entry depth of the holder.
    pub depth: u32,
    /// Workers blocked on it now, in the order they started waiting.
    pub waiters: Vec<WorkerId>,
    /// A semaphore's counter, or a shared `Value`'s value.
    pub value: Option<i64>,
    /// A shared `Array`'s cells, by index (cells never written are 0).
    pub cells: Vec<i64>,
    /// A `Value`'s or `Array`'s own lock (`get_lock()`), shown on its card.
    pub lock: Option<ObjectId>,
    /// On that lock: the `Value` or `Array` it belongs to, whose card shows it.
    pub part_of: Option<ObjectId>,
    /// Most workers a semaphore ever had inside at once.
    pub max_inside: usize,
    /// A semaphore's releases made with nobody inside, not yet taken by an acquire: the
    /// acquire that takes one is a signal received, not an entry (as in the engine's
    /// `Semaphore`, whose module note says why).
    pub signals: u64,
    /// A queue's items, oldest first: the bounded buffer's slots.
    pub items: VecDeque<u64>,
    /// A queue's length as the engine reported it.
    pub len: u32,
    pub max_len: u32,
    /// A queue's `maxsize`: 0 is unbounded; `None` in traces that predate it.
    pub maxsize: Option<u64>,
    pub puts: u64,
    pub gets: u64,
    /// Producers blocked on a full queue (consumers on an empty one are in `waiters`).
    pub blocked_putters: Vec<WorkerId>,
    /// An `Event`'s flag.
    pub flag: Option<bool>,
    /// A barrier's arrivals in the current round, its parties, and rounds completed.
    pub arrived: u32,
    pub parties: u32,
    pub rounds: u32,
    pub notifies: u64,
    /// Queue length, semaphore value or shared value over time.
    pub series: AppendLog<Point>,
}

/// Array cells kept per card. A loaded trace may name any index; beyond this it is ignored
/// rather than allocated.
const MAX_CELLS: usize = 4096;

impl ObjectView {
    fn unwait(&mut self, w: WorkerId) {
        if let Some(i) = self.waiters.iter().position(|&x| x == w) {
            self.waiters.remove(i);
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct StatePanel {
    pub roster: Roster,
    objects: BTreeMap<ObjectId, ObjectView>,
    counters: BTreeMap<String, AppendLog<Point>>,
}

impl StatePanel {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn build(events: &[Event]) -> Self {
        let mut s = Self::new();
        for e in events {
            s.apply(e);
        }
        s
    }

    pub fn apply(&mut self, e: &Event) {
        use EventKind as K;
        self.roster.apply(e);
        if let (K::Counter { name, value }, None) = (&e.kind, e.object) {
            if !self.counters.contains_key(name) {
                self.counters.insert(name.clone(), AppendLog::new());
            }
            if let Some(series) = self.counters.get_mut(name) {
                series.push(Point {
                    t_us: e.t_us,
                    value: *value,
                });
            }
            return;
        }
        if let (K::ObjectNew { name, kind }, Some(id)) = (&e.kind, e.object) {
            self.link_own_lock(id, name, *kind);
        }
        // A worker that has ended waits for nothing. Stopping a deadlocked run ends its
        // workers inside their waits, and no other event closes those.
        if let K::WorkerEnd { .. } = &e.kind {
            for o in self.objects.values_mut() {
                o.unwait(e.worker);
                o.blocked_putters.retain(|&x| x != e.worker);
            }
        }
        let Some(id) = e.object else { return };
        let o = self.objects.entry(id).or_insert_with(|| ObjectView {
            id,
            name: format!("object-{id}"),
            ..Default::default()
        });
        let w = e.worker;
        let point = |value: i64| Point {
            t_us: e.t_us,
            value,
        };
        match &e.kind {
            K::ObjectNew { name, kind } => {
                o.name = name.clone();
                o.kind = Some(*kind);
                if *kind == ObjectKind::Event {
                    o.flag = Some(false);
                }
            }
            K::LockWait => o.waiters.push(w),
            K::LockAcquire => {
                o.unwait(w);
                if o.holders.first() == Some(&w) {
                    o.depth += 1;
                } else {
                    o.holders = vec![w];
                    o.depth = 1;
                }
            }
            K::LockRelease => {
                o.depth = o.depth.saturating_sub(1);
                if o.depth == 0 {
                    o.holders.clear();
                }
            }
            K::GilAcquire => {
                o.unwait(w);
                o.holders = vec![w];
                o.depth = 1;
            }
            K::GilRelease => {
                o.holders.clear();
                o.depth = 0;
            }
            K::SemWait => o.waiters.push(w),
            K::SemAcquire { value } => {
                o.unwait(w);
                o.value = Some(*value);
                if o.signals > 0 {
                    o.signals -= 1;
                } else {
                    o.holders.push(w);
                }
                o.max_inside = o.max_inside.max(o.holders.len());
                o.series.push(point(*value));
            }
            K::SemRelease { value } => {
                // `release(n)` is one event; its n shows in the value's rise.
                let n = match o.value {
                    Some(before) if *value > before => value.abs_diff(before),
                    _ => 1,
                };
                o.value = Some(*value);
                // Anybody may release; the releaser leaves if inside, else the oldest.
                // Releases beyond those inside are signals. (Counted, not looped: a loaded
                // trace may claim any rise.)
                let leaving = n.min(o.holders.len() as u64);
                for _ in 0..leaving {
                    let i = o.holders.iter().position(|&x| x == w).unwrap_or(0);
                    o.holders.remove(i);
                }
                o.signals = o.signals.saturating_add(n - leaving);
                o.series.push(point(*value));
            }
            K::QueuePut { item, len } => {
                o.blocked_putters.retain(|&x| x != w);
                o.items.push_back(*item);
                o.puts += 1;
                o.len = *len;
                o.max_len = o.max_len.max(*len);
                o.series.push(point(*len as i64));
            }
            K::QueueGet { item, len } => {
                o.unwait(w);
                if o.items.front() == Some(item) {
                    o.items.pop_front();
                } else if let Some(i) = o.items.iter().position(|x| x == item) {
                    o.items.remove(i);
                }
                o.gets += 1;
                o.len = *len;
                o.series.push(point(*len as i64));
            }
            K::QueueBlocked { op } => match op {
                QueueOp::Put => o.blocked_putters.push(w),
                QueueOp::Get => o.waiters.push(w),
            },
            // A primitive's own counter (engine objects record one beside their events).
            K::Counter { name, value } => match o.kind {
                Some(ObjectKind::Value) if name == "value" => {
                    o.value = Some(*value);
                    o.series.push(point(*value));
                }
                Some(ObjectKind::Array) => {
                    let cell = name
                        .strip_prefix('[')
                        .and_then(|n| n.strip_suffix(']'))
                        .and_then(|n| n.parse::<usize>().ok())
                        .filter(|&i| i < MAX_CELLS);
                    if let Some(i) = cell {
                        if o.cells.len() <= i {
                            o.cells.resize(i + 1, 0);
                        }
                        o.cells[i] = *value;
                    }
                }
                // A semaphore's starting value: its acquires and releases carry the rest.
                Some(ObjectKind::Semaphore | ObjectKind::BoundedSemaphore)
                    if name == "value" && o.value.is_none() =>
                {
                    o.value = Some(*value);
                    o.series.push(point(*value));
                }
                // A queue's limit; its length comes with its puts and gets.
                Some(ObjectKind::Queue) if name == "maxsize" => {
                    o.maxsize = Some((*value).max(0) as u64);
                }
                _ => {}
            },
            K::EventSet => o.flag = Some(true),
            K::EventClear => o.flag = Some(false),
            K::EventWait | K::CondWait => o.waiters.push(w),
            K::EventWake { .. } | K::CondWake { .. } => o.unwait(w),
            // A timed-out waiter leaves, whichever side of the object it waited on.
            K::WaitTimedOut => {
                o.unwait(w);
                if let Some(i) = o.blocked_putters.iter().position(|&x| x == w) {
                    o.blocked_putters.remove(i);
                }
            }
            K::CondNotify { .. } => o.notifies += 1,
            K::BarrierWait { arrived, parties } => {
                o.waiters.push(w);
                o.arrived = *arrived;
                o.parties = *parties;
                if *arrived >= *parties && *parties > 0 {
                    o.rounds += 1;
                }
            }
            K::BarrierPass => {
                o.unwait(w);
                if o.waiters.is_empty() {
                    o.arrived = 0;
                }
            }
            _ => {}
        }
    }

    /// `Value` and `Array` create their own lock right after themselves, named
    /// `<name>.lock`: the two are one thing to the learner (`v.get_lock()`), so the lock's
    /// state goes on the value's card instead of a card of its own.
    fn link_own_lock(&mut self, id: ObjectId, name: &str, kind: ObjectKind) {
        let Some(owner_name) = name.strip_suffix(".lock") else {
            return;
        };
        if kind != ObjectKind::RLock {
            return;
        }
        let Some(owner) = id.checked_sub(1).and_then(|o| self.objects.get_mut(&o)) else {
            return;
        };
        if owner.name == owner_name
            && matches!(owner.kind, Some(ObjectKind::Value | ObjectKind::Array))
        {
            owner.lock = Some(id);
            let owner = owner.id;
            self.objects
                .entry(id)
                .or_insert_with(|| ObjectView {
                    id,
                    ..Default::default()
                })
                .part_of = Some(owner);
        }
    }

    // ---- reading ------------------------------------------------------------------

    /// Every primitive, in creation order.
    pub fn objects(&self) -> impl Iterator<Item = &ObjectView> {
        self.objects.values()
    }

    pub fn object(&self, id: ObjectId) -> Option<&ObjectView> {
        self.objects.get(&id)
    }

    pub fn by_name(&self, name: &str) -> Option<&ObjectView> {
        self.objects.values().find(|o| o.name == name)
    }

    /// Scenario counters (`Counter` events), by name.
    pub fn counters(&self) -> impl Iterator<Item = (&str, &AppendLog<Point>)> {
        self.counters.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn counter(&self, name: &str) -> Option<&AppendLog<Point>> {
        self.counters.get(name)
    }

    /// The lock of a `Value` or `Array`, if it has one the panel knows.
    pub fn own_lock(&self, o: &ObjectView) -> Option<&ObjectView> {
        o.lock.and_then(|id| self.objects.get(&id))
    }

    /// "; lock held by X; waiting: Y", or nothing while the lock is free and unwanted.
    fn own_lock_text(&self, o: &ObjectView) -> String {
        match self.own_lock(o) {
            Some(l) if !l.holders.is_empty() || !l.waiters.is_empty() => {
                format!(
                    "; lock {}",
                    self.describe(l).split_once(": ").map_or("", |x| x.1)
                )
            }
            _ => String::new(),
        }
    }

    /// One line per primitive, for the CLI and screen readers.
    pub fn describe(&self, o: &ObjectView) -> String {
        let names = |ws: &[WorkerId]| {
            ws.iter()
                .map(|&w| self.roster.worker_name(w))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let waiting = if o.waiters.is_empty() {
            String::new()
        } else {
            format!("; waiting: {}", names(&o.waiters))
        };
        match o.kind {
            Some(ObjectKind::Semaphore | ObjectKind::BoundedSemaphore) => format!(
                "{}: value {}, inside: [{}] (max {}){waiting}",
                o.name,
                o.value.map(|v| v.to_string()).unwrap_or_else(|| "?".into()),
                names(&o.holders),
                o.max_inside
            ),
            Some(ObjectKind::Queue) => format!(
                "{}: {} item(s) {:?}{}{waiting}",
                o.name,
                o.len,
                o.items,
                if o.blocked_putters.is_empty() {
                    String::new()
                } else {
                    format!("; full, blocked: {}", names(&o.blocked_putters))
                }
            ),
            Some(ObjectKind::Event) => format!(
                "{}: flag {}{waiting}",
                o.name,
                if o.flag == Some(true) { "set" } else { "clear" }
            ),
            Some(ObjectKind::Barrier) => {
                format!(
                    "{}: {}/{} arrived, {} round(s){waiting}",
                    o.name, o.arrived, o.parties, o.rounds
                )
            }
            Some(ObjectKind::Value) => format!(
                "{}: value {}{}",
                o.name,
                o.value.map(|v| v.to_string()).unwrap_or_else(|| "?".into()),
                self.own_lock_text(o)
            ),
            Some(ObjectKind::Array) => {
                format!("{}: {:?}{}", o.name, o.cells, self.own_lock_text(o))
            }
            _ if o.holders.is_empty() => format!("{}: free{waiting}", o.name),
            _ => format!("{}: held by {}{waiting}", o.name, names(&o.holders)),
        }
    }
}
