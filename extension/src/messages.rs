//! The messages the extension's parts send each other (`chrome.runtime`,
//! `chrome.tabs`): one serde enum per receiver, crossing into JavaScript as
//! `{type: "…"}` objects through serde-wasm-bindgen. The receivers and
//! filters written in JavaScript (`background.js`, `content.js`,
//! `offscreen.js`) list the same names; the tests below hold them to these
//! enums.

use serde::{Deserialize, Serialize};

use baigate_shared::webserver::SsoVendor;

/// The keyboard command (the manifest's `commands`) that toggles the
/// sidebar of the Backend.AI page in the current tab.
pub const SIDEBAR_COMMAND: &str = "toggle-sidebar";

/// To the service worker, from the popup and the options page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum WorkerMessage {
    /// Logged in (perhaps to a new endpoint), out, extended, or the endpoint
    /// in use changed: redraw the badge, reset the alarms, re-register the
    /// sidebar script.
    SessionChanged,
    /// A secret was copied: wipe the clipboard after a while.
    ClearClipboard,
    /// The options changed (language, warning time, profiles, WebUI pages).
    SettingsChanged,
    /// The options page's "clear everything".
    ClearAll,
    /// Log in to `endpoint` by single sign-on (the popup closes when the
    /// sign-in window takes the focus, so the worker runs it); the answer
    /// is how it ended (`sso::SsoReport`).
    #[serde(rename_all = "camelCase")]
    SingleSignOn {
        endpoint: String,
        server: SsoServer,
        vendor: SsoVendor,
    },
}

/// Which way a single sign-on starts, by what the endpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SsoServer {
    /// A baigate companion: a GET start with a challenge, ending at the
    /// extension's own address.
    Companion,
    /// A Backend.AI webserver: the WebUI's form, ending on the endpoint's
    /// own origin.
    Webserver,
}

impl WorkerMessage {
    /// One of each kind (the single sign-on with empty data).
    pub const ALL: [Self; 5] = [
        Self::SessionChanged,
        Self::ClearClipboard,
        Self::SettingsChanged,
        Self::ClearAll,
        Self::SingleSignOn {
            endpoint: String::new(),
            server: SsoServer::Companion,
            vendor: SsoVendor::OpenId,
        },
    ];

    /// The `type` on the wire.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::SessionChanged => "session-changed",
            Self::ClearClipboard => "clear-clipboard",
            Self::SettingsChanged => "settings-changed",
            Self::ClearAll => "clear-all",
            Self::SingleSignOn { .. } => "single-sign-on",
        }
    }
}

/// To the sidebar content script of a Backend.AI page (`content.js`); it
/// answers with a [`SidebarAnswer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ContentMessage {
    SidebarState,
    ToggleSidebar,
}

impl ContentMessage {
    pub const ALL: [Self; 2] = [Self::SidebarState, Self::ToggleSidebar];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SidebarState => "sidebar-state",
            Self::ToggleSidebar => "toggle-sidebar",
        }
    }
}

/// A page's sidebar width, as its content script reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sidebar {
    Narrow,
    Wide,
}

/// The content script's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SidebarAnswer {
    pub state: Sidebar,
}

/// To the service worker, from the sidebar content script of a page. The
/// page's origin is the browser's word (`sender.origin`), never the
/// message's, so a page can reach only its own entry; the content script
/// has no storage of its own (storage is for the extension's pages only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum PageMessage {
    /// Remember the sidebar width chosen on this origin.
    RememberSidebar { state: Sidebar },
    /// The width chosen last on this origin: a [`SidebarAnswer`], or null.
    RememberedSidebar,
}

impl PageMessage {
    /// One of each kind.
    pub const ALL: [Self; 2] = [
        Self::RememberSidebar {
            state: Sidebar::Narrow,
        },
        Self::RememberedSidebar,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RememberSidebar { .. } => "remember-sidebar",
            Self::RememberedSidebar => "remembered-sidebar",
        }
    }
}

/// To the offscreen page (`offscreen.js`), from the service worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum OffscreenMessage {
    /// Prefixed: the popup's `clear-clipboard` for the worker reaches the
    /// offscreen page too, and must not be taken for this.
    #[serde(rename = "offscreen-clear-clipboard")]
    ClearClipboard,
}

