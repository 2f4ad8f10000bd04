//! A throw-away PostgreSQL cluster for the tests (the companion's store
//! tests and the several-companions tests): Debian's `postgresql` package
//! (installed by `scripts/setup.sh test`), one cluster per test binary,
//! started at first use on a unix socket in a temporary directory, one
//! database per test. It also listens on a free loopback port with TLS (a
//! certificate for `localhost` from a CA made for the run), for the tests
//! of the store's TLS connections.
//!
//! The server is started from a thread that lives as long as the test
//! binary and waits on it, with a parent-death signal (`setpriv
//! --pdeathsig QUIT`, PostgreSQL's immediate shutdown): however the binary
//! ends — finished, panicked, killed with SIGKILL — the server goes with
//! it. Its directory is removed by the next test binary that starts one
//! (directories of processes that no longer run). As root (CI), `initdb`
//! and the server run as the `postgres` user, which the package creates.

// Test-harness code: a failed step is a failed test, so it panics with a
// message rather than threading errors through every test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The superuser `initdb` creates; the tests connect as it.
pub const USER: &str = "baigate";
const DIR_PREFIX: &str = "baigate-pg-";

/// The running cluster.
#[derive(Debug)]
pub struct Cluster {
    bin: PathBuf,
    socket_dir: PathBuf,
    /// The loopback TCP port (TLS), also in the socket's name.
    port: u16,
    /// The CA that issued the server's certificate (PEM file).
    ca_file: PathBuf,
    databases: AtomicU32,
}

/// One test's database; dropped with the test (connections still open to
/// it are ended).
#[derive(Debug)]
pub struct Database {
    pub name: String,
    /// `postgres://baigate@<socket dir>:5432/<name>`, for `store.url`.
    pub url: String,
    cluster: &'static Cluster,
}

impl Database {
    /// Runs SQL in this database with `psql`; returns its unaligned output.
    pub fn psql(&self, sql: &str) -> String {
        self.cluster.psql(&self.name, sql)
    }

    pub fn cluster(&self) -> &'static Cluster {
        self.cluster
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = self.cluster.try_psql(
            "postgres",
            &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name),
        );
    }
}

/// Where the PostgreSQL server binaries are: `pg_config --bindir`, else
/// the newest `/usr/lib/postgresql/<version>/bin`.
fn bin_dir() -> PathBuf {
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output()
        && output.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if dir.join("postgres").is_file() {
            return dir;
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).unwrap_or_else(|| {
        panic!(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres): \
             run scripts/setup.sh test, which installs Debian's postgresql"
        )
    })
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Removes the directories of clusters whose test binary has gone.
fn sweep_stale(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(DIR_PREFIX) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A command run as the cluster's owner (the `postgres` user under root).
fn as_owner(root: bool, program: &Path) -> Command {
    if root {
        let mut command = Command::new("setpriv");
        command
            .args([
                "--reuid=postgres",
                "--regid=postgres",
                "--init-groups",
                "--",
            ])
            .arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A CA made for this run (`ca_file`) and the server's certificate for
/// `localhost` with its key, readable by the server's user only.
fn write_certificates(base: &Path, ca_file: &Path, root: bool) {
    let ca = crate::tls::TestCa::new("baigate test database CA").expect("make a CA");
    ca.write_to(ca_file).expect("write the CA");
    let server = ca.issue(&["localhost"]).expect("issue a certificate");
    let cert = base.join("server.pem");
    let key = base.join("server.key");
    std::fs::write(&cert, &server.cert_pem).expect("write the certificate");
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&key)
            .expect("create the key file");
        std::io::Write::write_all(&mut file, server.key_pem.as_bytes()).expect("write the key");
    }
    if root {
        let status = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&cert)
            .arg(&key)
            .status()
            .expect("chown");
        assert!(status.success(), "chown the certificate to postgres");
    }
}

