//! Wire types of the Backend.AI webserver's login endpoints (`/server/*`,
//! `/func/`), as the 23.09 webserver and its clients exchange them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::problem::Problem;

/// Header carrying the session id, in answers and (optionally) in requests.
pub const SESSION_HEADER: &str = "X-BackendAI-SessionID";
/// Cookie carrying the session id.
pub const SESSION_COOKIE: &str = "AIOHTTP_SESSION";
/// Request header telling that the body is AES-encrypted (`"true"`).
pub const ENCODED_HEADER: &str = "X-BackendAI-Encoded";

/// Backend.AI's own wordings that clients of both generations act on. They
/// are upstream's, so a client matches them for servers other than baigate;
/// baigate's own refusals carry a problem type of their own instead.
pub mod wording {
    /// The `details` of a login that needs a one-time code: both the 23.09
    /// CLI and the WebUI prompt on exactly this text.
    pub const OTP_NOT_PROVIDED: &str = "OTP not provided";
    /// The `details` of a wrong one-time code.
    pub const INVALID_OTP: &str = "Invalid TOTP code provided";
    /// Older TOTP plugins' `details` of a wrong one-time code.
    pub const OTP_VALIDATION_FAILED: &str = "Failed to validate OTP";
    /// The `details` of a login refused until the email address is confirmed.
    pub const NEEDS_VERIFICATION: &str = "This account needs email verification.";
    /// The title of a login sent with a live session.
    pub const ALREADY_LOGGED_IN: &str = "You have already logged in.";
    /// The 23.09 manager's title when a signup's address is taken.
    pub const EMAIL_EXISTS: &str = "Email already exists";
    /// The `details` of a single sign-on token that is unknown, expired or
    /// spent (Backend.AI's OpenID hook).
    pub const INVALID_SSO_TOKEN: &str = "Invalid authentication token";
}

/// Which single sign-on an endpoint runs: its routes are `/func/<path>/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SsoVendor {
    OpenId,
    Saml,
}

impl SsoVendor {
    /// Its name in routes and in `singleSignOnVendors`.
    pub fn path(self) -> &'static str {
        match self {
            Self::OpenId => "openid",
            Self::Saml => "saml",
        }
    }
}

/// The `bai_error` codes a single sign-on may come back with, for OpenID
/// Connect (Backend.AI's plugin's) and SAML (the same, with `saml`).
pub const SSO_ERRORS: [&str; 12] = [
    "openid-access-denied",
    "invalid-openid-session",
    "openid-not-authenticated",
    "openid-provider-unavailable",
    "openid-email-not-verified",
    "openid-account-not-found",
    "saml-access-denied",
    "invalid-saml-session",
    "saml-not-authenticated",
    "saml-provider-unavailable",
    "saml-email-not-verified",
    "saml-account-not-found",
];

/// `POST /server/token-login`: a one-time single sign-on token (from the
/// body or the `sToken` cookie) and what a password login would also carry.
/// Unknown fields are ignored: the WebUI passes its extra parameters along.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenLoginRequest {
    #[serde(
        default,
        rename = "sToken",
        alias = "stoken",
        skip_serializing_if = "Option::is_none"
    )]
    pub s_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
    /// Proves the caller started the login, when it sent a `code_challenge`
    /// then (baigate only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_verifier: Option<String>,
    /// With `force`: the session to end (an id from the refusal's
    /// `sessions`), instead of the oldest. baigate only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session: Option<String>,
}

impl fmt::Debug for TokenLoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenLoginRequest")
            .field("s_token", &self.s_token.as_ref().map(|_| "***"))
            .field("otp", &self.otp.as_ref().map(|_| "***"))
            .field("force", &self.force)
            .finish_non_exhaustive()
    }
}

/// Cookie a single sign-on token may travel in instead of the body.
pub const SSO_TOKEN_COOKIE: &str = "sToken";

/// `POST /server/login`. Every field is optional on the wire so that a missing
/// `username` or `password` gets Backend.AI's own message rather than a parse error.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// A six-digit one-time code or a recovery code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otp: Option<String>,
    /// End the oldest session when the account has too many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
    /// Single-sign-on hand-off token (`/server/token-login`).
    #[serde(default, rename = "sToken", skip_serializing_if = "Option::is_none")]
    pub s_token: Option<String>,
    /// Scopes the concurrent-session count to one kind of client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_type_id: Option<String>,
    /// With `force`: the session to end (an id from the refusal's
    /// `sessions`), instead of the oldest. baigate only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session: Option<String>,
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("otp", &self.otp.as_ref().map(|_| "***"))
            .field("force", &self.force)
            .field("s_token", &self.s_token.as_ref().map(|_| "***"))
            .field("client_type_id", &self.client_type_id)
            .field("end_session", &self.end_session)
            .finish()
    }
}

