//! Python `re` patterns rewritten for the `regex` crate, only where the two
//! engines provably agree.
//!
//! A whitelist parser, not a rewrite pass: it reads the pattern the way
//! CPython's `re/_parser.py` tokenizes it (escapes, quantifier forms, class
//! items, inline flags) and refuses anything it does not know. Every set of
//! characters (literals, classes, `.`, `\d`, case-insensitive letters) is
//! computed here and emitted as explicit code point ranges, so the `regex`
//! crate's Unicode tables, which are not Python's, never decide a match (even
//! `\b` is emitted as the crate's ASCII boundary). Where Python's meaning
//! depends on its own Unicode tables (`\d`, `\w`, `\s`, `\b` and case folding
//! in Unicode mode), the ASCII meaning is emitted and the result is marked
//! exact on ASCII text only.
//!
//! Matching order needs no bridging: the crate's leftmost-first semantics pick
//! the match a backtracking engine finds first, alternatives and greedy/lazy
//! quantifiers included. The one place the two differ, repeating a
//! sub-pattern that can match the empty string, is refused (see
//! `Parser::quantify`).

use std::collections::HashSet;
use std::fmt::Write;

/// A Python `re` pattern rewritten for the regex crate.
///
/// The text must be the whole haystack, as it is the whole string in
/// Python's `pattern.match(text)`: `^`, `\A` and `\b` look before the start,
/// and the crate's `captures_at` would show them what lies before an offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translated {
    /// The pattern in the regex crate's syntax. Every group of the Python pattern
    /// becomes non-capturing (the router only reads its own wrapper groups).
    pub pattern: String,
    /// True when the rewrite matches exactly as Python's `re` does on ANY text;
    /// false when it is exact only on ASCII-only text (it uses \d \w \s \b or
    /// their negations, case-insensitive matching of letters, or anything else
    /// whose meaning depends on Unicode tables).
    pub unicode_exact: bool,
    /// True when the pattern contains an assertion that can look past the end of
    /// the text it matches (`\Z`, `\b`, `$` under MULTILINE): such a pattern
    /// cannot be matched against a prefix of the target instead of the target
    /// itself.
    pub end_sensitive: bool,
}

/// The regex-crate form of `python_pattern`, or None when the pattern uses
/// anything outside the whitelist, or anything whose meaning in the two
/// engines differs in a way not bridged here.
///
/// Accepted: literals and escaped punctuation; `\a \f \n \r \t \v \\`, `\xhh`,
/// `\uhhhh`, `\Uhhhhhhhh` and octal escapes; `.`; `^`, `\A`, `\Z`, `\b`, and `$`
/// under MULTILINE; classes
/// (ranges, negation, `\d \w \s \D \W \S` and the escapes above as items);
/// `\d \w \s \D \W \S` outside classes; `* + ? {m} {m,} {,n} {m,n}` and their
/// lazy forms; `|`; groups `( )`, `(?: )`, `(?P<name> )`, comments `(?#...)`;
/// scoped flags `(?imsau-ims: )` (`-x` too, as it changes nothing here).
///
/// Refused: `$` outside MULTILINE (Python's also matches before a final
/// newline), `\B` (Python's
/// never matches an empty string, the crate's does), backreferences,
/// lookarounds, conditionals, atomic groups and possessive quantifiers, global
/// flags, verbose mode, `\N{...}`, surrogate code points, non-ASCII pattern
/// characters under Unicode case folding, repeating (other than by `?`) a
/// sub-pattern that can match the empty string, more than `MAX_WEIGHT`
/// expanded items, and anything Python itself rejects.
pub fn translate(python_pattern: &str) -> Option<Translated> {
    let mut parser = Parser {
        chars: python_pattern.chars().collect(),
        pos: 0,
        depth: 0,
        names: HashSet::new(),
        unicode_exact: true,
        end_sensitive: false,
    };
    let node = parser.alternation(Flags::default())?;
    if parser.pos != parser.chars.len() || node.weight() > MAX_WEIGHT {
        return None;
    }
    let mut pattern = String::new();
    // A top-level `|` stays inside its own group so the result can be
    // concatenated with whatever the caller puts around it.
    match node.unwrap_groups() {
        Node::Alt(_) => node.emit_atom(&mut pattern),
        _ => node.emit(&mut pattern),
    }
    Some(Translated {
        pattern,
        unicode_exact: parser.unicode_exact,
        end_sensitive: parser.end_sensitive,
    })
}

/// The most items the regex crate may have to expand counted repetitions
/// into: `[^/]{1,1000}` compiles in a few milliseconds; nested counts
/// multiply, and compile time with them.
const MAX_WEIGHT: u64 = 1000;

/// Deeper nesting than this is refused before recursing: the parser must not
/// exhaust the stack on `((((...`, and the crate has its own nesting limit.
const MAX_DEPTH: usize = 64;

const MAX_CHAR: u32 = 0x10_FFFF;
const SURROGATES: (u32, u32) = (0xD800, 0xDFFF);

#[derive(Debug, Clone, Copy, Default)]
struct Flags {
    ignore_case: bool,
    dot_all: bool,
    multiline: bool,
    /// Python's `a` flag: ASCII meanings of `\d \w \s \b` and of case folding.
    ascii: bool,
}

/// A set of code points as sorted, disjoint, non-adjacent inclusive ranges,
/// never containing a surrogate (a Rust `str` cannot hold one, so a Python
/// class's surrogates can never match a text the crate sees).
#[derive(Debug, Clone, PartialEq, Eq)]
struct CharSet {
    ranges: Vec<(u32, u32)>,
}

