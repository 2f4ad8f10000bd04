//! The real SMTP server of the test harness crate.

pub use baigate_e2e::smtp::{Mail, SmtpServer};
