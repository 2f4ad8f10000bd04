//! Forgot password by mail, the change-password page and call, the logged-in
//! password change: the abuse cases of AT-15 to AT-18.

use baigate_companion::config::SignupMode;
use poem::http::StatusCode;
use serde_json::json;

use crate::smtp::SmtpServer;
use crate::support::{Answer, PASSWORD, TestApp};

const ORIGIN: &str = "https://login.example.com";
const NEW_PASSWORD: &str = "N3w!passphrase";

async fn app_with(smtp: &SmtpServer) -> TestApp {
    let url = smtp.url();
    TestApp::with(move |config| {
        config.mail.smtp_url = Some(url);
        config.server.public_url = Some(ORIGIN.parse().unwrap());
        config.session.max_concurrent = 10;
    })
    .await
}

async fn forgot(app: &TestApp, email: &str) -> Answer {
    app.post_json(
        "/func/cloud/send-password-change-email",
        &json!({"email": email}),
    )
    .await
}

/// Asks for a reset and returns the token from the mail.
async fn reset_token(app: &TestApp, smtp: &SmtpServer, email: &str) -> String {
    let resets = || -> Vec<crate::smtp::Mail> {
        smtp.messages_to(email)
            .into_iter()
            .filter(|m| m.contains("/change-password?token="))
            .collect()
    };
    let before = resets().len();
    assert_eq!(forgot(app, email).await.status, StatusCode::OK);
    app.domain.settle_background().await;
    let mails = resets();
    assert_eq!(mails.len(), before + 1, "one new reset mail");
    mails[before].link_param(&format!("{ORIGIN}/change-password"), "token")
}

async fn change(app: &TestApp, email: &str, password: &str, token: &str) -> Answer {
    app.post_json(
        "/func/cloud/change-password",
        &json!({"email": email, "password": password, "token": token}),
    )
    .await
}

