//! `AdapterCore`: the native base of `flaskrs.routing.MapAdapter`, with
//! Werkzeug's `match` and `build`.
//!
//! Each call takes the map's current `Router` (compiling one first when the
//! rules changed) and copies out the adapter's fields, so no borrow of
//! native state is held while Python runs: converters, Werkzeug's
//! overridable `make_redirect_url`, `make_alias_redirect_url` and
//! `get_default_redirect`, a rule's `redirect_to` callable, and the rule's
//! attributes read at match time may all build URLs, match or add rules.

use std::borrow::Cow;
use std::cell::Cell;

use smallvec::SmallVec;

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PySet, PyString, PyTuple};

use crate::py::convert::{call_to_python, call_to_url, encode_query_item, ToUrl};
use crate::py::live::{Attr, LiveRule, NamedConverter, Seen};
use crate::py::router::{MapAttr, Op, Plan, Router, Routes, View};
use crate::py::utf8::utf8;
use crate::py::werkzeug::{self, keywords_must_be_strings};
use crate::routing::build::{quote, PATH_SAFE};
use crate::routing::matcher::{ExternalMatch, Hooks, Match, Outcome};
use crate::routing::str_eq::same;

#[pyclass(subclass, module = "flaskrs._core")]
pub struct AdapterCore {
    #[pyo3(get)]
    map: Py<PyAny>,
    /// The map's `_routes`.
    routes: Py<Routes>,
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

/// Copies of the adapter's fields for one call, taken in a short borrow:
/// none is held while Python runs, so Python code may set them meanwhile.
macro_rules! field {
    ($slf:expr, $name:ident) => {
        $slf.borrow().$name.bind($slf.py()).clone()
    };
}

/// The map's current router, compiled first when its rules changed
/// (Werkzeug's `map.update()` at the start of a match or build).
fn current_router<'py>(
    map: &Bound<'py, PyAny>,
    routes: &Bound<'py, Routes>,
) -> PyResult<Bound<'py, Router>> {
    if let Some(r) = routes.get().current(map.py()) {
        return Ok(r);
    }
    map.call_method0(intern!(map.py(), "update"))?;
    routes
        .get()
        .current(map.py())
        .ok_or_else(|| PyTypeError::new_err("Map.update() left no router"))
}

fn routes_of<'py>(map: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Routes>> {
    Ok(map
        .getattr(intern!(map.py(), "_routes"))?
        .downcast_into::<Routes>()?)
}

/// `method.upper()` as a str object, the given one when it is already.
fn upper<'py>(method: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyString>> {
    if let Ok(text) = utf8(method) {
        if text.is_ascii() && !text.bytes().any(|b| b.is_ascii_lowercase()) {
            return Ok(method.clone());
        }
        if text.is_ascii() {
            return Ok(PyString::new(method.py(), &text.to_ascii_uppercase()));
        }
    }
    Ok(method
        .call_method0(intern!(method.py(), "upper"))?
        .downcast_into::<PyString>()?)
}

/// What Werkzeug's matcher reads from the rules, read when it reads it.
struct LiveHooks<'r, 'py> {
    py: Python<'py>,
    router: &'r Router,
    map: &'r Bound<'py, PyAny>,
    method: &'r Bound<'py, PyString>,
    websocket: bool,
    /// The methods of rules that matched all but the method.
    have_match_for: Option<Bound<'py, PySet>>,
    /// Why the walk stopped, when Python raised (kept here so that the walk
    /// passes a word-sized error up its recursion).
    error: Option<PyErr>,
}

/// The walk stopped because Python raised; the error is in `LiveHooks`.
struct Raised;

