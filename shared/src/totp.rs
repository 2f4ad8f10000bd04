//! Wire types of two-factor authentication: `/func/totp*`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `GET /func/totp`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpStatus {
    pub totp_enabled: bool,
}

/// A secret to register: `POST /func/totp` and `/func/totp/anon`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    /// Base32, for typing into an authenticator.
    pub totp_key: String,
    /// `otpauth://totp/…`, for a QR code.
    pub totp_uri: String,
    /// That URI as a QR code, SVG (baigate only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_qr_svg: Option<String>,
}

impl fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpEnrolment { .. }")
    }
}

/// A one-time code: `POST /func/totp/verify`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpRequest {
    #[serde(default)]
    pub otp: Option<String>,
}

/// Proof of who is asking, to turn 2FA off or renew recovery codes: a
/// current code or the password.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReauthRequest {
    #[serde(default)]
    pub otp: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

/// `POST /func/totp/anon`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationRequest {
    #[serde(default)]
    pub registration_token: Option<String>,
}

/// `POST /func/totp/anon/verify`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationVerifyRequest {
    #[serde(default)]
    pub otp: Option<String>,
    #[serde(default)]
    pub registration_token: Option<String>,
}

/// 2FA is on: the recovery codes, shown once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpConfirmed {
    pub success: bool,
    #[serde(default)]
    pub recovery_codes: Vec<String>,
}

impl fmt::Debug for TotpConfirmed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpConfirmed")
            .field("success", &self.success)
            .field("recovery_codes", &self.recovery_codes.len())
            .finish()
    }
}

macro_rules! redacted_debug {
    ($($name:ident),*) => {$(
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), " { .. }"))
            }
        }
    )*};
}

redacted_debug!(
    OtpRequest,
    ReauthRequest,
    RegistrationRequest,
    RegistrationVerifyRequest
);
