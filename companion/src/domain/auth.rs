//! Password login, session checks, logout and the password change that needs
//! no session.
//!
//! A login name with no account costs one bcrypt verification against a dummy
//! hash and gets the same refusal as a wrong password, so neither the answer
//! nor its timing tells whether an account exists. What is wrong with an
//! account (disabled, unverified) is said only to someone who knows its
//! password.

use baigate_shared::identity::canonical_identifier;
use baigate_shared::password::{PasswordContext, PolicyViolation, normalize_password};

use super::tokens::{is_session_token_shaped, new_session_token, token_hash};
use super::{Domain, DomainError};
use crate::clock::UnixTime;
use crate::i18n::Lang;
use crate::model::{AuditEvent, AuditKind, ClientInfo, NewSession, Session, User, UserStatus};

/// How often a session's last-seen time is written, at most.
const TOUCH_INTERVAL: i64 = 60;
/// Longest login name kept in the audit trail for a name with no account.
const AUDIT_IDENTIFIER_MAX: usize = 128;

/// A successful login.
#[derive(Debug)]
pub struct LoggedIn {
    /// The bearer token; it exists only in this answer and with the client.
    pub token: String,
    pub session: Session,
    pub user: User,
}

/// Why a login was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRefusal {
    /// Unknown name or wrong password; deliberately indistinguishable.
    Mismatch,
    /// Right password, account disabled by an administrator.
    Inactive,
    /// Right password, email address not yet confirmed.
    NeedsVerification,
}

#[derive(Debug)]
pub enum LoginResult {
    LoggedIn(Box<LoggedIn>),
    Refused(LoginRefusal),
}

/// The outcome of changing a password with the current one.
#[derive(Debug)]
pub enum PasswordChange {
    Changed { at: UnixTime },
    Refused(LoginRefusal),
    SameAsCurrent,
    Weak(PolicyViolation),
}

/// How a checked password is replaced.
#[derive(Debug)]
pub(crate) struct PasswordReplacement<'a> {
    pub keep_session: Option<i64>,
    pub detail: &'a str,
    pub client: ClientInfo,
    pub lang: Lang,
}

/// A session found by its token, with its account.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub session: Session,
    pub user: User,
}

impl Domain {
    /// Checks a login name (email or username, any case or width) and password.
    pub async fn login(
        &self,
        login_name: &str,
        password: &str,
        client: ClientInfo,
    ) -> Result<LoginResult, DomainError> {
        let user = match self.check_password(login_name, password, &client).await? {
            Ok(user) => user,
            Err(refusal) => return Ok(LoginResult::Refused(refusal)),
        };
        let now = self.now();
        let (token, hash) = new_session_token()?;
        let (expires_at, absolute_expires_at) = self.sessions.deadlines(now);
        let session = self
            .store
            .start_session(
                NewSession {
                    token_hash: hash,
                    user_id: user.id,
                    created_at: now,
                    expires_at,
                    absolute_expires_at,
                    client: client.clone(),
                },
                AuditEvent {
                    at: now,
                    kind: AuditKind::LoginOk,
                    user_id: Some(user.id),
                    identifier: None,
                    client,
                    detail: None,
                },
            )
            .await?;
        tracing::info!(user = %user.uuid, session = session.id, "login succeeded");
        self.upgrade_hash_if_weak(&user, password).await;
        Ok(LoginResult::LoggedIn(Box::new(LoggedIn {
            token,
            session,
            user,
        })))
    }

    /// The live session a presented token belongs to, if any.
    pub async fn live_session(&self, token: &str) -> Result<Option<LiveSession>, DomainError> {
        if !is_session_token_shaped(token) {
            return Ok(None);
        }
        let now = self.now();
        let Some((session, user)) = self.store.find_live_session(token_hash(token), now).await?
        else {
            return Ok(None);
        };
        if now - session.last_seen_at >= TOUCH_INTERVAL {
            self.store.touch_session(session.id, now).await?;
        }
        Ok(Some(LiveSession { session, user }))
    }

    /// Ends the session of a token. True when there was one.
    pub async fn logout(&self, token: &str, client: ClientInfo) -> Result<bool, DomainError> {
        if !is_session_token_shaped(token) {
            return Ok(false);
        }
        let event = AuditEvent {
            at: self.now(),
            kind: AuditKind::Logout,
            user_id: None,
            identifier: None,
            client,
            detail: None,
        };
        let ended = self.store.end_session(token_hash(token), event).await?;
        if let Some(user_id) = ended {
            tracing::info!(user_id, "logged out");
        }
        Ok(ended.is_some())
    }

