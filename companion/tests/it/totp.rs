//! Two-factor authentication (AT-10 to AT-14): enrolment, login with a code,
//! one-time use, first-login registration, recovery codes, the code budget.

use baigate_companion::domain::otp::{STEP_SECONDS, code_for_step};
use baigate_companion::model::ClientInfo;
use poem::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Answer, PASSWORD, START, TestApp};

/// The secret behind a base32 key, as an authenticator app reads it.
pub fn secret_of(key: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits: u64 = 0;
    let mut count = 0;
    let mut out = Vec::new();
    for c in key.bytes().filter(|c| *c != b'=') {
        let value = alphabet.iter().position(|a| *a == c).expect("base32") as u64;
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

/// The code an authenticator shows at the app's current time, `offset` steps away.
fn code(app: &TestApp, secret: &[u8], offset: i64) -> String {
    code_for_step(secret, app.clock_now() / STEP_SECONDS + offset).unwrap()
}

trait ClockNow {
    fn clock_now(&self) -> i64;
}

impl ClockNow for TestApp {
    fn clock_now(&self) -> i64 {
        self.domain.now()
    }
}

async fn with_session(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Value,
) -> Answer {
    Answer::from(
        app.client
            .request(method, path)
            .header("X-BackendAI-SessionID", token)
            .body_json(&body)
            .send()
            .await,
    )
    .await
}

/// Logs in, turns 2FA on with a code of the previous step; returns the
/// secret, the recovery codes and the session.
pub(crate) async fn enrolled(app: &TestApp) -> (Vec<u8>, Vec<String>, String) {
    let token = app.session("alice", PASSWORD).await;
    let status = with_session(app, Method::GET, "/func/totp", &token, json!({})).await;
    assert_eq!(status.json(), json!({"totp_enabled": false}));
    let started = with_session(app, Method::POST, "/func/totp", &token, json!({})).await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text());
    let json = started.json();
    let key = json["totp_key"].as_str().unwrap().to_owned();
    let uri = json["totp_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/baigate:user%40example.com?secret="),
        "{uri}"
    );
    assert!(uri.contains("issuer=baigate"));
    assert!(json["totp_qr_svg"].as_str().unwrap().starts_with("<?xml"));
    let secret = secret_of(&key);
    assert_eq!(secret.len(), 20);
    // Asking again before confirming shows the same secret (a reloaded page).
    let again = with_session(app, Method::POST, "/func/totp", &token, json!({})).await;
    assert_eq!(again.json()["totp_key"], key);

    let wrong = with_session(
        app,
        Method::POST,
        "/func/totp/verify",
        &token,
        json!({"otp": "000000"}),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.json()["type"],
        "https://api.backend.ai/probs/totp-auth-failed"
    );
    let confirmed = with_session(
        app,
        Method::POST,
        "/func/totp/verify",
        &token,
        json!({"otp": code(app, &secret, -1)}),
    )
    .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text());
    let codes: Vec<String> = confirmed.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    let status = with_session(app, Method::GET, "/func/totp", &token, json!({})).await;
    assert_eq!(status.json(), json!({"totp_enabled": true}));
    (secret, codes, token)
}

async fn login_otp(app: &TestApp, otp: Option<&str>) -> Answer {
    let mut body = json!({"username": "alice", "password": PASSWORD});
    if let Some(otp) = otp {
        body["otp"] = json!(otp);
    }
    app.post_json("/server/login", &body).await
}

