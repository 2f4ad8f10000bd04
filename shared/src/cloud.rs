//! Wire types of signup and account recovery: `/func/auth/signup`,
//! `/func/auth/update-password` and the `/func/cloud/*` calls the Backend.AI
//! WebUI makes to its cloud plugin.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `POST /func/auth/signup`. The WebUI sends `user_name`, other clients
/// `username`; `full_name`, `description` and `domain` are accepted and unused.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// Invitation token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Whether the Terms of Service and Privacy Policy were agreed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

impl fmt::Debug for SignupRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignupRequest")
            .field("email", &self.email)
            .field(
                "username",
                &self.username.as_ref().or(self.user_name.as_ref()),
            )
            .field("agreement", &self.agreement)
            .finish_non_exhaustive()
    }
}

/// What the verification mail of a new account did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationNotice {
    pub sent: bool,
    pub message: String,
}

/// Answer of a successful signup (201).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupResponse {
    pub access_key: String,
    /// Shown this once.
    pub secret_key: String,
    /// `active`, or `before-verification` until the mailed link is followed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<VerificationNotice>,
}

impl fmt::Debug for SignupResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignupResponse")
            .field("access_key", &self.access_key)
            .field("status", &self.status)
            .field("verification", &self.verification)
            .finish_non_exhaustive()
    }
}

/// `send-verification-email` and `send-password-change-email`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailRequest {
    #[serde(default)]
    pub email: Option<String>,
}

/// `POST /func/cloud/verify-email`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    #[serde(default)]
    pub verification_code: Option<String>,
}

/// `POST /func/cloud/change-password`: a new password with a mailed token.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
}

impl fmt::Debug for ChangePasswordRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangePasswordRequest")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// `POST /func/auth/update-password` (logged in).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdatePasswordRequest {
    #[serde(default)]
    pub old_password: Option<String>,
    #[serde(default)]
    pub new_password: Option<String>,
    #[serde(default)]
    pub new_password2: Option<String>,
}

impl fmt::Debug for UpdatePasswordRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UpdatePasswordRequest { .. }")
    }
}

/// An answer that only says what happened (the same for every address where
/// it must not tell whether an account exists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageResponse {
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signup_takes_either_username_spelling_and_refuses_mass_assignment() {
        let webui: SignupRequest = serde_json::from_str(
            r#"{"email":"a@b.co","user_name":"a","password":"x","token":"t"}"#,
        )
        .unwrap();
        assert_eq!(webui.user_name.as_deref(), Some("a"));
        for field in ["is_admin", "email_verified", "role", "status"] {
            let body = format!(r#"{{"email":"a@b.co","password":"x","{field}":true}}"#);
            let err = serde_json::from_str::<SignupRequest>(&body)
                .unwrap_err()
                .to_string();
            assert!(err.contains(field), "{err}");
        }
    }

    #[test]
    fn debug_hides_secrets() {
        let request = SignupRequest {
            email: Some("a@b.co".into()),
            password: Some("S3cret!pass".into()),
            token: Some("invitation-token".into()),
            ..SignupRequest::default()
        };
        let printed = format!("{request:?}");
        assert!(
            !printed.contains("S3cret") && !printed.contains("invitation-token"),
            "{printed}"
        );
        let answer = SignupResponse {
            access_key: "AKIA".into(),
            secret_key: "very-secret".into(),
            status: None,
            verification: None,
        };
        assert!(!format!("{answer:?}").contains("very-secret"));
        let change = ChangePasswordRequest {
            email: None,
            password: Some("S3cret!pass".into()),
            token: Some("tok".into()),
        };
        assert!(!format!("{change:?}").contains("S3cret"));
    }
}
