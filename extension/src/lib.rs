//! The baigate browser extension: a Yew popup that logs in to Backend.AI
//! webservers and baigate companions. The options page and the service
//! worker are crates of their own that build on this one.
//!
//! Layers, each using only those before it: `messages`, `stored`,
//! `profiles`, `timer`, `qr` (plain data and rules) → `platform` (the only
//! code that touches `chrome.*`, `fetch`, the window and the clock) → `text`
//! → `protocol` (what answers mean) → `sso` (single sign-on's addresses and
//! reports) → `notice` → `client` (the wire protocol) → `format` → `state`
//! (a pure reducer) → `hooks` → `components` → `actions` (effects) →
//! `panels` → `app`.
//! `tests/boundaries.rs` checks the platform rule and that no module imports
//! in a circle.

pub mod actions;
pub mod app;
pub mod client;
pub mod components;
pub mod format;
pub mod hooks;
pub mod messages;
pub mod notice;
pub mod panels;
pub mod platform;
pub mod profiles;
pub mod protocol;
pub mod qr;
pub mod sso;
pub mod state;
pub mod stored;
pub mod text;
pub mod timer;

#[cfg(feature = "popup")]
use wasm_bindgen::prelude::*;

/// Renders the popup into `#app` (called by `popup.js`).
#[cfg(feature = "popup")]
#[wasm_bindgen]
pub fn start_popup() {
    wasm_bindgen_futures::spawn_local(async {
        platform::i18n::load_choice().await;
        if let Some(mount) = page_root() {
            yew::Renderer::<app::App>::with_root(mount).render();
        }
    });
}

/// The page's `#app`, with the page's language set to the one in use (the
/// right fonts and line breaking for Korean and Japanese).
pub fn page_root() -> Option<web_sys::Element> {
    platform::dom::set_language(&platform::i18n::ui_language());
    platform::dom::app_root()
}
