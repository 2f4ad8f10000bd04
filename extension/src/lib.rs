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
pub mod text;

use wasm_bindgen::prelude::*;

/// Renders the popup into `#app` (called by `popup.js`).
#[wasm_bindgen]
pub fn start_popup() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(root) = document.document_element() {
        // The right fonts and line breaking for Korean and Japanese.
        let _ = root.set_attribute("lang", &platform::i18n::ui_language());
    }
    if let Some(mount) = document.get_element_by_id("app") {
        yew::Renderer::<app::App>::with_root(mount).render();
    }
}
