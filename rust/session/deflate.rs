//! zlib's deflate at Python's settings (level 6, 32 KiB window, default
//! strategy), with the memory level sized to the input when that provably
//! gives the same bytes.
//!
//! Resetting a deflate state clears its hash table: 64 KB at Python's memory
//! level 8, which costs more than compressing a session. The memory level
//! sets two things, the hash table's size (the hash function with it) and
//! the symbol buffer's (a block ends when it fills). The output is the same
//! at a lower level when
//! - the symbol buffer holds more symbols than the input has bytes, so no
//!   block ends early, and
//! - no hash chain, at either level, is longer than the shortest number of
//!   candidates zlib examines (32 at level 6): zlib then examines every
//!   earlier position of the same three bytes at both levels, in the same
//!   order, and positions of other bytes that share a hash are always
//!   rejected, so it finds the same matches.
//!
//! The chains are checked by counting hash values over the input before
//! compressing; when the check fails, level 8 is used.
//!
//! flate2 does not let one choose the memory level, hence the direct calls
//! into the C zlib that flate2 links (libz-sys, built statically).
#![allow(unsafe_code)]

use std::cell::RefCell;
use std::os::raw::{c_int, c_uint, c_void};

use libz_sys as z;

/// Python's `zlib.compress` memory level.
const FULL_MEM_LEVEL: usize = 8;
/// Candidates zlib examines per match at level 6 once a match of
/// `good_length` is in hand (`max_chain` 128, divided by 4).
const SHORTEST_CHAIN: u16 = 32;

extern "C" {
    fn calloc(count: usize, size: usize) -> *mut c_void;
    fn free(ptr: *mut c_void);
}

unsafe extern "C" fn zalloc(_opaque: *mut c_void, items: c_uint, size: c_uint) -> *mut c_void {
    calloc(items as usize, size as usize)
}

unsafe extern "C" fn zfree(_opaque: *mut c_void, address: *mut c_void) {
    free(address)
}

/// One deflate state. Boxed: zlib keeps a pointer back to the stream and
/// refuses a stream that moved.
struct Deflater {
    stream: Box<z::z_stream>,
}

impl Deflater {
    fn new(mem_level: usize) -> Option<Self> {
        let mut stream = Box::new(z::z_stream {
            next_in: std::ptr::null_mut(),
            avail_in: 0,
            total_in: 0,
            next_out: std::ptr::null_mut(),
            avail_out: 0,
            total_out: 0,
            msg: std::ptr::null_mut(),
            state: std::ptr::null_mut(),
            zalloc,
            zfree,
            opaque: std::ptr::null_mut(),
            data_type: 0,
            adler: 0,
            reserved: 0,
        });
        let size = c_int::try_from(std::mem::size_of::<z::z_stream>()).ok()?;
        let level = c_int::try_from(mem_level).ok()?;
        // SAFETY: the stream is fully initialised, with working allocation
        // functions; the version and size are this zlib's own.
        let rc = unsafe {
            z::deflateInit2_(
                &mut *stream,
                6,
                z::Z_DEFLATED,
                15,
                level,
                z::Z_DEFAULT_STRATEGY,
                z::zlibVersion(),
                size,
            )
        };
        (rc == z::Z_OK).then_some(Deflater { stream })
    }

    /// The whole zlib stream for `data`, or None when it is longer than
    /// `most` bytes (or zlib fails).
    fn compress(&mut self, data: &[u8], most: usize) -> Option<Vec<u8>> {
        let avail_in = c_uint::try_from(data.len()).ok()?;
        // One spare byte: a stream that fills `most` exactly still ends.
        let room = most.checked_add(1)?;
        let avail_out = c_uint::try_from(room).ok()?;
        let mut out: Vec<u8> = Vec::with_capacity(room);
        let stream = &mut *self.stream;
        // SAFETY: the state was made by deflateInit2_ and is only used here;
        // zlib reads `avail_in` bytes of `data` (never writes them: the
        // pointer is mutable only in the C signature) and writes at most
        // `avail_out` bytes into `out`'s spare capacity, reporting how many
        // in `total_out`, which is all that `set_len` exposes.
        unsafe {
            if z::deflateReset(stream) != z::Z_OK {
                return None;
            }
            stream.next_in = data.as_ptr().cast_mut();
            stream.avail_in = avail_in;
            stream.next_out = out.as_mut_ptr();
            stream.avail_out = avail_out;
            let rc = z::deflate(stream, z::Z_FINISH);
            stream.next_in = std::ptr::null_mut();
            stream.next_out = std::ptr::null_mut();
            if rc != z::Z_STREAM_END {
                return None;
            }
            let written = usize::try_from(stream.total_out).ok()?;
            if written > room {
                return None;
            }
            out.set_len(written);
        }
        (out.len() <= most).then_some(out)
    }
}

impl Drop for Deflater {
    fn drop(&mut self) {
        // SAFETY: the state came from deflateInit2_ and is ended once.
        unsafe {
            z::deflateEnd(&mut *self.stream);
        }
    }
}

thread_local! {
    /// One state per memory level (index: level - 1), made on first use.
    static STATES: RefCell<[Option<Deflater>; FULL_MEM_LEVEL]> =
        const { RefCell::new([None, None, None, None, None, None, None, None]) };
}

/// The memory levels used below 8. Each thread keeps a state (~130 KB and
/// up) per level it uses, so only every other level is offered: the hash
/// table of the one chosen is then at most four times the smallest.
const LOWER_LEVELS: [usize; 3] = [2, 4, 6];

