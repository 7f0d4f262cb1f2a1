//! `SessionSigner`: the session cookie's signing and verification for Python.

use pyo3::create_exception;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt, PyString};

use super::tagged::{scan_json, tagged_json, untag};
use super::utf8::utf8;
use crate::session::{zlib, Error, Kind, Signer};

create_exception!(
    flaskrs._core,
    SignatureError,
    PyValueError,
    "A session cookie was refused. `kind` says why: \"signature\", \"timestamp\", \
     \"expired\" or \"payload\"; `timestamp` is the signing time when it could be read."
);

#[pyclass(module = "flaskrs._core", frozen)]
pub struct SessionSigner {
    inner: Signer,
}

/// A secret or salt as itsdangerous's `want_bytes` takes it: bytes as they
/// are, str as UTF-8.
fn key_bytes(value: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = value.downcast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(s) = value.downcast::<PyString>() {
        return Ok(utf8(s)?.as_bytes().to_vec());
    }
    Err(PyTypeError::new_err(format!(
        "secret keys and salt must be str or bytes, not {}",
        value.get_type().name()?
    )))
}

fn raise(py: Python<'_>, error: Error) -> PyErr {
    let err = SignatureError::new_err(error.message);
    let value = err.value(py);
    let kind = match error.kind {
        Kind::Signature => intern!(py, "signature"),
        Kind::Timestamp => intern!(py, "timestamp"),
        Kind::Expired => intern!(py, "expired"),
        Kind::Payload => intern!(py, "payload"),
    };
    let set = value
        .setattr(intern!(py, "kind"), kind)
        .and_then(|()| value.setattr(intern!(py, "timestamp"), error.timestamp));
    match set {
        Ok(()) => err,
        Err(e) => e,
    }
}

#[pymethods]
impl SessionSigner {
    /// `secret_keys` in itsdangerous's order, the newest last; a lone str or
    /// bytes is one key, as itsdangerous takes it.
    #[new]
    fn new(secret_keys: &Bound<'_, PyAny>, salt: &Bound<'_, PyAny>) -> PyResult<Self> {
        let keys = if secret_keys.is_instance_of::<PyString>()
            || secret_keys.is_instance_of::<PyBytes>()
        {
            vec![key_bytes(secret_keys)?]
        } else {
            secret_keys
                .try_iter()?
                .map(|key| key_bytes(&key?))
                .collect::<PyResult<Vec<_>>>()?
        };
        let salt = key_bytes(salt)?;
        let inner = Signer::new(&keys, &salt).map_err(PyValueError::new_err)?;
        Ok(SessionSigner { inner })
    }

    /// The cookie for the JSON bytes `payload` signed at `timestamp`.
    fn sign(&self, payload: &[u8], timestamp: u64) -> String {
        self.inner.sign(payload, timestamp)
    }

    /// The cookie for `value`'s tagged JSON (Flask's session payload) signed
    /// at `timestamp`, or None when `value` holds a type the native writer
    /// leaves to Python.
    fn sign_value(
        &self,
        value: &Bound<'_, PyAny>,
        sort_keys: bool,
        timestamp: u64,
    ) -> PyResult<Option<String>> {
        Ok(tagged_json(value, sort_keys)?.map(|json| self.inner.sign(&json, timestamp)))
    }

    /// `unsign` with the JSON as text: a payload that is not UTF-8 is a
    /// payload error, as decoding it would be in Python.
    fn unsign_text<'py>(
        &self,
        py: Python<'py>,
        cookie: &Bound<'py, PyAny>,
        max_age: Option<Seconds>,
        now: i64,
    ) -> PyResult<(Bound<'py, PyString>, u64)> {
        let (text, timestamp) = self.verified_text(py, cookie, max_age, now)?;
        Ok((PyString::new(py, &text), timestamp))
    }

    /// `(value, timestamp)`: the cookie verified, its tagged JSON loaded
    /// and untagged, for Flask's default serializer; `SignatureError` when
    /// refused (kind "payload" also when the JSON is anything but one plain
    /// value: `unsign_text` and `json.loads` then give the exact error).
    /// Errors of the tags' own constructors (a bad UUID...) pass through.
    fn unsign_value<'py>(
        &self,
        py: Python<'py>,
        cookie: &Bound<'py, PyAny>,
        max_age: Option<Seconds>,
        now: i64,
    ) -> PyResult<(Bound<'py, PyAny>, u64)> {
        let (text, timestamp) = self.verified_text(py, cookie, max_age, now)?;
        match scan_json(py, &text)? {
            Some(value) => Ok((untag(&value)?, timestamp)),
            None => Err(raise(
                py,
                Error::new(
                    Kind::Payload,
                    Some(timestamp),
                    "The payload is not one JSON value",
                ),
            )),
        }
    }

    /// Whether `cookie` verifies, is not expired (when `max_age` is given)
    /// and its JSON contains `needle`; False for anything `unsign` refuses.
    fn signed_payload_contains(
        &self,
        cookie: &Bound<'_, PyAny>,
        max_age: Option<Seconds>,
        now: i64,
        needle: &[u8],
    ) -> bool {
        match cookie_input(cookie) {
            Cookie::Text(text) => {
                self.inner
                    .signed_payload_contains(text, max_age.map(|s| s.0), now, needle)
            }
            Cookie::NotText | Cookie::WrongType => false,
        }
    }

    /// `(json, timestamp)` of a cookie, or `SignatureError`. The age is
    /// checked against `now` only when `max_age` is given.
    fn unsign<'py>(
        &self,
        py: Python<'py>,
        cookie: &Bound<'py, PyAny>,
        max_age: Option<Seconds>,
        now: i64,
    ) -> PyResult<(Bound<'py, PyBytes>, u64)> {
        let (json, timestamp) = self.verified(py, cookie, max_age, now)?;
        Ok((PyBytes::new(py, &json), timestamp))
    }
}

