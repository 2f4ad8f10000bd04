//! The account's API keypair: `/companion/keypair`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The access key of the calling account (never the secret key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct KeypairInfo {
    pub access_key: String,
}

/// `POST /companion/keypair/rotate`: the password again (and a one-time
/// code when the account has 2FA).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct RotateKeypairRequest {
    pub password: String,
    #[serde(default)]
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
    pub access_key: String,
    pub secret_key: String,
}

impl fmt::Debug for RotatedKeypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RotatedKeypair")
            .field("access_key", &self.access_key)
            .finish_non_exhaustive()
    }
}
