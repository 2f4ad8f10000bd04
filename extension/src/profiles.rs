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

/// The list with the profile of `old` edited to `profile`, in its place. An
/// edit that renames it to another profile's endpoint replaces that one.
pub fn edit(profiles: &[Profile], old: &str, profile: Profile) -> Vec<Profile> {
    profiles
        .iter()
        .filter(|p| p.endpoint != profile.endpoint || p.endpoint == old)
        .map(|p| {
            if p.endpoint == old {
                profile.clone()
            } else {
                p.clone()
            }
        })
        .collect()
}

/// The endpoint in use once the profile of `old` became `new` (`None`:
/// removed): it follows the edit when it was that profile's.
pub fn endpoint_after(in_use: Option<&str>, old: &str, new: Option<&str>) -> Option<String> {
    match in_use {
        Some(endpoint) if endpoint == old => new.map(str::to_owned),
        other => other.map(str::to_owned),
    }
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
    fn an_edit_keeps_the_place_and_a_rename_replaces_a_namesake() {
        let list = vec![
            profile("http://a", Some("alice"), Mode::Session),
            profile("http://b", None, Mode::Api),
            profile("http://c", None, Mode::Session),
        ];
        let edited = edit(
            &list,
            "http://b",
            profile("http://b", Some("bob"), Mode::Session),
        );
        assert_eq!(edited[1], profile("http://b", Some("bob"), Mode::Session));
        assert_eq!(edited.len(), 3);
        let renamed = edit(
            &list,
            "http://a",
            profile("http://c", Some("carol"), Mode::Api),
        );
        assert_eq!(
            renamed,
            vec![
                profile("http://c", Some("carol"), Mode::Api),
                profile("http://b", None, Mode::Api),
            ]
        );
        assert_eq!(
            edit(&list, "http://x", profile("http://y", None, Mode::Api)),
            list
        );
    }

    #[test]
    fn the_endpoint_in_use_follows_its_profile() {
        assert_eq!(
            endpoint_after(Some("http://a"), "http://a", Some("http://b")).as_deref(),
            Some("http://b")
        );
        assert_eq!(endpoint_after(Some("http://a"), "http://a", None), None);
        assert_eq!(
            endpoint_after(Some("http://c"), "http://a", None).as_deref(),
            Some("http://c")
        );
        assert_eq!(endpoint_after(None, "http://a", Some("http://b")), None);
    }

    #[test]
    fn stored_profiles_read_back_with_defaults() {
        let read: Vec<Profile> = serde_json::from_str(r#"[{"endpoint": "http://a"}]"#).unwrap();
        assert_eq!(read, vec![profile("http://a", None, Mode::Session)]);
        assert_eq!(serde_json::to_string(&Mode::Api).unwrap(), "\"api\"");
    }
}