impl CharSet {
    fn new(mut ranges: Vec<(u32, u32)>) -> CharSet {
        ranges.retain(|&(lo, hi)| lo <= hi);
        ranges.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len() + 1);
        for (lo, hi) in ranges {
            let hi = hi.min(MAX_CHAR);
            if lo > hi {
                continue;
            }
            match merged.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        let mut out = Vec::with_capacity(merged.len() + 1);
        for (lo, hi) in merged {
            if hi < SURROGATES.0 || lo > SURROGATES.1 {
                out.push((lo, hi));
                continue;
            }
            if lo < SURROGATES.0 {
                out.push((lo, SURROGATES.0 - 1));
            }
            if hi > SURROGATES.1 {
                out.push((SURROGATES.1 + 1, hi));
            }
        }
        CharSet { ranges: out }
    }

    fn one(c: u32) -> CharSet {
        CharSet::new(vec![(c, c)])
    }

    fn any() -> CharSet {
        CharSet::new(vec![(0, MAX_CHAR)])
    }

    fn union(&self, other: &CharSet) -> CharSet {
        let mut all = self.ranges.clone();
        all.extend_from_slice(&other.ranges);
        CharSet::new(all)
    }

    fn complement(&self) -> CharSet {
        let mut gaps = Vec::with_capacity(self.ranges.len() + 1);
        let mut next = 0u32;
        for &(lo, hi) in &self.ranges {
            if lo > next {
                gaps.push((next, lo - 1));
            }
            next = hi.saturating_add(1);
        }
        if next <= MAX_CHAR {
            gaps.push((next, MAX_CHAR));
        }
        CharSet::new(gaps)
    }

    fn contains_ascii_letter(&self) -> bool {
        let letters = [
            (u32::from(b'A'), u32::from(b'Z')),
            (u32::from(b'a'), u32::from(b'z')),
        ];
        self.ranges
            .iter()
            .any(|&(lo, hi)| letters.iter().any(|&(l_lo, l_hi)| lo <= l_hi && hi >= l_lo))
    }

    /// The set with the other case of every ASCII letter in it added: what
    /// Python's ASCII case folding matches, and what its Unicode case folding
    /// matches on ASCII text when the set's own items are ASCII.
    fn ascii_case_closure(&self) -> CharSet {
        let mut all = self.ranges.clone();
        let shift = u32::from(b'a' - b'A');
        for &(lo, hi) in &self.ranges {
            let (upper_lo, upper_hi) = (lo.max(u32::from(b'A')), hi.min(u32::from(b'Z')));
            if upper_lo <= upper_hi {
                all.push((upper_lo + shift, upper_hi + shift));
            }
            let (lower_lo, lower_hi) = (lo.max(u32::from(b'a')), hi.min(u32::from(b'z')));
            if lower_lo <= lower_hi {
                all.push((lower_lo - shift, lower_hi - shift));
            }
        }
        CharSet::new(all)
    }

    fn is_ascii(&self) -> bool {
        self.ranges.iter().all(|&(_, hi)| hi < 0x80)
    }

    fn emit(&self, out: &mut String) {
        if let [(lo, hi)] = self.ranges[..] {
            if lo == hi {
                push_char(out, lo, false);
                return;
            }
        }
        let complement = self.complement();
        out.push('[');
        // `[^...]` when that is shorter; an empty set is `[^` everything `]`,
        // which the crate accepts and never matches.
        let shorter = !complement.ranges.is_empty() && complement.ranges.len() < self.ranges.len();
        let shown = if self.ranges.is_empty() || shorter {
            out.push('^');
            &complement
        } else {
            self
        };
        for &(lo, hi) in &shown.ranges {
            push_char(out, lo, true);
            if hi > lo {
                if hi > lo + 1 {
                    out.push('-');
                }
                push_char(out, hi, true);
            }
        }
        out.push(']');
    }
}

fn ascii_digit() -> CharSet {
    CharSet::new(vec![(0x30, 0x39)])
}

fn ascii_word() -> CharSet {
    CharSet::new(vec![(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)])
}

/// Python's `\s`: with the ASCII flag `[\t\n\v\f\r ]`; in Unicode mode, on
/// ASCII text, also the four separators `\x1c-\x1f` (str.isspace()).
fn ascii_space(ascii_flag: bool) -> CharSet {
    if ascii_flag {
        CharSet::new(vec![(0x09, 0x0D), (0x20, 0x20)])
    } else {
        CharSet::new(vec![(0x09, 0x0D), (0x1C, 0x20)])
    }
}

