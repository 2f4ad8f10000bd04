//! `chrome.notifications`: the expiry warning with its buttons.

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

use super::js::{object, settle};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "notifications"], js_name = create)]
    fn notifications_create(id: &str, options: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "notifications"], js_name = clear)]
    fn notifications_clear(id: &str) -> Result<Promise, JsValue>;
}

/// Shows (or replaces) the notification `id`, with up to two buttons.
pub async fn show(id: &str, title: &str, message: &str, buttons: &[&str]) {
    let list = Array::new();
    for button in buttons {
        list.push(&object(&[("title", (*button).into())]));
    }
    let options = object(&[
        ("type", "basic".into()),
        ("iconUrl", "icons/icon-128.png".into()),
        ("title", title.into()),
        ("message", message.into()),
        ("buttons", list.into()),
        ("priority", JsValue::from(1)),
    ]);
    settle(notifications_create(id, &options)).await;
}

pub async fn clear(id: &str) {
    settle(notifications_clear(id)).await;
}
