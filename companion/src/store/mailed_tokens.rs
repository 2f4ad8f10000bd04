//! Single-use tokens sent by mail: email verification and password reset.
//! Each is consumed by one conditional UPDATE, so of two racing uses exactly
//! one succeeds (on PostgreSQL too, whichever instances they reach).

pub(super) mod pg;

use rusqlite::{OptionalExtension, Transaction, params};

use super::rows::user_from_row;
use super::{Engine, Result, Store};
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
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => {
                return pg::issue_mailed_token(pg, user_id, token, max_per_hour, event).await;
            }
        };
        db.write(move |tx| {
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
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => {
                return pg::mailed_token_state(pg, token_hash, purpose, now).await;
            }
        };
        db.read(move |conn| {
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
        self.changing_sessions(async {
            let db = match &self.engine {
                Engine::Sqlite(db) => db,
                Engine::Postgres(pg) => return pg::verify_email(pg, token_hash, now, event).await,
            };
            db.write(move |tx| {
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
        self.changing_sessions(async {
            let db = match &self.engine {
                Engine::Sqlite(db) => db,
                Engine::Postgres(pg) => {
                    return pg::reset_password(pg, token_hash, email_canonical, new_hash, now, event)
                        .await;
                }
            };
            db.write(move |tx| {
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
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AuditKind, ClientInfo, InvitationClaim, NewInvitation, UserStatus};
    use crate::store::testing::engines;
    use crate::store::users::tests::new_user;

    fn event() -> AuditEvent {
        AuditEvent::new(AuditKind::UserCreated, 100, None, ClientInfo::default())
    }

    fn token(seed: u8, purpose: TokenPurpose) -> NewMailedToken {
        NewMailedToken {
            token_hash: [seed; 32],
            purpose,
            created_at: 100,
            expires_at: 1_000,
        }
    }

    // Ten reset requests at once on two instances, three allowed an hour:
    // three mails. Then one verification link followed twice at once.
    engines!(multi_thread mail_limits_and_links_hold_across_instances, |a, db| async move {
        let b = db.open().await;
        let mut signup = new_user("a@example.com", "alice");
        signup.status = UserStatus::BeforeVerification;
        signup.verification = Some(token(1, TokenPurpose::VerifyEmail));
        let user = a.insert_user(signup, event()).await.unwrap();
        let issues: Vec<_> = (0..10u8)
            .map(|i| {
                let store = if i % 2 == 0 { a.clone() } else { b.clone() };
                tokio::spawn(async move {
                    store
                        .issue_mailed_token(user.id, token(10 + i, TokenPurpose::ResetPassword), 3, event())
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut issued = 0;
        for issue in issues {
            issued += usize::from(issue.await.unwrap());
        }
        assert_eq!(issued, 3, "three mails an hour");

        let follows: Vec<_> = (0..6)
            .map(|i| {
                let store = if i % 2 == 0 { a.clone() } else { b.clone() };
                tokio::spawn(async move { store.verify_email([1; 32], 200, event()).await.unwrap() })
            })
            .collect();
        let mut verified = 0;
        for follow in follows {
            match follow.await.unwrap() {
                Verification::Verified { .. } => verified += 1,
                Verification::AlreadyVerified => {}
                Verification::Invalid => panic!("a used link reads as invalid"),
            }
        }
        assert_eq!(verified, 1);
        let found = b.find_user_by_id(user.id).await.unwrap().unwrap();
        assert_eq!(found.status, UserStatus::Active);
    });

    // An invitation for three: ten signups at once on two instances open
    // three accounts.
    engines!(multi_thread an_invitation_is_spent_exactly_across_instances, |a, db| async move {
        let b = db.open().await;
        let invitation = a
            .insert_invitation(
                NewInvitation {
                    token_hash: [3; 32],
                    email: None,
                    uses: 3,
                    created_at: 100,
                    expires_at: 1_000,
                },
                event(),
            )
            .await
            .unwrap();
        let signups: Vec<_> = (0..10)
            .map(|i| {
                let store = if i % 2 == 0 { a.clone() } else { b.clone() };
                tokio::spawn(async move {
                    let mut user = new_user(&format!("u{i}@example.com"), &format!("u{i}"));
                    user.invitation = Some(InvitationClaim { token_hash: [3; 32] });
                    store.insert_user(user, event()).await
                })
            })
            .collect();
        let mut opened = 0;
        for signup in signups {
            match signup.await.unwrap() {
                Ok(_) => opened += 1,
                Err(StoreErrorKind::InvalidInvitation) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(opened, 3);
        let found = b.find_invitation([3; 32]).await.unwrap().unwrap();
        assert_eq!((found.id, found.uses_left), (invitation.id, 0));
    });

    use crate::store::StoreError as StoreErrorKind;
}
