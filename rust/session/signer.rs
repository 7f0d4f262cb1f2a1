//! The session cookie: `payload.timestamp.signature`, each part base64url.
//!
//! itsdangerous's URL-safe timed serializer as Flask configures it: the key
//! is HMAC-SHA1(secret, salt), the signature is HMAC-SHA1 of
//! `payload.timestamp` under that key, and the payload is the JSON, zlib
//! compressed (and marked with a leading `.`) when that makes it shorter.

use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::b64;
use super::error::{Error, Kind};
use super::zlib::{self, InflateError};

type HmacSha1 = Hmac<Sha1>;

/// Bytes in an HMAC-SHA1 tag: a signature that decodes to any other length
/// cannot verify.
const TAG_LEN: usize = 20;

pub struct Signer {
    /// One keyed MAC per secret, newest first. Cloning a keyed MAC skips
    /// hashing the key pads again on every cookie.
    keys: Vec<HmacSha1>,
}

impl Signer {
    /// `secret_keys` in itsdangerous's order: the last one is the newest and
    /// signs; all of them verify.
    pub fn new<K: AsRef<[u8]>>(secret_keys: &[K], salt: &[u8]) -> Result<Self, &'static str> {
        if secret_keys.is_empty() {
            return Err("at least one secret key is required");
        }
        let keys = secret_keys
            .iter()
            .rev()
            .map(|secret| derive(secret.as_ref(), salt))
            .collect::<Option<Vec<_>>>()
            .ok_or("HMAC-SHA1 refused a key")?;
        Ok(Signer { keys })
    }

    /// The cookie for the JSON `payload` signed at `timestamp`.
    pub fn sign(&self, payload: &[u8], timestamp: u64) -> String {
        let compressed = zlib::compress_if_shorter(payload);
        let body = compressed.as_deref().unwrap_or(payload);
        let mut out = String::with_capacity(body.len() / 3 * 4 + 48);
        if compressed.is_some() {
            out.push('.');
        }
        b64::encode_into(body, &mut out);
        out.push('.');
        b64::encode_into(timestamp_bytes(&timestamp.to_be_bytes()), &mut out);
        // `new` refuses an empty key list, so the newest key is always there.
        let tag = self.keys.first().map(|key| {
            key.clone()
                .chain_update(out.as_bytes())
                .finalize()
                .into_bytes()
        });
        out.push('.');
        if let Some(tag) = tag {
            b64::encode_into(&tag, &mut out);
        }
        out
    }

    /// The JSON and the timestamp of a cookie, checked in itsdangerous's
    /// order: signature, timestamp, age (when `max_age` is given), payload.
    ///
    /// Nothing but the signature is decoded before the signature verifies,
    /// so a forged cookie costs one MAC per key over its bytes, whatever it
    /// claims to hold. What verifies was signed with one of our keys and is
    /// loaded in full, as itsdangerous loads it.
    pub fn unsign(
        &self,
        cookie: &[u8],
        max_age: Option<i64>,
        now: i64,
    ) -> Result<(Vec<u8>, u64), Error> {
        let (payload, timestamp) = self.verified_parts(cookie, max_age, now)?;
        let json = decode_payload(payload)
            .map_err(|message| Error::new(Kind::Payload, Some(timestamp), message))?;
        Ok((json, timestamp))
    }

    /// Whether `cookie` passes `unsign` and its JSON contains `needle`.
    pub fn signed_payload_contains(
        &self,
        cookie: &[u8],
        max_age: Option<i64>,
        now: i64,
        needle: &[u8],
    ) -> bool {
        self.unsign(cookie, max_age, now).is_ok_and(|(json, _)| {
            needle.is_empty() || json.windows(needle.len()).any(|window| window == needle)
        })
    }

    /// `unsign` short of decoding the payload: the payload's text and the
    /// timestamp of a cookie that verifies and is not expired.
    fn verified_parts<'c>(
        &self,
        cookie: &'c [u8],
        max_age: Option<i64>,
        now: i64,
    ) -> Result<(&'c [u8], u64), Error> {
        let Some((signed, sig)) = rsplit_dot(cookie) else {
            return Err(Error::new(Kind::Signature, None, "No b'.' found in value"));
        };
        if !self.verify(signed, sig) {
            return Err(Error::new(
                Kind::Signature,
                None,
                "Signature does not match",
            ));
        }
        let Some((payload, ts_text)) = rsplit_dot(signed) else {
            return Err(Error::new(Kind::Timestamp, None, "timestamp missing"));
        };
        let Some(timestamp) = decode_timestamp(ts_text) else {
            return Err(Error::new(Kind::Timestamp, None, "Malformed timestamp"));
        };
        if let Some(max_age) = max_age {
            let age = i128::from(now) - i128::from(timestamp);
            if age > i128::from(max_age) {
                return Err(Error::new(
                    Kind::Expired,
                    Some(timestamp),
                    format!("Signature age {age} > {max_age} seconds"),
                ));
            }
            if age < 0 {
                return Err(Error::new(
                    Kind::Expired,
                    Some(timestamp),
                    format!("Signature age {age} < 0 seconds"),
                ));
            }
        }
        Ok((payload, timestamp))
    }

    /// Whether any key gives `sig`, compared in constant time. A signature
    /// text is read only as far as a tag's length, without allocating.
    fn verify(&self, signed: &[u8], sig: &[u8]) -> bool {
        let Some(sig) = b64::decode_exact::<TAG_LEN>(sig) else {
            return false;
        };
        self.keys
            .iter()
            .any(|key| key.clone().chain_update(signed).verify_slice(&sig).is_ok())
    }
}

