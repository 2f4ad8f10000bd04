//! The options page: language, expiry warning time, endpoint profiles, WebUI
//! addresses for the sidebar toggle, the shortcut, and what the extension
//! stores, with a button to clear it all.
//!
//! Built like the popup: a reducer (`state`) holds what the page shows,
//! effects (`actions`) save each change at once, tell the service worker,
//! and report back; the sections read the state from context. The list of
//! stored entries follows storage as it changes (`listing`). Like the popup,
//! this crate reaches the browser only through `baigate_extension::platform`.

pub mod actions;
pub mod listing;
pub mod state;

use baigate_extension::components::{NoticeView, input_value};
use baigate_extension::notice::Notice;
use baigate_extension::platform::i18n::{self, LANGUAGES};
use baigate_extension::platform::{permissions, storage, tabs};
use baigate_extension::profiles::{Mode, Profile};
use baigate_extension::protocol::{self, access_pattern};
use baigate_extension::text::{Text, t, tf};
use baigate_extension::timer::{self, WARN_MINUTES_RANGE};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::actions::Handle;
use crate::listing::StoredLine;
use crate::state::{Action, OptionsState};

/// Where the browser lets the user change extension shortcuts.
const SHORTCUTS_PAGE: &str = "chrome://extensions/shortcuts";

fn language_name(tag: Option<&str>) -> String {
    t(match tag {
        Some("en") => Text::LanguageEnglish,
        Some("ko") => Text::LanguageKorean,
        Some("ja") => Text::LanguageJapanese,
        _ => Text::LanguageBrowser,
    })
}

/// A plain sentence for a stored entry.
fn line_text(line: &StoredLine) -> String {
    match line {
        StoredLine::Endpoint(endpoint) => tf(Text::StoredEndpoint, &[endpoint]),
        StoredLine::Profiles(count) => tf(Text::StoredProfiles, &[&count.to_string()]),
        StoredLine::Language(tag) => tf(Text::StoredLanguage, &[&language_name(tag.as_deref())]),
        StoredLine::WarnMinutes(minutes) => tf(Text::StoredWarn, &[&minutes.to_string()]),
        StoredLine::WebuiOrigins(count) => tf(Text::StoredWebui, &[&count.to_string()]),
        StoredLine::Sidebar(origin) => tf(Text::StoredSidebar, &[origin]),
        StoredLine::Session(endpoint) => tf(Text::StoredSession, &[endpoint]),
        StoredLine::Keypair(endpoint) => tf(Text::StoredKeypair, &[endpoint]),
        StoredLine::Timer(endpoint) => tf(Text::StoredTimer, &[endpoint]),
        StoredLine::SsoReport => t(Text::StoredSsoReport),
        StoredLine::Other(key) => tf(Text::StoredOther, &[key]),
    }
}

#[component]
fn Options() -> Html {
    let state = use_reducer(OptionsState::default);
    {
        let state = state.clone();
        use_effect_with((), move |()| {
            spawn_local(actions::load(state.clone()));
            spawn_local(actions::list_stored(state.clone()));
            // The stored list follows every change, whoever makes it.
            let listener =
                storage::on_change(move || spawn_local(actions::list_stored(state.clone())));
            move || drop(listener)
        });
    }
    let Some(settings) = state.settings.clone() else {
        return html! { <main class="options"><p class="loading">{ t(Text::Busy) }</p></main> };
    };
    html! {
        <ContextProvider<Handle> context={state.clone()}>
            <main class="options">
                <h1>{ t(Text::OptionsTitle) }</h1>
                <NoticeView notice={state.notice.clone()} />
                <LanguageSection language={settings.language.clone()} />
                <WarningSection minutes={settings.warn_minutes} />
                <ProfilesSection profiles={settings.profiles.clone()} />
                <WebuiSection origins={settings.webui_origins.clone()} />
                <ShortcutSection shortcut={settings.shortcut.clone()} />
                <StoredSection lines={state.stored.clone()} />
            </main>
        </ContextProvider<Handle>>
    }
}

#[derive(Properties, PartialEq)]
struct LanguageProps {
    language: Option<String>,
}

#[component]
fn LanguageSection(props: &LanguageProps) -> Html {
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
    let onchange = Callback::from(move |event: Event| {
        let Some(select) = event.target_dyn_into::<HtmlSelectElement>() else {
            return;
        };
        let tag = Some(select.value()).filter(|v| LANGUAGES.contains(&v.as_str()));
        spawn_local(actions::choose_language(state.clone(), tag));
    });
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
}

