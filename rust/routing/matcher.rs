//! The state machine that matches a request against the rules, in
//! Werkzeug's order: static transitions before dynamic ones, dynamic ones by
//! weight, backtracking when a subtree fails, slash redirects and the
//! merged-slashes retry as Werkzeug does them.
//!
//! The machine is built from Werkzeug's own description of each rule (its
//! parts, as `Rule.compile` writes them) and never changes once built: a
//! change to the rules builds a new one. What Werkzeug reads from a rule
//! while matching (its methods, websocket flag, strict and merge slashes) is
//! asked of the caller's [`Hooks`] at that moment, not copied here, and so
//! is the test of any part whose regex only Python's `re` can run exactly.

use std::borrow::Cow;

use regex::Regex;
use smallvec::SmallVec;

use crate::routing::content::{pieces, Piece};
use crate::routing::converter::Builtin;
use crate::routing::pyregex::translate;
use crate::routing::str_eq::same;

/// One part of a rule, as Werkzeug's `RulePart` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartSpec {
    /// A static part: its text.
    Static(String),
    Dynamic(DynamicSpec),
}

/// A dynamic part. Two are the same transition when all four are equal,
/// as Werkzeug compares `RulePart`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamicSpec {
    /// The regex Werkzeug matches the part with, in Python's syntax.
    pub content: String,
    /// Consumes the rest of the path.
    pub final_: bool,
    /// A final part whose rule ends in a slash (the regex ends in
    /// `(?<!/)(/?)`).
    pub suffixed: bool,
    /// The rank of the part's weight among all weights: transitions are
    /// tried in rank order, ties in the order they were added.
    pub rank: u32,
}

/// The values a match found: one per converter, in rule order; None for a
/// group that took no part in a Python match.
pub type Values<'p> = SmallVec<[Option<Cow<'p, str>>; 6]>;

/// What Python's `re` found for an external transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalMatch {
    /// The converters' groups in order.
    pub values: Vec<Option<String>>,
    /// The suffix group matched a slash.
    pub slash: bool,
}

/// What Werkzeug reads while matching, asked at the moment it reads it.
/// Rules and transitions are named by the ids `Matcher::add` gave them.
pub trait Hooks {
    type Error;
    /// `method in rule.methods`, or true when the rule has no methods.
    fn allows_method(&mut self, rule: usize) -> Result<bool, Self::Error>;
    /// Records the rule's methods as ones the path could have used.
    fn note_methods(&mut self, rule: usize) -> Result<(), Self::Error>;
    /// `rule.websocket == websocket` for the request's websocket flag.
    fn websocket_agrees(&mut self, rule: usize) -> Result<bool, Self::Error>;
    /// `bool(rule.strict_slashes)`.
    fn strict_slashes(&mut self, rule: usize) -> Result<bool, Self::Error>;
    /// `rule.merge_slashes is False`.
    fn refuses_merged_slashes(&mut self, rule: usize) -> Result<bool, Self::Error>;
    /// Whether a miss is retried with runs of slashes merged.
    fn merge_slashes(&mut self) -> Result<bool, Self::Error>;
    /// Python's `re.compile(content).match(target)` for a transition whose
    /// test only Python can run exactly.
    fn external(
        &mut self,
        transition: usize,
        target: &str,
    ) -> Result<Option<ExternalMatch>, Self::Error>;
}

/// How a dynamic transition tests its target without Python.
#[derive(Debug)]
enum Fast {
    Builtin(Builtin),
    /// The part's regex in the `regex` crate's syntax, anchored at both
    /// ends, with the capture group of each converter in order.
    Regex(Regex, Vec<usize>),
}

#[derive(Debug)]
struct Transition {
    spec: DynamicSpec,
    fast: Option<Fast>,
    /// The fast test answers as Python's `re` only for ASCII text.
    ascii_only: bool,
    to: usize,
}

