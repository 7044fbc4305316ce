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
    bytes: Bytes,
    _t: PhantomData<fn() -> T>,
}

impl<T> Pickled<T> {
    pub fn len(&self) -> usize {
        self.bytes.as_slice().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

/// How many serialized bytes are kept inline, without a heap allocation: enough for the
/// numbers, short strings and small tuples most tasks pass, so sending them to a process
/// costs the serializing itself and not an allocation on each side as well.
const INLINE: usize = 30;

/// A byte buffer that stays inline while small and moves to the heap when it grows.
#[derive(Clone)]
enum Bytes {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Vec<u8>),
}

impl Bytes {
    fn new() -> Self {
        Bytes::Inline {
            len: 0,
            buf: [0; INLINE],
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Inline { len, buf } => &buf[..usize::from(*len)],
            Bytes::Heap(v) => v,
        }
    }
}

impl std::io::Write for Bytes {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        match self {
            Bytes::Inline { len, buf } => {
                let at = usize::from(*len);
                match buf.get_mut(at..at + data.len()) {
                    Some(dst) => {
                        dst.copy_from_slice(data);
                        *len += data.len() as u8;
                    }
                    None => {
                        let mut v = Vec::with_capacity((at + data.len()).max(2 * INLINE));
                        v.extend_from_slice(&buf[..at]);
                        v.extend_from_slice(data);
                        *self = Bytes::Heap(v);
                    }
                }
            }
            Bytes::Heap(v) => v.extend_from_slice(data),
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Serialize `value` for another process, recording a `Serialize` event (bytes, µs)
/// for the calling worker.
///
/// The serializing always happens; only its timing is skipped when tracing is off, since
/// the event that would carry it is not kept then (two clock reads per crossing).
pub fn pickle<T: Serialize>(ctx: &RunCtx, value: &T) -> EngineResult<Pickled<T>> {
    let t0 = ctx.recorder.enabled().then(Instant::now);
    let mut bytes = Bytes::new();
    serde_json::to_writer(&mut bytes, value).map_err(|e| EngineError::Serialize(e.to_string()))?;
    if let Some(t0) = t0 {
        ctx.emit(
            None,
            EventKind::Serialize {
                bytes: bytes.as_slice().len() as u64,
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
    let value = serde_json::from_slice(p.bytes.as_slice())
        .map_err(|e| EngineError::Serialize(e.to_string()))?;
    if let Some(t0) = t0 {
        ctx.emit(
            None,
            EventKind::Deserialize {
                bytes: p.len() as u64,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Strings whose JSON form is just under, at and over the inline size, and far over it,
    /// written in one piece or in many: each comes back whole, with its exact byte count.
    #[test]
    fn round_trips_across_the_inline_limit() {
        let ctx = RunCtx::new();
        for n in [0, INLINE - 3, INLINE - 2, INLINE - 1, INLINE, 4 * INLINE] {
            let s = "x".repeat(n);
            let p = pickle(&ctx, &s).unwrap();
            assert_eq!(p.len(), n + 2, "two quotes around {n} bytes");
            assert_eq!(unpickle(&ctx, &p).unwrap(), s);
            assert_eq!(unpickle(&ctx, &p.clone()).unwrap(), s);
        }
        let v: Vec<u64> = (0..50).collect();
        let p = pickle(&ctx, &v).unwrap();
        assert_eq!(p.len(), serde_json::to_vec(&v).unwrap().len());
        assert_eq!(unpickle(&ctx, &p).unwrap(), v);
    }
}
