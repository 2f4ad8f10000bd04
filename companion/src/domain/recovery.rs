//! Getting back into an account: verification mails, password reset by mail,
//! and the administrator's reset.
//!
//! Requests that name an email address answer the same whatever the address;
//! the lookup and the mail happen in the background so the answer's timing
//! does not tell either.

use baigate_shared::identity::Email;
use baigate_shared::password::{PasswordContext, PolicyViolation, normalize_password};

use super::tokens::{is_url_token_shaped, new_url_token, random_bytes, token_hash};
use super::{Domain, DomainError};
use crate::i18n::Lang;
use crate::mail::templates::Template;
use crate::mail::{Delivery, MailError};
use crate::model::{
    AuditEvent, AuditKind, ClientInfo, NewMailedToken, TokenPurpose, User, UserStatus,
};
use crate::store::mailed_tokens::TokenState;
pub use crate::store::mailed_tokens::Verification;

/// Mails of one kind one account can be sent per hour.
pub const MAILS_PER_HOUR: i64 = 5;
/// How long a password-reset link works.
pub const RESET_LIFETIME: i64 = 15 * 60;

#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    #[error("password reset is turned off on this server")]
    Disabled,
    #[error("the link is not valid: it may have expired or been used")]
    InvalidToken,
    #[error("{0}")]
    Weak(PolicyViolation),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

#[derive(Debug, thiserror::Error)]
pub enum AdminResetError {
    #[error("no account has the login name {0:?}")]
    NoSuchUser(String),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

/// What `baigate user reset-password` did.
#[derive(Debug)]
pub struct AdminReset {
    pub user: User,
    pub link: String,
    pub delivery: Result<Delivery, MailError>,
}

impl Domain {
    /// `send-verification-email`: a new link for an account still waiting for
    /// one. Returns at once; nothing in the outcome depends on the address.
    pub fn resend_verification(&self, email: &str, client: ClientInfo, lang: Lang) {
        let domain = self.clone();
        let email = email.to_owned();
        self.background.spawn(async move {
            if let Err(e) = domain.send_verification_now(&email, client, lang).await {
                tracing::warn!(error = %e, "a verification mail was not sent");
            }
        });
    }

    async fn send_verification_now(
        &self,
        email: &str,
        client: ClientInfo,
        lang: Lang,
    ) -> Result<(), DomainError> {
        let Some(canonical) = Domain::canonical_email(email) else {
            return Ok(());
        };
        let Some(user) = self.store.find_user_by_email(canonical).await? else {
            return Ok(());
        };
        if user.status != UserStatus::BeforeVerification {
            return Ok(());
        }
        let now = self.now();
        let (token, hash) = new_url_token()?;
        let issued = self
            .store
            .issue_mailed_token(
                user.id,
                NewMailedToken {
                    token_hash: hash,
                    purpose: TokenPurpose::VerifyEmail,
                    created_at: now,
                    expires_at: now.saturating_add(self.signup.verification_lifetime),
                },
                MAILS_PER_HOUR,
                AuditEvent::new(AuditKind::VerificationRequested, now, Some(user.id), client),
            )
            .await?;
        if !issued {
            tracing::info!(user = %user.uuid, "verification mail skipped: hourly limit reached");
            return Ok(());
        }
        if let Err(e) = self
            .mailer
            .send(&user.email, &self.verification_template(&token, lang), lang)
            .await
        {
            tracing::warn!(user = %user.uuid, error = %e, "verification mail failed");
        }
        Ok(())
    }

    /// Follows a verification link.
    pub async fn verify_email(
        &self,
        code: &str,
        client: ClientInfo,
    ) -> Result<Verification, DomainError> {
        if !is_url_token_shaped(code) {
            return Ok(Verification::Invalid);
        }
        let now = self.now();
        let outcome = self
            .store
            .verify_email(
                token_hash(code),
                now,
                AuditEvent::new(AuditKind::EmailVerified, now, None, client),
            )
            .await?;
        if let Verification::Verified { user_id } = outcome {
            tracing::info!(user_id, "email verified");
        }
        Ok(outcome)
    }

    /// `send-password-change-email`: mails a reset link to a real account.
    /// Returns at once with the same outcome for every address.
    pub fn request_password_reset(
        &self,
        email: &str,
        client: ClientInfo,
        lang: Lang,
    ) -> Result<(), ResetError> {
        if !self.signup.allow_password_reset {
            return Err(ResetError::Disabled);
        }
        let domain = self.clone();
        let email = email.to_owned();
        self.background.spawn(async move {
            let sent = async {
                let Some(canonical) = Domain::canonical_email(&email) else {
                    return Ok(());
                };
                let Some(user) = domain.store.find_user_by_email(canonical).await? else {
                    return Ok(());
                };
                if user.status == UserStatus::Inactive {
                    return Ok(());
                }
                domain
                    .mail_reset_link(&user, MAILS_PER_HOUR, client, lang)
                    .await
                    .map(|_| ())
            };
            if let Err(e) = sent.await {
                tracing::warn!(error = %e, "a password reset mail was not sent");
            }
        });
        Ok(())
    }

