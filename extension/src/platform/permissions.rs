//! `chrome.permissions`: the extension reaches loopback companions on its
//! own; any other endpoint's origin is asked for, once, when the user first
//! logs in to it (the request needs the click's user gesture).

use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "permissions"], js_name = request)]
    fn permissions_request(permissions: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "permissions"], js_name = contains)]
    fn permissions_contains(permissions: &JsValue) -> Result<Promise, JsValue>;
}

fn origins(pattern: &str) -> JsValue {
    let permissions = Object::new();
    let list = Array::of1(&JsValue::from_str(pattern));
    let _ = Reflect::set(&permissions, &"origins".into(), &list);
    permissions.into()
}

async fn answer(promise: Result<Promise, JsValue>) -> bool {
    match promise {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        Err(_) => false,
    }
}

/// A permission request started inside a click handler.
#[derive(Debug)]
pub struct Grant(Option<Result<Promise, JsValue>>);

impl Grant {
    /// Nothing to ask for.
    pub fn not_needed() -> Self {
        Self(None)
    }

    /// Whether access was granted (or was never needed).
    pub async fn granted(self) -> bool {
        match self.0 {
            None => true,
            Some(promise) => answer(promise).await,
        }
    }
}

/// Asks for the match `pattern`; must run synchronously in a user gesture.
/// The browser answers at once when access was granted before.
pub fn request(pattern: Option<String>) -> Grant {
    match pattern {
        Some(pattern) => Grant(Some(permissions_request(&origins(&pattern)))),
        None => Grant::not_needed(),
    }
}

/// Whether the extension may reach the match `pattern` already.
pub async fn granted(pattern: &str) -> bool {
    answer(permissions_contains(&origins(pattern))).await
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "permissions"], js_name = remove)]
    fn permissions_remove(permissions: &JsValue) -> Result<Promise, JsValue>;
}

/// Gives up access to the match `pattern`.
pub async fn give_up(pattern: &str) {
    answer(permissions_remove(&origins(pattern))).await;
}
