//! `chrome.action`: the toolbar button's badge and tooltip, and its popup.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::js::{object, settle};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "action"], js_name = setBadgeText)]
    fn set_badge_text(details: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "action"], js_name = setBadgeBackgroundColor)]
    fn set_badge_background_color(details: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "action"], js_name = setTitle)]
    fn set_title(details: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "action"], js_name = openPopup)]
    fn open_popup_in_focus() -> Result<Promise, JsValue>;
}

/// Opens the toolbar popup over the focused window (Chrome 127 and later);
/// whether it opened.
pub async fn open_popup() -> bool {
    settle(open_popup_in_focus()).await.is_some()
}

/// Shows `text` (up to about four characters) on `color` (`#rrggbb`), and
/// `title` as the button's tooltip.
pub async fn badge(text: &str, color: &str, title: &str) {
    settle(set_badge_text(&object(&[("text", text.into())]))).await;
    settle(set_badge_background_color(&object(&[(
        "color",
        color.into(),
    )])))
    .await;
    settle(set_title(&object(&[("title", title.into())]))).await;
}
