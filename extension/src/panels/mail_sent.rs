//! "Check your mail": after signup (confirm the address, with a way to
//! send the link again) or after asking for a password-change link.

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::actions::{self, Handle};
use crate::components::NoticeView;
use crate::hooks::{use_escape, use_focus};
use crate::state::{Action, MailSent};
use crate::text::{Text, t, tf};

#[derive(Debug, Properties, PartialEq)]
pub struct MailSentProps {
    pub mail: MailSent,
}

#[component]
pub fn MailSentPanel(props: &MailSentProps) -> Html {
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
    let back = use_node_ref();
    use_focus(back.clone());
    let on_back = {
        let state = state.clone();
        Callback::from(move |()| state.dispatch(Action::BackToLogin))
    };
    use_escape(on_back.clone());
    let (text, resend) = match &props.mail {
        MailSent::Verification { email } => {
            (tf(Text::VerificationSent, &[email]), Some(email.clone()))
        }
        MailSent::PasswordChange => (t(Text::PasswordMailSent), None),
    };
    let on_resend = resend.map(|email| {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            if !state.busy {
                spawn_local(actions::resend_verification(state.clone(), email.clone()));
            }
        })
    });
    html! {
        <section class="panel" data-panel="mail-sent" aria-labelledby="mail-title">
            <h2 id="mail-title">{ t(Text::MailSentTitle) }</h2>
            <p data-mail-sent="true">{ text }</p>
            <p class="hint">{ t(Text::MailSentHint) }</p>
            <NoticeView notice={state.notice.clone()} />
            <div class="buttons">
                if let Some(on_resend) = on_resend {
                    <button type="button" onclick={on_resend} disabled={state.busy} data-action="resend">{ t(Text::Resend) }</button>
                }
                <button type="button" class="primary" ref={back} data-action="back"
                    onclick={on_back.reform(|_: MouseEvent| ())}>{ t(Text::BackToLogin) }</button>
            </div>
        </section>
    }
}
