//! The login form: who, the password, and (under "Advanced") which endpoint,
//! with a pill that says whether the endpoint answers before anything is sent.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use web_sys::{HtmlInputElement, KeyboardEvent};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::actions::{self, Handle};
use crate::components::{HealthPill, NoticeView, PasswordField, input_value, use_focus};
use crate::platform::permissions;
use crate::protocol::{access_pattern, normalize_endpoint};
use crate::state::{Action, Credentials, DEFAULT_ENDPOINT, Notice};
use crate::text::{Text, t};

/// How long typing in the endpoint field pauses before it is checked.
const HEALTH_DEBOUNCE_MS: u32 = 400;

/// Checks the endpoint when it changes: at once the first time, then after
/// typing pauses.
#[hook]
fn use_health_check(state: Handle) {
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

/// A User Timing mark when the form is first on screen: what
/// `scripts/bench.sh` reads as the popup's time to a usable form.
fn mark_rendered() {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(LOGIN_FORM_MARK);
    }
}

/// The name of that mark.
pub const LOGIN_FORM_MARK: &str = "baigate:login-form";

#[component]
pub fn LoginPanel() -> Html {
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
    let username = use_node_ref();
    let password = use_node_ref();
    let endpoint_field = use_node_ref();
    use_focus(username.clone());
    use_health_check(state.clone());
    use_effect_with((), |_| mark_rendered());
    let advanced_open = use_state(|| state.endpoint != DEFAULT_ENDPOINT);

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
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if state.busy {
                return;
            }
            let credentials = Credentials {
                username: input_value(&username).trim().to_owned(),
                password: input_value(&password),
            };
            if credentials.username.is_empty() || credentials.password.is_empty() {
                let empty = if credentials.username.is_empty() {
                    &username
                } else {
                    &password
                };
                if let Some(input) = empty.cast::<HtmlInputElement>() {
                    let _ = input.focus();
                }
                state.dispatch(Action::Notice(Notice::error(Text::ErrorMissingFields)));
                return;
            }
            // Asked now, while the click counts as the user's gesture.
            let pattern = normalize_endpoint(&state.endpoint).and_then(|e| access_pattern(&e));
            let grant = permissions::request(pattern);
            spawn_local(actions::login_with_access(
                state.clone(),
                credentials,
                grant,
            ));
        })
    };
    let on_endpoint_input = {
        let state = state.clone();
        Callback::from(move |event: InputEvent| {
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                state.dispatch(Action::EndpointChanged(input.value().trim().to_owned()));
            }
        })
    };
    let on_endpoint_change = Callback::from(move |event: Event| {
        if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
            spawn_local(actions::save_endpoint(input.value().trim().to_owned()));
        }
    });
    // Enter in the endpoint field takes the address, not the form.
    let on_endpoint_key = {
        let username = username.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Enter" {
                event.prevent_default();
                if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                    spawn_local(actions::save_endpoint(input.value().trim().to_owned()));
                }
                if let Some(input) = username.cast::<HtmlInputElement>() {
                    let _ = input.focus();
                }
            }
        })
    };
    let on_toggle = {
        let advanced_open = advanced_open.clone();
        Callback::from(move |event: Event| {
            if let Some(details) = event.target_dyn_into::<web_sys::HtmlDetailsElement>() {
                advanced_open.set(details.open());
            }
        })
    };

    html! {
        <section class="panel" data-panel="login" aria-labelledby="login-title">
            <h2 id="login-title">{ t(Text::LoginTitle) }</h2>
            <p class="endpoint-line">
                <span class="endpoint-address" title={state.endpoint.clone()}>{ state.endpoint.clone() }</span>
                <HealthPill health={state.health.clone()} />
            </p>
            <form onsubmit={on_submit} novalidate=true aria-busy={state.busy.to_string()}>
                <div class="field">
                    <label for="username">{ t(Text::FieldUser) }</label>
                    <input id="username" name="username" type="text" ref={username}
                        autocomplete="username" autocapitalize="off" spellcheck="false"
                        aria-required="true" />
                </div>
                <PasswordField id="password" label={t(Text::FieldPassword)} input_ref={password} />
                <details class="advanced" open={*advanced_open} ontoggle={on_toggle}>
                    <summary>{ t(Text::Advanced) }</summary>
                    <div class="field">
                        <label for="endpoint">{ t(Text::FieldEndpoint) }</label>
                        <input id="endpoint" name="endpoint" type="url" ref={endpoint_field}
                            list="endpoint-history" value={state.endpoint.clone()}
                            autocomplete="url" spellcheck="false" autocapitalize="off"
                            aria-describedby="endpoint-hint"
                            oninput={on_endpoint_input} onchange={on_endpoint_change}
                            onkeydown={on_endpoint_key} />
                        <datalist id="endpoint-history" aria-label={t(Text::EndpointHistory)}>
                            { for state.history.iter().map(|e| html! { <option value={e.clone()} /> }) }
                            if !state.history.iter().any(|e| e == DEFAULT_ENDPOINT) {
                                <option value={DEFAULT_ENDPOINT} />
                            }
                        </datalist>
                        <p id="endpoint-hint" class="hint">{ t(Text::EndpointHint) }</p>
                    </div>
                </details>
                <NoticeView notice={state.notice.clone()} />
                <button type="submit" class="primary" disabled={state.busy} data-action="login">
                    { if state.busy { t(Text::Busy) } else { t(Text::LoginButton) } }
                </button>
            </form>
        </section>
    }
}