impl OffscreenMessage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClearClipboard => "offscreen-clear-clipboard",
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The `type` serde writes.
    fn wire_type<T: Serialize>(message: &T) -> String {
        serde_json::to_value(message).unwrap()["type"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The quoted names in `source` between `start` and the next `end`.
    fn quoted_between(source: &str, start: &str, end: &str) -> BTreeSet<String> {
        let from = source.find(start).unwrap_or_else(|| panic!("no {start}")) + start.len();
        let list = &source[from..from + source[from..].find(end).unwrap()];
        list.split('\'')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn names_are_what_serde_writes_and_round_trip() {
        for message in WorkerMessage::ALL {
            assert_eq!(wire_type(&message), message.as_str());
            let back: WorkerMessage =
                serde_json::from_value(serde_json::to_value(&message).unwrap()).unwrap();
            assert_eq!(back, message);
        }
        let sso = WorkerMessage::SingleSignOn {
            endpoint: "http://a".into(),
            server: SsoServer::Webserver,
            vendor: SsoVendor::Saml,
        };
        assert_eq!(
            serde_json::to_value(&sso).unwrap(),
            serde_json::json!({"type": "single-sign-on", "endpoint": "http://a", "server": "webserver", "vendor": "saml"})
        );
        for message in ContentMessage::ALL {
            assert_eq!(wire_type(&message), message.as_str());
        }
        for message in PageMessage::ALL {
            assert_eq!(wire_type(&message), message.as_str());
        }
        assert_eq!(
            serde_json::to_value(PageMessage::RememberSidebar {
                state: Sidebar::Wide
            })
            .unwrap(),
            serde_json::json!({"type": "remember-sidebar", "state": "wide"})
        );
        let offscreen = OffscreenMessage::ClearClipboard;
        assert_eq!(wire_type(&offscreen), offscreen.as_str());
        let answer: SidebarAnswer =
            serde_json::from_value(serde_json::json!({"state": "narrow"})).unwrap();
        assert_eq!(answer.state, Sidebar::Narrow);
    }

    #[test]
    fn background_js_answers_exactly_the_worker_messages() {
        let script = include_str!("../static/background.js");
        let listed = quoted_between(script, "const WORKER_MESSAGES = new Set([", "]");
        let ours: BTreeSet<String> = WorkerMessage::ALL
            .iter()
            .map(|m| m.as_str().to_owned())
            .collect();
        assert_eq!(listed, ours);
        let listed = quoted_between(script, "const PAGE_MESSAGES = new Set([", "]");
        let ours: BTreeSet<String> = PageMessage::ALL
            .iter()
            .map(|m| m.as_str().to_owned())
            .collect();
        assert_eq!(listed, ours);
    }

    #[test]
    fn content_js_sends_only_the_page_messages() {
        let content = include_str!("../static/content.js");
        let sent: BTreeSet<String> = content
            .split("sendMessage({ type: '")
            .skip(1)
            .filter_map(|rest| rest.split('\'').next())
            .map(str::to_owned)
            .collect();
        let ours: BTreeSet<String> = PageMessage::ALL
            .iter()
            .map(|m| m.as_str().to_owned())
            .collect();
        assert_eq!(sent, ours);
    }

    #[test]
    fn the_manifest_has_the_sidebar_command() {
        let manifest: serde_json::Value =
            serde_json::from_str(include_str!("../manifest.json")).unwrap();
        assert!(manifest["commands"][SIDEBAR_COMMAND].is_object());
    }

    #[test]
    fn the_page_scripts_know_the_messages_sent_to_them() {
        let content = include_str!("../static/content.js");
        let handled: BTreeSet<String> = content
            .split("message?.type === '")
            .skip(1)
            .filter_map(|rest| rest.split('\'').next())
            .map(str::to_owned)
            .collect();
        let ours: BTreeSet<String> = ContentMessage::ALL
            .iter()
            .map(|m| m.as_str().to_owned())
            .collect();
        assert_eq!(handled, ours);
        let offscreen = include_str!("../static/offscreen.js");
        assert!(offscreen.contains(&format!(
            "message?.type !== '{}'",
            OffscreenMessage::ClearClipboard.as_str()
        )));
    }
}
