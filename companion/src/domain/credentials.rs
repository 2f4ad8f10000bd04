//! Checking who someone is, with the lockout applied: every path that takes
//! a credential (password login, a one-time or recovery code, a password
//! change, re-authentication before a sensitive change, and the
//! administrator's unlock) goes through here. The rule itself is the pure
//! [`super::lockout`]; this file applies it.
//!
//! Each attempt is reserved on its counter before the credential is checked
//! ([`Domain::guarded`]): a locked account, or login name, is refused before
//! any bcrypt work, and however many attempts race, at most the threshold
//! reach the check. Passwords and one-time codes count on separate counters.
//!
//! A login name with no account costs one bcrypt verification against a
//! dummy hash and gets the same refusal as a wrong password, and is locked
//! the same way, so neither the answer nor its timing tells whether an
//! account exists. What is wrong with an account (disabled, unverified) is
//! said only to someone who knows its password.

use std::future::Future;

use baigate_shared::identity::canonical_identifier;
use baigate_shared::password::normalize_password;

use super::lockout::{Admission, admit, release};
use super::otp::{compact, matching_step, recovery_form};
use super::{Domain, DomainError};
use crate::clock::rfc3339;
use crate::i18n::Lang;
use crate::mail::templates::Template;
use crate::model::{AuditEvent, AuditKind, ClientInfo, User, UserStatus};

/// Longest login name kept in the audit trail for a name with no account.
const AUDIT_IDENTIFIER_MAX: usize = 128;

/// Why a login (or a password check standing for one) was refused.
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
    /// Too many wrong one-time codes across locks: two-factor login is off
    /// until an administrator unlocks the account.
    CodesDisabled,
}

/// Why a one-time code was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpRefusal {
    /// Wrong, malformed, or already used.
    Invalid,
    /// Too many wrong codes in a row.
    Locked { retry_after: i64 },
    /// Too many wrong codes across locks: off until an administrator unlocks.
    Disabled,
}

/// What the second factor says, after a right password.
#[derive(Debug)]
pub(crate) enum SecondFactor {
    Passed,
    Refused(LoginRefusal),
    /// 2FA is required and the account has none yet.
    MustRegister,
}

