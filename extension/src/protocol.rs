//! What the answers of a Backend.AI webserver (or a baigate companion) mean.
//! Pure functions of status and body, so every case is tested natively.

use std::fmt;

use baigate_shared::password::PasswordPolicy;
use baigate_shared::problem::ProblemType;
use baigate_shared::sessions::SessionSummary;
use baigate_shared::webserver::{AccountInfo, VersionResponse, wording};
use serde::{Deserialize, Serialize};

use crate::platform::net::Reply;
use crate::text::Text;

/// A problem answer as the popup reads it: the members it acts on, flat and
/// typed; anything else is ignored. (The shared `Problem` keeps extension
/// members in a JSON map, which costs the popup's wasm far more to read.)
#[derive(Debug, Clone, Default, Deserialize)]
struct Problem {
    #[serde(rename = "type", default)]
    problem_type: Option<ProblemType>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    retry_after: Option<u64>,
    /// `require-totp-registration`'s token.
    #[serde(default)]
    two_factor_registration_token: Option<String>,
    /// A companion's `active-login-session-exists` lists the sessions.
    #[serde(default)]
    sessions: Option<Vec<SessionSummary>>,
    // The account members, when this is the `data` of a successful login.
    #[serde(default)]
    access_key: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

impl Problem {
    fn title(&self) -> String {
        self.title.clone().unwrap_or_default()
    }
}

/// `/server/login`'s answer: `data` is the account or a problem.
#[derive(Debug, Deserialize)]
struct LoginAnswer {
    #[serde(default)]
    authenticated: bool,
    data: Option<Problem>,
}

/// A problem document, if the body is one.
fn problem_of(reply: &Reply) -> Option<Problem> {
    serde_json::from_str::<Problem>(&reply.body)
        .ok()
        .filter(|p| p.problem_type.is_some())
}

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

/// The authority of an endpoint (`host[:port]`, lower case).
fn authority_of(endpoint: &str) -> Option<(&str, String)> {
    let (scheme, rest) = endpoint.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    (!authority.is_empty()).then_some((scheme, authority))
}

/// The host of an authority, an IPv6 literal with its brackets.
fn host_in(authority: &str) -> &str {
    match authority.strip_prefix('[') {
        Some(v6) => v6.find(']').map_or(authority, |end| &authority[..end + 2]),
        None => authority.split(':').next().unwrap_or(authority),
    }
}

/// Whether `host` (lower case, an IPv6 literal in brackets) is this
/// computer: `localhost` and its subdomains (which browsers resolve to
/// loopback themselves), 127.0.0.0/8 and `[::1]`.
pub fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether logging in to `endpoint` sends the password across a network in
/// clear: plain `http://` to another computer.
pub fn sends_in_clear(endpoint: &str) -> bool {
    match authority_of(endpoint) {
        Some((scheme, authority)) => {
            scheme.eq_ignore_ascii_case("http") && !is_loopback_host(host_in(&authority))
        }
        None => false,
    }
}

/// An endpoint's origin as the browser writes it (`sender.origin`): the
/// scheme, the lower-case host and the port unless it is the scheme's
/// default.
pub fn origin_of(endpoint: &str) -> Option<String> {
    let (scheme, _) = authority_of(endpoint)?;
    Some(format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        host_of(endpoint)?
    ))
}

/// The match pattern of an endpoint's origin with its port, the default
/// port written out (a pattern without a port matches every port).
pub fn origin_pattern(endpoint: &str) -> Option<String> {
    let (scheme, authority) = authority_of(endpoint)?;
    let scheme = scheme.to_ascii_lowercase();
    let host = host_in(&authority);
    let port = match authority[host.len()..].strip_prefix(':') {
        Some(port) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => port,
        Some(_) => return None,
        None if scheme == "https" => "443",
        None if scheme == "http" => "80",
        None => return None,
    };
    Some(format!("{scheme}://{host}:{port}/*"))
}

/// The realm name of an endpoint's OpenID login that gives none ("Login
/// with OpenID", as the WebUI says).
pub const DEFAULT_REALM: &str = "OpenID";
/// The `details` of a token login whose single sign-on token is unknown,
/// spent or expired (a companion's, as Backend.AI's OpenID hook words it).
use baigate_shared::webserver::wording::INVALID_SSO_TOKEN;

/// What an endpoint offers besides logging in, from the WebUI settings it
/// serves (`/config.toml`, `[general]`), as the Backend.AI WebUI reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Features {
    /// `signupSupport`: a signup form is offered.
    pub signup: bool,
    /// Not `allowSignupWithoutConfirmation`: signup needs an invitation token.
    pub invitation_required: bool,
    /// `allowAnonymousChangePassword`: "forgot password" by mail.
    pub password_reset: bool,
    /// When `singleSignOnVendors` lists `openid`: the realm name of the
    /// "Login with <realm>" button (`ssoRealmName`, or "OpenID").
    pub openid_realm: Option<String>,
    /// When `singleSignOnVendors` lists `saml`: "Login with SAML".
    pub saml: bool,
    /// `enableExtendLoginSession`: the WebUI offers to extend a session
    /// (when the manager also supports it: [`extends_sessions`]).
    pub extend_login_session: bool,
}

