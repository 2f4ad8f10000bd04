//! The Backend.AI webserver's login endpoints (`/server/*`), answered the way
//! the 23.09 webserver answers them: HTTP 200 with `authenticated: false` and
//! a problem in `data` for credential outcomes, 400 for missing fields.

use std::sync::Arc;

use baigate_shared::identity::EMAIL_MAX_CHARS;
use baigate_shared::password::{BCRYPT_MAX_BYTES, normalize_password};
use baigate_shared::problem::{Problem, ProblemType};
use baigate_shared::sessions::{ExtendResponse, SessionSummary};
use baigate_shared::webserver::{
    AccountInfo, LoginCheckResponse, LoginData, LoginRequest, LoginResponse, SESSION_HEADER,
    UpdatePasswordNoAuthRequest, UpdatePasswordNoAuthResponse,
};
use poem::http::StatusCode;
use poem::http::header::SET_COOKIE;
use poem::web::Data;
use poem::{Response, handler};

use super::auth::{PresentedSession, Session};
use super::body::{JsonBody, LimitedBody};
use super::problem::{
    ApiError, LoginAnswer, required, same_password_in_body, weak_password_in_body,
};
use super::throttle::Throttled;
use super::{AppState, json_response, session_token};
use crate::clock::rfc3339;
use crate::domain::auth::{LoggedIn, LoginOptions, LoginResult};
use crate::domain::passwords::PasswordChange;
use crate::i18n::Lang;
use crate::model::{ClientInfo, SessionDetails, User};

/// A login name and password no account can have are refused at once,
/// naming the field, before any bcrypt work (the caps are public, so an
/// early answer tells nothing about accounts).
fn check_sizes(login_name: &str, password: &str, password_field: &str) -> Result<(), ApiError> {
    if login_name.chars().count() > EMAIL_MAX_CHARS {
        return Err(ApiError::field(
            "username",
            format!("The username is longer than any account's ({EMAIL_MAX_CHARS} characters)."),
        ));
    }
    if normalize_password(password).len() > BCRYPT_MAX_BYTES {
        return Err(ApiError::field(
            password_field,
            format!(
                "The {password_field} is longer than {BCRYPT_MAX_BYTES} bytes, which no password here is."
            ),
        ));
    }
    Ok(())
}

