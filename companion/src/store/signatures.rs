//! Signatures of API requests already accepted: each works once within its
//! date window, whichever process, instance or restart sees it again. A
//! recorded signature says nothing a cached session lookup depends on.

mod pg;

use rusqlite::params;

use super::{Engine, Result, Store};
use crate::clock::UnixTime;

impl Store {
    /// Records a signature's digest until `until`; false if it is recorded
    /// already and not yet expired (a replay). One statement: of two
    /// requests racing with one signature, exactly one is first.
    pub async fn first_signature_use(
        &self,
        digest: [u8; 32],
        now: UnixTime,
        until: UnixTime,
    ) -> Result<bool> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::first_signature_use(pg, digest, now, until).await,
        };
        db.write(move |tx| {
            let changed = tx.execute(
                "INSERT INTO signature_replays (digest, expires_at) VALUES (?1, ?2) \
                 ON CONFLICT (digest) DO UPDATE SET expires_at = excluded.expires_at \
                 WHERE signature_replays.expires_at <= ?3",
                params![digest, until, now],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    /// Forgets signatures whose window has passed.
    pub async fn purge_signatures(&self, now: UnixTime) -> Result<usize> {
        let db = match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(pg) => return pg::purge_signatures(pg, now).await,
        };
        db.write(move |tx| {
            Ok(tx.execute(
                "DELETE FROM signature_replays WHERE expires_at <= ?1",
                [now],
            )?)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use crate::store::testing::engines;

    engines!(
        a_signature_is_first_once_until_its_window_ends,
        |store| async move {
            let seen = [7u8; 32];
            assert!(store.first_signature_use(seen, 100, 400).await.unwrap());
            assert!(
                !store.first_signature_use(seen, 200, 500).await.unwrap(),
                "a replay"
            );
            assert!(store.first_signature_use([8; 32], 200, 500).await.unwrap());
            // Past its window (even before the purge) it counts as new.
            assert!(store.first_signature_use(seen, 400, 700).await.unwrap());
            assert_eq!(store.purge_signatures(600).await.unwrap(), 1);
            assert!(!store.first_signature_use(seen, 650, 950).await.unwrap());
        }
    );

    // One signature sent to two instances at once: one of them accepts it.
    engines!(multi_thread one_signature_is_first_once_across_instances, |a, db| async move {
        let b = db.open().await;
        for round in 0..20u8 {
            let uses: Vec<_> = (0..10)
                .map(|i| {
                    let store = if i % 2 == 0 { a.clone() } else { b.clone() };
                    tokio::spawn(async move {
                        store.first_signature_use([round; 32], 100, 400).await.unwrap()
                    })
                })
                .collect();
            let mut first = 0;
            for used in uses {
                first += usize::from(used.await.unwrap());
            }
            assert_eq!(first, 1, "round {round}");
        }
    });
}
