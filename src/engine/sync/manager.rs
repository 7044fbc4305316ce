//! `multiprocessing.Manager().dict()`: a dict owned by a server and reached through a
//! proxy. Every operation is a request/response round trip: the proxy serializes the
//! request with serde_json, the server decodes it, applies it to the dict it owns, encodes
//! the answer, and the proxy decodes that. Every step records its byte size and time, so
//! the per-operation cost next to a shared `Value` is measured, not asserted.
//!
//! The server is not a thread of its own (a Web Worker pool has none to spare): it runs
//! the request on the caller's thread under its own mutex, one request at a time, which is
//! how a manager serializes access to the object it owns.

use super::{new_id, register};
use crate::engine::liveness::{lock, Inspect, ObjectState};
use crate::engine::run::RunCtx;
use crate::engine::trace::{EventKind, ObjectId, ObjectKind};
use crate::engine::{EngineError, EngineResult};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use web_time::Instant;

type Json = serde_json::Value;

#[derive(Serialize, Deserialize)]
enum Request {
    Get { key: String },
    Set { key: String, value: Json },
    Del { key: String },
    Len,
    Keys,
    Items,
}

#[derive(Serialize, Deserialize)]
enum Response {
    Value(Option<Json>),
    Len(u64),
    Keys(Vec<String>),
    Items(BTreeMap<String, Json>),
    Done,
}

/// Totals over every operation of every proxy of one manager.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ManagerStats {
    pub ops: u64,
    /// Bytes of requests and responses together.
    pub bytes: u64,
    /// Time spent serializing and deserializing, in nanoseconds (small messages take
    /// well under a microsecond, so µs totals would round to nothing).
    pub codec_ns: u64,
    /// Whole round trips, ns (codec plus waiting for the server plus the operation).
    pub round_trip_ns: u64,
}

#[derive(Default)]
struct Totals {
    ops: AtomicU64,
    bytes: AtomicU64,
    codec_ns: AtomicU64,
    round_trip_ns: AtomicU64,
}

pub struct Manager {
    ctx: Arc<RunCtx>,
    id: ObjectId,
    name: String,
    /// The objects the server owns, by handle.
    dicts: Mutex<Vec<BTreeMap<String, Json>>>,
    totals: Totals,
}

impl Manager {
    pub fn new(ctx: &Arc<RunCtx>, name: &str) -> Arc<Manager> {
        let id = new_id(ctx, name, ObjectKind::Manager);
        let m = Arc::new(Manager {
            ctx: ctx.clone(),
            id,
            name: name.to_string(),
            dicts: Mutex::new(Vec::new()),
            totals: Totals::default(),
        });
        register(ctx, &m);
        m
    }

    pub fn id(&self) -> ObjectId {
        self.id
    }

    /// `manager.dict()`: a new empty dict on the server, and a proxy to it.
    pub fn dict(self: &Arc<Self>) -> DictProxy {
        let mut dicts = lock(&self.dicts);
        dicts.push(BTreeMap::new());
        DictProxy {
            manager: self.clone(),
            handle: dicts.len() - 1,
        }
    }

    pub fn stats(&self) -> ManagerStats {
        let t = &self.totals;
        ManagerStats {
            ops: t.ops.load(Ordering::Relaxed),
            bytes: t.bytes.load(Ordering::Relaxed),
            codec_ns: t.codec_ns.load(Ordering::Relaxed),
            round_trip_ns: t.round_trip_ns.load(Ordering::Relaxed),
        }
    }

    /// Serialize `msg`, recording its size and time.
    fn encode<M: Serialize>(&self, msg: &M) -> EngineResult<Vec<u8>> {
        let t = Instant::now();
        let bytes = serde_json::to_vec(msg).map_err(|e| EngineError::Serialize(e.to_string()))?;
        let ns = t.elapsed().as_nanos() as u64;
        self.count_codec(bytes.len() as u64, ns);
        let us = ns / 1000;
        self.ctx.emit(
            Some(self.id),
            EventKind::Serialize {
                bytes: bytes.len() as u64,
                us,
            },
        );
        Ok(bytes)
    }

    fn decode<M: DeserializeOwned>(&self, bytes: &[u8]) -> EngineResult<M> {
        let t = Instant::now();
        let msg =
            serde_json::from_slice(bytes).map_err(|e| EngineError::Serialize(e.to_string()))?;
        let ns = t.elapsed().as_nanos() as u64;
        self.count_codec(bytes.len() as u64, ns);
        let us = ns / 1000;
        self.ctx.emit(
            Some(self.id),
            EventKind::Deserialize {
                bytes: bytes.len() as u64,
                us,
            },
        );
        Ok(msg)
    }

    fn count_codec(&self, bytes: u64, ns: u64) {
        self.totals.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.totals.codec_ns.fetch_add(ns, Ordering::Relaxed);
    }

