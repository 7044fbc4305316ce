//! `multiprocessing.Value` and `Array`: shared memory, each with its own lock.
//!
//! As in Python (`Value('i', 0)` gets an `RLock` by default), [`get_lock`](Value::get_lock)
//! returns a reentrant lock, so `with v.get_lock(): v.value += 1` can be written as
//! `let _g = v.get_lock().lock()?; v.set(v.get()? + 1)?;`.
//!
//! The lost-update lesson needs a read-modify-write that really races. `unlocked_add` does a
//! plain load, yields the CPU, then a plain store: another worker's increments that land in
//! between are overwritten, exactly as `v.value += 1` loses them without the lock. The
//! cells are atomics with separate load and store, so this is a logic race, not undefined
//! behaviour.

use super::rlock::RLock;
use super::{new_id, register};
use crate::engine::liveness::{Inspect, ObjectState};
use crate::engine::run::RunCtx;
use crate::engine::trace::{EventKind, ObjectId, ObjectKind};
use crate::engine::{EngineError, EngineResult};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A plain value that fits in 64 bits, like a ctypes type code (`'i'`, `'d'`, ...).
pub trait Scalar: Copy + Send + Sync + PartialEq + std::fmt::Debug + 'static {
    fn to_bits(self) -> u64;
    fn from_bits(bits: u64) -> Self;
    /// `self + other`, wrapping for integers (ctypes integers wrap too).
    fn plus(self, other: Self) -> Self;
    /// For the counter plotted in the timeline.
    fn as_i64(self) -> i64;
}

macro_rules! int_scalar {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            fn to_bits(self) -> u64 { self as u64 }
            fn from_bits(bits: u64) -> Self { bits as $t }
            fn plus(self, other: Self) -> Self { self.wrapping_add(other) }
            fn as_i64(self) -> i64 { self as i64 }
        }
    )*};
}
int_scalar!(i8, i16, i32, i64, u8, u16, u32, u64);

impl Scalar for f64 {
    fn to_bits(self) -> u64 {
        f64::to_bits(self)
    }
    fn from_bits(bits: u64) -> Self {
        f64::from_bits(bits)
    }
    fn plus(self, other: Self) -> Self {
        self + other
    }
    fn as_i64(self) -> i64 {
        self as i64
    }
}

impl Scalar for f32 {
    fn to_bits(self) -> u64 {
        f32::to_bits(self) as u64
    }
    fn from_bits(bits: u64) -> Self {
        f32::from_bits(bits as u32)
    }
    fn plus(self, other: Self) -> Self {
        self + other
    }
    fn as_i64(self) -> i64 {
        self as i64
    }
}

impl Scalar for bool {
    fn to_bits(self) -> u64 {
        self as u64
    }
    fn from_bits(bits: u64) -> Self {
        bits != 0
    }
    fn plus(self, other: Self) -> Self {
        self || other
    }
    fn as_i64(self) -> i64 {
        self as i64
    }
}

/// Python's `time.sleep(0)` between a read and its write: give the CPU away for a
/// moment, so another worker can run in between. `yield_now` does nothing on wasm32,
/// where the workers run truly in parallel on Web Workers, so a short spin keeps the window
/// open there too. wasm has no pause instruction (`spin_loop` compiles to nothing), so
/// there the spin is a busy loop of about the same length, a microsecond or so; without
/// it a worker's few thousand updates end before the next worker even wakes.
pub fn race_window() {
    std::thread::yield_now();
    #[cfg(target_arch = "wasm32")]
    for i in 0..400u32 {
        std::hint::black_box(i);
    }
    #[cfg(not(target_arch = "wasm32"))]
    for _ in 0..16 {
        std::hint::spin_loop();
    }
}

/// The racy read-modify-write shared by `Value` and `Array`: load, let others run, store.
fn racy_add<T: Scalar>(cell: &AtomicU64, delta: T) -> T {
    let old = T::from_bits(cell.load(Ordering::Relaxed));
    // The window where a lost update happens: the thread may be switched out here while
    // others increment, and its store below then overwrites their work.
    race_window();
    let new = old.plus(delta);
    cell.store(new.to_bits(), Ordering::Relaxed);
    new
}

pub struct Value<T: Scalar> {
    ctx: Arc<RunCtx>,
    id: ObjectId,
    name: String,
    cell: AtomicU64,
    lock: Arc<RLock>,
    _t: PhantomData<T>,
}

impl<T: Scalar> Value<T> {
    pub fn new(ctx: &Arc<RunCtx>, name: &str, initial: T) -> Arc<Value<T>> {
        let id = new_id(ctx, name, ObjectKind::Value);
        let lock = RLock::new(ctx, &format!("{name}.lock"));
        let v = Arc::new(Value {
            ctx: ctx.clone(),
            id,
            name: name.to_string(),
            cell: AtomicU64::new(initial.to_bits()),
            lock,
            _t: PhantomData,
        });
        register(ctx, &v);
        // The starting value is part of the trace, so the state panel has it before the
        // first write.
        v.store(initial);
        v
    }

    pub fn id(&self) -> ObjectId {
        self.id
    }

    /// Python's `get_lock()`.
    pub fn get_lock(&self) -> &Arc<RLock> {
        &self.lock
    }

    /// `v.value` read under the lock.
    pub fn get(&self) -> EngineResult<T> {
        let _g = self.lock.lock()?;
        Ok(self.load())
    }

