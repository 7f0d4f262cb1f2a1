//! `AdapterCore`: the native base of `flaskrs.routing.MapAdapter`. It holds
//! the adapter's fields and runs `match` and `build` without a Python frame
//! on the common path; redirects and errors are handed to the Python
//! subclass's `_no_match`, `_redirect_path`, `_finish_match` and
//! `_build_error`, which raise Werkzeug's own exceptions.

use std::borrow::Cow;
use std::cell::Cell;

use smallvec::SmallVec;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyDict, PySet, PyString, PyTuple, PyType};

use crate::py::convert::{encode_query_item, key_text};
use crate::py::router::{Entry, Op, Router};
use crate::py::text::utf8;
use crate::routing::matcher::{Match, Outcome};
use crate::routing::text::same;

#[pyclass(subclass, module = "flaskrs._core")]
pub struct AdapterCore {
    router: Py<Router>,
    #[pyo3(get, set)]
    map: Py<PyAny>,
    // The text fields stay Python strs: an adapter is made per request and
    // most of its fields are never read.
    #[pyo3(get, set)]
    server_name: Py<PyString>,
    #[pyo3(get, set)]
    script_name: Py<PyString>,
    #[pyo3(get, set)]
    subdomain: Option<Py<PyString>>,
    #[pyo3(get, set)]
    url_scheme: Py<PyString>,
    #[pyo3(get, set)]
    path_info: Py<PyString>,
    #[pyo3(get, set)]
    default_method: Py<PyString>,
    #[pyo3(get, set)]
    query_args: Py<PyAny>,
    #[pyo3(get, set)]
    websocket: bool,
}

fn multidict_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static T: GILOnceCell<Py<PyType>> = GILOnceCell::new();
    T.import(py, "werkzeug.datastructures", "MultiDict")
}

/// Brings the router up to date through the map (which also sorts its
/// build order), then hands it back borrowed.
fn fresh_router<'py>(
    py: Python<'py>,
    router: &Py<Router>,
    map: &Py<PyAny>,
) -> PyResult<PyRef<'py, Router>> {
    let current = router.bind(py).borrow();
    if !current.dirty {
        return Ok(current);
    }
    drop(current);
    map.bind(py).call_method0("update")?;
    Ok(router.bind(py).borrow())
}

/// `str.upper()`, without a copy when the method is upper-case already and
/// without a call into Python for ASCII text.
fn upper<'a>(method: &'a Bound<'_, PyString>) -> PyResult<Cow<'a, str>> {
    let text = utf8(method)?;
    if !text.is_ascii() {
        return Ok(Cow::Owned(method.call_method0("upper")?.extract()?));
    }
    if text.bytes().any(|b| b.is_ascii_lowercase()) {
        return Ok(Cow::Owned(text.to_ascii_uppercase()));
    }
    Ok(Cow::Borrowed(text))
}

thread_local! {
    // The text of the last URL built, kept for its capacity: building then
    // allocates nothing on the common path. Taken out while in use, so a
    // converter that builds a URL itself simply starts with an empty one.
    static SCRATCH: Cell<String> = const { Cell::new(String::new()) };
}

fn scratch() -> String {
    let mut s = SCRATCH.with(Cell::take);
    s.clear();
    s
}

fn give_back(s: String) {
    SCRATCH.with(|c| c.set(s));
}

