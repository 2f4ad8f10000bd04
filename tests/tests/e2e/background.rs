//! The service worker: the toolbar badge, the expiry warning, the logout at
//! the end and when the session ends elsewhere; the options page.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use baigate_e2e::{Browser, Companion, PASSWORD, Popup, http};
use serde_json::{Value, json};

/// What the extension shows and keeps, read from one of its pages.
pub(crate) async fn badge(page: &Popup<'_>) -> Result<(String, Vec<u64>, String)> {
    let value = page
        .eval(
            "return Promise.all([chrome.action.getBadgeText({}),
                                 chrome.action.getBadgeBackgroundColor({}),
                                 chrome.action.getTitle({})]);",
        )
        .await?;
    let text = value[0].as_str().context("badge text")?.to_owned();
    let color = value[1]
        .as_array()
        .context("badge colour")?
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    let title = value[2].as_str().context("title")?.to_owned();
    Ok((text, color, title))
}

pub(crate) async fn notifications(page: &Popup<'_>) -> Result<Vec<String>> {
    let ids = page
        .eval("return chrome.notifications.getAll().then(Object.keys);")
        .await?;
    Ok(ids
        .as_array()
        .context("notification ids")?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect())
}

pub(crate) async fn session_id(page: &Popup<'_>, endpoint: &str) -> Result<Option<String>> {
    let key = format!("session:{endpoint}");
    let stored = page
        .eval(&format!(
            "return chrome.storage.session.get({key:?}).then((items) => items[{key:?}] ?? null);"
        ))
        .await?;
    // Stored as is (a string), not as JSON text.
    Ok(stored.as_str().map(str::to_owned))
}

