//! The state machine that matches a request against the rules, transition by
//! transition, in Werkzeug's order: static before dynamic, dynamic ones by
//! weight, backtracking when a subtree fails, slash redirects and the
//! merged-slashes retry as Werkzeug does them.

use crate::routing::converter::{translate_python_regex, Builtin};
use crate::routing::part::{DynamicPart, Part, Piece};
use crate::routing::rule::merge_slash_runs;
use crate::routing::text::same;
use regex::Regex;
use smallvec::SmallVec;
use std::borrow::Cow;

/// What the matcher needs of a rule besides its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// `None` allows every method.
    pub methods: Option<Vec<String>>,
    pub websocket: bool,
    pub strict_slashes: bool,
    pub merge_slashes: bool,
}

impl RuleInfo {
    fn allows(&self, method: &str) -> bool {
        self.methods
            .as_ref()
            .is_none_or(|m| m.iter().any(|x| same(x, method)))
    }
}

/// How a dynamic transition tests its target.
#[derive(Debug)]
enum Test {
    Builtin(Builtin),
    /// The compiled regex and, in Werkzeug's order, the capture group of
    /// each converter.
    Regex(Regex, Vec<usize>),
    /// Left to the caller (Python's `re`), by transition id.
    External,
}

#[derive(Debug)]
struct Transition {
    part: DynamicPart,
    test: Test,
    to: usize,
}

/// A state's static transitions. Most states have a handful, where a scan
/// is fastest; states with many (a REST API's resource names) are bucketed
/// by length, which spreads real names well without hashing.
#[derive(Debug, Default)]
enum Statics {
    #[default]
    None,
    Few(Vec<(Box<str>, usize)>),
    ByLen(Vec<Vec<(Box<str>, usize)>>),
}

const FEW: usize = 8;
const LONGEST_BUCKET: usize = 32;

fn find(entries: &[(Box<str>, usize)], key: &str) -> Option<usize> {
    entries.iter().find(|(k, _)| same(k, key)).map(|&(_, s)| s)
}

impl Statics {
    fn get(&self, key: &str) -> Option<usize> {
        match self {
            Statics::None => None,
            Statics::Few(v) => find(v, key),
            Statics::ByLen(b) => find(&b[key.len().min(LONGEST_BUCKET)], key),
        }
    }

    fn insert(&mut self, key: String, state: usize) {
        match self {
            Statics::None => *self = Statics::Few(vec![(key.into(), state)]),
            Statics::Few(v) if v.len() < FEW => v.push((key.into(), state)),
            Statics::Few(v) => {
                let mut buckets = vec![Vec::new(); LONGEST_BUCKET + 1];
                for (k, s) in v.drain(..).chain(std::iter::once((key.into(), state))) {
                    buckets[k.len().min(LONGEST_BUCKET)].push((k, s));
                }
                *self = Statics::ByLen(buckets);
            }
            Statics::ByLen(b) => b[key.len().min(LONGEST_BUCKET)].push((key.into(), state)),
        }
    }
}

#[derive(Debug, Default)]
struct State {
    statics: Statics,
    dynamic: Vec<usize>,
    rules: Vec<usize>,
}

/// The raw text of each converter's value, in rule order; inline, as rules
/// rarely have more than a few.
pub type Values<'p> = SmallVec<[Cow<'p, str>; 6]>;

/// The outcome of a match.
#[derive(Debug, PartialEq)]
pub enum Outcome<'p> {
    /// A rule and the raw text of each converter's value, in rule order.
    Rule(usize, Values<'p>),
    /// Redirect to this path (a missing trailing slash, or merged slashes).
    Redirect(String),
    NoMatch,
}

#[derive(Debug, PartialEq)]
pub struct Match<'p> {
    pub outcome: Outcome<'p>,
    /// Methods of rules that matched the path but not the method.
    pub have_match_for: Vec<String>,
    pub websocket_mismatch: bool,
}

/// A test the caller runs for an external transition: the transition id and
/// the target, answering the converters' values in order, or None.
pub type ExternalTest<'a, E> = dyn FnMut(usize, &str) -> Result<Option<Vec<String>>, E> + 'a;

#[derive(Debug)]
pub struct Matcher {
    states: Vec<State>,
    transitions: Vec<Transition>,
    rules: Vec<RuleInfo>,
    pub merge_slashes: bool,
}

impl Default for Matcher {
    fn default() -> Self {
        Self::new(true)
    }
}

