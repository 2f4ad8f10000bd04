//! JSON request bodies read into the wire types, so that every mistake names
//! the field at fault. The companion turns a [`BodyError`] into its 400;
//! this is here so that the fuzz targets (`fuzz/`) build without the server.

use serde::de::DeserializeOwned;

/// Why a body was not a `T`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Not JSON at all (serde_json's reason).
    #[error("The request body is not valid JSON: {0}")]
    NotJson(String),
    /// JSON, but not an object.
    #[error("The request body must be a JSON object.")]
    NotObject,
    /// An object with a field that is unknown, missing or of the wrong type.
    #[error("The {field} field is invalid: {reason}.")]
    Field { field: String, reason: String },
}

/// Parses JSON bytes as an object into `T`; an empty (or all-whitespace)
/// body reads as `{}`, so missing fields are reported by name.
pub fn parse_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
    let value: serde_json::Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Object(serde_json::Map::new())
    } else {
        serde_json::from_slice(bytes).map_err(|e| BodyError::NotJson(e.to_string()))?
    };
    if !value.is_object() {
        return Err(BodyError::NotObject);
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let reason = e.into_inner().to_string();
        BodyError::Field {
            field: field_at(&path, &reason),
            reason,
        }
    })
}

/// The field an error is about. serde reports a missing field at the path
/// of the object that lacks it (`.` at the top), so its name is read from
/// the message (found by the `json_bodies` fuzz target: a body without a
/// required field was refused as being about the field `.`).
fn field_at(path: &str, reason: &str) -> String {
    let missing = reason
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (missing, path) {
        (Some(name), ".") => name.to_owned(),
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, path) => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webserver::LoginRequest;

    #[test]
    fn names_the_field_at_fault() {
        let cases = [
            (r#"{"username": 5}"#, "username"),
            (r#"{"password": ["x"]}"#, "password"),
            (r#"{"force": "yes"}"#, "force"),
            (r#"{"is_admin": true}"#, "is_admin"),
            // A member may be named like serde's root path; it is still named.
            (r#"{".": "t"}"#, "."),
        ];
        for (body, field) in cases {
            match parse_object::<LoginRequest>(body.as_bytes()) {
                Err(BodyError::Field { field: named, .. }) => assert_eq!(named, field, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_missing_field_is_named() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Needs {
            password: String,
            inner: Option<Inner>,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Inner {
            code: String,
        }
        for (body, field) in [
            ("{}", "password"),
            (r#"{"password":"x","inner":{}}"#, "inner.code"),
        ] {
            match parse_object::<Needs>(body.as_bytes()) {
                Err(BodyError::Field { field: named, .. }) => assert_eq!(named, field, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn refuses_what_is_not_an_object() {
        for body in ["[]", "\"x\"", "12", "null"] {
            assert_eq!(
                parse_object::<LoginRequest>(body.as_bytes()),
                Err(BodyError::NotObject),
                "{body}"
            );
        }
        for body in ["{", "{\"a\":}", "\u{0}"] {
            assert!(
                matches!(
                    parse_object::<LoginRequest>(body.as_bytes()),
                    Err(BodyError::NotJson(_))
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!(
            "{{\"username\":{}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(matches!(
            parse_object::<LoginRequest>(deep.as_bytes()),
            Err(BodyError::NotJson(_))
        ));
    }

    #[test]
    fn empty_body_is_an_empty_object() {
        let request: LoginRequest = parse_object(b"  ").unwrap();
        assert_eq!(request.username, None);
    }
}
