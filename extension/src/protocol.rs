//! What the answers of a Backend.AI webserver (or a baigate companion) mean.
//! Pure functions of status and body, so every case is tested natively.

use baigate_shared::problem::{Problem, ProblemType};
use baigate_shared::sessions::SessionSummary;
use baigate_shared::webserver::{AccountInfo, LoginData, LoginResponse, VersionResponse};

use crate::platform::net::Reply;

/// What an endpoint is, as far as `GET /func/` tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Checking,
    /// A baigate companion, of this version.
    Companion(String),
    /// A Backend.AI webserver, whose manager has this version.
    BackendAi(String),
    /// Something answers, but not Backend.AI.
    NotBackendAi,
    Unreachable,
    /// No answer, and the extension has not been allowed to reach the
    /// address yet: it will ask when the user logs in.
    NeedsAccess,
    Offline,
    /// The address itself is not usable (not `http://` or `https://`).
    InvalidAddress,
}

impl Health {
    /// Whether logging in can be tried.
    pub fn usable(&self) -> bool {
        matches!(
            self,
            Self::Companion(_) | Self::BackendAi(_) | Self::Checking | Self::NeedsAccess
        )
    }
}

/// Reads the answer of `GET /func/`.
pub fn health(reply: &Reply) -> Health {
    if !(200..300).contains(&reply.status) {
        return Health::NotBackendAi;
    }
    match serde_json::from_str::<VersionResponse>(&reply.body) {
        Ok(version) if version.version.starts_with('v') => match version.baigate {
            Some(baigate) => Health::Companion(baigate),
            None => Health::BackendAi(version.manager),
        },
        _ => Health::NotBackendAi,
    }
}

/// A `http://` or `https://` URL with a host, without a trailing slash.
pub fn normalize_endpoint(raw: &str) -> Option<String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || host.contains(char::is_whitespace) || rest.contains(['?', '#']) {
        return None;
    }
    Some(trimmed.to_owned())
}

/// The host permission an endpoint needs (`https://host/*`, any port), or
/// `None` for the loopback addresses the manifest already grants.
pub fn access_pattern(endpoint: &str) -> Option<String> {
    let (scheme, rest) = endpoint.split_once("://")?;
    let authority = rest.split('/').next()?;
    let host = match authority.strip_prefix('[') {
        // An IPv6 literal keeps its brackets; its port follows them.
        Some(v6) => format!("[{}]", v6.split(']').next()?),
        None => authority.split(':').next()?.to_owned(),
    };
    let host = host.to_ascii_lowercase();
    if scheme == "http" && (host == "127.0.0.1" || host == "localhost") {
        return None;
    }
    Some(format!("{scheme}://{host}/*"))
}

/// Why a login was refused, for the message the user reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Mismatch,
    NeedsVerification,
    AccountDisabled,
    PasswordExpired,
    /// Password login is off until a reset (too many failures across locks).
    PasswordLoginOff,
    AlreadyLoggedIn,
    /// A field the server named (a client bug or an odd server).
    BadRequest(String),
    /// The endpoint could not reach its own back end.
    BadGateway,
    /// Anything else, with the server's own words.
    Other(String),
}

/// What a login answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    LoggedIn {
        session_id: Option<String>,
        account: AccountInfo,
    },
    OtpRequired,
    OtpInvalid,
    /// The account must set up 2FA first, with this token.
    TotpRegistration(String),
    /// The account has as many sessions as it may; these, if the server said.
    Conflict(Vec<SessionSummary>),
    /// Locked after failures; seconds left, if the server said.
    Locked(Option<u64>),
    /// Too many requests from this address.
    RateLimited(Option<u64>),
    Refused(Refusal),
}

fn slug(problem: &Problem) -> &str {
    problem.problem_type.slug()
}

