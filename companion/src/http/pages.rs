//! The HTML pages the companion serves: signup, email confirmation, forgot
//! and change password, terms and privacy. They work without JavaScript (a
//! small script only makes the password checklist live), carry a strict CSP
//! and `Referrer-Policy: no-referrer`, and fit a phone screen. Links in mails
//! carry a token in the URL; pages never act on a GET except confirming an
//! address, and a password is only ever changed by a POST of the form.

use std::sync::Arc;

use baigate_shared::password::{PasswordPolicy, PasswordRule};
use poem::http::StatusCode;
use poem::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};
use serde::Deserialize;

use super::client::{client_info, lang};
use super::documents::{self, Document};
use super::page_text::{PageText, fill, text};
use super::throttle::Throttled;
use super::{AppState, body};
use crate::config::SignupMode;
use crate::domain::accounts::AccountError;
use crate::domain::recovery::ResetError;
use crate::domain::signup::{SignupError, SignupRequest};
use crate::i18n::Lang;
use crate::mail::templates::escape_html;
use crate::domain::recovery::Verification;

const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; \
                        form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const STYLESHEET: &str = include_str!("../../assets/baigate.css");
const CHECKLIST_SCRIPT: &str = include_str!("../../assets/checklist.js");

/// Every form and query field a page reads; unknown ones are ignored.
#[derive(Debug, Default, Deserialize)]
struct Fields {
    email: Option<String>,
    username: Option<String>,
    password: Option<String>,
    password_confirm: Option<String>,
    token: Option<String>,
    agreement: Option<String>,
    verification_code: Option<String>,
}

fn query(req: &Request) -> Fields {
    serde_urlencoded::from_str(req.uri().query().unwrap_or_default()).unwrap_or_default()
}

async fn form(req: &Request, body: Body) -> Fields {
    match body::read_limited(req, body).await {
        Ok(bytes) => serde_urlencoded::from_bytes(&bytes).unwrap_or_default(),
        Err(_) => Fields::default(),
    }
}

fn value(field: &Option<String>) -> &str {
    field.as_deref().map(str::trim).unwrap_or_default()
}

struct Page<'a> {
    lang: Lang,
    title: &'a str,
    body: String,
    /// The page's own path and query, for the language links.
    here: String,
    checklist: bool,
    wide: bool,
}

fn render(page: Page<'_>, status: StatusCode) -> Response {
    let script = if page.checklist {
        "<script src=\"/static/checklist.js\" defer></script>\n"
    } else {
        ""
    };
    let langs: Vec<String> = Lang::ALL
        .iter()
        .map(|lang| {
            let href = with_lang(&page.here, *lang);
            if *lang == page.lang {
                format!("<strong>{}</strong>", lang.native_name())
            } else {
                format!(
                    "<a href=\"{}\" hreflang=\"{}\" lang=\"{}\">{}</a>",
                    escape_html(&href),
                    lang.code(),
                    lang.code(),
                    lang.native_name()
                )
            }
        })
        .collect();
    let t = text(page.lang);
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>{title} · baigate</title>\n<link rel=\"stylesheet\" href=\"/static/baigate.css\">\n{script}\
         </head>\n<body>\n<main{class}>\n<h1>{title}</h1>\n{body}</main>\n\
         <footer><p>{langs}</p><p><a href=\"/terms?lang={lang}\">{terms}</a> · <a href=\"/privacy?lang={lang}\">{privacy}</a></p></footer>\n\
         </body>\n</html>\n",
        lang = page.lang.code(),
        title = escape_html(page.title),
        class = if page.wide { " class=\"document\"" } else { "" },
        body = page.body,
        langs = langs.join(" · "),
        terms = escape_html(t.terms),
        privacy = escape_html(t.privacy),
    );
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "text/html; charset=utf-8")
        .header(CONTENT_SECURITY_POLICY, PAGE_CSP)
        .body(html)
}

