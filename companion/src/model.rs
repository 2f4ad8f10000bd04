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

/// A login session as stored (its token only as a hash, elsewhere).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
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
    pub user_id: i64,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    pub absolute_expires_at: UnixTime,
    pub client: ClientInfo,
}

/// Kinds of audit event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditKind {
    LoginOk,
    LoginFailed,
    Logout,
    PasswordChanged,
    UserCreated,
}

impl AuditKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginOk => "login_ok",
            Self::LoginFailed => "login_failed",
            Self::Logout => "logout",
            Self::PasswordChanged => "password_changed",
            Self::UserCreated => "user_created",
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
