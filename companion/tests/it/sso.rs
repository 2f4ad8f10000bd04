//! X1: single sign-on with OpenID Connect against a real provider
//! (`oidc-provider` on loopback). The companion runs in process on a clock
//! the test moves; the provider's sign-in form is filled over HTTP as a
//! browser would (the end-to-end suite fills it in Chromium).

use baigate_companion::config::{OpenIdConfig, Secret};
use baigate_companion::domain::otp::{STEP_SECONDS, code_for_step};
use baigate_companion::model::{ClientInfo, Role};
use baigate_e2e::openid::{CLIENT_ID, CLIENT_SECRET, OpenIdProvider, SignIn};
use poem::http::StatusCode;
use serde_json::{Value, json};
use url::Url;

use crate::support::{Answer, PASSWORD, TestApp};

/// The origin the in-process app believes it is served at.
const HERE: &str = "http://127.0.0.1:8090";

fn openid_config(provider: &OpenIdProvider, create_accounts: bool) -> OpenIdConfig {
    OpenIdConfig {
        issuer: Url::parse(&provider.issuer).unwrap(),
        client_id: CLIENT_ID.into(),
        client_secret: Secret(CLIENT_SECRET.into()),
        realm_name: Some("Example".into()),
        scopes: vec!["openid".into(), "email".into(), "profile".into()],
        create_accounts,
    }
}

async fn sso_app() -> TestApp {
    sso_app_with(|_| {}).await
}

async fn sso_app_with(adjust: impl FnOnce(&mut baigate_companion::config::Config)) -> TestApp {
    let provider = OpenIdProvider::shared();
    TestApp::with(|config| {
        config.sso.openid = Some(openid_config(provider, false));
        adjust(config);
    })
    .await
}

/// A login started as the WebUI starts it: its form posted to the companion.
struct Started {
    provider_url: String,
    /// `baigate_sso=…`, the browser binding.
    cookie: String,
}

async fn start(app: &TestApp, redirect_to: &str) -> Answer {
    let body = serde_urlencoded::to_string([("redirect_to", redirect_to)]).unwrap();
    Answer::from(
        app.client
            .post("/func/openid/login")
            .content_type("application/x-www-form-urlencoded")
            .header("Origin", HERE)
            .body(body)
            .send()
            .await,
    )
    .await
}

fn started(answer: &Answer) -> Started {
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.text());
    let cookie = answer
        .header("set-cookie")
        .expect("the browser binding cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    Started {
        provider_url: answer
            .header("location")
            .expect("to the provider")
            .to_owned(),
        cookie,
    }
}

/// The provider's answer brought back to the companion (by a browser with
/// or without the binding cookie).
async fn callback(app: &TestApp, back: &Url, cookie: Option<&str>) -> Answer {
    let target = match back.query() {
        Some(query) => format!("{}?{query}", back.path()),
        None => back.path().to_owned(),
    };
    let mut request = app.client.get(target);
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    Answer::from(request.send().await).await
}

fn landing(answer: &Answer) -> Url {
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text());
    Url::parse(answer.header("location").expect("a landing address")).unwrap()
}

fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The whole way to a one-time token for `name` at the provider.
async fn sso_token(app: &TestApp, name: &str) -> String {
    let started = started(&start(app, &format!("{HERE}/landing")).await);
    let back =
        SignIn::default().sign_in(&started.provider_url, name, Some(&format!("{name}-pass")));
    let landing = landing(&callback(app, &back, Some(&started.cookie)).await);
    param(&landing, "sToken").unwrap_or_else(|| panic!("no token: {landing}"))
}

async fn token_login(app: &TestApp, body: Value) -> Answer {
    app.post_json("/server/token-login", &body).await
}

