//! JSON written in one pass, in plain Rust: Flask's tagged JSON (the
//! session's format) and compact JSON as `json.dumps` writes it (response
//! bodies), both ASCII-only.
//!
//! The writer walks any value tree that implements [`Node`]: the binding
//! implements it for Python objects, so this module never sees one. A value
//! the writer does not cover makes it answer `None`, and the caller's own
//! (always correct) encoder takes over.

pub mod float;
pub mod tag;
pub mod text;
pub mod write;

pub use tag::Tag;
pub use text::Text;
pub use write::{json_body, tagged_json, Node, Shape, Tagged};
