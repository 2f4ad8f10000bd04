//! Creating and listing accounts.

use baigate_shared::identity::{Email, IdentityError, Username};
use baigate_shared::password::{PasswordContext, PolicyViolation, normalize_password};

use super::keys::{new_access_key, new_secret_key};
use super::tokens::new_uuid;
use super::{Domain, DomainError};
use crate::clock::UnixTime;
use crate::model::{
    AuditEvent, AuditKind, ClientInfo, InvitationClaim, NewMailedToken, NewUser, Role, User,
    UserStatus,
};
use crate::store::StoreError;

/// What it takes to open an account.
#[derive(Clone)]
pub struct NewAccount {
    pub email: String,
    /// Defaults to the email address, as in Backend.AI.
    pub username: Option<String>,
    pub role: Role,
    pub password: String,
}

impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount")
            .field("email", &self.email)
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A new account and its secret key, which is shown this once.
#[derive(Debug)]
pub struct CreatedAccount {
    pub user: User,
    pub secret_key: String,
}

/// Why an account was not opened; each names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("email: {0}")]
    InvalidEmail(IdentityError),
    #[error("username: {0}")]
    InvalidUsername(IdentityError),
    #[error("password: {0}")]
    WeakPassword(PolicyViolation),
    #[error("email: an account with this email address already exists")]
    EmailTaken,
    #[error("username: this username is already taken")]
    UsernameTaken,
    #[error("token: the invitation is not valid, has expired, or is used up")]
    InvalidInvitation,
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl AccountError {
    /// The request field the error is about.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::InvalidEmail(_) | Self::EmailTaken => Some("email"),
            Self::InvalidUsername(_) | Self::UsernameTaken => Some("username"),
            Self::WeakPassword(_) => Some("password"),
            Self::InvalidInvitation => Some("token"),
            Self::Domain(_) => None,
        }
    }
}

/// How an account starts out, beyond its names and password.
#[derive(Debug)]
pub(crate) struct Provisioning {
    pub status: UserStatus,
    pub agreed_at: Option<UnixTime>,
    pub invitation: Option<InvitationClaim>,
    pub verification: Option<NewMailedToken>,
}

impl Default for Provisioning {
    fn default() -> Self {
        Self {
            status: UserStatus::Active,
            agreed_at: None,
            invitation: None,
            verification: None,
        }
    }
}

impl Domain {
    /// Opens an active account (the administrator's way): checks the names and
    /// the password policy, hashes the password, makes the keypair, stores it
    /// all with its audit event.
    pub async fn create_account(
        &self,
        account: NewAccount,
        client: ClientInfo,
    ) -> Result<CreatedAccount, AccountError> {
        self.provision_account(account, Provisioning::default(), client)
            .await
    }

    /// [`Domain::create_account`] with the extras a signup brings.
    pub(crate) async fn provision_account(
        &self,
        account: NewAccount,
        provisioning: Provisioning,
        client: ClientInfo,
    ) -> Result<CreatedAccount, AccountError> {
        let email = Email::parse(&account.email).map_err(AccountError::InvalidEmail)?;
        let username = match account.username.as_deref() {
            Some(raw) => Username::parse(raw, &email).map_err(AccountError::InvalidUsername)?,
            None => Username::from_email(&email),
        };
        let password = normalize_password(&account.password);
        self.policy
            .validate(
                &password,
                PasswordContext {
                    username: Some(&username.canonical),
                    email: Some(&email.canonical),
                },
            )
            .map_err(AccountError::WeakPassword)?;

        let password_hash = self.hasher.hash(password).await?;
        let access_key = new_access_key()?;
        let secret_key = new_secret_key()?;
        let secret_key_sealed = self
            .keys
            .seal(secret_key.as_bytes(), access_key.as_bytes())?;
        let now = self.now();
        let new_user = NewUser {
            uuid: new_uuid()?,
            email: email.display,
            email_canonical: email.canonical,
            username: username.display,
            username_canonical: username.canonical,
            password_hash,
            role: account.role,
            status: provisioning.status,
            access_key,
            secret_key_sealed,
            created_at: now,
            agreed_at: provisioning.agreed_at,
            invitation: provisioning.invitation,
            verification: provisioning.verification,
        };
        let event = AuditEvent {
            at: now,
            kind: AuditKind::UserCreated,
            user_id: None,
            identifier: None,
            client,
            detail: Some(format!("role={}", account.role)),
        };
        let user = self
            .store
            .insert_user(new_user, event)
            .await
            .map_err(|e| match e {
                StoreError::Duplicate("email_canonical") => AccountError::EmailTaken,
                StoreError::Duplicate("username_canonical") => AccountError::UsernameTaken,
                StoreError::InvalidInvitation => AccountError::InvalidInvitation,
                other => AccountError::Domain(other.into()),
            })?;
        tracing::info!(user = %user.uuid, role = %user.role, "account created");
        Ok(CreatedAccount { user, secret_key })
    }

    /// Every account, oldest first.
    pub async fn list_accounts(&self) -> Result<Vec<User>, DomainError> {
        Ok(self.store.list_users().await?)
    }

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
        let event = AuditEvent {
            at: self.now(),
            kind: AuditKind::KeypairRotated,
            user_id: Some(user.id),
            identifier: None,
            client,
            detail: Some(format!("replaced {}", user.access_key)),
        };
        let user = self
            .store
            .replace_keypair(user.id, access_key, sealed, event)
            .await?;
        tracing::info!(user = %user.uuid, "keypair rotated");
        Ok((user, secret_key))
    }

    /// The account with this login name (email or username, any spelling).
    pub async fn find_account(&self, login_name: &str) -> Result<Option<User>, DomainError> {
        let Ok(canonical) = baigate_shared::identity::canonical_identifier(login_name) else {
            return Ok(None);
        };
        Ok(self.store.find_user_by_login_name(canonical).await?)
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
