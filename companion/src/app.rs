//! Starting the companion: the data directory, the store, the domain, the
//! HTTP server.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::config::{Config, ConfigError};
use crate::domain::keys::KeyRing;
use crate::domain::{Domain, DomainError, Parts};
use crate::http::{AppState, TrustedProxies, app};
use crate::mail::{MailError, Mailer};
use crate::serve::{ConnectionLimits, TlsFiles, raise_open_file_limit, serve, tls_acceptor};
use crate::sso::openid::OpenIdProvider;
use crate::store::{CopyReport, KeyCheck, PgOptions, Store, StoreError};

/// How often expired sessions are swept from the database.
const PURGE_INTERVAL: Duration = Duration::from_secs(60);
/// Counters of unknown login names untouched this long are forgotten.
const GUARD_IDLE: i64 = 24 * 60 * 60;
/// How long in-flight requests get to finish on shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot use the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
    #[error("{0}")]
    Sso(String),
    #[error(transparent)]
    Tls(#[from] crate::serve::TlsError),
    #[error(
        "the secret key {path} (fingerprint {ours}) is not the key this database's secrets are \
         sealed with (fingerprint {recorded}): every companion on one database needs the same \
         secret.key; copy it from a companion that runs"
    )]
    KeyMismatch {
        path: String,
        ours: String,
        recorded: String,
    },
    #[error("db copy: {0}")]
    Copy(String),
}

/// Clocks further apart than this are worth a warning: lock windows, session
/// ends and the signature window are counted by each instance's own clock.
const CLOCK_SKEW_WARNING: i64 = 2;

/// Creates the data directory (owner-only) if it is missing.
fn prepare_data_dir(path: &Path) -> Result<(), StartError> {
    let fail = |source| StartError::DataDir {
        path: path.display().to_string(),
        source,
    };
    if !path.exists() {
        crate::private_files::create_dir(path).map_err(fail)?;
    }
    Ok(())
}

/// Opens the database `store.url` names (or the data directory's SQLite
/// file); `listen`: keep hearing other instances' session changes (a server).
async fn open_store(config: &Config, listen: bool) -> Result<Store, StoreError> {
    match &config.store.url {
        None => Store::open(&config.database_path()).await,
        Some(url) => {
            Store::open_postgres(&PgOptions {
                url: url.0.clone(),
                pool_size: usize::try_from(config.store.pool_size).unwrap_or(8),
                ca_file: config.store.ca_file.clone(),
                listen,
            })
            .await
        }
    }
}

/// Refuses a key other than the one the database's secrets are sealed
/// with (recording it when the database has none yet).
async fn check_key(store: &Store, keys: &KeyRing) -> Result<(), StartError> {
    match store
        .check_key_fingerprint(keys.fingerprint().to_owned())
        .await?
    {
        KeyCheck::Recorded | KeyCheck::Matches => Ok(()),
        KeyCheck::Differs(recorded) => Err(StartError::KeyMismatch {
            path: keys.path().display().to_string(),
            ours: keys.fingerprint().to_owned(),
            recorded,
        }),
    }
}

/// Opens the data directory and everything in it; the CLI and the server
/// both start here. `public_url` is where clients reach the server (links in
/// mails point there).
pub async fn open_domain(
    config: &Config,
    clock: Arc<dyn Clock>,
    public_url: &url::Url,
) -> Result<Domain, StartError> {
    open_domain_listening(config, clock, public_url, true).await
}

async fn open_domain_listening(
    config: &Config,
    clock: Arc<dyn Clock>,
    public_url: &url::Url,
    listen: bool,
) -> Result<Domain, StartError> {
    prepare_data_dir(&config.data_dir)?;
    let keys = KeyRing::load_or_create(&config.data_dir)?;
    let store = open_store(config, listen).await?;
    check_key(&store, &keys).await?;
    if let Some(skew) = store.clock_skew(clock.now()).await?
        && skew.abs() > CLOCK_SKEW_WARNING
    {
        tracing::warn!(
            seconds = skew,
            "this machine's clock and the database server's differ: lock windows and session \
             ends are counted by each companion's clock, so keep them in step (NTP)"
        );
    }
    let public_origin = public_url.origin().ascii_serialization();
    let mailer = Mailer::new(
        config.mail.smtp_url.as_deref(),
        &config.mail.from,
        config.outbox_dir(),
        &public_origin,
        clock.clone(),
    )?;
    Ok(Domain::new(
        Parts {
            store,
            keys,
            clock,
            mailer,
            public_origin,
        },
        config,
    ))
}

/// [`open_domain`] for commands that do not listen: links use the
/// configured address.
pub async fn open_domain_for_cli(
    config: &Config,
    clock: Arc<dyn Clock>,
) -> Result<Domain, StartError> {
    let public_url = config.public_url(config.listen)?;
    open_domain_listening(config, clock, &public_url, false).await
}

/// `baigate db copy --to <url>`: the data directory's SQLite database into
/// an empty PostgreSQL database, with the secret key's fingerprint.
pub async fn copy_database(config: &Config, to: &str) -> Result<CopyReport, StartError> {
    let path = config.database_path();
    if !path.is_file() {
        return Err(StartError::Copy(format!(
            "there is no SQLite database at {} to copy",
            path.display()
        )));
    }
    let keys = KeyRing::load_or_create(&config.data_dir)?;
    let source = Store::open(&path).await?;
    check_key(&source, &keys).await?;
    let target = Store::open_postgres(&PgOptions {
        url: to.to_owned(),
        pool_size: 1,
        ca_file: config.store.ca_file.clone(),
        listen: false,
    })
    .await?;
    Ok(source.copy_into(&target).await?)
}

