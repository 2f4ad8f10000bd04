//! Changing a password the holder knows: with the current one and no
//! session (`/server/update-password-no-auth`), or logged in / with a signed
//! request (`/func/auth/update-password`). Every change ends sessions and
//! mails a notice. Resets by mailed link are in [`super::recovery`].

use baigate_shared::password::{PasswordContext, PolicyViolation, normalize_password};

use super::credentials::{LoginRefusal, SecondFactor};
use super::{Domain, DomainError};
use crate::clock::{UnixTime, rfc3339};
use crate::i18n::Lang;
use crate::mail::templates::Template;
use crate::model::{AuditEvent, AuditKind, ClientInfo, User};

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
struct PasswordReplacement<'a> {
    keep_session: Option<i64>,
    detail: &'a str,
    client: ClientInfo,
    lang: Lang,
}

impl Domain {
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
        if let SecondFactor::Refused(refusal) =
            self.second_factor(&user, otp, &client, lang).await?
        {
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

    /// `/func/auth/update-password`: the logged-in account changes its own
    /// password; its other sessions end, this one stays.
    pub async fn change_own_password(
        &self,
        user: &User,
        keep_session: Option<i64>,
        old: &str,
        new: &str,
        client: ClientInfo,
        lang: Lang,
    ) -> Result<PasswordChange, DomainError> {
        // A stolen session must not become a way to guess the password.
        if let Err(refusal) = self
            .check_account_password(Some(user), &user.username, old, &client, lang)
            .await?
        {
            return Ok(PasswordChange::Refused(refusal));
        }
        self.replace_password(
            user,
            old,
            new,
            PasswordReplacement {
                keep_session,
                detail: if keep_session.is_some() {
                    "logged in; other sessions ended"
                } else {
                    "signed request; all sessions ended"
                },
                client,
                lang,
            },
        )
        .await
    }

    /// After the current password was checked: the new one replaces it if it
    /// differs and meets the policy; the account's sessions but `keep_session`
    /// end; a notice is mailed.
    async fn replace_password(
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
        let event = AuditEvent::new(
            AuditKind::PasswordChanged,
            now,
            Some(user.id),
            replacement.client,
        )
        .with_detail(replacement.detail);
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

    /// Mails the "your password was changed" notice in the background.
    pub(crate) fn notify_password_changed(&self, user: &User, lang: Lang) {
        let template = Template::PasswordChanged {
            email: user.email.clone(),
            when: rfc3339(self.now())
                .replace('T', " ")
                .trim_end_matches('Z')
                .to_owned(),
        };
        self.mail_in_background(user, template, lang, "password change notice failed");
    }
}
