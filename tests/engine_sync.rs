//! Semantics of the engine's synchronisation primitives (modelled on Python's documented
//! behaviour), their invariants over random runs, and the deadlock and stall detectors.
//!
//! Workers here are plain OS threads that enter the run as a logical worker and register a
//! name, which is all the primitives rely on.

use concurrency_playground::engine::liveness::{self, Alarm, Verdict, Watchdog};
use concurrency_playground::engine::sync::{
    self, Array, Barrier, BoundedSemaphore, Condition, Event, Lock, Manager, Queue, RLock,
    Semaphore, Value,
};
use concurrency_playground::engine::trace::{EventKind, ObjectId, WorkerId, MAIN_WORKER};
use concurrency_playground::engine::{EngineError, RunCtx};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use web_time::Instant;

/// Start a logical worker named `name` on its own OS thread.
fn spawn<R: Send + 'static>(
    ctx: &Arc<RunCtx>,
    name: &str,
    f: impl FnOnce() -> R + Send + 'static,
) -> (WorkerId, JoinHandle<R>) {
    let id = ctx.new_worker_id();
    ctx.registry.register_worker(id, name);
    let c = ctx.clone();
    let h = std::thread::spawn(move || {
        let _in_run = c.enter(id);
        f()
    });
    (id, h)
}

fn join<R>(h: JoinHandle<R>) -> R {
    h.join().expect("worker thread panicked")
}

/// Poll `cond` until true, failing the test after 10 s (a hang, not a speed check).
fn eventually(what: &str, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "gave up waiting for: {what}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn kinds_for(ctx: &RunCtx, object: ObjectId) -> Vec<EventKind> {
    ctx.recorder
        .drain_sorted()
        .into_iter()
        .filter(|e| e.object == Some(object))
        .map(|e| e.kind)
        .collect()
}

fn waiting_on(ctx: &RunCtx, object: ObjectId) -> usize {
    ctx.registry
        .snapshot()
        .into_iter()
        .find(|s| s.id == object)
        .map(|s| s.waiters.len())
        .unwrap_or(0)
}

/// Lock: Python's acquire/release rules, the events it records, wait vs hold totals.
mod lock {
    use super::*;

    #[test]
    fn non_blocking_and_timed_acquire_fail_while_held() {
        let ctx = RunCtx::new();
        let lock = Lock::new(&ctx, "l");
        assert!(lock.acquire(true, None).unwrap());
        assert!(lock.locked());
        let l2 = lock.clone();
        let (_, h) = spawn(&ctx, "Thread-1", move || {
            (l2.acquire(false, None), l2.acquire(true, Some(0.05)))
        });
        let (nb, timed) = join(h);
        assert_eq!(nb, Ok(false));
        assert_eq!(timed, Ok(false));
        lock.release().unwrap();
        assert!(!lock.locked());
    }

    #[test]
    fn releasing_an_unlocked_lock_is_an_error() {
        let ctx = RunCtx::new();
        let lock = Lock::new(&ctx, "l");
        assert!(matches!(lock.release(), Err(EngineError::NotOwner(_))));
    }

    #[test]
    fn bad_arguments_are_refused() {
        let ctx = RunCtx::new();
        let lock = Lock::new(&ctx, "l");
        assert!(matches!(
            lock.acquire(false, Some(1.0)),
            Err(EngineError::Invalid(_))
        ));
        assert!(matches!(
            lock.acquire(true, Some(-1.0)),
            Err(EngineError::Invalid(_))
        ));
        assert!(!lock.locked());
    }

    #[test]
    fn another_worker_may_release_a_plain_lock() {
        let ctx = RunCtx::new();
        let lock = Lock::new(&ctx, "l");
        lock.acquire(true, None).unwrap();
        let l2 = lock.clone();
        let (_, h) = spawn(&ctx, "Thread-1", move || l2.release());
        assert_eq!(join(h), Ok(()));
        assert!(!lock.locked());
    }

    #[test]
    fn guard_releases_and_wait_is_recorded_only_when_contended() {
        let ctx = RunCtx::new();
        let lock = Lock::new(&ctx, "l");
        {
            let _g = lock.lock().unwrap();
            assert!(lock.locked());
        }
        assert!(!lock.locked());
        assert!(!kinds_for(&ctx, lock.id()).contains(&EventKind::LockWait));

        let g = lock.lock().unwrap();
        let l2 = lock.clone();
        let (_, h) = spawn(&ctx, "Thread-1", move || {
            let _g = l2.lock()?;
            Ok::<_, EngineError>(())
        });
        eventually("the worker waits", || waiting_on(&ctx, lock.id()) == 1);
        std::thread::sleep(Duration::from_millis(20));
        drop(g);
        join(h).unwrap();
        let kinds = kinds_for(&ctx, lock.id());
        assert_eq!(
            kinds,
            vec![
                EventKind::LockAcquire,
                EventKind::LockWait,
                EventKind::LockRelease,
                EventKind::LockAcquire,
                EventKind::LockRelease,
            ]
        );
        let stats = lock.stats();
        assert_eq!(stats.acquisitions, 3);
        assert_eq!(stats.contended, 1);
        assert!(stats.wait_us >= 10_000, "waited ~20 ms: {stats:?}");
        assert!(
            stats.hold_us >= 20_000,
            "main held it through a 20 ms sleep: {stats:?}"
        );
    }

