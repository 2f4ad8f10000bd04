//! `/func/auth/signup`: policy, invitations, uniqueness, verification by mail
//! through a real SMTP server.

use baigate_companion::config::SignupMode;
use poem::http::StatusCode;
use serde_json::{Value, json};

use crate::smtp::SmtpServer;
use crate::support::{PASSWORD, TestApp};

const ORIGIN: &str = "http://127.0.0.1:8090";

async fn open_app(smtp: &SmtpServer) -> TestApp {
    let url = smtp.url();
    TestApp::with(move |config| {
        config.signup.mode = SignupMode::Open;
        config.mail.smtp_url = Some(url);
    })
    .await
}

fn signup_body(email: &str, username: &str) -> Value {
    json!({"email": email, "username": username, "password": PASSWORD, "agreement": true})
}

#[tokio::test]
async fn signup_mail_link_then_login() {
    let smtp = SmtpServer::start();
    let app = open_app(&smtp).await;
    let answer = app
        .post_json_in(
            "/func/auth/signup",
            &json!({"email": "New@Example.com", "user_name": "newbie", "password": PASSWORD, "agreement": true}),
            "ko-KR,ko;q=0.9",
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let json = answer.json();
    assert!(json["access_key"].as_str().unwrap().starts_with("AKIA"));
    assert_eq!(json["secret_key"].as_str().unwrap().len(), 40);
    assert_eq!(json["status"], "before-verification");
    assert_eq!(json["verification"]["sent"], true);

    // Not before the address is confirmed, and only said with the right password.
    let login = app.login("newbie", PASSWORD).await.json();
    assert_eq!(login["authenticated"], false);
    assert_eq!(
        login["data"]["details"],
        "This account needs email verification."
    );

    let mails = smtp.messages_to("New@Example.com");
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(
        mail.subject.contains("이메일 주소를 확인해 주세요"),
        "{}",
        mail.subject
    );
    assert!(mail.html.contains("lang=\"ko\""));
    let path = mail.link_path(&format!("{ORIGIN}/verify-email"));
    assert!(
        path.starts_with("/verify-email?verification_code="),
        "{path}"
    );
    assert!(path.ends_with("&lang=ko"), "{path}");

    let page = app.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(
        page.text().contains("이메일 주소가 확인되었습니다"),
        "{}",
        page.text()
    );
    assert_eq!(
        app.login("NEWBIE", PASSWORD).await.json()["authenticated"],
        true
    );
    // Following the link again (a mail scanner got there first) is no error.
    let again = app.get(&path).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(again.text().contains("이미 확인된 주소입니다"));

    let agreed: Option<i64> = app
        .database()
        .query_row("SELECT agreed_at FROM users", [], |row| row.get(0))
        .unwrap();
    assert_eq!(agreed, Some(crate::support::START));
    assert!(app.audit_kinds().contains(&"email_verified".to_owned()));
}

#[tokio::test]
async fn the_json_verification_call_and_its_abuse() {
    let smtp = SmtpServer::start();
    let app = open_app(&smtp).await;
    app.sign_up(signup_body("a@example.com", "a")).await;
    let code =
        smtp.messages()[0].link_param(&format!("{ORIGIN}/verify-email"), "verification_code");
    let app = &app;
    let verify = |code: String| async move {
        app.post_json(
            "/func/cloud/verify-email",
            &json!({"verification_code": code}),
        )
        .await
    };
    let mut flipped = code.clone().into_bytes();
    flipped[5] = if flipped[5] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    for bad in [flipped, "x".to_owned(), String::new()] {
        let answer = verify(bad.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(answer.json()["field"], "verification_code");
    }
    let answer = verify(code.clone()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(app.login("a", PASSWORD).await.json()["authenticated"], true);
}

#[tokio::test]
async fn without_verification_the_account_logs_in_at_once() {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let app = TestApp::with(move |config| {
        config.signup.mode = SignupMode::Open;
        config.signup.verify_email = false;
        config.mail.smtp_url = Some(url);
    })
    .await;
    let answer = app.sign_up(signup_body("b@example.com", "bee")).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(answer.json()["status"], "active");
    assert!(answer.json().get("verification").is_none());
    assert_eq!(
        app.login("bee", PASSWORD).await.json()["authenticated"],
        true
    );
    app.domain.settle_background().await;
    assert!(smtp.messages().is_empty());
}

#[tokio::test]
async fn policy_modes() {
    let closed = TestApp::with(|c| c.signup.mode = SignupMode::Closed).await;
    let answer = closed.sign_up(signup_body("c@example.com", "c")).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.json()["type"],
        "https://api.backend.ai/probs/signup-disabled"
    );
    // Even with an invitation: closed means closed.
    let token = closed.invitation(1, 3600, None).await;
    let mut body = signup_body("c@example.com", "c");
    body["token"] = json!(token);
    assert_eq!(closed.sign_up(body).await.status, StatusCode::FORBIDDEN);

    // The default is by invitation.
    let invite = TestApp::new().await;
    let answer = invite.sign_up(signup_body("d@example.com", "d")).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.json()["type"],
        "https://api.backend.ai/probs/invitation-required"
    );
    assert_eq!(answer.json()["field"], "token");
    let users: i64 = invite
        .database()
        .query_row("SELECT count(*) FROM users", [], |row| row.get(0))
        .unwrap();
    assert_eq!(users, 0);
}

#[tokio::test]
async fn invitations_are_spent_expire_and_can_be_bound_or_revoked() {
    let app = TestApp::with(|c| c.signup.verify_email = false).await;
    let with = |email: &str, username: &str, token: &str| {
        let mut body = signup_body(email, username);
        body["token"] = json!(token);
        body
    };
    let invalid = "https://api.backend.ai/probs/invalid-invitation";

    let once = app.invitation(1, 3600, None).await;
    assert_eq!(
        app.sign_up(with("e1@example.com", "e1", &once))
            .await
            .status,
        StatusCode::CREATED
    );
    let answer = app.sign_up(with("e2@example.com", "e2", &once)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.json()["type"], invalid);

    let bound = app.invitation(1, 3600, Some("Bound@Example.com")).await;
    let answer = app
        .sign_up(with("other@example.com", "other", &bound))
        .await;
    assert_eq!(answer.json()["type"], invalid);
    // The refusal spent nothing: the right address still gets in (any case).
    let answer = app
        .sign_up(with("BOUND@example.com", "bound", &bound))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());

    let short = app.invitation(1, 3600, None).await;
    app.clock.advance(3600);
    assert_eq!(
        app.sign_up(with("late@example.com", "late", &short))
            .await
            .json()["type"],
        invalid
    );

    let revoked = app.invitation(5, 3600, None).await;
    let id = app.domain.list_invitations().await.unwrap()[0].id;
    assert!(app.domain.revoke_invitation(id).await.unwrap());
    assert!(!app.domain.revoke_invitation(id).await.unwrap());
    assert_eq!(
        app.sign_up(with("r@example.com", "r", &revoked))
            .await
            .json()["type"],
        invalid
    );

    for bogus in ["not-a-token", &"A".repeat(43)] {
        assert_eq!(
            app.sign_up(with("f@example.com", "f", bogus)).await.json()["type"],
            invalid
        );
    }
    // The database keeps only hashes of invitation tokens.
    let raw = std::fs::read(app.config.database_path()).unwrap();
    let wal =
        std::fs::read(app.config.database_path().with_extension("sqlite3-wal")).unwrap_or_default();
    for token in [&once, &bound, &revoked] {
        for bytes in [&raw, &wal] {
            assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()));
        }
    }
}

