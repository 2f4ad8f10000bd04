//! TOTP secrets, recovery codes and first-login registration tokens. A time
//! step, a recovery code and a registration token are each taken by one
//! conditional UPDATE, so of two racing uses exactly one wins (on
//! PostgreSQL too, whichever instances they reach).

mod pg;

use rusqlite::{OptionalExtension, params};

use super::{Engine, Result, Store};
use crate::clock::UnixTime;
use crate::model::AuditEvent;

/// An account's TOTP secret.
#[derive(Debug, Clone)]
pub struct TotpCredential {
    pub secret_sealed: Vec<u8>,
    pub confirmed: bool,
    pub last_step: Option<i64>,
}

/// What starting an enrolment found.
#[derive(Debug)]
pub enum BeginOutcome {
    /// The new secret is stored, unconfirmed.
    Started,
    /// An unconfirmed secret was there already; this is it.
    Pending(Vec<u8>),
    AlreadyActive,
}

/// What a registration token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationState {
    Valid(i64),
    Expired,
    Invalid,
}

impl Store {
    pub async fn totp_credential(&self, user_id: i64) -> Result<Option<TotpCredential>> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::totp_credential(pg, user_id).await,
        };
        db.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT secret_sealed, confirmed_at IS NOT NULL, last_step FROM totp_credentials \
                     WHERE user_id = ?1",
                )?
                .query_row([user_id], |row| {
                    Ok(TotpCredential {
                        secret_sealed: row.get(0)?,
                        confirmed: row.get(1)?,
                        last_step: row.get(2)?,
                    })
                })
                .optional()?)
        })
        .await
    }

    /// Stores an unconfirmed secret unless the account has one (pending or on).
    pub async fn begin_totp(
        &self,
        user_id: i64,
        sealed: Vec<u8>,
        now: UnixTime,
    ) -> Result<BeginOutcome> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::begin_totp(pg, user_id, sealed, now).await,
        };
        db.write(move |tx| {
            let existing: Option<(Vec<u8>, bool)> = tx
                .query_row(
                    "SELECT secret_sealed, confirmed_at IS NOT NULL FROM totp_credentials WHERE user_id = ?1",
                    [user_id],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            match existing {
                Some((_, true)) => Ok(BeginOutcome::AlreadyActive),
                Some((sealed, false)) => Ok(BeginOutcome::Pending(sealed)),
                None => {
                    tx.execute(
                        "INSERT INTO totp_credentials (user_id, secret_sealed, created_at) VALUES (?1, ?2, ?3)",
                        params![user_id, sealed, now],
                    )?;
                    Ok(BeginOutcome::Started)
                }
            }
        })
        .await
    }

    /// Confirms a pending secret (its code's step becomes the last one used,
    /// so that code cannot log in), stores the recovery codes and, for a
    /// first-login registration, spends the token — or changes nothing.
    pub async fn confirm_totp(
        &self,
        user_id: i64,
        step: i64,
        recovery_hashes: Vec<[u8; 32]>,
        registration: Option<[u8; 32]>,
        now: UnixTime,
        event: AuditEvent,
    ) -> Result<bool> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => {
                return pg::confirm_totp(
                    pg,
                    user_id,
                    step,
                    recovery_hashes,
                    registration,
                    now,
                    event,
                )
                .await;
            }
        };
        db.write(move |tx| {
            if let Some(hash) = registration {
                let spent = tx.execute(
                    "UPDATE totp_registrations SET used_at = ?1 \
                     WHERE token_hash = ?2 AND user_id = ?3 AND used_at IS NULL AND expires_at > ?1",
                    params![now, hash.as_slice(), user_id],
                )?;
                if spent == 0 {
                    return Ok(false);
                }
            }
            let confirmed = tx.execute(
                "UPDATE totp_credentials SET confirmed_at = ?1, last_step = ?2 \
                 WHERE user_id = ?3 AND confirmed_at IS NULL",
                params![now, step, user_id],
            )?;
            if confirmed == 0 {
                return Ok(false);
            }
            insert_recovery_codes(tx, user_id, &recovery_hashes, now)?;
            super::audit::insert(tx, &event)?;
            Ok(true)
        })
        .await
    }

    /// Takes a time step if it is later than the last one taken.
    pub async fn accept_totp_step(&self, user_id: i64, step: i64) -> Result<bool> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::accept_totp_step(pg, user_id, step).await,
        };
        db.write(move |tx| {
            Ok(tx.execute(
                "UPDATE totp_credentials SET last_step = ?1 \
                 WHERE user_id = ?2 AND confirmed_at IS NOT NULL AND (last_step IS NULL OR last_step < ?1)",
                params![step, user_id],
            )? == 1)
        })
        .await
    }

    /// Spends a recovery code of the account, if it has this unused one.
    pub async fn use_recovery_code(
        &self,
        user_id: i64,
        hash: [u8; 32],
        now: UnixTime,
        event: AuditEvent,
    ) -> Result<bool> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => {
                return pg::use_recovery_code(pg, user_id, hash, now, event).await;
            }
        };
        db.write(move |tx| {
            let used = tx.execute(
                "UPDATE recovery_codes SET used_at = ?1 \
                 WHERE user_id = ?2 AND code_hash = ?3 AND used_at IS NULL",
                params![now, user_id, hash.as_slice()],
            )?;
            if used == 1 {
                super::audit::insert(tx, &event)?;
            }
            Ok(used == 1)
        })
        .await
    }

    /// Replaces the account's recovery codes.
    pub async fn replace_recovery_codes(
        &self,
        user_id: i64,
        hashes: Vec<[u8; 32]>,
        now: UnixTime,
        event: AuditEvent,
    ) -> Result<()> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => {
                return pg::replace_recovery_codes(pg, user_id, hashes, now, event).await;
            }
        };
        db.write(move |tx| {
            tx.execute("DELETE FROM recovery_codes WHERE user_id = ?1", [user_id])?;
            insert_recovery_codes(tx, user_id, &hashes, now)?;
            super::audit::insert(tx, &event)?;
            Ok(())
        })
        .await
    }

    /// Removes the account's 2FA: secret, recovery codes, pending
    /// registrations — and, with `end_sessions`, every session.
    pub async fn delete_totp(
        &self,
        user_id: i64,
        end_sessions: Option<()>,
        event: AuditEvent,
    ) -> Result<()> {
        self.changing_sessions(async {
            let db = match &self.engine {
                Engine::Sqlite(db) => db,
                Engine::Postgres(pg) => {
                    return pg::delete_totp(pg, user_id, end_sessions, event).await;
                }
            };
            db.write(move |tx| {
                tx.execute("DELETE FROM totp_credentials WHERE user_id = ?1", [user_id])?;
                tx.execute("DELETE FROM recovery_codes WHERE user_id = ?1", [user_id])?;
                tx.execute(
                    "DELETE FROM totp_registrations WHERE user_id = ?1",
                    [user_id],
                )?;
                tx.execute(
                    "DELETE FROM login_guards WHERE key = ?1",
                    [format!("otp:user:{user_id}")],
                )?;
                if end_sessions.is_some() {
                    tx.execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])?;
                }
                super::audit::insert(tx, &event)?;
                Ok(())
            })
            .await
        })
        .await
    }

    pub async fn issue_registration(
        &self,
        user_id: i64,
        hash: [u8; 32],
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<()> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => {
                return pg::issue_registration(pg, user_id, hash, now, expires_at).await;
            }
        };
        db.write(move |tx| {
            tx.execute(
                "INSERT INTO totp_registrations (token_hash, user_id, created_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![hash.as_slice(), user_id, now, expires_at],
            )?;
            Ok(())
        })
        .await
    }

    pub async fn registration_state(
        &self,
        hash: [u8; 32],
        now: UnixTime,
    ) -> Result<RegistrationState> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::registration_state(pg, hash, now).await,
        };
        db.read(move |conn| {
            let row: Option<(i64, UnixTime, Option<UnixTime>)> = conn
                .query_row(
                    "SELECT user_id, expires_at, used_at FROM totp_registrations WHERE token_hash = ?1",
                    [hash.as_slice()],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()?;
            Ok(match row {
                Some((user_id, expires_at, None)) if expires_at > now => RegistrationState::Valid(user_id),
                Some((_, _, None)) => RegistrationState::Expired,
                _ => RegistrationState::Invalid,
            })
        })
        .await
    }
}

