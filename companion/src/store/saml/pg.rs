//! SAML sign-ons on PostgreSQL: each answer recorded by one conditional
//! UPDATE, each flow taken by one DELETE and each assertion id accepted by
//! one conditional upsert, exact across instances as they are in one.

use super::{FLOW_COLUMNS, SamlAnswer, SamlFlow};
use crate::clock::UnixTime;
use crate::store::postgres::Pg;
use crate::store::{Result, StoreError};

fn hash32(row: &tokio_postgres::Row, index: usize) -> Result<[u8; 32]> {
    let bytes: Vec<u8> = row.try_get(index)?;
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("column {index}: not 32 bytes")))
}

fn flow_from_row(relay_hash: [u8; 32], row: &tokio_postgres::Row) -> Result<SamlFlow> {
    Ok(SamlFlow {
        relay_hash,
        browser_hash: hash32(row, 0)?,
        request_id: row.try_get(1)?,
        redirect_to: row.try_get(2)?,
        force: row.try_get(3)?,
        client_challenge: row.try_get(4)?,
        created_at: row.try_get(5)?,
        expires_at: row.try_get(6)?,
    })
}

pub(super) async fn insert_saml_flow(pg: &Pg, flow: SamlFlow) -> Result<()> {
    let conn = pg.conn().await?;
    conn.execute(
        "INSERT INTO saml_flows (relay_hash, browser_hash, request_id, redirect_to, force, \
         client_challenge, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &&flow.relay_hash[..],
            &&flow.browser_hash[..],
            &flow.request_id,
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

pub(super) async fn unanswered_saml_flow(
    pg: &Pg,
    relay_hash: [u8; 32],
    now: UnixTime,
) -> Result<Option<SamlFlow>> {
    let conn = pg.conn().await?;
    conn.query_opt(
        &format!(
            "SELECT {FLOW_COLUMNS} FROM saml_flows \
             WHERE relay_hash = $1 AND answered_at IS NULL AND expires_at > $2"
        ),
        &[&&relay_hash[..], &now],
    )
    .await?
    .map(|row| flow_from_row(relay_hash, &row))
    .transpose()
}

pub(super) async fn answer_saml_flow(
    pg: &Pg,
    relay_hash: [u8; 32],
    answer: SamlAnswer,
    now: UnixTime,
) -> Result<bool> {
    let (user_id, issuer, subject, failure) = answer.columns();
    let conn = pg.conn().await?;
    Ok(conn
        .execute(
            "UPDATE saml_flows SET answered_at = $2, user_id = $3, issuer = $4, subject = $5, \
             failure = $6 WHERE relay_hash = $1 AND answered_at IS NULL AND expires_at > $2",
            &[
                &&relay_hash[..],
                &now,
                &user_id,
                &issuer,
                &subject,
                &failure,
            ],
        )
        .await?
        == 1)
}

pub(super) async fn take_answered_saml_flow(
    pg: &Pg,
    relay_hash: [u8; 32],
    now: UnixTime,
) -> Result<Option<(SamlFlow, SamlAnswer)>> {
    let conn = pg.conn().await?;
    let Some(row) = conn
        .query_opt(
            &format!(
                "DELETE FROM saml_flows WHERE relay_hash = $1 AND answered_at IS NOT NULL \
                 RETURNING {FLOW_COLUMNS}, user_id, issuer, subject, failure"
            ),
            &[&&relay_hash[..]],
        )
        .await?
    else {
        return Ok(None);
    };
    let flow = flow_from_row(relay_hash, &row)?;
    let answer = SamlAnswer::from_columns(
        row.try_get(7)?,
        row.try_get(8)?,
        row.try_get(9)?,
        row.try_get(10)?,
    );
    Ok((flow.expires_at > now).then_some((flow, answer)))
}

pub(super) async fn first_saml_assertion(
    pg: &Pg,
    id_hash: [u8; 32],
    expires_at: UnixTime,
    now: UnixTime,
) -> Result<bool> {
    let conn = pg.conn().await?;
    // A row whose time has passed counts as absent (the purge may lag).
    Ok(conn
        .execute(
            "INSERT INTO saml_assertions AS a (id_hash, expires_at) VALUES ($1, $2) \
             ON CONFLICT (id_hash) DO UPDATE SET expires_at = excluded.expires_at \
             WHERE a.expires_at <= $3",
            &[&&id_hash[..], &expires_at, &now],
        )
        .await?
        == 1)
}

pub(super) async fn purge_saml(pg: &Pg, now: UnixTime) -> Result<usize> {
    let conn = pg.conn().await?;
    let flows = conn
        .execute("DELETE FROM saml_flows WHERE expires_at <= $1", &[&now])
        .await?;
    let assertions = conn
        .execute(
            "DELETE FROM saml_assertions WHERE expires_at <= $1",
            &[&now],
        )
        .await?;
    Ok(usize::try_from(flows + assertions).unwrap_or(usize::MAX))
}
