//! API keypair mode: the echo test `/func/auth`, the role query
//! `/func/auth/role`, and the manager-style paths (`/auth`, `/auth/role`)
//! that clients in API mode call directly. Requests are signed with an
//! access and secret key (the Backend.AI HMAC recipe; see [`super::auth`]);
//! a signed request authenticates that request only: no session is created.

use poem::http::{Method, StatusCode};
use poem::{Request, Response, handler};
use serde::Deserialize;

use super::auth::Caller;
use super::body::LimitedBody;
use super::json_response;
use super::problem::ApiError;
use super::throttle::Throttled;
use crate::model::Role;

#[derive(Debug, Default, Deserialize)]
struct EchoQuery {
    echo: Option<String>,
}

/// `GET|POST /func/auth` (and `/auth`): the echo test of a keypair or session.
#[handler]
pub async fn echo(
    _: Throttled,
    _caller: Caller,
    req: &Request,
    LimitedBody(bytes): LimitedBody,
) -> Result<Response, ApiError> {
    let echo = if req.method() == Method::GET {
        let query: EchoQuery =
            serde_urlencoded::from_str(req.uri().query().unwrap_or_default()).unwrap_or_default();
        serde_json::Value::from(query.echo)
    } else if bytes.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Null
    } else {
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::invalid_params(format!("The request body is not valid JSON: {e}"))
        })?;
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
pub async fn role(_: Throttled, caller: Caller) -> Response {
    let (global_role, domain_role) = match caller.user().role {
        Role::Admin => ("superadmin", "admin"),
        Role::User => ("user", "user"),
    };
    json_response(
        StatusCode::OK,
        &serde_json::json!({"global_role": global_role, "domain_role": domain_role, "group_role": null}),
    )
}