#[derive(Debug, Default)]
struct State {
    statics: Statics,
    dynamic: Vec<usize>,
    rules: Vec<usize>,
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
            Statics::ByLen(b) => b
                .get(key.len().min(LONGEST_BUCKET))
                .and_then(|bucket| find(bucket, key)),
        }
    }

    fn insert(&mut self, key: String, state: usize) {
        match self {
            Statics::None => *self = Statics::Few(vec![(key.into(), state)]),
            Statics::Few(v) if v.len() < FEW => v.push((key.into(), state)),
            Statics::Few(v) => {
                let mut buckets = vec![Vec::new(); LONGEST_BUCKET + 1];
                for (k, s) in v.drain(..).chain(std::iter::once((key.into(), state))) {
                    if let Some(bucket) = buckets.get_mut(k.len().min(LONGEST_BUCKET)) {
                        bucket.push((k, s));
                    }
                }
                *self = Statics::ByLen(buckets);
            }
            Statics::ByLen(b) => {
                if let Some(bucket) = b.get_mut(key.len().min(LONGEST_BUCKET)) {
                    bucket.push((key.into(), state));
                }
            }
        }
    }
}

/// The outcome of a match.
#[derive(Debug, PartialEq)]
pub enum Outcome<'p> {
    /// A rule and its converters' raw values.
    Rule(usize, Values<'p>),
    /// Redirect to this path (a missing trailing slash, or merged slashes).
    Redirect(String),
    NoMatch,
}

#[derive(Debug, PartialEq)]
pub struct Match<'p> {
    pub outcome: Outcome<'p>,
    /// A rule matched all but the websocket flag.
    pub websocket_mismatch: bool,
}

#[derive(Debug)]
pub struct Matcher {
    states: Vec<State>,
    transitions: Vec<Transition>,
    rules: usize,
}

impl Default for Matcher {
    fn default() -> Self {
        Self::new()
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
            Cursor::Domain | Cursor::End => false,
        }
    }

    fn tail(&self, s: usize) -> &'p str {
        self.path.get(s..).unwrap_or_default()
    }

    /// The head of the list at `c` and the cursor after it.
    fn split(&self, c: Cursor) -> (&'p str, Cursor) {
        match c {
            Cursor::Domain => (self.domain, Cursor::Seg(0)),
            Cursor::Seg(s) => {
                let tail = self.tail(s);
                // Byte search: `str::find` with a char pattern ends each hit
                // with a memcmp call, a quarter of a route match (measured).
                match tail.bytes().position(|b| b == b'/') {
                    Some(i) => (tail.get(..i).unwrap_or_default(), Cursor::Seg(s + i + 1)),
                    None => (tail, Cursor::End),
                }
            }
            Cursor::End | Cursor::TrailingSlash => ("", Cursor::End),
        }
    }

    /// The rest of the list joined with slashes.
    fn rest(&self, c: Cursor) -> Cow<'p, str> {
        match c {
            Cursor::Domain => Cow::Owned(format!("{}/{}", self.domain, self.path)),
            Cursor::Seg(s) => Cow::Borrowed(self.tail(s)),
            Cursor::End | Cursor::TrailingSlash => Cow::Borrowed(""),
        }
    }
}

/// Why a search ended early: a strict-slashes rule would match with a
/// slash added (Werkzeug's `SlashRequired`), or a hook failed.
enum Stop<E> {
    SlashRequired,
    Failed(E),
}

struct Walk<'m, 'p, 'h, H: Hooks> {
    m: &'m Matcher,
    input: Input<'p>,
    hooks: &'h mut H,
    websocket_mismatch: bool,
}

type Step<T, E> = Result<Option<T>, Stop<E>>;

fn hook<T, E>(r: Result<T, E>) -> Result<T, Stop<E>> {
    r.map_err(Stop::Failed)
}

/// `target` without its last byte, a slash.
fn drop_slash(target: Cow<'_, str>) -> Cow<'_, str> {
    match target {
        Cow::Borrowed(s) => Cow::Borrowed(s.get(..s.len().saturating_sub(1)).unwrap_or_default()),
        Cow::Owned(mut s) => {
            s.pop();
            Cow::Owned(s)
        }
    }
}

fn slice<'p>(target: &Cow<'p, str>, range: std::ops::Range<usize>) -> Option<Cow<'p, str>> {
    match target {
        Cow::Borrowed(s) => s.get(range).map(Cow::Borrowed),
        Cow::Owned(s) => s.get(range).map(|v| Cow::Owned(v.to_owned())),
    }
}

