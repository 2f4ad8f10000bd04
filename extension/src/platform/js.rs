//! Small helpers for building and reading the plain objects `chrome.*` takes
//! and returns.

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// `{key: value, …}`.
pub fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in entries {
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object.into()
}

/// A member of an object.
pub fn member(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// A text member of an object.
pub fn text(object: &JsValue, key: &str) -> Option<String> {
    member(object, key).as_string()
}

/// Waits for a `chrome.*` call's promise; the value, or `None` if the call
/// threw or the promise was rejected (outside an extension, say).
pub async fn settle(promise: Result<Promise, JsValue>) -> Option<JsValue> {
    JsFuture::from(promise.ok()?).await.ok()
}
