//! Creating and listing accounts.

use baigate_shared::identity::{Email, IdentityError, Username};
use baigate_shared::password::{PasswordContext, PolicyViolation, normalize_password};

use super::keypairs::{new_access_key, new_secret_key};
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
    /// The password is random and told to nobody (an account opened by
    /// single sign-on): the policy, written for people, does not apply.
    pub password_unknown: bool,
}

impl Default for Provisioning {
    fn default() -> Self {
        Self {
            status: UserStatus::Active,
            agreed_at: None,
            invitation: None,
            verification: None,
            password_unknown: false,
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
        if !provisioning.password_unknown {
            self.policy
                .validate(
                    &password,
                    PasswordContext {
                        username: Some(&username.canonical),
                        email: Some(&email.canonical),
                    },
                )
                .map_err(AccountError::WeakPassword)?;
        }

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

    /// The account with this login name (email or username, any spelling).
    pub async fn find_account(&self, login_name: &str) -> Result<Option<User>, DomainError> {
        let Ok(canonical) = baigate_shared::identity::canonical_identifier(login_name) else {
            return Ok(None);
        };
        Ok(self.store.find_user_by_login_name(canonical).await?)
    }

    /// What the start panel shows about the account.
    pub async fn account_summary(
        &self,
        user: &User,
    ) -> Result<baigate_shared::summary::AccountSummary, DomainError> {
        let now = self.now();
        let live = self.store.count_live_sessions(user.id, now).await?;
        let previous = self.store.previous_login(user.id).await?;
        Ok(baigate_shared::summary::AccountSummary {
            email: user.email.clone(),
            username: user.username.clone(),
            role: user.role.as_str().to_owned(),
            status: user.status.as_str().to_owned(),
            access_key: user.access_key.clone(),
            totp_enabled: self.totp_enabled(user).await?,
            last_login_at: previous.map(crate::clock::rfc3339),
            live_sessions: u32::try_from(live).unwrap_or(u32::MAX),
        })
    }
}