#[tokio::test]
async fn racing_signups_never_overspend_an_invitation() {
    let app = TestApp::with(|c| c.signup.verify_email = false).await;
    let token = app.invitation(3, 3600, None).await;
    let attempts = (0..8).map(|i| {
        let body = json!({"email": format!("racer{i}@example.com"), "username": format!("racer{i}"),
                          "password": PASSWORD, "token": token});
        app.sign_up(body)
    });
    let answers = futures_util::future::join_all(attempts).await;
    let created = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 3);
    assert!(
        answers
            .iter()
            .filter(|a| a.status != StatusCode::CREATED)
            .all(|a| a.json()["type"] == "https://api.backend.ai/probs/invalid-invitation")
    );
    let left: i64 = app
        .database()
        .query_row("SELECT uses_left FROM invitations", [], |row| row.get(0))
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn one_email_one_account_whatever_the_spelling_even_when_racing() {
    let app = TestApp::with(|c| {
        c.signup.mode = SignupMode::Open;
        c.signup.verify_email = false;
    })
    .await;
    let bodies = (0..6).map(|i| signup_body("Same@Example.com", &format!("same{i}")));
    let answers = futures_util::future::join_all(bodies.map(|b| app.sign_up(b))).await;
    // Whichever racer won holds its username now.
    let winner = answers
        .iter()
        .position(|a| a.status == StatusCode::CREATED)
        .expect("one signup won");
    assert_eq!(
        answers
            .iter()
            .filter(|a| a.status == StatusCode::CREATED)
            .count(),
        1
    );
    for answer in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        assert_eq!(answer.status, StatusCode::CONFLICT);
        assert_eq!(
            answer.json()["type"],
            "https://api.backend.ai/probs/email-already-exists"
        );
        assert_eq!(answer.json()["field"], "email");
    }
    let cases = [
        (
            signup_body("same@example.com", "x1"),
            StatusCode::CONFLICT,
            "email",
        ),
        (
            signup_body("ｓａｍｅ@example.com", "x2"),
            StatusCode::CONFLICT,
            "email",
        ),
        (
            signup_body("x3@example.com", &format!("SAME{winner}")),
            StatusCode::CONFLICT,
            "username",
        ),
        (
            signup_body("x4@example.com", &format!("ｓａｍｅ{winner}")),
            StatusCode::CONFLICT,
            "username",
        ),
        (
            signup_body("x5@example.com", "same@example.com"),
            StatusCode::BAD_REQUEST,
            "username",
        ),
        (
            signup_body("x6@example.com", "sa\u{200D}me"),
            StatusCode::BAD_REQUEST,
            "username",
        ),
        (
            signup_body("x7@exam\u{202E}ple.com", "x7"),
            StatusCode::BAD_REQUEST,
            "email",
        ),
        (
            signup_body("not-an-email", "x8"),
            StatusCode::BAD_REQUEST,
            "email",
        ),
    ];
    for (body, status, field) in cases {
        let answer = app.sign_up(body.clone()).await;
        assert_eq!(answer.status, status, "{body}: {}", answer.text());
        assert_eq!(answer.json()["field"], field, "{body}");
    }
    // The WebUI's field name is echoed back when it was the one used.
    let answer = app
        .sign_up(json!({"email": "x9@example.com", "user_name": format!("SAME{winner}"), "password": PASSWORD}))
        .await;
    assert_eq!(answer.json()["field"], "user_name");
}

