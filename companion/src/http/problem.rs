//! The answer table: every refusal the companion gives becomes its status,
//! problem type, title and extra members here, and only here. Handlers and
//! pages return domain errors (or the named constructors below) and let the
//! conversions choose the answer; pages take the status from the same table
//! and show their own translated text.

use baigate_shared::password::PolicyViolation;
use baigate_shared::problem::{Problem, ProblemType};
use baigate_shared::webserver::wording;
use poem::http::StatusCode;
use poem::http::header::{CONTENT_TYPE, RETRY_AFTER};
use poem::{IntoResponse, Response};
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry};
use poem_openapi::types::Type;

use crate::domain::DomainError;
use crate::domain::accounts::AccountError;
use crate::domain::credentials::{LoginRefusal, ReauthError};
use crate::domain::recovery::ResetError;
use crate::domain::signing::{SignatureError, SignedRequestError};
use crate::domain::signup::SignupError;
use crate::domain::totp::TotpError;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// A failed request: a problem to show, or a server fault to log and hide.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{}: {}", .0, .1.title)]
    Problem(StatusCode, Box<Problem>),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn problem(status: StatusCode, problem: Problem) -> Self {
        Self::Problem(status, Box::new(problem))
    }

    /// 400 `invalid-api-params` about one field.
    pub fn field(field: &str, title: impl Into<String>) -> Self {
        Self::problem(
            StatusCode::BAD_REQUEST,
            Problem::new(ProblemType::InvalidApiParams, title).with_field(field),
        )
    }

    /// 400 for a required field that is missing or empty, in Backend.AI's words.
    pub fn missing(field: &str) -> Self {
        Self::field(field, format!("You must provide the {field} field."))
    }

    /// 400 `invalid-api-params` about the request as a whole.
    pub fn invalid_params(title: impl Into<String>) -> Self {
        Self::problem(
            StatusCode::BAD_REQUEST,
            Problem::new(ProblemType::InvalidApiParams, title),
        )
    }

    /// 401: the request needs a session (or a signature) and has none.
    pub fn unauthorized() -> Self {
        Self::problem(
            StatusCode::UNAUTHORIZED,
            Problem::new(ProblemType::AuthFailed, "Unauthorized access"),
        )
    }

    /// 400: a login sent with a live session, in Backend.AI's words.
    pub fn already_logged_in() -> Self {
        Self::problem(
            StatusCode::BAD_REQUEST,
            Problem::new(ProblemType::GenericBadRequest, wording::ALREADY_LOGGED_IN),
        )
    }

    /// 429 for a lock on failed attempts, as Backend.AI answers it, with
    /// `Retry-After` and the remaining seconds.
    pub fn locked(retry_after: i64, details: impl Into<String>) -> Self {
        Self::problem(
            StatusCode::TOO_MANY_REQUESTS,
            Problem::new(
                ProblemType::TooManyRequests,
                "Too many failed login attempts",
            )
            .with_details(details)
            .with_retry_after(u64::try_from(retry_after).unwrap_or(0)),
        )
    }

    /// 429: password login is off until a reset or an unlock.
    pub fn password_login_off() -> Self {
        Self::problem(
            StatusCode::TOO_MANY_REQUESTS,
            Problem::new(
                ProblemType::PasswordLoginDisabled,
                "Too many failed login attempts",
            )
            .with_details(
                "Password login is off after too many failures in a row. Choose a new password \
                 with \"Forgot password?\", or ask an administrator to unlock it.",
            ),
        )
    }

    /// 429: two-factor login is off until an administrator's unlock (the
    /// same problem type: login stays off until someone acts).
    pub fn codes_off() -> Self {
        Self::problem(
            StatusCode::TOO_MANY_REQUESTS,
            Problem::new(
                ProblemType::PasswordLoginDisabled,
                "Too many failed login attempts",
            )
            .with_details(
                "Two-factor login is off after too many wrong one-time codes in a row. Ask an \
                 administrator to unlock the account.",
            ),
        )
    }

    /// 503: the storage cannot take requests now (full, failing, locked,
    /// read-only); nothing was done; try again later.
    pub fn unavailable() -> Self {
        Self::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            Problem::new(
                ProblemType::ServiceUnavailable,
                "The server cannot take this request now: its storage is failing or busy. \
                 Nothing was changed; try again shortly.",
            )
            .with_retry_after(UNAVAILABLE_RETRY),
        )
    }

    /// 429 from the per-client-address limit.
    pub fn rate_limited(retry_after: u64) -> Self {
        Self::problem(
            StatusCode::TOO_MANY_REQUESTS,
            Problem::new(
                ProblemType::RateLimitExceeded,
                "Too many requests from this address. Wait a little and try again.",
            )
            .with_retry_after(retry_after),
        )
    }

    /// 400: a new password the policy refuses, naming the rules it breaks.
    pub fn weak_password(violation: &PolicyViolation, field: &str) -> Self {
        Self::problem(
            StatusCode::BAD_REQUEST,
            weak_password_problem(violation, field),
        )
    }

    /// 400: the new password is the current one.
    pub fn same_password() -> Self {
        Self::problem(StatusCode::BAD_REQUEST, same_password_problem())
    }

    /// 400: a mailed link's token is unknown, expired or used.
    pub fn invalid_link(field: &str) -> Self {
        Self::problem(
            StatusCode::BAD_REQUEST,
            Problem::new(
                ProblemType::InvalidToken,
                "The link is not valid: it may have expired, been used, or been replaced by a \
                 newer one.",
            )
            .with_field(field),
        )
    }

    /// 404: single sign-on with this provider is not set up here.
    pub fn sso_not_configured() -> Self {
        Self::problem(
            StatusCode::NOT_FOUND,
            Problem::new(
                ProblemType::NotFound,
                "Single sign-on with this provider is not configured on this server.",
            ),
        )
    }

    /// 405: the path takes other methods (the router adds `Allow`).
    pub fn method_not_allowed() -> Self {
        Self::problem(
            StatusCode::METHOD_NOT_ALLOWED,
            Problem::new(
                ProblemType::MethodNotAllowed,
                "This path does not accept this method.",
            ),
        )
    }

    /// 404: the account has nothing with this id.
    pub fn not_found(title: &str) -> Self {
        Self::problem(
            StatusCode::NOT_FOUND,
            Problem::new(ProblemType::NotFound, title),
        )
    }

    /// 400: the two copies of a new password differ.
    pub fn passwords_differ(field: &str) -> Self {
        Self::field(field, "The new passwords do not match.")
    }

    /// 413: a body over the route's limit.
    pub fn too_large(limit: usize) -> Self {
        Self::problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            Problem::new(
                ProblemType::PayloadTooLarge,
                format!("The request body is larger than {} KiB.", limit / 1024),
            ),
        )
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Problem(status, _) => *status,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem type clients match on (pages pick their words by it).
    pub fn problem_type(&self) -> ProblemType {
        match self {
            Self::Problem(_, problem) => problem.problem_type.clone(),
            Self::Internal(_) => ProblemType::InternalServerError,
        }
    }

    /// The same answer about a field the client named differently (such as
    /// the WebUI's `user_name` for `username`).
    pub fn renaming_field(mut self, from: &str, to: &str) -> Self {
        if let Self::Problem(_, problem) = &mut self
            && problem.field.as_deref() == Some(from)
        {
            problem.field = Some(to.to_owned());
        }
        self
    }
}

