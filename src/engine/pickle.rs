//! The process flavour's pickling: everything crossing to or from a process-flavoured
//! worker (arguments, results) is really serialized with serde (JSON bytes) on one side
//! and deserialized on the other, and both costs are recorded with their byte size. A
//! thread-flavoured worker shares memory, so for it crossing is free and records nothing.
//!
//! Serializing is where Python's "can't pickle" errors come from; here they surface as
//! [`EngineError::Serialize`]. [`NotPicklable`] is a value that refuses, like a lock or an
//! open file in Python, so lessons can show the error.

use super::error::{EngineError, EngineResult};
use super::run::RunCtx;
use super::trace::{EventKind, Flavour};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::marker::PhantomData;
use web_time::Instant;

/// Serialized bytes of a `T`, on their way to the other side.
pub struct Pickled<T> {
    bytes: Vec<u8>,
    _t: PhantomData<fn() -> T>,
}

impl<T> Pickled<T> {
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl<T> Clone for Pickled<T> {
    fn clone(&self) -> Self {
        Pickled {
            bytes: self.bytes.clone(),
            _t: PhantomData,
        }
    }
}

/// Serialize `value` for another process, recording a `Serialize` event (bytes, µs)
/// for the calling worker.
///
/// The serializing always happens; only its timing is skipped when tracing is off, since
/// the event that would carry it is not kept then (two clock reads per crossing).
pub fn pickle<T: Serialize>(ctx: &RunCtx, value: &T) -> EngineResult<Pickled<T>> {
    let t0 = ctx.recorder.enabled().then(Instant::now);
    let bytes = serde_json::to_vec(value).map_err(|e| EngineError::Serialize(e.to_string()))?;
    if let Some(t0) = t0 {
        ctx.emit(
            None,
            EventKind::Serialize {
                bytes: bytes.len() as u64,
                us: t0.elapsed().as_micros() as u64,
            },
        );
    }
    Ok(Pickled {
        bytes,
        _t: PhantomData,
    })
}

/// Rebuild a value on the receiving side, recording a `Deserialize` event.
pub fn unpickle<T: DeserializeOwned>(ctx: &RunCtx, p: &Pickled<T>) -> EngineResult<T> {
    let t0 = ctx.recorder.enabled().then(Instant::now);
    let value =
        serde_json::from_slice(&p.bytes).map_err(|e| EngineError::Serialize(e.to_string()))?;
    if let Some(t0) = t0 {
        ctx.emit(
            None,
            EventKind::Deserialize {
                bytes: p.bytes.len() as u64,
                us: t0.elapsed().as_micros() as u64,
            },
        );
    }
    Ok(value)
}

/// A value as it travels between workers of a flavour: as is between threads, as bytes
/// to and from a process.
pub enum Parcel<T> {
    Shared(T),
    Pickled(Pickled<T>),
}

impl<T: Serialize + DeserializeOwned> Parcel<T> {
    /// Pack on the sending side.
    pub fn pack(ctx: &RunCtx, value: T, flavour: Flavour) -> EngineResult<Self> {
        match flavour {
            Flavour::Thread => Ok(Parcel::Shared(value)),
            Flavour::Process => pickle(ctx, &value).map(Parcel::Pickled),
        }
    }

    /// Unpack on the receiving side.
    pub fn open(self, ctx: &RunCtx) -> EngineResult<T> {
        match self {
            Parcel::Shared(v) => Ok(v),
            Parcel::Pickled(p) => unpickle(ctx, &p),
        }
    }
}

impl<T: Clone> Parcel<T> {
    /// Unpack without consuming, for results that may be read more than once.
    pub fn open_ref(&self, ctx: &RunCtx) -> EngineResult<T>
    where
        T: DeserializeOwned,
    {
        match self {
            Parcel::Shared(v) => Ok(v.clone()),
            Parcel::Pickled(p) => unpickle(ctx, p),
        }
    }
}

/// Send `value` across to a worker of `flavour` and back in one call: the identity for a
/// thread (shared memory, no cost, no events), a real serialize + deserialize round trip
/// for a process.
pub fn cross<T: Serialize + DeserializeOwned>(
    ctx: &RunCtx,
    value: T,
    flavour: Flavour,
) -> EngineResult<T> {
    Parcel::pack(ctx, value, flavour)?.open(ctx)
}

/// A value that cannot be pickled, like a lock or an open file in Python: serializing it
/// fails with `cannot pickle '<what>' object`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotPicklable(pub String);

impl Serialize for NotPicklable {
    fn serialize<S: Serializer>(&self, _s: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(format!(
            "cannot pickle '{}' object",
            self.0
        )))
    }
}

impl<'de> Deserialize<'de> for NotPicklable {
    fn deserialize<D: Deserializer<'de>>(_d: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom(
            "a NotPicklable value cannot be rebuilt",
        ))
    }
}
