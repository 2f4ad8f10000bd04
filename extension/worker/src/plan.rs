//! The service worker's rules, as pure functions: the names of its alarms
//! and notifications, which origins the sidebar script may run on, what a
//! notification's button does. The effects in `lib.rs` follow them.

use baigate_extension::profiles::Profile;
use baigate_extension::protocol::{access_pattern, normalize_endpoint, origin_of, origin_pattern};

/// How often sessions are checked with the server (minutes).
pub const CHECK_MINUTES: f64 = 0.5;
/// The sidebar content script: its registration id and file.
pub const SIDEBAR_SCRIPT_ID: &str = "baigate-sidebar";
pub const SIDEBAR_SCRIPT: &str = "content.js";
/// The host permissions the manifest grants (this computer's pages, any
/// port): no endpoint there needs to ask for access.
pub const LOOPBACK_PATTERNS: [&str; 2] = ["http://127.0.0.1/*", "http://localhost/*"];

/// An alarm of the worker's, by what it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alarm {
    /// The periodic check of every session.
    Check,
    /// Wipe a secret copied from the popup off the clipboard.
    ClearClipboard,
    /// Warn that the endpoint's session ends soon.
    Warn(String),
    /// The endpoint's session ends.
    Expire(String),
}

const CHECK_ALARM: &str = "check";
const CLIPBOARD_ALARM: &str = "clear-clipboard";
const WARN_PREFIX: &str = "warn:";
const EXPIRE_PREFIX: &str = "expire:";

impl Alarm {
    /// The alarm's name in `chrome.alarms`.
    pub fn name(&self) -> String {
        match self {
            Self::Check => CHECK_ALARM.to_owned(),
            Self::ClearClipboard => CLIPBOARD_ALARM.to_owned(),
            Self::Warn(endpoint) => format!("{WARN_PREFIX}{endpoint}"),
            Self::Expire(endpoint) => format!("{EXPIRE_PREFIX}{endpoint}"),
        }
    }

    /// The alarm a name belongs to (`None`: not one of ours).
    pub fn from_name(name: &str) -> Option<Self> {
        if name == CHECK_ALARM {
            Some(Self::Check)
        } else if name == CLIPBOARD_ALARM {
            Some(Self::ClearClipboard)
        } else if let Some(endpoint) = name.strip_prefix(WARN_PREFIX) {
            Some(Self::Warn(endpoint.to_owned()))
        } else {
            name.strip_prefix(EXPIRE_PREFIX)
                .map(|endpoint| Self::Expire(endpoint.to_owned()))
        }
    }
}

/// A notification of the worker's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    /// The session ends soon (with Extend and Log out).
    Expiry(String),
    /// The session ended (at its end, or elsewhere).
    Ended(String),
    /// A single sign-on ended while the popup was closed, and the browser
    /// would not open it again.
    SingleSignOn(String),
}

const EXPIRY_PREFIX: &str = "expiry:";
const ENDED_PREFIX: &str = "ended:";
const SSO_PREFIX: &str = "sso:";

impl Notification {
    /// The notification's id in `chrome.notifications`.
    pub fn id(&self) -> String {
        match self {
            Self::Expiry(endpoint) => format!("{EXPIRY_PREFIX}{endpoint}"),
            Self::Ended(endpoint) => format!("{ENDED_PREFIX}{endpoint}"),
            Self::SingleSignOn(endpoint) => format!("{SSO_PREFIX}{endpoint}"),
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        if let Some(endpoint) = id.strip_prefix(EXPIRY_PREFIX) {
            Some(Self::Expiry(endpoint.to_owned()))
        } else if let Some(endpoint) = id.strip_prefix(SSO_PREFIX) {
            Some(Self::SingleSignOn(endpoint.to_owned()))
        } else {
            id.strip_prefix(ENDED_PREFIX)
                .map(|endpoint| Self::Ended(endpoint.to_owned()))
        }
    }
}

/// What a click on a notification's button asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonAction {
    Extend(String),
    Logout(String),
}

/// The expiry warning's buttons are Extend (0) and Log out (1); other
/// notifications have none.
pub fn button_action(notification_id: &str, button: u32) -> Option<ButtonAction> {
    match Notification::from_id(notification_id)? {
        Notification::Expiry(endpoint) if button == 0 => Some(ButtonAction::Extend(endpoint)),
        Notification::Expiry(endpoint) => Some(ButtonAction::Logout(endpoint)),
        Notification::Ended(_) | Notification::SingleSignOn(_) => None,
    }
}

/// Whole minutes left before an end (at least 1), for the warning's text.
pub fn minutes_left(expires_ms: f64, now_ms: f64) -> u32 {
    ((expires_ms - now_ms) / 60_000.0).ceil().max(1.0) as u32
}

/// Whether a session the server reports as ending at `expires_ms` outlives
/// the alarm that rang for its end (it was extended meanwhile).
pub fn outlives(expires_ms: f64, now_ms: f64) -> bool {
    expires_ms > now_ms + 1_000.0
}

/// The host permission patterns of the endpoints logged in to and the WebUI
/// origins the user added, once each, without this computer's (which need
/// no permission); in that order.
pub fn remote_patterns(profiles: &[Profile], added: &[String]) -> Vec<String> {
    let mut patterns: Vec<String> = Vec::new();
    let origins = profiles.iter().map(|p| p.endpoint.as_str());
    for origin in origins.chain(added.iter().map(String::as_str)) {
        if let Some(pattern) = normalize_endpoint(origin).and_then(|e| access_pattern(&e))
            && !patterns.contains(&pattern)
            && !LOOPBACK_PATTERNS.contains(&pattern.as_str())
        {
            patterns.push(pattern);
        }
    }
    patterns
}

