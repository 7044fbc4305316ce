//! The file-I/O lessons' store on the Origin Private File System (OPFS).
//!
//! The engine's [`FileStore`] is synchronous and runs on pool threads, which are dedicated
//! Web Workers blocked in rayon's loop. OPFS offers synchronous I/O only through a
//! `FileSystemSyncAccessHandle`, which takes an asynchronous dance to open and belongs to
//! the Worker that opened it. So each pool Worker opens one scratch file before it starts
//! its thread (`spawn_worker.js` leaves the handle in `self.__cpScratch`), and this store
//! writes through the handle of whichever Worker calls it: one file in flight per Worker.
//!
//! A thread without a handle (the supervisor thread that runs a main program, a Worker
//! where OPFS refused) or a second file on a Worker whose scratch file is busy falls back
//! to memory. The store counts both, and the lesson reports the counts, not a guess.

use crate::engine::work::{FileStore, MemStore, StoreTally};
use crate::engine::{EngineError, EngineResult};
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{FileSystemReadWriteOptions, FileSystemSyncAccessHandle};

/// What the lesson calls this store.
pub const OPFS_NAME: &str = "OPFS";

/// The global where `spawn_worker.js` leaves a Worker's scratch file handle.
const HANDLE_GLOBAL: &str = "__cpScratch";

/// This thread's scratch file, and which store's file it holds right now.
struct Scratch {
    handle: FileSystemSyncAccessHandle,
    /// (store id, path, length) of the file in it, if any.
    holds: Option<(u64, String, usize)>,
}

thread_local! {
    /// Looked up once per thread: `None` inside means this thread has no scratch file.
    static SCRATCH: RefCell<Option<Option<Scratch>>> = const { RefCell::new(None) };
}

/// Run `f` with this thread's scratch file, or return `None` if it has none.
fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> Option<R> {
    SCRATCH.with(|cell| {
        let mut cell = cell.borrow_mut();
        let slot = cell.get_or_insert_with(|| {
            js_sys::Reflect::get(&js_sys::global(), &HANDLE_GLOBAL.into())
                .ok()
                .filter(|h| h.is_object())
                .map(|h| Scratch {
                    handle: h.unchecked_into(),
                    holds: None,
                })
        });
        slot.as_mut().map(f)
    })
}

/// Whether the calling thread (a pool Worker) holds an OPFS scratch file.
pub fn this_thread_has_scratch() -> bool {
    with_scratch(|_| ()).is_some()
}

fn os_error(op: &str, e: JsValue) -> EngineError {
    EngineError::Task(format!(
        "OSError: OPFS {op} failed: {}",
        super::session::js_error_text(&e)
    ))
}

fn at_start() -> FileSystemReadWriteOptions {
    let opts = FileSystemReadWriteOptions::new();
    opts.set_at(0.0);
    opts
}

/// Files on OPFS through the calling Worker's scratch file, or in memory where a thread
/// has none. One per run, so its tally counts that run's writes.
pub struct OpfsStore {
    id: u64,
    memory: MemStore,
    stored: AtomicU64,
    in_memory: AtomicU64,
}

impl Default for OpfsStore {
    fn default() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        OpfsStore {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            memory: MemStore::default(),
            stored: AtomicU64::new(0),
            in_memory: AtomicU64::new(0),
        }
    }
}

impl OpfsStore {
    /// Does this thread's scratch file hold `path` of this store? Its length if so.
    fn held_here(&self, path: &str) -> Option<usize> {
        with_scratch(|s| match &s.holds {
            Some((id, p, len)) if *id == self.id && p == path => Some(*len),
            _ => None,
        })
        .flatten()
    }
}

impl FileStore for OpfsStore {
    fn name(&self) -> &'static str {
        OPFS_NAME
    }

    fn write(&self, path: &str, data: &[u8]) -> EngineResult<()> {
        let on_disk = with_scratch(|s| {
            // A file of an earlier run (cancelled mid round trip) no longer counts.
            let free = match &s.holds {
                None => true,
                Some((id, p, _)) => *id != self.id || p == path,
            };
            if !free {
                return None;
            }
            let wrote = s
                .handle
                .write_with_u8_array_and_options(data, &at_start())
                .map_err(|e| os_error("write", e))
                .and_then(|n| {
                    if n as usize == data.len() {
                        Ok(())
                    } else {
                        Err(EngineError::Task(format!(
                            "OSError: OPFS wrote {n} of {} bytes",
                            data.len()
                        )))
                    }
                })
                .and_then(|()| {
                    s.handle
                        .truncate_with_f64(data.len() as f64)
                        .map_err(|e| os_error("truncate", e))
                })
                // Durable, as a file on disk would be; measured, it adds little here.
                .and_then(|()| s.handle.flush().map_err(|e| os_error("flush", e)));
            s.holds = wrote
                .is_ok()
                .then(|| (self.id, path.to_string(), data.len()));
            Some(wrote)
        })
        .flatten();
        match on_disk {
            Some(result) => {
                result?;
                self.stored.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
            None => {
                self.memory.write(path, data)?;
                self.in_memory.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        }
    }

    fn read(&self, path: &str) -> EngineResult<Vec<u8>> {
        let Some(len) = self.held_here(path) else {
            return self.memory.read(path);
        };
        let read = with_scratch(|s| {
            let mut buf = vec![0u8; len];
            let n = s
                .handle
                .read_with_u8_array_and_options(&mut buf, &at_start())
                .map_err(|e| os_error("read", e))?;
            buf.truncate(n as usize);
            Ok(buf)
        });
        read.unwrap_or_else(|| Err(EngineError::Task(format!("FileNotFoundError: {path}"))))
    }

    fn remove(&self, path: &str) -> EngineResult<()> {
        if self.held_here(path).is_none() {
            return self.memory.remove(path);
        }
        // The scratch file stays for the Worker's next file; emptying it is the delete.
        with_scratch(|s| {
            s.holds = None;
            s.handle
                .truncate_with_f64(0.0)
                .map_err(|e| os_error("truncate", e))
        })
        .unwrap_or(Ok(()))
    }

    fn tally(&self) -> Option<StoreTally> {
        Some(StoreTally {
            stored: self.stored.load(Ordering::SeqCst),
            in_memory: self.in_memory.load(Ordering::SeqCst),
        })
    }
}
