//! Converters on the Python side: which of Werkzeug's built-in converter
//! classes a converter is (so its to_python/to_url can run here), and the
//! calls back into Python for every other converter.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyBytes, PyFloat, PyInt, PyList, PySet, PyString, PyTuple, PyType};

use crate::py::text::utf8;
use crate::py::uuid::uuid_from_text;
use crate::routing::build::{quote_into, PATH_SAFE, QUERY_SAFE};
use crate::routing::converter::ConverterSpec;

static VALIDATION_ERROR: GILOnceCell<Py<PyType>> = GILOnceCell::new();

pub fn validation_error(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    VALIDATION_ERROR.import(py, "werkzeug.routing.converters", "ValidationError")
}

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

    /// What the matcher needs of a converter object.
    pub fn spec(obj: &Bound<'_, PyAny>) -> PyResult<ConverterSpec> {
        let regex: String = obj.getattr("regex")?.str()?.to_cow()?.into_owned();
        let weight: f64 = obj.getattr("weight")?.extract()?;
        let part_isolating: bool = obj.getattr("part_isolating")?.is_truthy()?;
        Ok(ConverterSpec::new(regex, weight, part_isolating))
    }

    /// The Python value of a matched text, or None when the converter rejects
    /// it (ValidationError).
    pub fn to_python<'py>(
        &self,
        py: Python<'py>,
        text: &str,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
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
        match self.obj.bind(py).call_method1("to_python", (text,)) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_instance(py, validation_error(py)?) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Appends the URL form of `value` to `out`; false when the converter
    /// rejects it (ValidationError).
    pub fn to_url(&self, out: &mut String, value: &Bound<'_, PyAny>) -> PyResult<bool> {
        let py = value.py();
        match self.kind {
            Kind::Text => {
                if let Ok(s) = value.downcast_exact::<PyString>() {
                    quote_into(out, utf8(s)?.as_bytes(), PATH_SAFE, false);
                    return Ok(true);
                }
                if value.is_exact_instance_of::<PyInt>() {
                    if let Ok(n) = value.extract::<i64>() {
                        out.push_str(itoa::Buffer::new().format(n));
                        return Ok(true);
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
                        return Ok(true);
                    }
                }
            }
            _ => {}
        }
        match self.obj.bind(py).call_method1("to_url", (value,)) {
            Ok(v) => {
                match v.downcast::<PyString>() {
                    Ok(s) => out.push_str(utf8(s)?),
                    Err(_) => out.push_str(utf8(&v.str()?)?),
                }
                Ok(true)
            }
            Err(e) if e.is_instance(py, validation_error(py)?) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// A converter argument's text as the Python value Werkzeug makes of it.
pub fn pythonize<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    match text {
        "None" => return Ok(py.None().into_bound(py)),
        "True" => return Ok(true.into_pyobject(py)?.to_owned().into_any()),
        "False" => return Ok(false.into_pyobject(py)?.to_owned().into_any()),
        _ => {}
    }
    let builtins = PyModule::import(py, "builtins")?;
    for conv in ["int", "float"] {
        if let Ok(v) = builtins.getattr(conv)?.call1((text,)) {
            return Ok(v);
        }
    }
    let mut chars = text.chars();
    let unquoted = match (chars.next(), chars.next_back()) {
        (Some(a), Some(b)) if a == b && (a == '"' || a == '\'') => chars.as_str(),
        _ => text,
    };
    Ok(PyString::new(py, unquoted).into_any())
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

/// A dict key used as a URL variable name, which must be a str.
pub fn key_text(key: Bound<'_, PyAny>) -> PyResult<Bound<'_, PyString>> {
    key.downcast_into::<PyString>()
        .map_err(|_| PyTypeError::new_err("keywords must be strings"))
}
