//! The arithmetic of one-time codes, pure: TOTP (RFC 6238: SHA-1, 6 digits,
//! 30 s, one step of skew either way) and the shape of recovery codes.
//! Who may try a code, and how often, is [`super::credentials`]'s business.

use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

use super::DomainError;
use super::tokens::random_bytes;
use crate::clock::UnixTime;

pub const DIGITS: usize = 6;
pub const STEP_SECONDS: i64 = 30;
pub const RECOVERY_CODE_COUNT: usize = 10;
/// Characters of a recovery code (base32: 5 bits each, 80 bits in all).
const RECOVERY_CODE_CHARS: usize = 16;
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The generator for a secret; `account` and `issuer` label it in apps.
pub fn totp(secret: &[u8], account: &str, issuer: &str) -> Result<TOTP, DomainError> {
    // The otpauth label may not contain ':'; account names never do, but be safe.
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        1,
        u64::try_from(STEP_SECONDS).unwrap_or(30),
        secret.to_vec(),
        Some(issuer.replace(':', " ")),
        account.replace(':', " "),
    )
    .map_err(|e| DomainError::Internal(format!("TOTP setup failed: {e}")))
}

/// The code for a time step.
pub fn code_for_step(secret: &[u8], step: i64) -> Result<String, DomainError> {
    let totp = totp(secret, "x", "x")?;
    Ok(totp.generate(u64::try_from(step * STEP_SECONDS).unwrap_or(0)))
}

/// The time step within one step of `now` whose code this is, comparing in
/// constant time. A code that is not six ASCII digits never matches.
pub fn matching_step(secret: &[u8], code: &str, now: UnixTime) -> Result<Option<i64>, DomainError> {
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let current = now.div_euclid(STEP_SECONDS);
    let mut found = None;
    for step in current - 1..=current + 1 {
        let expected = code_for_step(secret, step)?;
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) && found.is_none() {
            found = Some(step);
        }
    }
    Ok(found)
}

/// What the user typed, without spaces (and without hyphens for recovery codes).
pub fn compact(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Whether typed text has the shape of a recovery code: its canonical form.
pub fn recovery_form(code: &str) -> Option<String> {
    let letters: String = compact(code)
        .chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (letters.len() == RECOVERY_CODE_CHARS && letters.bytes().all(|b| BASE32.contains(&b)))
        .then_some(letters)
}

/// A fresh recovery code, as shown: `ABCD-EFGH-IJKL-MNOP`.
pub fn new_recovery_code() -> Result<String, DomainError> {
    let mut code = String::with_capacity(RECOVERY_CODE_CHARS + 3);
    for (i, byte) in random_bytes::<RECOVERY_CODE_CHARS>()?.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        code.push(char::from(BASE32[usize::from(byte % 32)]));
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1, truncated to six digits.
    #[test]
    fn rfc6238_vectors() {
        let secret = b"12345678901234567890";
        let cases = [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ];
        for (time, code) in cases {
            assert_eq!(
                code_for_step(secret, time / STEP_SECONDS).unwrap(),
                code,
                "{time}"
            );
        }
    }

    #[test]
    fn one_step_of_skew_either_way() {
        let secret = b"12345678901234567890";
        let now = 1_111_111_111;
        let step = now / STEP_SECONDS;
        for offset in [-1, 0, 1] {
            let code = code_for_step(secret, step + offset).unwrap();
            assert_eq!(
                matching_step(secret, &code, now).unwrap(),
                Some(step + offset)
            );
        }
        for offset in [-2, 2] {
            let code = code_for_step(secret, step + offset).unwrap();
            assert_eq!(matching_step(secret, &code, now).unwrap(), None, "{offset}");
        }
        for malformed in ["12345", "1234567", "12 345", "١٢٣٤٥٦", "abcdef", ""] {
            assert_eq!(
                matching_step(secret, malformed, now).unwrap(),
                None,
                "{malformed}"
            );
        }
    }

    #[test]
    fn recovery_codes_have_a_shape_of_their_own() {
        let code = new_recovery_code().unwrap();
        assert_eq!(code.len(), 19);
        assert_eq!(code.matches('-').count(), 3);
        let normalized = recovery_form(&code).unwrap();
        assert_eq!(
            recovery_form(&code.to_lowercase()).as_deref(),
            Some(normalized.as_str())
        );
        assert_eq!(
            recovery_form(&code.replace('-', " ")).as_deref(),
            Some(normalized.as_str())
        );
        assert!(recovery_form("123456").is_none());
        assert!(
            recovery_form("ABCD-EFGH-IJKL-MNO1").is_none(),
            "1 is not base32"
        );
    }
}
