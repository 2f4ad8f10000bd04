//! `fetch`, as the protocol client needs it: JSON in, status and text out,
//! the session header read back, a time limit.

use baigate_shared::webserver::SESSION_HEADER;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, Headers, Request, RequestCredentials, RequestInit, RequestMode, Response,
};

/// How long a request may take before it counts as unreachable.
const TIMEOUT_MS: i32 = 10_000;

/// An answer, read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    /// The session header (`X-BackendAI-SessionID`), when the server sent one.
    pub session_id: Option<String>,
    /// `Retry-After`, in seconds.
    pub retry_after: Option<u64>,
}

/// Why there is no answer at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum NetError {
    /// The browser says it is offline.
    Offline,
    /// No connection, refused, timed out, or blocked (CORS).
    Unreachable,
}

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`: a page's or the service worker's (which has no
    /// `window`).
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(request: &Request) -> js_sys::Promise;
}

fn online() -> bool {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("navigator"));
    navigator
        .and_then(|n| js_sys::Reflect::get(&n, &JsValue::from_str("onLine")))
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(true)
}

/// Sends a request. `session_id` goes in the session header.
pub async fn send(
    method: &str,
    url: &str,
    body: Option<&str>,
    session_id: Option<&str>,
) -> Result<Reply, NetError> {
    let headers: Vec<(&str, &str)> = session_id
        .map(|id| (SESSION_HEADER, id))
        .into_iter()
        .collect();
    send_with(method, url, body, &headers).await
}

/// Sends a request with extra headers (a signed request's, for one).
pub async fn send_with(
    method: &str,
    url: &str,
    body: Option<&str>,
    extra_headers: &[(&str, &str)],
) -> Result<Reply, NetError> {
    if !online() {
        return Err(NetError::Offline);
    }
    let headers = Headers::new().map_err(|_| NetError::Unreachable)?;
    let init = RequestInit::new();
    let _ = headers.set("Accept", "application/json");
    if body.is_some() {
        let _ = headers.set("Content-Type", "application/json");
    }
    // Cookies play no part: the session travels in a header.
    init.set_credentials(RequestCredentials::Omit);
    for (name, value) in extra_headers {
        let _ = headers.set(name, value);
    }
    init.set_method(method);
    init.set_mode(RequestMode::Cors);
    init.set_headers(&headers);
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(body));
    }
    let controller = AbortController::new().ok();
    if let Some(controller) = &controller {
        init.set_signal(Some(&controller.signal()));
    }
    let request = Request::new_with_str_and_init(url, &init).map_err(|_| NetError::Unreachable)?;
    let timer = controller.map(|controller| {
        gloo_timers::callback::Timeout::new(TIMEOUT_MS as u32, move || controller.abort())
    });
    let response: Response = JsFuture::from(global_fetch(&request))
        .await
        .map_err(|_| {
            if online() {
                NetError::Unreachable
            } else {
                NetError::Offline
            }
        })?
        .dyn_into()
        .map_err(|_| NetError::Unreachable)?;
    let text = match response.text() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    drop(timer);
    let header = |name: &str| response.headers().get(name).ok().flatten();
    Ok(Reply {
        status: response.status(),
        body: text,
        session_id: header(SESSION_HEADER).filter(|v| !v.is_empty()),
        retry_after: header("Retry-After").and_then(|v| v.trim().parse().ok()),
    })
}
