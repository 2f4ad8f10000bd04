//! What the extension stores, one line per entry, for the options page's
//! list: read from the entries as they are (in this build's form or the
//! JSON text of earlier builds), local ones first, each area by key.

use baigate_extension::profiles::Profile;
use baigate_extension::stored::{self, Entry};
use baigate_extension::timer;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// One stored entry, as the list names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredLine {
    /// The endpoint the popup is on.
    Endpoint(String),
    /// How many endpoint profiles.
    Profiles(usize),
    /// The language chosen (its tag; `None`: unreadable, the browser's).
    Language(Option<String>),
    WarnMinutes(u32),
    /// How many WebUI addresses were added.
    WebuiOrigins(usize),
    /// The sidebar width remembered for a page's origin.
    Sidebar(String),
    /// A session id, for an endpoint.
    Session(String),
    /// API keys, for an endpoint.
    Keypair(String),
    /// A session's end, for an endpoint.
    Timer(String),
    /// A finished single sign-on, waiting for the popup.
    SsoReport,
    /// A key this version does not know.
    Other(String),
}

fn read<T: DeserializeOwned>(value: Value) -> Option<T> {
    stored::decode(value).map(|(value, _)| value)
}

/// Names one stored entry.
pub fn describe(key: &str, value: Value) -> StoredLine {
    let (entry, about) = stored::describe(key);
    let about = about.unwrap_or_default().to_owned();
    match entry {
        Entry::Endpoint => StoredLine::Endpoint(read(value).unwrap_or_default()),
        Entry::Profiles => StoredLine::Profiles(read::<Vec<Profile>>(value).map_or(0, |p| p.len())),
        Entry::Language => StoredLine::Language(read(value)),
        Entry::WarnMinutes => StoredLine::WarnMinutes(timer::warn_minutes(read(value))),
        Entry::WebuiOrigins => {
            StoredLine::WebuiOrigins(read::<Vec<String>>(value).map_or(0, |o| o.len()))
        }
        Entry::Sidebar => StoredLine::Sidebar(about),
        Entry::Session => StoredLine::Session(about),
        Entry::Keypair => StoredLine::Keypair(about),
        Entry::Timer => StoredLine::Timer(about),
        Entry::SsoReport => StoredLine::SsoReport,
        Entry::Other => StoredLine::Other(key.to_owned()),
    }
}

/// The lines for both areas: local first, each sorted by key.
pub fn lines(local: Vec<(String, Value)>, session: Vec<(String, Value)>) -> Vec<StoredLine> {
    let mut all = Vec::new();
    for mut entries in [local, session] {
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        all.extend(
            entries
                .into_iter()
                .map(|(key, value)| describe(&key, value)),
        );
    }
    all
}

#[cfg(test)]
mod tests {
    use baigate_extension::stored::{ENDPOINT_KEY, LANGUAGE_KEY, PROFILES_KEY, WARN_KEY};
    use serde_json::json;

    use super::*;

    #[test]
    fn every_entry_is_named_in_either_form() {
        let local = vec![
            (WARN_KEY.to_owned(), json!(90)),
            (ENDPOINT_KEY.to_owned(), json!("http://a")),
            (
                PROFILES_KEY.to_owned(),
                json!("[{\"endpoint\":\"http://a\"},{\"endpoint\":\"http://b\"}]"),
            ),
            (LANGUAGE_KEY.to_owned(), json!("\"ko\"")),
            ("sidebar:https://ai.example.com".to_owned(), json!("narrow")),
            ("left-by-another-version".to_owned(), json!(1)),
        ];
        let session = vec![
            ("timer:http://a".to_owned(), json!({"expires_ms": 1.0})),
            ("session:http://a".to_owned(), json!("tok")),
            (
                "sso_report".to_owned(),
                json!({"endpoint": "http://a", "finished_ms": 1.0, "result": {"outcome": "window-closed"}}),
            ),
        ];
        assert_eq!(
            lines(local, session),
            vec![
                StoredLine::Endpoint("http://a".into()),
                StoredLine::Language(Some("ko".into())),
                StoredLine::Other("left-by-another-version".into()),
                StoredLine::Profiles(2),
                StoredLine::Sidebar("https://ai.example.com".into()),
                StoredLine::WarnMinutes(30),
                StoredLine::Session("http://a".into()),
                StoredLine::SsoReport,
                StoredLine::Timer("http://a".into()),
            ]
        );
    }

    #[test]
    fn unreadable_values_still_make_a_line() {
        assert_eq!(
            describe(PROFILES_KEY, json!("not json")),
            StoredLine::Profiles(0)
        );
        assert_eq!(describe(LANGUAGE_KEY, json!(5)), StoredLine::Language(None));
        assert_eq!(
            describe(WARN_KEY, json!(null)),
            StoredLine::WarnMinutes(timer::DEFAULT_WARN_MINUTES)
        );
    }
}
