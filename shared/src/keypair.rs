//! The account's API keypair: `/companion/keypair`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The access key of the calling account (never the secret key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct KeypairInfo {
    /// `AKIA` and 16 letters or digits.
    #[cfg_attr(feature = "openapi", oai(validator(max_length = 20)))]
    pub access_key: String,
}

/// `POST /companion/keypair/rotate`: the password again (and a one-time
/// code when the account has 2FA).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct RotateKeypairRequest {
    /// The current password (no password is longer: 72 bytes of UTF-8 at
    /// most).
    #[cfg_attr(feature = "openapi", oai(validator(max_length = 72)))]
    pub password: String,
    /// A one-time code or a recovery code, spaces and hyphens allowed;
    /// absent or `null` without 2FA.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", oai(nullable, validator(max_length = 64)))]
    pub otp: Option<String>,
}

impl fmt::Debug for RotateKeypairRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RotateKeypairRequest { .. }")
    }
}

/// A new keypair; the secret key is shown this once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct RotatedKeypair {
    #[cfg_attr(feature = "openapi", oai(validator(max_length = 20)))]
    pub access_key: String,
    /// Shown this once.
    #[cfg_attr(feature = "openapi", oai(validator(max_length = 40)))]
    pub secret_key: String,
}

impl fmt::Debug for RotatedKeypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RotatedKeypair")
            .field("access_key", &self.access_key)
            .finish_non_exhaustive()
    }
}