fn weak_password_problem(violation: &PolicyViolation, field: &str) -> Problem {
    Problem::new(
        ProblemType::RejectedByHook,
        "The password does not meet the password policy.",
    )
    .with_details(violation.message())
    .with_field(field)
}

fn same_password_problem() -> Problem {
    Problem::new(
        ProblemType::InvalidApiParams,
        "Cannot update to the same password as an existing password.",
    )
    .with_field("new_password")
}

/// A required field's value, or Backend.AI's 400 naming it when it is
/// missing or blank.
pub fn required(value: Option<String>, field: &str) -> Result<String, ApiError> {
    value
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ApiError::missing(field))
}

/// Seconds a client is asked to wait when the storage is failing.
const UNAVAILABLE_RETRY: u64 = 10;

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match &error {
            DomainError::Store(store) if store.is_unavailable() => {
                tracing::error!(error = %error, "storage unavailable");
                Self::unavailable()
            }
            _ => Self::Internal(error.to_string()),
        }
    }
}

/// How a refused login is answered, as the 23.09 webserver answers: a
/// lock is a status of its own; anything else is a problem for the `data`
/// member of an HTTP 200.
#[derive(Debug)]
pub enum LoginAnswer {
    InBody(Problem),
    Status(ApiError),
}

impl From<LoginRefusal> for LoginAnswer {
    fn from(refusal: LoginRefusal) -> Self {
        let details = match refusal {
            LoginRefusal::Locked { retry_after } => {
                let minutes = (retry_after + 59) / 60;
                return Self::Status(ApiError::locked(
                    retry_after,
                    format!(
                        "Login is locked after too many failures in a row. Try again in \
                         {minutes} minute(s)."
                    ),
                ));
            }
            LoginRefusal::PasswordLoginDisabled => {
                return Self::Status(ApiError::password_login_off());
            }
            LoginRefusal::CodesDisabled => return Self::Status(ApiError::codes_off()),
            LoginRefusal::OtpRequired => {
                return Self::InBody(
                    Problem::new(
                        ProblemType::RequireTotpAuthentication,
                        "Two-Factor Authentication needed.",
                    )
                    // Exactly this text: both the 23.09 CLI and the WebUI prompt on it.
                    .with_details(wording::OTP_NOT_PROVIDED),
                );
            }
            LoginRefusal::OtpInvalid => {
                return Self::InBody(
                    Problem::new(
                        ProblemType::RejectedByHook,
                        "Operation rejected by a hook plugin.",
                    )
                    .with_details(wording::INVALID_OTP),
                );
            }
            LoginRefusal::Inactive => {
                return Self::InBody(
                    Problem::new(
                        ProblemType::AccountDisabled,
                        "Credential/signature mismatch.",
                    )
                    .with_details("This account has been disabled. Contact your administrator."),
                );
            }
            LoginRefusal::Mismatch => "User credential mismatch.",
            LoginRefusal::NeedsVerification => wording::NEEDS_VERIFICATION,
        };
        Self::InBody(
            Problem::new(ProblemType::AuthFailed, "Credential/signature mismatch.")
                .with_details(details),
        )
    }
}

