//! Companion-only routes under `/companion`, described by an OpenAPI document
//! served at `/companion/openapi.json`. Authentication is a parameter type:
//! [`SessionAuth`] (the `X-BackendAI-SessionID` header or the
//! `AIOHTTP_SESSION` cookie) or [`CallerAuth`] (that, or a signed request),
//! so the document declares each operation's security scheme; every
//! operation's refusals are the answer table's problem documents.

use std::sync::Arc;

use baigate_shared::keypair::{KeypairInfo, RotateKeypairRequest, RotatedKeypair};
use baigate_shared::password::PasswordPolicyDocument;
use baigate_shared::sessions::SessionSummary;
use baigate_shared::summary::Summary;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, OpenApiService};

use super::AppState;
use super::auth::{CallerAuth, SessionAuth};
use super::problem::ApiError;
use super::webserver::session_summary;
use crate::i18n::Lang;
use crate::model::ClientInfo;

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
    /// the companion host's live CPU, memory and disk use.
    #[oai(path = "/summary", method = "get")]
    async fn summary(&self, caller: CallerAuth) -> Result<Json<Summary>, ApiError> {
        let account = self.state.domain.account_summary(caller.0.user()).await?;
        Ok(Json(Summary {
            account,
            host: self.state.host.usage().await,
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }))
    }

    /// The caller's access key (never the secret key).
    #[oai(path = "/keypair", method = "get")]
    async fn keypair(&self, caller: CallerAuth) -> Json<KeypairInfo> {
        Json(KeypairInfo {
            access_key: caller.0.user().access_key.clone(),
        })
    }

    /// A new keypair replaces the old one at once. Needs the password again
    /// (and a one-time code when 2FA is on); the secret key is in this answer
    /// only.
    #[oai(path = "/keypair/rotate", method = "post")]
    async fn rotate_keypair(
        &self,
        session: SessionAuth,
        body: Json<RotateKeypairRequest>,
        client: ClientInfo,
        lang: Lang,
    ) -> Result<Rotation, ApiError> {
        let (user, secret_key) = self
            .state
            .domain
            .rotate_own_keypair(
                &session.0,
                &body.0.password,
                body.0.otp.as_deref(),
                client,
                lang,
            )
            .await?;
        Ok(Rotation::Rotated(Json(RotatedKeypair {
            access_key: user.access_key,
            secret_key,
        })))
    }

    /// The password policy this server enforces, with a description of each
    /// rule, so a client can show the same checklist live. No session needed.
    #[oai(path = "/password-policy", method = "get")]
    async fn password_policy(&self) -> Json<PasswordPolicyDocument> {
        Json(PasswordPolicyDocument::new(
            self.state.domain.password_policy(),
        ))
    }

    /// The caller's account's live sessions, oldest first; `current` marks
    /// the caller's own.
    #[oai(path = "/sessions", method = "get")]
    async fn sessions(&self, session: SessionAuth) -> Result<Json<Vec<SessionSummary>>, ApiError> {
        let live = session.0;
        let sessions = self.state.domain.list_sessions(&live.user).await?;
        Ok(Json(
            sessions
                .iter()
                .map(|details| session_summary(details, Some(live.session.id)))
                .collect(),
        ))
    }

    /// Ends one of the caller's account's sessions (it may be the caller's
    /// own).
    #[oai(path = "/sessions/:id", method = "delete")]
    async fn end_session(
        &self,
        session: SessionAuth,
        id: Path<String>,
        client: ClientInfo,
    ) -> Result<EndSession, ApiError> {
        let ended = self
            .state
            .domain
            .end_own_session(&session.0.user, &id.0, client)
            .await?;
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
