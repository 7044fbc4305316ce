//! What one timeline lane looks like in a window of time at a given pixel width: the
//! spans wide enough to draw one by one, the narrow ones pooled per pixel column, and at
//! most one marker per column. The widget only turns this into SVG.
//!
//! Two ways to get there, chosen per lane by how much time a pixel column covers:
//! - zoomed in (a column is narrower than the lane's [`Overview`] bucket): walk the spans
//!   and markers inside the window, exactly;
//! - zoomed out (the whole run, say): read the overview's buckets and its few long spans.
//!   The cost is then bounded by the plot's width, not by the number of events, which is
//!   what keeps redraws short while a flood is coming in.
//!
//! Both give the same spans drawn one by one and the same covered columns, give or take
//! the column a bucket straddles.
//!
//! [`Overview`]: super::overview::Overview

use super::timeline::{Lane, Marker, Span, SpanKind, Timeline};
use crate::engine::trace::WorkerId;

/// The window and the pixels it is drawn on.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub t0: f64,
    pub t1: f64,
    /// Plot width in pixels.
    pub plot_w: f64,
    /// Spans at least this many pixels wide are drawn one by one...
    pub wide_px: f64,
    /// ...up to this many per lane; the rest are pooled.
    pub max_wide: usize,
}

impl Frame {
    pub fn cols(&self) -> usize {
        self.plot_w.max(0.0).ceil() as usize + 1
    }

    /// Pixels from the plot's left edge (unclamped).
    pub fn px(&self, t: f64) -> f64 {
        (t - self.t0) / (self.t1 - self.t0).max(1e-9) * self.plot_w
    }

    fn clamp_px(&self, px: f64) -> f64 {
        px.clamp(0.0, self.plot_w)
    }

    fn col(&self, px: f64) -> usize {
        (self.clamp_px(px) as usize).min(self.cols() - 1)
    }

    /// Time one pixel column covers.
    pub fn col_us(&self) -> f64 {
        (self.t1 - self.t0).max(1e-9) / self.plot_w.max(1.0)
    }
}

/// Narrow spans of one kind, per pixel column.
#[derive(Clone, Debug, PartialEq)]
pub struct Pooled {
    pub kind: SpanKind,
    /// Some narrow span of this kind touches the column.
    pub covered: Vec<bool>,
    /// Narrow spans of this kind that start in the column (or before the window, in
    /// column 0).
    pub starts: Vec<u32>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LanePicture {
    /// Drawn one by one, open spans drawn to "now".
    pub wide: Vec<Span>,
    pub pooled: Vec<Pooled>,
    /// Markers per pixel column.
    pub marks_per_col: Vec<u32>,
    /// One per stretch of neighbouring columns with markers: (its first column, a marker
    /// in that column). A flood makes one long stretch, so it costs one element to draw.
    pub ticks: Vec<(usize, Marker)>,
    /// Drawn from the overview rather than the spans themselves.
    pub from_overview: bool,
}

impl LanePicture {
    /// The index of `kind`'s pooled columns, made on first use.
    fn pool(&mut self, f: &Frame, kind: SpanKind) -> usize {
        match self.pooled.iter().position(|p| p.kind == kind) {
            Some(i) => i,
            None => {
                self.pooled.push(Pooled {
                    kind,
                    covered: vec![false; f.cols()],
                    starts: vec![0; f.cols()],
                });
                self.pooled.len() - 1
            }
        }
    }

    /// One span, from either path: drawn alone if wide enough, pooled otherwise.
    fn add_span(&mut self, f: &Frame, s: Span) {
        if s.start_us as f64 > f.t1 || (s.end_us as f64) < f.t0 {
            return;
        }
        let x0 = f.clamp_px(f.px(s.start_us as f64));
        let x1 = f.clamp_px(f.px(s.end_us as f64));
        if x1 - x0 >= f.wide_px && self.wide.len() < f.max_wide {
            self.wide.push(s);
        } else {
            let (a, b) = (f.col(x0), f.col(x1));
            let i = self.pool(f, s.kind);
            let p = &mut self.pooled[i];
            p.starts[a] += 1;
            for c in &mut p.covered[a..=b.max(a)] {
                *c = true;
            }
        }
    }
}

impl Timeline {
    /// How `w`'s lane looks in `f`, by whichever path is cheaper and still faithful.
    pub fn picture(&self, w: WorkerId, f: &Frame) -> LanePicture {
        let coarse_ok = self
            .lane(w)
            .is_some_and(|l| f.col_us() >= l.overview().res_us() as f64);
        self.picture_with(w, f, coarse_ok)
    }

