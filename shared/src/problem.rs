//! Problem answers (RFC 7807) in the shape the Backend.AI webserver uses.
//!
//! The `type` member is a URL under [`PROBLEM_BASE`]; clients match on its last
//! path segment, which is what [`ProblemType`] models.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Prefix of every problem `type` URL, as Backend.AI sends it.
pub const PROBLEM_BASE: &str = "https://api.backend.ai/probs/";

/// The problem kinds baigate answers with. The wire form is the slug after
/// [`PROBLEM_BASE`]; unknown slugs from other servers are kept as [`ProblemType::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProblemType {
    /// Wrong credentials, unknown user, or an account that may not log in yet.
    AuthFailed,
    /// A required field is missing or has the wrong shape.
    InvalidApiParams,
    /// A signed request's `Authorization`, date or version header is unusable.
    InvalidAuthParams,
    /// The request cannot be served as sent (for example: already logged in).
    GenericBadRequest,
    /// The account is locked after too many failed logins.
    TooManyRequests,
    /// The client sends too many requests; a per-IP limit.
    RateLimitExceeded,
    /// The password has expired and must be changed.
    PasswordExpired,
    /// The account already has as many sessions as it may have.
    ActiveLoginSessionExists,
    /// A policy check refused the request (wrong one-time code, weak password).
    RejectedByHook,
    /// The account has two-factor authentication and no code was sent.
    RequireTotpAuthentication,
    /// The account must register two-factor authentication first.
    RequireTotpRegistration,
    /// The upstream server is unreachable.
    BadGateway,
    /// No such route or object.
    NotFound,
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// The request body is larger than the route accepts.
    PayloadTooLarge,
    /// The request's origin is not on the allow-list.
    Forbidden,
    /// Signup is closed on this server.
    SignupDisabled,
    /// Signup needs an invitation token and none was given.
    InvitationRequired,
    /// The invitation token is unknown, expired, used up, revoked or for
    /// another address (deliberately one answer).
    InvalidInvitation,
    /// An account with this email address exists.
    EmailAlreadyExists,
    /// An account with this username exists.
    UsernameAlreadyExists,
    /// Password reset by mail is turned off on this server.
    PasswordResetDisabled,
    /// A mailed or registration token is unknown, expired or used.
    InvalidToken,
    /// A registration token has expired.
    ExpiredToken,
    /// A one-time code was wrong during 2FA setup or management.
    TotpAuthFailed,
    /// Something failed on the server; details are in its log, never in the answer.
    InternalServerError,
    /// baigate: password login is off after too many failures across locks,
    /// until a password reset or an administrator's unlock (a 429, like a lock).
    PasswordLoginDisabled,
    /// baigate: the password was right, but an administrator disabled the account.
    AccountDisabled,
    /// The server cannot take the request now (its storage is failing or
    /// busy); `Retry-After` says when to try again.
    ServiceUnavailable,
    /// A slug this crate does not know, as received.
    Other(String),
}

impl ProblemType {
    /// The slug after [`PROBLEM_BASE`].
    pub fn slug(&self) -> &str {
        match self {
            Self::AuthFailed => "auth-failed",
            Self::InvalidApiParams => "invalid-api-params",
            Self::InvalidAuthParams => "invalid-auth-params",
            Self::GenericBadRequest => "generic-bad-request",
            Self::TooManyRequests => "too-many-requests",
            Self::RateLimitExceeded => "rate-limit-exceeded",
            Self::PasswordExpired => "password-expired",
            Self::ActiveLoginSessionExists => "active-login-session-exists",
            Self::RejectedByHook => "rejected-by-hook",
            Self::RequireTotpAuthentication => "require-totp-authentication",
            Self::RequireTotpRegistration => "require-totp-registration",
            Self::BadGateway => "bad-gateway",
            Self::NotFound => "not-found",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::PayloadTooLarge => "payload-too-large",
            Self::Forbidden => "forbidden",
            Self::SignupDisabled => "signup-disabled",
            Self::InvitationRequired => "invitation-required",
            Self::InvalidInvitation => "invalid-invitation",
            Self::EmailAlreadyExists => "email-already-exists",
            Self::UsernameAlreadyExists => "username-already-exists",
            Self::PasswordResetDisabled => "password-reset-disabled",
            Self::InvalidToken => "invalid-token",
            Self::ExpiredToken => "expired-token",
            Self::TotpAuthFailed => "totp-auth-failed",
            Self::InternalServerError => "internal-server-error",
            Self::PasswordLoginDisabled => "password-login-disabled",
            Self::AccountDisabled => "account-disabled",
            Self::ServiceUnavailable => "service-unavailable",
            Self::Other(slug) => slug,
        }
    }

