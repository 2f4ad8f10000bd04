//! Single sign-on over HTTP, compatible with Backend.AI's OpenID plugin so
//! that the WebUI's "Login with <realm>" works:
//!
//! - `POST /func/openid/login` (the WebUI's form: `redirect_to`, `force`) and
//!   `GET /func/openid/login?redirect_to=…` (a browser extension's
//!   `launchWebAuthFlow` can only start with a GET) → 302 to the provider,
//!   with a cookie that binds the login to this browser;
//! - `GET /func/openid/redirect` (the provider's answer) → 303 to
//!   `redirect_to?sToken=…`, or `redirect_to?bai_error=<code>`;
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
    FLOW_LIFETIME, ProviderAnswer, SsoLanding, SsoStartError, TokenLogin, TokenLoginOptions,
};
use crate::i18n::Lang;
use crate::model::ClientInfo;

/// The cookie binding a login at the provider to the browser that started it.
const BROWSER_COOKIE: &str = "baigate_sso";
/// Where it is sent: only back to the provider's answer.
const COOKIE_PATH: &str = "/func/openid";

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

fn browser_cookie(value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{BROWSER_COOKIE}={value}; Path={COOKIE_PATH}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    )
}

async fn start(start: LoginStart, state: &AppState) -> Result<Response, ApiError> {
    let redirect_to = start
        .redirect_to
        .as_deref()
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| ApiError::missing("redirect_to"))?;
    let force = start.force();
    let started = state
        .domain
        .begin_openid(redirect_to, force, start.code_challenge)
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
            browser_cookie(&started.browser_secret, FLOW_LIFETIME, state.secure_cookies),
        )
        .header(CACHE_CONTROL, "no-store")
        .finish())
}

/// `POST /func/openid/login`, as the WebUI's form posts it.
#[handler]
pub async fn openid_login_form(
    _: Throttled,
    FormBody(fields): FormBody<LoginStart>,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    start(fields, state).await
}

/// `GET /func/openid/login?redirect_to=…`, for a browser extension.
#[handler]
pub async fn openid_login_link(
    _: Throttled,
    Query(fields): Query<LoginStart>,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    start(fields, state).await
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
    let clear = browser_cookie("", 0, state.secure_cookies);
    Ok(match landing {
        SsoLanding::Redirect(to) => Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(LOCATION, to)
            .header(SET_COOKIE, clear)
            .header(CACHE_CONTROL, "no-store")
            .finish(),
        SsoLanding::UnknownFlow => {
            let mut page = pages::sso_flow_unknown(lang);
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
