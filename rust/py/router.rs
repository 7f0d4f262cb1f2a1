//! `Router`: one compiled, immutable form of a `flaskrs.routing.Map`'s
//! rules. A change to the map compiles a new one; a match or a build holds
//! its own reference to the router it started with, so no borrow of native
//! state outlives a call into Python and the map may change meanwhile.

use std::cell::RefCell;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::{GILOnceCell, GILProtected};
use pyo3::types::{PyDict, PyList, PyString};

use crate::py::live::LiveRule;
use crate::py::slots::Slot;
use crate::py::werkzeug::re_compile;
use crate::routing::matcher::{DynamicSpec, Matcher, PartSpec};

/// One step of building a URL: literal text (already percent-encoded) or
/// the value of a variable through its converter.
pub enum Op {
    Text(String),
    Var {
        name: Py<PyString>,
        text: String,
        /// Its converter among the rule's compiled ones.
        conv: Option<usize>,
        /// Its place among the builder's required arguments.
        arg: Option<usize>,
    },
}

/// How Werkzeug's builder for a rule goes, where flaskrs can follow it
/// natively (see `flaskrs.routing._build_plan`).
pub struct Plan {
    pub domain: Vec<Op>,
    pub path: Vec<Op>,
    /// The names the builder takes as arguments; the rest go to the query.
    pub consumed: Vec<String>,
    /// The first `required` of them have no default: a build without one
    /// fails as the call to the builder would.
    pub required: usize,
    /// The rule's class encodes query strings its own way.
    pub python_query: bool,
}

pub struct View {
    pub live: LiveRule,
    /// None: the rule's class builds in its own way; ask it.
    pub plan: Option<Plan>,
}

#[pyclass(module = "flaskrs._core", frozen)]
pub struct Router {
    pub matcher: Matcher,
    /// Every rule of the map, matchable or not.
    pub views: Vec<View>,
    /// Matcher rule id to view.
    pub matched: Vec<usize>,
    /// Python's compiled regex of each transition, made when first needed
    /// (Werkzeug compiles them at match time too, so a regex Python refuses
    /// fails the matches that reach it, not the map).
    patterns: Vec<GILOnceCell<Py<PyAny>>>,
    /// endpoint -> index into `by_endpoint`.
    pub endpoints: Py<PyDict>,
    /// The views of each endpoint, in Werkzeug's build order.
    pub by_endpoint: Vec<Vec<usize>>,
    /// The map's instance dict, when reading its attributes there gives
    /// what `getattr` gives, and where each of `MAP_ATTRS` sits in it.
    map_attrs: Option<(Py<PyDict>, Vec<Slot>)>,
}

/// The map attributes Werkzeug reads while matching and building.
#[derive(Clone, Copy)]
pub enum MapAttr {
    HostMatching,
    RedirectDefaults,
    Matcher,
    SortParameters,
}

const MAP_ATTRS: [&str; 4] = [
    "host_matching",
    "redirect_defaults",
    "_matcher",
    "sort_parameters",
];

/// Where a map keeps its current `Router`: shared by the map and every
/// adapter bound to it, replaced whole when the rules change. The GIL
/// guards it (a lock of its own measured as a stall on every match), and it
/// is borrowed only to copy or swap the reference, never while Python runs.
#[pyclass(module = "flaskrs._core", frozen)]
pub struct Routes {
    current: GILProtected<RefCell<Option<Py<Router>>>>,
}

impl Routes {
    /// The current router.
    pub fn current<'py>(&self, py: Python<'py>) -> Option<Bound<'py, Router>> {
        let cell = self.current.get(py).try_borrow().ok()?;
        cell.as_ref().map(|r| r.bind(py).clone())
    }
}

#[pymethods]
impl Routes {
    #[new]
    fn new() -> Self {
        Routes {
            current: GILProtected::new(RefCell::new(None)),
        }
    }

    /// The router compiled last, or None after a change.
    #[getter(router)]
    fn router<'py>(&self, py: Python<'py>) -> Option<Bound<'py, Router>> {
        self.current(py)
    }

    #[setter(router)]
    fn set_router(&self, py: Python<'_>, router: Option<Py<Router>>) -> PyResult<()> {
        let old = self
            .current
            .get(py)
            .try_borrow_mut()
            .map(|mut cell| std::mem::replace(&mut *cell, router))
            .map_err(|_| PyValueError::new_err("the routes are being read"))?;
        // Released after the borrow ends: dropping a router can run Python.
        drop(old);
        Ok(())
    }
}

