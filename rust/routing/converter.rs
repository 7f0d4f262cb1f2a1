//! What the matcher needs to know of a converter: its regex (in Python's
//! syntax, as converters declare it), weight and whether it stays within one
//! path segment; fast tests for the built-in converters' regexes; and the
//! translation of a Python regex into the `regex` crate's syntax.

use crate::routing::text::same;
use regex::Regex;
use std::sync::OnceLock;

/// A converter as the matcher sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConverterSpec {
    /// The regex in Python's `re` syntax.
    pub regex: String,
    pub weight: f64,
    pub part_isolating: bool,
}

impl ConverterSpec {
    pub fn new(regex: impl Into<String>, weight: f64, part_isolating: bool) -> Self {
        Self {
            regex: regex.into(),
            weight,
            part_isolating,
        }
    }
}

const UUID_REGEX: &str =
    "[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}";

/// A regex whose full-match test is written out by hand: the built-in
/// converters' regexes, recognised by their text whatever class declares them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Builtin {
    /// `[^/]{min,max}` and `[^/]+`
    Chars {
        min: usize,
        max: Option<usize>,
    },
    /// `\d+`, `-?\d+`
    Digits {
        signed: bool,
    },
    /// `\d+\.\d+`, `-?\d+\.\d+`
    Decimal {
        signed: bool,
    },
    Uuid,
    /// `[^/].*?`
    Path,
    /// `(?:a|b|c)` of escaped literals, as the `any` converter writes it.
    OneOf(Vec<String>),
}

impl Builtin {
    pub fn recognise(regex: &str) -> Option<Builtin> {
        match regex {
            "[^/]+" => return Some(Builtin::Chars { min: 1, max: None }),
            r"\d+" => return Some(Builtin::Digits { signed: false }),
            r"-?\d+" => return Some(Builtin::Digits { signed: true }),
            r"\d+\.\d+" => return Some(Builtin::Decimal { signed: false }),
            r"-?\d+\.\d+" => return Some(Builtin::Decimal { signed: true }),
            "[^/].*?" => return Some(Builtin::Path),
            UUID_REGEX => return Some(Builtin::Uuid),
            _ => {}
        }
        if let Some(items) = regex.strip_prefix("(?:").and_then(|r| r.strip_suffix(')')) {
            return literal_alternatives(items).map(Builtin::OneOf);
        }
        let counts = regex.strip_prefix("[^/]{")?.strip_suffix('}')?;
        let (min, max) = match counts.split_once(',') {
            None => {
                let n = parse_count(counts)?;
                (n, Some(n))
            }
            Some((lo, "")) => (parse_count(lo)?, None),
            Some((lo, hi)) => (parse_count(lo)?, Some(parse_count(hi)?)),
        };
        if max.is_some_and(|m| m < min) {
            return None;
        }
        Some(Builtin::Chars { min, max })
    }

    /// Whether the regex matches the whole of `s`.
    pub fn full_match(&self, s: &str) -> bool {
        match self {
            Builtin::OneOf(items) => items.iter().any(|i| same(i, s)),
            &Builtin::Chars { min, max } => {
                // Bytes, not `str::contains`, which calls memcmp per hit.
                if s.bytes().any(|b| b == b'/') {
                    return false;
                }
                let n = if s.is_ascii() {
                    s.len()
                } else {
                    s.chars().count()
                };
                n >= min && max.is_none_or(|m| n <= m)
            }
            &Builtin::Digits { signed } => all_decimal(unsign(s, signed)),
            &Builtin::Decimal { signed } => {
                let s = unsign(s, signed);
                match s.bytes().position(|b| b == b'.') {
                    Some(dot) => all_decimal(&s[..dot]) && all_decimal(&s[dot + 1..]),
                    None => false,
                }
            }
            Builtin::Uuid => {
                s.len() == 36
                    && s.bytes().enumerate().all(|(i, b)| match i {
                        8 | 13 | 18 | 23 => b == b'-',
                        _ => b.is_ascii_hexdigit(),
                    })
            }
            Builtin::Path => match s.as_bytes().first() {
                // `[^/]` matches a newline, `.*?` does not.
                Some(&first) if first != b'/' => {
                    let rest = s.chars().next().map_or(0, char::len_utf8);
                    !s.as_bytes()[rest..].contains(&b'\n')
                }
                _ => false,
            },
        }
    }
}

/// The literals of `a|b\.c|...` where every other char is escaped as
/// Python's `re.escape` does; None if anything else is in there.
fn literal_alternatives(body: &str) -> Option<Vec<String>> {
    let mut items = vec![String::new()];
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let e = chars.next()?;
                if e.is_ascii_alphanumeric() {
                    return None;
                }
                items.last_mut()?.push(e);
            }
            '|' => items.push(String::new()),
            c if "()[]{}?*+^$.".contains(c) => return None,
            c => items.last_mut()?.push(c),
        }
    }
    Some(items)
}

fn unsign(s: &str, signed: bool) -> &str {
    match s.as_bytes().first() {
        Some(b'-') if signed => &s[1..],
        _ => s,
    }
}

fn parse_count(s: &str) -> Option<usize> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Non-empty and every char a decimal digit in Python's sense of `\d`.
fn all_decimal(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || (!c.is_ascii() && is_unicode_decimal(c)))
}

/// Unicode category Nd, which is what `\d` means for Python str patterns.
pub fn is_unicode_decimal(c: char) -> bool {
    static ND: OnceLock<Option<Regex>> = OnceLock::new();
    let re = ND.get_or_init(|| Regex::new(r"^\d$").ok());
    let mut buf = [0u8; 4];
    re.as_ref()
        .is_some_and(|re| re.is_match(c.encode_utf8(&mut buf)))
}