/// A literal for the crate: alphanumerics and harmless punctuation as they
/// are, anything else as `\x{...}`, which means the same code point in and
/// out of classes and so sidesteps the crate's extra metacharacters (`&&`,
/// `--`, `~~`, nested `[`).
fn push_char(out: &mut String, code: u32, in_class: bool) {
    if let Some(c) = char::from_u32(code) {
        let plain = c.is_alphanumeric()
            || "_/.,:;@=!%'\"<>".contains(c) && (c != '.' || in_class)
            || (!in_class && "-~&`".contains(c));
        if plain {
            out.push(c);
            return;
        }
    }
    // Writing to a String cannot fail.
    let _ = write!(out, "\\x{{{code:X}}}");
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Assertion {
    /// `^` without MULTILINE, `\A`.
    Start,
    /// `^` under MULTILINE.
    LineStart,
    /// `\Z`.
    End,
    /// `$` under MULTILINE.
    LineEnd,
    /// `\b`, emitted as the crate's ASCII boundary.
    WordBoundary,
}

#[derive(Debug, Clone)]
enum Node {
    Set(CharSet),
    Assert(Assertion),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    /// A parenthesised group: Python lets a quantifier follow one even when
    /// its content alone could not be repeated.
    Group(Box<Node>),
    Repeat {
        body: Box<Node>,
        min: u32,
        max: Option<u32>,
        lazy: bool,
    },
}

impl Node {
    /// Whether the node can match the empty string.
    fn nullable(&self) -> bool {
        match self {
            Node::Set(_) => false,
            Node::Assert(_) => true,
            Node::Concat(items) => items.iter().all(Node::nullable),
            Node::Alt(items) => items.iter().any(Node::nullable),
            Node::Group(inner) => inner.nullable(),
            Node::Repeat { body, min, .. } => *min == 0 || body.nullable(),
        }
    }

    /// How many items the crate expands the node into, saturating.
    fn weight(&self) -> u64 {
        match self {
            Node::Set(_) | Node::Assert(_) => 1,
            Node::Concat(items) | Node::Alt(items) => items
                .iter()
                .fold(0u64, |sum, item| sum.saturating_add(item.weight())),
            Node::Group(inner) => inner.weight(),
            Node::Repeat { body, min, max, .. } => {
                let copies = max.unwrap_or_else(|| min.saturating_add(1)).max(1);
                body.weight().saturating_mul(u64::from(copies))
            }
        }
    }

    fn emit(&self, out: &mut String) {
        match self {
            Node::Set(set) => set.emit(out),
            Node::Assert(assertion) => out.push_str(match assertion {
                Assertion::Start => r"\A",
                Assertion::LineStart => "(?m:^)",
                Assertion::End => r"\z",
                Assertion::LineEnd => "(?m:$)",
                Assertion::WordBoundary => r"(?-u:\b)",
            }),
            Node::Concat(items) => {
                for item in items {
                    match item.unwrap_groups() {
                        Node::Alt(_) => item.emit_atom(out),
                        _ => item.emit(out),
                    }
                }
            }
            Node::Alt(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push('|');
                    }
                    item.emit(out);
                }
            }
            Node::Group(inner) => inner.emit(out),
            Node::Repeat {
                body,
                min,
                max,
                lazy,
            } => {
                body.emit_atom(out);
                let _ = match (min, max) {
                    (0, None) => write!(out, "*"),
                    (1, None) => write!(out, "+"),
                    (0, Some(1)) => write!(out, "?"),
                    (m, None) => write!(out, "{{{m},}}"),
                    (m, Some(n)) if m == n => write!(out, "{{{m}}}"),
                    (m, Some(n)) => write!(out, "{{{m},{n}}}"),
                };
                if *lazy {
                    out.push('?');
                }
            }
        }
    }

    fn unwrap_groups(&self) -> &Node {
        match self {
            Node::Group(inner) => inner.unwrap_groups(),
            _ => self,
        }
    }

    /// The node as one unit a quantifier or a concatenation can take.
    fn emit_atom(&self, out: &mut String) {
        match self {
            Node::Set(set) => set.emit(out),
            Node::Group(inner) => inner.emit_atom(out),
            _ => {
                out.push_str("(?:");
                self.emit(out);
                out.push(')');
            }
        }
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
    /// Group names seen, to refuse a repeated one as Python does.
    names: HashSet<String>,
    unicode_exact: bool,
    end_sensitive: bool,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// `a|b|...` up to an unmatched `)` or the end.
    fn alternation(&mut self, flags: Flags) -> Option<Node> {
        let mut branches = vec![self.sequence(flags)?];
        while self.eat('|') {
            branches.push(self.sequence(flags)?);
        }
        Some(match branches.len() {
            1 => branches.pop()?,
            _ => Node::Alt(branches),
        })
    }

    fn sequence(&mut self, flags: Flags) -> Option<Node> {
        let mut items: Vec<Node> = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            self.pos += 1;
            match c {
                '\\' => items.push(self.escape(flags)?),
                '[' => items.push(self.class(flags)?),
                '(' => {
                    if let Some(group) = self.group(flags)? {
                        items.push(group);
                    }
                }
                '.' => items.push(Node::Set(if flags.dot_all {
                    CharSet::any()
                } else {
                    CharSet::one(u32::from('\n')).complement()
                })),
                '^' => items.push(Node::Assert(if flags.multiline {
                    Assertion::LineStart
                } else {
                    Assertion::Start
                })),
                '$' => {
                    // Python's plain `$` also matches before a final
                    // newline; the crate cannot say that.
                    if !flags.multiline {
                        return None;
                    }
                    self.end_sensitive = true;
                    items.push(Node::Assert(Assertion::LineEnd));
                }
                '*' | '+' | '?' => {
                    let (min, max) = match c {
                        '*' => (0, None),
                        '+' => (1, None),
                        _ => (0, Some(1)),
                    };
                    self.quantify(&mut items, min, max)?;
                }
                '{' => match self.counted()? {
                    Some((min, max)) => self.quantify(&mut items, min, max)?,
                    None => items.push(self.literal(u32::from('{'), flags)?),
                },
                c => items.push(self.literal(u32::from(c), flags)?),
            }
        }
        Some(match items.len() {
            1 => items.pop()?,
            _ => Node::Concat(items),
        })
    }

    /// After `{`: `Some((min, max))` for a quantifier, `None` (position
    /// unchanged) when Python reads the `{` as a literal.
    fn counted(&mut self) -> Option<Option<(u32, Option<u32>)>> {
        let start = self.pos;
        // `{}` is a literal `{`, although `{,}` is a quantifier.
        if self.peek() == Some('}') {
            return Some(None);
        }
        let lo = self.digits();
        let hi = if self.eat(',') {
            self.digits()
        } else {
            lo.clone()
        };
        if !self.eat('}') {
            self.pos = start;
            return Some(None);
        }
        let min = if lo.is_empty() { 0 } else { parse_count(&lo)? };
        let max = if hi.is_empty() {
            None
        } else {
            Some(parse_count(&hi)?)
        };
        if max.is_some_and(|max| max < min) {
            return None;
        }
        Some(Some((min, max)))
    }

    fn digits(&mut self) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek().filter(char::is_ascii_digit) {
            s.push(c);
            self.pos += 1;
        }
        s
    }

    /// Applies a quantifier to the last item, with Python's rules for what can
    /// be repeated, and reads a lazy `?` (a possessive `+` is refused).
    fn quantify(&mut self, items: &mut Vec<Node>, min: u32, max: Option<u32>) -> Option<()> {
        let lazy = self.eat('?');
        if !lazy && self.peek() == Some('+') {
            return None;
        }
        let body = items.pop()?;
        match body {
            // "nothing to repeat" and "multiple repeat" in Python.
            Node::Assert(_) | Node::Repeat { .. } => return None,
            _ => {}
        }
        // A repeated sub-pattern that can match the empty string is where
        // the engines part: Python stops a loop after an empty iteration
        // and backtracks into the alternatives in its own order, the crate
        // prunes empty paths by state. Such a body is refused, unless it is
        // taken at most once, where no loop arises.
        if body.nullable() && max != Some(1) && max != Some(0) {
            return None;
        }
        items.push(Node::Repeat {
            body: Box::new(body),
            min,
            max,
            lazy,
        });
        Some(())
    }

    fn literal(&mut self, code: u32, flags: Flags) -> Option<Node> {
        Some(Node::Set(self.items_set(CharSet::one(code), flags)?))
    }

    /// The set a class's literal items (or one literal) match under `flags`:
    /// case-insensitively, Python's folding on ASCII letters, which on ASCII
    /// text is also what its Unicode folding does; the items must then be
    /// ASCII in Unicode mode, where Python also folds e.g. U+212A to `k`.
    fn items_set(&mut self, set: CharSet, flags: Flags) -> Option<CharSet> {
        if !flags.ignore_case {
            return Some(set);
        }
        if !flags.ascii {
            if !set.is_ascii() {
                return None;
            }
            if set.contains_ascii_letter() {
                self.unicode_exact = false;
            }
        }
        Some(set.ascii_case_closure())
    }

    /// `\d \w \s` (negated when upper case) under `flags`.
    fn category(&mut self, c: char, flags: Flags) -> Option<CharSet> {
        let set = match c.to_ascii_lowercase() {
            'd' => ascii_digit(),
            'w' => ascii_word(),
            's' => ascii_space(flags.ascii),
            _ => return None,
        };
        if !flags.ascii {
            self.unicode_exact = false;
        }
        Some(if c.is_ascii_uppercase() {
            set.complement()
        } else {
            set
        })
    }

    /// After a `\` outside a class.
    fn escape(&mut self, flags: Flags) -> Option<Node> {
        let c = self.next()?;
        match c {
            'A' => Some(Node::Assert(Assertion::Start)),
            'Z' => {
                self.end_sensitive = true;
                Some(Node::Assert(Assertion::End))
            }
            'b' => {
                self.end_sensitive = true;
                if !flags.ascii {
                    self.unicode_exact = false;
                }
                Some(Node::Assert(Assertion::WordBoundary))
            }
            'd' | 'D' | 'w' | 'W' | 's' | 'S' => Some(Node::Set(self.category(c, flags)?)),
            '0' => {
                let mut value = 0;
                for _ in 0..2 {
                    match self.peek().and_then(octal_digit) {
                        Some(d) => {
                            value = value * 8 + d;
                            self.pos += 1;
                        }
                        None => break,
                    }
                }
                self.literal(value, flags)
            }
            '1'..='9' => {
                // Three octal digits make an octal escape; anything else
                // is a group reference, refused.
                let first = octal_digit(c)?;
                let second = self.peek().and_then(octal_digit)?;
                let third = self
                    .chars
                    .get(self.pos + 1)
                    .copied()
                    .and_then(octal_digit)?;
                self.pos += 2;
                let value = first * 64 + second * 8 + third;
                if value > 0o377 {
                    return None;
                }
                self.literal(value, flags)
            }
            _ => {
                let code = self.common_escape(c)?;
                self.literal(code, flags)
            }
        }
    }

    /// The escapes that mean one character in and out of classes, after
    /// the `\` and `c`.
    fn common_escape(&mut self, c: char) -> Option<u32> {
        let code = match c {
            'a' => 0x07,
            'f' => 0x0C,
            'n' => 0x0A,
            'r' => 0x0D,
            't' => 0x09,
            'v' => 0x0B,
            'x' => self.hex(2)?,
            'u' => self.hex(4)?,
            'U' => self.hex(8)?,
            // Other letters are errors or meanings of their own (`\N{...}`
            // needs Python's name table); digits are handled by the callers.
            c if c.is_ascii_alphanumeric() => return None,
            c => u32::from(c),
        };
        // Python takes `\ud800`, a Rust text cannot hold it.
        if (SURROGATES.0..=SURROGATES.1).contains(&code) || code > MAX_CHAR {
            return None;
        }
        Some(code)
    }

    /// Exactly `n` hex digits, as Python requires after `\x`, `\u`, `\U`.
    fn hex(&mut self, n: usize) -> Option<u32> {
        let mut value: u32 = 0;
        for _ in 0..n {
            let d = self.next()?.to_digit(16)?;
            value = value.checked_mul(16)?.checked_add(d)?;
        }
        Some(value)
    }

    /// After `[`: a class, Python's way: a `]` right after `[` or `[^` is a
    /// literal, `-` at either edge is a literal, `[` and `&&`-like runs are
    /// literals.
    fn class(&mut self, flags: Flags) -> Option<Node> {
        let negate = self.eat('^');
        // Items made of literal characters, and category items, apart:
        // case folding applies to the former only. Collected, then sorted
        // once.
        let mut literal_items: Vec<(u32, u32)> = Vec::new();
        let mut categories: Vec<(u32, u32)> = Vec::new();
        let mut first = true;
        loop {
            let c = self.next()?;
            if c == ']' && !first {
                break;
            }
            first = false;
            let lo = match self.class_item(c, flags)? {
                ClassItem::Char(code) => code,
                ClassItem::Category(set) => {
                    // `[\d-]` is fine, `[\d-a]` is an error.
                    if self.peek() == Some('-') && self.chars.get(self.pos + 1) != Some(&']') {
                        return None;
                    }
                    categories.extend_from_slice(&set.ranges);
                    continue;
                }
            };
            let mut hi = lo;
            if self.peek() == Some('-') && self.chars.get(self.pos + 1) != Some(&']') {
                self.pos += 1;
                let end = self.next()?;
                hi = match self.class_item(end, flags)? {
                    ClassItem::Char(code) => code,
                    ClassItem::Category(_) => return None,
                };
                if hi < lo {
                    return None;
                }
            }
            literal_items.push((lo, hi));
        }
        let literal_items = self.items_set(CharSet::new(literal_items), flags)?;
        let set = literal_items.union(&CharSet::new(categories));
        Some(Node::Set(if negate { set.complement() } else { set }))
    }

    /// One class item starting with `c` (already read).
    fn class_item(&mut self, c: char, flags: Flags) -> Option<ClassItem> {
        if c != '\\' {
            return Some(ClassItem::Char(u32::from(c)));
        }
        let e = self.next()?;
        Some(match e {
            'd' | 'D' | 'w' | 'W' | 's' | 'S' => ClassItem::Category(self.category(e, flags)?),
            'b' => ClassItem::Char(0x08),
            '0'..='7' => {
                let mut value = octal_digit(e)?;
                for _ in 0..2 {
                    match self.peek().and_then(octal_digit) {
                        Some(d) => {
                            value = value * 8 + d;
                            self.pos += 1;
                        }
                        None => break,
                    }
                }
                if value > 0o377 {
                    return None;
                }
                ClassItem::Char(value)
            }
            e => ClassItem::Char(self.common_escape(e)?),
        })
    }

    /// After `(`: the group, `Ok(None)`-like `Some(None)` for a comment.
    fn group(&mut self, flags: Flags) -> Option<Option<Node>> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        let mut inner_flags = flags;
        if self.eat('?') {
            match self.next()? {
                ':' => {}
                'P' => {
                    if !self.eat('<') {
                        // `(?P=name)`, a backreference, or an error.
                        return None;
                    }
                    self.group_name()?;
                }
                '#' => {
                    // Python ends a comment at the first `)` that is not
                    // part of an escape.
                    loop {
                        match self.next()? {
                            '\\' => {
                                self.next()?;
                            }
                            ')' => return Some(None),
                            _ => {}
                        }
                    }
                }
                c => inner_flags = self.scoped_flags(c, flags)?,
            }
        }
        self.depth += 1;
        let inner = self.alternation(inner_flags)?;
        self.depth -= 1;
        if !self.eat(')') {
            return None;
        }
        Some(Some(Node::Group(Box::new(inner))))
    }

    /// A group name up to `>`: an ASCII identifier (Python takes any
    /// identifier; refusing the others spares us its XID tables), not seen
    /// before.
    fn group_name(&mut self) -> Option<()> {
        let mut name = String::new();
        loop {
            match self.next()? {
                '>' => break,
                c => name.push(c),
            }
        }
        let mut chars = name.chars();
        let head = chars.next()?;
        let word = |c: char| c == '_' || c.is_ascii_alphanumeric();
        if head.is_ascii_digit() || !word(head) || !chars.all(word) {
            return None;
        }
        self.names.insert(name).then_some(())
    }

    /// `(?flags:` or `(?flags-flags:` after `(?` and its first letter `c`;
    /// global flags `(?i)` and flags that change the syntax are refused.
    fn scoped_flags(&mut self, mut c: char, flags: Flags) -> Option<Flags> {
        let mut out = flags;
        let mut type_flag: Option<char> = None;
        let mut added = String::new();
        while c != '-' && c != ':' {
            match c {
                'i' => out.ignore_case = true,
                's' => out.dot_all = true,
                'm' => out.multiline = true,
                'a' | 'u' => {
                    if type_flag.is_some_and(|t| t != c) {
                        return None;
                    }
                    type_flag = Some(c);
                    out.ascii = c == 'a';
                }
                // `)` (global flags), `x` (verbose), `L`, `t` and anything else.
                _ => return None,
            }
            added.push(c);
            c = self.next()?;
        }
        if c == '-' {
            let mut removed = 0;
            loop {
                c = self.next()?;
                match c {
                    ':' if removed > 0 => break,
                    // Verbose mode is never on here, so turning it off
                    // changes nothing.
                    'i' | 's' | 'm' | 'x' if !added.contains(c) => match c {
                        'i' => out.ignore_case = false,
                        's' => out.dot_all = false,
                        'm' => out.multiline = false,
                        _ => {}
                    },
                    _ => return None,
                }
                removed += 1;
            }
        }
        Some(out)
    }
}

