//! The companion's HTML pages: signup by invitation link, terms and privacy in
//! three languages, headers, and forms that work without JavaScript.

use baigate_companion::config::SignupMode;
use poem::http::StatusCode;

use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn an_invitation_link_opens_a_signup_form_that_works_without_javascript() {
    let app = TestApp::with(|c| c.signup.verify_email = false).await;
    let issued = app.domain.create_invitation(1, 3600, None).await.unwrap();
    assert_eq!(
        issued.signup_link,
        format!("http://127.0.0.1:8090/signup?token={}", issued.token)
    );
    let path = issued
        .signup_link
        .trim_start_matches("http://127.0.0.1:8090");
    let page = app.get(path).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains(&format!("value=\"{}\"", issued.token)),
        "the token is filled in"
    );
    assert!(html.contains("name=\"agreement\""));
    assert!(html.contains("href=\"/terms?lang=en\"") && html.contains("href=\"/privacy?lang=en\""));
    assert!(html.contains("autocomplete=\"new-password\""));
    assert!(html.contains("<script src=\"/static/checklist.js\" defer></script>"));

    let fields = [
        ("email", "page@example.com"),
        ("username", "pager"),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
        ("token", issued.token.as_str()),
    ];
    // Without the agreement box ticked: refused, fields kept, nothing spent.
    let refused = app.post_form("/signup", &fields).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.text().contains("agree to the Terms of Service"));
    assert!(refused.text().contains("value=\"page@example.com\""));
    let mut agreed = fields.to_vec();
    agreed.push(("agreement", "on"));
    let done = app.post_form("/signup", &agreed).await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.text());
    assert!(done.text().contains("You can log in now"));
    assert!(done.text().contains("AKIA"), "the access key is shown");
    assert_eq!(
        app.login("pager", PASSWORD).await.json()["authenticated"],
        true
    );

    // The link is spent now, and the page says so.
    let spent = app.get(path).await;
    assert!(spent.text().contains("This invitation is not valid"));
}

#[tokio::test]
async fn signup_pages_in_other_languages_and_modes() {
    let app = TestApp::new().await;
    let page = app.get("/signup?lang=ja").await;
    assert!(page.text().contains("アカウントの作成"));
    assert!(page.text().contains("招待トークンが必要です"));
    let closed = TestApp::with(|c| c.signup.mode = SignupMode::Closed).await;
    let page = Answer::from(
        closed
            .client
            .get("/signup")
            .header("Accept-Language", "ko-KR,ko;q=0.9")
            .send()
            .await,
    )
    .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(
        page.text().contains("회원 가입을 받지 않습니다"),
        "{}",
        page.text()
    );
    assert!(!page.text().contains("<form"));
}

use crate::support::Answer;

#[tokio::test]
async fn terms_and_privacy_in_three_languages() {
    let app = TestApp::new().await;
    let expected = [
        (
            "/terms?lang=en",
            "Terms of Service",
            "Who runs this service",
        ),
        ("/terms?lang=ko", "서비스 이용약관", "서비스 운영자"),
        ("/terms?lang=ja", "利用規約", "運営者"),
        ("/privacy?lang=en", "Privacy Policy", "What is kept"),
        ("/privacy?lang=ko", "개인정보 처리방침", "보관하는 정보"),
        ("/privacy?lang=ja", "プライバシーポリシー", "保存する情報"),
        (
            "/resources/documents/terms-of-service.ko.html",
            "서비스 이용약관",
            "서비스 운영자",
        ),
        (
            "/resources/documents/privacy-policy.ja.html",
            "プライバシーポリシー",
            "保存する情報",
        ),
    ];
    for (path, title, heading) in expected {
        let page = app.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let html = page.text();
        assert!(html.contains(&format!("<h1>{title}</h1>")), "{path}");
        assert!(html.contains(heading), "{path}");
        assert!(
            page.header("content-type")
                .unwrap()
                .starts_with("text/html; charset=utf-8")
        );
        assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
        assert!(
            page.header("content-security-policy")
                .unwrap()
                .contains("script-src 'self'")
        );
        assert!(html.contains("<meta name=\"viewport\""));
    }
    let by_header = Answer::from(
        app.client
            .get("/terms")
            .header("Accept-Language", "ja-JP")
            .send()
            .await,
    )
    .await;
    assert!(by_header.text().contains("<html lang=\"ja\">"));
    assert_eq!(
        app.get("/resources/documents/other.en.html").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn documents_can_be_replaced_by_files() {
    let dir = tempfile::tempdir().unwrap();
    for code in ["en", "ko", "ja"] {
        std::fs::write(
            dir.path().join(format!("terms.{code}.html")),
            format!("<p>Our own {code} terms</p>"),
        )
        .unwrap();
    }
    let terms = dir.path().join("terms.{lang}.html");
    let app = TestApp::with(move |c| c.signup.terms_file = Some(terms)).await;
    assert!(
        app.get("/terms?lang=ko")
            .await
            .text()
            .contains("Our own ko terms")
    );
    // Privacy stays built in.
    assert!(app.get("/privacy").await.text().contains("What is kept"));
}

#[tokio::test]
async fn static_assets_are_served_with_their_types() {
    let app = TestApp::new().await;
    let css = app.get("/static/baigate.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    let script = app.get("/static/checklist.js").await;
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(script.text().contains("min-length"));
}

#[tokio::test]
async fn page_inputs_are_escaped() {
    let app = TestApp::with(|c| c.signup.mode = SignupMode::Open).await;
    let page = app
        .get("/signup?email=%22%3E%3Cscript%3Ealert(1)%3C/script%3E")
        .await;
    assert!(!page.text().contains("<script>alert(1)"));
    assert!(page.text().contains("&#34;&#62;&#60;script&#62;"));
    let refused = app
        .post_form(
            "/signup",
            &[
                ("email", "<b>x</b>@example.com"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
                ("agreement", "on"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(!refused.text().contains("<b>x</b>"));
}
