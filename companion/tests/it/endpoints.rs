//! What clients read before logging in, and `/health`.

use poem::http::StatusCode;
use serde_json::json;

use crate::support::{Answer, TestApp};

#[tokio::test]
async fn version_negotiation_and_ping() {
    let app = TestApp::new().await;
    for path in ["/func/", "/func"] {
        let answer = Answer::from(app.client.get(path).send().await).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert_eq!(
            answer.json(),
            json!({"version": "v8.20240915", "manager": "24.09.0", "baigate": env!("CARGO_PKG_VERSION")})
        );
    }
    let answer = Answer::from(app.client.get("/func/ping").send().await).await;
    assert_eq!(
        answer.json(),
        json!({"version": "24.09.0", "details": "Success"})
    );
}

#[tokio::test]
async fn webui_config_points_at_the_public_url() {
    let app = TestApp::with(|config| {
        config.server.public_url = Some("https://login.example.com".parse().unwrap());
    })
    .await;
    let answer = Answer::from(app.client.get("/config.toml").send().await).await;
    assert_eq!(answer.status, StatusCode::OK);
    let config: toml::Table = toml::from_str(&answer.text()).unwrap();
    assert_eq!(
        config["general"]["apiEndpoint"].as_str(),
        Some("https://login.example.com")
    );
    assert_eq!(
        config["general"]["connectionMode"].as_str(),
        Some("SESSION")
    );
}

#[tokio::test]
async fn https_public_urls_get_secure_cookies_and_hsts() {
    let app = TestApp::with(|config| {
        config.server.public_url = Some("https://login.example.com".parse().unwrap());
    })
    .await;
    app.add_user("user@example.com", Some("alice")).await;
    let answer = app.login("alice", crate::support::PASSWORD).await;
    assert!(answer.header("set-cookie").unwrap().ends_with("; Secure"));
    assert_eq!(
        answer.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    let plain = TestApp::new().await;
    let answer = Answer::from(plain.client.get("/func/").send().await).await;
    assert!(answer.header("strict-transport-security").is_none());
}

#[tokio::test]
async fn health_reports_the_database() {
    let app = TestApp::new().await;
    let answer = Answer::from(app.client.get("/health").send().await).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json(),
        json!({
            "status": "ok",
            "database": "ok",
            "engine": "sqlite",
            "session_cache": "on",
            "version": env!("CARGO_PKG_VERSION")
        })
    );
}
