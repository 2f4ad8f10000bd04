//! What a signed request carries, parsed: the `Authorization: BackendAI …`
//! header and the date header. The companion checks signatures with them
//! (`companion/src/domain/signing.rs`); they are here so that the fuzz
//! targets (`fuzz/`) build without the server.

use time::format_description::well_known::{Rfc2822, Rfc3339};
use time::{OffsetDateTime, PrimitiveDateTime};

/// Why a signature was not accepted. `Mismatch` covers an unknown access
/// key, a wrong signature, a replay and an account that may not use its keys.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("Malformed authorization header")]
    Malformed,
    #[error("Only HMAC-SHA256 signatures are accepted")]
    UnsupportedMethod,
    #[error("Missing X-BackendAI-Version header")]
    MissingVersion,
    #[error("Date/time sync error")]
    Date,
    #[error("Signature mismatch")]
    Mismatch,
}

/// The parts of an `Authorization: BackendAI …` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key: String,
    /// Lower-case, as it is compared.
    pub signature: String,
}

/// Parses the header; `Ok(None)` when it is not a Backend.AI signature at all
/// (so other schemes can be tried).
pub fn parse_authorization(header: &str) -> Result<Option<Credential>, SignatureError> {
    let Some((scheme, rest)) = header.trim().split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("BackendAI") && !scheme.eq_ignore_ascii_case("Sorna") {
        return Ok(None);
    }
    let mut method = None;
    let mut credential = None;
    for item in rest.split(',') {
        let (key, value) = item
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match key.trim() {
            "signMethod" => method = Some(value.trim()),
            "credential" => credential = Some(value.trim()),
            _ => {}
        }
    }
    let method = method.ok_or(SignatureError::Malformed)?;
    if !method.eq_ignore_ascii_case("HMAC-SHA256") {
        return Err(SignatureError::UnsupportedMethod);
    }
    let (access_key, signature) = credential
        .and_then(|c| c.split_once(':'))
        .ok_or(SignatureError::Malformed)?;
    if access_key.is_empty() || signature.is_empty() {
        return Err(SignatureError::Malformed);
    }
    Ok(Some(Credential {
        access_key: access_key.to_owned(),
        signature: signature.to_ascii_lowercase(),
    }))
}

/// Parses the date header: RFC 3339 / ISO 8601 (a date without a zone is
/// UTC) or an HTTP date.
pub fn parse_date(raw: &str) -> Option<OffsetDateTime> {
    let raw = raw.trim();
    if let Ok(date) = OffsetDateTime::parse(raw, &Rfc3339) {
        return Some(date);
    }
    if let Ok(date) = OffsetDateTime::parse(raw, &Rfc2822) {
        return Some(date);
    }
    let naive = time::macros::format_description!(
        version = 2,
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    PrimitiveDateTime::parse(raw, naive)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// `YYYYMMDD` of a date, in the zone it was written in (the signing key's
/// day).
pub fn day_of(date: OffsetDateTime) -> String {
    format!(
        "{:04}{:02}{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::authorization;

    #[test]
    fn authorization_headers() {
        let ok = parse_authorization(
            "BackendAI signMethod=HMAC-SHA256, credential=AKIAIOSFODNN7EXAMPLE:ABCDEF",
        )
        .unwrap()
        .unwrap();
        assert_eq!(ok.access_key, "AKIAIOSFODNN7EXAMPLE");
        assert_eq!(ok.signature, "abcdef");
        assert_eq!(parse_authorization("Bearer xyz").unwrap(), None);
        let cases = [
            (
                "BackendAI signMethod=HMAC-MD5, credential=AK:sig",
                SignatureError::UnsupportedMethod,
            ),
            (
                "BackendAI signMethod=HMAC-SHA1, credential=AK:sig",
                SignatureError::UnsupportedMethod,
            ),
            ("BackendAI credential=AK:sig", SignatureError::Malformed),
            (
                "BackendAI signMethod=HMAC-SHA256",
                SignatureError::Malformed,
            ),
            (
                "BackendAI signMethod=HMAC-SHA256, credential=AKsig",
                SignatureError::Malformed,
            ),
            (
                "BackendAI signMethod=HMAC-SHA256, credential=:sig",
                SignatureError::Malformed,
            ),
            ("BackendAI garbage", SignatureError::Malformed),
        ];
        for (header, error) in cases {
            assert_eq!(parse_authorization(header), Err(error), "{header}");
        }
    }

    #[test]
    fn what_the_popup_writes_parses_back() {
        let header = authorization("AKIAIOSFODNN7EXAMPLE", "0a1b2c");
        assert_eq!(
            parse_authorization(&header),
            Ok(Some(Credential {
                access_key: "AKIAIOSFODNN7EXAMPLE".into(),
                signature: "0a1b2c".into(),
            }))
        );
    }

    #[test]
    fn dates() {
        for raw in [
            "2024-01-02T03:04:05.678901+00:00",
            "2024-01-02T03:04:05.678Z",
            "2024-01-02T03:04:05",
            "Tue, 02 Jan 2024 03:04:05 GMT",
        ] {
            let date = parse_date(raw).unwrap();
            assert_eq!(date.unix_timestamp(), 1_704_164_645, "{raw}");
        }
        // The day is taken in the header's own zone.
        let seoul = parse_date("2024-01-02T08:00:00+09:00").unwrap();
        assert_eq!(day_of(seoul), "20240102");
        assert!(parse_date("yesterday").is_none());
    }
}
