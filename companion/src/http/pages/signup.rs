//! `/signup`: the signup form (an invitation link lands here) and its answer.

use std::sync::Arc;

use askama::Template;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Request, Response, handler};

use super::{
    Fields, Layout, RuleLine, html, missing, policy_json, query, rule_lines, value, weak_message,
};
use crate::config::SignupMode;
use crate::domain::accounts::AccountError;
use crate::domain::signup::{SignupError, SignupRequest};
use crate::http::AppState;
use crate::http::body::FormBody;
use crate::http::problem::ApiError;
use crate::http::throttle::Throttled;
use crate::i18n::Lang;
use crate::model::ClientInfo;
use crate::texts::{PageText, Piece, fill, pieces};

#[derive(Debug, Template)]
#[template(path = "pages/signup.html")]
struct SignupPage<'a> {
    layout: Layout,
    intro: String,
    closed: bool,
    error: Option<String>,
    policy_json: String,
    service_words: String,
    email: &'a str,
    username: &'a str,
    token: &'a str,
    token_required: bool,
    rules: Vec<RuleLine>,
    agreement: Vec<Piece<'static>>,
    show_forgot: bool,
}

/// Whether the confirmation mail went out, as the done page tells it.
#[derive(Debug)]
enum MailOutcome {
    Sent,
    Failed,
    NotNeeded,
}

#[derive(Debug, Template)]
#[template(path = "pages/signup_done.html")]
struct SignupDone<'a> {
    layout: Layout,
    verification: MailOutcome,
    outcome: String,
    email: &'a str,
    access_key: &'a str,
    secret_key: &'a str,
}

/// What the form shows again: the values typed and what went wrong.
#[derive(Debug, Default)]
struct Refill<'a> {
    email: &'a str,
    username: &'a str,
    token: &'a str,
    error: Option<String>,
}

fn signup_page(
    state: &AppState,
    lang: Lang,
    here: &str,
    refill: Refill<'_>,
    status: StatusCode,
) -> Response {
    let policy = state.domain.password_policy();
    let signup = state.domain.signup_policy();
    let layout = Layout::new(lang, |t| t.signup_title, here).with_checklist();
    let t = layout.t;
    let closed = signup.mode == SignupMode::Closed;
    let page = SignupPage {
        intro: fill(t.signup_intro, &[("server", &state.public_origin)]),
        closed,
        error: refill.error,
        policy_json: policy_json(policy),
        service_words: super::service_words(),
        email: refill.email,
        username: refill.username,
        token: refill.token,
        token_required: signup.mode == SignupMode::Invite,
        rules: rule_lines(t, policy),
        agreement: pieces(t.agreement),
        show_forgot: signup.allow_password_reset,
        layout,
    };
    let status = if closed {
        StatusCode::FORBIDDEN
    } else {
        status
    };
    html(&page, status)
}

/// `GET /signup[?token=…]`
#[handler]
pub async fn signup_form(req: &Request, lang: Lang, Data(state): Data<&Arc<AppState>>) -> Response {
    let t = &crate::texts::texts(lang).page;
    let fields = query(req);
    let token = value(&fields.token);
    let mut error = None;
    if state.domain.signup_policy().mode == SignupMode::Invite && token.is_empty() {
        error = Some(t.signup_needs_invitation.to_owned());
    } else if !token.is_empty() {
        match state.domain.usable_invitation(token).await {
            Ok(Some(_)) => {}
            Ok(None) => error = Some(t.invitation_invalid.to_owned()),
            Err(e) => {
                tracing::error!(error = %e, "invitation lookup failed");
                error = Some(t.err_server.to_owned());
            }
        }
    }
    let refill = Refill {
        email: value(&fields.email),
        token,
        error,
        ..Refill::default()
    };
    signup_page(state, lang, &req.uri().to_string(), refill, StatusCode::OK)
}

