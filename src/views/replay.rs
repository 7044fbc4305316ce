//! Replaying a recorded run: a cursor over its events that yields every view rebuilt for
//! the prefix up to the cursor.
//!
//! Going forward applies events one by one (a live run is a replay at speed 1). Going
//! backward restores the nearest checkpoint at or before the target and applies forward
//! from there; checkpoints are whole [`Views`] taken every `interval` events on the way
//! forward, cheap because their growing logs share chunks (see [`super::AppendLog`]).

use super::Views;
use crate::engine::trace::Event;

/// Events between checkpoints: a backward seek applies at most this many.
pub const DEFAULT_CHECKPOINT_INTERVAL: usize = 2048;

/// At most this many checkpoints for a long trace (the interval grows instead). A
/// checkpoint shares its logs, but its small live state (open spans, queue contents,
/// tasks submitted and not started) is copied, so their number is what memory pays for.
pub const MAX_CHECKPOINTS: usize = 48;

#[derive(Clone, Debug)]
pub struct Replay {
    events: Vec<Event>,
    /// Running maximum of event times, so seeking by time is a binary search.
    time_index: Vec<u64>,
    pos: usize,
    views: Views,
    /// `checkpoints[i]` holds the views after `i * interval` events.
    checkpoints: Vec<Views>,
    interval: usize,
    speed: f64,
    /// Trace time the player has reached, in µs; fractional so slow speeds advance.
    clock_us: f64,
}

impl Replay {
    pub fn new(events: Vec<Event>) -> Self {
        let interval = DEFAULT_CHECKPOINT_INTERVAL.max(events.len().div_ceil(MAX_CHECKPOINTS));
        Self::with_interval(events, interval)
    }

    /// Replay a loaded trace file.
    pub fn from_trace(trace: super::TraceFile) -> Self {
        Self::new(trace.events)
    }

    pub fn with_interval(events: Vec<Event>, interval: usize) -> Self {
        let mut max = 0;
        let time_index = events
            .iter()
            .map(|e| {
                max = u64::max(max, e.t_us);
                max
            })
            .collect();
        Replay {
            events,
            time_index,
            pos: 0,
            views: Views::new(),
            checkpoints: Vec::new(),
            interval: interval.max(1),
            speed: 1.0,
            clock_us: 0.0,
        }
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// How many events have been applied.
    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.events.len()
    }

    /// The console, timeline, state panel and timings for the events before the cursor.
    pub fn views(&self) -> &Views {
        &self.views
    }

    /// Trace time of the last applied event (0 before the first).
    pub fn time_us(&self) -> u64 {
        if self.pos == 0 {
            0
        } else {
            self.time_index[self.pos - 1]
        }
    }

    /// Time of the whole trace's last event.
    pub fn duration_us(&self) -> u64 {
        self.time_index.last().copied().unwrap_or(0)
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Playback speed: 1 is real time, 0.1 is slow motion. Nonsense becomes 1.
    pub fn set_speed(&mut self, speed: f64) {
        self.speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
    }

    /// Apply the next event; false at the end.
    pub fn step_forward(&mut self) -> bool {
        if self.at_end() {
            return false;
        }
        self.seek(self.pos + 1);
        true
    }

    /// Un-apply the last event; false at the start.
    pub fn step_back(&mut self) -> bool {
        if self.pos == 0 {
            return false;
        }
        self.seek(self.pos - 1);
        true
    }

    /// Move the cursor to `pos` events (clamped to the trace).
    pub fn seek(&mut self, pos: usize) {
        let target = pos.min(self.events.len());
        if target < self.pos {
            let k = (target / self.interval).min(self.checkpoints.len().saturating_sub(1));
            match self.checkpoints.get(k) {
                Some(cp) => {
                    self.views = cp.clone();
                    self.pos = k * self.interval;
                }
                None => {
                    self.views = Views::new();
                    self.pos = 0;
                }
            }
        }
        while self.pos < target {
            if self.pos.is_multiple_of(self.interval)
                && self.checkpoints.len() == self.pos / self.interval
            {
                self.checkpoints.push(self.views.clone());
            }
            self.views.apply(&self.events[self.pos]);
            self.pos += 1;
        }
        self.clock_us = self.time_us() as f64;
    }

    /// Move the cursor past every event at or before `t_us`.
    pub fn seek_time(&mut self, t_us: u64) {
        let pos = self.time_index.partition_point(|&m| m <= t_us);
        self.seek(pos);
        self.clock_us = t_us as f64;
    }

    /// Play: `wall_elapsed_us` of real time passed (one animation frame, say); advance
    /// trace time by that much times the speed. False once at the end.
    pub fn advance(&mut self, wall_elapsed_us: f64) -> bool {
        if self.at_end() {
            return false;
        }
        if wall_elapsed_us.is_finite() && wall_elapsed_us > 0.0 {
            self.clock_us += wall_elapsed_us * self.speed;
        }
        let t = self.clock_us.min(u64::MAX as f64) as u64;
        let clock = self.clock_us;
        self.seek_time(t);
        self.clock_us = clock;
        !self.at_end()
    }

    /// When the event with this `seq` happened, over the whole trace.
    pub fn time_of_seq(&self, seq: u64) -> Option<u64> {
        let i = self.events.partition_point(|e| e.seq < seq);
        match self.events.get(i) {
            Some(e) if e.seq == seq => Some(e.t_us),
            _ => self.events.iter().find(|e| e.seq == seq).map(|e| e.t_us),
        }
    }
}