    /// Changes a password given the current one (no session needed). Every
    /// session of the account ends and a notice is mailed.
    pub async fn change_password_with_current(
        &self,
        login_name: &str,
        current: &str,
        new: &str,
        client: ClientInfo,
        lang: Lang,
    ) -> Result<PasswordChange, DomainError> {
        let user = match self.check_password(login_name, current, &client).await? {
            Ok(user) => user,
            Err(refusal) => return Ok(PasswordChange::Refused(refusal)),
        };
        self.replace_password(
            &user,
            current,
            new,
            PasswordReplacement {
                keep_session: None,
                detail: "with current password; all sessions ended",
                client,
                lang,
            },
        )
        .await
    }

    /// After the current password was checked: the new one replaces it if it
    /// differs and meets the policy; the account's sessions but `keep_session`
    /// end; a notice is mailed.
    pub(crate) async fn replace_password(
        &self,
        user: &User,
        current: &str,
        new: &str,
        replacement: PasswordReplacement<'_>,
    ) -> Result<PasswordChange, DomainError> {
        let new = normalize_password(new);
        if new == normalize_password(current) {
            return Ok(PasswordChange::SameAsCurrent);
        }
        let context = PasswordContext {
            username: Some(&user.username),
            email: Some(&user.email),
        };
        if let Err(violation) = self.policy.validate(&new, context) {
            return Ok(PasswordChange::Weak(violation));
        }
        let new_hash = self.hasher.hash(new).await?;
        let now = self.now();
        let event = AuditEvent {
            at: now,
            kind: AuditKind::PasswordChanged,
            user_id: Some(user.id),
            identifier: None,
            client: replacement.client,
            detail: Some(replacement.detail.to_owned()),
        };
        let changed = self
            .store
            .change_password(
                user.id,
                user.password_hash.clone(),
                new_hash,
                replacement.keep_session,
                now,
                event,
            )
            .await?;
        if !changed {
            // Someone else changed it between our check and our write.
            return Ok(PasswordChange::Refused(LoginRefusal::Mismatch));
        }
        tracing::info!(user = %user.uuid, "password changed; sessions ended");
        self.notify_password_changed(user, replacement.lang);
        Ok(PasswordChange::Changed { at: now })
    }

    /// The account whose password this is, or why not. Records failures.
    async fn check_password(
        &self,
        login_name: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<Result<User, LoginRefusal>, DomainError> {
        let password = normalize_password(password);
        let canonical = canonical_identifier(login_name);
        let user = match &canonical {
            Ok(name) => self.store.find_user_by_login_name(name.clone()).await?,
            Err(_) => None,
        };
        let Some(user) = user else {
            self.hasher.verify_dummy(password).await?;
            let identifier = match canonical {
                Ok(name) => name,
                // Keep what was typed, escaped, so the trail shows the attempt.
                Err(_) => format!("{login_name:?}"),
            };
            self.record_failure(
                None,
                Some(truncate(identifier)),
                client,
                "unknown login name",
            )
            .await?;
            return Ok(Err(LoginRefusal::Mismatch));
        };
        if !self
            .hasher
            .verify(password, user.password_hash.clone())
            .await?
        {
            self.record_failure(Some(user.id), None, client, "wrong password")
                .await?;
            return Ok(Err(LoginRefusal::Mismatch));
        }
        let refusal = match user.status {
            UserStatus::Active => return Ok(Ok(user)),
            UserStatus::Inactive => (LoginRefusal::Inactive, "account disabled"),
            UserStatus::BeforeVerification => {
                (LoginRefusal::NeedsVerification, "email not verified")
            }
        };
        self.record_failure(Some(user.id), None, client, refusal.1)
            .await?;
        Ok(Err(refusal.0))
    }

    async fn record_failure(
        &self,
        user_id: Option<i64>,
        identifier: Option<String>,
        client: &ClientInfo,
        reason: &str,
    ) -> Result<(), DomainError> {
        tracing::info!(user_id, ip = ?client.ip, reason, "login refused");
        self.store
            .record(AuditEvent {
                at: self.now(),
                kind: AuditKind::LoginFailed,
                user_id,
                identifier,
                client: client.clone(),
                detail: Some(reason.to_owned()),
            })
            .await?;
        Ok(())
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

fn truncate(mut text: String) -> String {
    if text.chars().count() > AUDIT_IDENTIFIER_MAX {
        text = text.chars().take(AUDIT_IDENTIFIER_MAX).collect();
    }
    text
}
