//! Small pieces the panels share: messages, the password field, the health
//! pill, the password checklist, copy buttons, QR codes, the header's tools,
//! a ticking clock, and formatting.

mod checklist;
mod copy;
mod qr_code;
mod tools;

pub use checklist::{Checklist, acceptable, manual_rule};
pub use copy::CopyButton;
pub use events::{Listener, listen};
pub use qr_code::QrCode;
pub use tools::HeaderTools;

use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, KeyboardEvent};
use yew::prelude::*;

use crate::protocol::Health;
use crate::state::Notice;
use crate::text::{Text, t, tf};

/// A notice: `role=alert` for errors (read out at once), `status` otherwise.
#[derive(Debug, Properties, PartialEq)]
pub struct NoticeProps {
    pub notice: Option<Notice>,
}

#[component]
pub fn NoticeView(props: &NoticeProps) -> Html {
    let Some(notice) = &props.notice else {
        return html! {};
    };
    let values: Vec<&str> = notice.values.iter().map(String::as_str).collect();
    let text = tf(notice.text, &values);
    if notice.error {
        html! { <p class="notice error" role="alert" data-notice={notice.text.key()}>{ text }</p> }
    } else {
        html! { <p class="notice info" role="status" data-notice={notice.text.key()}>{ text }</p> }
    }
}

/// A field whose input may come from an input method (Hangul, kana): warns
/// while it composes, since a password must be typed as is.
#[derive(Debug, Properties, PartialEq)]
pub struct PasswordFieldProps {
    pub id: AttrValue,
    pub label: AttrValue,
    pub input_ref: NodeRef,
    #[prop_or(AttrValue::Static("current-password"))]
    pub autocomplete: AttrValue,
}

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
                    events::listen(&target, "compositionstart", move |_| started.set(true)),
                    events::listen(&target, "compositionend", move |_| ended.set(false)),
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

#[component]
pub fn PasswordField(props: &PasswordFieldProps) -> Html {
    let shown = use_state(|| false);
    let composing = use_composing(props.input_ref.clone());
    let focused = use_state(|| false);
    let toggle = {
        let shown = shown.clone();
        Callback::from(move |_| shown.set(!*shown))
    };
    let on_focus = {
        let focused = focused.clone();
        Callback::from(move |_: FocusEvent| focused.set(true))
    };
    let on_blur = {
        let focused = focused.clone();
        Callback::from(move |_: FocusEvent| focused.set(false))
    };
    let kind = if *shown { "text" } else { "password" };
    let toggle_text = if *shown {
        t(Text::HidePassword)
    } else {
        t(Text::ShowPassword)
    };
    let warning_id = format!("{}-warning", props.id);
    html! {
        <div class="field">
            <label for={props.id.clone()}>{ props.label.clone() }</label>
            <div class="with-button">
                <input id={props.id.clone()} name={props.id.clone()} type={kind} ref={props.input_ref.clone()}
                    autocomplete={props.autocomplete.clone()} required=true
                    spellcheck="false" autocapitalize="off" aria-describedby={warning_id.clone()}
                    onkeydown={composing.on_key.clone()} onkeyup={composing.on_key.clone()}
                    onfocus={on_focus} onblur={on_blur} />
                <button type="button" class="reveal" onclick={toggle}
                    aria-pressed={(*shown).to_string()} aria-controls={props.id.clone()}
                    data-action="reveal">{ toggle_text }</button>
            </div>
            <div id={warning_id} class="warnings" aria-live="polite">
                if composing.caps_lock && *focused { <p class="warning" data-warning="caps-lock">{ t(Text::CapsLockOn) }</p> }
                if composing.active { <p class="warning" data-warning="ime">{ t(Text::ImeComposing) }</p> }
            </div>
        </div>
    }
}

/// What the endpoint is, before the password is typed.
#[derive(Debug, Properties, PartialEq)]
pub struct HealthPillProps {
    pub health: Health,
}

