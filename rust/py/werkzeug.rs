//! The Python objects the router needs from Werkzeug and the standard
//! library, imported once.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::PyType;

macro_rules! werkzeug_class {
    ($fn:ident, $module:literal, $name:literal) => {
        pub fn $fn(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
            static CELL: GILOnceCell<Py<PyType>> = GILOnceCell::new();
            CELL.import(py, $module, $name)
        }
    };
}

werkzeug_class!(validation_error, "werkzeug.routing", "ValidationError");
werkzeug_class!(
    state_machine_matcher,
    "werkzeug.routing.matcher",
    "StateMachineMatcher"
);

/// `re.compile`.
pub fn re_compile(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static CELL: GILOnceCell<Py<PyAny>> = GILOnceCell::new();
    CELL.import(py, "re", "compile")
}

/// The TypeError of `f(**values)` with a key that is not a str.
pub fn keywords_must_be_strings() -> PyErr {
    PyTypeError::new_err("keywords must be strings")
}
