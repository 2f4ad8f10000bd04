//! Live sessions: the one a token presents, the account's own list, ending
//! one, and extending the caller's.

use super::tokens::{is_session_token_shaped, token_hash};
use super::{Domain, DomainError};
use crate::clock::UnixTime;
use crate::model::{AuditEvent, AuditKind, ClientInfo, Session, SessionDetails, User};

/// How often a session's last-seen time is written, at most.
const TOUCH_INTERVAL: i64 = 60;

/// A session found by its token, with its account.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub session: Session,
    pub user: User,
}

impl Domain {
    /// The live session a presented token belongs to, if any.
    pub async fn live_session(&self, token: &str) -> Result<Option<LiveSession>, DomainError> {
        if !is_session_token_shaped(token) {
            return Ok(None);
        }
        let now = self.now();
        let Some((session, user)) = self.store.find_live_session(token_hash(token), now).await?
        else {
            return Ok(None);
        };
        if now - session.last_seen_at >= TOUCH_INTERVAL {
            self.store
                .touch_session(token_hash(token), session.id, now)
                .await?;
        }
        Ok(Some(LiveSession { session, user }))
    }

    /// The account's live sessions, oldest first.
    pub async fn list_sessions(&self, user: &User) -> Result<Vec<SessionDetails>, DomainError> {
        Ok(self.store.list_sessions(user.id, self.now()).await?)
    }

    /// Ends one of the account's sessions by its public id; false when it
    /// has none such.
    pub async fn end_own_session(
        &self,
        user: &User,
        public_id: &str,
        client: ClientInfo,
    ) -> Result<bool, DomainError> {
        let event = AuditEvent::new(AuditKind::SessionEnded, self.now(), Some(user.id), client);
        Ok(self
            .store
            .end_session_by_public_id(user.id, public_id.to_owned(), event)
            .await?)
    }

    /// Moves the end of the caller's session to a full lifetime from now,
    /// never past its absolute limit. `None` if it ended meanwhile.
    pub async fn extend_session(
        &self,
        live: &LiveSession,
    ) -> Result<Option<UnixTime>, DomainError> {
        Ok(self
            .store
            .extend_session(live.session.id, self.now(), self.sessions.lifetime)
            .await?)
    }
}
