//! Every key the extension keeps in `chrome.storage`, in one place: the
//! popup, the service worker and the options page read the same entries, and
//! the options page lists them for the user.

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
/// (written by the content script).
pub const SIDEBAR_PREFIX: &str = "sidebar:";
/// Managed storage (set by an administrator) and the build's settings: the
/// endpoint every popup is pinned to.
pub const PINNED_KEY: &str = "pinned_endpoint";

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
        assert_eq!(describe("something-else"), (Entry::Other, None));
    }
}
