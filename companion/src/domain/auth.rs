//! Password login, session checks, logout and the password change that needs
//! no session.
//!
//! Every password check passes the lockout first (see [`super::lockout`]):
//! a locked account, or login name, is refused before any bcrypt work. A
//! login name with no account costs one bcrypt verification against a dummy
//! hash and gets the same refusal as a wrong password, and is locked the same
//! way, so neither the answer nor its timing tells whether an account exists.
//! What is wrong with an account (disabled, unverified, at its session limit)
//! is said only to someone who knows its password.

use baigate_shared::identity::canonical_identifier;
use baigate_shared::password::{PasswordContext, PolicyViolation, normalize_password};

use super::lockout::{Admission, admit, guard_key, release};
use super::tokens::{is_session_token_shaped, new_session_token, random_bytes, token_hash};
use super::totp::OtpRefusal;
use super::{Domain, DomainError};
use crate::clock::{UnixTime, rfc3339};
use crate::i18n::Lang;
use crate::mail::templates::Template;
use crate::model::{
    AuditEvent, AuditKind, ClientInfo, NewSession, Session, SessionDetails, SessionLimit, User,
    UserStatus,
};
use crate::store::sessions::SessionStart;

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
    /// Too many failures in a row: refused unchecked for `retry_after` seconds.
    Locked { retry_after: i64 },
    /// Too many failures across locks: password login is off until a reset.
    PasswordLoginDisabled,
    /// Right password; the account has 2FA and no code was sent.
    OtpRequired,
    /// Right password; the one-time code was wrong, malformed or used before.
    OtpInvalid,
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

/// What the second factor says.
#[derive(Debug)]
enum SecondFactor {
    Passed,
    Refused(LoginRefusal),
    MustRegister,
}

