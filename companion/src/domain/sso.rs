//! Single sign-on, the parts that are ours whatever the provider: where a
//! one-time token may be sent, the login waiting for the provider (bound to
//! the browser that started it), which account a verified identity is, the
//! one-time token (sToken) handed to the client, and the token login that
//! turns it into a session.
//!
//! - `redirect_to` must be on an allowed origin (this server, the extension,
//!   configured WebUI origins): a token is never sent anywhere else.
//! - A flow is taken once, within ten minutes, and only with the browser
//!   secret set when it started (login CSRF).
//! - An identity maps to the account linked to its (issuer, subject); else to
//!   the account with its email, only when the provider says the address is
//!   verified; else, when configured, to a new account. The link is kept.
//! - The token is 256 random bits, stored as a hash, good for sixty seconds
//!   and a few tries (a one-time code or `force` may need a retry with the
//!   same token, as the WebUI makes), spent by the session it makes. An
//!   answer that asks for such a step gives the token another minute (five
//!   for setting up 2FA).
//! - A token login is not a password attempt, so it does not count toward
//!   the lockout; but a locked or disabled account cannot use one, and 2FA
//!   still applies.

use std::sync::Arc;

use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use url::Url;

use super::auth::{LoginOptions, LoginResult};
use super::credentials::{LoginRefusal, SecondFactor};
use super::tokens::{is_url_token_shaped, new_url_token, random_bytes, token_hash};
use super::totp::REGISTRATION_LIFETIME;
use super::{Domain, DomainError};
use crate::config::{Config, EXTENSION_ORIGIN};
use crate::i18n::Lang;
use crate::model::{AuditEvent, AuditKind, ClientInfo, Role, User, UserStatus};
use crate::sso::Identity;
use crate::sso::openid::{OpenIdError, OpenIdProvider};
use crate::store::sso::{SsoFlow, SsoToken};

/// How long a login may wait for the provider's answer.
pub const FLOW_LIFETIME: i64 = 10 * 60;
/// How long a one-time token works.
pub const TOKEN_LIFETIME: i64 = 60;
/// Token logins one token allows (the first, and retries with a code or `force`).
pub const TOKEN_ATTEMPTS: i64 = 5;

/// What single sign-on the server offers, and its rules.
#[derive(Debug, Clone, Default)]
pub struct SsoPolicy {
    /// Origins a token may be sent to, as `scheme://host[:port]`.
    pub allowed_redirects: Vec<String>,
    pub openid: Option<Arc<OpenIdProvider>>,
    /// The "Login with <realm>" label.
    pub realm_name: Option<String>,
    /// Whether a first OpenID sign-on may open an account.
    pub openid_create_accounts: bool,
    #[cfg(feature = "saml")]
    pub saml: Option<Arc<crate::sso::saml::SamlProvider>>,
    /// Whether a first SAML sign-on may open an account.
    pub saml_create_accounts: bool,
}

impl SsoPolicy {
    /// The rules from the configuration; the providers come later, once
    /// discovered (`with_openid`, `with_saml`).
    pub fn from_config(config: &Config, public_origin: &str) -> Self {
        let extension_id = EXTENSION_ORIGIN.trim_start_matches("chrome-extension://");
        let mut allowed = vec![
            public_origin.trim_end_matches('/').to_owned(),
            EXTENSION_ORIGIN.to_owned(),
            format!("https://{extension_id}.chromiumapp.org"),
        ];
        allowed.extend(
            config
                .sso
                .allowed_redirects
                .iter()
                .map(|origin| origin.trim_end_matches('/').to_owned()),
        );
        let openid = config.sso.openid.as_ref();
        Self {
            allowed_redirects: allowed,
            openid: None,
            realm_name: openid.and_then(|o| o.realm_name.clone()),
            openid_create_accounts: openid.is_some_and(|o| o.create_accounts),
            #[cfg(feature = "saml")]
            saml: None,
            saml_create_accounts: config.sso.saml.as_ref().is_some_and(|s| s.create_accounts),
        }
    }
}

