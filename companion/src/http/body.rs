//! Reading request bodies: size-limited, optionally AES-encoded, and parsed
//! so that every mistake is a 400 naming the field. Handlers take them as
//! extractors: [`JsonBody`], [`LimitedBody`], [`FormBody`], and the
//! `/companion` operations [`JsonObject`].

use baigate_shared::body::BodyError;
use baigate_shared::encoded::{candidate_endpoints, decrypt_json};
use baigate_shared::webserver::ENCODED_HEADER;
use poem::http::header::{CONTENT_LENGTH, HOST};
use poem::{Body, FromRequest, Request, RequestBody};
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{ParseFromJSON, Type};
use serde::de::DeserializeOwned;

use super::app_state;
use super::limits::{is_over_limit, limit_for};
use super::problem::ApiError;

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

/// [`JsonBody`] for the `/companion` operations: the document declares the
/// schema of `T` and poem-openapi refuses a body that is not sent as JSON
/// (415); the body is read as every other route reads one (within the limit,
/// AES-encoded or not, with serde's strict types and a 400 naming the field),
/// then held to the schema's own limits (`maxLength` and the like).
/// poem-openapi's `Json` would take `false` or `5` for a string.
#[derive(Debug)]
pub struct JsonObject<T>(pub T);

impl<T: Type> Payload for JsonObject<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn check_content_type(content_type: &str) -> bool {
        <poem_openapi::payload::Json<T> as Payload>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: DeserializeOwned + ParseFromJSON> ParsePayload for JsonObject<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(req: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let state = app_state(req)?;
        let bytes = read_limited(req, body.take()?).await?;
        let plain = decrypt_if_encoded(req, bytes, &state.public_origin)?;
        let value: T = parse_object(&plain)?;
        // The types are right (serde said so); what is left are the limits.
        let json = if plain.iter().all(u8::is_ascii_whitespace) {
            Some(serde_json::Value::Object(serde_json::Map::new()))
        } else {
            serde_json::from_slice(&plain).ok()
        };
        T::parse_from_json(json).map_err(|e| ApiError::invalid_params(e.into_message()))?;
        Ok(Self(value))
    }
}

poem_openapi::impl_apirequest_for_payload!(JsonObject<T>, T: DeserializeOwned + ParseFromJSON);

/// The raw body, within the route's limit (`limits`).
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

/// Reads the raw body, refusing more than the route's limit whether or not
/// a `Content-Length` announced it.
pub async fn read_limited(req: &Request, body: Body) -> Result<Vec<u8>, ApiError> {
    let announced = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let limit = limit_for(req.uri().path());
    if announced.is_some_and(|length| length > limit as u64) {
        return Err(ApiError::too_large(limit));
    }
    match body.into_bytes_limit(limit).await {
        Ok(bytes) => Ok(bytes.to_vec()),
        Err(e) if is_over_limit(&e) => Err(ApiError::too_large(limit)),
        Err(e) => Err(ApiError::invalid_params(format!(
            "The request body could not be read: {e}"
        ))),
    }
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
    bytes: Vec<u8>,
    public_origin: &str,
) -> Result<T, ApiError> {
    parse_object(&decrypt_if_encoded(req, bytes, public_origin)?)
}

/// The plain body: decrypted when the request says it is encoded.
fn decrypt_if_encoded(
    req: &Request,
    bytes: Vec<u8>,
    public_origin: &str,
) -> Result<Vec<u8>, ApiError> {
    let encoded = req
        .headers()
        .get(ENCODED_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if !encoded {
        return Ok(bytes);
    }
    let host = req.headers().get(HOST).and_then(|v| v.to_str().ok());
    decrypt_json(&candidate_endpoints(host, public_origin), &bytes).ok_or_else(|| {
        ApiError::invalid_params(
            "The encoded request body could not be decrypted: the client's API endpoint must be \
             this server's address.",
        )
    })
}

/// Parses JSON bytes as an object into `T`, naming the field at fault (the
/// parser is `baigate_shared::body`, fuzzed there).
pub fn parse_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    baigate_shared::body::parse_object(bytes).map_err(|error| match &error {
        BodyError::Field { field, .. } => ApiError::field(field, error.to_string()),
        BodyError::NotJson(_) | BodyError::NotObject => ApiError::invalid_params(error.to_string()),
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
