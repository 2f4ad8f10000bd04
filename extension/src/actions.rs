//! The popup's effects: they talk to the endpoint and to storage, then
//! dispatch what happened to the reducer.

use baigate_shared::webserver::LoginRequest;
use yew::UseReducerHandle;

use crate::client::{self, Extension};
use crate::platform::permissions::{self, Grant};
use crate::platform::storage::{self, Area};
use crate::protocol::{Health, LoginOutcome};
use crate::state::{Action, Credentials, DEFAULT_ENDPOINT, Notice, Session, State, remember};
use crate::text::Text;

pub type Handle = UseReducerHandle<State>;

fn session_key(endpoint: &str) -> String {
    format!("session:{endpoint}")
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// RFC 3339 → milliseconds since the epoch.
pub fn parse_time(text: &str) -> Option<f64> {
    let ms = js_sys::Date::parse(text);
    (!ms.is_nan()).then_some(ms)
}

/// Reads the endpoint, its history and a remembered session (checked live).
pub async fn load(state: Handle) {
    let endpoint: String = storage::get(Area::Local, "endpoint")
        .await
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
    let history: Vec<String> = storage::get(Area::Local, "history")
        .await
        .unwrap_or_default();
    let mut notice = None;
    let mut session = None;
    if let Some(id) = storage::get::<String>(Area::Session, &session_key(&endpoint)).await {
        match client::login_check(&endpoint, &id).await {
            Ok(Some(check)) => {
                session = Some(Session {
                    id,
                    account: check.account,
                    expires_ms: check.expires.as_deref().and_then(parse_time),
                    summary: None,
                });
            }
            Ok(None) => {
                storage::remove(Area::Session, &session_key(&endpoint)).await;
                notice = Some(Notice::error(Text::ErrorSessionEnded));
            }
            // Offline or unreachable: show the form; the health pill says why.
            Err(_) => {}
        }
    }
    let logged_in = session.as_ref().map(|s| s.id.clone());
    state.dispatch(Action::Loaded {
        endpoint: endpoint.clone(),
        history,
        session,
        notice,
    });
    if let Some(id) = logged_in {
        load_summary(state, endpoint, id).await;
    }
}

/// Checks what the endpoint is (for the health pill).
pub async fn check_health(state: Handle, endpoint: String) {
    let health = match crate::protocol::normalize_endpoint(&endpoint) {
        Some(url) => match client::probe(&url).await {
            // Maybe only because the browser blocks the address for now.
            Health::Unreachable => match crate::protocol::access_pattern(&url) {
                Some(pattern) if !permissions::granted(&pattern).await => Health::NeedsAccess,
                _ => Health::Unreachable,
            },
            health => health,
        },
        None => Health::InvalidAddress,
    };
    state.dispatch(Action::HealthChecked { endpoint, health });
}

/// The companion's summary, when the endpoint has one.
async fn load_summary(state: Handle, endpoint: String, session: String) {
    if let Ok(Some(summary)) = client::summary(&endpoint, &session).await {
        state.dispatch(Action::SummaryLoaded(summary));
    }
}

/// Remembers a new endpoint (when it is one).
pub async fn save_endpoint(endpoint: String) {
    if crate::protocol::normalize_endpoint(&endpoint).is_some() {
        storage::set(Area::Local, "endpoint", &endpoint).await;
    }
}

/// The first login step, from the form: waits for the permission the click
/// asked for, then sends the password.
pub async fn login_with_access(state: Handle, credentials: Credentials, grant: Grant) {
    if !grant.granted().await {
        state.dispatch(Action::Notice(Notice::error_with(
            Text::ErrorAccessDenied,
            state.endpoint.clone(),
        )));
        return;
    }
    login(state, credentials, None, false, None).await;
}

/// One login step: the password (and `otp` / `force` for the second steps).
pub async fn login(
    state: Handle,
    credentials: Credentials,
    otp: Option<String>,
    force: bool,
    end_session: Option<String>,
) {
    let Some(endpoint) = crate::protocol::normalize_endpoint(&state.endpoint) else {
        state.dispatch(Action::Notice(Notice::error(Text::HealthInvalid)));
        return;
    };
    state.dispatch(Action::Submitted);
    let code_sent = otp.is_some();
    let request = LoginRequest {
        username: Some(credentials.username.clone()),
        password: Some(credentials.password.clone()),
        otp,
        force: force.then_some(true),
        end_session: end_session.filter(|_| force),
        ..LoginRequest::default()
    };
    let outcome = client::login(&endpoint, &request).await;
    let logged_in = match &outcome {
        Ok(LoginOutcome::LoggedIn {
            session_id,
            account,
        }) => Some((session_id.clone(), account.clone())),
        _ => None,
    };
    state.dispatch(Action::Answered {
        credentials,
        code_sent,
        outcome,
        now_ms: now_ms(),
    });
    let Some((session_id, account)) = logged_in else {
        return;
    };
    // The session id travels in the X-BackendAI-SessionID header; without it
    // the popup cannot act for the session.
    let Some(id) = session_id else {
        state.dispatch(Action::Notice(Notice::error_with(
            Text::ErrorOther,
            "X-BackendAI-SessionID",
        )));
        return;
    };
    storage::set(Area::Session, &session_key(&endpoint), &id).await;
    storage::set(Area::Local, "endpoint", &endpoint).await;
    storage::set(Area::Local, "history", &remember(&state.history, &endpoint)).await;
    let expires_ms = match client::login_check(&endpoint, &id).await {
        Ok(Some(check)) => check.expires.as_deref().and_then(parse_time),
        _ => None,
    };
    state.dispatch(Action::LoggedIn(Session {
        id: id.clone(),
        account,
        expires_ms,
        summary: None,
    }));
    load_summary(state, endpoint, id).await;
}

/// Extends the session.
pub async fn extend(state: Handle) {
    let (Some(endpoint), Some(session)) = (
        crate::protocol::normalize_endpoint(&state.endpoint),
        state.session.as_ref().map(|s| s.id.clone()),
    ) else {
        return;
    };
    state.dispatch(Action::Submitted);
    match client::extend(&endpoint, &session).await {
        Ok(Extension::Extended(expires)) => match parse_time(&expires) {
            Some(expires_ms) => state.dispatch(Action::Extended { expires_ms }),
            None => state.dispatch(Action::Notice(Notice::error(Text::ExtendUnsupported))),
        },
        Ok(Extension::Ended) => ended(state, &endpoint).await,
        Ok(Extension::Unsupported) => {
            state.dispatch(Action::Notice(Notice::error(Text::ExtendUnsupported)))
        }
        Err(_) => state.dispatch(Action::Notice(Notice::error_with(
            Text::ErrorUnreachable,
            endpoint.clone(),
        ))),
    }
}

/// The session ended on the server's side: forget it.
pub async fn ended(state: Handle, endpoint: &str) {
    storage::remove(Area::Session, &session_key(endpoint)).await;
    state.dispatch(Action::SessionEnded(Some(Notice::error(
        Text::ErrorSessionEnded,
    ))));
}

/// Checks the session is still live (it may have ended elsewhere, or been
/// extended), then reads the summary again.
pub async fn refresh(state: Handle) {
    let (Some(endpoint), Some(session)) = (
        crate::protocol::normalize_endpoint(&state.endpoint),
        state.session.as_ref().map(|s| s.id.clone()),
    ) else {
        return;
    };
    match client::login_check(&endpoint, &session).await {
        Ok(None) => ended(state, &endpoint).await,
        Ok(Some(check)) => {
            if let Some(expires_ms) = check.expires.as_deref().and_then(parse_time) {
                state.dispatch(Action::Refreshed { expires_ms });
            }
            load_summary(state, endpoint, session).await;
        }
        // Unreachable for a moment: keep showing what is known.
        Err(_) => {}
    }
}

/// Logs out and forgets the session.
pub async fn logout(state: Handle) {
    let (Some(endpoint), Some(session)) = (
        crate::protocol::normalize_endpoint(&state.endpoint),
        state.session.as_ref().map(|s| s.id.clone()),
    ) else {
        return;
    };
    state.dispatch(Action::Submitted);
    // Forget it whatever the server says: the user asked to be logged out.
    let _ = client::logout(&endpoint, &session).await;
    storage::remove(Area::Session, &session_key(&endpoint)).await;
    state.dispatch(Action::SessionEnded(None));
}
