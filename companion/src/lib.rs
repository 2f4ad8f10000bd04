//! The baigate companion: a small server that speaks the Backend.AI
//! webserver's login protocol and enforces password, session and account
//! policy, on SQLite in a data directory.
//!
//! Layers: [`http`] (wire) → [`domain`] (rules) → [`store`] (SQL), with
//! [`clock`] injected so tests control time.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod host;
pub mod http;
pub mod i18n;
pub mod logging;
pub mod mail;
pub mod model;
pub mod private_files;
pub mod serve;
pub mod sso;
pub mod store;
pub mod texts;
