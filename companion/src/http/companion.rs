//! Companion-only routes under `/companion`, described by an OpenAPI document
//! served at `/companion/openapi.json`. Routes that need a session take it
//! like every other route: the `X-BackendAI-SessionID` header or the
//! `AIOHTTP_SESSION` cookie.

use std::sync::Arc;

use baigate_shared::password::PasswordPolicyDocument;
use baigate_shared::sessions::SessionSummary;
use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, OpenApiService};

use super::AppState;
use super::client::client_info;
use super::cloud::require_session;
use super::problem::ApiError;
use super::webserver::session_summary;

/// The companion's own API.
#[derive(Debug, Clone)]
pub struct CompanionApi {
    pub state: Arc<AppState>,
}

#[derive(Debug, ApiResponse)]
enum EndSession {
    /// The session has ended.
    #[oai(status = 204)]
    Ended,
    /// The account has no live session with this id.
    #[oai(status = 404)]
    NotFound,
}

#[OpenApi]
impl CompanionApi {
    /// The password policy this server enforces, with a description of each
    /// rule, so a client can show the same checklist live.
    #[oai(path = "/password-policy", method = "get")]
    async fn password_policy(&self) -> Json<PasswordPolicyDocument> {
        Json(PasswordPolicyDocument::new(
            self.state.domain.password_policy(),
        ))
    }

    /// The caller's account's live sessions, oldest first; `current` marks
    /// the caller's own. Needs a session (401 otherwise).
    #[oai(path = "/sessions", method = "get")]
    async fn sessions(&self, req: &Request) -> poem::Result<Json<Vec<SessionSummary>>> {
        let live = require_session(req, &self.state).await?;
        let sessions = self
            .state
            .domain
            .list_sessions(&live.user)
            .await
            .map_err(ApiError::from)?;
        Ok(Json(
            sessions
                .iter()
                .map(|details| session_summary(details, Some(live.session.id)))
                .collect(),
        ))
    }

    /// Ends one of the caller's account's sessions (it may be the caller's
    /// own). Needs a session (401 otherwise).
    #[oai(path = "/sessions/:id", method = "delete")]
    async fn end_session(&self, req: &Request, id: Path<String>) -> poem::Result<EndSession> {
        let live = require_session(req, &self.state).await?;
        let ended = self
            .state
            .domain
            .end_own_session(&live.user, &id.0, client_info(req))
            .await
            .map_err(ApiError::from)?;
        Ok(if ended {
            EndSession::Ended
        } else {
            EndSession::NotFound
        })
    }
}

/// The service, to be nested at `/companion`.
pub fn service(api: CompanionApi, public_origin: &str) -> OpenApiService<CompanionApi, ()> {
    OpenApiService::new(api, "baigate companion", env!("CARGO_PKG_VERSION"))
        .description(
            "Routes a baigate companion offers besides the Backend.AI webserver protocol. \
             Clients feature-detect them and hide what a server does not offer.",
        )
        .server(format!("{}/companion", public_origin.trim_end_matches('/')))
}