/// Polls `check` until it holds.
pub(crate) async fn eventually<F, Fut>(within: Duration, what: &str, mut check: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool>>,
{
    let deadline = Instant::now() + within;
    loop {
        if check().await? {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{what} did not happen within {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn server_knows(companion: &Companion, session: &str) -> Result<bool> {
    let mut reply = http()
        .post(format!("{}/server/login-check", companion.url))
        .header("X-BackendAI-SessionID", session)
        .send_empty()?;
    let answer: Value = reply.body_mut().read_json()?;
    Ok(answer["authenticated"] == json!(true))
}

/// Logs in through the popup, then leaves for the options page (which does
/// not poll), so that only the service worker acts on the session.
async fn log_in_and_leave<'a>(
    browser: &'a Browser,
    companion: &Companion,
    user: &str,
) -> Result<Popup<'a>> {
    let popup = browser.open_popup().await?;
    popup.use_endpoint(&companion.url).await?;
    popup.log_in(user, PASSWORD).await?;
    popup.expect_panel("start").await?;
    let page = browser.open_extension_page("options.html").await?;
    page.wait_for("main.options").await?;
    Ok(page)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_badge_counts_down_warns_and_logs_out_at_the_end() -> Result<()> {
    // The shortest lifetime the companion allows: the warning (5 minutes
    // ahead by default) is due at once, the end comes a minute later.
    let companion = Companion::start(&[("BAIGATE_SESSION__LIFETIME", "1m")])?;
    companion.add_user("carol@example.com", "carol")?;
    with_browser!(browser, {
        let page = browser.open_extension_page("options.html").await?;
        page.wait_for("main.options").await?;
        let (text, _, title) = badge(&page).await?;
        ensure!(
            text == "–" && title.contains("logged out"),
            "logged out: {text} / {title}"
        );

        let page = log_in_and_leave(&browser, &companion, "carol").await?;
        let session = session_id(&page, &companion.url)
            .await?
            .context("no session stored")?;
        eventually(Duration::from_secs(10), "the badge countdown", || async {
            Ok(badge(&page).await?.0 == "1m")
        })
        .await?;
        let (_, color, title) = badge(&page).await?;
        ensure!(
            color == [198, 40, 40, 255],
            "the last minutes are red: {color:?}"
        );
        ensure!(title.contains("1m"), "{title}");
        let warning = format!("expiry:{}", companion.url);
        eventually(Duration::from_secs(10), "the expiry warning", || async {
            Ok(notifications(&page).await?.contains(&warning))
        })
        .await?;

        // At the end the worker logs out, on the server too.
        let ended = format!("ended:{}", companion.url);
        eventually(
            Duration::from_secs(100),
            "the logout at the end",
            || async {
                Ok(badge(&page).await?.0 == "–" && notifications(&page).await?.contains(&ended))
            },
        )
        .await?;
        ensure!(
            session_id(&page, &companion.url).await?.is_none(),
            "the session id is forgotten"
        );
        ensure!(
            !server_knows(&companion, &session)?,
            "the server session is gone"
        );
        let popup = browser.open_popup().await?;
        popup.expect_panel("login").await?;
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ended_elsewhere_logs_the_extension_out() -> Result<()> {
    let companion = Companion::start(&[("BAIGATE_SESSION__LIFETIME", "30m")])?;
    companion.add_user("dave@example.com", "dave")?;
    with_browser!(browser, {
        let page = log_in_and_leave(&browser, &companion, "dave").await?;
        eventually(Duration::from_secs(10), "the badge countdown", || async {
            Ok(badge(&page).await?.0 == "30m")
        })
        .await?;
        let (_, color, _) = badge(&page).await?;
        ensure!(
            color == [37, 99, 235, 255],
            "blue while time is left: {color:?}"
        );

        // The browser stops the idle worker; the alarms wake it again.
        ensure!(
            !browser.service_workers().await?.is_empty(),
            "the worker runs"
        );
        browser.devtools("ServiceWorker.enable", json!({})).await?;
        browser
            .devtools("ServiceWorker.stopAllWorkers", json!({}))
            .await?;
        eventually(Duration::from_secs(5), "the worker stopping", || async {
            Ok(browser.service_workers().await?.is_empty())
        })
        .await?;

        // Another browser takes over the account (one session allowed).
        let login = http()
            .post(format!("{}/server/login", companion.url))
            .send_json(json!({"username": "dave", "password": PASSWORD, "force": true}))?;
        ensure!(login.status() == 200);

        // The worker's next check (every 30 s) notices, without the popup.
        let ended = format!("ended:{}", companion.url);
        eventually(
            Duration::from_secs(45),
            "the logout after the takeover",
            || async {
                Ok(badge(&page).await?.0 == "–" && notifications(&page).await?.contains(&ended))
            },
        )
        .await?;
        ensure!(session_id(&page, &companion.url).await?.is_none());
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_options_change_the_language_and_clear_everything() -> Result<()> {
    let companion = Companion::start(&[])?;
    companion.add_user("erin@example.com", "erin")?;
    with_browser!(browser, {
        let page = log_in_and_leave(&browser, &companion, "erin").await?;
        let session = session_id(&page, &companion.url)
            .await?
            .context("no session")?;
        page.wait_text("h1", "baigate settings").await?;
        page.wait_text(".stored", &format!("Session id for {}", companion.url))
            .await?;
        page.wait_for(&format!(".profile[data-endpoint=\"{}\"]", companion.url))
            .await?;
        page.screenshot("options").await?;
        page.eval("document.getElementById('webui-heading').scrollIntoView()")
            .await?;
        page.screenshot("options-lower").await?;

        // The language applies to the page at once, and to the popup.
        page.wait_for("#language")
            .await?
            .select_by_value("ko")
            .await?;
        page.wait_text("h1", "baigate 설정").await?;
        page.wait_text(".stored", "언어: 한국어").await?;
        page.screenshot("options-ko").await?;
        let popup = browser.open_popup().await?;
        popup.expect_panel("start").await?;
        popup
            .wait_text("[data-action=\"logout\"]", "로그아웃")
            .await?;
        let page = browser.open_extension_page("options.html").await?;

        // The warning time, kept within 2 to 30 minutes.
        let minutes = page.wait_for("#warn-minutes").await?;
        minutes.clear().await?;
        minutes.send_keys("45\u{E004}").await?;
        page.wait_text(".stored", "만료 알림: 30분 전").await?;

        // A profile edited, a WebUI address added.
        page.type_into("#profile-0-username", "erin@example.com")
            .await?;
        page.click(".profile button[type=submit]").await?;
        page.expect_notice("optionsSaved").await?;
        page.type_into("#webui-origin", "http://localhost:9/summary?x=1")
            .await?;
        page.click(".inline-form button[type=submit]").await?;
        page.wait_for(".origin[data-origin=\"http://localhost:9\"]")
            .await?;
        let page = browser.open_extension_page("options.html").await?;
        let username = page
            .wait_for("#profile-0-username")
            .await?
            .prop("value")
            .await?;
        ensure!(
            username.as_deref() == Some("erin@example.com"),
            "kept: {username:?}"
        );

        // Clear everything: logged out on the server, nothing left.
        page.click("#clear-all").await?;
        page.click("#clear-confirm").await?;
        page.wait_for("[data-stored-empty]").await?;
        page.wait_text("h1", "baigate settings").await?;
        ensure!(
            !server_knows(&companion, &session)?,
            "logged out on the server"
        );
        page.screenshot("options-cleared").await?;
        let popup = browser.open_popup().await?;
        popup.expect_panel("login").await?;
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_earlier_builds_stored_as_json_text_still_read_and_are_written_natively()
-> Result<()> {
    let companion = Companion::start(&[])?;
    companion.add_user("gina@example.com", "gina")?;
    with_browser!(browser, {
        // What an earlier build left in storage: every value as JSON text.
        let page = browser.open_extension_page("options.html").await?;
        page.wait_for("main.options").await?;
        let profiles = json!([{"endpoint": companion.url, "username": "gina", "mode": "session"}]);
        page.eval(&format!(
            "return chrome.storage.local.set({{endpoint: {endpoint:?}, profiles: {profiles:?}, \
             language: '\"ja\"', warn_minutes: '12'}});",
            endpoint = serde_json::to_string(&companion.url)?,
            profiles = profiles.to_string(),
        ))
        .await?;

        // The popup reads them: the endpoint, its username, the language.
        let popup = browser.open_popup().await?;
        popup.expect_panel("login").await?;
        popup
            .wait_text("#login-title", "Backend.AI にログイン")
            .await?;
        popup.wait_text(".endpoint-address", &companion.url).await?;
        let username = popup.wait_for("#username").await?.prop("value").await?;
        ensure!(username.as_deref() == Some("gina"), "{username:?}");
        popup.type_into("#password", PASSWORD).await?;
        popup.press(baigate_e2e::keys::ENTER).await?;
        popup.expect_panel("start").await?;

        // The options page reads them too; what the login wrote is native.
        let page = browser.open_extension_page("options.html").await?;
        page.wait_for("main.options").await?;
        let minutes = page.wait_for("#warn-minutes").await?.prop("value").await?;
        ensure!(minutes.as_deref() == Some("12"), "{minutes:?}");
        let stored = page
            .eval("return chrome.storage.local.get('endpoint');")
            .await?;
        ensure!(
            stored["endpoint"] == json!(companion.url),
            "the endpoint, stored as is: {stored}"
        );
        let session = session_id(&page, &companion.url).await?;
        ensure!(session.is_some(), "the session id, stored as is");
        Ok(())
    })
}
