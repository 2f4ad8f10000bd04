//! HTTPS served by the companion itself (`server.tls`), with a certificate
//! authority made in the test: clients that trust it get in, the Secure
//! cookie and HSTS come with it, a renewed certificate is served without a
//! restart, and a broken pair stops the start with one line.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use baigate_e2e::tls::{ServerCertificate, TestCa};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

use crate::support::{PASSWORD, ServerProcess, cli_add_user, command};

/// A CA, a certificate for 127.0.0.1 from it, and the files the companion
/// is pointed at.
pub struct TlsSetup {
    pub ca: TestCa,
    pub ca_file: PathBuf,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    pub served: ServerCertificate,
}

impl TlsSetup {
    pub fn new(dir: &Path) -> Self {
        let ca = TestCa::new("baigate test CA").unwrap();
        let served = ca.issue(&["127.0.0.1", "localhost"]).unwrap();
        let setup = Self {
            ca_file: dir.join("ca.pem"),
            cert_file: dir.join("server.pem"),
            key_file: dir.join("server.key"),
            ca,
            served,
        };
        setup.ca.write_to(&setup.ca_file).unwrap();
        setup
            .served
            .install(&setup.cert_file, &setup.key_file)
            .unwrap();
        setup
    }

    pub fn env(&self) -> [(&'static str, &str); 2] {
        [
            (
                "BAIGATE_SERVER__TLS__CERT_FILE",
                self.cert_file.to_str().unwrap(),
            ),
            (
                "BAIGATE_SERVER__TLS__KEY_FILE",
                self.key_file.to_str().unwrap(),
            ),
        ]
    }

    /// An HTTP client that trusts this CA and nothing else.
    pub fn client(&self) -> ureq::Agent {
        let ca = ureq::tls::Certificate::from_pem(self.ca.pem.as_bytes()).unwrap();
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::new_with_certs(&[ca]))
                    .build(),
            )
            .build()
            .into()
    }

    /// The certificate the server at `authority` presents now, after a
    /// handshake that checked it against this CA.
    fn presented(&self, authority: &str) -> Vec<u8> {
        self.handshake(authority, &[]).0
    }

    /// A handshake offering the `alpn` protocols: the certificate presented
    /// and the protocol the server chose.
    fn handshake(&self, authority: &str, alpn: &[&[u8]]) -> (Vec<u8>, Option<Vec<u8>>) {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(self.ca.pem.as_bytes()).unwrap())
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let mut connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
        let mut socket = TcpStream::connect(authority).unwrap();
        while connection.is_handshaking() {
            connection.complete_io(&mut socket).unwrap();
        }
        (
            connection.peer_certificates().unwrap()[0].to_vec(),
            connection.alpn_protocol().map(<[u8]>::to_vec),
        )
    }
}

#[test]
fn https_with_an_organisation_ca() {
    let dir = tempfile::tempdir().unwrap();
    let tls = TlsSetup::new(dir.path());
    let data = dir.path().join("data");
    cli_add_user(&data, "user@example.com", "alice");
    let server = ServerProcess::start_with(&data, &[], &tls.env());
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );

    let agent = tls.client();
    let health = agent.get(format!("{}/health", server.url)).call().unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(
        health.headers()["strict-transport-security"],
        "max-age=31536000"
    );

    let login = agent
        .post(format!("{}/server/login", server.url))
        .send_json(serde_json::json!({"username": "alice", "password": PASSWORD}))
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");

    // HTTP/2 for clients that offer it (browsers do), HTTP/1.1 otherwise.
    let offered: [&[u8]; 2] = [b"h2", b"http/1.1"];
    let (_, chosen) = tls.handshake(server.authority(), &offered);
    assert_eq!(chosen.as_deref(), Some(&b"h2"[..]));
    let (_, chosen) = tls.handshake(server.authority(), &offered[1..]);
    assert_eq!(chosen.as_deref(), Some(&b"http/1.1"[..]));

    // A client that does not trust the CA is refused by its own check...
    let stranger: ureq::Agent = ureq::Agent::config_builder().build().into();
    let refused = stranger.get(format!("{}/health", server.url)).call();
    assert!(refused.is_err(), "an unknown CA was accepted");
    // ...and plain HTTP on the TLS port gets no answer, not a page.
    let mut plain = TcpStream::connect(server.authority()).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    plain
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer);
    assert!(
        !answer.starts_with(b"HTTP/1.1 200"),
        "plain HTTP was served over the TLS port"
    );
}