#[tokio::test]
async fn bad_signup_input_is_named_and_writes_nothing() {
    let app = TestApp::with(|c| {
        c.signup.mode = SignupMode::Open;
        c.signup.verify_email = false;
    })
    .await;
    let cases = [
        (
            json!({"password": PASSWORD}),
            StatusCode::BAD_REQUEST,
            "email",
        ),
        (
            json!({"email": "g@example.com"}),
            StatusCode::BAD_REQUEST,
            "password",
        ),
        (
            json!({"email": "g@example.com", "password": PASSWORD, "is_admin": true}),
            StatusCode::BAD_REQUEST,
            "is_admin",
        ),
        (
            json!({"email": "g@example.com", "password": PASSWORD, "email_verified": true}),
            StatusCode::BAD_REQUEST,
            "email_verified",
        ),
        (
            json!({"email": "g@example.com", "password": PASSWORD, "role": "admin"}),
            StatusCode::BAD_REQUEST,
            "role",
        ),
        (
            json!({"email": "g@example.com", "password": PASSWORD, "agreement": "yes"}),
            StatusCode::BAD_REQUEST,
            "agreement",
        ),
        (
            json!({"email": "g@example.com", "password": PASSWORD, "agreement": false}),
            StatusCode::BAD_REQUEST,
            "agreement",
        ),
        (
            json!({"email": "g@example.com", "password": "short1!"}),
            StatusCode::BAD_REQUEST,
            "password",
        ),
        (
            json!({"email": "g@example.com", "password": "Password1!"}),
            StatusCode::BAD_REQUEST,
            "password",
        ),
        (
            json!({"email": "g@example.com", "username": "gee", "password": "gee"}),
            StatusCode::BAD_REQUEST,
            "password",
        ),
        (
            json!({"email": 5, "password": PASSWORD}),
            StatusCode::BAD_REQUEST,
            "email",
        ),
    ];
    for (body, status, field) in cases {
        let answer = app.sign_up(body.clone()).await;
        assert_eq!(answer.status, status, "{body}: {}", answer.text());
        assert_eq!(answer.json()["field"], field, "{body}");
    }
    let weak = app
        .sign_up(json!({"email": "g@example.com", "password": "short1!"}))
        .await
        .json();
    assert_eq!(
        weak["type"],
        "https://api.backend.ai/probs/rejected-by-hook"
    );
    assert!(
        weak["details"]
            .as_str()
            .unwrap()
            .contains("at least 8 characters")
    );
    let users: i64 = app
        .database()
        .query_row("SELECT count(*) FROM users", [], |row| row.get(0))
        .unwrap();
    assert_eq!(users, 0);
    // Older clients that do not send an agreement are accepted; nothing is recorded.
    let answer = app
        .sign_up(json!({"email": "g@example.com", "password": PASSWORD}))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let agreed: Option<i64> = app
        .database()
        .query_row("SELECT agreed_at FROM users", [], |row| row.get(0))
        .unwrap();
    assert_eq!(agreed, None);
}

