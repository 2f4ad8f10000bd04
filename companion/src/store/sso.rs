//! Single sign-on: logins waiting for the provider's answer, the one-time
//! tokens their success hands out, and identities linked to accounts. Each
//! flow and token is used by one conditional statement, so of two requests
//! racing with one, exactly one wins (on PostgreSQL too, whichever
//! instances they reach). None of these writes touches a session or an
//! account row, so none voids the cache of live sessions.

mod pg;

use rusqlite::{OptionalExtension, params};

use super::rows::{USER_COLUMNS, user_from_row};
use super::{Engine, Result, Store};
use crate::clock::UnixTime;
use crate::model::{AuditEvent, User};

/// A login started at an identity provider.
#[derive(Clone, PartialEq, Eq)]
pub struct SsoFlow {
    pub state_hash: [u8; 32],
    pub browser_hash: [u8; 32],
    pub provider: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub redirect_to: String,
    pub force: bool,
    pub client_challenge: Option<String>,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

impl std::fmt::Debug for SsoFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoFlow")
            .field("provider", &self.provider)
            .field("redirect_to", &self.redirect_to)
            .field("force", &self.force)
            .finish_non_exhaustive()
    }
}

/// A one-time token as stored (its value only as a hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoToken {
    pub token_hash: [u8; 32],
    pub user_id: i64,
    pub provider: String,
    pub subject: String,
    pub force: bool,
    pub client_challenge: Option<String>,
    pub attempts: i64,
    pub expires_at: UnixTime,
}

