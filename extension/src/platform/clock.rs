//! The wall clock and dates, through JavaScript's `Date`. Only this module
//! reads the clock: everything else takes the time as a value, so its tests
//! choose it.

use wasm_bindgen::JsValue;

/// Milliseconds since the epoch.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// RFC 3339 → milliseconds since the epoch.
pub fn parse_time(text: &str) -> Option<f64> {
    let ms = js_sys::Date::parse(text);
    (!ms.is_nan()).then_some(ms)
}

/// Now, in ISO 8601 (UTC), as a signed request's date.
pub fn now_iso() -> String {
    String::from(js_sys::Date::new_0().to_iso_string())
}

/// A moment (ms since the epoch) as a medium date and a short time, in
/// `language` and the browser's time zone.
pub fn local_date_time(ms: f64, language: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ms));
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
    let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
    String::from(date.to_locale_string(language, &options))
}
