//! The workloads lessons run: CPU-bound kernels sized by a knob, a real I/O-like wait, and a
//! file-I/O-like round trip of a buffer through a [`FileStore`].
//!
//! CPU kernels advance in small steps ([`Kernel`]) so the GIL model can switch between
//! them and cancellation lands between steps; run them with [`crate::engine::gil::run_cpu`]
//! or [`Gil::run`].

use super::error::{EngineError, EngineResult};
use super::gil::{Gil, Kernel};
use super::run::RunCtx;
use super::trace::EventKind;
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Mutex;
use std::time::Duration;

/// The factorial size that takes roughly 100-300 ms natively in an optimized build.
pub const DEFAULT_FACTORIAL_N: u32 = 20_000;

/// About how many limb multiplications one step does: well under a millisecond.
const FACTORIAL_STEP_BUDGET: usize = 40_000;

/// `n!` as a big number (base-2^32 limbs), the lesson's `math.factorial`.
pub struct Factorial {
    n: u32,
    next: u32,
    limbs: Vec<u32>,
}

/// What a factorial leaves behind: its size, so results stay small to pass around.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FactorialSize {
    pub n: u32,
    pub bits: u64,
    /// The low 32 bits of the last non-zero limb, a cheap fingerprint for checks.
    pub top_limb: u32,
}

impl Factorial {
    pub fn new(n: u32) -> Self {
        Factorial {
            n: n.min(u32::MAX - 1),
            next: 2,
            limbs: vec![1],
        }
    }

    /// The limbs so far, least significant first (for tests against small factorials).
    pub fn limbs(&self) -> &[u32] {
        &self.limbs
    }
}

/// `limbs *= m`, in place.
fn mul_small(limbs: &mut Vec<u32>, m: u32) {
    let mut carry: u64 = 0;
    for limb in limbs.iter_mut() {
        let v = (*limb as u64) * (m as u64) + carry;
        *limb = v as u32;
        carry = v >> 32;
    }
    if carry > 0 {
        limbs.push(carry as u32);
    }
}

impl Kernel for Factorial {
    type Output = FactorialSize;

    fn step(&mut self) -> Option<FactorialSize> {
        let mut budget = FACTORIAL_STEP_BUDGET;
        while self.next <= self.n {
            // Pack several small factors into one u32 multiplier: half the passes.
            let mut m: u64 = 1;
            while self.next <= self.n && m * (self.next as u64) <= u32::MAX as u64 {
                m *= self.next as u64;
                self.next += 1;
            }
            mul_small(&mut self.limbs, m as u32);
            budget = budget.saturating_sub(self.limbs.len());
            if budget == 0 {
                return None;
            }
        }
        let top = self.limbs.last().copied().unwrap_or(0);
        let bits = (self.limbs.len() as u64 - 1) * 32 + (32 - top.leading_zeros() as u64);
        Some(FactorialSize {
            n: self.n,
            bits,
            top_limb: top,
        })
    }
}

/// `sum(i*i for i in range(n))`, wrapping on overflow.
pub struct SumSquares {
    n: u64,
    i: u64,
    acc: u64,
}

impl SumSquares {
    pub fn new(n: u64) -> Self {
        SumSquares { n, i: 0, acc: 0 }
    }
}

impl Kernel for SumSquares {
    type Output = u64;

    fn step(&mut self) -> Option<u64> {
        let end = (self.i + 100_000).min(self.n);
        // The stride (always 1) is hidden from the compiler, once per step: without a known
        // trip count it can neither replace the loop by a closed form nor vectorise it, so
        // wasm and native run the same scalar loop. Hiding `i` on every iteration instead
        // forced a store and a load per iteration, which cost wasm far more than native.
        let stride = black_box(1u64);
        let (mut i, mut acc) = (self.i, self.acc);
        while i < end {
            acc = acc.wrapping_add(i.wrapping_mul(i));
            i += stride;
        }
        self.i = i;
        self.acc = acc;
        (self.i >= self.n).then_some(self.acc)
    }
}

