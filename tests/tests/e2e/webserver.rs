//! The popup against a real Backend.AI webserver 23.09.10 (no companion
//! routes; Redis and the stand-in manager behind it): a wrong password says
//! so, a login shows the name typed and no Extend, and says quietly what
//! the server does not offer; Log out reaches the webserver; the toolbar
//! badge and the service worker's 30-second check follow a session the
//! webserver forgets.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use baigate_e2e::webserver::{ACCESS_KEY, BackendAiWebserver, EMAIL, PASSWORD};

use crate::background::{badge, eventually, notifications, session_id};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_2309_webserver_logs_in_and_out_and_its_forgotten_session_logs_out() -> Result<()> {
    // One test: forgetting sessions (Redis flushed) touches every session
    // of the shared webserver.
    let webserver = BackendAiWebserver::shared()?;
    with_browser!(browser, {
        let popup = browser.open_popup().await?;
        popup
            .use_endpoint_answering(&webserver.url, "backend-ai")
            .await?;
        popup.wait_text("[data-health]", "23.09.10").await?;

        // A wrong password: its message, from the manager's refusal.
        popup.log_in(EMAIL, "Wr0ng!password").await?;
        popup.expect_notice("errorMismatch").await?;

        // The start panel: the name typed, no Extend, no countdown, and one
        // quiet line saying what this server does not offer.
        popup.log_in(EMAIL, PASSWORD).await?;
        popup.expect_panel("start").await?;
        let who = popup.attr(".who", "data-user").await?;
        ensure!(who.as_deref() == Some(EMAIL), "logged in as {who:?}");
        ensure!(
            !popup.text(".who").await?.contains(ACCESS_KEY),
            "the title names the access key"
        );
        ensure!(popup.text(".access-key code").await? == ACCESS_KEY);
        popup
            .wait_for("[data-qa=\"not-offered\"][data-not-offered=\"notOfferedEndOrExtend\"]")
            .await?;
        ensure!(!popup.has("[data-action=\"extend\"]").await, "Extend shown");
        ensure!(!popup.has("[role=\"timer\"]").await, "a countdown shown");
        ensure!(!popup.has(".notice.error").await, "an error shown");
        popup.screenshot("webserver-2309-start").await?;

        // Log out reaches the webserver: the session is gone there.
        let session = session_id(&popup, &webserver.url)
            .await?
            .context("no session stored")?;
        ensure!(webserver.knows(&session)?, "the webserver has the session");
        popup.click("[data-action=\"logout\"]").await?;
        popup.expect_panel("login").await?;
        ensure!(!webserver.knows(&session)?, "the webserver still has it");

        // Logged in again, then away from the popup: the worker keeps the
        // badge ("on": the server gives no end) and checks every 30 s.
        popup.log_in(EMAIL, PASSWORD).await?;
        popup.expect_panel("start").await?;
        let page = browser.open_extension_page("options.html").await?;
        page.wait_for("main.options").await?;
        eventually(Duration::from_secs(10), "the badge", || async {
            Ok(badge(&page).await?.0 == "on")
        })
        .await?;

        // The webserver forgets every session: the worker notices.
        webserver.forget_sessions()?;
        let ended = format!("ended:{}", webserver.url);
        eventually(
            Duration::from_secs(45),
            "the logout after the webserver forgot the session",
            || async {
                Ok(badge(&page).await?.0 == "–" && notifications(&page).await?.contains(&ended))
            },
        )
        .await?;
        ensure!(session_id(&page, &webserver.url).await?.is_none());
        let popup = browser.open_popup().await?;
        popup.expect_panel("login").await?;
        Ok(())
    })
}
