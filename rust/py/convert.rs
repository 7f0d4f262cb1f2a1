//! Converters on the Python side: which of Werkzeug's built-in converter
//! classes a converter is (so its to_python/to_url can run here), and the
//! calls back into Python for every other converter.

use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyBytes, PyFloat, PyInt, PyList, PySet, PyString, PyTuple};

use crate::py::utf8::utf8;
use crate::py::uuid::uuid_from_text;
use crate::py::werkzeug::validation_error;
use crate::routing::build::{quote_into, PATH_SAFE, QUERY_SAFE};

/// Werkzeug's converter classes whose behaviour this module reproduces.
fn builtin_class<'py>(py: Python<'py>, name: &'static str) -> PyResult<Bound<'py, PyAny>> {
    static MODULE: GILOnceCell<Py<PyModule>> = GILOnceCell::new();
    let module = MODULE.get_or_try_init(py, || {
        PyModule::import(py, "werkzeug.routing.converters").map(Bound::unbind)
    })?;
    module.bind(py).getattr(name)
}

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// BaseConverter, UnicodeConverter, PathConverter: the value is the text.
    Text,
    /// IntegerConverter with bounds that fit an i64.
    Int {
        fixed_digits: usize,
        min: Option<i64>,
        max: Option<i64>,
    },
    /// FloatConverter with numeric bounds.
    Float { min: Option<f64>, max: Option<f64> },
    /// AnyConverter: the value is the text; building goes through Python.
    Any,
    /// UUIDConverter: the value is a `uuid.UUID`.
    Uuid,
    /// Anything else: both directions call the converter.
    Custom,
}

pub struct Converter {
    pub obj: Py<PyAny>,
    pub kind: Kind,
}

fn opt_attr<'py, T: FromPyObject<'py>>(obj: &Bound<'py, PyAny>, name: &str) -> Option<Option<T>> {
    let v = obj.getattr(name).ok()?;
    if v.is_none() {
        return Some(None);
    }
    v.extract::<T>().ok().map(Some)
}

impl Converter {
    pub fn new(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        let py = obj.py();
        let ty = obj.get_type();
        let is = |name: &'static str| -> PyResult<bool> { Ok(ty.is(&builtin_class(py, name)?)) };
        let kind = if is("UnicodeConverter")? || is("PathConverter")? || is("BaseConverter")? {
            Kind::Text
        } else if is("AnyConverter")? {
            Kind::Any
        } else if is("UUIDConverter")? {
            Kind::Uuid
        } else if is("IntegerConverter")? {
            let fixed = obj
                .getattr("fixed_digits")
                .ok()
                .and_then(|v| v.extract::<usize>().ok());
            match (
                fixed,
                opt_attr::<i64>(obj, "min"),
                opt_attr::<i64>(obj, "max"),
            ) {
                (Some(fixed_digits), Some(min), Some(max)) => Kind::Int {
                    fixed_digits,
                    min,
                    max,
                },
                _ => Kind::Custom,
            }
        } else if is("FloatConverter")? {
            let fixed = obj
                .getattr("fixed_digits")
                .ok()
                .and_then(|v| v.extract::<usize>().ok());
            match (
                fixed,
                opt_attr::<f64>(obj, "min"),
                opt_attr::<f64>(obj, "max"),
            ) {
                (Some(0), Some(min), Some(max)) => Kind::Float { min, max },
                _ => Kind::Custom,
            }
        } else {
            Kind::Custom
        };
        Ok(Converter {
            obj: obj.clone().unbind(),
            kind,
        })
    }

