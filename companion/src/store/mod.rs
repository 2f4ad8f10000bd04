//! Storage: the only module with SQL in it. The rest of the companion sees
//! one [`Store`]; which engine holds the data is its own business.
//!
//! **SQLite** (the default: a file in the data directory). Two connections,
//! each on its own thread (tokio-rusqlite), so database work never runs on
//! the async threads: a writer, through which every change goes in a
//! `BEGIN IMMEDIATE` transaction (so a check and the write it guards are one
//! atomic step), and a read-only reader for lookups, which in WAL mode never
//! waits behind a writer's fsync. Other processes (the CLI while the server
//! runs) share the file through SQLite's own locking. Durability: WAL with
//! `synchronous=FULL`, so a commit that returned survives the process being
//! killed and the machine losing power.
//!
//! **PostgreSQL** (`store.url`, for several companions on one database; see
//! [`postgres`]): a pool of connections, every write one READ COMMITTED
//! transaction in which each read-then-write takes the lock that makes it
//! exact across instances (named at each method).
//!
//! Live-session lookups are cached in memory (`session_cache`): a write
//! through this store that changes a session or an account voids the cache
//! at once; on PostgreSQL the same transaction notifies the other instances,
//! whose caches are voided when it commits. A write by a process that does
//! not notify (the CLI on SQLite) is seen within a second.

pub mod audit;
mod copy;
pub mod guards;
mod invitations;
pub mod mailed_tokens;
mod postgres;
mod rows;
pub mod saml;
mod session_cache;
pub mod sessions;
mod settings;
pub mod signatures;
pub mod sso;
pub mod totp;
mod users;

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use rusqlite_migration::{M, Migrations};

pub use copy::CopyReport;
pub use postgres::PgOptions;
use session_cache::SessionCache;
pub use settings::KeyCheck;

/// How long a statement waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("database error: {}", postgres::describe(.0))]
    Postgres(#[from] tokio_postgres::Error),
    /// No PostgreSQL connection could be had (the server is away, or every
    /// pooled connection stayed busy too long).
    #[error("the database cannot be reached: {0}")]
    Unreachable(String),
    /// `store.url` or what it names cannot be used as given.
    #[error("store.url: {0}")]
    Setup(String),
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
    /// lock too long, the file became read-only or damaged; PostgreSQL is
    /// away, restarting, out of connections or read-only after a failover.
    /// Such a request is answered "try again" (503), not as a server bug.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Sqlite(rusqlite::Error::SqliteFailure(failure, _)) => matches!(
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
            ),
            Self::Postgres(error) => postgres::is_unavailable(error),
            Self::Unreachable(_) | Self::Closed => true,
            _ => false,
        }
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
        M::up(include_str!("../../migrations/0008_settings.sql")),
        M::up(include_str!("../../migrations/0009_saml.sql")),
    ])
}

/// The data, wherever it is; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    engine: Engine,
    live_sessions: Arc<SessionCache>,
}

#[derive(Debug, Clone)]
enum Engine {
    Sqlite(Sqlite),
    Postgres(postgres::Pg),
}

/// The SQLite file's two connections.
#[derive(Debug, Clone)]
struct Sqlite {
    writer: tokio_rusqlite::Connection,
    reader: tokio_rusqlite::Connection,
}

impl Sqlite {
    /// Runs `f` in one write transaction; it commits only if `f` succeeds.
    async fn write<R, F>(&self, f: F) -> Result<R>
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
    async fn read<R, F>(&self, f: F) -> Result<R>
    where
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        self.reader
            .call_raw(move |conn| f(conn))
            .await
            .map_err(|_| StoreError::Closed)?
    }
}

impl Store {
    /// Opens (creating if needed) the SQLite database file and brings its
    /// schema up to date.
    pub async fn open(path: &Path) -> Result<Self> {
        let path = path.to_owned();
        let (writer, reader) = tokio::task::spawn_blocking(move || open_pair(&path))
            .await
            .map_err(|_| StoreError::Closed)??;
        Ok(Self {
            engine: Engine::Sqlite(Sqlite {
                writer: writer.into(),
                reader: reader.into(),
            }),
            live_sessions: Arc::default(),
        })
    }

    /// Connects to PostgreSQL and brings its schema up to date (once, when
    /// several instances start together).
    pub async fn open_postgres(options: &PgOptions) -> Result<Self> {
        let live_sessions = Arc::new(SessionCache::until_listening());
        let pg = postgres::Pg::connect(options, live_sessions.clone()).await?;
        Ok(Self {
            engine: Engine::Postgres(pg),
            live_sessions,
        })
    }

    /// The engine's name, for `/health` and logs.
    pub fn engine(&self) -> &'static str {
        match &self.engine {
            Engine::Sqlite(_) => "sqlite",
            Engine::Postgres(_) => "postgresql",
        }
    }

    /// Whether cached session lookups are in use: always on SQLite; on
    /// PostgreSQL only while this instance hears the others' changes.
    pub fn session_cache_trusted(&self) -> bool {
        self.live_sessions.trusted()
    }

    /// Runs a write that may change what a live-session lookup answers (it
    /// changes or deletes rows of `sessions` or `users`): every lookup
    /// cached before it is void afterwards, whatever its outcome. On
    /// PostgreSQL the write itself notifies the other instances.
    async fn changing_sessions<R>(&self, write: impl Future<Output = Result<R>>) -> Result<R> {
        let outcome = write.await;
        self.live_sessions.invalidate();
        outcome
    }

    /// Whether the database takes a write now (for `/health`): a read alone
    /// would say "ok" while every login fails on a full disk or a read-only
    /// file (or a PostgreSQL standby after a failover).
    pub async fn ping(&self) -> Result<()> {
        match &self.engine {
            Engine::Sqlite(db) => {
                db.write(|tx| {
                    tx.execute("UPDATE health_probe SET probed = probed + 1", [])?;
                    Ok(())
                })
                .await
            }
            Engine::Postgres(pg) => pg.ping().await,
        }
    }

    /// The database's clock minus `now`, in seconds (PostgreSQL only: on
    /// SQLite the database has no clock of its own).
    pub async fn clock_skew(&self, now: crate::clock::UnixTime) -> Result<Option<i64>> {
        match &self.engine {
            Engine::Sqlite(_) => Ok(None),
            Engine::Postgres(pg) => Ok(Some(pg.now().await? - now)),
        }
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

/// Contract tests run on both engines: `engines!` makes one test per engine
/// from a body that takes the [`Store`].
#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
impl Store {
    /// The SQLite connections (tests of SQLite itself).
    fn sqlite(&self) -> &Sqlite {
        match &self.engine {
            Engine::Sqlite(db) => db,
            Engine::Postgres(_) => panic!("not a SQLite store"),
        }
    }
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
            .sqlite()
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
            .sqlite()
            .read(|conn| Ok(conn.execute("DELETE FROM users", [])?))
            .await;
        assert!(result.is_err());
    }

    #[tokio::test]
    async fn failed_write_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite3")).await.unwrap();
        let result: Result<()> = store
            .sqlite()
            .write(|tx| {
                tx.execute("INSERT INTO audit_events (at, kind) VALUES (1, 'test')", [])?;
                Err(StoreError::Corrupt("abort".into()))
            })
            .await;
        assert!(result.is_err());
        let count: i64 = store
            .sqlite()
            .read(|conn| Ok(conn.query_row("SELECT count(*) FROM audit_events", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(count, 0);
    }
}
