//! PostgreSQL, for several companions on one database (`store.url`).
//!
//! - **Connections**: a pool (`deadpool-postgres`), TLS through rustls with
//!   the system's roots (and `store.ca_file`); a host that is not this
//!   machine is reached only over TLS with its certificate checked.
//! - **Schema**: `companion/migrations/postgres/`, numbered as the SQLite
//!   files; applied in one transaction under an advisory lock, so instances
//!   starting together apply them once (`baigate_schema` holds the number).
//! - **Exactness**: every write is one READ COMMITTED transaction. A
//!   conditional single statement (spend a token, take a time step) is exact
//!   as it is: PostgreSQL re-checks its condition on the row it waited for.
//!   A read followed by a write takes a lock first — the account's row
//!   (`FOR NO KEY UPDATE`), the counter's row, or an advisory lock on a name
//!   that has no row yet — named at each method.
//! - **The session cache**: each write that changes a session or an account
//!   sends `NOTIFY baigate_live` in its own transaction, so the notice goes
//!   out when it commits and never when it rolls back. Each instance listens
//!   on a connection of its own, outside the pool (a pooled connection's
//!   notices are dropped by the pool), and voids its cache on any notice.
//!   While that connection is down, cached lookups are not trusted at all.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use sha2::{Digest, Sha256};
use tokio_postgres::AsyncMessage;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::error::SqlState;
use tokio_postgres_rustls::MakeRustlsConnect;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject;

use super::session_cache::SessionCache;
use super::{Result, StoreError};

/// The channel every instance listens on.
const CHANNEL: &str = "baigate_live";
/// The advisory lock that serialises migrations ("baigate" and 1).
const MIGRATION_LOCK: i64 = 0x6261_6967_6174_6501;
/// How long a request waits for a pooled connection, and a new connection
/// for the server's answer (unless the URL sets `connect_timeout`).
const WAIT: Duration = Duration::from_secs(5);
/// The listener's pause before reconnecting grows to this.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The schema, in order; the SQLite set has the same numbers and meaning.
const MIGRATIONS: [&str; 9] = [
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_signup.sql"),
    include_str!("../../migrations/postgres/0003_lockout_and_sessions.sql"),
    include_str!("../../migrations/postgres/0004_totp.sql"),
    include_str!("../../migrations/postgres/0005_sso.sql"),
    include_str!("../../migrations/postgres/0006_signature_replays.sql"),
    include_str!("../../migrations/postgres/0007_health_probe.sql"),
    include_str!("../../migrations/postgres/0008_settings.sql"),
    include_str!("../../migrations/postgres/0009_saml.sql"),
];

/// How to reach the database.
#[derive(Clone)]
pub struct PgOptions {
    /// `postgres://user:password@host[:port]/database[?sslmode=…]`.
    pub url: String,
    /// Pooled connections (besides the listener's).
    pub pool_size: usize,
    /// A PEM file of certificate authorities to trust besides the system's.
    pub ca_file: Option<PathBuf>,
    /// Keep a listener connection for other instances' session changes
    /// (`baigate serve`); without it no cached lookup is trusted, which is
    /// right for a short command.
    pub listen: bool,
}

impl std::fmt::Debug for PgOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgOptions")
            .field("pool_size", &self.pool_size)
            .field("ca_file", &self.ca_file)
            .field("listen", &self.listen)
            .finish_non_exhaustive()
    }
}

/// The pool, and the listener task while the store lives.
#[derive(Clone)]
pub(crate) struct Pg {
    pool: Pool,
    _listener: Option<Arc<ListenerTask>>,
}

impl std::fmt::Debug for Pg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pg")
            .field("pool", &self.pool.status())
            .finish_non_exhaustive()
    }
}

/// Stops the listener when the last clone of the store goes.
struct ListenerTask(tokio::task::JoinHandle<()>);

