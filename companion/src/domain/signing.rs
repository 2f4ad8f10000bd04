//! API keypair mode: requests signed the way Backend.AI clients sign them.
//!
//! ```text
//! Authorization: BackendAI signMethod=HMAC-SHA256, credential=<access key>:<hex signature>
//! string to sign = METHOD \n path?query \n raw date \n host:<Host> \n
//!                  content-type:<mime> \n x-backendai-version:<version> \n <body hash>
//! signing key    = HMAC(HMAC(secret key, date as YYYYMMDD in its own zone), host)
//! signature      = hex(HMAC(signing key, string to sign))
//! ```
//!
//! The recipe itself is `baigate_shared::signing` (the popup signs with it),
//! the header and date parsers `baigate_shared::authorization` (fuzzed
//! there); this module checks. The body hash is of the empty string for API versions
//! from v4.20181215 on, of the body before. Only SHA-256 is
//! accepted; the date must be within a window of the server's time; a
//! signature is accepted once (a replay inside the window is refused); an
//! unknown access key and a wrong signature are answered the same, after the
//! same work.

use baigate_shared::signing::{self, Signable};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{Domain, DomainError};
use crate::model::{User, UserStatus};

pub use baigate_shared::authorization::{
    Credential, SignatureError, day_of, parse_authorization, parse_date,
};

/// What a signed request says about itself.
#[derive(Debug, Clone)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// Path and query exactly as they came on the wire.
    pub path_and_query: &'a str,
    pub host: &'a str,
    /// `Content-Type` without parameters, lower case; `application/octet-stream` if none.
    pub content_type: String,
    pub authorization: &'a str,
    /// The `Date` (or `X-BackendAI-Date`) header as sent.
    pub date: Option<&'a str>,
    /// The header name (`x-backendai-version` or `x-sorna-version`) and value.
    pub version: Option<(&'a str, &'a str)>,
    pub body: &'a [u8],
}

/// The hex signature of a request under a secret key.
pub fn sign(request: &SignedRequest<'_>, secret_key: &str) -> Result<String, SignatureError> {
    let date_raw = request.date.ok_or(SignatureError::Date)?;
    let date = parse_date(date_raw).ok_or(SignatureError::Date)?;
    let (version_header, version) = request.version.ok_or(SignatureError::MissingVersion)?;
    let signable = Signable {
        method: request.method,
        path_and_query: request.path_and_query,
        host: request.host,
        content_type: &request.content_type,
        date: date_raw,
        version_header,
        version,
        body: request.body,
    };
    Ok(signing::signature(&signable, secret_key, &day_of(date)))
}

/// What a replayed signature is recognised by: SHA-256 of
/// `<access key>:<signature>`.
fn replay_digest(access_key: &str, signature: &str) -> [u8; 32] {
    let mut digest = Sha256::new();
    digest.update(access_key.as_bytes());
    digest.update(b":");
    digest.update(signature.as_bytes());
    digest.finalize().into()
}

impl Domain {
    /// The account a signed request comes from.
    pub async fn verify_signed_request(
        &self,
        request: &SignedRequest<'_>,
    ) -> Result<User, SignedRequestError> {
        let credential =
            parse_authorization(request.authorization)?.ok_or(SignatureError::Malformed)?;
        let date_raw = request.date.ok_or(SignatureError::Date)?;
        let date = parse_date(date_raw).ok_or(SignatureError::Date)?;
        let now = self.now();
        if (date.unix_timestamp() - now).abs() > self.signature_window {
            return Err(SignatureError::Date.into());
        }
        if request.version.is_none() {
            return Err(SignatureError::MissingVersion.into());
        }
        let user = self
            .store
            .find_user_by_access_key(credential.access_key.clone())
            .await?;
        // An unknown key costs the same work as a known one.
        let secret = match &user {
            Some(user) => self.secret_key(user).await?,
            None => "0".repeat(40),
        };
        let expected = sign(request, &secret)?;
        let matches = bool::from(expected.as_bytes().ct_eq(credential.signature.as_bytes()));
        let Some(user) = user.filter(|_| matches) else {
            tracing::info!(access_key = %credential.access_key, "signature refused");
            return Err(SignatureError::Mismatch.into());
        };
        if user.status != UserStatus::Active || self.standing_lock(&user).await?.is_some() {
            tracing::info!(user = %user.uuid, "signature refused: the account may not use its keys");
            return Err(SignatureError::Mismatch.into());
        }
        let until = date.unix_timestamp().max(now) + self.signature_window;
        let digest = replay_digest(&credential.access_key, &credential.signature);
        if !self.store.first_signature_use(digest, now, until).await? {
            tracing::info!(user = %user.uuid, "signature refused: replayed");
            return Err(SignatureError::Mismatch.into());
        }
        Ok(user)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SignedRequestError {
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<crate::store::StoreError> for SignedRequestError {
    fn from(error: crate::store::StoreError) -> Self {
        Self::Domain(error.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    fn request<'a>(
        method: &'a str,
        host: &'a str,
        path: &'a str,
        date: &'a str,
        content_type: &str,
        version: &'a str,
    ) -> SignedRequest<'a> {
        SignedRequest {
            method,
            path_and_query: path,
            host,
            content_type: content_type.to_owned(),
            authorization: "",
            date: Some(date),
            version: Some(("X-BackendAI-Version", version)),
            body: b"",
        }
    }

    /// Protocol §6, vectors 1 and 3 through the companion's side: the
    /// header parsing and the date's day (the recipe's own tests are in
    /// `baigate_shared::signing`).
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
        assert_eq!(
            sign(&one, SECRET).unwrap(),
            "43b6d9ad8df91df78e5878d6a7165588c7fc1ce54a297c22a204feedd0beaadd"
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
            sign(&three, SECRET).unwrap(),
            "36887c7f4af105052bfd961d130162c29b838e1fa42595fcdf14e45389479c6b"
        );
    }
}
