//! The page the popup or the options page runs in: its root, language and
//! title, the focus, a file download, window-wide key listeners, a User
//! Timing mark, and event listeners that remove themselves. (The service
//! worker has no window; nothing here runs there.)

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Element, Event, EventTarget, KeyboardEvent};

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

/// The page's `#app`.
pub fn app_root() -> Option<Element> {
    document()?.get_element_by_id("app")
}

/// Sets the page's language (the right fonts and line breaking for Korean
/// and Japanese).
pub fn set_language(tag: &str) {
    if let Some(root) = document().and_then(|d| d.document_element()) {
        let _ = root.set_attribute("lang", tag);
    }
}

pub fn set_title(title: &str) {
    if let Some(document) = document() {
        document.set_title(title);
    }
}

/// Moves the focus to the first element matching `selector`, if any.
pub fn focus_first(selector: &str) {
    if let Some(element) = document()
        .and_then(|d| d.query_selector(selector).ok().flatten())
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = element.focus();
    }
}

/// Sets a User Timing mark (what `scripts/bench.sh` reads).
pub fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}

/// Offers `text` as a file download.
pub fn download_text(file_name: &str, text: &str) {
    let Some(document) = document() else {
        return;
    };
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/plain;charset=utf-8");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(link) = document
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        link.set_href(&url);
        link.set_download(file_name);
        link.click();
    }
    // The download reads the URL after this returns; let it go later.
    gloo_timers::callback::Timeout::new(60_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
}

/// Calls `handler` for every key pressed anywhere in the page, while the
/// listener lives.
pub fn on_keydown(mut handler: impl FnMut(&KeyboardEvent) + 'static) -> Option<Listener> {
    let window = web_sys::window()?;
    Some(listen(&window, "keydown", move |event| {
        if let Some(key) = event.dyn_ref::<KeyboardEvent>() {
            handler(key);
        }
    }))
}

/// An event listener; removes itself when dropped.
pub struct Listener {
    target: EventTarget,
    kind: &'static str,
    closure: Closure<dyn FnMut(Event)>,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// Listens for `kind` events on `target`.
pub fn listen(
    target: &EventTarget,
    kind: &'static str,
    mut handler: impl FnMut(&Event) + 'static,
) -> Listener {
    let closure = Closure::<dyn FnMut(Event)>::new(move |event: Event| handler(&event));
    let _ = target.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref());
    Listener {
        target: target.clone(),
        kind,
        closure,
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.kind, self.closure.as_ref().unchecked_ref());
    }
}
