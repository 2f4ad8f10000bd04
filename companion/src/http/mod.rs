//! HTTP: routes, middleware and the mapping between the wire and the domain.

mod auth;
mod body;
mod client;
mod cloud;
pub mod companion;
mod cors;
mod func;
mod headers;
mod keypair;
mod limits;
mod methods;
mod pages;
pub mod problem;
mod session_token;
mod sso;
pub mod throttle;
mod totp;
mod webserver;

use std::path::PathBuf;
use std::sync::Arc;

use poem::http::StatusCode;
use poem::http::header::CONTENT_TYPE;
use poem::middleware::CatchPanic;
use poem::web::Data;
use poem::{Endpoint, EndpointExt, IntoEndpoint, Request, Response, Route, handler};
use serde::Serialize;
use url::Url;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::Domain;
use client::ClientAddress;
pub use client::TrustedProxies;
pub use cors::CorsPolicy;
use methods::{AllowFromSpec, get, post};
use problem::{ApiError, render_error};
use throttle::Throttle;

pub use func::{API_VERSION, MANAGER_VERSION};

/// What every handler can reach.
#[derive(Debug)]
pub struct AppState {
    pub domain: Domain,
    /// `scheme://host[:port]` clients use, without a trailing slash.
    pub public_origin: String,
    /// Cookies get `Secure` (and answers HSTS) when clients use https.
    pub secure_cookies: bool,
    pub cors: CorsPolicy,
    /// The administrator's own terms and privacy files, if any.
    pub documents: DocumentFiles,
    /// The per-client-IP limit on credential-checking routes.
    pub throttle: Throttle,
    pub trusted_proxies: Arc<TrustedProxies>,
    /// The host's live usage, for `/companion/summary`.
    pub host: crate::host::HostMonitor,
}

#[derive(Debug, Clone, Default)]
pub struct DocumentFiles {
    pub terms: Option<PathBuf>,
    pub privacy: Option<PathBuf>,
}

impl AppState {
    pub fn new(domain: Domain, public_url: &Url, config: &Config, clock: Arc<dyn Clock>) -> Self {
        let public_origin = public_url.origin().ascii_serialization();
        Self {
            throttle: Throttle::new(config.throttle.per_ip_per_minute, clock),
            host: crate::host::HostMonitor::new(&config.data_dir),
            trusted_proxies: Arc::new(TrustedProxies(config.server.trusted_proxies.clone())),
            cors: CorsPolicy::new(&config.server.allowed_origins, &public_origin),
            secure_cookies: public_url.scheme() == "https",
            public_origin,
            documents: DocumentFiles {
                terms: config.signup.terms_file.clone(),
                privacy: config.signup.privacy_file.clone(),
            },
            domain,
        }
    }
}

/// The state a request runs with (the app puts it in every request).
fn app_state(req: &Request) -> Result<&Arc<AppState>, ApiError> {
    req.data::<Arc<AppState>>()
        .ok_or_else(|| ApiError::Internal("the app state is missing from a request".into()))
}

/// A JSON answer (`application/json; charset=utf-8`).
pub(crate) fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => Response::builder()
            .status(status)
            .header(CONTENT_TYPE, "application/json; charset=utf-8")
            .body(body),
        Err(e) => ApiError::Internal(format!("an answer failed to serialise: {e}")).into(),
    }
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    database: &'static str,
    /// `sqlite` or `postgresql`.
    engine: &'static str,
    /// `on`, or `bypassed` while a companion on PostgreSQL cannot hear the
    /// others' session changes (every check then reads the database).
    session_cache: &'static str,
    version: &'static str,
}

/// `GET /health`: 200 when the database takes a write, else 503 with
/// `Retry-After` (it recovers by itself when the fault clears).
#[handler]
async fn health(Data(state): Data<&Arc<AppState>>) -> Response {
    let report = state.domain.database_report().await;
    let database_ok = report.answers;
    let (status, word) = if database_ok {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    };
    let mut response = json_response(
        status,
        &Health {
            status: word,
            database: word,
            engine: report.engine,
            session_cache: if report.session_cache {
                "on"
            } else {
                "bypassed"
            },
            version: env!("CARGO_PKG_VERSION"),
        },
    );
    if !database_ok {
        response.headers_mut().insert(
            poem::http::header::RETRY_AFTER,
            poem::http::HeaderValue::from_static("10"),
        );
    }
    response
}