/// How many primes are below `limit`, by trial division (deliberately CPU-heavy).
pub struct PrimeCount {
    limit: u64,
    next: u64,
    count: u64,
}

impl PrimeCount {
    pub fn new(limit: u64) -> Self {
        PrimeCount {
            limit,
            next: 2,
            count: 0,
        }
    }
}

fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    if n.is_multiple_of(2) {
        return n == 2;
    }
    let mut d = 3;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 2;
    }
    true
}

impl Kernel for PrimeCount {
    type Output = u64;

    fn step(&mut self) -> Option<u64> {
        let end = (self.next + 2_000).min(self.limit);
        while self.next < end {
            if is_prime(self.next) {
                self.count += 1;
            }
            self.next += 1;
        }
        (self.next >= self.limit).then_some(self.count)
    }
}

/// The `square` task of the pool timing experiment: deliberately tiny.
pub fn square(x: u64) -> u64 {
    x.wrapping_mul(x)
}

/// A real wait standing for I/O (`time.sleep`, a network call). It releases the GIL while
/// waiting, so I/O-bound threads overlap even with the GIL on. Cancellable.
pub fn io_wait(ctx: &RunCtx, gil: Option<&Gil>, d: Duration) -> EngineResult<()> {
    ctx.emit(
        None,
        EventKind::SleepStart {
            ms: d.as_millis() as u64,
        },
    );
    let waited = match gil {
        Some(g) => g.allow_threads(|| ctx.sleep(d)),
        None => ctx.sleep(d),
    };
    ctx.emit(None, EventKind::SleepEnd);
    ctx.progress();
    waited
}

/// Somewhere to write files. The engine has an in-memory one and, natively, a temp-dir
/// one; the browser runtime adds one on the origin-private file system.
pub trait FileStore: Send + Sync {
    /// Shown to the learner: which store the round trip used.
    fn name(&self) -> &'static str;
    fn write(&self, path: &str, data: &[u8]) -> EngineResult<()>;
    fn read(&self, path: &str) -> EngineResult<Vec<u8>>;
    fn remove(&self, path: &str) -> EngineResult<()>;
    /// For a store that may put some files in real storage and others in memory (the
    /// browser's OPFS store falls back to memory on a thread without a scratch file): how
    /// many writes went where so far. Stores that always use one place report `None`.
    fn tally(&self) -> Option<StoreTally> {
        None
    }
}

/// Where a mixing store's writes went, counted by the store, so the lesson can say it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreTally {
    /// Writes that reached real storage.
    pub stored: u64,
    /// Writes that stayed in memory.
    pub in_memory: u64,
}

/// Files kept in memory: always available, measures copying rather than a disk.
#[derive(Default)]
pub struct MemStore {
    files: Mutex<HashMap<String, Vec<u8>>>,
}

impl FileStore for MemStore {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn write(&self, path: &str, data: &[u8]) -> EngineResult<()> {
        super::liveness::lock(&self.files).insert(path.to_string(), data.to_vec());
        Ok(())
    }

    fn read(&self, path: &str) -> EngineResult<Vec<u8>> {
        super::liveness::lock(&self.files)
            .get(path)
            .cloned()
            .ok_or_else(|| EngineError::Task(format!("FileNotFoundError: {path}")))
    }

    fn remove(&self, path: &str) -> EngineResult<()> {
        super::liveness::lock(&self.files).remove(path);
        Ok(())
    }
}

/// Real files in a fresh directory under the system's temp dir (native only). The
/// directory is removed when the store is dropped.
#[cfg(not(target_arch = "wasm32"))]
pub struct TempDirStore {
    dir: std::path::PathBuf,
}