/// The providers a client may be offered, for `/config.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoVendor {
    Saml,
    OpenId,
}

impl SsoVendor {
    /// Its name in `singleSignOnVendors`, in routes and in audit details.
    pub fn name(self) -> &'static str {
        match self {
            Self::Saml => "saml",
            Self::OpenId => "openid",
        }
    }
}

/// Why a login could not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SsoStartError {
    #[error("single sign-on with this provider is not configured here")]
    NotConfigured,
    #[error("redirect_to is not an address this server sends tokens to")]
    RedirectNotAllowed,
}

/// A login that has started: send the browser to `provider_url`, and give
/// it `browser_secret` in a cookie.
#[derive(Debug)]
pub struct SsoStart {
    pub provider_url: String,
    pub browser_secret: String,
}

/// Why a provider's answer did not become a token; each has the WebUI's
/// `bai_error` code (or one of ours, in the same style).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoFailure {
    /// The person cancelled or the provider refused them.
    AccessDenied,
    /// The answer came back to another browser than the one that started.
    InvalidSession,
    /// The provider's answer does not check out.
    NotAuthenticated,
    ProviderUnavailable,
    /// The provider does not vouch for the email address.
    EmailNotVerified,
    /// No account has the email address, and none may be opened.
    NoAccount,
}

impl SsoFailure {
    /// The `bai_error` code for a sign-on with `vendor`.
    pub fn code(self, vendor: SsoVendor) -> &'static str {
        match (vendor, self) {
            (SsoVendor::OpenId, Self::AccessDenied) => "openid-access-denied",
            (SsoVendor::OpenId, Self::InvalidSession) => "invalid-openid-session",
            (SsoVendor::OpenId, Self::NotAuthenticated) => "openid-not-authenticated",
            (SsoVendor::OpenId, Self::ProviderUnavailable) => "openid-provider-unavailable",
            (SsoVendor::OpenId, Self::EmailNotVerified) => "openid-email-not-verified",
            (SsoVendor::OpenId, Self::NoAccount) => "openid-account-not-found",
            (SsoVendor::Saml, Self::AccessDenied) => "saml-access-denied",
            (SsoVendor::Saml, Self::InvalidSession) => "invalid-saml-session",
            (SsoVendor::Saml, Self::NotAuthenticated) => "saml-not-authenticated",
            (SsoVendor::Saml, Self::ProviderUnavailable) => "saml-provider-unavailable",
            (SsoVendor::Saml, Self::EmailNotVerified) => "saml-email-not-verified",
            (SsoVendor::Saml, Self::NoAccount) => "saml-account-not-found",
        }
    }
}

/// What a one-time token is for, from the login that earned it.
#[derive(Debug, Clone)]
pub(super) struct TokenGrant {
    pub vendor: SsoVendor,
    pub force: bool,
    pub client_challenge: Option<String>,
}

/// What a provider's answer carries (the query of the callback).
#[derive(Debug, Default)]
pub struct ProviderAnswer {
    pub state: Option<String>,
    pub code: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
}

/// Where the browser goes after the provider's answer.
#[derive(Debug)]
pub enum SsoLanding {
    /// To `redirect_to` with the token (`sToken`) or the failure (`bai_error`).
    Redirect(String),
    /// The answer names no login waiting here (unknown, used or expired):
    /// there is nowhere safe to send it.
    UnknownFlow,
}

/// A token login's request beyond the token.
#[derive(Debug, Default)]
pub struct TokenLoginOptions {
    pub otp: Option<String>,
    pub force: bool,
    /// With `force`: which session to end (public id), instead of the oldest.
    pub end_session: Option<String>,
    /// Proves the caller started the flow, when it gave a challenge then.
    pub code_verifier: Option<String>,
}

/// The outcome of a token login.
#[derive(Debug)]
pub enum TokenLogin {
    /// As a password login answers (a session, or why not yet).
    Answered(LoginResult),
    /// Unknown, expired, spent, tried too often, or not the caller's.
    InvalidToken,
}

fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `url` with `name=value` as its only such parameter (and without any
/// earlier token or error a crafted `redirect_to` might carry).
pub(super) fn with_parameter(url: &Url, name: &str, value: &str) -> String {
    let mut url = url.clone();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| !matches!(key.as_ref(), "sToken" | "stoken" | "bai_error"))
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair(name, value);
    url.to_string()
}

/// `scheme://host[:port]` of a URL, also for extension pages (whose origin
/// the URL standard leaves opaque).
fn origin_of(url: &Url) -> String {
    match url.scheme() {
        "chrome-extension" => format!("chrome-extension://{}", url.host_str().unwrap_or_default()),
        _ => url.origin().ascii_serialization(),
    }
}

impl Domain {
    /// Adds the discovered OpenID provider.
    pub fn with_openid(mut self, provider: OpenIdProvider) -> Self {
        self.sso.openid = Some(Arc::new(provider));
        self
    }

    /// The providers this server offers.
    pub fn sso_vendors(&self) -> Vec<SsoVendor> {
        let mut vendors = Vec::new();
        #[cfg(feature = "saml")]
        if self.sso.saml.is_some() {
            vendors.push(SsoVendor::Saml);
        }
        if self.sso.openid.is_some() {
            vendors.push(SsoVendor::OpenId);
        }
        vendors
    }

    pub fn sso_realm_name(&self) -> Option<&str> {
        self.sso.realm_name.as_deref()
    }