#[component]
pub fn HealthPill(props: &HealthPillProps) -> Html {
    let (class, text) = match &props.health {
        Health::Checking => ("pill checking", t(Text::HealthChecking)),
        Health::Companion(version) => ("pill ok", tf(Text::HealthCompanion, &[version])),
        Health::BackendAi(version) => ("pill ok", tf(Text::HealthBackendAi, &[version])),
        Health::NotBackendAi => ("pill bad", t(Text::HealthNotBackendAi)),
        Health::Unreachable => ("pill bad", t(Text::HealthUnreachable)),
        Health::Offline => ("pill bad", t(Text::HealthOffline)),
        Health::InvalidAddress => ("pill bad", t(Text::HealthInvalid)),
        Health::NeedsAccess => ("pill checking", t(Text::HealthNeedsAccess)),
    };
    html! { <span class={class} role="status" data-health={health_slug(&props.health)}>{ text }</span> }
}

pub fn health_slug(health: &Health) -> &'static str {
    match health {
        Health::Checking => "checking",
        Health::Companion(_) => "companion",
        Health::BackendAi(_) => "backend-ai",
        Health::NotBackendAi => "not-backend-ai",
        Health::Unreachable => "unreachable",
        Health::Offline => "offline",
        Health::InvalidAddress => "invalid",
        Health::NeedsAccess => "needs-access",
    }
}

/// The current time (ms), refreshed every second while mounted.
#[hook]
pub fn use_clock() -> f64 {
    let now = use_state(crate::actions::now_ms);
    {
        let now = now.clone();
        use_effect_with((), move |_| {
            let interval = gloo_timers::callback::Interval::new(1_000, move || {
                now.set(crate::actions::now_ms());
            });
            move || drop(interval)
        });
    }
    *now
}

/// `1:05:09`, `5:09`, `0:09`: what is left of a span in milliseconds.
pub fn format_remaining(ms: f64) -> String {
    let seconds = (ms / 1000.0).ceil().max(0.0) as u64;
    let (hours, minutes, seconds) = (seconds / 3600, (seconds / 60) % 60, seconds % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{seconds:02}")
    } else {
        format!("{minutes}:{seconds:02}")
    }
}

/// `1.5 GiB` and the like. (Integer arithmetic: float formatting would add
/// kilobytes of code to the popup for one decimal.)
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut unit = 0;
    let mut scale: u64 = 1;
    while bytes / scale >= 1024 && unit < UNITS.len() - 1 {
        scale *= 1024;
        unit += 1;
    }
    if unit == 0 {
        return format!("{bytes} B");
    }
    // Tenths, rounded to nearest.
    let tenths = (u128::from(bytes) * 10 + u128::from(scale) / 2) / u128::from(scale);
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
}

/// Whole seconds in a span of milliseconds, rounded (for `data-remaining`).
pub fn whole_seconds(ms: f64) -> i64 {
    (ms / 1000.0).round() as i64
}

/// A moment (ms since the epoch) in the browser's language and time zone.
pub fn format_time(ms: f64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    let language = crate::platform::i18n::ui_language();
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
    let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
    String::from(date.to_locale_string(&language, &options))
}

