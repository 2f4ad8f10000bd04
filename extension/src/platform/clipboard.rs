//! Copying to the clipboard. Secrets copied from the popup are wiped 30
//! seconds later by the service worker (an alarm and an offscreen page), so
//! it happens even after the popup closes.

use wasm_bindgen_futures::JsFuture;

use crate::messages::WorkerMessage;

/// How long a copied secret stays on the clipboard.
pub const CLEAR_AFTER_SECONDS: u32 = 30;

/// Puts `text` on the clipboard; false if the browser refused.
pub async fn copy(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let promise = window.navigator().clipboard().write_text(text);
    JsFuture::from(promise).await.is_ok()
}

/// Copies a secret and asks the service worker to wipe the clipboard after
/// [`CLEAR_AFTER_SECONDS`]; false if the copy failed.
pub async fn copy_secret(text: &str) -> bool {
    if !copy(text).await {
        return false;
    }
    super::runtime::tell_worker(WorkerMessage::ClearClipboard).await;
    true
}
