//! The audit trail of authentication events.

pub(super) mod pg;

use rusqlite::{Transaction, params};

use super::{Engine, Result, Store};
use crate::model::AuditEvent;

/// Inserts an event inside a caller's transaction, so it commits (or not)
/// with the change it describes.
pub(super) fn insert(tx: &Transaction<'_>, event: &AuditEvent) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO audit_events (at, kind, user_id, identifier, client_ip, user_agent, detail) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            event.at,
            event.kind.as_str(),
            event.user_id,
            event.identifier,
            event.client.ip,
            event.client.user_agent,
            event.detail,
        ],
    )?;
    Ok(())
}

/// An audit row as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub at: i64,
    pub kind: String,
    pub user_id: Option<i64>,
    pub identifier: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Option<String>,
}

impl Store {
    /// Records an event on its own.
    pub async fn record(&self, event: AuditEvent) -> Result<()> {
        match &self.engine {
            Engine::Sqlite(db) => db.write(move |tx| Ok(insert(tx, &event)?)).await,
            Engine::Postgres(pg) => pg::record(pg, event).await,
        }
    }

    /// When the account logged in before its latest login, if it did.
    pub async fn previous_login(&self, user_id: i64) -> Result<Option<i64>> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::previous_login(pg, user_id).await,
        };
        db.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT at FROM audit_events WHERE user_id = ?1 AND kind = 'login_ok' \
                 ORDER BY id DESC LIMIT 1 OFFSET 1",
            )?;
            let mut rows = stmt.query_map([user_id], |row| row.get(0))?;
            Ok(rows.next().transpose()?)
        })
        .await
    }

    /// The newest events first, at most `limit`.
    pub async fn recent_audit_events(&self, limit: u32) -> Result<Vec<AuditRow>> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::recent_audit_events(pg, limit).await,
        };
        db.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT at, kind, user_id, identifier, client_ip, user_agent, detail \
                 FROM audit_events ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = stmt
                .query_map([limit], |row| {
                    Ok(AuditRow {
                        at: row.get(0)?,
                        kind: row.get(1)?,
                        user_id: row.get(2)?,
                        identifier: row.get(3)?,
                        client_ip: row.get(4)?,
                        user_agent: row.get(5)?,
                        detail: row.get(6)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }
}
