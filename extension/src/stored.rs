//! Every key the extension keeps in `chrome.storage`, in one place: the
//! popup, the service worker and the options page read the same entries, and
//! the options page lists them for the user.
//!
//! Values are stored as native objects (strings, numbers, arrays, objects),
//! so the options page and DevTools show them as they are. Earlier builds
//! stored JSON text instead: [`decode`] reads both forms, and
//! [`upgrade`] gives the native form of an old entry, which the service
//! worker writes back once when it starts.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::profiles::Profile;
use crate::timer::Timer;

/// The endpoint a fresh popup points at (no [`ENDPOINT_KEY`] yet): a
/// companion on this machine.
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:8090";

/// `storage.local`: the endpoint the popup is on.
pub const ENDPOINT_KEY: &str = "endpoint";
/// `storage.local`: the endpoint profiles, most recent first.
pub const PROFILES_KEY: &str = "profiles";
/// `storage.local`: the language chosen in the options (absent: the browser's).
pub const LANGUAGE_KEY: &str = "language";
/// `storage.local`: minutes before the end at which the expiry warning comes.
pub const WARN_KEY: &str = "warn_minutes";
/// `storage.local`: WebUI origins added in the options page.
pub const WEBUI_ORIGINS_KEY: &str = "webui_origins";
/// `storage.local`, `sidebar:<origin>`: the sidebar width chosen on a page
/// (written by the service worker when the page's content script asks).
pub const SIDEBAR_PREFIX: &str = "sidebar:";
/// Managed storage (set by an administrator) and the build's settings: the
/// endpoint every popup is pinned to.
pub const PINNED_KEY: &str = "pinned_endpoint";

/// `storage.session`: how the last single sign-on ended, for a popup that
/// opens after it (the one that started it may have closed); the popup
/// takes it, and it is worth showing for a minute only.
pub const SSO_REPORT_KEY: &str = "sso_report";
/// `storage.session`, `session:<endpoint>`: a session id.
pub const SESSION_PREFIX: &str = "session:";
/// `storage.session`, `keypair:<endpoint>`: API keys in use.
pub const KEYPAIR_PREFIX: &str = "keypair:";
/// `storage.session`, `timer:<endpoint>`: when the session ends, as the
/// service worker last heard.
pub const TIMER_PREFIX: &str = "timer:";

pub fn session_key(endpoint: &str) -> String {
    format!("{SESSION_PREFIX}{endpoint}")
}

pub fn keypair_key(endpoint: &str) -> String {
    format!("{KEYPAIR_PREFIX}{endpoint}")
}

pub fn timer_key(endpoint: &str) -> String {
    format!("{TIMER_PREFIX}{endpoint}")
}

/// API keys in use for an endpoint (`storage.session` only, never `local`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKeypair {
    pub access_key: String,
    pub secret_key: String,
    pub role: String,
}

impl fmt::Debug for StoredKeypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKeypair")
            .field("access_key", &self.access_key)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// How a stored value was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// As a native object: this version.
    Native,
    /// As JSON text: earlier builds.
    JsonText,
}

/// Reads a stored value in either form. A stored text that parses as JSON of
/// the type asked for is the old form; no text kept natively here (an
/// endpoint, a session id, a language tag, a sidebar width) is itself a JSON
/// text, so the two cannot be confused.
pub fn decode<T: DeserializeOwned>(stored: Value) -> Option<(T, Form)> {
    if let Value::String(text) = &stored
        && let Some(value) = from_json_text(text)
    {
        return Some((value, Form::JsonText));
    }
    serde_json::from_value(stored)
        .ok()
        .map(|value| (value, Form::Native))
}

/// A stored text read as the old form: JSON of `T`.
pub fn from_json_text<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_str(text).ok()
}

/// The native form of an entry an earlier version stored as JSON text, to
/// write back in its place; `None` when there is nothing to rewrite (already
/// native, unreadable, or a key this version does not know).
pub fn upgrade(key: &str, stored: &Value) -> Option<Value> {
    fn native<T: DeserializeOwned + Serialize>(stored: &Value) -> Option<Value> {
        match decode::<T>(stored.clone())? {
            (value, Form::JsonText) => serde_json::to_value(value).ok(),
            (_, Form::Native) => None,
        }
    }
    match describe(key).0 {
        Entry::Endpoint | Entry::Language | Entry::Sidebar | Entry::Session => {
            native::<String>(stored)
        }
        Entry::Profiles => native::<Vec<Profile>>(stored),
        Entry::WarnMinutes => native::<u32>(stored),
        Entry::WebuiOrigins => native::<Vec<String>>(stored),
        Entry::Keypair => native::<StoredKeypair>(stored),
        Entry::Timer => native::<Timer>(stored),
        // New in this version: only ever stored natively.
        Entry::SsoReport | Entry::Other => None,
    }
}

/// What one stored entry is, for the list in the options page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Endpoint,
    Profiles,
    Language,
    WarnMinutes,
    WebuiOrigins,
    /// The sidebar width on the page at this origin.
    Sidebar,
    /// A session id for this endpoint.
    Session,
    /// API keys for this endpoint.
    Keypair,
    /// The session end for this endpoint.
    Timer,
    /// A finished single sign-on, waiting for the popup.
    SsoReport,
    /// Something this version does not know (kept from another version).
    Other,
}