#[tokio::test]
async fn a_failing_mail_server_leaves_a_consistent_account_and_a_new_link_works() {
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let broken = TestApp::with(move |c| {
        c.signup.mode = SignupMode::Open;
        c.mail.smtp_url = Some(format!("smtp://127.0.0.1:{dead_port}"));
    })
    .await;
    let answer = broken.sign_up(signup_body("h@example.com", "aitch")).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_eq!(answer.json()["verification"]["sent"], false);
    assert!(
        answer.json()["verification"]["message"]
            .as_str()
            .unwrap()
            .contains("could not be sent")
    );
    assert_eq!(
        broken.login("aitch", PASSWORD).await.json()["data"]["details"],
        "This account needs email verification."
    );

    // The same data directory with a working mail server: ask again.
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let data_dir = broken.config.data_dir.clone();
    let fixed = TestApp::with(move |c| {
        c.signup.mode = SignupMode::Open;
        c.mail.smtp_url = Some(url);
        c.data_dir = data_dir;
    })
    .await;
    let answer = fixed
        .post_json(
            "/func/cloud/send-verification-email",
            &json!({"email": "h@example.com"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    fixed.domain.settle_background().await;
    let mail = &smtp.messages_to("h@example.com")[0];
    let page = fixed
        .get(&mail.link_path(&format!("{ORIGIN}/verify-email")))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        fixed.login("aitch", PASSWORD).await.json()["authenticated"],
        true
    );
}

#[tokio::test]
async fn resending_says_the_same_for_everyone_and_is_limited() {
    let smtp = SmtpServer::start();
    let app = open_app(&smtp).await;
    app.sign_up(signup_body("wait@example.com", "wait")).await;
    let verified = app.add_user("done@example.com", Some("done")).await;
    drop(verified);
    let app = &app;
    let resend = |email: &'static str| async move {
        app.post_json(
            "/func/cloud/send-verification-email",
            &json!({"email": email}),
        )
        .await
    };
    let unknown = resend("nobody@example.com").await;
    let done = resend("done@example.com").await;
    let waiting = resend("wait@example.com").await;
    let malformed = resend("not an address").await;
    for answer in [&unknown, &done, &waiting, &malformed] {
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body, unknown.body);
    }
    // One at a time, so the last mail carries the last link.
    app.domain.settle_background().await;
    for _ in 0..6 {
        resend("wait@example.com").await;
        app.domain.settle_background().await;
    }
    assert!(smtp.messages_to("nobody@example.com").is_empty());
    assert!(smtp.messages_to("done@example.com").is_empty());
    // One at signup, then at most five an hour.
    assert_eq!(smtp.messages_to("wait@example.com").len(), 5);
    // Only the newest link works.
    let mails = smtp.messages_to("wait@example.com");
    let oldest = mails[0].link_path(&format!("{ORIGIN}/verify-email"));
    assert_eq!(app.get(&oldest).await.status, StatusCode::BAD_REQUEST);
    let newest = mails[mails.len() - 1].link_path(&format!("{ORIGIN}/verify-email"));
    assert_eq!(app.get(&newest).await.status, StatusCode::OK);
}

#[tokio::test]
async fn webui_config_reflects_the_signup_policy() {
    let app = TestApp::with(|c| {
        c.signup.mode = SignupMode::Closed;
        c.signup.allow_password_reset = false;
    })
    .await;
    let config: toml::Table = toml::from_str(&app.get("/config.toml").await.text()).unwrap();
    assert_eq!(config["general"]["signupSupport"].as_bool(), Some(false));
    assert_eq!(
        config["general"]["allowAnonymousChangePassword"].as_bool(),
        Some(false)
    );
}