/// What a logged-in account looks like to a client. Role and status are kept
/// as strings: real Backend.AI servers send values (`superadmin`, `monitor`)
/// that baigate itself never issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    pub access_key: String,
    pub role: String,
    pub status: String,
}

/// `data` of a login answer: the account on success, a problem otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LoginData {
    Account(AccountInfo),
    Problem(Problem),
}

/// Answer of `POST /server/login` (HTTP 200 in both cases, as 23.09 answers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    pub authenticated: bool,
    pub data: LoginData,
}

/// Answer of `POST /server/login-check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginCheckResponse {
    pub authenticated: bool,
    pub data: Option<AccountInfo>,
    pub session_id: Option<String>,
    /// When the session ends unless extended (RFC 3339, UTC); baigate only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// `POST /server/update-password-no-auth`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdatePasswordNoAuthRequest {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub current_password: Option<String>,
    #[serde(default)]
    pub new_password: Option<String>,
    /// A one-time code, needed when the account has 2FA (baigate only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otp: Option<String>,
}

impl fmt::Debug for UpdatePasswordNoAuthRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdatePasswordNoAuthRequest")
            .field("username", &self.username)
            .field("current_password", &"***")
            .field("new_password", &"***")
            .finish()
    }
}

/// Answer of `POST /server/update-password-no-auth`: `data` is null on success
/// and a problem otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdatePasswordNoAuthResponse {
    pub data: Option<Problem>,
    pub password_changed_at: Option<String>,
}

/// Answer of `GET /func/` (the version negotiation every client starts with).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionResponse {
    /// The API version, e.g. `v8.20240915`.
    pub version: String,
    /// The manager release the API corresponds to.
    pub manager: String,
    /// Set by baigate companions only, so clients can tell them apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baigate: Option<String>,
}

/// Answer of `GET /func/ping`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PingResponse {
    pub version: String,
    pub details: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::ProblemType;

    #[test]
    fn login_answers_parse_both_ways() {
        let ok: LoginResponse = serde_json::from_str(
            r#"{"authenticated": true, "data": {"access_key": "AKIA", "role": "user", "status": "active"}}"#,
        )
        .unwrap();
        assert!(matches!(ok.data, LoginData::Account(ref a) if a.access_key == "AKIA"));

        let failed: LoginResponse = serde_json::from_str(
            r#"{"authenticated": false, "data": {"type": "https://api.backend.ai/probs/auth-failed",
                "title": "Credential/signature mismatch.", "details": "User credential mismatch."}}"#,
        )
        .unwrap();
        match failed.data {
            LoginData::Problem(problem) => {
                assert_eq!(problem.problem_type, ProblemType::AuthFailed)
            }
            LoginData::Account(_) => panic!("a problem was parsed as an account"),
        }
    }

    #[test]
    fn login_request_refuses_unknown_fields() {
        let err = serde_json::from_str::<LoginRequest>(r#"{"username":"a","is_admin":true}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("is_admin"), "{err}");
        let request: LoginRequest = serde_json::from_str(
            r#"{"username":"a","password":"b","otp":"123456","force":true,"sToken":"t"}"#,
        )
        .unwrap();
        assert_eq!(request.force, Some(true));
        assert_eq!(request.s_token.as_deref(), Some("t"));
    }

    #[test]
    fn debug_hides_secrets() {
        let request = LoginRequest {
            username: Some("alice".into()),
            password: Some("S3cret!pass".into()),
            otp: Some("123456".into()),
            ..LoginRequest::default()
        };
        let printed = format!("{request:?}");
        assert!(!printed.contains("S3cret"), "{printed}");
        assert!(!printed.contains("123456"), "{printed}");
        let change = UpdatePasswordNoAuthRequest {
            username: Some("alice".into()),
            current_password: Some("old-Secret1".into()),
            new_password: Some("new-Secret1".into()),
            otp: None,
        };
        let printed = format!("{change:?}");
        assert!(!printed.contains("Secret1"), "{printed}");
    }
}
