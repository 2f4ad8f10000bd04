//! SAML sign-ons: the login waiting for the identity provider, its answer
//! recorded until the browser that started it comes back, and assertion ids
//! already accepted. Each step is one conditional statement, so of two
//! requests racing with one answer or one assertion, exactly one wins.

mod pg;

use rusqlite::{OptionalExtension, params};

use super::{Engine, Result, Store};
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

impl SamlAnswer {
    /// As stored: (user_id, issuer, subject) for an account, failure else.
    fn columns(self) -> (Option<i64>, Option<String>, Option<String>, Option<String>) {
        match self {
            Self::Account {
                user_id,
                issuer,
                subject,
            } => (Some(user_id), Some(issuer), Some(subject), None),
            Self::Refused(code) => (None, None, None, Some(code)),
        }
    }

    fn from_columns(
        user_id: Option<i64>,
        issuer: Option<String>,
        subject: Option<String>,
        failure: Option<String>,
    ) -> Self {
        match (user_id, issuer, subject) {
            (Some(user_id), Some(issuer), Some(subject)) => Self::Account {
                user_id,
                issuer,
                subject,
            },
            _ => Self::Refused(failure.unwrap_or_default()),
        }
    }
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
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::insert_saml_flow(pg, flow).await,
        };
        db.write(move |tx| {
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
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::unanswered_saml_flow(pg, relay_hash, now).await,
        };
        db.read(move |conn| {
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
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::answer_saml_flow(pg, relay_hash, answer, now).await,
        };
        let (user_id, issuer, subject, failure) = answer.columns();
        db.write(move |tx| {
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
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::take_answered_saml_flow(pg, relay_hash, now).await,
        };
        db.write(move |tx| {
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
                        Ok((
                            flow,
                            SamlAnswer::from_columns(user_id, issuer, subject, failure),
                        ))
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
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => {
                return pg::first_saml_assertion(pg, id_hash, expires_at, now).await;
            }
        };
        // A row whose time has passed counts as absent (the purge may lag).
        db.write(move |tx| {
            Ok(tx.execute(
                "INSERT INTO saml_assertions (id_hash, expires_at) VALUES (?1, ?2) \
                 ON CONFLICT (id_hash) DO UPDATE SET expires_at = excluded.expires_at \
                 WHERE saml_assertions.expires_at <= ?3",
                params![id_hash, expires_at, now],
            )? == 1)
        })
        .await
    }

    /// Forgets flows and assertion ids that can no longer matter.
    pub async fn purge_saml(&self, now: UnixTime) -> Result<usize> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::purge_saml(pg, now).await,
        };
        db.write(move |tx| {
            let flows = tx.execute("DELETE FROM saml_flows WHERE expires_at <= ?1", [now])?;
            let assertions =
                tx.execute("DELETE FROM saml_assertions WHERE expires_at <= ?1", [now])?;
            Ok(flows + assertions)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::engines;

    fn flow(relay: u8, request_id: &str) -> SamlFlow {
        SamlFlow {
            relay_hash: [relay; 32],
            browser_hash: [9; 32],
            request_id: request_id.to_owned(),
            redirect_to: "http://127.0.0.1:8090/".into(),
            force: true,
            client_challenge: Some("challenge".into()),
            created_at: 100,
            expires_at: 700,
        }
    }

    engines!(
        an_answer_is_recorded_once_and_taken_once,
        |store| async move {
            store.insert_saml_flow(flow(1, "_a")).await.unwrap();
            assert_eq!(
                store.take_answered_saml_flow([1; 32], 200).await.unwrap(),
                None,
                "no answer yet"
            );
            let found = store.unanswered_saml_flow([1; 32], 200).await.unwrap();
            assert_eq!(found, Some(flow(1, "_a")));
            let refused = SamlAnswer::Refused("saml-not-authenticated".into());
            assert!(
                store
                    .answer_saml_flow([1; 32], refused.clone(), 200)
                    .await
                    .unwrap()
            );
            let account = SamlAnswer::Account {
                user_id: 1,
                issuer: "idp".into(),
                subject: "a".into(),
            };
            assert!(
                !store.answer_saml_flow([1; 32], account, 201).await.unwrap(),
                "answered already"
            );
            assert_eq!(
                store.unanswered_saml_flow([1; 32], 202).await.unwrap(),
                None
            );
            assert_eq!(
                store.take_answered_saml_flow([1; 32], 203).await.unwrap(),
                Some((flow(1, "_a"), refused))
            );
            assert_eq!(
                store.take_answered_saml_flow([1; 32], 204).await.unwrap(),
                None
            );
            // Expired: neither answered nor taken.
            store.insert_saml_flow(flow(2, "_b")).await.unwrap();
            assert!(
                !store
                    .answer_saml_flow([2; 32], SamlAnswer::Refused("x".into()), 700)
                    .await
                    .unwrap()
            );
            assert_eq!(store.purge_saml(700).await.unwrap(), 1);
        }
    );

    engines!(
        an_assertion_id_is_accepted_once_until_it_expires,
        |store| async move {
            assert!(store.first_saml_assertion([5; 32], 400, 100).await.unwrap());
            assert!(!store.first_saml_assertion([5; 32], 500, 200).await.unwrap());
            assert!(store.first_saml_assertion([5; 32], 900, 400).await.unwrap());
            assert_eq!(store.purge_saml(1000).await.unwrap(), 1);
        }
    );

    // One Response posted to two instances at once: one records it.
    engines!(multi_thread one_answer_wins_across_instances, |a, db| async move {
        let b = db.open().await;
        for round in 0..10u8 {
            a.insert_saml_flow(flow(round, &format!("_r{round}"))).await.unwrap();
            let answers: Vec<_> = (0..6)
                .map(|i| {
                    let store = if i % 2 == 0 { a.clone() } else { b.clone() };
                    tokio::spawn(async move {
                        let first = store.first_saml_assertion([round; 32], 600, 150).await.unwrap();
                        let answered = store
                            .answer_saml_flow([round; 32], SamlAnswer::Refused("x".into()), 150)
                            .await
                            .unwrap();
                        (first, answered)
                    })
                })
                .collect();
            let (mut firsts, mut answered) = (0, 0);
            for answer in answers {
                let (first, won) = answer.await.unwrap();
                firsts += usize::from(first);
                answered += usize::from(won);
            }
            assert_eq!((firsts, answered), (1, 1), "round {round}");
        }
    });
}