/// The JSON of a verified payload: base64, inflated when marked with `.`.
fn decode_payload(payload: &[u8]) -> Result<Vec<u8>, &'static str> {
    let (compressed, text) = match payload.strip_prefix(b".") {
        Some(rest) => (true, rest),
        None => (false, payload),
    };
    let raw =
        b64::decode(text).ok_or("Could not base64 decode the payload because of an exception")?;
    if !compressed {
        return Ok(raw);
    }
    zlib::decompress(&raw).map_err(|e| match e {
        InflateError::Corrupt => {
            "Could not zlib decompress the payload before decoding the payload"
        }
        InflateError::OutOfMemory => "The decompressed payload does not fit in memory",
    })
}

/// The signing key: HMAC-SHA1 of the salt under the secret (itsdangerous's
/// "hmac" key derivation), ready keyed for signing.
fn derive(secret: &[u8], salt: &[u8]) -> Option<HmacSha1> {
    let derived = HmacSha1::new_from_slice(secret)
        .ok()?
        .chain_update(salt)
        .finalize()
        .into_bytes();
    HmacSha1::new_from_slice(&derived).ok()
}

/// Splits at the last `.`.
fn rsplit_dot(text: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut parts = text.rsplitn(2, |&b| b == b'.');
    let tail = parts.next()?;
    let head = parts.next()?;
    Some((head, tail))
}

/// Big-endian bytes without leading zeros, as itsdangerous's `int_to_bytes`
/// (so 0 is no bytes at all).
fn timestamp_bytes(be: &[u8]) -> &[u8] {
    let zeros = be.iter().take_while(|&&b| b == 0).count();
    be.get(zeros..).unwrap_or_default()
}