impl<'py> LiveHooks<'_, 'py> {
    fn live(&self, rule: usize) -> PyResult<&LiveRule> {
        self.router
            .matched
            .get(rule)
            .and_then(|&v| self.router.view(v))
            .map(|v| &v.live)
            .ok_or_else(|| PyTypeError::new_err("no such rule"))
    }

    fn read(&self, rule: usize, attr: Attr) -> PyResult<Bound<'py, PyAny>> {
        self.live(rule)?.get(self.py, attr)
    }

    fn keep<T>(&mut self, r: PyResult<T>) -> Result<T, Raised> {
        r.map_err(|e| {
            self.error = Some(e);
            Raised
        })
    }

    /// The error the walk stopped for.
    fn raised(&mut self) -> PyErr {
        self.error
            .take()
            .unwrap_or_else(|| PyTypeError::new_err("the router stopped without an error"))
    }

    fn py_allows_method(&self, rule: usize) -> PyResult<bool> {
        allows(&self.read(rule, Attr::Methods)?, self.method)
    }

    fn py_note_methods(&mut self, rule: usize) -> PyResult<()> {
        let methods = self.read(rule, Attr::Methods)?;
        let set = match &self.have_match_for {
            Some(s) => s.clone(),
            None => {
                let s = PySet::empty(self.py)?;
                self.have_match_for = Some(s.clone());
                s
            }
        };
        for m in methods.try_iter()? {
            set.add(m?)?;
        }
        Ok(())
    }

    fn py_websocket_agrees(&self, rule: usize) -> PyResult<bool> {
        match self.live(rule)?.seen(self.py, Attr::Websocket) {
            Seen::False => return Ok(!self.websocket),
            Seen::True => return Ok(self.websocket),
            _ => {}
        }
        let flag = self.read(rule, Attr::Websocket)?;
        if let Ok(b) = flag.downcast_exact::<PyBool>() {
            return Ok(b.is_true() == self.websocket);
        }
        flag.eq(self.websocket)
    }

    fn py_refuses_merged_slashes(&self, rule: usize) -> PyResult<bool> {
        Ok(self.live(rule)?.seen(self.py, Attr::MergeSlashes) == Seen::False)
    }

    fn py_merge_slashes(&self) -> PyResult<bool> {
        self.router
            .map_attr(self.map, MapAttr::Matcher)?
            .getattr(intern!(self.py, "merge_slashes"))?
            .is_truthy()
    }

    fn py_external(&self, transition: usize, target: &str) -> PyResult<Option<ExternalMatch>> {
        let py = self.py;
        let found = self
            .router
            .pattern(py, transition)?
            .call_method1(intern!(py, "match"), (target,))?;
        if found.is_none() {
            return Ok(None);
        }
        let groups = found.call_method0(intern!(py, "groupdict"))?;
        let groups = groups.downcast::<PyDict>()?;
        let mut numbered: Vec<(u64, Option<String>)> = Vec::new();
        for (k, v) in groups.iter() {
            let k: String = k.extract()?;
            if let Some(n) = k.strip_prefix("__werkzeug_") {
                // Werkzeug orders them by `int(name[11:])`.
                let n: u64 = py.get_type::<PyInt>().call1((n,))?.extract()?;
                numbered.push((
                    n,
                    if v.is_none() {
                        None
                    } else {
                        Some(v.extract()?)
                    },
                ));
            }
        }
        numbered.sort_by_key(|(n, _)| *n);
        let suffixed = self
            .router
            .matcher
            .transition(transition)
            .is_some_and(|t| t.suffixed);
        let slash = suffixed && {
            let all = found.call_method0(intern!(py, "groups"))?;
            let all = all.downcast::<PyTuple>()?;
            match all.len().checked_sub(1) {
                Some(last) => all.get_item(last)?.eq("/")?,
                None => false,
            }
        };
        Ok(Some(ExternalMatch {
            values: numbered.into_iter().map(|(_, v)| v).collect(),
            slash,
        }))
    }
}

impl Hooks for LiveHooks<'_, '_> {
    type Error = Raised;

    fn allows_method(&mut self, rule: usize) -> Result<bool, Raised> {
        let r = self.py_allows_method(rule);
        self.keep(r)
    }

    fn note_methods(&mut self, rule: usize) -> Result<(), Raised> {
        let r = self.py_note_methods(rule);
        self.keep(r)
    }

    fn websocket_agrees(&mut self, rule: usize) -> Result<bool, Raised> {
        let r = self.py_websocket_agrees(rule);
        self.keep(r)
    }

    fn strict_slashes(&mut self, rule: usize) -> Result<bool, Raised> {
        let r = truthy(self.py, self.live(rule), Attr::StrictSlashes);
        self.keep(r)
    }

    fn refuses_merged_slashes(&mut self, rule: usize) -> Result<bool, Raised> {
        let r = self.py_refuses_merged_slashes(rule);
        self.keep(r)
    }

