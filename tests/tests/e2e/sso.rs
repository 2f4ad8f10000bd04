//! Single sign-on with a real OpenID provider (npm `oidc-provider`), its
//! sign-in form filled in Chromium: from the popup's "Login with <realm>"
//! (the service worker's `launchWebAuthFlow` window, which chromedriver
//! lists as one more window); then a one-time code, another session to end,
//! or a required 2FA setup, each sending the same token again; cancelled at
//! the provider or by closing the window; the popup closed meanwhile;
//! through a tab with a Backend.AI webserver; and the WebUI's form post.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use baigate_e2e::front::WebserverFront;
use baigate_e2e::openid::{OpenIdProvider, fill_sign_in};
use baigate_e2e::{Browser, Companion, Popup, http, totp_code};
use fantoccini::wd::WindowHandle;
use serde_json::{Value, json};

/// A companion that trusts the shared test provider ("Example"), with more
/// settings.
fn companion_with_sso_and(more: &[(&'static str, String)]) -> Result<Companion> {
    let mut settings = OpenIdProvider::shared().settings();
    settings.extend_from_slice(more);
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Companion::start(&settings)
}

fn companion_with_sso() -> Result<Companion> {
    companion_with_sso_and(&[])
}

/// Clicks "Login with Example" in the popup, then drives the sign-in window
/// it opens (signs in as `name`, or cancels without a password); back in
/// the popup's window once the sign-in window has closed.
async fn single_sign_on<'a>(
    browser: &'a Browser,
    popup: &Popup<'a>,
    name: &str,
    password: Option<&str>,
) -> Result<Popup<'a>> {
    let client = popup.client();
    let home = client.window().await?;
    let known = client.windows().await?;
    popup.click("[data-action=\"sso-openid\"]").await?;
    let window = browser.switch_to_new_window(&known).await?;
    fill_sign_in(&window, name, password).await?;
    browser.switch_to(home).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_with_the_realm_then_log_out() -> Result<()> {
    let companion = companion_with_sso()?;
    let access_key = companion.add_user("alice@example.com", "alice")?;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&companion.url).await?;
        let label = popup.text("[data-action=\"sso-openid\"]").await?;
        ensure!(label == "Login with Example", "{label}");
        popup.screenshot("login-sso").await?;

        let popup = single_sign_on(&browser, &popup, "alice", Some("alice-pass")).await?;
        popup.expect_panel("start").await?;
        popup.wait_for("[data-summary=\"account\"]").await?;
        ensure!(popup.attr(".who", "data-user").await?.as_deref() == Some("alice@example.com"));
        ensure!(popup.text(".access-key code").await? == access_key);
        let live = popup.text("[data-fact=\"live-sessions\"]").await?;
        ensure!(live.ends_with(": 1"), "{live}");
        popup.screenshot("start-after-sso").await?;

        // The session is the extension's: a reopened popup still has it.
        let popup = browser.open_popup().await?;
        popup.expect_panel("start").await?;
        popup.click("[data-action=\"logout\"]").await?;
        popup.expect_panel("login").await?;
        let popup = browser.open_popup().await?;
        popup.expect_panel("login").await?;
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_sign_on_then_the_one_time_code() -> Result<()> {
    let companion = companion_with_sso()?;
    companion.add_user("dave@example.com", "dave")?;
    let secret = companion.enrol_totp("dave")?.secret;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&companion.url).await?;
        let popup = single_sign_on(&browser, &popup, "dave", Some("dave-pass")).await?;
        popup.expect_panel("otp").await?;
        popup.screenshot("otp-after-sso").await?;
        // The code goes with the same single sign-on token.
        popup.type_into("#otp", &totp_code(&secret, 0)?).await?;
        popup.expect_panel("start").await?;
        popup.wait_for("[data-summary=\"account\"]").await?;
        ensure!(popup.attr(".who", "data-user").await?.as_deref() == Some("dave@example.com"));
        let totp = popup.text("[data-fact=\"totp\"]").await?;
        ensure!(totp.contains("on"), "{totp}");
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_sign_on_meets_another_session_and_ends_it() -> Result<()> {
    let companion = companion_with_sso()?;
    companion.add_user("alice@example.com", "alice")?;
    let elsewhere = companion.log_in_elsewhere("alice")?;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&companion.url).await?;
        let popup = single_sign_on(&browser, &popup, "alice", Some("alice-pass")).await?;
        popup.expect_panel("conflict").await?;
        // The token login names the session to end, picked from the list.
        ensure!(
            popup.has(".sessions").await,
            "no list of sessions to pick from"
        );
        popup.screenshot("conflict-after-sso").await?;
        popup.click("[data-action=\"end-session\"]").await?;
        popup.expect_panel("start").await?;
        let check: Value = http()
            .post(format!("{}/server/login-check", companion.url))
            .header("X-BackendAI-SessionID", &elsewhere)
            .send_json(json!({}))?
            .body_mut()
            .read_json()?;
        ensure!(check["authenticated"] == false, "{check}");
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_sign_on_sets_up_required_two_factor_first() -> Result<()> {
    let companion = companion_with_sso_and(&[("BAIGATE_TOTP__REQUIRED", "true".to_owned())])?;
    companion.add_user("erin@example.com", "erin")?;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&companion.url).await?;
        let popup = single_sign_on(&browser, &popup, "erin", Some("erin-pass")).await?;
        popup.expect_panel("totp-setup").await?;
        let key = popup
            .attr("[data-totp-key]", "data-totp-key")
            .await?
            .context("no key")?;
        let secret = totp_rs::Secret::Encoded(key)
            .to_bytes()
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        popup
            .type_into("#totp-code", &totp_code(&secret, 0)?)
            .await?;
        popup.wait_for("[data-step=\"codes\"]").await?;
        popup.click("[data-action=\"codes-saved\"]").await?;
        // The login goes on with the same token and the next code.
        popup.expect_panel("otp").await?;
        popup.type_into("#otp", &totp_code(&secret, 1)?).await?;
        popup.expect_panel("start").await?;
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_opens_the_popup_again_after_the_sign_in() -> Result<()> {
    let companion = companion_with_sso()?;
    companion.add_user("alice@example.com", "alice")?;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&companion.url).await?;
        let client = popup.client();
        let home = client.window().await?;
        let known = client.windows().await?;
        popup.click("[data-action=\"sso-openid\"]").await?;
        browser.switch_to_new_window(&known).await?;
        let sign_in = client.window().await?;
        // The popup closes when the sign-in window takes the focus.
        browser.switch_to(home.clone()).await?;
        client.goto("about:blank").await?;
        let window = browser.switch_to(sign_in).await?;
        fill_sign_in(&window, "alice", Some("alice-pass")).await?;
        // The worker opened the toolbar popup again (chromedriver lists it
        // as a window), logged in.
        let reopened = toolbar_popup(&browser, &home).await?;
        reopened.expect_panel("start").await?;
        reopened.wait_for("[data-summary=\"account\"]").await?;
        ensure!(reopened.attr(".who", "data-user").await?.as_deref() == Some("alice@example.com"));
        Ok(())
    })
}

