//! What the fuzzers found (schemathesis against the OpenAPI documents,
//! `scripts/api-fuzz.sh`; cargo fuzz on the parsers, `scripts/fuzz.sh`),
//! and what the document must keep saying so that the schemathesis run
//! stays meaningful. Each behaviour test failed before its fix.

use poem::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{Answer, PASSWORD, ServerProcess, TestApp, cli_add_user, http};

async fn document(app: &TestApp) -> Value {
    let answer = app.get("/companion/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    answer.json()
}

async fn rotate(app: &TestApp, session: &str, body: &str) -> Answer {
    Answer::from(
        app.client
            .post("/companion/keypair/rotate")
            .header("X-BackendAI-SessionID", session)
            .content_type("application/json")
            .body(body.to_owned())
            .send()
            .await,
    )
    .await
}

/// RFC 9110 §15.5.6: a 405 names the methods the path takes (schemathesis
/// `unsupported_method`, ST204); HEAD goes with GET.
#[tokio::test]
async fn a_wrong_method_is_answered_with_allow() {
    let app = TestApp::new().await;
    let cases = [
        ("PUT", "/server/login", "POST"),
        ("TRACE", "/func/totp", "DELETE, GET, HEAD, POST"),
        ("DELETE", "/companion/sessions", "GET, HEAD"),
        ("GET", "/companion/sessions/ab12", "DELETE"),
        ("POST", "/companion/openapi.json", "GET, HEAD"),
    ];
    for (method, path, allow) in cases {
        let answer = Answer::from(
            app.client
                .request(method.parse().unwrap(), path)
                .send()
                .await,
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(answer.header("allow"), Some(allow), "{method} {path}");
        assert_eq!(
            answer.json()["type"],
            "https://api.backend.ai/probs/method-not-allowed"
        );
    }
    // HEAD is a GET without the body.
    let head = Answer::from(app.client.head("/health").send().await).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
}

/// Ending a session that is not the account's is a problem document, as
/// every refusal is (it was an empty 404).
#[tokio::test]
async fn an_unknown_session_is_a_problem_document() {
    let app = TestApp::multi_session().await;
    app.add_user("user@example.com", Some("alice")).await;
    let session = app.session("alice", PASSWORD).await;
    let answer = Answer::from(
        app.client
            .delete("/companion/sessions/0123456789abcdef0123456789abcdef")
            .header("X-BackendAI-SessionID", &session)
            .send()
            .await,
    )
    .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(
        answer.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(
        answer.json()["type"],
        "https://api.backend.ai/probs/not-found"
    );
}

/// The rotation body is read as every other body is: strict types (a
/// `false` or `5` used to be taken for a string, and rotated the keys with
/// `"otp": 5`), a 400 naming the field, the document's own limits, and the
/// answer table's refusals (not a generic 4xx).
#[tokio::test]
async fn the_rotation_body_is_held_to_its_schema() {
    let app = TestApp::multi_session().await;
    app.add_user("user@example.com", Some("alice")).await;
    let session = app.session("alice", PASSWORD).await;
    let long = "x".repeat(73);
    let refused = [
        (json!({"password": PASSWORD, "otp": 5}), "otp"),
        (json!({"password": PASSWORD, "otp": false}), "otp"),
        (json!({"password": false}), "password"),
        (json!({}), "password"),
        (json!({"password": PASSWORD, "extra": 1}), "extra"),
    ];
    for (body, field) in refused {
        let answer = rotate(&app, &session, &body.to_string()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        let problem = answer.json();
        assert_eq!(
            problem["type"], "https://api.backend.ai/probs/invalid-api-params",
            "{body}: {problem}"
        );
        assert_eq!(problem["field"], field, "{body}: {problem}");
    }
    let over = rotate(&app, &session, &json!({"password": long}).to_string()).await;
    assert_eq!(over.status, StatusCode::BAD_REQUEST, "{}", over.text());
    assert!(over.text().contains("password"), "{}", over.text());

    let wrong = rotate(&app, &session, r#"{"password": "Wr0ng!password"}"#).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.json()["type"],
        "https://api.backend.ai/probs/auth-failed"
    );
    assert_eq!(wrong.json()["field"], "password");

    let not_json = Answer::from(
        app.client
            .post("/companion/keypair/rotate")
            .header("X-BackendAI-SessionID", &session)
            .content_type("text/plain")
            .body(format!(r#"{{"password": "{PASSWORD}"}}"#))
            .send()
            .await,
    )
    .await;
    assert_eq!(not_json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        not_json.header("content-type"),
        Some("application/problem+json")
    );

    let rotated = rotate(
        &app,
        &session,
        &json!({"password": PASSWORD, "otp": null}).to_string(),
    )
    .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text());
    assert_eq!(
        rotated.json()["access_key"].as_str().map(str::len),
        Some(20)
    );
}

/// What schemathesis reads: every operation has an id; what may be `null`
/// says so; the rotation body refuses unknown members and says how long its
/// strings may be; every refusal the operations give is declared (415 only
/// where a body is read).
#[tokio::test]
async fn the_document_says_what_the_server_does() {
    let app = TestApp::new().await;
    let spec = document(&app).await;
    let mut ids = Vec::new();
    for (path, operations) in spec["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let id = operation["operationId"].as_str();
            assert!(id.is_some(), "{method} {path} has no operationId");
            ids.push(id.unwrap().to_owned());
            let responses = operation["responses"].as_object().unwrap();
            if path != "/password-policy" {
                for status in ["400", "401", "413", "429", "500", "503"] {
                    assert!(responses.contains_key(status), "{method} {path}: {status}");
                }
            }
            assert_eq!(
                responses.contains_key("415"),
                operation.get("requestBody").is_some(),
                "{method} {path}"
            );
        }
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 6, "{ids:?}");
    let schemas = &spec["components"]["schemas"];
    let rotation = &schemas["RotateKeypairRequest"];
    assert_eq!(rotation["additionalProperties"], false);
    assert_eq!(rotation["properties"]["password"]["maxLength"], 72);
    assert_eq!(rotation["properties"]["otp"]["nullable"], true);
    for (schema, field) in [
        ("AccountSummary", "last_login_at"),
        ("Summary", "host"),
        ("SessionSummary", "ip"),
        ("SessionSummary", "user_agent"),
        ("Problem", "details"),
    ] {
        assert_eq!(
            schemas[schema]["properties"][field]["nullable"], true,
            "{schema}.{field}: {}",
            schemas[schema]
        );
    }
    let not_found = &spec["paths"]["/sessions/{id}"]["delete"]["responses"]["404"];
    assert!(
        not_found["content"]["application/problem+json"].is_object(),
        "{not_found}"
    );
}

/// Found while writing the `forwarded_for` fuzz target's properties: a hop
/// a trusted proxy wrote that is not a bare address (`unknown`, or one with
/// a port) was skipped, so the client's own made-up hop to its left was
/// taken for the client; and an IPv4-mapped proxy address counted as a
/// client. Now a port is read, an IPv4-mapped address is its IPv4 address,
/// and any other text stops the walk at the last trusted address.
#[test]
fn a_hop_that_is_not_an_address_hands_nothing_to_the_client() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = ServerProcess::start_with(
        &data,
        &[],
        &[("BAIGATE_SERVER__TRUSTED_PROXIES", "[\"127.0.0.1/32\"]")],
    );
    cli_add_user(&data, "user@example.com", "alice");
    let cases = [
        ("6.6.6.6, unknown", "127.0.0.1"),
        ("6.6.6.6, 203.0.113.9:4711", "203.0.113.9"),
        ("6.6.6.6, ::ffff:127.0.0.1", "6.6.6.6"),
    ];
    for (forwarded, _) in cases {
        let answer = http()
            .post(format!("{}/server/login", server.url))
            .header("X-Forwarded-For", forwarded)
            .send_json(json!({"username": "alice", "password": "Wr0ng!password"}))
            .unwrap();
        assert_eq!(answer.status().as_u16(), 200);
    }
    let db = rusqlite::Connection::open(data.join("baigate.sqlite3")).unwrap();
    let mut stmt = db
        .prepare("SELECT client_ip FROM audit_events WHERE kind = 'login_failed' ORDER BY id")
        .unwrap();
    let ips: Vec<String> = stmt
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let expected: Vec<&str> = cases.iter().map(|(_, client)| *client).collect();
    assert_eq!(ips, expected);
}
