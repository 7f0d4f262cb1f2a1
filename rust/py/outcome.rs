//! What `AdapterCore._match` and `_build` answer when the answer is not
//! the plain one (`(rule, values)`, a URL): data for
//! `flaskrs.routing.MapAdapter`, which raises Werkzeug's exceptions and calls
//! Werkzeug's overridable methods with it.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PySet, PyString};

/// The map changed since its router was compiled: `map.update()`, then ask
/// again.
#[pyclass(module = "flaskrs._core", frozen)]
pub struct Stale;

/// Werkzeug's own `match`/`build` answers: the input or a rule needs
/// Python (a path with lone surrogates, a rule attribute that is a
/// property, a rule class that builds its own way...). Given before any
/// converter ran, so nothing runs twice.
#[pyclass(module = "flaskrs._core", frozen)]
pub struct Fallback;

/// No rule took the path: 405 when `have_match_for` has methods, else 400
/// for a websocket mismatch, else 404.
#[pyclass(module = "flaskrs._core", frozen)]
pub struct NoMatch {
    #[pyo3(get)]
    pub have_match_for: Option<Py<PySet>>,
    #[pyo3(get)]
    pub websocket_mismatch: bool,
}

/// The path matches with a slash added or slashes merged: redirect to
/// `path` (already percent-encoded).
#[pyclass(module = "flaskrs._core", frozen)]
pub struct SlashRedirect {
    #[pyo3(get)]
    pub path: Py<PyString>,
}

/// A rule matched, with its converted values, but what happens next is
/// Python's: the rule may be an alias, redirect with defaults or
/// `redirect_to`, or holds attributes only Python reads.
#[pyclass(module = "flaskrs._core", frozen)]
pub struct Matched {
    #[pyo3(get)]
    pub rule: Py<PyAny>,
    #[pyo3(get)]
    pub values: Py<PyDict>,
    /// `rule.defaults` is already in `values`.
    #[pyo3(get)]
    pub defaults_merged: bool,
    /// `"domain|path"`, as Werkzeug gives `make_alias_redirect_url`.
    #[pyo3(get)]
    pub domain_path: Py<PyString>,
    /// The request method, upper-cased.
    #[pyo3(get)]
    pub method: Py<PyString>,
}

/// No rule of the endpoint builds with these values; `values` are the ones
/// `BuildError` reports.
#[pyclass(module = "flaskrs._core", frozen)]
pub struct BuildMiss {
    #[pyo3(get)]
    pub values: Py<PyDict>,
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Stale>()?;
    m.add_class::<Fallback>()?;
    m.add_class::<NoMatch>()?;
    m.add_class::<SlashRedirect>()?;
    m.add_class::<Matched>()?;
    m.add_class::<BuildMiss>()?;
    Ok(())
}
