//! Signup and account recovery over JSON: `/func/auth/signup`,
//! `/func/auth/update-password` and the `/func/cloud/*` calls of the WebUI.

use std::sync::Arc;

use baigate_shared::cloud::{
    ChangePasswordRequest, EmailRequest, MessageResponse, SignupRequest, SignupResponse,
    UpdatePasswordRequest, VerificationNotice, VerifyEmailRequest,
};
use baigate_shared::problem::{Problem, ProblemType};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};

use super::client::{client_info, lang};
use super::problem::{ApiError, required};
use super::{AppState, body, json_response, session_token};
use crate::domain::accounts::AccountError;
use crate::domain::auth::{LiveSession, LoginRefusal, PasswordChange};
use crate::domain::recovery::ResetError;
use crate::domain::signup::{SignupError, SignupRequest as DomainSignup};
use crate::store::mailed_tokens::Verification;

/// The answer to "mail me a link", whatever the address.
const MAIL_ON_ITS_WAY: &str = "If an account uses this address, a message is on its way. Check your mail, including the spam folder.";

fn problem(
    status: StatusCode,
    problem_type: ProblemType,
    title: &str,
    field: Option<&str>,
) -> ApiError {
    let mut problem = Problem::new(problem_type, title);
    if let Some(field) = field {
        problem = problem.with_field(field);
    }
    ApiError::problem(status, problem)
}

/// The problem for a signup refusal; `username_field` is the name the client used.
pub(crate) fn signup_problem(error: SignupError, username_field: &str) -> ApiError {
    match error {
        SignupError::Closed => problem(
            StatusCode::FORBIDDEN,
            ProblemType::SignupDisabled,
            "Signup is disabled on this server. Ask an administrator for an account.",
            None,
        ),
        SignupError::InvitationRequired => problem(
            StatusCode::FORBIDDEN,
            ProblemType::InvitationRequired,
            "An invitation token is required to sign up on this server.",
            Some("token"),
        ),
        SignupError::Disagreed => problem(
            StatusCode::BAD_REQUEST,
            ProblemType::InvalidApiParams,
            "You must agree to the Terms of Service and the Privacy Policy to sign up.",
            Some("agreement"),
        ),
        SignupError::Account(error) => account_problem(error, username_field),
    }
}

fn account_problem(error: AccountError, username_field: &str) -> ApiError {
    match error {
        AccountError::InvalidEmail(e) => problem(
            StatusCode::BAD_REQUEST,
            ProblemType::InvalidApiParams,
            &format!("The email address {e}."),
            Some("email"),
        ),
        AccountError::InvalidUsername(e) => problem(
            StatusCode::BAD_REQUEST,
            ProblemType::InvalidApiParams,
            &format!("The username {e}."),
            Some(username_field),
        ),
        AccountError::WeakPassword(violation) => ApiError::problem(
            StatusCode::BAD_REQUEST,
            Problem::new(
                ProblemType::RejectedByHook,
                "The password does not meet the password policy.",
            )
            .with_details(violation.message())
            .with_field("password"),
        ),
        AccountError::EmailTaken => problem(
            StatusCode::CONFLICT,
            ProblemType::EmailAlreadyExists,
            "An account with this email address already exists.",
            Some("email"),
        ),
        AccountError::UsernameTaken => problem(
            StatusCode::CONFLICT,
            ProblemType::UsernameAlreadyExists,
            "This username is already taken.",
            Some(username_field),
        ),
        AccountError::InvalidInvitation => problem(
            StatusCode::FORBIDDEN,
            ProblemType::InvalidInvitation,
            "The invitation token is not valid: it may have expired, been used up or be meant for another address.",
            Some("token"),
        ),
        AccountError::Domain(e) => e.into(),
    }
}

/// `POST /func/auth/signup`
#[handler]
pub async fn signup(
    req: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let request: SignupRequest = body::read_json(req, body, &state.public_origin).await?;
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
            client_info(req),
            lang(req),
        )
        .await
        .map_err(|e| signup_problem(e, username_field))?;
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
    req: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let request: EmailRequest = body::read_json(req, body, &state.public_origin).await?;
    let email = required(request.email, "email")?;
    state
        .domain
        .resend_verification(&email, client_info(req), lang(req));
    Ok(json_response(
        StatusCode::OK,
        &MessageResponse {
            message: MAIL_ON_ITS_WAY.into(),
        },
    ))
}

/// `POST /func/cloud/verify-email`
#[handler]
pub async fn verify_email(
    req: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let request: VerifyEmailRequest = body::read_json(req, body, &state.public_origin).await?;
    let code = required(request.verification_code, "verification_code")?;
    match state.domain.verify_email(&code, client_info(req)).await? {
        Verification::Verified { .. } => Ok(json_response(
            StatusCode::OK,
            &MessageResponse {
                message: "The email address is confirmed; the account can log in.".into(),
            },
        )),
        Verification::AlreadyVerified => Ok(json_response(
            StatusCode::OK,
            &MessageResponse {
                message: "The email address was already confirmed.".into(),
            },
        )),
        Verification::Invalid => Err(invalid_token("verification_code")),
    }
}

