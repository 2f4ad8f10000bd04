//! Concurrent sessions (AT-20), the session list, the session timer (AT-19)
//! and the per-IP throttle.

use poem::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{Answer, PASSWORD, START, TestApp};

async fn login_with(app: &TestApp, body: Value) -> Answer {
    app.post_json("/server/login", &body).await
}

fn credentials(extra: Value) -> Value {
    let mut body = json!({"username": "alice", "password": PASSWORD});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        for (key, value) in extra {
            body.insert(key.clone(), value.clone());
        }
    }
    body
}

async fn list(app: &TestApp, token: &str) -> Answer {
    Answer::from(
        app.client
            .get("/companion/sessions")
            .header("X-BackendAI-SessionID", token)
            .send()
            .await,
    )
    .await
}

#[tokio::test]
async fn a_second_login_is_told_and_can_end_the_other_session() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    let first = app.session("alice", PASSWORD).await;

    // Wrong password: the usual refusal, nothing about sessions.
    let wrong = login_with(
        &app,
        json!({"username": "alice", "password": "Wr0ng!password"}),
    )
    .await;
    assert_eq!(
        wrong.json()["data"]["type"],
        "https://api.backend.ai/probs/auth-failed"
    );

    let conflict = login_with(&app, credentials(json!({}))).await;
    assert_eq!(conflict.status, StatusCode::OK);
    let json = conflict.json();
    assert_eq!(json["authenticated"], false);
    assert_eq!(
        json["data"]["type"],
        "https://api.backend.ai/probs/active-login-session-exists"
    );
    assert_eq!(
        json["data"]["title"],
        "Too many concurrent login sessions for this user."
    );
    assert_eq!(json["data"]["details"], Value::Null);
    let sessions = json["data"]["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["current"], false);
    assert!(!conflict.text().contains(&first), "never a token");
    assert!(conflict.header("set-cookie").is_none());
    // "Cancel": the first session is untouched.
    assert_eq!(app.login_check(&first).await["authenticated"], true);

    // "End the other and log in".
    let forced = login_with(&app, credentials(json!({"force": true}))).await;
    assert_eq!(forced.json()["authenticated"], true);
    let second = forced.header("x-backendai-sessionid").unwrap().to_owned();
    assert_eq!(app.login_check(&first).await["authenticated"], false);
    assert_eq!(app.login_check(&second).await["authenticated"], true);
    assert!(app.audit_kinds().contains(&"session_ended".to_owned()));
}

