//! JSON written in one pass: Flask's tagged JSON for the session
//! (`tagged_dumps`, and `untag` for loading) and plain JSON response bodies
//! (`json_body`).
//!
//! The writers handle the types a session or an API response usually holds
//! and answer None for anything else, so the Python code (always correct)
//! takes over. `untag` does the loading half on what `json.loads` returned,
//! leaving untouched containers as they are.

use std::cmp::Ordering;

use pyo3::exceptions::{PyRecursionError, PyStopIteration};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PySlice, PyString, PyTuple};

use crate::py::text::utf8;

const TAGS: [&str; 6] = [" t", " b", " m", " u", " d", " di"];
// Deeper values (and circular ones, which are infinitely deep) go to Python,
// which raises as Flask does.
const DUMP_DEPTH: u32 = 200;
// Beyond what `json.loads` and Flask's own recursion reach with the default
// recursion limit, and small enough for a thread's stack.
const UNTAG_DEPTH: u32 = 1000;

struct Refs {
    markup: Py<PyAny>,
    uuid: Py<PyAny>,
    datetime: Py<PyAny>,
    timezone: Py<PyAny>,
    http_date: Py<PyAny>,
    parse_date: Py<PyAny>,
    b64decode: Py<PyAny>,
}

fn refs(py: Python<'_>) -> PyResult<&Refs> {
    static REFS: GILOnceCell<Refs> = GILOnceCell::new();
    REFS.get_or_try_init(py, || {
        let get = |module: &str, name: &str| -> PyResult<Py<PyAny>> {
            Ok(PyModule::import(py, module)?.getattr(name)?.unbind())
        };
        Ok(Refs {
            markup: get("markupsafe", "Markup")?,
            uuid: get("uuid", "UUID")?,
            datetime: get("datetime", "datetime")?,
            timezone: get("datetime", "timezone")?,
            http_date: get("werkzeug.http", "http_date")?,
            parse_date: get("werkzeug.http", "parse_date")?,
            b64decode: get("base64", "b64decode")?,
        })
    })
}

/// The text of a str: borrowed UTF-8, or its code points when it holds lone
/// surrogates (which UTF-8 cannot carry).
enum Text<'a> {
    Utf8(&'a str),
    Points(Vec<u32>),
}

fn text<'a>(s: &'a Bound<'_, PyString>) -> PyResult<Text<'a>> {
    if let Ok(t) = utf8(s) {
        return Ok(Text::Utf8(t));
    }
    let py = s.py();
    let wide = s.call_method1(
        intern!(py, "encode"),
        (intern!(py, "utf-32-le"), intern!(py, "surrogatepass")),
    )?;
    let wide = wide.downcast_into::<PyBytes>()?;
    let points = wide.as_bytes().chunks_exact(4);
    Ok(Text::Points(
        points
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    ))
}

impl Text<'_> {
    fn points(&self) -> Vec<u32> {
        match self {
            Text::Utf8(s) => s.chars().map(u32::from).collect(),
            Text::Points(p) => p.clone(),
        }
    }

    // Python orders strs by code point; UTF-8 bytes compare the same way.
    fn order(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Text::Utf8(a), Text::Utf8(b)) => a.cmp(b),
            _ => self.points().cmp(&other.points()),
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

fn write_text(out: &mut Vec<u8>, text: &Text<'_>) {
    out.push(b'"');
    match text {
        Text::Utf8(s) => {
            let bytes = s.as_bytes();
            let (mut i, mut run) = (0, 0);
            while let Some(&b) = bytes.get(i) {
                if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
                    i += 1;
                    continue;
                }
                out.extend_from_slice(&bytes[run..i]);
                let Some(c) = s.get(i..).and_then(|rest| rest.chars().next()) else {
                    break;
                };
                escape_point(out, c.into());
                i += c.len_utf8();
                run = i;
            }
            out.extend_from_slice(&bytes[run..i]);
        }
        Text::Points(points) => points.iter().for_each(|&cp| escape_point(out, cp)),
    }
    out.push(b'"');
}

fn write_str(out: &mut Vec<u8>, s: &Bound<'_, PyString>) -> PyResult<()> {
    write_text(out, &text(s)?);
    Ok(())
}

