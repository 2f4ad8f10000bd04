//! The sidebar toggle on Backend.AI pages: both WebUI generations and a page
//! whose CSP forbids WebAssembly, from the popup and the `[` key.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use baigate_e2e::webui::{Layout, WebUiPage};
use baigate_e2e::{Browser, Popup};

/// How long a toggle that should not happen is given to happen anyway.
const QUIET: Duration = Duration::from_millis(700);

/// The sidebar as the page shows it: narrow or not, and how many times the
/// page's own code changed it.
async fn sidebar(page: &Popup<'_>) -> Result<(bool, u64)> {
    let value = page
        .eval(
            "const s = document.querySelector('.bai-sider, .ant-layout-sider');
             if (!s) return null;
             return [s.classList.contains('bai-sider--collapsed') || s.classList.contains('ant-layout-sider-collapsed'),
                     Number(document.body.dataset.toggles || 0)];",
        )
        .await?;
    let pair = value.as_array().context("no sidebar on the page")?;
    Ok((
        pair.first().and_then(|v| v.as_bool()).context("state")?,
        pair.get(1).and_then(|v| v.as_u64()).context("count")?,
    ))
}

/// Waits for the sidebar to be `narrow` after exactly `toggles` changes, then
/// checks it stays so (no second toggle behind the first).
async fn expect_sidebar(page: &Popup<'_>, narrow: bool, toggles: u64, what: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = sidebar(page).await?;
        if now == (narrow, toggles) {
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "{what}: the sidebar is {now:?}, expected narrow={narrow} after {toggles} toggles"
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(QUIET).await;
    let later = sidebar(page).await?;
    ensure!(
        later == (narrow, toggles),
        "{what}: toggled again, now {later:?}"
    );
    Ok(())
}

async fn screenshot_page(page: &Popup<'_>, name: &str) -> Result<()> {
    page.screenshot(name).await.map(|_| ())
}

/// Everything a person does with one page.
async fn exercise(browser: &Browser, layout: Layout, name: &str) -> Result<()> {
    let site = WebUiPage::start(layout).await?;
    browser.add_webui_address(&site.url).await?;
    let page = browser.open_page(&site.url).await?;
    page.wait_for(".bai-sider, .ant-layout-sider").await?;
    expect_sidebar(&page, false, 0, "as loaded").await?;
    screenshot_page(&page, &format!("sidebar-{name}-wide")).await?;

    // From the popup: its button shows only over a Backend.AI page.
    let (popup, page_window) = browser.open_popup_beside().await?;
    popup.click("#toggle-sidebar").await?;
    popup.wait_for(".sidebar-status").await?;
    ensure!(
        popup
            .attr("#toggle-sidebar", "data-sidebar")
            .await?
            .as_deref()
            == Some("narrow")
    );
    popup.screenshot(&format!("popup-sidebar-{name}")).await?;
    let page = browser.back_to(page_window).await?;
    expect_sidebar(&page, true, 1, "from the popup").await?;
    screenshot_page(&page, &format!("sidebar-{name}-narrow")).await?;

    // The `[` key: once, whether or not the page has its own shortcut.
    page.press("[").await?;
    expect_sidebar(&page, false, 2, "with [").await?;

    // Not while typing: the bracket goes into the field.
    page.click("#search").await?;
    page.press("[").await?;
    expect_sidebar(&page, false, 2, "[ typed into a field").await?;
    let typed = page
        .eval("return document.getElementById('search').value")
        .await?;
    ensure!(typed.as_str() == Some("["), "the field got {typed}");

    // Not with a modifier, nor while a dialog is open.
    page.eval("document.activeElement.blur()").await?;
    page.press("\u{E00A}[\u{E000}").await?;
    expect_sidebar(&page, false, 2, "Alt+[").await?;
    page.click("#open-dialog").await?;
    page.press("[").await?;
    expect_sidebar(&page, false, 2, "[ with a dialog open").await?;
    page.click("#close-dialog").await?;

    // Narrow again, then reload: the page starts wide and the extension
    // applies the width chosen last on this origin.
    page.eval("document.activeElement.blur()").await?;
    page.press("[").await?;
    expect_sidebar(&page, true, 3, "[ again").await?;
    page.client().refresh().await?;
    page.wait_for(".bai-sider, .ant-layout-sider").await?;
    expect_sidebar(&page, true, 1, "after a reload").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sidebar_toggles_on_the_current_webui() -> Result<()> {
    with_browser!(browser, exercise(&browser, Layout::Current, "26").await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sidebar_toggles_on_the_2309_webui() -> Result<()> {
    with_browser!(browser, exercise(&browser, Layout::Legacy, "2309").await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sidebar_toggles_under_a_csp_that_forbids_webassembly() -> Result<()> {
    with_browser!(browser, {
        // The page really forbids WebAssembly…
        let site = WebUiPage::start(Layout::CurrentStrictCsp).await?;
        let page = browser.open_page(&site.url).await?;
        page.wait_for(".bai-sider").await?;
        let compiled = page
            .eval(
                "return WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))
                   .then(() => 'compiled', (error) => error.name);",
            )
            .await?;
        ensure!(
            compiled.as_str() == Some("CompileError"),
            "wasm on the strict page: {compiled}"
        );
        drop(site);
        // …and the toggle works there all the same.
        exercise(&browser, Layout::CurrentStrictCsp, "strict-csp").await
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sidebar_toggles_once_where_the_pages_own_key_acts_at_once() -> Result<()> {
    // The page's `[` changes the sidebar before the extension's listener
    // runs, and does not say so (no preventDefault): one toggle, not two.
    with_browser!(
        browser,
        exercise(
            &browser,
            Layout::CurrentSynchronousShortcut,
            "sync-shortcut"
        )
        .await
    )
}
