//! Login sessions on PostgreSQL. Starting one locks the account's row
//! first (`FOR NO KEY UPDATE`: it waits for another login of the account,
//! not for an audit line naming it), so the count of live sessions, the
//! sessions ended to make room and the new one are decided one login at a
//! time across every instance. Each change notifies the other instances.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{SESSION_COLUMNS, SessionStart};
use crate::clock::UnixTime;
use crate::model::{
    AuditEvent, AuditKind, ClientInfo, NewSession, Session, SessionDetails, SessionLimit, User,
};
use crate::store::postgres::{Pg, notify_sessions_changed};
use crate::store::rows::pg::user_from_row;
use crate::store::{Result, audit};

fn session_from_row(row: &Row, at: usize) -> Result<Session> {
    Ok(Session {
        id: row.try_get(at)?,
        public_id: row.try_get(at + 1)?,
        user_id: row.try_get(at + 2)?,
        created_at: row.try_get(at + 3)?,
        last_seen_at: row.try_get(at + 4)?,
        expires_at: row.try_get(at + 5)?,
        absolute_expires_at: row.try_get(at + 6)?,
    })
}

fn details_from_row(row: &Row) -> Result<SessionDetails> {
    Ok(SessionDetails {
        session: session_from_row(row, 0)?,
        client: ClientInfo {
            ip: row.try_get(7)?,
            user_agent: row.try_get(8)?,
        },
    })
}

async fn live_sessions(
    client: &impl GenericClient,
    user_id: i64,
    now: UnixTime,
) -> Result<Vec<SessionDetails>> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {SESSION_COLUMNS}, s.client_ip, s.user_agent FROM sessions s \
             WHERE s.user_id = $1 AND s.expires_at > $2 AND s.absolute_expires_at > $2 \
             ORDER BY s.created_at, s.id"
        ))
        .await?;
    client
        .query(&statement, &[&user_id, &now])
        .await?
        .iter()
        .map(details_from_row)
        .collect()
}

async fn end(
    tx: &deadpool_postgres::Transaction<'_>,
    session: &Session,
    event: &AuditEvent,
    why: &str,
) -> Result<()> {
    let statement = tx
        .prepare_cached("DELETE FROM sessions WHERE id = $1")
        .await?;
    tx.execute(&statement, &[&session.id]).await?;
    audit::pg::insert(
        tx,
        &AuditEvent {
            kind: AuditKind::SessionEnded,
            user_id: Some(session.user_id),
            detail: Some(format!("{why} (session {})", session.public_id)),
            ..event.clone()
        },
    )
    .await
}

pub(super) async fn start_session(
    pg: &Pg,
    session: NewSession,
    limit: SessionLimit,
    event: AuditEvent,
) -> Result<SessionStart> {
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    let now = session.created_at;
    let lock = tx
        .prepare_cached("SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE")
        .await?;
    tx.query_opt(&lock, &[&session.user_id]).await?;
    tx.execute(
        "DELETE FROM sessions WHERE user_id = $1 AND (expires_at <= $2 OR absolute_expires_at <= $2)",
        &[&session.user_id, &now],
    )
    .await?;
    let mut live = live_sessions(&tx, session.user_id, now).await?;
    let mut ended = Vec::new();
    if live.len() as i64 >= limit.max {
        if !limit.force {
            return Ok(SessionStart::TooMany(live));
        }
        if let Some(chosen) = &limit.end {
            let Some(index) = live.iter().position(|d| &d.session.public_id == chosen) else {
                return Ok(SessionStart::UnknownSession);
            };
            let removed = live.remove(index);
            end(&tx, &removed.session, &event, "ended by a new login").await?;
            ended.push(removed.session);
        }
        // Then the oldest, until the new one fits.
        while live.len() as i64 >= limit.max {
            let oldest = live.remove(0);
            end(&tx, &oldest.session, &event, "ended by a new login").await?;
            ended.push(oldest.session);
        }
    }
    let insert = tx
        .prepare_cached(
            "INSERT INTO sessions (token_hash, public_id, user_id, created_at, last_seen_at, \
             expires_at, absolute_expires_at, client_ip, user_agent) \
             VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8) \
             RETURNING id, public_id, user_id, created_at, last_seen_at, expires_at, absolute_expires_at",
        )
        .await?;
    let row = tx
        .query_one(
            &insert,
            &[
                &&session.token_hash[..],
                &session.public_id,
                &session.user_id,
                &session.created_at,
                &session.expires_at,
                &session.absolute_expires_at,
                &session.client.ip,
                &session.client.user_agent,
            ],
        )
        .await?;
    let stored = session_from_row(&row, 0)?;
    let noted = tx
        .prepare_cached("UPDATE users SET last_login_at = $1 WHERE id = $2")
        .await?;
    tx.execute(&noted, &[&now, &session.user_id]).await?;
    audit::pg::insert(&tx, &event).await?;
    notify_sessions_changed(&tx).await?;
    tx.commit().await?;
    Ok(SessionStart::Started {
        session: stored,
        ended,
    })
}

