//! Where a session token travels: the `X-BackendAI-SessionID` header (which
//! wins) or the `AIOHTTP_SESSION` cookie, as the Backend.AI webserver accepts;
//! and reading cookies in general.

use baigate_shared::webserver::{SESSION_COOKIE, SESSION_HEADER};
use poem::Request;
use poem::http::header::COOKIE;

/// The token a request presents, if any.
pub fn presented(req: &Request) -> Option<String> {
    if let Some(value) = req
        .headers()
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        let value = value.trim();
        if !value.is_empty() {
            return Some(value.to_owned());
        }
    }
    cookie(req, SESSION_COOKIE)
}

/// The value of the cookie `name`, if the request carries a non-empty one.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, _)| *found == name)
        .map(|(_, value)| value.trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
}

/// `Set-Cookie` for a new session. HttpOnly so page scripts cannot read it,
/// SameSite=Lax, Secure when the public URL is https. Max-Age is the
/// session's absolute limit; the server's own expiry is what counts.
pub fn set_cookie(token: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}=\"\"; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; \
         HttpOnly; SameSite=Lax{secure}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder();
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.finish()
    }

    #[test]
    fn header_wins_over_cookie() {
        let req = request(&[
            ("X-BackendAI-SessionID", "from-header"),
            ("Cookie", "AIOHTTP_SESSION=from-cookie"),
        ]);
        assert_eq!(presented(&req).as_deref(), Some("from-header"));
    }

    #[test]
    fn finds_the_cookie_among_others() {
        let req = request(&[("Cookie", "a=1; AIOHTTP_SESSION=abc; b=2")]);
        assert_eq!(presented(&req).as_deref(), Some("abc"));
        let req = request(&[("Cookie", "a=1"), ("Cookie", "AIOHTTP_SESSION=\"q\"")]);
        assert_eq!(presented(&req).as_deref(), Some("q"));
        let req = request(&[("Cookie", "XAIOHTTP_SESSION=abc; AIOHTTP_SESSION=")]);
        assert_eq!(presented(&req), None);
        assert_eq!(presented(&request(&[])), None);
        let req = request(&[("X-BackendAI-SessionID", "  ")]);
        assert_eq!(presented(&req), None);
    }

    #[test]
    fn cookie_attributes() {
        let cookie = set_cookie("tok", 86400, false);
        assert_eq!(
            cookie,
            "AIOHTTP_SESSION=tok; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax"
        );
        assert!(set_cookie("tok", 1, true).ends_with("; Secure"));
        assert!(clear_cookie(false).contains("Max-Age=0"));
    }
}
