//! `chrome.i18n.getMessage`: the strings of `_locales/<lang>/messages.json`
//! in the browser's language.

use js_sys::Array;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "i18n"], js_name = getMessage)]
    fn get_message(name: &str, substitutions: &JsValue) -> Result<String, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "i18n"], js_name = getUILanguage)]
    fn get_ui_language() -> Result<String, JsValue>;
}

/// The message `key` with `$1`, `$2`… filled from `values`; the key itself
/// when there is no such message (or no extension around).
pub fn message(key: &str, values: &[&str]) -> String {
    let substitutions = Array::new();
    for value in values {
        substitutions.push(&JsValue::from_str(value));
    }
    match get_message(key, &substitutions) {
        Ok(text) if !text.is_empty() => text,
        _ => key.to_owned(),
    }
}

/// The browser's UI language tag (for number and date formatting).
pub fn ui_language() -> String {
    get_ui_language().unwrap_or_else(|_| "en".to_owned())
}