/// Rewrites a Python `re` pattern into the `regex` crate's syntax with the
/// same meaning, or returns None where the two engines differ in a way this
/// does not bridge (lookaround, backreferences, `$`, verbose mode, ...): such
/// a pattern is left to Python's own engine.
pub fn translate_python_regex(py: &str) -> Option<String> {
    let mut out = String::with_capacity(py.len() + 8);
    let mut chars = py.chars().peekable();
    let mut in_class = false;
    // Position within a class, to know whether a `]` or `^` is literal.
    let mut class_len = 0usize;
    while let Some(c) = chars.next() {
        if c == '\\' {
            let e = chars.next()?;
            if e.is_ascii_alphanumeric() {
                match e {
                    'Z' if !in_class => out.push_str(r"\z"),
                    'A' if !in_class => out.push_str(r"\A"),
                    'b' | 'B' if !in_class => {
                        out.push('\\');
                        out.push(e);
                    }
                    'd' | 'D' | 'w' | 'W' | 's' | 'S' | 'n' | 't' | 'r' | 'f' | 'v' => {
                        out.push('\\');
                        out.push(e);
                    }
                    'a' => out.push_str(r"\x07"),
                    'x' => {
                        let h: String = [chars.next()?, chars.next()?].iter().collect();
                        if !h.chars().all(|c| c.is_ascii_hexdigit()) {
                            return None;
                        }
                        out.push_str(&format!(r"\x{{{h}}}"));
                    }
                    'u' | 'U' => {
                        let n = if e == 'u' { 4 } else { 8 };
                        let mut h = String::new();
                        for _ in 0..n {
                            h.push(chars.next()?);
                        }
                        if !h.chars().all(|c| c.is_ascii_hexdigit()) {
                            return None;
                        }
                        out.push_str(&format!(r"\x{{{h}}}"));
                    }
                    _ => return None,
                }
            } else {
                out.push_str(&regex::escape(e.encode_utf8(&mut [0u8; 4])));
            }
            if in_class {
                class_len += 1;
            }
            continue;
        }
        if in_class {
            match c {
                ']' if class_len > 0 => {
                    in_class = false;
                    out.push(']');
                }
                '^' if class_len == 0 => out.push('^'),
                '[' | '&' | '~' => {
                    out.push('\\');
                    out.push(c);
                    class_len += 1;
                }
                '-' if chars.peek() == Some(&'-') => return None,
                _ => {
                    out.push(c);
                    class_len += 1;
                }
            }
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                class_len = 0;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
            }
            '$' => return None,
            '(' if chars.peek() == Some(&'?') => {
                let rest: String = chars.clone().take(3).collect();
                let supported = rest.starts_with("?:") || rest.starts_with("?P<");
                let flags = rest.chars().nth(1).is_some_and(|f| "imsu-".contains(f));
                if !(supported || flags) {
                    return None;
                }
                out.push('(');
            }
            _ => out.push(c),
        }
    }
    (!in_class).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_builtin_regexes() {
        assert_eq!(
            Builtin::recognise("[^/]{1,}"),
            Some(Builtin::Chars { min: 1, max: None })
        );
        assert_eq!(
            Builtin::recognise("[^/]{2}"),
            Some(Builtin::Chars {
                min: 2,
                max: Some(2)
            })
        );
        assert_eq!(
            Builtin::recognise("[^/]{2,5}"),
            Some(Builtin::Chars {
                min: 2,
                max: Some(5)
            })
        );
        assert_eq!(Builtin::recognise(UUID_REGEX), Some(Builtin::Uuid));
        assert_eq!(Builtin::recognise("[a-z]+"), None);
        assert_eq!(
            Builtin::recognise(r"(?:open|a\ b|x\.y)"),
            Some(Builtin::OneOf(vec![
                "open".into(),
                "a b".into(),
                "x.y".into()
            ]))
        );
        assert_eq!(Builtin::recognise("(?:a.|b)"), None);
    }

    #[test]
    fn builtin_tests_follow_python_semantics() {
        let digits = Builtin::Digits { signed: false };
        assert!(digits.full_match("042"));
        assert!(digits.full_match("\u{664}\u{662}"));
        assert!(!digits.full_match("-1"));
        assert!(Builtin::Digits { signed: true }.full_match("-1"));
        assert!(!digits.full_match(""));
        assert!(Builtin::Decimal { signed: false }.full_match("1.5"));
        assert!(!Builtin::Decimal { signed: false }.full_match("1."));
        assert!(Builtin::Chars { min: 1, max: None }.full_match("a\nb"));
        assert!(Builtin::Path.full_match("\na/b"));
        assert!(!Builtin::Path.full_match("a/\nb"));
        assert!(!Builtin::Path.full_match("/a"));
        assert!(Builtin::Uuid.full_match("12345678-1234-1234-1234-1234567890aB"));
        assert!(Builtin::Chars {
            min: 2,
            max: Some(3)
        }
        .full_match("éé"));
    }

    #[test]
    fn translation() {
        assert_eq!(translate_python_regex(r"\d+\Z").as_deref(), Some(r"\d+\z"));
        assert_eq!(translate_python_regex(r"[[a]").as_deref(), Some(r"[\[a]"));
        assert_eq!(translate_python_regex(r"a\<b").as_deref(), Some("a<b"));
        assert_eq!(
            translate_python_regex(r"(?P<x>a)(?:b)").as_deref(),
            Some("(?P<x>a)(?:b)")
        );
        assert_eq!(translate_python_regex("a$"), None);
        assert_eq!(translate_python_regex("(?=a)"), None);
        assert_eq!(translate_python_regex(r"(a)\1"), None);
    }
}
