//! A coarse, fixed-size summary of one timeline lane, kept up to date as spans close.
//!
//! Drawing the whole run means looking at every span of it, and a flood closes hundreds
//! of thousands of spans a second: far too many to walk on every redraw. But a window
//! that shows the whole run cannot tell apart two spans in the same pixel anyway. So
//! each lane also keeps, per span kind, a row of at most [`MAX_BUCKETS`] time buckets
//! saying which buckets any short span touched and how many started there. When the run
//! outgrows the row, buckets merge pairwise and their width doubles; merging is exact for
//! both facts. Spans at least a bucket long are few (their total length is bounded by
//! the run's) and stay in a list of their own, so they can still be drawn one by one.
//!
//! A window whose pixel columns are at least a bucket wide is drawn from this summary in
//! time proportional to the pixels and the long spans, whatever the number of events.

use super::timeline::{Span, SpanKind};

/// Buckets per row before they merge. The row is between half full and full, so a plot
/// up to half this many pixels wide always has columns at least a bucket wide.
pub const MAX_BUCKETS: usize = 4096;

/// One kind's row: which buckets a short span touched, and how many began in each.
#[derive(Clone, Debug, Default)]
pub struct Row {
    pub covered: Vec<bool>,
    pub starts: Vec<u32>,
}

impl Row {
    fn ensure(&mut self, len: usize) {
        if self.covered.len() < len {
            self.covered.resize(len, false);
            self.starts.resize(len, 0);
        }
    }

    /// Two neighbouring buckets become one: covered if either was, starts added.
    fn halve(&mut self) {
        let n = self.covered.len().div_ceil(2);
        for i in 0..n {
            let (a, b) = (2 * i, 2 * i + 1);
            self.covered[i] = self.covered[a] || self.covered.get(b).copied().unwrap_or(false);
            self.starts[i] = self.starts[a] + self.starts.get(b).copied().unwrap_or(0);
        }
        self.covered.truncate(n);
        self.starts.truncate(n);
    }
}

#[derive(Clone, Debug)]
pub struct Overview {
    /// Bucket width in µs: a power of two, growing as the run does.
    res_us: u64,
    rows: [Option<Box<Row>>; SpanKind::ALL.len()],
    /// Closed spans at least one bucket long, in close order.
    long: Vec<Span>,
    /// Markers per bucket.
    marks: Vec<u32>,
}

impl Default for Overview {
    fn default() -> Self {
        Overview {
            res_us: 1,
            rows: Default::default(),
            long: Vec::new(),
            marks: Vec::new(),
        }
    }
}

impl Overview {
    pub fn res_us(&self) -> u64 {
        self.res_us
    }

    pub fn row(&self, kind: SpanKind) -> Option<&Row> {
        self.rows[kind as usize].as_deref()
    }

    pub fn long_spans(&self) -> &[Span] {
        &self.long
    }

    pub fn marks(&self) -> &[u32] {
        &self.marks
    }

    /// Widen the buckets until time `t` falls inside the row.
    fn reach(&mut self, t: u64) {
        while t / self.res_us >= MAX_BUCKETS as u64 {
            self.res_us *= 2;
            for row in self.rows.iter_mut().flatten() {
                row.halve();
            }
            let n = self.marks.len().div_ceil(2);
            for i in 0..n {
                self.marks[i] = self.marks[2 * i] + self.marks.get(2 * i + 1).copied().unwrap_or(0);
            }
            self.marks.truncate(n);
            // Spans that are now shorter than a bucket join the rows.
            let res = self.res_us;
            let (short, long): (Vec<Span>, Vec<Span>) = std::mem::take(&mut self.long)
                .into_iter()
                .partition(|s| s.duration_us() < res);
            self.long = long;
            for s in &short {
                self.add_short(s);
            }
        }
    }

    fn add_short(&mut self, s: &Span) {
        let (a, b) = (
            (s.start_us / self.res_us) as usize,
            (s.end_us / self.res_us) as usize,
        );
        let row = self.rows[s.kind as usize].get_or_insert_with(Default::default);
        row.ensure(b + 1);
        row.starts[a] += 1;
        for c in &mut row.covered[a..=b] {
            *c = true;
        }
    }

    pub fn add_span(&mut self, s: &Span) {
        self.reach(s.end_us.max(s.start_us));
        if s.duration_us() >= self.res_us {
            self.long.push(*s);
        } else {
            self.add_short(s);
        }
    }

    pub fn add_marker(&mut self, t_us: u64) {
        self.reach(t_us);
        let i = (t_us / self.res_us) as usize;
        if self.marks.len() <= i {
            self.marks.resize(i + 1, 0);
        }
        self.marks[i] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(kind: SpanKind, a: u64, b: u64) -> Span {
        Span {
            kind,
            object: None,
            task: None,
            start_us: a,
            end_us: b,
            start_seq: 0,
            end_seq: Some(1),
        }
    }

    #[test]
    fn merging_keeps_coverage_and_start_counts_exact() {
        let mut o = Overview::default();
        // 10k short spans of 3 µs every 10 µs: the row must widen many times.
        for i in 0..10_000u64 {
            o.add_span(&span(SpanKind::LockWait, i * 10, i * 10 + 3));
        }
        let row = o.row(SpanKind::LockWait).expect("row");
        assert!(o.res_us() >= 16, "res {}", o.res_us());
        assert!(row.covered.len() <= MAX_BUCKETS);
        assert_eq!(row.starts.iter().map(|&n| n as u64).sum::<u64>(), 10_000);
        assert!(row.covered.iter().all(|&c| c), "every bucket has a span");
        assert!(o.long_spans().is_empty());
    }

    #[test]
    fn long_spans_stay_listed_until_the_buckets_outgrow_them() {
        let mut o = Overview::default();
        o.add_span(&span(SpanKind::Task, 0, 500));
        assert_eq!(o.long_spans().len(), 1);
        // Push the row far enough that 500 µs is under one bucket.
        o.add_marker(500 * MAX_BUCKETS as u64);
        assert!(o.res_us() > 500);
        assert!(o.long_spans().is_empty());
        let row = o.row(SpanKind::Task).expect("moved into the row");
        assert_eq!(row.starts[0], 1);
        assert_eq!(o.marks().iter().sum::<u32>(), 1);
    }
}
