//! Three steps of a compiled template, for the code the app's Jinja
//! environment generates (`python/flaskrs/_template_compiler.py`): printing a
//! value with autoescaping, `obj.attr`, and calling something. Each gives
//! what Jinja's own runtime gives and hands anything unusual to it, so they
//! only spare the Python frames of the common cases.

use pyo3::exceptions::{PyAttributeError, PyLookupError, PyStopIteration, PyTypeError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyDict, PyFloat, PyFrozenSet, PyInt, PyString, PyTuple, PyType};

const UNDEFINED_BY_STOP: &str =
    "value was undefined because a callable raised a StopIteration exception";

struct Refs {
    /// markupsafe's C escaping of a str, returning a str; None in versions
    /// without it (then `escape` serves strs too).
    escape_text: Option<Py<PyAny>>,
    escape: Py<PyAny>,
    /// Names a dict has as attributes (`{{ d.items }}` is the method).
    dict_attributes: Py<PyFrozenSet>,
    function: Py<PyType>,
    method: Py<PyType>,
    builtin: Py<PyType>,
}

fn refs(py: Python<'_>) -> PyResult<&Refs> {
    static REFS: GILOnceCell<Refs> = GILOnceCell::new();
    REFS.get_or_try_init(py, || {
        let markupsafe = PyModule::import(py, "markupsafe")?;
        let types = PyModule::import(py, "types")?;
        let kind = |name: &str| -> PyResult<Py<PyType>> {
            Ok(types.getattr(name)?.downcast_into::<PyType>()?.unbind())
        };
        let names = py
            .import("builtins")?
            .call_method1("dir", (py.get_type::<PyDict>(),))?;
        Ok(Refs {
            escape_text: markupsafe.getattr("_escape_inner").ok().map(Bound::unbind),
            escape: markupsafe.getattr("escape")?.unbind(),
            dict_attributes: PyFrozenSet::new(
                py,
                names.try_iter()?.collect::<PyResult<Vec<_>>>()?,
            )?
            .unbind(),
            function: kind("FunctionType")?,
            method: kind("MethodType")?,
            builtin: kind("BuiltinFunctionType")?,
        })
    })
}

/// The text `markupsafe.escape(value)` stands for, as template output:
/// a str (the same object when nothing needed escaping) for a str, int or
/// float, and escape's own Markup for anything else.
#[pyfunction]
fn template_output<'py>(value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let refs = refs(value.py())?;
    if value.is_exact_instance_of::<PyString>() {
        if let Some(escape_text) = &refs.escape_text {
            return escape_text.bind(value.py()).call1((value,));
        }
    } else if value.is_exact_instance_of::<PyInt>() || value.is_exact_instance_of::<PyFloat>() {
        // Their text holds nothing to escape.
        return Ok(value.str()?.into_any());
    }
    refs.escape.bind(value.py()).call1((value,))
}

fn undefined<'py>(
    environment: &Bound<'py, PyAny>,
    obj: &Bound<'py, PyAny>,
    name: &Bound<'py, PyString>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = environment.py();
    let kwargs = PyDict::new(py);
    kwargs.set_item(intern!(py, "obj"), obj)?;
    kwargs.set_item(intern!(py, "name"), name)?;
    environment
        .getattr(intern!(py, "undefined"))?
        .call((), Some(&kwargs))
}

/// `environment.getattr(obj, name)` of the app's environment: for a plain
/// dict, the item (unless `name` is a dict attribute); otherwise the
/// attribute, else the item, else the environment's undefined.
#[pyfunction]
fn template_getattr<'py>(
    environment: &Bound<'py, PyAny>,
    obj: &Bound<'py, PyAny>,
    name: &Bound<'py, PyString>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = obj.py();
    if let Ok(dict) = obj.downcast_exact::<PyDict>() {
        if !refs(py)?.dict_attributes.bind(py).contains(name)? {
            return match dict.get_item(name)? {
                Some(value) => Ok(value),
                None => undefined(environment, obj, name),
            };
        }
    }
    match obj.getattr(name) {
        Ok(value) => return Ok(value),
        Err(e) if e.is_instance_of::<PyAttributeError>(py) => {}
        Err(e) => return Err(e),
    }
    match obj.get_item(name) {
        Ok(value) => Ok(value),
        Err(e)
            if e.is_instance_of::<PyTypeError>(py)
                || e.is_instance_of::<PyLookupError>(py)
                || e.is_instance_of::<PyAttributeError>(py) =>
        {
            undefined(environment, obj, name)
        }
        Err(e) => Err(e),
    }
}

/// Whether Jinja would call `obj` as it is: a function or bound method
/// without a `jinja_pass_arg` marker (nor, for a function, a `__call__` of
/// its own), or a builtin.
fn takes_no_context(refs: &Refs, obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = obj.py();
    let kind = obj.get_type();
    let function = if kind.is(refs.method.bind(py)) {
        // A method's __call__ never carries the marker; its attributes are
        // its function's.
        let function = obj.getattr(intern!(py, "__func__"))?;
        if !function.get_type().is(refs.function.bind(py)) {
            return Ok(false);
        }
        function
    } else if kind.is(refs.function.bind(py)) {
        obj.clone()
    } else {
        return Ok(kind.is(refs.builtin.bind(py)));
    };
    let attributes = function.getattr(intern!(py, "__dict__"))?;
    let attributes = attributes.downcast::<PyDict>()?;
    if attributes.is_empty() {
        return Ok(true);
    }
    let own_call =
        kind.is(refs.function.bind(py)) && attributes.contains(intern!(py, "__call__"))?;
    Ok(!own_call && !attributes.contains(intern!(py, "jinja_pass_arg"))?)
}

/// `context.call(obj, *args, **kwargs)` of the app's template context.
#[pyfunction]
// Positional only: a callee may take keyword arguments named `context`
// or `obj`.
#[pyo3(signature = (context, obj, /, *args, **kwargs))]
fn template_call<'py>(
    context: &Bound<'py, PyAny>,
    obj: &Bound<'py, PyAny>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = obj.py();
    if !takes_no_context(refs(py)?, obj)? {
        let mut all = vec![obj.clone()];
        all.extend(args.iter());
        return context
            .getattr(intern!(py, "call"))?
            .call(PyTuple::new(py, all)?, kwargs);
    }
    // `_loop_vars` and `_block_vars` are Jinja's own bookkeeping, not
    // arguments of the callee. The dict may be the template's own (`**d`),
    // so it is copied rather than changed.
    let mut trimmed = None;
    if let Some(given) = kwargs {
        let loop_vars = intern!(py, "_loop_vars");
        let block_vars = intern!(py, "_block_vars");
        let has_loop = given.contains(loop_vars)?;
        let has_block = given.contains(block_vars)?;
        let ours = usize::from(has_loop) + usize::from(has_block);
        if ours == 0 {
            trimmed = Some(given.clone());
        } else if ours < given.len() {
            let copy = given.copy()?;
            if has_loop {
                copy.del_item(loop_vars)?;
            }
            if has_block {
                copy.del_item(block_vars)?;
            }
            trimmed = Some(copy);
        }
    }
    match obj.call(args, trimmed.as_ref()) {
        Err(e) if e.is_instance_of::<PyStopIteration>(py) => context
            .getattr(intern!(py, "environment"))?
            .getattr(intern!(py, "undefined"))?
            .call1((UNDEFINED_BY_STOP,)),
        result => result,
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(template_output, m)?)?;
    m.add_function(wrap_pyfunction!(template_getattr, m)?)?;
    m.add_function(wrap_pyfunction!(template_call, m)?)?;
    Ok(())
}
