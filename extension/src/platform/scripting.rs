//! `chrome.scripting`: the content script, registered only on the origins
//! where Backend.AI pages are expected (never on every site).

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

use super::js::{object, settle};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "scripting"], js_name = registerContentScripts)]
    fn register_content_scripts(scripts: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "scripting"], js_name = unregisterContentScripts)]
    fn unregister_content_scripts(filter: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "scripting"], js_name = executeScript)]
    fn execute_script(injection: &JsValue) -> Result<Promise, JsValue>;
}

/// Runs `file` in an open tab now (a registered script reaches only pages
/// loaded after its registration). False when the browser refused.
pub async fn inject(tab_id: i32, file: &str) -> bool {
    let injection = object(&[
        ("target", object(&[("tabId", JsValue::from(tab_id))])),
        ("files", Array::of1(&file.into()).into()),
    ]);
    settle(execute_script(&injection)).await.is_some()
}

/// (Re)registers the script `id` (`file`) on the match patterns `matches`;
/// none unregisters it. False when the browser refused.
pub async fn register(id: &str, file: &str, matches: &[String]) -> bool {
    let ids = Array::of1(&id.into());
    settle(unregister_content_scripts(&object(&[("ids", ids.into())]))).await;
    if matches.is_empty() {
        return true;
    }
    let patterns = Array::new();
    for pattern in matches {
        patterns.push(&pattern.into());
    }
    let script = object(&[
        ("id", id.into()),
        ("js", Array::of1(&file.into()).into()),
        ("matches", patterns.into()),
        ("runAt", "document_idle".into()),
        ("persistAcrossSessions", JsValue::TRUE),
    ]);
    settle(register_content_scripts(&Array::of1(&script).into()))
        .await
        .is_some()
}