/// Switches to the toolbar popup, once the browser has opened it (the
/// sign-in window may still be closing meanwhile).
async fn toolbar_popup<'a>(browser: &'a Browser, home: &WindowHandle) -> Result<Popup<'a>> {
    let client = browser.client()?;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        for window in client.windows().await? {
            if window == *home {
                continue;
            }
            // A window that closes meanwhile is not it.
            let Ok(page) = browser.switch_to(window).await else {
                continue;
            };
            if let Ok(address) = client.current_url().await
                && address.path() == "/popup.html"
            {
                return Ok(page);
            }
        }
        ensure!(Instant::now() < deadline, "the popup was not opened again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_popup_opened_after_the_sign_in_takes_its_next_step() -> Result<()> {
    let companion = companion_with_sso()?;
    companion.add_user("dave@example.com", "dave")?;
    let secret = companion.enrol_totp("dave")?.secret;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&companion.url).await?;
        let client = popup.client();
        let first = client.window().await?;
        let known = client.windows().await?;
        popup.click("[data-action=\"sso-openid\"]").await?;
        browser.switch_to_new_window(&known).await?;
        let sign_in = client.window().await?;
        // Another popup is open when the sign-in ends (so the worker leaves
        // the toolbar popup alone), and the one that started it has closed.
        let second = client.new_window(false).await?.handle;
        browser.switch_to(second.clone()).await?;
        browser.open_popup().await?.expect_panel("login").await?;
        browser.switch_to(first).await?;
        client.goto("about:blank").await?;
        let window = browser.switch_to(sign_in).await?;
        fill_sign_in(&window, "dave", Some("dave-pass")).await?;
        let waiting = browser.switch_to(second).await?;
        // The report waits in storage for the next popup.
        let deadline = Instant::now() + Duration::from_secs(15);
        while waiting
            .eval("return chrome.storage.session.get('sso_report').then((r) => 'sso_report' in r);")
            .await?
            != json!(true)
        {
            ensure!(Instant::now() < deadline, "no report stored");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Opened again, the popup takes it and asks for the code that goes
        // with the token.
        let popup = browser.open_popup().await?;
        popup.expect_panel("otp").await?;
        popup.type_into("#otp", &totp_code(&secret, 0)?).await?;
        popup.expect_panel("start").await?;
        let again = browser.open_popup().await?;
        again.expect_panel("start").await?;
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_at_the_provider_or_closing_the_window_says_so() -> Result<()> {
    let companion = companion_with_sso()?;
    companion.add_user("erin@example.com", "erin")?;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&companion.url).await?;

        // Cancelled at the provider: back at the form with the reason.
        let popup = single_sign_on(&browser, &popup, "erin", None).await?;
        let message = popup.expect_notice("ssoAccessDenied").await?;
        ensure!(message.contains("cancelled"), "{message}");
        popup.expect_panel("login").await?;
        popup.screenshot("login-sso-cancelled").await?;

        // The sign-in window closed by the user.
        let client = popup.client();
        let home = client.window().await?;
        let known = client.windows().await?;
        popup.click("[data-action=\"sso-openid\"]").await?;
        let window = browser.switch_to_new_window(&known).await?;
        window.wait_for("#sign-in").await?;
        let popup = browser.back_to(home).await?;
        popup.expect_notice("ssoWindowClosed").await?;
        popup.expect_panel("login").await?;

        // The next try still works.
        let popup = single_sign_on(&browser, &popup, "erin", Some("erin-pass")).await?;
        popup.expect_panel("start").await?;
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_a_tab_with_a_backend_ai_webserver() -> Result<()> {
    // The companion behind a front that hides what it is: to the popup, a
    // Backend.AI webserver, whose plugin sends tokens to its own origin only.
    let mut front = WebserverFront::bind().await?;
    let allowed = format!("[\"{}\"]", front.url);
    let companion = companion_with_sso_and(&[("BAIGATE_SSO__ALLOWED_REDIRECTS", allowed)])?;
    front.forward_to(&companion.url)?;
    let access_key = companion.add_user("alice@example.com", "alice")?;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup
            .use_endpoint_answering(&front.url, "backend-ai")
            .await?;
        // A tab opens on the extension's page that posts the WebUI's form,
        // then shows the provider; it closes once it lands with the token.
        let popup = single_sign_on(&browser, &popup, "alice", Some("alice-pass")).await?;
        popup.expect_panel("start").await?;
        ensure!(popup.text(".access-key code").await? == access_key);
        let windows = popup.client().windows().await?;
        ensure!(
            windows.len() == 1,
            "the sign-in tab was closed: {windows:?}"
        );
        popup.click("[data-action=\"logout\"]").await?;
        popup.expect_panel("login").await?;
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webui_form_post_lands_with_a_token_that_logs_in() -> Result<()> {
    let companion = companion_with_sso()?;
    companion.add_user("alice@example.com", "alice")?;
    let landing = format!("{}/terms?from=webui", companion.url);
    with_browser!(browser, {
        // What the WebUI does: a form post to the endpoint's
        // `/func/openid/login`, `redirect_to` the page to come back to. (Posted
        // from a blank page: the companion's own pages allow forms to post
        // only to themselves, and Chromium holds the provider redirect to that.)
        let page = browser.open_page("about:blank").await?;
        page.eval(&format!(
            "const form = document.createElement('form'); form.method = 'POST'; \
             form.action = {action}; const field = document.createElement('input'); \
             field.type = 'hidden'; field.name = 'redirect_to'; field.value = {landing}; \
             form.append(field); document.body.append(form); form.submit();",
            action = json!(format!("{}/func/openid/login", companion.url)),
            landing = json!(landing)
        ))
        .await?;
        fill_sign_in(&page, "alice", Some("alice-pass")).await?;
        let reached = wait_for_token(&page, &landing).await?;
        let token = reached
            .query_pairs()
            .find(|(key, _)| key == "sToken")
            .map(|(_, value)| value.into_owned())
            .context("no sToken")?;

        // The WebUI's next request: the token for a session.
        let mut answer = http()
            .post(format!("{}/server/token-login", companion.url))
            .send_json(json!({"sToken": &token}))?;
        let session = answer
            .headers()
            .get("x-backendai-sessionid")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .context("token login gave no session")?;
        let body: Value = answer.body_mut().read_json()?;
        ensure!(body["authenticated"] == true, "{body}");
        let check: Value = http()
            .post(format!("{}/server/login-check", companion.url))
            .header("X-BackendAI-SessionID", &session)
            .send_json(json!({}))?
            .body_mut()
            .read_json()?;
        ensure!(check["authenticated"] == true, "{check}");
        // Spent: the same token again is refused.
        let again: Value = http()
            .post(format!("{}/server/token-login", companion.url))
            .send_json(json!({"sToken": token}))?
            .body_mut()
            .read_json()?;
        ensure!(again["authenticated"] == false, "{again}");
        Ok(())
    })
}

/// Waits until the page is at `landing` with a token (or an error) added.
pub(crate) async fn wait_for_token(page: &Popup<'_>, landing: &str) -> Result<url::Url> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let current = page.client().current_url().await?;
        if current.as_str().starts_with(landing)
            && current
                .query_pairs()
                .any(|(key, _)| key == "sToken" || key == "bai_error")
        {
            ensure!(
                current.query_pairs().any(|(key, _)| key == "sToken"),
                "landed without a token: {current}"
            );
            return Ok(current);
        }
        ensure!(Instant::now() < deadline, "never landed: {current}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
