//! The baigate browser extension: a Yew popup that logs in to Backend.AI
//! webservers and baigate companions.
//!
//! Layers: `platform` (the only code that touches `chrome.*` and `fetch`) →
//! `client` (the wire protocol) → `actions` (effects) → `state` (a pure
//! reducer) ← `panels` and `components` (views).

pub mod actions;
pub mod app;
pub mod client;
pub mod components;
pub mod panels;
pub mod platform;
pub mod profiles;
pub mod protocol;
pub mod qr;
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
    let document = web_sys::window()?.document()?;
    if let Some(root) = document.document_element() {
        let _ = root.set_attribute("lang", &platform::i18n::ui_language());
    }
    document.get_element_by_id("app")
}
