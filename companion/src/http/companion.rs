//! Companion-only routes under `/companion`, described by an OpenAPI document
//! served at `/companion/openapi.json`.

use baigate_shared::password::{PasswordPolicy, PasswordPolicyDocument};
use poem_openapi::payload::Json;
use poem_openapi::{OpenApi, OpenApiService};

/// The companion's own API.
#[derive(Debug, Clone)]
pub struct CompanionApi {
    pub password_policy: PasswordPolicy,
}

#[OpenApi]
impl CompanionApi {
    /// The password policy this server enforces, with a description of each
    /// rule, so a client can show the same checklist live.
    #[oai(path = "/password-policy", method = "get")]
    async fn password_policy(&self) -> Json<PasswordPolicyDocument> {
        Json(PasswordPolicyDocument::new(&self.password_policy))
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