/// The page's words for a refused signup.
fn refusal_text(t: &PageText, state: &AppState, error: &SignupError) -> String {
    match error {
        SignupError::Closed => t.signup_closed.to_owned(),
        SignupError::InvitationRequired => t.signup_needs_invitation.to_owned(),
        SignupError::Disagreed => t.must_agree.to_owned(),
        SignupError::Account(account) => match account {
            AccountError::InvalidEmail(_) => t.err_email_invalid.to_owned(),
            AccountError::InvalidUsername(_) => t.err_username_invalid.to_owned(),
            AccountError::WeakPassword(violation) => {
                weak_message(t, state.domain.password_policy(), &violation.failed)
            }
            AccountError::EmailTaken => t.err_email_taken.to_owned(),
            AccountError::UsernameTaken => t.err_username_taken.to_owned(),
            AccountError::InvalidInvitation => t.invitation_invalid.to_owned(),
            AccountError::Domain(e) => {
                tracing::error!(error = %e, "signup failed");
                t.err_server.to_owned()
            }
        },
    }
}

/// `POST /signup`
#[handler]
pub async fn signup_submit(
    _: Throttled,
    FormBody(fields): FormBody<Fields>,
    client: ClientInfo,
    lang: Lang,
    Data(state): Data<&Arc<AppState>>,
) -> Response {
    let t = &crate::texts::texts(lang).page;
    let here = format!("/signup?lang={}", lang.code());
    let (email, username, token) = (
        value(&fields.email),
        value(&fields.username),
        value(&fields.token),
    );
    let refill = |error: String, status| {
        let refill = Refill {
            email,
            username,
            token,
            error: Some(error),
        };
        signup_page(state, lang, &here, refill, status)
    };
    for (field, label) in [(&fields.email, t.email), (&fields.password, t.password)] {
        if value(field).is_empty() {
            return refill(missing(t, label), StatusCode::BAD_REQUEST);
        }
    }
    let password = fields.password.clone().unwrap_or_default();
    if fields.password_confirm.as_deref() != Some(password.as_str()) {
        return refill(t.passwords_differ.to_owned(), StatusCode::BAD_REQUEST);
    }
    let request = SignupRequest {
        email: email.to_owned(),
        username: (!username.is_empty()).then(|| username.to_owned()),
        password,
        invitation: (!token.is_empty()).then(|| token.to_owned()),
        agreement: Some(fields.agreement.is_some()),
    };
    match state.domain.sign_up(request, client, lang).await {
        Ok(signed_up) => {
            let user = &signed_up.account.user;
            let (verification, outcome) = match &signed_up.verification {
                Some(Ok(_)) => (
                    MailOutcome::Sent,
                    fill(t.signup_check_mail, &[("email", &user.email)]),
                ),
                Some(Err(_)) => (MailOutcome::Failed, String::new()),
                None => (
                    MailOutcome::NotNeeded,
                    fill(t.signup_can_login, &[("email", &user.email)]),
                ),
            };
            let page = SignupDone {
                layout: Layout::new(lang, |t| t.signup_done_title, &here),
                verification,
                outcome,
                email: &user.email,
                access_key: &user.access_key,
                secret_key: &signed_up.account.secret_key,
            };
            html(&page, StatusCode::CREATED)
        }
        Err(error) => {
            let message = refusal_text(t, state, &error);
            let status = ApiError::from(error).status();
            refill(message, status)
        }
    }
}

#[cfg(test)]
mod tests {
    use baigate_shared::problem::ProblemType;

    use super::*;

    #[test]
    fn refusals_take_their_status_from_the_answer_table() {
        let cases = [
            (SignupError::Closed, StatusCode::FORBIDDEN),
            (SignupError::Disagreed, StatusCode::BAD_REQUEST),
            (
                SignupError::Account(AccountError::EmailTaken),
                StatusCode::CONFLICT,
            ),
        ];
        for (error, status) in cases {
            assert_eq!(ApiError::from(error).status(), status);
        }
        assert_eq!(
            ApiError::from(SignupError::Closed).problem_type(),
            ProblemType::SignupDisabled
        );
    }
}
