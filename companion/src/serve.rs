//! Accepting connections and serving HTTP on them, with the limits a server
//! reachable from a network needs (poem's own server sets none):
//!
//! - a deadline for a request's headers (HTTP/1.1), which also closes a
//!   connection left idle between requests: slow senders and idle
//!   connections cannot hold a socket for long;
//! - a cap on the header bytes one connection may buffer;
//! - a cap on connections per client address (trusted proxies excepted,
//!   as they carry many clients) and in all, so one client cannot take every
//!   file descriptor; and the open-file limit raised at start;
//! - HTTPS when a certificate is configured, read again when its files
//!   change, so a renewed certificate needs no restart.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint, IntoResponse};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;

use crate::http::TrustedProxies;

/// The limits every connection is served under.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// How long a request's headers may take to arrive; also how long a
    /// connection may sit idle between requests.
    pub header_timeout: Duration,
    /// The most header bytes one connection may buffer (at least 8 KiB).
    pub max_header_bytes: usize,
    /// Connections one client address may hold at once.
    pub per_address: usize,
    /// Connections in all.
    pub total: usize,
    /// A TLS handshake's deadline.
    pub handshake_timeout: Duration,
}

/// Raises the soft open-file limit to the hard one, so the connection caps
/// (not the kernel) decide when to refuse; returns the limit now in force.
pub fn raise_open_file_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "could not raise the open-file limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
        }
    }
}

/// Open connections, per client address and in all.
#[derive(Debug, Default)]
struct Occupancy {
    per_address: HashMap<IpAddr, usize>,
    total: usize,
}

/// A connection counted in [`Occupancy`] while it lives.
#[derive(Debug)]
struct Seat {
    occupancy: Arc<Mutex<Occupancy>>,
    address: Option<IpAddr>,
}

impl Drop for Seat {
    fn drop(&mut self) {
        let Ok(mut occupancy) = self.occupancy.lock() else {
            return;
        };
        occupancy.total = occupancy.total.saturating_sub(1);
        if let Some(address) = self.address
            && let Some(count) = occupancy.per_address.get_mut(&address)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                occupancy.per_address.remove(&address);
            }
        }
    }
}

/// Takes a seat for a new connection, or `None` when a cap is reached.
fn seat(
    occupancy: &Arc<Mutex<Occupancy>>,
    peer: IpAddr,
    limits: &ConnectionLimits,
    proxies: &TrustedProxies,
) -> Option<Seat> {
    let mut guard = occupancy.lock().ok()?;
    if guard.total >= limits.total {
        return None;
    }
    // A trusted proxy carries many clients; it is capped only in all.
    let address = (!proxies.trusts(peer)).then_some(peer);
    if let Some(address) = address {
        let count = guard.per_address.entry(address).or_insert(0);
        if *count >= limits.per_address {
            return None;
        }
        *count += 1;
    }
    guard.total += 1;
    Some(Seat {
        occupancy: occupancy.clone(),
        address,
    })
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets the
/// requests under way finish (at most `grace`).
pub async fn serve<E>(
    listener: TcpListener,
    app: E,
    tls: Option<TlsAcceptor>,
    limits: ConnectionLimits,
    proxies: Arc<TrustedProxies>,
    shutdown: impl std::future::Future<Output = ()> + Send,
    grace: Duration,
) -> std::io::Result<()>
where
    E: Endpoint + 'static,
{
    let app = Arc::new(app);
    let local = listener.local_addr()?;
    let occupancy = Arc::new(Mutex::new(Occupancy::default()));
    let graceful = GracefulShutdown::new();
    let mut refused_logged = tokio::time::Instant::now();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, mostly: wait a moment rather
                    // than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let peer_ip = peer.ip().to_canonical();
        let Some(seat) = seat(&occupancy, peer_ip, &limits, &proxies) else {
            // Closing it at once is the answer; log at most once a second.
            if refused_logged.elapsed() >= Duration::from_secs(1) {
                tracing::warn!(peer = %peer_ip, "connection refused: too many open connections");
                refused_logged = tokio::time::Instant::now();
            }
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let limits = limits.clone();
        let tls = tls.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _seat = seat;
            let scheme = if tls.is_some() {
                Scheme::HTTPS
            } else {
                Scheme::HTTP
            };
            match tls {
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(limits.handshake_timeout, acceptor.accept(stream))
                            .await;
                    match handshake {
                        Ok(Ok(stream)) => {
                            serve_one(stream, app, local, peer, scheme, &limits, watcher).await;
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(peer = %peer, error = %e, "TLS handshake failed")
                        }
                        Err(_) => tracing::debug!(peer = %peer, "TLS handshake timed out"),
                    }
                }
                None => serve_one(stream, app, local, peer, scheme, &limits, watcher).await,
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => {
            tracing::info!("stopping with requests still under way");
        }
    }
    Ok(())
}

/// Serves HTTP/1.1 or HTTP/2 on one connection.
async fn serve_one<S, E>(
    stream: S,
    app: Arc<E>,
    local: SocketAddr,
    peer: SocketAddr,
    scheme: Scheme,
    limits: &ConnectionLimits,
    watcher: hyper_util::server::graceful::Watcher,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    E: Endpoint + 'static,
{
    let service =
        hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            let app = app.clone();
            let scheme = scheme.clone();
            async move {
                let request: poem::Request = (
                    request,
                    LocalAddr(Addr::SocketAddr(local)),
                    RemoteAddr(Addr::SocketAddr(peer)),
                    scheme,
                )
                    .into();
                let response = app.get_response(request).await.into_response();
                Ok::<_, std::convert::Infallible>(hyper::Response::from(response))
            }
        });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
        .max_concurrent_streams(64)
        .keep_alive_interval(Some(limits.header_timeout))
        .keep_alive_timeout(limits.header_timeout);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    if let Err(e) = watcher.watch(connection.into_owned()).await {
        tracing::debug!(peer = %peer, error = %e, "connection ended");
    }
}

