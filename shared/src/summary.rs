//! `/companion/summary`: what the popup's start panel shows after login.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Summary {
    pub account: AccountSummary,
    /// The companion host's live usage; `null` when it cannot be read.
    #[cfg_attr(feature = "openapi", oai(nullable))]
    pub host: Option<HostUsage>,
    /// The companion's version.
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct AccountSummary {
    pub email: String,
    pub username: String,
    pub role: String,
    pub status: String,
    pub access_key: String,
    pub totp_enabled: bool,
    /// The latest login before now (RFC 3339); `null` before the second.
    #[cfg_attr(feature = "openapi", oai(nullable))]
    pub last_login_at: Option<String>,
    pub live_sessions: u32,
}

/// The host's usage: CPU since the previous sample, memory and the disk of
/// the data directory now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct HostUsage {
    pub cpu_percent: f32,
    pub cpu_count: u32,
    pub memory_used_bytes: u64,
    pub memory_total_bytes: u64,
    pub disk_used_bytes: u64,
    pub disk_total_bytes: u64,
}
