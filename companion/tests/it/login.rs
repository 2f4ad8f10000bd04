//! `/server/login`, `/server/login-check`, `/server/logout`.

use poem::http::StatusCode;
use serde_json::json;

use crate::support::{Answer, PASSWORD, TestApp};

#[tokio::test]
async fn login_answers_like_backend_ai_with_cookie_and_header() {
    let app = TestApp::new().await;
    let created = app.add_user("user@example.com", Some("alice")).await;
    let answer = app.login("alice", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json(),
        json!({
            "authenticated": true,
            "data": {"access_key": created.user.access_key, "role": "user", "status": "active"},
        })
    );
    let token = answer.header("x-backendai-sessionid").unwrap().to_owned();
    assert_eq!(token.len(), 64, "256-bit token in hex");
    let cookie = answer.header("set-cookie").unwrap();
    assert_eq!(
        cookie,
        format!("AIOHTTP_SESSION={token}; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax")
    );
    assert!(answer.header("cache-control").unwrap().contains("no-store"));
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    // The secret key never reaches the browser.
    assert!(!answer.text().contains(&created.secret_key));
}

#[tokio::test]
async fn every_alias_of_an_account_logs_in() {
    let app = TestApp::multi_session().await;
    app.add_user("Alice.Kim@Example.com", Some("alice")).await;
    for name in [
        "alice",
        "ALICE",
        "Ａｌｉｃｅ",
        " alice ",
        "alice.kim@example.com",
        "ALICE.KIM@EXAMPLE.COM",
    ] {
        let answer = app.login(name, PASSWORD).await;
        assert_eq!(
            answer.json()["authenticated"],
            true,
            "{name:?}: {}",
            answer.text()
        );
    }
}

#[tokio::test]
async fn passwords_are_exact_but_nfc_equivalent() {
    let app = TestApp::new().await;
    app.add_user_with(
        "cafe@example.com",
        None,
        "caf\u{e9}-Latte1",
        baigate_companion::model::Role::User,
    )
    .await;
    // The decomposed spelling of the same text logs in...
    let answer = app.login("cafe@example.com", "cafe\u{301}-Latte1").await;
    assert_eq!(answer.json()["authenticated"], true);
    // ...but case, spaces and truncations do not.
    for wrong in [
        "CAF\u{e9}-LATTE1",
        "caf\u{e9}-Latte1 ",
        "caf\u{e9}-Latte",
        "caf\u{e9} -Latte1",
    ] {
        let answer = app.login("cafe@example.com", wrong).await;
        assert_eq!(answer.json()["authenticated"], false, "{wrong:?}");
    }
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_get_the_same_answer_and_the_same_work() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    let before = app.domain.hasher().verifications();
    let wrong = app.login("alice", "Wr0ng!password").await;
    let after_wrong = app.domain.hasher().verifications();
    let unknown = app.login("ghost", "Wr0ng!password").await;
    let after_unknown = app.domain.hasher().verifications();
    let hidden = app.login("al\u{200D}ice", "Wr0ng!password").await;
    let after_hidden = app.domain.hasher().verifications();

    // One bcrypt verification at the configured cost each: the dummy hash for
    // unknown names is made at the same cost as real ones.
    assert_eq!(after_wrong - before, 1);
    assert_eq!(after_unknown - after_wrong, 1);
    assert_eq!(after_hidden - after_unknown, 1);

    let expected = json!({
        "authenticated": false,
        "data": {
            "type": "https://api.backend.ai/probs/auth-failed",
            "title": "Credential/signature mismatch.",
            "details": "User credential mismatch.",
        },
    });
    for answer in [&wrong, &unknown, &hidden] {
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.json(), expected);
    }
    assert_eq!(wrong.body, unknown.body, "byte-identical bodies");
    let names = |a: &Answer| {
        let mut names: Vec<String> = a.headers.keys().map(|k| k.to_string()).collect();
        names.retain(|n| n != "date");
        names.sort();
        names
    };
    assert_eq!(names(&wrong), names(&unknown), "the same header set");
    assert!(
        wrong.header("set-cookie").is_none(),
        "no session for a failure"
    );
}

