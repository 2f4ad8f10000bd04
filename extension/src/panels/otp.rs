//! The second step: a one-time code (or a recovery code). A six-digit code
//! submits itself, typed or pasted, spaces and all.

use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::actions::{self, Handle};
use crate::components::{NoticeView, input_value};
use crate::hooks::{use_composing, use_escape, use_focus};
use crate::notice::Notice;
use crate::protocol::{clean_code, is_complete_code};
use crate::state::{Action, ForcedLogin, Proof};
use crate::text::{Text, t};

#[derive(Debug, Clone, Properties, PartialEq)]
pub struct OtpProps {
    /// The password (or single sign-on token) the code goes with.
    pub proof: Proof,
    pub force: Option<ForcedLogin>,
}

/// Sends the code with the kept password or token (and the forced end of
/// another session, when the user chose it).
fn submit(state: &Handle, props: &OtpProps, code: String) {
    if state.busy {
        return;
    }
    let end_session = props.force.as_ref().and_then(|f| f.end_session.clone());
    spawn_local(actions::login(
        state.clone(),
        props.proof.clone(),
        Some(code),
        props.force.is_some(),
        end_session,
    ));
}

#[component]
pub fn OtpPanel(props: &OtpProps) -> Html {
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
    let code = use_node_ref();
    let composing = use_composing(code.clone());
    use_focus(code.clone());
    {
        let state = state.clone();
        use_escape(Callback::from(move |()| {
            state.dispatch(Action::BackToLogin)
        }));
    }
    // A refused code is cleared for the next one.
    {
        let code = code.clone();
        use_effect_with(state.notice.clone(), move |notice| {
            if notice.as_ref().is_some_and(|n| n.error)
                && let Some(input) = code.cast::<HtmlInputElement>()
            {
                input.set_value("");
                let _ = input.focus();
            }
        });
    }

    let on_input = {
        let state = state.clone();
        let props = props.clone();
        let composing = composing.active;
        Callback::from(move |event: InputEvent| {
            let Some(input) = event.target_dyn_into::<HtmlInputElement>() else {
                return;
            };
            let typed = clean_code(&input.value());
            if !composing && is_complete_code(&typed) {
                submit(&state, &props, typed);
            }
        })
    };
    let on_submit = {
        let state = state.clone();
        let props = props.clone();
        let code = code.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let typed = clean_code(&input_value(&code));
            if typed.is_empty() {
                state.dispatch(Action::Notice(Notice::error(Text::OtpMissing)));
                return;
            }
            submit(&state, &props, typed);
        })
    };
    let on_back = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::BackToLogin))
    };

    html! {
        <section class="panel" data-panel="otp" aria-labelledby="otp-title">
            <h2 id="otp-title">{ t(Text::OtpTitle) }</h2>
            <p id="otp-prompt">{ t(Text::OtpPrompt) }</p>
            <form onsubmit={on_submit} novalidate=true aria-busy={state.busy.to_string()}>
                <div class="field">
                    <label for="otp">{ t(Text::FieldOtp) }</label>
                    <input id="otp" name="otp" type="text" ref={code} class="code"
                        inputmode="numeric" autocomplete="one-time-code" maxlength="40"
                        spellcheck="false" autocapitalize="off" aria-describedby="otp-prompt otp-warning"
                        oninput={on_input}
                        onkeydown={composing.on_key.clone()} />
                    <div id="otp-warning" class="warnings" aria-live="polite">
                        if composing.active { <p class="warning" data-warning="ime">{ t(Text::ImeComposingCode) }</p> }
                    </div>
                </div>
                <NoticeView notice={state.notice.clone()} />
                <div class="buttons">
                    <button type="button" onclick={on_back} data-action="back">{ t(Text::Back) }</button>
                    <button type="submit" class="primary" disabled={state.busy} data-action="verify">
                        { if state.busy { t(Text::Busy) } else { t(Text::OtpButton) } }
                    </button>
                </div>
            </form>
        </section>
    }
}
