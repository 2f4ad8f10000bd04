//! Endpoint profiles: each endpoint the user logged in to, with the last
//! username and login mode used there, most recent first.

use serde::{Deserialize, Serialize};

/// How many endpoints are remembered.
pub const PROFILES_KEPT: usize = 8;

/// Password login with a server-side session, or signed requests with an
/// API keypair.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Session,
    Api,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub endpoint: String,
    /// The email or username last used (session mode only).
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub mode: Mode,
}

/// The list with `profile` first (replacing its endpoint's older entry),
/// without repeats, at most [`PROFILES_KEPT`]. A profile without a username
/// keeps the one remembered before.
pub fn remember(profiles: &[Profile], mut profile: Profile) -> Vec<Profile> {
    if profile.username.is_none() {
        profile.username = find(profiles, &profile.endpoint).and_then(|p| p.username.clone());
    }
    let endpoint = profile.endpoint.clone();
    std::iter::once(profile)
        .chain(profiles.iter().filter(|p| p.endpoint != endpoint).cloned())
        .take(PROFILES_KEPT)
        .collect()
}

/// The profile of an endpoint.
pub fn find<'a>(profiles: &'a [Profile], endpoint: &str) -> Option<&'a Profile> {
    profiles.iter().find(|p| p.endpoint == endpoint)
}

/// Without an endpoint (the user removed it).
pub fn forget(profiles: &[Profile], endpoint: &str) -> Vec<Profile> {
    profiles
        .iter()
        .filter(|p| p.endpoint != endpoint)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(endpoint: &str, username: Option<&str>, mode: Mode) -> Profile {
        Profile {
            endpoint: endpoint.into(),
            username: username.map(Into::into),
            mode,
        }
    }

    #[test]
    fn the_latest_comes_first_once() {
        let list: Vec<Profile> = (0..10)
            .map(|i| profile(&format!("http://h{i}"), Some("u"), Mode::Session))
            .collect();
        let next = remember(&list, profile("http://h3", Some("alice"), Mode::Api));
        assert_eq!(next.len(), PROFILES_KEPT);
        assert_eq!(next[0], profile("http://h3", Some("alice"), Mode::Api));
        assert_eq!(next.iter().filter(|p| p.endpoint == "http://h3").count(), 1);
    }

    #[test]
    fn an_api_login_keeps_the_username_remembered_before() {
        let list = vec![profile("http://a", Some("alice"), Mode::Session)];
        let next = remember(&list, profile("http://a", None, Mode::Api));
        assert_eq!(next[0], profile("http://a", Some("alice"), Mode::Api));
        assert_eq!(find(&next, "http://a").map(|p| p.mode), Some(Mode::Api));
        assert!(forget(&next, "http://a").is_empty());
    }

    #[test]
    fn stored_profiles_read_back_with_defaults() {
        let read: Vec<Profile> = serde_json::from_str(r#"[{"endpoint": "http://a"}]"#).unwrap();
        assert_eq!(read, vec![profile("http://a", None, Mode::Session)]);
        assert_eq!(serde_json::to_string(&Mode::Api).unwrap(), "\"api\"");
    }
}
