//! The Python-`re`-to-`regex` translation, reachable from Python so the
//! differential tests can compare it with `re` itself.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use regex::Regex;

use crate::routing::pyregex::translate;

/// `(pattern, unicode_exact, end_sensitive)` of the translation, or None
/// when the pattern is refused.
#[pyfunction]
fn pyregex_translate(pattern: &str) -> Option<(String, bool, bool)> {
    translate(pattern).map(|t| (t.pattern, t.unicode_exact, t.end_sensitive))
}

/// Whether every converter's translation is exact on any text, whether any
/// is end-sensitive, and the converters' texts (None: no match).
type Probe = (bool, bool, Option<Vec<String>>);

/// Matches `text` against `^S0(C0)S1(C1)...Sn\z`, where the `Ci` are the
/// translations of `converters` and the `Si` the `statics` as literal text:
/// the shape of a Werkzeug part. None when a converter is refused or the
/// crate will not compile the whole; otherwise whether all translations are
/// exact on any text, whether any is end-sensitive, and the groups' texts
/// (None when the text does not match).
#[pyfunction]
fn pyregex_probe(
    converters: Vec<String>,
    statics: Vec<String>,
    text: &str,
) -> PyResult<Option<Probe>> {
    if statics.len() != converters.len() + 1 {
        return Err(PyValueError::new_err(
            "pyregex_probe needs one more static than converters",
        ));
    }
    let mut whole = String::from("^");
    let mut unicode_exact = true;
    let mut end_sensitive = false;
    for (static_text, converter) in statics.iter().zip(&converters) {
        let Some(t) = translate(converter) else {
            return Ok(None);
        };
        unicode_exact &= t.unicode_exact;
        end_sensitive |= t.end_sensitive;
        whole.push_str(&regex::escape(static_text));
        whole.push('(');
        whole.push_str(&t.pattern);
        whole.push(')');
    }
    if let Some(last) = statics.last() {
        whole.push_str(&regex::escape(last));
    }
    whole.push_str(r"\z");
    let Ok(re) = Regex::new(&whole) else {
        return Ok(None);
    };
    let groups = re.captures(text).map(|caps| {
        (1..=converters.len())
            .map(|i| caps.get(i).map_or("", |m| m.as_str()).to_owned())
            .collect()
    });
    Ok(Some((unicode_exact, end_sensitive, groups)))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(pyregex_translate, m)?)?;
    m.add_function(wrap_pyfunction!(pyregex_probe, m)?)?;
    Ok(())
}