impl<'m, 'p, H: Hooks> Walk<'m, 'p, '_, H> {
    fn state(&self, id: usize) -> Option<&'m State> {
        self.m.states.get(id)
    }

    /// The first rule of `state` usable for the request, noting why the
    /// others were not; with `skip_strict`, only rules without strict
    /// slashes count (a path ending in a slash for a rule without one).
    fn pick(&mut self, state: usize, skip_strict: bool) -> Step<usize, H::Error> {
        let Some(st) = self.state(state) else {
            return Ok(None);
        };
        for &r in &st.rules {
            if skip_strict && hook(self.hooks.strict_slashes(r))? {
                continue;
            }
            if !hook(self.hooks.allows_method(r))? {
                hook(self.hooks.note_methods(r))?;
            } else if !hook(self.hooks.websocket_agrees(r))? {
                self.websocket_mismatch = true;
            } else {
                return Ok(Some(r));
            }
        }
        Ok(None)
    }

    /// At the end of the path: a rule that would match with a slash added.
    fn with_slash(&mut self, state: usize) -> Step<usize, H::Error> {
        let Some(slash) = self.state(state).and_then(|st| st.statics.get("")) else {
            return Ok(None);
        };
        let Some(st) = self.state(slash) else {
            return Ok(None);
        };
        for &r in &st.rules {
            if hook(self.hooks.websocket_agrees(r))? && hook(self.hooks.allows_method(r))? {
                if hook(self.hooks.strict_slashes(r))? {
                    return Err(Stop::SlashRequired);
                }
                return Ok(Some(r));
            }
        }
        Ok(None)
    }

    /// Tests a transition on its target: on a match, the converters' values
    /// are pushed onto `values` and the cursor to go on from is returned.
    fn test(
        &mut self,
        t: usize,
        tr: &Transition,
        head: &'p str,
        cur: Cursor,
        after: Cursor,
        values: &mut Values<'p>,
    ) -> Step<Cursor, H::Error> {
        let (target, remaining) = if tr.spec.final_ {
            (self.input.rest(cur), Cursor::End)
        } else {
            (Cow::Borrowed(head), after)
        };
        let fast = tr
            .fast
            .as_ref()
            .filter(|_| !tr.ascii_only || target.is_ascii());
        let Some(fast) = fast else {
            return self.test_in_python(t, &target, remaining, values);
        };
        // The suffix `(?<!/)(/?)\Z`: a final slash is the rule's own, and
        // the converters match what is before it, which must not end in a
        // slash itself.
        let (text, rest) = if tr.spec.suffixed && target.ends_with('/') {
            if target.len() >= 2 && target.as_bytes().get(target.len() - 2) == Some(&b'/') {
                return Ok(None);
            }
            (drop_slash(target.clone()), Cursor::TrailingSlash)
        } else {
            (target.clone(), remaining)
        };
        match fast {
            Fast::Builtin(b) => match b.full_match(&text) {
                Some(true) => {
                    values.push(Some(text));
                    Ok(Some(rest))
                }
                Some(false) => Ok(None),
                None => self.test_in_python(t, &target, remaining, values),
            },
            Fast::Regex(re, groups) => {
                let Some(caps) = re.captures(&text) else {
                    return Ok(None);
                };
                for &g in groups {
                    values.push(caps.get(g).and_then(|m| slice(&text, m.range())));
                }
                Ok(Some(rest))
            }
        }
    }

    fn test_in_python(
        &mut self,
        t: usize,
        target: &str,
        remaining: Cursor,
        values: &mut Values<'p>,
    ) -> Step<Cursor, H::Error> {
        let Some(found) = hook(self.hooks.external(t, target))? else {
            return Ok(None);
        };
        values.extend(found.values.into_iter().map(|v| v.map(Cow::Owned)));
        Ok(Some(if found.slash {
            Cursor::TrailingSlash
        } else {
            remaining
        }))
    }

    fn walk(
        &mut self,
        state: usize,
        cur: Cursor,
        values: &mut Values<'p>,
    ) -> Step<usize, H::Error> {
        let m = self.m;
        if cur == Cursor::End {
            if let Some(r) = self.pick(state, false)? {
                return Ok(Some(r));
            }
            return self.with_slash(state);
        }
        let Some(st) = m.states.get(state) else {
            return Ok(None);
        };
        let (head, after) = self.input.split(cur);
        if let Some(next) = st.statics.get(head) {
            if let Some(r) = self.walk(next, after, values)? {
                return Ok(Some(r));
            }
        }
        for &t in &st.dynamic {
            let Some(tr) = m.transitions.get(t) else {
                continue;
            };
            let mark = values.len();
            if let Some(remaining) = self.test(t, tr, head, cur, after, values)? {
                if let Some(r) = self.walk(tr.to, remaining, values)? {
                    return Ok(Some(r));
                }
                values.truncate(mark);
            }
        }
        if self.input.is_only_empty(cur) {
            return self.pick(state, true);
        }
        Ok(None)
    }
}

