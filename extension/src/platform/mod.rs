//! The only module that touches `chrome.*` and the network: storage, the
//! extension's translations, host permissions, tabs, the clipboard, `fetch`.
//! Everything above it is plain Rust that also builds and tests natively.

pub mod clipboard;
pub mod i18n;
pub mod net;
pub mod permissions;
pub mod storage;
pub mod tabs;