/// A bound, ready server: call [`Running::serve`] to answer requests.
pub struct Running {
    pub local_addr: SocketAddr,
    pub public_url: url::Url,
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: ConnectionLimits,
    proxies: Arc<TrustedProxies>,
}

/// How often the TLS certificate's files are checked for a renewal.
const CERTIFICATE_RECHECK: Duration = Duration::from_secs(5);

/// Adds the configured identity providers: the OpenID provider discovered,
/// the SAML provider's metadata read (with its signing certificate).
pub async fn with_identity_providers(
    mut domain: Domain,
    config: &Config,
    public_url: &url::Url,
) -> Result<Domain, StartError> {
    let origin = public_url.origin().ascii_serialization();
    if let Some(openid) = &config.sso.openid {
        let callback = format!("{origin}/func/openid/redirect");
        let provider = OpenIdProvider::discover(openid, &callback)
            .await
            .map_err(|e| StartError::Sso(format!("sso.openid.issuer: {e}")))?;
        tracing::info!(issuer = %provider.issuer(), "OpenID provider discovered");
        domain = domain.with_openid(provider);
    }
    if let Some(saml) = &config.sso.saml {
        #[cfg(feature = "saml")]
        {
            let provider = crate::sso::saml::SamlProvider::load(saml, &origin)
                .await
                .map_err(|e| StartError::Sso(format!("sso.saml.idp_metadata: {e}")))?;
            tracing::info!(
                identity_provider = %provider.idp_entity_id(),
                entity_id = %provider.entity_id(),
                "SAML identity provider read"
            );
            domain = domain.with_saml(provider);
        }
        #[cfg(not(feature = "saml"))]
        {
            let _ = saml;
            return Err(StartError::Sso(
                "sso.saml: this build has no SAML support (build with the `saml` feature)".into(),
            ));
        }
    }
    Ok(domain)
}

/// Binds the listening socket and opens everything.
pub async fn bind(config: &Config, clock: Arc<dyn Clock>) -> Result<Running, StartError> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(StartError::Serve)?;
    let public_url = config.public_url(local_addr)?;
    let domain = open_domain(config, clock.clone(), &public_url).await?;
    let domain = with_identity_providers(domain, config, &public_url).await?;
    let tls = match &config.server.tls {
        Some(files) => Some(tls_acceptor(
            &TlsFiles {
                cert_file: files.cert_file.clone(),
                key_file: files.key_file.clone(),
            },
            CERTIFICATE_RECHECK,
        )?),
        None => None,
    };
    let open_files = raise_open_file_limit();
    // Leave room for the database, the log and outbound connections.
    let fitting = usize::try_from(open_files.saturating_sub(64)).unwrap_or(usize::MAX);
    let limits = ConnectionLimits {
        header_timeout: config.server.header_timeout,
        max_header_bytes: 32 * 1024,
        per_address: usize::try_from(config.server.max_connections_per_address).unwrap_or(64),
        total: usize::try_from(config.server.max_connections)
            .unwrap_or(4096)
            .min(fitting.max(1)),
        handshake_timeout: config.server.header_timeout,
    };
    let state = Arc::new(AppState::new(domain, &public_url, config, clock));
    Ok(Running {
        local_addr,
        public_url,
        proxies: state.trusted_proxies.clone(),
        state,
        listener,
        tls,
        limits,
    })
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("local_addr", &self.local_addr)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl Running {
    /// Answers requests until `shutdown` resolves.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send) -> Result<(), StartError> {
        let domain = self.state.domain.clone();
        domain.hasher().warm_up();
        let purge = tokio::spawn(purge_expired(domain, self.state.throttle.clone()));
        let result = serve(
            self.listener,
            app(self.state),
            self.tls,
            self.limits,
            self.proxies,
            shutdown,
            SHUTDOWN_GRACE,
        )
        .await
        .map_err(StartError::Serve);
        purge.abort();
        result
    }
}

/// Removes what has expired: sessions, idle lockout counters of unknown
/// names, throttle entries of quiet addresses.
async fn purge_expired(domain: Domain, throttle: crate::http::throttle::Throttle) {
    let mut ticker = tokio::time::interval(PURGE_INTERVAL);
    loop {
        ticker.tick().await;
        let now = domain.now();
        match domain.store().purge_expired_sessions(now).await {
            Ok(0) => {}
            Ok(count) => tracing::debug!(count, "expired sessions removed"),
            Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
        }
        if let Err(e) = domain.store().purge_guards(now, GUARD_IDLE).await {
            tracing::warn!(error = %e, "could not remove idle lockout counters");
        }
        if let Err(e) = domain.store().purge_sso(now).await {
            tracing::warn!(error = %e, "could not remove finished single sign-on logins");
        }
        if let Err(e) = domain.store().purge_saml(now).await {
            tracing::warn!(error = %e, "could not remove finished SAML logins");
        }
        throttle.forget_idle();
        if let Err(e) = domain.store().purge_signatures(now).await {
            tracing::warn!(error = %e, "could not forget expired signatures");
        }
    }
}