/// `/server/update-password-no-auth`: the new password is the current one.
pub fn same_password_in_body() -> Problem {
    same_password_problem()
}

/// `/server/update-password-no-auth`: the new password breaks the policy.
pub fn weak_password_in_body(violation: &PolicyViolation) -> Problem {
    Problem::new(
        ProblemType::RejectedByHook,
        "The new password does not meet the password policy.",
    )
    .with_details(violation.message())
    .with_field("new_password")
}

/// `/server/token-login` with a token that is unknown, expired, used up or
/// not the caller's, in the words of Backend.AI's OpenID hook.
pub fn invalid_sso_token() -> Problem {
    Problem::new(
        ProblemType::RejectedByHook,
        "Operation rejected by a hook plugin.",
    )
    .with_details(wording::INVALID_SSO_TOKEN)
}

/// `/func/auth/update-password`: a wrong current password, in Backend.AI's
/// words; a lock keeps its own answer.
pub fn old_password_refused(refusal: LoginRefusal) -> ApiError {
    match LoginAnswer::from(refusal) {
        LoginAnswer::Status(error) => error,
        LoginAnswer::InBody(_) => ApiError::problem(
            StatusCode::UNAUTHORIZED,
            Problem::new(ProblemType::AuthFailed, "Old password mismatch")
                .with_field("old_password"),
        ),
    }
}

