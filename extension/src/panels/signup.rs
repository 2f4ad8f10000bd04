//! Signup: email, an optional username, the password twice with a live
//! checklist of the endpoint's policy, an invitation token when the endpoint
//! asks for one, and the agreement to its documents. A refusal is shown next
//! to the field it is about.

use baigate_shared::cloud::SignupRequest;
use baigate_shared::password::PasswordContext;
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::actions::{self, Handle};
use crate::components::{
    Checklist, FieldError, InsecureEndpointWarning, NoticeView, PasswordField, acceptable,
    manual_rule,
};
use crate::hooks::{use_escape, use_focus};
use crate::notice::Notice;
use crate::platform::{dom, i18n};
use crate::protocol::{FormField, FormRefusal, invitation_token};
use crate::state::Action;
use crate::text::{Text, t, tf};

/// The language of the endpoint's documents: the browser's, if offered.
fn document_language() -> &'static str {
    let language = i18n::ui_language();
    match language.get(..2) {
        Some("ko") => "ko",
        Some("ja") => "ja",
        _ => "en",
    }
}

/// Where the two document links go in the agreement sentence (the word
/// order differs by language, so the sentence is one message).
const TERMS_MARK: &str = "\u{1}";
const PRIVACY_MARK: &str = "\u{2}";

/// The sentence around the two links: before, between, after.
fn agreement_parts(sentence: &str) -> [String; 3] {
    let (before, rest) = sentence.split_once(TERMS_MARK).unwrap_or((sentence, ""));
    let (between, after) = rest.split_once(PRIVACY_MARK).unwrap_or((rest, ""));
    [before.to_owned(), between.to_owned(), after.to_owned()]
}

/// An input's current value, as typed.
fn on_text(value: UseStateHandle<String>) -> Callback<InputEvent> {
    Callback::from(move |event: InputEvent| {
        if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
            value.set(input.value());
        }
    })
}

