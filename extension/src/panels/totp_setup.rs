//! Two-factor setup, at first login (with the registration token the login
//! answer gave) or from the start panel: a QR code drawn here from the
//! `otpauth://` URI and the key for typing by hand, a code to confirm, then
//! the recovery codes, shown once.

use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::actions::{self, Handle};
use crate::components::{CopyButton, FieldError, NoticeView, QrCode, input_value};
use crate::hooks::{use_composing, use_escape, use_focus};
use crate::notice::Notice;
use crate::platform::dom;
use crate::protocol::{Enrolment, FormField, FormRefusal, clean_code, is_complete_code};
use crate::state::{Action, TotpSetup};
use crate::text::{Text, t};

/// `ABCD EFGH …`: easier to read off and type.
fn grouped(key: &str) -> String {
    key.as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where a cancelled setup goes: the form at first login, the start panel
/// otherwise.
fn leave(first_login: bool) -> Action {
    if first_login {
        Action::BackToLogin
    } else {
        Action::BackToStart
    }
}

#[derive(Debug, Properties, PartialEq)]
struct ScanProps {
    enrolment: Enrolment,
    /// The registration token, at first login.
    registration: Option<String>,
}

/// Step two: scan or type the key, then confirm with a code.
#[component]
fn ScanStep(props: &ScanProps) -> Html {
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
    let code = use_node_ref();
    let composing = use_composing(code.clone());
    let error = use_state(|| None::<FormRefusal>);
    use_focus(code.clone());
    let enrolment = &props.enrolment;
    let submit = {
        let state = state.clone();
        let error = error.clone();
        let code = code.clone();
        let registration = props.registration.clone();
        Callback::from(move |typed: String| {
            if state.busy {
                return;
            }
            let (state, error, code) = (state.clone(), error.clone(), code.clone());
            let registration = registration.clone();
            spawn_local(async move {
                if let Err(refusal) = actions::totp_confirm(state, registration, typed).await {
                    error.set(Some(refusal));
                    if let Some(input) = code.cast::<HtmlInputElement>() {
                        input.set_value("");
                        let _ = input.focus();
                    }
                }
            });
        })
    };
    let on_input = {
        let submit = submit.clone();
        let composing = composing.active;
        Callback::from(move |event: InputEvent| {
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                let typed = clean_code(&input.value());
                if !composing && is_complete_code(&typed) {
                    submit.emit(typed);
                }
            }
        })
    };
    let on_submit = {
        let state = state.clone();
        let code = code.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let typed = clean_code(&input_value(&code));
            if is_complete_code(&typed) {
                submit.emit(typed);
            } else {
                state.dispatch(Action::Notice(Notice::error(Text::OtpMissing)));
            }
        })
    };
    let on_cancel = {
        let state = state.clone();
        let first_login = props.registration.is_some();
        Callback::from(move |_: MouseEvent| state.dispatch(leave(first_login)))
    };
    let field_error = (*error).clone().filter(|e| e.field == Some(FormField::Otp));
    html! {
        <>
            <p id="totp-scan-text">{ t(Text::TotpScanText) }</p>
            <div class="qr-box">
                <QrCode text={enrolment.uri.clone()} label={t(Text::TotpQrLabel)} />
            </div>
            <p class="key-line">
                <span class="label">{ t(Text::TotpKeyLabel) }</span>
                <code class="totp-key" data-totp-key={enrolment.key.clone()}>{ grouped(&enrolment.key) }</code>
                <CopyButton text={enrolment.key.clone()} label={t(Text::Copy)} secret=true action="copy-key" />
            </p>
            <form onsubmit={on_submit} novalidate=true aria-busy={state.busy.to_string()}>
                <div class="field">
                    <label for="totp-code">{ t(Text::TotpConfirmLabel) }</label>
                    <input id="totp-code" name="otp" type="text" ref={code} class="code"
                        inputmode="numeric" autocomplete="one-time-code" maxlength="12"
                        spellcheck="false" autocapitalize="off" aria-describedby="totp-code-error"
                        oninput={on_input} onkeydown={composing.on_key.clone()} />
                    if composing.active { <p class="warning" data-warning="ime">{ t(Text::ImeComposingCode) }</p> }
                    <FieldError id="totp-code-error" error={field_error} />
                </div>
                <NoticeView notice={state.notice.clone()} />
                <div class="buttons">
                    <button type="button" onclick={on_cancel} data-action="cancel">{ t(Text::Cancel) }</button>
                    <button type="submit" class="primary" disabled={state.busy} data-action="confirm-totp">
                        { if state.busy { t(Text::Busy) } else { t(Text::TotpConfirmButton) } }
                    </button>
                </div>
            </form>
        </>
    }
}