#[tokio::test]
async fn enrol_then_log_in_with_a_code() {
    let app = TestApp::multi_session().await;
    app.add_user("user@example.com", Some("alice")).await;
    let (secret, _, _) = enrolled(&app).await;

    // No code: the answer both client generations prompt on.
    let answer = login_otp(&app, None).await;
    assert_eq!(
        answer.json(),
        json!({"authenticated": false, "data": {
            "type": "https://api.backend.ai/probs/require-totp-authentication",
            "title": "Two-Factor Authentication needed.",
            "details": "OTP not provided"}})
    );
    // A wrong code.
    let answer = login_otp(&app, Some("123456")).await;
    assert_eq!(
        answer.json()["data"]["type"],
        "https://api.backend.ai/probs/rejected-by-hook"
    );
    assert_eq!(
        answer.json()["data"]["details"],
        "Invalid TOTP code provided"
    );
    // The code that confirmed enrolment cannot log in.
    let confirming = code(&app, &secret, -1);
    assert_eq!(
        login_otp(&app, Some(&confirming)).await.json()["authenticated"],
        false
    );
    // The current code, typed with a space, works once.
    let current = code(&app, &secret, 0);
    let spaced = format!("{} {}", &current[..3], &current[3..]);
    assert_eq!(
        login_otp(&app, Some(&spaced)).await.json()["authenticated"],
        true
    );
    assert_eq!(
        login_otp(&app, Some(&current)).await.json()["authenticated"],
        false,
        "replay"
    );
    // An earlier step is refused; the next step is accepted.
    assert_eq!(
        login_otp(&app, Some(&code(&app, &secret, -1))).await.json()["authenticated"],
        false
    );
    assert_eq!(
        login_otp(&app, Some(&code(&app, &secret, 1))).await.json()["authenticated"],
        true
    );
    // Two steps on, a fresh code works.
    app.clock.advance(2 * STEP_SECONDS);
    assert_eq!(
        login_otp(&app, Some(&code(&app, &secret, 0))).await.json()["authenticated"],
        true
    );
    let kinds = app.audit_kinds();
    assert!(kinds.contains(&"totp_enrolled".to_owned()));
    assert!(kinds.contains(&"otp_failed".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_code_two_logins_at_once_exactly_one_wins() {
    let app = TestApp::multi_session().await;
    app.add_user("user@example.com", Some("alice")).await;
    let (secret, _, _) = enrolled(&app).await;
    let current = code(&app, &secret, 0);
    let racers = (0..6).map(|_| login_otp(&app, Some(&current)));
    let answers = futures_util::future::join_all(racers).await;
    let winners = answers
        .iter()
        .filter(|a| a.json()["authenticated"] == true)
        .count();
    assert_eq!(winners, 1);
}

#[tokio::test]
async fn malformed_and_wrong_codes_spend_their_own_budget() {
    let app = TestApp::multi_session().await;
    app.add_user("user@example.com", Some("alice")).await;
    let (secret, _, _) = enrolled(&app).await;
    let before = app.domain.hasher().verifications();
    for bad in [
        "12345",
        "1234567",
        "12 345",
        "١٢٣٤٥٦",
        "000000",
        "abcdef",
        "000001",
        "000002",
        "000003",
        "000004",
    ] {
        let answer = login_otp(&app, Some(bad)).await;
        assert_eq!(answer.status, StatusCode::OK, "{bad}");
        assert_eq!(
            answer.json()["data"]["details"],
            "Invalid TOTP code provided",
            "{bad}"
        );
    }
    assert_eq!(
        app.domain.hasher().verifications() - before,
        10,
        "each still checked the password"
    );
    // The code budget is spent: even the right code is refused for a while...
    let answer = login_otp(&app, Some(&code(&app, &secret, 0))).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(answer.json()["retry_after"].as_u64().unwrap() > 1100);
    // ...while the password budget is untouched: a wrong password is just wrong.
    let wrong = app.login("alice", "Wr0ng!password").await;
    assert_eq!(wrong.status, StatusCode::OK);
    app.clock.advance(1200);
    assert_eq!(
        login_otp(&app, Some(&code(&app, &secret, 0))).await.json()["authenticated"],
        true
    );
}

#[tokio::test]
async fn recovery_codes_log_in_once_each_and_can_be_renewed() {
    let app = TestApp::multi_session().await;
    app.add_user("user@example.com", Some("alice")).await;
    let (secret, codes, session) = enrolled(&app).await;
    let first = codes[0].to_lowercase();
    assert_eq!(
        login_otp(&app, Some(&first)).await.json()["authenticated"],
        true
    );
    assert_eq!(
        login_otp(&app, Some(&codes[0])).await.json()["authenticated"],
        false,
        "used"
    );
    assert_eq!(
        login_otp(&app, Some(&codes[1].replace('-', " ")))
            .await
            .json()["authenticated"],
        true
    );
    assert!(app.audit_kinds().contains(&"recovery_code_used".to_owned()));

    let renewed = with_session(
        &app,
        Method::POST,
        "/func/totp/recovery-codes",
        &session,
        json!({"otp": code(&app, &secret, 0)}),
    )
    .await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.text());
    let new_codes = renewed.json()["recovery_codes"].as_array().unwrap().clone();
    assert_eq!(new_codes.len(), 10);
    assert_eq!(
        login_otp(&app, Some(&codes[2])).await.json()["authenticated"],
        false,
        "replaced"
    );
    assert_eq!(
        login_otp(&app, Some(new_codes[0].as_str().unwrap()))
            .await
            .json()["authenticated"],
        true
    );
    // The database keeps only keyed hashes of the codes.
    let raw = std::fs::read(app.config.database_path()).unwrap();
    let wal =
        std::fs::read(app.config.database_path().with_extension("sqlite3-wal")).unwrap_or_default();
    for code in &codes {
        let compact = code.replace('-', "");
        for bytes in [&raw, &wal] {
            assert!(
                !bytes
                    .windows(compact.len())
                    .any(|w| w == compact.as_bytes())
            );
        }
    }
}

#[tokio::test]
async fn turning_it_off_needs_a_code_or_the_password() {
    let app = TestApp::multi_session().await;
    app.add_user("user@example.com", Some("alice")).await;
    let (secret, _, session) = enrolled(&app).await;
    let off = |body: Value| with_session(&app, Method::DELETE, "/func/totp", &session, body);
    assert_eq!(off(json!({})).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        off(json!({"password": "Wr0ng!password"})).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        off(json!({"otp": "000000"})).await.status,
        StatusCode::UNAUTHORIZED
    );
    let done = off(json!({"otp": code(&app, &secret, 0)})).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    assert_eq!(
        login_otp(&app, None).await.json()["authenticated"],
        true,
        "no code needed now"
    );
    assert_eq!(
        off(json!({"password": PASSWORD})).await.status,
        StatusCode::BAD_REQUEST,
        "already off"
    );
    // And back on with the password as proof works too.
    let (_, _, session) = enrolled(&app).await;
    let off = with_session(
        &app,
        Method::DELETE,
        "/func/totp",
        &session,
        json!({"password": PASSWORD}),
    )
    .await;
    assert_eq!(off.status, StatusCode::OK);
    assert!(app.audit_kinds().contains(&"totp_disabled".to_owned()));
}

#[tokio::test]
async fn required_2fa_registers_at_first_login_and_never_gives_a_session_before() {
    let app = TestApp::with(|c| {
        c.totp.required = true;
        c.session.max_concurrent = 10;
    })
    .await;
    app.add_user("user@example.com", Some("alice")).await;
    let answer = login_otp(&app, None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer.header("set-cookie").is_none() && answer.header("x-backendai-sessionid").is_none()
    );
    let json = answer.json();
    assert_eq!(json["authenticated"], false);
    assert_eq!(
        json["data"]["type"],
        "https://api.backend.ai/probs/require-totp-registration"
    );
    assert_eq!(
        json["data"]["details"],
        "You must register Two-Factor Authentication."
    );
    let token = json["data"]["two_factor_registration_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(token.len(), 43);
    let sessions: i64 = app
        .database()
        .query_row("SELECT count(*) FROM sessions", [], |row| row.get(0))
        .unwrap();
    assert_eq!(sessions, 0);

    // The wrong password never yields a token.
    let wrong = app.login("alice", "Wr0ng!password").await;
    assert!(
        wrong.json()["data"]
            .get("two_factor_registration_token")
            .is_none()
    );

    let enrol = app
        .post_json("/func/totp/anon", &json!({"registration_token": token}))
        .await;
    assert_eq!(enrol.status, StatusCode::OK, "{}", enrol.text());
    let secret = secret_of(enrol.json()["totp_key"].as_str().unwrap());
    let bad = app
        .post_json(
            "/func/totp/anon/verify",
            &json!({"registration_token": token, "otp": "000000"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    let ok = app
        .post_json(
            "/func/totp/anon/verify",
            &json!({"registration_token": token, "otp": code(&app, &secret, 0)}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert_eq!(ok.json()["recovery_codes"].as_array().unwrap().len(), 10);
    // The token is spent.
    let again = app
        .post_json(
            "/func/totp/anon/verify",
            &json!({"registration_token": token, "otp": code(&app, &secret, 1)}),
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        again.json()["type"],
        "https://api.backend.ai/probs/invalid-token"
    );

    // Now the login asks for a code, and the confirming code does not log in.
    assert_eq!(
        login_otp(&app, None).await.json()["data"]["details"],
        "OTP not provided"
    );
    assert_eq!(
        login_otp(&app, Some(&code(&app, &secret, 0))).await.json()["authenticated"],
        false
    );
    assert_eq!(
        login_otp(&app, Some(&code(&app, &secret, 1))).await.json()["authenticated"],
        true
    );
}

#[tokio::test]
async fn registration_tokens_expire_and_are_bound_to_their_account() {
    let app = TestApp::with(|c| c.totp.required = true).await;
    app.add_user("user@example.com", Some("alice")).await;
    let token = login_otp(&app, None).await.json()["data"]["two_factor_registration_token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.clock.advance(5 * 60);
    let expired = app
        .post_json("/func/totp/anon", &json!({"registration_token": token}))
        .await;
    assert_eq!(expired.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        expired.json()["type"],
        "https://api.backend.ai/probs/expired-token"
    );
    for bogus in ["x", &"A".repeat(43)] {
        let answer = app
            .post_json("/func/totp/anon", &json!({"registration_token": bogus}))
            .await;
        assert_eq!(
            answer.json()["type"],
            "https://api.backend.ai/probs/invalid-token"
        );
    }
    let missing = app.post_json("/func/totp/anon", &json!({})).await;
    assert_eq!(missing.json()["field"], "registration_token");
}

#[tokio::test]
async fn the_session_routes_need_a_session() {
    let app = TestApp::new().await;
    for (method, path) in [
        (Method::GET, "/func/totp"),
        (Method::POST, "/func/totp"),
        (Method::POST, "/func/totp/verify"),
        (Method::DELETE, "/func/totp"),
        (Method::POST, "/func/totp/recovery-codes"),
    ] {
        let answer = Answer::from(
            app.client
                .request(method.clone(), path)
                .body_json(&json!({}))
                .send()
                .await,
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
}

#[tokio::test]
async fn the_password_change_without_session_needs_the_code_too() {
    let app = TestApp::multi_session().await;
    app.add_user("user@example.com", Some("alice")).await;
    let (secret, _, _) = enrolled(&app).await;
    let change = |otp: Option<String>| {
        let mut body = json!({"username": "alice", "current_password": PASSWORD, "new_password": "N3w!passphrase"});
        if let Some(otp) = otp {
            body["otp"] = json!(otp);
        }
        let app = &app;
        async move {
            app.post_json("/server/update-password-no-auth", &body)
                .await
        }
    };
    let answer = change(None).await;
    assert_eq!(
        answer.json()["data"]["type"],
        "https://api.backend.ai/probs/require-totp-authentication"
    );
    let answer = change(Some(code(&app, &secret, 0))).await;
    assert_eq!(answer.json()["data"], Value::Null, "{}", answer.text());
}

#[tokio::test]
async fn the_administrator_can_reset_2fa() {
    let app = TestApp::multi_session().await;
    app.add_user("user@example.com", Some("alice")).await;
    let (_, _, session) = enrolled(&app).await;
    let user = app
        .domain
        .admin_reset_totp("ALICE", ClientInfo::command_line())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.username, "alice");
    assert_eq!(
        app.login_check(&session).await["authenticated"],
        false,
        "sessions ended"
    );
    assert_eq!(
        login_otp(&app, None).await.json()["authenticated"],
        true,
        "no code needed"
    );
    assert!(
        app.domain
            .admin_reset_totp("nobody", ClientInfo::command_line())
            .await
            .unwrap()
            .is_none()
    );
    let _ = START;
}
