//! The Backend.AI webserver protocol, as the popup uses it, plus the
//! companion's optional routes (feature-detected: a server without them
//! answers 404 and the popup shows less).

use baigate_shared::cloud::{EmailRequest, SignupRequest, SignupResponse};
use baigate_shared::password::PasswordPolicy;
use baigate_shared::sessions::ExtendResponse;
use baigate_shared::signing::{self, Signable};
use baigate_shared::summary::Summary;
use baigate_shared::totp::{
    OtpRequest, ReauthRequest, RegistrationRequest, RegistrationVerifyRequest, TotpConfirmed,
    TotpEnrolment, TotpStatus,
};
use baigate_shared::webserver::{AccountInfo, LoginCheckResponse, LoginRequest, TokenLoginRequest};
use serde::de::IgnoredAny;

use crate::platform::clock;
use crate::platform::net::{self, NetError, Reply};
use crate::protocol::{
    self, EndpointInfo, Enrolment, Features, FormRefusal, Health, KeypairCheck, LoginOutcome,
};
use crate::sso::TokenProof;

/// `GET /func/`: what the endpoint is.
pub async fn probe(endpoint: &str) -> Health {
    match net::send("GET", &format!("{endpoint}/func/"), None, None).await {
        Ok(reply) => protocol::health(&reply),
        Err(NetError::Offline) => Health::Offline,
        Err(NetError::Unreachable) => Health::Unreachable,
    }
}

/// `POST /server/login`.
pub async fn login(endpoint: &str, request: &LoginRequest) -> Result<LoginOutcome, NetError> {
    let body = serde_json::to_string(request).map_err(|_| NetError::Unreachable)?;
    let reply = net::send(
        "POST",
        &format!("{endpoint}/server/login"),
        Some(&body),
        None,
    )
    .await?;
    Ok(protocol::login_outcome(&reply))
}

/// `POST /server/token-login`: a single sign-on's one-time token and its
/// verifier (with a code, or `force`, on the second steps); answered as
/// `/server/login` is.
pub async fn token_login(
    endpoint: &str,
    proof: &TokenProof,
    otp: Option<String>,
    force: bool,
    end_session: Option<String>,
) -> Result<LoginOutcome, NetError> {
    let request = TokenLoginRequest {
        s_token: Some(proof.token.clone()),
        otp,
        force: force.then_some(true),
        code_verifier: proof.code_verifier.clone(),
        end_session,
    };
    let body = serde_json::to_string(&request).map_err(|_| NetError::Unreachable)?;
    let reply = net::send(
        "POST",
        &format!("{endpoint}/server/token-login"),
        Some(&body),
        None,
    )
    .await?;
    Ok(protocol::login_outcome(&reply))
}

/// A live session as `/server/login-check` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub account: AccountInfo,
    /// RFC 3339, when the server says.
    pub expires: Option<String>,
}

/// `POST /server/login-check`: `None` when the session is not live.
pub async fn login_check(endpoint: &str, session: &str) -> Result<Option<Check>, NetError> {
    let reply = net::send(
        "POST",
        &format!("{endpoint}/server/login-check"),
        Some("{}"),
        Some(session),
    )
    .await?;
    let answer: Option<LoginCheckResponse> = serde_json::from_str(&reply.body).ok();
    Ok(
        answer.and_then(|answer| match (answer.authenticated, answer.data) {
            (true, Some(account)) => Some(Check {
                account,
                expires: answer.expires,
            }),
            _ => None,
        }),
    )
}

/// `POST /server/logout`.
pub async fn logout(endpoint: &str, session: &str) -> Result<(), NetError> {
    net::send(
        "POST",
        &format!("{endpoint}/server/logout"),
        Some("{}"),
        Some(session),
    )
    .await
    .map(|_| ())
}

/// What extending a session did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtendOutcome {
    /// Extended, to end then (RFC 3339).
    Extended(String),
    /// The session had ended.
    Ended,
    /// The server does not offer it.
    Unsupported,
}