#[derive(Debug, Properties, PartialEq)]
struct RecoveryCodesProps {
    codes: Vec<String>,
}

/// Step three: the recovery codes, once.
#[component]
fn RecoveryCodesStep(props: &RecoveryCodesProps) -> Html {
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
    let done = use_node_ref();
    use_focus(done.clone());
    let codes = &props.codes;
    let text = codes.join("\n");
    let on_download = {
        let text = text.clone();
        Callback::from(move |_: MouseEvent| {
            dom::download_text("baigate-recovery-codes.txt", &format!("{text}\n"))
        })
    };
    let on_done = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::TotpSetupDone))
    };
    html! {
        <>
            <p>{ t(Text::RecoveryCodesText) }</p>
            <ol class="recovery-codes" data-recovery-codes="true">
                { for codes.iter().map(|code| html! { <li><code>{ code.clone() }</code></li> }) }
            </ol>
            <p class="buttons start">
                <CopyButton text={text.clone()} label={t(Text::CopyAll)} secret=true action="copy-recovery-codes" />
                <button type="button" class="small" onclick={on_download} data-action="download-recovery-codes">{ t(Text::Download) }</button>
            </p>
            <div class="buttons">
                <button type="button" class="primary" ref={done} onclick={on_done} data-action="codes-saved">
                    { t(Text::RecoveryCodesSaved) }
                </button>
            </div>
        </>
    }
}

#[derive(Debug, Properties, PartialEq)]
pub struct TotpSetupProps {
    pub setup: TotpSetup,
}

#[component]
pub fn TotpSetupPanel(props: &TotpSetupProps) -> Html {
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
    let setup = &props.setup;
    let registration = setup.registration().map(str::to_owned);
    // Fetch the secret once, when the panel opens.
    {
        let state = state.clone();
        let registration = registration.clone();
        use_effect_with((), move |_| {
            spawn_local(actions::totp_enrol(state, registration))
        });
    }
    {
        let state = state.clone();
        let first_login = registration.is_some();
        use_escape(Callback::from(move |()| state.dispatch(leave(first_login))));
    }
    let (step, body) = if !setup.recovery_codes.is_empty() {
        (
            "codes",
            html! { <RecoveryCodesStep codes={setup.recovery_codes.clone()} /> },
        )
    } else if let Some(enrolment) = &setup.enrolment {
        (
            "scan",
            html! { <ScanStep enrolment={enrolment.clone()} registration={registration.clone()} /> },
        )
    } else {
        (
            "loading",
            html! {
                <>
                    <p class="loading" aria-busy="true">{ t(Text::Busy) }</p>
                    <NoticeView notice={state.notice.clone()} />
                </>
            },
        )
    };
    let title = if registration.is_some() {
        t(Text::TotpSetupFirstTitle)
    } else {
        t(Text::TotpSetupTitle)
    };
    html! {
        <section class="panel" data-panel="totp-setup" data-step={step} aria-labelledby="totp-title">
            <h2 id="totp-title">{ title }</h2>
            if registration.is_some() && step == "scan" { <p class="hint">{ t(Text::TotpRequiredText) }</p> }
            { body }
        </section>
    }
}
