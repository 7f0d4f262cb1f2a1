//! Parsing Werkzeug's rule syntax: static text, `/`, and `<conv(args):name>`.

use std::fmt;

/// One lexical piece of a rule string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Slash,
    Static(String),
    Var(Var),
}

/// A `<converter(arguments):name>` placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Var {
    pub name: String,
    /// `None` means the default converter.
    pub converter: Option<String>,
    /// The raw text between the parentheses, if there were any.
    pub arguments: Option<String>,
}

/// One converter argument, still as text: turning it into a Python value
/// (None, bool, int, float or str) is the caller's business, because Python's
/// own number parsing decides what counts as a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    pub name: Option<String>,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleError {
    NoLeadingSlash(String),
    Malformed(String),
    BadArgument(String),
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleError::NoLeadingSlash(rule) => {
                write!(f, "URL rule '{rule}' must start with a slash.")
            }
            RuleError::Malformed(rule) => write!(f, "malformed url rule: {rule:?}"),
            RuleError::BadArgument(text) => write!(f, "Cannot parse converter argument '{text}'"),
        }
    }
}

impl std::error::Error for RuleError {}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The length in bytes of the identifier at the start of `s` (0 if none).
fn ident_len(s: &str) -> usize {
    let mut chars = s.char_indices();
    match chars.next() {
        Some((_, c)) if is_ident_start(c) => {}
        _ => return 0,
    }
    for (i, c) in chars {
        if !is_ident_char(c) {
            return i;
        }
    }
    s.len()
}

/// `name>` at the start of `s`: the name and the bytes consumed.
fn var_tail(s: &str) -> Option<(&str, usize)> {
    let n = ident_len(s);
    if n > 0 && s[n..].starts_with('>') {
        Some((&s[..n], n + 1))
    } else {
        None
    }
}

/// Parses the text after a `<`, trying the alternatives in the order a
/// backtracking regex engine would: converter with arguments, converter
/// without, then a bare variable name.
fn parse_var(s: &str) -> Option<(Var, usize)> {
    let conv_len = ident_len(s);
    if conv_len > 0 {
        let converter = &s[..conv_len];
        let rest = &s[conv_len..];
        if let Some(args_and_more) = rest.strip_prefix('(') {
            // The arguments end at the first `)` that is followed by `:name>`;
            // they cannot span a newline (the regex's `.`).
            for (i, c) in args_and_more.char_indices() {
                if c == '\n' {
                    break;
                }
                if c == ')' {
                    if let Some(after) = args_and_more[i + 1..].strip_prefix(':') {
                        if let Some((name, used)) = var_tail(after) {
                            let consumed = conv_len + 1 + i + 2 + used;
                            return Some((
                                Var {
                                    name: name.to_owned(),
                                    converter: Some(converter.to_owned()),
                                    arguments: Some(args_and_more[..i].to_owned()),
                                },
                                consumed,
                            ));
                        }
                    }
                }
            }
        }
        if let Some(after) = rest.strip_prefix(':') {
            if let Some((name, used)) = var_tail(after) {
                return Some((
                    Var {
                        name: name.to_owned(),
                        converter: Some(converter.to_owned()),
                        arguments: None,
                    },
                    conv_len + 1 + used,
                ));
            }
        }
    }
    var_tail(s).map(|(name, used)| {
        (
            Var {
                name: name.to_owned(),
                converter: None,
                arguments: None,
            },
            used,
        )
    })
}

/// Splits a rule (or a host/subdomain rule) into tokens.
pub fn tokenize(rule: &str) -> Result<Vec<Token>, RuleError> {
    let mut tokens = Vec::new();
    let mut pos = 0;
    while pos < rule.len() {
        let rest = &rule[pos..];
        if rest.starts_with('/') {
            tokens.push(Token::Slash);
            pos += 1;
        } else if let Some(after) = rest.strip_prefix('<') {
            let (var, used) =
                parse_var(after).ok_or_else(|| RuleError::Malformed(rule.to_owned()))?;
            tokens.push(Token::Var(var));
            pos += 1 + used;
        } else {
            let end = rest.find(['<', '/']).unwrap_or(rest.len());
            tokens.push(Token::Static(rest[..end].to_owned()));
            pos += end;
        }
    }
    Ok(tokens)
}

