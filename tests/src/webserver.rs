//! The real Backend.AI webserver 23.09.10 (PyPI `backend.ai-webserver`, in
//! the tool cache: `scripts/setup.sh test` installs it), with Debian's
//! Redis and the stand-in manager of `scripts/bench/standin_manager.py`,
//! started by `scripts/bench/peer.py serve` on free loopback ports: once
//! per test binary, ending with it (the script stops everything when its
//! stdin closes).

use std::io::Write;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, ensure};
use serde_json::{Value, json};

use crate::{announced_line, http, root};

/// The one account the stand-in manager accepts.
pub const EMAIL: &str = "bench@example.com";
pub const PASSWORD: &str = "S3cret!pass";
/// Its access key, which the webserver's login answer carries.
pub const ACCESS_KEY: &str = "AKIABENCHMARK0000001";

/// The virtualenv with `backend.ai-webserver==23.9.10`:
/// `BACKENDAI_WEBSERVER_VENV`, or where `scripts/lib.sh` installs it.
fn venv() -> PathBuf {
    if let Some(path) = std::env::var_os("BACKENDAI_WEBSERVER_VENV") {
        return PathBuf::from(path);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(|d| PathBuf::from(d).join("baigate"))
        .or_else(|| std::env::var_os("HOME").map(|d| PathBuf::from(d).join(".cache/baigate")))
        .unwrap_or_else(|| PathBuf::from(".cache/baigate"));
    cache.join("backendai-webserver-23.9.10")
}

/// The webserver and what stands behind it, running.
#[derive(Debug)]
pub struct BackendAiWebserver {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    redis_port: u16,
    _work_dir: tempfile::TempDir,
}

impl Drop for BackendAiWebserver {
    fn drop(&mut self) {
        // Closing stdin stops it cleanly; it is waited for.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

impl BackendAiWebserver {
    pub fn start() -> Result<Self> {
        let python = venv().join("bin/python");
        ensure!(
            python.exists(),
            "{} is missing: run scripts/setup.sh test (it installs backend.ai-webserver 23.9.10)",
            python.display()
        );
        let work_dir = tempfile::tempdir()?;
        let mut child = Command::new("python3")
            .arg(root().join("scripts/bench/peer.py"))
            .arg("serve")
            .arg(&python)
            .arg(work_dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting scripts/bench/peer.py serve")?;
        let url = announced_line(&mut child, "webserver ")
            .with_context(|| format!("see {}/peer.log", work_dir.path().display()))?;
        let redis_port = redis_port_of(&work_dir)?;
        Ok(Self {
            child,
            url,
            redis_port,
            _work_dir: work_dir,
        })
    }

    /// One for the whole test binary, started at first use.
    pub fn shared() -> Result<&'static Self> {
        static SHARED: OnceLock<std::result::Result<BackendAiWebserver, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| Self::start().map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|e| anyhow!("the Backend.AI webserver did not start: {e}"))
    }

    /// Makes the webserver forget every session (and login history), as a
    /// restart of its Redis would: `FLUSHALL`.
    pub fn forget_sessions(&self) -> Result<()> {
        let mut redis = TcpStream::connect(("127.0.0.1", self.redis_port))?;
        redis.set_read_timeout(Some(Duration::from_secs(5)))?;
        redis.write_all(b"*1\r\n$8\r\nFLUSHALL\r\n")?;
        let mut answer = [0_u8; 5];
        std::io::Read::read_exact(&mut redis, &mut answer)?;
        ensure!(&answer == b"+OK\r\n", "FLUSHALL answered {answer:?}");
        Ok(())
    }

    /// Whether the webserver takes `session` (the session header) as
    /// logged in.
    pub fn knows(&self, session: &str) -> Result<bool> {
        let answer: Value = http()
            .post(format!("{}/server/login-check", self.url))
            .header("X-BackendAI-SessionID", session)
            .send_json(json!({}))?
            .body_mut()
            .read_json()?;
        Ok(answer["authenticated"] == json!(true))
    }
}

/// The Redis port `peer.py` wrote into the webserver's configuration.
fn redis_port_of(work_dir: &tempfile::TempDir) -> Result<u16> {
    let config = std::fs::read_to_string(work_dir.path().join("webserver.conf"))?;
    config
        .lines()
        .find_map(|line| line.trim().strip_prefix("redis.addr = \"127.0.0.1:"))
        .and_then(|rest| rest.trim_end_matches('"').parse().ok())
        .context("no Redis address in webserver.conf")
}