/// Turns 2FA on for `name` (confirmed with the previous step's code);
/// returns the secret.
async fn enrol_totp(app: &TestApp, name: &str) -> Vec<u8> {
    let session = app.session(name, PASSWORD).await;
    let started = Answer::from(
        app.client
            .post("/func/totp")
            .header("X-BackendAI-SessionID", &session)
            .send()
            .await,
    )
    .await;
    let secret = crate::totp::secret_of(started.json()["totp_key"].as_str().unwrap());
    let code = code_for_step(&secret, app.domain.now() / STEP_SECONDS - 1).unwrap();
    let confirmed = Answer::from(
        app.client
            .post("/func/totp/verify")
            .header("X-BackendAI-SessionID", &session)
            .body_json(&json!({"otp": code}))
            .send()
            .await,
    )
    .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text());
    app.post_json("/server/logout", &json!({})).await;
    Answer::from(
        app.client
            .post("/server/logout")
            .header("X-BackendAI-SessionID", &session)
            .send()
            .await,
    )
    .await;
    secret
}

async fn add(app: &TestApp, name: &str) {
    app.add_user(&format!("{name}@example.com"), Some(name))
        .await;
}

#[tokio::test]
async fn the_webui_form_leads_through_the_provider_to_a_session() {
    let app = sso_app().await;
    add(&app, "alice").await;
    let answer = start(&app, &format!("{HERE}/landing?keep=1")).await;
    let started = started(&answer);
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let cookie = answer.header("set-cookie").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let authorize = Url::parse(&started.provider_url).unwrap();
    assert_eq!(
        param(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(param(&authorize, "nonce").is_some() && param(&authorize, "state").is_some());
    assert_eq!(
        param(&authorize, "redirect_uri").as_deref(),
        Some("http://127.0.0.1:8090/func/openid/redirect")
    );

    let back = SignIn::default().sign_in(&started.provider_url, "alice", Some("alice-pass"));
    let landing = landing(&callback(&app, &back, Some(&started.cookie)).await);
    assert_eq!(landing.path(), "/landing");
    assert_eq!(
        param(&landing, "keep").as_deref(),
        Some("1"),
        "the page's own query is kept"
    );
    let token = param(&landing, "sToken").expect("a token");
    assert_eq!(token.len(), 43, "256 random bits, base64url");

    let answer = token_login(&app, json!({"sToken": token})).await;
    assert_eq!(answer.json()["authenticated"], true, "{}", answer.text());
    let session = answer
        .header("x-backendai-sessionid")
        .expect("a session")
        .to_owned();
    assert_eq!(app.login_check(&session).await["authenticated"], true);
    // Spent: the same token again is refused, in Backend.AI's words.
    let again = token_login(&app, json!({"sToken": token})).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["authenticated"], false);
    assert_eq!(
        again.json()["data"]["details"],
        "Invalid authentication token"
    );

    let kinds = app.audit_kinds();
    assert!(kinds.contains(&"sso_verified".to_owned()), "{kinds:?}");
    let detail: String = app
        .database()
        .query_row(
            "SELECT detail FROM audit_events WHERE kind = 'login_ok' ORDER BY id DESC LIMIT 1",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(detail, "single sign-on (openid)");
}

#[tokio::test]
async fn an_extension_starts_with_a_get_and_binds_the_token_to_its_verifier() {
    let app = sso_app().await;
    add(&app, "alice").await;
    let verifier = "a-verifier-only-the-extension-knows-0123456789";
    let challenge = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
    };
    let redirect = "https://kkddbdcblenceacjpknibiiglhjplaad.chromiumapp.org/sso";
    let query = serde_urlencoded::to_string([
        ("redirect_to", redirect),
        ("code_challenge", challenge.as_str()),
    ])
    .unwrap();
    let answer = app.get(&format!("/func/openid/login?{query}")).await;
    let started = started(&answer);
    let back = SignIn::default().sign_in(&started.provider_url, "alice", Some("alice-pass"));
    let landing = landing(&callback(&app, &back, Some(&started.cookie)).await);
    assert_eq!(
        landing.origin().ascii_serialization(),
        redirect.trim_end_matches("/sso")
    );
    let token = param(&landing, "sToken").unwrap();

    let without = token_login(&app, json!({"sToken": token})).await;
    assert_eq!(
        without.json()["authenticated"],
        false,
        "the verifier is required"
    );
    let wrong = token_login(&app, json!({"sToken": token, "code_verifier": "guess"})).await;
    assert_eq!(wrong.json()["authenticated"], false);
    let right = token_login(&app, json!({"sToken": token, "code_verifier": verifier})).await;
    assert_eq!(right.json()["authenticated"], true, "{}", right.text());
}

#[tokio::test]
async fn a_redirect_outside_the_allow_list_gets_no_redirect() {
    let app = sso_app().await;
    for redirect_to in [
        "https://evil.example/steal",
        "http://127.0.0.1:9999/",
        "javascript:alert(1)",
        "//evil.example/",
        "http://user:pass@127.0.0.1:8090/",
    ] {
        let answer = start(&app, redirect_to).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{redirect_to}");
        assert!(answer.header("location").is_none());
        assert_eq!(answer.json()["field"], "redirect_to");
    }
    let missing = start(&app, "").await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn configured_webui_origins_may_receive_tokens() {
    let app = sso_app_with(|config| {
        config.sso.allowed_redirects = vec!["https://webui.example.com".into()];
    })
    .await;
    let answer = start(&app, "https://webui.example.com/?lang=en").await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.text());
}

/// Login CSRF: an answer brought by a browser that did not start the login.
#[tokio::test]
async fn an_answer_without_the_starting_browser_is_refused() {
    let app = sso_app().await;
    add(&app, "alice").await;
    let started = started(&start(&app, &format!("{HERE}/landing")).await);
    let back = SignIn::default().sign_in(&started.provider_url, "alice", Some("alice-pass"));
    let refused = landing(&callback(&app, &back, None).await);
    assert_eq!(
        param(&refused, "bai_error").as_deref(),
        Some("invalid-openid-session")
    );
    assert_eq!(param(&refused, "sToken"), None);
    // The state is spent: even the right browser cannot use it now.
    let again = callback(&app, &back, Some(&started.cookie)).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.text().contains("Start again"), "{}", again.text());
    assert!(app.audit_kinds().contains(&"sso_refused".to_owned()));
}