/// Where the walk is in the list `[domain, *path.split("/")]`.
#[derive(Clone, Copy, PartialEq)]
enum Cursor {
    Domain,
    /// The path segment starting at this byte offset.
    Seg(usize),
    End,
    /// The `[""]` left over after a suffixed final part matched its slash.
    TrailingSlash,
}

struct Input<'p> {
    domain: &'p str,
    path: &'p str,
}

impl<'p> Input<'p> {
    fn is_only_empty(&self, c: Cursor) -> bool {
        match c {
            Cursor::TrailingSlash => true,
            Cursor::Seg(s) => s == self.path.len(),
            Cursor::Domain => false,
            Cursor::End => false,
        }
    }

    /// Byte search: `str::find` with a char pattern ends each hit with a
    /// memcmp call, which showed up as a quarter of a route match.
    fn seg_end(&self, s: usize) -> Option<usize> {
        self.path.as_bytes()[s..]
            .iter()
            .position(|&b| b == b'/')
            .map(|i| s + i)
    }

    /// The head of the list at `c` and the cursor after it.
    fn split(&self, c: Cursor) -> (&'p str, Cursor) {
        match c {
            Cursor::Domain => (self.domain, Cursor::Seg(0)),
            Cursor::Seg(s) => match self.seg_end(s) {
                Some(e) => (&self.path[s..e], Cursor::Seg(e + 1)),
                None => (&self.path[s..], Cursor::End),
            },
            Cursor::End | Cursor::TrailingSlash => ("", Cursor::End),
        }
    }

    /// The rest of the list joined with slashes.
    fn rest(&self, c: Cursor) -> Cow<'p, str> {
        match c {
            Cursor::Domain => Cow::Owned(format!("{}/{}", self.domain, self.path)),
            Cursor::Seg(s) => Cow::Borrowed(&self.path[s..]),
            Cursor::End | Cursor::TrailingSlash => Cow::Borrowed(""),
        }
    }
}

/// Why a search stopped early: a strict-slashes rule would match with a
/// trailing slash added (redirect), or the caller's test failed.
enum Stop<E> {
    SlashRequired,
    External(E),
}

struct Walk<'m, 'p, 'e, E> {
    m: &'m Matcher,
    input: Input<'p>,
    method: &'m str,
    websocket: bool,
    have_match_for: &'m mut Vec<String>,
    websocket_mismatch: &'m mut bool,
    ext: &'m mut ExternalTest<'e, E>,
    /// Set when the search must stop: the caller reads it after `walk`.
    stop: Option<Stop<E>>,
}

impl<'p, E> Walk<'_, 'p, '_, E> {
    /// The first rule of `state` usable for this method and websocket flag,
    /// noting why the others were not.
    fn pick(&mut self, state: usize, skip_strict: bool) -> Option<usize> {
        for &r in &self.m.states[state].rules {
            let info = &self.m.rules[r];
            if skip_strict && info.strict_slashes {
                continue;
            }
            if !info.allows(self.method) {
                if let Some(methods) = &info.methods {
                    for x in methods {
                        if !self.have_match_for.iter().any(|h| same(h, x)) {
                            self.have_match_for.push(x.clone());
                        }
                    }
                }
            } else if info.websocket != self.websocket {
                *self.websocket_mismatch = true;
            } else {
                return Some(r);
            }
        }
        None
    }