    fn merge_slashes(&mut self) -> Result<bool, Raised> {
        let r = self.py_merge_slashes();
        self.keep(r)
    }

    fn external(
        &mut self,
        transition: usize,
        target: &str,
    ) -> Result<Option<ExternalMatch>, Raised> {
        let r = self.py_external(transition, target);
        self.keep(r)
    }
}

/// `methods is None or method in methods`.
fn allows(methods: &Bound<'_, PyAny>, method: &Bound<'_, PyString>) -> PyResult<bool> {
    if methods.is_none() {
        return Ok(true);
    }
    match methods.downcast_exact::<PySet>() {
        Ok(set) => set.contains(method),
        Err(_) => methods.contains(method),
    }
}

/// `bool(rule.<attr>)`.
fn truthy(py: Python<'_>, live: PyResult<&LiveRule>, attr: Attr) -> PyResult<bool> {
    let live = live?;
    match live.seen(py, attr) {
        Seen::True => Ok(true),
        Seen::False | Seen::None => Ok(false),
        _ => live.get(py, attr)?.is_truthy(),
    }
}

/// `rule.<attr>` when it is truthy (a non-empty `defaults`).
fn truthy_value<'py>(
    py: Python<'py>,
    live: &LiveRule,
    attr: Attr,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let value = match live.seen(py, attr) {
        Seen::None | Seen::False => return Ok(None),
        Seen::Compiled => live.compiled_value(py, attr),
        _ => None,
    };
    let value = match value {
        Some(v) => v,
        None => live.get(py, attr)?,
    };
    Ok(if value.is_truthy()? {
        Some(value)
    } else {
        None
    })
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

/// The values given to `build`, None values left out, in order, with
/// each key's text (None for a key that is not a str).
struct Given<'a, 'py> {
    keys: &'a [Bound<'py, PyAny>],
    values: &'a [Bound<'py, PyAny>],
    texts: SmallVec<[Option<&'a str>; 8]>,
}

impl<'a, 'py> Given<'a, 'py> {
    fn new(keys: &'a [Bound<'py, PyAny>], values: &'a [Bound<'py, PyAny>]) -> PyResult<Self> {
        let mut texts = SmallVec::with_capacity(keys.len());
        for k in keys {
            texts.push(match k.downcast::<PyString>() {
                Ok(s) => Some(utf8(s)?),
                Err(_) => None,
            });
        }
        Ok(Given {
            keys,
            values,
            texts,
        })
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.texts
            .iter()
            .position(|t| t.is_some_and(|t| same(t, name)))
    }

    fn get(&self, name: &str) -> Option<&Bound<'py, PyAny>> {
        self.position(name).and_then(|i| self.values.get(i))
    }

    /// The value of a key Python gives (from the rule's defaults).
    fn lookup(&self, key: &Bound<'py, PyAny>) -> PyResult<Option<&Bound<'py, PyAny>>> {
        if let Ok(text) = key.downcast::<PyString>() {
            return Ok(self.get(utf8(text)?));
        }
        for (k, v) in self.keys.iter().zip(self.values) {
            if k.eq(key)? {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }

    fn to_dict(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in self.keys.iter().zip(self.values) {
            d.set_item(k, v)?;
        }
        Ok(d)
    }
}

/// Werkzeug's `Rule.suitable_for`, reading the rule's attributes now.
fn suitable<'py>(
    py: Python<'py>,
    live: &LiveRule,
    given: &Given<'_, 'py>,
    method: Option<&Bound<'py, PyString>>,
) -> PyResult<bool> {
    if let Some(m) = method {
        if !allows(&live.get(py, Attr::Methods)?, m)? {
            return Ok(false);
        }
    }
    let defaults = truthy_value(py, live, Attr::Defaults)?;
    match live.compiled_arguments(py)? {
        Some(names) => {
            for key in names {
                if given.position(key).is_none()
                    && !defaults.as_ref().map_or(Ok(false), |d| d.contains(key))?
                {
                    return Ok(false);
                }
            }
        }
        None => {
            for key in live.get(py, Attr::Arguments)?.try_iter()? {
                let key = key?;
                if given.lookup(&key)?.is_none()
                    && !defaults.as_ref().map_or(Ok(false), |d| d.contains(&key))?
                {
                    return Ok(false);
                }
            }
        }
    }
    if let Some(defaults) = defaults {
        for item in defaults.call_method0(intern!(py, "items"))?.try_iter()? {
            let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
            if let Some(v) = given.lookup(&key)? {
                if value.ne(v)? {
                    return Ok(false);
                }
            }
        }
    }
    Ok(true)
}

/// Appends the ops' text; false when a converter refused its value.
/// `args` has where each of the builder's required arguments is in `given`.
fn run_ops<'py>(
    py: Python<'py>,
    out: &mut String,
    ops: &[Op],
    live: &LiveRule,
    compiled: Option<&[NamedConverter]>,
    given: &Given<'_, 'py>,
    args: &[usize],
) -> PyResult<bool> {
    // One value alone is the part itself; several are joined as strs,
    // after every one of them is made.
    let joined = ops.len() > 1;
    let mut not_str = None;
    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::Text(t) => out.push_str(t),
            Op::Var {
                name,
                text,
                conv,
                arg,
            } => {
                let at = arg.and_then(|a| args.get(a).copied());
                let value = match at {
                    Some(i) => given.values.get(i),
                    None => given.get(text),
                }
                .ok_or_else(|| {
                    PyTypeError::new_err(format!("missing required argument: '{text}'"))
                })?;
                let own = compiled.zip(*conv).and_then(|(convs, i)| convs.get(i));
                let done = match own {
                    Some((_, conv)) => conv.to_url(out, value, joined)?,
                    None => {
                        let convs = live.get(py, Attr::Converters)?;
                        call_to_url(out, &convs.get_item(name.bind(py))?, value, joined)?
                    }
                };
                match done {
                    ToUrl::Done => {}
                    ToUrl::Refused => return Ok(false),
                    ToUrl::NotStr(kind) => {
                        not_str.get_or_insert(format!(
                            "sequence item {i}: expected str instance, {kind} found"
                        ));
                    }
                }
            }
        }
    }
    match not_str {
        Some(message) => Err(PyTypeError::new_err(message)),
        None => Ok(true),
    }
}