/// `float.__repr__`, from Rust's shortest round-trip digits; json writes
/// the non-finite values as JavaScript does.
fn write_float(out: &mut Vec<u8>, x: f64) {
    if x.is_nan() {
        return out.extend_from_slice(b"NaN");
    }
    if x.is_sign_negative() {
        out.push(b'-');
    }
    if x.is_infinite() {
        return out.extend_from_slice(b"Infinity");
    }
    let shortest = format!("{:e}", x.abs());
    // Of the shortest digits that read back as `x`, Python takes the closest
    // to it (ties to even); Rust's may be another, so the correctly rounded
    // ones of that length win when they too read back.
    let n = shortest.find('e').unwrap_or(0).saturating_sub(1).max(1);
    let closest = format!("{:.*e}", n - 1, x.abs());
    let sci = if closest.parse() == Ok(x.abs()) {
        closest
    } else {
        shortest
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: Vec<u8> = mantissa.bytes().filter(|&b| b != b'.').collect();
    let n = digits.len() as i32;
    if (-4..16).contains(&exp) {
        if exp < 0 {
            out.extend_from_slice(b"0.");
            out.resize(out.len() + (-exp - 1) as usize, b'0');
            out.extend_from_slice(&digits);
        } else if n <= exp + 1 {
            out.extend_from_slice(&digits);
            out.resize(out.len() + (exp + 1 - n) as usize, b'0');
            out.extend_from_slice(b".0");
        } else {
            let (int, frac) = digits.split_at(exp as usize + 1);
            out.extend_from_slice(int);
            out.push(b'.');
            out.extend_from_slice(frac);
        }
    } else {
        let (first, rest) = digits.split_at(1);
        out.extend_from_slice(first);
        if !rest.is_empty() {
            out.push(b'.');
            out.extend_from_slice(rest);
        }
        out.extend_from_slice(
            format!("e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs()).as_bytes(),
        );
    }
}

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

/// How `write` encodes: Flask's tagged JSON (the session) or plain JSON as
/// `json.dumps` writes it (response bodies), compact and ASCII either way.
#[derive(Clone, Copy)]
struct Mode {
    sort: bool,
    tagged: bool,
}

/// Writes the JSON of `v`; Ok(false) when `v` is outside the fast subset
/// (the caller then discards `out`).
fn write(out: &mut Vec<u8>, v: &Bound<'_, PyAny>, mode: Mode, depth: u32) -> PyResult<bool> {
    if depth > DUMP_DEPTH {
        return Ok(false);
    }
    if let Ok(s) = v.downcast_exact::<PyString>() {
        write_str(out, s)?;
    } else if let Ok(d) = v.downcast_exact::<PyDict>() {
        return write_dict(out, d, mode, depth);
    } else if let Ok(l) = v.downcast_exact::<PyList>() {
        return write_items(out, l.iter(), mode, depth);
    } else if let Ok(i) = v.downcast_exact::<PyInt>() {
        match i.extract::<i64>() {
            Ok(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
            Err(_) => out.extend_from_slice(utf8(&i.str()?)?.as_bytes()),
        }
    } else if let Ok(b) = v.downcast_exact::<PyBool>() {
        out.extend_from_slice(if b.is_true() { b"true" } else { b"false" });
    } else if v.is_none() {
        out.extend_from_slice(b"null");
    } else if let Ok(f) = v.downcast_exact::<PyFloat>() {
        write_float(out, f.value());
    } else if let Ok(t) = v.downcast_exact::<PyTuple>() {
        if !mode.tagged {
            // json writes a tuple as an array.
            return write_items(out, t.iter(), mode, depth);
        }
        out.extend_from_slice(b"{\" t\":");
        if !write_items(out, t.iter(), mode, depth)? {
            return Ok(false);
        }
        out.push(b'}');
    } else if !mode.tagged {
        // Everything else needs json's `default` hook: Python's business.
        return Ok(false);
    } else if let Ok(b) = v.downcast_exact::<PyBytes>() {
        out.extend_from_slice(b"{\" b\":\"");
        write_base64(out, b.as_bytes());
        out.extend_from_slice(b"\"}");
    } else {
        return write_other(out, v);
    }
    Ok(true)
}

fn write_items<'py>(
    out: &mut Vec<u8>,
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    mode: Mode,
    depth: u32,
) -> PyResult<bool> {
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

fn write_dict(out: &mut Vec<u8>, d: &Bound<'_, PyDict>, mode: Mode, depth: u32) -> PyResult<bool> {
    let mut items = Vec::with_capacity(d.len());
    for (k, v) in d.iter() {
        let Ok(k) = k.downcast_into_exact::<PyString>() else {
            return Ok(false);
        };
        items.push((k, v));
    }
    let mut texts = Vec::with_capacity(items.len());
    for (k, v) in &items {
        texts.push((text(k)?, v));
    }
    if let (true, [(Text::Utf8(name), v)]) = (mode.tagged, texts.as_slice()) {
        if TAGS.contains(name) {
            out.extend_from_slice(b"{\" di\":{\"");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"__\":");
            let done = write(out, v, mode, depth + 1)?;
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
        if !write(out, v, mode, depth + 1)? {
            return Ok(false);
        }
    }
    out.push(b'}');
    Ok(true)
}

/// Markup, UUID and datetime, of exactly those classes.
fn write_other(out: &mut Vec<u8>, v: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = v.py();
    let refs = refs(py)?;
    let class = v.get_type();
    let (tag, content) = if class.is(&refs.markup) {
        (&b"{\" m\":"[..], v.downcast::<PyString>()?.clone())
    } else if class.is(&refs.uuid) {
        (
            &b"{\" u\":"[..],
            v.getattr(intern!(py, "hex"))?.downcast_into()?,
        )
    } else if class.is(&refs.datetime) {
        // A tzinfo of another class runs user code, which might change the
        // containers being walked; Python does those.
        let tz = v.getattr(intern!(py, "tzinfo"))?;
        if !(tz.is_none() || tz.get_type().is(&refs.timezone)) {
            return Ok(false);
        }
        let date = refs.http_date.bind(py).call1((v,))?;
        (&b"{\" d\":"[..], date.downcast_into()?)
    } else {
        return Ok(false);
    };
    out.extend_from_slice(tag);
    write_str(out, &content)?;
    out.push(b'}');
    Ok(true)
}

/// The tagged JSON text of `value` (compact, ASCII), or None when it holds
/// anything but exact dicts with str keys, lists, tuples, str, int, float,
/// bool, None, bytes, Markup, UUID and datetime.
#[pyfunction]
fn tagged_dumps<'py>(
    value: &Bound<'py, PyAny>,
    sort_keys: bool,
) -> PyResult<Option<Bound<'py, PyBytes>>> {
    Ok(tagged_json(value, sort_keys)?.map(|out| PyBytes::new(value.py(), &out)))
}

/// The tagged JSON bytes of `value`, or None outside the fast types: for
/// the session signer, which signs them without a Python bytes in between.
pub fn tagged_json(value: &Bound<'_, PyAny>, sort_keys: bool) -> PyResult<Option<Vec<u8>>> {
    let mode = Mode {
        sort: sort_keys,
        tagged: true,
    };
    let mut out = Vec::with_capacity(128);
    Ok(write(&mut out, value, mode, 0)?.then_some(out))
}

/// `json.dumps(value, separators=(",", ":"), sort_keys=sort_keys)` plus a
/// newline, as bytes (a JSON response's body), or None when `value` holds
/// anything but exact dicts with str keys, lists, tuples, str, int, float,
/// bool and None (those need the provider's `default`).
#[pyfunction]
fn json_body<'py>(
    value: &Bound<'py, PyAny>,
    sort_keys: bool,
) -> PyResult<Option<Bound<'py, PyBytes>>> {
    let mode = Mode {
        sort: sort_keys,
        tagged: false,
    };
    let mut out = Vec::with_capacity(128);
    if !write(&mut out, value, mode, 0)? {
        return Ok(None);
    }
    out.push(b'\n');
    Ok(Some(PyBytes::new(value.py(), &out)))
}

