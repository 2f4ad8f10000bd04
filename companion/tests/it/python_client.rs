//! Interoperability with the real Backend.AI Python client (`backend.ai-client`
//! 23.9.10 from PyPI), in session mode, against a companion process.
//!
//! The client lives in a virtualenv that `scripts/test.sh` installs; its path
//! comes from `BACKENDAI_CLIENT_VENV`, else the scripts' cache directory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::support::{PASSWORD, ServerProcess, cli_add_user, http};

fn client_venv() -> PathBuf {
    if let Some(path) = std::env::var_os("BACKENDAI_CLIENT_VENV") {
        return PathBuf::from(path);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(|d| PathBuf::from(d).join("baigate"))
        .or_else(|| std::env::var_os("HOME").map(|d| PathBuf::from(d).join(".cache/baigate")))
        .expect("HOME is set");
    cache.join("backendai-client-23.9.10")
}

struct PythonClient {
    venv: PathBuf,
    home: tempfile::TempDir,
    endpoint: String,
    /// A CA file the client trusts (OpenSSL's `SSL_CERT_FILE`), for HTTPS.
    trusted_ca: Option<PathBuf>,
}

impl PythonClient {
    fn new(endpoint: &str) -> Self {
        let venv = client_venv();
        assert!(
            venv.join("bin/backend.ai").is_file(),
            "the Backend.AI client is not installed at {}; run ./scripts/test.sh, which installs it",
            venv.display()
        );
        Self {
            venv,
            home: tempfile::tempdir().unwrap(),
            endpoint: endpoint.to_owned(),
            trusted_ca: None,
        }
    }

    /// The same client, trusting only the CA in `ca_file`.
    fn trusting(mut self, ca_file: &Path) -> Self {
        self.trusted_ca = Some(ca_file.to_owned());
        self
    }

    /// Runs `backend.ai <args>` detached from any terminal (so `getpass`
    /// reads standard input), in session mode.
    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut command = Command::new("setsid");
        if let Some(ca_file) = &self.trusted_ca {
            command.env("SSL_CERT_FILE", ca_file);
        }
        let mut child = command
            .arg(self.venv.join("bin/backend.ai"))
            .args(args)
            .env("HOME", self.home.path())
            .env("BACKEND_ENDPOINT", &self.endpoint)
            .env("BACKEND_ENDPOINT_TYPE", "session")
            .env("PYTHONWARNINGS", "ignore")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run backend.ai (is util-linux's setsid installed?)");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// The session cookie the client saved in its cookie jar.
    fn saved_session(&self) -> Option<String> {
        let jar = self.home.path().join(".local/state/backend.ai/cookie.dat");
        if !jar.exists() {
            return None;
        }
        let script = "import pickle, sys\n\
                      jar = pickle.load(open(sys.argv[1], 'rb'))\n\
                      for cookie in jar.values():\n\
                      \x20   if 'AIOHTTP_SESSION' in cookie:\n\
                      \x20       print(cookie['AIOHTTP_SESSION'].value)\n";
        let output = Command::new(self.venv.join("bin/python"))
            .args(["-c", script])
            .arg(&jar)
            .output()
            .unwrap();
        let value = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        (!value.is_empty()).then_some(value)
    }
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn login_check(url: &str, token: &str) -> Value {
    login_check_with(&http(), url, token)
}

fn login_check_with(agent: &ureq::Agent, url: &str, token: &str) -> Value {
    agent
        .post(format!("{url}/server/login-check"))
        .header("Cookie", format!("AIOHTTP_SESSION={token}"))
        .send_empty()
        .unwrap()
        .into_body()
        .read_json()
        .unwrap()
}

fn start(data: &Path) -> (ServerProcess, String) {
    let server = ServerProcess::start(data);
    let access_key = cli_add_user(data, "user@example.com", "alice");
    (server, access_key)
}

#[test]
fn the_real_client_logs_in_and_out() {
    let dir = tempfile::tempdir().unwrap();
    let (server, access_key) = start(&dir.path().join("data"));
    let client = PythonClient::new(&server.url);

    let output = client.run(&["login"], &format!("alice\n{PASSWORD}\n"));
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("Login succeeded"),
        "{}",
        text(&output)
    );
    let token = client
        .saved_session()
        .expect("the client kept a session cookie");
    let check = login_check(&server.url, &token);
    assert_eq!(check["authenticated"], true, "{check}");
    assert_eq!(check["data"]["access_key"], access_key.as_str());

    let output = client.run(&["logout"], "");
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("Logout done"), "{}", text(&output));
    assert_eq!(login_check(&server.url, &token)["authenticated"], false);
}

/// Over HTTPS the client checks the certificate: it refuses a server whose
/// CA it was not given, and logs in and out once told to trust the team's CA.
#[test]
fn the_real_client_logs_in_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let tls = crate::tls::TlsSetup::new(dir.path());
    let data = dir.path().join("data");
    let access_key = cli_add_user(&data, "user@example.com", "alice");
    let server = ServerProcess::start_with(&data, &[], &tls.env());
    assert!(server.url.starts_with("https://"), "{}", server.url);

    let untrusting = PythonClient::new(&server.url);
    let output = untrusting.run(&["login"], &format!("alice\n{PASSWORD}\n"));
    assert!(
        !text(&output).contains("Login succeeded"),
        "{}",
        text(&output)
    );
    assert!(
        text(&output).contains("CERTIFICATE_VERIFY_FAILED"),
        "{}",
        text(&output)
    );

    let client = PythonClient::new(&server.url).trusting(&tls.ca_file);
    let output = client.run(&["login"], &format!("alice\n{PASSWORD}\n"));
    assert!(
        text(&output).contains("Login succeeded"),
        "{}",
        text(&output)
    );
    let token = client
        .saved_session()
        .expect("the client kept a session cookie");
    let agent = tls.client();
    let check = login_check_with(&agent, &server.url, &token);
    assert_eq!(check["authenticated"], true, "{check}");
    assert_eq!(check["data"]["access_key"], access_key.as_str());

    let output = client.run(&["logout"], "");
    assert!(text(&output).contains("Logout done"), "{}", text(&output));
    assert_eq!(
        login_check_with(&agent, &server.url, &token)["authenticated"],
        false
    );
}