/// Parses a URL rule, which must start with a slash. With `merge_slashes`,
/// runs of slashes in the rule collapse to one first, as they do when matching.
pub fn parse_rule(rule: &str, merge_slashes: bool) -> Result<Vec<Token>, RuleError> {
    if !rule.starts_with('/') {
        return Err(RuleError::NoLeadingSlash(rule.to_owned()));
    }
    if merge_slashes && rule.contains("//") {
        tokenize(&merge_slash_runs(rule))
    } else {
        tokenize(rule)
    }
}

/// Collapses every run of two or more slashes into one.
pub fn merge_slash_runs(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut prev_slash = false;
    for c in path.chars() {
        if c == '/' {
            if !prev_slash {
                out.push(c);
            }
            prev_slash = true;
        } else {
            out.push(c);
            prev_slash = false;
        }
    }
    out
}

// --- converter arguments -------------------------------------------------

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Python's `\d` on str: Unicode category Nd.
fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && crate::routing::converter::is_unicode_decimal(c))
}

fn skip_ws(s: &str, mut i: usize) -> usize {
    while let Some(c) = s[i..].chars().next() {
        if c.is_whitespace() {
            i += c.len_utf8();
        } else {
            break;
        }
    }
    i
}

/// The end of a run of chars satisfying `pred` starting at `i` (at least one),
/// or None.
fn run(s: &str, i: usize, pred: impl Fn(char) -> bool) -> Option<usize> {
    let mut j = i;
    for c in s[i..].chars() {
        if pred(c) {
            j += c.len_utf8();
        } else {
            break;
        }
    }
    (j > i).then_some(j)
}

/// Every end position at which one of the value alternatives can stop, in
/// the order a backtracking engine would offer them.
fn value_ends(s: &str, i: usize) -> Vec<(usize, bool)> {
    let mut ends = Vec::new();
    let rest = &s[i..];
    for kw in ["True", "False"] {
        if rest.starts_with(kw) {
            ends.push((i + kw.len(), false));
        }
    }
    // \d+.\d+ | \d+. | \d+  (the `.` is any char but a newline), greedy runs
    // backtracking from longest to shortest.
    if let Some(dend) = run(s, i, is_digit) {
        let digit_positions: Vec<usize> = {
            let mut v = Vec::new();
            let mut j = i;
            for c in s[i..dend].chars() {
                j += c.len_utf8();
                v.push(j);
            }
            v
        };
        // \d+.\d+
        for &d in digit_positions.iter().rev() {
            if let Some(c) = s[d..].chars().next() {
                if c != '\n' {
                    let after = d + c.len_utf8();
                    if let Some(e) = run(s, after, is_digit) {
                        let mut ends_here = Vec::new();
                        let mut j = after;
                        for c2 in s[after..e].chars() {
                            j += c2.len_utf8();
                            ends_here.push(j);
                        }
                        for &k in ends_here.iter().rev() {
                            ends.push((k, false));
                        }
                    }
                }
            }
        }
        // \d+.
        for &d in digit_positions.iter().rev() {
            if let Some(c) = s[d..].chars().next() {
                if c != '\n' {
                    ends.push((d + c.len_utf8(), false));
                }
            }
        }
        // \d+
        for &d in digit_positions.iter().rev() {
            ends.push((d, false));
        }
    }
    // [\w\d_.]+
    if let Some(e) = run(s, i, |c| is_word(c) || is_digit(c) || c == '.') {
        let mut positions = Vec::new();
        let mut j = i;
        for c in s[i..e].chars() {
            j += c.len_utf8();
            positions.push(j);
        }
        for &k in positions.iter().rev() {
            ends.push((k, false));
        }
    }
    // [urUR]?("[^"]*?"|'[^']*')
    for skip_prefix in [true, false] {
        let mut j = i;
        if skip_prefix {
            match rest.chars().next() {
                Some('u' | 'r' | 'U' | 'R') => j += 1,
                _ => continue,
            }
        }
        match s[j..].chars().next() {
            Some('"') => {
                if let Some(close) = s[j + 1..].find('"') {
                    ends.push((j + 1 + close + 1, true));
                }
            }
            Some('\'') => {
                if let Some(close) = s[j + 1..].find('\'') {
                    ends.push((j + 1 + close + 1, true));
                }
            }
            _ => {}
        }
    }
    ends
}

