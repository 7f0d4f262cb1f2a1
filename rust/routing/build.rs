//! The text side of URL building: percent-encoding exactly as Werkzeug does
//! it (Python's `urllib.parse.quote` and `quote_plus` with Werkzeug's safe
//! sets), and a rule's build plan.

use crate::routing::rule::Token;

/// Characters left alone in a path segment (the WHATWG path-segment set).
pub const PATH_SAFE: &[u8] = b"!$&'()*+,/:;=@";
/// Characters left alone in a query string.
pub const QUERY_SAFE: &[u8] = b"!$'()*,/:;?@";

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn always_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~')
}

/// Appends `bytes` percent-encoded to `out`, leaving alphanumerics, `_.-~`
/// and `safe` alone; with `plus`, a space becomes `+`.
pub fn quote_into(out: &mut String, bytes: &[u8], safe: &[u8], plus: bool) {
    for &b in bytes {
        if always_safe(b) || safe.contains(&b) {
            out.push(b as char);
        } else if plus && b == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
}

pub fn quote(s: &str, safe: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    quote_into(&mut out, s.as_bytes(), safe, false);
    out
}

/// One step of building a URL: literal text (already encoded) or the value
/// of a variable, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildOp {
    Text(String),
    Var(String),
}

/// The build plan of a list of tokens, with literal text encoded.
pub fn plan(tokens: &[Token]) -> Vec<BuildOp> {
    let mut ops: Vec<BuildOp> = Vec::with_capacity(tokens.len());
    for t in tokens {
        let text = match t {
            Token::Slash => "/".to_owned(),
            Token::Static(s) => quote(s, PATH_SAFE),
            Token::Var(v) => {
                ops.push(BuildOp::Var(v.name.clone()));
                continue;
            }
        };
        // Neighbouring literals are folded into one.
        if let Some(BuildOp::Text(prev)) = ops.last_mut() {
            prev.push_str(&text);
        } else {
            ops.push(BuildOp::Text(text));
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::rule::parse_rule;

    #[test]
    fn quoting_matches_python() {
        assert_eq!(quote("a b/ä?#%", PATH_SAFE), "a%20b/%C3%A4%3F%23%25");
        let mut q = String::new();
        quote_into(&mut q, "a b&c=d/é".as_bytes(), QUERY_SAFE, true);
        assert_eq!(q, "a+b%26c%3Dd/%C3%A9");
    }

    #[test]
    fn plans_fold_literals() {
        let t = parse_rule("/ä/<int:x>/y", true).unwrap();
        assert_eq!(
            plan(&t),
            vec![
                BuildOp::Text("/%C3%A4/".into()),
                BuildOp::Var("x".into()),
                BuildOp::Text("/y".into())
            ]
        );
    }
}
