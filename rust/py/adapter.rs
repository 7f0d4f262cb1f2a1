//! `AdapterCore`: the native base of `flaskrs.routing.MapAdapter`, with
//! Werkzeug's `match` and `build` as data in, data out.
//!
//! `_match` answers `(rule or endpoint, values)` and `_build` the URL when
//! that is the answer; anything else is an outcome from `outcome.rs` (the
//! map changed, no match, a slash redirect, a match whose rule may redirect,
//! a build miss, or "Werkzeug answers this one") that the Python
//! `MapAdapter` turns into Werkzeug's exceptions, calling the overridable
//! methods (`make_redirect_url`, `get_default_redirect`, a custom rule's
//! `build`...) as Werkzeug does. The core never calls the map, the adapter
//! or a rule.
//!
//! # The converter hooks
//!
//! The only Python code that runs during `_match` and `_build` is the
//! converters':
//! - `to_python(value)` and `to_url(value)` of a converter that is not one
//!   of Werkzeug's own (`convert.rs`), and `format(value, "")` of a
//!   `to_url` result that is not a str, as Werkzeug's builder formats it;
//! - Python's `re` for a converter regex that the `regex` crate cannot match
//!   exactly (`Router::pattern` compiles it once, `python_regex` matches).
//!
//! Each is made with no borrow of native state held: the router is an
//! immutable, reference-counted `Router`, and the adapter's fields are copied
//! out in short borrows first, so a hook may match, build, add rules or set
//! the adapter's fields.
//!
//! Everything else is data. The rules' and the map's attributes are read
//! from their instance dicts (`live.rs`, `slots.rs`), and the values given
//! are compared and hashed with Python's own `==` and `hash`, as Werkzeug
//! does. A rule or map whose attributes only Python can read (a property,
//! `__getattr__`) or that holds other types than Werkzeug's (methods that
//! are not a set, defaults that are not a dict, build values that are not a
//! dict...) is answered `Fallback` before any hook runs, and Werkzeug's own
//! `match` or `build` answers instead; after the walk of a match, `Matched`
//! hands the rest of the match to Python the same way. (A converter that,
//! mid-build, gives a rule such an attribute sees the converters before it
//! called again by Werkzeug's build.)

use std::borrow::Cow;
use std::cell::Cell;

use smallvec::SmallVec;

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyBytes, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PySet, PyString, PyTuple,
};

use crate::py::convert::{call_to_python, call_to_url, encode_query_item, ToUrl};
use crate::py::live::{Attr, LiveRule, NamedConverter, Seen};
use crate::py::outcome::{BuildMiss, Fallback, Matched, NoMatch, SlashRedirect, Stale};
use crate::py::router::{MapAttr, Op, Plan, Router, Routes, View};
use crate::py::utf8::utf8;
use crate::py::werkzeug::keywords_must_be_strings;
use crate::routing::build::{quote, PATH_SAFE};
use crate::routing::matcher::{ExternalMatch, Hooks, Match, Outcome};
use crate::routing::str_eq::same;

/// Why a match or build stopped short of its answer.
enum Stop {
    /// Python raised (a converter hook, or a comparison of given values).
    Raised(PyErr),
    /// Only Python can go on: Werkzeug's own code answers (`Fallback`).
    Python,
}

impl From<PyErr> for Stop {
    fn from(e: PyErr) -> Self {
        Stop::Raised(e)
    }
}

type Step<T> = Result<T, Stop>;

/// What `_match` and `_build` hand back for a step: its value, `Fallback`
/// where only Werkzeug can answer, or the exception Python raised.
fn answer<'py>(py: Python<'py>, step: Step<Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
    match step {
        Ok(found) => Ok(found),
        Err(Stop::Python) => Ok(Bound::new(py, Fallback)?.into_any()),
        Err(Stop::Raised(e)) => Err(e),
    }
}

/// `rule.<attr>`, where it can be read as data.
fn read<'py>(py: Python<'py>, live: &LiveRule, attr: Attr) -> Step<Bound<'py, PyAny>> {
    live.plain(py, attr)?.ok_or(Stop::Python)
}

/// `map.<attr>` of the map compiled, where it can be read as data.
fn read_map<'py>(py: Python<'py>, router: &Router, attr: MapAttr) -> Step<Bound<'py, PyAny>> {
    router.map_attr(py, attr)?.ok_or(Stop::Python)
}

