//! Strings as JSON writes them with `ensure_ascii`: every character outside
//! printable ASCII escaped, astral ones as a surrogate pair.

use std::borrow::Cow;
use std::cmp::Ordering;

/// The text of a string: UTF-8, or its code points when it holds lone
/// surrogates (which UTF-8 cannot carry but a Python str can).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Text<'a> {
    Utf8(Cow<'a, str>),
    Points(Vec<u32>),
}

impl Text<'_> {
    fn points(&self) -> Vec<u32> {
        match self {
            Text::Utf8(s) => s.chars().map(u32::from).collect(),
            Text::Points(p) => p.clone(),
        }
    }

    /// Python's order of strs: by code point, which for UTF-8 is the order
    /// of the bytes.
    pub fn order(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Text::Utf8(a), Text::Utf8(b)) => a.as_bytes().cmp(b.as_bytes()),
            _ => self.points().cmp(&other.points()),
        }
    }

    /// The UTF-8 text, when it has one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Text::Utf8(s) => Some(s),
            Text::Points(_) => None,
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn escape_point(out: &mut Vec<u8>, cp: u32) {
    match cp {
        0x22 => out.extend_from_slice(b"\\\""),
        0x5c => out.extend_from_slice(b"\\\\"),
        0x0a => out.extend_from_slice(b"\\n"),
        0x0d => out.extend_from_slice(b"\\r"),
        0x09 => out.extend_from_slice(b"\\t"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0c => out.extend_from_slice(b"\\f"),
        0x20..=0x7e => out.push(cp as u8),
        0x10000.. => {
            let v = cp - 0x10000;
            escape_point(out, 0xd800 | (v >> 10));
            escape_point(out, 0xdc00 | (v & 0x3ff));
        }
        _ => {
            out.extend_from_slice(b"\\u");
            for shift in [12, 8, 4, 0] {
                out.push(HEX[((cp >> shift) & 0xf) as usize]);
            }
        }
    }
}

/// Writes `text` as a JSON string, quotes included.
pub fn write_text(out: &mut Vec<u8>, text: &Text<'_>) {
    out.push(b'"');
    match text {
        Text::Utf8(s) => {
            let bytes = s.as_bytes();
            let (mut i, mut run) = (0, 0);
            // Runs of printable ASCII are copied whole.
            while let Some(&b) = bytes.get(i) {
                if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
                    i += 1;
                    continue;
                }
                out.extend_from_slice(bytes.get(run..i).unwrap_or_default());
                let Some(c) = s.get(i..).and_then(|rest| rest.chars().next()) else {
                    break;
                };
                escape_point(out, c.into());
                i += c.len_utf8();
                run = i;
            }
            out.extend_from_slice(bytes.get(run..i).unwrap_or_default());
        }
        Text::Points(points) => points.iter().for_each(|&cp| escape_point(out, cp)),
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use super::{write_text, Text};

    fn json(text: Text<'_>) -> String {
        let mut out = Vec::new();
        write_text(&mut out, &text);
        String::from_utf8(out).unwrap()
    }

    fn utf8(s: &str) -> Text<'_> {
        Text::Utf8(s.into())
    }

    #[test]
    fn escapes_as_json_with_ensure_ascii() {
        for (s, want) in [
            ("", r#""""#),
            ("plain", r#""plain""#),
            ("q\"b\\", r#""q\"b\\""#),
            ("\n\r\t\u{8}\u{c}", r#""\n\r\t\b\f""#),
            ("\u{0}\u{1f}\u{7f}", r#""\u0000\u001f\u007f""#),
            ("é€", r#""\u00e9\u20ac""#),
            ("a😀b", r#""a\ud83d\ude00b""#),
        ] {
            assert_eq!(json(utf8(s)), want, "{s:?}");
        }
        // A lone surrogate, as Python holds it.
        assert_eq!(
            json(Text::Points(vec![0x61, 0xd800, 0x1f600])),
            r#""a\ud800\ud83d\ude00""#
        );
    }

    #[test]
    fn orders_by_code_point() {
        // U+FFFD sorts after U+10000 in UTF-16, before it by code point.
        let (bmp, astral) = (utf8("\u{fffd}"), utf8("\u{10000}"));
        assert_eq!(bmp.order(&astral), Ordering::Less);
        assert_eq!(
            Text::Points(vec![0xdc00]).order(&utf8("\u{e000}")),
            Ordering::Less
        );
        assert_eq!(
            utf8("b").order(&Text::Points(vec![0x61])),
            Ordering::Greater
        );
    }
}
