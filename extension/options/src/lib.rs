//! The options page: language, expiry warning time, endpoint profiles, WebUI
//! addresses for the sidebar toggle, the shortcut, and what the extension
//! stores, with a button to clear it all.
//!
//! Every change is saved at once and the service worker is told, so the
//! badge, the alarms and the content script follow without a restart.

use baigate_extension::components::NoticeView;
use baigate_extension::platform::i18n::{self, LANGUAGES};
use baigate_extension::platform::storage::{self, Area};
use baigate_extension::platform::{commands, permissions, runtime, tabs};
use baigate_extension::profiles::{Mode, Profile};
use baigate_extension::protocol::{self, access_pattern};
use baigate_extension::state::Notice;
use baigate_extension::stored::{
    self, ENDPOINT_KEY, Entry, LANGUAGE_KEY, PROFILES_KEY, WARN_KEY, WEBUI_ORIGINS_KEY,
};
use baigate_extension::text::{Text, t, tf};
use baigate_extension::timer::{self, WARN_MINUTES_RANGE};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The toolbar command's name in the manifest.
const SIDEBAR_COMMAND: &str = "toggle-sidebar";
/// Where the browser lets the user change extension shortcuts.
const SHORTCUTS_PAGE: &str = "chrome://extensions/shortcuts";

/// Everything the page shows, read from storage.
#[derive(Debug, Clone, PartialEq, Default)]
struct Settings {
    language: Option<String>,
    warn_minutes: u32,
    profiles: Vec<Profile>,
    webui_origins: Vec<String>,
    shortcut: Option<String>,
    /// One line per stored entry.
    stored: Vec<String>,
}

async fn read_settings() -> Settings {
    Settings {
        language: storage::get(Area::Local, LANGUAGE_KEY).await,
        warn_minutes: timer::warn_minutes(storage::get(Area::Local, WARN_KEY).await),
        profiles: storage::get(Area::Local, PROFILES_KEY)
            .await
            .unwrap_or_default(),
        webui_origins: storage::get(Area::Local, WEBUI_ORIGINS_KEY)
            .await
            .unwrap_or_default(),
        shortcut: commands::shortcut(SIDEBAR_COMMAND).await,
        stored: stored_lines().await,
    }
}

fn language_name(tag: Option<&str>) -> String {
    t(match tag {
        Some("en") => Text::LanguageEnglish,
        Some("ko") => Text::LanguageKorean,
        Some("ja") => Text::LanguageJapanese,
        _ => Text::LanguageBrowser,
    })
}

/// A plain sentence for each stored entry, local ones first.
async fn stored_lines() -> Vec<String> {
    let mut lines = Vec::new();
    for area in [Area::Local, Area::Session] {
        let mut keys = storage::keys(area).await;
        keys.sort();
        for key in keys {
            let (entry, about) = stored::describe(&key);
            let about = about.unwrap_or_default();
            let line = match entry {
                Entry::Endpoint => {
                    let endpoint: String = storage::get(area, &key).await.unwrap_or_default();
                    tf(Text::StoredEndpoint, &[&endpoint])
                }
                Entry::Profiles => {
                    let profiles: Vec<Profile> = storage::get(area, &key).await.unwrap_or_default();
                    tf(Text::StoredProfiles, &[&profiles.len().to_string()])
                }
                Entry::Language => {
                    let tag: Option<String> = storage::get(area, &key).await;
                    tf(Text::StoredLanguage, &[&language_name(tag.as_deref())])
                }
                Entry::WarnMinutes => {
                    let minutes = timer::warn_minutes(storage::get(area, &key).await);
                    tf(Text::StoredWarn, &[&minutes.to_string()])
                }
                Entry::WebuiOrigins => {
                    let origins: Vec<String> = storage::get(area, &key).await.unwrap_or_default();
                    tf(Text::StoredWebui, &[&origins.len().to_string()])
                }
                Entry::Sidebar => tf(Text::StoredSidebar, &[about]),
                Entry::Session => tf(Text::StoredSession, &[about]),
                Entry::Keypair => tf(Text::StoredKeypair, &[about]),
                Entry::Timer => tf(Text::StoredTimer, &[about]),
                Entry::Other => tf(Text::StoredOther, &[&key]),
            };
            lines.push(line);
        }
    }
    lines
}