/// A page with neither the password checklist nor the wide layout.
fn page(lang: Lang, title: &str, body: String, here: String, status: StatusCode) -> Response {
    render(
        Page {
            lang,
            title,
            body,
            here,
            checklist: false,
            wide: false,
        },
        status,
    )
}

/// `here` with its `lang` parameter set to `lang`.
fn with_lang(here: &str, lang: Lang) -> String {
    let (path, query) = here.split_once('?').unwrap_or((here, ""));
    let mut pairs: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("lang="))
        .collect();
    let lang_pair = format!("lang={}", lang.code());
    pairs.push(&lang_pair);
    format!("{path}?{}", pairs.join("&"))
}

fn paragraph(class: &str, message: &str) -> String {
    let role = if class == "error" {
        " role=\"alert\""
    } else {
        ""
    };
    format!("<p class=\"{class}\"{role}>{}</p>\n", escape_html(message))
}

fn input(
    name: &str,
    kind: &str,
    label: &str,
    value: &str,
    autocomplete: &str,
    extra: &str,
) -> String {
    format!(
        "<label for=\"{name}\">{label}</label>\n<input id=\"{name}\" name=\"{name}\" type=\"{kind}\" \
         value=\"{value}\" autocomplete=\"{autocomplete}\"{extra}>\n",
        label = escape_html(label),
        value = escape_html(value),
    )
}

fn rule_text(t: &PageText, policy: &PasswordPolicy, rule: PasswordRule) -> String {
    match rule {
        PasswordRule::MinLength => {
            fill(t.rule_min_length, &[("n", &policy.min_length.to_string())])
        }
        PasswordRule::MaxBytes => fill(t.rule_max_bytes, &[("n", &policy.max_bytes.to_string())]),
        PasswordRule::NoControlCharacters => t.rule_no_control.to_owned(),
        PasswordRule::Letter => t.rule_letter.to_owned(),
        PasswordRule::Digit => t.rule_digit.to_owned(),
        PasswordRule::Special => t.rule_special.to_owned(),
        PasswordRule::NotCommon => t.rule_not_common.to_owned(),
        PasswordRule::NotIdentity => t.rule_not_identity.to_owned(),
    }
}

fn rule_slug(rule: PasswordRule) -> String {
    serde_json::to_value(rule)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The new-password fields with the policy checklist.
fn password_fields(t: &PageText, policy: &PasswordPolicy, label: &str) -> String {
    let mut html = input(
        "password",
        "password",
        label,
        "",
        "new-password",
        " required",
    );
    html.push_str(&format!(
        "<p class=\"hint\">{}</p>\n<ul class=\"checklist\" aria-live=\"polite\">\n",
        escape_html(t.rules_heading)
    ));
    for rule in policy.rules() {
        html.push_str(&format!(
            "<li data-rule=\"{}\">{}</li>\n",
            rule_slug(rule),
            escape_html(&rule_text(t, policy, rule))
        ));
    }
    html.push_str("</ul>\n");
    html.push_str(&input(
        "password_confirm",
        "password",
        t.password_again,
        "",
        "new-password",
        " required",
    ));
    html.push_str(&format!(
        "<p class=\"hint error\" data-match hidden>{}</p>\n",
        escape_html(t.passwords_differ)
    ));
    html
}

fn policy_attribute(policy: &PasswordPolicy) -> String {
    escape_html(&serde_json::to_string(policy).unwrap_or_else(|_| "{}".into()))
}

fn weak_message(t: &PageText, policy: &PasswordPolicy, failed: &[PasswordRule]) -> String {
    let rules: Vec<String> = failed
        .iter()
        .map(|rule| rule_text(t, policy, *rule))
        .collect();
    format!("{} {}", t.err_weak, rules.join(", "))
}

// ---------------------------------------------------------------- signup

struct SignupForm<'a> {
    email: &'a str,
    username: &'a str,
    token: &'a str,
    error: Option<String>,
}

