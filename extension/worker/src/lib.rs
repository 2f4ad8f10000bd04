//! The service worker. It owns the session timer for every endpoint the
//! popup logged in to: the remaining time on the toolbar badge, a warning
//! with Extend and Log out before the end, the logout at the end, and the
//! logout when the server says the session ended elsewhere (it asks every
//! 30 seconds, on an alarm: timers die with the worker, alarms do not). It
//! also runs the toolbar command that toggles a Backend.AI page's sidebar,
//! keeps the sidebar content script registered on the right origins, and
//! wipes secrets copied from the popup off the clipboard. It runs single
//! sign-ons for the popup (`sso`), which closes when the sign-in window
//! takes the focus.
//!
//! `background.js` registers the event listeners synchronously (as MV3
//! requires, so an event that woke the worker is not missed) and calls the
//! functions exported here once the wasm is loaded. Everything is kept in
//! `chrome.storage`, so a stopped and restarted worker carries on. The rules
//! (names, origins, buttons) are pure functions in `plan`, tested natively;
//! like the popup, this crate reaches the browser only through
//! `baigate_extension::platform`.

pub mod plan;
pub mod sso;

use baigate_extension::client::{self, ExtendOutcome};
use baigate_extension::messages::{
    ContentMessage, OffscreenMessage, PageMessage, SIDEBAR_COMMAND, Sidebar, SidebarAnswer,
    WorkerMessage,
};
use baigate_extension::platform::clock::{now_ms, parse_time};
use baigate_extension::platform::storage::{self, Area};
use baigate_extension::platform::{
    action, alarms, i18n, notifications, offscreen, permissions, runtime, scripting, tabs,
};
use baigate_extension::profiles::Profile;
use baigate_extension::stored::{
    DEFAULT_ENDPOINT, ENDPOINT_KEY, PROFILES_KEY, SESSION_PREFIX, SIDEBAR_PREFIX, StoredKeypair,
    WARN_KEY, WEBUI_ORIGINS_KEY, keypair_key, session_key, timer_key,
};
use baigate_extension::text::{Text, t, tf};
use baigate_extension::timer::{self, Badge, Timer};
use wasm_bindgen::prelude::*;

use crate::plan::{Alarm, ButtonAction, Notification, SidebarOrigin};

/// Every endpoint with a stored session, and its session id.
async fn sessions() -> Vec<(String, String)> {
    let mut found = Vec::new();
    for key in storage::keys(Area::Session).await {
        if let Some(endpoint) = key.strip_prefix(SESSION_PREFIX)
            && let Some(id) = storage::get::<String>(Area::Session, &key).await
        {
            found.push((endpoint.to_owned(), id));
        }
    }
    found
}

async fn current_endpoint() -> String {
    storage::get(Area::Local, ENDPOINT_KEY)
        .await
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned())
}

async fn warn_minutes() -> u32 {
    timer::warn_minutes(storage::get::<u32>(Area::Local, WARN_KEY).await)
}

/// Shows the badge for the endpoint the popup is on.
async fn update_badge() {
    let endpoint = current_endpoint().await;
    let keypair = storage::get::<StoredKeypair>(Area::Session, &keypair_key(&endpoint))
        .await
        .is_some();
    let logged_in = storage::get::<String>(Area::Session, &session_key(&endpoint))
        .await
        .is_some();
    let timer = storage::get::<Timer>(Area::Session, &timer_key(&endpoint)).await;
    let badge = timer::badge(now_ms(), logged_in, keypair, timer);
    let title = match &badge {
        Badge::LoggedOut => t(Text::BadgeLoggedOut),
        Badge::Keypair => t(Text::BadgeKeypair),
        Badge::Open => t(Text::BadgeLoggedIn),
        Badge::Remaining { text, .. } => tf(Text::BadgeRemaining, &[text]),
    };
    action::badge(&badge.text(), badge.color(), &title).await;
}

