//! The native core of flaskrs.
//!
//! `routing` (URL matching and building), `session` (the signed cookie) and
//! `tagged` (tagged JSON and JSON bodies) are plain Rust with no knowledge of
//! Python; `py` is the only place that converts between Python objects and the
//! core's types, and the only place where errors become Python exceptions.

#![deny(unsafe_code)]

pub mod py;
pub mod routing;
pub mod session;
pub mod tagged;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    py::register(m)
}
