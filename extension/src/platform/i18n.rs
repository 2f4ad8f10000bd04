//! The extension's strings: `chrome.i18n.getMessage` in the browser's
//! language, or, when the user chose a language in the options, that
//! language's `_locales/<lang>/messages.json`, read by the extension itself
//! (the browser cannot switch an extension's language at run time).

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::Array;
use serde::Deserialize;
use wasm_bindgen::prelude::*;

use super::storage::{self, Area};
use crate::stored::LANGUAGE_KEY;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "i18n"], js_name = getMessage)]
    fn get_message(name: &str, substitutions: &JsValue) -> Result<String, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "i18n"], js_name = getUILanguage)]
    fn get_ui_language() -> Result<String, JsValue>;
}

/// The languages the extension speaks, by tag.
pub const LANGUAGES: [&str; 3] = ["en", "ko", "ja"];

/// A language chosen in the options, with its messages.
struct Chosen {
    tag: String,
    messages: HashMap<String, String>,
}

thread_local! {
    static CHOSEN: RefCell<Option<Chosen>> = const { RefCell::new(None) };
}

#[derive(Deserialize)]
struct Entry {
    message: String,
}

/// `$1`…`$9` replaced by `values`, `$$` by `$`, as `getMessage` does.
pub fn substitute(template: &str, values: &[&str]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some('$') => {
                chars.next();
                out.push('$');
            }
            Some(d @ '1'..='9') => {
                chars.next();
                let index = (d as usize) - ('1' as usize);
                out.push_str(values.get(index).copied().unwrap_or_default());
            }
            _ => out.push('$'),
        }
    }
    out
}

/// Uses the language chosen in the options, if any (call before showing
/// anything). A language whose messages cannot be read falls back to the
/// browser's.
pub async fn load_choice() {
    let tag = storage::get::<String>(Area::Local, LANGUAGE_KEY).await;
    choose(tag.as_deref()).await;
}

/// Switches to `tag` (`None`: the browser's language).
pub async fn choose(tag: Option<&str>) {
    let chosen = match tag.filter(|t| LANGUAGES.contains(t)) {
        Some(tag) => read_messages(tag).await.map(|messages| Chosen {
            tag: tag.to_owned(),
            messages,
        }),
        None => None,
    };
    CHOSEN.with(|cell| *cell.borrow_mut() = chosen);
}

async fn read_messages(tag: &str) -> Option<HashMap<String, String>> {
    let url = super::runtime::url(&format!("_locales/{tag}/messages.json"))?;
    let reply = super::net::send("GET", &url, None, None).await.ok()?;
    let entries: HashMap<String, Entry> = serde_json::from_str(&reply.body).ok()?;
    Some(
        entries
            .into_iter()
            .map(|(key, entry)| (key, entry.message))
            .collect(),
    )
}

/// The message `key` with `$1`, `$2`… filled from `values`; the key itself
/// when there is no such message (or no extension around).
pub fn message(key: &str, values: &[&str]) -> String {
    let chosen = CHOSEN.with(|cell| {
        cell.borrow()
            .as_ref()
            .and_then(|chosen| chosen.messages.get(key).map(|m| substitute(m, values)))
    });
    if let Some(text) = chosen {
        return text;
    }
    let substitutions = Array::new();
    for value in values {
        substitutions.push(&JsValue::from_str(value));
    }
    match get_message(key, &substitutions) {
        Ok(text) if !text.is_empty() => text,
        _ => key.to_owned(),
    }
}

/// The language in use (for `lang`, number and date formatting).
pub fn ui_language() -> String {
    CHOSEN
        .with(|cell| cell.borrow().as_ref().map(|c| c.tag.clone()))
        .or_else(|| get_ui_language().ok())
        .unwrap_or_else(|| "en".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutions_as_chrome_makes_them() {
        assert_eq!(
            substitute("Try again in $1.", &["19:58"]),
            "Try again in 19:58."
        );
        assert_eq!(
            substitute("$2 中 $1", &["3.1 GiB", "15.5 GiB"]),
            "15.5 GiB 中 3.1 GiB"
        );
        assert_eq!(substitute("costs $$5", &[]), "costs $5");
        assert_eq!(
            substitute("$1 and $3", &["a"]),
            "a and ",
            "missing values are empty"
        );
        assert_eq!(substitute("50$", &[]), "50$");
    }
}
