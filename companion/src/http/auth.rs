//! How a request says who it is, as extractors: a handler that takes
//! [`Session`] runs only with a live session, one that takes [`Caller`] with
//! a session or a request signed with the account's keypair, and one that
//! takes [`PresentedSession`] learns whether a session came. Each refuses
//! with the answer table's 401 before the handler runs, and before any body
//! is read (a signature is checked over a body read within the auth limit).
//!
//! The `/companion` operations take [`SessionAuth`] and [`CallerAuth`]
//! instead: the same checks, declared as security schemes in the OpenAPI
//! document.

use baigate_shared::webserver::{SESSION_COOKIE, SESSION_HEADER};
use poem::http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use poem::{Body, FromRequest, Request, RequestBody};
use poem_openapi::registry::{MetaSecurityScheme, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

use super::body::read_limited;
use super::client::WireTarget;
use super::problem::ApiError;
use super::{AppState, app_state, session_token};
use crate::domain::sessions::LiveSession;
use crate::domain::signing::{SignedRequest, parse_authorization};
use crate::model::User;

/// The live session a request carries, or it is refused (401).
#[derive(Debug)]
pub struct Session(pub LiveSession);

/// The session token a request presents, and its live session if it is one.
#[derive(Debug)]
pub struct PresentedSession {
    pub token: Option<String>,
    pub live: Option<LiveSession>,
}

/// Who is calling: a session, or a request signed with a keypair (which
/// authenticates that request only).
#[derive(Debug)]
pub enum Caller {
    Session(LiveSession),
    Signed(User),
}

impl Caller {
    pub fn user(&self) -> &User {
        match self {
            Self::Session(live) => &live.user,
            Self::Signed(user) => user,
        }
    }

    /// The caller's session, if it came with one.
    pub fn session_id(&self) -> Option<i64> {
        match self {
            Self::Session(live) => Some(live.session.id),
            Self::Signed(_) => None,
        }
    }
}

async fn presented(req: &Request, state: &AppState) -> Result<PresentedSession, ApiError> {
    let token = session_token::presented(req);
    let live = match &token {
        Some(token) => state.domain.live_session(token).await?,
        None => None,
    };
    Ok(PresentedSession { token, live })
}

async fn session(req: &Request, state: &AppState) -> Result<LiveSession, ApiError> {
    presented(req, state)
        .await?
        .live
        .ok_or_else(ApiError::unauthorized)
}

fn header<'a>(req: &'a Request, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|name| req.headers().get(*name).and_then(|v| v.to_str().ok()))
}

/// Whether the request carries a Backend.AI signature (a malformed one is
/// refused rather than ignored).
fn is_signed(req: &Request) -> Result<bool, ApiError> {
    match header(req, &[AUTHORIZATION.as_str()]) {
        Some(value) => Ok(parse_authorization(value)?.is_some()),
        None => Ok(false),
    }
}

/// The account whose keypair signed this request (method, path, headers and
/// `body`), by the Backend.AI recipe.
async fn signer(req: &Request, body: &[u8], state: &AppState) -> Result<User, ApiError> {
    let content_type = header(req, &[CONTENT_TYPE.as_str()])
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let version = ["x-backendai-version", "x-sorna-version"]
        .iter()
        .find_map(|name| {
            req.headers()
                .get(*name)
                .and_then(|v| v.to_str().ok())
                .map(|v| (*name, v))
        });
    let target = req
        .extensions()
        .get::<WireTarget>()
        .map_or("/", |target| target.0.as_str());
    let request = SignedRequest {
        method: req.method().as_str(),
        path_and_query: target,
        host: header(req, &[HOST.as_str()]).unwrap_or_default(),
        content_type,
        authorization: header(req, &[AUTHORIZATION.as_str()]).unwrap_or_default(),
        date: header(req, &["date", "x-backendai-date", "x-sorna-date"]),
        version,
        body,
    };
    tracing::debug!(
        method = request.method,
        path = request.path_and_query,
        host = request.host,
        content_type = %request.content_type,
        date = ?request.date,
        version = ?request.version,
        "verifying a signed request"
    );
    Ok(state.domain.verify_signed_request(&request).await?)
}