    /// Issues a reset token (unless the hourly limit is reached) and mails
    /// the link; returns the link and how the mail went.
    async fn mail_reset_link(
        &self,
        user: &User,
        max_per_hour: i64,
        client: ClientInfo,
        lang: Lang,
    ) -> Result<Option<(String, Result<Delivery, MailError>)>, DomainError> {
        let now = self.now();
        let (token, hash) = new_url_token()?;
        let issued = self
            .store
            .issue_mailed_token(
                user.id,
                NewMailedToken {
                    token_hash: hash,
                    purpose: TokenPurpose::ResetPassword,
                    created_at: now,
                    expires_at: now.saturating_add(RESET_LIFETIME),
                },
                max_per_hour,
                AuditEvent::new(
                    AuditKind::PasswordResetRequested,
                    now,
                    Some(user.id),
                    client,
                ),
            )
            .await?;
        if !issued {
            tracing::info!(user = %user.uuid, "reset mail skipped: hourly limit reached");
            return Ok(None);
        }
        let link = format!(
            "{}/change-password?token={token}&lang={}",
            self.public_origin,
            lang.code()
        );
        let template = Template::ResetPassword {
            email: user.email.clone(),
            link: link.clone(),
            minutes: u64::try_from(RESET_LIFETIME / 60).unwrap_or(15),
        };
        let delivery = self.mailer.send(&user.email, &template, lang).await;
        if let Err(e) = &delivery {
            tracing::warn!(user = %user.uuid, error = %e, "reset mail failed");
        }
        Ok(Some((link, delivery)))
    }

    /// Whether a reset link can still be used (for the page that shows the form).
    pub async fn reset_link_is_fresh(&self, token: &str) -> Result<bool, DomainError> {
        if !is_url_token_shaped(token) {
            return Ok(false);
        }
        let state = self
            .store
            .mailed_token_state(token_hash(token), TokenPurpose::ResetPassword, self.now())
            .await?;
        Ok(matches!(state, TokenState::Fresh { .. }))
    }

    /// Sets a new password with a reset link. `email`, when given, must be the
    /// account's. Ends every session, confirms the address, mails a notice;
    /// never logs anyone in.
    pub async fn reset_password(
        &self,
        token: &str,
        email: Option<&str>,
        new_password: &str,
        client: ClientInfo,
        lang: Lang,
    ) -> Result<User, ResetError> {
        if !is_url_token_shaped(token) {
            return Err(ResetError::InvalidToken);
        }
        let hash = token_hash(token);
        let now = self.now();
        let TokenState::Fresh { user_id } = self
            .store
            .mailed_token_state(hash, TokenPurpose::ResetPassword, now)
            .await
            .map_err(DomainError::from)?
        else {
            return Err(ResetError::InvalidToken);
        };
        // An address that cannot parse matches no account.
        let email_canonical = email.map(|raw| {
            Email::parse(raw)
                .map(|e| e.canonical)
                .unwrap_or_else(|_| "\u{0}".into())
        });
        let Some(user) = self
            .store
            .find_user_by_id(user_id)
            .await
            .map_err(DomainError::from)?
        else {
            return Err(ResetError::InvalidToken);
        };
        let password = normalize_password(new_password);
        self.policy
            .validate(
                &password,
                PasswordContext {
                    username: Some(&user.username),
                    email: Some(&user.email),
                },
            )
            .map_err(ResetError::Weak)?;
        let new_hash = self.hasher.hash(password).await?;
        let user = self
            .store
            .reset_password(
                hash,
                email_canonical,
                new_hash,
                now,
                AuditEvent::new(AuditKind::PasswordReset, now, None, client)
                    .with_detail("with a mailed link; all sessions ended"),
            )
            .await
            .map_err(DomainError::from)?
            .ok_or(ResetError::InvalidToken)?;
        // A new password is a fresh start for the lockout too.
        self.store
            .clear_guards(user.id, None)
            .await
            .map_err(DomainError::from)?;
        tracing::info!(user = %user.uuid, "password reset; sessions ended");
        self.notify_password_changed(&user, lang);
        Ok(user)
    }

    /// The administrator's reset: the current password stops working, every
    /// session ends, and a reset link is mailed (and returned). The
    /// administrator never sees or chooses the new password.
    pub async fn admin_reset_password(
        &self,
        login_name: &str,
        client: ClientInfo,
        lang: Lang,
    ) -> Result<AdminReset, AdminResetError> {
        let user = self
            .find_account(login_name)
            .await?
            .ok_or_else(|| AdminResetError::NoSuchUser(login_name.to_owned()))?;
        // A password nobody knows replaces the current one.
        let unknown = hex::encode(random_bytes::<32>()?);
        let locked_hash = self.hasher.hash(unknown).await?;
        let now = self.now();
        self.store
            .change_password(
                user.id,
                user.password_hash.clone(),
                locked_hash,
                None,
                now,
                AuditEvent::new(AuditKind::PasswordReset, now, Some(user.id), client.clone())
                    .with_detail("reset by an administrator; all sessions ended"),
            )
            .await
            .map_err(DomainError::from)?;
        self.store
            .clear_guards(user.id, None)
            .await
            .map_err(DomainError::from)?;
        let (link, delivery) = self
            .mail_reset_link(&user, i64::MAX, client, lang)
            .await?
            .ok_or_else(|| DomainError::Internal("the reset link was not issued".into()))?;
        Ok(AdminReset {
            user,
            link,
            delivery,
        })
    }
}
