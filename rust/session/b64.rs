//! URL-safe base64 as itsdangerous writes and reads it.
//!
//! Writing is plain base64url without `=` padding. Reading reproduces
//! `base64.urlsafe_b64decode(s + b"=" * (-len(s) % 4))`, which is lenient:
//! bytes outside the alphabet are skipped, both `-_` and `+/` are accepted,
//! and decoding stops at the first complete pad sequence. A cookie that
//! itsdangerous accepts must be accepted here too, and vice versa.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Appends the unpadded base64url text of `data` to `out`.
pub fn encode_into(data: &[u8], out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(data, out);
}

/// Value of each byte in the decoding alphabet, or `INVALID`. Python's
/// decoder maps `-_` onto `+/` first, so all four are digits.
const INVALID: u8 = 0xff;
const TABLE: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < 26 {
        t[b'A' as usize + i] = i as u8;
        t[b'a' as usize + i] = 26 + i as u8;
        i += 1;
    }
    let mut d = 0;
    while d < 10 {
        t[b'0' as usize + d] = 52 + d as u8;
        d += 1;
    }
    t[b'+' as usize] = 62;
    t[b'-' as usize] = 62;
    t[b'/' as usize] = 63;
    t[b'_' as usize] = 63;
    t
};

/// Decodes like itsdangerous's `base64_decode`; `None` where it raises.
pub fn decode(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 3);
    decode_with(text, |byte| {
        out.push(byte);
        true
    })?;
    Some(out)
}

/// `decode(text)` when it gives exactly `N` bytes, `None` otherwise: a
/// value of known size (a signature) read without allocating, and without
/// reading past its `N + 1`th byte whatever the length of `text`.
pub fn decode_exact<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    let mut filled = 0usize;
    decode_with(text, |byte| match out.get_mut(filled) {
        Some(slot) => {
            *slot = byte;
            filled += 1;
            true
        }
        None => false,
    })?;
    (filled == N).then_some(out)
}

/// The decoder itself: hands each decoded byte to `sink` and gives `None`
/// where itsdangerous's `base64_decode` raises, or as soon as `sink`
/// answers false (it has seen enough to refuse the value).
pub fn decode_with(text: &[u8], mut sink: impl FnMut(u8) -> bool) -> Option<()> {
    // Pads that itsdangerous appends, so that `quad` may complete on them.
    let pads_added = (4 - text.len() % 4) % 4;
    let input = text
        .iter()
        .copied()
        .chain(std::iter::repeat_n(b'=', pads_added));
    let mut quad = 0u8;
    let mut pads = 0u8;
    let mut left = 0u8;
    for byte in input {
        if byte == b'=' {
            // A pad only counts once two digits of a quad are in; enough
            // of them end the input, and whatever follows is ignored.
            if quad >= 2 {
                pads += 1;
                if quad + pads >= 4 {
                    return Some(());
                }
            }
            continue;
        }
        let v = TABLE.get(usize::from(byte)).copied().unwrap_or(INVALID);
        if v == INVALID {
            continue;
        }
        pads = 0;
        let out = match quad {
            0 => {
                left = v;
                quad = 1;
                None
            }
            1 => {
                let b = (left << 2) | (v >> 4);
                left = v & 0x0f;
                quad = 2;
                Some(b)
            }
            2 => {
                let b = (left << 4) | (v >> 2);
                left = v & 0x03;
                quad = 3;
                Some(b)
            }
            _ => {
                quad = 0;
                Some((left << 6) | v)
            }
        };
        if let Some(b) = out {
            if !sink(b) {
                return None;
            }
        }
    }
    (quad == 0).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(data: &[u8]) -> String {
        let mut s = String::new();
        encode_into(data, &mut s);
        s
    }

    #[test]
    fn round_trip() {
        for n in 0..40u8 {
            let data: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37) ^ 0xa5).collect();
            assert_eq!(decode(enc(&data).as_bytes()), Some(data));
        }
    }

    #[test]
    fn url_safe_alphabet_without_padding() {
        assert_eq!(enc(b"\xfb\xff\xbf"), "-_-_");
        assert_eq!(enc(b"a"), "YQ");
        assert_eq!(enc(b""), "");
    }

    // Each expectation below is what Python gives for
    // `base64.urlsafe_b64decode(s + b"=" * (-len(s) % 4))`.
    #[test]
    fn lenient_like_python() {
        assert_eq!(decode(b""), Some(vec![]));
        assert_eq!(decode(b"A"), None);
        assert_eq!(decode(b"YQ"), Some(b"a".to_vec()));
        assert_eq!(decode(b"Y!Q"), None);
        assert_eq!(decode(b"Y!!Q"), None);
        assert_eq!(decode(b"Y!!!Q"), Some(b"a".to_vec()));
        assert_eq!(decode(b"+/-_"), decode(b"-_-_"));
        assert_eq!(decode(b"YQ==YWJj"), Some(b"a".to_vec()));
        assert_eq!(decode(b"=YQ"), None);
        assert_eq!(decode(b"YR"), Some(b"a".to_vec()));
        assert_eq!(decode("YQé".as_bytes()), None);
        assert_eq!(decode("YQ\u{e9}\u{e9}".as_bytes()), Some(b"a".to_vec()));
    }

    #[test]
    fn exact_size_reads_only_that_size() {
        assert_eq!(decode_exact::<1>(b"YQ"), Some(*b"a"));
        assert_eq!(decode_exact::<2>(b"YQ"), None);
        assert_eq!(decode_exact::<0>(b"YQ"), None);
        assert_eq!(decode_exact::<0>(b""), Some([]));
        assert_eq!(decode_exact::<1>(b"Y!!!Q"), Some(*b"a"));
        assert_eq!(decode_exact::<1>(b"YQ==YWJj"), Some(*b"a"));
        // Invalid past the point where it is already too long: refused
        // without reading on, as a full decode would refuse it too.
        let long = [b'A'; 1 << 16];
        assert_eq!(decode_exact::<3>(&long), None);
        assert_eq!(decode_exact::<3>(b"AAAA"), Some([0, 0, 0]));
    }

    #[test]
    fn a_sink_that_stops_ends_the_decoding() {
        let mut seen = 0;
        let stopped = decode_with(b"YWJjZGVm", |_| {
            seen += 1;
            seen < 2
        });
        assert_eq!((stopped, seen), (None, 2));
    }
}
