//! The audit trail on PostgreSQL.

use deadpool_postgres::GenericClient;

use super::AuditRow;
use crate::model::AuditEvent;
use crate::store::Result;
use crate::store::postgres::Pg;

/// Inserts an event inside a caller's transaction.
pub(crate) async fn insert(client: &impl GenericClient, event: &AuditEvent) -> Result<()> {
    let statement = client
        .prepare_cached(
            "INSERT INTO audit_events (at, kind, user_id, identifier, client_ip, user_agent, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .await?;
    client
        .execute(
            &statement,
            &[
                &event.at,
                &event.kind.as_str(),
                &event.user_id,
                &event.identifier,
                &event.client.ip,
                &event.client.user_agent,
                &event.detail,
            ],
        )
        .await?;
    Ok(())
}

pub(crate) async fn record(pg: &Pg, event: AuditEvent) -> Result<()> {
    let conn = pg.conn().await?;
    insert(&conn, &event).await
}

pub(crate) async fn previous_login(pg: &Pg, user_id: i64) -> Result<Option<i64>> {
    let conn = pg.conn().await?;
    let statement = conn
        .prepare_cached(
            "SELECT at FROM audit_events WHERE user_id = $1 AND kind = 'login_ok' \
             ORDER BY id DESC LIMIT 1 OFFSET 1",
        )
        .await?;
    let row = conn.query_opt(&statement, &[&user_id]).await?;
    Ok(row.map(|row| row.try_get(0)).transpose()?)
}

pub(crate) async fn recent_audit_events(pg: &Pg, limit: u32) -> Result<Vec<AuditRow>> {
    let conn = pg.conn().await?;
    let statement = conn
        .prepare_cached(
            "SELECT at, kind, user_id, identifier, client_ip, user_agent, detail \
             FROM audit_events ORDER BY id DESC LIMIT $1",
        )
        .await?;
    let rows = conn.query(&statement, &[&i64::from(limit)]).await?;
    rows.iter()
        .map(|row| {
            Ok(AuditRow {
                at: row.try_get(0)?,
                kind: row.try_get(1)?,
                user_id: row.try_get(2)?,
                identifier: row.try_get(3)?,
                client_ip: row.try_get(4)?,
                user_agent: row.try_get(5)?,
                detail: row.try_get(6)?,
            })
        })
        .collect()
}
