//! SQLite storage: the only module with SQL in it.
//!
//! Two connections, each on its own thread (tokio-rusqlite), so database work
//! never runs on the async threads: a writer, through which every change goes
//! in a `BEGIN IMMEDIATE` transaction (so a check and the write it guards are
//! one atomic step), and a read-only reader for lookups, which in WAL mode
//! never waits behind a writer's fsync. Other processes (the CLI while the
//! server runs) share the file through SQLite's own locking.
//!
//! Live-session lookups are cached in memory (`session_cache`): every write
//! through this store voids the cache at once; a write by another process is
//! seen within a second.
//!
//! Durability: WAL with `synchronous=FULL`, so a commit that returned survives
//! the process being killed and the machine losing power.

pub mod audit;
pub mod guards;
mod invitations;
pub mod mailed_tokens;
mod rows;
pub mod saml;
mod session_cache;
pub mod sessions;
pub mod signatures;
pub mod sso;
pub mod totp;
mod users;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use rusqlite_migration::{M, Migrations};

use session_cache::SessionCache;

/// How long a statement waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("the database connection is closed")]
    Closed,
    /// A unique column already holds this value; names the column.
    #[error("{0} is already taken")]
    Duplicate(&'static str),
    /// The invitation is unknown, used up, expired, revoked or for another address.
    #[error("the invitation cannot be used")]
    InvalidInvitation,
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the database cannot take the request now but may later: the
    /// disk is full, it failed to write or sync, another process holds the
    /// lock too long, the file became read-only or damaged. Such a request
    /// is answered "try again" (503), not as a server bug.
    pub fn is_unavailable(&self) -> bool {
        let Self::Sqlite(rusqlite::Error::SqliteFailure(failure, _)) = self else {
            return false;
        };
        matches!(
            failure.code,
            rusqlite::ErrorCode::DiskFull
                | rusqlite::ErrorCode::SystemIoFailure
                | rusqlite::ErrorCode::DatabaseBusy
                | rusqlite::ErrorCode::DatabaseLocked
                | rusqlite::ErrorCode::ReadOnly
                | rusqlite::ErrorCode::DatabaseCorrupt
                | rusqlite::ErrorCode::NotADatabase
                | rusqlite::ErrorCode::CannotOpen
                | rusqlite::ErrorCode::OutOfMemory
        )
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../../migrations/0001_init.sql")),
        M::up(include_str!("../../migrations/0002_signup.sql")),
        M::up(include_str!(
            "../../migrations/0003_lockout_and_sessions.sql"
        )),
        M::up(include_str!("../../migrations/0004_totp.sql")),
        M::up(include_str!("../../migrations/0005_sso.sql")),
        M::up(include_str!("../../migrations/0006_signature_replays.sql")),
        M::up(include_str!("../../migrations/0007_health_probe.sql")),
        M::up(include_str!("../../migrations/0009_saml.sql")),
    ])
}

#[derive(Debug, Clone)]
pub struct Store {
    writer: tokio_rusqlite::Connection,
    reader: tokio_rusqlite::Connection,
    live_sessions: Arc<SessionCache>,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up
    /// to date.
    pub async fn open(path: &Path) -> Result<Self> {
        let path = path.to_owned();
        let (writer, reader) = tokio::task::spawn_blocking(move || open_pair(&path))
            .await
            .map_err(|_| StoreError::Closed)??;
        Ok(Self {
            writer: writer.into(),
            reader: reader.into(),
            live_sessions: Arc::default(),
        })
    }

    /// Runs `f` in one write transaction; it commits only if `f` succeeds.
    pub(crate) async fn write<R, F>(&self, f: F) -> Result<R>
    where
        F: FnOnce(&Transaction<'_>) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        let outcome = self.write_leaving_cache(f).await;
        // Whatever the outcome: a lookup cached before this write is void.
        self.live_sessions.invalidate();
        outcome
    }

    /// [`Store::write`] for a write that changes no session, account or
    /// lock (the cache of live sessions stays valid).
    async fn write_leaving_cache<R, F>(&self, f: F) -> Result<R>
    where
        F: FnOnce(&Transaction<'_>) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        self.writer
            .call_raw(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let value = f(&tx)?;
                tx.commit()?;
                Ok(value)
            })
            .await
            .map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` on the read-only connection.
    pub(crate) async fn read<R, F>(&self, f: F) -> Result<R>
    where
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        self.reader
            .call_raw(move |conn| f(conn))
            .await
            .map_err(|_| StoreError::Closed)?
    }

    /// Whether the database takes a write now (for `/health`): a read alone
    /// would say "ok" while every login fails on a full disk or a read-only
    /// file.
    pub async fn ping(&self) -> Result<()> {
        self.write_leaving_cache(|tx| {
            tx.execute("UPDATE health_probe SET probed = probed + 1", [])?;
            Ok(())
        })
        .await
    }
}

fn open_pair(path: &Path) -> Result<(Connection, Connection)> {
    let mut writer = Connection::open(path)?;
    configure(&writer)?;
    // WAL is a property of the file: set once, readers inherit it.
    let mode: String =
        writer.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Corrupt(format!(
            "the database refused WAL mode (it is in {mode} mode)"
        )));
    }
    if writer.is_readonly(rusqlite::MAIN_DB)? {
        return Err(StoreError::Corrupt(
            "the database file is read-only: give the server's user write access to it".into(),
        ));
    }
    let check: String = writer.query_row("PRAGMA quick_check", [], |row| row.get(0))?;
    if check != "ok" {
        return Err(StoreError::Corrupt(format!(
            "the database is damaged ({check}): restore it from a backup"
        )));
    }
    migrations().to_latest(&mut writer)?;
    let reader = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&reader)?;
    Ok((writer, reader))
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Maps a UNIQUE violation to the column it concerns.
fn unique_violation(error: &rusqlite::Error) -> Option<&'static str> {
    let rusqlite::Error::SqliteFailure(code, Some(message)) = error else {
        return None;
    };
    if code.extended_code != rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE {
        return None;
    }
    let column = message.rsplit('.').next()?;
    [
        "email_canonical",
        "username_canonical",
        "access_key",
        "uuid",
        "token_hash",
    ]
    .into_iter()
    .find(|known| *known == column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
    }

    #[test]
    fn every_migration_file_is_registered() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let files = std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "sql")
            })
            .count();
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        migrations().to_latest(&mut conn).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(usize::try_from(version).unwrap(), files);
    }

    #[tokio::test]
    async fn opens_twice_and_keeps_wal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        let store = Store::open(&path).await.unwrap();
        store.ping().await.unwrap();
        drop(store);
        let store = Store::open(&path).await.unwrap();
        let mode: String = store
            .read(|conn| Ok(conn.query_row("PRAGMA journal_mode", [], |row| row.get(0))?))
            .await
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[tokio::test]
    async fn reader_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite3")).await.unwrap();
        let result = store
            .read(|conn| Ok(conn.execute("DELETE FROM users", [])?))
            .await;
        assert!(result.is_err());
    }

    #[tokio::test]
    async fn failed_write_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite3")).await.unwrap();
        let result: Result<()> = store
            .write(|tx| {
                tx.execute("INSERT INTO audit_events (at, kind) VALUES (1, 'test')", [])?;
                Err(StoreError::Corrupt("abort".into()))
            })
            .await;
        assert!(result.is_err());
        let count: i64 = store
            .read(|conn| Ok(conn.query_row("SELECT count(*) FROM audit_events", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(count, 0);
    }
}
