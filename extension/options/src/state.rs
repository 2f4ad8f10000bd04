//! The options page's state and every change to it, as a reducer (like the
//! popup's): pure, so each change is tested natively. The effects in
//! `actions` write storage first, then report here what was written.

use std::rc::Rc;

use baigate_extension::notice::Notice;
use baigate_extension::profiles::Profile;
use baigate_extension::text::Text;
use baigate_extension::timer;
use yew::Reducible;

use crate::listing::StoredLine;

/// What the page edits, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The language chosen (`None`: the browser's).
    pub language: Option<String>,
    pub warn_minutes: u32,
    pub profiles: Vec<Profile>,
    pub webui_origins: Vec<String>,
    /// The sidebar command's shortcut (the browser keeps it).
    pub shortcut: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            language: None,
            warn_minutes: timer::warn_minutes(None),
            profiles: Vec::new(),
            webui_origins: Vec::new(),
            shortcut: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct OptionsState {
    /// `None` until storage has been read.
    pub settings: Option<Settings>,
    pub notice: Option<Notice>,
    /// What storage holds, one line per entry (it follows every change, from
    /// any part of the extension).
    pub stored: Vec<StoredLine>,
}

#[derive(Debug, Clone)]
pub enum Action {
    Loaded(Settings),
    StoredListed(Vec<StoredLine>),
    LanguageChosen(Option<String>),
    WarningSet(u32),
    /// The profiles, as saved; what to say.
    ProfilesSaved {
        profiles: Vec<Profile>,
        notice: Notice,
    },
    /// The WebUI addresses, as saved; what to say.
    OriginsSaved {
        origins: Vec<String>,
        notice: Notice,
    },
    /// Everything was cleared (the shortcut stays: the browser keeps it).
    Cleared,
    Notice(Notice),
}

/// The WebUI addresses with `origin` added once.
pub fn with_origin(origins: &[String], origin: &str) -> Vec<String> {
    let mut added = origins.to_vec();
    if !added.iter().any(|o| o == origin) {
        added.push(origin.to_owned());
    }
    added
}

/// The WebUI addresses without `origin`.
pub fn without_origin(origins: &[String], origin: &str) -> Vec<String> {
    origins.iter().filter(|o| *o != origin).cloned().collect()
}

impl Reducible for OptionsState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        let saved = Notice::info(Text::OptionsSaved);
        match action {
            Action::Loaded(settings) => next.settings = Some(settings),
            Action::StoredListed(lines) => next.stored = lines,
            Action::LanguageChosen(language) => {
                if let Some(settings) = next.settings.as_mut() {
                    settings.language = language;
                }
                next.notice = Some(saved);
            }
            Action::WarningSet(minutes) => {
                if let Some(settings) = next.settings.as_mut() {
                    settings.warn_minutes = minutes;
                }
                next.notice = Some(saved);
            }
            Action::ProfilesSaved { profiles, notice } => {
                if let Some(settings) = next.settings.as_mut() {
                    settings.profiles = profiles;
                }
                next.notice = Some(notice);
            }
            Action::OriginsSaved { origins, notice } => {
                if let Some(settings) = next.settings.as_mut() {
                    settings.webui_origins = origins;
                }
                next.notice = Some(notice);
            }
            Action::Cleared => {
                let shortcut = next.settings.take().and_then(|s| s.shortcut);
                next.settings = Some(Settings {
                    shortcut,
                    ..Settings::default()
                });
                next.notice = Some(Notice::info(Text::OptionsCleared));
            }
            Action::Notice(notice) => next.notice = Some(notice),
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use baigate_extension::profiles::{self, Mode};

    use super::*;

    fn reduce(state: OptionsState, action: Action) -> OptionsState {
        (*Rc::new(state).reduce(action)).clone()
    }

    fn loaded() -> OptionsState {
        let settings = Settings {
            language: Some("ko".into()),
            warn_minutes: 10,
            profiles: vec![Profile {
                endpoint: "http://a".into(),
                username: Some("alice".into()),
                mode: Mode::Session,
            }],
            webui_origins: vec!["https://ai.example.com".into()],
            shortcut: Some("Alt+Shift+S".into()),
        };
        reduce(OptionsState::default(), Action::Loaded(settings))
    }

    fn settings(state: &OptionsState) -> &Settings {
        state.settings.as_ref().unwrap()
    }

    #[test]
    fn each_saved_setting_shows_at_once_and_says_so() {
        let state = reduce(loaded(), Action::LanguageChosen(None));
        assert_eq!(settings(&state).language, None);
        assert_eq!(state.notice, Some(Notice::info(Text::OptionsSaved)));
        let state = reduce(state, Action::WarningSet(30));
        assert_eq!(settings(&state).warn_minutes, 30);

        let edited = Profile {
            endpoint: "http://b".into(),
            username: None,
            mode: Mode::Api,
        };
        let profiles = profiles::edit(&settings(&state).profiles, "http://a", edited.clone());
        let state = reduce(
            state,
            Action::ProfilesSaved {
                profiles,
                notice: Notice::info(Text::OptionsSaved),
            },
        );
        assert_eq!(settings(&state).profiles, vec![edited]);
        let profiles = profiles::forget(&settings(&state).profiles, "http://b");
        let state = reduce(
            state,
            Action::ProfilesSaved {
                profiles,
                notice: Notice::info_with(Text::OptionsRemoved, "http://b"),
            },
        );
        assert!(settings(&state).profiles.is_empty());
        assert_eq!(
            state.notice,
            Some(Notice::info_with(Text::OptionsRemoved, "http://b"))
        );

        let origins = with_origin(&settings(&state).webui_origins, "http://localhost:9");
        let state = reduce(
            state,
            Action::OriginsSaved {
                origins,
                notice: Notice::info(Text::OptionsSaved),
            },
        );
        assert_eq!(
            settings(&state).webui_origins,
            ["https://ai.example.com", "http://localhost:9"]
        );
    }

    #[test]
    fn clearing_forgets_everything_but_the_browsers_shortcut() {
        let state = reduce(loaded(), Action::Cleared);
        assert_eq!(
            state.settings,
            Some(Settings {
                shortcut: Some("Alt+Shift+S".into()),
                ..Settings::default()
            })
        );
        assert_eq!(state.notice, Some(Notice::info(Text::OptionsCleared)));
    }

    #[test]
    fn origins_once_each() {
        let origins = vec!["http://a".to_owned()];
        assert_eq!(with_origin(&origins, "http://a"), origins);
        assert_eq!(with_origin(&origins, "http://b"), ["http://a", "http://b"]);
        assert!(without_origin(&origins, "http://a").is_empty());
    }

    #[test]
    fn the_stored_list_is_replaced_whole() {
        let state = reduce(
            loaded(),
            Action::StoredListed(vec![StoredLine::Profiles(1)]),
        );
        let state = reduce(state, Action::StoredListed(Vec::new()));
        assert!(state.stored.is_empty());
        assert_eq!(settings(&state).warn_minutes, 10, "settings untouched");
    }
}
