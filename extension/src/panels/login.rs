//! The login form: who (a password, or an API keypair), and under
//! "Advanced" which endpoint, with a pill that says whether the endpoint
//! answers before anything is sent; "Login with <realm>" (single sign-on),
//! and links to signup and password reset, when the endpoint offers them.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use web_sys::{HtmlInputElement, KeyboardEvent};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::actions::{self, Handle};
use crate::components::{
    HealthPill, InsecureEndpointWarning, NoticeView, PasswordField, input_value,
};
use crate::hooks::use_focus;
use crate::notice::Notice;
use crate::platform::dom;
use crate::profiles::Mode;
use crate::sso::SsoVendor;
use crate::state::{Action, Credentials};
use crate::stored::DEFAULT_ENDPOINT;
use crate::text::{Text, t, tf};

/// How long typing in the endpoint field pauses before it is checked.
const HEALTH_DEBOUNCE_MS: u32 = 400;

/// The name of the User Timing mark set when the form is first on screen:
/// what `scripts/bench.sh` reads as the popup's time to a usable form.
pub const LOGIN_FORM_MARK: &str = "baigate:login-form";

/// Checks the endpoint when it changes: at once the first time, then after
/// typing pauses. (The start panel checks it too: what the endpoint offers
/// decides whether Extend is shown.)
#[hook]
pub(crate) fn use_health_check(state: Handle) {
    let timer: Rc<RefCell<Option<Timeout>>> = use_mut_ref(|| None);
    let first = use_mut_ref(|| true);
    let endpoint = state.endpoint.clone();
    use_effect_with(endpoint, move |endpoint| {
        let delay = if first.replace(false) {
            0
        } else {
            HEALTH_DEBOUNCE_MS
        };
        let endpoint = endpoint.clone();
        let timeout = Timeout::new(delay, move || {
            spawn_local(actions::check_health(state, endpoint))
        });
        timer.replace(Some(timeout));
        move || drop(timer.take())
    });
}

/// The endpoint field, its history, and a hint (under "Advanced").
#[component]
fn EndpointField() -> Html {
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
    let open = use_state(|| state.endpoint != DEFAULT_ENDPOINT);
    let on_input = {
        let state = state.clone();
        Callback::from(move |event: InputEvent| {
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                state.dispatch(Action::EndpointChanged(input.value().trim().to_owned()));
            }
        })
    };
    let on_change = Callback::from(move |event: Event| {
        if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
            spawn_local(actions::save_endpoint(input.value().trim().to_owned()));
        }
    });
    // Enter in the endpoint field takes the address, not the form.
    let on_key = Callback::from(move |event: KeyboardEvent| {
        if event.key() == "Enter" {
            event.prevent_default();
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                spawn_local(actions::save_endpoint(input.value().trim().to_owned()));
            }
            // On to the first field of the form.
            dom::focus_first("#username, #access-key");
        }
    });
    let on_toggle = {
        let open = open.clone();
        Callback::from(move |event: Event| {
            if let Some(details) = event.target_dyn_into::<web_sys::HtmlDetailsElement>() {
                open.set(details.open());
            }
        })
    };
    let endpoints: Vec<String> = state
        .profiles
        .iter()
        .map(|p| p.endpoint.clone())
        .chain(
            (!state
                .profiles
                .iter()
                .any(|p| p.endpoint == DEFAULT_ENDPOINT))
            .then(|| DEFAULT_ENDPOINT.to_owned()),
        )
        .collect();
    html! {
        <details class="advanced" open={*open} ontoggle={on_toggle}>
            <summary>{ t(Text::Advanced) }</summary>
            <div class="field">
                <label for="endpoint">{ t(Text::FieldEndpoint) }</label>
                <input id="endpoint" name="endpoint" type="url"
                    list="endpoint-history" value={state.endpoint.clone()}
                    autocomplete="url" spellcheck="false" autocapitalize="off"
                    aria-describedby="endpoint-hint"
                    oninput={on_input} onchange={on_change} onkeydown={on_key} />
                <datalist id="endpoint-history" aria-label={t(Text::EndpointHistory)}>
                    { for endpoints.into_iter().map(|e| html! { <option value={e} /> }) }
                </datalist>
                <p id="endpoint-hint" class="hint">{ t(Text::EndpointHint) }</p>
            </div>
        </details>
    }
}