/// itsdangerous reads the timestamp as a big-endian unsigned 64-bit
/// integer (`struct` format `>Q`, zeros prepended up to 8 bytes): more than
/// 8 bytes is malformed, even when the extra ones are leading zeros. Read
/// as it decodes, so no length of text allocates anything.
fn decode_timestamp(text: &[u8]) -> Option<u64> {
    let mut value = 0u64;
    let mut bytes = 0usize;
    b64::decode_with(text, |byte| {
        if bytes == 8 {
            return false;
        }
        bytes += 1;
        value = (value << 8) | u64::from(byte);
        true
    })?;
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000;
    const SMALL: &[u8] = br#"{"_fresh":true,"cart":[1,2,3],"user_id":123,"username":"alice"}"#;
    // URLSafeTimedSerializer(["old-key", "dev-secret"], salt="cookie-session",
    // signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1})
    // with time.time() == 1700000000, payloads passed through unchanged.
    const SMALL_COOKIE: &str = "eyJfZnJlc2giOnRydWUsImNhcnQiOlsxLDIsM10sInVzZXJfaWQiOjEyMywidXNlcm5hbWUiOiJhbGljZSJ9.ZVPxAA.3_rzGG97-N_1sJSrzqf3A_IcuLw";
    const BIG_COOKIE: &str = ".eJx1zysOgDAQBNC7rK5g-LNXIQgSKiqKAdf07iTgyIx97hVLd8yX-VosHeZNsHPP0fx1q-FjcG45d5x7zgPnkfPEeea8iI5qiidEFGIKUYW4QmQhthBd_L9bfQCoUI-t.ZVPxAA.A_V89CyhI0aOJNGscXN7EZtun2o";
    // The same, signed with ["old-key"] alone.
    const OLD_KEY_COOKIE: &str = "eyJfZnJlc2giOnRydWUsImNhcnQiOlsxLDIsM10sInVzZXJfaWQiOjEyMywidXNlcm5hbWUiOiJhbGljZSJ9.ZVPxAA.KP96jAgu1EtU06ZTb2w6tMggB1I";
    // `{}` at time 0: the timestamp is empty.
    const ZERO_TIME_COOKIE: &str = "e30..Jrp3sxGhJE4bPIXt8ITD6_Z0mxc";

    fn signer() -> Signer {
        Signer::new(&["old-key", "dev-secret"], b"cookie-session").unwrap_or_else(|e| panic!("{e}"))
    }

    fn big_json() -> Vec<u8> {
        let items: Vec<String> = (0..20)
            .map(|i| format!("{{\"id\":{i},\"name\":\"item\"}}"))
            .collect();
        format!("{{\"items\":[{}]}}", items.join(",")).into_bytes()
    }

    fn kind(r: Result<(Vec<u8>, u64), Error>) -> Option<Kind> {
        r.err().map(|e| e.kind)
    }

    #[test]
    fn signs_like_itsdangerous() {
        let s = signer();
        assert_eq!(s.sign(SMALL, NOW), SMALL_COOKIE);
        assert_eq!(s.sign(&big_json(), NOW), BIG_COOKIE);
        assert_eq!(s.sign(b"{}", 0), ZERO_TIME_COOKIE);
    }

    #[test]
    fn unsigns_itsdangerous_cookies() {
        let s = signer();
        let now = i64::try_from(NOW).unwrap_or_default();
        assert_eq!(
            s.unsign(SMALL_COOKIE.as_bytes(), Some(10), now),
            Ok((SMALL.to_vec(), NOW))
        );
        assert_eq!(
            s.unsign(BIG_COOKIE.as_bytes(), None, 0),
            Ok((big_json(), NOW))
        );
        assert_eq!(
            s.unsign(OLD_KEY_COOKIE.as_bytes(), None, now),
            Ok((SMALL.to_vec(), NOW))
        );
        assert_eq!(
            s.unsign(ZERO_TIME_COOKIE.as_bytes(), Some(5), 5),
            Ok((b"{}".to_vec(), 0))
        );
    }

    #[test]
    fn old_key_is_not_accepted_once_dropped() {
        let s = Signer::new(&["dev-secret"], b"cookie-session").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            kind(s.unsign(OLD_KEY_COOKIE.as_bytes(), None, 0)),
            Some(Kind::Signature)
        );
    }

    #[test]
    fn expiry() {
        let s = signer();
        let now = i64::try_from(NOW).unwrap_or_default();
        let late = s.unsign(SMALL_COOKIE.as_bytes(), Some(10), now + 12);
        assert_eq!(
            late.err().map(|e| (e.kind, e.timestamp, e.message)),
            Some((
                Kind::Expired,
                Some(NOW),
                "Signature age 12 > 10 seconds".to_owned()
            ))
        );
        let early = s.unsign(SMALL_COOKIE.as_bytes(), Some(10), now - 3);
        assert_eq!(
            early.err().map(|e| e.message),
            Some("Signature age -3 < 0 seconds".to_owned())
        );
        assert!(s
            .unsign(SMALL_COOKIE.as_bytes(), Some(10), now + 10)
            .is_ok());
    }

    #[test]
    fn refusals() {
        let s = signer();
        let tampered = SMALL_COOKIE.replacen("eyJ", "eyK", 1);
        assert_eq!(
            kind(s.unsign(tampered.as_bytes(), None, 0)),
            Some(Kind::Signature)
        );
        assert_eq!(kind(s.unsign(b"", None, 0)), Some(Kind::Signature));
        assert_eq!(kind(s.unsign(b"abc", None, 0)), Some(Kind::Signature));
        assert_eq!(kind(s.unsign(b"...", None, 0)), Some(Kind::Signature));
        assert_eq!(
            kind(s.unsign(&SMALL_COOKIE.as_bytes()[..40], None, 0)),
            Some(Kind::Signature)
        );
    }

    #[test]
    fn signed_but_broken_inside() {
        let s = signer();
        let cases = [
            ("e30", Kind::Timestamp),
            ("e30.A", Kind::Timestamp),
            ("e30.____________", Kind::Timestamp),
            ("e.ZVPxAA", Kind::Payload),
            (".e30.ZVPxAA", Kind::Payload),
        ];
        for (text, want) in cases {
            assert_eq!(
                kind(s.unsign(sign_raw(&s, text).as_bytes(), None, 0)),
                Some(want),
                "{text}"
            );
        }
        // Leading zero bytes are read as itsdangerous reads them: up to
        // 8 bytes in all.
        assert_eq!(
            s.unsign(sign_raw(&s, "e30.AAAAZVPxAA").as_bytes(), None, 0),
            Ok((b"{}".to_vec(), NOW))
        );
        assert_eq!(
            kind(s.unsign(sign_raw(&s, "e30.AAAAAAAAZVPxAA").as_bytes(), None, 0)),
            Some(Kind::Timestamp)
        );
    }

    #[test]
    fn no_keys() {
        assert!(Signer::new::<&str>(&[], b"cookie-session").is_err());
    }

    fn sign_raw(s: &Signer, text: &str) -> String {
        let tag = s
            .keys
            .first()
            .cloned()
            .map(|m| m.chain_update(text.as_bytes()).finalize().into_bytes())
            .unwrap_or_default();
        let mut out = format!("{text}.");
        b64::encode_into(&tag, &mut out);
        out
    }

    #[test]
    fn signed_payload_contains_searches_verified_payloads_only() {
        let s = signer();
        let now = i64::try_from(NOW).unwrap_or_default();
        let plain = s.sign(br#"{"_permanent":true,"a":1}"#, NOW);
        assert!(s.signed_payload_contains(plain.as_bytes(), Some(10), now, b"_permanent"));
        assert!(s.signed_payload_contains(plain.as_bytes(), None, now, b""));
        assert!(!s.signed_payload_contains(plain.as_bytes(), Some(10), now, b"other"));
        // Expired, or not ours: nothing to find.
        assert!(!s.signed_payload_contains(plain.as_bytes(), Some(10), now + 11, b"_permanent"));
        let forged = plain.replacen("eyJ", "eyK", 1);
        assert!(!s.signed_payload_contains(forged.as_bytes(), None, now, b""));
        let long = format!(r#"{{"_permanent":true,"x":"{}"}}"#, "ab".repeat(200));
        let packed = s.sign(long.as_bytes(), NOW);
        assert!(packed.starts_with('.'));
        assert!(s.signed_payload_contains(packed.as_bytes(), None, now, b"_permanent"));
        assert!(!s.signed_payload_contains(b"no dots", None, now, b""));
        assert!(!s.signed_payload_contains(b"!!!.ZVPxAA.sig", None, now, b""));
    }

    #[test]
    fn forged_cookies_are_refused_before_anything_is_decoded() {
        let s = signer();
        // A compressed payload and a timestamp that would decode: neither
        // is read, and the refusal carries no (unverified) timestamp.
        let forged = BIG_COOKIE.replacen(".eJx", ".eJy", 1);
        let error = s.unsign(forged.as_bytes(), None, 0).err();
        assert_eq!(
            error.map(|e| (e.kind, e.timestamp)),
            Some((Kind::Signature, None))
        );
        // A signature of any length is refused without decoding it all.
        let long_sig = format!("e30.ZVPxAA.{}", "A".repeat(1 << 20));
        assert_eq!(
            kind(s.unsign(long_sig.as_bytes(), None, 0)),
            Some(Kind::Signature)
        );
    }

    #[test]
    fn verified_timestamps_of_any_spelling() {
        let s = signer();
        let cases: [(&str, Option<u64>); 6] = [
            ("e30.", Some(0)),
            ("e30.AAAAAAAAAAA", Some(0)),
            ("e30.gAAAAAAAAAA", Some(1 << 63)),
            ("e30.__________8", Some(u64::MAX)),
            ("e30.AQAAAAAAAAAA", None),
            ("e30.AAAAAAAAAAAAAAAA", None),
        ];
        for (text, want) in cases {
            let got = s.unsign(sign_raw(&s, text).as_bytes(), None, 0);
            match want {
                Some(ts) => assert_eq!(got, Ok((b"{}".to_vec(), ts)), "{text}"),
                None => assert_eq!(kind(got), Some(Kind::Timestamp), "{text}"),
            }
        }
    }

    #[test]
    fn far_timestamps_are_expired_both_ways() {
        let s = signer();
        let future = s.sign(b"{}", u64::MAX);
        let error = s.unsign(future.as_bytes(), Some(i64::MAX), i64::MAX).err();
        assert_eq!(
            error.map(|e| (e.kind, e.timestamp)),
            Some((Kind::Expired, Some(u64::MAX)))
        );
        let past = s.sign(b"{}", 0);
        assert_eq!(
            kind(s.unsign(past.as_bytes(), Some(i64::MIN), i64::MIN)),
            Some(Kind::Expired)
        );
        assert_eq!(
            s.unsign(past.as_bytes(), Some(i64::MAX), i64::MAX),
            Ok((b"{}".to_vec(), 0))
        );
    }
}
