//! Reading an attribute from an instance dict where it was last seen.
//!
//! Werkzeug reads a rule's `methods`, `defaults`, `redirect_to`, ... on
//! every match and build, so flaskrs does too (a rule changed after the
//! first request must answer as it does on Werkzeug). A dict lookup by key
//! measured about 130 instructions each, most of a route match when done
//! for every attribute. `PyDict_Next` at a remembered position gives the
//! entry stored there in about a fifth of that; the key found there is
//! compared by identity with the interned name, and anything else falls back
//! to the lookup, so the value read is always the dict's current one.

#![allow(unsafe_code)]

use std::ptr;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

/// What an attribute holds, as far as identity tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Identity {
    None,
    False,
    True,
    /// The object it held when the router was compiled.
    Compiled,
    /// Anything else, or nothing: read it.
    Other,
}

/// An attribute name and the position in the instance dict where it was
/// found when the router was compiled (-1: not there).
pub struct Slot {
    /// The dict's own key object for the name (kept alive, so that the same
    /// address keeps meaning the same key), or the name itself.
    pub name: Py<PyString>,
    pub hint: ffi::Py_ssize_t,
}

impl Slot {
    /// The slot of `name` in `dict` as it is now.
    pub fn new(dict: &Bound<'_, PyDict>, name: &Bound<'_, PyString>) -> Self {
        let py = dict.py();
        let wanted = name.to_cow().ok();
        let mut pos: ffi::Py_ssize_t = 0;
        loop {
            let before = pos;
            let mut key: *mut ffi::PyObject = ptr::null_mut();
            let mut value: *mut ffi::PyObject = ptr::null_mut();
            // SAFETY: `dict` is a live dict (the Bound holds a reference and
            // the GIL); `pos`, `key` and `value` are locals PyDict_Next
            // writes to.
            let found = unsafe { ffi::PyDict_Next(dict.as_ptr(), &mut pos, &mut key, &mut value) };
            if found == 0 {
                break;
            }
            // SAFETY: `key` is a valid borrowed reference into the dict,
            // taken as an owned one at once; comparing two strs runs no
            // Python code, so the dict is unchanged while the loop runs.
            let key = unsafe { Bound::from_borrowed_ptr(py, key) };
            if let Ok(key) = key.downcast_into::<PyString>() {
                if key.to_cow().ok() == wanted {
                    return Slot {
                        name: key.unbind(),
                        hint: before,
                    };
                }
            }
        }
        Slot {
            name: name.clone().unbind(),
            hint: -1,
        }
    }

    /// The address of the value now stored under the slot's name, for
    /// identity comparisons made before any Python code runs (the dict holds
    /// the value meanwhile); None when the name is not in the dict.
    #[inline(always)]
    pub fn address(&self, dict: &Bound<'_, PyDict>) -> PyResult<Option<*mut ffi::PyObject>> {
        if self.hint >= 0 {
            let mut pos = self.hint;
            let mut key: *mut ffi::PyObject = ptr::null_mut();
            let mut value: *mut ffi::PyObject = ptr::null_mut();
            // SAFETY: as in `new`; only the addresses written are used.
            let found = unsafe { ffi::PyDict_Next(dict.as_ptr(), &mut pos, &mut key, &mut value) };
            if found != 0 && ptr::eq(key, self.name.as_ptr()) && !value.is_null() {
                return Ok(Some(value));
            }
        }
        self.look_up(dict)
    }

    #[cold]
    fn look_up(&self, dict: &Bound<'_, PyDict>) -> PyResult<Option<*mut ffi::PyObject>> {
        // The dict holds the value after the lookup's reference is dropped.
        Ok(dict
            .get_item(self.name.bind(dict.py()))?
            .map(|v| v.as_ptr()))
    }

    /// What the dict holds under the slot's name, told by identity alone:
    /// one of None, False, True, `compiled`, or something else (or nothing).
    /// A failed lookup (a key whose comparison raised) is `Other`: the
    /// caller's read then raises it.
    #[inline(always)]
    pub fn identify(&self, dict: &Bound<'_, PyDict>, compiled: Option<&Py<PyAny>>) -> Identity {
        let Ok(Some(address)) = self.address(dict) else {
            return Identity::Other;
        };
        // SAFETY: the addresses of the interpreter's None, False and True
        // singletons; nothing is read through them.
        let (none, no, yes) = unsafe { (ffi::Py_None(), ffi::Py_False(), ffi::Py_True()) };
        if ptr::eq(address, none) {
            Identity::None
        } else if ptr::eq(address, no) {
            Identity::False
        } else if ptr::eq(address, yes) {
            Identity::True
        } else if compiled.is_some_and(|c| ptr::eq(address, c.as_ptr())) {
            Identity::Compiled
        } else {
            Identity::Other
        }
    }

    /// `dict.get(name)`: the value now stored under the slot's name.
    pub fn get<'py>(&self, dict: &Bound<'py, PyDict>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let py = dict.py();
        let name = self.name.bind(py);
        if self.hint >= 0 {
            let mut pos = self.hint;
            let mut key: *mut ffi::PyObject = ptr::null_mut();
            let mut value: *mut ffi::PyObject = ptr::null_mut();
            // SAFETY: as in `new`; `value` is a borrowed reference into the
            // dict, turned into an owned one at once, before any Python code
            // can run and change the dict.
            let found = unsafe { ffi::PyDict_Next(dict.as_ptr(), &mut pos, &mut key, &mut value) };
            if found != 0 && ptr::eq(key, name.as_ptr()) && !value.is_null() {
                // SAFETY: `value` is a valid borrowed reference (see above).
                return Ok(Some(unsafe { Bound::from_borrowed_ptr(py, value) }));
            }
        }
        dict.get_item(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_current_value_wherever_it_is() {
        pyo3::prepare_freethreaded_python();
        Python::with_gil(|py| -> PyResult<()> {
            let d = PyDict::new(py);
            d.set_item("a", 1)?;
            d.set_item("methods", 2)?;
            let name = PyString::intern(py, "methods");
            let slot = Slot::new(&d, &name);
            assert_eq!(slot.hint, 1);
            let read = |d: &Bound<'_, PyDict>| -> PyResult<Option<i64>> {
                slot.get(d)?.map(|v| v.extract()).transpose()
            };
            assert_eq!(read(&d)?, Some(2));
            d.set_item("methods", 3)?;
            assert_eq!(read(&d)?, Some(3));
            // Moved: found by the lookup.
            d.del_item("a")?;
            d.del_item("methods")?;
            d.set_item("b", 0)?;
            d.set_item("methods", 4)?;
            assert_eq!(read(&d)?, Some(4));
            d.del_item("methods")?;
            assert_eq!(read(&d)?, None);
            let missing = Slot::new(&d, &PyString::intern(py, "nope"));
            assert_eq!(missing.hint, -1);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    }
}