/// Tries to match one `name = value ,` item at `i`; returns the argument and
/// the end of the item.
fn match_item(s: &str, i: usize) -> Option<(Arg, usize)> {
    let start = skip_ws(s, i);
    // Try with a `name =` prefix first, then without.
    let mut attempts: Vec<(Option<String>, usize)> = Vec::new();
    if let Some(name_end) = run(s, start, is_word) {
        // `\w+` is greedy but only its full length can be followed by `\s*=`.
        let after = skip_ws(s, name_end);
        if s[after..].starts_with('=') {
            attempts.push((Some(s[start..name_end].to_owned()), skip_ws(s, after + 1)));
        }
    }
    attempts.push((None, start));
    for (name, vstart) in attempts {
        for (vend, quoted) in value_ends(s, vstart) {
            let after = skip_ws(s, vend);
            if s[after..].starts_with(',') {
                let mut value = &s[vstart..vend];
                if quoted {
                    // Drop the [urUR] prefix: the quoted part is what counts.
                    if let Some(q) = value.find(['"', '\'']) {
                        value = &value[q..];
                    }
                }
                return Some((
                    Arg {
                        name,
                        value: value.to_owned(),
                    },
                    after + 1,
                ));
            }
        }
    }
    None
}

/// Splits a converter's argument text into arguments, positional and keyword,
/// in order. Text that cannot be read as an argument is an error; trailing
/// text after the last readable argument is ignored, as in Werkzeug.
pub fn parse_converter_args(argstr: &str) -> Result<Vec<Arg>, RuleError> {
    let s = format!("{argstr},");
    let mut args = Vec::new();
    let mut pos = 0;
    while pos < s.len() {
        // Like `finditer`: find the next position where an item matches.
        let mut found = None;
        let mut i = pos;
        while i < s.len() {
            if let Some(m) = match_item(&s, i) {
                found = Some((i, m));
                break;
            }
            i += s[i..].chars().next().map_or(1, char::len_utf8);
        }
        let Some((start, (arg, end))) = found else {
            break;
        };
        if start != pos {
            return Err(RuleError::BadArgument(s[pos..start].to_owned()));
        }
        args.push(arg);
        if end == pos {
            break;
        }
        pos = end;
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(name: &str, conv: Option<&str>, args: Option<&str>) -> Token {
        Token::Var(Var {
            name: name.into(),
            converter: conv.map(Into::into),
            arguments: args.map(Into::into),
        })
    }

    #[test]
    fn tokens_of_a_rule() {
        let t = parse_rule("/users/<int:id>/v<x>.json/", false).unwrap();
        assert_eq!(
            t,
            vec![
                Token::Slash,
                Token::Static("users".into()),
                Token::Slash,
                var("id", Some("int"), None),
                Token::Slash,
                Token::Static("v".into()),
                var("x", None, None),
                Token::Static(".json".into()),
                Token::Slash,
            ]
        );
    }

    #[test]
    fn arguments_stop_at_the_paren_before_the_name() {
        let t = tokenize("<any(a, 'b)'):page>").unwrap();
        assert_eq!(t, vec![var("page", Some("any"), Some("a, 'b)'"))]);
    }

    #[test]
    fn malformed_rules() {
        for bad in ["/<int:>", "/<a", "/<int(:x>", "/<1x>", "/<a b>", "/<>"] {
            assert!(
                matches!(parse_rule(bad, true), Err(RuleError::Malformed(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            parse_rule("x", true),
            Err(RuleError::NoLeadingSlash(_))
        ));
    }

    #[test]
    fn merged_slashes() {
        assert_eq!(merge_slash_runs("//a///b/"), "/a/b/");
    }

    #[test]
    fn converter_arguments() {
        let a = parse_converter_args("2, maxlength=10, x='a,b', True").unwrap();
        let got: Vec<(Option<&str>, &str)> = a
            .iter()
            .map(|a| (a.name.as_deref(), a.value.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (None, "2"),
                (Some("maxlength"), "10"),
                (Some("x"), "'a,b'"),
                (None, "True")
            ]
        );
        assert!(parse_converter_args("a, ?b").is_err());
        assert_eq!(parse_converter_args("").unwrap(), vec![]);
    }
}