    /// `v.value = x` under the lock.
    pub fn set(&self, x: T) -> EngineResult<()> {
        let _g = self.lock.lock()?;
        self.store(x);
        Ok(())
    }

    /// `with v.get_lock(): v.value += delta` — never loses an update.
    pub fn add(&self, delta: T) -> EngineResult<T> {
        let _g = self.lock.lock()?;
        let new = self.load().plus(delta);
        self.store(new);
        Ok(new)
    }

    /// `v.value += delta` without the lock: may lose other workers' updates (on purpose).
    pub fn unlocked_add(&self, delta: T) -> EngineResult<T> {
        self.ctx.sync_point()?;
        let new = racy_add(&self.cell, delta);
        self.ctx.progress();
        Ok(new)
    }

    /// Read without the lock and without a trace event (for results after workers joined).
    pub fn load(&self) -> T {
        T::from_bits(self.cell.load(Ordering::Relaxed))
    }

    fn store(&self, x: T) {
        self.cell.store(x.to_bits(), Ordering::Relaxed);
        self.ctx.emit(
            Some(self.id),
            EventKind::Counter {
                name: "value".into(),
                value: x.as_i64(),
            },
        );
        self.ctx.progress();
    }
}

impl<T: Scalar> Inspect for Value<T> {
    fn snapshot(&self) -> ObjectState {
        ObjectState {
            id: self.id,
            name: self.name.clone(),
            kind: Some(ObjectKind::Value),
            holders: Vec::new(),
            waiters: Vec::new(),
            timed_waiters: Vec::new(),
            value: Some(self.load().as_i64()),
        }
    }
}

pub struct Array<T: Scalar> {
    ctx: Arc<RunCtx>,
    id: ObjectId,
    name: String,
    cells: Vec<AtomicU64>,
    lock: Arc<RLock>,
    _t: PhantomData<T>,
}

impl<T: Scalar> Array<T> {
    /// `Array(typecode, initial)`.
    pub fn new(ctx: &Arc<RunCtx>, name: &str, initial: &[T]) -> Arc<Array<T>> {
        let id = new_id(ctx, name, ObjectKind::Array);
        let lock = RLock::new(ctx, &format!("{name}.lock"));
        let a = Arc::new(Array {
            ctx: ctx.clone(),
            id,
            name: name.to_string(),
            cells: initial
                .iter()
                .map(|x| AtomicU64::new(x.to_bits()))
                .collect(),
            lock,
            _t: PhantomData,
        });
        register(ctx, &a);
        for (i, &x) in initial.iter().enumerate() {
            a.changed(i, x);
        }
        a
    }

    pub fn id(&self) -> ObjectId {
        self.id
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    pub fn get_lock(&self) -> &Arc<RLock> {
        &self.lock
    }

    fn cell(&self, i: usize) -> EngineResult<&AtomicU64> {
        self.cells.get(i).ok_or_else(|| {
            EngineError::Invalid(format!(
                "IndexError: index {i} out of range for array {} of length {}",
                self.name,
                self.cells.len()
            ))
        })
    }

    /// `a[i]` under the lock.
    pub fn get(&self, i: usize) -> EngineResult<T> {
        let cell = self.cell(i)?;
        let _g = self.lock.lock()?;
        Ok(T::from_bits(cell.load(Ordering::Relaxed)))
    }

    /// `a[i] = x` under the lock.
    pub fn set(&self, i: usize, x: T) -> EngineResult<()> {
        let cell = self.cell(i)?;
        let _g = self.lock.lock()?;
        cell.store(x.to_bits(), Ordering::Relaxed);
        self.changed(i, x);
        Ok(())
    }

    /// `with a.get_lock(): a[i] += delta`.
    pub fn add(&self, i: usize, delta: T) -> EngineResult<T> {
        let cell = self.cell(i)?;
        let _g = self.lock.lock()?;
        let new = T::from_bits(cell.load(Ordering::Relaxed)).plus(delta);
        cell.store(new.to_bits(), Ordering::Relaxed);
        self.changed(i, new);
        Ok(new)
    }

    /// `a[i] += delta` without the lock: may lose updates (on purpose).
    pub fn unlocked_add(&self, i: usize, delta: T) -> EngineResult<T> {
        let cell = self.cell(i)?;
        self.ctx.sync_point()?;
        let new = racy_add(cell, delta);
        self.ctx.progress();
        Ok(new)
    }

    /// `a[:]` under the lock.
    pub fn to_vec(&self) -> EngineResult<Vec<T>> {
        let _g = self.lock.lock()?;
        Ok(self.load_all())
    }

    /// Read everything without the lock or a trace event.
    pub fn load_all(&self) -> Vec<T> {
        self.cells
            .iter()
            .map(|c| T::from_bits(c.load(Ordering::Relaxed)))
            .collect()
    }

    fn changed(&self, i: usize, x: T) {
        self.ctx.emit(
            Some(self.id),
            EventKind::Counter {
                name: format!("[{i}]"),
                value: x.as_i64(),
            },
        );
        self.ctx.progress();
    }
}

impl<T: Scalar> Inspect for Array<T> {
    fn snapshot(&self) -> ObjectState {
        ObjectState {
            id: self.id,
            name: self.name.clone(),
            kind: Some(ObjectKind::Array),
            holders: Vec::new(),
            waiters: Vec::new(),
            timed_waiters: Vec::new(),
            value: Some(self.cells.len() as i64),
        }
    }
}
