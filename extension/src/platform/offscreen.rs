//! `chrome.offscreen`: a hidden page for what a service worker cannot do
//! itself (writing to the clipboard).

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

use super::js::{object, settle};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "offscreen"], js_name = createDocument)]
    fn create_document(parameters: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "offscreen"], js_name = hasDocument)]
    fn has_document() -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "offscreen"], js_name = closeDocument)]
    fn close_document() -> Result<Promise, JsValue>;
}

/// Opens `url` offscreen for the clipboard, unless a page is open already.
pub async fn open_for_clipboard(url: &str, justification: &str) -> bool {
    if settle(has_document()).await.and_then(|v| v.as_bool()) == Some(true) {
        return true;
    }
    let parameters = object(&[
        ("url", url.into()),
        ("reasons", Array::of1(&"CLIPBOARD".into()).into()),
        ("justification", justification.into()),
    ]);
    settle(create_document(&parameters)).await.is_some()
}

pub async fn close() {
    settle(close_document()).await;
}
