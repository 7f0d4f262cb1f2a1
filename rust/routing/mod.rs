//! URL routing with Werkzeug 3.1's semantics, in plain Rust.
//!
//! `rule` parses the rule syntax, `part` turns a parsed rule into the parts
//! the state machine walks, `converter` knows the converters' regexes,
//! `matcher` matches requests and `build` does the percent-encoding of URL
//! building.

pub mod build;
pub mod converter;
pub mod matcher;
pub mod part;
pub mod pyregex;
pub mod rule;
pub mod text;
