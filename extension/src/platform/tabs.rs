//! The tab the popup was opened over (`chrome.tabs` with `activeTab`: the
//! URL is readable only because the user clicked the toolbar button there).

use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = query)]
    fn tabs_query(query: &JsValue) -> Result<Promise, JsValue>;
}

/// The active tab's URL, when the browser lets the extension see it.
pub async fn active_tab_url() -> Option<String> {
    let query = Object::new();
    let _ = Reflect::set(&query, &"active".into(), &JsValue::TRUE);
    let _ = Reflect::set(&query, &"currentWindow".into(), &JsValue::TRUE);
    let tabs: Array = JsFuture::from(tabs_query(&query).ok()?).await.ok()?.into();
    Reflect::get(&tabs.get(0), &"url".into()).ok()?.as_string()
}
