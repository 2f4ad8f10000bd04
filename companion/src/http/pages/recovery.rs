//! Pages a mailed link opens: the email confirmation (`/verify-email`, with
//! a form to send a new link), and the password reset (`/forgot-password`
//! asks for the link, `/change-password` uses it).

use std::sync::Arc;

use askama::Template;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Request, Response, handler};

use super::{
    Fields, Layout, RuleLine, html, missing, policy_json, query, rule_lines, value, weak_message,
};
use crate::domain::recovery::{RESET_LIFETIME, ResetError, Verification};
use crate::http::AppState;
use crate::http::body::FormBody;
use crate::http::problem::ApiError;
use crate::http::throttle::Throttled;
use crate::i18n::Lang;
use crate::model::ClientInfo;
use crate::texts::{PageText, fill};

/// What a notice page offers after its message.
#[derive(Debug)]
enum FollowUp {
    Nothing,
    /// A form to mail a new confirmation link.
    ResendForm,
    /// A link to ask for a new reset link.
    NewResetLink,
}

/// A page that says one thing (and may offer one next step).
#[derive(Debug, Template)]
#[template(path = "pages/notice.html")]
struct Notice {
    layout: Layout,
    class: &'static str,
    message: String,
    follow_up: FollowUp,
}

fn notice(
    layout: Layout,
    class: &'static str,
    message: impl Into<String>,
    follow_up: FollowUp,
    status: StatusCode,
) -> Response {
    html(
        &Notice {
            layout,
            class,
            message: message.into(),
            follow_up,
        },
        status,
    )
}

fn server_fault(layout: Layout, error: &dyn std::fmt::Display, what: &str) -> Response {
    tracing::error!(error = %error, "{what} failed");
    let message = layout.t.err_server;
    notice(
        layout,
        "error",
        message,
        FollowUp::Nothing,
        StatusCode::INTERNAL_SERVER_ERROR,
    )
}

fn reset_minutes() -> String {
    (RESET_LIFETIME / 60).to_string()
}

/// A single sign-on whose answer names no login waiting here: nowhere safe
/// to send the browser, so it is told to start again.
pub fn sso_flow_unknown(lang: Lang, path: &str) -> Response {
    let layout = Layout::new(lang, |t| t.sso_title, path);
    let minutes = (crate::domain::sso::FLOW_LIFETIME / 60).to_string();
    let message = fill(layout.t.sso_unknown_flow, &[("minutes", &minutes)]);
    notice(
        layout,
        "error",
        message,
        FollowUp::Nothing,
        StatusCode::BAD_REQUEST,
    )
}

// ---------------------------------------------------------- verification

/// `GET /verify-email?verification_code=…`: confirms the address and says so.
#[handler]
pub async fn verify_email(
    _: Throttled,
    req: &Request,
    client: ClientInfo,
    lang: Lang,
    Data(state): Data<&Arc<AppState>>,
) -> Response {
    let here = format!("/verify-email?lang={}", lang.code());
    let layout = Layout::new(lang, |t| t.verify_title, &here);
    let t = layout.t;
    let fields = query(req);
    match state
        .domain
        .verify_email(value(&fields.verification_code), client)
        .await
    {
        Ok(Verification::Verified { .. }) => notice(
            layout,
            "success",
            t.verify_done,
            FollowUp::Nothing,
            StatusCode::OK,
        ),
        Ok(Verification::AlreadyVerified) => notice(
            layout,
            "success",
            t.verify_already,
            FollowUp::Nothing,
            StatusCode::OK,
        ),
        Ok(Verification::Invalid) => notice(
            layout,
            "error",
            t.verify_invalid,
            FollowUp::ResendForm,
            ApiError::invalid_link("verification_code").status(),
        ),
        Err(e) => server_fault(layout, &e, "verification"),
    }
}

/// `POST /resend-verification`
#[handler]
pub async fn resend_verification(
    _: Throttled,
    FormBody(fields): FormBody<Fields>,
    client: ClientInfo,
    lang: Lang,
    Data(state): Data<&Arc<AppState>>,
) -> Response {
    let here = format!("/verify-email?lang={}", lang.code());
    let layout = Layout::new(lang, |t| t.verify_title, &here);
    let t = layout.t;
    let email = value(&fields.email);
    if email.is_empty() {
        return notice(
            layout,
            "error",
            missing(t, t.email),
            FollowUp::ResendForm,
            ApiError::missing("email").status(),
        );
    }
    state.domain.resend_verification(email, client, lang);
    notice(
        layout,
        "success",
        t.mail_on_its_way,
        FollowUp::Nothing,
        StatusCode::OK,
    )
}

// ------------------------------------------------------- forgot password

#[derive(Debug, Template)]
#[template(path = "pages/forgot.html")]
struct ForgotPage<'a> {
    layout: Layout,
    intro: String,
    email: &'a str,
    error: Option<String>,
}

fn forgot_page(layout: Layout, email: &str, error: Option<String>, status: StatusCode) -> Response {
    let intro = fill(layout.t.forgot_intro, &[("minutes", &reset_minutes())]);
    html(
        &ForgotPage {
            layout,
            intro,
            email,
            error,
        },
        status,
    )
}

