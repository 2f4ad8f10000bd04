//! Two-factor authentication on PostgreSQL. Steps, codes and registration
//! tokens are taken by conditional UPDATEs: PostgreSQL re-checks the
//! condition (`last_step < $1`, `used_at IS NULL`) on the row it waited
//! for, so one code sent to two instances at once logs in once. Starting an
//! enrolment inserts only where there is none (`ON CONFLICT DO NOTHING`);
//! replacing the recovery codes locks the account's row first.

use super::{BeginOutcome, RegistrationState, TotpCredential};
use crate::clock::UnixTime;
use crate::model::AuditEvent;
use crate::store::postgres::{Pg, notify_sessions_changed};
use crate::store::{Result, audit};

pub(super) async fn totp_credential(pg: &Pg, user_id: i64) -> Result<Option<TotpCredential>> {
    let conn = pg.conn().await?;
    let statement = conn
        .prepare_cached(
            "SELECT secret_sealed, confirmed_at IS NOT NULL, last_step FROM totp_credentials \
             WHERE user_id = $1",
        )
        .await?;
    conn.query_opt(&statement, &[&user_id])
        .await?
        .map(|row| {
            Ok(TotpCredential {
                secret_sealed: row.try_get(0)?,
                confirmed: row.try_get(1)?,
                last_step: row.try_get(2)?,
            })
        })
        .transpose()
}

pub(super) async fn begin_totp(
    pg: &Pg,
    user_id: i64,
    sealed: Vec<u8>,
    now: UnixTime,
) -> Result<BeginOutcome> {
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    let inserted = tx
        .execute(
            "INSERT INTO totp_credentials (user_id, secret_sealed, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO NOTHING",
            &[&user_id, &sealed, &now],
        )
        .await?;
    let outcome = if inserted == 1 {
        BeginOutcome::Started
    } else {
        let row = tx
            .query_one(
                "SELECT secret_sealed, confirmed_at IS NOT NULL FROM totp_credentials \
                 WHERE user_id = $1",
                &[&user_id],
            )
            .await?;
        if row.try_get::<_, bool>(1)? {
            BeginOutcome::AlreadyActive
        } else {
            BeginOutcome::Pending(row.try_get(0)?)
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

pub(super) async fn confirm_totp(
    pg: &Pg,
    user_id: i64,
    step: i64,
    recovery_hashes: Vec<[u8; 32]>,
    registration: Option<[u8; 32]>,
    now: UnixTime,
    event: AuditEvent,
) -> Result<bool> {
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    if let Some(hash) = registration {
        let spent = tx
            .execute(
                "UPDATE totp_registrations SET used_at = $1 \
                 WHERE token_hash = $2 AND user_id = $3 AND used_at IS NULL AND expires_at > $1",
                &[&now, &&hash[..], &user_id],
            )
            .await?;
        if spent == 0 {
            return Ok(false);
        }
    }
    let confirmed = tx
        .execute(
            "UPDATE totp_credentials SET confirmed_at = $1, last_step = $2 \
             WHERE user_id = $3 AND confirmed_at IS NULL",
            &[&now, &step, &user_id],
        )
        .await?;
    if confirmed == 0 {
        return Ok(false);
    }
    insert_recovery_codes(&tx, user_id, &recovery_hashes, now).await?;
    audit::pg::insert(&tx, &event).await?;
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn accept_totp_step(pg: &Pg, user_id: i64, step: i64) -> Result<bool> {
    let conn = pg.conn().await?;
    let statement = conn
        .prepare_cached(
            "UPDATE totp_credentials SET last_step = $1 \
             WHERE user_id = $2 AND confirmed_at IS NOT NULL AND (last_step IS NULL OR last_step < $1)",
        )
        .await?;
    Ok(conn.execute(&statement, &[&step, &user_id]).await? == 1)
}

pub(super) async fn use_recovery_code(
    pg: &Pg,
    user_id: i64,
    hash: [u8; 32],
    now: UnixTime,
    event: AuditEvent,
) -> Result<bool> {
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    let used = tx
        .execute(
            "UPDATE recovery_codes SET used_at = $1 \
             WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
            &[&now, &user_id, &&hash[..]],
        )
        .await?;
    if used == 1 {
        audit::pg::insert(&tx, &event).await?;
    }
    tx.commit().await?;
    Ok(used == 1)
}

pub(super) async fn replace_recovery_codes(
    pg: &Pg,
    user_id: i64,
    hashes: Vec<[u8; 32]>,
    now: UnixTime,
    event: AuditEvent,
) -> Result<()> {
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    // Two replacements at once would otherwise leave both sets.
    tx.query_opt(
        "SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE",
        &[&user_id],
    )
    .await?;
    tx.execute("DELETE FROM recovery_codes WHERE user_id = $1", &[&user_id])
        .await?;
    insert_recovery_codes(&tx, user_id, &hashes, now).await?;
    audit::pg::insert(&tx, &event).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn delete_totp(
    pg: &Pg,
    user_id: i64,
    end_sessions: Option<()>,
    event: AuditEvent,
) -> Result<()> {
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    tx.execute(
        "DELETE FROM totp_credentials WHERE user_id = $1",
        &[&user_id],
    )
    .await?;
    tx.execute("DELETE FROM recovery_codes WHERE user_id = $1", &[&user_id])
        .await?;
    tx.execute(
        "DELETE FROM totp_registrations WHERE user_id = $1",
        &[&user_id],
    )
    .await?;
    tx.execute(
        "DELETE FROM login_guards WHERE key = $1",
        &[&format!("otp:user:{user_id}")],
    )
    .await?;
    if end_sessions.is_some() {
        tx.execute("DELETE FROM sessions WHERE user_id = $1", &[&user_id])
            .await?;
    }
    audit::pg::insert(&tx, &event).await?;
    notify_sessions_changed(&tx).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn issue_registration(
    pg: &Pg,
    user_id: i64,
    hash: [u8; 32],
    now: UnixTime,
    expires_at: UnixTime,
) -> Result<()> {
    let conn = pg.conn().await?;
    conn.execute(
        "INSERT INTO totp_registrations (token_hash, user_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
        &[&&hash[..], &user_id, &now, &expires_at],
    )
    .await?;
    Ok(())
}

pub(super) async fn registration_state(
    pg: &Pg,
    hash: [u8; 32],
    now: UnixTime,
) -> Result<RegistrationState> {
    let conn = pg.conn().await?;
    let row = conn
        .query_opt(
            "SELECT user_id, expires_at, used_at FROM totp_registrations WHERE token_hash = $1",
            &[&&hash[..]],
        )
        .await?;
    let row: Option<(i64, UnixTime, Option<UnixTime>)> = row
        .map(|row| -> Result<_> { Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)) })
        .transpose()?;
    Ok(match row {
        Some((user_id, expires_at, None)) if expires_at > now => RegistrationState::Valid(user_id),
        Some((_, _, None)) => RegistrationState::Expired,
        _ => RegistrationState::Invalid,
    })
}

async fn insert_recovery_codes(
    tx: &deadpool_postgres::Transaction<'_>,
    user_id: i64,
    hashes: &[[u8; 32]],
    now: UnixTime,
) -> Result<()> {
    let statement = tx
        .prepare_cached(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
        )
        .await?;
    for hash in hashes {
        tx.execute(&statement, &[&user_id, &&hash[..], &now])
            .await?;
    }
    Ok(())
}
