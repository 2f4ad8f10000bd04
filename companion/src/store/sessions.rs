//! Login sessions, looked up by the SHA-256 of their token. Starting one
//! checks the account's session limit in the same transaction, so racing
//! logins can never leave more sessions than allowed (on PostgreSQL: with
//! the account's row locked, whichever instance they reach).

mod pg;

use rusqlite::{OptionalExtension, Row, Transaction, params};

use super::rows::user_from_row;
use super::{Engine, Result, Store};
use crate::clock::UnixTime;
use crate::model::{
    AuditEvent, AuditKind, ClientInfo, NewSession, Session, SessionDetails, SessionLimit, User,
};

const SESSION_COLUMNS: &str = "s.id, s.public_id, s.user_id, s.created_at, s.last_seen_at, s.expires_at, s.absolute_expires_at";

fn session_from_row(row: &Row<'_>, at: usize) -> rusqlite::Result<Session> {
    Ok(Session {
        id: row.get(at)?,
        public_id: row.get(at + 1)?,
        user_id: row.get(at + 2)?,
        created_at: row.get(at + 3)?,
        last_seen_at: row.get(at + 4)?,
        expires_at: row.get(at + 5)?,
        absolute_expires_at: row.get(at + 6)?,
    })
}

fn details_from_row(row: &Row<'_>) -> rusqlite::Result<SessionDetails> {
    Ok(SessionDetails {
        session: session_from_row(row, 0)?,
        client: ClientInfo {
            ip: row.get(7)?,
            user_agent: row.get(8)?,
        },
    })
}

/// What starting a session did.
#[derive(Debug)]
pub enum SessionStart {
    Started {
        session: Session,
        /// Sessions ended to make room.
        ended: Vec<Session>,
    },
    /// The account is at its limit and the login did not say `force`.
    TooMany(Vec<SessionDetails>),
    /// `end` named no live session of this account.
    UnknownSession,
}

fn live_sessions(
    conn: &rusqlite::Connection,
    user_id: i64,
    now: UnixTime,
) -> rusqlite::Result<Vec<SessionDetails>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS}, s.client_ip, s.user_agent FROM sessions s \
         WHERE s.user_id = ?1 AND s.expires_at > ?2 AND s.absolute_expires_at > ?2 \
         ORDER BY s.created_at, s.id"
    ))?;
    stmt.query_map(params![user_id, now], details_from_row)?
        .collect()
}

fn end(tx: &Transaction<'_>, session: &Session, event: &AuditEvent, why: &str) -> Result<()> {
    tx.execute("DELETE FROM sessions WHERE id = ?1", [session.id])?;
    super::audit::insert(
        tx,
        &AuditEvent {
            kind: AuditKind::SessionEnded,
            user_id: Some(session.user_id),
            detail: Some(format!("{why} (session {})", session.public_id)),
            ..event.clone()
        },
    )?;
    Ok(())
}

