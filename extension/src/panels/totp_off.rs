//! Turning two-factor authentication off: proven with a current code (or a
//! recovery code) or the password.

use baigate_shared::totp::ReauthRequest;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::actions::{self, Handle};
use crate::components::{NoticeView, PasswordField, input_value};
use crate::hooks::{use_escape, use_focus};
use crate::notice::Notice;
use crate::protocol::clean_code;
use crate::state::Action;
use crate::text::{Text, t};

#[component]
pub fn TotpOffPanel() -> Html {
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
    let code = use_node_ref();
    let password = use_node_ref();
    use_focus(code.clone());
    {
        let state = state.clone();
        use_escape(Callback::from(move |()| {
            state.dispatch(Action::BackToStart)
        }));
    }
    let on_submit = {
        let state = state.clone();
        let (code, password) = (code.clone(), password.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if state.busy {
                return;
            }
            let otp = Some(clean_code(&input_value(&code))).filter(|c| !c.is_empty());
            let password = Some(input_value(&password)).filter(|p| !p.is_empty());
            if otp.is_none() && password.is_none() {
                state.dispatch(Action::Notice(Notice::error(Text::ErrorProofMissing)));
                return;
            }
            spawn_local(actions::totp_disable(
                state.clone(),
                ReauthRequest { otp, password },
            ));
        })
    };
    let on_cancel = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::BackToStart))
    };
    html! {
        <section class="panel" data-panel="totp-off" aria-labelledby="totp-off-title">
            <h2 id="totp-off-title">{ t(Text::TotpOffTitle) }</h2>
            <p id="totp-off-text">{ t(Text::TotpOffText) }</p>
            <form onsubmit={on_submit} novalidate=true aria-busy={state.busy.to_string()}>
                <div class="field">
                    <label for="totp-off-code">{ t(Text::FieldOtp) }</label>
                    <input id="totp-off-code" name="otp" type="text" ref={code} class="code"
                        inputmode="numeric" autocomplete="one-time-code" maxlength="40"
                        spellcheck="false" autocapitalize="off" aria-describedby="totp-off-text" />
                </div>
                <p class="or">{ t(Text::Or) }</p>
                <PasswordField id="totp-off-password" label={t(Text::FieldPassword)} input_ref={password} />
                <NoticeView notice={state.notice.clone()} />
                <div class="buttons">
                    <button type="button" onclick={on_cancel} data-action="cancel">{ t(Text::Cancel) }</button>
                    <button type="submit" class="primary danger" disabled={state.busy} data-action="turn-off-totp">
                        { if state.busy { t(Text::Busy) } else { t(Text::TotpOffButton) } }
                    </button>
                </div>
            </form>
        </section>
    }
}