/// The outcome of a problem found in a login answer (the `data` of an
/// `authenticated: false`, or a top-level problem document).
fn problem_outcome(problem: &Problem, retry_after: Option<u64>) -> LoginOutcome {
    let details = problem.details.as_deref().unwrap_or_default();
    match &problem.problem_type {
        ProblemType::RequireTotpAuthentication => LoginOutcome::OtpRequired,
        ProblemType::RequireTotpRegistration => problem
            .extra
            .get("two_factor_registration_token")
            .and_then(|v| v.as_str())
            .map_or(
                LoginOutcome::Refused(Refusal::Other(problem.title.clone())),
                |token| LoginOutcome::TotpRegistration(token.to_owned()),
            ),
        // Older servers ask for the code this way.
        _ if details.contains("OTP not provided") => LoginOutcome::OtpRequired,
        ProblemType::RejectedByHook
            if details.contains("Invalid TOTP code provided")
                || details.contains("Failed to validate OTP") =>
        {
            LoginOutcome::OtpInvalid
        }
        ProblemType::ActiveLoginSessionExists => LoginOutcome::Conflict(
            problem
                .extra
                .get("sessions")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default(),
        ),
        ProblemType::TooManyRequests if details.contains("Password login is off") => {
            LoginOutcome::Refused(Refusal::PasswordLoginOff)
        }
        ProblemType::TooManyRequests => LoginOutcome::Locked(problem.retry_after.or(retry_after)),
        ProblemType::Other(other) if other == "login-blocked" => {
            LoginOutcome::Locked(problem.retry_after.or(retry_after))
        }
        ProblemType::RateLimitExceeded => {
            LoginOutcome::RateLimited(problem.retry_after.or(retry_after))
        }
        ProblemType::PasswordExpired => LoginOutcome::Refused(Refusal::PasswordExpired),
        ProblemType::AuthFailed if details.contains("email verification") => {
            LoginOutcome::Refused(Refusal::NeedsVerification)
        }
        ProblemType::AuthFailed if details.contains("disabled") => {
            LoginOutcome::Refused(Refusal::AccountDisabled)
        }
        ProblemType::AuthFailed => LoginOutcome::Refused(Refusal::Mismatch),
        ProblemType::GenericBadRequest if problem.title.contains("already logged in") => {
            LoginOutcome::Refused(Refusal::AlreadyLoggedIn)
        }
        ProblemType::InvalidApiParams => LoginOutcome::Refused(Refusal::BadRequest(
            problem
                .field
                .clone()
                .unwrap_or_else(|| problem.title.clone()),
        )),
        ProblemType::BadGateway => LoginOutcome::Refused(Refusal::BadGateway),
        _ => LoginOutcome::Refused(Refusal::Other(if details.is_empty() {
            problem.title.clone()
        } else {
            format!("{} {details}", problem.title)
        })),
    }
}

/// Reads the answer of `POST /server/login`.
pub fn login_outcome(reply: &Reply) -> LoginOutcome {
    if let Ok(answer) = serde_json::from_str::<LoginResponse>(&reply.body) {
        return match answer.data {
            LoginData::Account(account) if answer.authenticated => LoginOutcome::LoggedIn {
                session_id: reply.session_id.clone(),
                account,
            },
            LoginData::Problem(problem) => problem_outcome(&problem, reply.retry_after),
            LoginData::Account(_) => LoginOutcome::Refused(Refusal::Mismatch),
        };
    }
    if let Ok(problem) = serde_json::from_str::<Problem>(&reply.body) {
        return problem_outcome(&problem, reply.retry_after);
    }
    match reply.status {
        429 => LoginOutcome::Locked(reply.retry_after),
        502..=504 => LoginOutcome::Refused(Refusal::BadGateway),
        status => LoginOutcome::Refused(Refusal::Other(format!("HTTP {status}"))),
    }
}

/// The slug of a problem answer, for answers other than logins.
pub fn problem_slug(reply: &Reply) -> Option<String> {
    serde_json::from_str::<Problem>(&reply.body)
        .ok()
        .map(|p| slug(&p).to_owned())
}

/// Digits of a one-time code as typed or pasted ("123 456" → "123456"),
/// or a recovery code as typed.
pub fn clean_code(raw: &str) -> String {
    let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.chars().all(|c| c.is_ascii_digit()) {
        compact
    } else {
        raw.trim().to_owned()
    }
}

