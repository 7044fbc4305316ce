//! The live console: the one shared stdout, as the learner would see it in a terminal.
//!
//! Workers write *pieces* of text (`Print` events); a display line ends at `\n`, whoever
//! wrote it. Pieces from different workers therefore interleave into garbled lines, which
//! is exactly what the lock lesson wants to show, so the model keeps the pieces in the
//! order given and remembers, per line, which workers wrote it and where each one's
//! piece starts (for colouring). Log lines and run notices (deadlock, stall, lost
//! events, the end of the run) are whole lines of their own.
//!
//! The line still being written (no `\n` yet) is kept aside and shown as the last line;
//! a log line or notice that arrives meanwhile is listed before it, as the console of a
//! browser would list a message that arrived while a line was half printed.

use super::applog::AppendLog;
use super::roster::Roster;
use crate::engine::trace::{Event, EventKind, Outcome, WorkerId};
use std::collections::BTreeMap;

/// Why a notice line is there. Notices concern everybody, so every filter shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    Deadlock,
    Stall,
    Dropped,
    RunEnd,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// Text printed to the shared stdout.
    Output,
    /// A `logging` record, with its level name.
    Log {
        level: String,
    },
    Notice(NoticeKind),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConsoleLine {
    pub kind: LineKind,
    /// The line's text without its `\n`.
    pub text: String,
    /// Every worker that wrote part of the line, in the order they first wrote to it.
    pub writers: Vec<WorkerId>,
    /// Where the writer changes: (byte offset in `text`, writer) for each run of pieces
    /// by one worker. Empty when a single worker wrote the whole line.
    pub segments: Vec<(u32, WorkerId)>,
    pub first_seq: u64,
    pub last_seq: u64,
    /// When the first and last pieces were written: the moment the timeline highlights.
    pub first_t_us: u64,
    pub last_t_us: u64,
}

impl ConsoleLine {
    fn new(kind: LineKind, e: &Event) -> Self {
        ConsoleLine {
            kind,
            text: String::new(),
            writers: vec![e.worker],
            segments: Vec::new(),
            first_seq: e.seq,
            last_seq: e.seq,
            first_t_us: e.t_us,
            last_t_us: e.t_us,
        }
    }

    /// Written by more than one worker: pieces interleaved.
    pub fn is_garbled(&self) -> bool {
        self.writers.len() > 1
    }

    pub fn is_notice(&self) -> bool {
        matches!(self.kind, LineKind::Notice(_))
    }

    /// Whether a filter on `worker` shows this line.
    pub fn visible_to(&self, worker: WorkerId) -> bool {
        self.is_notice() || self.writers.contains(&worker)
    }

    /// Append a piece by `e.worker`, remembering where a new writer starts.
    fn push_piece(&mut self, piece: &str, e: &Event) {
        let last_writer = self.segments.last().map(|s| s.1).unwrap_or(self.writers[0]);
        if e.worker != last_writer {
            if self.segments.is_empty() {
                self.segments.push((0, last_writer));
            }
            self.segments.push((self.text.len() as u32, e.worker));
        }
        if !self.writers.contains(&e.worker) {
            self.writers.push(e.worker);
        }
        self.text.push_str(piece);
        self.last_seq = e.seq;
        self.last_t_us = e.t_us;
    }
}

/// Which lines a reader wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Filter {
    #[default]
    All,
    /// Lines this worker wrote part of, plus the notices.
    Worker(WorkerId),
}

#[derive(Clone, Debug, Default)]
pub struct Console {
    pub roster: Roster,
    lines: AppendLog<ConsoleLine>,
    /// The stdout line still being written.
    pending: Option<ConsoleLine>,
    /// Per worker, the indices of the finished lines its filter shows.
    by_worker: BTreeMap<WorkerId, AppendLog<u32>>,
    /// Indices of notice lines, to seed the index of a worker first seen later.
    notices: Vec<u32>,
}

impl Console {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn build(events: &[Event]) -> Self {
        let mut c = Self::new();
        for e in events {
            c.apply(e);
        }
        c
    }

    pub fn apply(&mut self, e: &Event) {
        self.roster.apply(e);
        match &e.kind {
            EventKind::WorkerNew { .. } => {
                self.index_of(e.worker);
            }
            EventKind::Print { text } => self.print(text, e),
            EventKind::Log(log) => {
                let mut line = ConsoleLine::new(
                    LineKind::Log {
                        level: log.level.clone(),
                    },
                    e,
                );
                line.text = log.text.trim_end_matches('\n').to_string();
                self.finish(line);
            }
            EventKind::Deadlock { cycle } => self.notice(
                NoticeKind::Deadlock,
                format!("Deadlock: {}", cycle.join("; ")),
                e,
            ),
            EventKind::Stall { ms, waiting } => self.notice(
                NoticeKind::Stall,
                format!("No progress for {ms} ms; waiting: {}", waiting.join(", ")),
                e,
            ),
            EventKind::Dropped { count } => self.notice(
                NoticeKind::Dropped,
                format!("{count} events were lost: the recorder's buffer was full"),
                e,
            ),
            EventKind::RunEnd { outcome } => {
                // The interpreter flushes stdout at exit: a half-written line shows.
                if let Some(p) = self.pending.take() {
                    self.finish(p);
                }
                let text = match outcome {
                    Outcome::Done => "Run finished".to_string(),
                    Outcome::Failed(why) => format!("Run failed: {why}"),
                    Outcome::Cancelled => "Run cancelled".to_string(),
                };
                self.notice(NoticeKind::RunEnd, text, e)
            }
            _ => {}
        }
    }

