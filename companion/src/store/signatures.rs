//! Signatures of API requests already accepted: each works once within its
//! date window, whichever process or restart sees it again.

use rusqlite::params;

use super::{Result, Store};
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
        self.write(move |tx| {
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
        self.write(move |tx| {
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
    use super::*;

    #[tokio::test]
    async fn a_signature_is_first_once_until_its_window_ends() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite3")).await.unwrap();
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
}
