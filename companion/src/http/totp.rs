//! Two-factor authentication over JSON, as the Backend.AI TOTP plugin
//! answers: `/func/totp` (logged in) and `/func/totp/anon` (first-login
//! registration with a token from the login answer).

use std::sync::Arc;

use baigate_shared::totp::{
    OtpRequest, ReauthRequest, RegistrationRequest, RegistrationVerifyRequest, TotpConfirmed,
    TotpEnrolment, TotpStatus,
};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Response, handler};

use super::auth::Session;
use super::body::{JsonBody, LimitedBody};
use super::problem::{ApiError, required};
use super::throttle::Throttled;
use super::{AppState, json_response};
use crate::domain::totp::Enrolment;
use crate::i18n::Lang;
use crate::model::ClientInfo;

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

/// A current code or the password, one of which re-authentication needs.
fn reauth_fields(request: &ReauthRequest) -> Result<(), ApiError> {
    if request.otp.is_none() && request.password.is_none() {
        return Err(ApiError::field(
            "otp",
            "Send a current one-time code (otp) or the password.",
        ));
    }
    Ok(())
}

/// `GET /func/totp`
#[handler]
pub async fn status(
    Session(live): Session,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
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
    Session(live): Session,
    _: LimitedBody,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    Ok(enrolment_answer(state.domain.enrolment(&live).await?))
}

/// `POST /func/totp/verify`: turns 2FA on.
#[handler]
pub async fn verify(
    _: Throttled,
    Session(live): Session,
    JsonBody(request): JsonBody<OtpRequest>,
    client: ClientInfo,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let code = required(request.otp, "otp")?;
    let codes = state.domain.confirmation(&live, &code, client).await?;
    Ok(confirmed_answer(codes))
}

/// `DELETE /func/totp`: turns 2FA off, with a current code or the password.
#[handler]
pub async fn disable(
    _: Throttled,
    Session(live): Session,
    JsonBody(request): JsonBody<ReauthRequest>,
    client: ClientInfo,
    lang: Lang,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    reauth_fields(&request)?;
    state
        .domain
        .disable_totp(
            &live,
            request.otp.as_deref(),
            request.password.as_deref(),
            client,
            lang,
        )
        .await?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({"success": true}),
    ))
}

/// `POST /func/totp/recovery-codes`: new recovery codes replace the old.
#[handler]
pub async fn renew_recovery_codes(
    _: Throttled,
    Session(live): Session,
    JsonBody(request): JsonBody<ReauthRequest>,
    client: ClientInfo,
    lang: Lang,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    reauth_fields(&request)?;
    let codes = state
        .domain
        .regenerate_recovery_codes(
            &live,
            request.otp.as_deref(),
            request.password.as_deref(),
            client,
            lang,
        )
        .await?;
    Ok(confirmed_answer(codes))
}

/// `POST /func/totp/anon`: the secret to register at first login.
#[handler]
pub async fn anonymous_enrol(
    _: Throttled,
    JsonBody(request): JsonBody<RegistrationRequest>,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let token = required(request.registration_token, "registration_token")?;
    Ok(enrolment_answer(
        state.domain.anonymous_enrolment(&token).await?,
    ))
}

/// `POST /func/totp/anon/verify`: confirms it; then log in with a code.
#[handler]
pub async fn anonymous_verify(
    _: Throttled,
    JsonBody(request): JsonBody<RegistrationVerifyRequest>,
    client: ClientInfo,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let code = required(request.otp, "otp")?;
    let token = required(request.registration_token, "registration_token")?;
    let codes = state
        .domain
        .anonymous_confirmation(&token, &code, client)
        .await?;
    Ok(confirmed_answer(codes))
}
