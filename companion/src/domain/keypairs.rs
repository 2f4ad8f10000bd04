//! API keypairs: an account's access key and sealed secret key, rotated by
//! an administrator or by the account holder after proving who they are.

use base64::Engine;

use super::credentials::ReauthError;
use super::sessions::LiveSession;
use super::tokens::random_bytes;
use super::{Domain, DomainError};
use crate::i18n::Lang;
use crate::model::{AuditEvent, AuditKind, ClientInfo, User};

const ACCESS_KEY_ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

impl Domain {
    /// Replaces an account's keypair; returns the account and the new secret
    /// key (shown once).
    pub async fn rotate_keypair(
        &self,
        user: &User,
        client: ClientInfo,
    ) -> Result<(User, String), DomainError> {
        let access_key = new_access_key()?;
        let secret_key = new_secret_key()?;
        let sealed = self
            .keys
            .seal(secret_key.as_bytes(), access_key.as_bytes())?;
        let event = AuditEvent::new(AuditKind::KeypairRotated, self.now(), Some(user.id), client)
            .with_detail(format!("replaced {}", user.access_key));
        let user = self
            .store
            .replace_keypair(user.id, access_key, sealed, event)
            .await?;
        tracing::info!(user = %user.uuid, "keypair rotated");
        Ok((user, secret_key))
    }

    /// A new keypair for the caller, after the password (and a current code
    /// when 2FA is on).
    pub async fn rotate_own_keypair(
        &self,
        live: &LiveSession,
        password: &str,
        code: Option<&str>,
        client: ClientInfo,
        lang: Lang,
    ) -> Result<(User, String), ReauthError> {
        self.reauthenticate_fully(&live.user, password, code, &client, lang)
            .await?;
        Ok(self.rotate_keypair(&live.user, client).await?)
    }

    /// The secret key of an account, unsealed.
    pub async fn secret_key(&self, user: &User) -> Result<String, DomainError> {
        let sealed = self
            .store
            .sealed_secret_key(user.id)
            .await?
            .ok_or_else(|| DomainError::Internal("the account has no stored secret key".into()))?;
        let bytes = self.keys.open(&sealed, user.access_key.as_bytes())?;
        String::from_utf8(bytes)
            .map_err(|_| DomainError::Internal("a stored secret key is not text".into()))
    }
}

/// A Backend.AI-style access key: `AKIA` and 16 uppercase letters or digits.
pub fn new_access_key() -> Result<String, DomainError> {
    let mut key = String::from("AKIA");
    while key.len() < 20 {
        for byte in random_bytes::<32>()? {
            // 252 = 7 × 36: drop the bytes that would bias the alphabet.
            if byte < 252 && key.len() < 20 {
                key.push(char::from(ACCESS_KEY_ALPHABET[usize::from(byte % 36)]));
            }
        }
    }
    Ok(key)
}

/// A secret key: 30 random bytes, base64url, 40 characters (as Backend.AI's).
pub fn new_secret_key() -> Result<String, DomainError> {
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<30>()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keypair_shapes() {
        for _ in 0..200 {
            let access = new_access_key().unwrap();
            assert_eq!(access.len(), 20);
            assert!(access.starts_with("AKIA"));
            assert!(
                access
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            );
            let secret = new_secret_key().unwrap();
            assert_eq!(secret.len(), 40);
        }
    }
}