impl Store {
    pub async fn insert_sso_flow(&self, flow: SsoFlow) -> Result<()> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::insert_sso_flow(pg, flow).await,
        };
        db.write(move |tx| {
            tx.execute(
                "INSERT INTO sso_flows (state_hash, browser_hash, provider, nonce, pkce_verifier, \
                 redirect_to, force, client_challenge, created_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    flow.state_hash,
                    flow.browser_hash,
                    flow.provider,
                    flow.nonce,
                    flow.pkce_verifier,
                    flow.redirect_to,
                    i64::from(flow.force),
                    flow.client_challenge,
                    flow.created_at,
                    flow.expires_at,
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// The flow of a `state`, removed: a provider's answer is taken once.
    /// `None` when unknown, used or expired.
    pub async fn take_sso_flow(
        &self,
        state_hash: [u8; 32],
        now: UnixTime,
    ) -> Result<Option<SsoFlow>> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::take_sso_flow(pg, state_hash, now).await,
        };
        db.write(move |tx| {
            Ok(tx
                .query_row(
                    "DELETE FROM sso_flows WHERE state_hash = ?1 RETURNING browser_hash, provider, \
                     nonce, pkce_verifier, redirect_to, force, client_challenge, created_at, expires_at",
                    [state_hash],
                    |row| {
                        Ok(SsoFlow {
                            state_hash,
                            browser_hash: row.get(0)?,
                            provider: row.get(1)?,
                            nonce: row.get(2)?,
                            pkce_verifier: row.get(3)?,
                            redirect_to: row.get(4)?,
                            force: row.get::<_, i64>(5)? != 0,
                            client_challenge: row.get(6)?,
                            created_at: row.get(7)?,
                            expires_at: row.get(8)?,
                        })
                    },
                )
                .optional()?
                .filter(|flow| flow.expires_at > now))
        })
        .await
    }

    /// The account an identity was linked to, if it was.
    pub async fn sso_identity_user(&self, issuer: String, subject: String) -> Result<Option<User>> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::sso_identity_user(pg, issuer, subject).await,
        };
        db.read(move |conn| {
            Ok(conn
                .query_row(
                    &format!(
                        "SELECT {USER_COLUMNS} FROM users WHERE id = \
                         (SELECT user_id FROM sso_identities WHERE issuer = ?1 AND subject = ?2)"
                    ),
                    params![issuer, subject],
                    |row| user_from_row(row, 0),
                )
                .optional()?)
        })
        .await
    }

    /// Links an identity to an account (first match wins; a later link of
    /// the same identity is ignored).
    pub async fn link_sso_identity(
        &self,
        issuer: String,
        subject: String,
        user_id: i64,
        now: UnixTime,
    ) -> Result<()> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => {
                return pg::link_sso_identity(pg, issuer, subject, user_id, now).await;
            }
        };
        db.write(move |tx| {
            tx.execute(
                "INSERT INTO sso_identities (issuer, subject, user_id, linked_at) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (issuer, subject) DO NOTHING",
                params![issuer, subject, user_id, now],
            )?;
            Ok(())
        })
        .await
    }

    /// Stores a new one-time token with its audit event.
    pub async fn issue_sso_token(
        &self,
        token: SsoToken,
        created_at: UnixTime,
        event: AuditEvent,
    ) -> Result<()> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::issue_sso_token(pg, token, created_at, event).await,
        };
        db.write(move |tx| {
            tx.execute(
                "INSERT INTO sso_tokens (token_hash, user_id, provider, subject, force, \
                 client_challenge, attempts, created_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8)",
                params![
                    token.token_hash,
                    token.user_id,
                    token.provider,
                    token.subject,
                    i64::from(token.force),
                    token.client_challenge,
                    created_at,
                    token.expires_at,
                ],
            )?;
            super::audit::insert(tx, &event)?;
            Ok(())
        })
        .await
    }

    /// Counts one token login against a token that is live (unspent,
    /// unexpired, under `max_attempts`); returns it, or `None`.
    pub async fn try_sso_token(
        &self,
        token_hash: [u8; 32],
        now: UnixTime,
        max_attempts: i64,
    ) -> Result<Option<SsoToken>> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => {
                return pg::try_sso_token(pg, token_hash, now, max_attempts).await;
            }
        };
        db.write(move |tx| {
            Ok(tx
                .query_row(
                    "UPDATE sso_tokens SET attempts = attempts + 1 \
                     WHERE token_hash = ?1 AND spent_at IS NULL AND expires_at > ?2 \
                     AND attempts < ?3 \
                     RETURNING user_id, provider, subject, force, client_challenge, attempts, expires_at",
                    params![token_hash, now, max_attempts],
                    |row| {
                        Ok(SsoToken {
                            token_hash,
                            user_id: row.get(0)?,
                            provider: row.get(1)?,
                            subject: row.get(2)?,
                            force: row.get::<_, i64>(3)? != 0,
                            client_challenge: row.get(4)?,
                            attempts: row.get(5)?,
                            expires_at: row.get(6)?,
                        })
                    },
                )
                .optional()?)
        })
        .await
    }

    /// Moves a live token's end to `until` (never earlier than it was).
    pub async fn extend_sso_token(
        &self,
        token_hash: [u8; 32],
        now: UnixTime,
        until: UnixTime,
    ) -> Result<()> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::extend_sso_token(pg, token_hash, now, until).await,
        };
        db.write(move |tx| {
            tx.execute(
                "UPDATE sso_tokens SET expires_at = max(expires_at, ?3) \
                 WHERE token_hash = ?1 AND spent_at IS NULL AND expires_at > ?2",
                params![token_hash, now, until],
            )?;
            Ok(())
        })
        .await
    }

    /// Spends a token: true for exactly one caller.
    pub async fn spend_sso_token(&self, token_hash: [u8; 32], now: UnixTime) -> Result<bool> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::spend_sso_token(pg, token_hash, now).await,
        };
        db.write(move |tx| {
            Ok(tx.execute(
                "UPDATE sso_tokens SET spent_at = ?2 WHERE token_hash = ?1 AND spent_at IS NULL",
                params![token_hash, now],
            )? == 1)
        })
        .await
    }

    /// Gives a spent token back (the session it was spent on was not made).
    pub async fn unspend_sso_token(&self, token_hash: [u8; 32]) -> Result<()> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::unspend_sso_token(pg, token_hash).await,
        };
        db.write(move |tx| {
            tx.execute(
                "UPDATE sso_tokens SET spent_at = NULL WHERE token_hash = ?1",
                [token_hash],
            )?;
            Ok(())
        })
        .await
    }

    /// Forgets flows and tokens that can no longer be used.
    pub async fn purge_sso(&self, now: UnixTime) -> Result<usize> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::purge_sso(pg, now).await,
        };
        db.write(move |tx| {
            let flows = tx.execute("DELETE FROM sso_flows WHERE expires_at <= ?1", [now])?;
            let tokens = tx.execute(
                "DELETE FROM sso_tokens WHERE expires_at <= ?1 OR spent_at IS NOT NULL",
                [now],
            )?;
            Ok(flows + tokens)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AuditKind, ClientInfo};
    use crate::store::testing::engines;
    use crate::store::users::tests::new_user;

    fn flow(state: u8) -> SsoFlow {
        SsoFlow {
            state_hash: [state; 32],
            browser_hash: [9; 32],
            provider: "openid".into(),
            nonce: "n".into(),
            pkce_verifier: "v".into(),
            redirect_to: "http://127.0.0.1:8090/".into(),
            force: true,
            client_challenge: None,
            created_at: 100,
            expires_at: 400,
        }
    }

    // A provider's answer is taken once, and a token spent once, across
    // instances; an identity links to the first account only.
    engines!(multi_thread sso_flows_and_tokens_are_used_once_across_instances, |a, db| async move {
        let b = db.open().await;
        let event = AuditEvent::new(AuditKind::UserCreated, 100, None, ClientInfo::default());
        let user = a.insert_user(new_user("a@example.com", "alice"), event.clone()).await.unwrap();
        a.insert_sso_flow(flow(1)).await.unwrap();
        let takes: Vec<_> = (0..6)
            .map(|i| {
                let store = if i % 2 == 0 { a.clone() } else { b.clone() };
                tokio::spawn(async move { store.take_sso_flow([1; 32], 200).await.unwrap() })
            })
            .collect();
        let mut taken = Vec::new();
        for take in takes {
            taken.extend(take.await.unwrap());
        }
        assert_eq!(taken, vec![flow(1)]);
        a.insert_sso_flow(flow(2)).await.unwrap();
        assert!(b.take_sso_flow([2; 32], 400).await.unwrap().is_none(), "expired");

        let token = SsoToken {
            token_hash: [3; 32],
            user_id: user.id,
            provider: "openid".into(),
            subject: "sub".into(),
            force: false,
            client_challenge: Some("c".into()),
            attempts: 0,
            expires_at: 400,
        };
        a.issue_sso_token(token.clone(), 100, event).await.unwrap();
        let tried = b.try_sso_token([3; 32], 200, 3).await.unwrap().unwrap();
        assert_eq!((tried.attempts, tried.force), (1, false));
        b.extend_sso_token([3; 32], 200, 500).await.unwrap();
        let spends: Vec<_> = (0..6)
            .map(|i| {
                let store = if i % 2 == 0 { a.clone() } else { b.clone() };
                tokio::spawn(async move { store.spend_sso_token([3; 32], 450).await.unwrap() })
            })
            .collect();
        let mut spent = 0;
        for spend in spends {
            spent += usize::from(spend.await.unwrap());
        }
        assert_eq!(spent, 1, "spent once (alive past 400: extended)");
        a.unspend_sso_token([3; 32]).await.unwrap();
        assert!(b.spend_sso_token([3; 32], 460).await.unwrap());

        a.link_sso_identity("iss".into(), "sub".into(), user.id, 100).await.unwrap();
        let other = a
            .insert_user(new_user("b@example.com", "bob"), AuditEvent::new(AuditKind::UserCreated, 100, None, ClientInfo::default()))
            .await
            .unwrap();
        b.link_sso_identity("iss".into(), "sub".into(), other.id, 101).await.unwrap();
        let linked = b.sso_identity_user("iss".into(), "sub".into()).await.unwrap().unwrap();
        assert_eq!(linked.id, user.id, "the first link stays");
        assert_eq!(a.purge_sso(1_000).await.unwrap(), 1, "the spent token");
    });
}