/// `GET /forgot-password`
#[handler]
pub async fn forgot_form(req: &Request, lang: Lang, Data(state): Data<&Arc<AppState>>) -> Response {
    let here = format!("/forgot-password?lang={}", lang.code());
    let layout = Layout::new(lang, |t| t.forgot_title, &here);
    if !state.domain.signup_policy().allow_password_reset {
        let message = layout.t.reset_disabled;
        let status = ApiError::from(ResetError::Disabled).status();
        return notice(layout, "error", message, FollowUp::Nothing, status);
    }
    let fields = query(req);
    forgot_page(layout, value(&fields.email), None, StatusCode::OK)
}

/// `POST /forgot-password`
#[handler]
pub async fn forgot_submit(
    _: Throttled,
    FormBody(fields): FormBody<Fields>,
    client: ClientInfo,
    lang: Lang,
    Data(state): Data<&Arc<AppState>>,
) -> Response {
    let here = format!("/forgot-password?lang={}", lang.code());
    let layout = Layout::new(lang, |t| t.forgot_title, &here);
    let t = layout.t;
    let email = value(&fields.email);
    if email.is_empty() {
        let error = missing(t, t.email);
        return forgot_page(layout, "", Some(error), ApiError::missing("email").status());
    }
    match state.domain.request_password_reset(email, client, lang) {
        Ok(()) => notice(
            layout,
            "success",
            t.mail_on_its_way,
            FollowUp::Nothing,
            StatusCode::OK,
        ),
        Err(ResetError::Domain(e)) => server_fault(layout, &e, "reset request"),
        Err(refused) => {
            let status = ApiError::from(refused).status();
            notice(layout, "error", t.reset_disabled, FollowUp::Nothing, status)
        }
    }
}

// ------------------------------------------------------- change password

#[derive(Debug, Template)]
#[template(path = "pages/change.html")]
struct ChangePage<'a> {
    layout: Layout,
    error: Option<String>,
    policy_json: String,
    service_words: String,
    token: &'a str,
    email: &'a str,
    rules: Vec<RuleLine>,
}

fn change_page(
    state: &AppState,
    lang: Lang,
    here: &str,
    token: &str,
    email: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let policy = state.domain.password_policy();
    let layout = Layout::new(lang, |t| t.change_title, here).with_checklist();
    let rules = rule_lines(layout.t, policy);
    html(
        &ChangePage {
            layout,
            error,
            policy_json: policy_json(policy),
            service_words: super::service_words(),
            token,
            email,
            rules,
        },
        status,
    )
}

fn invalid_link(layout: Layout, message: fn(&PageText) -> &str) -> Response {
    let message = fill(message(layout.t), &[("minutes", &reset_minutes())]);
    let status = ApiError::invalid_link("token").status();
    notice(layout, "error", message, FollowUp::NewResetLink, status)
}

/// `GET /change-password?token=…`: the form, if the link still works. The
/// token moves from the URL into the form; nothing changes until it is posted.
#[handler]
pub async fn change_form(req: &Request, lang: Lang, Data(state): Data<&Arc<AppState>>) -> Response {
    let here = req.uri().to_string();
    let fields = query(req);
    let token = value(&fields.token);
    match state.domain.reset_link_is_fresh(token).await {
        Ok(true) => change_page(state, lang, &here, token, "", None, StatusCode::OK),
        Ok(false) => invalid_link(Layout::new(lang, |t| t.change_title, &here), |t| {
            t.change_invalid
        }),
        Err(e) => server_fault(
            Layout::new(lang, |t| t.change_title, &here),
            &e,
            "reset link lookup",
        ),
    }
}

/// `POST /change-password`
#[handler]
pub async fn change_submit(
    _: Throttled,
    FormBody(fields): FormBody<Fields>,
    client: ClientInfo,
    lang: Lang,
    Data(state): Data<&Arc<AppState>>,
) -> Response {
    let t = &crate::texts::texts(lang).page;
    let here = format!("/change-password?lang={}", lang.code());
    let (token, email) = (value(&fields.token), value(&fields.email));
    let again =
        |error: String, status| change_page(state, lang, &here, token, email, Some(error), status);
    for (field, label) in [(&fields.email, t.email), (&fields.password, t.new_password)] {
        if value(field).is_empty() {
            return again(missing(t, label), StatusCode::BAD_REQUEST);
        }
    }
    let password = fields.password.clone().unwrap_or_default();
    if fields.password_confirm.as_deref() != Some(password.as_str()) {
        return again(t.passwords_differ.to_owned(), StatusCode::BAD_REQUEST);
    }
    let layout = || Layout::new(lang, |t| t.change_title, &here);
    match state
        .domain
        .reset_password(token, Some(email), &password, client, lang)
        .await
    {
        Ok(_) => notice(
            layout(),
            "success",
            t.change_done,
            FollowUp::Nothing,
            StatusCode::OK,
        ),
        Err(ResetError::Weak(violation)) => {
            let error = weak_message(t, state.domain.password_policy(), &violation.failed);
            again(error, ApiError::from(ResetError::Weak(violation)).status())
        }
        Err(ResetError::InvalidToken | ResetError::Disabled) => {
            invalid_link(layout(), |t| t.change_failed)
        }
        Err(ResetError::Domain(e)) => server_fault(layout(), &e, "password reset"),
    }
}