/// Why proving again who one is (before a sensitive change) failed.
#[derive(Debug, thiserror::Error)]
pub enum ReauthError {
    #[error("the password is not right")]
    WrongPassword,
    #[error("a current one-time code is needed")]
    InvalidCode,
    #[error("too many failures in a row; try again in {retry_after} seconds")]
    Locked { retry_after: i64 },
    #[error("two-factor login is off after too many wrong codes; an administrator can unlock it")]
    CodesDisabled,
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<OtpRefusal> for ReauthError {
    fn from(refusal: OtpRefusal) -> Self {
        match refusal {
            OtpRefusal::Invalid => Self::InvalidCode,
            OtpRefusal::Locked { retry_after } => Self::Locked { retry_after },
            OtpRefusal::Disabled => Self::CodesDisabled,
        }
    }
}

/// The counter an attempt is counted on. The stored keys are part of the
/// database: they must not change.
#[derive(Debug, Clone)]
enum GuardKey {
    /// Passwords of an account.
    Account(i64),
    /// Passwords tried for a login name with no account.
    UnknownName(String),
    /// One-time and recovery codes of an account.
    Codes(i64),
}

impl GuardKey {
    fn stored(&self) -> String {
        match self {
            Self::Account(id) => format!("user:{id}"),
            Self::UnknownName(name) => format!("name:{name}"),
            Self::Codes(id) => format!("otp:user:{id}"),
        }
    }
}

/// What a check found, before the lockout's view of it.
#[derive(Debug)]
enum Verdict<T> {
    Right(T),
    /// Wrong, with the reason for the audit trail.
    Wrong(&'static str),
}

/// An attempt as the lockout saw it.
#[derive(Debug)]
enum Guarded<T> {
    Right(T),
    /// Checked and wrong. `starts_lock` / `disables`: this failure is the one
    /// that locked the counter / turned password login off.
    Wrong {
        reason: &'static str,
        starts_lock: bool,
        disables: bool,
    },
    /// Refused unchecked: locked for `retry_after` more seconds.
    Locked {
        retry_after: i64,
    },
    /// Refused unchecked: turned off until a reset or an unlock.
    Disabled,
}

impl Domain {
    /// Reserves an attempt on `key`, runs `check` if the lockout admits it,
    /// and clears the counter when it is right. The one place the rule is
    /// applied; callers decide what each outcome means for them.
    async fn guarded<T, F, Fut>(
        &self,
        key: GuardKey,
        user_id: Option<i64>,
        check: F,
    ) -> Result<Guarded<T>, DomainError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Verdict<T>, DomainError>>,
    {
        let now = self.now();
        let policy = self.lockout;
        let stored = key.stored();
        let admission = self
            .store
            .update_guard(stored.clone(), user_id, now, move |state| {
                admit(state, now, &policy)
            })
            .await?;
        let (starts_lock, disables) = match admission {
            Admission::Locked { retry_after } => return Ok(Guarded::Locked { retry_after }),
            Admission::Disabled => return Ok(Guarded::Disabled),
            Admission::Admitted {
                starts_lock,
                disables,
            } => (starts_lock, disables),
        };
        match check().await? {
            Verdict::Right(value) => {
                self.store
                    .update_guard(stored, user_id, self.now(), |_| (release(), ()))
                    .await?;
                Ok(Guarded::Right(value))
            }
            Verdict::Wrong(reason) => Ok(Guarded::Wrong {
                reason,
                starts_lock,
                disables,
            }),
        }
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
            .check_account_password(user.as_ref(), &name, password, client, lang)
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
    /// account, counted on `name`) behind the lockout. A lock that starts
    /// here is recorded and mailed to the owner.
    pub(crate) async fn check_account_password(
        &self,
        user: Option<&User>,
        name: &str,
        password: &str,
        client: &ClientInfo,
        lang: Lang,
    ) -> Result<Result<(), LoginRefusal>, DomainError> {
        let user_id = user.map(|u| u.id);
        let identifier = user.is_none().then(|| name.to_owned());
        let key = match user_id {
            Some(id) => GuardKey::Account(id),
            None => GuardKey::UnknownName(name.to_owned()),
        };
        let password = normalize_password(password);
        let guarded = self
            .guarded(key, user_id, || async move {
                Ok(match user {
                    Some(user) => {
                        let hash = user.password_hash.clone();
                        if self.hasher.verify(password.clone(), hash).await? {
                            Verdict::Right(())
                        } else {
                            self.hasher
                                .make_up_cost(password, &user.password_hash)
                                .await?;
                            Verdict::Wrong("wrong password")
                        }
                    }
                    None => {
                        self.hasher.verify_dummy(password).await?;
                        Verdict::Wrong("unknown login name")
                    }
                })
            })
            .await?;
        match guarded {
            Guarded::Right(()) => Ok(Ok(())),
            Guarded::Locked { retry_after } => {
                self.record_failure(user_id, identifier, client, "refused: locked")
                    .await?;
                Ok(Err(LoginRefusal::Locked { retry_after }))
            }
            Guarded::Disabled => {
                self.record_failure(user_id, identifier, client, "refused: password login off")
                    .await?;
                Ok(Err(LoginRefusal::PasswordLoginDisabled))
            }
            Guarded::Wrong {
                reason,
                starts_lock,
                disables,
            } => {
                self.record_failure(user_id, identifier.clone(), client, reason)
                    .await?;
                if starts_lock || disables {
                    self.lock_started(user, identifier, disables, client, lang)
                        .await?;
                }
                Ok(Err(LoginRefusal::Mismatch))
            }
        }
    }

    /// A lock the account's password counter holds now, read without
    /// counting an attempt: logins that need no password (single sign-on)
    /// are refused while the account is locked all the same.
    pub(crate) async fn standing_lock(
        &self,
        user: &User,
    ) -> Result<Option<LoginRefusal>, DomainError> {
        let Some(state) = self
            .store
            .guard(GuardKey::Account(user.id).stored())
            .await?
        else {
            return Ok(None);
        };
        if state.disabled {
            return Ok(Some(LoginRefusal::PasswordLoginDisabled));
        }
        let now = self.now();
        Ok(state
            .locked_until
            .filter(|until| *until > now)
            .map(|until| LoginRefusal::Locked {
                retry_after: until - now,
            }))
    }

    /// Whether the account has confirmed 2FA.
    pub async fn totp_enabled(&self, user: &User) -> Result<bool, DomainError> {
        Ok(self
            .store
            .totp_credential(user.id)
            .await?
            .is_some_and(|c| c.confirmed))
    }

    /// After the password: the second factor, if the account has one (or must).
    pub(crate) async fn second_factor(
        &self,
        user: &User,
        otp: Option<&str>,
        client: &ClientInfo,
        lang: Lang,
    ) -> Result<SecondFactor, DomainError> {
        if !self.totp_enabled(user).await? {
            return Ok(if self.totp_required {
                SecondFactor::MustRegister
            } else {
                SecondFactor::Passed
            });
        }
        let Some(code) = otp.map(str::trim).filter(|c| !c.is_empty()) else {
            return Ok(SecondFactor::Refused(LoginRefusal::OtpRequired));
        };
        Ok(match self.check_otp(user, code, client, lang).await? {
            Ok(()) => SecondFactor::Passed,
            Err(OtpRefusal::Invalid) => SecondFactor::Refused(LoginRefusal::OtpInvalid),
            Err(OtpRefusal::Locked { retry_after }) => {
                SecondFactor::Refused(LoginRefusal::Locked { retry_after })
            }
            Err(OtpRefusal::Disabled) => SecondFactor::Refused(LoginRefusal::CodesDisabled),
        })
    }

    /// A six-digit code (each time step accepted once) or a recovery code
    /// (each once) for an account with 2FA on, behind the codes' counter.
    pub(crate) async fn check_otp(
        &self,
        user: &User,
        code: &str,
        client: &ClientInfo,
        lang: Lang,
    ) -> Result<Result<(), OtpRefusal>, DomainError> {
        let Some(credential) = self.store.totp_credential(user.id).await? else {
            return Ok(Err(OtpRefusal::Invalid));
        };
        let recovery = recovery_form(code);
        let guarded = match recovery {
            Some(normalized) => {
                let hash = self.keys.mac(normalized.as_bytes())?;
                self.guarded(GuardKey::Codes(user.id), Some(user.id), || async {
                    let now = self.now();
                    let used = AuditEvent::new(
                        AuditKind::RecoveryCodeUsed,
                        now,
                        Some(user.id),
                        client.clone(),
                    )
                    .with_detail("recovery code used");
                    Ok(
                        if self
                            .store
                            .use_recovery_code(user.id, hash, now, used)
                            .await?
                        {
                            tracing::info!(user = %user.uuid, "recovery code used");
                            Verdict::Right(())
                        } else {
                            Verdict::Wrong("wrong recovery code")
                        },
                    )
                })
                .await?
            }
            None => {
                let secret = self
                    .keys
                    .open(&credential.secret_sealed, &totp_context(user))?;
                self.guarded(GuardKey::Codes(user.id), Some(user.id), || async {
                    let Some(step) = matching_step(&secret, &compact(code), self.now())? else {
                        return Ok(Verdict::Wrong("wrong one-time code"));
                    };
                    // Only a step later than the last one accepted: replays lose here.
                    Ok(if self.store.accept_totp_step(user.id, step).await? {
                        Verdict::Right(())
                    } else {
                        Verdict::Wrong("one-time code used before")
                    })
                })
                .await?
            }
        };
        self.code_outcome(user, client, guarded, lang).await
    }

    /// The time step of a code from an authenticator being set up (`secret`
    /// not yet confirmed), behind the codes' counter.
    pub(crate) async fn check_enrolment_code(
        &self,
        user: &User,
        secret: &[u8],
        code: &str,
        client: &ClientInfo,
    ) -> Result<Result<i64, OtpRefusal>, DomainError> {
        let guarded = self
            .guarded(GuardKey::Codes(user.id), Some(user.id), || async {
                Ok(match matching_step(secret, &compact(code), self.now())? {
                    Some(step) => Verdict::Right(step),
                    None => Verdict::Wrong("wrong code at enrolment"),
                })
            })
            .await?;
        self.code_outcome(user, client, guarded, Lang::default())
            .await
    }

    /// What a guarded code check means: wrong codes are audited, and a lock
    /// of the codes (or their turning off) is recorded and mailed to the
    /// owner as a password lock is; refusals during it are audited too.
    async fn code_outcome<T>(
        &self,
        user: &User,
        client: &ClientInfo,
        guarded: Guarded<T>,
        lang: Lang,
    ) -> Result<Result<T, OtpRefusal>, DomainError> {
        let refused = |detail: &'static str| {
            AuditEvent::new(
                AuditKind::OtpFailed,
                self.now(),
                Some(user.id),
                client.clone(),
            )
            .with_detail(detail)
        };
        Ok(match guarded {
            Guarded::Right(value) => Ok(value),
            Guarded::Locked { retry_after } => {
                self.store.record(refused("refused: codes locked")).await?;
                Err(OtpRefusal::Locked { retry_after })
            }
            Guarded::Disabled => {
                self.store
                    .record(refused("refused: two-factor login off"))
                    .await?;
                Err(OtpRefusal::Disabled)
            }
            Guarded::Wrong {
                reason,
                starts_lock,
                disables,
            } => {
                tracing::info!(user = %user.uuid, reason, "one-time code refused");
                self.store.record(refused(reason)).await?;
                if starts_lock || disables {
                    self.codes_lock_started(user, disables, client, lang)
                        .await?;
                }
                Err(OtpRefusal::Invalid)
            }
        })
    }