fn account_info(user: &User) -> AccountInfo {
    AccountInfo {
        access_key: user.access_key.clone(),
        role: user.role.as_str().to_owned(),
        status: user.status.as_str().to_owned(),
    }
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

pub(crate) fn not_authenticated(problem: Problem) -> Response {
    json_response(
        StatusCode::OK,
        &LoginResponse {
            authenticated: false,
            data: LoginData::Problem(problem),
        },
    )
}

/// The answer to a login or token login: the session in a cookie and a
/// header on success; refusals as Backend.AI words them.
pub(crate) fn login_answer(
    result: LoginResult,
    secure_cookies: bool,
) -> Result<Response, ApiError> {
    match result {
        LoginResult::LoggedIn(session) => Ok(logged_in(&session, secure_cookies)),
        LoginResult::Refused(refusal) => match LoginAnswer::from(refusal) {
            LoginAnswer::InBody(problem) => Ok(not_authenticated(problem)),
            LoginAnswer::Status(error) => Err(error),
        },
        LoginResult::TooManySessions(live) => {
            let sessions: Vec<SessionSummary> =
                live.iter().map(|d| session_summary(d, None)).collect();
            Ok(not_authenticated(
                Problem::new(
                    ProblemType::ActiveLoginSessionExists,
                    "Too many concurrent login sessions for this user.",
                )
                .with_extra(
                    "sessions",
                    serde_json::to_value(sessions).unwrap_or_default(),
                ),
            ))
        }
        LoginResult::TotpRegistrationRequired(token) => Ok(not_authenticated(
            Problem::new(
                ProblemType::RequireTotpRegistration,
                "Two-Factor Authentication registration required.",
            )
            .with_details("You must register Two-Factor Authentication.")
            .with_extra(
                "two_factor_registration_token",
                serde_json::Value::String(token),
            ),
        )),
        LoginResult::UnknownSession => Err(ApiError::field(
            "end_session",
            "No session with this id is live on the account.",
        )),
    }
}

fn logged_in(started: &LoggedIn, secure_cookies: bool) -> Response {
    let answer = LoginResponse {
        authenticated: true,
        data: LoginData::Account(account_info(&started.user)),
    };
    let max_age = started.session.absolute_expires_at - started.session.created_at;
    let mut response = json_response(StatusCode::OK, &answer);
    let headers = response.headers_mut();
    if let Ok(value) = started.token.parse() {
        headers.insert(SESSION_HEADER, value);
    }
    if let Ok(value) = session_token::set_cookie(&started.token, max_age, secure_cookies).parse() {
        headers.insert(SET_COOKIE, value);
    }
    response
}

/// `POST /server/login`
#[handler]
pub async fn login(
    _: Throttled,
    presented: PresentedSession,
    JsonBody(request): JsonBody<LoginRequest>,
    client: ClientInfo,
    lang: Lang,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    if presented.live.is_some() {
        return Err(ApiError::already_logged_in());
    }
    let username = required(request.username, "username")?;
    let password = required(request.password, "password")?;
    check_sizes(&username, &password, "password")?;
    let options = LoginOptions {
        force: request.force.unwrap_or(false),
        end_session: request.end_session.filter(|id| !id.is_empty()),
        otp: request.otp,
    };
    let result = state
        .domain
        .login(&username, &password, options, client, lang)
        .await?;
    login_answer(result, state.secure_cookies)
}

/// `POST /server/login-check` (GET too: some clients probe with it).
#[handler]
pub async fn login_check(presented: PresentedSession) -> Response {
    let answer = match (presented.token, presented.live) {
        (Some(token), Some(live)) => LoginCheckResponse {
            authenticated: true,
            data: Some(account_info(&live.user)),
            session_id: Some(token),
            expires: Some(rfc3339(live.session.expires_at)),
        },
        _ => LoginCheckResponse {
            authenticated: false,
            data: None,
            session_id: None,
            expires: None,
        },
    };
    json_response(StatusCode::OK, &answer)
}

/// `POST /server/logout`: always succeeds, as Backend.AI's does (201, empty).
/// The body carries nothing; it is read within the limit so it cannot be abused.
#[handler]
pub async fn logout(
    presented: PresentedSession,
    _: LimitedBody,
    client: ClientInfo,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    if let Some(token) = presented.token {
        state.domain.logout(&token, client).await?;
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
    _: Throttled,
    JsonBody(request): JsonBody<UpdatePasswordNoAuthRequest>,
    client: ClientInfo,
    lang: Lang,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let username = required(request.username, "username")?;
    let current = required(request.current_password, "current_password")?;
    let new = required(request.new_password, "new_password")?;
    check_sizes(&username, &current, "current_password")?;
    let outcome = state
        .domain
        .change_password_with_current(
            &username,
            &current,
            &new,
            request.otp.as_deref(),
            client,
            lang,
        )
        .await?;
    let refused = |problem| UpdatePasswordNoAuthResponse {
        data: Some(problem),
        password_changed_at: None,
    };
    let answer = match outcome {
        PasswordChange::Changed { at } => UpdatePasswordNoAuthResponse {
            data: None,
            password_changed_at: Some(rfc3339(at)),
        },
        PasswordChange::Refused(refusal) => match LoginAnswer::from(refusal) {
            LoginAnswer::InBody(problem) => refused(problem),
            LoginAnswer::Status(error) => return Err(error),
        },
        PasswordChange::SameAsCurrent => refused(same_password_in_body()),
        PasswordChange::Weak(violation) => refused(weak_password_in_body(&violation)),
    };
    Ok(json_response(StatusCode::OK, &answer))
}

/// `POST /server/extend-login-session`: the session lasts a full lifetime
/// from now (never past its absolute limit).
#[handler]
pub async fn extend_login_session(
    Session(live): Session,
    Data(state): Data<&Arc<AppState>>,
) -> Result<Response, ApiError> {
    let expires = state
        .domain
        .extend_session(&live)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    Ok(json_response(
        StatusCode::OK,
        &ExtendResponse {
            status: 201,
            expires: rfc3339(expires),
        },
    ))
}
