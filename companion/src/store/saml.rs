//! SAML sign-ons: the login waiting for the identity provider, its answer
//! recorded until the browser that started it comes back, and assertion ids
//! already accepted. Each step is one conditional statement, so of two
//! requests racing with one answer or one assertion, exactly one wins.

use rusqlite::{OptionalExtension, params};

use super::{Result, Store};
use crate::clock::UnixTime;

/// A login started at the identity provider.
#[derive(Clone, PartialEq, Eq)]
pub struct SamlFlow {
    pub relay_hash: [u8; 32],
    pub browser_hash: [u8; 32],
    pub request_id: String,
    pub redirect_to: String,
    pub force: bool,
    pub client_challenge: Option<String>,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

impl std::fmt::Debug for SamlFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SamlFlow")
            .field("redirect_to", &self.redirect_to)
            .field("force", &self.force)
            .finish_non_exhaustive()
    }
}

/// What the identity provider's answer came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SamlAnswer {
    /// A verified identity, and the account it is.
    Account {
        user_id: i64,
        issuer: String,
        subject: String,
    },
    /// Why not: a `bai_error` code.
    Refused(String),
}

const FLOW_COLUMNS: &str =
    "browser_hash, request_id, redirect_to, force, client_challenge, created_at, expires_at";

fn flow_from_row(relay_hash: [u8; 32], row: &rusqlite::Row<'_>) -> rusqlite::Result<SamlFlow> {
    Ok(SamlFlow {
        relay_hash,
        browser_hash: row.get(0)?,
        request_id: row.get(1)?,
        redirect_to: row.get(2)?,
        force: row.get::<_, i64>(3)? != 0,
        client_challenge: row.get(4)?,
        created_at: row.get(5)?,
        expires_at: row.get(6)?,
    })
}

impl Store {
    pub async fn insert_saml_flow(&self, flow: SamlFlow) -> Result<()> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO saml_flows (relay_hash, browser_hash, request_id, redirect_to, force, \
                 client_challenge, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    flow.relay_hash,
                    flow.browser_hash,
                    flow.request_id,
                    flow.redirect_to,
                    i64::from(flow.force),
                    flow.client_challenge,
                    flow.created_at,
                    flow.expires_at,
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// The live flow of a RelayState that has no answer yet.
    pub async fn unanswered_saml_flow(
        &self,
        relay_hash: [u8; 32],
        now: UnixTime,
    ) -> Result<Option<SamlFlow>> {
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    &format!(
                        "SELECT {FLOW_COLUMNS} FROM saml_flows \
                         WHERE relay_hash = ?1 AND answered_at IS NULL AND expires_at > ?2"
                    ),
                    params![relay_hash, now],
                    |row| flow_from_row(relay_hash, row),
                )
                .optional()?)
        })
        .await
    }

    /// Records the answer to a flow that had none: true for exactly one
    /// caller.
    pub async fn answer_saml_flow(
        &self,
        relay_hash: [u8; 32],
        answer: SamlAnswer,
        now: UnixTime,
    ) -> Result<bool> {
        let (user_id, issuer, subject, failure) = match answer {
            SamlAnswer::Account {
                user_id,
                issuer,
                subject,
            } => (Some(user_id), Some(issuer), Some(subject), None),
            SamlAnswer::Refused(code) => (None, None, None, Some(code)),
        };
        self.write(move |tx| {
            Ok(tx.execute(
                "UPDATE saml_flows SET answered_at = ?2, user_id = ?3, issuer = ?4, subject = ?5, \
                 failure = ?6 WHERE relay_hash = ?1 AND answered_at IS NULL AND expires_at > ?2",
                params![relay_hash, now, user_id, issuer, subject, failure],
            )? == 1)
        })
        .await
    }

    /// The flow and its answer, removed: taken once, by the browser coming
    /// back. `None` when unknown, unanswered, used or expired.
    pub async fn take_answered_saml_flow(
        &self,
        relay_hash: [u8; 32],
        now: UnixTime,
    ) -> Result<Option<(SamlFlow, SamlAnswer)>> {
        self.write(move |tx| {
            let taken = tx
                .query_row(
                    &format!(
                        "DELETE FROM saml_flows WHERE relay_hash = ?1 AND answered_at IS NOT NULL \
                         RETURNING {FLOW_COLUMNS}, user_id, issuer, subject, failure"
                    ),
                    [relay_hash],
                    |row| {
                        let flow = flow_from_row(relay_hash, row)?;
                        let user_id: Option<i64> = row.get(7)?;
                        let issuer: Option<String> = row.get(8)?;
                        let subject: Option<String> = row.get(9)?;
                        let failure: Option<String> = row.get(10)?;
                        let answer = match (user_id, issuer, subject) {
                            (Some(user_id), Some(issuer), Some(subject)) => SamlAnswer::Account {
                                user_id,
                                issuer,
                                subject,
                            },
                            _ => SamlAnswer::Refused(failure.unwrap_or_default()),
                        };
                        Ok((flow, answer))
                    },
                )
                .optional()?;
            Ok(taken.filter(|(flow, _)| flow.expires_at > now))
        })
        .await
    }

    /// Remembers an accepted assertion id until `expires_at`: false when it
    /// was accepted before (a replay).
    pub async fn first_saml_assertion(
        &self,
        id_hash: [u8; 32],
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<bool> {
        self.write(move |tx| {
            tx.execute("DELETE FROM saml_assertions WHERE expires_at <= ?1", [now])?;
            Ok(tx.execute(
                "INSERT INTO saml_assertions (id_hash, expires_at) VALUES (?1, ?2) \
                 ON CONFLICT (id_hash) DO NOTHING",
                params![id_hash, expires_at],
            )? == 1)
        })
        .await
    }

    /// Forgets flows and assertion ids that can no longer matter.
    pub async fn purge_saml(&self, now: UnixTime) -> Result<usize> {
        self.write(move |tx| {
            let flows = tx.execute("DELETE FROM saml_flows WHERE expires_at <= ?1", [now])?;
            let assertions =
                tx.execute("DELETE FROM saml_assertions WHERE expires_at <= ?1", [now])?;
            Ok(flows + assertions)
        })
        .await
    }
}
