//! `chrome.identity`: the sign-in window of a single sign-on
//! (`launchWebAuthFlow`), which ends when it reaches the extension's own
//! `https://<id>.chromiumapp.org/` address.

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::js::{member, object};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "identity"], js_name = getRedirectURL)]
    fn get_redirect_url(path: &str) -> Result<String, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "identity"], js_name = launchWebAuthFlow)]
    fn launch_web_auth_flow(details: &JsValue) -> Result<Promise, JsValue>;
}

/// `https://<extension id>.chromiumapp.org/<path>`; `None` where the
/// browser has no `chrome.identity`.
pub fn redirect_url(path: &str) -> Option<String> {
    get_redirect_url(path).ok()
}

/// What a failure says (an `Error`'s message, or the thrown text).
fn failure_text(error: &JsValue) -> String {
    member(error, "message")
        .as_string()
        .or_else(|| error.as_string())
        .unwrap_or_default()
}

/// Opens a sign-in window at `url` and waits until it reaches the redirect
/// address: that address, or why not (the browser's words: the user closed
/// the window, the page could not be loaded…).
pub async fn sign_in_window(url: &str) -> Result<String, String> {
    let details = object(&[("url", url.into()), ("interactive", JsValue::TRUE)]);
    let promise = launch_web_auth_flow(&details).map_err(|e| failure_text(&e))?;
    let reached = JsFuture::from(promise)
        .await
        .map_err(|e| failure_text(&e))?;
    reached.as_string().ok_or_else(String::new)
}
