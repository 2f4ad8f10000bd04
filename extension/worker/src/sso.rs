//! Single sign-on, run by the service worker for the popup (which closes
//! when the sign-in window takes the focus): the sign-in window or tab, the
//! token login, and the report the popup shows, kept in storage for a popup
//! opened after it. The addresses and what they mean are the pure rules of
//! `baigate_extension::sso`.

use std::cell::Cell;

use baigate_extension::client;
use baigate_extension::messages::SsoServer;
use baigate_extension::platform::clock::now_ms;
use baigate_extension::platform::storage::{self, Area};
use baigate_extension::platform::{action, identity, notifications, random, runtime, tabs};
use baigate_extension::profiles::{self, Mode, Profile};
use baigate_extension::protocol::{LoginOutcome, LoginRefusal, NotLoggedIn};
use baigate_extension::sso::{
    self, Expected, Landing, SsoReport, SsoResult, SsoVendor, TokenProof,
};
use baigate_extension::stored::{ENDPOINT_KEY, PROFILES_KEY, SSO_REPORT_KEY, session_key};
use baigate_extension::text::{Text, t, tf};
use baigate_shared::webserver::SESSION_HEADER;

use crate::plan::Notification;

thread_local! {
    /// Whether a sign-in is under way (one window at a time).
    static RUNNING: Cell<bool> = const { Cell::new(false) };
}

/// Runs a single sign-on on `endpoint` and reports how it ended: to the
/// popup that asked (the answer), and in storage for one opened later.
pub async fn single_sign_on(endpoint: String, server: SsoServer, vendor: SsoVendor) -> SsoReport {
    if RUNNING.with(|running| running.replace(true)) {
        // The running one keeps its report.
        return SsoReport {
            endpoint,
            finished_ms: now_ms(),
            result: SsoResult::Busy,
        };
    }
    let result = run(&endpoint, server, vendor).await;
    RUNNING.with(|running| running.set(false));
    let report = SsoReport {
        endpoint,
        finished_ms: now_ms(),
        result,
    };
    storage::set(Area::Session, SSO_REPORT_KEY, &report).await;
    bring_back_the_popup(&report.endpoint).await;
    report
}

/// The popup closed when the sign-in window took the focus: open it again
/// to show the outcome (or say where it is, if the browser will not).
async fn bring_back_the_popup(endpoint: &str) {
    if runtime::page_open("popup.html").await || action::open_popup().await {
        return;
    }
    notifications::show(
        &Notification::SingleSignOn(endpoint.to_owned()).id(),
        &t(Text::AppTitle),
        &tf(Text::SsoContinue, &[endpoint]),
        &[],
    )
    .await;
}

async fn run(endpoint: &str, server: SsoServer, vendor: SsoVendor) -> SsoResult {
    let (Some(secret), Some(flow)) = (random::bytes::<32>(), random::bytes::<16>()) else {
        return SsoResult::NotStarted;
    };
    let flow = sso::flow_id(&flow);
    let landing = sso::tab_landing(endpoint, &flow);
    match server {
        SsoServer::Companion => {
            let verifier = sso::verifier(&secret);
            let challenge = sso::challenge(&verifier);
            let landed = match in_sign_in_window(endpoint, vendor, &challenge).await {
                WindowOutcome::Landed(landed) => Some(landed),
                WindowOutcome::Closed => None,
                // No window, or its page would not load: the same start in a
                // tab, landing on the companion's own origin.
                WindowOutcome::Failed => {
                    let start =
                        sso::start_url(endpoint, vendor, &landing.redirect_to(), &challenge);
                    in_tab(&start, &landing).await
                }
            };
            match landed {
                Some(landed) => finish(endpoint, landed, Some(verifier)).await,
                None => SsoResult::WindowClosed,
            }
        }
        SsoServer::Webserver => {
            let form_page = sso::form_page(
                endpoint,
                vendor,
                &landing.redirect_to(),
                &t(Text::SsoOpening),
                &t(Text::SsoNotStarted),
            );
            let Some(page) = runtime::url(&form_page) else {
                return SsoResult::NotStarted;
            };
            match in_tab(&page, &landing).await {
                Some(landed) => finish(endpoint, landed, None).await,
                None => SsoResult::WindowClosed,
            }
        }
    }
}

/// How the sign-in window ended.
enum WindowOutcome {
    Landed(Landing),
    /// The user closed it.
    Closed,
    /// There is none, or it could not load its page.
    Failed,
}

/// The companion's start in `launchWebAuthFlow`'s window, which ends at the
/// extension's own `chromiumapp.org` address.
async fn in_sign_in_window(endpoint: &str, vendor: SsoVendor, challenge: &str) -> WindowOutcome {
    let Some(redirect) = identity::redirect_url(sso::REDIRECT_PATH) else {
        return WindowOutcome::Failed;
    };
    let expected = Expected {
        address: redirect.clone(),
        flow: None,
    };
    match identity::sign_in_window(&sso::start_url(endpoint, vendor, &redirect, challenge)).await {
        // An answer with neither a token nor an error is a refusal without a code.
        Ok(reached) => WindowOutcome::Landed(
            sso::landing(&reached, &expected).unwrap_or(Landing::Refused(String::new())),
        ),
        Err(message) if sso::closed_by_user(&message) => WindowOutcome::Closed,
        Err(_) => WindowOutcome::Failed,
    }
}

/// A tab at `start`, until it lands where expected; `None` when the user
/// closed it.
async fn in_tab(start: &str, landing: &Expected) -> Option<Landing> {
    let wanted = landing.clone();
    let reached = tabs::open_until(start, move |address| {
        sso::landing(address, &wanted).is_some()
    })
    .await?;
    sso::landing(&reached, landing)
}

/// The token login with what the sign-in gave: a session stored as after a
/// password login, or the next step for the popup.
async fn finish(endpoint: &str, landed: Landing, code_verifier: Option<String>) -> SsoResult {
    let token = match landed {
        Landing::Token(token) => token,
        Landing::Refused(code) => return SsoResult::Refused { code },
    };
    let proof = TokenProof {
        token,
        code_verifier,
    };
    match client::token_login(endpoint, &proof, None, false, None).await {
        Ok(LoginOutcome::LoggedIn {
            session_id: Some(id),
            ..
        }) => {
            keep_session(endpoint, &id).await;
            SsoResult::LoggedIn
        }
        // Without the session header the extension cannot act for the session.
        Ok(LoginOutcome::LoggedIn {
            session_id: None, ..
        }) => SsoResult::NextStep {
            proof,
            step: NotLoggedIn::Refused(LoginRefusal::Other(SESSION_HEADER.to_owned())),
        },
        Ok(LoginOutcome::NotLoggedIn(step)) => SsoResult::NextStep { proof, step },
        Err(error) => SsoResult::NoAnswer { error },
    }
}

/// Keeps a session as the popup does after a password login: its id, the
/// endpoint in use and its profile; then the badge, the alarms and the
/// sidebar script follow.
async fn keep_session(endpoint: &str, id: &str) {
    storage::set(Area::Session, &session_key(endpoint), id).await;
    storage::set(Area::Local, ENDPOINT_KEY, endpoint).await;
    let known: Vec<Profile> = storage::get(Area::Local, PROFILES_KEY)
        .await
        .unwrap_or_default();
    let profile = Profile {
        endpoint: endpoint.to_owned(),
        username: None,
        mode: Mode::Session,
    };
    storage::set(
        Area::Local,
        PROFILES_KEY,
        &profiles::remember(&known, profile),
    )
    .await;
    crate::session_changed().await;
}
