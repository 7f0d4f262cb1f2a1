//! Why a cookie was refused. The kinds follow itsdangerous's exceptions, so
//! the Python side can raise the one Flask code expects.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// No separator, or no key gives the signature (`BadSignature`).
    Signature,
    /// The signed text has no timestamp, or an unreadable one (`BadTimeSignature`).
    Timestamp,
    /// Older than the allowed age, or from the future (`SignatureExpired`).
    Expired,
    /// Signed, but the payload is not base64 or zlib, or inflates past the limit (`BadPayload`).
    Payload,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: Kind,
    /// The signing time, where it could be read.
    pub timestamp: Option<u64>,
    pub message: String,
}

impl Error {
    pub fn new(kind: Kind, timestamp: Option<u64>, message: impl Into<String>) -> Self {
        Error {
            kind,
            timestamp,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
