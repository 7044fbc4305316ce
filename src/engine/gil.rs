//! A model of CPython's global interpreter lock, not CPython itself.
//!
//! What it reproduces: a thread-flavoured worker must hold the one GIL of the run to do CPU
//! work; it holds it while it computes, and when it has held it for the switch interval
//! (5 ms by default, like `sys.getswitchinterval()`) *and* another worker is waiting, it
//! hands it over: CPython's forced switch. Waiters are served first come, first served, so
//! threads take turns. Waiting (sleep, I/O) happens without the GIL: [`Gil::allow_threads`]
//! releases it around a wait, as C extensions and blocking calls do in CPython.
//!
//! What it leaves out: bytecode-level switching (CPU work is cut into the slices of a
//! [`Kernel`] instead), the convoy effect of I/O threads re-requesting the GIL, and
//! priority requests. Process-flavoured workers never touch it, and with the model turned
//! off threads run in parallel, as they would on a free-threaded build.
//!
//! The lesson it makes visible: N threads doing CPU work under the GIL take about N times
//! as long as one; without it (or with processes) they speed up toward the core count.

use super::error::EngineResult;
use super::liveness::{Inspect, ObjectState};
use super::run::RunCtx;
use super::trace::{EventKind, Flavour, ObjectId, ObjectKind, WorkerId};
use super::wait::WaitCell;
use super::worker::current_flavour;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use web_time::Instant;

/// CPython's default switch interval (`sys.getswitchinterval()` is 0.005).
pub const DEFAULT_SWITCH_INTERVAL: Duration = Duration::from_millis(5);

/// CPU work that advances in small steps, so the GIL model can switch between steps and
/// cancellation can land between them. A step should take well under a millisecond.
pub trait Kernel: Send {
    type Output;
    /// Do one slice of work; `Some(result)` when finished.
    fn step(&mut self) -> Option<Self::Output>;
}

#[derive(Default)]
struct GilState {
    holder: Option<WorkerId>,
    /// Tickets of waiting workers, first come first served.
    queue: VecDeque<(u64, WorkerId)>,
    next_ticket: u64,
    since: Option<Instant>,
    held_us: HashMap<WorkerId, u64>,
    handoffs: u64,
}

/// The run's GIL. Create one per run with [`Gil::new`].
pub struct Gil {
    id: ObjectId,
    ctx: Arc<RunCtx>,
    enabled: AtomicBool,
    switch_us: AtomicU64,
    state: WaitCell<GilState>,
}

impl Gil {
    /// The run's GIL, on, with the default switch interval.
    pub fn new(ctx: &Arc<RunCtx>) -> Arc<Self> {
        let id = ctx.new_object("GIL", ObjectKind::Gil);
        let gil = Arc::new(Gil {
            id,
            ctx: ctx.clone(),
            enabled: AtomicBool::new(true),
            switch_us: AtomicU64::new(DEFAULT_SWITCH_INTERVAL.as_micros() as u64),
            state: WaitCell::new(GilState::default()),
        });
        let weak: std::sync::Weak<dyn Inspect> = Arc::downgrade(&gil) as _;
        ctx.registry.register_object(weak);
        gil
    }

    pub fn id(&self) -> ObjectId {
        self.id
    }