    /// One round trip: the proxy's side around the server's.
    fn call(&self, handle: usize, req: &Request) -> EngineResult<Response> {
        self.ctx.sync_point()?;
        let started = Instant::now();
        let wire = self.encode(req)?;
        let answer = self.serve(handle, &wire)?;
        let resp = self.decode(&answer)?;
        let t = &self.totals;
        t.ops.fetch_add(1, Ordering::Relaxed);
        t.round_trip_ns
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        self.ctx.progress();
        Ok(resp)
    }

    /// The server's side: bytes in, bytes out; it only ever sees the wire format.
    fn serve(&self, handle: usize, wire: &[u8]) -> EngineResult<Vec<u8>> {
        let mut dicts = lock(&self.dicts);
        let req: Request = self.decode(wire)?;
        let dict = dicts
            .get_mut(handle)
            .ok_or_else(|| EngineError::Invalid("the manager has no such object".into()))?;
        let resp = match req {
            Request::Get { key } => Response::Value(dict.get(&key).cloned()),
            Request::Set { key, value } => {
                dict.insert(key, value);
                Response::Done
            }
            Request::Del { key } => Response::Value(dict.remove(&key)),
            Request::Len => Response::Len(dict.len() as u64),
            Request::Keys => Response::Keys(dict.keys().cloned().collect()),
            Request::Items => Response::Items(dict.clone()),
        };
        self.encode(&resp)
    }
}

impl Inspect for Manager {
    fn snapshot(&self) -> ObjectState {
        let entries: usize = lock(&self.dicts).iter().map(|d| d.len()).sum();
        ObjectState {
            id: self.id,
            name: self.name.clone(),
            kind: Some(ObjectKind::Manager),
            holders: Vec::new(),
            waiters: Vec::new(),
            timed_waiters: Vec::new(),
            value: Some(entries as i64),
        }
    }
}

/// A proxy to a dict owned by a [`Manager`]. Cloning it makes another proxy to the same
/// dict, as passing a proxy to another process does.
#[derive(Clone)]
pub struct DictProxy {
    manager: Arc<Manager>,
    handle: usize,
}

fn bad_reply() -> EngineError {
    EngineError::Serialize("the manager sent an unexpected reply".into())
}

fn from_json<V: DeserializeOwned>(v: Json) -> EngineResult<V> {
    serde_json::from_value(v).map_err(|e| EngineError::Serialize(e.to_string()))
}

impl DictProxy {
    pub fn manager(&self) -> &Arc<Manager> {
        &self.manager
    }

    /// `d[key] = value`.
    pub fn set<V: Serialize>(&self, key: &str, value: &V) -> EngineResult<()> {
        let value =
            serde_json::to_value(value).map_err(|e| EngineError::Serialize(e.to_string()))?;
        let req = Request::Set {
            key: key.to_string(),
            value,
        };
        match self.manager.call(self.handle, &req)? {
            Response::Done => Ok(()),
            _ => Err(bad_reply()),
        }
    }

    /// `d.get(key)`.
    pub fn get<V: DeserializeOwned>(&self, key: &str) -> EngineResult<Option<V>> {
        let req = Request::Get {
            key: key.to_string(),
        };
        match self.manager.call(self.handle, &req)? {
            Response::Value(v) => v.map(from_json).transpose(),
            _ => Err(bad_reply()),
        }
    }

    /// `d.pop(key, None)`.
    pub fn remove<V: DeserializeOwned>(&self, key: &str) -> EngineResult<Option<V>> {
        let req = Request::Del {
            key: key.to_string(),
        };
        match self.manager.call(self.handle, &req)? {
            Response::Value(v) => v.map(from_json).transpose(),
            _ => Err(bad_reply()),
        }
    }

    /// `len(d)`.
    pub fn len(&self) -> EngineResult<usize> {
        match self.manager.call(self.handle, &Request::Len)? {
            Response::Len(n) => Ok(n as usize),
            _ => Err(bad_reply()),
        }
    }

    pub fn is_empty(&self) -> EngineResult<bool> {
        Ok(self.len()? == 0)
    }

    /// `list(d.keys())`, sorted.
    pub fn keys(&self) -> EngineResult<Vec<String>> {
        match self.manager.call(self.handle, &Request::Keys)? {
            Response::Keys(k) => Ok(k),
            _ => Err(bad_reply()),
        }
    }

    /// `dict(d)`: a local copy of everything.
    pub fn items<V: DeserializeOwned>(&self) -> EngineResult<BTreeMap<String, V>> {
        match self.manager.call(self.handle, &Request::Items)? {
            Response::Items(m) => m
                .into_iter()
                .map(|(k, v)| from_json(v).map(|v| (k, v)))
                .collect(),
            _ => Err(bad_reply()),
        }
    }
}
