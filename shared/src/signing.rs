//! Backend.AI's HMAC request signing (API keypair mode), as both sides use it:
//! the popup signs, the companion checks.
//!
//! ```text
//! string to sign = METHOD \n path?query \n raw date \n host:<Host> \n
//!                  content-type:<mime> \n <version header>:<version> \n <body hash>
//! signing key    = HMAC(HMAC(secret key, YYYYMMDD of the date in its own zone), host)
//! signature      = hex(HMAC(signing key, string to sign))
//! Authorization: BackendAI signMethod=HMAC-SHA256, credential=<access key>:<signature>
//! ```
//!
//! The body hash is of the empty string for API versions from v4.20181215 on
//! (what every current client sends), of the body before.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// API versions from this one on sign the hash of an empty body.
pub const EMPTY_BODY_SINCE: &str = "v4.20181215";
/// The API version the popup speaks (Backend.AI 24.09 and later).
pub const API_VERSION: &str = "v8.20240915";

/// A request as it is signed.
#[derive(Debug, Clone)]
pub struct Signable<'a> {
    pub method: &'a str,
    /// Path and query exactly as on the wire.
    pub path_and_query: &'a str,
    /// The `Host` header: the URL's authority (with a port only if not the default).
    pub host: &'a str,
    /// MIME type only, lower case; `application/octet-stream` when absent.
    pub content_type: &'a str,
    /// The `Date` / `X-BackendAI-Date` header as sent.
    pub date: &'a str,
    /// `x-backendai-version` (or the legacy `x-sorna-version`).
    pub version_header: &'a str,
    pub version: &'a str,
    pub body: &'a [u8],
}

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC takes a key of any length, so this cannot fail.
    match HmacSha256::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0; 32],
    }
}

/// The string the client signs.
pub fn string_to_sign(request: &Signable<'_>) -> String {
    let body_hash = if request.version < EMPTY_BODY_SINCE {
        hex::encode(Sha256::digest(request.body))
    } else {
        hex::encode(Sha256::digest(b""))
    };
    format!(
        "{method}\n{path}\n{date}\nhost:{host}\ncontent-type:{content_type}\n{header}:{version}\n{body_hash}",
        method = request.method.to_ascii_uppercase(),
        path = request.path_and_query,
        date = request.date,
        host = request.host,
        content_type = request.content_type,
        header = request.version_header.to_ascii_lowercase(),
        version = request.version,
    )
}

/// The per-day, per-host signing key; `day` is `YYYYMMDD` of the date in
/// the zone the date was written in.
pub fn signing_key(secret_key: &str, day: &str, host: &str) -> [u8; 32] {
    hmac(
        &hmac(secret_key.as_bytes(), day.as_bytes()),
        host.as_bytes(),
    )
}

/// The hex signature of a request.
pub fn signature(request: &Signable<'_>, secret_key: &str, day: &str) -> String {
    let key = signing_key(secret_key, day, request.host);
    hex::encode(hmac(&key, string_to_sign(request).as_bytes()))
}

/// `YYYYMMDD` of an ISO 8601 date (`2024-01-02T…`), in the date's own zone.
pub fn iso_day(date: &str) -> Option<String> {
    let day = date.get(..10)?;
    let bytes = day.as_bytes();
    let shaped = bytes.iter().enumerate().all(|(i, b)| match i {
        4 | 7 => *b == b'-',
        _ => b.is_ascii_digit(),
    });
    shaped.then(|| day.replace('-', ""))
}