/// The regex of a dynamic part in the `regex` crate's syntax, anchored, with
/// a capture group around each converter; None where a piece has no exact
/// translation or the crate refuses the result.
fn compile_regex(parts: &[Piece], suffixed: bool) -> Option<(Fast, bool)> {
    let mut src = String::from("^");
    let mut ascii_only = false;
    let mut n = 0usize;
    for piece in parts {
        match piece {
            Piece::Static(s) => src.push_str(&regex::escape(s)),
            Piece::Conv(python) => {
                let t = translate(python)?;
                if suffixed && t.end_sensitive {
                    // It would be tested on the text before the slash.
                    return None;
                }
                ascii_only |= !t.unicode_exact;
                src.push_str(&format!("(?P<c{n}>{})", t.pattern));
                n += 1;
            }
        }
    }
    src.push_str(r"\z");
    let re = Regex::new(&src).ok()?;
    let mut groups = Vec::with_capacity(n);
    for i in 0..n {
        let name = format!("c{i}");
        groups.push(re.capture_names().position(|c| c == Some(name.as_str()))?);
    }
    Some((Fast::Regex(re, groups), ascii_only))
}

/// The test of a new transition without Python, when there is an exact one.
fn fast_test(spec: &DynamicSpec) -> Option<(Fast, bool)> {
    let parts = pieces(&spec.content)?;
    if let [Piece::Conv(regex)] = parts.pieces.as_slice() {
        if let Some(b) = Builtin::recognise(regex) {
            // `full_match` says itself where it needs Python.
            return Some((Fast::Builtin(b), false));
        }
    }
    compile_regex(&parts.pieces, parts.suffixed)
}

impl Matcher {
    pub fn new() -> Self {
        Matcher {
            states: vec![State::default()],
            transitions: Vec::new(),
            rules: 0,
        }
    }

    pub fn rule_count(&self) -> usize {
        self.rules
    }

    pub fn transition_count(&self) -> usize {
        self.transitions.len()
    }

    /// The description of a transition, for the caller's external test.
    pub fn transition(&self, id: usize) -> Option<&DynamicSpec> {
        self.transitions.get(id).map(|t| &t.spec)
    }

    /// Whether a transition is always tested by the caller.
    pub fn is_external(&self, id: usize) -> bool {
        self.transitions.get(id).is_some_and(|t| t.fast.is_none())
    }

    /// Whether a transition's fast test was translated from a Python regex,
    /// which the caller must see Python accept before relying on it.
    pub fn checks_python_syntax(&self, id: usize) -> bool {
        self.transitions
            .get(id)
            .is_some_and(|t| matches!(t.fast, Some(Fast::Regex(..))))
    }

