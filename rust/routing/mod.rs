//! URL routing with Werkzeug 3.1's semantics, in plain Rust.
//!
//! `matcher` walks a state machine built from Werkzeug's own description of
//! each rule, `content` reads back the regexes Werkzeug writes for a rule's
//! parts, `pyregex` rewrites Python regexes for the `regex` crate where that
//! is exact, `converter` tests the built-in converters' regexes by hand, and
//! `build` does the percent-encoding of URL building.

pub mod build;
pub mod content;
pub mod converter;
pub mod matcher;
pub mod pyregex;
pub mod str_eq;
