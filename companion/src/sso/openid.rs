//! The OpenID Connect relying party: discovery at start, the authorization
//! request (state, nonce, PKCE S256), the code exchange and the ID token's
//! checks (signature by the provider's published keys with an allow-list of
//! asymmetric algorithms, issuer, audience, expiry, nonce). The keys are read
//! again once a day, and at once when a token names a key not yet known.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};

use super::Identity;
use super::http_client::{HttpError, ProviderHttp, error_chain};
use crate::config::OpenIdConfig;

/// How long the provider's published keys are trusted before being read again.
const KEYS_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// The signature algorithms an ID token may use: asymmetric only (a shared
/// secret would let anyone holding it mint tokens), never `none`.
const ALLOWED_ALGORITHMS: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

#[derive(Debug, thiserror::Error)]
pub enum OpenIdError {
    /// The provider could not be reached, or answered nonsense.
    #[error("the OpenID provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider refused, or what it sent does not check out.
    #[error("the OpenID provider's answer was refused: {0}")]
    Refused(String),
}

/// What the browser is sent to the provider with, and what must be kept to
/// finish the login.
#[derive(Debug)]
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// The provider as discovered, with the keys it publishes.
#[derive(Debug)]
pub struct OpenIdProvider {
    metadata: RwLock<(CoreProviderMetadata, Instant)>,
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: ClientSecret,
    redirect_url: RedirectUrl,
    scopes: Vec<String>,
    http: ProviderHttp,
}

impl OpenIdProvider {
    /// Reads the provider's discovery document and keys. `redirect_url` is
    /// this server's callback, `<public URL>/func/openid/redirect`.
    pub async fn discover(config: &OpenIdConfig, redirect_url: &str) -> Result<Self, OpenIdError> {
        let http = ProviderHttp::new().map_err(|e| OpenIdError::Unavailable(e.to_string()))?;
        let issuer = IssuerUrl::new(config.issuer.as_str().trim_end_matches('/').to_owned())
            .map_err(|e| OpenIdError::Unavailable(format!("the issuer URL: {e}")))?;
        let metadata = discover(&issuer, &http).await?;
        Ok(Self {
            metadata: RwLock::new((metadata, Instant::now())),
            issuer,
            client_id: ClientId::new(config.client_id.clone()),
            client_secret: ClientSecret::new(config.client_secret.0.clone()),
            redirect_url: RedirectUrl::new(redirect_url.to_owned())
                .map_err(|e| OpenIdError::Unavailable(format!("the callback URL: {e}")))?,
            scopes: config
                .scopes
                .iter()
                .filter(|scope| *scope != "openid")
                .cloned()
                .collect(),
            http,
        })
    }

    /// The issuer, as the provider names itself (compared with the `iss` of
    /// an authorization response).
    pub fn issuer(&self) -> &str {
        self.issuer.as_str()
    }

    fn metadata(&self) -> CoreProviderMetadata {
        match self.metadata.read() {
            Ok(guard) => guard.0.clone(),
            Err(poisoned) => poisoned.into_inner().0.clone(),
        }
    }

    fn client(&self) -> Client {
        CoreClient::from_provider_metadata(
            self.metadata(),
            self.client_id.clone(),
            Some(self.client_secret.clone()),
        )
        .set_redirect_uri(self.redirect_url.clone())
    }

    /// A new authorization request: where to send the browser, and the
    /// secrets that finish it.
    pub fn authorization(&self) -> Authorization {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.client();
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in &self.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        }
    }

    /// Exchanges an authorization code for the ID token and checks it.
    pub async fn identity(
        &self,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<Identity, OpenIdError> {
        self.refresh_keys_if_old().await;
        let client = self.client();
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| {
                OpenIdError::Unavailable(format!("the provider has no token endpoint: {e}"))
            })?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(refusal) => {
                    OpenIdError::Refused(format!("the token endpoint said {refusal}"))
                }
                other => OpenIdError::Unavailable(format!("the token endpoint: {other}")),
            })?;
        let id_token = response
            .id_token()
            .ok_or_else(|| OpenIdError::Refused("the token answer holds no ID token".into()))?;
        let nonce = Nonce::new(nonce.to_owned());
        let verified = {
            let verifier = client
                .id_token_verifier()
                .set_allowed_algs(ALLOWED_ALGORITHMS.to_vec());
            id_token.claims(&verifier, &nonce).map(identity_of)
        };
        match verified {
            Ok(identity) => Ok(identity),
            // A key the provider started using since the last discovery.
            Err(ClaimsVerificationError::SignatureVerification(_)) => {
                self.refresh_keys().await?;
                let client = self.client();
                let verifier = client
                    .id_token_verifier()
                    .set_allowed_algs(ALLOWED_ALGORITHMS.to_vec());
                id_token
                    .claims(&verifier, &nonce)
                    .map(identity_of)
                    .map_err(|e| OpenIdError::Refused(format!("the ID token: {e}")))
            }
            Err(e) => Err(OpenIdError::Refused(format!("the ID token: {e}"))),
        }
    }

    async fn refresh_keys_if_old(&self) {
        let old = match self.metadata.read() {
            Ok(guard) => guard.1.elapsed() > KEYS_LIFETIME,
            Err(_) => true,
        };
        if old && let Err(e) = self.refresh_keys().await {
            tracing::warn!(error = %e, "keeping the OpenID provider's keys read before");
        }
    }

    async fn refresh_keys(&self) -> Result<(), OpenIdError> {
        let fresh = discover(&self.issuer, &self.http).await?;
        if let Ok(mut guard) = self.metadata.write() {
            *guard = (fresh, Instant::now());
        }
        tracing::info!(issuer = %self.issuer.as_str(), "OpenID provider's keys read again");
        Ok(())
    }
}

async fn discover(
    issuer: &IssuerUrl,
    http: &ProviderHttp,
) -> Result<CoreProviderMetadata, OpenIdError> {
    CoreProviderMetadata::discover_async(issuer.clone(), http)
        .await
        .map_err(|e| {
            let reason = match &e {
                openidconnect::DiscoveryError::Request(HttpError::Connect(message)) => {
                    message.clone()
                }
                other => error_chain(other),
            };
            OpenIdError::Unavailable(format!(
                "cannot read {}/.well-known/openid-configuration: {reason}",
                issuer.as_str()
            ))
        })
}

fn identity_of(claims: &openidconnect::core::CoreIdTokenClaims) -> Identity {
    Identity {
        issuer: claims.issuer().as_str().to_owned(),
        subject: claims.subject().as_str().to_owned(),
        email: claims.email().map(|email| email.as_str().to_owned()),
        email_verified: claims.email_verified().unwrap_or(false),
        name: claims
            .name()
            .and_then(|name| name.get(None))
            .map(|name| name.as_str().to_owned()),
    }
}