/// `{" di": {name + "__": v}}` loaded: `next(iter(v))` and `v[key]`, with
/// Python's errors when `v` is not such a dict.
fn escaped_dict<'py>(v: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = v.py();
    let key = v
        .try_iter()?
        .next()
        .ok_or_else(|| PyStopIteration::new_err(()))??;
    let name = key.get_item(PySlice::new(py, 0, -2, 1))?;
    let member = v.get_item(&key)?;
    let d = PyDict::new(py);
    d.set_item(name, member)?;
    Ok(d.into_any())
}

fn from_tag<'py>(name: &str, v: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = v.py();
    let call = |f: &Py<PyAny>| f.bind(py).call1((v,));
    Ok(Some(match name {
        " t" => match v.downcast_exact::<PyList>() {
            Ok(l) => l.to_tuple().into_any(),
            Err(_) => py.get_type::<PyTuple>().call1((v,))?,
        },
        " b" => call(&refs(py)?.b64decode)?,
        " m" => call(&refs(py)?.markup)?,
        " u" => call(&refs(py)?.uuid)?,
        " d" => call(&refs(py)?.parse_date)?,
        " di" => escaped_dict(v)?,
        _ => return Ok(None),
    }))
}

/// The untagged `v`, or None when it is unchanged.
fn untag_in<'py>(v: &Bound<'py, PyAny>, depth: u32) -> PyResult<Option<Bound<'py, PyAny>>> {
    if depth > UNTAG_DEPTH {
        return Err(PyRecursionError::new_err(
            "maximum recursion depth exceeded while untagging",
        ));
    }
    if let Ok(l) = v.downcast::<PyList>() {
        let mut copy: Option<Bound<'py, PyList>> = None;
        for (i, item) in l.iter().enumerate() {
            if let Some(new) = untag_in(&item, depth + 1)? {
                let c = match copy {
                    Some(ref c) => c,
                    None => copy.insert(l.get_slice(0, l.len())),
                };
                c.set_item(i, new)?;
            }
        }
        return Ok(copy.map(Bound::into_any));
    }
    let Ok(d) = v.downcast::<PyDict>() else {
        return Ok(None);
    };
    let mut copy: Option<Bound<'py, PyDict>> = None;
    for (k, item) in d.iter() {
        if let Some(new) = untag_in(&item, depth + 1)? {
            let c = match copy {
                Some(ref c) => c,
                None => copy.insert(d.copy()?),
            };
            c.set_item(k, new)?;
        }
    }
    let current = copy.as_ref().unwrap_or(d);
    if current.len() == 1 {
        if let Some((k, item)) = current.iter().next() {
            if let Some(name) = k.downcast::<PyString>().ok().and_then(|k| utf8(k).ok()) {
                if let Some(new) = from_tag(name, &item)? {
                    return Ok(Some(new));
                }
            }
        }
    }
    Ok(copy.map(Bound::into_any))
}