/// One call of `build`: what every rule's attempt reads.
struct Building<'a, 'g, 'py> {
    py: Python<'py>,
    router: &'a Router,
    map: &'a Bound<'py, PyAny>,
    given: &'a Given<'g, 'py>,
    append_unknown: bool,
    /// The values as a dict, made for the first rule that builds its own way.
    dict: Option<Bound<'py, PyDict>>,
}

impl<'py> Building<'_, '_, 'py> {
    /// Werkzeug's `Rule.build` of a rule whose builder flaskrs follows:
    /// (domain part, path with query), or None when a converter refused.
    fn with_plan(&self, live: &LiveRule, plan: &Plan) -> PyResult<Option<(String, String)>> {
        let (py, router, map, given, append_unknown) = (
            self.py,
            self.router,
            self.map,
            self.given,
            self.append_unknown,
        );
        if given.texts.iter().any(Option::is_none) {
            return Err(keywords_must_be_strings());
        }
        let mut args: SmallVec<[usize; 8]> = SmallVec::new();
        for name in plan.consumed.iter().take(plan.required) {
            match given.position(name) {
                Some(i) => args.push(i),
                None => {
                    return Err(PyTypeError::new_err(format!(
                        "missing required argument: '{name}'"
                    )))
                }
            }
        }
        let mut query = String::new();
        if append_unknown {
            let unknown: SmallVec<[usize; 8]> = (0..given.keys.len())
                .filter(|&i| {
                    given
                        .texts
                        .get(i)
                        .copied()
                        .flatten()
                        .is_some_and(|t| !plan.consumed.iter().any(|c| same(c, t)))
                })
                .collect();
            if !unknown.is_empty() {
                let rule = live.rule.bind(py);
                // `rule.map.sort_parameters`, the rule's map being the one compiled.
                let sort = if live.seen(py, Attr::Map) == Seen::Compiled {
                    router.map_attr(map, MapAttr::SortParameters)?
                } else {
                    live.get(py, Attr::Map)?
                        .getattr(intern!(py, "sort_parameters"))?
                };
                let sort = sort.is_truthy()?;
                if plan.python_query || sort {
                    let d = PyDict::new(py);
                    for &i in &unknown {
                        if let (Some(k), Some(v)) = (given.keys.get(i), given.values.get(i)) {
                            d.set_item(k, v)?;
                        }
                    }
                    let params = rule.call_method1(intern!(py, "_encode_query_vars"), (d,))?;
                    query.push_str(utf8(params.downcast::<PyString>()?)?);
                } else {
                    for &i in &unknown {
                        if let (Some(Some(k)), Some(v)) = (given.texts.get(i), given.values.get(i))
                        {
                            encode_query_item(&mut query, k, v)?;
                        }
                    }
                }
            }
        }
        let compiled = live.compiled_converters(py)?;
        let mut domain = String::new();
        let mut path = scratch();
        if !run_ops(py, &mut domain, &plan.domain, live, compiled, given, &args)?
            || !run_ops(py, &mut path, &plan.path, live, compiled, given, &args)?
        {
            give_back(path);
            return Ok(None);
        }
        if !query.is_empty() {
            path.push('?');
            path.push_str(&query);
        }
        Ok(Some((domain, path)))
    }

