//! The popup in Korean and Japanese, following the browser's language: every
//! panel visited and saved as `dist/screenshots/<lang>-<panel>.png`.

use anyhow::{Context, Result, ensure};
use baigate_e2e::{Browser, Companion, PASSWORD, Popup, keys, totp_code};

/// The login title in each language, as `_locales` has it.
fn login_title(lang: &str) -> &'static str {
    match lang {
        "ko" => "Backend.AI 로그인",
        "ja" => "Backend.AI にログイン",
        _ => "Log in to Backend.AI",
    }
}

/// The controls the Backend.AI manual names, in its words and the WebUI's
/// translations: (what, where, English, Korean, Japanese).
const MANUAL_WORDS: [(&str, &str, [&str; 3]); 8] = [
    (
        "Sign up",
        "[data-action=\"show-signup\"]",
        ["Sign up", "가입하기", "サインアップ"],
    ),
    (
        "Login",
        "[data-action=\"login\"]",
        ["Login", "로그인", "ログイン"],
    ),
    (
        "Advanced",
        "details.advanced summary",
        ["Advanced", "고급 설정", "詳細設定"],
    ),
    (
        "API Endpoint",
        "label[for=\"endpoint\"]",
        ["API Endpoint", "API 엔드포인트", "APIエンドポイント"],
    ),
    (
        "Forgot password?",
        "[data-qa=\"forgot-password\"]",
        [
            "Forgot password?",
            "비밀번호를 잊어버렸습니까?",
            "パスワードをお忘れですか？",
        ],
    ),
    (
        "Change",
        "[data-action=\"show-forgot\"]",
        ["Change", "비밀번호 재설정", "パスワードを変更する"],
    ),
    (
        "Session mode",
        "[data-mode-option=\"session\"]",
        ["Session", "세션", "セッション"],
    ),
    (
        "API mode",
        "[data-mode-option=\"api\"]",
        ["API", "API", "API"],
    ),
];

/// Checks that a person following the manual finds each control it names.
async fn manual_words(popup: &Popup<'_>, lang: &str) -> Result<()> {
    let index = match lang {
        "ko" => 1,
        "ja" => 2,
        _ => 0,
    };
    for (what, css, words) in MANUAL_WORDS {
        let shown = popup.text(css).await?;
        ensure!(
            shown.contains(words[index]),
            "{lang}: {what} reads {shown:?}, the manual says {:?}",
            words[index]
        );
    }
    Ok(())
}

async fn shot(popup: &Popup<'_>, lang: &str, panel: &str) -> Result<()> {
    popup
        .screenshot(&format!("{lang}-{panel}"))
        .await
        .map(|_| ())
}

async fn every_panel(browser: &Browser, companion: &Companion, lang: &str) -> Result<()> {
    let popup = browser.open_popup().await?;
    popup.use_endpoint(&companion.url).await?;
    let lang_attribute = popup.eval("return document.documentElement.lang").await?;
    ensure!(
        lang_attribute
            .as_str()
            .unwrap_or_default()
            .starts_with(lang),
        "the page's language: {lang_attribute}"
    );
    popup.wait_text("#login-title", login_title(lang)).await?;
    manual_words(&popup, lang).await?;
    shot(&popup, lang, "login").await?;

    popup.click("[data-action=\"show-signup\"]").await?;
    popup.expect_panel("signup").await?;
    popup.type_into("#signup-password", "abc").await?;
    shot(&popup, lang, "signup").await?;
    popup.press(keys::ESCAPE).await?;

    popup.click("[data-action=\"show-forgot\"]").await?;
    popup.expect_panel("forgot").await?;
    shot(&popup, lang, "forgot").await?;
    popup.type_into("#forgot-email", "kim@example.com").await?;
    popup.press(keys::ENTER).await?;
    popup.expect_panel("mail-sent").await?;
    shot(&popup, lang, "mail-sent").await?;
    popup.click("[data-action=\"back\"]").await?;

    popup.log_in("kim", "wrong-password").await?;
    popup.expect_notice("errorMismatch").await?;
    shot(&popup, lang, "login-wrong-password").await?;

    popup.click("[data-mode-option=\"api\"]").await?;
    popup.wait_for("#access-key").await?;
    shot(&popup, lang, "login-api-mode").await?;
    popup.click("[data-mode-option=\"session\"]").await?;
    Ok(())
}