    /// Records a lock of the one-time codes (or their turning off) and tells
    /// the owner: whoever tried them knew the password.
    async fn codes_lock_started(
        &self,
        user: &User,
        disabled: bool,
        client: &ClientInfo,
        lang: Lang,
    ) -> Result<(), DomainError> {
        let now = self.now();
        let until = now.saturating_add(self.lockout.duration);
        let (kind, detail, template) = if disabled {
            (
                AuditKind::LoginDisabled,
                format!(
                    "{} wrong one-time codes in a row: two-factor login off until an unlock",
                    self.lockout.max_consecutive
                ),
                Template::CodesDisabled {
                    email: user.email.clone(),
                    failures: u32::try_from(self.lockout.max_consecutive).unwrap_or(u32::MAX),
                },
            )
        } else {
            (
                AuditKind::LoginLocked,
                format!(
                    "{} wrong one-time codes in a row: locked until {}",
                    self.lockout.max_failures,
                    rfc3339(until)
                ),
                Template::CodesLocked {
                    email: user.email.clone(),
                    until: rfc3339(until)
                        .replace('T', " ")
                        .trim_end_matches('Z')
                        .to_owned(),
                    failures: u32::try_from(self.lockout.max_failures).unwrap_or(u32::MAX),
                },
            )
        };
        tracing::warn!(user = %user.uuid, ip = ?client.ip, "{detail}");
        self.store
            .record(AuditEvent::new(kind, now, Some(user.id), client.clone()).with_detail(detail))
            .await?;
        self.mail_in_background(user, template, lang, "code lock notice failed");
        Ok(())
    }