    fn walk(&mut self, state: usize, cur: Cursor, values: &mut Values<'p>) -> Option<usize> {
        let m = self.m;
        let st = &m.states[state];
        if cur == Cursor::End {
            if let Some(r) = self.pick(state, false) {
                return Some(r);
            }
            if let Some(slash) = st.statics.get("") {
                for &r in &m.states[slash].rules {
                    let info = &m.rules[r];
                    if info.websocket == self.websocket && info.allows(self.method) {
                        if info.strict_slashes {
                            self.stop = Some(Stop::SlashRequired);
                            return None;
                        }
                        return Some(r);
                    }
                }
            }
            return None;
        }
        let (head, after) = self.input.split(cur);
        if let Some(next) = st.statics.get(head) {
            let found = self.walk(next, after, values);
            if found.is_some() || self.stop.is_some() {
                return found;
            }
        }
        for &t in &st.dynamic {
            let tr = &m.transitions[t];
            let (mut target, mut remaining) = if tr.part.final_ {
                (self.input.rest(cur), Cursor::End)
            } else {
                (Cow::Borrowed(head), after)
            };
            if tr.part.suffixed && target.as_bytes().last() == Some(&b'/') {
                // The slash is the rule's own trailing slash, unless the
                // converter's value would then end in a slash too.
                if target.len() >= 2 && target.as_bytes()[target.len() - 2] == b'/' {
                    continue;
                }
                target = match target {
                    Cow::Borrowed(s) => Cow::Borrowed(&s[..s.len() - 1]),
                    Cow::Owned(mut s) => {
                        s.pop();
                        Cow::Owned(s)
                    }
                };
                remaining = Cursor::TrailingSlash;
            }
            let mark = values.len();
            let matched = match &tr.test {
                Test::Builtin(b) => {
                    let ok = b.full_match(&target);
                    if ok {
                        values.push(target);
                    }
                    ok
                }
                Test::Regex(re, groups) => match re.captures(&target) {
                    Some(caps) => {
                        for &g in groups {
                            let range = caps.get(g).map_or(0..0, |x| x.range());
                            values.push(match &target {
                                Cow::Borrowed(s) => Cow::Borrowed(&s[range]),
                                Cow::Owned(s) => Cow::Owned(s[range].to_owned()),
                            });
                        }
                        true
                    }
                    None => false,
                },
                Test::External => match (self.ext)(t, &target) {
                    Err(e) => {
                        self.stop = Some(Stop::External(e));
                        return None;
                    }
                    Ok(Some(vs)) => {
                        values.extend(vs.into_iter().map(Cow::Owned));
                        true
                    }
                    Ok(None) => false,
                },
            };
            if matched {
                let found = self.walk(tr.to, remaining, values);
                if found.is_some() || self.stop.is_some() {
                    return found;
                }
                values.truncate(mark);
            }
        }
        if self.input.is_only_empty(cur) {
            if let Some(r) = self.pick(state, true) {
                return Some(r);
            }
        }
        None
    }
}

/// The regex of a dynamic part in the `regex` crate's syntax, with the
/// converters' groups in Werkzeug's value order (sorted by group name).
fn compile_part(part: &DynamicPart) -> Option<(Regex, Vec<usize>)> {
    let mut src = String::from("^");
    let mut n = 0usize;
    for piece in &part.pieces {
        match piece {
            Piece::Static(s) => src.push_str(&regex::escape(s)),
            Piece::Slash => src.push('/'),
            Piece::Conv(spec) => {
                src.push_str(&format!(
                    "(?P<__werkzeug_{n}>{})",
                    translate_python_regex(&spec.regex)?
                ));
                n += 1;
            }
        }
    }
    src.push_str(r"\z");
    let re = Regex::new(&src).ok()?;
    let mut names: Vec<String> = (0..n).map(|i| format!("__werkzeug_{i}")).collect();
    names.sort();
    let mut groups = Vec::with_capacity(n);
    for name in names {
        let idx = re.capture_names().position(|c| c == Some(name.as_str()))?;
        groups.push(idx);
    }
    Some((re, groups))
}

impl Matcher {
    pub fn new(merge_slashes: bool) -> Self {
        Matcher {
            states: vec![State::default()],
            transitions: Vec::new(),
            rules: Vec::new(),
            merge_slashes,
        }
    }

    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    pub fn rule(&self, id: usize) -> Option<&RuleInfo> {
        self.rules.get(id)
    }

    /// The part of a transition whose test is left to the caller.
    pub fn transition_part(&self, id: usize) -> Option<&DynamicPart> {
        self.transitions.get(id).map(|t| &t.part)
    }

    /// Adds a rule; returns its id and the ids of new transitions that the
    /// caller must test itself (their regex is beyond the `regex` crate).
    pub fn add(&mut self, parts: Vec<Part>, info: RuleInfo) -> (usize, Vec<usize>) {
        let mut external = Vec::new();
        let mut state = 0;
        for part in parts {
            state = match part {
                Part::Static(text) => match self.states[state].statics.get(&text) {
                    Some(s) => s,
                    None => {
                        let s = self.new_state();
                        self.states[state].statics.insert(text, s);
                        s
                    }
                },
                Part::Dynamic(dp) => {
                    let existing = self.states[state]
                        .dynamic
                        .iter()
                        .map(|&t| &self.transitions[t])
                        .find(|t| t.part == dp)
                        .map(|t| t.to);
                    match existing {
                        Some(s) => s,
                        None => {
                            let to = self.new_state();
                            let builtin = match &dp.pieces[..] {
                                [Piece::Conv(spec)] => Builtin::recognise(&spec.regex),
                                _ => None,
                            };
                            let test = match builtin.map(Test::Builtin) {
                                Some(t) => t,
                                None => match compile_part(&dp) {
                                    Some((re, groups)) => Test::Regex(re, groups),
                                    None => Test::External,
                                },
                            };
                            let id = self.transitions.len();
                            if matches!(test, Test::External) {
                                external.push(id);
                            }
                            self.transitions.push(Transition { part: dp, test, to });
                            self.states[state].dynamic.push(id);
                            to
                        }
                    }
                }
            };
        }
        let id = self.rules.len();
        self.rules.push(info);
        self.states[state].rules.push(id);
        (id, external)
    }

