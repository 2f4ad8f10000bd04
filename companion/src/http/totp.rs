//! Two-factor authentication over JSON, as the Backend.AI TOTP plugin
//! answers: `/func/totp` (logged in) and `/func/totp/anon` (first-login
//! registration with a token from the login answer).

use std::sync::Arc;

use baigate_shared::problem::{Problem, ProblemType};
use baigate_shared::totp::{
    OtpRequest, ReauthRequest, RegistrationRequest, RegistrationVerifyRequest, TotpConfirmed,
    TotpEnrolment, TotpStatus,
};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};

use super::client::{client_info, lang};
use super::cloud::require_session;
use super::problem::{ApiError, required};
use super::{AppState, body, json_response};
use crate::domain::totp::{Enrolment, TotpError};

/// The one place 2FA failures become answers.
fn totp_problem(error: TotpError, code_field: &str) -> ApiError {
    let (code, problem_type, title, field) = match &error {
        TotpError::AlreadyActive => (
            StatusCode::BAD_REQUEST,
            ProblemType::GenericBadRequest,
            "Two-factor authentication is already on for this account.".to_owned(),
            None,
        ),
        TotpError::NotActive => (
            StatusCode::BAD_REQUEST,
            ProblemType::GenericBadRequest,
            "Two-factor authentication is not on for this account.".to_owned(),
            None,
        ),
        TotpError::NotStarted => (
            StatusCode::BAD_REQUEST,
            ProblemType::GenericBadRequest,
            "Start the setup first (POST /func/totp).".to_owned(),
            None,
        ),
        TotpError::ExpiredToken => (
            StatusCode::BAD_REQUEST,
            ProblemType::ExpiredToken,
            "Expired Token".to_owned(),
            Some("registration_token"),
        ),
        TotpError::InvalidToken => (
            StatusCode::BAD_REQUEST,
            ProblemType::InvalidToken,
            "Invalid Token".to_owned(),
            Some("registration_token"),
        ),
        TotpError::InvalidCode => (
            StatusCode::UNAUTHORIZED,
            ProblemType::TotpAuthFailed,
            "TOTP authorization failed".to_owned(),
            Some(code_field),
        ),
        TotpError::WrongPassword => (
            StatusCode::UNAUTHORIZED,
            ProblemType::AuthFailed,
            "The password is not right.".to_owned(),
            Some("password"),
        ),
        TotpError::Locked { retry_after } => {
            return ApiError::problem(
                StatusCode::TOO_MANY_REQUESTS,
                Problem::new(
                    ProblemType::TooManyRequests,
                    "Too many failed login attempts",
                )
                .with_details("Too many wrong codes in a row. Wait, then try again.")
                .with_retry_after(u64::try_from(*retry_after).unwrap_or(0)),
            );
        }
        TotpError::Domain(e) => return ApiError::Internal(e.to_string()),
    };
    let mut problem = Problem::new(problem_type, title);
    if let Some(field) = field {
        problem = problem.with_field(field);
    }
    ApiError::problem(code, problem)
}

fn enrolment_answer(enrolment: Enrolment) -> Response {
    json_response(
        StatusCode::OK,
        &TotpEnrolment {
            totp_key: enrolment.key,
            totp_uri: enrolment.uri,
            totp_qr_svg: Some(enrolment.qr_svg),
        },
    )
}

fn confirmed_answer(codes: Vec<String>) -> Response {
    json_response(
        StatusCode::OK,
        &TotpConfirmed {
            success: true,
            recovery_codes: codes,
        },
    )
}

/// `GET /func/totp`
#[handler]
pub async fn status(
    req: &Request,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let live = require_session(req, state).await?;
    let enabled = state.domain.totp_enabled(&live.user).await?;
    Ok(json_response(
        StatusCode::OK,
        &TotpStatus {
            totp_enabled: enabled,
        },
    ))
}

/// `POST /func/totp`: a secret to register.
#[handler]
pub async fn enrol(
    req: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let live = require_session(req, state).await?;
    body::read_limited(req, body).await?;
    let enrolment = state
        .domain
        .enrolment(&live)
        .await
        .map_err(|e| totp_problem(e, "otp"))?;
    Ok(enrolment_answer(enrolment))
}

/// `POST /func/totp/verify`: turns 2FA on.
#[handler]
pub async fn verify(
    req: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let live = require_session(req, state).await?;
    let request: OtpRequest = body::read_json(req, body, &state.public_origin).await?;
    let code = required(request.otp, "otp")?;
    let codes = state
        .domain
        .confirmation(&live, &code, client_info(req))
        .await
        .map_err(|e| totp_problem(e, "otp"))?;
    Ok(confirmed_answer(codes))
}

/// `DELETE /func/totp`: turns 2FA off, with a current code or the password.
#[handler]
pub async fn disable(
    req: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let live = require_session(req, state).await?;
    let request: ReauthRequest = body::read_json(req, body, &state.public_origin).await?;
    if request.otp.is_none() && request.password.is_none() {
        return Err(ApiError::field(
            "otp",
            "Send a current one-time code (otp) or the password.",
        ));
    }
    state
        .domain
        .disable_totp(
            &live,
            request.otp.as_deref(),
            request.password.as_deref(),
            client_info(req),
            lang(req),
        )
        .await
        .map_err(|e| totp_problem(e, "otp"))?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({"success": true}),
    ))
}

/// `POST /func/totp/recovery-codes`: new recovery codes replace the old.
#[handler]
pub async fn renew_recovery_codes(
    req: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let live = require_session(req, state).await?;
    let request: ReauthRequest = body::read_json(req, body, &state.public_origin).await?;
    if request.otp.is_none() && request.password.is_none() {
        return Err(ApiError::field(
            "otp",
            "Send a current one-time code (otp) or the password.",
        ));
    }
    let codes = state
        .domain
        .regenerate_recovery_codes(
            &live,
            request.otp.as_deref(),
            request.password.as_deref(),
            client_info(req),
            lang(req),
        )
        .await
        .map_err(|e| totp_problem(e, "otp"))?;
    Ok(confirmed_answer(codes))
}

/// `POST /func/totp/anon`: the secret to register at first login.
#[handler]
pub async fn anonymous_enrol(
    req: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let request: RegistrationRequest = body::read_json(req, body, &state.public_origin).await?;
    let token = required(request.registration_token, "registration_token")?;
    let enrolment = state
        .domain
        .anonymous_enrolment(&token)
        .await
        .map_err(|e| totp_problem(e, "otp"))?;
    Ok(enrolment_answer(enrolment))
}

/// `POST /func/totp/anon/verify`: confirms it; then log in with a code.
#[handler]
pub async fn anonymous_verify(
    req: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let request: RegistrationVerifyRequest =
        body::read_json(req, body, &state.public_origin).await?;
    let code = required(request.otp, "otp")?;
    let token = required(request.registration_token, "registration_token")?;
    let codes = state
        .domain
        .anonymous_confirmation(&token, &code, client_info(req))
        .await
        .map_err(|e| totp_problem(e, "otp"))?;
    Ok(confirmed_answer(codes))
}