fn ops(list: &Bound<'_, PyAny>, live: &LiveRule, required: &[String]) -> PyResult<Vec<Op>> {
    let py = list.py();
    let mut out = Vec::new();
    for item in list.try_iter()? {
        let (is_var, text): (bool, Bound<'_, PyString>) = item?.extract()?;
        let owned = text.to_cow()?.into_owned();
        if !is_var {
            // Neighbouring literals are one part of the joined string.
            if let Some(Op::Text(prev)) = out.last_mut() {
                prev.push_str(&owned);
                continue;
            }
        }
        out.push(if is_var {
            let conv = live
                .convs
                .iter()
                .position(|(n, _)| n.bind(py).to_cow().is_ok_and(|n| n == owned));
            let arg = required.iter().position(|r| *r == owned);
            Op::Var {
                name: text.unbind(),
                text: owned,
                conv,
                arg,
            }
        } else {
            Op::Text(owned)
        });
    }
    Ok(out)
}

fn plan(value: &Bound<'_, PyAny>, live: &LiveRule) -> PyResult<Option<Plan>> {
    if value.is_none() {
        return Ok(None);
    }
    let (domain, path, consumed, required, python_query): (
        Bound<'_, PyAny>,
        Bound<'_, PyAny>,
        Vec<String>,
        usize,
        bool,
    ) = value.extract()?;
    let needed = consumed.get(..required).unwrap_or_default();
    Ok(Some(Plan {
        domain: ops(&domain, live, needed)?,
        path: ops(&path, live, needed)?,
        consumed,
        required,
        python_query,
    }))
}

fn part(value: &Bound<'_, PyAny>) -> PyResult<PartSpec> {
    let (content, final_, is_static, suffixed, rank): (String, bool, bool, bool, u32) =
        value.extract()?;
    Ok(if is_static {
        PartSpec::Static(content)
    } else {
        PartSpec::Dynamic(DynamicSpec {
            content,
            final_,
            suffixed,
            rank,
        })
    })
}

impl Router {
    /// Python's compiled regex of a transition.
    pub fn pattern<'py>(&self, py: Python<'py>, transition: usize) -> PyResult<&Bound<'py, PyAny>> {
        let cell = self
            .patterns
            .get(transition)
            .ok_or_else(|| PyValueError::new_err("no such transition"))?;
        let pattern = cell.get_or_try_init(py, || {
            let content = self
                .matcher
                .transition(transition)
                .map_or("", |t| t.content.as_str());
            re_compile(py)?.call1((content,)).map(Bound::unbind)
        })?;
        Ok(pattern.bind(py))
    }

    pub fn view(&self, index: usize) -> Option<&View> {
        self.views.get(index)
    }

    /// `map.<attr>` of the map compiled, read from its instance dict; None
    /// when only `getattr` can tell (its class computes it).
    pub fn map_attr<'py>(
        &self,
        py: Python<'py>,
        attr: MapAttr,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some((attrs, slots)) = &self.map_attrs else {
            return Ok(None);
        };
        match slots.get(attr as usize) {
            Some(slot) => slot.get(attrs.bind(py)),
            None => Ok(None),
        }
    }
}

#[pymethods]
impl Router {
    /// `views`: `(rule, plain, first_of_endpoint, plan)` for every rule;
    /// `matched`: `(view index, parts)` for the rules that match, in the
    /// order they were added, each part `(content, final, static, suffixed,
    /// weight rank)`; `endpoints`: endpoint -> view indices in build order;
    /// `map_attrs`: the map's `__dict__` when its class reads plainly.
    #[new]
    fn new(
        views: &Bound<'_, PyList>,
        matched: &Bound<'_, PyList>,
        endpoints: &Bound<'_, PyDict>,
        map_attrs: Option<Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let py = views.py();
        let mut compiled = Vec::with_capacity(views.len());
        for item in views.iter() {
            let (rule, plain, first, how): (Bound<'_, PyAny>, bool, bool, Bound<'_, PyAny>) =
                item.extract()?;
            let live = LiveRule::new(&rule, plain, first)?;
            let plan = plan(&how, &live)?;
            compiled.push(View { live, plan });
        }
        let mut matcher = Matcher::new();
        let mut matched_views = Vec::with_capacity(matched.len());
        for item in matched.iter() {
            let (view, parts): (usize, Bound<'_, PyAny>) = item.extract()?;
            if view >= compiled.len() {
                return Err(PyValueError::new_err("no such view"));
            }
            let parts = parts
                .try_iter()?
                .map(|p| part(&p?))
                .collect::<PyResult<Vec<_>>>()?;
            matcher.add(&parts);
            matched_views.push(view);
        }
        matcher.sort();

        // A regex that Python refuses fails at match time, as in Werkzeug,
        // so such a part is left to Python even where Rust could run it.
        let patterns: Vec<GILOnceCell<Py<PyAny>>> = (0..matcher.transition_count())
            .map(|_| GILOnceCell::new())
            .collect();
        for (id, cell) in patterns.iter().enumerate() {
            if !matcher.checks_python_syntax(id) {
                continue;
            }
            let content = matcher.transition(id).map_or("", |t| t.content.as_str());
            match re_compile(py)?.call1((content,)) {
                Ok(p) => {
                    let _ = cell.set(py, p.unbind());
                }
                Err(_) => matcher.leave_to_python(id),
            }
        }

        let slots = PyDict::new(py);
        let mut by_endpoint = Vec::with_capacity(endpoints.len());
        for (endpoint, indices) in endpoints.iter() {
            let indices: Vec<usize> = indices.extract()?;
            if indices.iter().any(|&i| i >= compiled.len()) {
                return Err(PyValueError::new_err("no such view"));
            }
            slots.set_item(endpoint, by_endpoint.len())?;
            by_endpoint.push(indices);
        }
        Ok(Router {
            matcher,
            views: compiled,
            matched: matched_views,
            patterns,
            endpoints: slots.unbind(),
            by_endpoint,
            map_attrs: map_attrs.map(|d| {
                let slots = MAP_ATTRS
                    .iter()
                    .map(|name| Slot::new(&d, &PyString::intern(py, name)))
                    .collect();
                (d.unbind(), slots)
            }),
        })
    }

    /// How many transitions are matched by Python's `re` every time (for
    /// tests and `flaskrs routes`).
    #[getter]
    fn python_transitions(&self) -> usize {
        (0..self.matcher.transition_count())
            .filter(|&t| self.matcher.is_external(t))
            .count()
    }
}