    fn new_state(&mut self) -> usize {
        self.states.push(State::default());
        self.states.len() - 1
    }

    /// Orders every state's dynamic transitions by weight; ties keep the order
    /// in which they were created.
    pub fn sort(&mut self) {
        let transitions = &self.transitions;
        for st in &mut self.states {
            st.dynamic.sort_by(|&a, &b| {
                transitions[a]
                    .part
                    .weight
                    .order(&transitions[b].part.weight)
            });
        }
    }

    /// Matches `path` (with its leading slash, or empty) on `domain` (the
    /// subdomain, or the host under host matching).
    pub fn match_path<'p, E>(
        &self,
        domain: &'p str,
        path: &'p str,
        method: &str,
        websocket: bool,
        ext: &mut ExternalTest<'_, E>,
    ) -> Result<Match<'p>, E> {
        let mut have_match_for = Vec::new();
        let mut websocket_mismatch = false;
        let mut values = Values::new();
        let mut walk = Walk {
            m: self,
            input: Input { domain, path },
            method,
            websocket,
            have_match_for: &mut have_match_for,
            websocket_mismatch: &mut websocket_mismatch,
            ext,
            stop: None,
        };
        let first = walk.walk(0, Cursor::Domain, &mut values);
        let stop = walk.stop.take();
        let outcome = match (stop, first) {
            (Some(Stop::External(e)), _) => return Err(e),
            (Some(Stop::SlashRequired), _) => Outcome::Redirect(format!("{path}/")),
            (None, Some(rule)) => Outcome::Rule(rule, values),
            (None, None) if self.merge_slashes => {
                let merged = merge_slash_runs(path);
                let (stop, second) = {
                    let mut scratch = Values::new();
                    let mut walk = Walk {
                        m: self,
                        input: Input {
                            domain,
                            path: &merged,
                        },
                        method,
                        websocket,
                        have_match_for: &mut have_match_for,
                        websocket_mismatch: &mut websocket_mismatch,
                        ext,
                        stop: None,
                    };
                    let second = walk.walk(0, Cursor::Domain, &mut scratch);
                    (walk.stop.take(), second)
                };
                match (stop, second) {
                    (Some(Stop::External(e)), _) => return Err(e),
                    (Some(Stop::SlashRequired), _) => Outcome::Redirect(format!("{merged}/")),
                    (None, Some(rule)) if self.rules[rule].merge_slashes => {
                        Outcome::Redirect(merged)
                    }
                    (None, _) => Outcome::NoMatch,
                }
            }
            (None, None) => Outcome::NoMatch,
        };
        Ok(Match {
            outcome,
            have_match_for,
            websocket_mismatch,
        })
    }
}

#[cfg(test)]
mod tests_support {
    use super::*;
    use crate::routing::converter::ConverterSpec;
    use crate::routing::part::split_parts;
    use crate::routing::rule::{parse_rule, Token};

    pub fn spec_for(conv: Option<&str>) -> ConverterSpec {
        match conv {
            Some("int") => ConverterSpec::new(r"\d+", 50.0, true),
            Some("path") => ConverterSpec::new("[^/].*?", 200.0, false),
            _ => ConverterSpec::new("[^/]{1,}", 100.0, true),
        }
    }

    pub fn add(m: &mut Matcher, rule: &str, methods: Option<&[&str]>, strict: bool) -> usize {
        let mut parts = vec![Part::Static(String::new())];
        let tokens = parse_rule(rule, true).unwrap();
        let specs: Vec<ConverterSpec> = tokens
            .iter()
            .filter_map(|t| match t {
                Token::Var(v) => Some(spec_for(v.converter.as_deref())),
                _ => None,
            })
            .collect();
        parts.extend(split_parts(&tokens, &specs));
        let info = RuleInfo {
            methods: methods.map(|ms| ms.iter().map(|s| s.to_string()).collect()),
            websocket: false,
            strict_slashes: strict,
            merge_slashes: true,
        };
        m.add(parts, info).0
    }

