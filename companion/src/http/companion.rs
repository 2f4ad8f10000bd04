//! Companion-only routes under `/companion`, described by an OpenAPI document
//! served at `/companion/openapi.json`. Routes that need a session take it
//! like every other route: the `X-BackendAI-SessionID` header or the
//! `AIOHTTP_SESSION` cookie.

use std::sync::Arc;

use baigate_shared::keypair::{KeypairInfo, RotateKeypairRequest, RotatedKeypair};
use baigate_shared::password::PasswordPolicyDocument;
use baigate_shared::sessions::SessionSummary;
use baigate_shared::summary::Summary;
use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, OpenApiService};

use super::AppState;
use super::client::{client_info, lang};
use super::cloud::require_session;
use super::keypair::authenticate;
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

#[derive(Debug, ApiResponse)]
enum Rotation {
    /// The new keypair; the old one no longer works.
    #[oai(status = 200)]
    Rotated(Json<RotatedKeypair>),
}

#[OpenApi]
impl CompanionApi {
    /// The caller's account (role, 2FA, previous login, live sessions) and
    /// the companion host's live CPU, memory and disk use. A session or a
    /// signed request.
    #[oai(path = "/summary", method = "get")]
    async fn summary(&self, req: &Request) -> poem::Result<Json<Summary>> {
        let caller = authenticate(req, b"", &self.state).await?;
        let account = self
            .state
            .domain
            .account_summary(caller.user())
            .await
            .map_err(ApiError::from)?;
        Ok(Json(Summary {
            account,
            host: self.state.host.usage().await,
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }))
    }

    /// The caller's access key (never the secret key). A session or a
    /// signed request.
    #[oai(path = "/keypair", method = "get")]
    async fn keypair(&self, req: &Request) -> poem::Result<Json<KeypairInfo>> {
        let caller = authenticate(req, b"", &self.state).await?;
        Ok(Json(KeypairInfo {
            access_key: caller.user().access_key.clone(),
        }))
    }

    /// A new keypair replaces the old one at once. Needs a session and the
    /// password again (and a one-time code when 2FA is on); the secret key
    /// is in this answer only.
    #[oai(path = "/keypair/rotate", method = "post")]
    async fn rotate_keypair(
        &self,
        req: &Request,
        body: Json<RotateKeypairRequest>,
    ) -> poem::Result<Rotation> {
        let live = require_session(req, &self.state).await?;
        let (user, secret_key) = self
            .state
            .domain
            .rotate_own_keypair(
                &live,
                &body.0.password,
                body.0.otp.as_deref(),
                client_info(req),
                lang(req),
            )
            .await
            .map_err(reauth_problem)?;
        Ok(Rotation::Rotated(Json(RotatedKeypair {
            access_key: user.access_key,
            secret_key,
        })))
    }

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

/// The answer when proving who one is went wrong.
fn reauth_problem(error: crate::domain::totp::TotpError) -> ApiError {
    use crate::domain::totp::TotpError;
    use baigate_shared::problem::{Problem, ProblemType};
    use poem::http::StatusCode;
    match error {
        TotpError::WrongPassword => ApiError::problem(
            StatusCode::UNAUTHORIZED,
            Problem::new(ProblemType::AuthFailed, "The password is not right.")
                .with_field("password"),
        ),
        TotpError::InvalidCode => ApiError::problem(
            StatusCode::UNAUTHORIZED,
            Problem::new(
                ProblemType::TotpAuthFailed,
                "A current one-time code is needed.",
            )
            .with_field("otp"),
        ),
        TotpError::Locked { retry_after } => ApiError::problem(
            StatusCode::TOO_MANY_REQUESTS,
            Problem::new(
                ProblemType::TooManyRequests,
                "Too many failed login attempts",
            )
            .with_retry_after(u64::try_from(retry_after).unwrap_or(0)),
        ),
        TotpError::Domain(e) => e.into(),
        other => ApiError::problem(
            StatusCode::BAD_REQUEST,
            Problem::new(ProblemType::GenericBadRequest, other.to_string()),
        ),
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