    /// One rule's attempt at `build`: (domain part, path, websocket) or None.
    fn one(
        &mut self,
        view: &View,
        method: Option<&Bound<'py, PyString>>,
    ) -> PyResult<Option<(String, String, bool)>> {
        let (py, append_unknown) = (self.py, self.append_unknown);
        let live = &view.live;
        let built = match &view.plan {
            Some(plan) => {
                if !suitable(py, live, self.given, method)? {
                    return Ok(None);
                }
                self.with_plan(live, plan)?
            }
            None => {
                // The rule's class has its own idea: ask it, as Werkzeug does.
                let values = match &self.dict {
                    Some(d) => d.clone(),
                    None => {
                        let d = self.given.to_dict(py)?;
                        self.dict = Some(d.clone());
                        d
                    }
                };
                let rule = live.rule.bind(py);
                if !rule
                    .call_method1(intern!(py, "suitable_for"), (&values, method))?
                    .is_truthy()?
                {
                    return Ok(None);
                }
                let rv = rule.call_method1(intern!(py, "build"), (&values, append_unknown))?;
                if rv.is_none() {
                    None
                } else {
                    let (d, p): (Bound<'_, PyAny>, Bound<'_, PyAny>) = rv.extract()?;
                    Some((
                        d.str()?.to_cow()?.into_owned(),
                        p.str()?.to_cow()?.into_owned(),
                    ))
                }
            }
        };
        let Some((domain, path)) = built else {
            return Ok(None);
        };
        let websocket = truthy(py, Ok(live), Attr::Websocket)?;
        Ok(Some((domain, path, websocket)))
    }
}

