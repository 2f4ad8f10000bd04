//! Accounts on PostgreSQL. Opening one first takes advisory locks on both
//! of its login names (in a fixed order): two signups whose email and
//! username are crossed (x/y here, y/x on another instance) wait for each
//! other, and the second sees the first's account.

use super::USER_COLUMNS;
use crate::clock::UnixTime;
use crate::model::{AuditEvent, NewUser, User};
use crate::store::postgres::{Pg, lock_name, notify_sessions_changed, unique_violation};
use crate::store::rows::pg::user_from_row;
use crate::store::{Result, StoreError, audit, invitations, mailed_tokens};

fn duplicate_or(error: tokio_postgres::Error) -> StoreError {
    unique_violation(&error)
        .map(StoreError::Duplicate)
        .unwrap_or(StoreError::Postgres(error))
}

pub(super) async fn insert_user(pg: &Pg, user: NewUser, event: AuditEvent) -> Result<User> {
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    let mut names = [
        user.email_canonical.as_str(),
        user.username_canonical.as_str(),
    ];
    names.sort_unstable();
    for name in names {
        lock_name(&tx, "login-name", name).await?;
    }
    // A username that is someone else's email (or the reverse) would make
    // one login name point at two accounts.
    let crossed = tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM users WHERE username_canonical = $1 OR email_canonical = $2)",
        )
        .await?;
    let crossed: bool = tx
        .query_one(&crossed, &[&user.email_canonical, &user.username_canonical])
        .await?
        .try_get(0)?;
    if crossed && user.username_canonical != user.email_canonical {
        return Err(StoreError::Duplicate("username_canonical"));
    }
    let invitation_id = match &user.invitation {
        Some(claim) => Some(
            invitations::pg::spend(
                &tx,
                &claim.token_hash,
                &user.email_canonical,
                user.created_at,
            )
            .await?,
        ),
        None => None,
    };
    let insert = tx
        .prepare_cached(&format!(
            "INSERT INTO users (uuid, email, email_canonical, username, username_canonical, \
             password_hash, role, status, access_key, secret_key_sealed, created_at, \
             password_changed_at, agreed_at, invitation_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13) \
             RETURNING {USER_COLUMNS}"
        ))
        .await?;
    let row = tx
        .query_one(
            &insert,
            &[
                &user.uuid,
                &user.email,
                &user.email_canonical,
                &user.username,
                &user.username_canonical,
                &user.password_hash,
                &user.role.as_str(),
                &user.status.as_str(),
                &user.access_key,
                &user.secret_key_sealed,
                &user.created_at,
                &user.agreed_at,
                &invitation_id,
            ],
        )
        .await
        .map_err(duplicate_or)?;
    let stored = user_from_row(&row, 0)?;
    if let Some(token) = &user.verification {
        mailed_tokens::pg::insert(&tx, stored.id, token).await?;
    }
    audit::pg::insert(
        &tx,
        &AuditEvent {
            user_id: Some(stored.id),
            ..event
        },
    )
    .await?;
    tx.commit().await?;
    Ok(stored)
}

pub(super) async fn find_user_by_id(pg: &Pg, id: i64) -> Result<Option<User>> {
    let conn = pg.conn().await?;
    let statement = conn
        .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .await?;
    one_user(conn.query_opt(&statement, &[&id]).await?)
}

/// The account whose `column` (a unique text column) holds `value`.
pub(super) async fn find_user_where(
    pg: &Pg,
    column: &'static str,
    value: String,
) -> Result<Option<User>> {
    let conn = pg.conn().await?;
    let statement = conn
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE {column} = $1"
        ))
        .await?;
    one_user(conn.query_opt(&statement, &[&value]).await?)
}

pub(super) async fn find_user_by_login_name(pg: &Pg, canonical: String) -> Result<Option<User>> {
    let conn = pg.conn().await?;
    let statement = conn
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users \
             WHERE email_canonical = $1 OR username_canonical = $1"
        ))
        .await?;
    one_user(conn.query_opt(&statement, &[&canonical]).await?)
}

fn one_user(row: Option<tokio_postgres::Row>) -> Result<Option<User>> {
    row.map(|row| user_from_row(&row, 0)).transpose()
}

pub(super) async fn list_users(pg: &Pg) -> Result<Vec<User>> {
    let conn = pg.conn().await?;
    let statement = conn
        .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"))
        .await?;
    conn.query(&statement, &[])
        .await?
        .iter()
        .map(|row| user_from_row(row, 0))
        .collect()
}

pub(super) async fn sealed_secret_key(pg: &Pg, user_id: i64) -> Result<Option<Vec<u8>>> {
    let conn = pg.conn().await?;
    let statement = conn
        .prepare_cached("SELECT secret_key_sealed FROM users WHERE id = $1")
        .await?;
    Ok(conn
        .query_opt(&statement, &[&user_id])
        .await?
        .map(|row| row.try_get(0))
        .transpose()?)
}

pub(super) async fn replace_keypair(
    pg: &Pg,
    user_id: i64,
    access_key: String,
    secret_key_sealed: Vec<u8>,
    event: AuditEvent,
) -> Result<User> {
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    let row = tx
        .query_one(
            &format!(
                "UPDATE users SET access_key = $1, secret_key_sealed = $2 WHERE id = $3 \
                 RETURNING {USER_COLUMNS}"
            ),
            &[&access_key, &secret_key_sealed, &user_id],
        )
        .await
        .map_err(duplicate_or)?;
    let user = user_from_row(&row, 0)?;
    audit::pg::insert(&tx, &event).await?;
    notify_sessions_changed(&tx).await?;
    tx.commit().await?;
    Ok(user)
}

pub(super) async fn change_password(
    pg: &Pg,
    user_id: i64,
    expected_hash: String,
    new_hash: String,
    keep_session: Option<i64>,
    now: UnixTime,
    event: AuditEvent,
) -> Result<bool> {
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    // Conditional: of two racing changes from one old password, one wins.
    let changed = tx
        .execute(
            "UPDATE users SET password_hash = $1, password_changed_at = $2 \
             WHERE id = $3 AND password_hash = $4",
            &[&new_hash, &now, &user_id, &expected_hash],
        )
        .await?;
    if changed == 0 {
        return Ok(false);
    }
    tx.execute(
        "DELETE FROM sessions WHERE user_id = $1 AND id IS DISTINCT FROM $2",
        &[&user_id, &keep_session],
    )
    .await?;
    audit::pg::insert(&tx, &event).await?;
    notify_sessions_changed(&tx).await?;
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn upgrade_password_hash(
    pg: &Pg,
    user_id: i64,
    old_hash: String,
    new_hash: String,
) -> Result<()> {
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    let changed = tx
        .execute(
            "UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3",
            &[&new_hash, &user_id, &old_hash],
        )
        .await?;
    if changed == 1 {
        notify_sessions_changed(&tx).await?;
    }
    tx.commit().await?;
    Ok(())
}