/// `bool(value)` for the values Werkzeug's own code stores (bools, None,
/// numbers, strs, dicts, sets), whose truth runs no Python code.
fn plain_truth(value: &Bound<'_, PyAny>) -> Step<bool> {
    if value.is_none() {
        return Ok(false);
    }
    if let Ok(b) = value.downcast_exact::<PyBool>() {
        return Ok(b.is_true());
    }
    if value.is_exact_instance_of::<PyInt>()
        || value.is_exact_instance_of::<PyFloat>()
        || value.is_exact_instance_of::<PyString>()
        || value.is_exact_instance_of::<PyDict>()
        || value.is_exact_instance_of::<PySet>()
        || value.is_exact_instance_of::<PyFrozenSet>()
        || value.is_exact_instance_of::<PyList>()
        || value.is_exact_instance_of::<PyTuple>()
    {
        return Ok(value.is_truthy()?);
    }
    Err(Stop::Python)
}

/// `bool(rule.<attr>)`.
fn truthy(py: Python<'_>, live: &LiveRule, attr: Attr) -> Step<bool> {
    match live.seen(py, attr) {
        Seen::True => Ok(true),
        Seen::False | Seen::None => Ok(false),
        _ => plain_truth(&read(py, live, attr)?),
    }
}

/// `rule.defaults` when it is a non-empty dict; None when it is empty or
/// None.
fn defaults<'py>(py: Python<'py>, live: &LiveRule) -> Step<Option<Bound<'py, PyDict>>> {
    let value = match live.seen(py, Attr::Defaults) {
        Seen::None | Seen::False => return Ok(None),
        Seen::Compiled => live.compiled_value(py, Attr::Defaults),
        _ => None,
    };
    let value = match value {
        Some(v) => v,
        None => read(py, live, Attr::Defaults)?,
    };
    if value.is_none() {
        return Ok(None);
    }
    let dict = value.downcast_exact::<PyDict>().map_err(|_| Stop::Python)?;
    Ok(if dict.is_empty() {
        None
    } else {
        Some(dict.clone())
    })
}

/// A set of methods as Werkzeug stores one (None for "any").
fn methods_of<'py>(py: Python<'py>, live: &LiveRule) -> Step<Option<Bound<'py, PyAny>>> {
    let methods = read(py, live, Attr::Methods)?;
    if methods.is_none() {
        return Ok(None);
    }
    if methods.is_exact_instance_of::<PySet>() || methods.is_exact_instance_of::<PyFrozenSet>() {
        return Ok(Some(methods));
    }
    Err(Stop::Python)
}

/// `methods is None or method in methods`.
fn allows(py: Python<'_>, live: &LiveRule, method: &Bound<'_, PyString>) -> Step<bool> {
    match methods_of(py, live)? {
        None => Ok(true),
        Some(set) => Ok(set.contains(method)?),
    }
}

/// The adapter's `websocket` flag agrees with the rule's.
fn websocket_of(py: Python<'_>, live: &LiveRule) -> Step<bool> {
    match live.seen(py, Attr::Websocket) {
        Seen::False => Ok(false),
        Seen::True => Ok(true),
        _ => match read(py, live, Attr::Websocket)?.downcast_exact::<PyBool>() {
            Ok(b) => Ok(b.is_true()),
            Err(_) => Err(Stop::Python),
        },
    }
}

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

fn routes_of<'py>(map: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Routes>> {
    Ok(map
        .getattr(intern!(map.py(), "_routes"))?
        .downcast_into::<Routes>()?)
}

/// `method.upper()` as a str object, the given one when it is already;
/// None for a method with non-ASCII text, which Python upper-cases.
fn upper<'py>(method: &Bound<'py, PyString>) -> Option<Bound<'py, PyString>> {
    let text = utf8(method).ok().filter(|t| t.is_ascii())?;
    if !text.bytes().any(|b| b.is_ascii_lowercase()) {
        return Some(method.clone());
    }
    Some(PyString::new(method.py(), &text.to_ascii_uppercase()))
}

/// What Werkzeug's matcher reads from the rules, read when it reads it.
struct LiveHooks<'r, 'py> {
    py: Python<'py>,
    router: &'r Router,
    method: &'r Bound<'py, PyString>,
    websocket: bool,
    /// The methods of rules that matched all but the method.
    have_match_for: Option<Bound<'py, PySet>>,
    /// Why the walk stopped (kept here so that the walk passes a word-sized
    /// error up its recursion).
    stop: Option<Stop>,
}

