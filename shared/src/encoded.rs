//! The `X-BackendAI-Encoded: true` request body of the Backend.AI WebUI.
//!
//! Body = `iv ":" base64(AES-256-CBC(key, iv, PKCS#7(json)))`, with `iv` 16
//! ASCII characters and `key = (base64(endpoint) + iv + iv)[..32]`, where
//! `endpoint` is `scheme://host[:port]` as the browser was told to use. It
//! hides the password from casual inspection only; TLS is what protects it.
//!
//! Here rather than in the companion so that the fuzz targets (`fuzz/`)
//! build without the server.

use aes::Aes256;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};

pub const IV_LEN: usize = 16;
const KEY_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the encoded body is not `iv:base64`")]
    Shape,
    #[error("the encoded body's ciphertext is not valid base64")]
    Base64,
    #[error("the encoded body does not decrypt with this server's endpoint")]
    Decrypt,
}

/// The AES key for an endpoint and IV.
fn derive_key(endpoint: &str, iv: &[u8; IV_LEN]) -> [u8; KEY_LEN] {
    let mut material = STANDARD.encode(endpoint).into_bytes();
    material.extend_from_slice(iv);
    material.extend_from_slice(iv);
    let mut key = [0u8; KEY_LEN];
    // base64 of any endpoint plus two IVs is at least 32 bytes.
    for (slot, byte) in key.iter_mut().zip(material) {
        *slot = byte;
    }
    key
}

/// Decrypts an encoded body for the given endpoint.
pub fn decrypt(endpoint: &str, body: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| DecodeError::Shape)?
        .trim();
    let (iv_text, ciphertext_b64) = text.split_once(':').ok_or(DecodeError::Shape)?;
    let iv: [u8; IV_LEN] = iv_text
        .as_bytes()
        .try_into()
        .map_err(|_| DecodeError::Shape)?;
    let ciphertext = STANDARD
        .decode(ciphertext_b64)
        .map_err(|_| DecodeError::Base64)?;
    let key = derive_key(endpoint, &iv);
    cbc::Decryptor::<Aes256>::new(&key.into(), &iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(&ciphertext)
        .map_err(|_| DecodeError::Decrypt)
}

/// The browser's side: encodes `plaintext` for `endpoint` with `iv` (tests
/// and fuzz targets build bodies with it).
pub fn encrypt(endpoint: &str, iv: &[u8; IV_LEN], plaintext: &[u8]) -> Vec<u8> {
    let key = derive_key(endpoint, iv);
    let ciphertext = cbc::Encryptor::<Aes256>::new(&key.into(), &(*iv).into())
        .encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    let mut body = iv.to_vec();
    body.push(b':');
    body.extend_from_slice(STANDARD.encode(ciphertext).as_bytes());
    body
}

/// The endpoints a browser may have derived an encoded body's key from:
/// `http://<Host>` and `https://<Host>` as the request reached the server
/// (the public URL's scheme first), then the configured public origin. At
/// most three, so a body costs at most three decryptions.
pub fn candidate_endpoints(host: Option<&str>, public_origin: &str) -> Vec<String> {
    let mut endpoints = Vec::with_capacity(3);
    if let Some(host) = host {
        let preferred = if public_origin.starts_with("https://") {
            ["https", "http"]
        } else {
            ["http", "https"]
        };
        for scheme in preferred {
            endpoints.push(format!("{scheme}://{host}"));
        }
    }
    endpoints.push(public_origin.to_owned());
    endpoints
}

