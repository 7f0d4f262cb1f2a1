//! The Python binding of the core: type conversion and the calls back into
//! Python, nothing else.

mod adapter;
mod bind;
mod convert;
mod live;
mod outcome;
mod regex_probe;
mod router;
mod session;
mod slots;
mod stream;
mod tagged;
mod template;
mod utf8;
mod uuid;
mod werkzeug;

use pyo3::prelude::*;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<router::Router>()?;
    m.add_class::<router::Routes>()?;
    m.add_class::<adapter::AdapterCore>()?;
    bind::register(m)?;
    outcome::register(m)?;
    regex_probe::register(m)?;
    session::register(m)?;
    stream::register(m)?;
    tagged::register(m)?;
    template::register(m)?;
    Ok(())
}