// ------------------------------------------------------------------- TLS

/// The certificate and key files of `server.tls`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("server.tls.cert_file {path}: {reason}")]
    Certificate { path: String, reason: String },
    #[error("server.tls.key_file {path}: {reason}")]
    Key { path: String, reason: String },
    #[error("server.tls: the key does not belong to the certificate ({0})")]
    Mismatch(String),
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Reads and checks the pair: PEM certificate chain, PEM private key, and
/// the key must be the certificate's.
fn load_pair(files: &TlsFiles) -> Result<Arc<CertifiedKey>, TlsError> {
    let cert_error = |reason: String| TlsError::Certificate {
        path: files.cert_file.display().to_string(),
        reason,
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert_file)
        .map_err(|e| cert_error(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| cert_error(e.to_string()))?;
    if chain.is_empty() {
        return Err(cert_error("holds no PEM certificate".into()));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key_file).map_err(|e| TlsError::Key {
        path: files.key_file.display().to_string(),
        reason: e.to_string(),
    })?;
    let provider = rustls::crypto::ring::default_provider();
    let certified = CertifiedKey::from_der(chain, key, &provider)
        .map_err(|e| TlsError::Mismatch(e.to_string()))?;
    Ok(Arc::new(certified))
}

/// The certificate in use, replaced when its files change.
#[derive(Debug)]
struct ReloadingCertificate {
    files: TlsFiles,
    current: RwLock<(Arc<CertifiedKey>, Option<SystemTime>, Option<SystemTime>)>,
}

impl ResolvesServerCert for ReloadingCertificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|current| current.0.clone())
    }
}

impl ReloadingCertificate {
    /// Reads the files again if they changed since; a bad new pair is
    /// logged and the old one kept.
    fn refresh(&self) {
        let stamps = (
            modified(&self.files.cert_file),
            modified(&self.files.key_file),
        );
        let unchanged = self
            .current
            .read()
            .map(|current| (current.1, current.2) == stamps)
            .unwrap_or(true);
        if unchanged {
            return;
        }
        match load_pair(&self.files) {
            Ok(pair) => {
                if let Ok(mut current) = self.current.write() {
                    *current = (pair, stamps.0, stamps.1);
                    tracing::info!(cert = %self.files.cert_file.display(), "TLS certificate read again");
                }
            }
            Err(e) => tracing::warn!(error = %e, "keeping the TLS certificate in use"),
        }
    }
}

/// The TLS acceptor for `files`, after checking the pair; a task reads the
/// files again every `recheck` while the server runs.
pub fn tls_acceptor(files: &TlsFiles, recheck: Duration) -> Result<TlsAcceptor, TlsError> {
    let pair = load_pair(files)?;
    let resolver = Arc::new(ReloadingCertificate {
        files: files.clone(),
        current: RwLock::new((pair, modified(&files.cert_file), modified(&files.key_file))),
    });
    let watched = Arc::downgrade(&resolver);
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(recheck);
        loop {
            ticker.tick().await;
            let Some(resolver) = watched.upgrade() else {
                break;
            };
            resolver.refresh();
        }
    });
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Mismatch(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// For tests: the connection caps' bookkeeping.
#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_address: usize, total: usize) -> ConnectionLimits {
        ConnectionLimits {
            header_timeout: Duration::from_secs(10),
            max_header_bytes: 32 * 1024,
            per_address,
            total,
            handshake_timeout: Duration::from_secs(10),
        }
    }

    #[test]
    fn seats_are_capped_per_address_and_in_all_and_given_back() {
        let occupancy = Arc::new(Mutex::new(Occupancy::default()));
        let proxies = TrustedProxies(vec!["10.0.0.0/8".parse().unwrap()]);
        let limits = limits(2, 4);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let proxy: IpAddr = "10.1.1.1".parse().unwrap();
        let first = seat(&occupancy, a, &limits, &proxies).unwrap();
        let _second = seat(&occupancy, a, &limits, &proxies).unwrap();
        assert!(
            seat(&occupancy, a, &limits, &proxies).is_none(),
            "two per address"
        );
        let _other = seat(&occupancy, b, &limits, &proxies).unwrap();
        let _proxied = seat(&occupancy, proxy, &limits, &proxies).unwrap();
        assert!(
            seat(&occupancy, proxy, &limits, &proxies).is_none(),
            "four in all"
        );
        drop(first);
        assert!(
            seat(&occupancy, a, &limits, &proxies).is_some(),
            "a seat given back"
        );
    }
}
