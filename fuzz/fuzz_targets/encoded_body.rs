//! The WebUI's encoded login body (`X-BackendAI-Encoded: true`): what the
//! companion does with it, from the raw body to the login fields.
//! Properties: no panic on any body or `Host`; at most three endpoints are
//! tried; what decrypts is JSON; a body the browser encodes for any of those
//! endpoints decrypts to exactly what it encoded.
//!
//! Input, by lines: the `Host` header (`-` for none), `https` or not for the
//! public URL, 16 bytes of IV, the plaintext; the rest is a body as sent.

#![no_main]

use baigate_shared::body::parse_object;
use baigate_shared::encoded::{IV_LEN, candidate_endpoints, decrypt, decrypt_json, encrypt};
use baigate_shared::webserver::LoginRequest;
use libfuzzer_sys::fuzz_target;

/// The WebUI's IVs are random letters and digits.
const IV_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn is_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
}

fuzz_target!(|data: &[u8]| {
    let mut lines = data.splitn(5, |b| *b == b'\n');
    let host = lines.next().and_then(|line| std::str::from_utf8(line).ok());
    let host = host.filter(|host| *host != "-");
    let public = match lines.next() {
        Some(b"https") => "https://login.example.com",
        _ => "http://127.0.0.1:8090",
    };
    let mut iv = [b'A'; IV_LEN];
    for (slot, b) in iv.iter_mut().zip(lines.next().unwrap_or_default()) {
        *slot = IV_ALPHABET[usize::from(*b) % IV_ALPHABET.len()];
    }
    let plaintext = lines.next().unwrap_or_default();
    let body = lines.next().unwrap_or_default();

    let endpoints = candidate_endpoints(host, public);
    assert!((1..=3).contains(&endpoints.len()), "{endpoints:?}");

    // Whatever a client sends.
    if let Some(plain) = decrypt_json(&endpoints, body) {
        assert!(is_json(&plain));
        let _ = parse_object::<LoginRequest>(&plain);
    }

    // What a browser sends.
    for endpoint in &endpoints {
        let wire = encrypt(endpoint, &iv, plaintext);
        assert_eq!(decrypt(endpoint, &wire).as_deref(), Ok(plaintext));
        if is_json(plaintext) {
            // Whichever candidate comes first, only the right key gives JSON
            // (endpoints that share a key give the same plaintext).
            assert_eq!(decrypt_json(&endpoints, &wire).as_deref(), Some(plaintext));
        }
    }
});
