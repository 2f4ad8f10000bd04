//! Test fixtures: an in-process app on a real SQLite file with a clock the
//! test moves, and the real `baigate` binary started the way a user starts it.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use baigate_companion::app::{open_domain, with_identity_providers};
use baigate_companion::clock::ManualClock;
use baigate_companion::config::Config;
use baigate_companion::domain::Domain;
use baigate_companion::domain::accounts::{CreatedAccount, NewAccount};
use baigate_companion::http::{AppState, app};
use baigate_companion::model::{ClientInfo, Role};
use poem::endpoint::BoxEndpoint;
use poem::http::{HeaderMap, StatusCode};
use poem::test::{TestClient, TestResponse};
use poem::{EndpointExt, Response};
use serde_json::Value;
use tempfile::TempDir;

/// 2027-01-15T08:00:00Z: tests start here and move the clock themselves.
pub const START: i64 = 1_800_000_000;
pub const PASSWORD: &str = "S3cret!pass";

/// The companion in-process, on a fresh data directory.
pub struct TestApp {
    pub client: TestClient<BoxEndpoint<'static, Response>>,
    pub domain: Domain,
    pub clock: ManualClock,
    pub config: Config,
    /// Kept so the data directory lives as long as the app.
    _dir: TempDir,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with(|_| {}).await
    }

    /// An app whose accounts may hold several sessions at once.
    pub async fn multi_session() -> Self {
        Self::with(|config| config.session.max_concurrent = 10).await
    }

    /// An app with a configuration adjusted by `adjust` (bcrypt cost 4 unless set).
    pub async fn with(adjust: impl FnOnce(&mut Config)) -> Self {
        if std::env::var_os("TEST_LOG").is_some() {
            baigate_companion::logging::init("debug");
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config {
            data_dir: dir.path().join("data"),
            ..Config::default()
        };
        config.password.bcrypt_cost = 4;
        adjust(&mut config);
        config.validate().expect("test configuration is valid");
        let clock = ManualClock::starting_at(START);
        let public_url = config
            .public_url("127.0.0.1:8090".parse().expect("address"))
            .expect("public url");
        let domain = open_domain(&config, Arc::new(clock.clone()), &public_url)
            .await
            .expect("open the data directory");
        let domain = with_identity_providers(domain, &config, &public_url)
            .await
            .expect("set up the test identity providers");
        let state = Arc::new(AppState::new(
            domain.clone(),
            &public_url,
            &config,
            Arc::new(clock.clone()),
        ));
        let client = TestClient::new(app(state).map_to_response().boxed());
        Self {
            client,
            domain,
            clock,
            config,
            _dir: dir,
        }
    }

    pub async fn add_user(&self, email: &str, username: Option<&str>) -> CreatedAccount {
        self.add_user_with(email, username, PASSWORD, Role::User)
            .await
    }

    pub async fn add_user_with(
        &self,
        email: &str,
        username: Option<&str>,
        password: &str,
        role: Role,
    ) -> CreatedAccount {
        self.domain
            .create_account(
                NewAccount {
                    email: email.to_owned(),
                    username: username.map(str::to_owned),
                    role,
                    password: password.to_owned(),
                },
                ClientInfo::default(),
            )
            .await
            .expect("create account")
    }

    /// POSTs a JSON body.
    pub async fn post_json(&self, path: &str, body: &Value) -> Answer {
        Answer::from(self.client.post(path).body_json(body).send().await).await
    }

    /// POSTs a JSON body with an `Accept-Language`.
    pub async fn post_json_in(&self, path: &str, body: &Value, language: &str) -> Answer {
        Answer::from(
            self.client
                .post(path)
                .header("Accept-Language", language)
                .body_json(body)
                .send()
                .await,
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Answer {
        Answer::from(self.client.get(path).send().await).await
    }

    /// POSTs an HTML form, as a browser does from the companion's pages:
    /// under their `Referrer-Policy: no-referrer`, with `Origin: null`.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body = serde_urlencoded::to_string(fields).expect("form encoding");
        Answer::from(
            self.client
                .post(path)
                .content_type("application/x-www-form-urlencoded")
                .header("Origin", "null")
                .body(body)
                .send()
                .await,
        )
        .await
    }

    /// Signs up through the JSON API.
    pub async fn sign_up(&self, body: Value) -> Answer {
        self.post_json("/func/auth/signup", &body).await
    }

    /// Issues an invitation; returns its token.
    pub async fn invitation(&self, uses: i64, lifetime: i64, email: Option<&str>) -> String {
        self.domain
            .create_invitation(uses, lifetime, email)
            .await
            .expect("create invitation")
            .token
    }

    pub async fn login(&self, username: &str, password: &str) -> Answer {
        self.post_json(
            "/server/login",
            &serde_json::json!({"username": username, "password": password}),
        )
        .await
    }

    /// Logs in and returns the session token.
    pub async fn session(&self, username: &str, password: &str) -> String {
        let answer = self.login(username, password).await;
        assert_eq!(answer.json()["authenticated"], true, "{}", answer.text());
        answer
            .header("x-backendai-sessionid")
            .expect("session header")
            .to_owned()
    }

    pub async fn login_check(&self, token: &str) -> Value {
        Answer::from(
            self.client
                .post("/server/login-check")
                .header("X-BackendAI-SessionID", token)
                .send()
                .await,
        )
        .await
        .json()
    }

    /// A direct connection to the database file, for checks the API does not offer.
    pub fn database(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.config.database_path()).expect("open database")
    }

    pub fn audit_kinds(&self) -> Vec<String> {
        let db = self.database();
        let mut stmt = db
            .prepare("SELECT kind FROM audit_events ORDER BY id")
            .expect("prepare");
        stmt.query_map([], |row| row.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    }
}

/// A response, read whole.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub async fn from(response: TestResponse) -> Self {
        let response = response.0;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .into_vec()
            .await
            .expect("read the response body");
        Self {
            status,
            headers,
            body,
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The built `baigate` binary.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_baigate")
}

/// A `baigate` command with a clean environment: no `BAIGATE_*` from the
/// caller, a throw-away HOME, fast bcrypt.
pub fn command(home: &Path) -> Command {
    let mut command = Command::new(binary());
    for (key, _) in std::env::vars() {
        if key.starts_with("BAIGATE_") || key == "RUST_LOG" {
            command.env_remove(key);
        }
    }
    command
        .env("HOME", home)
        .env_remove("XDG_DATA_HOME")
        .env("BAIGATE_PASSWORD__BCRYPT_COST", "4");
    command
}

/// Runs a CLI command with `stdin` as input.
pub fn run_cli(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    run_cli_env(data_dir, args, stdin, &[])
}

/// [`run_cli`] with extra environment variables.
pub fn run_cli_env(data_dir: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut command = command(data_dir);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start baigate");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait for baigate")
}

