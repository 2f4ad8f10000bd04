//! Single sign-on over HTTP, compatible with Backend.AI's OpenID plugin so
//! that the WebUI's "Login with <realm>" works:
//!
//! - `POST /func/openid/login` (the WebUI's form: `redirect_to`, `force`) and
//!   `GET /func/openid/login?redirect_to=…` (a browser extension's
//!   `launchWebAuthFlow` can only start with a GET) → 302 to the provider,
//!   with a cookie that binds the login to this browser;
//! - `GET /func/openid/redirect` (the provider's answer) → 303 to
//!   `redirect_to?sToken=…`, or `redirect_to?bai_error=<code>`;
//! - the same for SAML: `POST|GET /func/saml/login` → 302 to the identity
//!   provider with an AuthnRequest; `POST /func/saml/acs` (its answer, a
//!   cross-site form post) → 303 to `GET /func/saml/complete`, where the
//!   browser's cookie is checked → 303 to `redirect_to?sToken=…`;
//!   `GET /func/saml/metadata`, this service provider's metadata;
//! - `POST /server/token-login` → a session, answered as `/server/login`.

use std::sync::Arc;

use baigate_shared::webserver::{SSO_TOKEN_COOKIE, TokenLoginRequest};
use poem::http::StatusCode;
use poem::http::header::{CACHE_CONTROL, LOCATION, SET_COOKIE};
use poem::web::{Data, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

use super::auth::PresentedSession;
use super::body::{FormBody, JsonBody};
use super::problem::{ApiError, invalid_sso_token};
use super::throttle::Throttled;
use super::webserver::{login_answer, not_authenticated};
use super::{AppState, pages, session_token};
use crate::domain::sso::{
    FLOW_LIFETIME, ProviderAnswer, SsoLanding, SsoStart, SsoStartError, SsoVendor, TokenLogin,
    TokenLoginOptions,
};
use crate::i18n::Lang;
use crate::model::ClientInfo;

/// The cookie binding a login at the provider to the browser that started it.
const BROWSER_COOKIE: &str = "baigate_sso";

/// Where the cookie is sent: only back to the provider's answer.
fn cookie_path(vendor: SsoVendor) -> &'static str {
    match vendor {
        SsoVendor::OpenId => "/func/openid",
        SsoVendor::Saml => "/func/saml",
    }
}

/// The fields that start a login, from the WebUI's form or an extension's URL.
#[derive(Debug, Default, Deserialize)]
pub struct LoginStart {
    redirect_to: Option<String>,
    /// `"true"` to end another session if the account is at its limit.
    force: Option<String>,
    /// An S256 challenge; the token login must then bring its verifier.
    code_challenge: Option<String>,
}

impl LoginStart {
    fn force(&self) -> bool {
        self.force
            .as_deref()
            .is_some_and(|force| force.eq_ignore_ascii_case("true") || force == "1")
    }
}

fn browser_cookie(vendor: SsoVendor, value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    let path = cookie_path(vendor);
    format!(
        "{BROWSER_COOKIE}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    )
}

async fn start(
    start: LoginStart,
    vendor: SsoVendor,
    state: &AppState,
) -> Result<Response, ApiError> {
    let redirect_to = start
        .redirect_to
        .as_deref()
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| ApiError::missing("redirect_to"))?;
    let force = start.force();
    let started = begin(vendor, state, redirect_to, force, start.code_challenge)
        .await?
        .map_err(|refused| match refused {
            SsoStartError::RedirectNotAllowed => ApiError::field(
                "redirect_to",
                "redirect_to is not an address this server sends sign-in tokens to. Add its \
                 origin to sso.allowed_redirects.",
            ),
            SsoStartError::NotConfigured => ApiError::sso_not_configured(),
        })?;
    Ok(Response::builder()
        .status(StatusCode::FOUND)
        .header(LOCATION, started.provider_url)
        .header(
            SET_COOKIE,
            browser_cookie(
                vendor,
                &started.browser_secret,
                FLOW_LIFETIME,
                state.secure_cookies,
            ),
        )
        .header(CACHE_CONTROL, "no-store")
        .finish())
}

async fn begin(
    vendor: SsoVendor,
    state: &AppState,
    redirect_to: &str,
    force: bool,
    code_challenge: Option<String>,
) -> Result<Result<SsoStart, SsoStartError>, ApiError> {
    Ok(match vendor {
        SsoVendor::OpenId => {
            state
                .domain
                .begin_openid(redirect_to, force, code_challenge)
                .await?
        }
        #[cfg(feature = "saml")]
        SsoVendor::Saml => {
            state
                .domain
                .begin_saml(redirect_to, force, code_challenge)
                .await?
        }
        #[cfg(not(feature = "saml"))]
        SsoVendor::Saml => Err(SsoStartError::NotConfigured),
    })
}

/// Where the provider's answer sends the browser, with the cookie cleared.
fn landing_answer(
    landing: SsoLanding,
    vendor: SsoVendor,
    path: &str,
    lang: Lang,
    secure: bool,
) -> Result<Response, ApiError> {
    let clear = browser_cookie(vendor, "", 0, secure);
    Ok(match landing {
        SsoLanding::Redirect(to) => Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(LOCATION, to)
            .header(SET_COOKIE, clear)
            .header(CACHE_CONTROL, "no-store")
            .finish(),
        SsoLanding::UnknownFlow => {
            let mut page = pages::sso_flow_unknown(lang, path);
            page.headers_mut().insert(
                SET_COOKIE,
                clear
                    .parse()
                    .map_err(|_| ApiError::Internal("cookie".into()))?,
            );
            page
        }
    })
}

