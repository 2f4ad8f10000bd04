//! The only module that touches `chrome.*` and the network: storage, the
//! extension's translations, host permissions, `fetch`. Everything above it is plain Rust that
//! also builds and tests natively.

pub mod i18n;
pub mod net;
pub mod permissions;
pub mod storage;
