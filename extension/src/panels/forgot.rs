//! Forgot password: an email address, then the same confirmation whatever
//! the account (so nobody learns which addresses have one).

use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::actions::{self, Handle};
use crate::components::{FieldError, NoticeView, input_value};
use crate::hooks::{use_escape, use_focus};
use crate::notice::Notice;
use crate::protocol::{FormField, FormRefusal};
use crate::state::Action;
use crate::text::{Text, t};

#[component]
pub fn ForgotPanel() -> Html {
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
    let email = use_node_ref();
    let error = use_state(|| None::<FormRefusal>);
    use_focus(email.clone());
    {
        let state = state.clone();
        use_escape(Callback::from(move |()| {
            state.dispatch(Action::BackToLogin)
        }));
    }
    let on_submit = {
        let state = state.clone();
        let (email, error) = (email.clone(), error.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if state.busy {
                return;
            }
            let address = input_value(&email).trim().to_owned();
            if address.is_empty() {
                if let Some(input) = email.cast::<HtmlInputElement>() {
                    let _ = input.focus();
                }
                state.dispatch(Action::Notice(Notice::error(Text::ErrorEmailMissing)));
                return;
            }
            error.set(None);
            let grant = actions::request_access(&state);
            let (state, error) = (state.clone(), error.clone());
            spawn_local(async move {
                if let Err(refusal) = actions::forgot_password(state, address, grant).await {
                    error.set(Some(refusal));
                }
            });
        })
    };
    let on_back = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::BackToLogin))
    };
    let field_error = (*error)
        .clone()
        .filter(|e| e.field == Some(FormField::Email));
    html! {
        <section class="panel" data-panel="forgot" aria-labelledby="forgot-title">
            <h2 id="forgot-title">{ t(Text::ForgotTitle) }</h2>
            <p id="forgot-text">{ t(Text::ForgotText) }</p>
            <form onsubmit={on_submit} novalidate=true aria-busy={state.busy.to_string()}>
                <div class="field">
                    <label for="forgot-email">{ t(Text::FieldEmail) }</label>
                    <input id="forgot-email" name="email" type="email" ref={email}
                        autocomplete="email" spellcheck="false" autocapitalize="off" aria-required="true"
                        aria-describedby="forgot-text forgot-email-error" />
                    <FieldError id="forgot-email-error" error={field_error} />
                </div>
                <NoticeView notice={state.notice.clone()} />
                <div class="buttons">
                    <button type="button" onclick={on_back} data-action="back">{ t(Text::Back) }</button>
                    <button type="submit" class="primary" disabled={state.busy} data-action="send-link">
                        { if state.busy { t(Text::Busy) } else { t(Text::SendLink) } }
                    </button>
                </div>
            </form>
        </section>
    }
}
