//! A browser's cookie jar for one site, for the harnesses that walk an
//! identity provider's pages over HTTP.

use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct CookieJar {
    cookies: HashMap<String, String>,
}

impl CookieJar {
    /// The `Cookie` header to send.
    pub fn header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Keeps what an answer sets (and forgets what it clears).
    pub fn keep<B>(&mut self, response: &ureq::http::Response<B>) {
        for header in response.headers().get_all("set-cookie") {
            let pair = header.to_str().unwrap_or_default();
            let pair = pair.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() {
                    self.cookies.remove(name.trim());
                } else {
                    self.cookies
                        .insert(name.trim().to_owned(), value.to_owned());
                }
            }
        }
    }
}

/// An HTTP client that follows no redirect and returns every status.
pub fn step_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}