fn invalid_token(field: &str) -> ApiError {
    problem(
        StatusCode::BAD_REQUEST,
        ProblemType::InvalidToken,
        "The link is not valid: it may have expired, been used, or been replaced by a newer one.",
        Some(field),
    )
}

pub(crate) fn reset_disabled() -> ApiError {
    problem(
        StatusCode::FORBIDDEN,
        ProblemType::PasswordResetDisabled,
        "Password reset by mail is turned off on this server. Ask an administrator.",
        None,
    )
}

/// `POST /func/cloud/send-password-change-email`
#[handler]
pub async fn send_password_change_email(
    req: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let request: EmailRequest = body::read_json(req, body, &state.public_origin).await?;
    let email = required(request.email, "email")?;
    match state
        .domain
        .request_password_reset(&email, client_info(req), lang(req))
    {
        Ok(()) => Ok(json_response(
            StatusCode::OK,
            &MessageResponse {
                message: MAIL_ON_ITS_WAY.into(),
            },
        )),
        Err(ResetError::Disabled) => Err(reset_disabled()),
        Err(other) => Err(ApiError::Internal(other.to_string())),
    }
}

/// `POST /func/cloud/change-password`
#[handler]
pub async fn change_password(
    req: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let request: ChangePasswordRequest = body::read_json(req, body, &state.public_origin).await?;
    let email = required(request.email, "email")?;
    let password = required(request.password, "password")?;
    let token = required(request.token, "token")?;
    match state
        .domain
        .reset_password(&token, Some(&email), &password, client_info(req), lang(req))
        .await
    {
        Ok(_) => Ok(json_response(
            StatusCode::OK,
            &MessageResponse {
                message: "The password was changed and every session of the account ended. \
                          Log in with the new password."
                    .into(),
            },
        )),
        Err(ResetError::InvalidToken) => Err(invalid_token("token")),
        Err(ResetError::Weak(violation)) => Err(ApiError::problem(
            StatusCode::BAD_REQUEST,
            Problem::new(
                ProblemType::RejectedByHook,
                "The password does not meet the password policy.",
            )
            .with_details(violation.message())
            .with_field("password"),
        )),
        Err(ResetError::Disabled) => Err(reset_disabled()),
        Err(ResetError::Domain(e)) => Err(e.into()),
    }
}

/// The session a request must carry, or Backend.AI's 401.
pub(crate) async fn require_session(
    req: &Request,
    state: &AppState,
) -> Result<LiveSession, ApiError> {
    let token = session_token::presented(req);
    let live = match token {
        Some(token) => state.domain.live_session(&token).await?,
        None => None,
    };
    live.ok_or_else(unauthorized)
}

/// Backend.AI's answer to a request that needs a session and has none.
pub(crate) fn unauthorized() -> ApiError {
    ApiError::problem(
        StatusCode::UNAUTHORIZED,
        Problem::new(ProblemType::AuthFailed, "Unauthorized access"),
    )
}

/// `POST /func/auth/update-password`: the account's own password, with a
/// session (the others end) or a signed request (all end).
#[handler]
pub async fn update_password(
    req: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let bytes = body::read_limited(req, body).await?;
    let caller = super::keypair::authenticate(req, &bytes, state).await?;
    let request: UpdatePasswordRequest = body::decode_json(req, bytes, &state.public_origin)?;
    let old = required(request.old_password, "old_password")?;
    let new = required(request.new_password, "new_password")?;
    let again = required(request.new_password2, "new_password2")?;
    if new != again {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            ProblemType::InvalidApiParams,
            "The new passwords do not match.",
            Some("new_password2"),
        ));
    }
    let outcome = state
        .domain
        .change_own_password(
            caller.user(),
            caller.session_id(),
            &old,
            &new,
            client_info(req),
            lang(req),
        )
        .await?;
    match outcome {
        PasswordChange::Changed { .. } => Ok(json_response(StatusCode::OK, &serde_json::json!({}))),
        PasswordChange::Refused(
            refusal @ (LoginRefusal::Locked { .. } | LoginRefusal::PasswordLoginDisabled),
        ) => Err(super::webserver::refusal_problem(refusal)
            .err()
            .unwrap_or_else(unauthorized)),
        PasswordChange::Refused(
            LoginRefusal::Mismatch
            | LoginRefusal::Inactive
            | LoginRefusal::NeedsVerification
            | LoginRefusal::OtpRequired
            | LoginRefusal::OtpInvalid,
        ) => Err(problem(
            StatusCode::UNAUTHORIZED,
            ProblemType::AuthFailed,
            "Old password mismatch",
            Some("old_password"),
        )),
        PasswordChange::SameAsCurrent => Err(problem(
            StatusCode::BAD_REQUEST,
            ProblemType::InvalidApiParams,
            "Cannot update to the same password as an existing password.",
            Some("new_password"),
        )),
        PasswordChange::Weak(violation) => Err(ApiError::problem(
            StatusCode::BAD_REQUEST,
            Problem::new(
                ProblemType::RejectedByHook,
                "The password does not meet the password policy.",
            )
            .with_details(violation.message())
            .with_field("new_password"),
        )),
    }
}

/// `GET /func/cloud/ping`: tells the WebUI that signup and recovery exist.
#[handler]
pub async fn cloud_ping() -> Response {
    json_response(StatusCode::OK, &serde_json::json!({}))
}