impl Store {
    /// Starts a session for a successful login unless the account is at its
    /// limit: then, with `force`, ends the chosen or oldest sessions first.
    /// Notes the login time and records the event — all in one transaction.
    pub async fn start_session(
        &self,
        session: NewSession,
        limit: SessionLimit,
        event: AuditEvent,
    ) -> Result<SessionStart> {
        self.changing_sessions(async {
            let db = match &self.engine {
                Engine::Sqlite(db) => db,
                Engine::Postgres(pg) => return pg::start_session(pg, session, limit, event).await,
            };
            db.write(move |tx| {
            let now = session.created_at;
            tx.execute(
                "DELETE FROM sessions WHERE user_id = ?1 AND (expires_at <= ?2 OR absolute_expires_at <= ?2)",
                params![session.user_id, now],
            )?;
            let mut live = live_sessions(tx, session.user_id, now)?;
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
                    end(tx, &removed.session, &event, "ended by a new login")?;
                    ended.push(removed.session);
                }
                // Then the oldest, until the new one fits.
                while live.len() as i64 >= limit.max {
                    let oldest = live.remove(0);
                    end(tx, &oldest.session, &event, "ended by a new login")?;
                    ended.push(oldest.session);
                }
            }
            let stored = tx.query_row(
                "INSERT INTO sessions (token_hash, public_id, user_id, created_at, last_seen_at, \
                 expires_at, absolute_expires_at, client_ip, user_agent) \
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8) \
                 RETURNING id, public_id, user_id, created_at, last_seen_at, expires_at, absolute_expires_at",
                params![
                    session.token_hash.as_slice(),
                    session.public_id,
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
                params![now, session.user_id],
            )?;
            super::audit::insert(tx, &event)?;
            Ok(SessionStart::Started {
                session: stored,
                ended,
            })
        })
        .await
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
        if let Some(found) = self.live_sessions.get(&token_hash, now) {
            return Ok(Some(found));
        }
        let generation = self.live_sessions.generation();
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => {
                let found = pg::find_live_session(pg, token_hash, now).await?;
                if let Some((session, user)) = &found {
                    self.live_sessions
                        .put(token_hash, generation, session.clone(), user.clone());
                }
                return Ok(found);
            }
        };
        let found = db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&format!(
                    "SELECT {SESSION_COLUMNS}, \
                     u.id, u.uuid, u.email, u.username, u.password_hash, u.role, u.status, \
                     u.access_key, u.created_at, u.password_changed_at, u.last_login_at \
                     FROM sessions s JOIN users u ON u.id = s.user_id \
                     WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND s.absolute_expires_at > ?2 \
                     AND u.status = 'active'"
                ))?;
                let found = stmt
                    .query_row(params![token_hash.as_slice(), now], |row| {
                        Ok((session_from_row(row, 0)?, user_from_row(row, 7)?))
                    })
                    .optional()?;
                Ok(found)
            })
            .await?;
        if let Some((session, user)) = &found {
            self.live_sessions
                .put(token_hash, generation, session.clone(), user.clone());
        }
        Ok(found)
    }

    /// The live sessions of an account, oldest first.
    pub async fn list_sessions(&self, user_id: i64, now: UnixTime) -> Result<Vec<SessionDetails>> {
        match &self.engine {
            Engine::Sqlite(db) => {
                db.read(move |conn| Ok(live_sessions(conn, user_id, now)?))
                    .await
            }
            Engine::Postgres(pg) => pg::list_sessions(pg, user_id, now).await,
        }
    }

    /// Notes activity on a session (callers limit how often). The time is
    /// no part of any answer a cached lookup gives but its own entry's, so
    /// this leaves the cache valid and updates that entry.
    pub async fn touch_session(
        &self,
        token_hash: [u8; 32],
        session_id: i64,
        now: UnixTime,
    ) -> Result<()> {
        match &self.engine {
            Engine::Sqlite(db) => {
                db.write(move |tx| {
                    tx.execute(
                        "UPDATE sessions SET last_seen_at = ?1 WHERE id = ?2",
                        params![now, session_id],
                    )?;
                    Ok(())
                })
                .await?;
            }
            Engine::Postgres(pg) => pg::touch_session(pg, session_id, now).await?,
        }
        self.live_sessions.touched(&token_hash, now);
        Ok(())
    }

    /// Moves a live session's end to `now + lifetime`, never past its
    /// absolute limit. Returns the new end, or `None` if it had already ended.
    pub async fn extend_session(
        &self,
        session_id: i64,
        now: UnixTime,
        lifetime: i64,
    ) -> Result<Option<UnixTime>> {
        self.changing_sessions(async {
            let db = match &self.engine {
                Engine::Sqlite(db) => db,
                Engine::Postgres(pg) => return pg::extend_session(pg, session_id, now, lifetime).await,
            };
            db.write(move |tx| {
            Ok(tx
                .query_row(
                    "UPDATE sessions SET expires_at = min(?1, absolute_expires_at), last_seen_at = ?2 \
                     WHERE id = ?3 AND expires_at > ?2 AND absolute_expires_at > ?2 \
                     RETURNING expires_at",
                    params![now.saturating_add(lifetime), now, session_id],
                    |row| row.get(0),
                )
                .optional()?)
        })
        .await
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
        self.changing_sessions(async {
            let db = match &self.engine {
                Engine::Sqlite(db) => db,
                Engine::Postgres(pg) => return pg::end_session(pg, token_hash, event).await,
            };
            db.write(move |tx| {
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
        })
        .await
    }

    /// Ends one session of an account by its public id; false when the
    /// account has no such session.
    pub async fn end_session_by_public_id(
        &self,
        user_id: i64,
        public_id: String,
        event: AuditEvent,
    ) -> Result<bool> {
        self.changing_sessions(async {
            let db = match &self.engine {
                Engine::Sqlite(db) => db,
                Engine::Postgres(pg) => {
                    return pg::end_session_by_public_id(pg, user_id, public_id, event).await;
                }
            };
            db.write(move |tx| {
            let found = tx
                .query_row(
                    &format!("SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.user_id = ?1 AND s.public_id = ?2"),
                    params![user_id, public_id],
                    |row| session_from_row(row, 0),
                )
                .optional()?;
            match found {
                Some(session) => {
                    end(tx, &session, &event, "ended by its account")?;
                    Ok(true)
                }
                None => Ok(false),
            }
        })
        .await
        })
        .await
    }

    /// Deletes sessions that have expired; returns how many.
    pub async fn purge_expired_sessions(&self, now: UnixTime) -> Result<usize> {
        self.changing_sessions(async {
            match &self.engine {
                Engine::Sqlite(db) => {
                    db.write(move |tx| {
                        Ok(tx.execute(
                            "DELETE FROM sessions WHERE expires_at <= ?1 OR absolute_expires_at <= ?1",
                            [now],
                        )?)
                    })
                    .await
                }
                Engine::Postgres(pg) => pg::purge_expired_sessions(pg, now).await,
            }
        })
        .await
    }

    /// Live sessions of one account.
    pub async fn count_live_sessions(&self, user_id: i64, now: UnixTime) -> Result<i64> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::count_live_sessions(pg, user_id, now).await,
        };
        db.read(move |conn| {
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use crate::model::{AuditKind, ClientInfo, SessionLimit};
    use crate::store::session_cache::UNNOTIFIED_FRESH_FOR;
    use crate::store::testing::{engines, settle, wait_until};
    use crate::store::users::tests::new_user;

    const TOKEN: [u8; 32] = [7; 32];

    fn event(kind: AuditKind) -> AuditEvent {
        AuditEvent {
            at: 100,
            kind,
            user_id: None,
            identifier: None,
            client: ClientInfo::default(),
            detail: None,
        }
    }

    fn new_session(user_id: i64, token: [u8; 32], public_id: &str) -> NewSession {
        NewSession {
            token_hash: token,
            public_id: public_id.into(),
            user_id,
            created_at: 100,
            expires_at: 1_000,
            absolute_expires_at: 10_000,
            client: ClientInfo::default(),
        }
    }

    /// One account with one live session (token [`TOKEN`]); its id.
    async fn with_session(store: &Store) -> i64 {
        let user = store
            .insert_user(
                new_user("a@example.com", "alice"),
                event(AuditKind::UserCreated),
            )
            .await
            .unwrap();
        let limit = SessionLimit {
            max: 5,
            force: false,
            end: None,
        };
        let started = store
            .start_session(
                new_session(user.id, TOKEN, "s1"),
                limit,
                event(AuditKind::LoginOk),
            )
            .await
            .unwrap();
        assert!(matches!(started, SessionStart::Started { .. }));
        settle(store).await;
        user.id
    }

    engines!(
        a_write_voids_every_cached_lookup_at_once,
        |store| async move {
            with_session(&store).await;
            let (session, _) = store.find_live_session(TOKEN, 200).await.unwrap().unwrap();
            // Twice: the second answer comes from the cache.
            assert!(store.find_live_session(TOKEN, 200).await.unwrap().is_some());

            let new_end = store.extend_session(session.id, 300, 5_000).await.unwrap();
            assert_eq!(new_end, Some(5_300));
            let (extended, _) = store.find_live_session(TOKEN, 300).await.unwrap().unwrap();
            assert_eq!(extended.expires_at, 5_300);

            // Expiry is checked against the caller's clock, cached or not.
            assert!(
                store
                    .find_live_session(TOKEN, 5_300)
                    .await
                    .unwrap()
                    .is_none()
            );

            store
                .end_session(TOKEN, event(AuditKind::Logout))
                .await
                .unwrap();
            assert!(store.find_live_session(TOKEN, 300).await.unwrap().is_none());
        }
    );

    engines!(noting_activity_leaves_the_cache_valid, |store| async move {
        with_session(&store).await;
        let (session, _) = store.find_live_session(TOKEN, 200).await.unwrap().unwrap();
        let generation = store.live_sessions.generation();
        store.touch_session(TOKEN, session.id, 260).await.unwrap();
        assert_eq!(
            store.live_sessions.generation(),
            generation,
            "an activity touch voids no cached lookup"
        );
        // The entry itself knows the new time, so it is not touched again.
        let (cached, _) = store.find_live_session(TOKEN, 261).await.unwrap().unwrap();
        assert_eq!(cached.last_seen_at, 260);
        let listed = store.list_sessions(session.user_id, 261).await.unwrap();
        assert_eq!(listed[0].session.last_seen_at, 260, "and it was stored");
        // A failed login's counter, an audit line: no session changed either.
        store
            .update_guard("user:1".into(), None, 270, |mut guard| {
                guard.failures += 1;
                (guard, ())
            })
            .await
            .unwrap();
        store.record(event(AuditKind::LoginFailed)).await.unwrap();
        assert_eq!(store.live_sessions.generation(), generation);
        store.extend_session(session.id, 280, 500).await.unwrap();
        assert_ne!(
            store.live_sessions.generation(),
            generation,
            "an extension does"
        );
    });

    #[tokio::test(start_paused = true)]
    async fn another_process_ending_a_session_is_seen_within_the_freshness_window() {
        let (db, server) = crate::store::testing::sqlite().await;
        with_session(&server).await;
        assert!(
            server
                .find_live_session(TOKEN, 200)
                .await
                .unwrap()
                .is_some()
        );

        // The CLI, say: its own connections, its own cache.
        let cli = db.open().await;
        cli.end_session(TOKEN, event(AuditKind::SessionsEnded))
            .await
            .unwrap();

        tokio::time::advance(UNNOTIFIED_FRESH_FOR).await;
        assert!(
            server
                .find_live_session(TOKEN, 200)
                .await
                .unwrap()
                .is_none()
        );
    }

    /// On PostgreSQL another instance's logout reaches this one's cache
    /// when it commits (its entries would otherwise last 10 s).
    #[tokio::test]
    async fn another_instance_ending_a_session_is_seen_at_once() {
        let (db, a) = crate::store::testing::postgres().await;
        let b = db.open().await;
        with_session(&a).await;
        for _ in 0..3 {
            assert!(b.find_live_session(TOKEN, 200).await.unwrap().is_some());
        }
        let ended = std::time::Instant::now();
        a.end_session(TOKEN, event(AuditKind::Logout))
            .await
            .unwrap();
        while b.find_live_session(TOKEN, 200).await.unwrap().is_some() {
            assert!(
                ended.elapsed() < std::time::Duration::from_millis(100),
                "B still answers from its cache 100 ms after A's logout"
            );
            // A cached answer never awaits: let B's listener run.
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }

    /// Notifications missed while the listener was away cannot leave a
    /// stale entry: entries are void when it is back.
    #[tokio::test]
    async fn a_lost_listener_voids_the_cache() {
        let (db, store) = crate::store::testing::postgres().await;
        let user_id = with_session(&store).await;
        let database = db.postgres().unwrap();
        let second: [u8; 32] = [9; 32];
        let limit = SessionLimit {
            max: 5,
            force: false,
            end: None,
        };
        store
            .start_session(
                new_session(user_id, second, "s2"),
                limit,
                event(AuditKind::LoginOk),
            )
            .await
            .unwrap();
        settle(&store).await;
        assert!(store.find_live_session(TOKEN, 200).await.unwrap().is_some());
        assert!(
            store
                .find_live_session(second, 200)
                .await
                .unwrap()
                .is_some()
        );
        // Control: a write that does not notify (by hand, here) is not seen
        // while the entry is fresh.
        database.psql("DELETE FROM sessions WHERE public_id = 's2'");
        assert!(
            store
                .find_live_session(second, 200)
                .await
                .unwrap()
                .is_some()
        );

        let listened = store.live_sessions.times_trusted();
        let terminated = database.psql(&format!(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = '{}' AND application_name LIKE 'baigate-listener-%'",
            database.name
        ));
        assert_eq!(terminated, "1", "one listener to end");
        wait_until(|| {
            store.live_sessions.times_trusted() > listened && store.session_cache_trusted()
        })
        .await;
        database.psql("DELETE FROM sessions WHERE public_id = 's1'");
        assert!(
            store.find_live_session(TOKEN, 200).await.unwrap().is_none(),
            "an entry from before the listener came back is not trusted"
        );
    }

    engines!(multi_thread no_lookup_started_after_a_logout_sees_the_session, |store| async move {
        with_session(&store).await;
        let ended = Arc::new(AtomicBool::new(false));
        let checkers: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                let ended = Arc::clone(&ended);
                tokio::spawn(async move {
                    let (mut before, mut after) = (0, 0);
                    while after < 200 {
                        let logged_out = ended.load(Ordering::SeqCst);
                        let found = store.find_live_session(TOKEN, 200).await.unwrap();
                        if logged_out {
                            assert!(
                                found.is_none(),
                                "a lookup after the logout found the session"
                            );
                            after += 1;
                        } else if found.is_some() {
                            before += 1;
                        }
                        // A cached answer never awaits: let the logout run.
                        tokio::task::yield_now().await;
                    }
                    before
                })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        store
            .end_session(TOKEN, event(AuditKind::Logout))
            .await
            .unwrap();
        ended.store(true, Ordering::SeqCst);
        let mut seen_before = 0;
        for checker in checkers {
            seen_before += checker.await.unwrap();
        }
        assert!(seen_before > 0, "the checkers never ran before the logout");
    });

    // Twenty logins at once at a limit of one, on two stores (instances)
    // over one database: one session; then ten forced logins: still one.
    engines!(multi_thread the_session_limit_holds_across_instances, |a, db| async move {
        let b = db.open().await;
        let user = a
            .insert_user(new_user("a@example.com", "alice"), event(AuditKind::UserCreated))
            .await
            .unwrap();
        let round = |force: bool, offset: u8| {
            let (a, b) = (a.clone(), b.clone());
            async move {
                let logins: Vec<_> = (0..20u8)
                    .filter(|i| !force || *i < 10)
                    .map(|i| {
                        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
                        tokio::spawn(async move {
                            let mut token = [0u8; 32];
                            token[0] = offset + i;
                            let limit = SessionLimit { max: 1, force, end: None };
                            let started = store
                                .start_session(
                                    new_session(user.id, token, &format!("p{}", offset + i)),
                                    limit,
                                    event(AuditKind::LoginOk),
                                )
                                .await
                                .unwrap();
                            matches!(started, SessionStart::Started { .. })
                        })
                    })
                    .collect();
                let mut started = 0;
                for login in logins {
                    started += usize::from(login.await.unwrap());
                }
                started
            }
        };
        assert_eq!(round(false, 0).await, 1, "one of twenty got a session");
        assert_eq!(a.count_live_sessions(user.id, 200).await.unwrap(), 1);
        assert_eq!(round(true, 100).await, 10, "each forced login gets one");
        assert_eq!(
            b.count_live_sessions(user.id, 200).await.unwrap(),
            1,
            "and ends the others"
        );
    });
}