/// The walk stopped; why is in `LiveHooks`.
struct Stopped;

impl<'py> LiveHooks<'_, 'py> {
    fn live(&self, rule: usize) -> Step<&LiveRule> {
        self.router
            .matched
            .get(rule)
            .and_then(|&v| self.router.view(v))
            .map(|v| &v.live)
            .ok_or_else(|| Stop::Raised(PyTypeError::new_err("no such rule")))
    }

    fn keep<T>(&mut self, r: Step<T>) -> Result<T, Stopped> {
        r.map_err(|e| {
            self.stop = Some(e);
            Stopped
        })
    }

    /// Why the walk stopped.
    fn stopped(&mut self) -> Stop {
        self.stop.take().unwrap_or_else(|| {
            Stop::Raised(PyTypeError::new_err("the router stopped without an error"))
        })
    }

    fn py_note_methods(&mut self, rule: usize) -> Step<()> {
        let Some(methods) = methods_of(self.py, self.live(rule)?)? else {
            return Ok(());
        };
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

    fn py_merge_slashes(&self) -> Step<bool> {
        // `map._matcher.merge_slashes`, read from the matcher's dict when
        // it is Werkzeug's own matcher.
        let matcher = read_map(self.py, self.router, MapAttr::Matcher)?;
        if !matcher
            .get_type()
            .is(crate::py::werkzeug::state_machine_matcher(self.py)?)
        {
            return Err(Stop::Python);
        }
        let attrs = matcher
            .getattr(intern!(self.py, "__dict__"))?
            .downcast_into::<PyDict>()
            .map_err(PyErr::from)?;
        match attrs.get_item(intern!(self.py, "merge_slashes"))? {
            Some(v) => plain_truth(&v),
            None => Err(Stop::Python),
        }
    }

    /// The converter hook of a part only Python's `re` matches exactly.
    fn python_regex(&self, transition: usize, target: &str) -> Step<Option<ExternalMatch>> {
        let py = self.py;
        let found = self
            .router
            .pattern(py, transition)?
            .call_method1(intern!(py, "match"), (target,))?;
        if found.is_none() {
            return Ok(None);
        }
        let groups = found.call_method0(intern!(py, "groupdict"))?;
        let groups = groups.downcast::<PyDict>().map_err(PyErr::from)?;
        let mut numbered: Vec<(u64, Option<String>)> = Vec::new();
        for (k, v) in groups.iter() {
            let k: String = k.extract()?;
            if let Some(n) = k.strip_prefix("__werkzeug_") {
                // Werkzeug orders them by `int(name[11:])`; a group name is
                // an identifier, so its digits may be other than ASCII.
                let n: u64 = match n.parse::<u64>() {
                    Ok(v) if n.bytes().all(|b| b.is_ascii_digit()) => v,
                    _ => py.get_type::<PyInt>().call1((n,))?.extract()?,
                };
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
            let all = all.downcast::<PyTuple>().map_err(PyErr::from)?;
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
    type Error = Stopped;

    fn allows_method(&mut self, rule: usize) -> Result<bool, Stopped> {
        let r = self
            .live(rule)
            .and_then(|l| allows(self.py, l, self.method));
        self.keep(r)
    }

    fn note_methods(&mut self, rule: usize) -> Result<(), Stopped> {
        let r = self.py_note_methods(rule);
        self.keep(r)
    }

    fn websocket_agrees(&mut self, rule: usize) -> Result<bool, Stopped> {
        let r = self
            .live(rule)
            .and_then(|l| websocket_of(self.py, l))
            .map(|ws| ws == self.websocket);
        self.keep(r)
    }

    fn strict_slashes(&mut self, rule: usize) -> Result<bool, Stopped> {
        let r = self
            .live(rule)
            .and_then(|l| truthy(self.py, l, Attr::StrictSlashes));
        self.keep(r)
    }

    fn refuses_merged_slashes(&mut self, rule: usize) -> Result<bool, Stopped> {
        // Werkzeug refuses when `rule.merge_slashes is False`.
        let py = self.py;
        let r =
            self.live(rule)
                .and_then(|l| match l.seen(py, Attr::MergeSlashes) {
                    Seen::False => Ok(true),
                    Seen::Other => read(py, l, Attr::MergeSlashes)
                        .map(|v| v.is(PyBool::new(py, false).as_any())),
                    _ => Ok(false),
                });
        self.keep(r)
    }

    fn merge_slashes(&mut self) -> Result<bool, Stopped> {
        let r = self.py_merge_slashes();
        self.keep(r)
    }

    fn external(
        &mut self,
        transition: usize,
        target: &str,
    ) -> Result<Option<ExternalMatch>, Stopped> {
        let r = self.python_regex(transition, target);
        self.keep(r)
    }
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
) -> Step<bool> {
    if let Some(m) = method {
        if !allows(py, live, m)? {
            return Ok(false);
        }
    }
    let defaults = defaults(py, live)?;
    let has_default = |key: &Bound<'py, PyAny>| -> PyResult<bool> {
        defaults.as_ref().map_or(Ok(false), |d| d.contains(key))
    };
    match live.compiled_arguments(py)? {
        Some(names) => {
            for key in names {
                if given.position(key).is_none() && !has_default(PyString::new(py, key).as_any())? {
                    return Ok(false);
                }
            }
        }
        None => {
            let arguments = read(py, live, Attr::Arguments)?;
            if !arguments.is_exact_instance_of::<PySet>()
                && !arguments.is_exact_instance_of::<PyFrozenSet>()
            {
                return Err(Stop::Python);
            }
            for key in arguments.try_iter()? {
                let key = key?;
                if given.lookup(&key)?.is_none() && !has_default(&key)? {
                    return Ok(false);
                }
            }
        }
    }
    if let Some(defaults) = defaults {
        // A snapshot: `==` of a given value may run Python code.
        for item in defaults.items().iter() {
            let (key, value): (Bound<'py, PyAny>, Bound<'py, PyAny>) = item.extract()?;
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
) -> Step<bool> {
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
                        let convs = read(py, live, Attr::Converters)?;
                        let convs = convs.downcast_exact::<PyDict>().map_err(|_| Stop::Python)?;
                        let conv = convs.as_any().get_item(name.bind(py))?;
                        call_to_url(out, &conv, value, joined)?
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
        Some(message) => Err(PyTypeError::new_err(message).into()),
        None => Ok(true),
    }
}

/// A query value Werkzeug's encoding turns into text without running
/// Python code: None, a str, bytes, a number, or a list, tuple or set of
/// those.
fn plain_query_value(value: &Bound<'_, PyAny>) -> bool {
    let scalar = |v: &Bound<'_, PyAny>| {
        v.is_none()
            || v.is_exact_instance_of::<PyString>()
            || v.is_exact_instance_of::<PyBytes>()
            || v.is_exact_instance_of::<PyInt>()
            || v.is_exact_instance_of::<PyFloat>()
            || v.is_exact_instance_of::<PyBool>()
    };
    if value.is_exact_instance_of::<PyList>()
        || value.is_exact_instance_of::<PyTuple>()
        || value.is_exact_instance_of::<PySet>()
    {
        return value
            .try_iter()
            .is_ok_and(|items| items.into_iter().all(|v| v.is_ok_and(|v| scalar(&v))));
    }
    scalar(value)
}

/// One call of `build`: what every rule's attempt reads.
struct Building<'a, 'g, 'py> {
    py: Python<'py>,
    router: &'a Router,
    given: &'a Given<'g, 'py>,
    append_unknown: bool,
}

impl<'py> Building<'_, '_, 'py> {
    /// Where in `given` the values the plan's builder does not take are.
    fn unknown(&self, plan: &Plan) -> SmallVec<[usize; 8]> {
        if !self.append_unknown {
            return SmallVec::new();
        }
        (0..self.given.keys.len())
            .filter(|&i| {
                self.given
                    .texts
                    .get(i)
                    .copied()
                    .flatten()
                    .is_some_and(|t| !plan.consumed.iter().any(|c| same(c, t)))
            })
            .collect()
    }

    /// `rule.map.sort_parameters`, the rule's map being the one compiled.
    fn sorts(&self, live: &LiveRule) -> Step<bool> {
        if live.seen(self.py, Attr::Map) != Seen::Compiled {
            return Err(Stop::Python);
        }
        plain_truth(&read_map(self.py, self.router, MapAttr::SortParameters)?)
    }

    /// Whether the rule can be built here without Python: asked of every
    /// candidate before any converter runs, so that `Fallback` comes first.
    fn check(&self, view: &View) -> Step<()> {
        let py = self.py;
        let live = &view.live;
        let plan = view.plan.as_ref().ok_or(Stop::Python)?;
        methods_of(py, live)?;
        defaults(py, live)?;
        websocket_of(py, live)?;
        if live.compiled_arguments(py)?.is_none() {
            let arguments = read(py, live, Attr::Arguments)?;
            if !arguments.is_exact_instance_of::<PySet>()
                && !arguments.is_exact_instance_of::<PyFrozenSet>()
            {
                return Err(Stop::Python);
            }
        }
        if live.compiled_converters(py)?.is_none()
            && !read(py, live, Attr::Converters)?.is_exact_instance_of::<PyDict>()
        {
            return Err(Stop::Python);
        }
        let unknown = self.unknown(plan);
        if !unknown.is_empty() {
            if plan.python_query || self.sorts(live)? {
                return Err(Stop::Python);
            }
            if !unknown
                .iter()
                .filter_map(|&i| self.given.values.get(i))
                .all(plain_query_value)
            {
                return Err(Stop::Python);
            }
        }
        Ok(())
    }

    /// Werkzeug's `Rule.build` of a rule whose builder flaskrs follows:
    /// (domain part, path with query), or None when a converter refused.
    fn with_plan(&self, live: &LiveRule, plan: &Plan) -> Step<Option<(String, String)>> {
        let (py, given) = (self.py, self.given);
        if given.texts.iter().any(Option::is_none) {
            return Err(keywords_must_be_strings().into());
        }
        let mut args: SmallVec<[usize; 8]> = SmallVec::new();
        for name in plan.consumed.iter().take(plan.required) {
            match given.position(name) {
                Some(i) => args.push(i),
                None => {
                    return Err(PyTypeError::new_err(format!(
                        "missing required argument: '{name}'"
                    ))
                    .into())
                }
            }
        }
        let mut query = String::new();
        let unknown = self.unknown(plan);
        if !unknown.is_empty() {
            if plan.python_query || self.sorts(live)? {
                return Err(Stop::Python);
            }
            for &i in &unknown {
                if let (Some(Some(k)), Some(v)) = (given.texts.get(i), given.values.get(i)) {
                    encode_query_item(&mut query, k, v)?;
                }
            }
        }
        let compiled = live.compiled_converters(py)?;
        let mut domain = String::new();
        let mut path = scratch();
        let built =
            run_ops(py, &mut domain, &plan.domain, live, compiled, given, &args).and_then(|done| {
                Ok(done && run_ops(py, &mut path, &plan.path, live, compiled, given, &args)?)
            });
        if !matches!(built, Ok(true)) {
            give_back(path);
            return built.map(|_| None);
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
    ) -> Step<Option<(String, String, bool)>> {
        let py = self.py;
        let live = &view.live;
        let plan = view.plan.as_ref().ok_or(Stop::Python)?;
        if !suitable(py, live, self.given, method)? {
            return Ok(None);
        }
        let Some((domain, path)) = self.with_plan(live, plan)? else {
            return Ok(None);
        };
        let websocket = websocket_of(py, live)?;
        Ok(Some((domain, path, websocket)))
    }
}

#[pymethods]
impl AdapterCore {
    #[new]
    #[pyo3(signature = (map, server_name, script_name, subdomain, url_scheme, path_info, default_method, query_args=None, routes=None))]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
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

    /// Werkzeug's `MapAdapter.match` as data: `(rule or endpoint, values)`,
    /// or an outcome (`outcome.rs`) for `MapAdapter.match` to act on.
    #[pyo3(signature = (path_info=None, method=None, return_rule=false, websocket=None))]
    fn _match<'py>(
        slf: &Bound<'py, Self>,
        path_info: Option<Bound<'py, PyString>>,
        method: Option<Bound<'py, PyString>>,
        return_rule: bool,
        websocket: Option<bool>,
    ) -> PyResult<Bound<'py, PyAny>> {
        answer(
            slf.py(),
            Self::match_step(slf, path_info, method, return_rule, websocket),
        )
    }

    /// Werkzeug's `MapAdapter.build` as data: the URL, or an outcome
    /// (`outcome.rs`) for `MapAdapter.build` to act on.
    #[pyo3(signature = (endpoint, values=None, method=None, force_external=false, append_unknown=true, url_scheme=None))]
    #[allow(clippy::too_many_arguments)]
    fn _build<'py>(
        slf: &Bound<'py, Self>,
        endpoint: Bound<'py, PyAny>,
        values: Option<Bound<'py, PyAny>>,
        method: Option<Bound<'py, PyString>>,
        force_external: bool,
        append_unknown: bool,
        url_scheme: Option<Bound<'py, PyString>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let step = Self::build_step(
            slf,
            &endpoint,
            values,
            method,
            force_external,
            append_unknown,
            url_scheme,
        );
        answer(slf.py(), step)
    }
}

