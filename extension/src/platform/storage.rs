//! `chrome.storage`: `local` keeps endpoint profiles across browser restarts;
//! `session` keeps session ids and API keys in memory only, until the browser
//! closes; `managed` is what an administrator set by policy (read only).
//! Values we store are JSON text.

use js_sys::{Object, Promise, Reflect};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "local"], js_name = get)]
    fn local_get(keys: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "local"], js_name = set)]
    fn local_set(items: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "local"], js_name = remove)]
    fn local_remove(keys: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "session"], js_name = get)]
    fn session_get(keys: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "session"], js_name = set)]
    fn session_set(items: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "session"], js_name = remove)]
    fn session_remove(keys: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "local"], js_name = clear)]
    fn local_clear() -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "session"], js_name = clear)]
    fn session_clear() -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "managed"], js_name = get)]
    fn managed_get(keys: &JsValue) -> Result<Promise, JsValue>;
}

/// Which storage area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Kept across restarts.
    Local,
    /// Memory only, gone when the browser closes.
    Session,
}

/// Reads a value; `None` if absent, unreadable, or outside an extension.
pub async fn get<T: DeserializeOwned>(area: Area, key: &str) -> Option<T> {
    let keys = JsValue::from_str(key);
    let promise = match area {
        Area::Local => local_get(&keys),
        Area::Session => session_get(&keys),
    }
    .ok()?;
    let items = JsFuture::from(promise).await.ok()?;
    let text = Reflect::get(&items, &keys).ok()?.as_string()?;
    serde_json::from_str(&text).ok()
}

/// Writes a value; false if it could not be stored.
pub async fn set<T: Serialize>(area: Area, key: &str, value: &T) -> bool {
    let Ok(text) = serde_json::to_string(value) else {
        return false;
    };
    let items = Object::new();
    if Reflect::set(&items, &JsValue::from_str(key), &JsValue::from_str(&text)).is_err() {
        return false;
    }
    let promise = match area {
        Area::Local => local_set(&items),
        Area::Session => session_set(&items),
    };
    match promise {
        Ok(promise) => JsFuture::from(promise).await.is_ok(),
        Err(_) => false,
    }
}

/// Removes a value.
pub async fn remove(area: Area, key: &str) {
    let keys = JsValue::from_str(key);
    let promise = match area {
        Area::Local => local_remove(&keys),
        Area::Session => session_remove(&keys),
    };
    if let Ok(promise) = promise {
        let _ = JsFuture::from(promise).await;
    }
}

/// A text an administrator set by policy (`chrome.storage.managed`), per the
/// schema in `managed_schema.json`.
pub async fn managed_text(key: &str) -> Option<String> {
    let keys = JsValue::from_str(key);
    let items = JsFuture::from(managed_get(&keys).ok()?).await.ok()?;
    Reflect::get(&items, &keys)
        .ok()?
        .as_string()
        .filter(|v| !v.trim().is_empty())
}

/// Every key of an area (to find each endpoint's session).
pub async fn keys(area: Area) -> Vec<String> {
    let promise = match area {
        Area::Local => local_get(&JsValue::NULL),
        Area::Session => session_get(&JsValue::NULL),
    };
    let Ok(promise) = promise else {
        return Vec::new();
    };
    let Ok(items) = JsFuture::from(promise).await else {
        return Vec::new();
    };
    Object::keys(&items.into())
        .iter()
        .filter_map(|key| key.as_string())
        .collect()
}

/// Empties an area.
pub async fn clear(area: Area) {
    let promise = match area {
        Area::Local => local_clear(),
        Area::Session => session_clear(),
    };
    if let Ok(promise) = promise {
        let _ = JsFuture::from(promise).await;
    }
}
