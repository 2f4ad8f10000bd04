//! Every error answer is a problem document; this is the one place that turns
//! failures into HTTP status codes and bodies.

use baigate_shared::problem::{Problem, ProblemType};
use poem::http::StatusCode;
use poem::http::header::{CONTENT_TYPE, RETRY_AFTER};
use poem::{IntoResponse, Response};

use crate::domain::DomainError;

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

    pub fn bad_request(problem_type: ProblemType, title: impl Into<String>) -> Self {
        Self::problem(StatusCode::BAD_REQUEST, Problem::new(problem_type, title))
    }
}

/// A required field's value, or Backend.AI's 400 naming it when it is
/// missing or blank.
pub fn required(value: Option<String>, field: &str) -> Result<String, ApiError> {
    value
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ApiError::missing(field))
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        Self::Internal(error.to_string())
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
        match self {
            Self::Problem(status, _) => *status,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
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

/// Renders any error that reached the top (unknown route, wrong method, a
/// body that could not be read) as a problem document.
pub async fn render_error(error: poem::Error) -> Response {
    if let Some(api) = error.downcast_ref::<ApiError>() {
        return poem::error::ResponseError::as_response(api);
    }
    let status = error.status();
    let problem = match status {
        StatusCode::NOT_FOUND => {
            Problem::new(ProblemType::NotFound, "There is nothing at this path.")
        }
        StatusCode::METHOD_NOT_ALLOWED => Problem::new(
            ProblemType::MethodNotAllowed,
            "This path does not accept this method.",
        ),
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