    /// Leaves a transition's test to the caller, always.
    pub fn leave_to_python(&mut self, id: usize) {
        if let Some(t) = self.transitions.get_mut(id) {
            t.fast = None;
        }
    }

    /// Adds a rule by its parts, as Werkzeug's `StateMachineMatcher.add`;
    /// returns its id (rules are numbered from 0 in the order added).
    pub fn add(&mut self, parts: &[PartSpec]) -> usize {
        let mut state = 0;
        for part in parts {
            state = match part {
                PartSpec::Static(text) => self.static_child(state, text),
                PartSpec::Dynamic(spec) => self.dynamic_child(state, spec),
            };
        }
        let id = self.rules;
        self.rules += 1;
        if let Some(st) = self.states.get_mut(state) {
            st.rules.push(id);
        }
        id
    }

    fn new_state(&mut self) -> usize {
        self.states.push(State::default());
        self.states.len() - 1
    }

    fn static_child(&mut self, state: usize, text: &str) -> usize {
        if let Some(s) = self.states.get(state).and_then(|st| st.statics.get(text)) {
            return s;
        }
        let s = self.new_state();
        if let Some(st) = self.states.get_mut(state) {
            st.statics.insert(text.to_owned(), s);
        }
        s
    }

    fn dynamic_child(&mut self, state: usize, spec: &DynamicSpec) -> usize {
        let existing = self.states.get(state).and_then(|st| {
            st.dynamic
                .iter()
                .filter_map(|&t| self.transitions.get(t))
                .find(|t| t.spec == *spec)
                .map(|t| t.to)
        });
        if let Some(s) = existing {
            return s;
        }
        let to = self.new_state();
        let (fast, ascii_only) = match fast_test(spec) {
            Some((f, a)) => (Some(f), a),
            None => (None, false),
        };
        let id = self.transitions.len();
        self.transitions.push(Transition {
            spec: spec.clone(),
            fast,
            ascii_only,
            to,
        });
        if let Some(st) = self.states.get_mut(state) {
            st.dynamic.push(id);
        }
        to
    }

    /// Orders every state's dynamic transitions by weight; ties keep the
    /// order in which they were added (Python's sort is stable).
    pub fn sort(&mut self) {
        let transitions = &self.transitions;
        let rank = |t: &usize| transitions.get(*t).map_or(u32::MAX, |t| t.spec.rank);
        for st in &mut self.states {
            st.dynamic.sort_by_key(rank);
        }
    }

    /// Matches `path` (`"/" + path_info.lstrip("/")`, or empty) on `domain`
    /// (the subdomain, or the host under host matching).
    pub fn match_path<'p, H: Hooks>(
        &self,
        domain: &'p str,
        path: &'p str,
        hooks: &mut H,
    ) -> Result<Match<'p>, H::Error> {
        let mut websocket_mismatch = false;
        let mut values = Values::new();
        let first = self.walk_once(domain, path, hooks, &mut websocket_mismatch, &mut values);
        let outcome = match first {
            Err(Stop::Failed(e)) => return Err(e),
            Err(Stop::SlashRequired) => Outcome::Redirect(format!("{path}/")),
            Ok(Some(rule)) => Outcome::Rule(rule, values),
            Ok(None) => {
                let merged = merge_slash_runs(path);
                // Merging changes nothing: the same walk would fail again.
                if merged.len() == path.len() || !hooks.merge_slashes()? {
                    Outcome::NoMatch
                } else {
                    let mut scratch = Values::new();
                    match self.walk_once(
                        domain,
                        &merged,
                        hooks,
                        &mut websocket_mismatch,
                        &mut scratch,
                    ) {
                        Err(Stop::Failed(e)) => return Err(e),
                        Err(Stop::SlashRequired) => Outcome::Redirect(format!("{merged}/")),
                        Ok(Some(rule)) if !hooks.refuses_merged_slashes(rule)? => {
                            Outcome::Redirect(merged.clone())
                        }
                        Ok(_) => Outcome::NoMatch,
                    }
                }
            }
        };
        Ok(Match {
            outcome,
            websocket_mismatch,
        })
    }

    fn walk_once<'q, H: Hooks>(
        &self,
        domain: &'q str,
        path: &'q str,
        hooks: &mut H,
        websocket_mismatch: &mut bool,
        values: &mut Values<'q>,
    ) -> Step<usize, H::Error> {
        let mut walk = Walk {
            m: self,
            input: Input { domain, path },
            hooks,
            websocket_mismatch: *websocket_mismatch,
        };
        let found = walk.walk(0, Cursor::Domain, values);
        *websocket_mismatch = walk.websocket_mismatch;
        found
    }
}