/// What the endpoint in use offers, once known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointInfo {
    pub endpoint: String,
    pub features: Features,
    /// The endpoint's own policy (a companion's); `None` means the
    /// Backend.AI manual's rule applies.
    pub policy: Option<PasswordPolicy>,
}

/// A two-factor secret to register, as the endpoint gave it.
#[derive(Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// Base32, for typing into an authenticator by hand.
    pub key: String,
    /// `otpauth://…`, for the QR code.
    pub uri: String,
}

impl fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Enrolment { .. }")
    }
}

/// A TOML value as text: a basic (`"…"`, with escapes) or literal (`'…'`)
/// string up to its closing quote, or a bare value up to a comment.
fn toml_text(value: &str) -> String {
    let value = value.trim();
    if let Some(literal) = value.strip_prefix('\'') {
        return literal.split('\'').next().unwrap_or_default().to_owned();
    }
    let Some(basic) = value.strip_prefix('"') else {
        return value
            .split('#')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
    };
    let mut text = String::new();
    let mut chars = basic.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('n') => text.push('\n'),
                Some('t') => text.push('\t'),
                Some('u') => {
                    let code: String = chars.by_ref().take(4).collect();
                    text.extend(u32::from_str_radix(&code, 16).ok().and_then(char::from_u32));
                }
                Some(other) => text.push(other),
                None => break,
            },
            c => text.push(c),
        }
    }
    text
}

/// Reads what the popup acts on in the `[general]` table of a WebUI
/// `config.toml`: `key = true|false` flags and the single sign-on strings.
/// This is a line scan rather than a TOML parser; anything else, or a
/// missing key, counts as false or absent.
pub fn webui_features(config: &str) -> Features {
    let mut in_general = false;
    let mut signup = false;
    let mut without_token = false;
    let mut password_reset = false;
    let mut extend_login_session = false;
    let mut vendors = String::new();
    let mut realm = String::new();
    for line in config.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_general = line.split('#').next().unwrap_or_default().trim() == "[general]";
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if !in_general {
            continue;
        }
        let text = toml_text(value);
        let flag = text == "true";
        match key.trim() {
            "signupSupport" => signup = flag,
            "allowSignupWithoutConfirmation" => without_token = flag,
            "allowAnonymousChangePassword" => password_reset = flag,
            "enableExtendLoginSession" => extend_login_session = flag,
            "singleSignOnVendors" => vendors = text,
            "ssoRealmName" => realm = text.trim().to_owned(),
            _ => {}
        }
    }
    // A comma-separated string, as the WebUI splits it.
    let offers = |name: &str| vendors.split(',').any(|vendor| vendor.trim() == name);
    let openid = offers("openid");
    let openid_realm = openid.then(|| {
        if realm.is_empty() {
            DEFAULT_REALM.to_owned()
        } else {
            realm
        }
    });
    Features {
        signup,
        invitation_required: signup && !without_token,
        password_reset,
        openid_realm,
        saml: offers("saml"),
        extend_login_session,
    }
}

/// A signup form field a refusal can point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    Email,
    Username,
    Password,
    Token,
    Agreement,
    Otp,
}

impl FormField {
    fn from_wire(name: &str) -> Option<Self> {
        match name {
            "email" => Some(Self::Email),
            "username" | "user_name" => Some(Self::Username),
            "password" | "new_password" => Some(Self::Password),
            "token" => Some(Self::Token),
            "agreement" => Some(Self::Agreement),
            "otp" => Some(Self::Otp),
            _ => None,
        }
    }
}

/// A refused form (signup, password mail, 2FA setup): its message, the
/// server's own words when they add something, and the field it belongs
/// next to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormRefusal {
    pub text: Text,
    pub detail: Option<String>,
    pub field: Option<FormField>,
    /// The problem type the server named (its slug: `invalid-invitation`),
    /// for scripts that read the refusal (`data-problem`).
    pub problem: Option<String>,
}

impl FormRefusal {
    fn new(text: Text, field: Option<FormField>) -> Self {
        Self {
            text,
            detail: None,
            field,
            problem: None,
        }
    }
}

/// Reads a refused form (signup, password mail, 2FA setup) answer.
pub fn form_refusal(reply: &Reply) -> FormRefusal {
    let problem = problem_of(reply)
        .and_then(|problem| problem.problem_type)
        .map(|kind| kind.slug().to_owned());
    FormRefusal {
        problem,
        ..form_refusal_words(reply)
    }
}

