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
use super::body::JsonObject;
use super::problem::{ApiError, BodyRefusal, ProblemJson};
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
    NotFound(ProblemJson),
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
    #[oai(path = "/summary", method = "get", operation_id = "getSummary")]
    async fn summary(&self, caller: CallerAuth) -> Result<Json<Summary>, ApiError> {
        let account = self.state.domain.account_summary(caller.0.user()).await?;
        Ok(Json(Summary {
            account,
            host: self.state.host.usage().await,
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }))
    }

    /// The caller's access key (never the secret key).
    #[oai(path = "/keypair", method = "get", operation_id = "getKeypair")]
    async fn keypair(&self, caller: CallerAuth) -> Result<Json<KeypairInfo>, ApiError> {
        // Infallible once the caller is known; the Result declares the
        // refusals of the extractor (401, 429, 503).
        Ok(Json(KeypairInfo {
            access_key: caller.0.user().access_key.clone(),
        }))
    }

    /// A new keypair replaces the old one at once. Needs the password again
    /// (and a one-time code when 2FA is on); the secret key is in this answer
    /// only.
    #[oai(
        path = "/keypair/rotate",
        method = "post",
        operation_id = "rotateKeypair"
    )]
    async fn rotate_keypair(
        &self,
        session: SessionAuth,
        body: JsonObject<RotateKeypairRequest>,
        client: ClientInfo,
        lang: Lang,
    ) -> Result<Rotation, BodyRefusal> {
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
    #[oai(
        path = "/password-policy",
        method = "get",
        operation_id = "getPasswordPolicy"
    )]
    async fn password_policy(&self) -> Json<PasswordPolicyDocument> {
        Json(PasswordPolicyDocument::new(
            self.state.domain.password_policy(),
        ))
    }

    /// The caller's account's live sessions, oldest first; `current` marks
    /// the caller's own.
    #[oai(path = "/sessions", method = "get", operation_id = "listSessions")]
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
    #[oai(path = "/sessions/:id", method = "delete", operation_id = "endSession")]
    async fn end_session(
        &self,
        session: SessionAuth,
        /// The session's `id` from the list (never its token).
        #[oai(validator(max_length = 64))]
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
            EndSession::NotFound(ProblemJson(ApiError::not_found(
                "The account has no live session with this id.",
            )))
        })
    }
}

/// The OpenAPI document, with what poem-openapi cannot say itself: every
/// request body type here refuses unknown members (`deny_unknown_fields`),
/// so the schemas of request bodies get `additionalProperties: false`.
pub fn document(api: &OpenApiService<CompanionApi, ()>) -> String {
    let text = api.spec();
    let Ok(mut spec) = serde_json::from_str::<serde_json::Value>(&text) else {
        return text;
    };
    let bodies: Vec<String> = spec["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(serde_json::Value::as_object)
        .flat_map(|operations| operations.values())
        .filter_map(|operation| operation["requestBody"]["content"].as_object())
        .flat_map(|content| content.values())
        .filter_map(|media| media["schema"]["$ref"].as_str())
        .filter_map(|reference| reference.strip_prefix("#/components/schemas/"))
        .map(str::to_owned)
        .collect();
    for name in bodies {
        if let Some(schema) = spec["components"]["schemas"][name.as_str()].as_object_mut() {
            schema.insert(
                "additionalProperties".to_owned(),
                serde_json::Value::Bool(false),
            );
        }
    }
    serde_json::to_string_pretty(&spec).unwrap_or(text)
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
