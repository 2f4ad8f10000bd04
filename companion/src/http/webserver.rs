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
use super::problem::{ApiError, required};
use super::{AppState, body, json_response, session_token};
use crate::clock::rfc3339;
use crate::domain::auth::{LoginOptions, LoginRefusal, LoginResult, PasswordChange};
use crate::model::{SessionDetails, User};
use baigate_shared::sessions::{ExtendResponse, SessionSummary};

fn account_info(user: &User) -> AccountInfo {
    AccountInfo {
        access_key: user.access_key.clone(),
        role: user.role.as_str().to_owned(),
        status: user.status.as_str().to_owned(),
    }
}

/// How a refused login is answered: a lock is a 429 of its own (as Backend.AI
/// answers it); anything else is a problem for the `data` member of an HTTP
/// 200, in Backend.AI's words.
pub(crate) fn refusal_problem(refusal: LoginRefusal) -> Result<Problem, ApiError> {
    let details = match refusal {
        LoginRefusal::Locked { retry_after } => {
            let minutes = (retry_after + 59) / 60;
            return Err(ApiError::problem(
                StatusCode::TOO_MANY_REQUESTS,
                Problem::new(ProblemType::TooManyRequests, "Too many failed login attempts")
                    .with_details(format!(
                        "Login is locked after too many failures in a row. Try again in {minutes} minute(s)."
                    ))
                    .with_retry_after(u64::try_from(retry_after).unwrap_or(0)),
            ));
        }
        LoginRefusal::PasswordLoginDisabled => {
            return Err(ApiError::problem(
                StatusCode::TOO_MANY_REQUESTS,
                Problem::new(
                    ProblemType::TooManyRequests,
                    "Too many failed login attempts",
                )
                .with_details(
                    "Password login is off after too many failures in a row. Choose a new \
                         password with \"Forgot password?\", or ask an administrator to unlock it.",
                ),
            ));
        }
        LoginRefusal::OtpRequired => {
            return Ok(Problem::new(
                ProblemType::RequireTotpAuthentication,
                "Two-Factor Authentication needed.",
            )
            // Exactly this text: both the 23.09 CLI and the WebUI prompt on it.
            .with_details("OTP not provided"));
        }
        LoginRefusal::OtpInvalid => {
            return Ok(Problem::new(
                ProblemType::RejectedByHook,
                "Operation rejected by a hook plugin.",
            )
            .with_details("Invalid TOTP code provided"));
        }
        LoginRefusal::Mismatch => "User credential mismatch.",
        LoginRefusal::Inactive => "This account has been disabled. Contact your administrator.",
        LoginRefusal::NeedsVerification => "This account needs email verification.",
    };
    Ok(
        Problem::new(ProblemType::AuthFailed, "Credential/signature mismatch.")
            .with_details(details),
    )
}

/// The summary of a session a client may see.
pub(crate) fn session_summary(details: &SessionDetails, current: Option<i64>) -> SessionSummary {
    SessionSummary {
        id: details.session.public_id.clone(),
        created_at: rfc3339(details.session.created_at),
        last_seen_at: rfc3339(details.session.last_seen_at),
        expires_at: rfc3339(details.session.expires_at),
        ip: details.client.ip.clone(),
        user_agent: details.client.user_agent.clone(),
        current: current == Some(details.session.id),
    }
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
    let options = LoginOptions {
        force: request.force.unwrap_or(false),
        end_session: request.end_session.filter(|id| !id.is_empty()),
        otp: request.otp,
    };
    let outcome = state
        .domain
        .login(&username, &password, options, client_info(req), lang(req))
        .await?;
    match outcome {
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
                data: LoginData::Problem(refusal_problem(refusal)?),
            },
        )),
        LoginResult::TooManySessions(live) => {
            let sessions: Vec<SessionSummary> =
                live.iter().map(|d| session_summary(d, None)).collect();
            let problem = Problem::new(
                ProblemType::ActiveLoginSessionExists,
                "Too many concurrent login sessions for this user.",
            )
            .with_extra(
                "sessions",
                serde_json::to_value(sessions).unwrap_or_default(),
            );
            Ok(json_response(
                StatusCode::OK,
                &LoginResponse {
                    authenticated: false,
                    data: LoginData::Problem(problem),
                },
            ))
        }
        LoginResult::TotpRegistrationRequired(token) => Ok(json_response(
            StatusCode::OK,
            &LoginResponse {
                authenticated: false,
                data: LoginData::Problem(
                    Problem::new(
                        ProblemType::RequireTotpRegistration,
                        "Two-Factor Authentication registration required.",
                    )
                    .with_details("You must register Two-Factor Authentication.")
                    .with_extra(
                        "two_factor_registration_token",
                        serde_json::Value::String(token),
                    ),
                ),
            },
        )),
        LoginResult::UnknownSession => Err(ApiError::field(
            "end_session",
            "No session with this id is live on the account.",
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
        .change_password_with_current(
            &username,
            &current,
            &new,
            request.otp.as_deref(),
            client_info(req),
            lang(req),
        )
        .await?;
    let answer = match outcome {
        PasswordChange::Changed { at } => UpdatePasswordNoAuthResponse {
            data: None,
            password_changed_at: Some(rfc3339(at)),
        },
        PasswordChange::Refused(refusal) => UpdatePasswordNoAuthResponse {
            data: Some(refusal_problem(refusal)?),
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

/// `POST /server/extend-login-session`: the session lasts a full lifetime
/// from now (never past its absolute limit).
#[handler]
pub async fn extend_login_session(
    req: &Request,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let live = super::cloud::require_session(req, state).await?;
    let expires = state
        .domain
        .extend_session(&live)
        .await?
        .ok_or_else(super::cloud::unauthorized)?;
    Ok(json_response(
        StatusCode::OK,
        &ExtendResponse {
            status: 201,
            expires: rfc3339(expires),
        },
    ))
}
