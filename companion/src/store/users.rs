//! Accounts.

mod pg;

use rusqlite::{OptionalExtension, Row, params};

use super::rows::{USER_COLUMNS, user_from_row};
use super::{Engine, Result, Store, StoreError, unique_violation};
use crate::clock::UnixTime;
use crate::model::{AuditEvent, NewUser, User};

fn first_user(row: &Row<'_>) -> rusqlite::Result<User> {
    user_from_row(row, 0)
}

impl Store {
    /// Stores a new account with what comes with it, all or nothing: one use
    /// of its invitation, its email-verification token, its audit event. A
    /// taken email, username or access key is [`StoreError::Duplicate`]
    /// naming the column; an unusable invitation is [`StoreError::InvalidInvitation`].
    pub async fn insert_user(&self, user: NewUser, event: AuditEvent) -> Result<User> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::insert_user(pg, user, event).await,
        };
        db.write(move |tx| {
            // A username that is someone else's email (or the reverse) would
            // make one login name point at two accounts.
            let crossed: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM users WHERE username_canonical = ?1 OR email_canonical = ?2)",
                params![user.email_canonical, user.username_canonical],
                |row| row.get(0),
            )?;
            if crossed && user.username_canonical != user.email_canonical {
                return Err(StoreError::Duplicate("username_canonical"));
            }
            let invitation_id = match &user.invitation {
                Some(claim) => Some(super::invitations::spend(
                    tx,
                    &claim.token_hash,
                    &user.email_canonical,
                    user.created_at,
                )?),
                None => None,
            };
            let inserted = tx.query_row(
                &format!(
                    "INSERT INTO users (uuid, email, email_canonical, username, username_canonical, \
                     password_hash, role, status, access_key, secret_key_sealed, created_at, \
                     password_changed_at, agreed_at, invitation_id) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13) \
                     RETURNING {USER_COLUMNS}"
                ),
                params![
                    user.uuid,
                    user.email,
                    user.email_canonical,
                    user.username,
                    user.username_canonical,
                    user.password_hash,
                    user.role.as_str(),
                    user.status.as_str(),
                    user.access_key,
                    user.secret_key_sealed,
                    user.created_at,
                    user.agreed_at,
                    invitation_id,
                ],
                first_user,
            );
            let stored = match inserted {
                Ok(stored) => stored,
                Err(e) => {
                    return Err(unique_violation(&e)
                        .map(StoreError::Duplicate)
                        .unwrap_or(StoreError::Sqlite(e)));
                }
            };
            if let Some(token) = &user.verification {
                super::mailed_tokens::insert(tx, stored.id, token)?;
            }
            super::audit::insert(
                tx,
                &AuditEvent {
                    user_id: Some(stored.id),
                    ..event
                },
            )?;
            Ok(stored)
        })
        .await
    }

    pub async fn find_user_by_id(&self, id: i64) -> Result<Option<User>> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::find_user_by_id(pg, id).await,
        };
        db.read(move |conn| {
            let mut stmt =
                conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))?;
            Ok(stmt.query_row([id], first_user).optional()?)
        })
        .await
    }

    /// Finds the account an access key belongs to.
    pub async fn find_user_by_access_key(&self, access_key: String) -> Result<Option<User>> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::find_user_where(pg, "access_key", access_key).await,
        };
        db.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE access_key = ?1"
            ))?;
            Ok(stmt.query_row([access_key], first_user).optional()?)
        })
        .await
    }

    /// Gives an account a new keypair (the old one stops working at once).
    pub async fn replace_keypair(
        &self,
        user_id: i64,
        access_key: String,
        secret_key_sealed: Vec<u8>,
        event: AuditEvent,
    ) -> Result<User> {
        self.changing_sessions(async {
            let db = match &self.engine {
                Engine::Sqlite(db) => db,
                Engine::Postgres(pg) => {
                    return pg::replace_keypair(pg, user_id, access_key, secret_key_sealed, event)
                        .await;
                }
            };
            db.write(move |tx| {
                let user = tx
                .query_row(
                    &format!(
                        "UPDATE users SET access_key = ?1, secret_key_sealed = ?2 WHERE id = ?3 \
                         RETURNING {USER_COLUMNS}"
                    ),
                    params![access_key, secret_key_sealed, user_id],
                    first_user,
                )
                .map_err(|e| {
                    unique_violation(&e)
                        .map(StoreError::Duplicate)
                        .unwrap_or(StoreError::Sqlite(e))
                })?;
                super::audit::insert(tx, &event)?;
                Ok(user)
            })
            .await
        })
        .await
    }

    /// Finds the account with this canonical email address.
    pub async fn find_user_by_email(&self, canonical: String) -> Result<Option<User>> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => {
                return pg::find_user_where(pg, "email_canonical", canonical).await;
            }
        };
        db.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE email_canonical = ?1"
            ))?;
            Ok(stmt.query_row([canonical], first_user).optional()?)
        })
        .await
    }

    /// Finds the account a canonical login name (email or username) belongs to.
    pub async fn find_user_by_login_name(&self, canonical: String) -> Result<Option<User>> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::find_user_by_login_name(pg, canonical).await,
        };
        db.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users \
                 WHERE email_canonical = ?1 OR username_canonical = ?1"
            ))?;
            Ok(stmt.query_row([canonical], first_user).optional()?)
        })
        .await
    }

    /// Every account, oldest first.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::list_users(pg).await,
        };
        db.read(|conn| {
            let mut stmt =
                conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"))?;
            let users = stmt
                .query_map([], first_user)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(users)
        })
        .await
    }

    /// The sealed secret key of an account.
    pub async fn sealed_secret_key(&self, user_id: i64) -> Result<Option<Vec<u8>>> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::sealed_secret_key(pg, user_id).await,
        };
        db.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT secret_key_sealed FROM users WHERE id = ?1",
                    [user_id],
                    |row| row.get(0),
                )
                .optional()?)
        })
        .await
    }

    /// Replaces a password only if it is still the one that was checked
    /// (`expected_hash`), ends every session of the account but `keep_session`,
    /// and records the event — all or nothing. Returns false when the password
    /// changed meanwhile.
    pub async fn change_password(
        &self,
        user_id: i64,
        expected_hash: String,
        new_hash: String,
        keep_session: Option<i64>,
        now: UnixTime,
        event: AuditEvent,
    ) -> Result<bool> {
        self.changing_sessions(async {
            let db = match &self.engine {
                Engine::Sqlite(db) => db,
                Engine::Postgres(pg) => {
                    return pg::change_password(
                        pg,
                        user_id,
                        expected_hash,
                        new_hash,
                        keep_session,
                        now,
                        event,
                    )
                    .await;
                }
            };
            db.write(move |tx| {
                let changed = tx.execute(
                    "UPDATE users SET password_hash = ?1, password_changed_at = ?2 \
                 WHERE id = ?3 AND password_hash = ?4",
                    params![new_hash, now, user_id, expected_hash],
                )?;
                if changed == 0 {
                    return Ok(false);
                }
                tx.execute(
                    "DELETE FROM sessions WHERE user_id = ?1 AND id IS NOT ?2",
                    params![user_id, keep_session],
                )?;
                super::audit::insert(tx, &event)?;
                Ok(true)
            })
            .await
        })
        .await
    }

    /// Stores a stronger hash of the same password (after a successful login
    /// with a hash made at a lower cost), unless the password changed meanwhile.
    pub async fn upgrade_password_hash(
        &self,
        user_id: i64,
        old_hash: String,
        new_hash: String,
    ) -> Result<()> {
        self.changing_sessions(async {
            let db = match &self.engine {
                Engine::Sqlite(db) => db,
                Engine::Postgres(pg) => {
                    return pg::upgrade_password_hash(pg, user_id, old_hash, new_hash).await;
                }
            };
            db.write(move |tx| {
                tx.execute(
                    "UPDATE users SET password_hash = ?1 WHERE id = ?2 AND password_hash = ?3",
                    params![new_hash, user_id, old_hash],
                )?;
                Ok(())
            })
            .await
        })
        .await
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{AuditKind, ClientInfo, Role, UserStatus};
    use crate::store::testing::engines;

    pub(crate) fn new_user(email: &str, username: &str) -> NewUser {
        NewUser {
            uuid: format!("uuid-{email}-{username}"),
            email: email.to_owned(),
            email_canonical: email.to_lowercase(),
            username: username.to_owned(),
            username_canonical: username.to_lowercase(),
            password_hash: "$2b$04$invalid".to_owned(),
            role: Role::User,
            status: UserStatus::Active,
            access_key: format!("AK{email}{username}"),
            secret_key_sealed: vec![1, 2, 3],
            created_at: 100,
            agreed_at: None,
            invitation: None,
            verification: None,
        }
    }

    fn created() -> AuditEvent {
        AuditEvent {
            at: 100,
            kind: AuditKind::UserCreated,
            user_id: None,
            identifier: None,
            client: ClientInfo::default(),
            detail: None,
        }
    }

    engines!(insert_and_find_by_either_name, |store| async move {
        let user = store
            .insert_user(new_user("a@example.com", "alice"), created())
            .await
            .unwrap();
        assert_eq!(user.role, Role::User);
        for name in ["a@example.com", "alice"] {
            let found = store.find_user_by_login_name(name.into()).await.unwrap();
            assert_eq!(found.map(|u| u.id), Some(user.id), "{name}");
        }
        assert!(
            store
                .find_user_by_login_name("bob".into())
                .await
                .unwrap()
                .is_none()
        );
    });

    engines!(duplicates_name_the_column, |store| async move {
        store
            .insert_user(new_user("a@example.com", "alice"), created())
            .await
            .unwrap();
        let err = store
            .insert_user(new_user("a@example.com", "other"), created())
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Duplicate("email_canonical")),
            "{err}"
        );
        let err = store
            .insert_user(new_user("b@example.com", "alice"), created())
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Duplicate("username_canonical")),
            "{err}"
        );
        // A username equal to someone else's email is refused too.
        let err = store
            .insert_user(new_user("c@example.com", "a@example.com"), created())
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Duplicate("username_canonical")),
            "{err}"
        );
        assert_eq!(store.list_users().await.unwrap().len(), 1);
    });

    engines!(change_password_is_conditional, |store| async move {
        let user = store
            .insert_user(new_user("a@example.com", "alice"), created())
            .await
            .unwrap();
        let event = AuditEvent {
            kind: AuditKind::PasswordChanged,
            ..created()
        };
        let stale = store
            .change_password(
                user.id,
                "not-the-hash".into(),
                "new".into(),
                None,
                200,
                event.clone(),
            )
            .await
            .unwrap();
        assert!(!stale);
        let done = store
            .change_password(
                user.id,
                user.password_hash.clone(),
                "new".into(),
                None,
                200,
                event,
            )
            .await
            .unwrap();
        assert!(done);
        let found = store
            .find_user_by_login_name("alice".into())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.password_hash, "new");
        assert_eq!(found.password_changed_at, 200);
    });

    // Signups with crossed names (email x with username y on one
    // instance, email y with username x on another) never both succeed.
    engines!(multi_thread crossed_signups_never_both_succeed, |a, db| async move {
        let b = db.open().await;
        for round in 0..25 {
            let x = format!("x{round}@example.com");
            let y = format!("y{round}@example.com");
            let first = {
                let (a, x, y) = (a.clone(), x.clone(), y.clone());
                tokio::spawn(async move { a.insert_user(new_user(&x, &y), created()).await })
            };
            let second = {
                let b = b.clone();
                tokio::spawn(async move { b.insert_user(new_user(&y, &x), created()).await })
            };
            let outcomes = [first.await.unwrap(), second.await.unwrap()];
            let created = outcomes.iter().filter(|o| o.is_ok()).count();
            assert_eq!(created, 1, "round {round}: {outcomes:?}");
            for outcome in outcomes {
                if let Err(e) = outcome {
                    assert!(matches!(e, StoreError::Duplicate(_)), "{e}");
                }
            }
        }
        assert_eq!(a.list_users().await.unwrap().len(), 25);
    });
}
