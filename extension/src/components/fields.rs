//! Form fields: the password field (with its reveal button and its Caps
//! Lock and input-method warnings), a refusal shown under its field, and
//! reading a field's value.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::hooks::use_composing;
use crate::notice::Notice;
use crate::protocol::FormRefusal;
use crate::text::{Text, t, tf};

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

/// A refusal shown under the field it is about.
#[derive(Debug, Properties, PartialEq)]
pub struct FieldErrorProps {
    pub id: AttrValue,
    pub error: Option<FormRefusal>,
}

#[component]
pub fn FieldError(props: &FieldErrorProps) -> Html {
    match &props.error {
        Some(refusal) => {
            let notice = Notice::form_refused(refusal);
            let values: Vec<&str> = notice.values.iter().map(String::as_str).collect();
            html! {
                <p id={props.id.clone()} class="field-error" data-field-error={refusal.text.key()}
                    data-problem={refusal.problem.clone()}>
                    { tf(notice.text, &values) }
                </p>
            }
        }
        None => html! { <span id={props.id.clone()} hidden=true></span> },
    }
}

/// The value of an input behind a node ref.
pub fn input_value(node: &NodeRef) -> String {
    node.cast::<HtmlInputElement>()
        .map(|input| input.value())
        .unwrap_or_default()
}