/// `POST /func/openid/login`, as the WebUI's form posts it.
#[handler]
pub async fn openid_login_form(
    _: Throttled,
    FormBody(fields): FormBody<LoginStart>,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    start(fields, SsoVendor::OpenId, state).await
}

/// `GET /func/openid/login?redirect_to=…`, for a browser extension.
#[handler]
pub async fn openid_login_link(
    _: Throttled,
    Query(fields): Query<LoginStart>,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    start(fields, SsoVendor::OpenId, state).await
}

#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

/// `GET /func/openid/redirect`: the provider's answer.
#[handler]
pub async fn openid_redirect(
    _: Throttled,
    req: &Request,
    client: ClientInfo,
    lang: Lang,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let query: CallbackQuery =
        serde_urlencoded::from_str(req.uri().query().unwrap_or_default()).unwrap_or_default();
    let answer = ProviderAnswer {
        state: query.state,
        code: query.code,
        iss: query.iss,
        error: query.error,
    };
    let browser = session_token::cookie(req, BROWSER_COOKIE);
    let landing = state
        .domain
        .finish_openid(answer, browser.as_deref(), client)
        .await?;
    landing_answer(
        landing,
        SsoVendor::OpenId,
        req.uri().path(),
        lang,
        state.secure_cookies,
    )
}

/// `POST /func/saml/login`, as the WebUI's form posts it.
#[handler]
pub async fn saml_login_form(
    _: Throttled,
    FormBody(fields): FormBody<LoginStart>,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    start(fields, SsoVendor::Saml, state).await
}

/// `GET /func/saml/login?redirect_to=…`, for a browser extension.
#[handler]
pub async fn saml_login_link(
    _: Throttled,
    Query(fields): Query<LoginStart>,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    start(fields, SsoVendor::Saml, state).await
}

/// The identity provider's answer (HTTP-POST binding).
#[cfg(feature = "saml")]
#[derive(Debug, Default, Deserialize)]
pub struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

/// The RelayState of the step after the ACS.
#[cfg(feature = "saml")]
#[derive(Debug, Default, Deserialize)]
pub struct CompleteQuery {
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

/// `POST /func/saml/acs`: the identity provider's answer, checked and
/// recorded; the browser goes on to `/func/saml/complete` (same-site, so
/// its cookie comes along).
#[cfg(feature = "saml")]
#[handler]
pub async fn saml_acs(
    _: Throttled,
    FormBody(form): FormBody<AcsForm>,
    client: ClientInfo,
    lang: Lang,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    use crate::domain::saml::SamlAcs;

    let response = form
        .saml_response
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| ApiError::missing("SAMLResponse"))?;
    let relay_state = form
        .relay_state
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| ApiError::missing("RelayState"))?;
    match state
        .domain
        .answer_saml(&relay_state, &response, client)
        .await?
    {
        SamlAcs::Complete { relay_state } => {
            let query = serde_urlencoded::to_string([("RelayState", relay_state)])
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(Response::builder()
                .status(StatusCode::SEE_OTHER)
                .header(LOCATION, format!("/func/saml/complete?{query}"))
                .header(CACHE_CONTROL, "no-store")
                .finish())
        }
        SamlAcs::UnknownFlow => Ok(pages::sso_flow_unknown(lang, "/func/saml/acs")),
    }
}

/// `GET /func/saml/complete`: the login's outcome, for the browser that
/// started it.
#[cfg(feature = "saml")]
#[handler]
pub async fn saml_complete(
    _: Throttled,
    req: &Request,
    Query(query): Query<CompleteQuery>,
    client: ClientInfo,
    lang: Lang,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let landing = match query.relay_state.filter(|r| !r.is_empty()) {
        Some(relay_state) => {
            let browser = session_token::cookie(req, BROWSER_COOKIE);
            state
                .domain
                .complete_saml(&relay_state, browser.as_deref(), client)
                .await?
        }
        None => SsoLanding::UnknownFlow,
    };
    landing_answer(
        landing,
        SsoVendor::Saml,
        req.uri().path(),
        lang,
        state.secure_cookies,
    )
}

/// `GET /func/saml/metadata`: this service provider's metadata, for the
/// identity provider's administrator.
#[cfg(feature = "saml")]
#[handler]
pub async fn saml_metadata(Data(state): Data<&Arc<AppState>>) -> Result<Response, ApiError> {
    let metadata = state
        .domain
        .saml_metadata()
        .ok_or_else(ApiError::sso_not_configured)?;
    Ok(Response::builder()
        .content_type("application/samlmetadata+xml")
        .body(metadata.to_owned()))
}

/// `POST /server/token-login`: the token from a single sign-on, in the body
/// (`sToken`) or the `sToken` cookie; answered exactly as `/server/login`.
/// Not a password attempt: it does not count toward the lockout.
#[handler]
pub async fn token_login(
    _: Throttled,
    presented: PresentedSession,
    req: &Request,
    JsonBody(request): JsonBody<TokenLoginRequest>,
    client: ClientInfo,
    lang: Lang,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    if presented.live.is_some() {
        return Err(ApiError::already_logged_in());
    }
    let token = request
        .s_token
        .filter(|t| !t.trim().is_empty())
        .or_else(|| session_token::cookie(req, SSO_TOKEN_COOKIE))
        .ok_or_else(|| {
            ApiError::field(
                "sToken",
                "You must provide cookie-based authentication token",
            )
        })?;
    let options = TokenLoginOptions {
        otp: request.otp,
        force: request.force.unwrap_or(false),
        code_verifier: request.code_verifier,
        end_session: request.end_session,
    };
    match state
        .domain
        .token_login(&token, options, client, lang)
        .await?
    {
        TokenLogin::Answered(result) => login_answer(result, state.secure_cookies),
        TokenLogin::InvalidToken => Ok(not_authenticated(invalid_sso_token())),
    }
}
