//! `chrome.commands`: the keyboard shortcut the user gave a command.

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

use super::js::{settle, text};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "commands"], js_name = getAll)]
    fn commands_get_all() -> Result<Promise, JsValue>;
}

/// The shortcut of the command `name` (`None`: none set).
pub async fn shortcut(name: &str) -> Option<String> {
    let all = settle(commands_get_all()).await?;
    Array::from(&all)
        .iter()
        .find(|command| text(command, "name").as_deref() == Some(name))
        .and_then(|command| text(&command, "shortcut"))
        .filter(|shortcut| !shortcut.is_empty())
}