/// `re.sub("/{2,}", "/", path)`.
pub fn merge_slash_runs(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut prev_slash = false;
    for c in path.chars() {
        if c == '/' && prev_slash {
            continue;
        }
        prev_slash = c == '/';
        out.push(c);
    }
    out
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;
    use std::collections::HashMap;

    /// A rule for tests: its parts and what Werkzeug would read of it.
    pub struct TestRule {
        pub methods: Option<Vec<&'static str>>,
        pub websocket: bool,
        pub strict_slashes: bool,
        pub merge_slashes: bool,
    }

    impl Default for TestRule {
        fn default() -> Self {
            TestRule {
                methods: None,
                websocket: false,
                strict_slashes: true,
                merge_slashes: true,
            }
        }
    }

    /// Werkzeug's parts for a rule written in a small subset of its syntax
    /// (`<name>`, `<int:name>`, `<path:name>`, a trailing slash), with
    /// weights ranked as Werkzeug orders them for these converters.
    pub fn parts_of(rule: &str) -> Vec<PartSpec> {
        // The domain's part, then the empty one before the first slash.
        let mut parts = vec![
            PartSpec::Static(String::new()),
            PartSpec::Static(String::new()),
        ];
        let mut segments = rule.trim_start_matches('/').split('/');
        while let Some(seg) = segments.next() {
            if seg.starts_with("<path:") {
                // A path converter takes the rest, as one final part.
                let rest: Vec<&str> = segments.collect();
                let suffixed = rest.last() == Some(&"");
                let mut content = String::from("(?P<__werkzeug_0>[^/].*?)");
                let body = rest.len() - usize::from(suffixed);
                for s in rest.iter().take(body) {
                    content.push('/');
                    content.push_str(s);
                }
                if suffixed {
                    content.push_str("(?<!/)(/?)");
                }
                content.push_str(r"\Z");
                parts.push(PartSpec::Dynamic(DynamicSpec {
                    content,
                    final_: true,
                    suffixed,
                    rank: 3,
                }));
                if suffixed {
                    parts.push(PartSpec::Static(String::new()));
                }
                return parts;
            }
            let part = if let Some(inner) = seg.strip_prefix('<').and_then(|s| s.strip_suffix('>'))
            {
                let (regex, rank) = match inner.split_once(':') {
                    Some(("int", _)) => (r"\d+", 1),
                    _ => ("[^/]+", 2),
                };
                PartSpec::Dynamic(DynamicSpec {
                    content: format!(r"(?P<__werkzeug_0>{regex})\Z"),
                    final_: false,
                    suffixed: false,
                    rank,
                })
            } else if seg.contains('<') {
                // `v<int:a>.<b>`: two converters with text around them.
                PartSpec::Dynamic(DynamicSpec {
                    content: r"v(?P<__werkzeug_0>\d+)\.(?P<__werkzeug_1>[^/]+)\Z".to_owned(),
                    final_: false,
                    suffixed: false,
                    rank: 0,
                })
            } else {
                PartSpec::Static(seg.to_owned())
            };
            parts.push(part);
        }
        parts
    }

    #[derive(Default)]
    pub struct TestHooks {
        pub rules: Vec<TestRule>,
        pub method: &'static str,
        pub websocket: bool,
        pub merge: bool,
        pub noted: Vec<&'static str>,
        /// Python's answers for external transitions, by target.
        pub python: HashMap<String, ExternalMatch>,
    }

    impl Hooks for TestHooks {
        type Error = ();
        fn allows_method(&mut self, rule: usize) -> Result<bool, ()> {
            let r = self.rules.get(rule).ok_or(())?;
            Ok(r.methods.as_ref().is_none_or(|m| m.contains(&self.method)))
        }
        fn note_methods(&mut self, rule: usize) -> Result<(), ()> {
            let r = self.rules.get(rule).ok_or(())?;
            for m in r.methods.iter().flatten() {
                if !self.noted.contains(m) {
                    self.noted.push(m);
                }
            }
            Ok(())
        }
        fn websocket_agrees(&mut self, rule: usize) -> Result<bool, ()> {
            Ok(self.rules.get(rule).ok_or(())?.websocket == self.websocket)
        }
        fn strict_slashes(&mut self, rule: usize) -> Result<bool, ()> {
            Ok(self.rules.get(rule).ok_or(())?.strict_slashes)
        }
        fn refuses_merged_slashes(&mut self, rule: usize) -> Result<bool, ()> {
            Ok(!self.rules.get(rule).ok_or(())?.merge_slashes)
        }
        fn merge_slashes(&mut self) -> Result<bool, ()> {
            Ok(self.merge)
        }
        fn external(&mut self, _: usize, target: &str) -> Result<Option<ExternalMatch>, ()> {
            Ok(self.python.get(target).cloned())
        }
    }

    pub fn table(rules: &[(&str, TestRule)]) -> (Matcher, TestHooks) {
        let mut m = Matcher::new();
        let mut hooks = TestHooks {
            method: "GET",
            merge: true,
            ..TestHooks::default()
        };
        for (rule, info) in rules {
            m.add(&parts_of(rule));
            hooks.rules.push(TestRule {
                methods: info.methods.clone(),
                ..*info
            });
        }
        m.sort();
        (m, hooks)
    }

    pub fn run<'p>(m: &Matcher, hooks: &mut TestHooks, path: &'p str) -> Outcome<'p> {
        m.match_path("", path, hooks)
            .map_or(Outcome::NoMatch, |r| r.outcome)
    }

    pub fn rule(id: usize, values: &[&'static str]) -> Outcome<'static> {
        Outcome::Rule(id, values.iter().map(|v| Some(Cow::Borrowed(*v))).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::*;
    use super::*;

    fn plain() -> TestRule {
        TestRule::default()
    }

    #[test]
    fn static_before_dynamic_with_backtracking() {
        let (m, mut h) = table(&[("/a/b", plain()), ("/<x>/c", plain())]);
        assert_eq!(run(&m, &mut h, "/a/b"), rule(0, &[]));
        assert_eq!(run(&m, &mut h, "/a/c"), rule(1, &["a"]));
    }

    #[test]
    fn lighter_converters_first() {
        let (m, mut h) = table(&[("/<s>", plain()), ("/<int:i>", plain())]);
        assert_eq!(run(&m, &mut h, "/42"), rule(1, &["42"]));
        assert_eq!(run(&m, &mut h, "/x"), rule(0, &["x"]));
    }

    #[test]
    fn method_not_allowed_is_a_last_resort() {
        let post = TestRule {
            methods: Some(vec!["POST"]),
            ..plain()
        };
        let get = TestRule {
            methods: Some(vec!["GET", "HEAD"]),
            ..plain()
        };
        let (m, mut h) = table(&[("/a", post), ("/<x>", get)]);
        assert_eq!(run(&m, &mut h, "/a"), rule(1, &["a"]));
        h.method = "PUT";
        assert_eq!(run(&m, &mut h, "/a"), Outcome::NoMatch);
        let mut noted = h.noted.clone();
        noted.sort_unstable();
        assert_eq!(noted, vec!["GET", "HEAD", "POST"]);
    }

    #[test]
    fn the_hooks_answer_at_match_time() {
        let (m, mut h) = table(&[("/a", plain())]);
        assert_eq!(run(&m, &mut h, "/a"), rule(0, &[]));
        if let Some(r) = h.rules.get_mut(0) {
            r.methods = Some(vec!["POST"]);
        }
        assert_eq!(run(&m, &mut h, "/a"), Outcome::NoMatch);
        assert_eq!(h.noted, vec!["POST"]);
    }

    #[test]
    fn slash_redirect_stops_the_search() {
        let (m, mut h) = table(&[("/foo/", plain()), ("/<x>", plain())]);
        assert_eq!(run(&m, &mut h, "/foo"), Outcome::Redirect("/foo/".into()));
    }

    #[test]
    fn merged_slashes_redirect() {
        let (m, mut h) = table(&[("/a/b", plain())]);
        assert_eq!(run(&m, &mut h, "/a//b"), Outcome::Redirect("/a/b".into()));
        assert_eq!(run(&m, &mut h, "/a//c"), Outcome::NoMatch);
        h.merge = false;
        assert_eq!(run(&m, &mut h, "/a//b"), Outcome::NoMatch);
    }

    #[test]
    fn path_converter_with_trailing_slash() {
        let (m, mut h) = table(&[("/f/<path:p>/", plain())]);
        assert_eq!(run(&m, &mut h, "/f/a/b/"), rule(0, &["a/b"]));
        assert_eq!(
            run(&m, &mut h, "/f/a/b"),
            Outcome::Redirect("/f/a/b/".into())
        );
        assert_eq!(run(&m, &mut h, "/f/a//"), Outcome::Redirect("/f/a/".into()));
    }

    #[test]
    fn non_strict_rule_matches_with_a_slash() {
        let loose = || TestRule {
            strict_slashes: false,
            ..plain()
        };
        let (m, mut h) = table(&[("/a", loose()), ("/b/", loose())]);
        assert_eq!(run(&m, &mut h, "/a/"), rule(0, &[]));
        assert_eq!(run(&m, &mut h, "/b"), rule(1, &[]));
    }

    #[test]
    fn mixed_segment_uses_a_regex() {
        let (m, mut h) = table(&[("/v<int:a>.<b>", plain())]);
        assert_eq!(run(&m, &mut h, "/v1.x.y"), rule(0, &["1", "x.y"]));
        assert_eq!(run(&m, &mut h, "/vx.y"), Outcome::NoMatch);
    }

    #[test]
    fn unicode_digits_ask_python() {
        let (m, mut h) = table(&[("/n/<int:v>", plain()), ("/n/<s>", plain())]);
        // Python's tables say this is no digit: the string rule answers.
        assert_eq!(run(&m, &mut h, "/n/\u{1E4F1}"), rule(1, &["\u{1E4F1}"]));
        h.python.insert(
            "\u{664}".into(),
            ExternalMatch {
                values: vec![Some("\u{664}".into())],
                slash: false,
            },
        );
        assert_eq!(run(&m, &mut h, "/n/\u{664}"), rule(0, &["\u{664}"]));
    }

    #[test]
    fn external_parts_take_python_values_and_slash() {
        let mut m = Matcher::new();
        let spec = DynamicSpec {
            content: r"(?P<__werkzeug_0>(?=a)[^/].*?)(?<!/)(/?)\Z".into(),
            final_: true,
            suffixed: true,
            rank: 0,
        };
        m.add(&[
            PartSpec::Static(String::new()),
            PartSpec::Static(String::new()),
            PartSpec::Dynamic(spec),
            PartSpec::Static(String::new()),
        ]);
        m.sort();
        assert!(m.is_external(0));
        let mut h = TestHooks {
            rules: vec![plain()],
            method: "GET",
            ..TestHooks::default()
        };
        h.python.insert(
            "ab/".into(),
            ExternalMatch {
                values: vec![Some("ab".into())],
                slash: true,
            },
        );
        assert_eq!(run(&m, &mut h, "/ab/"), rule(0, &["ab"]));
        assert_eq!(run(&m, &mut h, "/zz/"), Outcome::NoMatch);
    }

    #[test]
    fn merge_slash_runs_matches_python() {
        assert_eq!(merge_slash_runs("//a///b/c//"), "/a/b/c/");
        assert_eq!(merge_slash_runs("é//日"), "é/日");
    }
}
