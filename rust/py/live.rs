//! A rule as the router sees it while matching and building: the Python
//! `Rule` itself, whose attributes are read at the moment Werkzeug reads
//! them, so that changing `rule.methods` (or mutating it in place),
//! `rule.strict_slashes`, `rule.defaults`, ... after the first request
//! changes the answers as it does on Werkzeug.
//!
//! Reads go to the rule's instance dict when its class defines none of these
//! names as a descriptor (checked when the router is compiled), at the
//! position each was found then (`slots`).

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::py::convert::Converter;
/// A variable's name and its converter.
pub type NamedConverter = (Py<PyString>, Converter);

pub use crate::py::slots::Identity as Seen;
use crate::py::slots::Slot;

/// The rule attributes Werkzeug reads while matching and building.
#[derive(Clone, Copy)]
pub enum Attr {
    Methods,
    Websocket,
    StrictSlashes,
    MergeSlashes,
    Defaults,
    Alias,
    RedirectTo,
    Endpoint,
    Arguments,
    Converters,
    Map,
}

const ATTRS: [(Attr, &str); 11] = [
    (Attr::Methods, "methods"),
    (Attr::Websocket, "websocket"),
    (Attr::StrictSlashes, "strict_slashes"),
    (Attr::MergeSlashes, "merge_slashes"),
    (Attr::Defaults, "defaults"),
    (Attr::Alias, "alias"),
    (Attr::RedirectTo, "redirect_to"),
    (Attr::Endpoint, "endpoint"),
    (Attr::Arguments, "arguments"),
    (Attr::Converters, "_converters"),
    (Attr::Map, "map"),
];

pub struct LiveRule {
    pub rule: Py<PyAny>,
    /// `rule.__dict__`, when reading it gives what `getattr` gives.
    attrs: Option<Py<PyDict>>,
    /// Where each of `ATTRS` sits in it, in that order.
    slots: Vec<Slot>,
    /// The value of each of `ATTRS` when the router was compiled (None where
    /// the rule had none), kept alive so that the same address still means
    /// the same object.
    compiled: Vec<Option<Py<PyAny>>>,
    /// `rule._converters` when the router was compiled, and its converters
    /// in order: used while the rule still holds that very dict, as many
    /// entries long (a converter replaced inside it is not noticed).
    converters: Py<PyDict>,
    pub convs: Vec<NamedConverter>,
    /// `rule.arguments` when the router was compiled and its names: used
    /// while the rule still holds that very set, as long.
    arguments: Py<PyAny>,
    arguments_len: usize,
    pub argument_names: Vec<String>,
    /// `rule.endpoint` when the router was compiled.
    pub endpoint: Py<PyAny>,
    /// The rule came first in its endpoint's build order, so no other rule
    /// can redirect to itself with defaults (`get_default_redirect`).
    pub first_of_endpoint: bool,
}

impl LiveRule {
    pub fn new(rule: &Bound<'_, PyAny>, plain: bool, first_of_endpoint: bool) -> PyResult<Self> {
        let py = rule.py();
        let attrs = if plain {
            Some(
                rule.getattr(intern!(py, "__dict__"))?
                    .downcast_into::<PyDict>()?,
            )
        } else {
            None
        };
        let slots = match &attrs {
            Some(d) => ATTRS
                .iter()
                .map(|(_, name)| Slot::new(d, &PyString::intern(py, name)))
                .collect(),
            None => Vec::new(),
        };
        let compiled = ATTRS
            .iter()
            .map(|(_, name)| {
                rule.getattr(PyString::intern(py, name))
                    .ok()
                    .map(Bound::unbind)
            })
            .collect();
        let converters = rule
            .getattr(intern!(py, "_converters"))?
            .downcast_into::<PyDict>()?;
        let mut convs = Vec::with_capacity(converters.len());
        for (k, v) in converters.iter() {
            convs.push((k.downcast_into::<PyString>()?.unbind(), Converter::new(&v)?));
        }
        let arguments = rule.getattr(intern!(py, "arguments"))?;
        let mut argument_names = Vec::new();
        for a in arguments.try_iter()? {
            argument_names.push(a?.str()?.to_cow()?.into_owned());
        }
        Ok(LiveRule {
            rule: rule.clone().unbind(),
            attrs: attrs.map(Bound::unbind),
            slots,
            compiled,
            converters: converters.unbind(),
            convs,
            arguments_len: argument_names.len(),
            arguments: arguments.unbind(),
            argument_names,
            endpoint: rule.getattr(intern!(py, "endpoint"))?.unbind(),
            first_of_endpoint,
        })
    }

    /// What the rule holds now under `attr`, told by identity without
    /// taking a reference: `Seen::Other` when it must be read with `get`.
    #[inline]
    pub fn seen(&self, py: Python<'_>, attr: Attr) -> Seen {
        let index = attr as usize;
        match (&self.attrs, self.slots.get(index)) {
            (Some(attrs), Some(slot)) => slot.identify(
                attrs.bind(py),
                self.compiled.get(index).and_then(Option::as_ref),
            ),
            _ => Seen::Other,
        }
    }

    /// The object `attr` held when the router was compiled.
    pub fn compiled_value<'py>(&self, py: Python<'py>, attr: Attr) -> Option<Bound<'py, PyAny>> {
        self.compiled
            .get(attr as usize)
            .and_then(Option::as_ref)
            .map(|v| v.bind(py).clone())
    }

    /// `rule.<attr>` read from the rule's instance dict, where reading it
    /// runs no Python code; None when only `getattr` can tell (the class
    /// computes it, or the dict lacks it).
    pub fn plain<'py>(&self, py: Python<'py>, attr: Attr) -> PyResult<Option<Bound<'py, PyAny>>> {
        match (&self.attrs, self.slots.get(attr as usize)) {
            (Some(attrs), Some(slot)) => slot.get(attrs.bind(py)),
            _ => Ok(None),
        }
    }

    /// The rule's converters in `_converters` order, when they are still the
    /// ones compiled; None when the rule holds another dict now.
    pub fn compiled_converters(&self, py: Python<'_>) -> PyResult<Option<&[NamedConverter]>> {
        if self.seen(py, Attr::Converters) == Seen::Compiled
            && self.converters.bind(py).len() == self.convs.len()
        {
            Ok(Some(&self.convs))
        } else {
            Ok(None)
        }
    }

    /// The names in `rule.arguments` when it is still the set compiled;
    /// None when the rule holds another one now.
    pub fn compiled_arguments(&self, py: Python<'_>) -> PyResult<Option<&[String]>> {
        if self.seen(py, Attr::Arguments) == Seen::Compiled
            && self.arguments.bind(py).len()? == self.arguments_len
        {
            Ok(Some(&self.argument_names))
        } else {
            Ok(None)
        }
    }
}