    /// `redirect_to` as a URL, if a token may be sent there.
    pub(super) fn allowed_redirect(&self, redirect_to: &str) -> Option<Url> {
        let url = Url::parse(redirect_to).ok()?;
        if !matches!(url.scheme(), "http" | "https" | "chrome-extension")
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return None;
        }
        let origin = origin_of(&url);
        self.sso
            .allowed_redirects
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(&origin))
            .then_some(url)
    }

    /// Starts an OpenID Connect login that will end at `redirect_to`.
    /// `client_challenge` (S256) binds the token to whoever holds its verifier.
    pub async fn begin_openid(
        &self,
        redirect_to: &str,
        force: bool,
        client_challenge: Option<String>,
    ) -> Result<Result<SsoStart, SsoStartError>, DomainError> {
        let Some(provider) = &self.sso.openid else {
            return Ok(Err(SsoStartError::NotConfigured));
        };
        let Some(redirect) = self.allowed_redirect(redirect_to) else {
            return Ok(Err(SsoStartError::RedirectNotAllowed));
        };
        let authorization = provider.authorization();
        let browser_secret = hex::encode(random_bytes::<32>()?);
        let now = self.now();
        self.store
            .insert_sso_flow(SsoFlow {
                state_hash: token_hash(&authorization.state),
                browser_hash: token_hash(&browser_secret),
                provider: "openid".into(),
                nonce: authorization.nonce,
                pkce_verifier: authorization.pkce_verifier,
                redirect_to: redirect.to_string(),
                force,
                client_challenge: client_challenge.filter(|c| !c.is_empty()),
                created_at: now,
                expires_at: now + FLOW_LIFETIME,
            })
            .await?;
        Ok(Ok(SsoStart {
            provider_url: authorization.url,
            browser_secret,
        }))
    }

    /// The provider's answer at `/func/openid/redirect`: a token for the
    /// account it names, or why not, sent to the flow's `redirect_to`.
    pub async fn finish_openid(
        &self,
        answer: ProviderAnswer,
        browser_secret: Option<&str>,
        client: ClientInfo,
    ) -> Result<SsoLanding, DomainError> {
        let Some(state) = answer.state.as_deref().filter(|s| !s.is_empty()) else {
            return Ok(SsoLanding::UnknownFlow);
        };
        let Some(flow) = self
            .store
            .take_sso_flow(token_hash(state), self.now())
            .await?
            .filter(|flow| flow.provider == "openid")
        else {
            return Ok(SsoLanding::UnknownFlow);
        };
        let Ok(redirect) = Url::parse(&flow.redirect_to) else {
            return Ok(SsoLanding::UnknownFlow);
        };
        let outcome = self
            .openid_account(&flow, &answer, browser_secret, &client)
            .await?;
        let landing = match outcome {
            Ok((user, identity)) => {
                let grant = TokenGrant {
                    vendor: SsoVendor::OpenId,
                    force: flow.force,
                    client_challenge: flow.client_challenge.clone(),
                };
                let token = self
                    .issue_sso_token(&user, &identity.issuer, &identity.subject, grant, client)
                    .await?;
                with_parameter(&redirect, "sToken", &token)
            }
            Err((failure, reason)) => {
                let code = failure.code(SsoVendor::OpenId);
                self.sso_refused(code, &reason, client).await?;
                with_parameter(&redirect, "bai_error", code)
            }
        };
        Ok(SsoLanding::Redirect(landing))
    }

    /// The account a provider's answer proves, or the failure and its reason.
    async fn openid_account(
        &self,
        flow: &SsoFlow,
        answer: &ProviderAnswer,
        browser_secret: Option<&str>,
        _client: &ClientInfo,
    ) -> Result<Result<(User, Identity), (SsoFailure, String)>, DomainError> {
        let refuse = |failure, reason: &str| Ok(Err((failure, reason.to_owned())));
        let same_browser = browser_secret
            .is_some_and(|secret| bool::from(token_hash(secret).ct_eq(&flow.browser_hash)));
        if !same_browser {
            return refuse(
                SsoFailure::InvalidSession,
                "the answer came to a browser that did not start this login",
            );
        }
        if let Some(error) = &answer.error {
            let failure = if error == "access_denied" {
                SsoFailure::AccessDenied
            } else {
                SsoFailure::NotAuthenticated
            };
            return Ok(Err((failure, format!("the provider answered {error}"))));
        }
        let Some(provider) = &self.sso.openid else {
            return refuse(SsoFailure::ProviderUnavailable, "OpenID is not configured");
        };
        // RFC 9207: an answer from another issuer is a mix-up attack.
        if answer
            .iss
            .as_deref()
            .is_some_and(|iss| iss.trim_end_matches('/') != provider.issuer().trim_end_matches('/'))
        {
            return refuse(
                SsoFailure::NotAuthenticated,
                "the answer names another issuer",
            );
        }
        let Some(code) = answer.code.as_deref().filter(|c| !c.is_empty()) else {
            return refuse(SsoFailure::NotAuthenticated, "the answer carries no code");
        };
        let identity = match provider
            .identity(code, &flow.pkce_verifier, &flow.nonce)
            .await
        {
            Ok(identity) => identity,
            Err(OpenIdError::Unavailable(reason)) => {
                tracing::warn!(%reason, "OpenID provider unavailable");
                return Ok(Err((SsoFailure::ProviderUnavailable, reason)));
            }
            Err(OpenIdError::Refused(reason)) => {
                return Ok(Err((SsoFailure::NotAuthenticated, reason)));
            }
        };
        Ok(self
            .account_for(&identity, self.sso.openid_create_accounts)
            .await?
            .map(|user| (user, identity.clone()))
            .map_err(|failure| {
                let reason = format!(
                    "{} {} ({:?})",
                    identity.issuer,
                    identity.subject,
                    identity.email.as_deref().unwrap_or("no email")
                );
                (failure, reason)
            }))
    }

    /// Audits and logs a sign-on that gave no token.
    pub(super) async fn sso_refused(
        &self,
        code: &str,
        reason: &str,
        client: ClientInfo,
    ) -> Result<(), DomainError> {
        self.store
            .record(
                AuditEvent::new(AuditKind::SsoRefused, self.now(), None, client)
                    .with_detail(format!("{reason} ({code})")),
            )
            .await?;
        tracing::info!(reason, code, "single sign-on refused");
        Ok(())
    }

    /// The account a verified identity is (see the module's rules); a new
    /// one only when `create_accounts`.
    pub(super) async fn account_for(
        &self,
        identity: &Identity,
        create_accounts: bool,
    ) -> Result<Result<User, SsoFailure>, DomainError> {
        if let Some(user) = self
            .store
            .sso_identity_user(identity.issuer.clone(), identity.subject.clone())
            .await?
        {
            return Ok(Ok(user));
        }
        let Some(email) = identity.email.as_deref() else {
            return Ok(Err(SsoFailure::NoAccount));
        };
        if !identity.email_verified {
            return Ok(Err(SsoFailure::EmailNotVerified));
        }
        let user = match self.find_account(email).await? {
            Some(user) => user,
            None if !create_accounts => return Ok(Err(SsoFailure::NoAccount)),
            None => match self.open_sso_account(email).await? {
                Some(user) => user,
                None => return Ok(Err(SsoFailure::NoAccount)),
            },
        };
        self.store
            .link_sso_identity(
                identity.issuer.clone(),
                identity.subject.clone(),
                user.id,
                self.now(),
            )
            .await?;
        Ok(Ok(user))
    }

    /// A new account for a verified email address, with a password nobody
    /// knows (the person can set one with "Forgot password?").
    async fn open_sso_account(&self, email: &str) -> Result<Option<User>, DomainError> {
        let account = super::accounts::NewAccount {
            email: email.to_owned(),
            username: None,
            role: Role::User,
            password: hex::encode(random_bytes::<32>()?),
        };
        let provisioning = super::accounts::Provisioning {
            password_unknown: true,
            ..Default::default()
        };
        match self
            .provision_account(account, provisioning, ClientInfo::default())
            .await
        {
            Ok(created) => Ok(Some(created.user)),
            Err(super::accounts::AccountError::Domain(e)) => Err(e),
            Err(refused) => {
                tracing::info!(error = %refused, "no account opened for a single sign-on");
                Ok(None)
            }
        }
    }

    /// A one-time token for `user`, who signed on as (`issuer`, `subject`).
    pub(super) async fn issue_sso_token(
        &self,
        user: &User,
        issuer: &str,
        subject: &str,
        grant: TokenGrant,
        client: ClientInfo,
    ) -> Result<String, DomainError> {
        let (token, hash) = new_url_token()?;
        let now = self.now();
        let provider = grant.vendor.name();
        let event = AuditEvent::new(AuditKind::SsoVerified, now, Some(user.id), client)
            .with_detail(format!("{provider}: {issuer} {subject}"));
        self.store
            .issue_sso_token(
                SsoToken {
                    token_hash: hash,
                    user_id: user.id,
                    provider: provider.to_owned(),
                    subject: subject.to_owned(),
                    force: grant.force,
                    client_challenge: grant.client_challenge,
                    attempts: 0,
                    expires_at: now + TOKEN_LIFETIME,
                },
                now,
                event,
            )
            .await?;
        tracing::info!(user = %user.uuid, provider, "single sign-on verified; token issued");
        Ok(token)
    }

    /// `/server/token-login`: a session from a one-time token, answered as a
    /// password login is.
    pub async fn token_login(
        &self,
        token: &str,
        options: TokenLoginOptions,
        client: ClientInfo,
        lang: Lang,
    ) -> Result<TokenLogin, DomainError> {
        if !is_url_token_shaped(token) {
            return Ok(TokenLogin::InvalidToken);
        }
        let hash = token_hash(token);
        let Some(stored) = self
            .store
            .try_sso_token(hash, self.now(), TOKEN_ATTEMPTS)
            .await?
        else {
            self.record_failure(None, None, &client, "sso token unknown, used or expired")
                .await?;
            return Ok(TokenLogin::InvalidToken);
        };
        if let Some(challenge) = &stored.client_challenge {
            let proven = options.code_verifier.as_deref().is_some_and(|verifier| {
                bool::from(s256(verifier).as_bytes().ct_eq(challenge.as_bytes()))
            });
            if !proven {
                self.record_failure(
                    Some(stored.user_id),
                    None,
                    &client,
                    "sso token without its verifier",
                )
                .await?;
                return Ok(TokenLogin::InvalidToken);
            }
        }
        let Some(user) = self.store.find_user_by_id(stored.user_id).await? else {
            return Ok(TokenLogin::InvalidToken);
        };
        let refusal = match user.status {
            UserStatus::Active => self.standing_lock(&user).await?,
            UserStatus::Inactive => Some(LoginRefusal::Inactive),
            UserStatus::BeforeVerification => Some(LoginRefusal::NeedsVerification),
        };
        if let Some(refusal) = refusal {
            self.record_failure(
                Some(user.id),
                None,
                &client,
                "sso login refused: account locked or inactive",
            )
            .await?;
            return Ok(TokenLogin::Answered(LoginResult::Refused(refusal)));
        }
        match self
            .second_factor(&user, options.otp.as_deref(), &client, lang)
            .await?
        {
            SecondFactor::Passed => {}
            SecondFactor::Refused(refusal) => {
                if matches!(
                    refusal,
                    LoginRefusal::OtpRequired | LoginRefusal::OtpInvalid
                ) {
                    self.next_step_time(hash, TOKEN_LIFETIME).await?;
                }
                return Ok(TokenLogin::Answered(LoginResult::Refused(refusal)));
            }
            SecondFactor::MustRegister => {
                let registration = self.issue_registration(&user).await?;
                // Setting up an authenticator takes longer than typing a code.
                self.next_step_time(hash, REGISTRATION_LIFETIME).await?;
                return Ok(TokenLogin::Answered(LoginResult::TotpRegistrationRequired(
                    registration,
                )));
            }
        }
        // Spent before the session is made, so two racing logins make one.
        if !self.store.spend_sso_token(hash, self.now()).await? {
            return Ok(TokenLogin::InvalidToken);
        }
        let force = stored.force || options.force;
        let login = LoginOptions {
            force,
            end_session: options.end_session.filter(|id| force && !id.is_empty()),
            otp: None,
        };
        let how = format!("single sign-on ({})", stored.provider);
        let result = self.start_session(user, login, client, Some(how)).await?;
        if !matches!(result, LoginResult::LoggedIn(_)) {
            // No session: the same token may try again (with `force`).
            self.store.unspend_sso_token(hash).await?;
            self.next_step_time(hash, TOKEN_LIFETIME).await?;
        }
        Ok(TokenLogin::Answered(result))
    }

    /// After an answer that asks the person for a next step (a code, a 2FA
    /// setup, which session to end), the token works `seconds` from now, so
    /// the step is not lost to the minute that started at the provider.
    /// The attempt cap still bounds how often.
    async fn next_step_time(&self, hash: [u8; 32], seconds: i64) -> Result<(), DomainError> {
        let now = self.now();
        self.store
            .extend_sso_token(hash, now, now + seconds)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The extension knows every code the companion sends (it reads them
    /// from the same list), and no two failures share one.
    #[test]
    fn every_failure_code_is_a_known_one() {
        let failures = [
            SsoFailure::AccessDenied,
            SsoFailure::InvalidSession,
            SsoFailure::NotAuthenticated,
            SsoFailure::ProviderUnavailable,
            SsoFailure::EmailNotVerified,
            SsoFailure::NoAccount,
        ];
        let mut codes: Vec<_> = [SsoVendor::OpenId, SsoVendor::Saml]
            .into_iter()
            .flat_map(|vendor| failures.map(|failure| failure.code(vendor)))
            .collect();
        for code in &codes {
            assert!(
                baigate_shared::webserver::SSO_ERRORS.contains(code),
                "{code}"
            );
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), baigate_shared::webserver::SSO_ERRORS.len());
    }
}
