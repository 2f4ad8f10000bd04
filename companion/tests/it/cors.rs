//! Cross-origin calls and the headers every answer carries.

use poem::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{Answer, PASSWORD, TestApp};

const EXTENSION: &str = "chrome-extension://kkddbdcblenceacjpknibiiglhjplaad";

async fn preflight(app: &TestApp, origin: &str) -> Answer {
    Answer::from(
        app.client
            .request(Method::OPTIONS, "/server/login")
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "content-type,x-backendai-encoded,x-backendai-sessionid",
            )
            .send()
            .await,
    )
    .await
}

#[tokio::test]
async fn allowed_origins_are_echoed_exactly_with_credentials() {
    let app = TestApp::multi_session().await;
    app.add_user("user@example.com", Some("alice")).await;
    for origin in [EXTENSION, "http://127.0.0.1:8090"] {
        let answer = preflight(&app, origin).await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{origin}");
        assert_eq!(answer.header("access-control-allow-origin"), Some(origin));
        assert_eq!(
            answer.header("access-control-allow-credentials"),
            Some("true")
        );
        assert!(
            answer
                .header("access-control-allow-methods")
                .unwrap()
                .contains("POST")
        );
        assert_eq!(
            answer.header("access-control-allow-headers"),
            Some("content-type,x-backendai-encoded,x-backendai-sessionid")
        );
        assert_eq!(answer.header("vary"), Some("Origin"));

        let answer = Answer::from(
            app.client
                .post("/server/login")
                .header("Origin", origin)
                .body_json(&json!({"username": "alice", "password": PASSWORD}))
                .send()
                .await,
        )
        .await;
        assert_eq!(answer.json()["authenticated"], true);
        assert_eq!(answer.header("access-control-allow-origin"), Some(origin));
        assert!(
            answer
                .header("access-control-expose-headers")
                .unwrap()
                .contains("X-BackendAI-SessionID")
        );
        assert_eq!(answer.header("vary"), Some("Origin"));
    }
}

#[tokio::test]
async fn other_origins_are_refused_before_any_work() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    for origin in [
        "https://evil.example",
        "http://127.0.0.1.evil.example",
        "chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "null",
        // Another port of this machine (a dev server, a notebook) is not
        // trusted by default.
        "http://127.0.0.1:9999",
        "http://localhost:5173",
        "http://[::1]:3000",
    ] {
        let answer = preflight(&app, origin).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{origin}");
        assert!(answer.header("access-control-allow-origin").is_none());
        assert!(answer.header("access-control-allow-credentials").is_none());
        assert_eq!(
            answer.json()["type"],
            "https://api.backend.ai/probs/forbidden"
        );

        let before = app.domain.hasher().verifications();
        // A "simple" cross-site form post: no preflight, still refused.
        let answer = Answer::from(
            app.client
                .post("/server/login")
                .header("Origin", origin)
                .content_type("text/plain")
                .body(json!({"username": "alice", "password": PASSWORD}).to_string())
                .send()
                .await,
        )
        .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{origin}");
        assert!(answer.header("access-control-allow-origin").is_none());
        assert_eq!(
            app.domain.hasher().verifications(),
            before,
            "no password was checked"
        );
    }
    let sessions: i64 = app
        .database()
        .query_row("SELECT count(*) FROM sessions", [], |row| row.get(0))
        .unwrap();
    assert_eq!(sessions, 0);
}

/// The pages' own forms post with `Origin: null` (their referrer policy is
/// no-referrer) and work; no other route takes a `null` origin.
#[tokio::test]
async fn a_null_origin_reaches_only_the_pages_forms() {
    let app = TestApp::new().await;
    let form = app
        .post_form("/forgot-password", &[("email", "someone@example.com")])
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    for (path, body) in [
        (
            "/func/auth/signup",
            json!({"email": "a@example.com", "password": PASSWORD}),
        ),
        (
            "/func/cloud/send-password-change-email",
            json!({"email": "a@example.com"}),
        ),
        (
            "/func/cloud/change-password",
            json!({"email": "a@example.com", "password": PASSWORD, "token": "x"}),
        ),
        ("/server/logout", json!({})),
    ] {
        let answer = Answer::from(
            app.client
                .post(path)
                .header("Origin", "null")
                .content_type("application/json")
                .body(body.to_string())
                .send()
                .await,
        )
        .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn the_allow_list_is_configurable_and_never_a_wildcard() {
    let app = TestApp::with(|config| {
        config.server.allowed_origins = vec!["https://webui.example.com".to_owned()];
    })
    .await;
    assert_eq!(
        preflight(&app, "https://webui.example.com").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        preflight(&app, EXTENSION).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        preflight(&app, "http://127.0.0.1:8080").await.status,
        StatusCode::FORBIDDEN
    );
    // The server's own origin stays allowed, for its own pages.
    assert_eq!(
        preflight(&app, "http://127.0.0.1:8090").await.status,
        StatusCode::NO_CONTENT
    );
    let answer = preflight(&app, "https://webui.example.com").await;
    assert_ne!(answer.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test]
async fn security_headers_are_on_every_answer() {
    let app = TestApp::new().await;
    let requests = [
        app.client.get("/func/"),
        app.client.post("/server/login"),
        app.client.get("/missing"),
        app.client.post("/server/login-check"),
    ];
    for request in requests {
        let answer = Answer::from(request.send().await).await;
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(answer.header("cache-control"), Some("no-store"));
        assert_eq!(answer.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(answer.header("x-frame-options"), Some("DENY"));
        assert!(
            answer
                .header("content-security-policy")
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        assert_eq!(answer.header("vary"), Some("Origin"));
    }
}
