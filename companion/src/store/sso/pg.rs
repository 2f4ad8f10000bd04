//! Single sign-on on PostgreSQL: each flow is taken by one DELETE and each
//! token counted or spent by one conditional UPDATE, exact as they are.

use super::{SsoFlow, SsoToken};
use crate::clock::UnixTime;
use crate::model::{AuditEvent, User};
use crate::store::postgres::Pg;
use crate::store::rows::USER_COLUMNS;
use crate::store::rows::pg::user_from_row;
use crate::store::{Result, audit};

pub(super) async fn insert_sso_flow(pg: &Pg, flow: SsoFlow) -> Result<()> {
    let conn = pg.conn().await?;
    conn.execute(
        "INSERT INTO sso_flows (state_hash, browser_hash, provider, nonce, pkce_verifier, \
         redirect_to, force, client_challenge, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &&flow.state_hash[..],
            &&flow.browser_hash[..],
            &flow.provider,
            &flow.nonce,
            &flow.pkce_verifier,
            &flow.redirect_to,
            &flow.force,
            &flow.client_challenge,
            &flow.created_at,
            &flow.expires_at,
        ],
    )
    .await?;
    Ok(())
}

fn hash32(row: &tokio_postgres::Row, index: usize) -> Result<[u8; 32]> {
    let bytes: Vec<u8> = row.try_get(index)?;
    bytes
        .try_into()
        .map_err(|_| crate::store::StoreError::Corrupt(format!("column {index}: not 32 bytes")))
}

pub(super) async fn take_sso_flow(
    pg: &Pg,
    state_hash: [u8; 32],
    now: UnixTime,
) -> Result<Option<SsoFlow>> {
    let conn = pg.conn().await?;
    let row = conn
        .query_opt(
            "DELETE FROM sso_flows WHERE state_hash = $1 RETURNING browser_hash, provider, \
             nonce, pkce_verifier, redirect_to, force, client_challenge, created_at, expires_at",
            &[&&state_hash[..]],
        )
        .await?;
    let flow = row
        .map(|row| -> Result<SsoFlow> {
            Ok(SsoFlow {
                state_hash,
                browser_hash: hash32(&row, 0)?,
                provider: row.try_get(1)?,
                nonce: row.try_get(2)?,
                pkce_verifier: row.try_get(3)?,
                redirect_to: row.try_get(4)?,
                force: row.try_get(5)?,
                client_challenge: row.try_get(6)?,
                created_at: row.try_get(7)?,
                expires_at: row.try_get(8)?,
            })
        })
        .transpose()?;
    Ok(flow.filter(|flow| flow.expires_at > now))
}

pub(super) async fn sso_identity_user(
    pg: &Pg,
    issuer: String,
    subject: String,
) -> Result<Option<User>> {
    let conn = pg.conn().await?;
    conn.query_opt(
        &format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = \
             (SELECT user_id FROM sso_identities WHERE issuer = $1 AND subject = $2)"
        ),
        &[&issuer, &subject],
    )
    .await?
    .map(|row| user_from_row(&row, 0))
    .transpose()
}

pub(super) async fn link_sso_identity(
    pg: &Pg,
    issuer: String,
    subject: String,
    user_id: i64,
    now: UnixTime,
) -> Result<()> {
    let conn = pg.conn().await?;
    conn.execute(
        "INSERT INTO sso_identities (issuer, subject, user_id, linked_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (issuer, subject) DO NOTHING",
        &[&issuer, &subject, &user_id, &now],
    )
    .await?;
    Ok(())
}

pub(super) async fn issue_sso_token(
    pg: &Pg,
    token: SsoToken,
    created_at: UnixTime,
    event: AuditEvent,
) -> Result<()> {
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    tx.execute(
        "INSERT INTO sso_tokens (token_hash, user_id, provider, subject, force, \
         client_challenge, attempts, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)",
        &[
            &&token.token_hash[..],
            &token.user_id,
            &token.provider,
            &token.subject,
            &token.force,
            &token.client_challenge,
            &created_at,
            &token.expires_at,
        ],
    )
    .await?;
    audit::pg::insert(&tx, &event).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn try_sso_token(
    pg: &Pg,
    token_hash: [u8; 32],
    now: UnixTime,
    max_attempts: i64,
) -> Result<Option<SsoToken>> {
    let conn = pg.conn().await?;
    conn.query_opt(
        "UPDATE sso_tokens SET attempts = attempts + 1 \
         WHERE token_hash = $1 AND spent_at IS NULL AND expires_at > $2 AND attempts < $3 \
         RETURNING user_id, provider, subject, force, client_challenge, attempts, expires_at",
        &[&&token_hash[..], &now, &max_attempts],
    )
    .await?
    .map(|row| {
        Ok(SsoToken {
            token_hash,
            user_id: row.try_get(0)?,
            provider: row.try_get(1)?,
            subject: row.try_get(2)?,
            force: row.try_get(3)?,
            client_challenge: row.try_get(4)?,
            attempts: row.try_get(5)?,
            expires_at: row.try_get(6)?,
        })
    })
    .transpose()
}

pub(super) async fn extend_sso_token(
    pg: &Pg,
    token_hash: [u8; 32],
    now: UnixTime,
    until: UnixTime,
) -> Result<()> {
    let conn = pg.conn().await?;
    conn.execute(
        "UPDATE sso_tokens SET expires_at = greatest(expires_at, $3) \
         WHERE token_hash = $1 AND spent_at IS NULL AND expires_at > $2",
        &[&&token_hash[..], &now, &until],
    )
    .await?;
    Ok(())
}

pub(super) async fn spend_sso_token(pg: &Pg, token_hash: [u8; 32], now: UnixTime) -> Result<bool> {
    let conn = pg.conn().await?;
    Ok(conn
        .execute(
            "UPDATE sso_tokens SET spent_at = $2 WHERE token_hash = $1 AND spent_at IS NULL",
            &[&&token_hash[..], &now],
        )
        .await?
        == 1)
}

pub(super) async fn unspend_sso_token(pg: &Pg, token_hash: [u8; 32]) -> Result<()> {
    let conn = pg.conn().await?;
    conn.execute(
        "UPDATE sso_tokens SET spent_at = NULL WHERE token_hash = $1",
        &[&&token_hash[..]],
    )
    .await?;
    Ok(())
}

pub(super) async fn purge_sso(pg: &Pg, now: UnixTime) -> Result<usize> {
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    let flows = tx
        .execute("DELETE FROM sso_flows WHERE expires_at <= $1", &[&now])
        .await?;
    let tokens = tx
        .execute(
            "DELETE FROM sso_tokens WHERE expires_at <= $1 OR spent_at IS NOT NULL",
            &[&now],
        )
        .await?;
    tx.commit().await?;
    Ok(usize::try_from(flows + tokens).unwrap_or(usize::MAX))
}