/// A renewal (certbot, an organisation's tooling) replaces the files; new
/// connections get the new certificate without a restart, and a broken
/// replacement keeps the one in use.
#[test]
fn a_renewed_certificate_is_served_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let tls = TlsSetup::new(dir.path());
    let log = dir.path().join("serve.log");
    let server = ServerProcess::start_logging(&dir.path().join("data"), &tls.env(), &log);
    assert_eq!(tls.presented(server.authority()), tls.served.der);

    // Half a renewal: a new key beside the old certificate. The companion
    // notices, says it keeps the pair in use, and serves it still.
    let other = tls.ca.issue(&["127.0.0.1"]).unwrap();
    std::fs::write(&tls.key_file, &other.key_pem).unwrap();
    let noticed = Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap()
        .contains("keeping the TLS certificate in use")
    {
        assert!(
            noticed.elapsed() < Duration::from_secs(15),
            "the changed key was never read"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(tls.presented(server.authority()), tls.served.der);

    let renewed = tls.ca.issue(&["127.0.0.1", "localhost"]).unwrap();
    renewed.install(&tls.cert_file, &tls.key_file).unwrap();
    let started = Instant::now();
    loop {
        let presented = tls.presented(server.authority());
        if presented == renewed.der {
            break;
        }
        assert_eq!(presented, tls.served.der);
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the renewed certificate was not picked up"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let health = tls
        .client()
        .get(format!("{}/health", server.url))
        .call()
        .unwrap();
    assert_eq!(health.status(), 200);
}

fn serve_fails(data: &Path, env: &[(&str, &str)]) -> String {
    let mut serve = command(data);
    serve
        .arg("--data-dir")
        .arg(data)
        .args(["serve", "--listen", "127.0.0.1:0"]);
    for (key, value) in env {
        serve.env(key, value);
    }
    let output = serve.output().unwrap();
    assert!(!output.status.success(), "the companion started");
    // The log may come first; the reason is the last line, on its own.
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.trim().lines().last().unwrap_or_default().to_owned();
    assert!(
        last.starts_with("baigate: ") && last.contains("server.tls"),
        "{stderr}"
    );
    last
}

#[test]
fn a_broken_pair_stops_the_start_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let tls = TlsSetup::new(dir.path());
    let data = dir.path().join("data");
    let env = tls.env();

    // An http:// public URL would keep cookies from being Secure.
    let mut plain_url = env.to_vec();
    plain_url.push(("BAIGATE_SERVER__PUBLIC_URL", "http://baigate.example.com"));
    let line = serve_fails(&data, &plain_url);
    assert!(line.contains("server.public_url"), "{line}");

    // The key of another certificate.
    let other = tls.ca.issue(&["127.0.0.1"]).unwrap();
    std::fs::write(&tls.key_file, &other.key_pem).unwrap();
    let line = serve_fails(&data, &env);
    assert!(
        line.contains("server.tls") && line.contains("does not belong"),
        "{line}"
    );

    // Not a certificate at all.
    std::fs::write(&tls.cert_file, "not a certificate\n").unwrap();
    let line = serve_fails(&data, &env);
    assert!(line.contains("server.tls.cert_file"), "{line}");

    // A missing key file.
    tls.served.install(&tls.cert_file, &tls.key_file).unwrap();
    std::fs::remove_file(&tls.key_file).unwrap();
    let line = serve_fails(&data, &env);
    assert!(line.contains("server.tls.key_file"), "{line}");
}