/// Every tagged object in `value` (what `json.loads` made of tagged JSON)
/// replaced by the value it stands for, bottom-up.
#[pyfunction]
pub fn untag<'py>(value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    Ok(untag_in(value, 0)?.unwrap_or_else(|| value.clone()))
}

/// json's C scanner (`JSONDecoder().scan_once`), the parser behind
/// `json.loads`, fetched once.
fn json_scanner(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static SCAN: GILOnceCell<Py<PyAny>> = GILOnceCell::new();
    SCAN.get_or_try_init(py, || {
        Ok::<_, PyErr>(
            py.import("json")?
                .getattr("JSONDecoder")?
                .call0()?
                .getattr("scan_once")?
                .unbind(),
        )
    })
    .map(|scan| scan.bind(py))
}

/// `json.loads(text)` when `text` is one JSON value and optional trailing
/// whitespace, read by json's own scanner; None for anything else (leading
/// whitespace, extra data, invalid JSON), which the caller hands to
/// `json.loads` for its exact answer.
pub fn scan_json<'py>(py: Python<'py>, text: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    if text.is_empty() || text.starts_with([' ', '\t', '\n', '\r']) {
        return Ok(None);
    }
    let Ok(found) = json_scanner(py)?.call1((text, 0)) else {
        return Ok(None);
    };
    let Ok((value, end)) = found.extract::<(Bound<'py, PyAny>, usize)>() else {
        return Ok(None);
    };
    // `end` counts code points; the rest may only be JSON whitespace.
    let rest = text.chars().skip(end);
    Ok(rest
        .clone()
        .all(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
        .then_some(value))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(tagged_dumps, m)?)?;
    m.add_function(wrap_pyfunction!(untag, m)?)?;
    m.add_function(wrap_pyfunction!(json_body, m)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{write_base64, write_float};

    fn float(x: f64) -> String {
        let mut out = Vec::new();
        write_float(&mut out, x);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn floats_read_as_python_repr() {
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.5, "1.5"),
            (1e16, "1e+16"),
            (9999999999999998.0, "9999999999999998.0"),
            (123456.789, "123456.789"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (-2.5e-7, "-2.5e-07"),
            // Exact ties: to the even digit, as Python.
            (-(1113178120592002.0 + 0.25), "-1113178120592002.2"),
            (233891771783429.0 + 0.625, "233891771783429.62"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (x, want) in cases {
            assert_eq!(float(x), want);
        }
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
