//! The options page's effects: each writes storage (or asks the browser or
//! the service worker), then reports to the reducer what was done. After a
//! change the service worker is told, so the badge, the alarms and the
//! content script follow without a restart.

use baigate_extension::messages::{SIDEBAR_COMMAND, WorkerMessage};
use baigate_extension::notice::Notice;
use baigate_extension::platform::permissions::{self, Grant};
use baigate_extension::platform::storage::{self, Area};
use baigate_extension::platform::{commands, dom, i18n, runtime};
use baigate_extension::profiles::{self, Profile};
use baigate_extension::protocol::access_pattern;
use baigate_extension::stored::{
    ENDPOINT_KEY, LANGUAGE_KEY, PROFILES_KEY, WARN_KEY, WEBUI_ORIGINS_KEY,
};
use baigate_extension::text::{Text, t};
use baigate_extension::timer;
use yew::UseReducerHandle;

use crate::listing;
use crate::state::{Action, OptionsState, Settings, with_origin, without_origin};

pub type Handle = UseReducerHandle<OptionsState>;

/// Sets the page's `lang` and title for the language in use.
pub fn label_page() {
    dom::set_language(&i18n::ui_language());
    dom::set_title(&t(Text::OptionsTitle));
}

/// Tells the service worker the settings changed.
async fn settings_changed() {
    runtime::tell_worker(WorkerMessage::SettingsChanged).await;
}

/// Reads what the page shows.
pub async fn load(state: Handle) {
    let settings = Settings {
        language: storage::get(Area::Local, LANGUAGE_KEY).await,
        warn_minutes: timer::warn_minutes(storage::get(Area::Local, WARN_KEY).await),
        profiles: storage::get(Area::Local, PROFILES_KEY)
            .await
            .unwrap_or_default(),
        webui_origins: storage::get(Area::Local, WEBUI_ORIGINS_KEY)
            .await
            .unwrap_or_default(),
        shortcut: commands::shortcut(SIDEBAR_COMMAND).await,
    };
    state.dispatch(Action::Loaded(settings));
}

/// Lists what storage holds now (again after each change, from anywhere).
pub async fn list_stored(state: Handle) {
    let local = storage::entries(Area::Local).await;
    let session = storage::entries(Area::Session).await;
    state.dispatch(Action::StoredListed(listing::lines(local, session)));
}

/// The settings as last read or saved.
fn settings_of(state: &Handle) -> Settings {
    state.settings.clone().unwrap_or_default()
}

/// Chooses the language (`None`: the browser's): applied to this page at
/// once; the popup reads it when it opens.
pub async fn choose_language(state: Handle, tag: Option<String>) {
    match &tag {
        Some(tag) => {
            storage::set(Area::Local, LANGUAGE_KEY, tag).await;
        }
        None => storage::remove(Area::Local, LANGUAGE_KEY).await,
    }
    i18n::choose(tag.as_deref()).await;
    label_page();
    settings_changed().await;
    state.dispatch(Action::LanguageChosen(tag));
}

/// Sets the warning time (kept within range).
pub async fn set_warning(state: Handle, minutes: u32) {
    storage::set(Area::Local, WARN_KEY, &minutes).await;
    settings_changed().await;
    state.dispatch(Action::WarningSet(minutes));
}

/// Saves the profiles after the profile of `old` became `new` (`None`:
/// removed); the endpoint the popup is on follows it.
async fn save_profiles(
    state: &Handle,
    profiles: Vec<Profile>,
    old: &str,
    new: Option<&str>,
    notice: Notice,
) {
    storage::set(Area::Local, PROFILES_KEY, &profiles).await;
    // Read now: the popup may have moved to another endpoint meanwhile.
    let in_use: Option<String> = storage::get(Area::Local, ENDPOINT_KEY).await;
    let after = profiles::endpoint_after(in_use.as_deref(), old, new);
    if after != in_use {
        match &after {
            Some(endpoint) => {
                storage::set(Area::Local, ENDPOINT_KEY, endpoint).await;
            }
            None => storage::remove(Area::Local, ENDPOINT_KEY).await,
        }
    }
    settings_changed().await;
    state.dispatch(Action::ProfilesSaved { profiles, notice });
}

/// Saves the profile of `old` as `profile`.
pub async fn edit_profile(state: Handle, old: String, profile: Profile) {
    let new = profile.endpoint.clone();
    let edited = profiles::edit(&settings_of(&state).profiles, &old, profile);
    let notice = Notice::info(Text::OptionsSaved);
    save_profiles(&state, edited, &old, Some(&new), notice).await;
}

/// Removes the profile of `endpoint`.
pub async fn remove_profile(state: Handle, endpoint: String) {
    let kept = profiles::forget(&settings_of(&state).profiles, &endpoint);
    let notice = Notice::info_with(Text::OptionsRemoved, endpoint.clone());
    save_profiles(&state, kept, &endpoint, None, notice).await;
}

/// Adds a WebUI address, once the access asked for in the click is granted.
pub async fn add_origin(state: Handle, origin: String, grant: Grant) -> bool {
    if !grant.granted().await {
        state.dispatch(Action::Notice(Notice::error_with(
            Text::ErrorAccessDenied,
            origin,
        )));
        return false;
    }
    let origins = with_origin(&settings_of(&state).webui_origins, &origin);
    storage::set(Area::Local, WEBUI_ORIGINS_KEY, &origins).await;
    settings_changed().await;
    state.dispatch(Action::OriginsSaved {
        origins,
        notice: Notice::info(Text::OptionsSaved),
    });
    true
}

/// Removes a WebUI address and gives up the access granted for it.
pub async fn remove_origin(state: Handle, origin: String) {
    let origins = without_origin(&settings_of(&state).webui_origins, &origin);
    storage::set(Area::Local, WEBUI_ORIGINS_KEY, &origins).await;
    if let Some(pattern) = access_pattern(&origin) {
        permissions::give_up(&pattern).await;
    }
    settings_changed().await;
    state.dispatch(Action::OriginsSaved {
        origins,
        notice: Notice::info_with(Text::OptionsRemoved, origin),
    });
}

/// Clears everything: the service worker logs every session out before it
/// wipes storage.
pub async fn clear_all(state: Handle) {
    runtime::tell_worker(WorkerMessage::ClearAll).await;
    i18n::choose(None).await;
    label_page();
    state.dispatch(Action::Cleared);
}