    /// The picture by the chosen path. The overview path is only faithful when a column
    /// is at least one bucket wide; [`Timeline::picture`] checks that.
    pub fn picture_with(&self, w: WorkerId, f: &Frame, from_overview: bool) -> LanePicture {
        let Some(lane) = self.lane(w) else {
            return LanePicture::default();
        };
        let mut pic = LanePicture {
            from_overview,
            ..Default::default()
        };
        let (t0, t1) = (f.t0.max(0.0) as u64, f.t1.max(0.0).ceil() as u64);
        if from_overview {
            self.overview_spans(lane, f, &mut pic);
        } else {
            for s in self.spans_in(w, t0, t1) {
                pic.add_span(f, s);
            }
        }
        pic.marks_per_col = vec![0; f.cols()];
        if from_overview {
            let res = lane.overview().res_us();
            for (i, &n) in lane.overview().marks().iter().enumerate() {
                let (a, b) = (i as u64 * res, (i as u64 + 1) * res - 1);
                if n > 0 && b >= t0 && a <= t1 {
                    pic.marks_per_col[f.col(f.px(a.max(t0) as f64))] += n;
                }
            }
        } else {
            for m in self.markers_in(w, t0, t1) {
                pic.marks_per_col[f.col(f.px(m.t_us as f64))] += 1;
            }
        }
        // One tick per stretch of marked columns, carrying the stretch's first marker.
        let col_start = |c: usize| f.t0 + c as f64 * f.col_us();
        for c in 0..f.cols() {
            let starts_stretch =
                pic.marks_per_col[c] > 0 && (c == 0 || pic.marks_per_col[c - 1] == 0);
            if !starts_stretch {
                continue;
            }
            let a = col_start(c).max(0.0).floor() as u64;
            let b = col_start(c + 1).max(0.0).ceil() as u64;
            let (a, b) = (a.max(t0), b.min(t1));
            // The overview puts a bucket's markers in the bucket's first column, so the
            // marker may sit up to a bucket later.
            let slack = if from_overview {
                lane.overview().res_us()
            } else {
                0
            };
            if let Some(m) = first_marker(lane, a.saturating_sub(slack), b.saturating_add(slack)) {
                pic.ticks.push((c, m));
            }
        }
        pic
    }

    fn overview_spans(&self, lane: &Lane, f: &Frame, pic: &mut LanePicture) {
        let now = self.now_us();
        for s in lane.overview().long_spans() {
            pic.add_span(f, *s);
        }
        for s in lane.open_spans() {
            pic.add_span(
                f,
                Span {
                    end_us: now.max(s.start_us),
                    ..*s
                },
            );
        }
        let res = lane.overview().res_us();
        for kind in SpanKind::ALL {
            let Some(row) = lane.overview().row(kind) else {
                continue;
            };
            let mut pooled: Option<usize> = None;
            for (i, &covered) in row.covered.iter().enumerate() {
                let (a, b) = (i as u64 * res, (i as u64 + 1) * res - 1);
                if !covered || (b as f64) < f.t0 || a as f64 > f.t1 {
                    continue;
                }
                let (ca, cb) = (f.col(f.px(a as f64)), f.col(f.px(b as f64)));
                let idx = *pooled.get_or_insert_with(|| pic.pool(f, kind));
                let p = &mut pic.pooled[idx];
                p.starts[ca] += row.starts[i];
                for c in &mut p.covered[ca..=cb.max(ca)] {
                    *c = true;
                }
            }
        }
    }
}

/// The first marker of `lane` with a time in `[a, b]`.
fn first_marker(lane: &Lane, a: u64, b: u64) -> Option<Marker> {
    let d = lane.marker_disorder();
    let markers = lane.markers();
    let lo = a.saturating_sub(d);
    let first = markers.partition_point(|m| m.t_us < lo);
    let hi = b.saturating_add(d);
    (first..markers.len())
        .map_while(|i| markers.get(i).filter(|m| m.t_us <= hi))
        .find(|m| m.t_us >= a && m.t_us <= b)
        .copied()
}
