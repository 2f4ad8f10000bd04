//! Lockout (AT-03 to AT-09): ten failures in a row lock an account for
//! twenty minutes from the tenth, before any bcrypt work; aliases share one
//! counter; unknown names lock the same way; the count is exact under real
//! concurrency.

use baigate_companion::model::ClientInfo;
use poem::http::StatusCode;
use serde_json::json;

use crate::smtp::SmtpServer;
use crate::support::{Answer, PASSWORD, START, TestApp};

const WRONG: &str = "Wr0ng!password";

async fn failures(app: &TestApp, name: &str, n: usize) {
    for i in 0..n {
        let answer = app.login(name, WRONG).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "attempt {i} for {name}: {}",
            answer.text()
        );
        assert_eq!(
            answer.json()["data"]["details"],
            "User credential mismatch."
        );
    }
}

fn assert_locked(answer: &Answer, retry_after: u64) {
    assert_eq!(
        answer.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        answer.text()
    );
    let json = answer.json();
    assert_eq!(
        json["type"],
        "https://api.backend.ai/probs/too-many-requests"
    );
    assert_eq!(json["title"], "Too many failed login attempts");
    assert_eq!(json["retry_after"], retry_after);
    assert_eq!(
        answer.header("retry-after"),
        Some(retry_after.to_string().as_str())
    );
    assert!(json["details"].as_str().unwrap().contains("Try again in"));
}

#[tokio::test]
async fn the_eleventh_attempt_is_refused_even_with_the_right_password() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    failures(&app, "alice", 10).await;
    let verifications = app.domain.hasher().verifications();
    app.clock.advance(1);
    assert_locked(&app.login("alice", PASSWORD).await, 1199);
    assert_eq!(
        app.domain.hasher().verifications(),
        verifications,
        "no bcrypt while locked"
    );
    // The same 429 on the password change that needs no session.
    let change = app
        .post_json(
            "/server/update-password-no-auth",
            &json!({"username": "alice", "current_password": PASSWORD, "new_password": "N3w!passphrase"}),
        )
        .await;
    assert_eq!(change.status, StatusCode::TOO_MANY_REQUESTS);
    // Exactly twenty minutes after the tenth failure, the right password works.
    app.clock.set(START + 1199);
    assert_locked(&app.login("alice", PASSWORD).await, 1);
    app.clock.set(START + 1200);
    assert_eq!(
        app.login("alice", PASSWORD).await.json()["authenticated"],
        true
    );
    let kinds = app.audit_kinds();
    assert_eq!(kinds.iter().filter(|k| *k == "login_locked").count(), 1);
}

#[tokio::test]
async fn attempts_during_the_lock_do_not_extend_it() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    failures(&app, "alice", 10).await;
    for minute in 1..20 {
        app.clock.set(START + minute * 60);
        let answer = app.login("alice", WRONG).await;
        assert_locked(&answer, u64::try_from(1200 - minute * 60).unwrap());
    }
    app.clock.set(START + 1200);
    assert_eq!(
        app.login("alice", PASSWORD).await.json()["authenticated"],
        true
    );
}

#[tokio::test]
async fn every_alias_counts_against_one_account() {
    let app = TestApp::new().await;
    app.add_user("Alice@Example.com", Some("alice")).await;
    failures(&app, "alice", 4).await;
    failures(&app, "ALICE@Example.com", 3).await;
    failures(&app, "Ａｌｉｃｅ", 3).await;
    for alias in ["alice", "alice@example.com", " ALICE "] {
        assert_eq!(
            app.login(alias, PASSWORD).await.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{alias}"
        );
    }
}

