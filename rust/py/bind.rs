//! `bind_environ`: `Map.bind_to_environ` for a plain WSGI environ, in one
//! call.
//!
//! Binding runs once per request. In Python it cost about 8,900
//! instructions of an 80,500-instruction hello; here, 6,900 (measured with
//! callgrind, `make bench-instructions`). Most of what is left is not
//! Python's interpreter but the work itself: ten dict lookups, the cached
//! host lookup, and a new adapter object. The environ is read as data; the
//! host logic stays in Python (`_host_binding`, cached there, called from
//! here); the adapter is made without the class call's argument parsing,
//! which was a fifth of the old cost.
//!
//! Anything the Python path treats specially is answered `None`, and
//! `bind_to_environ` then takes that path, which raises or warns exactly as
//! before: an environ that is not a dict, a missing or non-str value, a str
//! that is not ASCII (WSGI's latin-1 text, decoded in Python), and a host
//! outside the configured server name (the warning names the caller's
//! frame). The equality of the two paths is `tests/test_bind_environ.py`.

#![allow(unsafe_code)]

use pyo3::impl_::pyclass_init::PyObjectInit;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pyclass_init::PyClassInitializer;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};

use crate::py::adapter::AdapterCore;
use crate::py::router::Routes;
use crate::py::utf8::utf8;

/// The str under `key`, or `Ok(None)` when it is absent. `Err(())` when
/// present but not an ASCII str: the Python path decides.
fn ascii_text<'py>(
    env: &Bound<'py, PyDict>,
    key: &Bound<'py, PyString>,
) -> PyResult<Result<Option<Bound<'py, PyString>>, ()>> {
    let Some(value) = env.get_item(key)? else {
        return Ok(Ok(None));
    };
    let Ok(text) = value.downcast_exact::<PyString>() else {
        return Ok(Err(()));
    };
    // A lone surrogate cannot be borrowed as UTF-8: not ASCII either.
    Ok(match utf8(text) {
        Ok(s) if s.is_ascii() => Ok(Some(text.clone())),
        _ => Err(()),
    })
}

/// The value under `key` if it is absent or a str (any text), `Err(())`
/// otherwise. Host headers go to `_host_binding` as they are.
fn text_or_none<'py>(
    env: &Bound<'py, PyDict>,
    key: &Bound<'py, PyString>,
) -> PyResult<Result<Option<Bound<'py, PyAny>>, ()>> {
    Ok(match env.get_item(key)? {
        None => Ok(None),
        Some(v) if v.is_exact_instance_of::<PyString>() => Ok(Some(v)),
        Some(_) => Err(()),
    })
}

macro_rules! or_python {
    ($e:expr) => {
        match $e? {
            Ok(v) => v,
            Err(()) => return Ok(None),
        }
    };
}

/// The adapter `cls(map, ...)` that `bind_to_environ(environ, server_name,
/// subdomain)` makes for this environ, or `None` for the Python path to
/// make (see the module's comment). Exceptions from `host_binding` (a bad
/// host) propagate, as on the Python path.
#[pyfunction]
#[pyo3(signature = (cls, map, routes, host_matching, environ, server_name, subdomain, host_binding))]
#[allow(clippy::too_many_arguments)]
pub fn bind_environ<'py>(
    py: Python<'py>,
    cls: &Bound<'py, PyType>,
    map: &Bound<'py, PyAny>,
    routes: &Bound<'py, PyAny>,
    host_matching: &Bound<'py, PyAny>,
    environ: &Bound<'py, PyAny>,
    server_name: &Bound<'py, PyAny>,
    subdomain: &Bound<'py, PyAny>,
    host_binding: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let Ok(env) = environ.downcast_exact::<PyDict>() else {
        return Ok(None);
    };
    let scheme = match env.get_item(intern!(py, "wsgi.url_scheme"))? {
        Some(v) if v.is_exact_instance_of::<PyString>() => v,
        _ => return Ok(None),
    };
    let upgrade = or_python!(text_or_none(env, intern!(py, "HTTP_UPGRADE")));
    let connection = match upgrade {
        None => None,
        Some(_) => or_python!(text_or_none(env, intern!(py, "HTTP_CONNECTION"))),
    };
    let http_host = or_python!(text_or_none(env, intern!(py, "HTTP_HOST")));
    let wsgi_name = or_python!(text_or_none(env, intern!(py, "SERVER_NAME")));
    let wsgi_port = or_python!(text_or_none(env, intern!(py, "SERVER_PORT")));
    let script_name = or_python!(ascii_text(env, intern!(py, "SCRIPT_NAME")));
    let path_info = or_python!(ascii_text(env, intern!(py, "PATH_INFO")));
    let query = or_python!(ascii_text(env, intern!(py, "QUERY_STRING")));
    let method = match env.get_item(intern!(py, "REQUEST_METHOD"))? {
        Some(v) if v.is_exact_instance_of::<PyString>() => v,
        _ => return Ok(None),
    };

    let none = py.None().into_bound(py);
    let or_none = |v: Option<Bound<'py, PyAny>>| v.unwrap_or_else(|| none.clone());
    let args = PyTuple::new(
        py,
        [
            host_matching.clone(),
            scheme,
            or_none(http_host),
            or_none(wsgi_name),
            or_none(wsgi_port),
            or_none(upgrade),
            or_none(connection),
            server_name.clone(),
            subdomain.clone(),
        ],
    )?;
    let bound = host_binding.call1(args)?;
    let Ok(bound) = bound.downcast_exact::<PyTuple>() else {
        return Ok(None);
    };
    let (Ok(encoded), Ok(sub), Ok(scheme), Ok(mismatch)) = (
        bound.get_item(0),
        bound.get_item(1),
        bound.get_item(2),
        bound.get_item(3),
    ) else {
        return Ok(None);
    };
    if !mismatch.is_none() {
        return Ok(None);
    }
    let script_name = script_name.unwrap_or_else(|| intern!(py, "/").clone());
    let path_info = path_info.unwrap_or_else(|| intern!(py, "/").clone());
    let (Ok(encoded), Ok(scheme), Ok(method), Ok(routes)) = (
        encoded.downcast_into_exact::<PyString>(),
        scheme.downcast_into_exact::<PyString>(),
        method.downcast_into_exact::<PyString>(),
        routes.downcast::<Routes>(),
    ) else {
        return Ok(None);
    };
    let sub = if sub.is_none() {
        None
    } else if let Ok(s) = sub.downcast_into_exact::<PyString>() {
        Some(s)
    } else {
        return Ok(None);
    };
    if !cls.is_subclass_of::<AdapterCore>()? {
        return Ok(None);
    }
    let core = AdapterCore::new(
        py,
        map.clone(),
        encoded,
        script_name,
        sub,
        scheme,
        path_info,
        method,
        query.map(|q| q.into_any().unbind()),
        Some(routes.clone()),
    )?;
    // SAFETY: `cls` is AdapterCore or a subclass of it (checked above), which
    // is what `into_new_object` requires; the object it returns is a new,
    // owned reference. The class's `__init__` is not called: `MapAdapter`'s
    // is `object.__init__`, and the Python path calls no other.
    let made = unsafe { PyClassInitializer::from(core).into_new_object(py, cls.as_type_ptr())? };
    // SAFETY: `made` is a new reference to a live object (see above).
    Ok(Some(unsafe { Bound::from_owned_ptr(py, made) }))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(bind_environ, m)?)
}
