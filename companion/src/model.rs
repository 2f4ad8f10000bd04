//! Plain data: what the store keeps and the domain works with.

use std::fmt;
use std::str::FromStr;

use crate::clock::UnixTime;

/// What an account may do. Backend.AI has more roles; baigate issues these two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "user" => Ok(Self::User),
            "admin" => Ok(Self::Admin),
            other => Err(UnknownValue(other.to_owned())),
        }
    }
}

/// Whether an account may log in (Backend.AI's status names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    Active,
    /// Disabled by an administrator.
    Inactive,
    /// Signed up, email not yet confirmed.
    BeforeVerification,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
            Self::BeforeVerification => "before-verification",
        }
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UserStatus {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "active" => Ok(Self::Active),
            "inactive" => Ok(Self::Inactive),
            "before-verification" => Ok(Self::BeforeVerification),
            other => Err(UnknownValue(other.to_owned())),
        }
    }
}

/// A stored value that no enum variant matches.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {0:?}")]
pub struct UnknownValue(pub String);

/// An account as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub uuid: String,
    pub email: String,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub status: UserStatus,
    pub access_key: String,
    pub created_at: UnixTime,
    pub password_changed_at: UnixTime,
    pub last_login_at: Option<UnixTime>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("uuid", &self.uuid)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// An account about to be stored; every field already checked.
#[derive(Clone)]
pub struct NewUser {
    pub uuid: String,
    pub email: String,
    pub email_canonical: String,
    pub username: String,
    pub username_canonical: String,
    pub password_hash: String,
    pub role: Role,
    pub status: UserStatus,
    pub access_key: String,
    pub secret_key_sealed: Vec<u8>,
    pub created_at: UnixTime,
    /// When the terms were agreed to, if the client asked.
    pub agreed_at: Option<UnixTime>,
    /// The invitation this signup spends one use of.
    pub invitation: Option<InvitationClaim>,
    /// The email-verification token to store with the account.
    pub verification: Option<NewMailedToken>,
}

/// An invitation token presented at signup, by hash.
#[derive(Debug, Clone)]
pub struct InvitationClaim {
    pub token_hash: [u8; 32],
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("uuid", &self.uuid)
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// Who made a request, as far as the server can tell; kept with sessions and
/// audit events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// An administrator at the command line (`baigate user …`).
    pub fn command_line() -> Self {
        Self {
            ip: None,
            user_agent: Some("baigate cli".into()),
        }
    }
}

/// A failed-attempt counter of the lockout (see `domain::lockout`), as stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GuardState {
    pub failures: i64,
    pub consecutive: i64,
    pub locked_until: Option<UnixTime>,
    pub disabled: bool,
}

/// A login session as stored (its token only as a hash, elsewhere).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    /// Public id, for listing and ending; not the token.
    pub public_id: String,
    pub user_id: i64,
    pub created_at: UnixTime,
    pub last_seen_at: UnixTime,
    pub expires_at: UnixTime,
    pub absolute_expires_at: UnixTime,
}

/// A session about to be stored.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: [u8; 32],
    pub public_id: String,
    pub user_id: i64,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    pub absolute_expires_at: UnixTime,
    pub client: ClientInfo,
}

/// An invitation to sign up, as stored (its token only as a hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: i64,
    /// Only this address (canonical) may use it, when set.
    pub email: Option<String>,
    pub uses_total: i64,
    pub uses_left: i64,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    pub revoked_at: Option<UnixTime>,
}

impl Invitation {
    /// Whether it can still be used at `now`.
    pub fn usable(&self, now: UnixTime) -> bool {
        self.uses_left > 0 && self.expires_at > now && self.revoked_at.is_none()
    }
}

/// An invitation about to be stored.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub token_hash: [u8; 32],
    pub email: Option<String>,
    pub uses: i64,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

/// What a mailed token is for; a token never works for another purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify-email",
            Self::ResetPassword => "reset-password",
        }
    }
}

/// A mailed token about to be stored.
#[derive(Debug, Clone)]
pub struct NewMailedToken {
    pub token_hash: [u8; 32],
    pub purpose: TokenPurpose,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

/// A live session with where it came from, for the account's own list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDetails {
    pub session: Session,
    pub client: ClientInfo,
}

/// How many sessions a login may leave, and what to do when over.
#[derive(Debug, Clone)]
pub struct SessionLimit {
    pub max: i64,
    /// End sessions to make room instead of refusing.
    pub force: bool,
    /// With `force`: end this session (public id) rather than the oldest.
    pub end: Option<String>,
}

/// Kinds of audit event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditKind {
    LoginOk,
    LoginFailed,
    Logout,
    PasswordChanged,
    PasswordResetRequested,
    PasswordReset,
    EmailVerified,
    VerificationRequested,
    UserCreated,
    InvitationCreated,
    InvitationRevoked,
    SessionsEnded,
    SessionEnded,
    LoginLocked,
    LoginUnlocked,
    LoginDisabled,
    TotpEnrolled,
    TotpDisabled,
    OtpFailed,
    RecoveryCodeUsed,
    RecoveryCodesRenewed,
    KeypairRotated,
    SsoVerified,
    SsoRefused,
}

impl AuditKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginOk => "login_ok",
            Self::LoginFailed => "login_failed",
            Self::Logout => "logout",
            Self::PasswordChanged => "password_changed",
            Self::PasswordResetRequested => "password_reset_requested",
            Self::PasswordReset => "password_reset",
            Self::EmailVerified => "email_verified",
            Self::VerificationRequested => "verification_requested",
            Self::UserCreated => "user_created",
            Self::InvitationCreated => "invitation_created",
            Self::InvitationRevoked => "invitation_revoked",
            Self::SessionsEnded => "sessions_ended",
            Self::SessionEnded => "session_ended",
            Self::LoginLocked => "login_locked",
            Self::LoginUnlocked => "login_unlocked",
            Self::LoginDisabled => "login_disabled",
            Self::TotpEnrolled => "totp_enrolled",
            Self::TotpDisabled => "totp_disabled",
            Self::OtpFailed => "otp_failed",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::RecoveryCodesRenewed => "recovery_codes_renewed",
            Self::KeypairRotated => "keypair_rotated",
            Self::SsoVerified => "sso_verified",
            Self::SsoRefused => "sso_refused",
        }
    }
}

/// One row of the audit trail.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub at: UnixTime,
    pub kind: AuditKind,
    pub user_id: Option<i64>,
    pub identifier: Option<String>,
    pub client: ClientInfo,
    pub detail: Option<String>,
}

impl AuditEvent {
    /// An event about an account (or about no account, with `None`).
    pub fn new(kind: AuditKind, at: UnixTime, user_id: Option<i64>, client: ClientInfo) -> Self {
        Self {
            at,
            kind,
            user_id,
            identifier: None,
            client,
            detail: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The login name tried, for an attempt that matched no account.
    pub fn with_identifier(mut self, identifier: Option<String>) -> Self {
        self.identifier = identifier;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_through_their_stored_form() {
        for role in [Role::User, Role::Admin] {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        for status in [
            UserStatus::Active,
            UserStatus::Inactive,
            UserStatus::BeforeVerification,
        ] {
            assert_eq!(status.as_str().parse::<UserStatus>().unwrap(), status);
        }
        assert!("root".parse::<Role>().is_err());
    }
}
