//! Failed-login counters on PostgreSQL. The counter's row is locked before
//! it is read (created and locked by one upsert when it does not exist
//! yet), so of 50 concurrent failures on two instances exactly the policy's
//! number pass before the lock, and an administrator's unlock waits for a
//! failure being counted rather than being undone by it.

use crate::clock::UnixTime;
use crate::model::{AuditEvent, GuardState};
use crate::store::postgres::{Pg, notify_sessions_changed};
use crate::store::{Result, audit};

fn state(row: &tokio_postgres::Row) -> Result<GuardState> {
    Ok(GuardState {
        failures: row.try_get(0)?,
        consecutive: row.try_get(1)?,
        locked_until: row.try_get(2)?,
        disabled: row.try_get(3)?,
    })
}

pub(super) async fn update_guard<R, F>(
    pg: &Pg,
    key: String,
    user_id: Option<i64>,
    now: UnixTime,
    decide: F,
) -> Result<R>
where
    F: FnOnce(GuardState) -> (GuardState, R) + Send + 'static,
    R: Send + 'static,
{
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    // Creates the row or locks the one there; `xmax = 0` tells which.
    let lock = tx
        .prepare_cached(
            "INSERT INTO login_guards AS g (key, user_id, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET key = g.key \
             RETURNING failures, consecutive, locked_until, disabled, (xmax = 0) AS created",
        )
        .await?;
    let row = tx.query_one(&lock, &[&key, &user_id, &now]).await?;
    let current = state(&row)?;
    let created: bool = row.try_get(4)?;
    let (next, outcome) = decide(current);
    if next != current {
        let update = tx
            .prepare_cached(
                "UPDATE login_guards SET failures = $2, consecutive = $3, locked_until = $4, \
                 disabled = $5, updated_at = $6 WHERE key = $1",
            )
            .await?;
        tx.execute(
            &update,
            &[
                &key,
                &next.failures,
                &next.consecutive,
                &next.locked_until,
                &next.disabled,
                &now,
            ],
        )
        .await?;
    } else if created {
        // Nothing to keep: leave no row, as SQLite leaves none.
        let forget = tx
            .prepare_cached("DELETE FROM login_guards WHERE key = $1")
            .await?;
        tx.execute(&forget, &[&key]).await?;
    }
    tx.commit().await?;
    Ok(outcome)
}

pub(super) async fn guard(pg: &Pg, key: String) -> Result<Option<GuardState>> {
    let conn = pg.conn().await?;
    let statement = conn
        .prepare_cached(
            "SELECT failures, consecutive, locked_until, disabled FROM login_guards WHERE key = $1",
        )
        .await?;
    conn.query_opt(&statement, &[&key])
        .await?
        .map(|row| state(&row))
        .transpose()
}

pub(super) async fn clear_guards(pg: &Pg, user_id: i64, event: Option<AuditEvent>) -> Result<bool> {
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    let cleared = tx
        .query(
            "DELETE FROM login_guards WHERE user_id = $1 \
             RETURNING (locked_until IS NOT NULL OR disabled) AS locked",
            &[&user_id],
        )
        .await?;
    let mut locked = false;
    for row in &cleared {
        locked |= row.try_get::<_, bool>(0)?;
    }
    if let Some(event) = event {
        audit::pg::insert(&tx, &event).await?;
    }
    notify_sessions_changed(&tx).await?;
    tx.commit().await?;
    Ok(locked)
}

pub(super) async fn purge_guards(pg: &Pg, now: UnixTime, idle: i64) -> Result<usize> {
    let conn = pg.conn().await?;
    let purged = conn
        .execute(
            "DELETE FROM login_guards WHERE NOT disabled \
             AND (locked_until IS NULL OR locked_until <= $2) \
             AND ((failures = 0 AND consecutive = 0) OR (user_id IS NULL AND updated_at < $1))",
            &[&(now - idle), &now],
        )
        .await?;
    Ok(usize::try_from(purged).unwrap_or(usize::MAX))
}
