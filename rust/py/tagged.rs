//! Tagged JSON and JSON bodies for Python values: Python objects as the
//! pyo3-free writer's [`Node`]s (`tagged_dumps`, `json_body`), and `untag`,
//! which turns what `json.loads` made of tagged JSON back into the values.
//!
//! What to write for each value is `crate::tagged`'s business; this file
//! says what a Python object is and builds the Python objects tags stand for.

use std::borrow::Cow;

use pyo3::exceptions::{PyRecursionError, PyStopIteration};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::iter::{BoundListIterator, BoundTupleIterator};
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PySlice, PyString, PyTuple};

use crate::py::utf8::utf8;
use crate::tagged::{Node, Shape, Tag, Tagged, Text};

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
fn text<'a>(s: &'a Bound<'_, PyString>) -> PyResult<Text<'a>> {
    if let Ok(t) = utf8(s) {
        return Ok(Text::Utf8(Cow::Borrowed(t)));
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

/// The text of a str made on the way (a UUID's hex, an HTTP date).
fn owned_text(s: &Bound<'_, PyAny>) -> PyResult<Text<'static>> {
    Ok(match text(s.downcast::<PyString>()?)? {
        Text::Utf8(t) => Text::Utf8(Cow::Owned(t.into_owned())),
        Text::Points(p) => Text::Points(p),
    })
}

/// A Python value as the writer walks it.
struct Value<'py>(Bound<'py, PyAny>);

/// The items of a list or a tuple.
enum Items<'py> {
    List(BoundListIterator<'py>),
    Tuple(BoundTupleIterator<'py>),
}

impl<'py> Iterator for Items<'py> {
    type Item = Value<'py>;

    fn next(&mut self) -> Option<Value<'py>> {
        match self {
            Items::List(items) => items.next(),
            Items::Tuple(items) => items.next(),
        }
        .map(Value)
    }
}

impl<'py> Node for Value<'py> {
    type Error = PyErr;
    type Items = Items<'py>;

    fn shape(&self) -> PyResult<Shape<'_, Self>> {
        let v = &self.0;
        // The commonest types first.
        Ok(if let Ok(s) = v.downcast_exact::<PyString>() {
            Shape::Str(text(s)?)
        } else if let Ok(d) = v.downcast_exact::<PyDict>() {
            Shape::Dict(d.iter().map(|(k, v)| (Value(k), Value(v))).collect())
        } else if let Ok(l) = v.downcast_exact::<PyList>() {
            Shape::List(Items::List(l.iter()))
        } else if let Ok(i) = v.downcast_exact::<PyInt>() {
            match i.extract::<i64>() {
                Ok(n) => Shape::Int(n),
                Err(_) => Shape::Digits(utf8(&i.str()?)?.to_owned()),
            }
        } else if let Ok(b) = v.downcast_exact::<PyBool>() {
            Shape::Bool(b.is_true())
        } else if v.is_none() {
            Shape::Null
        } else if let Ok(f) = v.downcast_exact::<PyFloat>() {
            Shape::Float(f.value())
        } else if let Ok(t) = v.downcast_exact::<PyTuple>() {
            Shape::Tuple(Items::Tuple(t.iter()))
        } else {
            Shape::Other
        })
    }

    /// Bytes, and Markup, UUID and datetime of exactly those classes.
    fn tagged(&self) -> PyResult<Option<Tagged<'_>>> {
        let v = &self.0;
        if let Ok(b) = v.downcast_exact::<PyBytes>() {
            return Ok(Some(Tagged::Bytes(b.as_bytes())));
        }
        let py = v.py();
        let refs = refs(py)?;
        let class = v.get_type();
        Ok(Some(if class.is(&refs.markup) {
            Tagged::Text(Tag::Markup, text(v.downcast::<PyString>()?)?)
        } else if class.is(&refs.uuid) {
            Tagged::Text(Tag::Uuid, owned_text(&v.getattr(intern!(py, "hex"))?)?)
        } else if class.is(&refs.datetime) {
            // A tzinfo of another class runs user code, which might change the
            // containers being walked; Python does those.
            let tz = v.getattr(intern!(py, "tzinfo"))?;
            if !(tz.is_none() || tz.get_type().is(&refs.timezone)) {
                return Ok(None);
            }
            let date = refs.http_date.bind(py).call1((v,))?;
            Tagged::Text(Tag::Datetime, owned_text(&date)?)
        } else {
            return Ok(None);
        }))
    }
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
    crate::tagged::tagged_json(&Value(value.clone()), sort_keys)
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
    let body = crate::tagged::json_body(&Value(value.clone()), sort_keys)?;
    Ok(body.map(|out| PyBytes::new(value.py(), &out)))
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

fn from_tag<'py>(tag: Tag, v: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = v.py();
    let call = |f: &Py<PyAny>| f.bind(py).call1((v,));
    Ok(match tag {
        Tag::Tuple => match v.downcast_exact::<PyList>() {
            Ok(l) => l.to_tuple().into_any(),
            Err(_) => py.get_type::<PyTuple>().call1((v,))?,
        },
        Tag::Bytes => call(&refs(py)?.b64decode)?,
        Tag::Markup => call(&refs(py)?.markup)?,
        Tag::Uuid => call(&refs(py)?.uuid)?,
        Tag::Datetime => call(&refs(py)?.parse_date)?,
        Tag::Dict => escaped_dict(v)?,
    })
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
            let name = k.downcast::<PyString>().ok().and_then(|k| utf8(k).ok());
            if let Some(tag) = name.and_then(Tag::from_key) {
                return Ok(Some(from_tag(tag, &item)?));
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
