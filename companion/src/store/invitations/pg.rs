//! Invitations on PostgreSQL. A use is spent by one conditional UPDATE:
//! PostgreSQL re-checks `uses_left > 0` on the row it waited for, so racing
//! signups on any instances never spend more uses than there are.

use super::COLUMNS;
use crate::clock::UnixTime;
use crate::model::{AuditEvent, Invitation, NewInvitation};
use crate::store::postgres::Pg;
use crate::store::{Result, StoreError, audit};

fn invitation_from_row(row: &tokio_postgres::Row) -> Result<Invitation> {
    Ok(Invitation {
        id: row.try_get(0)?,
        email: row.try_get(1)?,
        uses_total: row.try_get(2)?,
        uses_left: row.try_get(3)?,
        created_at: row.try_get(4)?,
        expires_at: row.try_get(5)?,
        revoked_at: row.try_get(6)?,
    })
}

/// Spends one use inside the signup's transaction; returns the invitation's id.
pub(crate) async fn spend(
    tx: &deadpool_postgres::Transaction<'_>,
    token_hash: &[u8; 32],
    email_canonical: &str,
    now: UnixTime,
) -> Result<i64> {
    let statement = tx
        .prepare_cached(
            "UPDATE invitations SET uses_left = uses_left - 1 \
             WHERE token_hash = $1 AND uses_left > 0 AND expires_at > $2 AND revoked_at IS NULL \
             AND (email_canonical IS NULL OR email_canonical = $3) \
             RETURNING id",
        )
        .await?;
    tx.query_opt(&statement, &[&&token_hash[..], &now, &email_canonical])
        .await?
        .map(|row| row.try_get(0))
        .transpose()?
        .ok_or(StoreError::InvalidInvitation)
}

pub(super) async fn insert_invitation(
    pg: &Pg,
    invitation: NewInvitation,
    event: AuditEvent,
) -> Result<Invitation> {
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    let row = tx
        .query_one(
            &format!(
                "INSERT INTO invitations (token_hash, email_canonical, uses_total, uses_left, \
                 created_at, expires_at) VALUES ($1, $2, $3, $3, $4, $5) RETURNING {COLUMNS}"
            ),
            &[
                &&invitation.token_hash[..],
                &invitation.email,
                &invitation.uses,
                &invitation.created_at,
                &invitation.expires_at,
            ],
        )
        .await?;
    let stored = invitation_from_row(&row)?;
    audit::pg::insert(
        &tx,
        &AuditEvent {
            detail: Some(format!("invitation {}", stored.id)),
            ..event
        },
    )
    .await?;
    tx.commit().await?;
    Ok(stored)
}

pub(super) async fn list_invitations(pg: &Pg) -> Result<Vec<Invitation>> {
    let conn = pg.conn().await?;
    conn.query(
        &format!("SELECT {COLUMNS} FROM invitations ORDER BY id DESC"),
        &[],
    )
    .await?
    .iter()
    .map(invitation_from_row)
    .collect()
}

pub(super) async fn find_invitation(pg: &Pg, token_hash: [u8; 32]) -> Result<Option<Invitation>> {
    let conn = pg.conn().await?;
    let statement = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM invitations WHERE token_hash = $1"
        ))
        .await?;
    conn.query_opt(&statement, &[&&token_hash[..]])
        .await?
        .map(|row| invitation_from_row(&row))
        .transpose()
}

pub(super) async fn revoke_invitation(
    pg: &Pg,
    id: i64,
    now: UnixTime,
    event: AuditEvent,
) -> Result<bool> {
    let mut conn = pg.conn().await?;
    let tx = conn.transaction().await?;
    let changed = tx
        .execute(
            "UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            &[&now, &id],
        )
        .await?;
    if changed == 1 {
        audit::pg::insert(
            &tx,
            &AuditEvent {
                detail: Some(format!("invitation {id}")),
                ..event
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(changed == 1)
}