impl From<SignupError> for ApiError {
    fn from(error: SignupError) -> Self {
        match error {
            SignupError::Closed => Self::problem(
                StatusCode::FORBIDDEN,
                Problem::new(
                    ProblemType::SignupDisabled,
                    "Signup is disabled on this server. Ask an administrator for an account.",
                ),
            ),
            SignupError::InvitationRequired => Self::problem(
                StatusCode::FORBIDDEN,
                Problem::new(
                    ProblemType::InvitationRequired,
                    "An invitation token is required to sign up on this server.",
                )
                .with_field("token"),
            ),
            SignupError::Disagreed => Self::field(
                "agreement",
                "You must agree to the Terms of Service and the Privacy Policy to sign up.",
            ),
            SignupError::Account(error) => error.into(),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::InvalidEmail(e) => {
                Self::field("email", format!("The email address {e}."))
            }
            AccountError::InvalidUsername(e) => {
                Self::field("username", format!("The username {e}."))
            }
            AccountError::WeakPassword(violation) => Self::weak_password(&violation, "password"),
            AccountError::EmailTaken => Self::problem(
                StatusCode::CONFLICT,
                Problem::new(
                    ProblemType::EmailAlreadyExists,
                    "An account with this email address already exists.",
                )
                .with_field("email"),
            ),
            AccountError::UsernameTaken => Self::problem(
                StatusCode::CONFLICT,
                Problem::new(
                    ProblemType::UsernameAlreadyExists,
                    "This username is already taken.",
                )
                .with_field("username"),
            ),
            AccountError::InvalidInvitation => Self::problem(
                StatusCode::FORBIDDEN,
                Problem::new(
                    ProblemType::InvalidInvitation,
                    "The invitation token is not valid: it may have expired, been used up or be \
                     meant for another address.",
                )
                .with_field("token"),
            ),
            AccountError::Domain(e) => e.into(),
        }
    }
}

impl From<ResetError> for ApiError {
    fn from(error: ResetError) -> Self {
        match error {
            ResetError::Disabled => Self::problem(
                StatusCode::FORBIDDEN,
                Problem::new(
                    ProblemType::PasswordResetDisabled,
                    "Password reset by mail is turned off on this server. Ask an administrator.",
                ),
            ),
            ResetError::InvalidToken => Self::invalid_link("token"),
            ResetError::Weak(violation) => Self::weak_password(&violation, "password"),
            ResetError::Domain(e) => e.into(),
        }
    }
}

impl From<ReauthError> for ApiError {
    fn from(error: ReauthError) -> Self {
        match error {
            ReauthError::WrongPassword => Self::problem(
                StatusCode::UNAUTHORIZED,
                Problem::new(ProblemType::AuthFailed, "The password is not right.")
                    .with_field("password"),
            ),
            ReauthError::InvalidCode => invalid_code(),
            ReauthError::Locked { retry_after } => Self::locked(
                retry_after,
                "Too many failures in a row. Wait, then try again.",
            ),
            ReauthError::CodesDisabled => Self::codes_off(),
            ReauthError::Domain(e) => e.into(),
        }
    }
}

fn invalid_code() -> ApiError {
    ApiError::problem(
        StatusCode::UNAUTHORIZED,
        Problem::new(ProblemType::TotpAuthFailed, "TOTP authorization failed").with_field("otp"),
    )
}