/// Forgets an endpoint's session and its alarms.
async fn forget(endpoint: &str) {
    storage::remove(Area::Session, &session_key(endpoint)).await;
    storage::remove(Area::Session, &timer_key(endpoint)).await;
    alarms::clear(&Alarm::Warn(endpoint.to_owned()).name()).await;
    alarms::clear(&Alarm::Expire(endpoint.to_owned()).name()).await;
    notifications::clear(&Notification::Expiry(endpoint.to_owned()).id()).await;
}

/// Records when a session ends and sets the alarms for its warning and end.
async fn schedule(endpoint: &str, expires_ms: Option<f64>) {
    let mut timer = storage::get::<Timer>(Area::Session, &timer_key(endpoint))
        .await
        .unwrap_or_default();
    timer.expires_ms = expires_ms;
    storage::set(Area::Session, &timer_key(endpoint), &timer).await;
    let Some(expires) = expires_ms else {
        return;
    };
    let warn_at = timer::warn_at(expires, warn_minutes().await);
    if warn_at > now_ms() {
        alarms::at(&Alarm::Warn(endpoint.to_owned()).name(), warn_at).await;
    } else if timer::warning_due(now_ms(), &timer, warn_minutes().await) {
        warn(endpoint).await;
    }
    alarms::at(&Alarm::Expire(endpoint.to_owned()).name(), expires).await;
}

/// Asks the server about one session; false when it has ended.
async fn check(endpoint: &str, id: &str) -> bool {
    match client::login_check(endpoint, id).await {
        Ok(Some(check)) => {
            let expires = check.expires.as_deref().and_then(parse_time);
            schedule(endpoint, expires).await;
            true
        }
        Ok(None) => false,
        // Offline or unreachable: keep what is known, ask again later.
        Err(_) => true,
    }
}

/// Checks every session; one the server no longer knows was ended elsewhere.
async fn check_all() {
    for (endpoint, id) in sessions().await {
        if !check(&endpoint, &id).await {
            forget(&endpoint).await;
            notifications::show(
                &Notification::Ended(endpoint.clone()).id(),
                &t(Text::NoticeEndedTitle),
                &tf(Text::NoticeEndedElsewhere, &[&endpoint]),
                &[],
            )
            .await;
        }
    }
    update_badge().await;
}

/// The warning before the end, with Extend and Log out.
async fn warn(endpoint: &str) {
    let key = timer_key(endpoint);
    let Some(mut timer) = storage::get::<Timer>(Area::Session, &key).await else {
        return;
    };
    let Some(expires) = timer.expires_ms else {
        return;
    };
    if !timer::warning_due(now_ms(), &timer, warn_minutes().await) {
        return;
    }
    let minutes = plan::minutes_left(expires, now_ms());
    notifications::show(
        &Notification::Expiry(endpoint.to_owned()).id(),
        &t(Text::NoticeExpiryTitle),
        &tf(Text::NoticeExpiry, &[&minutes.to_string(), endpoint]),
        &[&t(Text::Extend), &t(Text::Logout)],
    )
    .await;
    timer.warned_for = Some(expires);
    storage::set(Area::Session, &key, &timer).await;
}

/// The end: unless the session was extended meanwhile, log out.
async fn expire(endpoint: &str) {
    let Some(id) = storage::get::<String>(Area::Session, &session_key(endpoint)).await else {
        return;
    };
    if let Ok(Some(check)) = client::login_check(endpoint, &id).await
        && let Some(expires) = check.expires.as_deref().and_then(parse_time)
        && plan::outlives(expires, now_ms())
    {
        schedule(endpoint, Some(expires)).await;
        update_badge().await;
        return;
    }
    let _ = client::logout(endpoint, &id).await;
    forget(endpoint).await;
    notifications::show(
        &Notification::Ended(endpoint.to_owned()).id(),
        &t(Text::NoticeEndedTitle),
        &tf(Text::NoticeExpired, &[endpoint]),
        &[],
    )
    .await;
    update_badge().await;
}

