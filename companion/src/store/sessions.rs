//! Login sessions, looked up by the SHA-256 of their token.

use rusqlite::{OptionalExtension, Row, params};

use super::users::user_from_row;
use super::{Result, Store};
use crate::clock::UnixTime;
use crate::model::{AuditEvent, NewSession, Session, User};

fn session_from_row(row: &Row<'_>, offset: usize) -> rusqlite::Result<Session> {
    Ok(Session {
        id: row.get(offset)?,
        user_id: row.get(offset + 1)?,
        created_at: row.get(offset + 2)?,
        last_seen_at: row.get(offset + 3)?,
        expires_at: row.get(offset + 4)?,
        absolute_expires_at: row.get(offset + 5)?,
    })
}

impl Store {
    /// Stores a new session for a successful login, notes the login time and
    /// records the event, in one transaction.
    pub async fn start_session(&self, session: NewSession, event: AuditEvent) -> Result<Session> {
        self.write(move |tx| {
            let stored = tx.query_row(
                "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, \
                 absolute_expires_at, client_ip, user_agent) \
                 VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7) \
                 RETURNING id, user_id, created_at, last_seen_at, expires_at, absolute_expires_at",
                params![
                    session.token_hash.as_slice(),
                    session.user_id,
                    session.created_at,
                    session.expires_at,
                    session.absolute_expires_at,
                    session.client.ip,
                    session.client.user_agent,
                ],
                |row| session_from_row(row, 0),
            )?;
            tx.execute(
                "UPDATE users SET last_login_at = ?1 WHERE id = ?2",
                params![session.created_at, session.user_id],
            )?;
            super::audit::insert(tx, &event)?;
            Ok(stored)
        })
        .await
    }

    /// The live session with this token hash and its account, if the session
    /// has not expired and the account may still log in.
    pub async fn find_live_session(
        &self,
        token_hash: [u8; 32],
        now: UnixTime,
    ) -> Result<Option<(Session, User)>> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT s.id, s.user_id, s.created_at, s.last_seen_at, s.expires_at, \
                 s.absolute_expires_at, \
                 u.id, u.uuid, u.email, u.username, u.password_hash, u.role, u.status, \
                 u.access_key, u.created_at, u.password_changed_at, u.last_login_at \
                 FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND s.absolute_expires_at > ?2 \
                 AND u.status = 'active'",
            )?;
            let found = stmt
                .query_row(params![token_hash.as_slice(), now], |row| {
                    let session = session_from_row(row, 0)?;
                    let user = user_from_row(row, 6)?;
                    Ok((session, user))
                })
                .optional()?;
            Ok(found)
        })
        .await
    }

    /// Notes activity on a session (callers limit how often).
    pub async fn touch_session(&self, session_id: i64, now: UnixTime) -> Result<()> {
        self.write(move |tx| {
            tx.execute(
                "UPDATE sessions SET last_seen_at = ?1 WHERE id = ?2",
                params![now, session_id],
            )?;
            Ok(())
        })
        .await
    }

    /// Deletes the session with this token hash and records the event when
    /// there was one. Returns the account the session belonged to.
    pub async fn end_session(
        &self,
        token_hash: [u8; 32],
        event: AuditEvent,
    ) -> Result<Option<i64>> {
        self.write(move |tx| {
            let user_id: Option<i64> = tx
                .query_row(
                    "DELETE FROM sessions WHERE token_hash = ?1 RETURNING user_id",
                    [token_hash.as_slice()],
                    |row| row.get(0),
                )
                .optional()?;
            if let Some(user_id) = user_id {
                super::audit::insert(
                    tx,
                    &AuditEvent {
                        user_id: Some(user_id),
                        ..event
                    },
                )?;
            }
            Ok(user_id)
        })
        .await
    }

    /// Deletes sessions that have expired; returns how many.
    pub async fn purge_expired_sessions(&self, now: UnixTime) -> Result<usize> {
        self.write(move |tx| {
            Ok(tx.execute(
                "DELETE FROM sessions WHERE expires_at <= ?1 OR absolute_expires_at <= ?1",
                [now],
            )?)
        })
        .await
    }

    /// Live sessions of one account (for tests and, later, the session list).
    pub async fn count_live_sessions(&self, user_id: i64, now: UnixTime) -> Result<i64> {
        self.read(move |conn| {
            Ok(conn.query_row(
                "SELECT count(*) FROM sessions WHERE user_id = ?1 AND expires_at > ?2 \
                 AND absolute_expires_at > ?2",
                params![user_id, now],
                |row| row.get(0),
            )?)
        })
        .await
    }
}