#[tokio::test]
async fn the_caller_can_pick_which_session_ends() {
    let app = TestApp::with(|c| c.session.max_concurrent = 2).await;
    app.add_user("user@example.com", Some("alice")).await;
    let oldest = app.session("alice", PASSWORD).await;
    app.clock.advance(10);
    let newer = app.session("alice", PASSWORD).await;
    let conflict = login_with(&app, credentials(json!({}))).await.json();
    let sessions = conflict["data"]["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2);
    let newer_id = sessions[1]["id"].as_str().unwrap().to_owned();

    let unknown = login_with(
        &app,
        credentials(json!({"force": true, "end_session": "nope"})),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.json()["field"], "end_session");

    let forced = login_with(
        &app,
        credentials(json!({"force": true, "end_session": newer_id})),
    )
    .await;
    assert_eq!(forced.json()["authenticated"], true);
    assert_eq!(
        app.login_check(&oldest).await["authenticated"],
        true,
        "the oldest was kept"
    );
    assert_eq!(app.login_check(&newer).await["authenticated"], false);
}

#[tokio::test]
async fn another_accounts_session_cannot_be_named() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    app.add_user("bob@example.com", Some("bob")).await;
    let bob = app.session("bob", PASSWORD).await;
    let bobs_id = list(&app, &bob).await.json()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.session("alice", PASSWORD).await;
    let answer = login_with(
        &app,
        credentials(json!({"force": true, "end_session": bobs_id})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.login_check(&bob).await["authenticated"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_logins_never_exceed_the_limit() {
    let app = TestApp::with(|c| c.session.max_concurrent = 2).await;
    app.add_user("user@example.com", Some("alice")).await;
    let forced = (0..8).map(|_| login_with(&app, credentials(json!({"force": true}))));
    let answers = futures_util::future::join_all(forced).await;
    assert!(answers.iter().all(|a| a.json()["authenticated"] == true));
    let live: i64 = app
        .database()
        .query_row("SELECT count(*) FROM sessions", [], |row| row.get(0))
        .unwrap();
    assert_eq!(live, 2);
    // Unforced racers: at most the limit get in.
    let fresh = TestApp::with(|c| c.session.max_concurrent = 2).await;
    fresh.add_user("user@example.com", Some("alice")).await;
    let racers = (0..8).map(|_| login_with(&fresh, credentials(json!({}))));
    let answers = futures_util::future::join_all(racers).await;
    assert_eq!(
        answers
            .iter()
            .filter(|a| a.json()["authenticated"] == true)
            .count(),
        2
    );
}

#[tokio::test]
async fn the_session_list_and_ending_one() {
    let app = TestApp::with(|c| c.session.max_concurrent = 3).await;
    app.add_user("user@example.com", Some("alice")).await;
    let here = Answer::from(
        app.client
            .post("/server/login")
            .header("User-Agent", "Test Browser/1.0")
            .body_json(&credentials(json!({})))
            .send()
            .await,
    )
    .await
    .header("x-backendai-sessionid")
    .unwrap()
    .to_owned();
    app.clock.advance(5);
    let other = app.session("alice", PASSWORD).await;

    let answer = list(&app, &here).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let sessions = answer.json();
    let sessions = sessions.as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0]["current"], true);
    assert_eq!(sessions[0]["user_agent"], "Test Browser/1.0");
    assert_eq!(sessions[0]["created_at"], "2027-01-15T08:00:00Z");
    assert_eq!(sessions[1]["current"], false);
    assert!(!answer.text().contains(&here) && !answer.text().contains(&other));

    let other_id = sessions[1]["id"].as_str().unwrap();
    let end = |id: String, token: String| {
        let app = &app;
        async move {
            Answer::from(
                app.client
                    .delete(format!("/companion/sessions/{id}"))
                    .header("X-BackendAI-SessionID", token)
                    .send()
                    .await,
            )
            .await
        }
    };
    assert_eq!(
        end(other_id.to_owned(), here.clone()).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.login_check(&other).await["authenticated"], false);
    assert_eq!(
        end(other_id.to_owned(), here.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        end("x".into(), "bogus".into()).await.status,
        StatusCode::UNAUTHORIZED
    );
    let anonymous = Answer::from(app.client.get("/companion/sessions").send().await).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.json()["type"],
        "https://api.backend.ai/probs/auth-failed"
    );
}

#[tokio::test]
async fn extending_moves_the_end_up_to_the_absolute_limit() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    let token = app.session("alice", PASSWORD).await;
    let extend = || {
        let token = token.clone();
        let app = &app;
        async move {
            Answer::from(
                app.client
                    .post("/server/extend-login-session")
                    .header("X-BackendAI-SessionID", token)
                    .send()
                    .await,
            )
            .await
        }
    };
    app.clock.advance(30 * 60);
    let answer = extend().await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json(),
        json!({"status": 201, "expires": "2027-01-15T09:30:00Z"})
    );
    assert_eq!(
        app.login_check(&token).await["expires"],
        "2027-01-15T09:30:00Z"
    );

    // Extending every five minutes keeps it alive, but never past 24 hours.
    let mut now = START + 30 * 60;
    while now < START + 24 * 3600 - 300 {
        now += 300;
        app.clock.set(now);
        assert_eq!(extend().await.status, StatusCode::OK);
    }
    assert_eq!(
        app.login_check(&token).await["expires"],
        "2027-01-16T08:00:00Z"
    );
    app.clock.set(START + 24 * 3600);
    assert_eq!(app.login_check(&token).await["authenticated"], false);
    assert_eq!(extend().await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_idle_session_ends_after_its_lifetime() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    let token = app.session("alice", PASSWORD).await;
    // Activity alone does not extend it; only an explicit extension does.
    for _ in 0..11 {
        app.clock.advance(5 * 60);
        assert_eq!(app.login_check(&token).await["authenticated"], true);
    }
    app.clock.advance(5 * 60);
    assert_eq!(app.login_check(&token).await["authenticated"], false);
    // The ended session no longer counts against the limit.
    assert_eq!(
        app.login("alice", PASSWORD).await.json()["authenticated"],
        true
    );
}

#[tokio::test]
async fn the_webui_is_told_it_can_extend_sessions() {
    let app = TestApp::new().await;
    let config: toml::Table = toml::from_str(&app.get("/config.toml").await.text()).unwrap();
    assert_eq!(
        config["general"]["enableExtendLoginSession"].as_bool(),
        Some(true)
    );
}

#[tokio::test]
async fn the_summary_shows_the_account_and_the_host() {
    let app = TestApp::multi_session().await;
    app.add_user("user@example.com", Some("alice")).await;
    let first = app.session("alice", PASSWORD).await;
    drop(first);
    app.clock.advance(60);
    let token = app.session("alice", PASSWORD).await;
    let answer = Answer::from(
        app.client
            .get("/companion/summary")
            .header("X-BackendAI-SessionID", &token)
            .send()
            .await,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let json = answer.json();
    assert_eq!(json["account"]["email"], "user@example.com");
    assert_eq!(json["account"]["role"], "user");
    assert_eq!(json["account"]["totp_enabled"], false);
    assert_eq!(json["account"]["live_sessions"], 2);
    assert_eq!(
        json["account"]["last_login_at"], "2027-01-15T08:00:00Z",
        "the login before this one"
    );
    let host = &json["host"];
    assert!(host["cpu_count"].as_u64().unwrap() >= 1);
    assert!(
        host["memory_total_bytes"].as_u64().unwrap() > host["memory_used_bytes"].as_u64().unwrap()
    );
    assert!(host["disk_total_bytes"].as_u64().unwrap() > 0);
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    let anonymous = Answer::from(app.client.get("/companion/summary").send().await).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}
