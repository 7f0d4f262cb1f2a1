//! `Router`: the compiled form of a `flaskrs.routing.Map`, holding for each
//! rule what matching and building need, so neither walks Python objects.

use std::collections::HashMap;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use crate::py::convert::{pythonize, Converter};
use crate::routing::build::{plan, BuildOp};
use crate::routing::converter::ConverterSpec;
use crate::routing::matcher::{Matcher, RuleInfo};
use crate::routing::part::{split_parts, Part, Piece};
use crate::routing::rule::{parse_converter_args, parse_rule, tokenize, Token, Var};

/// One step of building: literal text or the value of converter `n`.
pub enum Op {
    Text(String),
    Var { conv: usize, name: String },
}

/// Everything about one rule.
pub struct Entry {
    pub rule: Py<PyAny>,
    pub endpoint: Py<PyAny>,
    /// The rule's variable names (its `_converters` keys) and converters.
    pub names: Vec<Py<PyString>>,
    pub convs: Vec<Converter>,
    pub defaults: Option<Py<PyDict>>,
    /// Matching it needs Python's help: alias, redirect_to, default redirects.
    pub special: bool,
    pub methods: Option<Vec<String>>,
    pub websocket: bool,
    /// Arguments that building needs from the caller.
    pub required: Vec<String>,
    pub default_items: Vec<(String, Py<PyAny>)>,
    /// Names that do not go to the query string.
    pub consumed: Vec<String>,
    pub domain_ops: Vec<Op>,
    pub path_ops: Vec<Op>,
}

#[pyclass(module = "flaskrs._core")]
pub struct Router {
    pub matcher: Matcher,
    pub entries: Vec<Entry>,
    /// Matcher rule id to entry index.
    pub matched_entry: Vec<usize>,
    /// Python patterns for the transitions the `regex` crate cannot run.
    pub external: HashMap<usize, Py<PyAny>>,
    /// endpoint -> slot in `by_endpoint`.
    pub endpoint_slots: Py<PyDict>,
    /// Entries of each endpoint, in Werkzeug's build order.
    pub by_endpoint: Vec<Vec<usize>>,
    pub dirty: bool,
    #[pyo3(get, set)]
    pub host_matching: bool,
    #[pyo3(get, set)]
    pub sort_parameters: bool,
}

fn var_tokens(tokens: &[Token]) -> impl Iterator<Item = &Var> {
    tokens.iter().filter_map(|t| match t {
        Token::Var(v) => Some(v),
        _ => None,
    })
}

fn methods_of(rule: &Bound<'_, PyAny>) -> PyResult<Option<Vec<String>>> {
    let m = rule.getattr("methods")?;
    if m.is_none() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for x in m.try_iter()? {
        out.push(x?.str()?.to_cow()?.into_owned());
    }
    Ok(Some(out))
}

/// The converter objects of each variable occurrence: the rule's own for
/// the last occurrence of a name (the one Werkzeug keeps), a fresh one from
/// `rule.get_converter` for an earlier occurrence of a repeated name.
fn occurrence_converters<'py>(
    rule: &Bound<'py, PyAny>,
    vars: &[&Var],
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let py = rule.py();
    let own = rule.getattr("_converters")?;
    let mut out = Vec::with_capacity(vars.len());
    for (i, v) in vars.iter().enumerate() {
        let repeated_later = vars[i + 1..].iter().any(|w| w.name == v.name);
        if !repeated_later {
            out.push(own.get_item(&v.name)?);
            continue;
        }
        let args = parse_converter_args(v.arguments.as_deref().unwrap_or(""))
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let positional = PyList::empty(py);
        let keywords = PyDict::new(py);
        for a in args {
            let value = pythonize(py, &a.value)?;
            match a.name {
                Some(n) => keywords.set_item(n, value)?,
                None => positional.append(value)?,
            }
        }
        let conv = rule.call_method1(
            "get_converter",
            (
                &v.name,
                v.converter.as_deref().unwrap_or("default"),
                PyTuple::new(py, positional)?,
                keywords,
            ),
        )?;
        out.push(conv);
    }
    Ok(out)
}

