//! The extension against a page that turned hostile (hardening.md §2.2,
//! E-1…E-8): code run in the content-script world of a page — what a
//! compromised renderer can do where the sidebar script runs — can neither
//! send the worker's messages nor read or change the extension's storage;
//! the sidebar script runs only on configured origins, with their ports;
//! the extension's pages post no forms and take no `<base>`.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use baigate_e2e::webui::{Layout, WebUiPage};
use baigate_e2e::{Companion, PASSWORD, Popup, http, sidebar_patterns};
use serde_json::{Value, json};

/// Runs `body` (the text of an async function of no arguments) in the
/// content-script world of the tab at `page_url`, from an extension page;
/// its result.
async fn in_content_world(page: &Popup<'_>, page_url: &str, body: &str) -> Result<Value> {
    let pattern = format!("{}/*", page_url.trim_end_matches('/'));
    let script = format!(
        "const [tab] = await chrome.tabs.query({{url: {pattern}}});
         if (!tab) throw new Error('no tab at ' + {pattern});
         const [injected] = await chrome.scripting.executeScript({{
           target: {{tabId: tab.id}}, func: {body} }});
         return injected.result;",
        pattern = json!(pattern),
    );
    page.eval(&format!("return (async () => {{ {script} }})();"))
        .await
}

fn server_knows(companion: &Companion, session: &str) -> Result<bool> {
    let mut reply = http()
        .post(format!("{}/server/login-check", companion.url))
        .header("X-BackendAI-SessionID", session)
        .send_empty()?;
    let answer: Value = reply.body_mut().read_json()?;
    Ok(answer["authenticated"] == json!(true))
}

async fn stored(page: &Popup<'_>, area: &str, key: &str) -> Result<Value> {
    page.eval(&format!(
        "return chrome.storage.{area}.get({key:?}).then((items) => items[{key:?}] ?? null);"
    ))
    .await
}

/// What the content-script world tries: the worker's messages, the
/// offscreen page's, and storage.
const HOSTILE: &str = "async () => {
    const attempt = (promise) => promise.then(
        (answer) => ({ answered: answer ?? null }),
        (error) => ({ refused: String(error.message || error) }));
    return {
        clearAll: await attempt(chrome.runtime.sendMessage({ type: 'clear-all' })),
        sessionChanged: await attempt(chrome.runtime.sendMessage({ type: 'session-changed' })),
        clipboard: await attempt(chrome.runtime.sendMessage({ type: 'offscreen-clear-clipboard' })),
        write: await attempt(chrome.storage.local.set({ endpoint: 'http://127.0.0.1:9' })),
        read: await attempt(chrome.storage.local.get(null)),
        session: await attempt(chrome.storage.session.get(null)),
    };
}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_can_neither_clear_everything_nor_repoint_the_endpoint() -> Result<()> {
    let companion = Companion::start(&[])?;
    companion.add_user("mallory-target@example.com", "victim")?;
    let site = WebUiPage::start(Layout::Legacy).await?;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&companion.url).await?;
        popup.log_in("victim", PASSWORD).await?;
        popup.expect_panel("start").await?;
        let session = stored(&popup, "session", &format!("session:{}", companion.url))
            .await?
            .as_str()
            .context("no session stored")?
            .to_owned();

        // The hostile page in this window; the extension page beside it.
        browser.open_page(&site.url).await?;
        let (popup, _page_window) = browser.open_popup_beside().await?;
        // The offscreen page open, as when the worker wipes the clipboard.
        popup
            .eval(
                "return chrome.offscreen.createDocument({url: 'offscreen.html',
                   reasons: ['CLIPBOARD'], justification: 'test'});",
            )
            .await?;
        let outcome = in_content_world(&popup, &site.url, HOSTILE).await?;
        popup
            .eval("return chrome.offscreen.closeDocument();")
            .await?;
        for message in ["clearAll", "sessionChanged", "clipboard"] {
            ensure!(
                outcome[message].get("answered").is_none_or(Value::is_null),
                "the {message} message was answered: {outcome}"
            );
        }
        for storage in ["write", "read", "session"] {
            ensure!(
                outcome[storage].get("refused").is_some(),
                "storage {storage} was allowed: {outcome}"
            );
        }

        // Nothing changed: the session, on the server too, and the endpoint.
        tokio::time::sleep(Duration::from_millis(500)).await;
        ensure!(
            stored(&popup, "session", &format!("session:{}", companion.url)).await?
                == json!(session),
            "the session id is kept"
        );
        ensure!(
            server_knows(&companion, &session)?,
            "still logged in on the server"
        );
        ensure!(
            stored(&popup, "local", "endpoint").await? == json!(companion.url),
            "the endpoint is unchanged"
        );
        let popup = browser.open_popup().await?;
        popup.expect_panel("start").await?;
        Ok(())
    })
}