    /// Parses a slug; unknown ones become [`ProblemType::Other`].
    pub fn from_slug(slug: &str) -> Self {
        match slug {
            "auth-failed" => Self::AuthFailed,
            "invalid-api-params" => Self::InvalidApiParams,
            "invalid-auth-params" => Self::InvalidAuthParams,
            "generic-bad-request" => Self::GenericBadRequest,
            "too-many-requests" => Self::TooManyRequests,
            "rate-limit-exceeded" => Self::RateLimitExceeded,
            "password-expired" => Self::PasswordExpired,
            "active-login-session-exists" => Self::ActiveLoginSessionExists,
            "rejected-by-hook" => Self::RejectedByHook,
            "require-totp-authentication" => Self::RequireTotpAuthentication,
            "require-totp-registration" => Self::RequireTotpRegistration,
            "bad-gateway" => Self::BadGateway,
            "not-found" => Self::NotFound,
            "method-not-allowed" => Self::MethodNotAllowed,
            "payload-too-large" => Self::PayloadTooLarge,
            "forbidden" => Self::Forbidden,
            "signup-disabled" => Self::SignupDisabled,
            "invitation-required" => Self::InvitationRequired,
            "invalid-invitation" => Self::InvalidInvitation,
            "email-already-exists" => Self::EmailAlreadyExists,
            "username-already-exists" => Self::UsernameAlreadyExists,
            "password-reset-disabled" => Self::PasswordResetDisabled,
            "invalid-token" => Self::InvalidToken,
            "expired-token" => Self::ExpiredToken,
            "totp-auth-failed" => Self::TotpAuthFailed,
            "internal-server-error" => Self::InternalServerError,
            "password-login-disabled" => Self::PasswordLoginDisabled,
            "account-disabled" => Self::AccountDisabled,
            "service-unavailable" => Self::ServiceUnavailable,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Parses a full `type` URL (or a bare slug): clients match on the last segment.
    pub fn from_type_url(url: &str) -> Self {
        let slug = url.trim_end_matches('/').rsplit('/').next().unwrap_or(url);
        Self::from_slug(slug)
    }

    /// The full `type` URL.
    pub fn url(&self) -> String {
        format!("{PROBLEM_BASE}{}", self.slug())
    }
}

impl fmt::Display for ProblemType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl Serialize for ProblemType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.url())
    }
}

impl<'de> Deserialize<'de> for ProblemType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let url = String::deserialize(deserializer)?;
        Ok(Self::from_type_url(&url))
    }
}

/// A problem answer: `{"type", "title", "details"}` plus baigate's optional members.
///
/// `details` is always sent (as `null` when empty) because Backend.AI's login
/// answers do so and clients read it unconditionally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: ProblemType,
    pub title: String,
    #[serde(default)]
    pub details: Option<String>,
    /// The request field the problem is about, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds until a lock or limit ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Further members some problems carry (RFC 7807 extension members), such
    /// as the live sessions of a session-limit refusal.
    #[serde(flatten, default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Problem {
    pub fn new(problem_type: ProblemType, title: impl Into<String>) -> Self {
        Self {
            problem_type,
            title: title.into(),
            details: None,
            field: None,
            retry_after: None,
            extra: serde_json::Map::new(),
        }
    }

    pub fn with_details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Adds an extension member.
    pub fn with_extra(mut self, key: &str, value: serde_json::Value) -> Self {
        self.extra.insert(key.to_owned(), value);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip() {
        let all = [
            ProblemType::AuthFailed,
            ProblemType::InvalidApiParams,
            ProblemType::InvalidAuthParams,
            ProblemType::GenericBadRequest,
            ProblemType::TooManyRequests,
            ProblemType::RateLimitExceeded,
            ProblemType::PasswordExpired,
            ProblemType::ActiveLoginSessionExists,
            ProblemType::RejectedByHook,
            ProblemType::RequireTotpAuthentication,
            ProblemType::RequireTotpRegistration,
            ProblemType::BadGateway,
            ProblemType::NotFound,
            ProblemType::MethodNotAllowed,
            ProblemType::PayloadTooLarge,
            ProblemType::Forbidden,
            ProblemType::SignupDisabled,
            ProblemType::InvitationRequired,
            ProblemType::InvalidInvitation,
            ProblemType::EmailAlreadyExists,
            ProblemType::UsernameAlreadyExists,
            ProblemType::PasswordResetDisabled,
            ProblemType::InvalidToken,
            ProblemType::ExpiredToken,
            ProblemType::TotpAuthFailed,
            ProblemType::InternalServerError,
            ProblemType::PasswordLoginDisabled,
            ProblemType::AccountDisabled,
            ProblemType::ServiceUnavailable,
        ];
        for kind in all {
            assert_eq!(ProblemType::from_slug(kind.slug()), kind);
            assert_eq!(ProblemType::from_type_url(&kind.url()), kind);
        }
    }

    #[test]
    fn parses_the_wire_forms_clients_meet() {
        let cases = [
            (
                "https://api.backend.ai/probs/auth-failed",
                ProblemType::AuthFailed,
            ),
            ("auth-failed", ProblemType::AuthFailed),
            (
                "https://api.backend.ai/probs/login-blocked",
                ProblemType::Other("login-blocked".into()),
            ),
            (
                "https://api.backend.ai/probs/too-many-requests/",
                ProblemType::TooManyRequests,
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(ProblemType::from_type_url(url), expected, "{url}");
        }
    }

    #[test]
    fn serialises_like_backend_ai() {
        let problem = Problem::new(ProblemType::AuthFailed, "Credential/signature mismatch.")
            .with_details("User credential mismatch.");
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "type": "https://api.backend.ai/probs/auth-failed",
                "title": "Credential/signature mismatch.",
                "details": "User credential mismatch.",
            })
        );
        let back: Problem = serde_json::from_value(json).unwrap();
        assert_eq!(back, problem);
    }

    #[test]
    fn extension_members_round_trip() {
        let problem = Problem::new(ProblemType::ActiveLoginSessionExists, "x")
            .with_extra("sessions", serde_json::json!([{"id": "a"}]));
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(json["sessions"][0]["id"], "a");
        let back: Problem = serde_json::from_value(json).unwrap();
        assert_eq!(back, problem);
    }

    #[test]
    fn empty_details_are_null() {
        let problem = Problem::new(ProblemType::ActiveLoginSessionExists, "x");
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(json["details"], serde_json::Value::Null);
        assert!(json.get("field").is_none());
    }
}
