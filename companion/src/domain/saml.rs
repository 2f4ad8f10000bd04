//! Single sign-on with SAML 2.0, on the rules of `sso` (allowed
//! `redirect_to`, one-time tokens, the account an identity is):
//!
//! 1. `begin_saml`: an AuthnRequest with a fresh 128-bit id, a RelayState
//!    naming the waiting login, and a secret for the browser's cookie.
//! 2. `answer_saml`, at the ACS: the identity provider's Response arrives as
//!    a cross-site POST, which carries no SameSite=Lax cookie. It is checked
//!    (`sso::saml`) against the AuthnRequest of its RelayState, its
//!    assertion id is accepted once, the account is looked up, and the
//!    outcome recorded on the login.
//! 3. `complete_saml`, on the same-site redirect that follows: only the
//!    browser holding the login's cookie takes the outcome, as a token sent
//!    to `redirect_to` (or a `bai_error`). A Response captured by someone
//!    else and posted from a victim's browser ends there (login CSRF).

use std::sync::Arc;

use subtle::ConstantTimeEq;
use url::Url;

use super::sso::{
    FLOW_LIFETIME, SsoFailure, SsoLanding, SsoStart, SsoStartError, SsoVendor, TokenGrant,
    with_parameter,
};
use super::tokens::{new_url_token, random_bytes, token_hash};
use super::{Domain, DomainError};
use crate::model::ClientInfo;
use crate::sso::saml::{SamlProvider, SamlRefusal};
use crate::store::saml::{SamlAnswer, SamlFlow};

/// Where the browser goes after the identity provider posted its answer.
#[derive(Debug)]
pub enum SamlAcs {
    /// On to the same-site step that checks the browser.
    Complete { relay_state: String },
    /// No login waits for this answer (unknown, answered, expired).
    UnknownFlow,
}

impl Domain {
    /// Adds the SAML identity provider.
    pub fn with_saml(mut self, provider: SamlProvider) -> Self {
        self.sso.saml = Some(Arc::new(provider));
        self
    }

    /// The service provider's metadata, when SAML is configured.
    pub fn saml_metadata(&self) -> Option<&str> {
        self.sso.saml.as_deref().map(SamlProvider::metadata)
    }

    /// Starts a SAML login that will end at `redirect_to`.
    pub async fn begin_saml(
        &self,
        redirect_to: &str,
        force: bool,
        client_challenge: Option<String>,
    ) -> Result<Result<SsoStart, SsoStartError>, DomainError> {
        let Some(provider) = &self.sso.saml else {
            return Ok(Err(SsoStartError::NotConfigured));
        };
        let Some(redirect) = self.allowed_redirect(redirect_to) else {
            return Ok(Err(SsoStartError::RedirectNotAllowed));
        };
        // An xs:ID must not start with a digit.
        let request_id = format!("_{}", hex::encode(random_bytes::<16>()?));
        let (relay_state, relay_hash) = new_url_token()?;
        let browser_secret = hex::encode(random_bytes::<32>()?);
        let provider_url = provider
            .login_url(&request_id, &relay_state)
            .map_err(|e| DomainError::Internal(format!("SAML request: {e}")))?;
        let now = self.now();
        self.store
            .insert_saml_flow(SamlFlow {
                relay_hash,
                browser_hash: token_hash(&browser_secret),
                request_id,
                redirect_to: redirect.to_string(),
                force,
                client_challenge: client_challenge.filter(|c| !c.is_empty()),
                created_at: now,
                expires_at: now + FLOW_LIFETIME,
            })
            .await?;
        Ok(Ok(SsoStart {
            provider_url,
            browser_secret,
        }))
    }

    /// The identity provider's Response at the ACS: checked and recorded on
    /// the login its RelayState names.
    pub async fn answer_saml(
        &self,
        relay_state: &str,
        saml_response: &str,
        client: ClientInfo,
    ) -> Result<SamlAcs, DomainError> {
        let relay_hash = token_hash(relay_state);
        let now = self.now();
        let Some(flow) = self.store.unanswered_saml_flow(relay_hash, now).await? else {
            return Ok(SamlAcs::UnknownFlow);
        };
        let answer = match self.saml_account(&flow, saml_response, &client).await? {
            Ok(answer) => answer,
            Err((failure, reason)) => {
                let code = failure.code(SsoVendor::Saml);
                self.sso_refused(code, &format!("saml: {reason}"), client)
                    .await?;
                SamlAnswer::Refused(code.to_owned())
            }
        };
        if !self.store.answer_saml_flow(relay_hash, answer, now).await? {
            return Ok(SamlAcs::UnknownFlow);
        }
        Ok(SamlAcs::Complete {
            relay_state: relay_state.to_owned(),
        })
    }

