//! X2: single sign-on with SAML 2.0 against a real identity provider
//! (SimpleSAMLphp from Debian, on loopback). The companion runs in process
//! on a clock the test moves (set to the wall clock, which the provider's
//! timestamps follow); the provider's login form is filled over HTTP as a
//! browser would (the end-to-end suite fills it in Chromium).
//!
//! The attacks are Responses built from a real one: altered and signed
//! again with the provider's own key (so that the one thing wrong is the
//! thing under test), or signed with another key, or not at all.

use baigate_companion::config::SamlConfig;
use baigate_companion::sso::saml::SamlProvider;
use baigate_e2e::saml::{
    PostedAnswer, SamlIdp, SamlSignIn, Signed, id_of, resign, rsa_pair, unsigned,
};
use poem::http::StatusCode;
use proptest::prelude::*;
use serde_json::json;
use url::Url;

use crate::support::{Answer, TestApp};

/// The origin the in-process app believes it is served at.
const HERE: &str = "http://127.0.0.1:8090";
const ENTITY_ID: &str = "http://127.0.0.1:8090/func/saml/metadata";
const ACS: &str = "http://127.0.0.1:8090/func/saml/acs";

#[allow(
    clippy::disallowed_methods,
    reason = "the provider's timestamps follow the wall clock"
)]
fn wall_clock() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// The provider, knowing the in-process app, and its metadata in a file.
fn idp() -> (&'static SamlIdp, std::path::PathBuf) {
    static METADATA: std::sync::OnceLock<(tempfile::TempDir, std::path::PathBuf)> =
        std::sync::OnceLock::new();
    let idp = SamlIdp::shared();
    let (_, path) = METADATA.get_or_init(|| {
        idp.register(ENTITY_ID, ACS);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("idp-metadata.xml");
        std::fs::write(&path, idp.metadata()).unwrap();
        (dir, path)
    });
    (idp, path.clone())
}

fn saml_config(metadata: &std::path::Path) -> SamlConfig {
    SamlConfig {
        idp_metadata: metadata.display().to_string(),
        entity_id: None,
        email_attribute: None,
        create_accounts: false,
    }
}

async fn saml_app_with(adjust: impl FnOnce(&mut baigate_companion::config::Config)) -> TestApp {
    let (_, metadata) = idp();
    let app = TestApp::with(|config| {
        config.sso.saml = Some(saml_config(&metadata));
        adjust(config);
    })
    .await;
    app.clock.set(wall_clock());
    app
}

async fn saml_app() -> TestApp {
    saml_app_with(|_| {}).await
}

async fn add(app: &TestApp, name: &str) {
    app.add_user(&format!("{name}@example.com"), Some(name))
        .await;
}

/// A login started as the WebUI starts it: its form posted.
struct Started {
    provider_url: String,
    /// `baigate_sso=…`, the browser binding.
    cookie: String,
}

async fn start(app: &TestApp, redirect_to: &str) -> Started {
    let body = serde_urlencoded::to_string([("redirect_to", redirect_to)]).unwrap();
    let answer = Answer::from(
        app.client
            .post("/func/saml/login")
            .content_type("application/x-www-form-urlencoded")
            .header("Origin", HERE)
            .body(body)
            .send()
            .await,
    )
    .await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.text());
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let cookie = answer.header("set-cookie").expect("the browser binding");
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && cookie.contains("Path=/func/saml"),
        "{cookie}"
    );
    Started {
        provider_url: answer
            .header("location")
            .expect("to the provider")
            .to_owned(),
        cookie: cookie.split(';').next().unwrap().to_owned(),
    }
}

/// The provider's form posted to the ACS, from the provider's origin.
async fn post_acs(app: &TestApp, answer: &PostedAnswer) -> Answer {
    let body = serde_urlencoded::to_string([
        ("SAMLResponse", answer.saml_response.as_str()),
        ("RelayState", answer.relay_state.as_str()),
    ])
    .unwrap();
    Answer::from(
        app.client
            .post("/func/saml/acs")
            .content_type("application/x-www-form-urlencoded")
            .header("Origin", SamlIdp::shared().base.as_str())
            .body(body)
            .send()
            .await,
    )
    .await
}