/// The whole application as one endpoint. Routes that check a credential or
/// send mail take [`throttle::Throttled`]; routes that need a session or a
/// signature take the extractors of `auth`.
pub fn app(state: Arc<AppState>) -> impl Endpoint {
    let api = companion::service(
        companion::CompanionApi {
            state: state.clone(),
        },
        &state.public_origin,
    );
    let document = companion::document(&api);
    let spec = get(poem::endpoint::make_sync(move |_| {
        Response::builder()
            .content_type("application/json; charset=utf-8")
            .body(document.clone())
    }));
    let allow = AllowFromSpec::new(<companion::CompanionApi as poem_openapi::OpenApi>::meta());
    let hsts = state.secure_cookies;
    let cors = cors::Cors(Arc::new(state.cors.clone()));
    let client_address = ClientAddress(state.trusted_proxies.clone());
    let routes = Route::new()
        // Version negotiation and the WebUI's configuration.
        .at("/", get(func::version))
        .at("/func", get(func::version))
        .at("/func/", get(func::version))
        .at("/func/ping", get(func::ping))
        .at("/config.toml", get(func::webui_config))
        .at("/health", get(health))
        // The webserver's login protocol.
        .at("/server/login", post(webserver::login))
        .at(
            "/server/login-check",
            post(webserver::login_check).get(webserver::login_check),
        )
        .at("/server/logout", post(webserver::logout))
        .at(
            "/server/update-password-no-auth",
            post(webserver::update_password_no_auth),
        )
        .at(
            "/server/extend-login-session",
            post(webserver::extend_login_session),
        )
        .at("/server/token-login", post(sso::token_login))
        // Single sign-on.
        .at(
            "/func/openid/login",
            get(sso::openid_login_link).post(sso::openid_login_form),
        )
        .at("/func/openid/redirect", get(sso::openid_redirect))
        .at(
            "/func/saml/login",
            get(sso::saml_login_link).post(sso::saml_login_form),
        );
    #[cfg(feature = "saml")]
    let routes = routes
        .at("/func/saml/acs", post(sso::saml_acs))
        .at("/func/saml/complete", get(sso::saml_complete))
        .at("/func/saml/metadata", get(sso::saml_metadata));
    routes
        // API keypair mode, under the webserver's and the manager's paths.
        .at("/func/auth", get(keypair::echo).post(keypair::echo))
        .at("/func/auth/role", get(keypair::role))
        .at("/auth", get(keypair::echo).post(keypair::echo))
        .at("/auth/role", get(keypair::role))
        .at("/auth/update-password", post(cloud::update_password))
        // Signup and recovery.
        .at("/func/auth/signup", post(cloud::signup))
        .at("/func/auth/update-password", post(cloud::update_password))
        .at("/func/cloud/ping", get(cloud::cloud_ping))
        .at(
            "/func/cloud/send-verification-email",
            post(cloud::send_verification_email),
        )
        .at("/func/cloud/verify-email", post(cloud::verify_email))
        .at(
            "/func/cloud/send-password-change-email",
            post(cloud::send_password_change_email),
        )
        .at("/func/cloud/change-password", post(cloud::change_password))
        // Two-factor authentication.
        .at(
            "/func/totp",
            get(totp::status).post(totp::enrol).delete(totp::disable),
        )
        .at("/func/totp/verify", post(totp::verify))
        .at(
            "/func/totp/recovery-codes",
            post(totp::renew_recovery_codes),
        )
        .at("/func/totp/anon", post(totp::anonymous_enrol))
        .at("/func/totp/anon/verify", post(totp::anonymous_verify))
        // The companion's own pages.
        .at(
            "/signup",
            get(pages::signup_form).post(pages::signup_submit),
        )
        .at("/verify-email", get(pages::verify_email))
        .at("/resend-verification", post(pages::resend_verification))
        .at(
            "/forgot-password",
            get(pages::forgot_form).post(pages::forgot_submit),
        )
        .at(
            "/change-password",
            get(pages::change_form).post(pages::change_submit),
        )
        .at("/terms", get(pages::terms))
        .at("/privacy", get(pages::privacy))
        .at("/resources/documents/:name", get(pages::webui_document))
        .at("/static/baigate.css", get(pages::stylesheet))
        .at("/static/checklist.js", get(pages::checklist_script))
        // The companion's own API.
        .at("/companion/openapi.json", spec)
        .nest("/companion", api.into_endpoint().with(allow))
        .data(state)
        .with(limits::BodyLimit)
        .catch_all_error(render_error)
        .with(cors)
        .with(headers::SecurityHeaders { hsts })
        .with(client_address)
        .with(CatchPanic::new().with_handler(|_| {
            poem::IntoResponse::into_response(ApiError::Internal("a handler panicked".into()))
        }))
}
