//! zlib as Python's `zlib` module does it, with the C zlib behind flate2.
//!
//! Compressing must give exactly `zlib.compress(data)`, since the payload is
//! part of the signed text (see `deflate`). Decompressing stops at a size
//! limit: a small cookie must not be able to inflate into an arbitrary
//! amount of memory. An inflate state costs more to set up than a session
//! costs to inflate, so each thread keeps one and resets it.

use std::cell::RefCell;

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
    /// It inflates to more than the limit.
    TooLarge,
}

/// `zlib.decompress(data)` (bytes after the end of the stream are ignored,
/// as Python does), failing once the output would exceed `limit` bytes.
/// The buffer grows by doubling and never beyond `limit`.
pub fn decompress_limited(data: &[u8], limit: usize) -> Result<Vec<u8>, InflateError> {
    with_state(&INFLATE, new_inflate, |inflate| {
        inflate.reset(true);
        inflate_into(inflate, data, limit)
    })
}

fn inflate_into(
    inflate: &mut Decompress,
    data: &[u8],
    limit: usize,
) -> Result<Vec<u8>, InflateError> {
    let mut out: Vec<u8> = Vec::new();
    let mut filled = 0usize;
    // Once `out` is at the limit, one more byte of output proves it too large.
    let mut probe = [0u8; 1];
    loop {
        if filled == out.len() && out.len() < limit {
            let grow = out
                .len()
                .max(data.len().saturating_mul(4))
                .max(256)
                .min(limit - out.len());
            out.resize(out.len() + grow, 0);
        }
        let at_limit = filled == out.len();
        let (in_before, out_before) = (inflate.total_in(), inflate.total_out());
        let consumed = usize::try_from(in_before).map_err(|_| InflateError::Corrupt)?;
        let input = data.get(consumed..).ok_or(InflateError::Corrupt)?;
        let dst = if at_limit {
            &mut probe[..]
        } else {
            out.get_mut(filled..).ok_or(InflateError::Corrupt)?
        };
        let status = inflate
            .decompress(input, dst, FlushDecompress::Finish)
            .map_err(|_| InflateError::Corrupt)?;
        let produced =
            usize::try_from(inflate.total_out() - out_before).map_err(|_| InflateError::Corrupt)?;
        if at_limit && produced > 0 {
            return Err(InflateError::TooLarge);
        }
        filled += produced;
        if status == Status::StreamEnd {
            out.truncate(filled);
            return Ok(out);
        }
        if produced == 0 && inflate.total_in() == in_before {
            // No input left to move the stream on: it is truncated.
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
    fn decompress_round_trip_and_limit() {
        let json = small_json();
        assert_eq!(decompress_limited(SMALL_JSON_Z, 1 << 20), Ok(json.clone()));
        assert_eq!(
            decompress_limited(SMALL_JSON_Z, json.len()),
            Ok(json.clone())
        );
        assert_eq!(
            decompress_limited(SMALL_JSON_Z, json.len() - 1),
            Err(InflateError::TooLarge)
        );
        assert_eq!(
            decompress_limited(SMALL_JSON_Z, 0),
            Err(InflateError::TooLarge)
        );
    }

    #[test]
    fn decompress_rejects_bad_streams() {
        let short = SMALL_JSON_Z
            .get(..SMALL_JSON_Z.len() - 1)
            .unwrap_or_default();
        assert_eq!(
            decompress_limited(short, 1 << 20),
            Err(InflateError::Corrupt)
        );
        assert_eq!(decompress_limited(b"", 1 << 20), Err(InflateError::Corrupt));
        assert_eq!(
            decompress_limited(b"not zlib", 1 << 20),
            Err(InflateError::Corrupt)
        );
        let mut bad_sum = SMALL_JSON_Z.to_vec();
        if let Some(last) = bad_sum.last_mut() {
            *last ^= 1;
        }
        assert_eq!(
            decompress_limited(&bad_sum, 1 << 20),
            Err(InflateError::Corrupt)
        );
    }

    #[test]
    fn trailing_bytes_are_ignored() {
        let mut z = SMALL_JSON_Z.to_vec();
        z.extend(b"garbage");
        assert_eq!(decompress_limited(&z, 1 << 20), Ok(small_json()));
    }

    #[test]
    fn bomb_stops_at_limit() {
        let zeros = vec![0u8; 10 << 20];
        let bomb = compress_if_shorter(&zeros).unwrap_or_default();
        assert!(bomb.len() < 20_000);
        assert_eq!(
            decompress_limited(&bomb, 64 << 10),
            Err(InflateError::TooLarge)
        );
    }
}