/// `POST /server/extend-login-session`.
pub async fn extend(endpoint: &str, session: &str) -> Result<ExtendOutcome, NetError> {
    let reply = net::send(
        "POST",
        &format!("{endpoint}/server/extend-login-session"),
        Some("{}"),
        Some(session),
    )
    .await?;
    Ok(match reply.status {
        200..=299 => serde_json::from_str::<ExtendResponse>(&reply.body)
            .map_or(ExtendOutcome::Unsupported, |answer| {
                ExtendOutcome::Extended(answer.expires)
            }),
        401 => ExtendOutcome::Ended,
        _ => ExtendOutcome::Unsupported,
    })
}

/// `GET /companion/summary`: `None` from servers without it.
pub async fn summary(endpoint: &str, session: &str) -> Result<Option<Summary>, NetError> {
    let reply = net::send(
        "GET",
        &format!("{endpoint}/companion/summary"),
        None,
        Some(session),
    )
    .await?;
    if !(200..300).contains(&reply.status) {
        return Ok(None);
    }
    Ok(serde_json::from_str(&reply.body).ok())
}

/// An answer that either is what was asked for or says why not.
pub type Answer<T> = Result<Result<T, FormRefusal>, NetError>;

fn json_body<T: serde::Serialize>(value: &T) -> Result<String, NetError> {
    serde_json::to_string(value).map_err(|_| NetError::Unreachable)
}

/// The answer's JSON when it is a success, its refusal otherwise.
fn read<T: serde::de::DeserializeOwned>(reply: &Reply) -> Result<T, FormRefusal> {
    if (200..300).contains(&reply.status)
        && let Ok(value) = serde_json::from_str(&reply.body)
    {
        return Ok(value);
    }
    Err(protocol::form_refusal(reply))
}

/// What the endpoint offers (`/config.toml`) and its password policy
/// (`/companion/password-policy`, a companion's only).
pub async fn endpoint_info(endpoint: &str) -> EndpointInfo {
    let features = match net::send("GET", &format!("{endpoint}/config.toml"), None, None).await {
        Ok(reply) if (200..300).contains(&reply.status) => protocol::webui_features(&reply.body),
        _ => Features::default(),
    };
    // Only the policy itself: the popup words the rules in its own languages.
    #[derive(serde::Deserialize)]
    struct PolicyDocument {
        policy: PasswordPolicy,
    }
    let policy = match net::send(
        "GET",
        &format!("{endpoint}/companion/password-policy"),
        None,
        None,
    )
    .await
    {
        Ok(reply) => read::<PolicyDocument>(&reply).ok().map(|d| d.policy),
        Err(_) => None,
    };
    EndpointInfo {
        endpoint: endpoint.to_owned(),
        features,
        policy,
    }
}

/// `POST /func/auth/signup`.
pub async fn signup(endpoint: &str, request: &SignupRequest) -> Answer<SignupResponse> {
    let reply = net::send(
        "POST",
        &format!("{endpoint}/func/auth/signup"),
        Some(&json_body(request)?),
        None,
    )
    .await?;
    Ok(read(&reply))
}

/// Which mail `/func/cloud/*` sends (the same answer for any address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailRequest {
    PasswordChange,
    Verification,
}

/// `POST /func/cloud/send-password-change-email` or `…/send-verification-email`.
pub async fn send_mail(endpoint: &str, mail: MailRequest, email: &str) -> Answer<()> {
    let route = match mail {
        MailRequest::PasswordChange => "send-password-change-email",
        MailRequest::Verification => "send-verification-email",
    };
    let body = json_body(&EmailRequest {
        email: Some(email.to_owned()),
    })?;
    let reply = net::send(
        "POST",
        &format!("{endpoint}/func/cloud/{route}"),
        Some(&body),
        None,
    )
    .await?;
    Ok(read::<IgnoredAny>(&reply).map(|_| ()))
}

