//! Reading back the regex Werkzeug writes for one dynamic part of a rule.
//!
//! Werkzeug matches a dynamic part with `re.compile(part.content).match`,
//! where the content is the part's static text through `re.escape`, each
//! converter's regex as `(?P<__werkzeug_N>...)`, for a final part that ends
//! in a slash the suffix `(?<!/)(/?)`, and `\Z`. The router takes that very
//! string as the definition of the part; this module recovers its pieces so
//! that a part can be matched without Python's `re`. Anything not in exactly
//! that shape gives None, and the part is then matched by Python's `re` on
//! the content itself.

/// One element of a dynamic part, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text (slashes included, in a final part).
    Static(String),
    /// A converter's regex, in Python's syntax.
    Conv(String),
}

/// The pieces of a dynamic part and whether it carries the trailing-slash
/// suffix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pieces {
    pub pieces: Vec<Piece>,
    pub suffixed: bool,
}

/// The characters `re.escape` puts a backslash before.
const ESCAPED: &str = "()[]{}?*+-|^$\\.&~# \t\n\r\u{b}\u{c}";
const WRAPPER: &str = "(?P<__werkzeug_";
const SUFFIX: &str = r"(?<!/)(/?)";
const END: &str = r"\Z";

/// The pieces of `content`, or None when it is not in Werkzeug's shape.
pub fn pieces(content: &str) -> Option<Pieces> {
    let body = content.strip_suffix(END)?;
    let (body, suffixed) = match body.strip_suffix(SUFFIX) {
        Some(rest) => (rest, true),
        None => (body, false),
    };
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = body;
    let mut next_group = 0usize;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix(WRAPPER) {
            let (number, after) = group_number(after)?;
            if number != next_group {
                return None;
            }
            next_group += 1;
            let len = regex_len(after)?;
            let regex = after.get(..len)?;
            rest = after.get(len + 1..)?;
            if !text.is_empty() {
                out.push(Piece::Static(std::mem::take(&mut text)));
            }
            out.push(Piece::Conv(regex.to_owned()));
            continue;
        }
        rest = rest.get(c.len_utf8()..)?;
        if c == '\\' {
            let e = rest.chars().next()?;
            if !ESCAPED.contains(e) {
                return None;
            }
            text.push(e);
            rest = rest.get(e.len_utf8()..)?;
        } else if ESCAPED.contains(c) {
            // re.escape would have escaped it: not Werkzeug's static text.
            return None;
        } else {
            text.push(c);
        }
    }
    if !text.is_empty() {
        out.push(Piece::Static(text));
    }
    if next_group == 0 {
        return None;
    }
    Some(Pieces {
        pieces: out,
        suffixed,
    })
}

/// `N>` at the start of `s`: the number and what follows the `>`.
fn group_number(s: &str) -> Option<(usize, &str)> {
    let end = s.find('>')?;
    let digits = s.get(..end)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return None;
    }
    Some((digits.parse().ok()?, s.get(end + 1..)?))
}

/// The length in bytes of the Python regex at the start of `s` that the
/// group's closing parenthesis ends, following Python's lexical rules for
/// escapes, character classes and groups. None for comments and verbose
/// mode, where a parenthesis can be text.
fn regex_len(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut depth = 0usize;
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            b'[' => i = class_end(bytes, i + 1)?,
            b'(' => {
                if bytes.get(i + 1) == Some(&b'?') {
                    let flags = bytes.get(i + 2..)?;
                    if flags.first() == Some(&b'#') || sets_verbose(flags) {
                        return None;
                    }
                }
                depth += 1;
                i += 1;
            }
            b')' => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

/// Whether the text after `(?` is a flag group that turns on verbose mode.
fn sets_verbose(after: &[u8]) -> bool {
    after
        .iter()
        .take_while(|b| b.is_ascii_alphabetic() || **b == b'-')
        .take_while(|b| **b != b'-')
        .any(|&b| b == b'x')
}

/// The index just past the `]` closing a class whose body starts at `i`.
fn class_end(bytes: &[u8], mut i: usize) -> Option<usize> {
    if bytes.get(i) == Some(&b'^') {
        i += 1;
    }
    // A `]` first in the class is a literal.
    if bytes.get(i) == Some(&b']') {
        i += 1;
    }
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            b']' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(s: &str) -> Piece {
        Piece::Conv(s.to_owned())
    }

    fn text(s: &str) -> Piece {
        Piece::Static(s.to_owned())
    }

    #[test]
    fn werkzeug_shapes() {
        let p = pieces(r"(?P<__werkzeug_0>\d+)\Z");
        assert_eq!(
            p,
            Some(Pieces {
                pieces: vec![conv(r"\d+")],
                suffixed: false
            })
        );
        let p = pieces(r"v(?P<__werkzeug_0>\d+)\.(?P<__werkzeug_1>[^/]+)\Z");
        assert_eq!(
            p.map(|p| p.pieces),
            Some(vec![text("v"), conv(r"\d+"), text("."), conv("[^/]+")])
        );
        let p = pieces(r"(?P<__werkzeug_0>[^/].*?)/edit(?<!/)(/?)\Z");
        assert_eq!(
            p,
            Some(Pieces {
                pieces: vec![conv("[^/].*?"), text("/edit")],
                suffixed: true
            })
        );
        let p = pieces(r"a\ b\-(?P<__werkzeug_0>(?:x|\)|[)(])+)\Z");
        assert_eq!(
            p.map(|p| p.pieces),
            Some(vec![text("a b-"), conv(r"(?:x|\)|[)(])+")])
        );
        let p = pieces(r"(?P<__werkzeug_0>[]a])\Z");
        assert_eq!(p.map(|p| p.pieces), Some(vec![conv("[]a]")]));
    }

    #[test]
    fn anything_else_is_refused() {
        for content in [
            "",
            "plain",
            r"(?P<__werkzeug_0>\d+)",
            r"(?P<__werkzeug_1>\d+)\Z",
            r"(?P<__werkzeug_0>\d+)(?P<__werkzeug_0>\d+)\Z",
            r"(?P<__werkzeug_00>\d+)\Z",
            r"a.(?P<__werkzeug_0>\d+)\Z",
            r"\d(?P<__werkzeug_0>\d+)\Z",
            r"(?P<__werkzeug_0>a(?#))\Z",
            r"(?P<__werkzeug_0>(?x)a # )\Z",
            r"(?P<__werkzeug_0>(?ix:a))\Z",
            r"(?P<__werkzeug_0>[a)\Z",
            r"(?P<__werkzeug_0>a\Z",
            r"(?P<__werkzeug_0>a)\Z\Z",
            "(?P<__werkzeug_0>a)\\",
        ] {
            assert_eq!(pieces(content), None, "{content}");
        }
    }

    #[test]
    fn never_panics_on_cut_text() {
        let full = r"é\ (?P<__werkzeug_0>[^/]{2,3}\\)日(?P<__werkzeug_1>(a|[)]))(?<!/)(/?)\Z";
        for end in 0..=full.len() {
            if let Some(prefix) = full.get(..end) {
                let _ = pieces(prefix);
            }
        }
        assert!(pieces(full).is_some());
    }
}
