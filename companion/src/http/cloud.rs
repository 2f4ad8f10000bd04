//! Signup and account recovery over JSON: `/func/auth/signup`,
//! `/func/auth/update-password` and the `/func/cloud/*` calls of the WebUI.

use std::sync::Arc;

use baigate_shared::cloud::{
    ChangePasswordRequest, EmailRequest, MessageResponse, SignupRequest, SignupResponse,
    UpdatePasswordRequest, VerificationNotice, VerifyEmailRequest,
};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Response, handler};

use super::auth::Caller;
use super::body::JsonBody;
use super::problem::{ApiError, old_password_refused, required};
use super::throttle::Throttled;
use super::{AppState, json_response};
use crate::domain::passwords::PasswordChange;
use crate::domain::recovery::Verification;
use crate::domain::signup::SignupRequest as DomainSignup;
use crate::i18n::Lang;
use crate::model::ClientInfo;

/// The answer to "mail me a link", whatever the address.
const MAIL_ON_ITS_WAY: &str = "If an account uses this address, a message is on its way. Check your mail, including the spam folder.";

fn message(text: &str) -> Response {
    json_response(
        StatusCode::OK,
        &MessageResponse {
            message: text.to_owned(),
        },
    )
}

/// `POST /func/auth/signup`
#[handler]
pub async fn signup(
    _: Throttled,
    JsonBody(request): JsonBody<SignupRequest>,
    client: ClientInfo,
    lang: Lang,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    // The WebUI says `user_name`; answers name the field as the client did.
    let username_field = if request.user_name.is_some() {
        "user_name"
    } else {
        "username"
    };
    let email = required(request.email, "email")?;
    let password = required(request.password, "password")?;
    let username = request
        .username
        .or(request.user_name)
        .filter(|u| !u.trim().is_empty());
    let signed_up = state
        .domain
        .sign_up(
            DomainSignup {
                email,
                username,
                password,
                invitation: request.token,
                agreement: request.agreement,
            },
            client,
            lang,
        )
        .await
        .map_err(|e| ApiError::from(e).renaming_field("username", username_field))?;
    let verification = signed_up.verification.map(|outcome| match outcome {
        Ok(_) => VerificationNotice {
            sent: true,
            message: "A confirmation link was mailed; follow it to activate the account.".into(),
        },
        Err(_) => VerificationNotice {
            sent: false,
            message: "The account was created, but the confirmation mail could not be sent. \
                      Ask for a new one with send-verification-email, or tell the administrator."
                .into(),
        },
    });
    let user = &signed_up.account.user;
    Ok(json_response(
        StatusCode::CREATED,
        &SignupResponse {
            access_key: user.access_key.clone(),
            secret_key: signed_up.account.secret_key.clone(),
            status: Some(user.status.as_str().to_owned()),
            verification,
        },
    ))
}

/// `POST /func/cloud/send-verification-email`
#[handler]
pub async fn send_verification_email(
    _: Throttled,
    JsonBody(request): JsonBody<EmailRequest>,
    client: ClientInfo,
    lang: Lang,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let email = required(request.email, "email")?;
    state.domain.resend_verification(&email, client, lang);
    Ok(message(MAIL_ON_ITS_WAY))
}

/// `POST /func/cloud/verify-email`
#[handler]
pub async fn verify_email(
    _: Throttled,
    JsonBody(request): JsonBody<VerifyEmailRequest>,
    client: ClientInfo,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let code = required(request.verification_code, "verification_code")?;
    match state.domain.verify_email(&code, client).await? {
        Verification::Verified { .. } => Ok(message(
            "The email address is confirmed; the account can log in.",
        )),
        Verification::AlreadyVerified => Ok(message("The email address was already confirmed.")),
        Verification::Invalid => Err(ApiError::invalid_link("verification_code")),
    }
}

/// `POST /func/cloud/send-password-change-email`
#[handler]
pub async fn send_password_change_email(
    _: Throttled,
    JsonBody(request): JsonBody<EmailRequest>,
    client: ClientInfo,
    lang: Lang,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let email = required(request.email, "email")?;
    state.domain.request_password_reset(&email, client, lang)?;
    Ok(message(MAIL_ON_ITS_WAY))
}

/// `POST /func/cloud/change-password`
#[handler]
pub async fn change_password(
    _: Throttled,
    JsonBody(request): JsonBody<ChangePasswordRequest>,
    client: ClientInfo,
    lang: Lang,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let email = required(request.email, "email")?;
    let password = required(request.password, "password")?;
    let token = required(request.token, "token")?;
    state
        .domain
        .reset_password(&token, Some(&email), &password, client, lang)
        .await?;
    Ok(message(
        "The password was changed and every session of the account ended. Log in with the new \
         password.",
    ))
}

/// `POST /func/auth/update-password`: the account's own password, with a
/// session (the others end) or a signed request (all end).
#[handler]
pub async fn update_password(
    _: Throttled,
    caller: Caller,
    JsonBody(request): JsonBody<UpdatePasswordRequest>,
    client: ClientInfo,
    lang: Lang,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let old = required(request.old_password, "old_password")?;
    let new = required(request.new_password, "new_password")?;
    let again = required(request.new_password2, "new_password2")?;
    if new != again {
        return Err(ApiError::passwords_differ("new_password2"));
    }
    let outcome = state
        .domain
        .change_own_password(caller.user(), caller.session_id(), &old, &new, client, lang)
        .await?;
    match outcome {
        PasswordChange::Changed { .. } => Ok(json_response(StatusCode::OK, &serde_json::json!({}))),
        PasswordChange::Refused(refusal) => Err(old_password_refused(refusal)),
        PasswordChange::SameAsCurrent => Err(ApiError::same_password()),
        PasswordChange::Weak(violation) => Err(ApiError::weak_password(&violation, "new_password")),
    }
}

/// `GET /func/cloud/ping`: tells the WebUI that signup and recovery exist.
#[handler]
pub async fn cloud_ping() -> Response {
    json_response(StatusCode::OK, &serde_json::json!({}))
}