/// The sidebar as the page shows it: narrow or not.
async fn narrow(page: &Popup<'_>) -> Result<bool> {
    page.eval(
        "const s = document.querySelector('.ant-layout-sider');
         return s.classList.contains('ant-layout-sider-collapsed');",
    )
    .await?
    .as_bool()
    .context("no sidebar")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sidebar_script_runs_only_on_configured_origins_with_their_ports() -> Result<()> {
    let companion = Companion::start(&[])?;
    let other = WebUiPage::start(Layout::Legacy).await?;
    with_browser!(browser, {
        // Registered for the endpoint in use, with its port; never for every
        // port of this computer.
        let popup = browser.open_popup().await?;
        popup.use_endpoint(&companion.url).await?;
        let wanted = format!("{}/*", companion.url);
        let deadline = Instant::now() + Duration::from_secs(10);
        let patterns = loop {
            let patterns = sidebar_patterns(&popup).await?;
            if patterns == [wanted.clone()] || Instant::now() > deadline {
                break patterns;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        ensure!(patterns == [wanted], "registered on {patterns:?}");

        // A WebUI on another port of this computer is left alone: `[` does
        // nothing there, and the popup offers no toggle over it.
        let page = browser.open_page(&other.url).await?;
        page.wait_for(".ant-layout-sider").await?;
        page.press("[").await?;
        tokio::time::sleep(Duration::from_millis(700)).await;
        ensure!(!narrow(&page).await?, "toggled on an unconfigured origin");
        let (popup, page_window) = browser.open_popup_beside().await?;
        popup.expect_panel("login").await?;
        tokio::time::sleep(Duration::from_millis(700)).await;
        ensure!(
            !popup.has("#toggle-sidebar").await,
            "the popup offers a toggle on an unconfigured origin"
        );
        browser.back_to(page_window).await?;

        // Once added in the options, it is covered.
        browser.add_webui_address(&other.url).await?;
        let page = browser.open_page(&other.url).await?;
        page.wait_for(".ant-layout-sider").await?;
        page.press("[").await?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while !narrow(&page).await? {
            ensure!(Instant::now() < deadline, "not toggled once configured");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    })
}

/// A violation of the page's CSP that `script` causes, or "none".
async fn violation(page: &Popup<'_>, script: &str) -> Result<String> {
    let value = page
        .eval(&format!(
            "return new Promise((resolve) => {{
               document.addEventListener('securitypolicyviolation',
                 (event) => resolve(event.effectiveDirective), {{ once: true }});
               setTimeout(() => resolve('none'), 1500);
               {script}
             }});"
        ))
        .await?;
    value.as_str().map(str::to_owned).context("no answer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extension_pages_load_under_the_strict_policy_and_post_no_forms() -> Result<()> {
    let companion = Companion::start(&[])?;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup.expect_panel("login").await?;
        let form = format!(
            "const form = document.createElement('form'); form.method = 'POST';
             form.action = {action}; document.body.append(form); form.submit();",
            action = json!(format!("{}/server/login", companion.url))
        );
        ensure!(violation(&popup, &form).await? == "form-action");
        ensure!(
            popup.has("[data-panel=\"login\"]").await,
            "the popup stayed"
        );
        let base = "const base = document.createElement('base');
                    base.href = 'http://127.0.0.1:9/'; document.head.append(base);";
        ensure!(violation(&popup, base).await? == "base-uri");

        let options = browser.open_extension_page("options.html").await?;
        options.wait_for("main.options").await?;

        // The offscreen page loads and wipes the clipboard when the
        // extension's own pages ask.
        let answer = options
            .eval(
                "return chrome.offscreen.createDocument({url: 'offscreen.html',
                   reasons: ['CLIPBOARD'], justification: 'test'})
                 .then(() => chrome.runtime.sendMessage({type: 'offscreen-clear-clipboard'}))
                 .then((answer) => chrome.offscreen.closeDocument().then(() => answer));",
            )
            .await?;
        ensure!(answer.get("cleared").is_some(), "offscreen: {answer}");

        // The single sign-on page is sandboxed: it runs, with no extension
        // API, and shows the words it was given.
        let page = browser
            .open_extension_page("sso.html?action=nowhere&opening=Opening&failed=Not%20here")
            .await?;
        page.wait_text("#status", "Not here").await?;
        let api = page.eval("return typeof chrome?.storage;").await?;
        ensure!(api == json!("undefined"), "chrome.storage is {api}");
        Ok(())
    })
}
