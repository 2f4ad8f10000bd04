//! API keypair mode: requests signed with an access and secret key (the
//! Backend.AI HMAC recipe), the echo test `/func/auth`, the role query
//! `/func/auth/role`, and the manager-style paths (`/`, `/auth`,
//! `/auth/role`) that clients in API mode call directly.
//!
//! A signed request authenticates that request only: no session is created.

use std::sync::Arc;

use baigate_shared::problem::{Problem, ProblemType};
use poem::http::StatusCode;
use poem::http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use poem::web::Data;
use poem::{Body, Request, Response, handler};
use serde::Deserialize;

use super::client::WireTarget;
use super::cloud::require_session;
use super::problem::ApiError;
use super::{AppState, body, json_response};
use crate::domain::auth::LiveSession;
use crate::domain::signing::{
    SignatureError, SignedRequest, SignedRequestError, parse_authorization,
};
use crate::model::{Role, User};

/// Who is calling.
#[derive(Debug)]
pub(crate) enum Caller {
    /// A browser or CLI session.
    Session(LiveSession),
    /// A request signed with the account's keypair.
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

fn header<'a>(req: &'a Request, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|name| req.headers().get(*name).and_then(|v| v.to_str().ok()))
}

/// A signed request if the `Authorization` header carries a Backend.AI
/// signature, else the session.
pub(crate) async fn authenticate(
    req: &Request,
    body: &[u8],
    state: &AppState,
) -> Result<Caller, ApiError> {
    let authorization = header(req, &[AUTHORIZATION.as_str()]);
    let signed = match authorization {
        Some(value) => parse_authorization(value)
            .map_err(signature_problem)?
            .is_some(),
        None => false,
    };
    if !signed {
        return Ok(Caller::Session(require_session(req, state).await?));
    }
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
        authorization: authorization.unwrap_or_default(),
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
    match state.domain.verify_signed_request(&request).await {
        Ok(user) => Ok(Caller::Signed(user)),
        Err(SignedRequestError::Signature(error)) => Err(signature_problem(error)),
        Err(SignedRequestError::Domain(error)) => Err(error.into()),
    }
}

fn signature_problem(error: SignatureError) -> ApiError {
    match error {
        SignatureError::Mismatch => ApiError::problem(
            StatusCode::UNAUTHORIZED,
            Problem::new(ProblemType::AuthFailed, "Credential/signature mismatch.")
                .with_details("Signature mismatch"),
        ),
        other => ApiError::problem(
            StatusCode::BAD_REQUEST,
            Problem::new(ProblemType::InvalidAuthParams, other.to_string()),
        ),
    }
}

#[derive(Debug, Deserialize)]
struct EchoQuery {
    echo: Option<String>,
}

/// `GET|POST /func/auth` (and `/auth`): the echo test of a keypair or session.
#[handler]
pub async fn echo(
    req: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let bytes = body::read_limited(req, body).await?;
    authenticate(req, &bytes, state).await?;
    let echo = if req.method() == poem::http::Method::GET {
        let query: EchoQuery = serde_urlencoded::from_str(req.uri().query().unwrap_or_default())
            .unwrap_or(EchoQuery { echo: None });
        serde_json::Value::from(query.echo)
    } else {
        let value: serde_json::Value = if bytes.iter().all(u8::is_ascii_whitespace) {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|e| {
                ApiError::bad_request(
                    ProblemType::InvalidApiParams,
                    format!("The request body is not valid JSON: {e}"),
                )
            })?
        };
        value
            .get("echo")
            .cloned()
            .unwrap_or(serde_json::Value::Null)
    };
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({"authorized": "yes", "echo": echo}),
    ))
}

/// `GET /func/auth/role` (and `/auth/role`): the caller's roles, in
/// Backend.AI's terms.
#[handler]
pub async fn role(req: &Request, Data(state): Data<&Arc<AppState>>) -> Result<Response, ApiError> {
    let caller = authenticate(req, b"", state).await?;
    let (global_role, domain_role) = match caller.user().role {
        Role::Admin => ("superadmin", "admin"),
        Role::User => ("user", "user"),
    };
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({"global_role": global_role, "domain_role": domain_role, "group_role": null}),
    ))
}
