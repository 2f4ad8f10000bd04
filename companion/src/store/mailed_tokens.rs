//! Single-use tokens sent by mail: email verification and password reset.
//! Each is consumed by one conditional UPDATE, so of two racing uses exactly
//! one succeeds.

use rusqlite::{OptionalExtension, Transaction, params};

use super::rows::user_from_row;
use super::{Result, Store};
use crate::clock::UnixTime;
use crate::model::{AuditEvent, NewMailedToken, TokenPurpose, User};

/// What a presented token is, without using it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// Unused and unexpired.
    Fresh { user_id: i64 },
    /// Used (or replaced by a newer one) before.
    Used { user_id: i64 },
    /// Unknown, expired, or for another purpose.
    Invalid,
}

/// The outcome of following a verification link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Verified {
        user_id: i64,
    },
    /// The link was used before and the address is verified: nothing to do.
    AlreadyVerified,
    Invalid,
}

pub(super) fn insert(tx: &Transaction<'_>, user_id: i64, token: &NewMailedToken) -> Result<()> {
    tx.execute(
        "INSERT INTO mailed_tokens (token_hash, purpose, user_id, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            token.token_hash.as_slice(),
            token.purpose.as_str(),
            user_id,
            token.created_at,
            token.expires_at,
        ],
    )?;
    Ok(())
}

impl Store {
    /// Stores a new token for an account and retires its older unused ones of
    /// the same purpose, unless `max_per_hour` were already issued in the past
    /// hour (then nothing changes and this returns false).
    pub async fn issue_mailed_token(
        &self,
        user_id: i64,
        token: NewMailedToken,
        max_per_hour: i64,
        event: AuditEvent,
    ) -> Result<bool> {
        self.write(move |tx| {
            let recent: i64 = tx.query_row(
                "SELECT count(*) FROM mailed_tokens WHERE user_id = ?1 AND purpose = ?2 \
                 AND created_at > ?3",
                params![user_id, token.purpose.as_str(), token.created_at - 3600],
                |row| row.get(0),
            )?;
            if recent >= max_per_hour {
                return Ok(false);
            }
            tx.execute(
                "UPDATE mailed_tokens SET used_at = ?1 \
                 WHERE user_id = ?2 AND purpose = ?3 AND used_at IS NULL",
                params![token.created_at, user_id, token.purpose.as_str()],
            )?;
            insert(tx, user_id, &token)?;
            super::audit::insert(tx, &event)?;
            Ok(true)
        })
        .await
    }

    /// Looks at a token without using it.
    pub async fn mailed_token_state(
        &self,
        token_hash: [u8; 32],
        purpose: TokenPurpose,
        now: UnixTime,
    ) -> Result<TokenState> {
        self.read(move |conn| {
            let row: Option<(i64, UnixTime, Option<UnixTime>)> = conn
                .prepare_cached(
                    "SELECT user_id, expires_at, used_at FROM mailed_tokens \
                     WHERE token_hash = ?1 AND purpose = ?2",
                )?
                .query_row(params![token_hash.as_slice(), purpose.as_str()], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
                .optional()?;
            Ok(match row {
                Some((user_id, _, Some(_))) => TokenState::Used { user_id },
                Some((user_id, expires_at, None)) if expires_at > now => {
                    TokenState::Fresh { user_id }
                }
                _ => TokenState::Invalid,
            })
        })
        .await
    }

    /// Uses a verification token: the account becomes active.
    pub async fn verify_email(
        &self,
        token_hash: [u8; 32],
        now: UnixTime,
        event: AuditEvent,
    ) -> Result<Verification> {
        self.write(move |tx| {
            let used: Option<i64> = tx
                .query_row(
                    "UPDATE mailed_tokens SET used_at = ?1 \
                     WHERE token_hash = ?2 AND purpose = 'verify-email' AND used_at IS NULL \
                     AND expires_at > ?1 RETURNING user_id",
                    params![now, token_hash.as_slice()],
                    |row| row.get(0),
                )
                .optional()?;
            if let Some(user_id) = used {
                tx.execute(
                    "UPDATE users SET status = 'active' \
                     WHERE id = ?1 AND status = 'before-verification'",
                    [user_id],
                )?;
                super::audit::insert(
                    tx,
                    &AuditEvent {
                        user_id: Some(user_id),
                        ..event
                    },
                )?;
                return Ok(Verification::Verified { user_id });
            }
            // A mail scanner may have followed the link first: say it is done.
            let verified_before: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM mailed_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.token_hash = ?1 AND t.purpose = 'verify-email' \
                 AND t.used_at IS NOT NULL AND u.status = 'active')",
                [token_hash.as_slice()],
                |row| row.get(0),
            )?;
            Ok(if verified_before {
                Verification::AlreadyVerified
            } else {
                Verification::Invalid
            })
        })
        .await
    }

    /// Uses a reset token: sets the new password, confirms the address (the
    /// mail arrived), ends every session, records the event — or, when the
    /// token is unusable or belongs to another address, changes nothing.
    pub async fn reset_password(
        &self,
        token_hash: [u8; 32],
        email_canonical: Option<String>,
        new_hash: String,
        now: UnixTime,
        event: AuditEvent,
    ) -> Result<Option<User>> {
        self.write(move |tx| {
            let user_id: Option<i64> = tx
                .query_row(
                    "UPDATE mailed_tokens SET used_at = ?1 \
                     WHERE token_hash = ?2 AND purpose = 'reset-password' AND used_at IS NULL \
                     AND expires_at > ?1 \
                     AND (?3 IS NULL OR user_id = (SELECT id FROM users WHERE email_canonical = ?3)) \
                     RETURNING user_id",
                    params![now, token_hash.as_slice(), email_canonical],
                    |row| row.get(0),
                )
                .optional()?;
            let Some(user_id) = user_id else {
                return Ok(None);
            };
            let user = tx.query_row(
                &format!(
                    "UPDATE users SET password_hash = ?1, password_changed_at = ?2, \
                     status = CASE status WHEN 'before-verification' THEN 'active' ELSE status END \
                     WHERE id = ?3 RETURNING {}",
                    super::rows::USER_COLUMNS
                ),
                params![new_hash, now, user_id],
                |row| user_from_row(row, 0),
            )?;
            tx.execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])?;
            tx.execute(
                "UPDATE mailed_tokens SET used_at = ?1 \
                 WHERE user_id = ?2 AND purpose = 'reset-password' AND used_at IS NULL",
                params![now, user_id],
            )?;
            super::audit::insert(
                tx,
                &AuditEvent {
                    user_id: Some(user_id),
                    ..event
                },
            )?;
            Ok(Some(user))
        })
        .await
    }
}