impl Drop for ListenerTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Pg {
    /// Checks the URL, brings the schema up to date and, when asked, starts
    /// listening for other instances' changes.
    pub(crate) async fn connect(options: &PgOptions, cache: Arc<SessionCache>) -> Result<Self> {
        let config = client_config(&options.url)?;
        let tls = tls_connector(options.ca_file.as_deref())?;
        let manager = Manager::from_config(
            config.clone(),
            tls.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(WAIT))
            .create_timeout(Some(WAIT))
            .recycle_timeout(Some(WAIT))
            .build()
            .map_err(|e| StoreError::Setup(e.to_string()))?;
        let mut pg = Self {
            pool,
            _listener: None,
        };
        pg.migrate().await?;
        if options.listen {
            let mut listener_config = config;
            listener_config.application_name(format!("baigate-listener-{}", std::process::id()));
            let task = tokio::spawn(listen(listener_config, tls, cache));
            pg._listener = Some(Arc::new(ListenerTask(task)));
        }
        Ok(pg)
    }

    /// A pooled connection.
    pub(crate) async fn conn(&self) -> Result<Object> {
        self.pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(e) => StoreError::Postgres(e),
            other => StoreError::Unreachable(other.to_string()),
        })
    }

    /// Applies the migrations this database lacks, all in one transaction
    /// under an advisory lock: of instances starting together, the first
    /// applies them and the others then find them applied.
    async fn migrate(&self) -> Result<()> {
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS baigate_schema (version BIGINT NOT NULL)")
            .await?;
        let stored: Option<i64> = tx
            .query_opt("SELECT version FROM baigate_schema", &[])
            .await?
            .map(|row| row.try_get(0))
            .transpose()?;
        let known = MIGRATIONS.len();
        let current = usize::try_from(stored.unwrap_or(0)).unwrap_or(usize::MAX);
        if current > known {
            return Err(StoreError::Setup(format!(
                "the database's schema is version {current}, newer than this baigate knows \
                 ({known}): run the newer baigate, or upgrade this one"
            )));
        }
        for (number, sql) in MIGRATIONS.iter().enumerate().skip(current) {
            tx.batch_execute(sql).await.map_err(|e| {
                StoreError::Setup(format!("migration {} failed: {}", number + 1, describe(&e)))
            })?;
        }
        let version = i64::try_from(known).unwrap_or(i64::MAX);
        if stored.is_none() {
            tx.execute(
                "INSERT INTO baigate_schema (version) VALUES ($1)",
                &[&version],
            )
            .await?;
        } else if current < known {
            tx.execute("UPDATE baigate_schema SET version = $1", &[&version])
                .await?;
        }
        tx.commit().await?;
        if current < known {
            tracing::info!(
                from = current,
                to = known,
                "database schema brought up to date"
            );
        }
        Ok(())
    }

    /// A write that notices a read-only database (a standby).
    pub(crate) async fn ping(&self) -> Result<()> {
        let conn = self.conn().await?;
        let statement = conn
            .prepare_cached("UPDATE health_probe SET probed = probed + 1")
            .await?;
        conn.execute(&statement, &[]).await?;
        Ok(())
    }

    /// The database server's clock, in Unix seconds.
    pub(crate) async fn now(&self) -> Result<i64> {
        let conn = self.conn().await?;
        let row = conn
            .query_one("SELECT extract(epoch FROM clock_timestamp())::BIGINT", &[])
            .await?;
        Ok(row.try_get(0)?)
    }
}

/// Tells every instance (this one too) that a session or an account
/// changed; sent when `tx` commits, never if it rolls back.
pub(crate) async fn notify_sessions_changed(tx: &deadpool_postgres::Transaction<'_>) -> Result<()> {
    let statement = tx
        .prepare_cached("SELECT pg_notify('baigate_live', '')")
        .await?;
    tx.execute(&statement, &[]).await?;
    Ok(())
}

/// Takes the advisory lock on `name` in `namespace` until `tx` ends: for a
/// check whose row may not exist yet (a login name at signup).
pub(crate) async fn lock_name(
    tx: &deadpool_postgres::Transaction<'_>,
    namespace: &str,
    name: &str,
) -> Result<()> {
    let statement = tx
        .prepare_cached("SELECT pg_advisory_xact_lock($1)")
        .await?;
    tx.execute(&statement, &[&advisory_key(namespace, name)])
        .await?;
    Ok(())
}

