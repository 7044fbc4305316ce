//! Rayon pools whose threads are Web Workers, built at run time at any size.
//!
//! The learner's first knob is the pool size, so the pools that run scenarios are ordinary
//! `rayon::ThreadPool`s whose spawn handler starts one module Worker per thread. Each
//! Worker loads the same module on the same shared memory and runs its `ThreadBuilder`;
//! when the pool is dropped, rayon ends the threads, and each Worker frees its stack and
//! closes itself (see `spawn_worker.js`). The supervisor pool is one more of these, built
//! once ([`build_supervisor`]).
//!
//! Workers are taken from the ones the page started while the module was still
//! downloading (`www/index.html`), when there are any left: a Worker starts its thread
//! only when the page's main thread is free to let it, and the first render keeps that
//! thread busy for a few hundred milliseconds.

use crossbeam_queue::SegQueue;
use js_sys::JsString;
use rayon::{ThreadBuilder, ThreadPool, ThreadPoolBuilder};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use wasm_bindgen::prelude::*;

/// The largest pool the page offers: enough to oversubscribe any laptop visibly.
pub const MAX_POOL: usize = 64;

static LIVE_THREADS: AtomicUsize = AtomicUsize::new(0);
static SPAWNED_WORKERS: AtomicUsize = AtomicUsize::new(0);
static EXITED_WORKERS: AtomicUsize = AtomicUsize::new(0);
/// Workers holding an open OPFS scratch file (see `spawn_worker.js` and [`super::opfs`]).
static SCRATCH_OPEN: AtomicUsize = AtomicUsize::new(0);

#[wasm_bindgen(module = "/src/runtime/spawn_worker.js")]
extern "C" {
    #[wasm_bindgen(js_name = spawnWorker, catch)]
    fn spawn_worker(
        module: JsValue,
        memory: JsValue,
        builder_ptr: u32,
        main_js: JsString,
        name: &str,
        scratch: bool,
        on_event: &js_sys::Function,
    ) -> Result<JsValue, JsValue>;

    /// Remove scratch files that earlier pages' Workers left; resolves to how many.
    #[wasm_bindgen(js_name = sweepScratch)]
    fn sweep_scratch_js() -> js_sys::Promise;
}

#[wasm_bindgen]
extern "C" {
    /// The URL of the app's JS glue, which every Worker imports to load the module.
    #[wasm_bindgen(thread_local_v2, js_namespace = ["import", "meta"], js_name = url)]
    static MAIN_JS: JsString;
}

/// What one Worker is handed: its rayon thread, and its pool's count of live threads.
struct PoolThread {
    builder: ThreadBuilder,
    live: Arc<AtomicUsize>,
    counted: bool,
}

/// Runs inside a pool Worker: one rayon thread, until its pool is dropped.
#[wasm_bindgen]
pub fn cp_run_pool_thread(thread_ptr: u32) {
    // SAFETY: the pointer came from `Box::into_raw` in `build` below and is sent to
    // exactly one Worker, which takes it back exactly once.
    let thread = unsafe { Box::from_raw(thread_ptr as usize as *mut PoolThread) };
    let PoolThread {
        builder,
        live,
        counted,
    } = *thread;
    let all = if counted { 1 } else { 0 };
    LIVE_THREADS.fetch_add(all, Ordering::SeqCst);
    live.fetch_add(1, Ordering::SeqCst);
    builder.run();
    // This Worker closes now: its cached free blocks go back to the shared heap.
    crate::heap::flush_thread_cache();
    live.fetch_sub(1, Ordering::SeqCst);
    LIVE_THREADS.fetch_sub(all, Ordering::SeqCst);
}

/// A pool of Web Worker threads, and how many of them run right now.
pub struct WebPool {
    pub pool: Arc<ThreadPool>,
    live: Arc<AtomicUsize>,
}

impl WebPool {
    /// Threads of this pool that have started and not ended.
    pub fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    /// The same count, to watch from another thread.
    pub fn live_counter(&self) -> Arc<AtomicUsize> {
        self.live.clone()
    }

    /// Resolve once all of this pool's threads run (or after `timeout_ms`), without
    /// blocking. A Worker that spawns Workers must wait like this before it blocks: its
    /// children load their script through its event loop, which a blocked Worker never turns.
    pub async fn until_live(&self, timeout_ms: f64) -> bool {
        until_count(&self.live, self.pool.current_num_threads(), timeout_ms).await
    }
}

/// Pool threads currently running (across all pools).
pub fn live_threads() -> usize {
    LIVE_THREADS.load(Ordering::SeqCst)
}