/// Extends from the warning's button.
async fn extend(endpoint: &str) {
    let Some(id) = storage::get::<String>(Area::Session, &session_key(endpoint)).await else {
        return;
    };
    if let Ok(ExtendOutcome::Extended(expires)) = client::extend(endpoint, &id).await {
        schedule(endpoint, parse_time(&expires)).await;
    }
    notifications::clear(&Notification::Expiry(endpoint.to_owned()).id()).await;
    update_badge().await;
}

/// Logs out from the warning's button.
async fn logout(endpoint: &str) {
    if let Some(id) = storage::get::<String>(Area::Session, &session_key(endpoint)).await {
        let _ = client::logout(endpoint, &id).await;
    }
    forget(endpoint).await;
    update_badge().await;
}

/// The remote origins (as match patterns) of the endpoints logged in to and
/// the WebUI pages the user added.
async fn remote_patterns() -> Vec<String> {
    let profiles: Vec<Profile> = storage::get(Area::Local, PROFILES_KEY)
        .await
        .unwrap_or_default();
    let added: Vec<String> = storage::get(Area::Local, WEBUI_ORIGINS_KEY)
        .await
        .unwrap_or_default();
    plan::remote_patterns(&profiles, &added)
}

/// The origins where the sidebar content script runs: those of the
/// endpoint in use, of the endpoints with a session or a profile, and of
/// the WebUI pages the user added, each with its port, where the extension
/// may reach.
async fn sidebar_origins() -> Vec<SidebarOrigin> {
    let current = current_endpoint().await;
    let with_session: Vec<String> = sessions().await.into_iter().map(|(e, _)| e).collect();
    let profiles: Vec<Profile> = storage::get(Area::Local, PROFILES_KEY)
        .await
        .unwrap_or_default();
    let added: Vec<String> = storage::get(Area::Local, WEBUI_ORIGINS_KEY)
        .await
        .unwrap_or_default();
    let endpoints = std::iter::once(current.as_str())
        .chain(with_session.iter().map(String::as_str))
        .chain(profiles.iter().map(|p| p.endpoint.as_str()))
        .chain(added.iter().map(String::as_str));
    let mut reachable = Vec::new();
    for origin in plan::sidebar_origins(endpoints) {
        let allowed = match &origin.access {
            Some(pattern) => permissions::granted(pattern).await,
            None => true,
        };
        if allowed {
            reachable.push(origin);
        }
    }
    reachable
}

/// Registers the sidebar script for pages loaded from now on, and runs it
/// in the matching pages already open (it runs once per page whatever
/// happens).
async fn register_sidebar_script() {
    let patterns: Vec<String> = sidebar_origins()
        .await
        .into_iter()
        .map(|o| o.pattern)
        .collect();
    scripting::register(plan::SIDEBAR_SCRIPT_ID, plan::SIDEBAR_SCRIPT, &patterns).await;
    for tab in tabs::matching(&patterns).await {
        scripting::inject(tab.id, plan::SIDEBAR_SCRIPT).await;
    }
}

/// Sets everything up: the stored entries in this build's form, the
/// periodic check, the content script, the badge.
async fn start() {
    storage::upgrade().await;
    i18n::load_choice().await;
    alarms::every(&Alarm::Check.name(), plan::CHECK_MINUTES).await;
    register_sidebar_script().await;
    check_all().await;
}

/// The options page's "clear everything": logs every session out, gives up
/// the access granted for endpoints and WebUI pages, and empties storage.
async fn clear_all() {
    for (endpoint, id) in sessions().await {
        let _ = client::logout(&endpoint, &id).await;
        forget(&endpoint).await;
    }
    for pattern in remote_patterns().await {
        permissions::give_up(&pattern).await;
    }
    storage::clear(Area::Local).await;
    storage::clear(Area::Session).await;
    i18n::choose(None).await;
    register_sidebar_script().await;
    update_badge().await;
}

