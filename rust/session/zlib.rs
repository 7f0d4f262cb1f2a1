//! zlib as Python's `zlib` module does it, with the C zlib behind flate2.
//!
//! Compressing must give exactly `zlib.compress(data)`, since the payload is
//! part of the signed text (see `deflate`). Decompressing has no size limit,
//! as Python's has none: only a payload whose signature verified is ever
//! inflated, and that one was written with our key. An inflate state costs
//! more to set up than a session costs to inflate, so each thread keeps one
//! and resets it.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::{Decompress, FlushDecompress, Status};

use super::deflate;

thread_local! {
    static INFLATE: RefCell<Option<Decompress>> = const { RefCell::new(None) };
}

/// Runs `f` on this thread's state, made by `make` on first use. A state
/// already in use (re-entry cannot happen, but costs nothing to allow) gets
/// a fresh one instead of a panic.
fn with_state<T, R>(
    key: &'static std::thread::LocalKey<RefCell<Option<T>>>,
    make: fn() -> T,
    f: impl FnOnce(&mut T) -> R,
) -> R {
    key.with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) => f(slot.get_or_insert_with(make)),
        Err(_) => f(&mut make()),
    })
}

fn new_inflate() -> Decompress {
    Decompress::new(true)
}

/// `zlib.compress(data)`, but only when itsdangerous would use it: when it
/// is shorter than `data.len() - 1`. Output is capped at that length, so an
/// incompressible payload stops early instead of being compressed in full.
pub fn compress_if_shorter(data: &[u8]) -> Option<Vec<u8>> {
    deflate::compress_at_most(data, data.len().checked_sub(2)?)
}

/// Why a payload could not be decompressed.
#[derive(Debug, PartialEq, Eq)]
pub enum InflateError {
    /// Not a complete, valid zlib stream.
    Corrupt,
    /// Its output did not fit in memory (where Python raises `MemoryError`).
    OutOfMemory,
}

/// Calls of `decompress` since the process started, for tests that prove
/// what a refused cookie never reaches. Relaxed: a count, not a fence.
static INFLATIONS: AtomicU64 = AtomicU64::new(0);

/// How many times `decompress` has been called, on any thread.
pub fn inflations() -> u64 {
    INFLATIONS.load(Ordering::Relaxed)
}

/// `zlib.decompress(data)` (bytes after the end of the stream are ignored,
/// as Python does).
pub fn decompress(data: &[u8]) -> Result<Vec<u8>, InflateError> {
    INFLATIONS.fetch_add(1, Ordering::Relaxed);
    with_state(&INFLATE, new_inflate, |inflate| {
        inflate.reset(true);
        inflate_into(inflate, data)
    })
}

fn inflate_into(inflate: &mut Decompress, data: &[u8]) -> Result<Vec<u8>, InflateError> {
    // A session's JSON inflates to a few times its compressed size; the
    // buffer starts there and doubles.
    let mut out: Vec<u8> = Vec::new();
    out.try_reserve_exact(data.len().saturating_mul(4).max(256))
        .map_err(|_| InflateError::OutOfMemory)?;
    loop {
        if out.len() == out.capacity() {
            out.try_reserve(out.capacity())
                .map_err(|_| InflateError::OutOfMemory)?;
        }
        let (in_before, out_before) = (inflate.total_in(), inflate.total_out());
        let consumed = usize::try_from(in_before).map_err(|_| InflateError::Corrupt)?;
        let input = data.get(consumed..).ok_or(InflateError::Corrupt)?;
        let status = inflate
            .decompress_vec(input, &mut out, FlushDecompress::Finish)
            .map_err(|_| InflateError::Corrupt)?;
        if status == Status::StreamEnd {
            return Ok(out);
        }
        if inflate.total_out() == out_before && inflate.total_in() == in_before {
            // Room to write and still no progress: the stream is truncated.
            return Err(InflateError::Corrupt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // zlib.compress(b'{"a":"' + b"x" * 40 + b'"}') in Python.
    const SMALL_JSON_Z: &[u8] = b"x\x9c\xabVJT\xb2R\xaa \x12(\xd5\x02\x00\xebD\x14\xdc";

    fn small_json() -> Vec<u8> {
        let mut v = b"{\"a\":\"".to_vec();
        v.extend(std::iter::repeat_n(b'x', 40));
        v.extend(b"\"}");
        v
    }

    #[test]
    fn compress_matches_python() {
        assert_eq!(
            compress_if_shorter(&small_json()).as_deref(),
            Some(SMALL_JSON_Z)
        );
        // Twice: the reused state must give the same bytes.
        assert_eq!(
            compress_if_shorter(&small_json()).as_deref(),
            Some(SMALL_JSON_Z)
        );
    }

    #[test]
    fn incompressible_is_not_used() {
        assert_eq!(compress_if_shorter(b""), None);
        assert_eq!(compress_if_shorter(b"{}"), None);
        assert_eq!(compress_if_shorter(b"{\"user_id\":1}"), None);
    }

    #[test]
    fn decompress_round_trip() {
        assert_eq!(decompress(SMALL_JSON_Z), Ok(small_json()));
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let z = compress_if_shorter(&data).unwrap_or_default();
        assert_eq!(decompress(&z), Ok(data));
    }

    #[test]
    fn decompress_counts_its_calls() {
        let before = inflations();
        let _ = decompress(b"not zlib");
        let _ = decompress(SMALL_JSON_Z);
        // Other tests' threads may add theirs.
        assert!(inflations() >= before + 2);
    }

    #[test]
    fn decompress_rejects_bad_streams() {
        let short = SMALL_JSON_Z
            .get(..SMALL_JSON_Z.len() - 1)
            .unwrap_or_default();
        assert_eq!(decompress(short), Err(InflateError::Corrupt));
        assert_eq!(decompress(b""), Err(InflateError::Corrupt));
        assert_eq!(decompress(b"not zlib"), Err(InflateError::Corrupt));
        let mut bad_sum = SMALL_JSON_Z.to_vec();
        if let Some(last) = bad_sum.last_mut() {
            *last ^= 1;
        }
        assert_eq!(decompress(&bad_sum), Err(InflateError::Corrupt));
    }

    #[test]
    fn trailing_bytes_are_ignored() {
        let mut z = SMALL_JSON_Z.to_vec();
        z.extend(b"garbage");
        assert_eq!(decompress(&z), Ok(small_json()));
    }

    #[test]
    fn a_large_stream_inflates_in_full() {
        // What a 10 KB payload signed with our key may hold: all of it.
        let zeros = vec![0u8; 10 << 20];
        let bomb = compress_if_shorter(&zeros).unwrap_or_default();
        assert!(bomb.len() < 20_000);
        assert_eq!(decompress(&bomb).map(|v| v.len()), Ok(10 << 20));
    }
}