/// A `max_age` as Python may give it: any int. One past 64 bits is
/// saturated: no cookie's age comes near either end, so the same cookies
/// are refused.
struct Seconds(i64);

impl<'py> FromPyObject<'py> for Seconds {
    fn extract_bound(value: &Bound<'py, PyAny>) -> PyResult<Self> {
        match value.extract::<i64>() {
            Ok(n) => Ok(Seconds(n)),
            Err(_) if value.is_instance_of::<PyInt>() => {
                Ok(Seconds(if value.gt(0)? { i64::MAX } else { i64::MIN }))
            }
            Err(e) => Err(e),
        }
    }
}

/// How many times the session's zlib has inflated a payload in this
/// process: tests use it to show that refused cookies never reach it.
#[pyfunction]
fn session_inflations() -> u64 {
    zlib::inflations()
}

/// A cookie as the signer takes it.
enum Cookie<'a> {
    /// Its bytes (a str's as UTF-8).
    Text(&'a [u8]),
    /// A str with lone surrogates, which no key can have signed.
    NotText,
    /// Neither str nor bytes.
    WrongType,
}

fn cookie_input<'a>(cookie: &'a Bound<'_, PyAny>) -> Cookie<'a> {
    if let Ok(b) = cookie.downcast::<PyBytes>() {
        return Cookie::Text(b.as_bytes());
    }
    match cookie.downcast::<PyString>() {
        Ok(s) => utf8(s).map_or(Cookie::NotText, |text| Cookie::Text(text.as_bytes())),
        Err(_) => Cookie::WrongType,
    }
}

impl SessionSigner {
    fn verified(
        &self,
        py: Python<'_>,
        cookie: &Bound<'_, PyAny>,
        max_age: Option<Seconds>,
        now: i64,
    ) -> PyResult<(Vec<u8>, u64)> {
        let result = match cookie_input(cookie) {
            Cookie::Text(text) => self.inner.unsign(text, max_age.map(|s| s.0), now),
            Cookie::NotText => Err(Error::new(
                Kind::Signature,
                None,
                "The cookie is not valid text",
            )),
            Cookie::WrongType => {
                return Err(PyTypeError::new_err(format!(
                    "the cookie must be str or bytes, not {}",
                    cookie.get_type().name()?
                )))
            }
        };
        result.map_err(|error| raise(py, error))
    }

    /// `verified` with the JSON as text: a payload that is not UTF-8 is a
    /// payload error, as decoding it would be in Python.
    fn verified_text(
        &self,
        py: Python<'_>,
        cookie: &Bound<'_, PyAny>,
        max_age: Option<Seconds>,
        now: i64,
    ) -> PyResult<(String, u64)> {
        let (json, timestamp) = self.verified(py, cookie, max_age, now)?;
        match String::from_utf8(json) {
            Ok(text) => Ok((text, timestamp)),
            Err(_) => Err(raise(
                py,
                Error::new(Kind::Payload, Some(timestamp), "The payload is not UTF-8"),
            )),
        }
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let error = py.get_type::<SignatureError>();
    // Class defaults, so an instance made by hand still has both attributes.
    error.setattr("kind", "signature")?;
    error.setattr("timestamp", py.None())?;
    m.add("SignatureError", error)?;
    m.add_class::<SessionSigner>()?;
    m.add_function(wrap_pyfunction!(session_inflations, m)?)?;
    Ok(())
}