    /// The Python value of a matched text (None: a group Python's `re` left
    /// empty), or None when the converter rejects it (ValidationError).
    pub fn to_python<'py>(
        &self,
        py: Python<'py>,
        text: Option<&str>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(text) = text else {
            return call_to_python(self.obj.bind(py), py.None().bind(py));
        };
        match self.kind {
            Kind::Text | Kind::Any => return Ok(Some(PyString::new(py, text).into_any())),
            Kind::Int {
                fixed_digits,
                min,
                max,
            } if text.is_ascii() => {
                if fixed_digits != 0 && text.len() != fixed_digits {
                    return Ok(None);
                }
                if let Ok(n) = text.parse::<i64>() {
                    if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                        return Ok(None);
                    }
                    return Ok(Some(n.into_pyobject(py)?.into_any()));
                }
            }
            Kind::Uuid => {
                if let Some(value) = uuid_from_text(py, text)? {
                    return Ok(Some(value));
                }
            }
            Kind::Float { min, max } if text.is_ascii() => {
                if let Ok(x) = text.parse::<f64>() {
                    if min.is_some_and(|m| x < m) || max.is_some_and(|m| x > m) {
                        return Ok(None);
                    }
                    return Ok(Some(PyFloat::new(py, x).into_any()));
                }
            }
            _ => {}
        }
        call_to_python(self.obj.bind(py), &PyString::new(py, text))
    }

    /// Appends the URL form of `value` to `out`. `joined`: the value is one
    /// of several Werkzeug's builder joins into a string, which takes only
    /// str; else it stands alone and is formatted as an f-string would.
    pub fn to_url(
        &self,
        out: &mut String,
        value: &Bound<'_, PyAny>,
        joined: bool,
    ) -> PyResult<ToUrl> {
        let py = value.py();
        match self.kind {
            Kind::Text => {
                if let Ok(s) = value.downcast_exact::<PyString>() {
                    quote_into(out, utf8(s)?.as_bytes(), PATH_SAFE, false);
                    return Ok(ToUrl::Done);
                }
                if value.is_exact_instance_of::<PyInt>() {
                    if let Ok(n) = value.extract::<i64>() {
                        out.push_str(itoa::Buffer::new().format(n));
                        return Ok(ToUrl::Done);
                    }
                }
            }
            Kind::Int { fixed_digits, .. } if value.is_exact_instance_of::<PyInt>() => {
                if let Ok(n) = value.extract::<i64>() {
                    if n >= 0 {
                        let mut buf = itoa::Buffer::new();
                        let digits = buf.format(n);
                        for _ in digits.len()..fixed_digits {
                            out.push('0');
                        }
                        out.push_str(digits);
                        return Ok(ToUrl::Done);
                    }
                }
            }
            _ => {}
        }
        call_to_url(out, self.obj.bind(py), value, joined)
    }
}

/// What `to_url` did.
pub enum ToUrl {
    Done,
    /// The converter raised ValidationError.
    Refused,
    /// It gave something other than a str, of this type, where the builder
    /// joins strs: Werkzeug's builder raises TypeError once every part of
    /// the string is made.
    NotStr(String),
}

/// `converter.to_python(value)`, or None for a ValidationError.
pub fn call_to_python<'py>(
    converter: &Bound<'py, PyAny>,
    value: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = converter.py();
    match converter.call_method1(pyo3::intern!(py, "to_python"), (value,)) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_instance(py, validation_error(py)?) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Appends `converter.to_url(value)`, as `Converter::to_url` says.
pub fn call_to_url(
    out: &mut String,
    converter: &Bound<'_, PyAny>,
    value: &Bound<'_, PyAny>,
    joined: bool,
) -> PyResult<ToUrl> {
    let py = converter.py();
    let v = match converter.call_method1(pyo3::intern!(py, "to_url"), (value,)) {
        Ok(v) => v,
        Err(e) if e.is_instance(py, validation_error(py)?) => return Ok(ToUrl::Refused),
        Err(e) => return Err(e),
    };
    match v.downcast::<PyString>() {
        Ok(s) => out.push_str(utf8(s)?),
        Err(_) if joined => return Ok(ToUrl::NotStr(v.get_type().name()?.to_string())),
        Err(_) => out.push_str(utf8(
            &v.call_method1(pyo3::intern!(py, "__format__"), ("",))?
                .downcast_into::<PyString>()?,
        )?),
    }
    Ok(ToUrl::Done)
}

/// Appends `key=value` pairs for one query variable, expanding lists, tuples
/// and sets and skipping None, as Werkzeug's query encoding does.
pub fn encode_query_item(out: &mut String, key: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
    let mut one = |v: &Bound<'_, PyAny>| -> PyResult<()> {
        if v.is_none() {
            return Ok(());
        }
        if !out.is_empty() {
            out.push('&');
        }
        quote_into(out, key.as_bytes(), QUERY_SAFE, true);
        out.push('=');
        if let Ok(b) = v.downcast::<PyBytes>() {
            quote_into(out, b.as_bytes(), QUERY_SAFE, true);
        } else {
            let s = v.str()?;
            quote_into(out, utf8(&s)?.as_bytes(), QUERY_SAFE, true);
        }
        Ok(())
    };
    if value.is_instance_of::<PyList>()
        || value.is_instance_of::<PyTuple>()
        || value.is_instance_of::<PySet>()
    {
        for item in value.try_iter()? {
            one(&item?)?;
        }
        Ok(())
    } else {
        one(value)
    }
}
