//! The only module that touches `chrome.*`, the network, the window and the
//! clock: storage, the extension's translations, host permissions, tabs, the
//! clipboard, alarms, the toolbar badge, notifications, content scripts,
//! the single sign-on window, random bytes,
//! messages, `fetch`, the page (`dom`), `Date` (`clock`). Everything above
//! it is plain Rust that also builds and tests natively.
//!
//! The rule is checked: `extension/clippy.toml` refuses `web_sys::window`,
//! `js_sys::global` and the clock outside this module, and
//! `tests/boundaries.rs` refuses `chrome.*` and `fetch` bindings anywhere
//! else (in the options page and the service worker too).

// This module is where the browser is reached (see above).
#![allow(
    clippy::disallowed_methods,
    reason = "platform/ is the one place that may touch the window, the global object and the clock"
)]

pub mod action;
pub mod alarms;
pub mod clipboard;
pub mod clock;
pub mod commands;
pub mod dom;
pub mod i18n;
pub mod identity;
pub mod js;
pub mod net;
pub mod notifications;
pub mod offscreen;
pub mod permissions;
pub mod random;
pub mod runtime;
pub mod scripting;
pub mod storage;
pub mod tabs;
