//! `chrome.tabs`: the page the popup acts on, and messages to its content
//! script.

use js_sys::{Array, Promise};
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

use super::js::{member, object, settle, text};
use super::storage::to_js;
use crate::messages::ContentMessage;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = query)]
    fn tabs_query(query: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = sendMessage)]
    fn tabs_send_message(tab_id: i32, message: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = create)]
    fn tabs_create(properties: &JsValue) -> Result<Promise, JsValue>;
}

/// A tab as far as the extension may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tab {
    pub id: i32,
    /// Readable where the extension has access (`activeTab` or a host
    /// permission).
    pub url: Option<String>,
    pub current_window: bool,
}

async fn query(filter: &JsValue) -> Vec<Tab> {
    let Some(found) = settle(tabs_query(filter)).await else {
        return Vec::new();
    };
    Array::from(&found)
        .iter()
        .filter_map(|tab| {
            Some(Tab {
                id: member(&tab, "id").as_f64()? as i32,
                url: text(&tab, "url"),
                current_window: false,
            })
        })
        .collect()
}

/// The open tabs whose URL matches one of `patterns` (the extension sees
/// only those its host permissions cover).
pub async fn matching(patterns: &[String]) -> Vec<Tab> {
    let list = Array::new();
    for pattern in patterns {
        list.push(&pattern.into());
    }
    query(&object(&[("url", list.into())])).await
}

/// The active tab of every window, the current window's first.
pub async fn active_tabs() -> Vec<Tab> {
    let mut current = query(&object(&[
        ("active", JsValue::TRUE),
        ("currentWindow", JsValue::TRUE),
    ]))
    .await;
    for tab in &mut current {
        tab.current_window = true;
    }
    let others = query(&object(&[("active", JsValue::TRUE)])).await;
    for tab in others {
        if !current.iter().any(|t| t.id == tab.id) {
            current.push(tab);
        }
    }
    current
}

/// The active tab's URL, when the browser lets the extension see it.
pub async fn active_tab_url() -> Option<String> {
    active_tabs()
        .await
        .into_iter()
        .find(|t| t.current_window)?
        .url
}

/// Sends a message to a tab's content script; its answer.
async fn tell(tab_id: i32, message: ContentMessage) -> Option<JsValue> {
    settle(tabs_send_message(tab_id, &to_js(&message)?)).await
}

/// Opens `url` in a new tab.
pub async fn open(url: &str) {
    settle(tabs_create(&object(&[("url", url.into())]))).await;
}

/// Sends a message to the content script of the page the user is looking at
/// (the active tab of the current window first, skipping the extension's
/// own pages); the first answer that reads as an `A`.
pub async fn ask_page<A: DeserializeOwned>(message: ContentMessage) -> Option<A> {
    let own = super::runtime::own_origin().unwrap_or_default();
    for tab in active_tabs().await {
        if tab
            .url
            .as_deref()
            .is_some_and(|u| !own.is_empty() && u.starts_with(&own))
        {
            continue;
        }
        if let Some(answer) = tell(tab.id, message)
            .await
            .and_then(|answer| serde_wasm_bindgen::from_value(answer).ok())
        {
            return Some(answer);
        }
    }
    None
}