fn signup_page(
    state: &AppState,
    lang: Lang,
    here: String,
    form: SignupForm<'_>,
    status: StatusCode,
) -> Response {
    let t = text(lang);
    let policy = state.domain.password_policy();
    let mode = state.domain.signup_policy().mode;
    let mut body = paragraph(
        "muted",
        &fill(t.signup_intro, &[("server", &state.public_origin)]),
    );
    if mode == SignupMode::Closed {
        body.push_str(&paragraph("error", t.signup_closed));
        return page(lang, t.signup_title, body, here, StatusCode::FORBIDDEN);
    }
    if let Some(error) = &form.error {
        body.push_str(&paragraph("error", error));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"/signup?lang={}\" data-policy=\"{}\">\n",
        lang.code(),
        policy_attribute(policy)
    ));
    body.push_str(&input(
        "email",
        "email",
        t.email,
        form.email,
        "email",
        " required autofocus",
    ));
    body.push_str(&input(
        "username",
        "text",
        t.username,
        form.username,
        "username",
        " maxlength=\"64\"",
    ));
    body.push_str(&format!(
        "<p class=\"hint\">{}</p>\n",
        escape_html(t.username_hint)
    ));
    body.push_str(&password_fields(t, policy, t.password));
    let token_required = if mode == SignupMode::Invite {
        " required"
    } else {
        ""
    };
    body.push_str(&input(
        "token",
        "text",
        t.invitation,
        form.token,
        "off",
        token_required,
    ));
    body.push_str(&format!(
        "<p class=\"hint\">{}</p>\n",
        escape_html(t.invitation_hint)
    ));
    let terms_link = format!(
        "<a href=\"/terms?lang={code}\" target=\"_blank\" rel=\"noopener\">{}</a>",
        escape_html(t.terms),
        code = lang.code()
    );
    let privacy_link = format!(
        "<a href=\"/privacy?lang={code}\" target=\"_blank\" rel=\"noopener\">{}</a>",
        escape_html(t.privacy),
        code = lang.code()
    );
    let agreement = fill(
        &escape_html(t.agreement),
        &[("terms", &terms_link), ("privacy", &privacy_link)],
    );
    body.push_str(&format!(
        "<label class=\"check\"><input type=\"checkbox\" name=\"agreement\" value=\"on\" required> <span>{agreement}</span></label>\n"
    ));
    body.push_str(&format!(
        "<button type=\"submit\">{}</button>\n</form>\n",
        escape_html(t.signup_submit)
    ));
    if state.domain.signup_policy().allow_password_reset {
        body.push_str(&format!(
            "<p class=\"muted\"><a href=\"/forgot-password?lang={}\">{}</a></p>\n",
            lang.code(),
            escape_html(t.forgot_link)
        ));
    }
    render(
        Page {
            lang,
            title: t.signup_title,
            body,
            here,
            checklist: true,
            wide: false,
        },
        status,
    )
}

/// `GET /signup[?token=…]`
#[handler]
pub async fn signup_form(req: &Request, Data(state): Data<&Arc<AppState>>) -> Response {
    let lang = lang(req);
    let t = text(lang);
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
    let here = req.uri().to_string();
    let email = value(&fields.email).to_owned();
    signup_page(
        state,
        lang,
        here,
        SignupForm {
            email: &email,
            username: "",
            token,
            error,
        },
        StatusCode::OK,
    )
}

