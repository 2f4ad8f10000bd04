//! `chrome.tabs`: the page the popup acts on, messages to its content
//! script, and a tab a single sign-on runs in.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function, Promise};
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

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
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = get)]
    fn tabs_get(tab_id: i32) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = remove)]
    fn tabs_remove(tab_id: i32) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs", "onUpdated"], js_name = addListener)]
    fn on_updated_add(listener: &Function) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs", "onUpdated"], js_name = removeListener)]
    fn on_updated_remove(listener: &Function) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs", "onRemoved"], js_name = addListener)]
    fn on_removed_add(listener: &Function) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs", "onRemoved"], js_name = removeListener)]
    fn on_removed_remove(listener: &Function) -> Result<(), JsValue>;
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

/// The listeners of one watched tab, removed when dropped.
struct TabWatch {
    updated: Closure<dyn FnMut(JsValue, JsValue, JsValue)>,
    removed: Closure<dyn FnMut(JsValue)>,
}

impl Drop for TabWatch {
    fn drop(&mut self) {
        let _ = on_updated_remove(self.updated.as_ref().unchecked_ref());
        let _ = on_removed_remove(self.removed.as_ref().unchecked_ref());
    }
}

/// Opens `url` in a new tab and waits until the tab's address is one
/// `wanted` accepts (the extension sees addresses on the origins it may
/// reach); then closes the tab and returns that address. `None` when the
/// user closed the tab first, or it could not be opened.
pub async fn open_until(url: &str, wanted: impl Fn(&str) -> bool + 'static) -> Option<String> {
    // Settled once, with the address or null; kept here until then.
    let settle_with: Rc<RefCell<Option<Function>>> = Rc::default();
    let done = {
        let settle_with = settle_with.clone();
        Promise::new(&mut move |resolve, _reject| {
            settle_with.replace(Some(resolve));
        })
    };
    let finish = {
        let settle_with = settle_with.clone();
        move |value: &JsValue| {
            if let Some(resolve) = settle_with.take() {
                let _ = resolve.call1(&JsValue::NULL, value);
            }
        }
    };
    // The listeners come first, so no change is missed; they know the tab
    // once it has been created.
    let watched: Rc<Cell<Option<i32>>> = Rc::default();
    let wanted = Rc::new(wanted);
    let updated = {
        let (watched, wanted, finish) = (watched.clone(), wanted.clone(), finish.clone());
        Closure::<dyn FnMut(JsValue, JsValue, JsValue)>::new(
            move |tab_id: JsValue, change: JsValue, _tab: JsValue| {
                let ours = tab_id.as_f64().map(|id| id as i32) == watched.get();
                if let Some(address) = text(&change, "url")
                    && ours
                    && wanted(&address)
                {
                    finish(&address.into());
                }
            },
        )
    };
    let removed = {
        let (watched, finish) = (watched.clone(), finish.clone());
        Closure::<dyn FnMut(JsValue)>::new(move |tab_id: JsValue| {
            if tab_id.as_f64().map(|id| id as i32) == watched.get() {
                finish(&JsValue::NULL);
            }
        })
    };
    on_updated_add(updated.as_ref().unchecked_ref()).ok()?;
    on_removed_add(removed.as_ref().unchecked_ref()).ok()?;
    let watch = TabWatch { updated, removed };
    let created = settle(tabs_create(&object(&[("url", url.into())]))).await?;
    let tab_id = member(&created, "id").as_f64()? as i32;
    watched.set(Some(tab_id));
    // Already there before the listeners knew the tab (a landing is where
    // the tab stays).
    match settle(tabs_get(tab_id)).await {
        Some(tab) => {
            if let Some(address) = text(&tab, "url").filter(|a| wanted(a)) {
                finish(&address.into());
            }
        }
        None => finish(&JsValue::NULL),
    }
    let reached = JsFuture::from(done).await.ok().and_then(|v| v.as_string());
    drop(watch);
    if reached.is_some() {
        settle(tabs_remove(tab_id)).await;
    }
    reached
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
