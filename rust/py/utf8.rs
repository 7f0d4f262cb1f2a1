//! Borrowing a Python str as UTF-8 without a copy.
//!
//! Under the stable ABI for 3.9, PyO3 reads a str through an intermediate
//! bytes object: an allocation and a copy for every path, method and key,
//! which measured as a quarter of a route match. `PyUnicode_AsUTF8AndSize`
//! has had the same signature in every CPython 3.x and joined the stable ABI
//! in 3.10; every 3.9 build exports it too, so it is called directly.

#![allow(unsafe_code)]

use std::os::raw::c_char;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyString;

extern "C" {
    fn PyUnicode_AsUTF8AndSize(
        unicode: *mut ffi::PyObject,
        size: *mut ffi::Py_ssize_t,
    ) -> *const c_char;
}

/// The UTF-8 text of `s`, borrowed from the str object's own cache.
/// Lone surrogates raise UnicodeEncodeError, as `str.encode()` does.
pub fn utf8<'a>(s: &'a Bound<'_, PyString>) -> PyResult<&'a str> {
    let mut size: ffi::Py_ssize_t = 0;
    // SAFETY: `s` is a live str (the Bound holds a reference and the GIL),
    // and CPython keeps the UTF-8 buffer it returns alive as long as the
    // object, which outlives the borrow `'a`.
    let data = unsafe { PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut size) };
    if data.is_null() {
        return Err(PyErr::fetch(s.py()));
    }
    let len = usize::try_from(size).unwrap_or(0);
    // SAFETY: CPython returns `size` bytes at `data`, and they are UTF-8:
    // it encodes with the strict handler, so lone surrogates fail above.
    unsafe {
        Ok(std::str::from_utf8_unchecked(std::slice::from_raw_parts(
            data.cast::<u8>(),
            len,
        )))
    }
}
