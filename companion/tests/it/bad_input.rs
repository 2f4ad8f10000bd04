//! Bad input gets a 4xx problem naming the field: never a 500, never a
//! panic, never a partly written row.

use poem::Body;
use poem::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{Answer, PASSWORD, TestApp};

const JSON_ROUTES: [&str; 2] = ["/server/login", "/server/update-password-no-auth"];

async fn post_raw(app: &TestApp, path: &str, body: impl Into<Body>) -> Answer {
    Answer::from(
        app.client
            .post(path)
            .content_type("application/json")
            .body(body)
            .send()
            .await,
    )
    .await
}

fn assert_problem(answer: &Answer, status: StatusCode, context: &str) {
    assert_eq!(answer.status, status, "{context}: {}", answer.text());
    assert!(
        answer
            .header("content-type")
            .unwrap_or_default()
            .starts_with("application/problem+json"),
        "{context}"
    );
    let json = answer.json();
    assert!(
        json["type"]
            .as_str()
            .unwrap()
            .starts_with("https://api.backend.ai/probs/")
    );
    assert!(!json["title"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn wrong_types_and_unknown_fields_name_the_field() {
    let app = TestApp::new().await;
    let cases = [
        (
            "/server/login",
            json!({"username": 1, "password": "x"}),
            "username",
        ),
        (
            "/server/login",
            json!({"username": "a", "password": ["x"]}),
            "password",
        ),
        (
            "/server/login",
            json!({"username": "a", "password": "x", "force": "yes"}),
            "force",
        ),
        (
            "/server/login",
            json!({"username": "a", "password": "x", "otp": 123456}),
            "otp",
        ),
        (
            "/server/login",
            json!({"username": "a", "password": "x", "is_admin": true}),
            "is_admin",
        ),
        (
            "/server/login",
            json!({"username": {"$ne": null}, "password": "x"}),
            "username",
        ),
        (
            "/server/update-password-no-auth",
            json!({"username": "a", "current_password": null, "new_password": 5}),
            "new_password",
        ),
        (
            "/server/update-password-no-auth",
            json!({"username": "a", "role": "admin"}),
            "role",
        ),
    ];
    for (path, body, field) in cases {
        let answer = app.post_json(path, &body).await;
        assert_problem(&answer, StatusCode::BAD_REQUEST, &body.to_string());
        assert_eq!(answer.json()["field"], field, "{body}");
        assert!(answer.json()["title"].as_str().unwrap().contains(field));
    }
}

#[tokio::test]
async fn malformed_bodies_are_400() {
    let app = TestApp::new().await;
    let deep = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
    let bodies: Vec<Vec<u8>> = vec![
        b"{".to_vec(),
        b"not json".to_vec(),
        b"[]".to_vec(),
        b"\"username\"".to_vec(),
        b"null".to_vec(),
        b"{\"username\": \"a\", }".to_vec(),
        vec![0xff, 0xfe, 0x00],
        deep.into_bytes(),
        b"{\"username\": \"\\ud800\", \"password\": \"x\"}".to_vec(),
    ];
    for path in JSON_ROUTES {
        for body in &bodies {
            let answer = post_raw(&app, path, body.clone()).await;
            assert_problem(
                &answer,
                StatusCode::BAD_REQUEST,
                &format!(
                    "{path} {:?}",
                    String::from_utf8_lossy(&body[..body.len().min(20)])
                ),
            );
        }
    }
}

#[tokio::test]
async fn bodies_over_16_kib_are_refused_before_parsing() {
    let app = TestApp::new().await;
    let huge = json!({"username": "a", "password": "x".repeat(17 * 1024)}).to_string();
    for path in JSON_ROUTES.iter().chain(&["/server/logout"]) {
        let answer = post_raw(&app, path, huge.clone()).await;
        assert_problem(&answer, StatusCode::PAYLOAD_TOO_LARGE, path);
    }
    // Without a Content-Length (chunked), the limit holds while reading.
    let stream = futures_stream(vec![vec![b' '; 8 * 1024]; 4]);
    let answer = Answer::from(
        app.client
            .post("/server/login")
            .body(Body::from_bytes_stream(stream))
            .send()
            .await,
    )
    .await;
    assert_problem(&answer, StatusCode::PAYLOAD_TOO_LARGE, "chunked");
    // Within the limit, a name longer than any account's is refused by name.
    let big_name = json!({"username": "a".repeat(15 * 1024), "password": PASSWORD}).to_string();
    let answer = post_raw(&app, "/server/login", big_name).await;
    assert_problem(&answer, StatusCode::BAD_REQUEST, "long username");
    assert_eq!(answer.json()["field"], "username");
}

fn futures_stream(
    chunks: Vec<Vec<u8>>,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'static {
    futures_util::stream::iter(chunks.into_iter().map(|c| Ok(bytes::Bytes::from(c))))
}

#[tokio::test]
async fn hostile_strings_are_just_wrong_credentials() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    let hostile = [
        "' OR '1'='1",
        "admin'--",
        "\"; DROP TABLE users;--",
        "alice\u{0}",
        "a\r\nlevel=INFO admin login ok",
        "\u{202E}ecila",
        "%00",
        "${jndi:ldap://x}",
    ];
    for value in hostile {
        for body in [
            json!({"username": value, "password": PASSWORD}),
            json!({"username": "alice", "password": value}),
        ] {
            let answer = app.post_json("/server/login", &body).await;
            assert_eq!(answer.status, StatusCode::OK, "{body}");
            assert_eq!(answer.json()["authenticated"], false, "{body}");
        }
    }
    let users: i64 = app
        .database()
        .query_row("SELECT count(*) FROM users", [], |row| row.get(0))
        .unwrap();
    assert_eq!(users, 1);
    assert_eq!(
        app.login("alice", PASSWORD).await.json()["authenticated"],
        true
    );
}

#[tokio::test]
async fn unknown_paths_and_methods_are_problems() {
    let app = TestApp::new().await;
    let answer = Answer::from(app.client.get("/nothing/here").send().await).await;
    assert_problem(&answer, StatusCode::NOT_FOUND, "404");
    for (method, path) in [
        (Method::GET, "/server/login"),
        (Method::DELETE, "/server/logout"),
        (Method::PUT, "/func/"),
        (Method::TRACE, "/server/login-check"),
    ] {
        let answer = Answer::from(app.client.request(method.clone(), path).send().await).await;
        assert_problem(
            &answer,
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("{method} {path}"),
        );
    }
}

/// Random bodies, headers and paths: the answer is always below 500.
#[tokio::test]
async fn no_input_causes_a_server_error() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let fragments: [&[u8]; 14] = [
        b"{",
        b"}",
        b"\"username\"",
        b":",
        b",",
        b"\"alice\"",
        b"\"password\"",
        b"null",
        b"[",
        b"]",
        b"1e999",
        b"\"\\u0000\"",
        b"\xf0\x9f",
        b"true",
    ];
    let paths = [
        "/server/login",
        "/server/login-check",
        "/server/logout",
        "/server/update-password-no-auth",
        "/func/",
        "/companion/password-policy",
    ];
    for _ in 0..300 {
        let mut body = Vec::new();
        for _ in 0..(next() % 12) {
            body.extend_from_slice(fragments[(next() % fragments.len() as u64) as usize]);
        }
        let path = paths[(next() % paths.len() as u64) as usize];
        let mut request = app.client.post(path).body(body.clone());
        if next() % 2 == 0 {
            request = request.header("X-BackendAI-Encoded", "true");
        }
        if next() % 3 == 0 {
            request = request.header(
                "X-BackendAI-SessionID",
                String::from_utf8_lossy(&body).into_owned(),
            );
        }
        let answer = Answer::from(request.send().await).await;
        assert!(
            answer.status.as_u16() < 500,
            "{path} {:?} -> {}",
            String::from_utf8_lossy(&body),
            answer.status
        );
    }
}