/// A short name for the client behind a user agent: "Chrome on Linux",
/// "Backend.AI client". Browser and system names are not translated.
pub fn describe_client(user_agent: &str) -> Option<String> {
    let ua = user_agent.trim();
    if ua.is_empty() {
        return None;
    }
    let lower = ua.to_ascii_lowercase();
    if lower.contains("backend.ai") || lower.starts_with("python") || lower.contains("aiohttp") {
        return Some("Backend.AI client".to_owned());
    }
    let browser = [
        ("edg/", "Edge"),
        ("opr/", "Opera"),
        ("firefox/", "Firefox"),
        ("chromium/", "Chromium"),
        ("chrome/", "Chrome"),
        ("safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .into_iter()
    .find(|(marker, _)| lower.contains(marker))
    .map(|(_, name)| name);
    let system = [
        ("android", "Android"),
        ("iphone", "iOS"),
        ("ipad", "iPadOS"),
        ("windows", "Windows"),
        ("mac os x", "macOS"),
        ("cros", "ChromeOS"),
        ("linux", "Linux"),
    ]
    .into_iter()
    .find(|(marker, _)| lower.contains(marker))
    .map(|(_, name)| name);
    Some(match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} · {system}"),
        (Some(name), None) | (None, Some(name)) => name.to_owned(),
        // Something else: its own first word, bounded.
        (None, None) => ua
            .split_whitespace()
            .next()
            .unwrap_or(ua)
            .chars()
            .take(32)
            .collect(),
    })
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

/// A refusal shown under the field it is about.
#[derive(Debug, Properties, PartialEq)]
pub struct FieldErrorProps {
    pub id: AttrValue,
    pub error: Option<crate::protocol::Refused>,
}

#[component]
pub fn FieldError(props: &FieldErrorProps) -> Html {
    match &props.error {
        Some(refused) => {
            let notice = crate::actions::refused_notice(refused);
            let values: Vec<&str> = notice.values.iter().map(String::as_str).collect();
            html! {
                <p id={props.id.clone()} class="field-error" data-field-error={refused.text.key()}>
                    { tf(notice.text, &values) }
                </p>
            }
        }
        None => html! { <span id={props.id.clone()} hidden=true></span> },
    }
}

/// Offers `text` as a file download.
pub fn download_text(file_name: &str, text: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
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

/// The value of an input behind a node ref.
pub fn input_value(node: &NodeRef) -> String {
    node.cast::<HtmlInputElement>()
        .map(|input| input.value())
        .unwrap_or_default()
}

/// Calls `on_escape` when Escape is pressed anywhere in the popup while mounted.
#[hook]
pub fn use_escape(on_escape: Callback<()>) {
    use_effect_with((), move |_| {
        let listener = web_sys::window().map(|window| {
            events::listen(&window, "keydown", move |event: &web_sys::Event| {
                // Escape while an input method composes cancels the composition.
                if event
                    .dyn_ref::<KeyboardEvent>()
                    .is_some_and(|e| e.key() == "Escape" && !e.is_composing())
                {
                    // Handled here: not also the browser's "close the popup".
                    event.prevent_default();
                    on_escape.emit(());
                }
            })
        });
        move || drop(listener)
    });
}

/// Event listeners that remove themselves when dropped.
mod events {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{Event, EventTarget};

    /// Removes its listener when dropped.
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
            let _ = self.target.remove_event_listener_with_callback(
                self.kind,
                self.closure.as_ref().unchecked_ref(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_time() {
        assert_eq!(format_remaining(0.0), "0:00");
        assert_eq!(format_remaining(-5.0), "0:00");
        assert_eq!(format_remaining(999.0), "0:01", "a started second counts");
        assert_eq!(format_remaining(65_000.0), "1:05");
        assert_eq!(format_remaining(1_199_000.0), "19:59");
        assert_eq!(format_remaining(3_909_000.0), "1:05:09");
    }

    #[test]
    fn clients_by_user_agent() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
                Some("Chrome · Linux"),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537.36 Edg/120",
                Some("Edge · Windows"),
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0; rv:120.0) Gecko/20100101 Firefox/120.0",
                Some("Firefox · macOS"),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1",
                Some("Safari · iOS"),
            ),
            ("Python/3.11 aiohttp/3.9.1", Some("Backend.AI client")),
            (
                "Backend.AI Client for Python 23.9.10",
                Some("Backend.AI client"),
            ),
            ("curl/8.5.0", Some("curl")),
            ("SomethingElse/1.0 (x)", Some("SomethingElse/1.0")),
            ("  ", None),
        ];
        for (ua, expected) in cases {
            assert_eq!(describe_client(ua).as_deref(), expected, "{ua}");
        }
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_bytes(8 * 1024 * 1024 * 1024), "8.0 GiB");
        assert_eq!(format_bytes(1023), "1023 B");
        assert_eq!(
            format_bytes(1024 * 1024 - 1),
            "1024.0 KiB",
            "rounds up, stays in its unit"
        );
        assert_eq!(format_bytes(978_321_408), "933.0 MiB");
        assert_eq!(format_bytes(u64::MAX), "16777216.0 TiB");
        assert_eq!(whole_seconds(1_199_600.0), 1200);
    }
}