/// Creates an account with the CLI; returns its access and secret keys.
pub fn cli_add_user_keys(data_dir: &Path, email: &str, username: &str) -> (String, String) {
    let output = run_cli(
        data_dir,
        &[
            "user",
            "add",
            "--email",
            email,
            "--username",
            username,
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "user add failed: {stdout}");
    let field = |name: &str| {
        stdout
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .expect("the keys are printed")
            .to_owned()
    };
    (field("access key: "), field("secret key: "))
}

/// Creates an account with the CLI; returns its access key.
pub fn cli_add_user(data_dir: &Path, email: &str, username: &str) -> String {
    let output = run_cli(
        data_dir,
        &[
            "user",
            "add",
            "--email",
            email,
            "--username",
            username,
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "user add failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("access key: "))
        .expect("the access key is printed")
        .to_owned()
}

/// `baigate serve` as a separate process, on a free loopback port.
pub struct ServerProcess {
    child: Child,
    pub url: String,
}

impl ServerProcess {
    pub fn start(data_dir: &Path) -> Self {
        Self::start_with(data_dir, &[], &[])
    }

    /// Starts with extra `serve` arguments and environment; waits for the
    /// line announcing the address.
    pub fn start_with(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::spawn(data_dir, args, env, Stdio::null())
    }

    /// Like [`ServerProcess::start_with`], with the server's log written to `log`.
    pub fn start_logging(data_dir: &Path, env: &[(&str, &str)], log: &Path) -> Self {
        let file = std::fs::File::create(log).expect("create the log file");
        Self::spawn(data_dir, &[], env, Stdio::from(file))
    }

    fn spawn(data_dir: &Path, args: &[&str], env: &[(&str, &str)], stderr: Stdio) -> Self {
        let mut command = command(data_dir);
        command
            .arg("--data-dir")
            .arg(data_dir)
            .arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(stderr);
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start baigate serve");
        let url = baigate_e2e::announced_address(&mut child).expect("baigate serve starts");
        Self { child, url }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its resident memory now, in KiB (`VmRSS`).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .expect("VmRSS")
    }

    /// `host:port` it listens on.
    pub fn authority(&self) -> &str {
        self.url
            .trim_start_matches("http://")
            .trim_start_matches("https://")
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A blocking HTTP client that returns 4xx/5xx answers instead of errors.
pub fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// The session token a login answer carries in its header.
pub fn session_of<B>(response: &ureq::http::Response<B>) -> String {
    response
        .headers()
        .get("x-backendai-sessionid")
        .and_then(|v| v.to_str().ok())
        .expect("the answer carries a session")
        .to_owned()
}