/// Workers started and not yet closed (across all pools).
pub fn open_workers() -> usize {
    SPAWNED_WORKERS.load(Ordering::SeqCst) - EXITED_WORKERS.load(Ordering::SeqCst)
}

/// Workers that hold an open OPFS scratch file right now (across all pools).
pub fn scratch_files() -> usize {
    SCRATCH_OPEN.load(Ordering::SeqCst)
}

/// Delete scratch files left behind by Workers of earlier pages (files that live Workers
/// hold are locked and stay). Resolves to whether this browser offers OPFS to the page at
/// all; never fails. The sweep starts at once, before the future is first polled.
pub fn sweep_scratch() -> impl std::future::Future<Output = bool> {
    let removed = wasm_bindgen_futures::JsFuture::from(sweep_scratch_js());
    async move { matches!(removed.await.ok().and_then(|n| n.as_f64()), Some(n) if n >= 0.0) }
}

/// Something a pool's Workers reported, for the UI to show.
#[derive(Clone, Debug, PartialEq)]
pub enum WorkerNotice {
    /// A Worker trapped or failed to load: the pool it belongs to is broken.
    Error(String),
}

thread_local! {
    // Main thread only: notices the JS callbacks leave for the UI's next frame.
    static NOTICES: std::cell::RefCell<Vec<WorkerNotice>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Take the notices that arrived since the last call.
pub fn take_notices() -> Vec<WorkerNotice> {
    NOTICES.with(|n| std::mem::take(&mut *n.borrow_mut()))
}

/// Build a pool of `size` Web Worker threads. Never blocks: the Workers start
/// asynchronously, and work spawned before they are up simply waits in rayon's queue.
/// With `scratch`, each Worker first opens its own OPFS scratch file where the browser
/// offers one (the file-I/O lessons write through it, see [`super::opfs`]); pools that
/// do no file work skip that, since it adds to their start-up.
pub fn build(size: usize, label: &str, scratch: bool) -> Result<Arc<ThreadPool>, String> {
    build_with_scratch(size, label, scratch).map(|p| p.pool)
}

/// [`build`] with scratch files, keeping the pool's count of live threads.
pub fn build_counted(size: usize, label: &str) -> Result<WebPool, String> {
    build_with_scratch(size, label, true)
}

/// [`build`], keeping the pool's count of live threads.
pub fn build_with_scratch(size: usize, label: &str, scratch: bool) -> Result<WebPool, String> {
    if !super::env::cross_origin_isolated() {
        return Err(super::env::NOT_ISOLATED.to_string());
    }
    let size = size.clamp(1, MAX_POOL);
    let live = Arc::new(AtomicUsize::new(0));
    ThreadPoolBuilder::new()
        .num_threads(size)
        .spawn_handler(spawner(label, size, scratch, live.clone(), true))
        .build()
        .map(|pool| WebPool {
            pool: Arc::new(pool),
            live: live.clone(),
        })
        .map_err(|e| e.to_string())
}

/// The supervisor pool: where each run's main program and watchdog block, so the page
/// never does. An ordinary pool, not rayon's global one: building the global pool waits
/// for its threads to start, and the page's main thread may never wait.
static SUPERVISOR: OnceLock<ThreadPool> = OnceLock::new();

/// Build the supervisor pool of `size` Workers, once for the page's life; returns its
/// count of live threads. Its Workers are not counted among the pools' ([`open_workers`]):
/// they never close.
pub fn build_supervisor(size: usize) -> Result<Arc<AtomicUsize>, String> {
    if !super::env::cross_origin_isolated() {
        return Err(super::env::NOT_ISOLATED.to_string());
    }
    if SUPERVISOR.get().is_some() {
        return Err("the supervisor pool is already built".to_string());
    }
    let live = Arc::new(AtomicUsize::new(0));
    let pool = ThreadPoolBuilder::new()
        .num_threads(size)
        // Each supervisor thread serves `supervise`'s queue for the page's life and never
        // enters rayon's own loop, so the page never has to wake it through rayon.
        .start_handler(|_| serve_supervised_jobs())
        .spawn_handler(spawner("supervisor", size, false, live.clone(), false))
        .build()
        .map_err(|e| e.to_string())?;
    SUPERVISOR
        .set(pool)
        .map_err(|_| "the supervisor pool is already built".to_string())?;
    Ok(live)
}

/// Jobs for the supervisor's threads, handed over without rayon. Injecting a job into a
/// rayon pool (or dropping one) wakes its threads through rayon's per-thread sleep mutex,
/// a std `Mutex`; on wasm a contended std `Mutex` waits with `memory.atomic.wait32` after
/// a few spins, and on the page's main thread that wait throws ("Atomics.wait cannot be
/// called in this context"), which leaves the session borrowed and the page dead. With
/// many pool threads on few cores a thread is often preempted holding that mutex.
static SUPERVISED: SegQueue<Box<dyn FnOnce() + Send>> = SegQueue::new();
/// Rung once per job pushed: idle supervisor threads wait on it, the page only notifies.
static BELL: AtomicI32 = AtomicI32::new(0);

/// A supervisor thread's whole life: run queued jobs, waiting on [`BELL`] when there are none.
fn serve_supervised_jobs() {
    loop {
        let rung = BELL.load(Ordering::SeqCst);
        match SUPERVISED.pop() {
            Some(job) => job(),
            // SAFETY: a plain futex wait on a static (allowed in a Worker); it returns at
            // once if a job was pushed (and the bell rung) since `rung` was read.
            None => unsafe {
                core::arch::wasm32::memory_atomic_wait32(BELL.as_ptr(), rung, -1);
            },
        }
    }
}

/// Run `f` on the supervisor pool (it may block there). Never blocks the caller: a
/// lock-free push and a futex notify. Fails only before the pool is built (a page without
/// live workers never gets that far).
pub fn supervise(f: impl FnOnce() + Send + 'static) -> Result<(), String> {
    if SUPERVISOR.get().is_none() {
        return Err("the worker pool is still starting; try again in a moment".to_string());
    }
    SUPERVISED.push(Box::new(f));
    BELL.fetch_add(1, Ordering::SeqCst);
    // SAFETY: notify wakes at most one waiter on a static and never waits.
    unsafe { core::arch::wasm32::memory_atomic_notify(BELL.as_ptr(), 1) };
    Ok(())
}

/// Resolve once `live` reaches `n` (or after `timeout_ms`), without blocking.
pub async fn until_count(live: &AtomicUsize, n: usize, timeout_ms: f64) -> bool {
    let start = js_sys::Date::now();
    while live.load(Ordering::SeqCst) < n {
        if js_sys::Date::now() - start > timeout_ms {
            return false;
        }
        tick().await;
    }
    true
}

/// A rayon spawn handler that starts one module Worker per thread. `counted` Workers
/// add to [`open_workers`] and [`live_threads`].
fn spawner(
    label: &str,
    size: usize,
    scratch: bool,
    live: Arc<AtomicUsize>,
    counted: bool,
) -> impl FnMut(ThreadBuilder) -> std::io::Result<()> {
    let label = label.to_string();
    let on_event = Closure::<dyn FnMut(String, String)>::new(|kind: String, detail: String| {
        match kind.as_str() {
            "ready" if detail == "scratch" => {
                SCRATCH_OPEN.fetch_add(1, Ordering::SeqCst);
            }
            "exit" => {
                EXITED_WORKERS.fetch_add(1, Ordering::SeqCst);
                if detail == "scratch" {
                    SCRATCH_OPEN.fetch_sub(1, Ordering::SeqCst);
                }
            }
            "error" => NOTICES.with(|n| n.borrow_mut().push(WorkerNotice::Error(detail))),
            _ => {}
        }
    });
    // The callback lives as long as the page: Workers of any pool may call it.
    let on_event: js_sys::Function = on_event.into_js_value().unchecked_into();
    move |thread| {
        let name = format!("{label} {}/{size}", thread.index() + 1);
        let ptr = Box::into_raw(Box::new(PoolThread {
            builder: thread,
            live: live.clone(),
            counted,
        }));
        match spawn_worker(
            wasm_bindgen::module(),
            wasm_bindgen::memory(),
            ptr as usize as u32,
            MAIN_JS.with(Clone::clone),
            &name,
            scratch,
            &on_event,
        ) {
            Ok(_) => {
                if counted {
                    SPAWNED_WORKERS.fetch_add(1, Ordering::SeqCst);
                }
                Ok(())
            }
            Err(e) => {
                // SAFETY: the Worker never started, so nobody else owns the builder.
                drop(unsafe { Box::from_raw(ptr) });
                Err(std::io::Error::other(format!(
                    "could not start a Web Worker: {e:?}"
                )))
            }
        }
    }
}

/// Yield to the event loop for a few milliseconds (in a page or a Worker).
async fn tick() {
    let tick = js_sys::Promise::new(&mut |resolve, _| {
        let set_timeout = js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(f) = set_timeout {
            let _ = f.call2(&JsValue::NULL, &resolve, &JsValue::from(5));
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(tick).await;
}
