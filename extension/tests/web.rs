//! Component tests in headless Chromium (wasm-bindgen-test). Outside an
//! extension there is no `chrome.*`: storage reads nothing and messages
//! show their keys, which is what these tests look for.

#![cfg(target_arch = "wasm32")]
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(
    clippy::disallowed_methods,
    reason = "the tests mount the popup into the test page's own document"
)]

use baigate_extension::app::App;
use baigate_extension::components::{PasswordField, PasswordFieldProps};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{
    CompositionEvent, Element, HtmlElement, HtmlInputElement, KeyboardEvent, KeyboardEventInit,
};
use yew::{AttrValue, NodeRef};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// A fresh element in the page to render into.
fn mount() -> Element {
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    root
}

/// Waits (up to 5 s) for `css` to appear under `root`.
async fn find(root: &Element, css: &str) -> Element {
    for _ in 0..250 {
        yew::scheduler::flush().await;
        if let Some(element) = root.query_selector(css).unwrap() {
            return element;
        }
        gloo_timers::future::TimeoutFuture::new(20).await;
    }
    panic!("{css} never appeared in {}", root.inner_html());
}

async fn settle() {
    yew::scheduler::flush().await;
    gloo_timers::future::TimeoutFuture::new(0).await;
    yew::scheduler::flush().await;
}

#[wasm_bindgen_test]
async fn the_popup_opens_on_the_login_form_with_the_user_field_focused() {
    let root = mount();
    yew::Renderer::<App>::with_root(root.clone()).render();
    find(&root, "[data-panel=\"login\"]").await;
    settle().await;
    let focused = document().active_element().unwrap();
    assert_eq!(focused.id(), "username");
    let password: HtmlInputElement = find(&root, "#password").await.dyn_into().unwrap();
    assert_eq!(password.type_(), "password");
    assert_eq!(
        password.get_attribute("autocomplete").as_deref(),
        Some("current-password")
    );
    // The default endpoint, and a health pill that has an answer or is asking.
    let endpoint: HtmlInputElement = find(&root, "#endpoint").await.dyn_into().unwrap();
    assert_eq!(endpoint.value(), "http://127.0.0.1:8090");
    find(&root, "[data-health]").await;
    root.remove();
}

#[wasm_bindgen_test]
async fn an_empty_form_says_what_is_missing_and_focuses_it() {
    let root = mount();
    yew::Renderer::<App>::with_root(root.clone()).render();
    let submit: HtmlElement = find(&root, "[data-action=\"login\"]")
        .await
        .dyn_into()
        .unwrap();
    submit.click();
    let notice = find(&root, "[data-notice]").await;
    assert_eq!(
        notice.get_attribute("data-notice").as_deref(),
        Some("errorMissingFields")
    );
    assert_eq!(notice.get_attribute("role").as_deref(), Some("alert"));
    assert_eq!(document().active_element().unwrap().id(), "username");
    root.remove();
}

#[wasm_bindgen_test]
async fn the_password_field_reveals_and_warns_about_caps_lock_and_input_methods() {
    let root = mount();
    let props = PasswordFieldProps {
        id: AttrValue::Static("secret"),
        label: AttrValue::Static("Password"),
        input_ref: NodeRef::default(),
        autocomplete: AttrValue::Static("new-password"),
    };
    yew::Renderer::<PasswordField>::with_root_and_props(root.clone(), props).render();
    let input: HtmlInputElement = find(&root, "#secret").await.dyn_into().unwrap();
    assert_eq!(input.type_(), "password");

    let reveal: HtmlElement = find(&root, "[data-action=\"reveal\"]")
        .await
        .dyn_into()
        .unwrap();
    reveal.click();
    settle().await;
    assert_eq!(input.type_(), "text");
    assert_eq!(
        reveal.get_attribute("aria-pressed").as_deref(),
        Some("true")
    );
    reveal.click();
    settle().await;
    assert_eq!(input.type_(), "password");

    // Caps Lock, while the field has the focus.
    input.focus().unwrap();
    let init = KeyboardEventInit::new();
    init.set_key("A");
    init.set_modifier_caps_lock(true);
    init.set_bubbles(true);
    let key = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    input.dispatch_event(&key).unwrap();
    find(&root, "[data-warning=\"caps-lock\"]").await;

    // An input method composing (Hangul, kana): warned until it ends.
    let start = CompositionEvent::new("compositionstart").unwrap();
    input.dispatch_event(&start).unwrap();
    find(&root, "[data-warning=\"ime\"]").await;
    let end = CompositionEvent::new("compositionend").unwrap();
    input.dispatch_event(&end).unwrap();
    settle().await;
    assert!(
        root.query_selector("[data-warning=\"ime\"]")
            .unwrap()
            .is_none()
    );
    root.remove();
}

/// Types `value` into an input, as a person does (an `input` event).
fn type_value(input: &HtmlInputElement, value: &str) {
    input.set_value(value);
    let event = web_sys::InputEvent::new("input").unwrap();
    input.dispatch_event(&event).unwrap();
}

#[wasm_bindgen_test]
async fn plain_http_to_another_computer_is_warned_about() {
    let root = mount();
    let app = yew::Renderer::<App>::with_root(root.clone()).render();
    let endpoint: HtmlInputElement = find(&root, "#endpoint").await.dyn_into().unwrap();
    let warning = "[data-qa=\"insecure-endpoint\"]";
    settle().await;
    assert!(root.query_selector(warning).unwrap().is_none(), "loopback");
    // A documentation address: the popup checks it only after typing
    // pauses, and the app is gone by then.
    type_value(&endpoint, "http://192.0.2.1:8090");
    let shown = find(&root, warning).await;
    assert_eq!(shown.text_content().as_deref(), Some("insecureEndpoint"));
    type_value(&endpoint, "https://192.0.2.1:8090");
    settle().await;
    assert!(root.query_selector(warning).unwrap().is_none(), "https");
    app.destroy();
    root.remove();
}