/// The lowest offered memory level whose symbol buffer outlasts `len`
/// bytes.
fn sized_mem_level(len: usize) -> usize {
    LOWER_LEVELS
        .into_iter()
        .find(|level| (1usize << (level + 6)) - 1 > len)
        .unwrap_or(FULL_MEM_LEVEL)
}

/// zlib's hash of the three bytes at each position, for a table of
/// `bits` bits.
fn hashes(data: &[u8], bits: u32) -> impl Iterator<Item = usize> + '_ {
    // zlib: (hash_bits + MIN_MATCH - 1) / MIN_MATCH.
    let shift = bits.div_ceil(3);
    let mask = (1usize << bits) - 1;
    data.windows(3).map(move |w| {
        ((usize::from(w[0]) << (2 * shift)) ^ (usize::from(w[1]) << shift) ^ usize::from(w[2]))
            & mask
    })
}

/// Whether no value of `keys` (each below `size`) occurs more than
/// `SHORTEST_CHAIN` times.
fn spread(keys: impl Iterator<Item = usize>, size: usize) -> bool {
    let mut counts = vec![0u16; size];
    for key in keys {
        match counts.get_mut(key) {
            Some(count) if *count < SHORTEST_CHAIN => *count += 1,
            _ => return false,
        }
    }
    true
}

/// Whether compressing `data` at `level` gives the bytes level 8 gives.
fn same_as_full(data: &[u8], level: usize) -> bool {
    if level >= FULL_MEM_LEVEL || data.len() <= usize::from(SHORTEST_CHAIN) + 2 {
        // Level 8 itself, or too few positions for any chain to be cut.
        return true;
    }
    // Level 8 hashes to 15 bits; equal 15-bit hashes have equal low 9 bits,
    // so counting those bounds its chains with a small table.
    let full_bounded = spread(hashes(data, 15).map(|h| h & 0x1ff), 0x200);
    let bits = u32::try_from(level).map_or(15, |l| l + 7);
    full_bounded && spread(hashes(data, bits), 1 << bits)
}

/// `zlib.compress(data)` (level 6) when it is at most `most` bytes long.
pub fn compress_at_most(data: &[u8], most: usize) -> Option<Vec<u8>> {
    let sized = sized_mem_level(data.len());
    let level = if same_as_full(data, sized) {
        sized
    } else {
        FULL_MEM_LEVEL
    };
    STATES.with(|cell| {
        let Ok(mut states) = cell.try_borrow_mut() else {
            // Re-entered (cannot happen): a state of its own.
            return Deflater::new(level)?.compress(data, most);
        };
        let slot = states.get_mut(level - 1)?;
        if slot.is_none() {
            *slot = Deflater::new(level);
        }
        slot.as_mut()?.compress(data, most)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift), for inputs of every kind.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
        }
    }

    fn full(data: &[u8]) -> Option<Vec<u8>> {
        Deflater::new(FULL_MEM_LEVEL)?.compress(data, data.len() + 64)
    }

    #[test]
    fn sized_levels_outlast_the_input() {
        assert_eq!(sized_mem_level(0), 2);
        assert_eq!(sized_mem_level(254), 2);
        assert_eq!(sized_mem_level(255), 4);
        assert_eq!(sized_mem_level(1022), 4);
        assert_eq!(sized_mem_level(1023), 6);
        assert_eq!(sized_mem_level(4094), 6);
        assert_eq!(sized_mem_level(4095), 8);
        assert_eq!(sized_mem_level(1 << 20), 8);
    }

    #[test]
    fn same_bytes_as_level_eight() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut lowered = 0;
        for round in 0..3000 {
            // Alphabets from 2 to 60 symbols: small ones make long chains.
            let alphabet: Vec<u8> = (0..2 + rng.below(58))
                .map(|_| u8::try_from(rng.below(256)).unwrap_or(b'a'))
                .collect();
            let len = rng.below(if round % 3 == 0 { 300 } else { 5000 });
            let mut data: Vec<u8> = (0..len)
                .map(|_| {
                    alphabet
                        .get(rng.below(alphabet.len()))
                        .copied()
                        .unwrap_or(0)
                })
                .collect();
            if round % 2 == 0 {
                let copy = data
                    .get(..rng.below(len / 2 + 1))
                    .unwrap_or_default()
                    .to_vec();
                data.extend_from_slice(&copy);
            }
            let ours = compress_at_most(&data, data.len() + 64);
            assert_eq!(ours, full(&data), "input of {} bytes", data.len());
            if sized_mem_level(data.len()) < FULL_MEM_LEVEL
                && same_as_full(&data, sized_mem_level(data.len()))
            {
                lowered += 1;
            }
        }
        // The check must let many inputs through, or it saves nothing.
        assert!(lowered > 300, "only {lowered} inputs at a lower level");
    }

    #[test]
    fn long_chains_use_level_eight() {
        let runs = vec![b'a'; 100];
        assert!(!same_as_full(&runs, sized_mem_level(runs.len())));
        assert_eq!(compress_at_most(&runs, 200), full(&runs));
    }

    #[test]
    fn too_long_output_is_refused() {
        let noise: Vec<u8> = (0..200u8).map(|i| i.wrapping_mul(97) ^ 0x5a).collect();
        assert_eq!(compress_at_most(&noise, 10), None);
        assert!(compress_at_most(&noise, 1000).is_some());
    }
}
