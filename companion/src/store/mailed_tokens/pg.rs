//! Mailed tokens on PostgreSQL. Issuing one counts the account's recent
//! tokens first, with the account's row locked: racing requests on any
//! instances never send more mails in an hour than the limit allows. Using
//! one is a conditional UPDATE, exact as it is.

use super::{TokenState, Verification};
use crate::clock::UnixTime;
use crate::model::{AuditEvent, NewMailedToken, TokenPurpose, User};
use crate::store::postgres::{Pg, notify_sessions_changed};
use crate::store::rows::USER_COLUMNS;
use crate::store::rows::pg::user_from_row;
use crate::store::{Result, audit};

/// Stores a token inside a caller's transaction.
pub(crate) async fn insert(
    tx: &deadpool_postgres::Transaction<'_>,
    user_id: i64,
    token: &NewMailedToken,
) -> Result<()> {
    let statement = tx
        .prepare_cached(
            "INSERT INTO mailed_tokens (token_hash, purpose, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .await?;
    tx.execute(
        &statement,
        &[
            &&token.token_hash[..],
            &token.purpose.as_str(),
            &user_id,
            &token.created_at,
            &token.expires_at,
        ],
    )
    .await?;
    Ok(())
}

pub(super) async fn issue_mailed_token(
    pg: &Pg,
    user_id: i64,
    token: NewMailedToken,
    max_per_hour: i64,
    event: AuditEvent,
) -> Result<bool> {
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    tx.query_opt(
        "SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE",
        &[&user_id],
    )
    .await?;
    let recent: i64 = tx
        .query_one(
            "SELECT count(*) FROM mailed_tokens WHERE user_id = $1 AND purpose = $2 \
             AND created_at > $3",
            &[
                &user_id,
                &token.purpose.as_str(),
                &(token.created_at - 3600),
            ],
        )
        .await?
        .try_get(0)?;
    if recent >= max_per_hour {
        return Ok(false);
    }
    tx.execute(
        "UPDATE mailed_tokens SET used_at = $1 \
         WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL",
        &[&token.created_at, &user_id, &token.purpose.as_str()],
    )
    .await?;
    insert(&tx, user_id, &token).await?;
    audit::pg::insert(&tx, &event).await?;
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn mailed_token_state(
    pg: &Pg,
    token_hash: [u8; 32],
    purpose: TokenPurpose,
    now: UnixTime,
) -> Result<TokenState> {
    let conn = pg.conn().await?;
    let statement = conn
        .prepare_cached(
            "SELECT user_id, expires_at, used_at FROM mailed_tokens \
             WHERE token_hash = $1 AND purpose = $2",
        )
        .await?;
    let row = conn
        .query_opt(&statement, &[&&token_hash[..], &purpose.as_str()])
        .await?;
    let row: Option<(i64, UnixTime, Option<UnixTime>)> = row
        .map(|row| -> Result<_> { Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)) })
        .transpose()?;
    Ok(match row {
        Some((user_id, _, Some(_))) => TokenState::Used { user_id },
        Some((user_id, expires_at, None)) if expires_at > now => TokenState::Fresh { user_id },
        _ => TokenState::Invalid,
    })
}

pub(super) async fn verify_email(
    pg: &Pg,
    token_hash: [u8; 32],
    now: UnixTime,
    event: AuditEvent,
) -> Result<Verification> {
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    let used: Option<i64> = tx
        .query_opt(
            "UPDATE mailed_tokens SET used_at = $1 \
             WHERE token_hash = $2 AND purpose = 'verify-email' AND used_at IS NULL \
             AND expires_at > $1 RETURNING user_id",
            &[&now, &&token_hash[..]],
        )
        .await?
        .map(|row| row.try_get(0))
        .transpose()?;
    if let Some(user_id) = used {
        tx.execute(
            "UPDATE users SET status = 'active' \
             WHERE id = $1 AND status = 'before-verification'",
            &[&user_id],
        )
        .await?;
        audit::pg::insert(
            &tx,
            &AuditEvent {
                user_id: Some(user_id),
                ..event
            },
        )
        .await?;
        notify_sessions_changed(&tx).await?;
        tx.commit().await?;
        return Ok(Verification::Verified { user_id });
    }
    // A mail scanner may have followed the link first: say it is done.
    let verified_before: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM mailed_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.purpose = 'verify-email' \
             AND t.used_at IS NOT NULL AND u.status = 'active')",
            &[&&token_hash[..]],
        )
        .await?
        .try_get(0)?;
    tx.commit().await?;
    Ok(if verified_before {
        Verification::AlreadyVerified
    } else {
        Verification::Invalid
    })
}

pub(super) async fn reset_password(
    pg: &Pg,
    token_hash: [u8; 32],
    email_canonical: Option<String>,
    new_hash: String,
    now: UnixTime,
    event: AuditEvent,
) -> Result<Option<User>> {
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    let user_id: Option<i64> = tx
        .query_opt(
            "UPDATE mailed_tokens SET used_at = $1 \
             WHERE token_hash = $2 AND purpose = 'reset-password' AND used_at IS NULL \
             AND expires_at > $1 \
             AND ($3::TEXT IS NULL OR user_id = (SELECT id FROM users WHERE email_canonical = $3)) \
             RETURNING user_id",
            &[&now, &&token_hash[..], &email_canonical],
        )
        .await?
        .map(|row| row.try_get(0))
        .transpose()?;
    let Some(user_id) = user_id else {
        return Ok(None);
    };
    let row = tx
        .query_one(
            &format!(
                "UPDATE users SET password_hash = $1, password_changed_at = $2, \
                 status = CASE status WHEN 'before-verification' THEN 'active' ELSE status END \
                 WHERE id = $3 RETURNING {USER_COLUMNS}"
            ),
            &[&new_hash, &now, &user_id],
        )
        .await?;
    let user = user_from_row(&row, 0)?;
    tx.execute("DELETE FROM sessions WHERE user_id = $1", &[&user_id])
        .await?;
    tx.execute(
        "UPDATE mailed_tokens SET used_at = $1 \
         WHERE user_id = $2 AND purpose = 'reset-password' AND used_at IS NULL",
        &[&now, &user_id],
    )
    .await?;
    audit::pg::insert(
        &tx,
        &AuditEvent {
            user_id: Some(user_id),
            ..event
        },
    )
    .await?;
    notify_sessions_changed(&tx).await?;
    tx.commit().await?;
    Ok(Some(user))
}