/// Werkzeug's regex for a part, in Python syntax, for Python's `re`.
fn python_pattern(py: Python<'_>, pieces: &[Piece]) -> PyResult<Py<PyAny>> {
    let re = PyModule::import(py, "re")?;
    let mut src = String::new();
    let mut n = 0;
    for p in pieces {
        match p {
            Piece::Static(s) => {
                src.push_str(&re.call_method1("escape", (s,))?.extract::<String>()?)
            }
            Piece::Slash => src.push('/'),
            Piece::Conv(spec) => {
                src.push_str(&format!("(?P<__werkzeug_{n}>{})", spec.regex));
                n += 1;
            }
        }
    }
    src.push_str(r"\Z");
    Ok(re.call_method1("compile", (src,))?.unbind())
}

impl Router {
    fn ops(
        tokens: &[Token],
        names: &[String],
        convs: &[Converter],
        defaults: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Vec<Op>> {
        let mut ops: Vec<Op> = Vec::new();
        let push_text = |ops: &mut Vec<Op>, text: &str| {
            if let Some(Op::Text(prev)) = ops.last_mut() {
                prev.push_str(text);
            } else {
                ops.push(Op::Text(text.to_owned()));
            }
        };
        for op in plan(tokens) {
            match op {
                BuildOp::Text(t) => push_text(&mut ops, &t),
                BuildOp::Var(name) => {
                    let conv = names.iter().position(|n| *n == name).unwrap_or(0);
                    // A variable with a default is built from the default once.
                    if let Some(d) = defaults.map(|d| d.get_item(&name)).transpose()?.flatten() {
                        let mut text = String::new();
                        if let Some(c) = convs.get(conv) {
                            c.to_url(&mut text, &d)?;
                        }
                        push_text(&mut ops, &text);
                    } else {
                        ops.push(Op::Var { conv, name });
                    }
                }
            }
        }
        Ok(ops)
    }
}

#[pymethods]
impl Router {
    #[new]
    #[pyo3(signature = (merge_slashes=true, host_matching=false, sort_parameters=false))]
    fn new(
        py: Python<'_>,
        merge_slashes: bool,
        host_matching: bool,
        sort_parameters: bool,
    ) -> Self {
        Router {
            matcher: Matcher::new(merge_slashes),
            entries: Vec::new(),
            matched_entry: Vec::new(),
            external: HashMap::new(),
            endpoint_slots: PyDict::new(py).unbind(),
            by_endpoint: Vec::new(),
            dirty: true,
            host_matching,
            sort_parameters,
        }
    }

    #[getter]
    fn merge_slashes(&self) -> bool {
        self.matcher.merge_slashes
    }

    #[setter]
    fn set_merge_slashes(&mut self, value: bool) {
        self.matcher.merge_slashes = value;
    }

    /// Whether rules were added since the last `finalize`.
    #[getter]
    fn dirty(&self) -> bool {
        self.dirty
    }