/// A signed request's account, or else the session. A signature covers the
/// body, so it is read here (within the auth limit) and put back for the
/// handler.
async fn caller(req: &Request, body: &mut RequestBody, state: &AppState) -> poem::Result<Caller> {
    if !is_signed(req)? {
        return Ok(Caller::Session(session(req, state).await?));
    }
    let bytes = read_limited(req, body.take()?).await?;
    let user = signer(req, &bytes, state).await?;
    *body = RequestBody::new(Body::from(bytes));
    Ok(Caller::Signed(user))
}

impl<'a> FromRequest<'a> for Session {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Self(session(req, app_state(req)?).await?))
    }
}

impl<'a> FromRequest<'a> for PresentedSession {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(presented(req, app_state(req)?).await?)
    }
}

impl<'a> FromRequest<'a> for Caller {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        caller(req, body, app_state(req)?).await
    }
}

// ------------------------------------------------- the OpenAPI declarations

const SESSION_SCHEME: &str = "session";
const SESSION_COOKIE_SCHEME: &str = "sessionCookie";
const SIGNATURE_SCHEME: &str = "signature";

fn register_session_schemes(registry: &mut Registry) {
    registry.create_security_scheme(
        SESSION_SCHEME,
        MetaSecurityScheme {
            ty: "apiKey",
            description: Some(
                "The session id from the `X-BackendAI-SessionID` header of the login answer.",
            ),
            name: Some(SESSION_HEADER),
            key_in: Some("header"),
            scheme: None,
            bearer_format: None,
            flows: None,
            openid_connect_url: None,
        },
    );
    registry.create_security_scheme(
        SESSION_COOKIE_SCHEME,
        MetaSecurityScheme {
            ty: "apiKey",
            description: Some("The same session id in the cookie the login set."),
            name: Some(SESSION_COOKIE),
            key_in: Some("cookie"),
            scheme: None,
            bearer_format: None,
            flows: None,
            openid_connect_url: None,
        },
    );
}

/// [`Session`], declared in the OpenAPI document.
#[derive(Debug)]
pub struct SessionAuth(pub LiveSession);

impl<'a> ApiExtractor<'a> for SessionAuth {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        register_session_schemes(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        vec![SESSION_SCHEME, SESSION_COOKIE_SCHEME]
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut RequestBody,
        _options: ExtractParamOptions<()>,
    ) -> poem::Result<Self> {
        Ok(Self(session(req, app_state(req)?).await?))
    }
}

/// [`Caller`], declared in the OpenAPI document.
#[derive(Debug)]
pub struct CallerAuth(pub Caller);

impl<'a> ApiExtractor<'a> for CallerAuth {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        register_session_schemes(registry);
        registry.create_security_scheme(
            SIGNATURE_SCHEME,
            MetaSecurityScheme {
                ty: "apiKey",
                description: Some(
                    "A request signed with the account's keypair by the Backend.AI recipe: \
                     `Authorization: BackendAI signMethod=HMAC-SHA256, credential=<access \
                     key>:<signature>` with `X-BackendAI-Date` (or `Date`) and \
                     `X-BackendAI-Version`.",
                ),
                name: Some("Authorization"),
                key_in: Some("header"),
                scheme: None,
                bearer_format: None,
                flows: None,
                openid_connect_url: None,
            },
        );
    }

    fn security_schemes() -> Vec<&'static str> {
        vec![SESSION_SCHEME, SESSION_COOKIE_SCHEME, SIGNATURE_SCHEME]
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        _options: ExtractParamOptions<()>,
    ) -> poem::Result<Self> {
        Ok(Self(caller(req, body, app_state(req)?).await?))
    }
}
