//! A cap on every request body, applied while it is read, chunked bodies
//! included: no route reads more than [`BODY_LIMIT`] bytes, whatever the
//! client announces or sends, and whoever reads it (our extractors or
//! poem-openapi's). An announced length over the cap is refused at once.
//! Routes that need a session or a signature check it before they read
//! (see `auth`), so an anonymous client cannot make the server read at all.

use std::io;

use futures_util::StreamExt;
use poem::error::ReadBodyError;
use poem::http::Version;
use poem::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response, Result};

/// The most any request body may hold...
pub const BODY_LIMIT: usize = 16 * 1024;
/// ...but a SAML Response, which carries signatures and certificates.
pub const SAML_BODY_LIMIT: usize = 96 * 1024;

/// The cap for a request to `path`.
pub fn limit_for(path: &str) -> usize {
    if path == "/func/saml/acs" {
        SAML_BODY_LIMIT
    } else {
        BODY_LIMIT
    }
}

/// The error a cut-off body reads as (inside an I/O error).
#[derive(Debug, thiserror::Error)]
#[error("the request body is larger than {} KiB", .0 / 1024)]
pub struct BodyOverLimit(pub usize);

/// Whether a body read failed because it went over the limit.
pub fn is_over_limit(error: &ReadBodyError) -> bool {
    over_limit(error).is_some()
}

/// The limit a failed body read went over, if that is why it failed.
pub fn over_limit(error: &ReadBodyError) -> Option<usize> {
    match error {
        ReadBodyError::PayloadTooLarge => Some(BODY_LIMIT),
        // Readers may wrap the stream's I/O error in one of their own.
        ReadBodyError::Io(io) => {
            let mut inner = io
                .get_ref()
                .map(|e| e as &(dyn std::error::Error + 'static));
            while let Some(error) = inner {
                if let Some(BodyOverLimit(limit)) = error.downcast_ref::<BodyOverLimit>() {
                    return Some(*limit);
                }
                inner = match error.downcast_ref::<io::Error>() {
                    Some(io) => io
                        .get_ref()
                        .map(|e| e as &(dyn std::error::Error + 'static)),
                    None => error.source(),
                };
            }
            None
        }
        _ => None,
    }
}

/// The middleware.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit;

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitEndpoint { inner }
    }
}

#[derive(Debug)]
pub struct BodyLimitEndpoint<E> {
    inner: E,
}

/// Whether a request can carry a body at all (HTTP/1.1 says so in its
/// headers; the hot body-less requests, such as login checks, skip the cap's
/// wrapper).
fn may_have_body(req: &Request) -> bool {
    let announced = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() != "0");
    announced || req.headers().contains_key(TRANSFER_ENCODING) || req.version() >= Version::HTTP_2
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let announced = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let limit = limit_for(req.uri().path());
        if announced.is_some_and(|length| length > limit as u64) {
            // Answered by `problem::render_error`, as a body cut off is.
            let over = io::Error::new(io::ErrorKind::InvalidData, BodyOverLimit(limit));
            return Err(ReadBodyError::Io(over).into());
        }
        if may_have_body(&req) {
            let mut read = 0usize;
            let limited = req.take_body().into_bytes_stream().map(move |chunk| {
                let chunk = chunk?;
                read = read.saturating_add(chunk.len());
                if read > limit {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        BodyOverLimit(limit),
                    ));
                }
                Ok(chunk)
            });
            req.set_body(Body::from_bytes_stream(limited));
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}