#[component]
fn WarningSection(props: &WarningProps) -> Html {
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
    let (low, high) = WARN_MINUTES_RANGE;
    let onchange = Callback::from(move |event: Event| {
        let Some(input) = event.target_dyn_into::<HtmlInputElement>() else {
            return;
        };
        let Ok(minutes) = input.value().trim().parse::<u32>() else {
            state.dispatch(Action::Notice(Notice::error_with(
                Text::ErrorFieldInvalid,
                t(Text::OptionsWarningLabel),
            )));
            return;
        };
        let minutes = timer::warn_minutes(Some(minutes));
        input.set_value(&minutes.to_string());
        spawn_local(actions::set_warning(state.clone(), minutes));
    });
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
}

#[component]
fn ProfilesSection(props: &ProfilesProps) -> Html {
    let rows = props.profiles.iter().enumerate().map(|(index, profile)| {
        html! { <ProfileRow key={profile.endpoint.clone()} {index} profile={profile.clone()} /> }
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
    profile: Profile,
}

/// One profile's form: the fields are read when it is saved.
#[component]
fn ProfileRow(props: &ProfileRowProps) -> Html {
    let endpoint_field = use_node_ref();
    let username_field = use_node_ref();
    let mode_field = use_node_ref();
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
    let profile = &props.profile;
    let onsubmit = {
        let (endpoint_field, username_field, mode_field) = (
            endpoint_field.clone(),
            username_field.clone(),
            mode_field.clone(),
        );
        let state = state.clone();
        let old = profile.endpoint.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(endpoint) = protocol::normalize_endpoint(&input_value(&endpoint_field)) else {
                state.dispatch(Action::Notice(Notice::error_with(
                    Text::ErrorFieldInvalid,
                    t(Text::FieldEndpoint),
                )));
                return;
            };
            let username =
                Some(input_value(&username_field).trim().to_owned()).filter(|v| !v.is_empty());
            let mode = match mode_field
                .cast::<HtmlSelectElement>()
                .map(|s| s.value())
                .as_deref()
            {
                Some("api") => Mode::Api,
                _ => Mode::Session,
            };
            let edited = Profile {
                endpoint,
                username,
                mode,
            };
            spawn_local(actions::edit_profile(state.clone(), old.clone(), edited));
        })
    };
    let onremove = {
        let state = state.clone();
        let endpoint = profile.endpoint.clone();
        Callback::from(move |_| {
            spawn_local(actions::remove_profile(state.clone(), endpoint.clone()))
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
}

#[component]
fn WebuiSection(props: &WebuiProps) -> Html {
    let field = use_node_ref();
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
    let onsubmit = {
        let field = field.clone();
        let state = state.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(input) = field.cast::<HtmlInputElement>() else {
                return;
            };
            let Some(origin) = protocol::link_origin(&input.value()) else {
                state.dispatch(Action::Notice(Notice::error_with(
                    Text::ErrorFieldInvalid,
                    t(Text::FieldWebuiAddress),
                )));
                return;
            };
            // Asked for inside the click: the browser requires the gesture.
            let grant = permissions::request(access_pattern(&origin));
            let state = state.clone();
            spawn_local(async move {
                if actions::add_origin(state, origin, grant).await {
                    input.set_value("");
                }
            });
        })
    };
    let rows = props.origins.iter().map(|origin| {
        let onclick = {
            let state = state.clone();
            let origin = origin.clone();
            Callback::from(move |_| spawn_local(actions::remove_origin(state.clone(), origin.clone())))
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
    lines: Vec<StoredLine>,
}

#[component]
fn StoredSection(props: &StoredProps) -> Html {
    let confirming = use_state(|| false);
    let Some(state) = use_context::<Handle>() else {
        return html! {};
    };
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
        Callback::from(move |_| {
            let (state, confirming) = (state.clone(), confirming.clone());
            spawn_local(async move {
                actions::clear_all(state).await;
                confirming.set(false);
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
                <ul class="stored">{ for props.lines.iter().map(|line| html! { <li>{ line_text(line) }</li> }) }</ul>
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
        actions::label_page();
        if let Some(mount) = baigate_extension::page_root() {
            yew::Renderer::<Options>::with_root(mount).render();
        }
    });
}
