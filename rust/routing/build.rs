//! The text side of URL building: percent-encoding exactly as Werkzeug does
//! it (Python's `urllib.parse.quote` and `quote_plus` with Werkzeug's safe
//! sets).

/// The bytes percent-encoding leaves alone: alphanumerics, `_.-~`, and a
/// context's extra safe characters. A table, so that runs of safe bytes are
/// found a byte at a time and copied at once.
pub struct SafeSet([bool; 256]);

impl SafeSet {
    const fn new(extra: &[u8]) -> Self {
        let mut table = [false; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            table[b] = c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'~');
            b += 1;
        }
        let mut i = 0;
        while i < extra.len() {
            table[extra[i] as usize] = true;
            i += 1;
        }
        SafeSet(table)
    }

    #[inline]
    fn contains(&self, b: u8) -> bool {
        self.0[b as usize]
    }
}

/// Characters left alone in a path segment (the WHATWG path-segment set).
pub const PATH_SAFE: &SafeSet = &SafeSet::new(b"!$&'()*+,/:;=@");
/// Characters left alone in a query string.
pub const QUERY_SAFE: &SafeSet = &SafeSet::new(b"!$'()*,/:;?@");

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Appends `text` percent-encoded to `out`, leaving the `safe` bytes alone;
/// with `plus`, a space becomes `+`.
pub fn quote_into(out: &mut String, text: &[u8], safe: &SafeSet, plus: bool) {
    let mut rest = text;
    while !rest.is_empty() {
        let run = rest
            .iter()
            .position(|&b| !safe.contains(b))
            .unwrap_or(rest.len());
        let (clean, tail) = rest.split_at(run);
        // Safe bytes are all ASCII, so the run is valid UTF-8.
        out.push_str(std::str::from_utf8(clean).unwrap_or_default());
        let Some((&b, after)) = tail.split_first() else {
            break;
        };
        if plus && b == b' ' {
            out.push('+');
        } else {
            let escaped = [b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]];
            out.push_str(std::str::from_utf8(&escaped).unwrap_or_default());
        }
        rest = after;
    }
}

pub fn quote(s: &str, safe: &SafeSet) -> String {
    let mut out = String::with_capacity(s.len());
    quote_into(&mut out, s.as_bytes(), safe, false);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_matches_python() {
        assert_eq!(quote("a b/ä?#%", PATH_SAFE), "a%20b/%C3%A4%3F%23%25");
        let mut q = String::new();
        quote_into(&mut q, "a b&c=d/é".as_bytes(), QUERY_SAFE, true);
        assert_eq!(q, "a+b%26c%3Dd/%C3%A9");
        let every: Vec<u8> = (0..=255).collect();
        let mut all = String::new();
        quote_into(&mut all, &every, PATH_SAFE, false);
        // What Python's quote(bytes(range(256)), safe=...) gives.
        let printable = "%20!%22%23$%25&'()*+,-./0123456789:;%3C=%3E%3F@\
                         ABCDEFGHIJKLMNOPQRSTUVWXYZ%5B%5C%5D%5E_%60\
                         abcdefghijklmnopqrstuvwxyz%7B%7C%7D~%7F";
        assert!(all.starts_with("%00%01%02"));
        assert!(all.contains(printable));
        assert_eq!(all.len(), 608);
    }
}