impl From<TotpError> for ApiError {
    fn from(error: TotpError) -> Self {
        let bad_request = |title: &str| {
            Self::problem(
                StatusCode::BAD_REQUEST,
                Problem::new(ProblemType::GenericBadRequest, title),
            )
        };
        match error {
            TotpError::AlreadyActive => {
                bad_request("Two-factor authentication is already on for this account.")
            }
            TotpError::NotActive => {
                bad_request("Two-factor authentication is not on for this account.")
            }
            TotpError::NotStarted => bad_request("Start the setup first (POST /func/totp)."),
            TotpError::ExpiredToken => Self::problem(
                StatusCode::BAD_REQUEST,
                Problem::new(ProblemType::ExpiredToken, "Expired Token")
                    .with_field("registration_token"),
            ),
            TotpError::InvalidToken => Self::problem(
                StatusCode::BAD_REQUEST,
                Problem::new(ProblemType::InvalidToken, "Invalid Token")
                    .with_field("registration_token"),
            ),
            TotpError::InvalidCode => invalid_code(),
            TotpError::Locked { retry_after } => Self::locked(
                retry_after,
                "Too many wrong codes in a row. Wait, then try again.",
            ),
            TotpError::CodesDisabled => Self::codes_off(),
            TotpError::Reauth(e) => e.into(),
            TotpError::Domain(e) => e.into(),
        }
    }
}

impl From<SignatureError> for ApiError {
    fn from(error: SignatureError) -> Self {
        match error {
            SignatureError::Mismatch => Self::problem(
                StatusCode::UNAUTHORIZED,
                Problem::new(ProblemType::AuthFailed, "Credential/signature mismatch.")
                    .with_details("Signature mismatch"),
            ),
            other => Self::problem(
                StatusCode::BAD_REQUEST,
                Problem::new(ProblemType::InvalidAuthParams, other.to_string()),
            ),
        }
    }
}

impl From<SignedRequestError> for ApiError {
    fn from(error: SignedRequestError) -> Self {
        match error {
            SignedRequestError::Signature(error) => error.into(),
            SignedRequestError::Domain(error) => error.into(),
        }
    }
}

/// A problem document as a response.
pub fn problem_response(status: StatusCode, problem: &Problem) -> Response {
    let body = serde_json::to_vec(problem).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::builder()
        .status(status)
        .header(CONTENT_TYPE, PROBLEM_JSON)
        .body(body);
    if let Some(seconds) = problem.retry_after
        && let Ok(value) = seconds.to_string().parse()
    {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    response
}

fn internal_problem() -> Problem {
    Problem::new(
        ProblemType::InternalServerError,
        "The server failed to handle the request. Its log has the details.",
    )
}

impl poem::error::ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        ApiError::status(self)
    }

    fn as_response(&self) -> Response {
        match self {
            Self::Problem(status, problem) => problem_response(*status, problem),
            Self::Internal(message) => {
                tracing::error!(error = %message, "request failed");
                problem_response(StatusCode::INTERNAL_SERVER_ERROR, &internal_problem())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        poem::error::ResponseError::as_response(&self)
    }
}

impl From<ApiError> for Response {
    fn from(error: ApiError) -> Self {
        error.into_response()
    }
}

/// The problem document's shape, for the OpenAPI description only (answers
/// are written from [`Problem`]).
#[derive(Debug, poem_openapi::Object)]
#[oai(rename = "Problem")]
struct ProblemDocument {
    /// `https://api.backend.ai/probs/<slug>`; clients match the slug.
    #[oai(rename = "type")]
    problem_type: String,
    title: String,
    /// More words about it; `null` when there are none.
    #[oai(nullable)]
    details: Option<String>,
    /// The request field the problem is about.
    #[oai(nullable)]
    field: Option<String>,
    /// Seconds until a lock or limit ends (also in `Retry-After`).
    #[oai(nullable)]
    retry_after: Option<u64>,
}

/// A refusal an operation declares as one of its own responses: a problem
/// document whose status the response enum sets.
#[derive(Debug)]
pub struct ProblemJson(pub ApiError);

impl poem_openapi::payload::Payload for ProblemJson {
    const CONTENT_TYPE: &'static str = PROBLEM_JSON;

    fn schema_ref() -> MetaSchemaRef {
        ProblemDocument::schema_ref()
    }

    fn register(registry: &mut Registry) {
        ProblemDocument::register(registry);
    }
}

impl IntoResponse for ProblemJson {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

/// One refusal as an OpenAPI response.
fn documented(status: u16, description: &'static str) -> MetaResponse {
    MetaResponse {
        description,
        status: Some(status),
        status_range: None,
        content: vec![MetaMediaType {
            content_type: PROBLEM_JSON,
            schema: ProblemDocument::schema_ref(),
        }],
        headers: Vec::new(),
    }
}

/// The refusals every `/companion` operation may answer with, documented once.
impl poem_openapi::ApiResponse for ApiError {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![
                documented(400, "A field is missing or malformed; `field` names it."),
                documented(
                    401,
                    "No live session or valid signature, or a wrong password or code.",
                ),
                documented(413, "The request body is over the limit."),
                documented(
                    429,
                    "A lock after failed attempts, or the per-address limit; see `Retry-After`.",
                ),
                documented(500, "The server failed; its log has the details."),
                documented(
                    503,
                    "The storage is failing or busy; nothing was done. See `Retry-After`.",
                ),
            ],
        }
    }

    fn register(registry: &mut Registry) {
        ProblemDocument::register(registry);
    }
}

