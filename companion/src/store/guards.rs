//! Failed-login counters. The policy lives in the domain; here it runs inside
//! one write transaction, so reading a counter and changing it are one step
//! that concurrent logins cannot interleave (on PostgreSQL: with the
//! counter's row locked, across instances). A counter says nothing a cached
//! session lookup depends on: its writes leave that cache valid, but for
//! clearing an account's counters (an administrator's unlock), which
//! notifies like any change to an account.

mod pg;

use rusqlite::{Connection, OptionalExtension, params};

use super::{Engine, Result, Store};
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
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::update_guard(pg, key, user_id, now, decide).await,
        };
        db.write(move |tx| {
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
        match &self.engine {
            Engine::Sqlite(db) => db.read(move |conn| Ok(read_guard(conn, &key)?)).await,
            Engine::Postgres(pg) => pg::guard(pg, key).await,
        }
    }

    /// Clears every counter of an account, recording why. Returns whether
    /// anything was locked.
    pub async fn clear_guards(&self, user_id: i64, event: Option<AuditEvent>) -> Result<bool> {
        self.changing_sessions(async {
            let db = match &self.engine {
                Engine::Sqlite(db) => db,
                Engine::Postgres(pg) => return pg::clear_guards(pg, user_id, event).await,
            };
            db.write(move |tx| {
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
        })
        .await
    }

    /// Forgets counters that say nothing any more: all zero, or for an
    /// unknown login name untouched for `idle` seconds and not locked
    /// (random names would pile up otherwise). An account's failures in a row
    /// are kept however old.
    pub async fn purge_guards(&self, now: UnixTime, idle: i64) -> Result<usize> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::purge_guards(pg, now, idle).await,
        };
        db.write(move |tx| {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::engines;

    /// The lockout rule in miniature: ten failures lock; a locked counter
    /// refuses without counting. Returns whether the attempt was let
    /// through (to bcrypt, in the real rule).
    fn fail(mut guard: GuardState, now: UnixTime) -> (GuardState, bool) {
        if guard.locked_until.is_some_and(|until| until > now) {
            return (guard, false);
        }
        guard.failures += 1;
        guard.consecutive += 1;
        if guard.failures >= 10 {
            guard.locked_until = Some(now + 1200);
        }
        (guard, true)
    }

    engines!(a_counter_left_unchanged_leaves_no_row, |store| async move {
        let outcome = store
            .update_guard("name:nobody".into(), None, 100, |guard| (guard, 7))
            .await
            .unwrap();
        assert_eq!(outcome, 7);
        assert_eq!(store.guard("name:nobody".into()).await.unwrap(), None);
        store
            .update_guard("name:nobody".into(), None, 100, |guard| fail(guard, 100))
            .await
            .unwrap();
        let stored = store.guard("name:nobody".into()).await.unwrap().unwrap();
        assert_eq!((stored.failures, stored.consecutive), (1, 1));
        assert_eq!(
            store.purge_guards(100 + 2 * 86_400, 86_400).await.unwrap(),
            1
        );
    });

    // Fifty failures at once for one counter, on two stores (instances)
    // over one database: exactly ten get through before the lock.
    engines!(multi_thread the_lockout_counts_exactly_across_instances, |a, db| async move {
        let b = db.open().await;
        let attempts: Vec<_> = (0..50)
            .map(|i| {
                let store = if i % 2 == 0 { a.clone() } else { b.clone() };
                tokio::spawn(async move {
                    store
                        .update_guard("name:target".into(), None, 100, |guard| fail(guard, 100))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut through = 0;
        for attempt in attempts {
            through += usize::from(attempt.await.unwrap());
        }
        assert_eq!(through, 10, "exactly ten attempts reached the password check");
        let stored = b.guard("name:target".into()).await.unwrap().unwrap();
        assert_eq!(stored.failures, 10);
        assert_eq!(stored.locked_until, Some(1300));
    });
}
