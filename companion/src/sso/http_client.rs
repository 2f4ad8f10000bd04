//! The HTTP client for identity providers: HTTPS with the system's trusted
//! certificates (plain HTTP too, for a provider on loopback, which the
//! configuration allows only there), no redirects followed (a provider that
//! redirects its token endpoint is refused rather than trusted, against
//! SSRF), a deadline on every exchange and a cap on what is read.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};

/// How long one request to a provider may take, answer included.
const DEADLINE: Duration = Duration::from_secs(10);
/// The most read from a provider in one answer (discovery documents and key
/// sets are a few KiB).
const MAX_ANSWER: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{0}")]
    Setup(String),
    #[error("{0}")]
    Connect(String),
    #[error("no answer within {} seconds", DEADLINE.as_secs())]
    Timeout,
    #[error("the answer could not be read: {0}")]
    Body(String),
}

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// A client for one provider's requests.
#[derive(Clone)]
pub struct ProviderHttp {
    client: Client<Connector, Full<bytes::Bytes>>,
}

impl std::fmt::Debug for ProviderHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProviderHttp")
    }
}

impl ProviderHttp {
    pub fn new() -> Result<Self, HttpError> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| HttpError::Setup(format!("the system's certificates: {e}")))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// GETs `url` and reads its body, which must come with 200.
    pub async fn get(&self, url: &str) -> Result<Vec<u8>, HttpError> {
        let request = hyper::Request::get(url)
            .body(Vec::new())
            .map_err(|e| HttpError::Setup(e.to_string()))?;
        let response = self.send(request).await?;
        if response.status() != hyper::StatusCode::OK {
            return Err(HttpError::Body(format!("answered {}", response.status())));
        }
        Ok(response.into_body())
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let (parts, body) = request.into_parts();
        let request = hyper::Request::from_parts(parts, Full::new(bytes::Bytes::from(body)));
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| HttpError::Connect(error_chain(&e)))?;
            let (parts, body) = response.into_parts();
            let bytes = Limited::new(body, MAX_ANSWER)
                .collect()
                .await
                .map_err(|e| HttpError::Body(e.to_string()))?
                .to_bytes();
            Ok(hyper::Response::from_parts(parts, bytes.to_vec()))
        };
        tokio::time::timeout(DEADLINE, exchange)
            .await
            .map_err(|_| HttpError::Timeout)?
    }
}

/// An error with its causes, on one line ("connection refused" is usually
/// two levels down).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl<'c> AsyncHttpClient<'c> for ProviderHttp {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}