#[component]
pub fn SignupPanel() -> Html {
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
    let email = use_state(String::new);
    let username = use_state(String::new);
    let password = use_state(String::new);
    let confirm = use_state(String::new);
    let token = use_state(|| state.invitation.clone().unwrap_or_default());
    let agreed = use_state(|| false);
    let error = use_state(|| None::<FormRefusal>);
    let email_field = use_node_ref();
    let password_field = use_node_ref();
    let confirm_field = use_node_ref();
    use_focus(email_field.clone());
    {
        let state = state.clone();
        use_escape(Callback::from(move |()| {
            state.dispatch(Action::BackToLogin)
        }));
    }
    // The password fields are PasswordField components: follow their input.
    {
        let (password, confirm) = (password.clone(), confirm.clone());
        let (password_field, confirm_field) = (password_field.clone(), confirm_field.clone());
        use_effect_with((), move |_| {
            let listeners: Vec<_> = [(password_field, password), (confirm_field, confirm)]
                .into_iter()
                .filter_map(|(field, value)| {
                    let input = field.cast::<HtmlInputElement>()?;
                    let source = input.clone();
                    Some(dom::listen(&input, "input", move |_| {
                        value.set(source.value())
                    }))
                })
                .collect();
            move || drop(listeners)
        });
    }

    let policy = state
        .info
        .as_ref()
        .and_then(|info| info.policy.clone())
        .unwrap_or_else(manual_rule);
    let needs_token = state
        .info
        .as_ref()
        .is_some_and(|info| info.features.invitation_required)
        || state.invitation.is_some();
    let field_error = |field: FormField| (*error).clone().filter(|e| e.field == Some(field));
    let context = PasswordContext {
        username: Some(username.as_str()).filter(|u| !u.is_empty()),
        email: Some(email.as_str()).filter(|e| !e.is_empty()),
    };
    let ready = !email.trim().is_empty()
        && acceptable(&policy, &password, &confirm, context)
        && *agreed
        && (!needs_token || !token.trim().is_empty());

    let on_submit = {
        let state = state.clone();
        let (email, username, password, token, agreed, error) = (
            email.clone(),
            username.clone(),
            password.clone(),
            token.clone(),
            agreed.clone(),
            error.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if state.busy {
                return;
            }
            if !ready {
                state.dispatch(Action::Notice(Notice::error(Text::ErrorFormIncomplete)));
                return;
            }
            error.set(None);
            let request = SignupRequest {
                email: Some(email.trim().to_owned()),
                username: Some(username.trim().to_owned()).filter(|u| !u.is_empty()),
                password: Some((*password).clone()),
                token: invitation_token(&token),
                agreement: Some(*agreed),
                ..SignupRequest::default()
            };
            let grant = actions::request_access(&state);
            let (state, error) = (state.clone(), error.clone());
            spawn_local(async move {
                if let Err(refusal) = actions::signup(state, request, grant).await {
                    error.set(Some(refusal));
                }
            });
        })
    };
    let on_token = {
        let token = token.clone();
        Callback::from(move |event: InputEvent| {
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                // A pasted invitation link keeps only its token.
                let value = input.value();
                match invitation_token(&value).filter(|_| value.contains("://")) {
                    Some(extracted) => {
                        input.set_value(&extracted);
                        token.set(extracted);
                    }
                    None => token.set(value),
                }
            }
        })
    };
    let on_agree = {
        let agreed = agreed.clone();
        Callback::from(move |event: Event| {
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                agreed.set(input.checked());
            }
        })
    };
    let on_back = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::BackToLogin))
    };
    let agreement = agreement_parts(&tf(Text::Agreement, &[TERMS_MARK, PRIVACY_MARK]));
    let language = document_language();
    let terms = format!(
        "{}/resources/documents/terms-of-service.{language}.html",
        state.endpoint
    );
    let privacy = format!(
        "{}/resources/documents/privacy-policy.{language}.html",
        state.endpoint
    );

    html! {
        <section class="panel" data-panel="signup" aria-labelledby="signup-title">
            <h2 id="signup-title">{ t(Text::SignupTitle) }</h2>
            <p class="endpoint-line"><span class="endpoint-address">{ state.endpoint.clone() }</span></p>
            <InsecureEndpointWarning endpoint={state.endpoint.clone()} />
            <form onsubmit={on_submit} novalidate=true aria-busy={state.busy.to_string()}>
                <div class="field">
                    <label for="signup-email">{ t(Text::FieldEmail) }</label>
                    <input id="signup-email" name="email" type="email" ref={email_field}
                        autocomplete="email" spellcheck="false" autocapitalize="off" aria-required="true"
                        aria-describedby="signup-email-error" oninput={on_text(email.clone())} />
                    <FieldError id="signup-email-error" error={field_error(FormField::Email)} />
                </div>
                <div class="field">
                    <label for="signup-username">{ t(Text::FieldUsernameOptional) }</label>
                    <input id="signup-username" name="username" type="text"
                        autocomplete="username" spellcheck="false" autocapitalize="off" maxlength="64"
                        aria-describedby="signup-username-hint signup-username-error" oninput={on_text(username.clone())} />
                    <p id="signup-username-hint" class="hint">{ t(Text::UsernameHint) }</p>
                    <FieldError id="signup-username-error" error={field_error(FormField::Username)} />
                </div>
                <PasswordField id="signup-password" label={t(Text::FieldNewPassword)} input_ref={password_field}
                    autocomplete="new-password" />
                <PasswordField id="signup-confirm" label={t(Text::FieldConfirmPassword)} input_ref={confirm_field}
                    autocomplete="new-password" />
                <Checklist id="signup-checklist" policy={policy} password={(*password).clone()}
                    confirm={(*confirm).clone()} email={(*email).clone()} username={(*username).clone()} />
                <FieldError id="signup-password-error" error={field_error(FormField::Password)} />
                if needs_token {
                    <div class="field">
                        <label for="signup-token">{ t(Text::FieldInvitation) }</label>
                        <input id="signup-token" name="token" type="text" value={(*token).clone()}
                            autocomplete="off" spellcheck="false" autocapitalize="off" aria-required="true"
                            aria-describedby="signup-token-hint signup-token-error" oninput={on_token} />
                        <p id="signup-token-hint" class="hint">{ t(Text::InvitationHint) }</p>
                        <FieldError id="signup-token-error" error={field_error(FormField::Token)} />
                    </div>
                }
                <div class="field agreement">
                    <label>
                        <input id="signup-agreement" type="checkbox" name="agreement" checked={*agreed} onchange={on_agree}
                            aria-describedby="signup-agreement-error" />
                        <span>
                            { agreement[0].clone() }
                            <a href={terms} target="_blank" rel="noopener" data-document="terms">{ t(Text::TermsOfService) }</a>
                            { agreement[1].clone() }
                            <a href={privacy} target="_blank" rel="noopener" data-document="privacy">{ t(Text::PrivacyPolicy) }</a>
                            { agreement[2].clone() }
                        </span>
                    </label>
                    <FieldError id="signup-agreement-error" error={field_error(FormField::Agreement)} />
                </div>
                <NoticeView notice={state.notice.clone()} />
                <div class="buttons">
                    <button type="button" onclick={on_back} data-action="back">{ t(Text::Back) }</button>
                    <button type="submit" class="primary" disabled={state.busy} data-action="signup">
                        { if state.busy { t(Text::Busy) } else { t(Text::SignupButton) } }
                    </button>
                </div>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_links_go_where_each_language_puts_them() {
        assert_eq!(
            agreement_parts("I have read and agree to the \u{1} and the \u{2}."),
            [
                "I have read and agree to the ".to_owned(),
                " and the ".to_owned(),
                ".".to_owned()
            ]
        );
        assert_eq!(
            agreement_parts("\u{1}と\u{2}を読み、同意します。"),
            [
                String::new(),
                "と".to_owned(),
                "を読み、同意します。".to_owned()
            ]
        );
    }
}