    /// Compiles a rule already bound to its map.
    fn add(&mut self, rule: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = rule.py();
        let text: String = rule.getattr("rule")?.extract()?;
        let merge: bool = rule.getattr("merge_slashes")?.is_truthy()?;
        let path_tokens =
            parse_rule(&text, merge).map_err(|e| PyValueError::new_err(e.to_string()))?;
        let domain_attr = rule.getattr(if self.host_matching {
            "host"
        } else {
            "subdomain"
        })?;
        let domain_rule: String = if domain_attr.is_none() {
            String::new()
        } else {
            domain_attr.extract()?
        };
        let domain_tokens =
            tokenize(&domain_rule).map_err(|e| PyValueError::new_err(e.to_string()))?;

        let vars: Vec<&Var> = var_tokens(&domain_tokens)
            .chain(var_tokens(&path_tokens))
            .collect();
        let occurrences = occurrence_converters(rule, &vars)?;
        let specs = occurrences
            .iter()
            .map(Converter::spec)
            .collect::<PyResult<Vec<ConverterSpec>>>()?;

        // The rule's variables in `_converters` order, for values and building.
        let own = rule.getattr("_converters")?;
        let own = own.downcast::<PyDict>()?;
        let mut names = Vec::with_capacity(own.len());
        let mut name_objs = Vec::with_capacity(own.len());
        let mut convs = Vec::with_capacity(own.len());
        for (k, v) in own.iter() {
            names.push(k.extract::<String>()?);
            name_objs.push(k.downcast_into::<PyString>()?.unbind());
            convs.push(Converter::new(&v)?);
        }

        let defaults_obj = rule.getattr("defaults")?;
        let defaults = if defaults_obj.is_truthy()? {
            let d = PyDict::new(py);
            d.call_method1("update", (&defaults_obj,))?;
            Some(d)
        } else {
            None
        };
        let mut default_items = Vec::new();
        if let Some(d) = &defaults {
            for (k, v) in d.iter() {
                default_items.push((k.str()?.to_cow()?.into_owned(), v.unbind()));
            }
        }
        let mut required = Vec::new();
        for a in rule.getattr("arguments")?.try_iter()? {
            let a = a?.str()?.to_cow()?.into_owned();
            if !default_items.iter().any(|(k, _)| *k == a) {
                required.push(a);
            }
        }
        let mut consumed: Vec<String> = vars
            .iter()
            .filter(|v| !default_items.iter().any(|(k, _)| *k == v.name))
            .map(|v| v.name.clone())
            .collect();
        consumed.extend(default_items.iter().map(|(k, _)| k.clone()));

        let domain_ops = Self::ops(&domain_tokens, &names, &convs, defaults.as_ref())?;
        let path_ops = Self::ops(&path_tokens, &names, &convs, defaults.as_ref())?;
        let methods = methods_of(rule)?;
        let websocket: bool = rule.getattr("websocket")?.is_truthy()?;

        let index = self.entries.len();
        if !rule.getattr("build_only")?.is_truthy()? {
            let n_domain = var_tokens(&domain_tokens).count();
            let mut parts = if domain_rule.is_empty() {
                vec![Part::Static(String::new())]
            } else {
                split_parts(&domain_tokens, &specs[..n_domain])
            };
            parts.extend(split_parts(&path_tokens, &specs[n_domain..]));
            let info = RuleInfo {
                methods: methods.clone(),
                websocket,
                strict_slashes: rule.getattr("strict_slashes")?.is_truthy()?,
                merge_slashes: rule.getattr("merge_slashes")?.is_truthy()?,
            };
            let (id, external) = self.matcher.add(parts, info);
            for t in external {
                if let Some(part) = self.matcher.transition_part(t) {
                    let pattern = python_pattern(py, &part.pieces)?;
                    self.external.insert(t, pattern);
                }
            }
            debug_assert_eq!(id, self.matched_entry.len());
            self.matched_entry.push(index);
        }
        self.entries.push(Entry {
            rule: rule.clone().unbind(),
            endpoint: rule.getattr("endpoint")?.unbind(),
            names: name_objs,
            convs,
            defaults: defaults.map(Bound::unbind),
            special: false,
            methods,
            websocket,
            required,
            default_items,
            consumed,
            domain_ops,
            path_ops,
        });
        self.dirty = true;
        Ok(())
    }

    /// Brings the compiled form up to date after rules were added:
    /// `rules_by_endpoint` is the map's endpoint -> rules dict in build order,
    /// `special` the rules whose matches Python must finish (redirects).
    fn finalize(
        &mut self,
        rules_by_endpoint: &Bound<'_, PyDict>,
        special: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let py = rules_by_endpoint.py();
        self.matcher.sort();
        let by_ptr: HashMap<usize, usize> = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.rule.as_ptr() as usize, i))
            .collect();
        let slots = PyDict::new(py);
        let mut by_endpoint = Vec::with_capacity(rules_by_endpoint.len());
        for (endpoint, rules) in rules_by_endpoint.iter() {
            let mut list = Vec::new();
            for r in rules.try_iter()? {
                if let Some(&i) = by_ptr.get(&(r?.as_ptr() as usize)) {
                    list.push(i);
                }
            }
            slots.set_item(endpoint, by_endpoint.len())?;
            by_endpoint.push(list);
        }
        for e in &mut self.entries {
            e.special = false;
        }
        for r in special.try_iter()? {
            if let Some(&i) = by_ptr.get(&(r?.as_ptr() as usize)) {
                self.entries[i].special = true;
            }
        }
        self.endpoint_slots = slots.unbind();
        self.by_endpoint = by_endpoint;
        self.dirty = false;
        Ok(())
    }
}