impl Cluster {
    /// The test binary's cluster, started at first use.
    pub fn shared() -> &'static Self {
        static SHARED: OnceLock<Cluster> = OnceLock::new();
        SHARED.get_or_init(Self::start)
    }

    fn start() -> Self {
        let bin = bin_dir();
        let tmp = std::env::temp_dir();
        sweep_stale(&tmp);
        let base = tmp.join(format!("{DIR_PREFIX}{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let data = base.join("data");
        let socket_dir = base.join("sock");
        std::fs::create_dir_all(&socket_dir).expect("create the cluster's directory");
        let root = running_as_root();
        if root {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&base)
                .status()
                .expect("chown");
            assert!(
                status.success(),
                "chown the cluster's directory to postgres"
            );
        }
        let started = Instant::now();
        let initdb = as_owner(root, &bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", USER, "--auth=trust", "--no-sync", "-E", "UTF8"])
            .args(["--locale=C.UTF-8", "--no-instructions"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("run initdb");
        assert!(
            initdb.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&initdb.stderr)
        );
        let ca_file = base.join("ca.pem");
        write_certificates(&base, &ca_file, root);
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let ready = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let server_ready = ready.clone();
        let server_bin = bin.join("postgres");
        let server_data = data.clone();
        let server_socket = socket_dir.clone();
        let server_base = base.clone();
        // The thread waits on the server for as long as the binary runs:
        // the parent-death signal follows the thread that started it. A
        // server that exits before it is ready (its port was taken since
        // it was chosen) is started again on another.
        std::thread::Builder::new()
            .name("postgres".into())
            .spawn(move || {
                for _ in 0..5 {
                    let port = free_port();
                    let mut command = Command::new("setpriv");
                    if root {
                        command.args(["--reuid=postgres", "--regid=postgres", "--init-groups"]);
                    }
                    let log = std::fs::File::create(server_base.join("server.log"))
                        .expect("create the server log");
                    let mut child = command
                        .args(["--pdeathsig", "QUIT", "--"])
                        .arg(&server_bin)
                        .arg("-D")
                        .arg(&server_data)
                        .arg("-k")
                        .arg(&server_socket)
                        .args(["-p", &port.to_string()])
                        .args(["-c", "listen_addresses=127.0.0.1"])
                        .args(["-c", "ssl=on"])
                        .arg("-c")
                        .arg(format!(
                            "ssl_cert_file={}",
                            server_base.join("server.pem").display()
                        ))
                        .arg("-c")
                        .arg(format!(
                            "ssl_key_file={}",
                            server_base.join("server.key").display()
                        ))
                        // Tests kill processes, not machines: a committed
                        // transaction survives a killed server without fsync
                        // (synchronous_commit stays on).
                        .args(["-c", "fsync=off", "-c", "full_page_writes=off"])
                        .args(["-c", "max_connections=400", "-c", "shared_buffers=32MB"])
                        .stdout(Stdio::null())
                        .stderr(log)
                        .spawn()
                        .expect("start postgres");
                    let _ = port_tx.send(port);
                    let _ = child.wait();
                    if server_ready.load(Ordering::Acquire) {
                        return;
                    }
                }
            })
            .expect("start the postgres thread");
        let mut port = port_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("postgres was started");
        while started.elapsed() < Duration::from_secs(60) {
            if let Ok(next) = port_rx.try_recv() {
                port = next;
            }
            let is_ready = Command::new(bin.join("pg_isready"))
                .arg("-q")
                .arg("-h")
                .arg(&socket_dir)
                .args(["-p", &port.to_string(), "-U", USER, "-d", "postgres"])
                .status()
                .is_ok_and(|s| s.success());
            if is_ready {
                ready.store(true, Ordering::Release);
                return Self {
                    bin,
                    socket_dir,
                    port,
                    ca_file,
                    databases: AtomicU32::new(0),
                };
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "PostgreSQL did not become ready; its log: {}",
            std::fs::read_to_string(base.join("server.log")).unwrap_or_default()
        );
    }

    /// A fresh, empty database.
    pub fn database(&'static self) -> Database {
        let n = self.databases.fetch_add(1, Ordering::Relaxed);
        let name = format!("t_{}_{n}", std::process::id());
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""));
        Database {
            url: self.url(&name),
            name,
            cluster: self,
        }
    }

    /// The URL of database `name`.
    pub fn url(&self, name: &str) -> String {
        let socket: String = self
            .socket_dir
            .to_string_lossy()
            .chars()
            .map(|c| match c {
                '/' => "%2F".to_owned(),
                ' ' => "%20".to_owned(),
                c => c.to_string(),
            })
            .collect();
        format!("postgres://{USER}@{socket}:{}/{name}", self.port)
    }

    /// The URL of database `name` over TCP with TLS required, as a
    /// database on another machine is reached (the certificate names
    /// `localhost`; [`Cluster::ca_file`] issued it).
    pub fn tls_url(&self, name: &str) -> String {
        format!(
            "postgres://{USER}@localhost:{}/{name}?sslmode=require",
            self.port
        )
    }

    /// The CA that issued the server's certificate, PEM.
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }

    /// Runs SQL in database `db`; returns its output (unaligned, no headers).
    pub fn psql(&self, db: &str, sql: &str) -> String {
        self.try_psql(db, sql)
            .unwrap_or_else(|error| panic!("psql {sql:?}: {error}"))
    }

    fn try_psql(&self, db: &str, sql: &str) -> Result<String, String> {
        let output = Command::new(self.bin.join("psql"))
            .arg("-h")
            .arg(&self.socket_dir)
            .args(["-p", &self.port.to_string(), "-U", USER, "-d", db])
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .map_err(|e| e.to_string())?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }

    /// The server's binaries (`pg_dump` and the like).
    pub fn bin(&self) -> &Path {
        &self.bin
    }
}