#[test]
fn the_real_client_reports_a_wrong_password() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start(&dir.path().join("data"));
    let client = PythonClient::new(&server.url);
    let output = client.run(&["login"], "alice\nWr0ng!password\n");
    assert!(!output.status.success(), "{}", text(&output));
    let printed = text(&output);
    assert!(printed.contains("Login failed"), "{printed}");
    assert!(printed.contains("User credential mismatch."), "{printed}");
    // Whatever the client kept is not a session.
    if let Some(token) = client.saved_session() {
        assert_eq!(login_check(&server.url, &token)["authenticated"], false);
    }
}

/// The real client prompts for the one-time code when the answer says
/// "OTP not provided", and logs in with it.
#[test]
fn the_real_client_logs_in_with_a_one_time_code() {
    use baigate_companion::domain::otp::{STEP_SECONDS, code_for_step};

    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start(&dir.path().join("data"));
    let agent = http();
    // Turn 2FA on through the API, as the extension would.
    let login = agent
        .post(format!("{}/server/login", server.url))
        .send_json(serde_json::json!({"username": "alice", "password": PASSWORD}))
        .unwrap();
    let session = crate::support::session_of(&login);
    let enrolment: Value = agent
        .post(format!("{}/func/totp", server.url))
        .header("X-BackendAI-SessionID", &session)
        .send_empty()
        .unwrap()
        .into_body()
        .read_json()
        .unwrap();
    let secret = crate::totp::secret_of(enrolment["totp_key"].as_str().unwrap());
    // The binary runs on the wall clock, so its codes are computed from it.
    #[allow(
        clippy::disallowed_methods,
        reason = "the real server reads the wall clock"
    )]
    let now = || {
        i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        )
        .unwrap()
    };
    let confirm = code_for_step(&secret, now() / STEP_SECONDS - 1).unwrap();
    let confirmed = agent
        .post(format!("{}/func/totp/verify", server.url))
        .header("X-BackendAI-SessionID", &session)
        .send_json(serde_json::json!({"otp": confirm}))
        .unwrap();
    assert_eq!(confirmed.status().as_u16(), 200);
    agent
        .post(format!("{}/server/logout", server.url))
        .header("X-BackendAI-SessionID", &session)
        .send_empty()
        .unwrap();

    let client = PythonClient::new(&server.url);
    let code = code_for_step(&secret, now() / STEP_SECONDS).unwrap();
    let output = client.run(&["login"], &format!("alice\n{PASSWORD}\n{code}\n"));
    let printed = text(&output);
    assert!(output.status.success(), "{printed}");
    assert!(
        printed.contains("One-time Password"),
        "the client asked for the code: {printed}"
    );
    assert!(printed.contains("Login succeeded"), "{printed}");
    let token = client.saved_session().unwrap();
    assert_eq!(login_check(&server.url, &token)["authenticated"], true);
}

/// API mode: the real client signs requests with its own `generate_signature`.
#[test]
fn the_real_client_signs_requests_in_api_mode() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = ServerProcess::start(&data);
    let output = crate::support::run_cli(
        &data,
        &[
            "user",
            "add",
            "--email",
            "api@example.com",
            "--username",
            "api",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    let key = |prefix: &str| {
        printed
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap()
            .to_owned()
    };
    let (access_key, secret_key) = (key("access key: "), key("secret key: "));
    let venv = client_venv();
    let script = r#"
import asyncio, json
from ai.backend.client.session import AsyncSession
from ai.backend.client.request import Request

async def main():
    async with AsyncSession():
        for path, params in (("/auth/role", {"group": "8c4e2f16"}), ("/auth", {"echo": "signed"})):
            rqst = Request("GET", path, params=params)
            async with rqst.fetch() as resp:
                print(json.dumps(await resp.json()))

asyncio.run(main())
"#;
    let run = |secret: &str| {
        Command::new(venv.join("bin/python"))
            .args(["-c", script])
            .env("HOME", dir.path())
            .env("BACKEND_ENDPOINT", &server.url)
            .env("BACKEND_ENDPOINT_TYPE", "api")
            .env("BACKEND_ACCESS_KEY", &access_key)
            .env("BACKEND_SECRET_KEY", secret)
            .env("PYTHONWARNINGS", "ignore")
            .output()
            .unwrap()
    };
    let output = run(&secret_key);
    assert!(output.status.success(), "{}", text(&output));
    let lines: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["global_role"], "user");
    assert_eq!(
        lines[1],
        serde_json::json!({"authorized": "yes", "echo": "signed"})
    );
    // A wrong secret is refused.
    let refused = run(&"x".repeat(40));
    assert!(!refused.status.success());
    assert!(text(&refused).contains("401"), "{}", text(&refused));
}
