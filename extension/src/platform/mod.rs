//! The only module that touches `chrome.*` and the network: storage, the
//! extension's translations, host permissions, tabs, the clipboard, alarms,
//! the toolbar badge, notifications, content scripts, messages, `fetch`.
//! Everything above it is plain Rust that also builds and tests natively.

pub mod action;
pub mod alarms;
pub mod clipboard;
pub mod commands;
pub mod i18n;
pub mod js;
pub mod net;
pub mod notifications;
pub mod offscreen;
pub mod permissions;
pub mod runtime;
pub mod scripting;
pub mod storage;
pub mod tabs;
