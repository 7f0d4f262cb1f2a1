//! Fast tests for the regexes of Werkzeug's built-in converters, recognised
//! by their text whatever class declares them.

use crate::routing::str_eq::same;

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

    /// Whether the regex matches the whole of `s` as Python's `re` would;
    /// None where the answer depends on the interpreter's Unicode tables
    /// (`\d` on non-ASCII text), which only Python's `re` can give.
    pub fn full_match(&self, s: &str) -> Option<bool> {
        let yes = match self {
            Builtin::OneOf(items) => items.iter().any(|i| same(i, s)),
            &Builtin::Chars { min, max } => {
                // Bytes, not `str::contains`, which calls memcmp per hit.
                if s.bytes().any(|b| b == b'/') {
                    return Some(false);
                }
                let n = if s.is_ascii() {
                    s.len()
                } else {
                    s.chars().count()
                };
                n >= min && max.is_none_or(|m| n <= m)
            }
            Builtin::Digits { .. } | Builtin::Decimal { .. } if !s.is_ascii() => return None,
            &Builtin::Digits { signed } => all_ascii_digits(unsign(s, signed)),
            &Builtin::Decimal { signed } => {
                let s = unsign(s, signed);
                match s.split_once('.') {
                    Some((whole, fraction)) => {
                        all_ascii_digits(whole) && all_ascii_digits(fraction)
                    }
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
            // `[^/]` matches a newline, `.*?` does not.
            Builtin::Path => {
                let mut chars = s.chars();
                match chars.next() {
                    Some(first) if first != '/' => !chars.as_str().contains('\n'),
                    _ => false,
                }
            }
        };
        Some(yes)
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
    match s.strip_prefix('-') {
        Some(rest) if signed => rest,
        _ => s,
    }
}

fn parse_count(s: &str) -> Option<usize> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Non-empty and every byte an ASCII digit.
fn all_ascii_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
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
        assert_eq!(digits.full_match("042"), Some(true));
        assert_eq!(digits.full_match("-1"), Some(false));
        assert_eq!(
            Builtin::Digits { signed: true }.full_match("-1"),
            Some(true)
        );
        assert_eq!(digits.full_match(""), Some(false));
        let decimal = Builtin::Decimal { signed: false };
        assert_eq!(decimal.full_match("1.5"), Some(true));
        assert_eq!(decimal.full_match("1."), Some(false));
        assert_eq!(decimal.full_match("1.5.5"), Some(false));
        let chars = Builtin::Chars { min: 1, max: None };
        assert_eq!(chars.full_match("a\nb"), Some(true));
        assert_eq!(Builtin::Path.full_match("\na/b"), Some(true));
        assert_eq!(Builtin::Path.full_match("a/\nb"), Some(false));
        assert_eq!(Builtin::Path.full_match("/a"), Some(false));
        assert_eq!(
            Builtin::Uuid.full_match("12345678-1234-1234-1234-1234567890aB"),
            Some(true)
        );
        let two_or_three = Builtin::Chars {
            min: 2,
            max: Some(3),
        };
        assert_eq!(two_or_three.full_match("éé"), Some(true));
    }

    #[test]
    fn unicode_digits_are_left_to_python() {
        // Which of these are digits depends on the interpreter's tables.
        for text in ["\u{664}\u{662}", "\u{1E4F1}", "1\u{FF11}"] {
            assert_eq!(Builtin::Digits { signed: false }.full_match(text), None);
            assert_eq!(Builtin::Decimal { signed: true }.full_match(text), None);
        }
    }
}
