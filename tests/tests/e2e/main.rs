//! The popup in headless Chromium against a real companion process, driven
//! as a person would. Screenshots of every panel go to `dist/screenshots/`.

/// Runs the block with a fresh browser (optionally in a language) and always
/// closes the browser.
macro_rules! with_browser {
    ($browser:ident, $body:expr) => {{
        let $browser = baigate_e2e::Browser::start().await?;
        let outcome: anyhow::Result<()> = async { $body }.await;
        $browser.close().await;
        outcome
    }};
}

mod accounts;
mod background;
mod hardening;
mod languages;
mod login;
mod pages;
mod saml;
mod sso;
mod tls;
mod webserver;