pub(super) async fn find_live_session(
    pg: &Pg,
    token_hash: [u8; 32],
    now: UnixTime,
) -> Result<Option<(Session, User)>> {
    let conn = pg.conn().await?;
    let statement = conn
        .prepare_cached(&format!(
            "SELECT {SESSION_COLUMNS}, \
             u.id, u.uuid, u.email, u.username, u.password_hash, u.role, u.status, \
             u.access_key, u.created_at, u.password_changed_at, u.last_login_at \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.absolute_expires_at > $2 \
             AND u.status = 'active'"
        ))
        .await?;
    conn.query_opt(&statement, &[&&token_hash[..], &now])
        .await?
        .map(|row| Ok((session_from_row(&row, 0)?, user_from_row(&row, 7)?)))
        .transpose()
}

pub(super) async fn list_sessions(
    pg: &Pg,
    user_id: i64,
    now: UnixTime,
) -> Result<Vec<SessionDetails>> {
    let conn = pg.conn().await?;
    live_sessions(&conn, user_id, now).await
}

/// Not notified: the last-seen time is no part of another instance's
/// cached answers' meaning (each instance keeps its own entry's).
pub(super) async fn touch_session(pg: &Pg, session_id: i64, now: UnixTime) -> Result<()> {
    let conn = pg.conn().await?;
    let statement = conn
        .prepare_cached("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
        .await?;
    conn.execute(&statement, &[&now, &session_id]).await?;
    Ok(())
}

pub(super) async fn extend_session(
    pg: &Pg,
    session_id: i64,
    now: UnixTime,
    lifetime: i64,
) -> Result<Option<UnixTime>> {
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    let row = tx
        .query_opt(
            "UPDATE sessions SET expires_at = least($1, absolute_expires_at), last_seen_at = $2 \
             WHERE id = $3 AND expires_at > $2 AND absolute_expires_at > $2 \
             RETURNING expires_at",
            &[&now.saturating_add(lifetime), &now, &session_id],
        )
        .await?;
    let extended = row.map(|row| row.try_get(0)).transpose()?;
    if extended.is_some() {
        notify_sessions_changed(&tx).await?;
    }
    tx.commit().await?;
    Ok(extended)
}

pub(super) async fn end_session(
    pg: &Pg,
    token_hash: [u8; 32],
    event: AuditEvent,
) -> Result<Option<i64>> {
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    let statement = tx
        .prepare_cached("DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id")
        .await?;
    let user_id: Option<i64> = tx
        .query_opt(&statement, &[&&token_hash[..]])
        .await?
        .map(|row| row.try_get(0))
        .transpose()?;
    if let Some(user_id) = user_id {
        audit::pg::insert(
            &tx,
            &AuditEvent {
                user_id: Some(user_id),
                ..event
            },
        )
        .await?;
        notify_sessions_changed(&tx).await?;
    }
    tx.commit().await?;
    Ok(user_id)
}

pub(super) async fn end_session_by_public_id(
    pg: &Pg,
    user_id: i64,
    public_id: String,
    event: AuditEvent,
) -> Result<bool> {
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    // Deleted and returned in one statement: of two racing ends, one finds it.
    let row = tx
        .query_opt(
            "DELETE FROM sessions WHERE user_id = $1 AND public_id = $2 \
             RETURNING id, public_id, user_id, created_at, last_seen_at, expires_at, absolute_expires_at",
            &[&user_id, &public_id],
        )
        .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    let session = session_from_row(&row, 0)?;
    audit::pg::insert(
        &tx,
        &AuditEvent {
            kind: AuditKind::SessionEnded,
            user_id: Some(session.user_id),
            detail: Some(format!(
                "ended by its account (session {})",
                session.public_id
            )),
            ..event
        },
    )
    .await?;
    notify_sessions_changed(&tx).await?;
    tx.commit().await?;
    Ok(true)
}

/// Not notified: an expired session is refused by every instance's own
/// clock, cached or not.
pub(super) async fn purge_expired_sessions(pg: &Pg, now: UnixTime) -> Result<usize> {
    let conn = pg.conn().await?;
    let purged = conn
        .execute(
            "DELETE FROM sessions WHERE expires_at <= $1 OR absolute_expires_at <= $1",
            &[&now],
        )
        .await?;
    Ok(usize::try_from(purged).unwrap_or(usize::MAX))
}

pub(super) async fn count_live_sessions(pg: &Pg, user_id: i64, now: UnixTime) -> Result<i64> {
    let conn = pg.conn().await?;
    let statement = conn
        .prepare_cached(
            "SELECT count(*) FROM sessions WHERE user_id = $1 AND expires_at > $2 \
             AND absolute_expires_at > $2",
        )
        .await?;
    Ok(conn
        .query_one(&statement, &[&user_id, &now])
        .await?
        .try_get(0)?)
}