/// An origin where the sidebar script runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SidebarOrigin {
    /// As the browser writes it (`sender.origin` of its pages).
    pub origin: String,
    /// Its match pattern, with its port: never every port of a host, so
    /// other servers on this computer (a notebook, a dev server) do not
    /// get the script.
    pub pattern: String,
    /// The host permission the extension needs there first (none for
    /// this computer's, which the manifest grants).
    pub access: Option<String>,
}

/// The origins of `endpoints` (the endpoint in use, those with a session,
/// the profiles', the WebUI addresses the user added), once each, in that
/// order.
pub fn sidebar_origins<'a>(endpoints: impl IntoIterator<Item = &'a str>) -> Vec<SidebarOrigin> {
    let mut found: Vec<SidebarOrigin> = Vec::new();
    for endpoint in endpoints {
        let Some(endpoint) = normalize_endpoint(endpoint) else {
            continue;
        };
        if let (Some(origin), Some(pattern)) = (origin_of(&endpoint), origin_pattern(&endpoint))
            && !found.iter().any(|known| known.origin == origin)
        {
            found.push(SidebarOrigin {
                origin,
                pattern,
                access: access_pattern(&endpoint),
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use baigate_extension::profiles::Mode;

    use super::*;

    #[test]
    fn alarm_names_read_back() {
        let alarms = [
            Alarm::Check,
            Alarm::ClearClipboard,
            Alarm::Warn("http://127.0.0.1:8090".into()),
            Alarm::Expire("https://ai.example.com/backend".into()),
        ];
        for alarm in alarms {
            assert_eq!(Alarm::from_name(&alarm.name()), Some(alarm));
        }
        assert_eq!(Alarm::from_name("someone-else's"), None);
    }

    #[test]
    fn only_the_expiry_warning_has_buttons() {
        let endpoint = "http://127.0.0.1:8090";
        let warning = Notification::Expiry(endpoint.into()).id();
        assert_eq!(
            button_action(&warning, 0),
            Some(ButtonAction::Extend(endpoint.into()))
        );
        assert_eq!(
            button_action(&warning, 1),
            Some(ButtonAction::Logout(endpoint.into()))
        );
        assert_eq!(
            button_action(&Notification::Ended(endpoint.into()).id(), 0),
            None
        );
        let sso = Notification::SingleSignOn(endpoint.into());
        assert_eq!(Notification::from_id(&sso.id()), Some(sso.clone()));
        assert_eq!(button_action(&sso.id(), 0), None);
        assert_eq!(button_action("other", 0), None);
        assert_ne!(
            Notification::Expiry(endpoint.into()).id(),
            Notification::Ended(endpoint.into()).id()
        );
    }

    #[test]
    fn minutes_and_ends() {
        assert_eq!(minutes_left(5.0 * 60_000.0, 0.0), 5);
        assert_eq!(
            minutes_left(4.5 * 60_000.0, 0.0),
            5,
            "a started minute counts"
        );
        assert_eq!(minutes_left(10.0, 0.0), 1);
        assert_eq!(minutes_left(0.0, 10.0), 1, "never less than one");
        assert!(outlives(10_000.0, 0.0));
        assert!(!outlives(500.0, 0.0), "an end within a second is the end");
    }

    #[test]
    fn the_sidebar_runs_on_remote_origins_once_each() {
        let profile = |endpoint: &str| Profile {
            endpoint: endpoint.into(),
            username: None,
            mode: Mode::Session,
        };
        let profiles = [
            profile("http://127.0.0.1:8090"),
            profile("https://ai.example.com/backend"),
            profile("not an address"),
        ];
        let added = [
            "https://ai.example.com:8443".to_owned(),
            "http://10.0.0.5:8080".to_owned(),
            "http://localhost:9".to_owned(),
        ];
        assert_eq!(
            remote_patterns(&profiles, &added),
            ["https://ai.example.com/*", "http://10.0.0.5/*"]
        );
    }

    #[test]
    fn the_sidebar_runs_on_configured_origins_with_their_ports_only() {
        let endpoints = [
            "http://127.0.0.1:8090",
            "http://127.0.0.1:8090/backend",
            "https://ai.example.com/backend",
            "http://localhost:9/summary",
            "not an address",
            "https://AI.example.com",
        ];
        let origins = sidebar_origins(endpoints);
        let patterns: Vec<&str> = origins.iter().map(|o| o.pattern.as_str()).collect();
        assert_eq!(
            patterns,
            [
                "http://127.0.0.1:8090/*",
                "https://ai.example.com:443/*",
                "http://localhost:9/*"
            ]
        );
        assert!(
            !patterns.iter().any(|p| LOOPBACK_PATTERNS.contains(p)),
            "never every port of this computer"
        );
        let origins_only: Vec<&str> = origins.iter().map(|o| o.origin.as_str()).collect();
        assert_eq!(
            origins_only,
            [
                "http://127.0.0.1:8090",
                "https://ai.example.com",
                "http://localhost:9"
            ]
        );
        let access: Vec<Option<&str>> = origins.iter().map(|o| o.access.as_deref()).collect();
        assert_eq!(access, [None, Some("https://ai.example.com/*"), None]);
    }
}