/// The plaintext of an encoded body under the first endpoint it decrypts
/// with into JSON (a wrong key can still unpad to bytes by chance), or
/// `None`.
pub fn decrypt_json(endpoints: &[String], body: &[u8]) -> Option<Vec<u8>> {
    endpoints.iter().find_map(|endpoint| {
        decrypt(endpoint, body)
            .ok()
            .filter(|plain| serde_json::from_slice::<serde::de::IgnoredAny>(plain).is_ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(text: &str) -> [u8; IV_LEN] {
        text.as_bytes().try_into().unwrap()
    }

    fn encrypt_text(endpoint: &str, iv_text: &str, plaintext: &str) -> String {
        String::from_utf8(encrypt(endpoint, &iv(iv_text), plaintext.as_bytes())).unwrap()
    }

    /// Protocol §1.3, first vector: accepted by the real 23.09 webserver.
    #[test]
    fn vector_loopback_endpoint() {
        let endpoint = "http://127.0.0.1:18080";
        let iv_text = "ABCDEFGHIJKLMNOP";
        let plaintext = r#"{"username": "user2@example.com", "password": "S3cret!pass"}"#;
        let wire = "ABCDEFGHIJKLMNOP:mX+94ZMn3hIOvfhQO/mgkT/05yfb/ImdiKxC7aeeazX6ZdFxwo1rQEdhRu2B7R4SIely4sbxdyoRGjVIvoPelg==";
        assert_eq!(
            &derive_key(endpoint, &iv(iv_text)),
            b"aHR0cDovLzEyNy4wLjAuMToxODA4MA=="
        );
        assert_eq!(encrypt_text(endpoint, iv_text, plaintext), wire);
        assert_eq!(
            decrypt(endpoint, wire.as_bytes()).unwrap(),
            plaintext.as_bytes()
        );
    }

    /// Protocol §1.3, second vector: an endpoint whose base64 alone fills the key.
    #[test]
    fn vector_https_endpoint() {
        let endpoint = "https://webui.example.com";
        let iv_text = "ABCDEFGHIJKLMNOP";
        let plaintext = r#"{"username":"a@b.c","password":"x"}"#;
        let wire =
            "ABCDEFGHIJKLMNOP:XyTg36MGV8b5AZSxIHIOq8BwITepAktFwTt+pEmAIgRBz6kTLHq/aJV/Imkp7lM5";
        assert_eq!(
            &derive_key(endpoint, &iv(iv_text)),
            b"aHR0cHM6Ly93ZWJ1aS5leGFtcGxlLmNv"
        );
        assert_eq!(encrypt_text(endpoint, iv_text, plaintext), wire);
        assert_eq!(
            decrypt(endpoint, wire.as_bytes()).unwrap(),
            plaintext.as_bytes()
        );
    }

    #[test]
    fn short_endpoints_mix_the_iv_into_the_key() {
        let a = encrypt_text("http://a", "ABCDEFGHIJKLMNOP", "{}");
        assert!(decrypt("http://a", a.as_bytes()).is_ok());
        let b = encrypt_text("http://a", "PONMLKJIHGFEDCBA", "{}");
        assert_ne!(a.split_once(':').unwrap().1, b.split_once(':').unwrap().1);
    }

    #[test]
    fn malformed_bodies_are_refused_cleanly() {
        let good = encrypt_text("http://127.0.0.1:8090", "ABCDEFGHIJKLMNOP", r#"{"a":1}"#);
        assert_eq!(
            decrypt("http://127.0.0.1:9999", good.as_bytes()),
            Err(DecodeError::Decrypt)
        );
        let cases: [(&[u8], DecodeError); 6] = [
            (b"", DecodeError::Shape),
            (b"no-colon", DecodeError::Shape),
            (b"SHORT:AAAA", DecodeError::Shape),
            (b"ABCDEFGHIJKLMNOP:***", DecodeError::Base64),
            (b"ABCDEFGHIJKLMNOP:AAAA", DecodeError::Decrypt),
            (b"\xff\xfe", DecodeError::Shape),
        ];
        for (body, expected) in cases {
            assert_eq!(
                decrypt("http://127.0.0.1:8090", body),
                Err(expected),
                "{body:?}"
            );
        }
    }

    #[test]
    fn candidates_prefer_the_public_scheme_and_stop_at_three() {
        assert_eq!(
            candidate_endpoints(Some("h:1"), "https://p"),
            ["https://h:1", "http://h:1", "https://p"]
        );
        assert_eq!(
            candidate_endpoints(Some("h:1"), "http://p"),
            ["http://h:1", "https://h:1", "http://p"]
        );
        assert_eq!(candidate_endpoints(None, "http://p"), ["http://p"]);
    }

    #[test]
    fn decrypts_with_whichever_endpoint_the_browser_used() {
        let endpoints = candidate_endpoints(Some("127.0.0.1:8090"), "https://login.example.com");
        for endpoint in &endpoints {
            let body = encrypt(endpoint, &iv("ABCDEFGHIJKLMNOP"), br#"{"a":1}"#);
            assert_eq!(
                decrypt_json(&endpoints, &body).as_deref(),
                Some(&br#"{"a":1}"#[..])
            );
        }
        let foreign = encrypt("http://elsewhere", &iv("ABCDEFGHIJKLMNOP"), b"{}");
        assert_eq!(decrypt_json(&endpoints, &foreign), None);
        let not_json = encrypt(&endpoints[0], &iv("ABCDEFGHIJKLMNOP"), b"not json");
        assert_eq!(decrypt_json(&endpoints, &not_json), None);
    }
}
