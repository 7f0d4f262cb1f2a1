//! The pure-Rust matcher on the 300-rule REST table of the shared WSGI
//! bench, without Python in the way: `cargo bench --bench match_rust`.

use std::hint::black_box;
use std::time::Instant;

use flaskrs_core::routing::matcher::{
    DynamicSpec, ExternalMatch, Hooks, Matcher, Outcome, PartSpec,
};

const RESOURCES: [&str; 10] = [
    "repos", "orgs", "users", "gists", "teams", "issues", "pulls", "projects", "apps", "markets",
];
const SUBS: [&str; 10] = [
    "comments",
    "events",
    "labels",
    "milestones",
    "hooks",
    "keys",
    "branches",
    "commits",
    "releases",
    "assets",
];

/// Werkzeug's part for one segment of these rules (regex and weight rank
/// as Werkzeug writes and orders them).
fn part(segment: &str) -> PartSpec {
    let Some(inner) = segment.strip_prefix('<').and_then(|s| s.strip_suffix('>')) else {
        return PartSpec::Static(segment.to_owned());
    };
    let (regex, rank, final_) = match inner.split_once(':').map(|(c, _)| c) {
        Some("int") => (r"\d+", 0, false),
        Some("path") => ("[^/].*?", 2, true),
        Some("uuid") => (
            "[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}",
            1,
            false,
        ),
        Some(c) if c.starts_with("any") => ("(?:open|closed|all)", 1, false),
        _ => ("[^/]{1,}", 1, false),
    };
    PartSpec::Dynamic(DynamicSpec {
        content: format!(r"(?P<__werkzeug_0>{regex})\Z"),
        final_,
        suffixed: false,
        rank,
    })
}

fn add(m: &mut Matcher, rule: &str) {
    let mut parts = vec![PartSpec::Static(String::new())];
    parts.extend(rule.split('/').map(part));
    m.add(&parts);
}

/// Every rule takes every method; nothing is left to Python.
struct AllowAll;

impl Hooks for AllowAll {
    type Error = ();
    fn allows_method(&mut self, _: usize) -> Result<bool, ()> {
        Ok(true)
    }
    fn note_methods(&mut self, _: usize) -> Result<(), ()> {
        Ok(())
    }
    fn websocket_agrees(&mut self, _: usize) -> Result<bool, ()> {
        Ok(true)
    }
    fn strict_slashes(&mut self, _: usize) -> Result<bool, ()> {
        Ok(true)
    }
    fn refuses_merged_slashes(&mut self, _: usize) -> Result<bool, ()> {
        Ok(false)
    }
    fn merge_slashes(&mut self) -> Result<bool, ()> {
        Ok(true)
    }
    fn external(&mut self, _: usize, _: &str) -> Result<Option<ExternalMatch>, ()> {
        Ok(None)
    }
}

fn main() {
    let mut m = Matcher::new();
    for r in RESOURCES {
        add(&mut m, &format!("/{r}"));
        add(&mut m, &format!("/{r}/<int:id>"));
        add(&mut m, &format!("/{r}/<owner>/<name>"));
        for s in SUBS {
            add(&mut m, &format!("/{r}/<owner>/<name>/{s}"));
            add(&mut m, &format!("/{r}/<owner>/<name>/{s}/<int:sub_id>"));
        }
        add(&mut m, &format!("/{r}/<owner>/<name>/contents/<path:path>"));
        add(&mut m, &format!("/{r}/<owner>/<name>/runs/<uuid:run>"));
        add(
            &mut m,
            &format!("/{r}/<owner>/<name>/state/<any(open,closed,all):state>"),
        );
    }
    m.sort();
    let n: u32 = 1_000_000;
    for path in [
        "/repos/42",
        "/markets/pallets/flask/releases/7",
        "/markets/pallets/flask/contents/a/b/c.py",
        "/markets/pallets/flask/state/open",
        "/missing/page",
    ] {
        let start = Instant::now();
        let mut hits = 0u32;
        for _ in 0..n {
            if let Ok(found) = m.match_path("", black_box(path), &mut AllowAll) {
                hits += u32::from(matches!(found.outcome, Outcome::Rule(..)));
            }
        }
        println!(
            "{path:<45} {:>6.0} ns per match ({hits} hits)",
            start.elapsed().as_nanos() as f64 / f64::from(n)
        );
    }
}