/// Sets the page's `lang` and title for the language in use.
fn label_page() {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        if let Some(root) = document.document_element() {
            let _ = root.set_attribute("lang", &i18n::ui_language());
        }
        document.set_title(&t(Text::OptionsTitle));
    }
}

/// Tells the service worker the settings changed (badge, alarms, content
/// script registration follow).
async fn settings_changed() {
    runtime::tell_worker("settings-changed").await;
}

#[component]
fn Options() -> Html {
    let settings = use_state(|| None::<Settings>);
    let notice = use_state(|| None::<Notice>);
    // Re-reads storage after each change.
    let reload = {
        let settings = settings.clone();
        Callback::from(move |()| {
            let settings = settings.clone();
            spawn_local(async move { settings.set(Some(read_settings().await)) });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with((), move |()| reload.emit(()));
    }
    let say = {
        let notice = notice.clone();
        Callback::from(move |n: Notice| notice.set(Some(n)))
    };
    let Some(current) = (*settings).clone() else {
        return html! { <main class="options"><p class="loading">{ t(Text::Busy) }</p></main> };
    };
    html! {
        <main class="options">
            <h1>{ t(Text::OptionsTitle) }</h1>
            <NoticeView notice={(*notice).clone()} />
            <LanguageSection language={current.language.clone()} reload={reload.clone()} say={say.clone()} />
            <WarningSection minutes={current.warn_minutes} reload={reload.clone()} say={say.clone()} />
            <ProfilesSection profiles={current.profiles.clone()} reload={reload.clone()} say={say.clone()} />
            <WebuiSection origins={current.webui_origins.clone()} reload={reload.clone()} say={say.clone()} />
            <ShortcutSection shortcut={current.shortcut.clone()} />
            <StoredSection lines={current.stored.clone()} reload={reload} say={say} />
        </main>
    }
}

#[derive(Properties, PartialEq)]
struct LanguageProps {
    language: Option<String>,
    reload: Callback<()>,
    say: Callback<Notice>,
}

#[component]
fn LanguageSection(props: &LanguageProps) -> Html {
    let onchange = {
        let reload = props.reload.clone();
        let say = props.say.clone();
        Callback::from(move |event: Event| {
            let Some(select) = event.target_dyn_into::<HtmlSelectElement>() else {
                return;
            };
            let tag = Some(select.value()).filter(|v| LANGUAGES.contains(&v.as_str()));
            let reload = reload.clone();
            let say = say.clone();
            spawn_local(async move {
                match &tag {
                    Some(tag) => storage::set(Area::Local, LANGUAGE_KEY, tag).await,
                    None => {
                        storage::remove(Area::Local, LANGUAGE_KEY).await;
                        true
                    }
                };
                // Applied here at once; the popup reads it when it opens.
                i18n::choose(tag.as_deref()).await;
                label_page();
                settings_changed().await;
                say.emit(Notice::info(Text::OptionsSaved));
                reload.emit(());
            });
        })
    };
    let chosen = props.language.clone().unwrap_or_default();
    let option = |value: &str, tag: Option<&str>| {
        html! {
            <option value={value.to_owned()} selected={chosen == value}>{ language_name(tag) }</option>
        }
    };
    html! {
        <section aria-labelledby="language-heading">
            <h2 id="language-heading">{ t(Text::OptionsLanguage) }</h2>
            <label for="language" class="visually-hidden">{ t(Text::OptionsLanguage) }</label>
            <select id="language" {onchange}>
                { option("", None) }
                { for LANGUAGES.iter().map(|tag| option(tag, Some(tag))) }
            </select>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct WarningProps {
    minutes: u32,
    reload: Callback<()>,
    say: Callback<Notice>,
}

#[component]
fn WarningSection(props: &WarningProps) -> Html {
    let (low, high) = WARN_MINUTES_RANGE;
    let onchange = {
        let reload = props.reload.clone();
        let say = props.say.clone();
        Callback::from(move |event: Event| {
            let Some(input) = event.target_dyn_into::<HtmlInputElement>() else {
                return;
            };
            let Ok(minutes) = input.value().trim().parse::<u32>() else {
                say.emit(Notice::error_with(
                    Text::ErrorFieldInvalid,
                    t(Text::OptionsWarningLabel),
                ));
                return;
            };
            let minutes = timer::warn_minutes(Some(minutes));
            input.set_value(&minutes.to_string());
            let reload = reload.clone();
            let say = say.clone();
            spawn_local(async move {
                storage::set(Area::Local, WARN_KEY, &minutes).await;
                settings_changed().await;
                say.emit(Notice::info(Text::OptionsSaved));
                reload.emit(());
            });
        })
    };
    html! {
        <section aria-labelledby="warning-heading">
            <h2 id="warning-heading">{ t(Text::OptionsWarning) }</h2>
            <label for="warn-minutes">{ t(Text::OptionsWarningLabel) }</label>
            <input id="warn-minutes" type="number" inputmode="numeric" min={low.to_string()}
                max={high.to_string()} step="1" value={props.minutes.to_string()}
                aria-describedby="warn-hint" {onchange} />
            <p id="warn-hint" class="hint">{ t(Text::OptionsWarningHint) }</p>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ProfilesProps {
    profiles: Vec<Profile>,
    reload: Callback<()>,
    say: Callback<Notice>,
}

/// Saves the profile list, and the endpoint in use if it was renamed or
/// removed.
async fn save_profiles(profiles: &[Profile], renamed: Option<(&str, Option<&str>)>) {
    storage::set(Area::Local, PROFILES_KEY, &profiles).await;
    if let Some((old, new)) = renamed {
        let in_use: Option<String> = storage::get(Area::Local, ENDPOINT_KEY).await;
        if in_use.as_deref() == Some(old) {
            match new {
                Some(new) => storage::set(Area::Local, ENDPOINT_KEY, &new).await,
                None => {
                    storage::remove(Area::Local, ENDPOINT_KEY).await;
                    true
                }
            };
        }
    }
    settings_changed().await;
}

#[component]
fn ProfilesSection(props: &ProfilesProps) -> Html {
    let rows = props.profiles.iter().enumerate().map(|(index, profile)| {
        html! {
            <ProfileRow key={profile.endpoint.clone()} {index} profiles={props.profiles.clone()}
                reload={props.reload.clone()} say={props.say.clone()} />
        }
    });
    html! {
        <section aria-labelledby="profiles-heading">
            <h2 id="profiles-heading">{ t(Text::OptionsProfiles) }</h2>
            if props.profiles.is_empty() {
                <p class="hint">{ t(Text::OptionsProfilesEmpty) }</p>
            } else {
                <ul class="profiles">{ for rows }</ul>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ProfileRowProps {
    index: usize,
    profiles: Vec<Profile>,
    reload: Callback<()>,
    say: Callback<Notice>,
}

#[component]
fn ProfileRow(props: &ProfileRowProps) -> Html {
    let endpoint_field = use_node_ref();
    let username_field = use_node_ref();
    let mode_field = use_node_ref();
    let Some(profile) = props.profiles.get(props.index).cloned() else {
        return html! {};
    };
    let onsubmit = {
        let (endpoint_field, username_field, mode_field) = (
            endpoint_field.clone(),
            username_field.clone(),
            mode_field.clone(),
        );
        let profiles = props.profiles.clone();
        let reload = props.reload.clone();
        let say = props.say.clone();
        let old = profile.endpoint.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let raw = endpoint_field
                .cast::<HtmlInputElement>()
                .map(|i| i.value())
                .unwrap_or_default();
            let Some(endpoint) = protocol::normalize_endpoint(&raw) else {
                say.emit(Notice::error_with(
                    Text::ErrorFieldInvalid,
                    t(Text::FieldEndpoint),
                ));
                return;
            };
            let username = username_field
                .cast::<HtmlInputElement>()
                .map(|i| i.value().trim().to_owned())
                .filter(|v| !v.is_empty());
            let mode = match mode_field
                .cast::<HtmlSelectElement>()
                .map(|s| s.value())
                .as_deref()
            {
                Some("api") => Mode::Api,
                _ => Mode::Session,
            };
            let mut edited = profiles.clone();
            // A renamed endpoint that matches another profile replaces it.
            edited.retain(|p| p.endpoint != endpoint || p.endpoint == old);
            if let Some(slot) = edited.iter_mut().find(|p| p.endpoint == old) {
                *slot = Profile {
                    endpoint: endpoint.clone(),
                    username,
                    mode,
                };
            }
            let (old, reload, say) = (old.clone(), reload.clone(), say.clone());
            spawn_local(async move {
                save_profiles(&edited, Some((&old, Some(&endpoint)))).await;
                say.emit(Notice::info(Text::OptionsSaved));
                reload.emit(());
            });
        })
    };
    let onremove = {
        let profiles = props.profiles.clone();
        let reload = props.reload.clone();
        let say = props.say.clone();
        let endpoint = profile.endpoint.clone();
        Callback::from(move |_| {
            let kept: Vec<Profile> = profiles
                .iter()
                .filter(|p| p.endpoint != endpoint)
                .cloned()
                .collect();
            let (endpoint, reload, say) = (endpoint.clone(), reload.clone(), say.clone());
            spawn_local(async move {
                save_profiles(&kept, Some((&endpoint, None))).await;
                say.emit(Notice::info_with(Text::OptionsRemoved, endpoint));
                reload.emit(());
            });
        })
    };
    let id = |name: &str| format!("profile-{}-{name}", props.index);
    html! {
        <li class="profile" data-endpoint={profile.endpoint.clone()}>
            <form class="profile-form" {onsubmit} novalidate=true>
                <label for={id("endpoint")}>{ t(Text::FieldEndpoint) }</label>
                <input id={id("endpoint")} type="url" ref={endpoint_field} value={profile.endpoint.clone()}
                    autocomplete="off" spellcheck="false" />
                <label for={id("username")}>{ t(Text::FieldUser) }</label>
                <input id={id("username")} type="text" ref={username_field}
                    value={profile.username.clone().unwrap_or_default()} autocomplete="off" spellcheck="false" />
                <label for={id("mode")}>{ t(Text::ModeLabel) }</label>
                <select id={id("mode")} ref={mode_field}>
                    <option value="session" selected={profile.mode == Mode::Session}>{ t(Text::ModeSession) }</option>
                    <option value="api" selected={profile.mode == Mode::Api}>{ t(Text::ModeApi) }</option>
                </select>
                <div class="row-actions">
                    <button type="submit" class="primary">{ t(Text::OptionsSave) }</button>
                    <button type="button" class="secondary" onclick={onremove}>{ t(Text::OptionsRemove) }</button>
                </div>
            </form>
        </li>
    }
}

#[derive(Properties, PartialEq)]
struct WebuiProps {
    origins: Vec<String>,
    reload: Callback<()>,
    say: Callback<Notice>,
}

#[component]
fn WebuiSection(props: &WebuiProps) -> Html {
    let field = use_node_ref();
    let onsubmit = {
        let field = field.clone();
        let origins = props.origins.clone();
        let reload = props.reload.clone();
        let say = props.say.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(input) = field.cast::<HtmlInputElement>() else {
                return;
            };
            let Some(origin) = protocol::link_origin(&input.value()) else {
                say.emit(Notice::error_with(
                    Text::ErrorFieldInvalid,
                    t(Text::FieldWebuiAddress),
                ));
                return;
            };
            // Asked for inside the click: the browser requires the gesture.
            let grant = permissions::request(access_pattern(&origin));
            let mut added = origins.clone();
            if !added.contains(&origin) {
                added.push(origin.clone());
            }
            let (reload, say) = (reload.clone(), say.clone());
            spawn_local(async move {
                if !grant.granted().await {
                    say.emit(Notice::error_with(Text::ErrorAccessDenied, origin));
                    return;
                }
                storage::set(Area::Local, WEBUI_ORIGINS_KEY, &added).await;
                settings_changed().await;
                input.set_value("");
                say.emit(Notice::info(Text::OptionsSaved));
                reload.emit(());
            });
        })
    };
    let rows = props.origins.iter().map(|origin| {
        let onclick = {
            let origins = props.origins.clone();
            let origin = origin.clone();
            let reload = props.reload.clone();
            let say = props.say.clone();
            Callback::from(move |_| {
                let kept: Vec<String> = origins.iter().filter(|o| **o != origin).cloned().collect();
                let (origin, reload, say) = (origin.clone(), reload.clone(), say.clone());
                spawn_local(async move {
                    storage::set(Area::Local, WEBUI_ORIGINS_KEY, &kept).await;
                    if let Some(pattern) = access_pattern(&origin) {
                        permissions::give_up(&pattern).await;
                    }
                    settings_changed().await;
                    say.emit(Notice::info_with(Text::OptionsRemoved, origin));
                    reload.emit(());
                });
            })
        };
        html! {
            <li class="origin" data-origin={origin.clone()}>
                <span class="mono">{ origin.clone() }</span>
                <button type="button" class="secondary" {onclick}>{ t(Text::OptionsRemove) }</button>
            </li>
        }
    });
    html! {
        <section aria-labelledby="webui-heading">
            <h2 id="webui-heading">{ t(Text::OptionsWebui) }</h2>
            <p class="hint">{ t(Text::OptionsWebuiHint) }</p>
            if props.origins.is_empty() {
                <p class="hint">{ t(Text::OptionsWebuiEmpty) }</p>
            } else {
                <ul class="origins">{ for rows }</ul>
            }
            <form class="inline-form" {onsubmit} novalidate=true>
                <label for="webui-origin">{ t(Text::FieldWebuiAddress) }</label>
                <input id="webui-origin" type="url" ref={field} placeholder="https://ai.example.com"
                    autocomplete="off" spellcheck="false" />
                <button type="submit" class="primary">{ t(Text::OptionsAdd) }</button>
            </form>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ShortcutProps {
    shortcut: Option<String>,
}

#[component]
fn ShortcutSection(props: &ShortcutProps) -> Html {
    let onclick = Callback::from(|_| spawn_local(tabs::open(SHORTCUTS_PAGE)));
    html! {
        <section aria-labelledby="shortcut-heading">
            <h2 id="shortcut-heading">{ t(Text::OptionsShortcut) }</h2>
            <p data-shortcut={props.shortcut.clone().unwrap_or_default()}>
                { match &props.shortcut {
                    Some(keys) => html! { tf(Text::OptionsShortcutCurrent, &[keys]) },
                    None => html! { t(Text::OptionsShortcutNone) },
                } }
            </p>
            <p class="hint">{ t(Text::OptionsShortcutPage) }</p>
            <button type="button" class="secondary" {onclick}>{ t(Text::OptionsShortcutChange) }</button>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct StoredProps {
    lines: Vec<String>,
    reload: Callback<()>,
    say: Callback<Notice>,
}

#[component]
fn StoredSection(props: &StoredProps) -> Html {
    let confirming = use_state(|| false);
    let ask = {
        let confirming = confirming.clone();
        Callback::from(move |_| confirming.set(true))
    };
    let cancel = {
        let confirming = confirming.clone();
        Callback::from(move |_| confirming.set(false))
    };
    let clear = {
        let confirming = confirming.clone();
        let reload = props.reload.clone();
        let say = props.say.clone();
        Callback::from(move |_| {
            let (confirming, reload, say) = (confirming.clone(), reload.clone(), say.clone());
            spawn_local(async move {
                // The worker logs every session out before it wipes storage.
                runtime::tell_worker("clear-all").await;
                i18n::choose(None).await;
                label_page();
                confirming.set(false);
                say.emit(Notice::info(Text::OptionsCleared));
                reload.emit(());
            });
        })
    };
    html! {
        <section aria-labelledby="stored-heading">
            <h2 id="stored-heading">{ t(Text::OptionsStored) }</h2>
            <p class="hint">{ t(Text::OptionsStoredHint) }</p>
            if props.lines.is_empty() {
                <p class="hint" data-stored-empty="true">{ t(Text::OptionsStoredEmpty) }</p>
            } else {
                <ul class="stored">{ for props.lines.iter().map(|line| html! { <li>{ line.clone() }</li> }) }</ul>
            }
            if *confirming {
                <div class="confirm" role="alertdialog" aria-labelledby="clear-question">
                    <p id="clear-question">{ t(Text::OptionsClearConfirm) }</p>
                    <div class="row-actions">
                        <button type="button" class="danger" id="clear-confirm" onclick={clear}>{ t(Text::OptionsClear) }</button>
                        <button type="button" class="secondary" onclick={cancel}>{ t(Text::Cancel) }</button>
                    </div>
                </div>
            } else {
                <button type="button" class="danger" id="clear-all" onclick={ask}>{ t(Text::OptionsClear) }</button>
            }
        </section>
    }
}

/// Renders the options page into `#app` (called by `options.js`).
#[wasm_bindgen]
pub fn start_options() {
    spawn_local(async {
        i18n::load_choice().await;
        label_page();
        if let Some(mount) = baigate_extension::page_root() {
            yew::Renderer::<Options>::with_root(mount).render();
        }
    });
}