#[cfg(not(target_arch = "wasm32"))]
impl TempDirStore {
    pub fn new() -> EngineResult<Self> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "concurrency-playground-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).map_err(io_error)?;
        Ok(TempDirStore { dir })
    }

    fn path(&self, name: &str) -> EngineResult<std::path::PathBuf> {
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(EngineError::Invalid(format!(
                "a file name must be a plain name, not {name:?}"
            )));
        }
        Ok(self.dir.join(name))
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn io_error(e: std::io::Error) -> EngineError {
    EngineError::Task(format!("OSError: {e}"))
}

#[cfg(not(target_arch = "wasm32"))]
impl FileStore for TempDirStore {
    fn name(&self) -> &'static str {
        "temp-dir"
    }

    fn write(&self, path: &str, data: &[u8]) -> EngineResult<()> {
        std::fs::write(self.path(path)?, data).map_err(io_error)
    }

    fn read(&self, path: &str) -> EngineResult<Vec<u8>> {
        std::fs::read(self.path(path)?).map_err(io_error)
    }

    fn remove(&self, path: &str) -> EngineResult<()> {
        std::fs::remove_file(self.path(path)?).map_err(io_error)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Drop for TempDirStore {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The size of one file in the pool timing experiment (about 600 KB).
pub const FILE_BYTES: usize = 600 * 1024;

/// What a file round trip did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileReport {
    pub store: String,
    pub bytes: usize,
}

/// Write `bytes` bytes to `name`, read them back, check them, delete the file: the
/// `fileio` task of the pool timing experiment. The wait happens without the GIL (file
/// I/O releases it in CPython).
pub fn file_roundtrip(
    ctx: &RunCtx,
    gil: Option<&Gil>,
    store: &dyn FileStore,
    name: &str,
    bytes: usize,
) -> EngineResult<FileReport> {
    ctx.check()?;
    let data: Vec<u8> = (0..bytes).map(|i| (i % 251) as u8).collect();
    let io = || -> EngineResult<Vec<u8>> {
        store.write(name, &data)?;
        let back = store.read(name)?;
        store.remove(name)?;
        Ok(back)
    };
    let back = match gil {
        Some(g) => g.allow_threads(io)?,
        None => io()?,
    };
    if back != data {
        return Err(EngineError::Task(format!(
            "the file {name} came back different ({} bytes instead of {bytes})",
            back.len()
        )));
    }
    ctx.progress();
    Ok(FileReport {
        store: store.name().to_string(),
        bytes: back.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finish<K: Kernel>(mut k: K) -> K::Output {
        loop {
            if let Some(o) = k.step() {
                return o;
            }
        }
    }

    #[test]
    fn small_factorials_are_exact() {
        let mut k = Factorial::new(20);
        while k.step().is_none() {}
        let v = k.limbs()[0] as u128 | (k.limbs().get(1).copied().unwrap_or(0) as u128) << 32;
        assert_eq!(v, 2_432_902_008_176_640_000);
        // log2(1000!) is about 8529.4
        assert_eq!(finish(Factorial::new(1000)).bits, 8530);
    }

    #[test]
    fn sums_and_primes() {
        assert_eq!(finish(SumSquares::new(1000)), 332_833_500);
        assert_eq!(finish(PrimeCount::new(100)), 25);
        assert_eq!(finish(PrimeCount::new(10_000)), 1229);
    }

    #[test]
    fn mem_store_round_trip() {
        let ctx = RunCtx::new();
        let r = file_roundtrip(&ctx, None, &MemStore::default(), "a", FILE_BYTES).unwrap();
        assert_eq!(r.store, "memory");
        assert_eq!(r.bytes, FILE_BYTES);
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn temp_dir_store_round_trip_and_refuses_paths() {
        let ctx = RunCtx::new();
        let s = TempDirStore::new().unwrap();
        let r = file_roundtrip(&ctx, None, &s, "f1", 1000).unwrap();
        assert_eq!(r.store, "temp-dir");
        assert!(s.write("../x", b"no").is_err());
    }
}
