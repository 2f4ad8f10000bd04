//! Logging in and out: a password login (with its second factor) starts a
//! session within the account's limit; logout ends one. The credentials are
//! checked in [`super::credentials`], which applies the lockout.

use baigate_shared::password::normalize_password;

use super::credentials::{LoginRefusal, SecondFactor};
use super::tokens::{is_session_token_shaped, new_session_token, random_bytes, token_hash};
use super::{Domain, DomainError};
use crate::i18n::Lang;
use crate::model::{
    AuditEvent, AuditKind, ClientInfo, NewSession, Session, SessionDetails, SessionLimit, User,
};
use crate::store::sessions::SessionStart;

/// A successful login.
#[derive(Debug)]
pub struct LoggedIn {
    /// The bearer token; it exists only in this answer and with the client.
    pub token: String,
    pub session: Session,
    pub user: User,
}

#[derive(Debug)]
pub enum LoginResult {
    LoggedIn(Box<LoggedIn>),
    Refused(LoginRefusal),
    /// Right credentials, but the account has as many sessions as it may;
    /// these are they. Logging in again with `force` ends one.
    TooManySessions(Vec<SessionDetails>),
    /// `force` named a session the account does not have.
    UnknownSession,
    /// Right password; 2FA is required and the account must register it
    /// first, with this token (`/func/totp/anon`).
    TotpRegistrationRequired(String),
}

/// What a login asks beyond its credentials.
#[derive(Debug, Clone, Default)]
pub struct LoginOptions {
    /// End a session if the account is at its limit.
    pub force: bool,
    /// With `force`: which one (public id), instead of the oldest.
    pub end_session: Option<String>,
    /// A one-time code or recovery code, for an account with 2FA.
    pub otp: Option<String>,
}

impl Domain {
    /// Checks a login name (email or username, any case or width) and
    /// password, then starts a session within the account's limit.
    pub async fn login(
        &self,
        login_name: &str,
        password: &str,
        options: LoginOptions,
        client: ClientInfo,
        lang: Lang,
    ) -> Result<LoginResult, DomainError> {
        let user = match self
            .check_password(login_name, password, &client, lang)
            .await?
        {
            Ok(user) => user,
            Err(refusal) => return Ok(LoginResult::Refused(refusal)),
        };
        match self
            .second_factor(&user, options.otp.as_deref(), &client, lang)
            .await?
        {
            SecondFactor::Passed => {}
            SecondFactor::Refused(refusal) => return Ok(LoginResult::Refused(refusal)),
            SecondFactor::MustRegister => {
                let token = self.issue_registration(&user).await?;
                return Ok(LoginResult::TotpRegistrationRequired(token));
            }
        }
        let result = self.start_session(user, options, client, None).await?;
        if let LoginResult::LoggedIn(login) = &result {
            self.upgrade_hash_if_weak(&login.user, password).await;
        }
        Ok(result)
    }

    /// Starts a session for an account whose credentials passed, within its
    /// limit (or ending one, with `force`).
    pub(crate) async fn start_session(
        &self,
        user: User,
        options: LoginOptions,
        client: ClientInfo,
        how: Option<String>,
    ) -> Result<LoginResult, DomainError> {
        let now = self.now();
        let (token, hash) = new_session_token()?;
        let (expires_at, absolute_expires_at) = self.sessions.deadlines(now);
        let started = self
            .store
            .start_session(
                NewSession {
                    token_hash: hash,
                    public_id: hex::encode(random_bytes::<16>()?),
                    user_id: user.id,
                    created_at: now,
                    expires_at,
                    absolute_expires_at,
                    client: client.clone(),
                },
                SessionLimit {
                    max: self.sessions.max_concurrent,
                    force: options.force,
                    end: options.end_session,
                },
                AuditEvent {
                    detail: how,
                    ..AuditEvent::new(AuditKind::LoginOk, now, Some(user.id), client.clone())
                },
            )
            .await?;
        let session = match started {
            SessionStart::Started { session, ended } => {
                if !ended.is_empty() {
                    tracing::info!(user = %user.uuid, ended = ended.len(), "sessions ended by a forced login");
                }
                session
            }
            SessionStart::TooMany(live) => {
                self.record_failure(Some(user.id), None, &client, "session limit reached")
                    .await?;
                return Ok(LoginResult::TooManySessions(live));
            }
            SessionStart::UnknownSession => return Ok(LoginResult::UnknownSession),
        };
        tracing::info!(user = %user.uuid, session = %session.public_id, "login succeeded");
        Ok(LoginResult::LoggedIn(Box::new(LoggedIn {
            token,
            session,
            user,
        })))
    }

    /// Ends the session of a token. True when there was one.
    pub async fn logout(&self, token: &str, client: ClientInfo) -> Result<bool, DomainError> {
        if !is_session_token_shaped(token) {
            return Ok(false);
        }
        let event = AuditEvent::new(AuditKind::Logout, self.now(), None, client);
        let ended = self.store.end_session(token_hash(token), event).await?;
        if let Some(user_id) = ended {
            tracing::info!(user_id, "logged out");
        }
        Ok(ended.is_some())
    }

    /// After a good login with a hash made at a lower cost than configured,
    /// store a new one. Best effort: the login already succeeded.
    async fn upgrade_hash_if_weak(&self, user: &User, password: &str) {
        if !self.hasher.needs_upgrade(&user.password_hash) {
            return;
        }
        let upgraded = async {
            let new_hash = self.hasher.hash(normalize_password(password)).await?;
            self.store
                .upgrade_password_hash(user.id, user.password_hash.clone(), new_hash)
                .await?;
            Ok::<(), DomainError>(())
        };
        match upgraded.await {
            Ok(()) => {
                tracing::info!(user = %user.uuid, "password hash upgraded to the configured cost")
            }
            Err(e) => {
                tracing::warn!(user = %user.uuid, error = %e, "could not upgrade a password hash")
            }
        }
    }
}