async fn signed_in_panels(
    browser: &Browser,
    companion: &Companion,
    lang: &str,
    secret: &[u8],
) -> Result<()> {
    let popup = browser.open_popup().await?;
    popup.log_in("kim", PASSWORD).await?;
    popup.expect_panel("otp").await?;
    shot(&popup, lang, "otp").await?;
    popup.type_into("#otp", &totp_code(secret, 0)?).await?;
    popup.expect_panel("start").await?;
    popup.wait_for("[data-usage=\"memory\"]").await?;
    shot(&popup, lang, "start").await?;
    popup.click("[data-action=\"turn-off-2fa\"]").await?;
    popup.expect_panel("totp-off").await?;
    shot(&popup, lang, "totp-off").await?;
    popup.press(keys::ESCAPE).await?;
    popup.expect_panel("start").await?;
    popup.click("[data-action=\"logout\"]").await?;

    popup.log_in("choi", PASSWORD).await?;
    popup.expect_panel("start").await?;
    popup.click("[data-action=\"turn-on-2fa\"]").await?;
    popup.wait_for("[data-step=\"scan\"]").await?;
    popup.wait_for("svg[data-qr] path").await?;
    shot(&popup, lang, "totp-setup").await?;
    let key = popup
        .attr("[data-totp-key]", "data-totp-key")
        .await?
        .context("no key")?;
    let choi = totp_rs::Secret::Encoded(key)
        .to_bytes()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    popup.type_into("#totp-code", &totp_code(&choi, 0)?).await?;
    popup.wait_for("[data-step=\"codes\"]").await?;
    shot(&popup, lang, "totp-recovery-codes").await?;
    popup.click("[data-action=\"codes-saved\"]").await?;
    popup.expect_panel("start").await?;
    popup.click("[data-action=\"logout\"]").await?;

    // Logged in elsewhere.
    companion.log_in_elsewhere("park")?;
    popup.log_in("park", PASSWORD).await?;
    popup.expect_panel("conflict").await?;
    shot(&popup, lang, "conflict").await?;
    popup.press(keys::ESCAPE).await?;

    // Locked after too many failures.
    for attempt in 1..=10 {
        popup.log_in("lee", &format!("wrong-{attempt}")).await?;
        popup.expect_notice("errorMismatch").await?;
    }
    popup.log_in("lee", PASSWORD).await?;
    popup.expect_panel("locked").await?;
    shot(&popup, lang, "locked").await
}

async fn in_language(lang: &str) -> Result<()> {
    let companion = Companion::start(&[])?;
    for (email, name) in [
        ("kim@example.com", "kim"),
        ("choi@example.com", "choi"),
        ("park@example.com", "park"),
        ("lee@example.com", "lee"),
    ] {
        companion.add_user(email, name)?;
    }
    let secret = companion.enrol_totp("kim")?.secret;
    let browser = Browser::start_in(lang).await?;
    let outcome = async {
        every_panel(&browser, &companion, lang).await?;
        signed_in_panels(&browser, &companion, lang, &secret).await
    }
    .await;
    browser.close().await;
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_popup_in_korean() -> Result<()> {
    in_language("ko").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_popup_in_japanese() -> Result<()> {
    in_language("ja").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_popup_in_english_uses_the_manuals_words() -> Result<()> {
    let companion = Companion::start(&[])?;
    let browser = Browser::start_in("en-US").await?;
    let outcome = async {
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&companion.url).await?;
        popup.wait_text("#login-title", login_title("en")).await?;
        manual_words(&popup, "en").await?;
        shot(&popup, "en", "login").await
    }
    .await;
    browser.close().await;
    outcome
}
