//! Every fallible engine call returns `Result<_, EngineError>`. Under `panic=abort` a
//! panic in a browser worker traps the whole pool, so the engine reports instead of panicking.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineError {
    /// The run was cancelled while this call was waiting.
    Cancelled,
    /// A `put(block=False)` or a put that timed out on a full queue (Python's `queue.Full`).
    Full,
    /// A `get(block=False)` or a get that timed out on an empty queue (`queue.Empty`).
    Empty,
    /// A wait with a timeout ran out (`Future.result(timeout)`, `join(timeout)`...).
    Timeout,
    /// `BoundedSemaphore.release()` past its initial value (Python's `ValueError`).
    OverRelease,
    /// Releasing a lock the caller does not hold (`RuntimeError`).
    NotOwner(String),
    /// A barrier was aborted or reset while a worker waited (`BrokenBarrierError`).
    BrokenBarrier,
    /// A run needs more blocking workers than the pool has threads: refused up front
    /// instead of deadlocking.
    PoolTooSmall { needed: usize, threads: usize },
    /// Serializing to or from a process-flavoured worker failed (a pickling error).
    Serialize(String),
    /// A task or worker raised: the message is the exception text.
    Task(String),
    /// Bad input: the message says what and what to do.
    Invalid(String),
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::Cancelled => write!(f, "the run was cancelled"),
            EngineError::Full => write!(f, "queue.Full: the queue is full"),
            EngineError::Empty => write!(f, "queue.Empty: the queue is empty"),
            EngineError::Timeout => write!(f, "TimeoutError: the wait timed out"),
            EngineError::OverRelease => {
                write!(f, "ValueError: Semaphore released too many times")
            }
            EngineError::NotOwner(what) => {
                write!(f, "RuntimeError: cannot release un-acquired {what}")
            }
            EngineError::BrokenBarrier => write!(f, "BrokenBarrierError: the barrier is broken"),
            EngineError::PoolTooSmall { needed, threads } => write!(
                f,
                "this run needs {needed} workers that block at the same time, but the pool \
                 has {threads} threads; raise the pool size to at least {needed}"
            ),
            EngineError::Serialize(m) => write!(f, "PicklingError: {m}"),
            EngineError::Task(m) => write!(f, "{m}"),
            EngineError::Invalid(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for EngineError {}

pub type EngineResult<T> = Result<T, EngineError>;
