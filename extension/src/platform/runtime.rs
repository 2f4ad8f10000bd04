//! `chrome.runtime`: messages between the popup, the pages and the service
//! worker, and the extension's own identity.

use js_sys::Promise;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

use super::js::{object, settle};
use super::storage::to_js;
use crate::messages::WorkerMessage;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "runtime"], js_name = sendMessage)]
    fn send_message(message: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "runtime"], js_name = getURL)]
    fn get_url(path: &str) -> Result<String, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "runtime"], js_name = openOptionsPage)]
    fn open_options_page() -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "runtime"], js_name = getContexts)]
    fn get_contexts(filter: &JsValue) -> Result<Promise, JsValue>;
}

/// Opens the extension's options page.
pub async fn open_options() {
    settle(open_options_page()).await;
}

/// Tells the service worker something; its answer.
pub async fn tell_worker(message: WorkerMessage) -> Option<JsValue> {
    send(&message).await
}

/// Sends a message to the extension's other pages (the offscreen page, the
/// service worker); the first answer.
pub async fn send<M: Serialize>(message: &M) -> Option<JsValue> {
    settle(send_message(&to_js(message)?)).await
}

/// A message received from JavaScript, if it is one of `M`.
pub fn read_message<M: DeserializeOwned>(message: JsValue) -> Option<M> {
    serde_wasm_bindgen::from_value(message).ok()
}

/// The URL of one of the extension's files.
pub fn url(path: &str) -> Option<String> {
    get_url(path).ok()
}

/// Whether one of the extension's pages at `path` is open (as the toolbar
/// popup or in a tab).
pub async fn page_open(path: &str) -> bool {
    let Some(address) = url(path) else {
        return false;
    };
    let urls = js_sys::Array::of1(&address.into());
    settle(get_contexts(&object(&[("documentUrls", urls.into())])))
        .await
        .is_some_and(|found| js_sys::Array::from(&found).length() > 0)
}

/// The prefix of every URL of the extension's own pages.
pub fn own_origin() -> Option<String> {
    url("").map(|u| u.trim_end_matches('/').to_owned())
}