#[tokio::test]
async fn a_replayed_code_is_refused() {
    let app = sso_app().await;
    add(&app, "alice").await;
    let first = started(&start(&app, &format!("{HERE}/landing")).await);
    let mut browser = SignIn::default();
    let back = browser.sign_in(&first.provider_url, "alice", Some("alice-pass"));
    assert!(
        param(
            &landing(&callback(&app, &back, Some(&first.cookie)).await),
            "sToken"
        )
        .is_some()
    );
    // The same code under a new login of the same browser: the provider has
    // spent it.
    let second = started(&start(&app, &format!("{HERE}/landing")).await);
    let state = param(&Url::parse(&second.provider_url).unwrap(), "state").unwrap();
    let mut replay = back.clone();
    let code = param(&back, "code").unwrap();
    replay
        .query_pairs_mut()
        .clear()
        .append_pair("code", &code)
        .append_pair("state", &state);
    let refused = landing(&callback(&app, &replay, Some(&second.cookie)).await);
    assert_eq!(
        param(&refused, "bai_error").as_deref(),
        Some("openid-not-authenticated")
    );
}

#[tokio::test]
async fn an_answer_from_another_issuer_is_refused() {
    let app = sso_app().await;
    add(&app, "alice").await;
    let started = started(&start(&app, &format!("{HERE}/landing")).await);
    let back = SignIn::default().sign_in(&started.provider_url, "alice", Some("alice-pass"));
    let mut mixed = back.clone();
    let pairs: Vec<(String, String)> = back
        .query_pairs()
        .map(|(key, value)| {
            let value = if key == "iss" {
                "https://evil.example".to_owned()
            } else {
                value.into_owned()
            };
            (key.into_owned(), value)
        })
        .collect();
    mixed.query_pairs_mut().clear().extend_pairs(pairs);
    let refused = landing(&callback(&app, &mixed, Some(&started.cookie)).await);
    assert_eq!(
        param(&refused, "bai_error").as_deref(),
        Some("openid-not-authenticated")
    );
}