/// The redirect after the ACS followed by a browser with `cookie`.
async fn complete(app: &TestApp, acs: &Answer, cookie: Option<&str>) -> Answer {
    assert_eq!(acs.status, StatusCode::SEE_OTHER, "{}", acs.text());
    let next = acs.header("location").expect("on to complete");
    assert!(next.starts_with("/func/saml/complete?"), "{next}");
    let mut request = app.client.get(next);
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

/// Signs in as `name` at the provider for a login started by the app.
async fn signed_in(app: &TestApp, name: &str) -> (Started, PostedAnswer) {
    let started = start(app, &format!("{HERE}/landing")).await;
    let answer = SamlSignIn::default().sign_in(&started.provider_url, name);
    (started, answer)
}

/// Posts `answer` and follows it with the login's cookie: where the
/// browser lands.
async fn outcome(app: &TestApp, started: &Started, answer: &PostedAnswer) -> Url {
    let acs = post_acs(app, answer).await;
    landing(&complete(app, &acs, Some(&started.cookie)).await)
}

/// Asserts the landing carries `code` and no token, and nothing logged in.
fn refused_with(landing: &Url, code: &str) {
    assert_eq!(param(landing, "sToken"), None, "{landing}");
    assert_eq!(
        param(landing, "bai_error").as_deref(),
        Some(code),
        "{landing}"
    );
}

async fn token_login(app: &TestApp, token: &str) -> Answer {
    app.post_json("/server/token-login", &json!({ "sToken": token }))
        .await
}

fn live_sessions(app: &TestApp) -> i64 {
    app.database()
        .query_row("SELECT count(*) FROM sessions", [], |row| row.get(0))
        .unwrap()
}

/// Builds a Response from a real one: `alter` changes its text, then the
/// provider's key signs it again.
fn altered(answer: &PostedAnswer, what: Signed, alter: impl Fn(&str) -> String) -> PostedAnswer {
    let (key, cert) = SamlIdp::shared().signing_pair();
    answer.with_xml(&resign(&alter(&unsigned(&answer.xml())), &key, &cert, what))
}

#[tokio::test]
async fn the_webui_form_leads_through_the_identity_provider_to_a_session() {
    let app = saml_app().await;
    add(&app, "alice").await;
    let (started, answer) = signed_in(&app, "alice").await;
    assert_eq!(answer.action, ACS);
    let xml = answer.xml();
    assert!(
        xml.contains("<saml:Audience>http://127.0.0.1:8090/func/saml/metadata</saml:Audience>")
    );

    let acs = post_acs(&app, &answer).await;
    assert_eq!(acs.header("cache-control"), Some("no-store"));
    let landing = landing(&complete(&app, &acs, Some(&started.cookie)).await);
    assert_eq!(landing.path(), "/landing");
    let token = param(&landing, "sToken").expect("a token");
    let answer = token_login(&app, &token).await;
    assert_eq!(answer.json()["authenticated"], true, "{}", answer.text());
    let session = answer.header("x-backendai-sessionid").unwrap().to_owned();
    assert_eq!(app.login_check(&session).await["authenticated"], true);
    let detail: String = app
        .database()
        .query_row(
            "SELECT detail FROM audit_events WHERE kind = 'login_ok' ORDER BY id DESC LIMIT 1",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(detail, "single sign-on (saml)");
}

#[tokio::test]
async fn an_extension_starts_with_a_get_and_binds_the_token_to_its_verifier() {
    use base64::Engine as _;
    use sha2::Digest as _;

    let app = saml_app().await;
    add(&app, "bob").await;
    let verifier = "a-verifier-that-only-the-extension-knows-0123456789";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let redirect = "https://kkddbdcblenceacjpknibiiglhjplaad.chromiumapp.org/sso";
    let query = serde_urlencoded::to_string([
        ("redirect_to", redirect),
        ("code_challenge", challenge.as_str()),
    ])
    .unwrap();
    let answer = app.get(&format!("/func/saml/login?{query}")).await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.text());
    let started = Started {
        provider_url: answer.header("location").unwrap().to_owned(),
        cookie: answer
            .header("set-cookie")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned(),
    };
    let posted = SamlSignIn::default().sign_in(&started.provider_url, "bob");
    let landing = outcome(&app, &started, &posted).await;
    assert!(landing.as_str().starts_with(redirect), "{landing}");
    let token = param(&landing, "sToken").unwrap();
    let without = token_login(&app, &token).await;
    assert_eq!(without.json()["authenticated"], false);
    let with = app
        .post_json(
            "/server/token-login",
            &json!({"sToken": token, "code_verifier": verifier}),
        )
        .await;
    assert_eq!(with.json()["authenticated"], true, "{}", with.text());
}

#[tokio::test]
async fn the_metadata_and_config_toml_describe_this_service_provider() {
    let app = saml_app().await;
    let metadata = app.get("/func/saml/metadata").await;
    assert_eq!(metadata.status, StatusCode::OK);
    assert_eq!(
        metadata.header("content-type"),
        Some("application/samlmetadata+xml")
    );
    let xml = metadata.text();
    assert!(xml.contains(&format!("entityID=\"{ENTITY_ID}\"")), "{xml}");
    assert!(xml.contains(&format!("Location=\"{ACS}\"")), "{xml}");
    let config = app.get("/config.toml").await.text();
    assert!(
        config.contains("singleSignOnVendors = \"saml\""),
        "{config}"
    );
    // Without SAML there is no metadata.
    let plain = TestApp::new().await;
    assert_eq!(
        plain.get("/func/saml/metadata").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_redirect_outside_the_allow_list_gets_no_login() {
    let app = saml_app().await;
    let body =
        serde_urlencoded::to_string([("redirect_to", "https://evil.example/steal")]).unwrap();
    let answer = Answer::from(
        app.client
            .post("/func/saml/login")
            .content_type("application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await,
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["field"], "redirect_to");
}

#[tokio::test]
async fn an_unknown_email_opens_an_account_only_when_configured() {
    let app = saml_app().await;
    let (started, answer) = signed_in(&app, "carol").await;
    refused_with(
        &outcome(&app, &started, &answer).await,
        "saml-account-not-found",
    );

    let (_, metadata) = idp();
    let opening = saml_app_with(|config| {
        let mut saml = saml_config(&metadata);
        saml.create_accounts = true;
        config.sso.saml = Some(saml);
    })
    .await;
    let (started, answer) = signed_in(&opening, "dave").await;
    let landing = outcome(&opening, &started, &answer).await;
    let token = param(&landing, "sToken").expect("a token for a new account");
    let login = token_login(&opening, &token).await;
    assert_eq!(login.json()["authenticated"], true, "{}", login.text());
}

#[tokio::test]
async fn the_answer_must_come_back_to_the_browser_that_started() {
    let app = saml_app().await;
    add(&app, "alice").await;
    // A Response captured by an attacker, posted from a victim's browser
    // (login CSRF): the victim holds no cookie of that login.
    let (_, answer) = signed_in(&app, "alice").await;
    let acs = post_acs(&app, &answer).await;
    refused_with(
        &landing(&complete(&app, &acs, None).await),
        "invalid-saml-session",
    );
    // ...nor the cookie of another login of its own.
    let (_, answer) = signed_in(&app, "alice").await;
    let other = start(&app, &format!("{HERE}/landing")).await;
    let acs = post_acs(&app, &answer).await;
    refused_with(
        &landing(&complete(&app, &acs, Some(&other.cookie)).await),
        "invalid-saml-session",
    );
    assert_eq!(live_sessions(&app), 0);
}

#[tokio::test]
async fn a_response_is_taken_once() {
    let app = saml_app().await;
    add(&app, "alice").await;
    let (started, answer) = signed_in(&app, "alice").await;
    let first = outcome(&app, &started, &answer).await;
    assert!(param(&first, "sToken").is_some());
    // The same form posted again: no login waits for it any more.
    let again = post_acs(&app, &answer).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.text());

    // The same assertion for another login (its InResponseTo changed and
    // signed again with the provider's key): its id was accepted before.
    let (started, fresh) = signed_in(&app, "alice").await;
    let replayed = altered(&answer, Signed::Response, |xml| {
        xml.replace(
            &in_response_to(&answer.xml()),
            &in_response_to(&fresh.xml()),
        )
    });
    let replayed = PostedAnswer {
        relay_state: fresh.relay_state.clone(),
        ..replayed
    };
    refused_with(
        &outcome(&app, &started, &replayed).await,
        "saml-not-authenticated",
    );
    assert!(refusal_reason(&app).contains("presented before"));
}

fn in_response_to(xml: &str) -> String {
    xml.split("InResponseTo=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("InResponseTo")
        .to_owned()
}

/// The reason the last sign-on was refused, as audited.
fn refusal_reason(app: &TestApp) -> String {
    app.database()
        .query_row(
            "SELECT detail FROM audit_events WHERE kind = 'sso_refused' ORDER BY id DESC LIMIT 1",
            [],
            |row| row.get(0),
        )
        .unwrap()
}

/// Each forged Response is refused with no token and no session, for the
/// reason expected (so that it is the check under test that refused it).
async fn refused(app: &TestApp, reason: &str, forge: impl Fn(&PostedAnswer) -> PostedAnswer) {
    let (started, answer) = signed_in(app, "alice").await;
    let forged = forge(&answer);
    refused_with(
        &outcome(app, &started, &forged).await,
        "saml-not-authenticated",
    );
    assert_eq!(live_sessions(app), 0);
    let audited = refusal_reason(app);
    assert!(
        audited.contains(reason),
        "refused for another reason: {audited}"
    );
}

#[tokio::test]
async fn unsigned_or_foreign_signatures_are_refused() {
    let app = saml_app().await;
    add(&app, "alice").await;
    refused(&app, "must be signed", |answer| {
        answer.with_xml(&unsigned(&answer.xml()))
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (key, cert) = rsa_pair(dir.path(), "mallory");
    refused(&app, "must be signed", |answer| {
        answer.with_xml(&resign(&answer.xml(), &key, &cert, Signed::Assertion))
    })
    .await;
    // A signed Response whose NameID was changed afterwards.
    refused(&app, "must be signed", |answer| {
        answer.with_xml(&answer.xml().replace("alice@example.com", "bob@example.com"))
    })
    .await;
}

#[tokio::test]
async fn a_signed_assertion_wrapped_beside_a_forged_one_is_refused() {
    let app = saml_app().await;
    add(&app, "alice").await;
    add(&app, "bob").await;
    // The provider's assertion, signed alone; a copy naming bob, unsigned,
    // placed before it (where a naive reader looks first) or inside it.
    let wrap = |before: bool| {
        move |answer: &PostedAnswer| {
            let (key, cert) = SamlIdp::shared().signing_pair();
            let signed = resign(&answer.xml(), &key, &cert, Signed::Assertion);
            let start = signed.find("<saml:Assertion ").unwrap();
            let end = signed.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
            let forged = unsigned(&signed[start..end])
                .replace("alice@example.com", "bob@example.com")
                .replacen(" ID=\"", " ID=\"_forged", 1);
            let mut xml = signed.clone();
            if before {
                xml.insert_str(start, &forged);
            } else {
                let inner = xml[start..].find("<saml:Subject>").unwrap() + start;
                xml.insert_str(inner, &format!("<saml:Advice>{forged}</saml:Advice>"));
            }
            answer.with_xml(&xml)
        }
    };
    refused(&app, "more than one assertion", wrap(true)).await;
    refused(&app, "more than one assertion", wrap(false)).await;
}

#[tokio::test]
async fn audience_destination_recipient_and_time_must_be_ours() {
    let app = saml_app().await;
    add(&app, "alice").await;
    refused(&app, "AudienceRequirement", |answer| {
        altered(answer, Signed::Assertion, |xml| {
            xml.replace(
                "<saml:Audience>http://127.0.0.1:8090/func/saml/metadata</saml:Audience>",
                "<saml:Audience>https://other.example/sp</saml:Audience>",
            )
        })
    })
    .await;
    // No audience at all is no audience of ours.
    refused(&app, "Audience is not this service provider", |answer| {
        altered(answer, Signed::Assertion, |xml| {
            let start = xml.find("<saml:AudienceRestriction>").unwrap();
            let end = xml.find("</saml:AudienceRestriction>").unwrap()
                + "</saml:AudienceRestriction>".len();
            format!("{}{}", &xml[..start], &xml[end..])
        })
    })
    .await;
    refused(&app, "destination does not match", |answer| {
        altered(answer, Signed::Response, |xml| {
            xml.replacen(
                &format!("Destination=\"{ACS}\""),
                "Destination=\"https://other.example/acs\"",
                1,
            )
        })
    })
    .await;
    refused(&app, "Recipient does not match", |answer| {
        altered(answer, Signed::Assertion, |xml| {
            xml.replace(
                &format!("Recipient=\"{ACS}\""),
                "Recipient=\"https://other.example/acs\"",
            )
        })
    })
    .await;
    // Another InResponseTo: an answer to a request this server never made.
    refused(&app, "'InResponseTo' does not match", |answer| {
        altered(answer, Signed::Response, |xml| {
            xml.replace(&in_response_to(xml), "_0123456789abcdef0123456789abcdef")
        })
    })
    .await;
}

#[tokio::test]
async fn an_expired_assertion_is_refused() {
    let app = saml_app().await;
    add(&app, "alice").await;
    let (started, answer) = signed_in(&app, "alice").await;
    // The companion's clock is seven minutes on: past NotOnOrAfter (the
    // provider gives five) and the 60 seconds of skew allowed, while the
    // login itself still waits (ten minutes).
    app.clock.advance(420);
    refused_with(
        &outcome(&app, &started, &answer).await,
        "saml-not-authenticated",
    );
    assert!(refusal_reason(&app).contains("expired"));
    assert_eq!(live_sessions(&app), 0);
}

#[tokio::test]
async fn comments_doctypes_and_encrypted_assertions_are_refused() {
    let app = saml_app().await;
    add(&app, "alice").await;
    // mallory's address is alice@example.com.evil.test; a comment after
    // "alice@example.com" keeps the provider's signatures valid (canonical
    // XML drops comments) while a careless reader stops at it.
    let (started, answer) = signed_in(&app, "mallory").await;
    let cut = answer.xml().replace(
        "alice@example.com.evil.test</saml:NameID>",
        "alice@example.com<!---->.evil.test</saml:NameID>",
    );
    assert!(cut.contains("<!---->"));
    refused_with(
        &outcome(&app, &started, &answer.with_xml(&cut)).await,
        "saml-not-authenticated",
    );
    assert_eq!(live_sessions(&app), 0);
    assert!(refusal_reason(&app).contains("a comment"));

    let laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">\
                  <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\
                  <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">]>";
    refused(&app, "document type declaration", |answer| {
        let xml = answer.xml();
        let body = xml
            .trim_start_matches("<?xml version=\"1.0\"?>")
            .trim_start();
        answer.with_xml(&format!(
            "{laughs}{}",
            body.replacen("alice@example.com", "&lol2;", 1)
        ))
    })
    .await;
    refused(&app, "document type declaration", |answer| {
        let external = "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>";
        answer.with_xml(&format!(
            "{external}{}",
            answer.xml().replacen("alice@example.com", "&x;", 1)
        ))
    })
    .await;
    refused(&app, "encrypted assertion", |answer| {
        let xml = answer.xml();
        let start = xml.find("<saml:Assertion ").unwrap();
        let end = xml.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
        answer.with_xml(&format!(
            "{}<saml:EncryptedAssertion><xenc:EncryptedData \
             xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\"/></saml:EncryptedAssertion>{}",
            &xml[..start],
            &xml[end..]
        ))
    })
    .await;
}

#[tokio::test]
async fn a_broken_acs_post_is_a_clear_4xx() {
    let app = saml_app().await;
    let (_, answer) = signed_in(&app, "alice").await;
    let missing = Answer::from(
        app.client
            .post("/func/saml/acs")
            .content_type("application/x-www-form-urlencoded")
            .body(format!("RelayState={}", answer.relay_state))
            .send()
            .await,
    )
    .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.json()["field"], "SAMLResponse");
    let garbage = post_acs(
        &app,
        &PostedAnswer {
            saml_response: "%%% not base64 %%%".into(),
            ..answer.clone()
        },
    )
    .await;
    // Checked, refused, and the browser sent on with the reason.
    assert_eq!(garbage.status, StatusCode::SEE_OTHER, "{}", garbage.text());
    let unknown = post_acs(
        &app,
        &PostedAnswer {
            relay_state: "unknown".into(),
            ..answer
        },
    )
    .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let huge = Answer::from(
        app.client
            .post("/func/saml/acs")
            .content_type("application/x-www-form-urlencoded")
            .body(format!("SAMLResponse={}", "A".repeat(200 * 1024)))
            .send()
            .await,
    )
    .await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
}

/// The provider as the service provider sees it, for calls to `verify`.
fn provider() -> SamlProvider {
    let (idp, _) = idp();
    SamlProvider::from_metadata(
        &idp.metadata(),
        &saml_config(std::path::Path::new("-")),
        HERE,
    )
    .unwrap()
}

#[test]
fn metadata_without_a_signing_certificate_is_refused() {
    let (idp, _) = idp();
    let metadata = idp.metadata();
    let start = metadata.find("<md:KeyDescriptor").unwrap();
    let end = metadata.rfind("</md:KeyDescriptor>").unwrap() + "</md:KeyDescriptor>".len();
    let bare = format!("{}{}", &metadata[..start], &metadata[end..]);
    let error = SamlProvider::from_metadata(&bare, &saml_config(std::path::Path::new("-")), HERE)
        .unwrap_err();
    assert!(
        error.to_string().contains("no signing certificate"),
        "{error}"
    );
}

/// A real Response for the AuthnRequest `request_id` (asked of the
/// provider directly), for the mutation loop.
fn response_for(request_id: &str) -> PostedAnswer {
    let (idp, _) = idp();
    let url = provider().login_url(request_id, "relay").unwrap();
    let answer = SamlSignIn::default().sign_in(&url, "alice");
    assert!(idp.base.starts_with("http://127.0.0.1:"));
    answer
}

#[test]
fn mutated_responses_never_crash_and_never_name_another() {
    let request_id = "_feedfacefeedfacefeedfacefeedface";
    let original = response_for(request_id).xml();
    let provider = provider();
    let now = wall_clock();
    let encode = |bytes: &[u8]| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    };
    let accepted = provider
        .verify(&encode(original.as_bytes()), request_id, now)
        .expect("the original is accepted");
    let alice = accepted.identity;
    let assertion_id = id_of(&original, "saml:Assertion");
    let snippets = [
        "<!---->",
        "<!DOCTYPE x>",
        "<saml:Assertion ID=\"_x\">",
        "bob@example.com",
        "&amp;",
        "\u{0}",
        "\"",
        "<",
        " ID=\"_dup\"",
    ];
    let config = ProptestConfig {
        cases: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(edits in proptest::collection::vec((0usize..original.len(), 0usize..4, 0usize..snippets.len(), any::<u8>()), 1..4))| {
        let mut bytes = original.clone().into_bytes();
        for (at, kind, snippet, byte) in edits {
            let at = at.min(bytes.len().saturating_sub(1));
            match kind {
                0 => bytes[at] = byte,
                1 => { bytes.remove(at); }
                2 => { for (i, b) in snippets[snippet].bytes().enumerate() { bytes.insert(at + i, b); } }
                _ => bytes.truncate(at),
            }
        }
        if let Ok(verified) = provider.verify(&encode(&bytes), request_id, now) {
            prop_assert_eq!(&verified.identity, &alice);
            prop_assert_eq!(&verified.assertion_id, &assertion_id);
        }
    });
}

/// `baigate serve` with metadata it cannot use does not start: one line
/// names the setting and what is wrong, and nothing listens.
#[test]
fn serve_refuses_metadata_without_a_signing_certificate() {
    let (idp, _) = idp();
    let home = tempfile::tempdir().unwrap();
    let metadata = idp.metadata();
    let start = metadata.find("<md:KeyDescriptor").expect("a KeyDescriptor");
    let end = metadata.rfind("</md:KeyDescriptor>").expect("its end") + "</md:KeyDescriptor>".len();
    let unsigned_metadata = home.path().join("no-certificate.xml");
    std::fs::write(
        &unsigned_metadata,
        format!("{}{}", &metadata[..start], &metadata[end..]),
    )
    .unwrap();
    let nobody = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!(
            "http://127.0.0.1:{}/metadata.xml",
            listener.local_addr().unwrap().port()
        )
    };
    let cases = [
        (
            unsigned_metadata.display().to_string(),
            "no signing certificate",
        ),
        (nobody.clone(), &nobody[..]),
    ];
    for (source, why) in cases {
        let output = crate::support::command(home.path())
            .arg("--data-dir")
            .arg(home.path().join("data"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("BAIGATE_SSO__SAML__IDP_METADATA", &source)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{source}: {text}");
        assert!(output.stdout.is_empty(), "it never listened: {source}");
        // After the start's log lines, the reason: one line, last.
        let reason = text.trim_end().lines().last().unwrap_or_default();
        assert!(
            reason.starts_with("baigate: sso.saml.idp_metadata: "),
            "{text}"
        );
        assert!(reason.contains(why), "{reason:?} lacks {why:?}");
        assert!(!text.contains("panicked"), "{text}");
    }
}