    /// Proves the caller is the account holder before a sensitive change: a
    /// current code, or else the password.
    pub(crate) async fn reauthenticate(
        &self,
        user: &User,
        code: Option<&str>,
        password: Option<&str>,
        client: &ClientInfo,
        lang: Lang,
    ) -> Result<(), ReauthError> {
        if let Some(code) = code {
            return Ok(self.check_otp(user, code, client, lang).await??);
        }
        let Some(password) = password else {
            return Err(ReauthError::WrongPassword);
        };
        match self
            .check_account_password(Some(user), &user.username, password, client, lang)
            .await?
        {
            Ok(()) => Ok(()),
            Err(LoginRefusal::Locked { retry_after }) => Err(ReauthError::Locked { retry_after }),
            Err(_) => Err(ReauthError::WrongPassword),
        }
    }

    /// The password, then a current code when 2FA is on.
    pub(crate) async fn reauthenticate_fully(
        &self,
        user: &User,
        password: &str,
        code: Option<&str>,
        client: &ClientInfo,
        lang: Lang,
    ) -> Result<(), ReauthError> {
        self.reauthenticate(user, None, Some(password), client, lang)
            .await?;
        if self.totp_enabled(user).await? {
            let code = code.ok_or(ReauthError::InvalidCode)?;
            self.reauthenticate(user, Some(code), None, client, lang)
                .await?;
        }
        Ok(())
    }