/// A 64-bit advisory lock key for a name (SHA-256, so names never collide
/// in practice; a collision would only make two requests wait for each other).
pub(crate) fn advisory_key(namespace: &str, name: &str) -> i64 {
    let digest = Sha256::new()
        .chain_update(namespace.as_bytes())
        .chain_update([0])
        .chain_update(name.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// Maps a unique violation to the column it concerns (constraints and
/// indexes are named `<table>_<column>_key`).
pub(crate) fn unique_violation(error: &tokio_postgres::Error) -> Option<&'static str> {
    let db = error.as_db_error()?;
    if db.code() != &SqlState::UNIQUE_VIOLATION {
        return None;
    }
    let constraint = db.constraint()?;
    [
        "email_canonical",
        "username_canonical",
        "access_key",
        "uuid",
        "token_hash",
    ]
    .into_iter()
    .find(|column| constraint.ends_with(&format!("_{column}_key")))
}

/// The error with the server's own message, when it sent one.
pub(crate) fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => match std::error::Error::source(error) {
            Some(source) => format!("{error}: {source}"),
            None => error.to_string(),
        },
    }
}

/// Whether the failure is the database being away or busy rather than the
/// request: connection lost or refused, the server shutting down or
/// starting, out of connections or disk, read-only (a standby after a
/// failover), a deadlock or serialisation failure.
pub(crate) fn is_unavailable(error: &tokio_postgres::Error) -> bool {
    if error.is_closed() {
        return true;
    }
    let Some(code) = error.code() else {
        // No SQLSTATE: the connection itself failed (I/O, TLS, timeout).
        return std::error::Error::source(error)
            .is_some_and(|source| source.downcast_ref::<std::io::Error>().is_some())
            || error.to_string().contains("timed out");
    };
    let class = &code.code()[..2];
    matches!(class, "08" | "53" | "57" | "58")
        || [
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
            SqlState::LOCK_NOT_AVAILABLE,
            SqlState::READ_ONLY_SQL_TRANSACTION,
        ]
        .contains(code)
}

/// Parses `store.url` and settles its security: a URL that names a host
/// other than this machine must use TLS (`sslmode=disable` is refused, the
/// default `prefer` becomes `require`), and the certificate is checked
/// against the host name.
pub(crate) fn client_config(url: &str) -> Result<tokio_postgres::Config> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(StoreError::Setup(
            "must be a URL starting with postgres:// (or be unset for SQLite in the data directory)"
                .into(),
        ));
    }
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| StoreError::Setup(format!("is not a PostgreSQL URL: {e}")))?;
    if config.get_hosts().is_empty() {
        return Err(StoreError::Setup(
            "names no host (such as postgres://baigate@db.example.com/baigate)".into(),
        ));
    }
    if config.get_dbname().is_none() {
        return Err(StoreError::Setup(
            "names no database (the path: postgres://…/baigate)".into(),
        ));
    }
    let remote = config.get_hosts().iter().any(|host| match host {
        Host::Tcp(name) => !is_this_machine(name),
        Host::Unix(_) => false,
    });
    if remote {
        match config.get_ssl_mode() {
            SslMode::Disable => {
                return Err(StoreError::Setup(
                    "sslmode=disable is refused for a database on another machine: \
                     passwords and sessions would cross the network in clear"
                        .into(),
                ));
            }
            _ => {
                config.ssl_mode(SslMode::Require);
            }
        }
    }
    if config.get_application_name().is_none() {
        config.application_name("baigate");
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(WAIT);
    }
    // Notice a peer that vanished without closing (a listener would
    // otherwise wait on a dead connection).
    config.keepalives_idle(Duration::from_secs(30));
    Ok(config)
}