enum ClassItem {
    Char(u32),
    Category(CharSet),
}

fn octal_digit(c: char) -> Option<u32> {
    c.to_digit(8)
}

/// A repeat count; Python refuses 2**32 - 1 and above, we refuse far less
/// through the weight limit, so anything over it is simply refused here.
fn parse_count(digits: &str) -> Option<u32> {
    let n: u64 = digits.parse().ok()?;
    u32::try_from(n.min(u64::from(u32::MAX))).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    fn tr(pattern: &str) -> Translated {
        match translate(pattern) {
            Some(t) => t,
            None => panic!("{pattern:?} was refused"),
        }
    }

    fn rust(pattern: &str) -> String {
        tr(pattern).pattern
    }

    /// Whether the translation matches the whole of `text`, as Werkzeug's
    /// `re.compile(pattern + r"\Z").match(text)` would.
    fn full(pattern: &str, text: &str) -> bool {
        let t = tr(pattern);
        match Regex::new(&format!(r"^(?:{})\z", t.pattern)) {
            Ok(re) => re.is_match(text),
            Err(e) => panic!("{pattern:?} -> {:?}: {e}", t.pattern),
        }
    }

    /// The texts of the wrapper groups of `^(P1)(P2)...\z` on `text`.
    fn split(patterns: &[&str], text: &str) -> Option<Vec<String>> {
        let mut whole = String::from("^");
        for p in patterns {
            whole.push('(');
            whole.push_str(&rust(p));
            whole.push(')');
        }
        whole.push_str(r"\z");
        let re = Regex::new(&whole).ok()?;
        let caps = re.captures(text)?;
        Some(
            (1..=patterns.len())
                .map(|i| caps.get(i).map_or("", |m| m.as_str()).to_owned())
                .collect(),
        )
    }

    fn refused(pattern: &str) {
        assert_eq!(translate(pattern), None, "{pattern:?} should be refused");
    }

    #[test]
    fn pyregex_real_world_converters() {
        for (p, exact) in [
            ("[a-z]+", true),
            ("[^/]+", true),
            ("[0-9a-f]{24}", true),
            ("(?:en|de|fr)", true),
            ("[A-Za-z0-9_-]+", true),
            (".+", true),
            ("[^/].*?", true),
            (r"\w+", false),
            (r"\d{4}-\d{2}-\d{2}", false),
        ] {
            assert_eq!(tr(p).unicode_exact, exact, "{p}");
            assert!(!tr(p).end_sensitive, "{p}");
        }
        assert_eq!(rust("[^/]+"), "[^/]+");
        assert_eq!(rust("[a-z]+"), "[a-z]+");
        assert_eq!(rust("(?:en|de|fr)"), "(?:en|de|fr)");
        assert_eq!(rust("en|de"), "(?:en|de)");
        assert_eq!(rust(r"\d{4}"), "[0-9]{4}");
        assert!(full("[0-9a-f]{24}", "0123456789abcdef01234567"));
        assert!(!full("[0-9a-f]{24}", "0123456789abcdef0123456"));
        assert!(full(r"\d{4}-\d{2}-\d{2}", "2024-01-31"));
        assert!(full("[A-Za-z0-9_-]+", "a-_Z9"));
        assert!(!full("[A-Za-z0-9_-]+", "a.b"));
    }

    #[test]
    fn pyregex_literals_and_escapes() {
        assert!(full("héllo", "héllo"));
        assert!(full(r"a\.b\-c\/d\ e", "a.b-c/d e"));
        assert!(!full(r"a\.b", "axb"));
        assert!(full(r"\t\n\r\f\v\a\0", "\t\n\r\x0c\x0b\x07\0"));
        assert!(full(r"\x41\u00e9\U0001F600", "Aé😀"));
        assert!(full(r"\01\012\101\1234", "\x01\nAS4"));
        assert!(full(r"\\", "\\"));
        assert!(full(r"\é", "é"));
        assert!(full(r"{}", "{}"));
        assert!(full(r"a{", "a{"));
        assert!(full(r"a{1", "a{1"));
        assert!(full(r"a{1,2,3}", "a{1,2,3}"));
        assert!(full(r"a{x}", "a{x}"));
        assert!(full(r"a}]", "a}]"));
        assert!(full(r"{*", "{{{"));
        assert!(full("&&--~~", "&&--~~"));
        for p in [
            r"\1",
            r"\8",
            r"\12",
            r"(a)\1",
            r"\400",
            r"\N{EM DASH}",
            r"\z",
            r"\q",
            r"\x4",
            r"\u12",
            r"\U0011FFFF",
            r"\ud800",
            r"\",
            "a)",
            "(a",
        ] {
            refused(p);
        }
    }

    #[test]
    fn pyregex_dot_and_anchors() {
        assert!(full(".", "é"));
        assert!(!full(".", "\n"));
        assert!(full("(?s:.)", "\n"));
        assert!(full("^a", "a"));
        assert!(!full("a^b", "ab"));
        assert!(full(r"\Aab", "ab"));
        assert!(full(r"a\Z", "a"));
        assert!(tr(r"a\Z").end_sensitive);
        assert!(tr(r"a\Z").unicode_exact);
        assert!(!tr("^a").end_sensitive);
        assert!(full(r"(?m:a$\n^b)", "a\nb"));
        assert!(tr(r"(?m:a$)").end_sensitive);
        refused("a$");
        refused("(?m:a)$");
    }

    #[test]
    fn pyregex_word_boundary() {
        let t = tr(r"a\b");
        assert!(t.end_sensitive && !t.unicode_exact);
        assert!(full(r"a\b", "a"));
        assert!(!full(r"\b", ""));
        assert!(split(&[r"\w+\b", r".*"], "ab-c") == Some(vec!["ab".into(), "-c".into()]));
        let t = tr(r"(?a:a\b)");
        assert!(t.end_sensitive && t.unicode_exact);
        // Python's ASCII \b sees no word character in é.
        assert!(split(&[r"(?a:a\b)", ".*"], "aé") == Some(vec!["a".into(), "é".into()]));
        // Python's \B never matches an empty string, the crate's does.
        refused(r"\B");
        refused(r"(?a:\B)");
        refused(r"\b*");
    }

    #[test]
    fn pyregex_categories() {
        assert_eq!(rust(r"\d"), "[0-9]");
        assert_eq!(rust(r"\w"), "[0-9A-Z_a-z]");
        assert!(full(r"\s", "\x1c"));
        assert!(!full(r"(?a:\s)", "\x1c"));
        assert!(full(r"\s\s\s\s", " \t\n\x0b"));
        assert!(full(r"\D\W\S", "a.x"));
        assert!(!full(r"\D", "5"));
        assert!(!tr(r"\D").unicode_exact);
        let t = tr(r"(?a:\d\w\s\D\W\S)");
        assert!(t.unicode_exact);
        assert!(full(r"(?a:\D\W\S)", "٤éé"));
        assert!(!full(r"(?a:\d)", "٤"));
        assert!(!tr(r"(?a:(?u:\d))").unicode_exact);
        assert!(!tr(r"[\w]").unicode_exact);
        assert!(tr(r"(?a:[\w.])").unicode_exact);
    }

    #[test]
    fn pyregex_classes() {
        assert!(full("[]a]+", "]a]"));
        assert!(full("[^]a]", "b"));
        assert!(!full("[^]a]", "]"));
        assert!(full("[]-a]", "_"));
        assert!(full("[-a]", "-"));
        assert!(full("[a-]", "-"));
        assert!(full("[--]", "-"));
        assert!(full("[---]", "-"));
        assert!(full("[%--]", ","));
        assert!(full("[a-c-e]", "-"));
        assert!(!full("[a-c-e]", "d"));
        assert!(full("[[]", "["));
        assert!(full("[a&&b]+", "&a&b"));
        refused("[a--b]");
        assert!(full("[~~]", "~"));
        assert!(full("[||]", "|"));
        assert!(full(r"[\]\\\^]+", r"]\^"));
        assert!(full(r"[\b]", "\x08"));
        assert!(full(r"[\1\18\377]+", "\x01\x018\u{ff}"));
        assert!(full(r"[\x41-\x43\u00e9]+", "ABCé"));
        assert!(full(r"[\d-]+", "1-2"));
        assert!(full(r"[^\D]", "7"));
        assert!(full(r"[^\d\D]?", ""));
        assert!(full(r"[\d\D]", "é"));
        assert!(full(r"[\x00-\U0010ffff]", "😀"));
        assert!(full(r"[\ud7ff-\ue000]", "\u{d7ff}"));
        assert!(!full("[^/]", "/"));
        assert!(full("[^/]", "\n"));
        for p in [
            r"[\d-a]",
            r"[a-\d]",
            "[b-a]",
            "[]",
            "[^]",
            "[a",
            r"[\8]",
            r"[\400]",
            r"[\A]",
            r"[\Z]",
            r"[\B]",
            r"[\N{EM DASH}]",
            r"[\ud800]",
            r"[\ud800-\udfff]",
            r"[\q]",
        ] {
            refused(p);
        }
    }

    #[test]
    fn pyregex_quantifiers() {
        assert!(full("a*b+c?", "aabbb"));
        assert!(full("a{2}b{1,2}c{2,}d{,2}e{,}", "aabbcccdee"));
        assert!(!full("a{2}", "aaa"));
        assert!(full("a{0}", ""));
        assert!(full("a{01,02}", "aa"));
        assert_eq!(rust("a{,2}"), "a{0,2}");
        assert_eq!(rust("a{,}"), "a*");
        assert_eq!(
            split(&["a+?", "a*"], "aaa"),
            Some(vec!["a".into(), "aa".into()])
        );
        assert_eq!(
            split(&["a*?", "a*"], "aaa"),
            Some(vec!["".into(), "aaa".into()])
        );
        assert_eq!(
            split(&["a{1,3}?", "a*"], "aaa"),
            Some(vec!["a".into(), "aa".into()])
        );
        assert_eq!(
            split(&["a??", "a*"], "a"),
            Some(vec!["".into(), "a".into()])
        );
        assert_eq!(
            split(&["[^/].*?", "(?:/x)?"], "ab/x"),
            Some(vec!["ab".into(), "/x".into()])
        );
        assert!(full("a(?#c)*", "aaa"));
        assert!(full("(?:ab)+", "abab"));
        assert!(full("(?:a?)?", ""));
        for p in [
            "*",
            "a**",
            "a*+",
            "a++",
            "a?+",
            "a{1,2}+",
            "a{2}{3}",
            "a*?+",
            "(?>a)",
            "a{2,1}",
            "^*",
            r"\A+",
            r"\Z?",
            "(?#c)*",
            "a|*",
            "(?:a*)*",
            "(?:a?)+",
            "(?:a|)*",
            "(?:)*",
            "(?:a?){2}",
            r"(?:\b)*",
            "a{4294967295}",
            "a{99999999999999999999999}",
        ] {
            refused(p);
        }
    }

    #[test]
    fn pyregex_repetition_limit() {
        assert!(translate("[^/]{1,1000}").is_some());
        refused("[^/]{1,1001}");
        refused("(?:a{100}){100}");
        assert!(translate("(?:a{10}){100}").is_some());
        refused("a{500}b{501}");
        refused("(?:a{2,}){1000}");
    }

    #[test]
    fn pyregex_alternation() {
        assert_eq!(
            split(&["a|ab", "b*"], "abb"),
            Some(vec!["a".into(), "bb".into()])
        );
        assert_eq!(
            split(&["ab|a", "b*"], "abb"),
            Some(vec!["ab".into(), "b".into()])
        );
        assert_eq!(
            split(&["(?:a|b(?:c|))d", ".*"], "bd"),
            Some(vec!["bd".into(), "".into()])
        );
        assert!(full("a|", ""));
        assert!(full("x(?:a|b)y", "xby"));
        assert!(!full("x(?:a|b)y", "xa"));
        assert!(!full("xa|by", "xy"));
    }

    #[test]
    fn pyregex_groups_and_flags() {
        assert!(full("(a)(?:b)(?P<n>c)()", "abc"));
        assert_eq!(rust("(a)(?P<n>c)"), "ac");
        refused("(?P<n>a)(?P<n>b)");
        refused("(?P<1>a)");
        refused("(?P<>a)");
        refused("(?P<é>a)");
        assert!(full("(?P<_x9>a)", "a"));
        refused("(?P=n)");
        refused("(?P<n>a)(?P=n)");
        assert!(full("(?i:aBc)", "AbC"));
        assert!(full("(?i:[Z-a])", "z"));
        assert!(full("(?i:[Z-a])", "A"));
        assert!(!full("(?i:[^k])", "K"));
        assert!(!tr("(?i:k)").unicode_exact);
        assert!(tr("(?i:[0-9_])").unicode_exact);
        assert!(full("(?i:a(?-i:b))", "Ab"));
        assert!(!full("(?i:a(?-i:b))", "AB"));
        assert!(full("(?s:.(?-s:.))", "\na"));
        assert!(!full("(?s:.(?-s:.))", "\n\n"));
        // ASCII folding: exact on any text, the Kelvin sign is not a k.
        let t = tr("(?ai:k)");
        assert!(t.unicode_exact);
        assert!(!full("(?ai:k)", "\u{212a}"));
        assert!(full("(?ai:é)", "é"));
        refused("(?i:é)");
        refused("(?i:[a-é])");
        refused(r"(?i:\u212a)");
        refused("(?i:[^é])");
        for p in [
            "(?i)a",
            "a(?i)",
            "(?x:a)",
            "(?L:a)",
            "(?t:a)",
            "(?au:a)",
            "(?-a:a)",
            "(?i-i:a)",
            "(?-:a)",
            "(?i",
            "(?=a)",
            "(?!a)",
            "(?<=a)",
            "(?<!a)",
            "(?(1)a|b)",
            "(a)(?(1)a|b)",
            "(?>a)",
            "(?#unterminated",
            "(?Px)",
            "(?",
            "(?-i)",
        ] {
            refused(p);
        }
        assert!(full("(?-x:a)", "a"));
        assert!(full("(?#a\\)b)c", "c"));
        assert!(full("(?aa:a)(?u:b)", "ab"));
    }

    #[test]
    fn pyregex_nesting_is_bounded() {
        let deep = format!("{}a{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(translate(&deep).is_some());
        let deeper = format!(
            "{}a{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        refused(&deeper);
        refused(&"(".repeat(100_000));
        refused(&"[".repeat(100_000));
        // One sort per class, not one per item.
        let wide = format!("[{}]", "a-b".repeat(200_000));
        assert_eq!(rust(&wide), "[ab]");
        let names: String = (0..20_000).map(|i| format!("(?P<n{i}>)")).collect();
        assert!(translate(&names).is_some_and(|t| t.pattern.is_empty()));
    }

    #[test]
    fn pyregex_every_output_compiles() {
        // Whatever the input, the function answers without panicking and
        // what it answers compiles.
        let pieces = [
            "a", "é", "\\", "[", "]", "^", "-", "(", ")", "?", ":", "P", "<", ">", "{", "}", ",",
            "1", "0", "*", "+", "|", ".", "$", "i", "x", "d", "b", "#", "=", "!", "u", "&",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            let mut p = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 9) as usize;
            for k in 0..len {
                let i = ((state >> (k * 5)) % pieces.len() as u64) as usize;
                p.push_str(pieces.get(i).copied().unwrap_or(""));
            }
            if let Some(t) = translate(&p) {
                assert!(Regex::new(&t.pattern).is_ok(), "{p:?} -> {:?}", t.pattern);
            }
        }
    }
}