#[tokio::test]
async fn cancelling_at_the_provider_comes_back_as_access_denied() {
    let app = sso_app().await;
    let started = started(&start(&app, &format!("{HERE}/landing")).await);
    let back = SignIn::default().sign_in(&started.provider_url, "alice", None);
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    let refused = landing(&callback(&app, &back, Some(&started.cookie)).await);
    assert_eq!(
        param(&refused, "bai_error").as_deref(),
        Some("openid-access-denied")
    );
}

#[tokio::test]
async fn tokens_expire_after_a_minute() {
    let app = sso_app().await;
    add(&app, "alice").await;
    let token = sso_token(&app, "alice").await;
    app.clock.advance(61);
    let answer = token_login(&app, json!({"sToken": token})).await;
    assert_eq!(answer.json()["authenticated"], false);
    assert_eq!(
        answer.json()["data"]["details"],
        "Invalid authentication token"
    );
}

#[tokio::test]
async fn an_unverified_email_is_not_trusted() {
    let app = sso_app().await;
    add(&app, "bob").await;
    let started = started(&start(&app, &format!("{HERE}/landing")).await);
    let back = SignIn::default().sign_in(&started.provider_url, "bob", Some("bob-pass"));
    let refused = landing(&callback(&app, &back, Some(&started.cookie)).await);
    assert_eq!(
        param(&refused, "bai_error").as_deref(),
        Some("openid-email-not-verified")
    );
}