/// Whether a typed code is a complete six-digit code (submit on its own).
pub fn is_complete_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn reply(status: u16, body: serde_json::Value) -> Reply {
        Reply {
            status,
            body: body.to_string(),
            session_id: None,
            retry_after: None,
        }
    }

    fn failed(data: serde_json::Value) -> Reply {
        reply(200, json!({"authenticated": false, "data": data}))
    }

    const P: &str = "https://api.backend.ai/probs/";

    #[test]
    fn every_login_answer_of_the_protocol() {
        let ok = Reply {
            session_id: Some("s".into()),
            ..reply(
                200,
                json!({"authenticated": true, "data": {"access_key": "AK", "role": "user", "status": "active"}}),
            )
        };
        assert!(
            matches!(login_outcome(&ok), LoginOutcome::LoggedIn { session_id: Some(ref s), .. } if s == "s")
        );

        let cases = [
            (
                failed(
                    json!({"type": format!("{P}auth-failed"), "title": "t", "details": "User credential mismatch."}),
                ),
                LoginOutcome::Refused(Refusal::Mismatch),
            ),
            (
                failed(
                    json!({"type": format!("{P}auth-failed"), "title": "t", "details": "This account needs email verification."}),
                ),
                LoginOutcome::Refused(Refusal::NeedsVerification),
            ),
            (
                failed(
                    json!({"type": format!("{P}auth-failed"), "title": "t", "details": "This account has been disabled. Contact your administrator."}),
                ),
                LoginOutcome::Refused(Refusal::AccountDisabled),
            ),
            (
                failed(
                    json!({"type": format!("{P}password-expired"), "title": "Password has expired.", "details": "Password expired on 2024-01-01"}),
                ),
                LoginOutcome::Refused(Refusal::PasswordExpired),
            ),
            (
                failed(
                    json!({"type": format!("{P}require-totp-authentication"), "title": "t", "details": "OTP not provided"}),
                ),
                LoginOutcome::OtpRequired,
            ),
            // The 23.09 plugin's way of asking.
            (
                failed(
                    json!({"type": format!("{P}rejected-by-hook"), "title": "t", "details": "OTP not provided"}),
                ),
                LoginOutcome::OtpRequired,
            ),
            (
                failed(
                    json!({"type": format!("{P}rejected-by-hook"), "title": "t", "details": "Invalid TOTP code provided"}),
                ),
                LoginOutcome::OtpInvalid,
            ),
            (
                failed(
                    json!({"type": format!("{P}rejected-by-hook"), "title": "t", "details": "Failed to validate OTP"}),
                ),
                LoginOutcome::OtpInvalid,
            ),
            (
                failed(
                    json!({"type": format!("{P}require-totp-registration"), "title": "t", "details": "d", "two_factor_registration_token": "tok"}),
                ),
                LoginOutcome::TotpRegistration("tok".into()),
            ),
            (
                failed(
                    json!({"type": format!("{P}active-login-session-exists"), "title": "t", "details": null}),
                ),
                LoginOutcome::Conflict(Vec::new()),
            ),
            (
                reply(
                    429,
                    json!({"type": format!("{P}too-many-requests"), "title": "Too many failed login attempts", "retry_after": 1199}),
                ),
                LoginOutcome::Locked(Some(1199)),
            ),
            (
                reply(
                    429,
                    json!({"type": format!("{P}too-many-requests"), "title": "Too many failed login attempts"}),
                ),
                LoginOutcome::Locked(None),
            ),
            (
                reply(
                    429,
                    json!({"type": format!("{P}login-blocked"), "title": "Too many failed login attempts."}),
                ),
                LoginOutcome::Locked(None),
            ),
            (
                reply(
                    429,
                    json!({"type": format!("{P}too-many-requests"), "title": "t", "details": "Password login is off after too many failures"}),
                ),
                LoginOutcome::Refused(Refusal::PasswordLoginOff),
            ),
            (
                reply(
                    429,
                    json!({"type": format!("{P}rate-limit-exceeded"), "title": "t", "retry_after": 12}),
                ),
                LoginOutcome::RateLimited(Some(12)),
            ),
            (
                reply(
                    400,
                    json!({"type": format!("{P}generic-bad-request"), "title": "You have already logged in."}),
                ),
                LoginOutcome::Refused(Refusal::AlreadyLoggedIn),
            ),
            (
                reply(
                    400,
                    json!({"type": format!("{P}invalid-api-params"), "title": "You must provide the username field.", "field": "username"}),
                ),
                LoginOutcome::Refused(Refusal::BadRequest("username".into())),
            ),
            (
                reply(
                    502,
                    json!({"type": format!("{P}bad-gateway"), "title": "The proxy target server is inaccessible."}),
                ),
                LoginOutcome::Refused(Refusal::BadGateway),
            ),
            (
                Reply {
                    body: "<html>".into(),
                    ..reply(502, json!(null))
                },
                LoginOutcome::Refused(Refusal::BadGateway),
            ),
            (
                Reply {
                    body: "".into(),
                    retry_after: Some(30),
                    ..reply(429, json!(null))
                },
                LoginOutcome::Locked(Some(30)),
            ),
        ];
        for (reply, expected) in cases {
            assert_eq!(login_outcome(&reply), expected, "{}", reply.body);
        }
    }

    #[test]
    fn the_companion_lists_sessions_in_a_conflict() {
        let answer = failed(
            json!({"type": format!("{P}active-login-session-exists"), "title": "t", "details": null,
            "sessions": [{"id": "a", "created_at": "2026-11-22T08:00:00Z", "last_seen_at": "2026-11-22T08:00:00Z",
                          "expires_at": "2026-11-22T09:00:00Z", "ip": "127.0.0.1", "user_agent": "UA", "current": false}]}),
        );
        match login_outcome(&answer) {
            LoginOutcome::Conflict(sessions) => assert_eq!(sessions[0].id, "a"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn health_from_the_version_answer() {
        assert_eq!(
            health(&reply(
                200,
                json!({"version": "v8.20240915", "manager": "24.09.0", "baigate": "0.1.0"})
            )),
            Health::Companion("0.1.0".into())
        );
        assert_eq!(
            health(&reply(
                200,
                json!({"version": "v7.20230615", "manager": "23.09.10"})
            )),
            Health::BackendAi("23.09.10".into())
        );
        assert_eq!(health(&reply(404, json!({}))), Health::NotBackendAi);
        assert_eq!(
            health(&Reply {
                body: "<html>hi</html>".into(),
                ..reply(200, json!(null))
            }),
            Health::NotBackendAi
        );
    }

    #[test]
    fn endpoints() {
        let cases = [
            ("http://127.0.0.1:8090", Some("http://127.0.0.1:8090")),
            (
                " https://webui.example.com/ ",
                Some("https://webui.example.com"),
            ),
            (
                "https://example.com/backend",
                Some("https://example.com/backend"),
            ),
            ("127.0.0.1:8090", None),
            ("ftp://x", None),
            ("http://", None),
            ("http://a b", None),
            ("http://x/?q", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(normalize_endpoint(raw).as_deref(), expected, "{raw}");
        }
    }

    #[test]
    fn access_is_asked_for_all_but_loopback() {
        let cases = [
            ("http://127.0.0.1:8090", None),
            ("http://localhost:8090/x", None),
            ("https://127.0.0.1:8443", Some("https://127.0.0.1/*")),
            (
                "https://WebUI.example.com:8443/backend",
                Some("https://webui.example.com/*"),
            ),
            ("http://10.0.0.5:8090", Some("http://10.0.0.5/*")),
            ("http://[::1]:8090", Some("http://[::1]/*")),
        ];
        for (endpoint, expected) in cases {
            assert_eq!(access_pattern(endpoint).as_deref(), expected, "{endpoint}");
        }
    }

    #[test]
    fn codes_as_typed_or_pasted() {
        assert_eq!(clean_code(" 123 456 "), "123456");
        assert!(is_complete_code(&clean_code("123 456")));
        assert!(!is_complete_code("12345"));
        assert_eq!(clean_code("ABCD-EFGH-IJKL-MNOP"), "ABCD-EFGH-IJKL-MNOP");
    }
}