impl AdapterCore {
    fn match_step<'py>(
        slf: &Bound<'py, Self>,
        path_info: Option<Bound<'py, PyString>>,
        method: Option<Bound<'py, PyString>>,
        return_rule: bool,
        websocket: Option<bool>,
    ) -> Step<Bound<'py, PyAny>> {
        let py = slf.py();
        let (routes, subdomain, adapter_websocket) = {
            let this = slf.borrow();
            (
                this.routes.bind(py).clone(),
                this.subdomain.as_ref().map(|s| s.bind(py).clone()),
                this.websocket,
            )
        };
        let Some(router) = routes.get().current(py) else {
            return Ok(Bound::new(py, Stale)?.into_any());
        };
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
            Some(sub) if !plain_truth(&read_map(py, router, MapAttr::HostMatching)?)? => sub,
            _ => field!(slf, server_name),
        };
        // Lone surrogates: Werkzeug's own matcher takes them.
        let (Ok(raw), Ok(domain)) = (utf8(raw_path), utf8(&domain_obj)) else {
            return Err(Stop::Python);
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
            Some(m) if m.len()? > 0 => upper(m),
            _ => upper(&field!(slf, default_method)),
        }
        .ok_or(Stop::Python)?;
        let mut hooks = LiveHooks {
            py,
            router,
            method: &method,
            websocket: websocket.unwrap_or(adapter_websocket),
            have_match_for: None,
            stop: None,
        };
        let Ok(Match {
            outcome,
            websocket_mismatch,
        }) = router.matcher.match_path(domain, &path, &mut hooks)
        else {
            return Err(hooks.stopped());
        };

        let have_match_for = hooks.have_match_for.filter(|m| !m.is_empty());
        let no_match = || -> PyResult<Bound<'py, PyAny>> {
            Ok(Bound::new(
                py,
                NoMatch {
                    have_match_for: have_match_for.as_ref().map(|m| m.clone().unbind()),
                    websocket_mismatch,
                },
            )?
            .into_any())
        };
        let (id, raw_values) = match outcome {
            Outcome::NoMatch => return Ok(no_match()?),
            Outcome::Redirect(to) => {
                let path = PyString::new(py, &quote(&to, PATH_SAFE)).unbind();
                return Ok(Bound::new(py, SlashRedirect { path })?.into_any());
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

        // The converters run; no `Fallback` after this.
        let values = PyDict::new(py);
        if let Some(convs) = live.compiled_converters(py)? {
            for ((key, conv), raw) in convs.iter().zip(&raw_values) {
                match conv.to_python(py, raw.as_deref())? {
                    Some(v) => values.set_item(key.bind(py), v)?,
                    None => return Ok(no_match()?),
                }
            }
        } else {
            let convs = read(py, live, Attr::Converters)?;
            let convs = convs.downcast_exact::<PyDict>().map_err(|_| Stop::Python)?;
            // Iterated as Werkzeug iterates `_converters.keys()`: a hook
            // that changes the dict's size makes the next step raise.
            for (key, raw) in convs.as_any().try_iter()?.zip(&raw_values) {
                let key = key?;
                let text = match raw {
                    Some(t) => PyString::new(py, t).into_any(),
                    None => py.None().into_bound(py),
                };
                let conv = convs.as_any().get_item(&key)?;
                match call_to_python(&conv, &text)? {
                    Some(v) => values.set_item(key.str()?, v)?,
                    None => return Ok(no_match()?),
                }
            }
        }
        let matched = |merged: bool| -> PyResult<Bound<'py, PyAny>> {
            Ok(Bound::new(
                py,
                Matched {
                    rule: rule.clone().unbind(),
                    values: values.clone().unbind(),
                    defaults_merged: merged,
                    domain_path: PyString::new(py, &format!("{domain}|{path}")).unbind(),
                    method: method.clone().unbind(),
                },
            )?
            .into_any())
        };
        // From here on what only Python can read goes to Python, which
        // carries on where this left off.
        match defaults(py, live) {
            Ok(Some(d)) => values.update(d.as_mapping())?,
            Ok(None) => {}
            Err(Stop::Python) => return Ok(matched(false)?),
            Err(e) => return Err(e),
        }
        let same_endpoint = live.seen(py, Attr::Endpoint) == Seen::Compiled;
        // Only a rule before this one in its endpoint's build order can
        // redirect to itself with defaults.
        let may_redirect = !(live.first_of_endpoint && same_endpoint);
        // Werkzeug's redirects, when the rule may make one.
        let may_redirect_now = (|| -> Step<bool> {
            Ok(truthy(py, live, Attr::Alias)?
                || (may_redirect
                    && plain_truth(&read_map(py, router, MapAttr::RedirectDefaults)?)?)
                || live.seen(py, Attr::RedirectTo) != Seen::None)
        })();
        match may_redirect_now {
            Ok(false) => {}
            Ok(true) | Err(Stop::Python) => return Ok(matched(true)?),
            Err(e) => return Err(e),
        }
        let first = if return_rule {
            rule.clone()
        } else if same_endpoint {
            live.endpoint.bind(py).clone()
        } else {
            match live.plain(py, Attr::Endpoint)? {
                Some(e) => e,
                None => return Ok(matched(true)?),
            }
        };
        Ok(PyTuple::new(py, [first, values.into_any()])?.into_any())
    }

    #[allow(clippy::too_many_arguments)]
    fn build_step<'py>(
        slf: &Bound<'py, Self>,
        endpoint: &Bound<'py, PyAny>,
        values: Option<Bound<'py, PyAny>>,
        method: Option<Bound<'py, PyString>>,
        force_external: bool,
        append_unknown: bool,
        url_scheme: Option<Bound<'py, PyString>>,
    ) -> Step<Bound<'py, PyAny>> {
        let py = slf.py();
        let (routes, server_name, subdomain, default_method) = {
            let this = slf.borrow();
            (
                this.routes.bind(py).clone(),
                this.server_name.bind(py).clone(),
                this.subdomain.as_ref().map(|s| s.bind(py).clone()),
                this.default_method.bind(py).clone(),
            )
        };
        let Some(router) = routes.get().current(py) else {
            return Ok(Bound::new(py, Stale)?.into_any());
        };
        let router = router.get();

        let mut keys: SmallVec<[Bound<'py, PyAny>; 8]> = SmallVec::new();
        let mut vals: SmallVec<[Bound<'py, PyAny>; 8]> = SmallVec::new();
        if let Some(v) = values.filter(|v| !v.is_none()) {
            // Other mappings (a MultiDict...) are Werkzeug's to read.
            let d = v.downcast_exact::<PyDict>().map_err(|_| Stop::Python)?;
            for (k, x) in d.iter() {
                if !x.is_none() {
                    keys.push(k);
                    vals.push(x);
                }
            }
        }
        let given = Given::new(&keys, &vals)?;

        let slot: Option<usize> = match router.endpoints.bind(py).get_item(endpoint)? {
            Some(s) => Some(s.extract()?),
            None => None,
        };
        let candidates: &[usize] = slot
            .and_then(|s| router.by_endpoint.get(s))
            .map_or(&[], Vec::as_slice);
        let host_matching = plain_truth(&read_map(py, router, MapAttr::HostMatching)?)?;
        let server_name = utf8(&server_name)?;
        let mut building = Building {
            py,
            router,
            given: &given,
            append_unknown,
        };
        for view in candidates.iter().filter_map(|&i| router.view(i)) {
            building.check(view)?;
        }
        let mut attempt =
            |m: Option<&Bound<'py, PyString>>| -> Step<Option<(String, String, bool)>> {
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
            let values = given.to_dict(py)?.unbind();
            return Ok(Bound::new(py, BuildMiss { values })?.into_any());
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
            return Ok(url.into_any());
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
        Ok(PyString::new(py, &url).into_any())
    }
}