/// What a refused form says, and where.
fn form_refusal_words(reply: &Reply) -> FormRefusal {
    let Some(problem) = problem_of(reply) else {
        return match reply.status {
            429 => FormRefusal::new(Text::ErrorRateLimitedNoTime, None),
            502..=504 => FormRefusal::new(Text::ErrorBadGateway, None),
            404 | 405 => FormRefusal::new(Text::ErrorNotOffered, None),
            status => FormRefusal {
                detail: Some(format!("HTTP {status}")),
                ..FormRefusal::new(Text::ErrorOther, None)
            },
        };
    };
    let field = problem.field.as_deref().and_then(FormField::from_wire);
    let title = problem.title();
    let words = problem.details.clone().unwrap_or_else(|| title.clone());
    let with_words = |text: Text, field: Option<FormField>| FormRefusal {
        detail: Some(words.clone()),
        ..FormRefusal::new(text, field)
    };
    let problem_type = problem
        .problem_type
        .clone()
        .unwrap_or(ProblemType::Other(String::new()));
    match &problem_type {
        ProblemType::EmailAlreadyExists => {
            FormRefusal::new(Text::ErrorEmailTaken, Some(FormField::Email))
        }
        // Backend.AI 23.09 says it in a generic answer.
        ProblemType::GenericBadRequest if title.contains(wording::EMAIL_EXISTS) => {
            FormRefusal::new(Text::ErrorEmailTaken, Some(FormField::Email))
        }
        ProblemType::UsernameAlreadyExists => {
            FormRefusal::new(Text::ErrorUsernameTaken, Some(FormField::Username))
        }
        ProblemType::InvitationRequired => {
            FormRefusal::new(Text::ErrorInvitationRequired, Some(FormField::Token))
        }
        ProblemType::InvalidInvitation => {
            FormRefusal::new(Text::ErrorInvitationInvalid, Some(FormField::Token))
        }
        ProblemType::SignupDisabled => FormRefusal::new(Text::ErrorSignupClosed, None),
        ProblemType::PasswordResetDisabled => FormRefusal::new(Text::ErrorNotOffered, None),
        ProblemType::RejectedByHook if field == Some(FormField::Password) => {
            with_words(Text::ErrorPasswordPolicy, field)
        }
        ProblemType::InvalidToken | ProblemType::ExpiredToken => {
            FormRefusal::new(Text::ErrorSetupExpired, None)
        }
        ProblemType::TotpAuthFailed | ProblemType::RejectedByHook => {
            FormRefusal::new(Text::OtpInvalid, Some(FormField::Otp))
        }
        ProblemType::AuthFailed => {
            FormRefusal::new(Text::ErrorReauthFailed, field.or(Some(FormField::Otp)))
        }
        ProblemType::RateLimitExceeded | ProblemType::TooManyRequests => {
            FormRefusal::new(Text::ErrorRateLimitedNoTime, None)
        }
        ProblemType::BadGateway => FormRefusal::new(Text::ErrorBadGateway, None),
        ProblemType::InvalidApiParams if field == Some(FormField::Agreement) => {
            FormRefusal::new(Text::ErrorAgreement, field)
        }
        ProblemType::InvalidApiParams if field.is_some() => {
            with_words(Text::ErrorFieldInvalid, field)
        }
        _ => with_words(Text::ErrorOther, field),
    }
}

/// The `Host` a browser sends for an endpoint: its authority, without the
/// scheme's default port.
pub fn host_of(endpoint: &str) -> Option<String> {
    let (scheme, rest) = endpoint.split_once("://")?;
    let authority = rest.split('/').next()?.to_ascii_lowercase();
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    Some(
        authority
            .strip_suffix(default_port)
            .map_or_else(|| authority.clone(), str::to_owned),
    )
}

/// The path prefix of an endpoint (`/backend` of `https://x/backend`).
pub fn path_prefix(endpoint: &str) -> &str {
    endpoint
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or_default()
}

/// What checking an API keypair found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeypairCheck {
    /// The keys work; the account's role.
    Valid {
        role: String,
    },
    Mismatch,
    /// The computer's clock is too far from the server's.
    ClockSkew,
    Refused(FormRefusal),
}

/// Reads the answer of a signed `GET /auth/role`.
pub fn keypair_check(reply: &Reply) -> KeypairCheck {
    #[derive(serde::Deserialize)]
    struct Role {
        global_role: String,
    }
    if (200..300).contains(&reply.status)
        && let Ok(role) = serde_json::from_str::<Role>(&reply.body)
    {
        return KeypairCheck::Valid {
            role: role.global_role,
        };
    }
    match problem_of(reply) {
        Some(problem) if problem.problem_type == Some(ProblemType::AuthFailed) => {
            KeypairCheck::Mismatch
        }
        Some(problem)
            if problem.problem_type == Some(ProblemType::InvalidAuthParams)
                && problem.title().contains("Date") =>
        {
            KeypairCheck::ClockSkew
        }
        _ if reply.status == 401 => KeypairCheck::Mismatch,
        _ => KeypairCheck::Refused(form_refusal(reply)),
    }
}

/// The invitation token in an invitation link (`…/signup?token=X`, or the
/// WebUI's `…/?token=X`), or the token itself when that is what was pasted.
pub fn invitation_token(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if !text.contains("://") {
        return (!text.contains(char::is_whitespace)).then(|| text.to_owned());
    }
    let query = text.split_once('?')?.1.split('#').next()?;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == "token")
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

