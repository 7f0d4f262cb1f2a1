//! The writer: one pass over a value tree, answering `None` for a value it
//! does not cover.

use super::float::write_float;
use super::tag::Tag;
use super::text::{write_text, Text};

// Deeper values (and circular ones, which are infinitely deep) are left to
// the caller's encoder, which raises as Flask does.
const DEPTH: u32 = 200;

/// A value the writer can walk: the binding implements it for Python
/// objects, the tests for a plain enum.
pub trait Node: Sized {
    type Error;
    /// The items of a list or tuple.
    type Items: Iterator<Item = Self>;

    /// What the value is as JSON; `Shape::Other` for anything else. Only
    /// values of exactly the JSON types count (a subclass of str is Other).
    fn shape(&self) -> Result<Shape<'_, Self>, Self::Error>;

    /// For a value whose shape is `Other`, in tagged JSON: what stands for
    /// it, or None when no tag covers it.
    fn tagged(&self) -> Result<Option<Tagged<'_>>, Self::Error>;
}

/// What a value is as JSON.
pub enum Shape<'a, N: Node> {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer beyond 64 bits, as its decimal digits.
    Digits(String),
    Float(f64),
    Str(Text<'a>),
    List(N::Items),
    /// A tuple: an array in plain JSON, tagged in tagged JSON.
    Tuple(N::Items),
    /// A dict's items, in its order.
    Dict(Vec<(N, N)>),
    Other,
}

/// A value that tagged JSON writes as a tag.
pub enum Tagged<'a> {
    Bytes(&'a [u8]),
    /// Markup, UUID or datetime, by the text their tag holds.
    Text(Tag, Text<'a>),
}

/// Flask's tagged JSON (the session) or plain JSON as `json.dumps` writes
/// it (response bodies), compact and ASCII either way.
#[derive(Clone, Copy)]
struct Mode {
    sort: bool,
    tagged: bool,
}

/// `TaggedJSONSerializer().dumps(value)` with the app's JSON provider set as
/// by default, sorted keys or not: compact and ASCII. None when `value` holds
/// anything but dicts with str keys, lists, tuples, str, int, float, bool,
/// None and the tagged values.
pub fn tagged_json<N: Node>(value: &N, sort_keys: bool) -> Result<Option<Vec<u8>>, N::Error> {
    let mode = Mode {
        sort: sort_keys,
        tagged: true,
    };
    let mut out = Vec::with_capacity(128);
    Ok(write(&mut out, value, mode, 0)?.then_some(out))
}

/// `json.dumps(value, separators=(",", ":"), sort_keys=sort_keys)` and a
/// newline (a JSON response's body); None when `value` holds anything but
/// dicts with str keys, lists, tuples, str, int, float, bool and None.
pub fn json_body<N: Node>(value: &N, sort_keys: bool) -> Result<Option<Vec<u8>>, N::Error> {
    let mode = Mode {
        sort: sort_keys,
        tagged: false,
    };
    let mut out = Vec::with_capacity(128);
    if !write(&mut out, value, mode, 0)? {
        return Ok(None);
    }
    out.push(b'\n');
    Ok(Some(out))
}

/// Writes the JSON of `v`; Ok(false) when it is outside what the writer
/// covers (the caller then discards `out`).
fn write<N: Node>(out: &mut Vec<u8>, v: &N, mode: Mode, depth: u32) -> Result<bool, N::Error> {
    if depth > DEPTH {
        return Ok(false);
    }
    match v.shape()? {
        Shape::Str(text) => write_text(out, &text),
        Shape::Dict(items) => return write_dict(out, items, mode, depth),
        Shape::List(items) => return write_items::<N>(out, items, mode, depth),
        Shape::Int(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
        Shape::Digits(digits) => out.extend_from_slice(digits.as_bytes()),
        Shape::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Shape::Null => out.extend_from_slice(b"null"),
        Shape::Float(x) => write_float(out, x),
        // json writes a tuple as an array.
        Shape::Tuple(items) if !mode.tagged => return write_items::<N>(out, items, mode, depth),
        Shape::Tuple(items) => {
            open_tag(out, Tag::Tuple);
            if !write_items::<N>(out, items, mode, depth)? {
                return Ok(false);
            }
            out.push(b'}');
        }
        // Everything else needs json's `default` hook: the caller's.
        Shape::Other if !mode.tagged => return Ok(false),
        Shape::Other => match v.tagged()? {
            Some(Tagged::Bytes(data)) => {
                open_tag(out, Tag::Bytes);
                out.push(b'"');
                write_base64(out, data);
                out.extend_from_slice(b"\"}");
            }
            Some(Tagged::Text(tag, text)) => {
                open_tag(out, tag);
                write_text(out, &text);
                out.push(b'}');
            }
            None => return Ok(false),
        },
    }
    Ok(true)
}

/// `{"<key>":`
fn open_tag(out: &mut Vec<u8>, tag: Tag) {
    out.extend_from_slice(b"{\"");
    out.extend_from_slice(tag.key().as_bytes());
    out.extend_from_slice(b"\":");
}

fn write_items<N: Node>(
    out: &mut Vec<u8>,
    items: N::Items,
    mode: Mode,
    depth: u32,
) -> Result<bool, N::Error> {
    out.push(b'[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if !write(out, &item, mode, depth + 1)? {
            return Ok(false);
        }
    }
    out.push(b']');
    Ok(true)
}

fn write_dict<N: Node>(
    out: &mut Vec<u8>,
    items: Vec<(N, N)>,
    mode: Mode,
    depth: u32,
) -> Result<bool, N::Error> {
    let mut texts = Vec::with_capacity(items.len());
    for (k, v) in &items {
        let Shape::Str(k) = k.shape()? else {
            // json would convert other keys, or refuse them.
            return Ok(false);
        };
        texts.push((k, v));
    }
    if let (true, [(key, v)]) = (mode.tagged, texts.as_slice()) {
        if let Some(name) = key.as_str().filter(|name| Tag::from_key(name).is_some()) {
            // A genuine dict whose only key is a tag's: escaped, so that it is
            // not read back as that tag.
            open_tag(out, Tag::Dict);
            out.extend_from_slice(b"{\"");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"__\":");
            let done = write(out, *v, mode, depth + 1)?;
            out.extend_from_slice(b"}}");
            return Ok(done);
        }
    }
    if mode.sort {
        texts.sort_by(|a, b| a.0.order(&b.0));
    }
    out.push(b'{');
    for (i, (k, v)) in texts.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_text(out, k);
        out.push(b':');
        if !write(out, *v, mode, depth + 1)? {
            return Ok(false);
        }
    }
    out.push(b'}');
    Ok(true)
}

