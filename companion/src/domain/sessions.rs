//! An account's own sessions: list them, end one, extend the current one;
//! and the administrator's unlock.

use baigate_shared::identity::canonical_identifier;

use super::auth::LiveSession;
use super::{Domain, DomainError};
use crate::clock::UnixTime;
use crate::model::{AuditEvent, AuditKind, ClientInfo, SessionDetails, User};

impl Domain {
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
        let event = AuditEvent {
            at: self.now(),
            kind: AuditKind::SessionEnded,
            user_id: Some(user.id),
            identifier: None,
            client,
            detail: None,
        };
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

    /// What the start panel shows about the account.
    pub async fn account_summary(
        &self,
        user: &User,
    ) -> Result<baigate_shared::summary::AccountSummary, DomainError> {
        let now = self.now();
        let live = self.store.count_live_sessions(user.id, now).await?;
        let previous = self.store.previous_login(user.id).await?;
        Ok(baigate_shared::summary::AccountSummary {
            email: user.email.clone(),
            username: user.username.clone(),
            role: user.role.as_str().to_owned(),
            status: user.status.as_str().to_owned(),
            access_key: user.access_key.clone(),
            totp_enabled: self.totp_enabled(user).await?,
            last_login_at: previous.map(crate::clock::rfc3339),
            live_sessions: u32::try_from(live).unwrap_or(u32::MAX),
        })
    }

    /// Lifts a lock (and a turned-off password login) from an account.
    /// Returns the account and whether anything was locked.
    pub async fn unlock(&self, login_name: &str) -> Result<Option<(User, bool)>, DomainError> {
        let Ok(canonical) = canonical_identifier(login_name) else {
            return Ok(None);
        };
        let Some(user) = self.store.find_user_by_login_name(canonical).await? else {
            return Ok(None);
        };
        let event = AuditEvent {
            at: self.now(),
            kind: AuditKind::LoginUnlocked,
            user_id: Some(user.id),
            identifier: None,
            client: ClientInfo {
                ip: None,
                user_agent: Some("baigate cli".into()),
            },
            detail: Some("by an administrator".into()),
        };
        let was_locked = self.store.clear_guards(user.id, Some(event)).await?;
        Ok(Some((user, was_locked)))
    }
}
