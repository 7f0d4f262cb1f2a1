//! `uuid.UUID` values for the uuid converter, made without `UUID.__init__`.
//!
//! Werkzeug's converter calls `uuid.UUID(text)`, whose argument checks cost
//! more than the whole rest of a match. The object made here is the same:
//! a `UUID` with its two slots, `int` and `is_safe`, set as `__init__` sets
//! them. `UUID` forbids `setattr`, so the slots are written through
//! `PyObject_GenericSetAttr` (what `object.__setattr__` does), and the int
//! is made from hex text because the 3.9 stable ABI has no 128-bit int
//! constructor.

#![allow(unsafe_code)]

use std::os::raw::c_char;

use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;

struct Parts {
    class: Py<PyAny>,
    unknown: Py<PyAny>,
}

fn parts(py: Python<'_>) -> PyResult<&Parts> {
    static PARTS: GILOnceCell<Parts> = GILOnceCell::new();
    PARTS.get_or_try_init(py, || {
        let uuid = PyModule::import(py, "uuid")?;
        Ok(Parts {
            class: uuid.getattr("UUID")?.unbind(),
            unknown: uuid.getattr("SafeUUID")?.getattr("unknown")?.unbind(),
        })
    })
}

/// The 32 hex digits of a UUID's text, hyphens dropped, or None.
fn hex_digits(text: &str) -> Option<[u8; 33]> {
    let mut out = [0u8; 33];
    let mut n = 0;
    for b in text.bytes() {
        if b == b'-' {
            continue;
        }
        if !b.is_ascii_hexdigit() || n == 32 {
            return None;
        }
        out[n] = b;
        n += 1;
    }
    // The last byte stays 0: the text is NUL-terminated for CPython.
    (n == 32).then_some(out)
}

fn set_slot(
    value: &Bound<'_, PyAny>,
    name: &Bound<'_, PyAny>,
    item: &Bound<'_, PyAny>,
) -> PyResult<()> {
    // SAFETY: all three are live objects held by Bounds under the GIL;
    // the call only adds references of its own.
    let rc = unsafe { ffi::PyObject_GenericSetAttr(value.as_ptr(), name.as_ptr(), item.as_ptr()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(PyErr::fetch(value.py()))
    }
}

/// `uuid.UUID(text)` for text the converter's regex accepted; None when
/// the text is not 32 hex digits with hyphens (the caller then asks the
/// converter itself).
pub fn uuid_from_text<'py>(py: Python<'py>, text: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    let Some(digits) = hex_digits(text) else {
        return Ok(None);
    };
    // SAFETY: `digits` is NUL-terminated ASCII and outlives the call; a
    // NULL result is turned into the raised error.
    let number = unsafe {
        let ptr =
            ffi::PyLong_FromString(digits.as_ptr().cast::<c_char>(), std::ptr::null_mut(), 16);
        Bound::from_owned_ptr_or_err(py, ptr)?
    };
    let parts = parts(py)?;
    let class = parts.class.bind(py);
    // SAFETY: `class` is `uuid.UUID`, a type object kept alive by `parts`;
    // a plain Python class allocates with `PyType_GenericAlloc`, which is
    // what `object.__new__` ends in.
    let value = unsafe {
        let ptr = ffi::PyType_GenericAlloc(class.as_ptr().cast::<ffi::PyTypeObject>(), 0);
        Bound::from_owned_ptr_or_err(py, ptr)?
    };
    set_slot(&value, intern!(py, "int").as_any(), &number)?;
    set_slot(
        &value,
        intern!(py, "is_safe").as_any(),
        parts.unknown.bind(py),
    )?;
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::hex_digits;

    #[test]
    fn hex_digits_take_32_hex_digits_around_hyphens() {
        let digits = hex_digits("0123ABCD-0000-0000-0000-00000000000f");
        assert_eq!(
            digits.as_ref().map(|d| &d[..32]),
            Some(&b"0123ABCD00000000000000000000000f"[..])
        );
        assert_eq!(digits.map(|d| d[32]), Some(0));
        assert!(hex_digits("0123ABCD-0000-0000-0000-00000000000").is_none());
        assert!(hex_digits("0123ABCD-0000-0000-0000-00000000000ff").is_none());
        assert!(hex_digits("0123ABCG-0000-0000-0000-00000000000f").is_none());
    }
}