/// The refusals of an operation that takes a JSON body: [`ApiError`]'s, and
/// 415 for a body that does not say it is JSON (poem-openapi refuses it
/// before the handler runs; the answer is rendered by [`render_error`]).
#[derive(Debug)]
pub struct BodyRefusal(pub ApiError);

impl<E: Into<ApiError>> From<E> for BodyRefusal {
    fn from(error: E) -> Self {
        Self(error.into())
    }
}

impl poem::error::ResponseError for BodyRefusal {
    fn status(&self) -> StatusCode {
        self.0.status()
    }

    fn as_response(&self) -> Response {
        poem::error::ResponseError::as_response(&self.0)
    }
}

impl std::fmt::Display for BodyRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for BodyRefusal {}

impl poem_openapi::ApiResponse for BodyRefusal {
    fn meta() -> MetaResponses {
        let mut meta = ApiError::meta();
        meta.responses.push(documented(
            415,
            "The body is not sent as `application/json`.",
        ));
        meta.responses.sort_by_key(|response| response.status);
        meta
    }

    fn register(registry: &mut Registry) {
        ApiError::register(registry);
    }
}

/// Renders any error that reached the top (unknown route, wrong method, a
/// body that could not be read) as a problem document.
pub async fn render_error(error: poem::Error) -> Response {
    if let Some(api) = error.downcast_ref::<ApiError>() {
        return poem::error::ResponseError::as_response(api);
    }
    if let Some(refusal) = error.downcast_ref::<BodyRefusal>() {
        return poem::error::ResponseError::as_response(&refusal.0);
    }
    // A body cut off by the limit, however it was being read.
    if let Some(limit) = error
        .downcast_ref::<poem::error::ReadBodyError>()
        .and_then(super::limits::over_limit)
    {
        return ApiError::too_large(limit).into_response();
    }
    let status = error.status();
    let problem = match status {
        StatusCode::NOT_FOUND => {
            Problem::new(ProblemType::NotFound, "There is nothing at this path.")
        }
        StatusCode::METHOD_NOT_ALLOWED => return ApiError::method_not_allowed().into_response(),
        StatusCode::PAYLOAD_TOO_LARGE => Problem::new(
            ProblemType::PayloadTooLarge,
            "The request body is larger than this path accepts.",
        ),
        status if status.is_client_error() => {
            Problem::new(ProblemType::GenericBadRequest, error.to_string())
        }
        _ => {
            tracing::error!(error = %error, %status, "request failed");
            return problem_response(StatusCode::INTERNAL_SERVER_ERROR, &internal_problem());
        }
    };
    problem_response(status, &problem)
}
