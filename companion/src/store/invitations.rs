//! Invitations to sign up. None of these writes touches a session or an
//! account row, so none voids the cache of live sessions.

pub(super) mod pg;

use rusqlite::{OptionalExtension, Row, Transaction, params};

use super::{Engine, Result, Store, StoreError};
use crate::clock::UnixTime;
use crate::model::{AuditEvent, Invitation, NewInvitation};

const COLUMNS: &str =
    "id, email_canonical, uses_total, uses_left, created_at, expires_at, revoked_at";

fn invitation_from_row(row: &Row<'_>) -> rusqlite::Result<Invitation> {
    Ok(Invitation {
        id: row.get(0)?,
        email: row.get(1)?,
        uses_total: row.get(2)?,
        uses_left: row.get(3)?,
        created_at: row.get(4)?,
        expires_at: row.get(5)?,
        revoked_at: row.get(6)?,
    })
}

/// Spends one use of an invitation inside the signup's transaction; returns
/// its id. Checked and counted in one statement, so racing signups can never
/// spend more uses than there are.
pub(super) fn spend(
    tx: &Transaction<'_>,
    token_hash: &[u8; 32],
    email_canonical: &str,
    now: UnixTime,
) -> Result<i64> {
    tx.query_row(
        "UPDATE invitations SET uses_left = uses_left - 1 \
         WHERE token_hash = ?1 AND uses_left > 0 AND expires_at > ?2 AND revoked_at IS NULL \
         AND (email_canonical IS NULL OR email_canonical = ?3) \
         RETURNING id",
        params![token_hash.as_slice(), now, email_canonical],
        |row| row.get(0),
    )
    .optional()?
    .ok_or(StoreError::InvalidInvitation)
}

impl Store {
    pub async fn insert_invitation(
        &self,
        invitation: NewInvitation,
        event: AuditEvent,
    ) -> Result<Invitation> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::insert_invitation(pg, invitation, event).await,
        };
        db.write(move |tx| {
            let stored = tx.query_row(
                &format!(
                    "INSERT INTO invitations (token_hash, email_canonical, uses_total, uses_left, \
                     created_at, expires_at) VALUES (?1, ?2, ?3, ?3, ?4, ?5) RETURNING {COLUMNS}"
                ),
                params![
                    invitation.token_hash.as_slice(),
                    invitation.email,
                    invitation.uses,
                    invitation.created_at,
                    invitation.expires_at,
                ],
                invitation_from_row,
            )?;
            super::audit::insert(
                tx,
                &AuditEvent {
                    detail: Some(format!("invitation {}", stored.id)),
                    ..event
                },
            )?;
            Ok(stored)
        })
        .await
    }

    /// Every invitation, newest first.
    pub async fn list_invitations(&self) -> Result<Vec<Invitation>> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::list_invitations(pg).await,
        };
        db.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM invitations ORDER BY id DESC"
            ))?;
            let rows = stmt
                .query_map([], invitation_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    /// The invitation a token belongs to, usable or not.
    pub async fn find_invitation(&self, token_hash: [u8; 32]) -> Result<Option<Invitation>> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::find_invitation(pg, token_hash).await,
        };
        db.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM invitations WHERE token_hash = ?1"
            ))?;
            Ok(stmt
                .query_row([token_hash.as_slice()], invitation_from_row)
                .optional()?)
        })
        .await
    }

    /// Revokes an invitation; false when there is none with this id or it was
    /// already revoked.
    pub async fn revoke_invitation(
        &self,
        id: i64,
        now: UnixTime,
        event: AuditEvent,
    ) -> Result<bool> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::revoke_invitation(pg, id, now, event).await,
        };
        db.write(move |tx| {
            let changed = tx.execute(
                "UPDATE invitations SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
                params![now, id],
            )?;
            if changed == 1 {
                super::audit::insert(
                    tx,
                    &AuditEvent {
                        detail: Some(format!("invitation {id}")),
                        ..event
                    },
                )?;
            }
            Ok(changed == 1)
        })
        .await
    }
}