fn is_this_machine(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// rustls with the system's certificate authorities and `ca_file`'s.
fn tls_connector(ca_file: Option<&std::path::Path>) -> Result<MakeRustlsConnect> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = ca_file {
        let fail = |reason: String| {
            StoreError::Setup(format!("store.ca_file {}: {reason}", path.display()))
        };
        let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| fail(e.to_string()))?
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| fail(e.to_string()))?;
        if certificates.is_empty() {
            return Err(fail("holds no PEM certificate".into()));
        }
        for certificate in certificates {
            roots.add(certificate).map_err(|e| fail(e.to_string()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Setup(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// Keeps a connection listening on [`CHANNEL`], reconnecting with a growing
/// pause; the cache is trusted only while it listens.
async fn listen(config: tokio_postgres::Config, tls: MakeRustlsConnect, cache: Arc<SessionCache>) {
    let mut backoff = Duration::from_millis(50);
    let mut was_up = false;
    loop {
        let started = tokio::time::Instant::now();
        let outcome = listen_once(&config, tls.clone(), &cache).await;
        cache.set_trusted(false);
        let lasted = started.elapsed();
        match outcome {
            Err(e) if was_up || lasted > Duration::from_secs(1) => tracing::warn!(
                error = %e,
                "the PostgreSQL listener connection was lost: cached sessions are not \
                 trusted until it is back"
            ),
            Err(e) => tracing::debug!(error = %e, "the PostgreSQL listener cannot connect yet"),
            Ok(()) => tracing::warn!("the PostgreSQL listener connection closed"),
        }
        was_up = false;
        if lasted > MAX_BACKOFF {
            backoff = Duration::from_millis(50);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
        was_up |= cache.trusted();
    }
}

/// One listener connection, from connect to its end.
async fn listen_once(
    config: &tokio_postgres::Config,
    tls: MakeRustlsConnect,
    cache: &Arc<SessionCache>,
) -> Result<()> {
    let (client, mut connection) = config.connect(tls).await?;
    let notices = Arc::clone(cache);
    let driver = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(notice))) => notices.notified(notice.payload()),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            }
        }
    });
    let listening = client.batch_execute(&format!("LISTEN {CHANNEL}")).await;
    if let Err(e) = listening {
        driver.abort();
        return Err(e.into());
    }
    // From here on every commit's notice arrives: entries read before now
    // may have missed one, so they are void.
    cache.set_trusted(true);
    tracing::info!("listening for other instances' session changes");
    let ended = driver.await;
    drop(client);
    match ended {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.into()),
        Err(_) => Err(StoreError::Closed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_hosts_need_tls() {
        let config = client_config("postgres://u:p@db.example.com/baigate").unwrap();
        assert_eq!(config.get_ssl_mode(), SslMode::Require);
        let err = client_config("postgres://u:p@db.example.com/baigate?sslmode=disable")
            .unwrap_err()
            .to_string();
        assert!(err.contains("sslmode=disable"), "{err}");
        let local = client_config("postgres://u@127.0.0.1:5432/baigate?sslmode=disable").unwrap();
        assert_eq!(local.get_ssl_mode(), SslMode::Disable);
        let socket = client_config("postgres://u@%2Frun%2Fpostgresql/baigate").unwrap();
        assert_eq!(socket.get_ssl_mode(), SslMode::Prefer);
        for bad in [
            "mysql://u@db/x",
            "postgres://u@db.example.com",
            "postgres://",
            "host=db dbname=x",
        ] {
            assert!(client_config(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn advisory_keys_differ_by_namespace_and_name() {
        assert_ne!(advisory_key("name", "a"), advisory_key("name", "b"));
        assert_ne!(advisory_key("name", "a"), advisory_key("guard", "a"));
        assert_eq!(advisory_key("name", "a"), advisory_key("name", "a"));
    }

    #[test]
    fn every_postgres_migration_file_is_listed_and_numbered_as_sqlites() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let names = |dir: &std::path::Path| {
            let mut names: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".sql"))
                .collect();
            names.sort();
            names
        };
        let sqlite = names(&root);
        let postgres = names(&root.join("postgres"));
        assert_eq!(sqlite, postgres, "the two sets have the same files");
        assert_eq!(postgres.len(), MIGRATIONS.len());
    }

    /// Columns that are 0/1 integers in SQLite and booleans here.
    const BOOLEANS: [&str; 4] = [
        "login_guards.disabled",
        "saml_flows.force",
        "sso_flows.force",
        "sso_tokens.force",
    ];
    /// Nullable in SQLite only: 0003 added it to existing rows there; the
    /// PostgreSQL schema never had a session without one.
    const NULLABLE_IN_SQLITE_ONLY: [&str; 1] = ["sessions.public_id"];

    fn on_delete(rule: &str) -> &'static str {
        match rule {
            "CASCADE" | "c" => "cascade",
            "SET NULL" | "n" => "set null",
            _ => "no action",
        }
    }

    fn sqlite_schema(conn: &rusqlite::Connection) -> std::collections::BTreeSet<String> {
        let mut facts = std::collections::BTreeSet::new();
        let tables: Vec<String> = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        for table in tables {
            let columns: Vec<(String, String, bool, i64)> = conn
                .prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)")
                .unwrap()
                .query_map([&table], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                })
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            let mut primary: Vec<(i64, String)> = Vec::new();
            for (name, declared, not_null, pk) in columns {
                let qualified = format!("{table}.{name}");
                let kind = match declared.as_str() {
                    "INTEGER" if BOOLEANS.contains(&qualified.as_str()) => "boolean",
                    "INTEGER" => "bigint",
                    "TEXT" => "text",
                    "BLOB" => "bytea",
                    other => panic!("{qualified}: unexpected SQLite type {other}"),
                };
                let not_null =
                    not_null || pk > 0 || NULLABLE_IN_SQLITE_ONLY.contains(&qualified.as_str());
                facts.insert(format!(
                    "column {qualified} {kind}{}",
                    if not_null { " not null" } else { "" }
                ));
                if pk > 0 {
                    primary.push((pk, name));
                }
            }
            primary.sort();
            let primary: Vec<String> = primary.into_iter().map(|(_, name)| name).collect();
            facts.insert(format!("unique index {table} ({})", primary.join(", ")));
            let indexes: Vec<(String, bool, String)> = conn
                .prepare("SELECT name, \"unique\", origin FROM pragma_index_list(?1)")
                .unwrap()
                .query_map([&table], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            for (index, unique, origin) in indexes {
                if origin == "pk" {
                    continue;
                }
                let columns: Vec<String> = conn
                    .prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")
                    .unwrap()
                    .query_map([&index], |row| row.get(0))
                    .unwrap()
                    .collect::<rusqlite::Result<_>>()
                    .unwrap();
                facts.insert(format!(
                    "{}index {table} ({})",
                    if unique { "unique " } else { "" },
                    columns.join(", ")
                ));
            }
            let keys: Vec<(String, String, String, String)> = conn
                .prepare("SELECT \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list(?1)")
                .unwrap()
                .query_map([&table], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            for (parent, from, to, rule) in keys {
                facts.insert(format!(
                    "foreign key {table}.{from} -> {parent}.{to} on delete {}",
                    on_delete(&rule)
                ));
            }
        }
        facts
    }

    async fn postgres_schema(conn: &Object) -> std::collections::BTreeSet<String> {
        let mut facts = std::collections::BTreeSet::new();
        for row in conn
            .query(
                "SELECT table_name::TEXT, column_name::TEXT, data_type::TEXT, is_nullable = 'YES' \
                 FROM information_schema.columns WHERE table_schema = current_schema() \
                 AND table_name <> 'baigate_schema'",
                &[],
            )
            .await
            .unwrap()
        {
            let (table, column, kind, nullable): (String, String, String, bool) =
                (row.get(0), row.get(1), row.get(2), row.get(3));
            facts.insert(format!(
                "column {table}.{column} {kind}{}",
                if nullable { "" } else { " not null" }
            ));
        }
        for row in conn
            .query(
                "SELECT t.relname::TEXT, i.indisunique, \
                 array_agg(a.attname::TEXT ORDER BY k.ord) \
                 FROM pg_index i \
                 JOIN pg_class t ON t.oid = i.indrelid \
                 JOIN pg_namespace n ON n.oid = t.relnamespace \
                 CROSS JOIN LATERAL unnest(i.indkey::INT2[]) WITH ORDINALITY AS k(attnum, ord) \
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
                 WHERE n.nspname = current_schema() AND t.relname <> 'baigate_schema' \
                 GROUP BY t.relname, i.indexrelid, i.indisunique",
                &[],
            )
            .await
            .unwrap()
        {
            let (table, unique, columns): (String, bool, Vec<String>) =
                (row.get(0), row.get(1), row.get(2));
            facts.insert(format!(
                "{}index {table} ({})",
                if unique { "unique " } else { "" },
                columns.join(", ")
            ));
        }
        for row in conn
            .query(
                "SELECT c.conrelid::regclass::TEXT, a.attname::TEXT, c.confrelid::regclass::TEXT, \
                 af.attname::TEXT, c.confdeltype::TEXT \
                 FROM pg_constraint c \
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
                 JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1] \
                 WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace",
                &[],
            )
            .await
            .unwrap()
        {
            let (table, from, parent, to, rule): (String, String, String, String, String) =
                (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
            facts.insert(format!(
                "foreign key {table}.{from} -> {parent}.{to} on delete {}",
                on_delete(&rule)
            ));
        }
        facts
    }

    /// The two migration sets make the same tables, columns (names, types
    /// up to the engines' words for them, nullability), indexes (unique or
    /// not) and foreign keys, but for the differences listed above.
    #[tokio::test]
    async fn schemas_match() {
        let (_sqlite_db, sqlite) = crate::store::testing::sqlite().await;
        let (_postgres_db, postgres) = crate::store::testing::postgres().await;
        let sqlite_facts = sqlite
            .sqlite()
            .read(|conn| Ok(sqlite_schema(conn)))
            .await
            .unwrap();
        let crate::store::Engine::Postgres(pg) = &postgres.engine else {
            panic!("not PostgreSQL");
        };
        let postgres_facts = postgres_schema(&pg.conn().await.unwrap()).await;
        let only_sqlite: Vec<_> = sqlite_facts.difference(&postgres_facts).collect();
        let only_postgres: Vec<_> = postgres_facts.difference(&sqlite_facts).collect();
        assert!(
            only_sqlite.is_empty() && only_postgres.is_empty(),
            "the schemas differ.\nonly in SQLite: {only_sqlite:#?}\nonly in PostgreSQL: {only_postgres:#?}"
        );
        assert!(sqlite_facts.len() > 80, "{sqlite_facts:#?}");
    }

    /// Instances starting together on an empty database apply the
    /// migrations once, and all start.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn instances_starting_together_migrate_once() {
        let db =
            tokio::task::spawn_blocking(|| baigate_e2e::postgres::Cluster::shared().database())
                .await
                .unwrap();
        let starts: Vec<_> = (0..4)
            .map(|_| {
                let url = db.url.clone();
                tokio::spawn(async move { crate::store::testing::open_postgres(&url).await })
            })
            .collect();
        for start in starts {
            start.await.unwrap().ping().await.unwrap();
        }
        let version = db.psql("SELECT version FROM baigate_schema");
        assert_eq!(version, MIGRATIONS.len().to_string());
        assert_eq!(db.psql("SELECT count(*) FROM baigate_schema"), "1");
    }

    /// Over TCP with `sslmode=require`, the server's certificate is checked
    /// against the trusted authorities and the host name; the connections,
    /// the listener's too, are encrypted.
    #[tokio::test]
    async fn tls_connections_check_the_certificate() {
        let db =
            tokio::task::spawn_blocking(|| baigate_e2e::postgres::Cluster::shared().database())
                .await
                .unwrap();
        let cluster = db.cluster();
        let url = cluster.tls_url(&db.name);
        let options = |url: &str, ca: bool| PgOptions {
            url: url.to_owned(),
            pool_size: 2,
            ca_file: ca.then(|| cluster.ca_file().to_owned()),
            listen: true,
        };
        let store = crate::store::Store::open_postgres(&options(&url, true))
            .await
            .unwrap();
        crate::store::testing::wait_until(|| store.session_cache_trusted()).await;
        let crate::store::Engine::Postgres(pg) = &store.engine else {
            panic!("not PostgreSQL");
        };
        let encrypted: bool = pg
            .conn()
            .await
            .unwrap()
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert!(encrypted);
        assert_eq!(
            db.psql(&format!(
                "SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
                 WHERE a.datname = '{}' AND a.application_name LIKE 'baigate-listener-%'",
                db.name
            )),
            "t",
            "the listener connection is encrypted too"
        );
        let unknown = crate::store::Store::open_postgres(&options(&url, false))
            .await
            .unwrap_err();
        assert!(unknown.is_unavailable(), "{unknown}");
        assert!(unknown.to_string().contains("UnknownIssuer"), "{unknown}");
        let other_name = url.replace("localhost", "127.0.0.1");
        let mismatch = crate::store::Store::open_postgres(&options(&other_name, true))
            .await
            .unwrap_err();
        assert!(
            mismatch.to_string().contains("not valid for name"),
            "{mismatch}"
        );
    }
}