/// The endpoint an invitation link belongs to: its origin.
pub fn link_origin(link: &str) -> Option<String> {
    let (scheme, rest) = link.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    normalize_endpoint(&format!("{scheme}://{authority}"))
}

/// Why a login was refused, for the message the user reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoginRefusal {
    Mismatch,
    NeedsVerification,
    AccountDisabled,
    PasswordExpired,
    /// Password login is off until a reset (too many failures across locks).
    PasswordLoginOff,
    AlreadyLoggedIn,
    /// A single sign-on token that is unknown, spent or expired.
    SsoTokenInvalid,
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
        /// The account's email, when the server says (23.09 does not).
        email: Option<String>,
    },
    NotLoggedIn(NotLoggedIn),
}

/// A login answer that did not log in: the step that comes next, or why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NotLoggedIn {
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
    Refused(LoginRefusal),
}

/// The outcome of a problem found in a login answer (the `data` of an
/// `authenticated: false`, or a top-level problem document). baigate's own
/// refusals are told apart by their type; Backend.AI's by its wordings
/// (`wording`), for real Backend.AI servers.
fn problem_outcome(problem: &Problem, retry_after: Option<u64>) -> NotLoggedIn {
    let details = problem.details.as_deref().unwrap_or_default();
    let title = problem.title();
    let problem_type = problem
        .problem_type
        .clone()
        .unwrap_or(ProblemType::Other(String::new()));
    match &problem_type {
        ProblemType::RequireTotpAuthentication => NotLoggedIn::OtpRequired,
        ProblemType::RequireTotpRegistration => match &problem.two_factor_registration_token {
            Some(token) => NotLoggedIn::TotpRegistration(token.clone()),
            None => NotLoggedIn::Refused(LoginRefusal::Other(title)),
        },
        // Older servers ask for the code this way.
        _ if details.contains(wording::OTP_NOT_PROVIDED) => NotLoggedIn::OtpRequired,
        ProblemType::RejectedByHook
            if details.contains(wording::INVALID_OTP)
                || details.contains(wording::OTP_VALIDATION_FAILED) =>
        {
            NotLoggedIn::OtpInvalid
        }
        ProblemType::RejectedByHook if details.contains(INVALID_SSO_TOKEN) => {
            NotLoggedIn::Refused(LoginRefusal::SsoTokenInvalid)
        }
        ProblemType::ActiveLoginSessionExists => {
            NotLoggedIn::Conflict(problem.sessions.clone().unwrap_or_default())
        }
        ProblemType::PasswordLoginDisabled => NotLoggedIn::Refused(LoginRefusal::PasswordLoginOff),
        ProblemType::TooManyRequests => NotLoggedIn::Locked(problem.retry_after.or(retry_after)),
        ProblemType::Other(other) if other == "login-blocked" => {
            NotLoggedIn::Locked(problem.retry_after.or(retry_after))
        }
        ProblemType::RateLimitExceeded => {
            NotLoggedIn::RateLimited(problem.retry_after.or(retry_after))
        }
        ProblemType::PasswordExpired => NotLoggedIn::Refused(LoginRefusal::PasswordExpired),
        ProblemType::AccountDisabled => NotLoggedIn::Refused(LoginRefusal::AccountDisabled),
        ProblemType::AuthFailed if details.contains(wording::NEEDS_VERIFICATION) => {
            NotLoggedIn::Refused(LoginRefusal::NeedsVerification)
        }
        ProblemType::AuthFailed => NotLoggedIn::Refused(LoginRefusal::Mismatch),
        ProblemType::GenericBadRequest if title.contains(wording::ALREADY_LOGGED_IN) => {
            NotLoggedIn::Refused(LoginRefusal::AlreadyLoggedIn)
        }
        ProblemType::InvalidApiParams => NotLoggedIn::Refused(LoginRefusal::BadRequest(
            problem.field.clone().unwrap_or(title),
        )),
        ProblemType::BadGateway => NotLoggedIn::Refused(LoginRefusal::BadGateway),
        _ => NotLoggedIn::Refused(LoginRefusal::Other(if details.is_empty() {
            title
        } else {
            format!("{title} {details}")
        })),
    }
}

/// `data.email` of a login answer, when the server sends one.
fn answered_email(body: &str) -> Option<String> {
    let answer: serde_json::Value = serde_json::from_str(body).ok()?;
    answer["data"]["email"]
        .as_str()
        .map(str::trim)
        .filter(|email| !email.is_empty())
        .map(str::to_owned)
}

/// Whether the endpoint lets a session be extended, by the WebUI's rule: its
/// manager is 24.09 or later (`extend-login-session`) and its `config.toml`
/// turns it on (`enableExtendLoginSession`). A companion's `/func/` names
/// no manager of its own, but it has the route.
pub fn extends_sessions(health: &Health, features: &Features) -> bool {
    features.extend_login_session
        && match health {
            Health::Companion(_) => true,
            Health::BackendAi(manager) => version_at_least(manager, (24, 9)),
            _ => false,
        }
}