/// The `Authorization` header value.
pub fn authorization(access_key: &str, signature: &str) -> String {
    format!("BackendAI signMethod=HMAC-SHA256, credential={access_key}:{signature}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    fn request<'a>(
        method: &'a str,
        host: &'a str,
        path_and_query: &'a str,
        date: &'a str,
        content_type: &'a str,
        version: &'a str,
    ) -> Signable<'a> {
        Signable {
            method,
            path_and_query,
            host,
            content_type,
            date,
            version_header: "X-BackendAI-Version",
            version,
            body: b"",
        }
    }

    /// Protocol §6, vectors 1–3 (1 and 2 computed with the real
    /// `backend.ai-client` 23.9.10; 3 with a browser-style date).
    #[test]
    fn published_vectors() {
        let one = request(
            "GET",
            "127.0.0.1:8090",
            "/auth/role?group=8c4e2f16",
            "2024-01-02T03:04:05.678901+00:00",
            "text/plain",
            "v7.20230615",
        );
        let day = iso_day(one.date).unwrap();
        assert_eq!(day, "20240102");
        assert_eq!(
            hex::encode(signing_key(SECRET, &day, one.host)),
            "c236ad46afc00d04a1ec2312eff9d100781da36c5cea5169c994e802ba44f577"
        );
        assert_eq!(
            string_to_sign(&one),
            "GET\n/auth/role?group=8c4e2f16\n2024-01-02T03:04:05.678901+00:00\nhost:127.0.0.1:8090\n\
             content-type:text/plain\nx-backendai-version:v7.20230615\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            signature(&one, SECRET, &day),
            "43b6d9ad8df91df78e5878d6a7165588c7fc1ce54a297c22a204feedd0beaadd"
        );

        let two = request(
            "POST",
            "api.example.com",
            "/auth/update-password",
            "2024-01-02T03:04:05.678901+00:00",
            "application/json",
            "v8.20240915",
        );
        assert_eq!(
            hex::encode(signing_key(SECRET, "20240102", two.host)),
            "151fced4dddad5cb359b9a10fe816e5f58a17f7369df58414859f0642d8e7beb"
        );
        assert_eq!(
            signature(&two, SECRET, "20240102"),
            "f669d5ca9226a0cfc08aa1e6271c2c3ca166a7cc2a445b9b2d04b43132fe7d72"
        );

        let three = request(
            "POST",
            "api.example.com",
            "/auth/update-password",
            "2024-01-02T03:04:05.678Z",
            "application/json",
            "v8.20240915",
        );
        assert_eq!(
            signature(&three, SECRET, &iso_day(three.date).unwrap()),
            "36887c7f4af105052bfd961d130162c29b838e1fa42595fcdf14e45389479c6b"
        );
        assert_eq!(
            authorization("AKIAIOSFODNN7EXAMPLE", "36887c7f"),
            "BackendAI signMethod=HMAC-SHA256, credential=AKIAIOSFODNN7EXAMPLE:36887c7f"
        );
    }

    #[test]
    fn old_api_versions_sign_the_body() {
        let mut old = request(
            "POST",
            "h",
            "/p",
            "2024-01-02T03:04:05Z",
            "application/json",
            "v3.20170615",
        );
        old.body = b"{\"a\":1}";
        let with_body = signature(&old, SECRET, "20240102");
        old.body = b"{\"a\":2}";
        assert_ne!(signature(&old, SECRET, "20240102"), with_body);
        let mut new = request(
            "POST",
            "h",
            "/p",
            "2024-01-02T03:04:05Z",
            "application/json",
            "v8.20240915",
        );
        new.body = b"{\"a\":1}";
        let first = signature(&new, SECRET, "20240102");
        new.body = b"{\"a\":2}";
        assert_eq!(
            signature(&new, SECRET, "20240102"),
            first,
            "bodies are not signed"
        );
    }

    #[test]
    fn days_of_iso_dates() {
        assert_eq!(
            iso_day("2024-01-02T03:04:05.678Z").as_deref(),
            Some("20240102")
        );
        assert_eq!(
            iso_day("2024-01-02T23:30:00-05:00").as_deref(),
            Some("20240102"),
            "the date's own zone"
        );
        assert_eq!(iso_day("Tue, 02 Jan 2024 03:04:05 GMT"), None);
        assert_eq!(iso_day("2024-1-2"), None);
    }
}