fn insert_recovery_codes(
    tx: &rusqlite::Transaction<'_>,
    user_id: i64,
    hashes: &[[u8; 32]],
    now: UnixTime,
) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?1, ?2, ?3)",
    )?;
    for hash in hashes {
        stmt.execute(params![user_id, hash.as_slice(), now])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AuditKind, ClientInfo};
    use crate::store::testing::engines;
    use crate::store::users::tests::new_user;

    fn event() -> AuditEvent {
        AuditEvent::new(AuditKind::UserCreated, 100, None, ClientInfo::default())
    }

    // One code sent to two instances at once logs in once; a recovery
    // code too.
    engines!(multi_thread a_time_step_and_a_recovery_code_work_once_across_instances, |a, db| async move {
        let b = db.open().await;
        let user = a
            .insert_user(new_user("a@example.com", "alice"), event())
            .await
            .unwrap();
        assert!(matches!(
            a.begin_totp(user.id, vec![1, 2, 3], 100).await.unwrap(),
            BeginOutcome::Started
        ));
        assert!(matches!(
            b.begin_totp(user.id, vec![4, 5, 6], 100).await.unwrap(),
            BeginOutcome::Pending(sealed) if sealed == vec![1, 2, 3]
        ));
        assert!(
            a.confirm_totp(user.id, 10, vec![[5; 32]], None, 100, event())
                .await
                .unwrap()
        );
        assert!(matches!(
            b.begin_totp(user.id, vec![4, 5, 6], 100).await.unwrap(),
            BeginOutcome::AlreadyActive
        ));
        for step in [11, 12, 13] {
            let takes: Vec<_> = (0..10)
                .map(|i| {
                    let store = if i % 2 == 0 { a.clone() } else { b.clone() };
                    tokio::spawn(async move { store.accept_totp_step(user.id, step).await.unwrap() })
                })
                .collect();
            let mut taken = 0;
            for take in takes {
                taken += usize::from(take.await.unwrap());
            }
            assert_eq!(taken, 1, "step {step}");
        }
        assert!(!a.accept_totp_step(user.id, 12).await.unwrap(), "an earlier step");
        let uses: Vec<_> = (0..10)
            .map(|i| {
                let store = if i % 2 == 0 { a.clone() } else { b.clone() };
                tokio::spawn(async move {
                    store.use_recovery_code(user.id, [5; 32], 200, event()).await.unwrap()
                })
            })
            .collect();
        let mut used = 0;
        for one in uses {
            used += usize::from(one.await.unwrap());
        }
        assert_eq!(used, 1, "a recovery code works once");
        a.delete_totp(user.id, Some(()), event()).await.unwrap();
        assert!(b.totp_credential(user.id).await.unwrap().is_none());
    });
}
