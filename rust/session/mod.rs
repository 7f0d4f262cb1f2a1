//! Flask's session cookie, in plain Rust: the format itsdangerous gives it
//! for Flask (URL-safe timed serializer, salt `cookie-session`, HMAC key
//! derivation, SHA-1), signing and verification.

pub mod b64;
mod deflate;
pub mod error;
pub mod signer;
pub mod zlib;

pub use error::{Error, Kind};
pub use signer::Signer;
