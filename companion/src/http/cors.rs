//! CORS for an allow-list of origins.
//!
//! An allowed origin is echoed exactly (never `*`), with credentials, so the
//! WebUI and the extension can use the session cookie or header. A request
//! from any other origin is refused with 403 before it reaches a handler:
//! browsers always send `Origin` on cross-origin writes, so this is also the
//! CSRF defence. Requests without `Origin` (the CLI, curl) pass. Every answer
//! carries `Vary: Origin` because it depends on it.
//!
//! One exception: forms posted under `Referrer-Policy: no-referrer`, which
//! makes a browser send `Origin: null`: the companion's own HTML forms
//! (their URLs hold mailed tokens) and the start of a single sign-on (posted
//! from an extension page). Those routes act on no session or cookie (a
//! change needs the mailed token, a signup its invitation, a sign-on sends
//! its token only to an allowed address), so a `null` origin may post to
//! them, and only to them.
//!
//! And the SAML assertion consumer service, which an identity provider's
//! page posts to from its own origin, whatever that is: it acts on no
//! session or cookie (the Response must carry the provider's signature and
//! name a login this server started, and the browser that started it is
//! checked on the next, same-site step), and it is granted no CORS headers.

use std::collections::HashSet;
use std::sync::Arc;

use baigate_shared::problem::{Problem, ProblemType};
use poem::http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use poem::http::{HeaderValue, Method, StatusCode};
use poem::{Endpoint, Middleware, Request, Response, Result};

use super::problem::problem_response;

const ALLOWED_METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE";
const EXPOSED_HEADERS: &str = "X-BackendAI-SessionID, Retry-After, Content-Disposition";
const PREFLIGHT_MAX_AGE: &str = "600";
/// The routes of the companion's own HTML forms (see the module comment).
const PAGE_FORMS: [&str; 6] = [
    "/signup",
    "/resend-verification",
    "/forgot-password",
    "/change-password",
    "/func/openid/login",
    "/func/saml/login",
];
/// Routes any origin may post a form to (see the module comment).
const CROSS_SITE_FORMS: [&str; 1] = ["/func/saml/acs"];

/// A form of one of the companion's pages, posted under `no-referrer`.
fn page_form_post(req: &Request, origin: &HeaderValue) -> bool {
    req.method() == Method::POST
        && (CROSS_SITE_FORMS.contains(&req.uri().path())
            || (origin.as_bytes() == b"null" && PAGE_FORMS.contains(&req.uri().path())))
}

/// Which origins may call from a browser: each named exactly.
#[derive(Debug, Clone, Default)]
pub struct CorsPolicy {
    exact: HashSet<String>,
}

impl CorsPolicy {
    /// From configured origins (already validated); the server's own public
    /// origin is always allowed, for its own pages.
    pub fn new(origins: &[String], public_origin: &str) -> Self {
        let mut exact: HashSet<String> = origins
            .iter()
            .map(|origin| origin.trim_end_matches('/').to_ascii_lowercase())
            .collect();
        exact.insert(public_origin.trim_end_matches('/').to_ascii_lowercase());
        Self { exact }
    }

    pub fn allows(&self, origin: &str) -> bool {
        self.exact.contains(&origin.to_ascii_lowercase())
    }
}

/// The middleware.
#[derive(Debug, Clone)]
pub struct Cors(pub Arc<CorsPolicy>);

impl<E: Endpoint> Middleware<E> for Cors {
    type Output = CorsEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        CorsEndpoint {
            inner,
            policy: self.0.clone(),
        }
    }
}

#[derive(Debug)]
pub struct CorsEndpoint<E> {
    inner: E,
    policy: Arc<CorsPolicy>,
}

fn vary_origin(response: &mut Response) {
    response
        .headers_mut()
        .append(VARY, HeaderValue::from_static("Origin"));
}

impl<E: Endpoint> Endpoint for CorsEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let Some(origin) = req.headers().get(ORIGIN).cloned() else {
            let mut response = self.inner.get_response(req).await;
            vary_origin(&mut response);
            return Ok(response);
        };
        if page_form_post(&req, &origin) {
            let mut response = self.inner.get_response(req).await;
            vary_origin(&mut response);
            return Ok(response);
        }
        let allowed = origin.to_str().is_ok_and(|o| self.policy.allows(o));
        if !allowed {
            tracing::info!(origin = ?origin, "request from an origin not on the allow-list refused");
            let mut response = problem_response(
                StatusCode::FORBIDDEN,
                &Problem::new(
                    ProblemType::Forbidden,
                    "This origin may not call this server. Add it to server.allowed_origins.",
                ),
            );
            vary_origin(&mut response);
            return Ok(response);
        }
        let preflight = req.method() == Method::OPTIONS
            && req.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD);
        let mut response = if preflight {
            let mut response = Response::builder()
                .status(StatusCode::NO_CONTENT)
                .header(ACCESS_CONTROL_ALLOW_METHODS, ALLOWED_METHODS)
                .header(ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE)
                .finish();
            // The origin is trusted; let it send whatever headers it asked for.
            if let Some(requested) = req.headers().get(ACCESS_CONTROL_REQUEST_HEADERS) {
                response
                    .headers_mut()
                    .insert(ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
            }
            response
        } else {
            let mut response = self.inner.get_response(req).await;
            response.headers_mut().insert(
                ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSED_HEADERS),
            );
            response
        };
        let headers = response.headers_mut();
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        vary_origin(&mut response);
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use baigate_shared::webserver::SESSION_HEADER;

    use super::*;

    fn policy() -> CorsPolicy {
        CorsPolicy::new(
            &[
                "chrome-extension://kkddbdcblenceacjpknibiiglhjplaad".to_owned(),
                "http://127.0.0.1:5173".to_owned(),
                "https://webui.example.com".to_owned(),
            ],
            "http://127.0.0.1:8090/",
        )
    }

    #[test]
    fn allow_list() {
        let policy = policy();
        for ok in [
            "chrome-extension://kkddbdcblenceacjpknibiiglhjplaad",
            "http://127.0.0.1:5173",
            "http://127.0.0.1:8090",
            "https://webui.example.com",
            "HTTPS://WEBUI.EXAMPLE.COM",
        ] {
            assert!(policy.allows(ok), "{ok}");
        }
        for bad in [
            "https://evil.example",
            "http://127.0.0.1.evil.example",
            "http://127.0.0.1:80x",
            "http://127.0.0.1:",
            "http://127.0.0.10:80",
            "http://127.0.0.1:8080",
            "http://127.0.0.1",
            "http://localhost:5173",
            "https://127.0.0.1:8080",
            "chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "https://webui.example.com.evil.example",
            "null",
            "",
        ] {
            assert!(!policy.allows(bad), "{bad}");
        }
    }

    #[test]
    fn exposes_the_session_header() {
        assert!(EXPOSED_HEADERS.contains(SESSION_HEADER));
    }
}
