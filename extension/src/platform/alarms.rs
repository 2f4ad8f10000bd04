//! `chrome.alarms`: wake-ups that survive the service worker being stopped.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::js::{object, settle};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "alarms"], js_name = create)]
    fn alarms_create(name: &str, info: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "alarms"], js_name = clear)]
    fn alarms_clear(name: &str) -> Result<Promise, JsValue>;
}

/// An alarm at a moment (ms since the epoch); replaces one of the same name.
pub async fn at(name: &str, when_ms: f64) {
    settle(alarms_create(
        name,
        &object(&[("when", JsValue::from_f64(when_ms))]),
    ))
    .await;
}

/// An alarm every `minutes`, the first after one period.
pub async fn every(name: &str, minutes: f64) {
    let info = object(&[("periodInMinutes", JsValue::from_f64(minutes))]);
    settle(alarms_create(name, &info)).await;
}

pub async fn clear(name: &str) {
    settle(alarms_clear(name)).await;
}
