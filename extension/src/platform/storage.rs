//! `chrome.storage`: `local` keeps endpoint profiles across browser restarts;
//! `session` keeps session ids and API keys in memory only, until the browser
//! closes; `managed` is what an administrator set by policy (read only).
//! Values are stored as native objects, through serde-wasm-bindgen; entries
//! earlier builds stored as JSON text are still read (`stored::decode`) and
//! rewritten once by [`upgrade`].

use js_sys::{Object, Promise, Reflect};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::stored;

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

/// A value as JavaScript sees it: plain objects, not `Map`s, and `null`
/// for a missing option (what `chrome.storage` keeps).
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Option<JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .ok()
}

/// A JavaScript value as JSON, for the pure code that reads stored entries.
fn to_json(value: JsValue) -> Option<serde_json::Value> {
    if value.is_undefined() {
        return None;
    }
    serde_wasm_bindgen::from_value(value).ok()
}

/// Everything an area holds (`None`: everything), as an object.
async fn read(area: Area, keys: &JsValue) -> Option<JsValue> {
    let promise = match area {
        Area::Local => local_get(keys),
        Area::Session => session_get(keys),
    }
    .ok()?;
    JsFuture::from(promise).await.ok()
}

/// Reads a value, in this build's form or the JSON text earlier builds
/// stored (`stored::decode`'s rule, read straight from JavaScript);
/// `None` if absent, unreadable, or outside an extension.
pub async fn get<T: DeserializeOwned>(area: Area, key: &str) -> Option<T> {
    let keys = JsValue::from_str(key);
    let items = read(area, &keys).await?;
    let value = Reflect::get(&items, &keys).ok()?;
    if value.is_undefined() {
        return None;
    }
    if let Some(text) = value.as_string()
        && let Some(old) = stored::from_json_text(&text)
    {
        return Some(old);
    }
    serde_wasm_bindgen::from_value(value).ok()
}

/// Writes a value as a native object; false if it could not be stored.
pub async fn set<T: Serialize + ?Sized>(area: Area, key: &str, value: &T) -> bool {
    let Some(value) = to_js(value) else {
        return false;
    };
    let items = Object::new();
    if Reflect::set(&items, &JsValue::from_str(key), &value).is_err() {
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

/// Every entry of an area, as JSON.
pub async fn entries(area: Area) -> Vec<(String, serde_json::Value)> {
    let Some(items) = read(area, &JsValue::NULL).await else {
        return Vec::new();
    };
    Object::entries(&items.into())
        .iter()
        .filter_map(|pair| {
            let pair = js_sys::Array::from(&pair);
            Some((pair.get(0).as_string()?, to_json(pair.get(1))?))
        })
        .collect()
}

/// Rewrites every entry still in the JSON text of earlier builds as a native
/// object (once: a rewritten entry is left alone after).
pub async fn upgrade() {
    for area in [Area::Local, Area::Session] {
        for (key, value) in entries(area).await {
            if let Some(native) = stored::upgrade(&key, &value) {
                set(area, &key, &native).await;
            }
        }
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
    let Some(items) = read(area, &JsValue::NULL).await else {
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

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "onChanged"], js_name = addListener)]
    fn on_changed_add(listener: &js_sys::Function) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "onChanged"], js_name = removeListener)]
    fn on_changed_remove(listener: &js_sys::Function) -> Result<(), JsValue>;
}

/// Calls its handler whenever any area changes, from any part of the
/// extension; stops when dropped.
pub struct ChangeListener {
    closure: Closure<dyn FnMut()>,
}

impl std::fmt::Debug for ChangeListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangeListener")
    }
}

/// Listens for changes to storage (`chrome.storage.onChanged`).
pub fn on_change(handler: impl FnMut() + 'static) -> ChangeListener {
    let closure = Closure::<dyn FnMut()>::new(handler);
    let _ = on_changed_add(closure.as_ref().unchecked_ref());
    ChangeListener { closure }
}

impl Drop for ChangeListener {
    fn drop(&mut self) {
        let _ = on_changed_remove(self.closure.as_ref().unchecked_ref());
    }
}
