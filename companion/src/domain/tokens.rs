//! Random secrets and how they are kept: only a SHA-256 of any bearer token
//! reaches the database.

use sha2::{Digest, Sha256};

use super::DomainError;

/// Bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], DomainError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| DomainError::Internal(format!("the system random source failed: {e}")))?;
    Ok(bytes)
}

/// A new session token: 256 random bits as 64 lowercase hex digits, and the
/// hash under which it is stored.
pub fn new_session_token() -> Result<(String, [u8; 32]), DomainError> {
    let token = hex::encode(random_bytes::<32>()?);
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// A new token for links and invitations: 256 random bits, base64url (43
/// characters), and the hash under which it is stored.
pub fn new_url_token() -> Result<(String, [u8; 32]), DomainError> {
    use base64::Engine;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// Whether a presented value can be a link or invitation token at all.
pub fn is_url_token_shaped(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether a presented value can be one of our session tokens at all; anything
/// else is treated as no session without touching the database.
pub fn is_session_token_shaped(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A public id in UUID form (version 4, random).
pub fn new_uuid() -> Result<String, DomainError> {
    let mut bytes = random_bytes::<16>()?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn session_tokens_are_unique_256_bit_and_hashed() {
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let (token, hash) = new_session_token().unwrap();
            assert!(is_session_token_shaped(&token));
            assert_eq!(hex::decode(&token).unwrap().len(), 32);
            assert_eq!(hash, token_hash(&token));
            assert_ne!(hash.as_slice(), hex::decode(&token).unwrap().as_slice());
            assert!(seen.insert(token));
        }
    }

    #[test]
    fn token_shape() {
        assert!(!is_session_token_shaped("b43e5e02a8464569afb4ffd372972626"));
        assert!(!is_session_token_shaped(&"G".repeat(64)));
        assert!(!is_session_token_shaped(&"A".repeat(64)));
        assert!(is_session_token_shaped(&"a".repeat(64)));
    }

    #[test]
    fn url_tokens_are_256_bit_base64url() {
        let (token, hash) = new_url_token().unwrap();
        assert!(is_url_token_shaped(&token), "{token}");
        assert_eq!(hash, token_hash(&token));
        assert!(!is_url_token_shaped("short"));
        assert!(!is_url_token_shaped(&"+".repeat(43)));
    }

    #[test]
    fn uuids_are_version_4() {
        let id = new_uuid().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
    }
}
