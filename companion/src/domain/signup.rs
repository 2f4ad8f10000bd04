//! Signing up: the server's policy (open, by invitation, closed), the
//! invitation spent atomically with the account, and the verification mail.

use baigate_shared::identity::Email;

use super::accounts::{AccountError, CreatedAccount, NewAccount, Provisioning};
use super::tokens::{is_url_token_shaped, new_url_token, token_hash};
use super::{Domain, DomainError};
use crate::config::SignupMode;
use crate::i18n::Lang;
use crate::mail::templates::Template;
use crate::mail::{Delivery, MailError};
use crate::model::{ClientInfo, InvitationClaim, NewMailedToken, Role, UserStatus};

/// What a signup form sends.
#[derive(Clone)]
pub struct SignupRequest {
    pub email: String,
    pub username: Option<String>,
    pub password: String,
    /// An invitation token.
    pub invitation: Option<String>,
    /// Whether the terms were agreed to; `None` from clients that do not ask.
    pub agreement: Option<bool>,
}

impl std::fmt::Debug for SignupRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignupRequest")
            .field("email", &self.email)
            .field("username", &self.username)
            .field("agreement", &self.agreement)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SignupError {
    #[error("signup is closed on this server")]
    Closed,
    #[error("an invitation token is required")]
    InvitationRequired,
    #[error("the terms were not agreed to")]
    Disagreed,
    #[error(transparent)]
    Account(#[from] AccountError),
}

impl From<DomainError> for SignupError {
    fn from(error: DomainError) -> Self {
        Self::Account(AccountError::Domain(error))
    }
}

/// A new account; with verification on, whether its mail went out.
#[derive(Debug)]
pub struct SignedUp {
    pub account: CreatedAccount,
    /// `None` when no verification is needed.
    pub verification: Option<Result<Delivery, MailError>>,
}

impl Domain {
    /// Opens an account from a signup form.
    pub async fn sign_up(
        &self,
        request: SignupRequest,
        client: ClientInfo,
        lang: Lang,
    ) -> Result<SignedUp, SignupError> {
        let policy = &self.signup;
        let invitation = request
            .invitation
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty());
        match (policy.mode, invitation) {
            (SignupMode::Closed, _) => return Err(SignupError::Closed),
            (SignupMode::Invite, None) => return Err(SignupError::InvitationRequired),
            _ => {}
        }
        if request.agreement == Some(false) {
            return Err(SignupError::Disagreed);
        }
        let invitation = match invitation {
            // A malformed token cannot be one we issued; no need to look.
            Some(token) if !is_url_token_shaped(token) => {
                return Err(AccountError::InvalidInvitation.into());
            }
            Some(token) => Some(InvitationClaim {
                token_hash: token_hash(token),
            }),
            None => None,
        };
        let now = self.now();
        let verification_token = if policy.verify_email {
            Some(new_url_token()?)
        } else {
            None
        };
        let provisioning = Provisioning {
            status: if policy.verify_email {
                UserStatus::BeforeVerification
            } else {
                UserStatus::Active
            },
            agreed_at: request.agreement.filter(|agreed| *agreed).map(|_| now),
            invitation,
            verification: verification_token.as_ref().map(|(_, hash)| NewMailedToken {
                token_hash: *hash,
                purpose: crate::model::TokenPurpose::VerifyEmail,
                created_at: now,
                expires_at: now.saturating_add(policy.verification_lifetime),
            }),
            password_unknown: false,
        };
        let account = self
            .provision_account(
                NewAccount {
                    email: request.email,
                    username: request.username,
                    role: Role::User,
                    password: request.password,
                },
                provisioning,
                client,
            )
            .await?;
        // The account is committed; the mail goes out after, and its failure
        // is reported without undoing the account (a new mail can be asked for).
        let verification = match verification_token {
            Some((token, _)) => Some(
                self.mailer
                    .send(
                        &account.user.email,
                        &self.verification_template(&token, lang),
                        lang,
                    )
                    .await,
            ),
            None => None,
        };
        Ok(SignedUp {
            account,
            verification,
        })
    }

    /// The verification mail; its link opens the page in the mail's language.
    pub(crate) fn verification_template(&self, token: &str, lang: Lang) -> Template {
        Template::VerifyEmail {
            link: format!(
                "{}/verify-email?verification_code={token}&lang={}",
                self.public_origin,
                lang.code()
            ),
            hours: u64::try_from(self.signup.verification_lifetime / 3600)
                .unwrap_or(24)
                .max(1),
        }
    }

    /// Whether an email address is well-formed, for forms that take one.
    pub fn canonical_email(raw: &str) -> Option<String> {
        Email::parse(raw).ok().map(|email| email.canonical)
    }
}