/// The values given to `build`, None values left out, in order.
struct Values<'a, 'py> {
    names: SmallVec<[&'a str; 8]>,
    values: SmallVec<[Bound<'py, PyAny>; 8]>,
}

fn lookup<'a, 'py>(values: &'a Values<'_, 'py>, key: &str) -> Option<&'a Bound<'py, PyAny>> {
    values
        .names
        .iter()
        .position(|k| same(k, key))
        .map(|i| &values.values[i])
}

impl Entry {
    fn suitable_for(&self, values: &Values<'_, '_>, method: Option<&str>) -> PyResult<bool> {
        if let (Some(m), Some(allowed)) = (method, &self.methods) {
            if !allowed.iter().any(|a| same(a, m)) {
                return Ok(false);
            }
        }
        if !self.required.iter().all(|k| lookup(values, k).is_some()) {
            return Ok(false);
        }
        for (k, default) in &self.default_items {
            if let Some(v) = lookup(values, k) {
                if default.bind(v.py()).ne(v)? {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    fn run_ops(&self, out: &mut String, ops: &[Op], values: &Values<'_, '_>) -> PyResult<bool> {
        for op in ops {
            match op {
                Op::Text(t) => out.push_str(t),
                Op::Var { conv, name } => {
                    let value = lookup(values, name).ok_or_else(|| {
                        PyTypeError::new_err(format!("missing required argument: '{name}'"))
                    })?;
                    match self.convs.get(*conv) {
                        Some(c) => {
                            if !c.to_url(out, value)? {
                                return Ok(false);
                            }
                        }
                        None => out.push_str(utf8(&value.str()?)?),
                    }
                }
            }
        }
        Ok(true)
    }

    /// (domain part, path with query) or None when a converter refused.
    fn build(
        &self,
        py: Python<'_>,
        values: &Values<'_, '_>,
        append_unknown: bool,
        sort: bool,
    ) -> PyResult<Option<(String, String)>> {
        let mut domain = String::new();
        let mut path = scratch();
        if !self.run_ops(&mut domain, &self.domain_ops, values)?
            || !self.run_ops(&mut path, &self.path_ops, values)?
        {
            give_back(path);
            return Ok(None);
        }
        if append_unknown {
            let unknown = values
                .names
                .iter()
                .zip(&values.values)
                .filter(|(k, _)| !self.consumed.iter().any(|c| same(c, k)));
            if sort {
                let py_values = PyDict::new(py);
                for (k, v) in unknown {
                    py_values.set_item(k, v)?;
                }
                if !py_values.is_empty() {
                    let q: String = self
                        .rule
                        .bind(py)
                        .call_method1("_encode_query_vars", (py_values,))?
                        .extract()?;
                    if !q.is_empty() {
                        path.push('?');
                        path.push_str(&q);
                    }
                }
            } else {
                let mut q = String::new();
                for (k, v) in unknown {
                    encode_query_item(&mut q, k, v)?;
                }
                if !q.is_empty() {
                    path.push('?');
                    path.push_str(&q);
                }
            }
        }
        Ok(Some((domain, path)))
    }
}

#[pymethods]
impl AdapterCore {
    #[new]
    #[pyo3(signature = (map, server_name, script_name, subdomain, url_scheme, path_info, default_method, query_args=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        map: Bound<'_, PyAny>,
        server_name: Bound<'_, PyString>,
        script_name: Bound<'_, PyString>,
        subdomain: Option<Bound<'_, PyString>>,
        url_scheme: Bound<'_, PyString>,
        path_info: Bound<'_, PyString>,
        default_method: Bound<'_, PyString>,
        query_args: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let router: Py<Router> = map.getattr("_router")?.extract()?;
        let script = utf8(&script_name)?;
        let script_name = if script.ends_with('/') {
            script_name.unbind()
        } else {
            PyString::new(py, &format!("{script}/")).unbind()
        };
        let scheme = utf8(&url_scheme)?;
        let websocket = scheme == "ws" || scheme == "wss";
        Ok(AdapterCore {
            router,
            map: map.unbind(),
            server_name: server_name.unbind(),
            script_name,
            subdomain: subdomain.map(Bound::unbind),
            url_scheme: url_scheme.unbind(),
            path_info: path_info.unbind(),
            default_method: default_method.unbind(),
            query_args: query_args.unwrap_or_else(|| py.None()),
            websocket,
        })
    }

    /// Werkzeug's `MapAdapter.match`.
    #[pyo3(name = "match", signature = (path_info=None, method=None, return_rule=false, query_args=None, websocket=None))]
    fn match_<'py>(
        slf: &Bound<'py, Self>,
        path_info: Option<Bound<'py, PyString>>,
        method: Option<Bound<'py, PyString>>,
        return_rule: bool,
        query_args: Option<Bound<'py, PyAny>>,
        websocket: Option<bool>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this = slf.borrow();
        let router = fresh_router(py, &this.router, &this.map)?;

        let raw_path: &str = match &path_info {
            // A lone surrogate cannot come from a WSGI server (PATH_INFO is
            // bytes as latin-1); no rule is written for one either.
            Some(p) => match utf8(p) {
                Ok(p) => p,
                Err(_) => {
                    return Err(slf
                        .call_method1("_no_match", (PySet::empty(py)?, false))
                        .err()
                        .unwrap_or_else(|| PyTypeError::new_err("_no_match must raise")))
                }
            },
            None => utf8(this.path_info.bind(py))?,
        };
        // Werkzeug matches "/" + path_info.lstrip("/"): usually the path itself.
        let path: Cow<'_, str> = if raw_path.is_empty()
            || (raw_path.starts_with('/') && !raw_path[1..].starts_with('/'))
        {
            Cow::Borrowed(raw_path)
        } else {
            Cow::Owned(format!("/{}", raw_path.trim_start_matches('/')))
        };
        let method: Cow<'_, str> = match &method {
            Some(m) if !utf8(m)?.is_empty() => upper(m)?,
            _ => upper(this.default_method.bind(py))?,
        };
        let websocket = websocket.unwrap_or(this.websocket);
        let domain = match (&this.subdomain, router.host_matching) {
            (Some(sub), false) => utf8(sub.bind(py))?,
            _ => utf8(this.server_name.bind(py))?,
        };

        let external = &router.external;
        let mut ext = |t: usize, target: &str| -> PyResult<Option<Vec<String>>> {
            let Some(pattern) = external.get(&t) else {
                return Ok(None);
            };
            let m = pattern.bind(py).call_method1("match", (target,))?;
            if m.is_none() {
                return Ok(None);
            }
            let groups = m.call_method0("groupdict")?;
            let groups = groups.downcast::<PyDict>()?;
            let mut named: Vec<(String, String)> = Vec::new();
            for (k, v) in groups.iter() {
                let k: String = k.extract()?;
                if k.starts_with("__werkzeug_") {
                    let v = if v.is_none() {
                        String::new()
                    } else {
                        v.extract()?
                    };
                    named.push((k, v));
                }
            }
            named.sort();
            Ok(Some(named.into_iter().map(|(_, v)| v).collect()))
        };
        let found = router
            .matcher
            .match_path(domain, &path, &method, websocket, &mut ext)?;
        let query_args = || {
            query_args
                .clone()
                .unwrap_or_else(|| this.query_args.clone_ref(py).into_bound(py))
        };

        let no_match = |have: &[String], ws: bool| -> PyResult<Bound<'py, PyAny>> {
            let methods = PySet::new(py, have)?;
            Err(slf
                .call_method1("_no_match", (methods, ws))
                .err()
                .unwrap_or_else(|| PyTypeError::new_err("_no_match must raise")))
        };
        let Match {
            outcome,
            have_match_for,
            websocket_mismatch,
        } = found;
        match outcome {
            Outcome::NoMatch => no_match(&have_match_for, websocket_mismatch),
            Outcome::Redirect(to) => slf.call_method1("_redirect_path", (to, query_args())),
            Outcome::Rule(id, raw) => {
                let entry = &router.entries[router.matched_entry[id]];
                let values = PyDict::new(py);
                for ((name, conv), text) in entry.names.iter().zip(&entry.convs).zip(&raw) {
                    match conv.to_python(py, text)? {
                        Some(v) => values.set_item(name.bind(py), v)?,
                        None => return no_match(&have_match_for, websocket_mismatch),
                    }
                }
                if let Some(d) = &entry.defaults {
                    values.update(d.bind(py).as_mapping())?;
                }
                let rule = entry.rule.bind(py);
                if entry.special {
                    let rule = rule.clone();
                    let method = method.into_owned();
                    // The borrows of the adapter and router are shared: the
                    // Python side may read both, and build URLs, meanwhile.
                    let query_args = query_args();
                    return slf.call_method1(
                        "_finish_match",
                        (rule, values, method, query_args, return_rule),
                    );
                }
                let first = if return_rule {
                    rule.clone()
                } else {
                    entry.endpoint.bind(py).clone()
                };
                Ok(PyTuple::new(py, [first, values.into_any()])?.into_any())
            }
        }
    }

    /// Werkzeug's `MapAdapter.build`.
    #[pyo3(signature = (endpoint, values=None, method=None, force_external=false, append_unknown=true, url_scheme=None))]
    #[allow(clippy::too_many_arguments)]
    fn build<'py>(
        slf: &Bound<'py, Self>,
        endpoint: Bound<'py, PyAny>,
        values: Option<Bound<'py, PyAny>>,
        method: Option<String>,
        force_external: bool,
        append_unknown: bool,
        url_scheme: Option<String>,
    ) -> PyResult<Bound<'py, PyString>> {
        let py = slf.py();
        let this = slf.borrow();
        let router = fresh_router(py, &this.router, &this.map)?;

        let mut keys: SmallVec<[Bound<'py, PyString>; 8]> = SmallVec::new();
        let mut vals: SmallVec<[Bound<'py, PyAny>; 8]> = SmallVec::new();
        if let Some(v) = values {
            let v = if !v.is_exact_instance_of::<PyDict>() && v.is_instance(multidict_type(py)?)? {
                slf.call_method1("_flatten_multidict", (v,))?
            } else {
                v
            };
            let mut take = |k: Bound<'py, PyAny>, x: Bound<'py, PyAny>| -> PyResult<()> {
                if !x.is_none() {
                    keys.push(key_text(k)?);
                    vals.push(x);
                }
                Ok(())
            };
            if let Ok(d) = v.downcast::<PyDict>() {
                for (k, x) in d.iter() {
                    take(k, x)?;
                }
            } else if v.is_truthy()? {
                for item in v.call_method0("items")?.try_iter()? {
                    let (k, x): (Bound<'py, PyAny>, Bound<'py, PyAny>) = item?.extract()?;
                    take(k, x)?;
                }
            }
        }
        let given = Values {
            names: keys.iter().map(utf8).collect::<PyResult<_>>()?,
            values: vals,
        };

        let slot: Option<usize> = match router.endpoint_slots.bind(py).get_item(&endpoint)? {
            Some(s) => Some(s.extract()?),
            None => None,
        };
        let candidates: &[usize] = slot
            .and_then(|s| router.by_endpoint.get(s))
            .map_or(&[], Vec::as_slice);
        let sort = router.sort_parameters;
        let server_name = utf8(this.server_name.bind(py))?;
        let default_method = utf8(this.default_method.bind(py))?;
        let attempt = |m: Option<&str>| -> PyResult<Option<(String, String, bool)>> {
            let mut first = None;
            for &i in candidates {
                let e = &router.entries[i];
                if !e.suitable_for(&given, m)? {
                    continue;
                }
                if let Some((d, p)) = e.build(py, &given, append_unknown, sort)? {
                    if !router.host_matching || same(&d, server_name) {
                        return Ok(Some((d, p, e.websocket)));
                    }
                    if first.is_none() {
                        first = Some((d, p, e.websocket));
                    } else {
                        give_back(p);
                    }
                }
            }
            Ok(first)
        };
        let mut built = None;
        if method.is_none() {
            built = attempt(Some(default_method))?;
        }
        if built.is_none() {
            built = attempt(method.as_deref())?;
        }
        let Some((domain, path, websocket)) = built else {
            let d = PyDict::new(py);
            for (k, v) in keys.iter().zip(&given.values) {
                d.set_item(k, v)?;
            }
            drop(router);
            drop(this);
            return Err(slf
                .call_method1("_build_error", (endpoint, d, method))
                .err()
                .unwrap_or_else(|| PyTypeError::new_err("_build_error must raise")));
        };

        let tail = path.trim_start_matches('/');
        let same_host = if router.host_matching {
            same(&domain, server_name)
        } else {
            match &this.subdomain {
                Some(sub) => same(utf8(sub.bind(py))?, &domain),
                None => false,
            }
        };
        if !force_external && !websocket && same_host {
            let script = utf8(this.script_name.bind(py))?.trim_end_matches('/');
            let url = if script.is_empty() && path.len() == tail.len() + 1 {
                // Mounted at the root and one leading slash: the path is the URL.
                PyString::new(py, &path)
            } else {
                PyString::new(py, &format!("{script}/{tail}"))
            };
            give_back(path);
            return Ok(url);
        }
        // An absolute URL. WebSocket rules always get one, with a ws scheme.
        let scheme = match url_scheme.as_deref() {
            Some(s) => s,
            None => utf8(this.url_scheme.bind(py))?,
        };
        let secure = scheme == "https" || scheme == "wss";
        let scheme = match (websocket, secure, scheme.is_empty()) {
            (true, true, _) => "wss",
            (true, false, _) => "ws",
            (false, _, true) => "",
            (false, true, false) => "https",
            (false, false, false) => "http",
        };
        let mut url = String::with_capacity(64 + tail.len());
        if !scheme.is_empty() {
            url.push_str(scheme);
            url.push(':');
        }
        url.push_str("//");
        if router.host_matching || domain.is_empty() {
            url.push_str(if router.host_matching {
                &domain
            } else {
                server_name
            });
        } else {
            url.push_str(&domain);
            url.push('.');
            url.push_str(server_name);
        }
        let script = utf8(this.script_name.bind(py))?;
        url.push_str(
            script
                .char_indices()
                .last()
                .map_or(script, |(i, _)| &script[..i]),
        );
        url.push('/');
        url.push_str(tail);
        give_back(path);
        Ok(PyString::new(py, &url))
    }
}
