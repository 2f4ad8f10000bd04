//! A signed request's `Authorization` and date headers, and the string the
//! signature covers. Properties: no panic; only HMAC-SHA256 is accepted;
//! what the popup writes (`signing::authorization`) parses back to the same
//! credential; a date that parses formats and parses again to the same
//! instant; two requests that differ in a signed part never give the same
//! string to sign.
//!
//! Input, by lines: an `Authorization` header; an access key and a
//! signature (mapped onto their alphabets); then two requests of eight lines
//! each: method, path and query, date, host, content type, `sorna` for the
//! legacy version header, version, body.

#![no_main]

use baigate_shared::authorization::{SignatureError, day_of, parse_authorization, parse_date};
use baigate_shared::signing::{EMPTY_BODY_SINCE, Signable, authorization, string_to_sign};
use libfuzzer_sys::fuzz_target;
use time::format_description::well_known::Rfc3339;

const KEY_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const HEX: &[u8] = b"0123456789abcdefABCDEF";

fn token(text: &str, alphabet: &[u8]) -> String {
    text.bytes()
        .map(|b| char::from(alphabet[usize::from(b) % alphabet.len()]))
        .collect()
}

fn request<'a>(lines: &mut impl Iterator<Item = &'a str>) -> Signable<'a> {
    let mut next = || lines.next().unwrap_or_default();
    let (method, path_and_query, date, host, content_type) =
        (next(), next(), next(), next(), next());
    let version_header = if next() == "sorna" {
        "x-sorna-version"
    } else {
        "x-backendai-version"
    };
    let (version, body) = (next(), next());
    Signable {
        method,
        path_and_query,
        host,
        content_type,
        date,
        version_header,
        version,
        body: body.as_bytes(),
    }
}

/// What the signature covers: the body only for old API versions.
type Signed<'a> = (
    String,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    Option<&'a [u8]>,
);

fn signed_parts<'a>(r: &Signable<'a>) -> Signed<'a> {
    let body = (r.version < EMPTY_BODY_SINCE).then_some(r.body);
    let method = r.method.to_ascii_uppercase();
    (
        method,
        r.path_and_query,
        r.date,
        r.host,
        r.content_type,
        r.version_header,
        r.version,
        body,
    )
}

/// HTTP carries no line break in these parts (hyper refuses them).
fn fits_http(r: &Signable<'_>) -> bool {
    [
        r.method,
        r.path_and_query,
        r.date,
        r.host,
        r.content_type,
        r.version,
    ]
    .iter()
    .all(|part| !part.contains('\r'))
}

fuzz_target!(|text: &str| {
    let mut lines = text.split('\n');
    let header = lines.next().unwrap_or_default();
    match parse_authorization(header) {
        Ok(Some(credential)) => {
            assert!(!credential.access_key.is_empty());
            assert!(!credential.signature.is_empty());
            assert_eq!(
                credential.signature,
                credential.signature.to_ascii_lowercase()
            );
            assert!(
                header.to_ascii_lowercase().contains("hmac-sha256"),
                "{header:?}"
            );
        }
        Ok(None) | Err(SignatureError::Malformed | SignatureError::UnsupportedMethod) => {}
        Err(other) => panic!("the header parser answered {other:?}"),
    }

    let access_key = token(lines.next().unwrap_or_default(), KEY_ALPHABET);
    let signature = token(lines.next().unwrap_or_default(), HEX);
    if !access_key.is_empty() && !signature.is_empty() {
        let parsed = parse_authorization(&authorization(&access_key, &signature))
            .ok()
            .flatten()
            .map(|c| (c.access_key, c.signature));
        assert_eq!(parsed, Some((access_key, signature.to_ascii_lowercase())));
    }

    let a = request(&mut lines);
    let b = request(&mut lines);
    for raw in [header, a.date, b.date] {
        if let Some(date) = parse_date(raw) {
            if let Ok(formatted) = date.format(&Rfc3339) {
                let again = parse_date(&formatted);
                assert_eq!(again, Some(date), "{raw:?} -> {formatted:?}");
            }
            let day = day_of(date);
            assert!(day.len() >= 8 && day.bytes().all(|b| b.is_ascii_digit() || b == b'-'));
        }
    }
    if fits_http(&a) && fits_http(&b) && signed_parts(&a) != signed_parts(&b) {
        assert_ne!(string_to_sign(&a), string_to_sign(&b), "{a:?} and {b:?}");
    }
});