/// Session or API mode.
#[component]
fn ModeSwitch() -> Html {
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
    let option = |mode: Mode, value: &'static str, text: Text| {
        let selected = state.mode == mode;
        let state = state.clone();
        let on_change = Callback::from(move |_: Event| state.dispatch(Action::SetMode(mode)));
        html! {
            <label class={classes!("segment", selected.then_some("selected"))} data-mode-option={value}>
                <input type="radio" name="mode" value={value} checked={selected} onchange={on_change} />
                { t(text) }
            </label>
        }
    };
    html! {
        <div class="segmented" role="radiogroup" aria-label={t(Text::ModeLabel)}>
            { option(Mode::Session, "session", Text::ModeSession) }
            { option(Mode::Api, "api", Text::ModeApi) }
        </div>
    }
}

#[component]
pub fn LoginPanel() -> Html {
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
    let username = use_node_ref();
    let password = use_node_ref();
    let access_key = use_node_ref();
    let secret_key = use_node_ref();
    let first_field = if state.mode == Mode::Api {
        access_key.clone()
    } else {
        username.clone()
    };
    use_focus(first_field);
    use_health_check(state.clone());
    use_effect_with((), |_| dom::mark(LOGIN_FORM_MARK));

    // The endpoint's last username comes back; the cursor then waits in the
    // password field.
    {
        let (username, password) = (username.clone(), password.clone());
        use_effect_with(
            (state.username_hint.clone(), state.mode),
            move |(hint, _)| {
                if let (Some(hint), Some(input)) = (hint, username.cast::<HtmlInputElement>())
                    && input.value().is_empty()
                {
                    input.set_value(hint);
                    if let Some(next) = password.cast::<HtmlInputElement>() {
                        let _ = next.focus();
                    }
                }
            },
        );
    }
    // After a wrong password, it goes and the cursor waits for a new one.
    // (Other refusals keep it: the server being away is not its fault.)
    {
        let password = password.clone();
        use_effect_with(state.notice.clone(), move |notice| {
            if notice
                .as_ref()
                .is_some_and(|n| n.text == Text::ErrorMismatch)
                && let Some(input) = password.cast::<HtmlInputElement>()
            {
                input.set_value("");
                let _ = input.focus();
            }
        });
    }

    let on_submit = {
        let state = state.clone();
        let (username, password) = (username.clone(), password.clone());
        let (access_key, secret_key) = (access_key.clone(), secret_key.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if state.busy {
                return;
            }
            let (first, second) = match state.mode {
                Mode::Session => (&username, &password),
                Mode::Api => (&access_key, &secret_key),
            };
            let (first_value, second_value) =
                (input_value(first).trim().to_owned(), input_value(second));
            if first_value.is_empty() || second_value.is_empty() {
                let empty = if first_value.is_empty() {
                    first
                } else {
                    second
                };
                if let Some(input) = empty.cast::<HtmlInputElement>() {
                    let _ = input.focus();
                }
                let missing = match state.mode {
                    Mode::Session => Text::ErrorMissingFields,
                    Mode::Api => Text::ErrorMissingKeys,
                };
                state.dispatch(Action::Notice(Notice::error(missing)));
                return;
            }
            // Asked now, while the click counts as the user's gesture.
            let grant = actions::request_access(&state);
            match state.mode {
                Mode::Session => {
                    let credentials = Credentials {
                        username: first_value,
                        password: second_value,
                    };
                    spawn_local(actions::login_with_access(
                        state.clone(),
                        credentials,
                        grant,
                    ));
                }
                Mode::Api => spawn_local(actions::login_with_keypair(
                    state.clone(),
                    first_value,
                    second_value.trim().to_owned(),
                    grant,
                )),
            }
        })
    };
    let on_signup = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::ShowSignup))
    };
    let on_forgot = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::ShowForgot))
    };
    let on_single_sign_on = |vendor: SsoVendor| {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            if state.busy {
                return;
            }
            // Asked now, while the click counts as the user's gesture.
            let grant = actions::request_access(&state);
            spawn_local(actions::single_sign_on(state.clone(), grant, vendor));
        })
    };
    let features = state
        .info
        .as_ref()
        .map(|info| info.features.clone())
        .unwrap_or_default();
    // The WebUI's order and words: "Login with SAML", "Login with <realm>".
    let single_sign_on: Vec<(SsoVendor, String)> = [
        (SsoVendor::Saml, features.saml.then(|| "SAML".to_owned())),
        (SsoVendor::OpenId, features.openid_realm.clone()),
    ]
    .into_iter()
    .filter(|_| state.mode == Mode::Session)
    .filter_map(|(vendor, name)| name.map(|name| (vendor, tf(Text::SsoLogin, &[&name]))))
    .collect();

    html! {
        <section class="panel" data-panel="login" aria-labelledby="login-title">
            <h2 id="login-title">{ t(Text::LoginTitle) }</h2>
            <p class="endpoint-line">
                <span class="endpoint-address" title={state.endpoint.clone()}>{ state.endpoint.clone() }</span>
                <HealthPill health={state.health.clone()} />
            </p>
            <InsecureEndpointWarning endpoint={state.endpoint.clone()} />
            <ModeSwitch />
            <form onsubmit={on_submit} novalidate=true aria-busy={state.busy.to_string()}>
                if state.mode == Mode::Session {
                    <div class="field">
                        <label for="username">{ t(Text::FieldUser) }</label>
                        <input id="username" name="username" type="text" ref={username}
                            autocomplete="username" autocapitalize="off" spellcheck="false"
                            maxlength="64" aria-required="true" />
                    </div>
                    <PasswordField id="password" label={t(Text::FieldPassword)} input_ref={password} />
                } else {
                    <div class="field">
                        <label for="access-key">{ t(Text::FieldApiKey) }</label>
                        <input id="access-key" name="access-key" type="text" ref={access_key}
                            autocomplete="off" autocapitalize="characters" spellcheck="false"
                            maxlength="20" aria-required="true" />
                    </div>
                    <PasswordField id="secret-key" label={t(Text::FieldSecretKey)} input_ref={secret_key}
                        autocomplete="off" />
                    <p class="hint">{ t(Text::ApiModeHint) }</p>
                }
                if !state.pinned() { <EndpointField /> }
                <NoticeView notice={state.notice.clone()} />
                <button type="submit" class="primary" disabled={state.busy} data-action="login">
                    { if state.busy { t(Text::Busy) } else { t(Text::LoginButton) } }
                </button>
            </form>
            if !single_sign_on.is_empty() {
                <p class="or">{ t(Text::Or) }</p>
                { for single_sign_on.into_iter().map(|(vendor, label)| {
                    // Spelt out: QA scripts select these (docs/qa.md).
                    let hook = match vendor {
                        SsoVendor::Saml => "sso-saml",
                        SsoVendor::OpenId => "sso-openid",
                    };
                    html! {
                        <button type="button" class="sso" onclick={on_single_sign_on(vendor)}
                            disabled={state.busy} data-action={hook}>{ label }</button>
                    }
                }) }
            }
            if state.mode == Mode::Session && (features.signup || features.password_reset) {
                <p class="links">
                    if features.signup {
                        <button type="button" class="link" onclick={on_signup} data-action="show-signup">{ t(Text::SignupLink) }</button>
                    }
                    if features.password_reset {
                        // The WebUI's words: "Forgot password?", then the link "Change".
                        <span class="forgot" data-qa="forgot-password">
                            { t(Text::ForgotLink) }{ " " }
                            <button type="button" class="link" onclick={on_forgot} data-action="show-forgot">{ t(Text::ForgotChange) }</button>
                        </span>
                    }
                </p>
            }
        </section>
    }
}
