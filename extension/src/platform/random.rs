//! `crypto.getRandomValues`: the random part of single sign-on's verifier
//! and flow ids.

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(array: &Uint8Array) -> Result<JsValue, JsValue>;
}

/// `N` random bytes from the browser's cryptographic generator; `None`
/// where it is missing.
pub fn bytes<const N: usize>() -> Option<[u8; N]> {
    let array = Uint8Array::new_with_length(u32::try_from(N).ok()?);
    get_random_values(&array).ok()?;
    let mut out = [0u8; N];
    array.copy_to(&mut out);
    Some(out)
}