    /// Lifts a lock (and a turned-off password login) from an account.
    /// Returns the account and whether anything was locked.
    pub async fn unlock(
        &self,
        login_name: &str,
        client: ClientInfo,
    ) -> Result<Option<(User, bool)>, DomainError> {
        let Some(user) = self.find_account(login_name).await? else {
            return Ok(None);
        };
        let event = AuditEvent::new(AuditKind::LoginUnlocked, self.now(), Some(user.id), client)
            .with_detail("by an administrator");
        let was_locked = self.store.clear_guards(user.id, Some(event)).await?;
        Ok(Some((user, was_locked)))
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
            .record(
                AuditEvent::new(kind, now, user.map(|u| u.id), client.clone())
                    .with_identifier(identifier)
                    .with_detail(detail),
            )
            .await?;
        let Some(user) = user else {
            return Ok(());
        };
        let template = if disabled {
            Template::LoginDisabled {
                email: user.email.clone(),
                failures: u32::try_from(self.lockout.max_consecutive).unwrap_or(u32::MAX),
            }
        } else {
            Template::AccountLocked {
                email: user.email.clone(),
                until: rfc3339(until)
                    .replace('T', " ")
                    .trim_end_matches('Z')
                    .to_owned(),
                failures: u32::try_from(self.lockout.max_failures).unwrap_or(u32::MAX),
            }
        };
        self.mail_in_background(user, template, lang, "lock notice failed");
        Ok(())
    }

    /// Records a refused login.
    pub(crate) async fn record_failure(
        &self,
        user_id: Option<i64>,
        identifier: Option<String>,
        client: &ClientInfo,
        reason: &str,
    ) -> Result<(), DomainError> {
        tracing::info!(user_id, ip = ?client.ip, reason, "login refused");
        self.store
            .record(
                AuditEvent::new(AuditKind::LoginFailed, self.now(), user_id, client.clone())
                    .with_identifier(identifier)
                    .with_detail(reason),
            )
            .await?;
        Ok(())
    }
}

/// What a TOTP secret is sealed with: it opens for its own account only.
pub(crate) fn totp_context(user: &User) -> Vec<u8> {
    format!("totp:{}", user.uuid).into_bytes()
}

fn truncate(mut text: String) -> String {
    if text.chars().count() > AUDIT_IDENTIFIER_MAX {
        text = text.chars().take(AUDIT_IDENTIFIER_MAX).collect();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_keys_keep_their_form() {
        assert_eq!(GuardKey::Account(7).stored(), "user:7");
        assert_eq!(GuardKey::UnknownName("ghost".into()).stored(), "name:ghost");
        assert_eq!(GuardKey::Codes(7).stored(), "otp:user:7");
    }
}