    /// Holds of well under a microsecond, as in `with lock: counter += 1`: a waiter then
    /// mostly gets the lock after a short spin instead of a sleep. Each such wait must still
    /// show in the trace (a wait, then that worker's acquire) and count as contended, so
    /// the lesson's "N of M acquisitions had to wait" matches the timeline.
    #[test]
    fn short_waits_show_in_the_trace_and_the_totals() {
        let ctx = RunCtx::new();
        let lock = Lock::new(&ctx, "l");
        let counter = Arc::new(AtomicU64::new(0));
        let hs: Vec<_> = (0..4)
            .map(|i| {
                let (lock, counter) = (lock.clone(), counter.clone());
                spawn(&ctx, &format!("Thread-{i}"), move || {
                    for _ in 0..5_000 {
                        let _g = lock.lock()?;
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok::<_, EngineError>(())
                })
                .1
            })
            .collect();
        for h in hs {
            join(h).unwrap();
        }
        assert_eq!(counter.load(Ordering::Relaxed), 20_000);
        let events: Vec<_> = ctx
            .recorder
            .drain_sorted()
            .into_iter()
            .filter(|e| e.object == Some(lock.id()))
            .collect();
        let mut waiting = std::collections::HashSet::new();
        let (mut waits, mut holder) = (0, None);
        for e in &events {
            match e.kind {
                EventKind::LockWait => {
                    assert!(holder.is_some(), "waited for a free lock at seq {}", e.seq);
                    assert!(
                        waiting.insert(e.worker),
                        "two waits in a row at seq {}",
                        e.seq
                    );
                    waits += 1;
                }
                EventKind::LockAcquire => {
                    assert_eq!(holder, None, "acquired a held lock at seq {}", e.seq);
                    holder = Some(e.worker);
                    waiting.remove(&e.worker);
                }
                EventKind::LockRelease => holder = None,
                _ => {}
            }
        }
        assert!(waiting.is_empty());
        let stats = lock.stats();
        assert_eq!(stats.acquisitions, 20_000);
        assert_eq!(
            stats.contended, waits,
            "contended acquisitions vs waits in the trace"
        );
        eprintln!("{waits} of 20000 acquisitions waited");
    }
}

/// RLock: reentry by the owner, release only by the owner.
mod rlock {
    use super::*;

    #[test]
    fn owner_reenters_and_must_release_as_often() {
        let ctx = RunCtx::new();
        let r = RLock::new(&ctx, "r");
        assert!(r.acquire(true, None).unwrap());
        assert!(r.acquire(false, None).unwrap());
        assert_eq!(r.depth(), 2);
        let r2 = r.clone();
        let (_, h) = spawn(&ctx, "Thread-1", move || {
            (r2.acquire(false, None), r2.release())
        });
        let (got, rel) = join(h);
        assert_eq!(got, Ok(false));
        assert!(matches!(rel, Err(EngineError::NotOwner(_))));
        r.release().unwrap();
        assert!(r.held_by_me());
        r.release().unwrap();
        assert_eq!(r.depth(), 0);
        assert!(matches!(r.release(), Err(EngineError::NotOwner(_))));
        let r3 = r.clone();
        let (_, h) = spawn(&ctx, "Thread-2", move || r3.acquire(false, None));
        assert_eq!(join(h), Ok(true));
    }
}

/// Event: wait returns the flag, false on timeout; set wakes every waiter; clear resets.
mod event {
    use super::*;

    #[test]
    fn wait_times_out_with_false_and_returns_true_once_set() {
        let ctx = RunCtx::new();
        let ev = Event::new(&ctx, "go");
        assert_eq!(ev.wait(Some(0.03)), Ok(false));
        ev.set().unwrap();
        assert!(ev.is_set());
        assert_eq!(ev.wait(Some(0.0)), Ok(true));
        ev.clear().unwrap();
        assert!(!ev.is_set());
        assert_eq!(ev.wait(Some(0.01)), Ok(false));
    }

    #[test]
    fn set_wakes_all_waiters_even_if_cleared_at_once() {
        let ctx = RunCtx::new();
        let ev = Event::new(&ctx, "go");
        let handles: Vec<_> = (1..=3)
            .map(|i| {
                let e = ev.clone();
                spawn(&ctx, &format!("Thread-{i}"), move || e.wait(None)).1
            })
            .collect();
        eventually("three waiters", || waiting_on(&ctx, ev.id()) == 3);
        ev.set().unwrap();
        ev.clear().unwrap();
        for h in handles {
            assert_eq!(join(h), Ok(true));
        }
        let wakes = kinds_for(&ctx, ev.id())
            .into_iter()
            .filter(|k| *k == EventKind::EventWake { flag: true })
            .count();
        assert_eq!(wakes, 3);
    }
}

/// Condition: the lock rules, notify(1) vs notify_all, timeouts, wait_for.
mod condition {
    use super::*;

    #[test]
    fn waiting_or_notifying_without_the_lock_is_an_error() {
        let ctx = RunCtx::new();
        let c = Condition::new(&ctx, "c");
        assert!(matches!(c.wait(Some(0.01)), Err(EngineError::NotOwner(_))));
        assert!(matches!(c.notify(1), Err(EngineError::NotOwner(_))));
        assert!(matches!(c.notify_all(), Err(EngineError::NotOwner(_))));
    }

    #[test]
    fn wait_times_out_with_false_and_holds_the_lock_again() {
        let ctx = RunCtx::new();
        let lock = Lock::new(&ctx, "l");
        let c = Condition::with_lock(&ctx, "c", lock.clone());
        let _g = c.lock().unwrap();
        assert_eq!(c.wait(Some(0.03)), Ok(false));
        assert!(lock.held_by_me());
    }