/// Wipes the clipboard through the offscreen page.
async fn clear_clipboard() {
    let Some(url) = runtime::url("offscreen.html") else {
        return;
    };
    if offscreen::open_for_clipboard(
        &url,
        "Wipe a secret copied from the baigate popup off the clipboard.",
    )
    .await
    {
        runtime::send(&OffscreenMessage::ClearClipboard).await;
        offscreen::close().await;
    }
}

/// A session began or ended, or the settings changed: the sidebar script
/// follows the endpoints (a new one's pages are covered), then the badge and
/// the alarms follow the sessions.
async fn session_changed() {
    register_sidebar_script().await;
    check_all().await;
}

/// The worker started (installed, updated, browser started, or woken).
#[wasm_bindgen]
pub async fn worker_started() {
    start().await;
}

/// An alarm rang.
#[wasm_bindgen]
pub async fn worker_alarm(name: String) {
    i18n::load_choice().await;
    match Alarm::from_name(&name) {
        Some(Alarm::Check) => check_all().await,
        Some(Alarm::ClearClipboard) => clear_clipboard().await,
        Some(Alarm::Warn(endpoint)) => warn(&endpoint).await,
        Some(Alarm::Expire(endpoint)) => expire(&endpoint).await,
        None => {}
    }
}

/// A message from the popup or the options page (`background.js` lets no
/// content script's through); the answer (false for a message that is not
/// the worker's).
#[wasm_bindgen]
pub async fn worker_message(message: JsValue) -> JsValue {
    let Some(message) = runtime::read_message::<WorkerMessage>(message) else {
        return JsValue::FALSE;
    };
    i18n::load_choice().await;
    match message {
        // Logged in (perhaps to a new endpoint, whose pages the sidebar
        // toggle now covers), out, extended, or the endpoint changed; or the
        // options changed.
        WorkerMessage::SessionChanged | WorkerMessage::SettingsChanged => session_changed().await,
        WorkerMessage::ClearClipboard => {
            let after =
                f64::from(baigate_extension::platform::clipboard::CLEAR_AFTER_SECONDS) * 1000.0;
            alarms::at(&Alarm::ClearClipboard.name(), now_ms() + after).await;
        }
        WorkerMessage::ClearAll => clear_all().await,
        WorkerMessage::SingleSignOn {
            endpoint,
            server,
            vendor,
        } => {
            let report = sso::single_sign_on(endpoint, server, vendor).await;
            return storage::to_js(&report).unwrap_or(JsValue::FALSE);
        }
    }
    JsValue::TRUE
}

/// A message from the sidebar content script of a page at `origin` (the
/// browser's word for it); the answer, or null. Pages where the script is
/// not registered get nothing.
#[wasm_bindgen]
pub async fn worker_page_message(message: JsValue, origin: String) -> JsValue {
    let Some(message) = runtime::read_message::<PageMessage>(message) else {
        return JsValue::NULL;
    };
    if !sidebar_origins().await.iter().any(|o| o.origin == origin) {
        return JsValue::NULL;
    }
    let key = format!("{SIDEBAR_PREFIX}{origin}");
    match message {
        PageMessage::RememberSidebar { state } => {
            storage::set(Area::Local, &key, &state).await;
            JsValue::TRUE
        }
        PageMessage::RememberedSidebar => match storage::get::<Sidebar>(Area::Local, &key).await {
            Some(state) => storage::to_js(&SidebarAnswer { state }).unwrap_or(JsValue::NULL),
            None => JsValue::NULL,
        },
    }
}

/// A button of a notification.
#[wasm_bindgen]
pub async fn worker_notification_button(id: String, button: u32) {
    i18n::load_choice().await;
    match plan::button_action(&id, button) {
        Some(ButtonAction::Extend(endpoint)) => extend(&endpoint).await,
        Some(ButtonAction::Logout(endpoint)) => logout(&endpoint).await,
        None => {}
    }
}

/// A keyboard command.
#[wasm_bindgen]
pub async fn worker_command(command: String) {
    if command == SIDEBAR_COMMAND {
        tabs::ask_page::<SidebarAnswer>(ContentMessage::ToggleSidebar).await;
    }
}