/// Standard base64 with padding, as `b64encode` (the bytes tag).
fn write_base64(out: &mut Vec<u8>, data: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in data.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = byte(0) << 16 | byte(1) << 8 | byte(2);
        let sextet = |shift: u32| ALPHABET[((n >> shift) & 63) as usize];
        out.extend_from_slice(&[sextet(18), sextet(12)]);
        out.push(if chunk.len() > 1 { sextet(6) } else { b'=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { b'=' });
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::{json_body, tagged_json, write_base64, Node, Shape, Tagged};
    use crate::tagged::{Tag, Text};

    /// A value tree of the writer's types, and one it does not cover.
    #[derive(Clone)]
    enum V {
        Null,
        Bool(bool),
        Int(i64),
        Big(&'static str),
        Float(f64),
        Str(&'static str),
        Surrogates(Vec<u32>),
        List(Vec<V>),
        Tuple(Vec<V>),
        Dict(Vec<(V, V)>),
        Bytes(&'static [u8]),
        Markup(&'static str),
        Unknown,
    }

    impl Node for V {
        type Error = Infallible;
        type Items = std::vec::IntoIter<V>;

        fn shape(&self) -> Result<Shape<'_, V>, Infallible> {
            Ok(match self {
                V::Null => Shape::Null,
                V::Bool(b) => Shape::Bool(*b),
                V::Int(n) => Shape::Int(*n),
                V::Big(digits) => Shape::Digits((*digits).to_owned()),
                V::Float(x) => Shape::Float(*x),
                V::Str(s) => Shape::Str(Text::Utf8((*s).into())),
                V::Surrogates(p) => Shape::Str(Text::Points(p.clone())),
                V::List(items) => Shape::List(items.clone().into_iter()),
                V::Tuple(items) => Shape::Tuple(items.clone().into_iter()),
                V::Dict(items) => Shape::Dict(items.clone()),
                V::Bytes(_) | V::Markup(_) | V::Unknown => Shape::Other,
            })
        }

        fn tagged(&self) -> Result<Option<Tagged<'_>>, Infallible> {
            Ok(match self {
                V::Bytes(data) => Some(Tagged::Bytes(data)),
                V::Markup(s) => Some(Tagged::Text(Tag::Markup, Text::Utf8((*s).into()))),
                _ => None,
            })
        }
    }

    fn tagged(v: &V, sort: bool) -> Option<String> {
        let Ok(out) = tagged_json(v, sort);
        out.map(|b| String::from_utf8(b).unwrap())
    }

    fn plain(v: &V, sort: bool) -> Option<String> {
        let Ok(out) = json_body(v, sort);
        out.map(|b| String::from_utf8(b).unwrap())
    }

    fn dict(items: &[(&'static str, V)]) -> V {
        V::Dict(items.iter().map(|(k, v)| (V::Str(k), v.clone())).collect())
    }

    #[test]
    fn scalars() {
        for (v, want) in [
            (V::Null, "null"),
            (V::Bool(true), "true"),
            (V::Bool(false), "false"),
            (V::Int(-42), "-42"),
            (
                V::Big("123456789012345678901234567890"),
                "123456789012345678901234567890",
            ),
            (V::Float(0.5), "0.5"),
            (V::Str("é"), r#""\u00e9""#),
            (V::Surrogates(vec![0xdfff]), r#""\udfff""#),
        ] {
            assert_eq!(tagged(&v, true).as_deref(), Some(want));
            assert_eq!(plain(&v, true), Some(format!("{want}\n")));
        }
    }

    #[test]
    fn tagged_values_and_their_plain_counterparts() {
        let tuple = V::Tuple(vec![V::Int(1), V::List(vec![])]);
        assert_eq!(tagged(&tuple, true).as_deref(), Some(r#"{" t":[1,[]]}"#));
        assert_eq!(plain(&tuple, true).as_deref(), Some("[1,[]]\n"));
        let bytes = V::Bytes(b"\x00\xff");
        assert_eq!(tagged(&bytes, true).as_deref(), Some(r#"{" b":"AP8="}"#));
        assert_eq!(plain(&bytes, true), None);
        let markup = V::Markup("<b>");
        assert_eq!(tagged(&markup, true).as_deref(), Some(r#"{" m":"<b>"}"#));
        assert_eq!(plain(&markup, true), None);
        assert_eq!(tagged(&V::Unknown, true), None);
        assert_eq!(tagged(&V::List(vec![V::Int(1), V::Unknown]), true), None);
    }

    #[test]
    fn dicts_sort_and_escape_tag_keys() {
        let d = dict(&[("b", V::Int(1)), ("a", V::Int(2)), ("\u{10000}", V::Null)]);
        assert_eq!(
            tagged(&d, true).as_deref(),
            Some(r#"{"a":2,"b":1,"\ud800\udc00":null}"#)
        );
        assert_eq!(
            tagged(&d, false).as_deref(),
            Some(r#"{"b":1,"a":2,"\ud800\udc00":null}"#)
        );
        for tag in Tag::ALL {
            let d = V::Dict(vec![(V::Str(tag.key()), V::Int(1))]);
            let want = format!(r#"{{" di":{{"{}__":1}}}}"#, tag.key());
            assert_eq!(tagged(&d, true), Some(want));
            let want = format!(r#"{{"{}":1}}"#, tag.key());
            assert_eq!(plain(&d, true), Some(format!("{want}\n")));
        }
        // Two keys, one a tag's: no escaping.
        let d = dict(&[(" t", V::Int(1)), ("x", V::Int(2))]);
        assert_eq!(tagged(&d, true).as_deref(), Some(r#"{" t":1,"x":2}"#));
        // A key that is not a str: not covered.
        let d = V::Dict(vec![(V::Int(1), V::Int(2))]);
        assert_eq!(tagged(&d, true), None);
        assert_eq!(plain(&d, true), None);
    }

    #[test]
    fn deep_values_are_left_to_the_caller() {
        let mut v = V::Null;
        for _ in 0..200 {
            v = V::List(vec![v]);
        }
        assert!(tagged(&v, true).is_some());
        let v = V::List(vec![v]);
        assert_eq!(tagged(&v, true), None);
        assert_eq!(plain(&v, true), None);
    }

    #[test]
    fn base64_pads() {
        for (data, want) in [
            (&b""[..], ""),
            (b"x", "eA=="),
            (b"xy", "eHk="),
            (b"xyz", "eHl6"),
        ] {
            let mut out = Vec::new();
            write_base64(&mut out, data);
            assert_eq!(out, want.as_bytes());
        }
    }
}