#[tokio::test]
async fn unknown_names_lock_with_the_same_answer() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    failures(&app, "ghost", 10).await;
    failures(&app, "alice", 10).await;
    let ghost = app.login("ghost", WRONG).await;
    let alice = app.login("alice", WRONG).await;
    assert_locked(&ghost, 1200);
    assert_eq!(ghost.body, alice.body, "byte-identical refusals");
    // Other spellings of the unknown name share its counter too.
    assert_eq!(
        app.login("GHOST", WRONG).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn success_resets_the_count() {
    let app = TestApp::multi_session().await;
    app.add_user("user@example.com", Some("alice")).await;
    failures(&app, "alice", 9).await;
    assert_eq!(
        app.login("alice", PASSWORD).await.json()["authenticated"],
        true
    );
    failures(&app, "alice", 9).await;
    assert_eq!(
        app.login("alice", PASSWORD).await.json()["authenticated"],
        true
    );
}

/// 50 wrong passwords at once: at most ten reach bcrypt, the stored count is
/// exactly ten, and the right password is refused afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_at_once_never_overcount() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    let before = app.domain.hasher().verifications();
    let attempts = (0..50).map(|_| app.login("alice", WRONG));
    let answers = futures_util::future::join_all(attempts).await;
    let checked = app.domain.hasher().verifications() - before;
    let mismatches = answers
        .iter()
        .filter(|a| a.status == StatusCode::OK)
        .count();
    let locked = answers
        .iter()
        .filter(|a| a.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(checked, 10, "bcrypt checks");
    assert_eq!(mismatches, 10);
    assert_eq!(locked, 40);
    let (failures, consecutive): (i64, i64) = app
        .database()
        .query_row(
            "SELECT failures, consecutive FROM login_guards WHERE key LIKE 'user:%'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!((failures, consecutive), (10, 10));
    assert_eq!(
        app.login("alice", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// AT-08: ten locks in a row without a success turn password login off until
/// a reset or an administrator's unlock.
#[tokio::test]
async fn a_hundred_failures_in_a_row_turn_password_login_off() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    for _ in 0..10 {
        failures(&app, "alice", 10).await;
        app.clock.advance(1201);
    }
    let answer = app.login("alice", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    let json = answer.json();
    assert!(json.get("retry_after").is_none());
    // baigate's own state: a type of its own, so clients need not read prose.
    assert_eq!(
        json["type"],
        "https://api.backend.ai/probs/password-login-disabled"
    );
    assert!(
        json["details"]
            .as_str()
            .unwrap()
            .contains("Password login is off")
    );
    app.clock.advance(86_400 * 30);
    assert_eq!(
        app.login("alice", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert!(app.audit_kinds().contains(&"login_disabled".to_owned()));
    let (user, was_locked) = app
        .domain
        .unlock("ALICE", ClientInfo::command_line())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.username, "alice");
    assert!(was_locked);
    assert_eq!(
        app.login("alice", PASSWORD).await.json()["authenticated"],
        true
    );
    assert!(app.audit_kinds().contains(&"login_unlocked".to_owned()));
}

#[tokio::test]
async fn the_owner_is_mailed_when_a_lock_starts() {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let app = TestApp::with(move |c| c.mail.smtp_url = Some(url)).await;
    app.add_user("user@example.com", Some("alice")).await;
    failures(&app, "alice", 9).await;
    app.domain.settle_background().await;
    assert!(smtp.messages().is_empty());
    let answer = Answer::from(
        app.client
            .post("/server/login")
            .header("Accept-Language", "ko")
            .body_json(&json!({"username": "alice", "password": WRONG}))
            .send()
            .await,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    // More attempts during the lock send nothing more.
    app.login("alice", WRONG).await;
    app.domain.settle_background().await;
    let mails = smtp.messages_to("user@example.com");
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].subject.contains("로그인이 일시 중지되었습니다"),
        "{}",
        mails[0].subject
    );
    assert!(
        mails[0].text.contains("2027-01-15 08:20:00"),
        "{}",
        mails[0].text
    );
    // Unknown names have no owner to tell.
    failures(&app, "ghost", 10).await;
    app.domain.settle_background().await;
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test]
async fn a_password_reset_lifts_the_lock() {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let app = TestApp::with(move |c| c.mail.smtp_url = Some(url)).await;
    app.add_user("user@example.com", Some("alice")).await;
    failures(&app, "alice", 10).await;
    app.post_json(
        "/func/cloud/send-password-change-email",
        &json!({"email": "user@example.com"}),
    )
    .await;
    app.domain.settle_background().await;
    let token = smtp
        .messages_to("user@example.com")
        .into_iter()
        .find(|m| m.contains("/change-password?token="))
        .unwrap()
        .link_param("http://127.0.0.1:8090/change-password", "token");
    let answer = app
        .post_json(
            "/func/cloud/change-password",
            &json!({"email": "user@example.com", "password": "N3w!passphrase", "token": token}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(
        app.login("alice", "N3w!passphrase").await.json()["authenticated"],
        true
    );
}

#[tokio::test]
async fn the_logged_in_change_counts_wrong_old_passwords() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    let token = app.session("alice", PASSWORD).await;
    let change = |old: &'static str| {
        let token = token.clone();
        let app = &app;
        async move {
            Answer::from(
                app.client
                    .post("/func/auth/update-password")
                    .header("X-BackendAI-SessionID", token)
                    .body_json(&json!({"old_password": old, "new_password": "N3w!passphrase", "new_password2": "N3w!passphrase"}))
                    .send()
                    .await,
            )
            .await
        }
    };
    for _ in 0..10 {
        assert_eq!(change(WRONG).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(change(PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_thresholds_are_configurable() {
    let app = TestApp::with(|c| {
        c.lockout.max_failures = 3;
        c.lockout.duration = std::time::Duration::from_secs(60);
    })
    .await;
    app.add_user("user@example.com", Some("alice")).await;
    failures(&app, "alice", 3).await;
    assert_locked(&app.login("alice", PASSWORD).await, 60);
    app.clock.advance(60);
    assert_eq!(
        app.login("alice", PASSWORD).await.json()["authenticated"],
        true
    );
}
