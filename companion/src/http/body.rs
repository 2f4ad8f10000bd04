//! Reading request bodies: size-limited, optionally AES-encoded, and parsed
//! so that every mistake is a 400 naming the field. Handlers take them as
//! extractors: [`JsonBody`], [`LimitedBody`], [`FormBody`].

use baigate_shared::webserver::ENCODED_HEADER;
use poem::http::header::{CONTENT_LENGTH, HOST};
use poem::{Body, FromRequest, Request, RequestBody};
use serde::de::DeserializeOwned;

use super::limits::{BODY_LIMIT, is_over_limit};
use super::problem::ApiError;
use super::{app_state, encoded};

/// A JSON object body (AES-encoded or not, `{}` when empty) read into `T`;
/// a mistake is a 400 naming the field.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<'a, T: DeserializeOwned> FromRequest<'a> for JsonBody<T> {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let state = app_state(req)?;
        Ok(Self(
            read_json(req, body.take()?, &state.public_origin).await?,
        ))
    }
}

/// The raw body, within [`BODY_LIMIT`].
#[derive(Debug)]
pub struct LimitedBody(pub Vec<u8>);

impl<'a> FromRequest<'a> for LimitedBody {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Self(read_limited(req, body.take()?).await?))
    }
}

/// A page's form fields (`application/x-www-form-urlencoded`), read within
/// the limit. Pages answer a mangled form by showing it again, so what
/// cannot be read is left at its default rather than refused.
#[derive(Debug)]
pub struct FormBody<T>(pub T);

impl<'a, T: DeserializeOwned + Default> FromRequest<'a> for FormBody<T> {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let bytes = read_limited(req, body.take()?).await?;
        Ok(Self(
            serde_urlencoded::from_bytes(&bytes).unwrap_or_default(),
        ))
    }
}

/// Reads the raw body, refusing more than [`BODY_LIMIT`] bytes whether or
/// not a `Content-Length` announced them.
pub async fn read_limited(req: &Request, body: Body) -> Result<Vec<u8>, ApiError> {
    let announced = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|length| length > BODY_LIMIT as u64) {
        return Err(ApiError::too_large(BODY_LIMIT));
    }
    match body.into_bytes_limit(BODY_LIMIT).await {
        Ok(bytes) => Ok(bytes.to_vec()),
        Err(e) if is_over_limit(&e) => Err(ApiError::too_large(BODY_LIMIT)),
        Err(e) => Err(ApiError::invalid_params(format!(
            "The request body could not be read: {e}"
        ))),
    }
}

/// The endpoints a browser may have derived an encoded body's key from:
/// `http://<Host>` and `https://<Host>` as this request reached us, then the
/// configured public URL.
fn candidate_endpoints(req: &Request, public_origin: &str) -> Vec<String> {
    let mut endpoints = Vec::with_capacity(3);
    if let Some(host) = req.headers().get(HOST).and_then(|v| v.to_str().ok()) {
        let preferred = if public_origin.starts_with("https://") {
            ["https", "http"]
        } else {
            ["http", "https"]
        };
        for scheme in preferred {
            endpoints.push(format!("{scheme}://{host}"));
        }
    }
    endpoints.push(public_origin.to_owned());
    endpoints
}

/// Reads a JSON object body into `T`. Encoded bodies are decrypted first. An
/// empty body reads as `{}` (so missing fields are reported by name).
pub async fn read_json<T: DeserializeOwned>(
    req: &Request,
    body: Body,
    public_origin: &str,
) -> Result<T, ApiError> {
    let bytes = read_limited(req, body).await?;
    decode_json(req, bytes, public_origin)
}

/// [`read_json`] for a body already read.
pub fn decode_json<T: DeserializeOwned>(
    req: &Request,
    mut bytes: Vec<u8>,
    public_origin: &str,
) -> Result<T, ApiError> {
    let encoded = req
        .headers()
        .get(ENCODED_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if encoded {
        bytes = candidate_endpoints(req, public_origin)
            .iter()
            .find_map(|endpoint| {
                encoded::decrypt(endpoint, &bytes)
                    .ok()
                    .filter(|plain| serde_json::from_slice::<serde_json::Value>(plain).is_ok())
            })
            .ok_or_else(|| {
                ApiError::invalid_params(
                    "The encoded request body could not be decrypted: the client's API endpoint \
                     must be this server's address.",
                )
            })?;
    }
    parse_object(&bytes)
}

/// Parses JSON bytes as an object into `T`, naming the field at fault.
pub fn parse_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Object(serde_json::Map::new())
    } else {
        serde_json::from_slice(bytes).map_err(|e| {
            ApiError::invalid_params(format!("The request body is not valid JSON: {e}"))
        })?
    };
    if !value.is_object() {
        return Err(ApiError::invalid_params(
            "The request body must be a JSON object.",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        let reason = e.into_inner().to_string();
        ApiError::field(&field, format!("The {field} field is invalid: {reason}."))
    })
}

#[cfg(test)]
mod tests {
    use baigate_shared::problem::{Problem, ProblemType};
    use baigate_shared::webserver::LoginRequest;
    use poem::http::StatusCode;

    use super::*;

    fn problem(result: Result<LoginRequest, ApiError>) -> (StatusCode, Problem) {
        match result {
            Err(ApiError::Problem(status, problem)) => (status, *problem),
            other => panic!("expected a problem, got {other:?}"),
        }
    }

    #[test]
    fn names_the_field_at_fault() {
        let cases = [
            (r#"{"username": 5}"#, "username"),
            (r#"{"password": ["x"]}"#, "password"),
            (r#"{"force": "yes"}"#, "force"),
            (r#"{"is_admin": true}"#, "is_admin"),
        ];
        for (body, field) in cases {
            let (status, problem) = problem(parse_object(body.as_bytes()));
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert_eq!(problem.field.as_deref(), Some(field), "{body}");
            assert!(problem.title.contains(field), "{}", problem.title);
        }
    }

    #[test]
    fn refuses_what_is_not_an_object() {
        for body in ["[]", "\"x\"", "12", "null", "{", "{\"a\":}", "\u{0}"] {
            let (status, problem) = problem(parse_object(body.as_bytes()));
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(problem.problem_type, ProblemType::InvalidApiParams);
        }
    }

    #[test]
    fn empty_body_is_an_empty_object() {
        let request: LoginRequest = parse_object(b"  ").unwrap();
        assert_eq!(request.username, None);
    }
}