    #[test]
    fn notify_wakes_one_and_notify_all_wakes_the_rest() {
        let ctx = RunCtx::new();
        let c = Condition::new(&ctx, "c");
        let woken = Arc::new(AtomicU32::new(0));
        let handles: Vec<_> = (1..=3)
            .map(|i| {
                let (c, woken) = (c.clone(), woken.clone());
                spawn(&ctx, &format!("Thread-{i}"), move || {
                    let _g = c.lock()?;
                    let r = c.wait(None)?;
                    woken.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, EngineError>(r)
                })
                .1
            })
            .collect();
        eventually("three waiters", || c.waiting() == 3);
        {
            let _g = c.lock().unwrap();
            c.notify(1).unwrap();
        }
        eventually("one woken", || woken.load(Ordering::SeqCst) >= 1);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(woken.load(Ordering::SeqCst), 1);
        assert_eq!(c.waiting(), 2);
        {
            let _g = c.lock().unwrap();
            c.notify_all().unwrap();
        }
        for h in handles {
            assert_eq!(join(h), Ok(true));
        }
        assert_eq!(woken.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn wait_for_returns_when_the_predicate_holds_or_false_on_timeout() {
        let ctx = RunCtx::new();
        let c = Condition::new(&ctx, "c");
        let data = Arc::new(AtomicU32::new(0));
        let (c2, d2) = (c.clone(), data.clone());
        let (_, consumer) = spawn(&ctx, "consumer", move || {
            let _g = c2.lock()?;
            c2.wait_for(|| d2.load(Ordering::SeqCst) >= 3, None)
        });
        for _ in 0..3 {
            std::thread::sleep(Duration::from_millis(5));
            let _g = c.lock().unwrap();
            data.fetch_add(1, Ordering::SeqCst);
            c.notify(1).unwrap();
        }
        assert_eq!(join(consumer), Ok(true));
        let _g = c.lock().unwrap();
        assert_eq!(
            c.wait_for(|| data.load(Ordering::SeqCst) > 10, Some(0.03)),
            Ok(false)
        );
    }

    /// Regression: a `with cond:` guard dropped after a cancelled `wait()` released the
    /// lock that another worker had taken meanwhile.
    #[test]
    fn guard_after_cancelled_wait_released_someone_elses_lock() {
        let ctx = RunCtx::new();
        let lock = Lock::new(&ctx, "l");
        let c = Condition::with_lock(&ctx, "c", lock.clone());
        let c2 = c.clone();
        let (_, waiter) = spawn(&ctx, "Thread-1", move || {
            let _g = c2.lock()?;
            c2.wait(None)
        });
        eventually("a waiter", || c.waiting() == 1);
        lock.acquire(true, None).unwrap();
        ctx.cancel();
        assert_eq!(join(waiter), Err(EngineError::Cancelled));
        assert!(lock.held_by_me(), "the main program still holds its lock");
    }

    #[test]
    fn rlock_depth_survives_a_wait() {
        let ctx = RunCtx::new();
        let r = RLock::new(&ctx, "r");
        let c = Condition::with_rlock(&ctx, "c", r.clone());
        r.acquire(true, None).unwrap();
        r.acquire(true, None).unwrap();
        assert_eq!(c.wait(Some(0.01)), Ok(false));
        assert_eq!(r.depth(), 2);
    }
}

/// Semaphore and BoundedSemaphore: blocking at zero, over-release, occupancy.
mod semaphore {
    use super::*;

    #[test]
    fn acquire_fails_at_zero_without_blocking_or_after_timeout() {
        let ctx = RunCtx::new();
        let s = Semaphore::new(&ctx, "s", 1);
        assert_eq!(s.acquire(true, None), Ok(true));
        assert_eq!(s.acquire(false, None), Ok(false));
        assert_eq!(s.acquire(true, Some(0.02)), Ok(false));
        s.release(1).unwrap();
        assert_eq!(s.value(), 1);
    }

    #[test]
    fn bounded_refuses_over_release_plain_does_not() {
        let ctx = RunCtx::new();
        let b = BoundedSemaphore::new(&ctx, "b", 2);
        assert_eq!(b.release(1), Err(EngineError::OverRelease));
        b.acquire(true, None).unwrap();
        assert_eq!(b.release(2), Err(EngineError::OverRelease));
        b.release(1).unwrap();
        assert_eq!(b.value(), 2);
        let s = Semaphore::new(&ctx, "s", 2);
        s.release(3).unwrap();
        assert_eq!(s.value(), 5);
    }

    #[test]
    fn release_n_wakes_n_waiters_who_are_signalled_not_inside() {
        let ctx = RunCtx::new();
        let s = Semaphore::new(&ctx, "s", 0);
        let handles: Vec<_> = (1..=3)
            .map(|i| {
                let s = s.clone();
                spawn(&ctx, &format!("Thread-{i}"), move || s.acquire(true, None)).1
            })
            .collect();
        eventually("three waiters", || waiting_on(&ctx, s.id()) == 3);
        s.release(3).unwrap();
        for h in handles {
            assert_eq!(join(h), Ok(true));
        }
        // The main thread's release(3) found nobody inside: three signals, which the
        // waiters took. Nobody holds anything to give back.
        let st = s.stats();
        assert_eq!((st.value, st.inside, st.max_inside), (0, 0, 0));
        assert_eq!(st.acquisitions, 3);
        assert!(kinds_for(&ctx, s.id()).contains(&EventKind::Counter {
            name: "value".into(),
            value: 3
        }));
    }
}

/// Barrier: arrival indices, timeouts, abort and reset break it.
mod barrier {
    use super::*;

    #[test]
    fn each_party_gets_a_distinct_index_and_it_can_be_reused() {
        let ctx = RunCtx::new();
        let b = Barrier::new(&ctx, "b", 4).unwrap();
        for _round in 0..2 {
            let handles: Vec<_> = (1..=4)
                .map(|i| {
                    let b = b.clone();
                    spawn(&ctx, &format!("Thread-{i}"), move || b.wait(None)).1
                })
                .collect();
            let mut idx: Vec<u32> = handles.into_iter().map(|h| join(h).unwrap()).collect();
            idx.sort_unstable();
            assert_eq!(idx, vec![0, 1, 2, 3]);
        }
        assert!(Barrier::new(&ctx, "zero", 0).is_err());
    }

    #[test]
    fn a_timeout_breaks_it_for_everyone_until_reset() {
        let ctx = RunCtx::new();
        let b = Barrier::new(&ctx, "b", 3).unwrap();
        let b2 = b.clone();
        let (_, other) = spawn(&ctx, "Thread-1", move || b2.wait(None));
        eventually("one waiter", || b.n_waiting() == 1);
        assert_eq!(b.wait(Some(0.02)), Err(EngineError::BrokenBarrier));
        assert_eq!(join(other), Err(EngineError::BrokenBarrier));
        assert!(b.broken());
        assert_eq!(b.wait(None), Err(EngineError::BrokenBarrier));
        b.reset().unwrap();
        assert!(!b.broken());
    }

    #[test]
    fn abort_and_reset_fail_current_waiters() {
        let ctx = RunCtx::new();
        let b = Barrier::new(&ctx, "b", 2).unwrap();
        let b2 = b.clone();
        let (_, w) = spawn(&ctx, "Thread-1", move || b2.wait(None));
        eventually("a waiter", || b.n_waiting() == 1);
        b.reset().unwrap();
        assert_eq!(join(w), Err(EngineError::BrokenBarrier));
        assert!(!b.broken());
        let b3 = b.clone();
        let (_, w) = spawn(&ctx, "Thread-2", move || b3.wait(None));
        eventually("a waiter", || b.n_waiting() == 1);
        b.abort().unwrap();
        assert_eq!(join(w), Err(EngineError::BrokenBarrier));
        assert!(b.broken());
    }
}

/// Queue: FIFO, Full/Empty, timeouts, task_done/join, item ids in the trace.
mod queue {
    use super::*;

    #[test]
    fn fifo_with_item_ids_in_the_trace_and_contents_snapshot() {
        let ctx = RunCtx::new();
        let q: Arc<Queue<i32>> = Queue::new(&ctx, "q", 0);
        let ids: Vec<u64> = [5, 10, 13]
            .iter()
            .map(|x| q.put(*x, true, None).unwrap())
            .collect();
        assert_eq!(q.item_ids(), ids);
        assert_eq!(q.qsize(), 3);
        assert!(!q.full(), "maxsize 0 is unbounded");
        assert_eq!(q.get_with_id(true, None), Ok((ids[0], 5)));
        assert_eq!(q.get_nowait(), Ok(10));
        assert_eq!(q.get(true, Some(0.0)), Ok(13));
        assert!(q.empty());
        let kinds = kinds_for(&ctx, q.id());
        let puts: Vec<u64> = kinds
            .iter()
            .filter_map(|k| match k {
                EventKind::QueuePut { item, .. } => Some(*item),
                _ => None,
            })
            .collect();
        let gets: Vec<u64> = kinds
            .iter()
            .filter_map(|k| match k {
                EventKind::QueueGet { item, .. } => Some(*item),
                _ => None,
            })
            .collect();
        assert_eq!(puts, ids);
        assert_eq!(gets, ids);
    }

    #[test]
    fn full_and_empty_without_blocking_or_after_timeout() {
        let ctx = RunCtx::new();
        let q: Arc<Queue<u8>> = Queue::new(&ctx, "q", 2);
        assert_eq!(q.get_nowait(), Err(EngineError::Empty));
        assert_eq!(q.get(true, Some(0.02)), Err(EngineError::Empty));
        q.put_nowait(1).unwrap();
        q.put(2, false, None).unwrap();
        assert!(q.full());
        assert_eq!(q.put_nowait(3), Err(EngineError::Full));
        assert_eq!(q.put(3, true, Some(0.02)), Err(EngineError::Full));
        assert_eq!(q.qsize(), 2);
    }

    #[test]
    fn a_full_queue_blocks_the_producer_until_a_get() {
        let ctx = RunCtx::new();
        let q: Arc<Queue<u8>> = Queue::new(&ctx, "q", 1);
        q.put(1, true, None).unwrap();
        let q2 = q.clone();
        let (_, producer) = spawn(&ctx, "producer", move || q2.put(2, true, None));
        eventually("producer blocked", || waiting_on(&ctx, q.id()) == 1);
        assert_eq!(q.get(true, None), Ok(1));
        join(producer).unwrap();
        assert_eq!(q.get(true, None), Ok(2));
        assert!(kinds_for(&ctx, q.id()).contains(&EventKind::QueueBlocked {
            op: concurrency_playground::engine::trace::QueueOp::Put
        }));
    }

    #[test]
    fn join_waits_for_task_done_and_too_many_is_an_error() {
        let ctx = RunCtx::new();
        let q: Arc<Queue<u8>> = Queue::new(&ctx, "q", 0);
        q.join().unwrap();
        q.put(1, true, None).unwrap();
        q.put(2, true, None).unwrap();
        let q2 = q.clone();
        let done = Arc::new(AtomicU32::new(0));
        let d2 = done.clone();
        let (_, joiner) = spawn(&ctx, "joiner", move || {
            let r = q2.join();
            d2.store(1, Ordering::SeqCst);
            r
        });
        q.get(true, None).unwrap();
        q.task_done().unwrap();
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(done.load(Ordering::SeqCst), 0, "one task still unfinished");
        q.get(true, None).unwrap();
        q.task_done().unwrap();
        join(joiner).unwrap();
        assert!(matches!(q.task_done(), Err(EngineError::Invalid(_))));
    }
}

/// Value and Array: the lock makes increments exact; without it updates are really lost.
mod shared_state {
    use super::*;

    const WORKERS: u64 = 4;
    const EACH: u64 = 5_000;

    fn run_counter(locked: bool) -> u64 {
        let ctx = RunCtx::new();
        ctx.recorder.set_enabled(false);
        let v = Value::new(&ctx, "counter", 0i64);
        let handles: Vec<_> = (1..=WORKERS)
            .map(|i| {
                let v = v.clone();
                spawn(&ctx, &format!("Process-{i}"), move || {
                    for _ in 0..EACH {
                        if locked {
                            v.add(1)?;
                        } else {
                            v.unlocked_add(1)?;
                        }
                    }
                    Ok::<_, EngineError>(())
                })
                .1
            })
            .collect();
        for h in handles {
            join(h).unwrap();
        }
        v.load() as u64
    }

    #[test]
    fn without_the_lock_updates_are_lost_in_19_of_20_runs() {
        let lossy = (0..20)
            .filter(|_| run_counter(false) < WORKERS * EACH)
            .count();
        assert!(lossy >= 19, "only {lossy} of 20 runs lost updates");
    }

    #[test]
    fn with_the_lock_the_total_is_exact() {
        for _ in 0..3 {
            assert_eq!(run_counter(true), WORKERS * EACH);
        }
    }

    #[test]
    fn value_lock_is_reentrant_like_pythons() {
        let ctx = RunCtx::new();
        let v = Value::new(&ctx, "v", 1.5f64);
        let _g = v.get_lock().lock().unwrap();
        let x = v.get().unwrap();
        v.set(x + 1.0).unwrap();
        assert_eq!(v.load(), 2.5);
    }

    #[test]
    fn array_indexes_are_checked() {
        let ctx = RunCtx::new();
        let a = Array::new(&ctx, "a", &[1i32, 2, 3]);
        assert_eq!(a.add(1, 10), Ok(12));
        a.set(0, -4).unwrap();
        assert_eq!(a.to_vec(), Ok(vec![-4, 12, 3]));
        assert!(matches!(a.get(3), Err(EngineError::Invalid(_))));
        assert!(matches!(a.unlocked_add(9, 1), Err(EngineError::Invalid(_))));
    }
}

/// Manager dict: a proxy round trip that really serializes, with its cost recorded.
mod manager {
    use super::*;

    #[test]
    fn dict_operations_round_trip_and_record_their_cost() {
        let ctx = RunCtx::new();
        let m = Manager::new(&ctx, "manager");
        let d = m.dict();
        d.set("a", &1u32).unwrap();
        d.set("b", &vec!["x".to_string()]).unwrap();
        assert_eq!(d.get::<u32>("a"), Ok(Some(1)));
        assert_eq!(d.get::<u32>("zz"), Ok(None));
        assert_eq!(d.len(), Ok(2));
        assert_eq!(d.keys(), Ok(vec!["a".to_string(), "b".to_string()]));
        assert!(matches!(d.get::<u32>("b"), Err(EngineError::Serialize(_))));
        assert_eq!(d.remove::<u32>("a"), Ok(Some(1)));
        assert_eq!(d.is_empty(), Ok(false));
        let stats = m.stats();
        assert_eq!(stats.ops, 9);
        let kinds = kinds_for(&ctx, m.id());
        let sizes: Vec<u64> = kinds
            .iter()
            .filter_map(|k| match k {
                EventKind::Serialize { bytes, .. } | EventKind::Deserialize { bytes, .. } => {
                    Some(*bytes)
                }
                _ => None,
            })
            .collect();
        assert_eq!(sizes.len(), 4 * 9, "two encodes and two decodes per op");
        assert!(sizes.iter().all(|b| *b > 0));
        assert_eq!(stats.bytes, sizes.iter().sum::<u64>());
    }

    /// Prints the cost per operation next to a shared `Value` (figures, not assertions).
    #[test]
    fn cost_per_operation_is_measured_next_to_a_value() {
        let ctx = RunCtx::new();
        let v = Value::new(&ctx, "counter", 0i64);
        let d = Manager::new(&ctx, "manager").dict();
        const OPS: u32 = 2_000;
        let t = Instant::now();
        for _ in 0..OPS {
            v.add(1).unwrap();
        }
        let value_us = t.elapsed().as_secs_f64() * 1e6 / OPS as f64;
        let t = Instant::now();
        for i in 0..OPS {
            d.set("counter", &i).unwrap();
        }
        let dict_us = t.elapsed().as_secs_f64() * 1e6 / OPS as f64;
        let stats = d.manager().stats();
        println!(
            "Value.add: {value_us:.2} µs/op; manager dict set: {dict_us:.2} µs/op, \
             {} bytes/op, codec {:.2} µs/op",
            stats.bytes / stats.ops,
            stats.codec_ns as f64 / 1e3 / stats.ops as f64
        );
        assert_eq!(v.load(), OPS as i64);
        assert_eq!(stats.ops, OPS as u64);
        assert_eq!(d.get::<u32>("counter"), Ok(Some(OPS - 1)));
    }

    #[test]
    fn proxies_in_several_workers_share_one_dict() {
        let ctx = RunCtx::new();
        let m = Manager::new(&ctx, "manager");
        let d = m.dict();
        let handles: Vec<_> = (1..=4)
            .map(|i| {
                let d = d.clone();
                spawn(&ctx, &format!("Process-{i}"), move || {
                    d.set(&format!("k{i}"), &(i * 10))
                })
                .1
            })
            .collect();
        for h in handles {
            join(h).unwrap();
        }
        let all = d.items::<u32>().unwrap();
        assert_eq!(all.len(), 4);
        assert_eq!(all.get("k3"), Some(&30));
    }
}

/// Shared stdout: whole lines vs pieces, recorded for the calling worker.
mod stdout {
    use super::*;

    #[test]
    fn print_and_write_record_the_right_text_and_worker() {
        let ctx = RunCtx::new();
        assert!(sync::stdout::print("outside").is_err());
        let (id, h) = spawn(&ctx, "Thread-1", || {
            sync::stdout::write("tango")?;
            sync::stdout::print("...")
        });
        join(h).unwrap();
        let prints: Vec<(WorkerId, String)> = ctx
            .recorder
            .drain_sorted()
            .into_iter()
            .filter_map(|e| match e.kind {
                EventKind::Print { text } => Some((e.worker, text)),
                _ => None,
            })
            .collect();
        assert_eq!(
            prints,
            vec![(id, "tango".to_string()), (id, "...\n".to_string())]
        );
    }
}

/// Deadlock and stall detection, and cancelling a real deadlock.
mod liveness_detection {
    use super::*;

    /// Two workers take `lock_a` and `lock_b` in opposite orders, each after both hold
    /// their first lock, so the deadlock always happens.
    fn opposite_order_deadlock(ctx: &Arc<RunCtx>) -> Vec<JoinHandle<Result<bool, EngineError>>> {
        let a = Lock::new(ctx, "lock_a");
        let b = Lock::new(ctx, "lock_b");
        let both_hold = Barrier::new(ctx, "both_hold", 2).unwrap();
        let orders = [("Thread-1", a.clone(), b.clone()), ("Thread-2", b, a)];
        orders
            .into_iter()
            .map(|(name, first, second)| {
                let both_hold = both_hold.clone();
                spawn(ctx, name, move || {
                    let _g = first.lock()?;
                    both_hold.wait(None)?;
                    second.acquire(true, None)
                })
                .1
            })
            .collect()
    }

    /// The first worker to see the cancel drops its guard, so the other may get its lock
    /// before it looks at the flag: at least one must report `Cancelled`, and neither hangs.
    fn assert_cancel_unwinds(handles: Vec<JoinHandle<Result<bool, EngineError>>>) {
        let results: Vec<_> = handles.into_iter().map(join).collect();
        assert!(
            results
                .iter()
                .all(|r| matches!(r, Ok(true) | Err(EngineError::Cancelled))),
            "{results:?}"
        );
        assert!(
            results.contains(&Err(EngineError::Cancelled)),
            "{results:?}"
        );
    }

    #[test]
    fn the_cycle_is_named_and_cancel_ends_it_within_200_ms() {
        let ctx = RunCtx::new();
        let handles = opposite_order_deadlock(&ctx);
        let found = Instant::now();
        let cycle = loop {
            if let Some(c) = liveness::find_deadlock(&ctx) {
                break c;
            }
            assert!(
                found.elapsed() < Duration::from_secs(10),
                "no deadlock found"
            );
            std::thread::sleep(Duration::from_millis(5));
        };
        assert_eq!(
            cycle,
            vec![
                "Thread-1 holds lock_a and waits for lock_b (held by Thread-2)".to_string(),
                "Thread-2 holds lock_b and waits for lock_a (held by Thread-1)".to_string(),
            ]
        );
        let cancelled_at = Instant::now();
        ctx.cancel();
        assert_cancel_unwinds(handles);
        let took = cancelled_at.elapsed();
        assert!(took < Duration::from_millis(200), "cancel took {took:?}");
        assert!(liveness::find_deadlock(&ctx).is_none());
    }

    /// Regression: a cycle of waits that all have timeouts was reported as a deadlock, and
    /// the watchdog cancelled a run that would have recovered by itself.
    #[test]
    fn timed_waits_in_opposite_order_are_not_a_deadlock() {
        let ctx = RunCtx::new();
        let a = Lock::new(&ctx, "lock_a");
        let b = Lock::new(&ctx, "lock_b");
        let both_hold = Barrier::new(&ctx, "both_hold", 2).unwrap();
        let handles: Vec<_> = [("Thread-1", a.clone(), b.clone()), ("Thread-2", b, a)]
            .into_iter()
            .map(|(name, first, second)| {
                let both_hold = both_hold.clone();
                spawn(&ctx, name, move || -> Result<bool, EngineError> {
                    let _g = first.lock()?;
                    both_hold.wait(None)?;
                    second.acquire(true, Some(0.3))
                })
                .1
            })
            .collect();
        eventually("both workers wait", || {
            ctx.registry
                .snapshot()
                .iter()
                .map(|s| s.waiters.len())
                .sum::<usize>()
                == 2
        });
        assert!(liveness::find_deadlock(&ctx).is_none());
        let results: Vec<_> = handles.into_iter().map(join).collect();
        assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
        assert!(
            results.contains(&Ok(false)),
            "one of them gave up: {results:?}"
        );
    }

    #[test]
    fn watch_reports_the_deadlock_once_in_the_trace() {
        let ctx = RunCtx::new();
        let handles = opposite_order_deadlock(&ctx);
        let report = liveness::watch(
            &ctx,
            Duration::from_secs(60),
            Duration::from_millis(10),
            || false,
        );
        let Verdict::Deadlock(cycle) = report.verdict else {
            panic!("expected a deadlock, got {:?}", report.verdict);
        };
        assert_eq!(cycle.len(), 2);
        ctx.cancel();
        assert_cancel_unwinds(handles);
        let deadlocks = ctx
            .recorder
            .drain_sorted()
            .into_iter()
            .filter(|e| matches!(e.kind, EventKind::Deadlock { .. }))
            .count();
        assert_eq!(deadlocks, 1);
    }

    #[test]
    fn one_lock_order_finishes_without_a_false_alarm() {
        let ctx = RunCtx::new();
        let a = Lock::new(&ctx, "lock_a");
        let b = Lock::new(&ctx, "lock_b");
        let finished = Arc::new(AtomicU32::new(0));
        for i in 1..=4 {
            let (a, b, finished) = (a.clone(), b.clone(), finished.clone());
            spawn(&ctx, &format!("Thread-{i}"), move || {
                for _ in 0..300 {
                    let _ga = a.lock()?;
                    let _gb = b.lock()?;
                }
                finished.fetch_add(1, Ordering::SeqCst);
                Ok::<_, EngineError>(())
            });
        }
        let report = liveness::watch(
            &ctx,
            Duration::from_secs(5),
            Duration::from_millis(1),
            || finished.load(Ordering::SeqCst) == 4,
        );
        assert_eq!(report.verdict, Verdict::Finished);
        assert_eq!(report.stall, None);
    }

    #[test]
    fn a_missing_sentinel_is_reported_as_a_stall_naming_the_consumer() {
        let ctx = RunCtx::new();
        let q: Arc<Queue<i32>> = Queue::new(&ctx, "work", 0);
        let q2 = q.clone();
        let (_, consumer) = spawn(&ctx, "consumer-2", move || loop {
            if q2.get(true, None)? < 0 {
                return Ok::<_, EngineError>(());
            }
        });
        q.put(5, true, None).unwrap();
        let mut dog = Watchdog::new(&ctx, Duration::from_millis(100));
        let start = Instant::now();
        let stall = loop {
            match dog.check() {
                Some(Alarm::Stall(s)) => break s,
                Some(Alarm::Deadlock(c)) => panic!("not a deadlock: {c:?}"),
                None => {}
            }
            assert!(start.elapsed() < Duration::from_secs(10), "no stall seen");
            std::thread::sleep(Duration::from_millis(10));
        };
        assert!(stall.ms >= 100);
        assert_eq!(
            stall.waiting,
            vec!["consumer-2 waits on queue work (empty: nobody puts)".to_string()]
        );
        assert_eq!(dog.check(), None, "the same stall is reported once");
        ctx.cancel();
        assert_eq!(join(consumer), Err(EngineError::Cancelled));
    }
}

/// Invariants over random runs: mutual exclusion, the semaphore bound, queue delivery.
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// How a worker takes the lock in one iteration.
    #[derive(Clone, Copy, Debug)]
    enum Take {
        Blocking,
        Guard,
        Polling,
        Timed,
    }

    fn take() -> impl Strategy<Value = Take> {
        prop_oneof![
            Just(Take::Blocking),
            Just(Take::Guard),
            Just(Take::Polling),
            Just(Take::Timed)
        ]
    }

    fn critical(inside: &AtomicU32, broken: &AtomicU32, counter: &AtomicU64) {
        if inside.fetch_add(1, Ordering::SeqCst) != 0 {
            broken.fetch_add(1, Ordering::SeqCst);
        }
        let c = counter.load(Ordering::Relaxed);
        std::thread::yield_now();
        counter.store(c + 1, Ordering::Relaxed);
        inside.fetch_sub(1, Ordering::SeqCst);
    }

    fn locked_iteration(lock: &Lock, how: Take, f: impl Fn()) -> Result<(), EngineError> {
        match how {
            Take::Guard => {
                let _g = lock.lock()?;
                f();
                return Ok(());
            }
            Take::Blocking => {
                lock.acquire(true, None)?;
            }
            Take::Polling => {
                while !lock.acquire(false, None)? {
                    std::thread::yield_now();
                }
            }
            Take::Timed => while !lock.acquire(true, Some(0.001))? {},
        }
        f();
        lock.release()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

        #[test]
        fn lock_gives_mutual_exclusion(
            plans in prop::collection::vec(prop::collection::vec(take(), 1..60), 2..6)
        ) {
            let ctx = RunCtx::new();
            let lock = Lock::new(&ctx, "l");
            let inside = Arc::new(AtomicU32::new(0));
            let broken = Arc::new(AtomicU32::new(0));
            let counter = Arc::new(AtomicU64::new(0));
            let total: usize = plans.iter().map(|p| p.len()).sum();
            let handles: Vec<_> = plans.into_iter().enumerate().map(|(i, plan)| {
                let (lock, inside, broken, counter) =
                    (lock.clone(), inside.clone(), broken.clone(), counter.clone());
                spawn(&ctx, &format!("Thread-{}", i + 1), move || {
                    for how in plan {
                        locked_iteration(&lock, how, || critical(&inside, &broken, &counter))?;
                    }
                    Ok::<_, EngineError>(())
                }).1
            }).collect();
            for h in handles {
                prop_assert_eq!(join(h), Ok(()));
            }
            prop_assert_eq!(broken.load(Ordering::SeqCst), 0);
            prop_assert_eq!(counter.load(Ordering::SeqCst), total as u64);
            // The trace agrees: acquire and release alternate in the one total order.
            let kinds: Vec<EventKind> = kinds_for(&ctx, lock.id())
                .into_iter()
                .filter(|k| matches!(k, EventKind::LockAcquire | EventKind::LockRelease))
                .collect();
            prop_assert_eq!(kinds.len(), 2 * total);
            for pair in kinds.chunks(2) {
                prop_assert_eq!(&pair[0], &EventKind::LockAcquire);
                prop_assert_eq!(&pair[1], &EventKind::LockRelease);
            }
        }

        #[test]
        fn semaphore_bound_is_never_exceeded(
            k in 1u32..4, workers in 2usize..8, rounds in 1usize..40, bounded: bool
        ) {
            let ctx = RunCtx::new();
            let s = if bounded {
                BoundedSemaphore::new(&ctx, "s", k)
            } else {
                Semaphore::new(&ctx, "s", k)
            };
            let inside = Arc::new(AtomicU32::new(0));
            let max_seen = Arc::new(AtomicU32::new(0));
            let handles: Vec<_> = (0..workers).map(|i| {
                let (s, inside, max_seen) = (s.clone(), inside.clone(), max_seen.clone());
                spawn(&ctx, &format!("Thread-{}", i + 1), move || {
                    for _ in 0..rounds {
                        let _g = s.lock()?;
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        max_seen.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                    Ok::<_, EngineError>(())
                }).1
            }).collect();
            for h in handles {
                prop_assert_eq!(join(h), Ok(()));
            }
            prop_assert!(max_seen.load(Ordering::SeqCst) <= k);
            let st = s.stats();
            prop_assert!(st.max_inside <= k && st.max_inside >= 1);
            prop_assert_eq!(st.value, k as i64);
            prop_assert_eq!(st.inside, 0);
            prop_assert_eq!(st.acquisitions, (workers * rounds) as u64);
        }

        #[test]
        fn queue_delivers_each_item_once_in_fifo_order_per_producer(
            producers in 1u32..4, consumers in 1u32..4, per_producer in 0u32..60,
            maxsize in 0usize..5
        ) {
            let ctx = RunCtx::new();
            let q: Arc<Queue<Option<(u32, u32)>>> = Queue::new(&ctx, "q", maxsize);
            let cons: Vec<_> = (0..consumers).map(|i| {
                let q = q.clone();
                spawn(&ctx, &format!("consumer-{i}"), move || {
                    let mut got = Vec::new();
                    while let Some(item) = q.get(true, None)? {
                        got.push(item);
                        q.task_done()?;
                    }
                    q.task_done()?;
                    Ok::<_, EngineError>(got)
                }).1
            }).collect();
            let prods: Vec<_> = (0..producers).map(|p| {
                let q = q.clone();
                spawn(&ctx, &format!("producer-{p}"), move || {
                    for n in 0..per_producer {
                        q.put(Some((p, n)), true, None)?;
                    }
                    Ok::<_, EngineError>(())
                }).1
            }).collect();
            for h in prods {
                prop_assert_eq!(join(h), Ok(()));
            }
            for _ in 0..consumers {
                q.put(None, true, None).unwrap();
            }
            q.join().unwrap();
            let mut all = Vec::new();
            for h in cons {
                let got = join(h).unwrap();
                for p in 0..producers {
                    let seq: Vec<u32> =
                        got.iter().filter(|(pp, _)| *pp == p).map(|(_, n)| *n).collect();
                    prop_assert!(seq.windows(2).all(|w| w[0] < w[1]), "FIFO per producer");
                }
                all.extend(got);
            }
            all.sort_unstable();
            let expected: Vec<(u32, u32)> =
                (0..producers).flat_map(|p| (0..per_producer).map(move |n| (p, n))).collect();
            prop_assert_eq!(all, expected);
            // In the trace, every item id put is got exactly once.
            let kinds = kinds_for(&ctx, q.id());
            let mut puts: Vec<u64> = kinds.iter().filter_map(|k| match k {
                EventKind::QueuePut { item, .. } => Some(*item), _ => None }).collect();
            let mut gets: Vec<u64> = kinds.iter().filter_map(|k| match k {
                EventKind::QueueGet { item, .. } => Some(*item), _ => None }).collect();
            puts.sort_unstable();
            gets.sort_unstable();
            prop_assert_eq!(puts, gets);
        }
    }
}

/// Many more logical workers than cores: 16 workers on a 2-core machine.
mod many_workers {
    use super::*;

    #[test]
    fn sixteen_workers_share_a_lock_a_queue_and_a_barrier() {
        let ctx = RunCtx::new();
        let counter = Value::new(&ctx, "counter", 0u64);
        let results: Arc<Queue<u32>> = Queue::new(&ctx, "results", 4);
        let start = Barrier::new(&ctx, "start", 16).unwrap();
        let handles: Vec<_> = (1..=16u32)
            .map(|i| {
                let (counter, results, start) = (counter.clone(), results.clone(), start.clone());
                spawn(&ctx, &format!("Thread-{i}"), move || {
                    start.wait(None)?;
                    for _ in 0..200 {
                        counter.add(1)?;
                    }
                    results.put(i, true, None)?;
                    Ok::<_, EngineError>(())
                })
                .1
            })
            .collect();
        let mut got: Vec<u32> = (0..16).map(|_| results.get(true, None).unwrap()).collect();
        for h in handles {
            join(h).unwrap();
        }
        got.sort_unstable();
        assert_eq!(got, (1..=16).collect::<Vec<_>>());
        assert_eq!(counter.load(), 16 * 200);
        let workers: std::collections::HashSet<WorkerId> = ctx
            .recorder
            .drain_sorted()
            .into_iter()
            .filter(|e| e.kind == EventKind::LockAcquire)
            .map(|e| e.worker)
            .collect();
        assert_eq!(workers.len(), 16);
        assert!(!workers.contains(&MAIN_WORKER));
    }
}