/// `GET /func/totp`: whether 2FA is on; `None` where the endpoint has no 2FA.
pub async fn totp_status(endpoint: &str, session: &str) -> Option<bool> {
    let reply = net::send("GET", &format!("{endpoint}/func/totp"), None, Some(session))
        .await
        .ok()?;
    read::<TotpStatus>(&reply).ok().map(|s| s.totp_enabled)
}

/// A secret to register: with a registration token at first login
/// (`/func/totp/anon`), or for the logged-in session (`/func/totp`).
pub async fn totp_enrol(
    endpoint: &str,
    session: Option<&str>,
    registration: Option<&str>,
) -> Answer<Enrolment> {
    let reply = match registration {
        Some(token) => {
            let body = json_body(&RegistrationRequest {
                registration_token: Some(token.to_owned()),
            })?;
            net::send(
                "POST",
                &format!("{endpoint}/func/totp/anon"),
                Some(&body),
                None,
            )
            .await?
        }
        None => {
            net::send(
                "POST",
                &format!("{endpoint}/func/totp"),
                Some("{}"),
                session,
            )
            .await?
        }
    };
    Ok(read::<TotpEnrolment>(&reply).map(|e| Enrolment {
        key: e.totp_key,
        uri: e.totp_uri,
    }))
}

/// Confirms the setup with a code; the recovery codes, when the endpoint
/// gives them.
pub async fn totp_confirm(
    endpoint: &str,
    session: Option<&str>,
    registration: Option<&str>,
    otp: &str,
) -> Answer<Vec<String>> {
    let reply = match registration {
        Some(token) => {
            let body = json_body(&RegistrationVerifyRequest {
                otp: Some(otp.to_owned()),
                registration_token: Some(token.to_owned()),
            })?;
            net::send(
                "POST",
                &format!("{endpoint}/func/totp/anon/verify"),
                Some(&body),
                None,
            )
            .await?
        }
        None => {
            let body = json_body(&OtpRequest {
                otp: Some(otp.to_owned()),
            })?;
            net::send(
                "POST",
                &format!("{endpoint}/func/totp/verify"),
                Some(&body),
                session,
            )
            .await?
        }
    };
    Ok(read::<TotpConfirmed>(&reply).map(|c| c.recovery_codes))
}

/// `DELETE /func/totp`, proven with a current code or the password.
pub async fn totp_disable(endpoint: &str, session: &str, proof: ReauthRequest) -> Answer<()> {
    let reply = net::send(
        "DELETE",
        &format!("{endpoint}/func/totp"),
        Some(&json_body(&proof)?),
        Some(session),
    )
    .await?;
    Ok(read::<IgnoredAny>(&reply).map(|_| ()))
}

/// Checks an API keypair with a signed `GET /auth/role`, the request
/// Backend.AI's API-mode clients make (a companion answers it too).
pub async fn check_keypair(
    endpoint: &str,
    access_key: &str,
    secret_key: &str,
) -> Result<KeypairCheck, NetError> {
    let host = protocol::host_of(endpoint).ok_or(NetError::Unreachable)?;
    let path = format!("{}/auth/role", protocol::path_prefix(endpoint));
    // Browsers may not set `Date`; Backend.AI reads `X-BackendAI-Date` instead.
    let date = clock::now_iso();
    let day = signing::iso_day(&date).ok_or(NetError::Unreachable)?;
    let content_type = "application/json";
    let signature = signing::signature(
        &Signable {
            method: "GET",
            path_and_query: &path,
            host: &host,
            content_type,
            date: &date,
            version_header: "X-BackendAI-Version",
            version: signing::API_VERSION,
            body: b"",
        },
        secret_key,
        &day,
    );
    let authorization = signing::authorization(access_key, &signature);
    let origin = endpoint.trim_end_matches(protocol::path_prefix(endpoint));
    let reply = net::send_with(
        "GET",
        &format!("{origin}{path}"),
        None,
        &[
            ("Authorization", &authorization),
            ("X-BackendAI-Date", &date),
            ("X-BackendAI-Version", signing::API_VERSION),
            ("Content-Type", content_type),
        ],
    )
    .await?;
    Ok(protocol::keypair_check(&reply))
}