    pub fn run<'p>(m: &Matcher, path: &'p str, method: &str) -> Match<'p> {
        let mut ext = |_: usize, _: &str| -> Result<Option<Vec<String>>, ()> { Ok(None) };
        m.match_path("", path, method, false, &mut ext).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::*;
    use super::*;

    #[test]
    fn static_before_dynamic_with_backtracking() {
        let mut m = Matcher::default();
        let ab = add(&mut m, "/a/b", None, true);
        let xc = add(&mut m, "/<x>/c", None, true);
        m.sort();
        assert_eq!(
            run(&m, "/a/b", "GET").outcome,
            Outcome::Rule(ab, Values::new())
        );
        assert_eq!(
            run(&m, "/a/c", "GET").outcome,
            Outcome::Rule(xc, Values::from_vec(vec![Cow::Borrowed("a")]))
        );
    }

    #[test]
    fn lighter_converters_first() {
        let mut m = Matcher::default();
        let s = add(&mut m, "/<s>", None, true);
        let i = add(&mut m, "/<int:i>", None, true);
        m.sort();
        assert_eq!(
            run(&m, "/42", "GET").outcome,
            Outcome::Rule(i, Values::from_vec(vec![Cow::Borrowed("42")]))
        );
        assert_eq!(
            run(&m, "/x", "GET").outcome,
            Outcome::Rule(s, Values::from_vec(vec![Cow::Borrowed("x")]))
        );
    }

    #[test]
    fn method_not_allowed_is_a_last_resort() {
        let mut m = Matcher::default();
        add(&mut m, "/a", Some(&["POST"]), true);
        let x = add(&mut m, "/<x>", Some(&["GET", "HEAD"]), true);
        m.sort();
        assert_eq!(
            run(&m, "/a", "GET").outcome,
            Outcome::Rule(x, Values::from_vec(vec![Cow::Borrowed("a")]))
        );
        let r = run(&m, "/a", "PUT");
        assert_eq!(r.outcome, Outcome::NoMatch);
        let mut methods = r.have_match_for.clone();
        methods.sort();
        assert_eq!(methods, vec!["GET", "HEAD", "POST"]);
    }

    #[test]
    fn slash_redirect_stops_the_search() {
        let mut m = Matcher::default();
        add(&mut m, "/foo/", None, true);
        add(&mut m, "/<x>", None, true);
        m.sort();
        assert_eq!(
            run(&m, "/foo", "GET").outcome,
            Outcome::Redirect("/foo/".into())
        );
    }

    #[test]
    fn merged_slashes_redirect() {
        let mut m = Matcher::default();
        add(&mut m, "/a/b", None, true);
        m.sort();
        assert_eq!(
            run(&m, "/a//b", "GET").outcome,
            Outcome::Redirect("/a/b".into())
        );
        assert_eq!(run(&m, "/a//c", "GET").outcome, Outcome::NoMatch);
    }

    #[test]
    fn path_converter_with_trailing_slash() {
        let mut m = Matcher::default();
        let r = add(&mut m, "/f/<path:p>/", None, true);
        m.sort();
        assert_eq!(
            run(&m, "/f/a/b/", "GET").outcome,
            Outcome::Rule(r, Values::from_vec(vec![Cow::Borrowed("a/b")]))
        );
        assert_eq!(
            run(&m, "/f/a/b", "GET").outcome,
            Outcome::Redirect("/f/a/b/".into())
        );
        assert_eq!(
            run(&m, "/f/a//", "GET").outcome,
            Outcome::Redirect("/f/a/".into())
        );
    }

    #[test]
    fn non_strict_rule_matches_with_a_slash() {
        let mut m = Matcher::default();
        let r = add(&mut m, "/a", None, false);
        let s = add(&mut m, "/b/", None, false);
        m.sort();
        assert_eq!(
            run(&m, "/a/", "GET").outcome,
            Outcome::Rule(r, Values::new())
        );
        assert_eq!(
            run(&m, "/b", "GET").outcome,
            Outcome::Rule(s, Values::new())
        );
    }

    #[test]
    fn mixed_segment_uses_a_regex() {
        let mut m = Matcher::default();
        let r = add(&mut m, "/v<int:a>.<b>", None, true);
        m.sort();
        assert_eq!(
            run(&m, "/v1.x.y", "GET").outcome,
            Outcome::Rule(
                r,
                Values::from_vec(vec![Cow::Borrowed("1"), Cow::Borrowed("x.y")])
            )
        );
        assert_eq!(run(&m, "/vx.y", "GET").outcome, Outcome::NoMatch);
    }
}