#[tokio::test]
async fn missing_or_empty_fields_are_400_in_backend_ai_words() {
    let app = TestApp::new().await;
    let cases = [
        (json!({"password": PASSWORD}), "username"),
        (json!({"username": "", "password": PASSWORD}), "username"),
        (json!({"username": "alice"}), "password"),
        (json!({"username": "alice", "password": ""}), "password"),
        (json!({}), "username"),
    ];
    for (body, field) in cases {
        let answer = app.post_json("/server/login", &body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            answer.json(),
            json!({
                "type": "https://api.backend.ai/probs/invalid-api-params",
                "title": format!("You must provide the {field} field."),
                "details": null,
                "field": field,
            })
        );
        assert!(
            answer
                .header("content-type")
                .unwrap()
                .starts_with("application/problem+json")
        );
    }
    // The WebUI's silent login with an empty body on page load gets the same 400.
    let answer = Answer::from(app.client.post("/server/login").send().await).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_logged_in_session_cannot_log_in_again() {
    let app = TestApp::multi_session().await;
    app.add_user("user@example.com", Some("alice")).await;
    let token = app.session("alice", PASSWORD).await;
    let answer = Answer::from(
        app.client
            .post("/server/login")
            .header("X-BackendAI-SessionID", &token)
            .body_json(&json!({"username": "alice", "password": PASSWORD}))
            .send()
            .await,
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.json()["type"],
        "https://api.backend.ai/probs/generic-bad-request"
    );
    assert_eq!(answer.json()["title"], "You have already logged in.");
    // A stale or foreign token does not block a login.
    let answer = Answer::from(
        app.client
            .post("/server/login")
            .header("Cookie", format!("AIOHTTP_SESSION={}", "0".repeat(64)))
            .body_json(&json!({"username": "alice", "password": PASSWORD}))
            .send()
            .await,
    )
    .await;
    assert_eq!(answer.json()["authenticated"], true);
}

/// Protocol §1.3, first vector: the exact body the real WebUI would send to an
/// endpoint of `http://127.0.0.1:18080`.
#[tokio::test]
async fn the_webui_encrypted_body_logs_in() {
    let app = TestApp::new().await;
    app.add_user("user2@example.com", None).await;
    let wire = "ABCDEFGHIJKLMNOP:mX+94ZMn3hIOvfhQO/mgkT/05yfb/ImdiKxC7aeeazX6ZdFxwo1rQEdhRu2B7R4SIely4sbxdyoRGjVIvoPelg==";
    let send = |host: &'static str| {
        app.client
            .post("/server/login")
            .header("Host", host)
            .header("X-BackendAI-Encoded", "true")
            .content_type("application/json")
            .body(wire)
            .send()
    };
    let answer = Answer::from(send("127.0.0.1:18080").await).await;
    assert_eq!(answer.json()["authenticated"], true, "{}", answer.text());

    // The same body reaching a different host cannot be decrypted: a clear 400.
    let other = TestApp::new().await;
    other.add_user("user2@example.com", None).await;
    let answer = Answer::from(
        other
            .client
            .post("/server/login")
            .header("Host", "127.0.0.1:18081")
            .header("X-BackendAI-Encoded", "true")
            .body(wire)
            .send()
            .await,
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.json()["title"]
            .as_str()
            .unwrap()
            .contains("decrypted")
    );
}

#[tokio::test]
async fn login_check_accepts_header_or_cookie_and_reports_expiry() {
    let app = TestApp::new().await;
    let created = app.add_user("user@example.com", Some("alice")).await;
    let token = app.session("alice", PASSWORD).await;
    let expected = json!({
        "authenticated": true,
        "data": {"access_key": created.user.access_key, "role": "user", "status": "active"},
        "session_id": token,
        "expires": "2027-01-15T09:00:00Z",
    });
    assert_eq!(app.login_check(&token).await, expected);
    for request in [
        app.client
            .post("/server/login-check")
            .header("Cookie", format!("theme=dark; AIOHTTP_SESSION={token}")),
        app.client
            .get("/server/login-check")
            .header("Cookie", format!("AIOHTTP_SESSION={token}")),
    ] {
        let answer = Answer::from(request.send().await).await;
        assert_eq!(answer.json(), expected);
    }
    let anonymous = json!({"authenticated": false, "data": null, "session_id": null});
    let answer = Answer::from(app.client.post("/server/login-check").send().await).await;
    assert_eq!(answer.json(), anonymous);
    for bogus in ["x", &"f".repeat(64), &token.to_uppercase(), "' OR 1=1 --"] {
        assert_eq!(app.login_check(bogus).await, anonymous, "{bogus}");
    }
}

#[tokio::test]
async fn sessions_expire_after_their_lifetime_and_absolute_limit() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    let token = app.session("alice", PASSWORD).await;
    app.clock.advance(60 * 60 - 1);
    assert_eq!(app.login_check(&token).await["authenticated"], true);
    app.clock.advance(1);
    assert_eq!(app.login_check(&token).await["authenticated"], false);

    // Expired rows are swept.
    let purged = app
        .domain
        .store()
        .purge_expired_sessions(app.domain.now())
        .await
        .unwrap();
    assert_eq!(purged, 1);
}

