//! A streamed response's body as Werkzeug's `Response.__call__` hands it to
//! the server: `ClosingIterator(response.iter_encoded(), response.close)`,
//! one object instead of an iterator, a generator and a partial.

use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyBytes, PyIterator, PyString};

/// Iterating gives the body's items, `str` ones encoded as UTF-8; `close()`
/// calls the response's `close`. As with Werkzeug's generator, the body is
/// iterated from the first `next()`, and after the end, an error or
/// `close()`, there is nothing more.
#[pyclass(module = "flaskrs._core", frozen)]
pub struct EncodedBody {
    body: Py<PyAny>,
    items: GILOnceCell<Py<PyIterator>>,
    closer: Py<PyAny>,
    // Frozen, so that Python code the body runs may reach this object
    // again (`close()` from inside a generator) without a borrow error.
    finished: AtomicBool,
}

impl EncodedBody {
    fn next_item(&self, py: Python<'_>) -> PyResult<Option<PyObject>> {
        let items = self
            .items
            .get_or_try_init(py, || self.body.bind(py).try_iter().map(Bound::unbind))?;
        let Some(item) = items.bind(py).clone().next() else {
            return Ok(None);
        };
        let item = item?;
        if item.is_exact_instance_of::<PyString>() {
            let text = item.downcast::<PyString>()?.to_cow()?;
            return Ok(Some(PyBytes::new(py, text.as_bytes()).into_any().unbind()));
        }
        if item.is_instance_of::<PyString>() {
            // A subclass of str may encode its own way: ask it, as Werkzeug does.
            return Ok(Some(
                item.call_method0(pyo3::intern!(py, "encode"))?.unbind(),
            ));
        }
        Ok(Some(item.unbind()))
    }
}

#[pymethods]
impl EncodedBody {
    #[new]
    fn new(body: Py<PyAny>, close: Py<PyAny>) -> Self {
        Self {
            body,
            items: GILOnceCell::new(),
            closer: close,
            finished: AtomicBool::new(false),
        }
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<PyObject>> {
        if self.finished.load(Ordering::Acquire) {
            return Ok(None);
        }
        let answer = self.next_item(py);
        if !matches!(answer, Ok(Some(_))) {
            self.finished.store(true, Ordering::Release);
        }
        answer
    }

    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.finished.store(true, Ordering::Release);
        self.closer.call0(py)?;
        Ok(())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<EncodedBody>()
}
