//! An append-only log whose clones share everything but the last, unfinished chunk.
//!
//! Views grow by appending (console lines, closed spans, series points). Storing them in
//! fixed-size chunks behind `Arc` makes cloning a view cost O(len / CHUNK + CHUNK)
//! instead of O(len), so the replay can keep a checkpoint every few thousand events
//! without copying a 100k-line console each time.

use std::sync::Arc;

/// Elements per shared chunk: small enough that cloning the tail is cheap, large enough
/// that the chunk index stays short.
pub const CHUNK: usize = 256;

#[derive(Clone, Debug)]
pub struct AppendLog<T> {
    frozen: Vec<Arc<[T]>>,
    tail: Vec<T>,
}

impl<T> Default for AppendLog<T> {
    fn default() -> Self {
        AppendLog {
            frozen: Vec::new(),
            tail: Vec::new(),
        }
    }
}

impl<T> AppendLog<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.frozen.len() * CHUNK + self.tail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frozen.is_empty() && self.tail.is_empty()
    }

    pub fn push(&mut self, value: T) {
        if self.tail.len() == CHUNK {
            let full = std::mem::replace(&mut self.tail, Vec::with_capacity(CHUNK));
            self.frozen.push(Arc::from(full));
        }
        self.tail.push(value);
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        let chunk = i / CHUNK;
        if chunk < self.frozen.len() {
            self.frozen[chunk].get(i % CHUNK)
        } else {
            self.tail.get(i - self.frozen.len() * CHUNK)
        }
    }

    pub fn last(&self) -> Option<&T> {
        match self.tail.last() {
            Some(v) => Some(v),
            None => self.frozen.last().and_then(|c| c.last()),
        }
    }

    /// The last element, if it is still mutable. After a push it always is: a chunk is
    /// frozen only when the next element arrives.
    pub fn last_mut(&mut self) -> Option<&mut T> {
        self.tail.last_mut()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.frozen
            .iter()
            .flat_map(|c| c.iter())
            .chain(self.tail.iter())
    }

    /// Elements `[a, b)`, clamped to the log's length.
    pub fn range(&self, a: usize, b: usize) -> impl Iterator<Item = &T> + '_ {
        let b = b.min(self.len());
        let a = a.min(b);
        (a..b).filter_map(move |i| self.get(i))
    }

    /// The first index whose element fails `pred`, assuming `pred` holds for a prefix
    /// (as `slice::partition_point`).
    pub fn partition_point(&self, mut pred: impl FnMut(&T) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid) {
                Some(v) if pred(v) => lo = mid + 1,
                _ => hi = mid,
            }
        }
        lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_frozen_chunks_and_diverge_after() {
        let mut a = AppendLog::new();
        for i in 0..(CHUNK * 3 + 5) {
            a.push(i);
        }
        let mut b = a.clone();
        b.push(99_999);
        assert_eq!(a.len(), CHUNK * 3 + 5);
        assert_eq!(b.len(), CHUNK * 3 + 6);
        assert!(Arc::ptr_eq(&a.frozen[0], &b.frozen[0]));
        assert_eq!(a.get(CHUNK * 2 + 7), Some(&(CHUNK * 2 + 7)));
        assert_eq!(b.last(), Some(&99_999));
        assert_eq!(a.iter().count(), a.len());
        assert_eq!(
            a.range(CHUNK - 1, CHUNK + 1).copied().collect::<Vec<_>>(),
            vec![CHUNK - 1, CHUNK]
        );
        assert_eq!(a.partition_point(|&v| v < 700), 700);
    }
}