#[tokio::test]
async fn an_unknown_email_opens_an_account_only_when_configured() {
    let app = sso_app().await;
    let started = started(&start(&app, &format!("{HERE}/landing")).await);
    let back = SignIn::default().sign_in(&started.provider_url, "carol", Some("carol-pass"));
    let refused = landing(&callback(&app, &back, Some(&started.cookie)).await);
    assert_eq!(
        param(&refused, "bai_error").as_deref(),
        Some("openid-account-not-found")
    );

    let open = sso_app_with(|config| {
        if let Some(openid) = &mut config.sso.openid {
            openid.create_accounts = true;
        }
    })
    .await;
    let token = sso_token(&open, "carol").await;
    let answer = token_login(&open, json!({"sToken": token})).await;
    assert_eq!(answer.json()["authenticated"], true, "{}", answer.text());
    let account = open
        .domain
        .find_account("carol@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.role, Role::User);
    // Its password is unknown to everyone.
    assert_eq!(
        open.login("carol@example.com", PASSWORD).await.json()["authenticated"],
        false
    );
}

#[tokio::test]
async fn a_linked_identity_stays_with_its_account() {
    let app = sso_app().await;
    add(&app, "alice").await;
    let token = sso_token(&app, "alice").await;
    assert_eq!(
        token_login(&app, json!({"sToken": token})).await.json()["authenticated"],
        true
    );
    let linked: i64 = app
        .database()
        .query_row("SELECT count(*) FROM sso_identities", [], |row| row.get(0))
        .unwrap();
    assert_eq!(linked, 1);
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_on() {
    let app = sso_app().await;
    add(&app, "dave").await;
    let token = sso_token(&app, "dave").await;
    app.database()
        .execute(
            "UPDATE users SET status = 'inactive' WHERE username = 'dave'",
            [],
        )
        .unwrap();
    let answer = token_login(&app, json!({"sToken": token})).await;
    assert_eq!(answer.json()["authenticated"], false);
    assert_eq!(
        answer.json()["data"]["type"],
        "https://api.backend.ai/probs/account-disabled"
    );
}

#[tokio::test]
async fn a_locked_account_cannot_sign_on_and_token_logins_do_not_count() {
    let app = sso_app().await;
    add(&app, "alice").await;
    for _ in 0..10 {
        app.login("alice", "Wr0ng!password").await;
    }
    let token = sso_token(&app, "alice").await;
    let locked = token_login(&app, json!({"sToken": token})).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.text()
    );

    // Token logins, right or wrong, are no password attempts.
    let fresh = sso_app().await;
    add(&fresh, "alice").await;
    for _ in 0..12 {
        token_login(&fresh, json!({"sToken": "x".repeat(43)})).await;
    }
    let answer = fresh.login("alice", PASSWORD).await;
    assert_eq!(answer.json()["authenticated"], true, "{}", answer.text());
}

#[tokio::test]
async fn two_factor_authentication_still_applies_and_the_token_survives_the_retry() {
    let app = sso_app().await;
    add(&app, "erin").await;
    let secret = enrol_totp(&app, "erin").await;
    let token = sso_token(&app, "erin").await;
    let asked = token_login(&app, json!({"sToken": token})).await;
    assert_eq!(asked.json()["authenticated"], false);
    assert_eq!(asked.json()["data"]["details"], "OTP not provided");
    let code = code_for_step(&secret, app.domain.now() / STEP_SECONDS).unwrap();
    let answer = token_login(&app, json!({"sToken": token, "otp": code})).await;
    assert_eq!(answer.json()["authenticated"], true, "{}", answer.text());
}

#[tokio::test]
async fn the_session_limit_applies_and_force_ends_the_other_session() {
    let app = sso_app().await;
    add(&app, "alice").await;
    let other = app.session("alice", PASSWORD).await;
    let token = sso_token(&app, "alice").await;
    let full = token_login(&app, json!({"sToken": token})).await;
    assert_eq!(
        full.json()["data"]["type"],
        "https://api.backend.ai/probs/active-login-session-exists"
    );
    let forced = token_login(&app, json!({"sToken": token, "force": true})).await;
    assert_eq!(forced.json()["authenticated"], true, "{}", forced.text());
    assert_eq!(app.login_check(&other).await["authenticated"], false);
}

#[tokio::test]
async fn token_login_answers_like_the_webserver_without_a_token_or_with_a_session() {
    let app = sso_app().await;
    add(&app, "alice").await;
    let missing = token_login(&app, json!({})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.json()["field"], "sToken");
    let session = app.session("alice", PASSWORD).await;
    let token = sso_token(&app, "alice").await;
    let answer = Answer::from(
        app.client
            .post("/server/token-login")
            .header("X-BackendAI-SessionID", &session)
            .body_json(&json!({"sToken": token}))
            .send()
            .await,
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["title"], "You have already logged in.");
    // The token may come in the `sToken` cookie, as the WebUI sets it.
    let app2 = sso_app().await;
    add(&app2, "alice").await;
    let token = sso_token(&app2, "alice").await;
    let by_cookie = Answer::from(
        app2.client
            .post("/server/token-login")
            .header("Cookie", format!("sToken={token}"))
            .body_json(&json!({}))
            .send()
            .await,
    )
    .await;
    assert_eq!(
        by_cookie.json()["authenticated"],
        true,
        "{}",
        by_cookie.text()
    );
}

#[tokio::test]
async fn racing_token_logins_make_one_session() {
    let app = sso_app().await;
    app.domain
        .create_account(
            baigate_companion::domain::accounts::NewAccount {
                email: "alice@example.com".into(),
                username: Some("alice".into()),
                role: Role::User,
                password: PASSWORD.into(),
            },
            ClientInfo::default(),
        )
        .await
        .unwrap();
    let token = sso_token(&app, "alice").await;
    let racers = (0..8).map(|_| {
        let domain = app.domain.clone();
        let token = token.clone();
        tokio::spawn(async move {
            domain
                .token_login(
                    &token,
                    Default::default(),
                    ClientInfo::default(),
                    Default::default(),
                )
                .await
                .unwrap()
        })
    });
    let mut sessions = 0;
    for racer in racers {
        if matches!(
            racer.await.unwrap(),
            baigate_companion::domain::sso::TokenLogin::Answered(
                baigate_companion::domain::auth::LoginResult::LoggedIn(_)
            )
        ) {
            sessions += 1;
        }
    }
    assert_eq!(sessions, 1);
}

#[tokio::test]
async fn config_toml_offers_the_realm() {
    let app = sso_app().await;
    let config: toml::Table = toml::from_str(&app.get("/config.toml").await.text()).unwrap();
    assert_eq!(
        config["general"]["singleSignOnVendors"].as_str(),
        Some("openid")
    );
    assert_eq!(config["general"]["ssoRealmName"].as_str(), Some("Example"));
    let plain = TestApp::new().await;
    assert!(
        !plain
            .get("/config.toml")
            .await
            .text()
            .contains("singleSignOn")
    );
}

#[tokio::test]
async fn a_provider_that_went_away_is_said_so() {
    let mut provider = OpenIdProvider::start();
    let app =
        TestApp::with(|config| config.sso.openid = Some(openid_config(&provider, false))).await;
    add(&app, "alice").await;
    let started = started(&start(&app, &format!("{HERE}/landing")).await);
    let back = SignIn::default().sign_in(&started.provider_url, "alice", Some("alice-pass"));
    provider.stop();
    let refused = landing(&callback(&app, &back, Some(&started.cookie)).await);
    assert_eq!(
        param(&refused, "bai_error").as_deref(),
        Some("openid-provider-unavailable")
    );
}

#[tokio::test]
async fn a_next_step_gives_the_token_more_time_and_force_may_name_the_session() {
    let app = sso_app_with(|config| config.session.max_concurrent = 2).await;
    add(&app, "erin").await;
    let secret = enrol_totp(&app, "erin").await;
    let mut sessions = Vec::new();
    for _ in 0..2 {
        app.clock.advance(STEP_SECONDS);
        let code = code_for_step(&secret, app.domain.now() / STEP_SECONDS).unwrap();
        let answer = app
            .post_json(
                "/server/login",
                &json!({"username": "erin", "password": PASSWORD, "otp": code}),
            )
            .await;
        assert_eq!(answer.json()["authenticated"], true, "{}", answer.text());
        sessions.push(answer.header("x-backendai-sessionid").unwrap().to_owned());
    }
    let (keep, end) = (sessions[0].clone(), sessions[1].clone());
    app.clock.advance(STEP_SECONDS);
    let token = sso_token(&app, "erin").await;
    // The code is asked for 50 s after the token was made...
    app.clock.advance(50);
    let asked = token_login(&app, json!({"sToken": token})).await;
    assert_eq!(asked.json()["data"]["details"], "OTP not provided");
    // ...and typed 40 s later: past the first minute, within the next.
    app.clock.advance(40);
    let code = code_for_step(&secret, app.domain.now() / STEP_SECONDS).unwrap();
    let full = token_login(&app, json!({"sToken": token, "otp": code})).await;
    assert_eq!(
        full.json()["data"]["type"],
        "https://api.backend.ai/probs/active-login-session-exists",
        "{}",
        full.text()
    );
    let sessions = full.json()["data"]["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2);
    // The session to end is named, as a password login names it.
    let end_id = {
        let listed = Answer::from(
            app.client
                .get("/companion/sessions")
                .header("X-BackendAI-SessionID", &end)
                .send()
                .await,
        )
        .await
        .json();
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["current"] == true)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Each try proves the second factor again: the next step's code.
    app.clock.advance(40);
    let code = code_for_step(&secret, app.domain.now() / STEP_SECONDS).unwrap();
    let forced = token_login(
        &app,
        json!({"sToken": token, "otp": code, "force": true, "end_session": end_id}),
    )
    .await;
    assert_eq!(forced.json()["authenticated"], true, "{}", forced.text());
    assert_eq!(app.login_check(&end).await["authenticated"], false);
    assert_eq!(app.login_check(&keep).await["authenticated"], true);
}
