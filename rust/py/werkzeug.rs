//! The Python objects the router answers with: Werkzeug's exceptions and
//! data structures, imported once. Every routing outcome that is not a
//! plain result becomes a Python exception here and nowhere else.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyDict, PyList, PySet, PyString, PyType};

macro_rules! werkzeug_class {
    ($fn:ident, $module:literal, $name:literal) => {
        pub fn $fn(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
            static CELL: GILOnceCell<Py<PyType>> = GILOnceCell::new();
            CELL.import(py, $module, $name)
        }
    };
}

werkzeug_class!(validation_error, "werkzeug.routing", "ValidationError");
werkzeug_class!(multidict, "werkzeug.datastructures", "MultiDict");
werkzeug_class!(not_found, "werkzeug.exceptions", "NotFound");
werkzeug_class!(
    method_not_allowed,
    "werkzeug.exceptions",
    "MethodNotAllowed"
);
werkzeug_class!(websocket_mismatch, "werkzeug.routing", "WebsocketMismatch");
werkzeug_class!(request_redirect, "werkzeug.routing", "RequestRedirect");
werkzeug_class!(build_error, "werkzeug.routing", "BuildError");

/// `urllib.parse.urljoin`.
pub fn urljoin(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static CELL: GILOnceCell<Py<PyAny>> = GILOnceCell::new();
    CELL.import(py, "urllib.parse", "urljoin")
}

/// `re.compile`.
pub fn re_compile(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static CELL: GILOnceCell<Py<PyAny>> = GILOnceCell::new();
    CELL.import(py, "re", "compile")
}

fn raise(exc: PyResult<Bound<'_, PyAny>>) -> PyErr {
    match exc {
        Ok(e) => PyErr::from_value(e),
        Err(e) => e,
    }
}

/// Werkzeug's answer to a path no rule takes: 405 with the methods some
/// rule would have taken, else 400 for a websocket mismatch, else 404.
pub fn no_match(py: Python<'_>, methods: Option<&Bound<'_, PySet>>, websocket: bool) -> PyErr {
    if let Some(methods) = methods.filter(|m| !m.is_empty()) {
        let kwargs = PyDict::new(py);
        let made = PyList::new(py, methods.iter())
            .and_then(|list| kwargs.set_item("valid_methods", list))
            .and_then(|()| method_not_allowed(py))
            .and_then(|cls| cls.call((), Some(&kwargs)));
        return raise(made);
    }
    let cls = if websocket {
        websocket_mismatch(py)
    } else {
        not_found(py)
    };
    raise(cls.and_then(|c| c.call0()))
}

/// `RequestRedirect(url)`.
pub fn redirect(url: &Bound<'_, PyAny>) -> PyErr {
    raise(request_redirect(url.py()).and_then(|c| c.call1((url,))))
}

/// `BuildError(endpoint, values, method, adapter)`.
pub fn build_failed(
    endpoint: &Bound<'_, PyAny>,
    values: &Bound<'_, PyDict>,
    method: Option<&Bound<'_, PyString>>,
    adapter: &Bound<'_, PyAny>,
) -> PyErr {
    let py = endpoint.py();
    raise(build_error(py).and_then(|c| c.call1((endpoint, values, method, adapter))))
}

/// The TypeError of `f(**values)` with a key that is not a str.
pub fn keywords_must_be_strings() -> PyErr {
    PyTypeError::new_err("keywords must be strings")
}