/// Whether a version such as `23.09.10` (or `24.09.1rc1`) is at least
/// `(major, minor)`.
fn version_at_least(version: &str, (major, minor): (u32, u32)) -> bool {
    let mut numbers = version.trim_start_matches('v').split('.').map(|part| {
        part.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse::<u32>()
            .ok()
    });
    match (numbers.next().flatten(), numbers.next().flatten()) {
        (Some(found_major), Some(found_minor)) => (found_major, found_minor) >= (major, minor),
        _ => false,
    }
}

/// Reads the answer of `POST /server/login`.
pub fn login_outcome(reply: &Reply) -> LoginOutcome {
    let not_logged_in = |why: NotLoggedIn| LoginOutcome::NotLoggedIn(why);
    if let Ok(LoginAnswer {
        authenticated,
        data: Some(data),
    }) = serde_json::from_str::<LoginAnswer>(&reply.body)
    {
        return match (authenticated, data.access_key.clone()) {
            (true, Some(access_key)) => LoginOutcome::LoggedIn {
                session_id: reply.session_id.clone(),
                account: AccountInfo {
                    access_key,
                    role: data.role.unwrap_or_default(),
                    status: data.status.unwrap_or_default(),
                },
                email: answered_email(&reply.body),
            },
            _ if data.problem_type.is_some() => {
                not_logged_in(problem_outcome(&data, reply.retry_after))
            }
            _ => not_logged_in(NotLoggedIn::Refused(LoginRefusal::Mismatch)),
        };
    }
    if let Some(problem) = problem_of(reply) {
        return not_logged_in(problem_outcome(&problem, reply.retry_after));
    }
    not_logged_in(match reply.status {
        429 => NotLoggedIn::Locked(reply.retry_after),
        502..=504 => NotLoggedIn::Refused(LoginRefusal::BadGateway),
        status => NotLoggedIn::Refused(LoginRefusal::Other(format!("HTTP {status}"))),
    })
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
            matches!(login_outcome(&ok), LoginOutcome::LoggedIn { session_id: Some(ref s), email: None, .. } if s == "s")
        );
        let with_email = reply(
            200,
            json!({"authenticated": true, "data": {"access_key": "AK", "role": "user", "status": "active", "email": "kim@example.com"}}),
        );
        assert!(
            matches!(login_outcome(&with_email), LoginOutcome::LoggedIn { email: Some(ref e), .. } if e == "kim@example.com")
        );

        let cases = [
            (
                failed(
                    json!({"type": ProblemType::AuthFailed.url(), "title": "t", "details": "User credential mismatch."}),
                ),
                NotLoggedIn::Refused(LoginRefusal::Mismatch),
            ),
            // A token login with a spent or expired single sign-on token.
            (
                failed(
                    json!({"type": ProblemType::RejectedByHook.url(), "title": "Authentication failed", "details": "Invalid authentication token"}),
                ),
                NotLoggedIn::Refused(LoginRefusal::SsoTokenInvalid),
            ),
            (
                failed(
                    json!({"type": ProblemType::AuthFailed.url(), "title": "t", "details": wording::NEEDS_VERIFICATION}),
                ),
                NotLoggedIn::Refused(LoginRefusal::NeedsVerification),
            ),
            // baigate's own refusals are read by their type alone, whatever
            // the words (so a reworded companion cannot break the popup).
            (
                failed(
                    json!({"type": ProblemType::AccountDisabled.url(), "title": "t", "details": "any words"}),
                ),
                NotLoggedIn::Refused(LoginRefusal::AccountDisabled),
            ),
            (
                failed(
                    json!({"type": ProblemType::AuthFailed.url(), "title": "t", "details": "This account has been disabled."}),
                ),
                NotLoggedIn::Refused(LoginRefusal::Mismatch),
            ),
            (
                failed(
                    json!({"type": ProblemType::PasswordExpired.url(), "title": "Password has expired.", "details": "Password expired on 2024-01-01"}),
                ),
                NotLoggedIn::Refused(LoginRefusal::PasswordExpired),
            ),
            (
                failed(
                    json!({"type": ProblemType::RequireTotpAuthentication.url(), "title": "t", "details": wording::OTP_NOT_PROVIDED}),
                ),
                NotLoggedIn::OtpRequired,
            ),
            // The 23.09 plugin's way of asking.
            (
                failed(
                    json!({"type": ProblemType::RejectedByHook.url(), "title": "t", "details": wording::OTP_NOT_PROVIDED}),
                ),
                NotLoggedIn::OtpRequired,
            ),
            (
                failed(
                    json!({"type": ProblemType::RejectedByHook.url(), "title": "t", "details": wording::INVALID_OTP}),
                ),
                NotLoggedIn::OtpInvalid,
            ),
            (
                failed(
                    json!({"type": ProblemType::RejectedByHook.url(), "title": "t", "details": wording::OTP_VALIDATION_FAILED}),
                ),
                NotLoggedIn::OtpInvalid,
            ),
            (
                failed(
                    json!({"type": ProblemType::RequireTotpRegistration.url(), "title": "t", "details": "d", "two_factor_registration_token": "tok"}),
                ),
                NotLoggedIn::TotpRegistration("tok".into()),
            ),
            (
                failed(
                    json!({"type": ProblemType::ActiveLoginSessionExists.url(), "title": "t", "details": null}),
                ),
                NotLoggedIn::Conflict(Vec::new()),
            ),
            (
                reply(
                    429,
                    json!({"type": ProblemType::TooManyRequests.url(), "title": "Too many failed login attempts", "retry_after": 1199}),
                ),
                NotLoggedIn::Locked(Some(1199)),
            ),
            (
                reply(
                    429,
                    json!({"type": ProblemType::TooManyRequests.url(), "title": "Too many failed login attempts"}),
                ),
                NotLoggedIn::Locked(None),
            ),
            (
                reply(
                    429,
                    json!({"type": ProblemType::Other("login-blocked".into()).url(), "title": "Too many failed login attempts."}),
                ),
                NotLoggedIn::Locked(None),
            ),
            (
                reply(
                    429,
                    json!({"type": ProblemType::PasswordLoginDisabled.url(), "title": "t", "details": "any words"}),
                ),
                NotLoggedIn::Refused(LoginRefusal::PasswordLoginOff),
            ),
            (
                reply(
                    429,
                    json!({"type": ProblemType::TooManyRequests.url(), "title": "t", "details": "Password login is off after too many failures"}),
                ),
                NotLoggedIn::Locked(None),
            ),
            (
                reply(
                    429,
                    json!({"type": ProblemType::RateLimitExceeded.url(), "title": "t", "retry_after": 12}),
                ),
                NotLoggedIn::RateLimited(Some(12)),
            ),
            (
                reply(
                    400,
                    json!({"type": ProblemType::GenericBadRequest.url(), "title": wording::ALREADY_LOGGED_IN}),
                ),
                NotLoggedIn::Refused(LoginRefusal::AlreadyLoggedIn),
            ),
            (
                reply(
                    400,
                    json!({"type": ProblemType::InvalidApiParams.url(), "title": "You must provide the username field.", "field": "username"}),
                ),
                NotLoggedIn::Refused(LoginRefusal::BadRequest("username".into())),
            ),
            (
                reply(
                    502,
                    json!({"type": ProblemType::BadGateway.url(), "title": "The proxy target server is inaccessible."}),
                ),
                NotLoggedIn::Refused(LoginRefusal::BadGateway),
            ),
            (
                Reply {
                    body: "<html>".into(),
                    ..reply(502, json!(null))
                },
                NotLoggedIn::Refused(LoginRefusal::BadGateway),
            ),
            (
                Reply {
                    body: "".into(),
                    retry_after: Some(30),
                    ..reply(429, json!(null))
                },
                NotLoggedIn::Locked(Some(30)),
            ),
        ];
        for (reply, expected) in cases {
            assert_eq!(
                login_outcome(&reply),
                LoginOutcome::NotLoggedIn(expected),
                "{}",
                reply.body
            );
        }
    }

    #[test]
    fn the_companion_lists_sessions_in_a_conflict() {
        let answer = failed(
            json!({"type": ProblemType::ActiveLoginSessionExists.url(), "title": "t", "details": null,
            "sessions": [{"id": "a", "created_at": "2026-11-22T08:00:00Z", "last_seen_at": "2026-11-22T08:00:00Z",
                          "expires_at": "2026-11-22T09:00:00Z", "ip": "127.0.0.1", "user_agent": "UA", "current": false}]}),
        );
        match login_outcome(&answer) {
            LoginOutcome::NotLoggedIn(NotLoggedIn::Conflict(sessions)) => {
                assert_eq!(sessions[0].id, "a")
            }
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
    fn plain_http_to_another_computer_sends_in_clear() {
        let cases = [
            ("http://127.0.0.1:8090", false),
            ("http://127.8.9.10", false),
            ("http://LOCALHOST:8090/backend", false),
            ("http://webui.localhost:8080", false),
            ("http://[::1]:8090", false),
            ("https://ai.example.com", false),
            ("https://10.0.0.5:8443", false),
            ("http://10.0.0.5:8090", true),
            ("http://ai.example.com/backend", true),
            ("HTTP://192.168.1.2", true),
            ("http://[fe80::1]:8090", true),
            ("http://localhost.example.com", true),
            ("http://128.0.0.1", true),
        ];
        for (endpoint, expected) in cases {
            assert_eq!(sends_in_clear(endpoint), expected, "{endpoint}");
        }
    }

    #[test]
    fn origins_and_their_patterns_keep_the_port() {
        let cases = [
            (
                "http://127.0.0.1:8090",
                "http://127.0.0.1:8090",
                "http://127.0.0.1:8090/*",
            ),
            (
                "https://WebUI.example.com/backend",
                "https://webui.example.com",
                "https://webui.example.com:443/*",
            ),
            (
                "http://ai.example.com:80",
                "http://ai.example.com",
                "http://ai.example.com:80/*",
            ),
            (
                "http://localhost",
                "http://localhost",
                "http://localhost:80/*",
            ),
            (
                "http://[::1]:8090/x",
                "http://[::1]:8090",
                "http://[::1]:8090/*",
            ),
        ];
        for (endpoint, origin, pattern) in cases {
            assert_eq!(origin_of(endpoint).as_deref(), Some(origin), "{endpoint}");
            assert_eq!(
                origin_pattern(endpoint).as_deref(),
                Some(pattern),
                "{endpoint}"
            );
        }
        assert_eq!(origin_pattern("http://x:port"), None);
        assert_eq!(origin_pattern("ftp://x"), None);
        assert_eq!(origin_of("no scheme"), None);
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
    fn what_an_endpoint_offers_from_its_webui_settings() {
        let companion = "[general]\napiEndpoint = \"http://x\"\nsignupSupport = true # yes\n\
            allowAnonymousChangePassword = true\nallowSignupWithoutConfirmation = false\n\
            enableExtendLoginSession = true\n[menu]\nsignupSupport = false\n";
        assert_eq!(
            webui_features(companion),
            Features {
                signup: true,
                invitation_required: true,
                password_reset: true,
                openid_realm: None,
                saml: false,
                extend_login_session: true,
            }
        );
        let open = "[general]\nsignupSupport = true\nallowSignupWithoutConfirmation = true\n";
        assert_eq!(
            webui_features(open),
            Features {
                signup: true,
                invitation_required: false,
                password_reset: false,
                openid_realm: None,
                saml: false,
                extend_login_session: false,
            }
        );
        assert_eq!(webui_features("<html>not toml</html>"), Features::default());
    }

    #[test]
    fn sessions_are_extended_only_where_the_webui_would_offer_it() {
        let on = Features {
            extend_login_session: true,
            ..Features::default()
        };
        let off = Features::default();
        let webserver = |manager: &str| Health::BackendAi(manager.to_owned());
        assert!(extends_sessions(&webserver("24.09.0"), &on));
        assert!(extends_sessions(&webserver("25.15.2"), &on));
        assert!(extends_sessions(&webserver("24.09.1rc1"), &on));
        assert!(!extends_sessions(&webserver("23.09.10"), &on), "23.09");
        assert!(!extends_sessions(&webserver("24.03.9"), &on));
        assert!(!extends_sessions(&webserver("unknown"), &on));
        assert!(
            !extends_sessions(&webserver("24.09.0"), &off),
            "config.toml off"
        );
        assert!(extends_sessions(&Health::Companion("0.1.0".into()), &on));
        assert!(!extends_sessions(&Health::Companion("0.1.0".into()), &off));
        assert!(!extends_sessions(&Health::Checking, &on), "not known yet");
    }

    #[test]
    fn single_sign_on_from_the_webui_settings() {
        let realm = |config: &str| webui_features(config).openid_realm;
        // As the companion writes it: a comma-separated string, escapes and all.
        let companion = "[general]\nsingleSignOnVendors = \"openid\"\n\
            ssoRealmName = \"Example \\\"Co\\\" # 1\" # the label\n";
        assert_eq!(realm(companion).as_deref(), Some("Example \"Co\" # 1"));
        assert_eq!(
            realm("[general]\nsingleSignOnVendors = \"saml, openid\"\n").as_deref(),
            Some(DEFAULT_REALM),
            "no realm name: OpenID"
        );
        assert_eq!(
            realm("[general]\nsingleSignOnVendors = 'openid'\nssoRealmName = '\u{d55c}\u{ad6d}'\n")
                .as_deref(),
            Some("\u{d55c}\u{ad6d}")
        );
        assert_eq!(
            realm("[general]\nssoRealmName = \"R\\u00e9alm\"\nsingleSignOnVendors = \"openid\"\n")
                .as_deref(),
            Some("R\u{e9}alm")
        );
        assert_eq!(realm("[general]\nsingleSignOnVendors = \"saml\"\n"), None);
        let saml = |config: &str| webui_features(config).saml;
        assert!(saml("[general]\nsingleSignOnVendors = \"saml\"\n"));
        assert!(saml("[general]\nsingleSignOnVendors = \"openid, saml\"\n"));
        assert!(!saml("[general]\nsingleSignOnVendors = \"openid\"\n"));
        assert!(!saml("[general]\nsingleSignOnVendors = \"samlx\"\n"));
        assert_eq!(realm("[general]\nsingleSignOnVendors = \"\"\n"), None);
        assert_eq!(
            realm("[menu]\nsingleSignOnVendors = \"openid\"\n"),
            None,
            "only [general] counts"
        );
    }

    #[test]
    fn form_refusals_point_at_their_field() {
        let cases = [
            (
                reply(
                    409,
                    json!({"type": ProblemType::EmailAlreadyExists.url(), "title": "t", "field": "email"}),
                ),
                Text::ErrorEmailTaken,
                Some(FormField::Email),
            ),
            (
                reply(
                    400,
                    json!({"type": ProblemType::GenericBadRequest.url(), "title": wording::EMAIL_EXISTS}),
                ),
                Text::ErrorEmailTaken,
                Some(FormField::Email),
            ),
            (
                reply(
                    409,
                    json!({"type": ProblemType::UsernameAlreadyExists.url(), "title": "t", "field": "user_name"}),
                ),
                Text::ErrorUsernameTaken,
                Some(FormField::Username),
            ),
            (
                reply(
                    403,
                    json!({"type": ProblemType::InvitationRequired.url(), "title": "t", "field": "token"}),
                ),
                Text::ErrorInvitationRequired,
                Some(FormField::Token),
            ),
            (
                reply(
                    403,
                    json!({"type": ProblemType::InvalidInvitation.url(), "title": "t", "field": "token"}),
                ),
                Text::ErrorInvitationInvalid,
                Some(FormField::Token),
            ),
            (
                reply(
                    403,
                    json!({"type": ProblemType::SignupDisabled.url(), "title": "t"}),
                ),
                Text::ErrorSignupClosed,
                None,
            ),
            (
                reply(
                    400,
                    json!({"type": ProblemType::RejectedByHook.url(), "title": "t", "details": "at least 8", "field": "password"}),
                ),
                Text::ErrorPasswordPolicy,
                Some(FormField::Password),
            ),
            (
                reply(
                    400,
                    json!({"type": ProblemType::InvalidApiParams.url(), "title": "t", "field": "agreement"}),
                ),
                Text::ErrorAgreement,
                Some(FormField::Agreement),
            ),
            (
                reply(
                    400,
                    json!({"type": ProblemType::InvalidApiParams.url(), "title": "The email address is not valid.", "field": "email"}),
                ),
                Text::ErrorFieldInvalid,
                Some(FormField::Email),
            ),
            (
                reply(
                    401,
                    json!({"type": ProblemType::TotpAuthFailed.url(), "title": "t"}),
                ),
                Text::OtpInvalid,
                Some(FormField::Otp),
            ),
            (
                reply(
                    400,
                    json!({"type": ProblemType::ExpiredToken.url(), "title": "t"}),
                ),
                Text::ErrorSetupExpired,
                None,
            ),
            (reply(404, json!(null)), Text::ErrorNotOffered, None),
        ];
        for (reply, text, field) in cases {
            let refused = form_refusal(&reply);
            assert_eq!(
                (refused.text, refused.field),
                (text, field),
                "{}",
                reply.body
            );
        }
        let policy = form_refusal(&reply(
            400,
            json!({"type": ProblemType::RejectedByHook.url(), "title": "t", "details": "at least 8", "field": "password"}),
        ));
        assert_eq!(policy.detail.as_deref(), Some("at least 8"));
    }

    #[test]
    fn hosts_and_prefixes_as_signed() {
        assert_eq!(
            host_of("http://127.0.0.1:8090").as_deref(),
            Some("127.0.0.1:8090")
        );
        assert_eq!(
            host_of("https://API.example.com:443/x").as_deref(),
            Some("api.example.com")
        );
        assert_eq!(
            host_of("http://example.com:80").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            host_of("https://example.com:8443").as_deref(),
            Some("example.com:8443")
        );
        assert_eq!(path_prefix("https://example.com/backend"), "/backend");
        assert_eq!(path_prefix("https://example.com"), "");
    }

    #[test]
    fn keypair_answers() {
        assert_eq!(
            keypair_check(&reply(
                200,
                json!({"global_role": "admin", "domain_role": "admin", "group_role": null})
            )),
            KeypairCheck::Valid {
                role: "admin".into()
            }
        );
        assert_eq!(
            keypair_check(&reply(
                401,
                json!({"type": ProblemType::AuthFailed.url(), "title": "Signature mismatch"})
            )),
            KeypairCheck::Mismatch
        );
        assert_eq!(
            keypair_check(&reply(
                400,
                json!({"type": ProblemType::InvalidAuthParams.url(), "title": "Date/time sync error"})
            )),
            KeypairCheck::ClockSkew
        );
    }

    #[test]
    fn invitation_links_and_tokens() {
        assert_eq!(
            invitation_token("http://127.0.0.1:8090/signup?token=abc123").as_deref(),
            Some("abc123")
        );
        assert_eq!(
            invitation_token("https://webui.example.com/?lang=ko&token=xyz#top").as_deref(),
            Some("xyz")
        );
        assert_eq!(invitation_token("  abc123 ").as_deref(), Some("abc123"));
        assert_eq!(invitation_token("http://x/signup"), None);
        assert_eq!(invitation_token("two words"), None);
        assert_eq!(
            link_origin("http://127.0.0.1:8090/signup?token=abc").as_deref(),
            Some("http://127.0.0.1:8090")
        );
    }

    #[test]
    fn codes_as_typed_or_pasted() {
        assert_eq!(clean_code(" 123 456 "), "123456");
        assert!(is_complete_code(&clean_code("123 456")));
        assert!(!is_complete_code("12345"));
        assert_eq!(clean_code("ABCD-EFGH-IJKL-MNOP"), "ABCD-EFGH-IJKL-MNOP");
    }
}