    fn print(&mut self, text: &str, e: &Event) {
        let mut rest = text;
        while !rest.is_empty() {
            let (piece, ended, next) = match rest.find('\n') {
                Some(i) => (&rest[..i], true, &rest[i + 1..]),
                None => (rest, false, ""),
            };
            let line = self
                .pending
                .get_or_insert_with(|| ConsoleLine::new(LineKind::Output, e));
            line.push_piece(piece, e);
            if ended {
                if let Some(done) = self.pending.take() {
                    self.finish(done);
                }
            }
            rest = next;
        }
    }

    fn notice(&mut self, kind: NoticeKind, text: String, e: &Event) {
        let mut line = ConsoleLine::new(LineKind::Notice(kind), e);
        line.text = text;
        self.finish(line);
    }

    fn index_of(&mut self, w: WorkerId) -> &mut AppendLog<u32> {
        let notices = &self.notices;
        self.by_worker.entry(w).or_insert_with(|| {
            let mut log = AppendLog::new();
            for &i in notices {
                log.push(i);
            }
            log
        })
    }

    fn finish(&mut self, line: ConsoleLine) {
        let idx = self.lines.len() as u32;
        if line.is_notice() {
            self.notices.push(idx);
            for log in self.by_worker.values_mut() {
                log.push(idx);
            }
        } else {
            for &w in &line.writers {
                self.index_of(w).push(idx);
            }
        }
        self.lines.push(line);
    }

    // ---- reading ------------------------------------------------------------------

    /// Lines shown without a filter, counting the one still being written.
    pub fn len(&self) -> usize {
        self.lines.len() + usize::from(self.pending.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Line `i` of the unfiltered console; the last may still be growing.
    pub fn line(&self, i: usize) -> Option<&ConsoleLine> {
        if i < self.lines.len() {
            self.lines.get(i)
        } else if i == self.lines.len() {
            self.pending.as_ref()
        } else {
            None
        }
    }

    /// Lines the run's own notices take (its end, deadlocks, lost events...): the rest is
    /// what the program printed or logged.
    pub fn notice_count(&self) -> usize {
        self.notices.len()
    }

    /// How many lines a filter shows.
    pub fn filtered_len(&self, filter: Filter) -> usize {
        match filter {
            Filter::All => self.len(),
            Filter::Worker(w) => {
                let done = self
                    .by_worker
                    .get(&w)
                    .map(|l| l.len())
                    .unwrap_or(self.notices.len());
                let pending = self.pending.as_ref().is_some_and(|p| p.visible_to(w));
                done + usize::from(pending)
            }
        }
    }

    /// Lines `[a, b)` of a filtered console, each with its index in the unfiltered one
    /// (which is what a click hands to the timeline). This is what a virtualised list asks.
    pub fn lines(&self, filter: Filter, a: usize, b: usize) -> Vec<(usize, &ConsoleLine)> {
        let b = b.min(self.filtered_len(filter));
        let a = a.min(b);
        let mut out = Vec::with_capacity(b - a);
        match filter {
            Filter::All => {
                for i in a..b {
                    if let Some(l) = self.line(i) {
                        out.push((i, l));
                    }
                }
            }
            Filter::Worker(w) => {
                for k in a..b {
                    let global = match self.by_worker.get(&w) {
                        Some(log) => log.get(k).map(|&i| i as usize),
                        None => self.notices.get(k).map(|&i| i as usize),
                    };
                    // Past the finished lines: the pending one, which the filter shows.
                    let global = global.unwrap_or(self.lines.len());
                    if let Some(l) = self.line(global) {
                        out.push((global, l));
                    }
                }
            }
        }
        out
    }

    /// Every line, in order.
    pub fn iter(&self) -> impl Iterator<Item = &ConsoleLine> + '_ {
        self.lines.iter().chain(self.pending.iter())
    }

    /// Lines whose pieces were written by more than one worker.
    pub fn garbled_count(&self) -> usize {
        self.iter().filter(|l| l.is_garbled()).count()
    }

    /// The console as plain text, for "copy" and the download: stdout as printed, log
    /// records as `LEVEL: text`, notices as `*** text`.
    pub fn plain_text(&self) -> String {
        let mut s = String::new();
        for l in self.iter() {
            match &l.kind {
                LineKind::Output => {}
                LineKind::Log { level } => {
                    s.push_str(level);
                    s.push_str(": ");
                }
                LineKind::Notice(_) => s.push_str("*** "),
            }
            s.push_str(&l.text);
            s.push('\n');
        }
        s
    }

    /// Like [`plain_text`](Self::plain_text), each line tagged with its writers' names
    /// (`[Thread-1+Thread-2]` for a garbled one): the CLI's output and the text
    /// alternative of the colours.
    pub fn tagged_text(&self) -> String {
        let mut s = String::new();
        for l in self.iter() {
            s.push('[');
            s.push_str(&self.writers_label(l));
            s.push_str("] ");
            if let LineKind::Log { level } = &l.kind {
                s.push_str(level);
                s.push_str(": ");
            }
            s.push_str(&l.text);
            s.push('\n');
        }
        s
    }

    /// The tag a line carries: its writer's name, or several joined by `+`.
    pub fn writers_label(&self, l: &ConsoleLine) -> String {
        l.writers
            .iter()
            .map(|&w| self.roster.worker_name(w))
            .collect::<Vec<_>>()
            .join("+")
    }
}