/// A session found by its token, with its account.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub session: Session,
    pub user: User,
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
            .second_factor(&user, options.otp.as_deref(), &client)
            .await?
        {
            SecondFactor::Passed => {}
            SecondFactor::Refused(refusal) => return Ok(LoginResult::Refused(refusal)),
            SecondFactor::MustRegister => {
                let token = self.issue_registration(&user).await?;
                return Ok(LoginResult::TotpRegistrationRequired(token));
            }
        }
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
                    at: now,
                    kind: AuditKind::LoginOk,
                    user_id: Some(user.id),
                    identifier: None,
                    client: client.clone(),
                    detail: None,
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
        otp: Option<&str>,
        client: ClientInfo,
        lang: Lang,
    ) -> Result<PasswordChange, DomainError> {
        let user = match self
            .check_password(login_name, current, &client, lang)
            .await?
        {
            Ok(user) => user,
            Err(refusal) => return Ok(PasswordChange::Refused(refusal)),
        };
        // With 2FA on, the password alone does not change the password.
        if let SecondFactor::Refused(refusal) = self.second_factor(&user, otp, &client).await? {
            return Ok(PasswordChange::Refused(refusal));
        }
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

    /// After the password: the second factor, if the account has one (or must).
    async fn second_factor(
        &self,
        user: &User,
        otp: Option<&str>,
        client: &ClientInfo,
    ) -> Result<SecondFactor, DomainError> {
        let enabled = self.totp_enabled(user).await?;
        if !enabled {
            return Ok(if self.totp_required {
                SecondFactor::MustRegister
            } else {
                SecondFactor::Passed
            });
        }
        let Some(code) = otp.map(str::trim).filter(|c| !c.is_empty()) else {
            return Ok(SecondFactor::Refused(LoginRefusal::OtpRequired));
        };
        Ok(match self.check_login_otp(user, code, client).await? {
            Ok(()) => SecondFactor::Passed,
            Err(OtpRefusal::Invalid) => SecondFactor::Refused(LoginRefusal::OtpInvalid),
            Err(OtpRefusal::Locked { retry_after }) => {
                SecondFactor::Refused(LoginRefusal::Locked { retry_after })
            }
        })
    }

    /// The account whose password this is, or why not: the lockout first,
    /// then bcrypt, then the account's state. Records every failure.
    pub(crate) async fn check_password(
        &self,
        login_name: &str,
        password: &str,
        client: &ClientInfo,
        lang: Lang,
    ) -> Result<Result<User, LoginRefusal>, DomainError> {
        let canonical = canonical_identifier(login_name);
        let name = match &canonical {
            Ok(name) => name.clone(),
            // Keep what was typed, escaped, so the trail shows the attempt.
            Err(_) => truncate(format!("{login_name:?}")),
        };
        let user = match &canonical {
            Ok(name) => self.store.find_user_by_login_name(name.clone()).await?,
            Err(_) => None,
        };
        let matched = self
            .guarded_verify(user.as_ref(), &name, password, client, lang)
            .await?;
        let user = match (matched, user) {
            (Err(refusal), _) => return Ok(Err(refusal)),
            (Ok(()), Some(user)) => user,
            (Ok(()), None) => return Ok(Err(LoginRefusal::Mismatch)),
        };
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

    /// Checks `password` against `user` (or a dummy hash when there is no
    /// account) behind the lockout counter of the account, or of `name`.
    pub(crate) async fn guarded_verify(
        &self,
        user: Option<&User>,
        name: &str,
        password: &str,
        client: &ClientInfo,
        lang: Lang,
    ) -> Result<Result<(), LoginRefusal>, DomainError> {
        let user_id = user.map(|u| u.id);
        let identifier = user.is_none().then(|| name.to_owned());
        let key = guard_key(user_id, name);
        let now = self.now();
        let policy = self.lockout;
        let admission = self
            .store
            .update_guard(key.clone(), user_id, now, move |state| {
                admit(state, now, &policy)
            })
            .await?;
        let (starts_lock, disables) = match admission {
            Admission::Locked { retry_after } => {
                self.record_failure(user_id, identifier, client, "refused: locked")
                    .await?;
                return Ok(Err(LoginRefusal::Locked { retry_after }));
            }
            Admission::Disabled => {
                self.record_failure(user_id, identifier, client, "refused: password login off")
                    .await?;
                return Ok(Err(LoginRefusal::PasswordLoginDisabled));
            }
            Admission::Admitted {
                starts_lock,
                disables,
            } => (starts_lock, disables),
        };
        let password = normalize_password(password);
        let matched = match user {
            Some(user) => {
                self.hasher
                    .verify(password, user.password_hash.clone())
                    .await?
            }
            None => {
                self.hasher.verify_dummy(password).await?;
                false
            }
        };
        if matched {
            self.store
                .update_guard(key, user_id, now, |state| (release(state), ()))
                .await?;
            return Ok(Ok(()));
        }
        let reason = if user.is_some() {
            "wrong password"
        } else {
            "unknown login name"
        };
        self.record_failure(user_id, identifier.clone(), client, reason)
            .await?;
        if starts_lock || disables {
            self.lock_started(user, identifier, disables, client, lang)
                .await?;
        }
        Ok(Err(LoginRefusal::Mismatch))
    }

    /// Records a lock (or password login turned off) and tells the owner.
    async fn lock_started(
        &self,
        user: Option<&User>,
        identifier: Option<String>,
        disabled: bool,
        client: &ClientInfo,
        lang: Lang,
    ) -> Result<(), DomainError> {
        let now = self.now();
        let until = now.saturating_add(self.lockout.duration);
        let (kind, detail) = if disabled {
            (
                AuditKind::LoginDisabled,
                format!(
                    "{} failures in a row: password login off until a reset",
                    self.lockout.max_consecutive
                ),
            )
        } else {
            (
                AuditKind::LoginLocked,
                format!(
                    "{} failures in a row: locked until {}",
                    self.lockout.max_failures,
                    rfc3339(until)
                ),
            )
        };
        tracing::warn!(user_id = user.map(|u| u.id), ip = ?client.ip, "{detail}");
        self.store
            .record(AuditEvent {
                at: now,
                kind,
                user_id: user.map(|u| u.id),
                identifier,
                client: client.clone(),
                detail: Some(detail),
            })
            .await?;
        let Some(user) = user else {
            return Ok(());
        };
        let email = user.email.clone();
        let template = if disabled {
            Template::LoginDisabled {
                email: email.clone(),
                failures: u32::try_from(self.lockout.max_consecutive).unwrap_or(u32::MAX),
            }
        } else {
            Template::AccountLocked {
                email: email.clone(),
                until: rfc3339(until)
                    .replace('T', " ")
                    .trim_end_matches('Z')
                    .to_owned(),
                failures: u32::try_from(self.lockout.max_failures).unwrap_or(u32::MAX),
            }
        };
        let mailer = self.mailer.clone();
        let uuid = user.uuid.clone();
        self.background.spawn(async move {
            if let Err(e) = mailer.send(&email, &template, lang).await {
                tracing::warn!(user = %uuid, error = %e, "lock notice failed");
            }
        });
        Ok(())
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
