//! What Backend.AI clients ask before logging in: `GET /func/` (version
//! negotiation), `GET /func/ping`, and the WebUI's `GET /config.toml`.

use std::sync::Arc;

use baigate_shared::webserver::{PingResponse, VersionResponse};
use poem::http::StatusCode;
use poem::http::header::CONTENT_TYPE;
use poem::web::Data;
use poem::{Response, handler};

use super::{AppState, json_response};
use crate::config::SignupMode;
use crate::domain::{Domain, SignupPolicy};

/// The API version announced. v8.20240915 corresponds to manager 24.09, the
/// first release whose WebUI offers extending the login session.
pub const API_VERSION: &str = "v8.20240915";
/// The manager release whose login API baigate implements.
pub const MANAGER_VERSION: &str = "24.09.0";

/// `GET /func/`
#[handler]
pub async fn version() -> Response {
    json_response(
        StatusCode::OK,
        &VersionResponse {
            version: API_VERSION.to_owned(),
            manager: MANAGER_VERSION.to_owned(),
            baigate: Some(env!("CARGO_PKG_VERSION").to_owned()),
        },
    )
}

/// `GET /func/ping`
#[handler]
pub async fn ping() -> Response {
    json_response(
        StatusCode::OK,
        &PingResponse {
            version: MANAGER_VERSION.to_owned(),
            details: "Success".to_owned(),
        },
    )
}

/// `GET /config.toml`: a WebUI configuration pointing at this server.
#[handler]
pub async fn webui_config(Data(state): Data<&Arc<AppState>>) -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, "application/toml; charset=utf-8")
        .body(render_webui_config(
            &state.public_origin,
            state.domain.signup_policy(),
            state.domain.totp_required(),
            &sso_lines(&state.domain),
        ))
}

/// TOML string literal: quotes and backslashes escaped, control characters
/// dropped (an origin has none; this keeps the file valid regardless).
fn toml_string(value: &str) -> String {
    let escaped: String = value
        .chars()
        .filter(|c| !c.is_control())
        .flat_map(|c| match c {
            '"' => vec!['\\', '"'],
            '\\' => vec!['\\', '\\'],
            c => vec![c],
        })
        .collect();
    format!("\"{escaped}\"")
}

/// `singleSignOnVendors` (a comma-separated string, as the WebUI splits it)
/// and `ssoRealmName`, when single sign-on is configured.
fn sso_lines(domain: &Domain) -> String {
    let vendors: Vec<&str> = domain
        .sso_vendors()
        .iter()
        .map(|vendor| vendor.name())
        .collect();
    if vendors.is_empty() {
        return String::new();
    }
    let mut lines = format!(
        "singleSignOnVendors = {}\n",
        toml_string(&vendors.join(","))
    );
    if let Some(realm) = domain.sso_realm_name() {
        lines.push_str(&format!("ssoRealmName = {}\n", toml_string(realm)));
    }
    lines
}

fn render_webui_config(
    public_origin: &str,
    signup: &SignupPolicy,
    totp_required: bool,
    sso: &str,
) -> String {
    format!(
        r#"# Backend.AI WebUI configuration served by the baigate companion.
[general]
apiEndpoint = {endpoint}
apiEndpointText = "baigate"
connectionMode = "SESSION"
siteDescription = "Signed in through baigate"
signupSupport = {signup_support}
allowChangeSigninMode = false
allowAnonymousChangePassword = {reset}
allowSignupWithoutConfirmation = {open}
enableExtendLoginSession = true
enable2FA = true
force2FA = {force_totp}
autoLogout = false
{sso}
[wsproxy]
proxyURL = ""

[resources]

[environments]

[menu]

[plugin]

[pipeline]
"#,
        endpoint = toml_string(public_origin),
        signup_support = signup.mode != SignupMode::Closed,
        reset = signup.allow_password_reset,
        open = signup.mode == SignupMode::Open,
        force_totp = totp_required,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webui_config_is_valid_toml_pointing_here() {
        let policy = SignupPolicy {
            mode: SignupMode::Invite,
            verify_email: true,
            verification_lifetime: 3600,
            allow_password_reset: true,
        };
        let text = render_webui_config("http://127.0.0.1:8090", &policy, false, "");
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        let general = parsed["general"].as_table().unwrap();
        assert_eq!(
            general["apiEndpoint"].as_str(),
            Some("http://127.0.0.1:8090")
        );
        assert_eq!(general["connectionMode"].as_str(), Some("SESSION"));
        assert_eq!(general["signupSupport"].as_bool(), Some(true));
        assert_eq!(
            general["allowSignupWithoutConfirmation"].as_bool(),
            Some(false)
        );
        assert_eq!(
            general["allowAnonymousChangePassword"].as_bool(),
            Some(true)
        );
    }

    #[test]
    fn single_sign_on_is_listed_as_a_string() {
        let policy = SignupPolicy {
            mode: SignupMode::Closed,
            verify_email: false,
            verification_lifetime: 3600,
            allow_password_reset: false,
        };
        let sso = "singleSignOnVendors = \"openid\"\nssoRealmName = \"Example \\\"Co\\\"\"\n";
        let text = render_webui_config("http://127.0.0.1:8090", &policy, false, sso);
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        let general = parsed["general"].as_table().unwrap();
        assert_eq!(general["singleSignOnVendors"].as_str(), Some("openid"));
        assert_eq!(general["ssoRealmName"].as_str(), Some("Example \"Co\""));
        let plain = render_webui_config("http://127.0.0.1:8090", &policy, false, "");
        assert!(!plain.contains("singleSignOnVendors"));
    }

    #[test]
    fn toml_strings_are_escaped() {
        assert_eq!(toml_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(toml_string("a\nb"), "\"ab\"");
    }
}