/// `POST /signup`
#[handler]
pub async fn signup_submit(
    _: Throttled,
    req: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Response {
    let lang = lang(req);
    let t = text(lang);
    let fields = form(req, body).await;
    let here = format!("/signup?lang={}", lang.code());
    let (email, username, token) = (
        value(&fields.email),
        value(&fields.username),
        value(&fields.token),
    );
    let refill = |error: String, status| {
        signup_page(
            state,
            lang,
            here.clone(),
            SignupForm {
                email,
                username,
                token,
                error: Some(error),
            },
            status,
        )
    };
    for (field, label) in [(&fields.email, t.email), (&fields.password, t.password)] {
        if value(field).is_empty() {
            return refill(
                fill(t.field_missing, &[("field", label)]),
                StatusCode::BAD_REQUEST,
            );
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
    let policy = state.domain.password_policy().clone();
    match state.domain.sign_up(request, client_info(req), lang).await {
        Ok(signed_up) => {
            let user = &signed_up.account.user;
            let mut body = String::new();
            match &signed_up.verification {
                Some(Ok(_)) => body.push_str(&paragraph(
                    "success",
                    &fill(t.signup_check_mail, &[("email", &user.email)]),
                )),
                Some(Err(_)) => {
                    body.push_str(&paragraph("error", t.signup_mail_failed));
                    body.push_str(&resend_form(t, lang, &user.email));
                }
                None => body.push_str(&paragraph(
                    "success",
                    &fill(t.signup_can_login, &[("email", &user.email)]),
                )),
            }
            body.push_str(&format!(
                "<h2>{}</h2>\n<p class=\"muted\">{}</p>\n<dl class=\"keys\"><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl>\n",
                escape_html(t.keys_heading),
                escape_html(t.keys_note),
                escape_html(t.access_key),
                escape_html(&user.access_key),
                escape_html(t.secret_key),
                escape_html(&signed_up.account.secret_key),
            ));
            page(lang, t.signup_done_title, body, here, StatusCode::CREATED)
        }
        Err(error) => {
            let (message, status) = match &error {
                SignupError::Closed => (t.signup_closed.to_owned(), StatusCode::FORBIDDEN),
                SignupError::InvitationRequired => {
                    (t.signup_needs_invitation.to_owned(), StatusCode::FORBIDDEN)
                }
                SignupError::Disagreed => (t.must_agree.to_owned(), StatusCode::BAD_REQUEST),
                SignupError::Account(account) => match account {
                    AccountError::InvalidEmail(_) => {
                        (t.err_email_invalid.to_owned(), StatusCode::BAD_REQUEST)
                    }
                    AccountError::InvalidUsername(_) => {
                        (t.err_username_invalid.to_owned(), StatusCode::BAD_REQUEST)
                    }
                    AccountError::WeakPassword(v) => {
                        (weak_message(t, &policy, &v.failed), StatusCode::BAD_REQUEST)
                    }
                    AccountError::EmailTaken => {
                        (t.err_email_taken.to_owned(), StatusCode::CONFLICT)
                    }
                    AccountError::UsernameTaken => {
                        (t.err_username_taken.to_owned(), StatusCode::CONFLICT)
                    }
                    AccountError::InvalidInvitation => {
                        (t.invitation_invalid.to_owned(), StatusCode::FORBIDDEN)
                    }
                    AccountError::Domain(e) => {
                        tracing::error!(error = %e, "signup failed");
                        (t.err_server.to_owned(), StatusCode::INTERNAL_SERVER_ERROR)
                    }
                },
            };
            refill(message, status)
        }
    }
}

// ---------------------------------------------------------- verification

fn resend_form(t: &PageText, lang: Lang, email: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/resend-verification?lang={}\">\n{}<button type=\"submit\">{}</button>\n</form>\n",
        lang.code(),
        input(
            "email",
            "email",
            t.resend_prompt,
            email,
            "email",
            " required"
        ),
        escape_html(t.resend_submit)
    )
}

/// `GET /verify-email?verification_code=…`: confirms the address and says so.
#[handler]
pub async fn verify_email(
    _: Throttled,
    req: &Request,
    Data(state): Data<&Arc<AppState>>,
) -> Response {
    let lang = lang(req);
    let t = text(lang);
    let fields = query(req);
    let here = format!("/verify-email?lang={}", lang.code());
    let outcome = state
        .domain
        .verify_email(value(&fields.verification_code), client_info(req))
        .await;
    let (body, status) = match outcome {
        Ok(Verification::Verified { .. }) => (paragraph("success", t.verify_done), StatusCode::OK),
        Ok(Verification::AlreadyVerified) => {
            (paragraph("success", t.verify_already), StatusCode::OK)
        }
        Ok(Verification::Invalid) => (
            format!(
                "{}{}",
                paragraph("error", t.verify_invalid),
                resend_form(t, lang, "")
            ),
            StatusCode::BAD_REQUEST,
        ),
        Err(e) => {
            tracing::error!(error = %e, "verification failed");
            (
                paragraph("error", t.err_server),
                StatusCode::INTERNAL_SERVER_ERROR,
            )
        }
    };
    page(lang, t.verify_title, body, here, status)
}

/// `POST /resend-verification`
#[handler]
pub async fn resend_verification(
    _: Throttled,
    req: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Response {
    let lang = lang(req);
    let t = text(lang);
    let fields = form(req, body).await;
    let here = format!("/verify-email?lang={}", lang.code());
    let email = value(&fields.email);
    if email.is_empty() {
        let body = format!(
            "{}{}",
            paragraph("error", &fill(t.field_missing, &[("field", t.email)])),
            resend_form(t, lang, "")
        );
        return page(lang, t.verify_title, body, here, StatusCode::BAD_REQUEST);
    }
    state
        .domain
        .resend_verification(email, client_info(req), lang);
    let body = paragraph("success", t.mail_on_its_way);
    page(lang, t.verify_title, body, here, StatusCode::OK)
}

// ------------------------------------------------------- forgot password

fn forgot_body(t: &PageText, lang: Lang, email: &str) -> String {
    format!(
        "{}<form method=\"post\" action=\"/forgot-password?lang={}\">\n{}<button type=\"submit\">{}</button>\n</form>\n",
        paragraph("muted", t.forgot_intro),
        lang.code(),
        input(
            "email",
            "email",
            t.email,
            email,
            "email",
            " required autofocus"
        ),
        escape_html(t.forgot_submit)
    )
}

/// `GET /forgot-password`
#[handler]
pub async fn forgot_form(req: &Request, Data(state): Data<&Arc<AppState>>) -> Response {
    let lang = lang(req);
    let t = text(lang);
    let here = format!("/forgot-password?lang={}", lang.code());
    if !state.domain.signup_policy().allow_password_reset {
        let body = paragraph("error", t.reset_disabled);
        return page(lang, t.forgot_title, body, here, StatusCode::FORBIDDEN);
    }
    let fields = query(req);
    let body = forgot_body(t, lang, value(&fields.email));
    page(lang, t.forgot_title, body, here, StatusCode::OK)
}

/// `POST /forgot-password`
#[handler]
pub async fn forgot_submit(
    _: Throttled,
    req: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Response {
    let lang = lang(req);
    let t = text(lang);
    let here = format!("/forgot-password?lang={}", lang.code());
    let fields = form(req, body).await;
    let email = value(&fields.email);
    if email.is_empty() {
        let body = format!(
            "{}{}",
            paragraph("error", &fill(t.field_missing, &[("field", t.email)])),
            forgot_body(t, lang, "")
        );
        return page(lang, t.forgot_title, body, here, StatusCode::BAD_REQUEST);
    }
    let (body, status) = match state
        .domain
        .request_password_reset(email, client_info(req), lang)
    {
        Ok(()) => (paragraph("success", t.mail_on_its_way), StatusCode::OK),
        Err(ResetError::Disabled) => (paragraph("error", t.reset_disabled), StatusCode::FORBIDDEN),
        Err(e) => {
            tracing::error!(error = %e, "reset request failed");
            (
                paragraph("error", t.err_server),
                StatusCode::INTERNAL_SERVER_ERROR,
            )
        }
    };
    page(lang, t.forgot_title, body, here, status)
}

// ------------------------------------------------------- change password

fn change_body(
    state: &AppState,
    t: &PageText,
    lang: Lang,
    token: &str,
    email: &str,
    error: Option<&str>,
) -> String {
    let policy = state.domain.password_policy();
    let mut body = paragraph("muted", t.change_intro);
    if let Some(error) = error {
        body.push_str(&paragraph("error", error));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"/change-password?lang={}\" data-policy=\"{}\">\n\
         <input type=\"hidden\" name=\"token\" value=\"{}\">\n",
        lang.code(),
        policy_attribute(policy),
        escape_html(token)
    ));
    body.push_str(&input(
        "email",
        "email",
        t.email,
        email,
        "email",
        " required autofocus",
    ));
    body.push_str(&password_fields(t, policy, t.new_password));
    body.push_str(&format!(
        "<button type=\"submit\">{}</button>\n</form>\n",
        escape_html(t.change_submit)
    ));
    body
}

fn invalid_link_body(t: &PageText, lang: Lang, message: &str) -> String {
    format!(
        "{}<p><a href=\"/forgot-password?lang={}\">{}</a></p>\n",
        paragraph("error", message),
        lang.code(),
        escape_html(t.change_request_new)
    )
}

/// `GET /change-password?token=…`: the form, if the link still works. The
/// token moves from the URL into the form; nothing changes until it is posted.
#[handler]
pub async fn change_form(req: &Request, Data(state): Data<&Arc<AppState>>) -> Response {
    let lang = lang(req);
    let t = text(lang);
    let here = req.uri().to_string();
    let fields = query(req);
    let token = value(&fields.token);
    let (body, status, checklist) = match state.domain.reset_link_is_fresh(token).await {
        Ok(true) => (
            change_body(state, t, lang, token, "", None),
            StatusCode::OK,
            true,
        ),
        Ok(false) => (
            invalid_link_body(t, lang, t.change_invalid),
            StatusCode::BAD_REQUEST,
            false,
        ),
        Err(e) => {
            tracing::error!(error = %e, "reset link lookup failed");
            (
                paragraph("error", t.err_server),
                StatusCode::INTERNAL_SERVER_ERROR,
                false,
            )
        }
    };
    render(
        Page {
            lang,
            title: t.change_title,
            body,
            here,
            checklist,
            wide: false,
        },
        status,
    )
}

/// `POST /change-password`
#[handler]
pub async fn change_submit(
    _: Throttled,
    req: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Response {
    let lang = lang(req);
    let t = text(lang);
    let here = format!("/change-password?lang={}", lang.code());
    let fields = form(req, body).await;
    let (token, email) = (value(&fields.token), value(&fields.email));
    let page = |body: String, status: StatusCode, checklist: bool| {
        render(
            Page {
                lang,
                title: t.change_title,
                body,
                here: here.clone(),
                checklist,
                wide: false,
            },
            status,
        )
    };
    for (field, label) in [(&fields.email, t.email), (&fields.password, t.new_password)] {
        if value(field).is_empty() {
            let error = fill(t.field_missing, &[("field", label)]);
            return page(
                change_body(state, t, lang, token, email, Some(&error)),
                StatusCode::BAD_REQUEST,
                true,
            );
        }
    }
    let password = fields.password.clone().unwrap_or_default();
    if fields.password_confirm.as_deref() != Some(password.as_str()) {
        return page(
            change_body(state, t, lang, token, email, Some(t.passwords_differ)),
            StatusCode::BAD_REQUEST,
            true,
        );
    }
    let policy = state.domain.password_policy().clone();
    match state
        .domain
        .reset_password(token, Some(email), &password, client_info(req), lang)
        .await
    {
        Ok(_) => page(paragraph("success", t.change_done), StatusCode::OK, false),
        Err(ResetError::Weak(violation)) => {
            let error = weak_message(t, &policy, &violation.failed);
            page(
                change_body(state, t, lang, token, email, Some(&error)),
                StatusCode::BAD_REQUEST,
                true,
            )
        }
        Err(ResetError::InvalidToken | ResetError::Disabled) => page(
            invalid_link_body(t, lang, t.change_failed),
            StatusCode::BAD_REQUEST,
            false,
        ),
        Err(ResetError::Domain(e)) => {
            tracing::error!(error = %e, "password reset failed");
            page(
                paragraph("error", t.err_server),
                StatusCode::INTERNAL_SERVER_ERROR,
                false,
            )
        }
    }
}

// ------------------------------------------------------------- documents

fn document_page(state: &AppState, document: Document, lang: Lang, here: String) -> Response {
    let t = text(lang);
    let (title, file) = match document {
        Document::Terms => (t.terms, state.documents.terms.as_deref()),
        Document::Privacy => (t.privacy, state.documents.privacy.as_deref()),
    };
    match documents::body(document, lang, file) {
        Ok(body) => render(
            Page {
                lang,
                title,
                body,
                here,
                checklist: false,
                wide: true,
            },
            StatusCode::OK,
        ),
        Err(e) => {
            tracing::error!(error = %e, "a configured document cannot be read");
            let body = paragraph("error", t.err_server);
            render(
                Page {
                    lang,
                    title,
                    body,
                    here,
                    checklist: false,
                    wide: true,
                },
                StatusCode::INTERNAL_SERVER_ERROR,
            )
        }
    }
}

/// `GET /terms`
#[handler]
pub async fn terms(req: &Request, Data(state): Data<&Arc<AppState>>) -> Response {
    document_page(state, Document::Terms, lang(req), req.uri().to_string())
}

/// `GET /privacy`
#[handler]
pub async fn privacy(req: &Request, Data(state): Data<&Arc<AppState>>) -> Response {
    document_page(state, Document::Privacy, lang(req), req.uri().to_string())
}

/// `GET /resources/documents/<name>.<lang>.html`, where the WebUI's signup
/// dialog looks for the documents.
#[handler]
pub async fn webui_document(
    Path(name): Path<String>,
    Data(state): Data<&Arc<AppState>>,
) -> poem::Result<Response> {
    let mut parts = name.split('.');
    let (Some(stem), Some(code), Some("html"), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(poem::error::NotFoundError.into());
    };
    let document = match stem {
        "terms-of-service" => Document::Terms,
        "privacy-policy" => Document::Privacy,
        _ => return Err(poem::error::NotFoundError.into()),
    };
    let lang = Lang::from_tag(code).unwrap_or_default();
    Ok(document_page(
        state,
        document,
        lang,
        format!("/resources/documents/{name}"),
    ))
}

// ----------------------------------------------------------------- assets

/// `GET /static/baigate.css`
#[handler]
pub async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", STYLESHEET)
}

/// `GET /static/checklist.js`
#[handler]
pub async fn checklist_script() -> Response {
    asset("text/javascript; charset=utf-8", CHECKLIST_SCRIPT)
}

fn asset(content_type: &str, content: &'static str) -> Response {
    Response::builder()
        .header(CONTENT_TYPE, content_type)
        .header(CACHE_CONTROL, "public, max-age=3600")
        .body(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_links_keep_the_rest_of_the_query() {
        assert_eq!(with_lang("/signup", Lang::Ko), "/signup?lang=ko");
        assert_eq!(
            with_lang("/signup?token=abc&lang=en", Lang::Ja),
            "/signup?token=abc&lang=ja"
        );
    }

    #[test]
    fn every_rule_has_a_slug_the_script_knows() {
        let script = CHECKLIST_SCRIPT;
        for rule in PasswordPolicy::default().rules() {
            let slug = rule_slug(rule);
            assert!(!slug.is_empty());
            if rule != PasswordRule::NotCommon {
                assert!(script.contains(&format!("\"{slug}\"")), "{slug}");
            }
        }
    }
}
