//! Failed-login counters. The policy lives in the domain; here it runs inside
//! one write transaction, so reading a counter and changing it are one step
//! that concurrent logins cannot interleave.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, Store};
use crate::clock::UnixTime;
use crate::model::{AuditEvent, GuardState};

fn read_guard(conn: &Connection, key: &str) -> rusqlite::Result<Option<GuardState>> {
    conn.query_row(
        "SELECT failures, consecutive, locked_until, disabled FROM login_guards WHERE key = ?1",
        [key],
        |row| {
            Ok(GuardState {
                failures: row.get(0)?,
                consecutive: row.get(1)?,
                locked_until: row.get(2)?,
                disabled: row.get::<_, i64>(3)? == 1,
            })
        },
    )
    .optional()
}

impl Store {
    /// Reads the counter for `key` (zero if none), lets `decide` return its new
    /// value and an outcome, writes it back — atomically.
    pub async fn update_guard<R, F>(
        &self,
        key: String,
        user_id: Option<i64>,
        now: UnixTime,
        decide: F,
    ) -> Result<R>
    where
        F: FnOnce(GuardState) -> (GuardState, R) + Send + 'static,
        R: Send + 'static,
    {
        self.write(move |tx| {
            let current = read_guard(tx, &key)?.unwrap_or_default();
            let (next, outcome) = decide(current);
            if next != current {
                tx.execute(
                    "INSERT INTO login_guards (key, user_id, failures, consecutive, locked_until, disabled, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                     ON CONFLICT (key) DO UPDATE SET failures = ?3, consecutive = ?4, \
                     locked_until = ?5, disabled = ?6, updated_at = ?7",
                    params![
                        key,
                        user_id,
                        next.failures,
                        next.consecutive,
                        next.locked_until,
                        i64::from(next.disabled),
                        now,
                    ],
                )?;
            }
            Ok(outcome)
        })
        .await
    }

    /// The counter for `key`, if any.
    pub async fn guard(&self, key: String) -> Result<Option<GuardState>> {
        self.read(move |conn| Ok(read_guard(conn, &key)?)).await
    }

    /// Clears every counter of an account, recording why. Returns whether
    /// anything was locked.
    pub async fn clear_guards(&self, user_id: i64, event: Option<AuditEvent>) -> Result<bool> {
        self.write(move |tx| {
            let locked: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM login_guards WHERE user_id = ?1 \
                 AND (locked_until IS NOT NULL OR disabled = 1))",
                [user_id],
                |row| row.get(0),
            )?;
            tx.execute("DELETE FROM login_guards WHERE user_id = ?1", [user_id])?;
            if let Some(event) = event {
                super::audit::insert(tx, &event)?;
            }
            Ok(locked)
        })
        .await
    }

    /// Forgets counters that say nothing any more: all zero, or for an
    /// unknown login name untouched for `idle` seconds and not locked
    /// (random names would pile up otherwise). An account's failures in a row
    /// are kept however old.
    pub async fn purge_guards(&self, now: UnixTime, idle: i64) -> Result<usize> {
        self.write(move |tx| {
            Ok(tx.execute(
                "DELETE FROM login_guards WHERE disabled = 0 \
                 AND (locked_until IS NULL OR locked_until <= ?2) \
                 AND ((failures = 0 AND consecutive = 0) OR (user_id IS NULL AND updated_at < ?1))",
                params![now - idle, now],
            )?)
        })
        .await
    }
}
