//! The popup's hooks: input-method and Caps Lock tracking, a ticking clock,
//! the initial focus, and Escape.

use web_sys::KeyboardEvent;
use yew::prelude::*;

use crate::platform::clock::now_ms;
use crate::platform::dom;

/// Whether an input method is composing in a field, and whether Caps Lock
/// is on: a password or a code must be typed as is, not composed.
#[derive(Debug, Clone, PartialEq)]
pub struct Composing {
    pub active: bool,
    pub caps_lock: bool,
    /// For the field's `onkeydown` and `onkeyup`.
    pub on_key: Callback<KeyboardEvent>,
}

/// Tracks composition in the input behind `node` (Yew has no composition
/// handlers, so the listeners are added to the element itself).
#[hook]
pub fn use_composing(node: NodeRef) -> Composing {
    let active = use_state(|| false);
    let caps_lock = use_state(|| false);
    {
        let active = active.clone();
        use_effect_with(node, move |node| {
            let listeners = node.cast::<web_sys::HtmlElement>().map(|target| {
                let (started, ended) = (active.clone(), active);
                [
                    dom::listen(&target, "compositionstart", move |_| started.set(true)),
                    dom::listen(&target, "compositionend", move |_| ended.set(false)),
                ]
            });
            move || drop(listeners)
        });
    }
    let on_key = {
        let active = active.clone();
        let caps_lock = caps_lock.clone();
        Callback::from(move |e: KeyboardEvent| {
            caps_lock.set(e.get_modifier_state("CapsLock"));
            // Chromium reports keys an input method takes as "Process".
            if e.is_composing() || e.key() == "Process" {
                active.set(true);
            }
        })
    };
    Composing {
        active: *active,
        caps_lock: *caps_lock,
        on_key,
    }
}

/// The current time (ms), refreshed every second while mounted.
#[hook]
pub fn use_clock() -> f64 {
    let now = use_state(now_ms);
    {
        let now = now.clone();
        use_effect_with((), move |_| {
            let interval = gloo_timers::callback::Interval::new(1_000, move || {
                now.set(now_ms());
            });
            move || drop(interval)
        });
    }
    *now
}

/// Moves the keyboard focus to `node` once it is mounted (the `autofocus`
/// attribute only works for the first element a page ever shows).
#[hook]
pub fn use_focus(node: NodeRef) {
    use_effect_with((), move |_| {
        if let Some(element) = node.cast::<web_sys::HtmlElement>() {
            let _ = element.focus();
        }
    });
}

/// Calls `on_escape` when Escape is pressed anywhere in the popup while mounted.
#[hook]
pub fn use_escape(on_escape: Callback<()>) {
    use_effect_with((), move |_| {
        let listener = dom::on_keydown(move |key| {
            // Escape while an input method composes cancels the composition.
            if key.key() == "Escape" && !key.is_composing() {
                // Handled here: not also the browser's "close the popup".
                key.prevent_default();
                on_escape.emit(());
            }
        });
        move || drop(listener)
    });
}
