//! Values held once for the whole deployment: the fingerprint of the
//! secret key that seals stored secrets. The first companion to start
//! records its key's; every later start (on any instance) compares.

use rusqlite::{OptionalExtension, params};

use super::{Engine, Result, Store};

const KEY_FINGERPRINT: &str = "secret_key_fingerprint";

/// What the database said about a key's fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCheck {
    /// The database had none; this one is recorded now.
    Recorded,
    /// The same as recorded.
    Matches,
    /// Another key's: the recorded fingerprint.
    Differs(String),
}

impl Store {
    /// Records `fingerprint` if the database holds none yet, else compares.
    pub async fn check_key_fingerprint(&self, fingerprint: String) -> Result<KeyCheck> {
        let stored = match &self.engine {
            Engine::Sqlite(db) => {
                let offered = fingerprint.clone();
                db.write(move |tx| {
                    let inserted = tx.execute(
                        "INSERT INTO settings (name, value) VALUES (?1, ?2) \
                         ON CONFLICT (name) DO NOTHING",
                        params![KEY_FINGERPRINT, offered],
                    )?;
                    if inserted == 1 {
                        return Ok(None);
                    }
                    Ok(tx
                        .query_row(
                            "SELECT value FROM settings WHERE name = ?1",
                            [KEY_FINGERPRINT],
                            |row| row.get::<_, String>(0),
                        )
                        .optional()?)
                })
                .await?
            }
            Engine::Postgres(pg) => {
                let conn = pg.conn().await?;
                let inserted = conn
                    .execute(
                        "INSERT INTO settings (name, value) VALUES ($1, $2) \
                         ON CONFLICT (name) DO NOTHING",
                        &[&KEY_FINGERPRINT, &fingerprint],
                    )
                    .await?;
                if inserted == 1 {
                    None
                } else {
                    conn.query_opt(
                        "SELECT value FROM settings WHERE name = $1",
                        &[&KEY_FINGERPRINT],
                    )
                    .await?
                    .map(|row| row.try_get::<_, String>(0))
                    .transpose()?
                }
            }
        };
        Ok(match stored {
            None => KeyCheck::Recorded,
            Some(recorded) if recorded == fingerprint => KeyCheck::Matches,
            Some(recorded) => KeyCheck::Differs(recorded),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::engines;

    engines!(a_key_is_recorded_once_and_compared, |store| async move {
        assert_eq!(
            store.check_key_fingerprint("aaaa".into()).await.unwrap(),
            KeyCheck::Recorded
        );
        assert_eq!(
            store.check_key_fingerprint("aaaa".into()).await.unwrap(),
            KeyCheck::Matches
        );
        assert_eq!(
            store.check_key_fingerprint("bbbb".into()).await.unwrap(),
            KeyCheck::Differs("aaaa".into())
        );
    });
}