    /// Checks the Response and finds its account.
    async fn saml_account(
        &self,
        flow: &SamlFlow,
        saml_response: &str,
        _client: &ClientInfo,
    ) -> Result<Result<SamlAnswer, (SsoFailure, String)>, DomainError> {
        let Some(provider) = self.sso.saml.clone() else {
            return Ok(Err((
                SsoFailure::ProviderUnavailable,
                "SAML is not configured".into(),
            )));
        };
        let response = saml_response.to_owned();
        let request_id = flow.request_id.clone();
        let now = self.now();
        let verified =
            tokio::task::spawn_blocking(move || provider.verify(&response, &request_id, now))
                .await
                .map_err(|e| DomainError::Internal(format!("SAML check: {e}")))?;
        let assertion = match verified {
            Ok(assertion) => assertion,
            Err(SamlRefusal::Denied(status)) => {
                return Ok(Err((
                    SsoFailure::AccessDenied,
                    format!("the identity provider answered {status}"),
                )));
            }
            Err(SamlRefusal::Invalid(reason)) => {
                return Ok(Err((SsoFailure::NotAuthenticated, reason)));
            }
        };
        let first = self
            .store
            .first_saml_assertion(
                token_hash(&assertion.assertion_id),
                assertion.valid_until,
                now,
            )
            .await?;
        if !first {
            return Ok(Err((
                SsoFailure::NotAuthenticated,
                "the assertion was presented before (a replay)".into(),
            )));
        }
        let identity = assertion.identity;
        Ok(
            match self
                .account_for(&identity, self.sso.saml_create_accounts)
                .await?
            {
                Ok(user) => Ok(SamlAnswer::Account {
                    user_id: user.id,
                    issuer: identity.issuer,
                    subject: identity.subject,
                }),
                Err(failure) => Err((
                    failure,
                    format!(
                        "{} {} ({:?})",
                        identity.issuer,
                        identity.subject,
                        identity.email.as_deref().unwrap_or("no email")
                    ),
                )),
            },
        )
    }

    /// The browser back from the ACS: the login's outcome, for the browser
    /// that started it only.
    pub async fn complete_saml(
        &self,
        relay_state: &str,
        browser_secret: Option<&str>,
        client: ClientInfo,
    ) -> Result<SsoLanding, DomainError> {
        let Some((flow, answer)) = self
            .store
            .take_answered_saml_flow(token_hash(relay_state), self.now())
            .await?
        else {
            return Ok(SsoLanding::UnknownFlow);
        };
        let Ok(redirect) = Url::parse(&flow.redirect_to) else {
            return Ok(SsoLanding::UnknownFlow);
        };
        let same_browser = browser_secret
            .is_some_and(|secret| bool::from(token_hash(secret).ct_eq(&flow.browser_hash)));
        if !same_browser {
            let code = SsoFailure::InvalidSession.code(SsoVendor::Saml);
            self.sso_refused(
                code,
                "saml: the answer came to a browser that did not start this login",
                client,
            )
            .await?;
            return Ok(SsoLanding::Redirect(with_parameter(
                &redirect,
                "bai_error",
                code,
            )));
        }
        let landing = match answer {
            SamlAnswer::Account {
                user_id,
                issuer,
                subject,
            } => {
                let Some(user) = self.store.find_user_by_id(user_id).await? else {
                    return Ok(SsoLanding::UnknownFlow);
                };
                let grant = TokenGrant {
                    vendor: SsoVendor::Saml,
                    force: flow.force,
                    client_challenge: flow.client_challenge,
                };
                let token = self
                    .issue_sso_token(&user, &issuer, &subject, grant, client)
                    .await?;
                with_parameter(&redirect, "sToken", &token)
            }
            SamlAnswer::Refused(code) => with_parameter(&redirect, "bai_error", &code),
        };
        Ok(SsoLanding::Redirect(landing))
    }
}