/// `redirect_to` with each `<name>` replaced by the value's URL form, as
/// Werkzeug's `<([^>]+)>` substitution does it.
fn fill_placeholders(
    template: &str,
    live: &LiveRule,
    values: &Bound<'_, PyDict>,
) -> PyResult<String> {
    let py = values.py();
    let convs = live.get(py, Attr::Converters)?;
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('<') {
        let after = rest.get(open + 1..).unwrap_or_default();
        match after.find('>') {
            Some(close) if close > 0 => {
                out.push_str(rest.get(..open).unwrap_or_default());
                let key = after.get(..close).unwrap_or_default();
                let value = values.as_any().get_item(key)?;
                let text = convs
                    .get_item(key)?
                    .call_method1(intern!(py, "to_url"), (value,))?;
                // `re.sub` takes only a str from the replacement function.
                match text.downcast::<PyString>() {
                    Ok(t) => out.push_str(utf8(t)?),
                    Err(_) => {
                        return Err(PyTypeError::new_err(format!(
                            "expected str instance, {} found",
                            text.get_type().name()?
                        )))
                    }
                }
                rest = after.get(close + 1..).unwrap_or_default();
            }
            Some(_) => {
                // `<>`: no match at this `<`; the search goes on after it.
                out.push_str(rest.get(..=open).unwrap_or_default());
                rest = after;
            }
            None => break,
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[pymethods]
impl AdapterCore {
    #[new]
    #[pyo3(signature = (map, server_name, script_name, subdomain, url_scheme, path_info, default_method, query_args=None, routes=None))]
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
        routes: Option<Bound<'_, Routes>>,
    ) -> PyResult<Self> {
        let routes = match routes {
            Some(r) => r.unbind(),
            None => routes_of(&map)?.unbind(),
        };
        let script = utf8(&script_name)?;
        let script_name = if script.ends_with('/') {
            script_name.unbind()
        } else {
            PyString::new(py, &format!("{script}/")).unbind()
        };
        let scheme = utf8(&url_scheme)?;
        let websocket = scheme == "ws" || scheme == "wss";
        Ok(AdapterCore {
            map: map.unbind(),
            routes,
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

    #[setter]
    fn set_map(&mut self, map: Bound<'_, PyAny>) -> PyResult<()> {
        self.routes = routes_of(&map)?.unbind();
        self.map = map.unbind();
        Ok(())
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
        let (map, routes, subdomain, adapter_websocket) = {
            let this = slf.borrow();
            (
                this.map.bind(py).clone(),
                this.routes.bind(py).clone(),
                this.subdomain.as_ref().map(|s| s.bind(py).clone()),
                this.websocket,
            )
        };
        let router = current_router(&map, &routes)?;
        let router = router.get();

        let own_path;
        let raw_path = match &path_info {
            Some(p) => p,
            None => {
                own_path = field!(slf, path_info);
                &own_path
            }
        };
        let domain_obj = match subdomain {
            Some(sub) if !router.map_attr(&map, MapAttr::HostMatching)?.is_truthy()? => sub,
            _ => field!(slf, server_name),
        };
        let (Ok(raw), Ok(domain)) = (utf8(raw_path), utf8(&domain_obj)) else {
            // Lone surrogates: Werkzeug's own matcher takes them.
            return py
                .import("werkzeug.routing")?
                .getattr("MapAdapter")?
                .getattr("match")?
                .call1((slf, path_info, method, return_rule, query_args, websocket));
        };
        // Werkzeug matches `"/" + path_info.lstrip("/")`, or "" for "".
        let path: Cow<'_, str> = if raw.is_empty()
            || (raw.starts_with('/') && raw.as_bytes().get(1).is_none_or(|&b| b != b'/'))
        {
            Cow::Borrowed(raw)
        } else {
            Cow::Owned(format!("/{}", raw.trim_start_matches('/')))
        };
        let method = match &method {
            Some(m) if m.len()? > 0 => upper(m)?,
            _ => upper(&field!(slf, default_method))?,
        };
        let mut hooks = LiveHooks {
            py,
            router,
            map: &map,
            method: &method,
            websocket: websocket.unwrap_or(adapter_websocket),
            have_match_for: None,
            error: None,
        };
        let Ok(Match {
            outcome,
            websocket_mismatch,
        }) = router.matcher.match_path(domain, &path, &mut hooks)
        else {
            return Err(hooks.raised());
        };
        let have_match_for = hooks.have_match_for;
        let no_match = || werkzeug::no_match(py, have_match_for.as_ref(), websocket_mismatch);
        let query_args = || -> PyResult<Bound<'py, PyAny>> {
            if let Some(q) = &query_args {
                return Ok(q.clone());
            }
            let own = field!(slf, query_args);
            if own.is_truthy()? {
                Ok(own)
            } else {
                Ok(PyDict::new(py).into_any())
            }
        };

        let (id, raw_values) = match outcome {
            Outcome::NoMatch => return Err(no_match()),
            Outcome::Redirect(to) => {
                let url = slf.call_method1(
                    intern!(py, "make_redirect_url"),
                    (quote(&to, PATH_SAFE), query_args()?),
                )?;
                return Err(werkzeug::redirect(&url));
            }
            Outcome::Rule(id, values) => (id, values),
        };
        let live = router
            .matched
            .get(id)
            .and_then(|&v| router.view(v))
            .map(|v| &v.live)
            .ok_or_else(|| PyTypeError::new_err("no such rule"))?;
        let rule = live.rule.bind(py);

        let values = PyDict::new(py);
        if let Some(convs) = live.compiled_converters(py)? {
            for ((key, conv), raw) in convs.iter().zip(&raw_values) {
                match conv.to_python(py, raw.as_deref())? {
                    Some(v) => values.set_item(key.bind(py), v)?,
                    None => return Err(no_match()),
                }
            }
        } else {
            let convs = live.get(py, Attr::Converters)?;
            let keys = convs.call_method0(intern!(py, "keys"))?;
            for (key, raw) in keys.try_iter()?.zip(&raw_values) {
                let key = key?;
                let text = match raw {
                    Some(t) => PyString::new(py, t).into_any(),
                    None => py.None().into_bound(py),
                };
                match call_to_python(&convs.get_item(&key)?, &text)? {
                    Some(v) => values.set_item(key.str()?, v)?,
                    None => return Err(no_match()),
                }
            }
        }
        if let Some(defaults) = truthy_value(py, live, Attr::Defaults)? {
            values.call_method1(intern!(py, "update"), (defaults,))?;
        }

        if truthy(py, Ok(live), Attr::Alias)?
            && rule
                .getattr(intern!(py, "map"))?
                .getattr(intern!(py, "redirect_defaults"))?
                .is_truthy()?
        {
            let url = slf.call_method1(
                intern!(py, "make_alias_redirect_url"),
                (
                    format!("{domain}|{path}"),
                    live.get(py, Attr::Endpoint)?,
                    &values,
                    &method,
                    query_args()?,
                ),
            )?;
            return Err(werkzeug::redirect(&url));
        }
        let same_endpoint = live.seen(py, Attr::Endpoint) == Seen::Compiled;
        // Only a rule before this one in its endpoint's build order can
        // redirect to itself with defaults.
        let may_redirect = !(live.first_of_endpoint && same_endpoint);
        if may_redirect
            && router
                .map_attr(&map, MapAttr::RedirectDefaults)?
                .is_truthy()?
        {
            let url = slf.call_method1(
                intern!(py, "get_default_redirect"),
                (rule, &method, &values, query_args()?),
            )?;
            if !url.is_none() {
                return Err(werkzeug::redirect(&url));
            }
        }
        let redirect_to = match live.seen(py, Attr::RedirectTo) {
            Seen::None => None,
            _ => Some(live.get(py, Attr::RedirectTo)?).filter(|r| !r.is_none()),
        };
        if let Some(redirect_to) = redirect_to {
            let target = match redirect_to.downcast::<PyString>() {
                Ok(template) => {
                    PyString::new(py, &fill_placeholders(utf8(template)?, live, &values)?)
                        .into_any()
                }
                Err(_) => redirect_to.call((slf,), Some(&values))?,
            };
            let server_name = field!(slf, server_name);
            let netloc = match slf.borrow().subdomain.as_ref().map(|s| s.bind(py).clone()) {
                Some(sub) if !utf8(&sub)?.is_empty() => {
                    format!("{}.{}", utf8(&sub)?, utf8(&server_name)?)
                }
                _ => utf8(&server_name)?.to_owned(),
            };
            let scheme = field!(slf, url_scheme);
            let scheme = utf8(&scheme)?;
            let base = format!(
                "{}://{netloc}{}",
                if scheme.is_empty() { "http" } else { scheme },
                utf8(&field!(slf, script_name))?
            );
            let url = werkzeug::urljoin(py)?.call1((base, target))?;
            return Err(werkzeug::redirect(&url));
        }
        let first = if return_rule {
            rule.clone()
        } else if same_endpoint {
            live.endpoint.bind(py).clone()
        } else {
            live.get(py, Attr::Endpoint)?
        };
        Ok(PyTuple::new(py, [first, values.into_any()])?.into_any())
    }

    /// Werkzeug's `MapAdapter.build`.
    #[pyo3(signature = (endpoint, values=None, method=None, force_external=false, append_unknown=true, url_scheme=None))]
    #[allow(clippy::too_many_arguments)]
    fn build<'py>(
        slf: &Bound<'py, Self>,
        endpoint: Bound<'py, PyAny>,
        values: Option<Bound<'py, PyAny>>,
        method: Option<Bound<'py, PyString>>,
        force_external: bool,
        append_unknown: bool,
        url_scheme: Option<Bound<'py, PyString>>,
    ) -> PyResult<Bound<'py, PyString>> {
        let py = slf.py();
        let (map, routes, server_name, subdomain, default_method) = {
            let this = slf.borrow();
            (
                this.map.bind(py).clone(),
                this.routes.bind(py).clone(),
                this.server_name.bind(py).clone(),
                this.subdomain.as_ref().map(|s| s.bind(py).clone()),
                this.default_method.bind(py).clone(),
            )
        };
        let router = current_router(&map, &routes)?;
        let router = router.get();

        let mut keys: SmallVec<[Bound<'py, PyAny>; 8]> = SmallVec::new();
        let mut vals: SmallVec<[Bound<'py, PyAny>; 8]> = SmallVec::new();
        let mut push = |k: Bound<'py, PyAny>, v: Bound<'py, PyAny>| {
            keys.push(k);
            vals.push(v);
        };
        let values = match values {
            Some(v) if v.is_truthy()? => Some(v),
            _ => None,
        };
        if let Some(v) = values {
            if !v.is_exact_instance_of::<PyDict>() && v.is_instance(werkzeug::multidict(py)?)? {
                // One value stays a value, several become a list.
                for (k, list) in py
                    .get_type::<PyDict>()
                    .call_method1(intern!(py, "items"), (&v,))?
                    .try_iter()?
                    .map(|item| {
                        item.and_then(|i| i.extract::<(Bound<'py, PyAny>, Bound<'py, PyAny>)>())
                    })
                    .collect::<PyResult<Vec<_>>>()?
                {
                    match list.len()? {
                        0 => {}
                        1 => push(k, list.get_item(0)?),
                        _ => push(k, list),
                    }
                }
            } else if let Ok(d) = v.downcast::<PyDict>() {
                for (k, x) in d.iter() {
                    if !x.is_none() {
                        push(k, x);
                    }
                }
            } else {
                for item in v.call_method0(intern!(py, "items"))?.try_iter()? {
                    let (k, x): (Bound<'py, PyAny>, Bound<'py, PyAny>) = item?.extract()?;
                    if !x.is_none() {
                        push(k, x);
                    }
                }
            }
        }
        let given = Given::new(&keys, &vals)?;

        let slot: Option<usize> = match router.endpoints.bind(py).get_item(&endpoint)? {
            Some(s) => Some(s.extract()?),
            None => None,
        };
        let candidates: &[usize] = slot
            .and_then(|s| router.by_endpoint.get(s))
            .map_or(&[], Vec::as_slice);
        let host_matching = router.map_attr(&map, MapAttr::HostMatching)?.is_truthy()?;
        let server_name = utf8(&server_name)?;
        let mut building = Building {
            py,
            router,
            map: &map,
            given: &given,
            append_unknown,
            dict: None,
        };
        let mut attempt =
            |m: Option<&Bound<'py, PyString>>| -> PyResult<Option<(String, String, bool)>> {
                let mut first = None;
                for view in candidates.iter().filter_map(|&i| router.view(i)) {
                    let Some((d, p, ws)) = building.one(view, m)? else {
                        continue;
                    };
                    if !host_matching || same(&d, server_name) {
                        return Ok(Some((d, p, ws)));
                    }
                    if first.is_none() {
                        first = Some((d, p, ws));
                    } else {
                        give_back(p);
                    }
                }
                Ok(first)
            };
        let mut built = None;
        if method.is_none() {
            built = attempt(Some(&default_method))?;
        }
        if built.is_none() {
            built = attempt(method.as_ref())?;
        }
        let Some((domain, path, websocket)) = built else {
            let values = given.to_dict(py)?;
            return Err(werkzeug::build_failed(
                &endpoint,
                &values,
                method.as_ref(),
                slf.as_any(),
            ));
        };

        let tail = path.trim_start_matches('/');
        let same_host = if host_matching {
            same(&domain, server_name)
        } else {
            match &subdomain {
                Some(sub) => same(utf8(sub)?, &domain),
                None => false,
            }
        };
        let script_name = field!(slf, script_name);
        if !force_external && !websocket && same_host {
            let script = utf8(&script_name)?.trim_end_matches('/');
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
        let own_scheme = field!(slf, url_scheme);
        let scheme = match &url_scheme {
            Some(s) => utf8(s)?,
            None => utf8(&own_scheme)?,
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
        if host_matching || domain.is_empty() {
            url.push_str(if host_matching { &domain } else { server_name });
        } else {
            url.push_str(&domain);
            url.push('.');
            url.push_str(server_name);
        }
        let script = utf8(&script_name)?;
        url.push_str(
            script
                .char_indices()
                .last()
                .map_or(script, |(i, _)| script.get(..i).unwrap_or_default()),
        );
        url.push('/');
        url.push_str(tail);
        give_back(path);
        Ok(PyString::new(py, &url))
    }
}
