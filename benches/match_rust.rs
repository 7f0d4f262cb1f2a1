//! The pure-Rust matcher on the 300-rule REST table of the shared WSGI
//! bench, without Python in the way: `cargo bench --bench match_rust`.

use std::hint::black_box;
use std::time::Instant;

use flaskrs_core::routing::converter::ConverterSpec;
use flaskrs_core::routing::matcher::{Matcher, Outcome, RuleInfo};
use flaskrs_core::routing::part::{split_parts, Part};
use flaskrs_core::routing::rule::{parse_rule, Token};

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

fn spec(converter: Option<&str>) -> ConverterSpec {
    match converter {
        Some("int") => ConverterSpec::new(r"\d+", 50.0, true),
        Some("path") => ConverterSpec::new("[^/].*?", 200.0, false),
        Some("uuid") => ConverterSpec::new(
            "[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}",
            100.0,
            true,
        ),
        Some("any") => ConverterSpec::new("(?:open|closed|all)", 100.0, true),
        _ => ConverterSpec::new("[^/]{1,}", 100.0, true),
    }
}

fn add(m: &mut Matcher, rule: &str) {
    let tokens = parse_rule(rule, true).expect("valid rule");
    let specs: Vec<ConverterSpec> = tokens
        .iter()
        .filter_map(|t| match t {
            Token::Var(v) => Some(spec(v.converter.as_deref())),
            _ => None,
        })
        .collect();
    let mut parts = vec![Part::Static(String::new())];
    parts.extend(split_parts(&tokens, &specs));
    let info = RuleInfo {
        methods: None,
        websocket: false,
        strict_slashes: true,
        merge_slashes: true,
    };
    m.add(parts, info);
}

fn main() {
    let mut m = Matcher::default();
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
        let mut ext = |_: usize, _: &str| -> Result<Option<Vec<String>>, ()> { Ok(None) };
        let start = Instant::now();
        let mut hits = 0u32;
        for _ in 0..n {
            if let Ok(found) = m.match_path("", black_box(path), "GET", false, &mut ext) {
                hits += u32::from(matches!(found.outcome, Outcome::Rule(..)));
            }
        }
        println!(
            "{path:<45} {:>6.0} ns per match ({hits} hits)",
            start.elapsed().as_nanos() as f64 / f64::from(n)
        );
    }
}