    /// Turn the model on or off (off: threads compute in parallel).
    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
    }

    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// `sys.setswitchinterval`. At least 50 µs, so hand-offs do not dominate.
    pub fn set_switch_interval(&self, d: Duration) {
        let us = d.as_micros().clamp(50, u64::MAX as u128) as u64;
        self.switch_us.store(us, Ordering::Relaxed);
    }

    pub fn switch_interval(&self) -> Duration {
        Duration::from_micros(self.switch_us.load(Ordering::Relaxed))
    }

    /// Total time each worker has held the GIL, in µs.
    pub fn held_us(&self) -> Vec<(WorkerId, u64)> {
        let mut v: Vec<_> = self
            .state
            .lock()
            .held_us
            .iter()
            .map(|(w, t)| (*w, *t))
            .collect();
        v.sort_unstable();
        v
    }

    /// How many times the GIL changed hands (releases) so far.
    pub fn handoffs(&self) -> u64 {
        self.state.lock().handoffs
    }

    /// Whether the calling worker must hold the GIL for CPU work.
    fn applies(&self) -> bool {
        self.enabled() && current_flavour() == Flavour::Thread
    }

    fn caller(&self) -> (Arc<RunCtx>, WorkerId) {
        RunCtx::current().unwrap_or_else(|| (self.ctx.clone(), super::trace::MAIN_WORKER))
    }

    /// Run CPU work to the end, holding the GIL while computing if the caller is
    /// thread-flavoured and the model is on. Checks for cancellation between steps.
    pub fn run<K: Kernel>(&self, mut kernel: K) -> EngineResult<K::Output> {
        let (ctx, me) = self.caller();
        if !self.applies() || self.state.lock().holder == Some(me) {
            return run_free(&ctx, &mut kernel);
        }
        let interval = self.switch_interval();
        let mut since = self.acquire(&ctx, me, None)?;
        loop {
            if let Err(e) = ctx.check() {
                self.release(me);
                return Err(e);
            }
            if let Some(out) = kernel.step() {
                self.release(me);
                return Ok(out);
            }
            if since.elapsed() >= interval && !self.state.lock().queue.is_empty() {
                // Handing over: from the release on, this thread waits for its next turn.
                let released_at = self.release(me);
                since = self.acquire(&ctx, me, released_at)?;
            }
        }
    }

    /// Run `f` (a wait: sleep, I/O) without the GIL, as blocking calls do in CPython, and
    /// take it back afterwards if the caller held it.
    pub fn allow_threads<T>(&self, f: impl FnOnce() -> EngineResult<T>) -> EngineResult<T> {
        let (ctx, me) = self.caller();
        let held = self.state.lock().holder == Some(me);
        if !held {
            return f();
        }
        self.release(me);
        let out = f();
        self.acquire(&ctx, me, None)?;
        out
    }

    /// Wait for our turn (FIFO) and take the GIL. Returns when we got it. `asked_at`: when
    /// the caller began to want it, if earlier than now (a handover releases, then asks).
    fn acquire(&self, ctx: &RunCtx, me: WorkerId, asked_at: Option<u64>) -> EngineResult<Instant> {
        let asked_at = asked_at.unwrap_or_else(|| self.ctx.recorder.now_us());
        let mut g = self.state.lock();
        let ticket = g.next_ticket;
        g.next_ticket += 1;
        if g.holder.is_some() || !g.queue.is_empty() {
            // It will have to wait its turn: a thread without the GIL runs no Python, so
            // the views count this as waiting (for the lock the GIL is), not as work.
            self.ctx
                .recorder
                .record_at(me, Some(self.id), EventKind::LockWait, asked_at);
        }
        g.queue.push_back((ticket, me));
        let waited = self.state.wait_while(ctx, g, None, |s| {
            s.holder.is_some() || s.queue.front().map(|q| q.0) != Some(ticket)
        });
        match waited {
            Ok((mut g, _)) => {
                g.queue.pop_front();
                g.holder = Some(me);
                let now = Instant::now();
                g.since = Some(now);
                // Recorded under the state lock, so the trace orders every release before
                // the acquire it enabled.
                self.ctx
                    .recorder
                    .record(me, Some(self.id), EventKind::GilAcquire);
                Ok(now)
            }
            Err(e) => {
                let mut g = self.state.lock();
                g.queue.retain(|q| q.0 != ticket);
                drop(g);
                self.state.notify_all();
                Err(e)
            }
        }
    }

    /// Returns when the GIL was let go (trace time), if the caller held it.
    fn release(&self, me: WorkerId) -> Option<u64> {
        let mut g = self.state.lock();
        if g.holder != Some(me) {
            return None;
        }
        g.holder = None;
        let held = g.since.take().map(|s| s.elapsed().as_micros() as u64);
        *g.held_us.entry(me).or_default() += held.unwrap_or(0);
        g.handoffs += 1;
        let now = self.ctx.recorder.now_us();
        self.ctx
            .recorder
            .record_at(me, Some(self.id), EventKind::GilRelease, now);
        drop(g);
        self.state.notify_all();
        Some(now)
    }
}

/// CPU work with nobody to share a GIL with (processes, or the model off).
fn run_free<K: Kernel>(ctx: &RunCtx, kernel: &mut K) -> EngineResult<K::Output> {
    loop {
        ctx.check()?;
        if let Some(out) = kernel.step() {
            return Ok(out);
        }
    }
}

/// Run CPU work with the run's GIL if there is one, freely otherwise.
pub fn run_cpu<K: Kernel>(
    ctx: &RunCtx,
    gil: Option<&Gil>,
    mut kernel: K,
) -> EngineResult<K::Output> {
    match gil {
        Some(g) => g.run(kernel),
        None => run_free(ctx, &mut kernel),
    }
}

impl Inspect for Gil {
    fn snapshot(&self) -> ObjectState {
        let g = self.state.lock();
        ObjectState {
            id: self.id,
            name: "GIL".into(),
            kind: Some(ObjectKind::Gil),
            holders: g.holder.into_iter().collect(),
            waiters: g.queue.iter().map(|q| q.1).collect(),
            timed_waiters: Vec::new(),
            value: None,
        }
    }
}
