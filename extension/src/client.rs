//! The Backend.AI webserver protocol, as the popup uses it, plus the
//! companion's optional routes (feature-detected: a server without them
//! answers 404 and the popup shows less).

use baigate_shared::sessions::ExtendResponse;
use baigate_shared::summary::Summary;
use baigate_shared::webserver::{AccountInfo, LoginCheckResponse, LoginRequest};

use crate::platform::net::{self, NetError};
use crate::protocol::{self, Health, LoginOutcome};

/// `GET /func/`: what the endpoint is.
pub async fn probe(endpoint: &str) -> Health {
    match net::send("GET", &format!("{endpoint}/func/"), None, None).await {
        Ok(reply) => protocol::health(&reply),
        Err(NetError::Offline) => Health::Offline,
        Err(NetError::Unreachable) => Health::Unreachable,
    }
}

/// `POST /server/login`.
pub async fn login(endpoint: &str, request: &LoginRequest) -> Result<LoginOutcome, NetError> {
    let body = serde_json::to_string(request).map_err(|_| NetError::Unreachable)?;
    let reply = net::send(
        "POST",
        &format!("{endpoint}/server/login"),
        Some(&body),
        None,
    )
    .await?;
    Ok(protocol::login_outcome(&reply))
}

/// A live session as `/server/login-check` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub account: AccountInfo,
    /// RFC 3339, when the server says.
    pub expires: Option<String>,
}

/// `POST /server/login-check`: `None` when the session is not live.
pub async fn login_check(endpoint: &str, session: &str) -> Result<Option<Check>, NetError> {
    let reply = net::send(
        "POST",
        &format!("{endpoint}/server/login-check"),
        Some("{}"),
        Some(session),
    )
    .await?;
    let answer: Option<LoginCheckResponse> = serde_json::from_str(&reply.body).ok();
    Ok(
        answer.and_then(|answer| match (answer.authenticated, answer.data) {
            (true, Some(account)) => Some(Check {
                account,
                expires: answer.expires,
            }),
            _ => None,
        }),
    )
}

/// `POST /server/logout`.
pub async fn logout(endpoint: &str, session: &str) -> Result<(), NetError> {
    net::send(
        "POST",
        &format!("{endpoint}/server/logout"),
        Some("{}"),
        Some(session),
    )
    .await
    .map(|_| ())
}

/// What extending a session did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extension {
    Extended(String),
    /// The session had ended.
    Ended,
    /// The server does not offer it.
    Unsupported,
}

/// `POST /server/extend-login-session`.
pub async fn extend(endpoint: &str, session: &str) -> Result<Extension, NetError> {
    let reply = net::send(
        "POST",
        &format!("{endpoint}/server/extend-login-session"),
        Some("{}"),
        Some(session),
    )
    .await?;
    Ok(match reply.status {
        200..=299 => serde_json::from_str::<ExtendResponse>(&reply.body)
            .map_or(Extension::Unsupported, |answer| {
                Extension::Extended(answer.expires)
            }),
        401 => Extension::Ended,
        _ => Extension::Unsupported,
    })
}

/// `GET /companion/summary`: `None` from servers without it.
pub async fn summary(endpoint: &str, session: &str) -> Result<Option<Summary>, NetError> {
    let reply = net::send(
        "GET",
        &format!("{endpoint}/companion/summary"),
        None,
        Some(session),
    )
    .await?;
    if !(200..300).contains(&reply.status) {
        return Ok(None);
    }
    Ok(serde_json::from_str(&reply.body).ok())
}