#[tokio::test]
async fn forgot_mail_page_form_then_login_with_the_new_password() {
    let smtp = SmtpServer::start();
    let app = app_with(&smtp).await;
    app.add_user("user@example.com", Some("alice")).await;
    let first = app.session("alice", PASSWORD).await;
    let second = app.session("user@example.com", PASSWORD).await;

    let answer = Answer::from(
        app.client
            .post("/func/cloud/send-password-change-email")
            .header("Accept-Language", "ja")
            .body_json(&json!({"email": "USER@example.com"}))
            .send()
            .await,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    app.domain.settle_background().await;
    let mail = &smtp.messages_to("user@example.com")[0];
    assert!(
        mail.subject.contains("パスワード再設定"),
        "{}",
        mail.subject
    );
    let path = mail.link_path(&format!("{ORIGIN}/change-password"));

    // The link opens a form; nothing changes until it is posted.
    let page = app.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("<form method=\"post\" action=\"/change-password"));
    assert!(html.contains("name=\"token\""));
    assert!(
        html.contains("data-rule=\"min-length\""),
        "the checklist is on the page"
    );
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(app.login_check(&first).await["authenticated"], true);

    let token = mail.link_param(&format!("{ORIGIN}/change-password"), "token");
    let token = token.as_str();
    assert!(
        path.ends_with("&lang=ja"),
        "the link opens the page in the mail's language"
    );
    assert!(html.contains("新しいパスワードの設定"));
    let mismatch = app
        .post_form(
            "/change-password?lang=ja",
            &[
                ("token", token),
                ("email", "user@example.com"),
                ("password", NEW_PASSWORD),
                ("password_confirm", "other"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, StatusCode::BAD_REQUEST);
    assert!(mismatch.text().contains("2つのパスワードが一致しません。"));
    let weak = app
        .post_form(
            "/change-password?lang=ja",
            &[
                ("token", token),
                ("email", "user@example.com"),
                ("password", "weakpass"),
                ("password_confirm", "weakpass"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert!(weak.text().contains("数字を1つ以上含む"), "{}", weak.text());

    let done = app
        .post_form(
            "/change-password?lang=ja",
            &[
                ("token", token),
                ("email", "user@example.com"),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    assert!(
        done.text().contains("すべてのセッションを終了しました"),
        "{}",
        done.text()
    );
    // No one is logged in by a reset.
    assert!(done.header("set-cookie").is_none() && done.header("x-backendai-sessionid").is_none());
    for token in [&first, &second] {
        assert_eq!(app.login_check(token).await["authenticated"], false);
    }
    assert_eq!(
        app.login("alice", PASSWORD).await.json()["authenticated"],
        false
    );
    assert_eq!(
        app.login("alice", NEW_PASSWORD).await.json()["authenticated"],
        true
    );

    app.domain.settle_background().await;
    let mails = smtp.messages_to("user@example.com");
    assert_eq!(mails.len(), 2, "the reset mail and the notice");
    assert!(
        mails[1].subject.contains("パスワードが変更されました"),
        "{}",
        mails[1].subject
    );
    let kinds = app.audit_kinds();
    assert!(kinds.contains(&"password_reset_requested".to_owned()));
    assert!(kinds.contains(&"password_reset".to_owned()));
}

#[tokio::test]
async fn every_token_abuse_gets_the_same_refusal() {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let app = TestApp::with(move |config| {
        config.mail.smtp_url = Some(url);
        config.server.public_url = Some(ORIGIN.parse().unwrap());
        config.signup.mode = SignupMode::Open;
    })
    .await;
    app.add_user("user@example.com", Some("alice")).await;
    let invalid = "https://api.backend.ai/probs/invalid-token";

    // Reuse.
    let token = reset_token(&app, &smtp, "user@example.com").await;
    assert_eq!(
        change(&app, "user@example.com", NEW_PASSWORD, &token)
            .await
            .status,
        StatusCode::OK
    );
    let reused = change(&app, "user@example.com", "An0ther!passphrase", &token).await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST);
    assert_eq!(reused.json()["type"], invalid);

    // One second too late.
    let token = reset_token(&app, &smtp, "user@example.com").await;
    app.clock.advance(15 * 60);
    assert_eq!(
        change(&app, "user@example.com", "An0ther!passphrase", &token)
            .await
            .json()["type"],
        invalid
    );
    app.clock.advance(-1);
    assert_eq!(
        change(&app, "user@example.com", "An0ther!passphrase", &token)
            .await
            .status,
        StatusCode::OK
    );
    app.clock.advance(1);

    // A token of another purpose (email verification) does not reset.
    app.sign_up(json!({"email": "v@example.com", "password": PASSWORD}))
        .await;
    let verification_code = smtp.messages_to("v@example.com")[0]
        .link_param(&format!("{ORIGIN}/verify-email"), "verification_code");
    let verification_code = verification_code.as_str();
    assert_eq!(
        change(&app, "v@example.com", NEW_PASSWORD, verification_code)
            .await
            .json()["type"],
        invalid
    );

    // One character changed.
    let token = reset_token(&app, &smtp, "user@example.com").await;
    let mut flipped = token.clone().into_bytes();
    flipped[10] = if flipped[10] == b'x' { b'y' } else { b'x' };
    let flipped = String::from_utf8(flipped).unwrap();
    assert_eq!(
        change(&app, "user@example.com", "Thi3d!passphrase", &flipped)
            .await
            .json()["type"],
        invalid
    );

    // Another account's address: refused, and the token is not spent.
    app.add_user("other@example.com", None).await;
    assert_eq!(
        change(&app, "other@example.com", "Thi3d!passphrase", &token)
            .await
            .json()["type"],
        invalid
    );

    // Two uses at once: exactly one wins.
    let racing = (0..6).map(|i| {
        let password = format!("Racer{i}!passphrase");
        let token = token.clone();
        let app = &app;
        async move { change(app, "user@example.com", &password, &token).await }
    });
    let answers = futures_util::future::join_all(racing).await;
    assert_eq!(
        answers
            .iter()
            .filter(|a| a.status == StatusCode::OK)
            .count(),
        1
    );
    assert!(
        answers
            .iter()
            .filter(|a| a.status != StatusCode::OK)
            .all(|a| a.json()["type"] == invalid)
    );

    // A newer link retires the older one.
    let older = reset_token(&app, &smtp, "user@example.com").await;
    let newer = reset_token(&app, &smtp, "user@example.com").await;
    assert_eq!(
        change(&app, "user@example.com", "Fourth!pass4", &older)
            .await
            .json()["type"],
        invalid
    );
    assert_eq!(
        change(&app, "user@example.com", "Fourth!pass4", &newer)
            .await
            .status,
        StatusCode::OK
    );

    // The database never held a token in clear.
    let raw = std::fs::read(app.config.database_path()).unwrap();
    let wal =
        std::fs::read(app.config.database_path().with_extension("sqlite3-wal")).unwrap_or_default();
    for token in [&token, &older, &newer] {
        for bytes in [&raw, &wal] {
            assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()));
        }
    }
}

#[tokio::test]
async fn unknown_addresses_get_the_same_answer_and_no_mail_and_floods_are_capped() {
    let smtp = SmtpServer::start();
    let app = app_with(&smtp).await;
    app.add_user("user@example.com", Some("alice")).await;
    let real = forgot(&app, "user@example.com").await;
    let unknown = forgot(&app, "nobody@example.com").await;
    let malformed = forgot(&app, "no at sign").await;
    for answer in [&real, &unknown, &malformed] {
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body, real.body);
        assert!(answer.header("set-cookie").is_none());
    }
    for _ in 0..10 {
        assert_eq!(forgot(&app, "user@example.com").await.body, real.body);
    }
    app.domain.settle_background().await;
    assert!(smtp.messages_to("nobody@example.com").is_empty());
    assert_eq!(
        smtp.messages_to("user@example.com").len(),
        5,
        "at most five an hour"
    );
    // An hour later, mail flows again.
    app.clock.advance(3601);
    forgot(&app, "user@example.com").await;
    app.domain.settle_background().await;
    assert_eq!(smtp.messages_to("user@example.com").len(), 6);
}

#[tokio::test]
async fn links_use_the_configured_url_never_the_request_host() {
    let smtp = SmtpServer::start();
    let app = app_with(&smtp).await;
    app.add_user("user@example.com", Some("alice")).await;
    let answer = Answer::from(
        app.client
            .post("/func/cloud/send-password-change-email")
            .header("Host", "evil.example")
            .header("X-Forwarded-Host", "evil.example")
            .header("X-Forwarded-Proto", "http")
            .body_json(&json!({"email": "user@example.com"}))
            .send()
            .await,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    app.domain.settle_background().await;
    let mail = &smtp.messages_to("user@example.com")[0];
    assert!(
        mail.text
            .contains(&format!("{ORIGIN}/change-password?token=")),
        "{}",
        mail.text
    );
    assert!(!mail.text.contains("evil.example") && !mail.html.contains("evil.example"));
}

#[tokio::test]
async fn reset_can_be_turned_off() {
    let app = TestApp::with(|c| c.signup.allow_password_reset = false).await;
    let answer = forgot(&app, "user@example.com").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.json()["type"],
        "https://api.backend.ai/probs/password-reset-disabled"
    );
    let page = app.get("/forgot-password").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.text().contains("turned off"));
    let posted = app
        .post_form("/forgot-password", &[("email", "user@example.com")])
        .await;
    assert_eq!(posted.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_forgot_page_works_without_javascript() {
    let smtp = SmtpServer::start();
    let app = app_with(&smtp).await;
    app.add_user("user@example.com", Some("alice")).await;
    let page = app.get("/forgot-password?lang=ko").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("비밀번호를 잊으셨나요?"));
    assert!(
        page.text()
            .contains("<form method=\"post\" action=\"/forgot-password?lang=ko\">")
    );
    let done = app
        .post_form("/forgot-password?lang=ko", &[("email", "user@example.com")])
        .await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(done.text().contains("메일을 보냈습니다"), "{}", done.text());
    app.domain.settle_background().await;
    let mail = &smtp.messages_to("user@example.com")[0];
    assert!(mail.subject.contains("비밀번호 재설정"), "{}", mail.subject);
    // An invalid link says so and offers a new one.
    let invalid = app.get("/change-password?token=nonsense").await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert!(invalid.text().contains("href=\"/forgot-password?lang=en\""));
}

#[tokio::test]
async fn a_reset_also_confirms_an_unverified_address() {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let app = TestApp::with(move |config| {
        config.mail.smtp_url = Some(url);
        config.server.public_url = Some(ORIGIN.parse().unwrap());
        config.signup.mode = SignupMode::Open;
    })
    .await;
    app.sign_up(json!({"email": "late@example.com", "username": "late", "password": PASSWORD}))
        .await;
    let token = reset_token(&app, &smtp, "late@example.com").await;
    assert_eq!(
        change(&app, "late@example.com", NEW_PASSWORD, &token)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.login("late", NEW_PASSWORD).await.json()["authenticated"],
        true
    );
}

#[tokio::test]
async fn the_logged_in_password_change_keeps_this_session_only() {
    let smtp = SmtpServer::start();
    let app = app_with(&smtp).await;
    app.add_user("user@example.com", Some("alice")).await;
    let here = app.session("alice", PASSWORD).await;
    let elsewhere = app.session("alice", PASSWORD).await;
    let update = |body: serde_json::Value, token: Option<&str>| {
        let mut request = app
            .client
            .post("/func/auth/update-password")
            .body_json(&body);
        if let Some(token) = token {
            request = request.header("X-BackendAI-SessionID", token);
        }
        async move { Answer::from(request.send().await).await }
    };
    let body = |old: &str, new: &str, again: &str| json!({"old_password": old, "new_password": new, "new_password2": again});

    let cases = [
        (
            body(PASSWORD, NEW_PASSWORD, NEW_PASSWORD),
            None,
            StatusCode::UNAUTHORIZED,
            None,
        ),
        (
            body("Wr0ng!pass", NEW_PASSWORD, NEW_PASSWORD),
            Some(here.as_str()),
            StatusCode::UNAUTHORIZED,
            Some("old_password"),
        ),
        (
            body(PASSWORD, NEW_PASSWORD, "other"),
            Some(here.as_str()),
            StatusCode::BAD_REQUEST,
            Some("new_password2"),
        ),
        (
            body(PASSWORD, "weakpass", "weakpass"),
            Some(here.as_str()),
            StatusCode::BAD_REQUEST,
            Some("new_password"),
        ),
        (
            body(PASSWORD, PASSWORD, PASSWORD),
            Some(here.as_str()),
            StatusCode::BAD_REQUEST,
            Some("new_password"),
        ),
        (
            json!({"old_password": PASSWORD}),
            Some(here.as_str()),
            StatusCode::BAD_REQUEST,
            Some("new_password"),
        ),
    ];
    for (request, token, status, field) in cases {
        let answer = update(request.clone(), token).await;
        assert_eq!(answer.status, status, "{request}: {}", answer.text());
        assert_eq!(answer.json()["field"].as_str(), field, "{request}");
    }
    assert_eq!(
        app.login_check(&elsewhere).await["authenticated"],
        true,
        "nothing changed yet"
    );

    let answer = update(body(PASSWORD, NEW_PASSWORD, NEW_PASSWORD), Some(&here)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(app.login_check(&here).await["authenticated"], true);
    assert_eq!(app.login_check(&elsewhere).await["authenticated"], false);
    assert_eq!(
        app.login("alice", NEW_PASSWORD).await.json()["authenticated"],
        true
    );
    app.domain.settle_background().await;
    assert_eq!(smtp.messages_to("user@example.com").len(), 1, "the notice");
}
