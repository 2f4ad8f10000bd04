//! The Backend.AI webserver's login endpoints (`/server/*`), answered the way
//! the 23.09 webserver answers them: HTTP 200 with `authenticated: false` and
//! a problem in `data` for credential outcomes, 400 for missing fields.

use std::sync::Arc;

use baigate_shared::problem::{Problem, ProblemType};
use baigate_shared::webserver::{
    AccountInfo, LoginCheckResponse, LoginData, LoginRequest, LoginResponse, SESSION_HEADER,
    UpdatePasswordNoAuthRequest, UpdatePasswordNoAuthResponse,
};
use poem::http::StatusCode;
use poem::http::header::SET_COOKIE;
use poem::web::Data;
use poem::{Body, Request, Response, handler};

use super::client::{client_info, lang};
use super::problem::ApiError;
use super::{AppState, body, json_response, session_token};
use crate::clock::rfc3339;
use crate::domain::auth::{LoginRefusal, LoginResult, PasswordChange};
use crate::model::User;

fn account_info(user: &User) -> AccountInfo {
    AccountInfo {
        access_key: user.access_key.clone(),
        role: user.role.as_str().to_owned(),
        status: user.status.as_str().to_owned(),
    }
}

/// The problem a refused login shows, in Backend.AI's words.
fn refusal_problem(refusal: LoginRefusal) -> Problem {
    let details = match refusal {
        LoginRefusal::Mismatch => "User credential mismatch.",
        LoginRefusal::Inactive => "This account has been disabled. Contact your administrator.",
        LoginRefusal::NeedsVerification => "This account needs email verification.",
    };
    Problem::new(ProblemType::AuthFailed, "Credential/signature mismatch.").with_details(details)
}

/// Takes a required, non-empty field.
fn required(value: Option<String>, field: &str) -> Result<String, ApiError> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::missing(field))
}

/// `POST /server/login`
#[handler]
pub async fn login(
    req: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    if let Some(token) = session_token::presented(req)
        && state.domain.live_session(&token).await?.is_some()
    {
        return Err(ApiError::bad_request(
            ProblemType::GenericBadRequest,
            "You have already logged in.",
        ));
    }
    let request: LoginRequest = body::read_json(req, body, &state.public_origin).await?;
    let username = required(request.username, "username")?;
    let password = required(request.password, "password")?;
    match state
        .domain
        .login(&username, &password, client_info(req))
        .await?
    {
        LoginResult::LoggedIn(login) => {
            let answer = LoginResponse {
                authenticated: true,
                data: LoginData::Account(account_info(&login.user)),
            };
            let max_age = login.session.absolute_expires_at - login.session.created_at;
            let mut response = json_response(StatusCode::OK, &answer);
            let headers = response.headers_mut();
            if let Ok(value) = login.token.parse() {
                headers.insert(SESSION_HEADER, value);
            }
            if let Ok(value) =
                session_token::set_cookie(&login.token, max_age, state.secure_cookies).parse()
            {
                headers.insert(SET_COOKIE, value);
            }
            Ok(response)
        }
        LoginResult::Refused(refusal) => Ok(json_response(
            StatusCode::OK,
            &LoginResponse {
                authenticated: false,
                data: LoginData::Problem(refusal_problem(refusal)),
            },
        )),
    }
}

/// `POST /server/login-check` (GET too: some clients probe with it).
#[handler]
pub async fn login_check(
    req: &Request,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let live = match session_token::presented(req) {
        Some(token) => state
            .domain
            .live_session(&token)
            .await?
            .map(|live| (token, live)),
        None => None,
    };
    let answer = match live {
        Some((token, live)) => LoginCheckResponse {
            authenticated: true,
            data: Some(account_info(&live.user)),
            session_id: Some(token),
            expires: Some(rfc3339(live.session.expires_at)),
        },
        None => LoginCheckResponse {
            authenticated: false,
            data: None,
            session_id: None,
            expires: None,
        },
    };
    Ok(json_response(StatusCode::OK, &answer))
}

/// `POST /server/logout`: always succeeds, as Backend.AI's does (201, empty).
#[handler]
pub async fn logout(
    req: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    // The body carries nothing; read it within the limit so it cannot be abused.
    body::read_limited(req, body).await?;
    if let Some(token) = session_token::presented(req) {
        state.domain.logout(&token, client_info(req)).await?;
    }
    Ok(Response::builder()
        .status(StatusCode::CREATED)
        .header(
            SET_COOKIE,
            session_token::clear_cookie(state.secure_cookies),
        )
        .finish())
}

/// `POST /server/update-password-no-auth`: change a password with the current
/// one, for accounts that cannot log in until they do.
#[handler]
pub async fn update_password_no_auth(
    req: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let request: UpdatePasswordNoAuthRequest =
        body::read_json(req, body, &state.public_origin).await?;
    let username = required(request.username, "username")?;
    let current = required(request.current_password, "current_password")?;
    let new = required(request.new_password, "new_password")?;
    let outcome = state
        .domain
        .change_password_with_current(&username, &current, &new, client_info(req), lang(req))
        .await?;
    let answer = match outcome {
        PasswordChange::Changed { at } => UpdatePasswordNoAuthResponse {
            data: None,
            password_changed_at: Some(rfc3339(at)),
        },
        PasswordChange::Refused(refusal) => UpdatePasswordNoAuthResponse {
            data: Some(refusal_problem(refusal)),
            password_changed_at: None,
        },
        PasswordChange::SameAsCurrent => UpdatePasswordNoAuthResponse {
            data: Some(
                Problem::new(
                    ProblemType::InvalidApiParams,
                    "Cannot update to the same password as an existing password.",
                )
                .with_field("new_password"),
            ),
            password_changed_at: None,
        },
        PasswordChange::Weak(violation) => UpdatePasswordNoAuthResponse {
            data: Some(
                Problem::new(
                    ProblemType::RejectedByHook,
                    "The new password does not meet the password policy.",
                )
                .with_details(violation.message())
                .with_field("new_password"),
            ),
            password_changed_at: None,
        },
    };
    Ok(json_response(StatusCode::OK, &answer))
}
