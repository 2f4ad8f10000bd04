//! Test fixtures for the store's contract: every store test written with
//! [`engines!`] runs once on a SQLite file and once on a PostgreSQL
//! database of the test binary's throw-away cluster.

use std::time::Duration;

use baigate_e2e::postgres::{Cluster, Database};

use super::{PgOptions, Store};

/// A test's database, kept while the test runs.
pub(crate) enum TestDb {
    Sqlite(tempfile::TempDir),
    Postgres(Database),
}

impl TestDb {
    /// Another store on the same data: another process, another instance.
    pub(crate) async fn open(&self) -> Store {
        match self {
            Self::Sqlite(dir) => Store::open(&dir.path().join("db.sqlite3")).await.unwrap(),
            Self::Postgres(db) => open_postgres(&db.url).await,
        }
    }

    /// The PostgreSQL database, for tests of PostgreSQL itself.
    pub(crate) fn postgres(&self) -> Option<&Database> {
        match self {
            Self::Postgres(db) => Some(db),
            Self::Sqlite(_) => None,
        }
    }
}

pub(crate) async fn sqlite() -> (TestDb, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.sqlite3")).await.unwrap();
    (TestDb::Sqlite(dir), store)
}

pub(crate) async fn postgres() -> (TestDb, Store) {
    let db = tokio::task::spawn_blocking(|| Cluster::shared().database())
        .await
        .unwrap();
    let store = open_postgres(&db.url).await;
    (TestDb::Postgres(db), store)
}

/// A store as `baigate serve` has it: listening, its cache trusted once
/// the listener is up.
pub(crate) async fn open_postgres(url: &str) -> Store {
    let store = Store::open_postgres(&PgOptions {
        url: url.to_owned(),
        pool_size: 4,
        ca_file: None,
        listen: true,
    })
    .await
    .unwrap();
    wait_until(|| store.session_cache_trusted()).await;
    store
}

/// Waits until this store has heard every notification sent before (on
/// PostgreSQL; they arrive in commit order, so a marker sent now comes
/// last): a test's own writes then no longer void what it reads next.
pub(crate) async fn settle(store: &Store) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static MARKERS: AtomicU64 = AtomicU64::new(0);
    let super::Engine::Postgres(pg) = &store.engine else {
        return;
    };
    let marker = format!("settled-{}", MARKERS.fetch_add(1, Ordering::Relaxed));
    pg.conn()
        .await
        .unwrap()
        .execute("SELECT pg_notify('baigate_live', $1)", &[&marker])
        .await
        .unwrap();
    wait_until(|| store.live_sessions.last_notice() == marker).await;
}

/// Waits (up to 10 s, on the real clock) for `condition`.
pub(crate) async fn wait_until(condition: impl Fn() -> bool) {
    let started = std::time::Instant::now();
    while !condition() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the condition did not hold within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// One test per engine from one body: `engines!(name, |store| async move { … })`
/// (`|store, db|` also gives the [`TestDb`]; `multi_thread` before the name
/// runs it on a multi-threaded runtime).
macro_rules! engines {
    ($(#[$doc:meta])* multi_thread $name:ident, |$store:ident $(, $db:ident)?| $body:expr) => {
        $crate::store::testing::engines!(@make [flavor = "multi_thread", worker_threads = 4] $(#[$doc])* $name, |$store $(, $db)?| $body);
    };
    ($(#[$doc:meta])* $name:ident, |$store:ident $(, $db:ident)?| $body:expr) => {
        $crate::store::testing::engines!(@make [] $(#[$doc])* $name, |$store $(, $db)?| $body);
    };
    (@make [$($flavor:tt)*] $(#[$doc:meta])* $name:ident, |$store:ident $(, $db:ident)?| $body:expr) => {
        $(#[$doc])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test($($flavor)*)]
            async fn sqlite() {
                #[allow(unused_variables)]
                let (db, $store) = $crate::store::testing::sqlite().await;
                $(let $db = &db;)?
                $body.await;
            }

            #[tokio::test($($flavor)*)]
            async fn postgres() {
                #[allow(unused_variables)]
                let (db, $store) = $crate::store::testing::postgres().await;
                $(let $db = &db;)?
                $body.await;
            }
        }
    };
}
pub(crate) use engines;
