//! Login sessions as an account sees them: `/companion/sessions`, the
//! session-limit refusal, `/server/extend-login-session`.

use serde::{Deserialize, Serialize};

/// One live session of the account. Never carries the session token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct SessionSummary {
    /// Public id, for ending the session; not its token.
    pub id: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub last_seen_at: String,
    /// When it ends unless extended.
    pub expires_at: String,
    /// The client's address at login; `null` when unknown.
    #[cfg_attr(feature = "openapi", oai(nullable))]
    pub ip: Option<String>,
    /// `null` when the client sent none.
    #[cfg_attr(feature = "openapi", oai(nullable))]
    pub user_agent: Option<String>,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// Answer of `POST /server/extend-login-session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtendResponse {
    /// Always 201, as Backend.AI answers.
    pub status: u16,
    /// The new end of the session, RFC 3339.
    pub expires: String,
}