#[tokio::test]
async fn logout_ends_the_session_and_clears_the_cookie() {
    let app = TestApp::multi_session().await;
    app.add_user("user@example.com", Some("alice")).await;
    let token = app.session("alice", PASSWORD).await;
    let other = app.session("alice", PASSWORD).await;
    let answer = Answer::from(
        app.client
            .post("/server/logout")
            .header("Cookie", format!("AIOHTTP_SESSION={token}"))
            .content_type("text/plain")
            .send()
            .await,
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert!(answer.body.is_empty());
    let cookie = answer.header("set-cookie").unwrap();
    assert!(cookie.starts_with("AIOHTTP_SESSION=\"\";"), "{cookie}");
    assert!(cookie.contains("Max-Age=0"));
    assert_eq!(app.login_check(&token).await["authenticated"], false);
    // Only that session ended.
    assert_eq!(app.login_check(&other).await["authenticated"], true);
    // Logging out again, or with no session, still succeeds.
    for _ in 0..2 {
        let answer = Answer::from(
            app.client
                .post("/server/logout")
                .header("X-BackendAI-SessionID", &token)
                .send()
                .await,
        )
        .await;
        assert_eq!(answer.status, StatusCode::CREATED);
    }
}

#[tokio::test]
async fn the_database_holds_only_token_hashes() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    let token = app.session("alice", PASSWORD).await;
    drop(app.login_check(&token).await);
    let raw = std::fs::read(app.config.database_path()).unwrap();
    let wal =
        std::fs::read(app.config.database_path().with_extension("sqlite3-wal")).unwrap_or_default();
    for bytes in [&raw, &wal] {
        assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()));
        let binary = hex::decode(&token).unwrap();
        assert!(!bytes.windows(binary.len()).any(|w| w == binary.as_slice()));
    }
    let stored: Vec<u8> = app
        .database()
        .query_row("SELECT token_hash FROM sessions", [], |row| row.get(0))
        .unwrap();
    assert_eq!(stored.len(), 32);
}

#[tokio::test]
async fn disabled_and_unverified_accounts_are_told_only_with_the_right_password() {
    let app = TestApp::new().await;
    app.add_user("off@example.com", Some("off")).await;
    app.add_user("new@example.com", Some("new")).await;
    let db = app.database();
    db.execute(
        "UPDATE users SET status = 'inactive' WHERE username = 'off'",
        [],
    )
    .unwrap();
    db.execute(
        "UPDATE users SET status = 'before-verification' WHERE username = 'new'",
        [],
    )
    .unwrap();
    let details = |answer: &Answer| {
        answer.json()["data"]["details"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let disabled = app.login("off", PASSWORD).await;
    assert_eq!(
        details(&disabled),
        "This account has been disabled. Contact your administrator."
    );
    assert_eq!(
        disabled.json()["data"]["type"],
        "https://api.backend.ai/probs/account-disabled"
    );
    assert_eq!(
        details(&app.login("new", PASSWORD).await),
        "This account needs email verification."
    );
    for name in ["off", "new"] {
        let answer = app.login(name, "Wr0ng!password").await;
        assert_eq!(details(&answer), "User credential mismatch.");
    }
    // A disabled account's existing sessions stop working at once.
    app.add_user("later@example.com", Some("later")).await;
    let token = app.session("later", PASSWORD).await;
    db.execute(
        "UPDATE users SET status = 'inactive' WHERE username = 'later'",
        [],
    )
    .unwrap();
    assert_eq!(app.login_check(&token).await["authenticated"], false);
}

#[tokio::test]
async fn a_weaker_hash_is_upgraded_on_login() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    let stronger = TestApp::with(|config| {
        config.password.bcrypt_cost = 5;
        config.session.max_concurrent = 10;
        config.data_dir = app.config.data_dir.clone();
    })
    .await;
    let hash = || -> String {
        app.database()
            .query_row("SELECT password_hash FROM users", [], |row| row.get(0))
            .unwrap()
    };
    assert!(hash().starts_with("$2b$04$"));
    stronger.session("alice", PASSWORD).await;
    assert!(hash().starts_with("$2b$05$"), "{}", hash());
    stronger.session("alice", PASSWORD).await;
}

#[tokio::test]
async fn authentication_events_are_audited() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    app.login("alice", "Wr0ng!password").await;
    app.login("Ghost", "Wr0ng!password").await;
    let token = app.session("alice", PASSWORD).await;
    app.client
        .post("/server/logout")
        .header("X-BackendAI-SessionID", &token)
        .send()
        .await;
    assert_eq!(
        app.audit_kinds(),
        [
            "user_created",
            "login_failed",
            "login_failed",
            "login_ok",
            "logout"
        ]
    );
    let (identifier, user_id): (Option<String>, Option<i64>) = app
        .database()
        .query_row(
            "SELECT identifier, user_id FROM audit_events WHERE kind = 'login_failed' ORDER BY id DESC",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        identifier.as_deref(),
        Some("ghost"),
        "canonical name of an unknown login"
    );
    assert_eq!(user_id, None);
    let last_login: Option<i64> = app
        .database()
        .query_row("SELECT last_login_at FROM users", [], |row| row.get(0))
        .unwrap();
    assert_eq!(last_login, Some(crate::support::START));
}