/// Names a stored key: what it is, and the endpoint or origin it is for.
pub fn describe(key: &str) -> (Entry, Option<&str>) {
    let fixed = [
        (ENDPOINT_KEY, Entry::Endpoint),
        (PROFILES_KEY, Entry::Profiles),
        (LANGUAGE_KEY, Entry::Language),
        (WARN_KEY, Entry::WarnMinutes),
        (WEBUI_ORIGINS_KEY, Entry::WebuiOrigins),
        (SSO_REPORT_KEY, Entry::SsoReport),
    ];
    if let Some((_, entry)) = fixed.iter().find(|(name, _)| *name == key) {
        return (*entry, None);
    }
    let prefixed = [
        (SIDEBAR_PREFIX, Entry::Sidebar),
        (SESSION_PREFIX, Entry::Session),
        (KEYPAIR_PREFIX, Entry::Keypair),
        (TIMER_PREFIX, Entry::Timer),
    ];
    for (prefix, entry) in prefixed {
        if let Some(rest) = key.strip_prefix(prefix) {
            return (entry, Some(rest));
        }
    }
    (Entry::Other, None)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_name_what_they_hold() {
        let endpoint = "http://127.0.0.1:8090";
        assert_eq!(
            describe(&session_key(endpoint)),
            (Entry::Session, Some(endpoint))
        );
        assert_eq!(
            describe(&keypair_key(endpoint)),
            (Entry::Keypair, Some(endpoint))
        );
        assert_eq!(
            describe(&timer_key(endpoint)),
            (Entry::Timer, Some(endpoint))
        );
        assert_eq!(
            describe("sidebar:https://ai.example.com"),
            (Entry::Sidebar, Some("https://ai.example.com"))
        );
        assert_eq!(describe(PROFILES_KEY), (Entry::Profiles, None));
        assert_eq!(describe(SSO_REPORT_KEY), (Entry::SsoReport, None));
        assert_eq!(describe("something-else"), (Entry::Other, None));
    }

    #[test]
    fn both_forms_read_back() {
        let endpoint = "http://127.0.0.1:8090";
        assert_eq!(
            decode::<String>(json!(endpoint)),
            Some((endpoint.to_owned(), Form::Native))
        );
        assert_eq!(
            decode::<String>(json!(format!("\"{endpoint}\""))),
            Some((endpoint.to_owned(), Form::JsonText))
        );
        assert_eq!(decode::<u32>(json!(7)), Some((7, Form::Native)));
        assert_eq!(decode::<u32>(json!("7")), Some((7, Form::JsonText)));
        assert_eq!(decode::<u32>(json!("seven")), None);
        assert_eq!(decode::<String>(json!(null)), None);
    }

    #[test]
    fn the_old_json_text_is_rewritten_once_as_native_values() {
        let old = [
            (ENDPOINT_KEY, json!("\"http://a\""), json!("http://a")),
            (LANGUAGE_KEY, json!("\"ko\""), json!("ko")),
            (WARN_KEY, json!("12"), json!(12)),
            (
                PROFILES_KEY,
                json!("[{\"endpoint\":\"http://a\",\"username\":\"alice\",\"mode\":\"api\"}]"),
                json!([{"endpoint": "http://a", "username": "alice", "mode": "api"}]),
            ),
            (
                WEBUI_ORIGINS_KEY,
                json!("[\"https://ai.example.com\"]"),
                json!(["https://ai.example.com"]),
            ),
            (
                "sidebar:https://ai.example.com",
                json!("\"narrow\""),
                json!("narrow"),
            ),
            ("session:http://a", json!("\"tok\""), json!("tok")),
            (
                "keypair:http://a",
                json!("{\"access_key\":\"AK\",\"secret_key\":\"SK\",\"role\":\"user\"}"),
                json!({"access_key": "AK", "secret_key": "SK", "role": "user"}),
            ),
            (
                "timer:http://a",
                json!("{\"expires_ms\":1000.0,\"warned_for\":null}"),
                json!({"expires_ms": 1000.0, "warned_for": null}),
            ),
        ];
        for (key, stored, native) in old {
            let upgraded = upgrade(key, &stored);
            assert_eq!(upgraded.as_ref(), Some(&native), "{key}");
            // Written back, it reads the same and is not rewritten again.
            assert_eq!(upgrade(key, &native), None, "{key} twice");
        }
        // The new form, unknown keys and unreadable values stay as they are.
        assert_eq!(upgrade(ENDPOINT_KEY, &json!("http://a")), None);
        assert_eq!(upgrade("something-else", &json!("\"x\"")), None);
        assert_eq!(upgrade(WARN_KEY, &json!("soon")), None);
    }

    #[test]
    fn keypairs_never_print_their_secret() {
        let keypair = StoredKeypair {
            access_key: "AK".into(),
            secret_key: "SECRETKEY".into(),
            role: "user".into(),
        };
        assert!(!format!("{keypair:?}").contains("SECRETKEY"));
    }
}
