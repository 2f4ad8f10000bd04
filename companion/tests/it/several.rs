//! Several companions on one PostgreSQL (issue 19): two `baigate serve`
//! processes, A and B, on one database of the test binary's throw-away
//! cluster, with one secret key and one SMTP server, each policy raced
//! across both.

use std::path::{Path, PathBuf};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use baigate_e2e::postgres::{Cluster, Database};
use serde_json::{Value, json};

use crate::smtp::SmtpServer;
use crate::support::{PASSWORD, ServerProcess, command, http, run_cli_env};

const WRONG: &str = "Wr0ng!password";
/// How soon a logout on one instance must be refused by the other.
const PROPAGATION: Duration = Duration::from_millis(100);

/// Two companions on one database.
struct Deployment {
    a: ServerProcess,
    b: ServerProcess,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    smtp: SmtpServer,
    db: Database,
}

impl Deployment {
    /// A and B started at the same moment on a fresh, empty database (they
    /// apply its schema once between them), each with its own data
    /// directory and the same secret key.
    fn start(settings: &[(&str, &str)]) -> Self {
        let db = Cluster::shared().database();
        let smtp = SmtpServer::start();
        let dir = tempfile::tempdir().unwrap();
        let key = random_key();
        for name in ["a", "b"] {
            write_key(&dir.path().join(name), &key);
        }
        let mut env = vec![
            ("BAIGATE_STORE__URL".to_owned(), db.url.clone()),
            ("BAIGATE_MAIL__SMTP_URL".to_owned(), smtp.url()),
            // All requests come from 127.0.0.1: the per-IP throttle (per
            // instance) would measure itself.
            (
                "BAIGATE_THROTTLE__PER_IP_PER_MINUTE".to_owned(),
                "0".to_owned(),
            ),
        ];
        env.extend(
            settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let (a, b) = std::thread::scope(|scope| {
            let env = &env;
            let dir = dir.path();
            let a = scope.spawn(move || start_instance(&dir.join("a"), env));
            let b = scope.spawn(move || start_instance(&dir.join("b"), env));
            (a.join().unwrap(), b.join().unwrap())
        });
        Self {
            a,
            b,
            dir,
            env,
            smtp,
            db,
        }
    }

    fn env(&self) -> Vec<(&str, &str)> {
        self.env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    fn data_dir(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A `baigate` command on A's data directory (so on the shared database).
    fn cli(&self, args: &[&str], stdin: &str) -> String {
        let output = run_cli_env(&self.data_dir("a"), args, stdin, &self.env());
        assert!(
            output.status.success(),
            "baigate {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Creates an account with the CLI; returns its access and secret keys.
    fn add_user(&self, email: &str, username: &str) -> (String, String) {
        let printed = self.cli(
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
        let field = |name: &str| {
            printed
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .unwrap()
                .to_owned()
        };
        (field("access key: "), field("secret key: "))
    }

    fn urls(&self) -> [&str; 2] {
        [&self.a.url, &self.b.url]
    }
}

fn start_instance(data_dir: &Path, env: &[(String, String)]) -> ServerProcess {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    ServerProcess::start_with(data_dir, &[], &env)
}

fn random_key() -> Vec<u8> {
    let mut key = vec![0; 32];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom").unwrap(), &mut key).unwrap();
    key
}

/// Writes a `secret.key` (owner-only) into a new data directory.
fn write_key(data_dir: &Path, key: &[u8]) {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    std::fs::DirBuilder::new()
        .mode(0o700)
        .recursive(true)
        .create(data_dir)
        .unwrap();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(data_dir.join("secret.key"))
        .unwrap();
    std::io::Write::write_all(&mut file, key).unwrap();
}

/// POSTs JSON; returns the status, the body and the session header.
fn post(url: &str, path: &str, body: &Value) -> (u16, Value, Option<String>) {
    let mut response = http().post(format!("{url}{path}")).send_json(body).unwrap();
    let session = response
        .headers()
        .get("x-backendai-sessionid")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        session,
    )
}

fn login(url: &str, username: &str, password: &str, force: bool) -> (u16, Value, Option<String>) {
    post(
        url,
        "/server/login",
        &json!({"username": username, "password": password, "force": force}),
    )
}

fn authenticated(url: &str, token: &str) -> bool {
    let check: Value = http()
        .post(format!("{url}/server/login-check"))
        .header("X-BackendAI-SessionID", token)
        .send_empty()
        .unwrap()
        .into_body()
        .read_json()
        .unwrap();
    check["authenticated"] == true
}

/// Runs `n` requests at once (released together by a barrier); request `i`
/// goes to A when `i` is even, to B when odd.
fn race<T: Send>(
    deployment: &Deployment,
    n: usize,
    request: impl Fn(usize, &str) -> T + Sync,
) -> Vec<T> {
    let barrier = Barrier::new(n);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (barrier, request) = (&barrier, &request);
                let url = deployment.urls()[i % 2];
                scope.spawn(move || {
                    barrier.wait();
                    request(i, url)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn wait_for(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Fifty wrong passwords at once, half to each instance, under every
/// alias of one account: exactly ten reach bcrypt (answered "credential
/// mismatch"), forty are refused as locked; then the right password is
/// refused by both, one lock mail went out, and an unlock from the CLI
/// opens both.
#[test]
fn the_lockout_counts_exactly_across_instances() {
    let deployment = Deployment::start(&[("BAIGATE_SESSION__MAX_CONCURRENT", "10")]);
    deployment.add_user("alice@example.com", "alice");
    let aliases = [
        "alice",
        "ALICE",
        "alice@example.com",
        "Alice@Example.COM",
        "ａｌｉｃｅ",
    ];
    let answers = race(&deployment, 50, |i, url| {
        login(url, aliases[i % aliases.len()], WRONG, false)
    });
    let mismatches = answers
        .iter()
        .filter(|(status, body, _)| {
            *status == 200 && body["data"]["details"] == "User credential mismatch."
        })
        .count();
    let locked = answers
        .iter()
        .filter(|(status, _, _)| *status == 429)
        .count();
    assert_eq!(
        (mismatches, locked),
        (10, 40),
        "{:?}",
        answers.iter().map(|(s, b, _)| (s, b)).collect::<Vec<_>>()
    );
    for url in deployment.urls() {
        let (status, _, session) = login(url, "alice", PASSWORD, false);
        assert_eq!(status, 429, "the right password is refused on {url}");
        assert!(session.is_none());
    }
    assert_eq!(
        deployment.db.psql(
            "SELECT failures, locked_until IS NOT NULL FROM login_guards WHERE key LIKE 'user:%'"
        ),
        "10|t"
    );
    wait_for("the lock mail", Duration::from_secs(10), || {
        !deployment.smtp.messages_to("alice@example.com").is_empty()
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        deployment.smtp.messages_to("alice@example.com").len(),
        1,
        "one lock mail"
    );
    deployment.cli(&["user", "unlock", "alice"], "");
    for url in deployment.urls() {
        let (_, body, _) = login(url, "alice", PASSWORD, false);
        assert_eq!(body["authenticated"], true, "unlocked on {url}: {body}");
    }
}

/// One logout round: a session made on A, B's cache warmed, the logout on
/// A, then B polled every 5 ms. Returns how long B took to refuse it.
fn logout_round(deployment: &Deployment, username: &str) -> Duration {
    let (a, b) = (&deployment.a.url, &deployment.b.url);
    let (_, body, token) = login(a, username, PASSWORD, false);
    let token = token.unwrap_or_else(|| panic!("no session: {body}"));
    for _ in 0..3 {
        assert!(authenticated(b, &token));
    }
    let response = http()
        .post(format!("{a}/server/logout"))
        .header("X-BackendAI-SessionID", &token)
        .send_empty()
        .unwrap();
    assert!(response.status().is_success());
    let ended = Instant::now();
    while authenticated(b, &token) {
        assert!(
            ended.elapsed() < PROPAGATION,
            "B still accepted the session {:?} after A's logout",
            ended.elapsed()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let took = ended.elapsed();
    for _ in 0..5 {
        assert!(!authenticated(b, &token), "B accepted it again");
    }
    took
}

fn health(url: &str) -> Value {
    http()
        .get(format!("{url}/health"))
        .call()
        .unwrap()
        .into_body()
        .read_json()
        .unwrap()
}

/// A logout on A is refused by B within 100 ms — also right after B's
/// listener connection was killed, while B reconnects, and after.
#[test]
fn a_logout_on_one_instance_is_refused_by_the_other_within_100_ms() {
    let deployment = Deployment::start(&[("BAIGATE_SESSION__MAX_CONCURRENT", "10")]);
    deployment.add_user("bob@example.com", "bob");
    let b = deployment.b.url.clone();
    wait_for("B's listener", Duration::from_secs(10), || {
        health(&b)["session_cache"] == "on"
    });
    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        slowest = slowest.max(logout_round(&deployment, "bob"));
    }
    let listener = format!("baigate-listener-{}", deployment.b.pid());
    let killed = deployment.db.psql(&format!(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE application_name = '{listener}'"
    ));
    assert_eq!(killed, "1", "B's listener connection was found and ended");
    for _ in 0..10 {
        slowest = slowest.max(logout_round(&deployment, "bob"));
    }
    wait_for("B listening again", Duration::from_secs(10), || {
        health(&b)["session_cache"] == "on"
    });
    assert_eq!(
        deployment.db.psql(&format!(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = '{listener}'"
        )),
        "1"
    );
    for _ in 0..10 {
        slowest = slowest.max(logout_round(&deployment, "bob"));
    }
    eprintln!("slowest propagation of a logout: {slowest:?}");
}

/// Twenty logins at once with a limit of one session, half to each
/// instance: one session. Then ten forced logins at once: still one, and
/// every other token is refused by both instances. (Every attempt reserves
/// a failure before its password is checked, so ten in flight at once
/// would also lock the account for a moment; the lockout allows fifty
/// here, so that only the session limit answers.)
#[test]
fn the_session_limit_holds_across_instances() {
    let deployment = Deployment::start(&[("BAIGATE_LOCKOUT__MAX_FAILURES", "50")]);
    deployment.add_user("carol@example.com", "carol");
    let answers = race(&deployment, 20, |_, url| {
        login(url, "carol", PASSWORD, false)
    });
    let started: Vec<_> = answers
        .iter()
        .filter(|(_, body, _)| body["authenticated"] == true)
        .collect();
    let refused = answers
        .iter()
        .filter(|(_, body, _)| {
            body["data"]["type"] == "https://api.backend.ai/probs/active-login-session-exists"
        })
        .count();
    assert_eq!(
        (started.len(), refused),
        (1, 19),
        "{:?}",
        answers.iter().map(|(s, b, _)| (s, b)).collect::<Vec<_>>()
    );

    let forced = race(&deployment, 10, |_, url| {
        login(url, "carol", PASSWORD, true)
    });
    let tokens: Vec<String> = forced
        .iter()
        .map(|(_, body, token)| {
            assert_eq!(body["authenticated"], true, "{body}");
            token.clone().unwrap()
        })
        .collect();
    let live: i64 = deployment
        .db
        .psql("SELECT count(*) FROM sessions")
        .parse()
        .unwrap();
    assert_eq!(live, 1, "one session after ten forced logins");
    std::thread::sleep(PROPAGATION);
    for url in deployment.urls() {
        let accepted = tokens.iter().filter(|t| authenticated(url, t)).count();
        assert_eq!(accepted, 1, "{url} accepts only the last session");
    }
}

/// Signups racing for one login name on the two instances: never two
/// accounts (the store's own tests race the fully crossed case, email x
/// with username y against email y with username x, which the API's
/// username rules cannot express).
#[test]
fn racing_signups_for_one_name_never_both_succeed() {
    let deployment = Deployment::start(&[
        ("BAIGATE_SIGNUP__MODE", "open"),
        ("BAIGATE_SIGNUP__VERIFY_EMAIL", "false"),
    ]);
    for round in 0..30 {
        let answers = race(&deployment, 2, |i, url| {
            let body = if round % 2 == 0 {
                // One username, two emails.
                json!({"email": format!("r{round}-{i}@example.com"), "username": format!("name{round}")})
            } else {
                // One email, two usernames.
                json!({"email": format!("r{round}@example.com"), "username": format!("name{round}-{i}")})
            };
            let mut body = body;
            body["password"] = json!(PASSWORD);
            body["agreement"] = json!(true);
            post(url, "/func/auth/signup", &body).0
        });
        let created = answers.iter().filter(|s| **s == 201).count();
        assert_eq!(created, 1, "round {round}: {answers:?}");
        assert!(answers.contains(&409), "round {round}: {answers:?}");
    }
}

/// The same one-time code sent to both instances at once logs in once.
#[test]
fn one_totp_code_logs_in_once_across_instances() {
    let deployment = Deployment::start(&[("BAIGATE_SESSION__MAX_CONCURRENT", "10")]);
    deployment.add_user("dave@example.com", "dave");
    let a = &deployment.a.url;
    let (_, _, token) = login(a, "dave", PASSWORD, false);
    let token = token.unwrap();
    let enrolment: Value = http()
        .post(format!("{a}/func/totp"))
        .header("X-BackendAI-SessionID", &token)
        .send_empty()
        .unwrap()
        .into_body()
        .read_json()
        .unwrap();
    let secret = totp_rs::Secret::Encoded(enrolment["totp_key"].as_str().unwrap().to_owned())
        .to_bytes()
        .unwrap();
    let confirmed = http()
        .post(format!("{a}/func/totp/verify"))
        .header("X-BackendAI-SessionID", &token)
        .send_json(json!({"otp": baigate_e2e::totp_code(&secret, -1).unwrap()}))
        .unwrap();
    assert_eq!(confirmed.status().as_u16(), 200);
    let code = baigate_e2e::totp_code(&secret, 0).unwrap();
    let answers = race(&deployment, 2, |_, url| {
        post(
            url,
            "/server/login",
            &json!({"username": "dave", "password": PASSWORD, "otp": code}),
        )
        .1
    });
    let sessions = answers
        .iter()
        .filter(|body| body["authenticated"] == true)
        .count();
    assert_eq!(sessions, 1, "{answers:?}");
}

/// A signed request accepted by one instance is refused by the other, and
/// by both after a restart.
#[test]
fn a_signed_request_works_once_across_instances() {
    let mut deployment = Deployment::start(&[]);
    let (access_key, secret_key) = deployment.add_user("erin@example.com", "erin");
    let signer = crate::keypair::Signer {
        access_key: &access_key,
        secret_key: &secret_key,
    };
    #[allow(
        clippy::disallowed_methods,
        reason = "the real servers read the wall clock"
    )]
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let date = crate::keypair::date_at(i64::try_from(now).unwrap());
    let host = "signed.example:443";
    let authorization = signer.authorization(
        "GET",
        "/func/auth/role",
        &date,
        host,
        "text/plain",
        "v7.20230615",
    );
    let send = |url: &str| {
        http()
            .get(format!("{url}/func/auth/role"))
            .header("Host", host)
            .header("Date", &date)
            .header("X-BackendAI-Version", "v7.20230615")
            .header("Content-Type", "text/plain")
            .header("Authorization", &authorization)
            .call()
            .unwrap()
            .status()
            .as_u16()
    };
    let mut answers = race(&deployment, 2, |_, url| send(url));
    answers.sort_unstable();
    assert_eq!(answers, [200, 401]);
    deployment.a.kill();
    deployment.b.kill();
    deployment.a = start_instance(&deployment.data_dir("a"), &deployment.env);
    deployment.b = start_instance(&deployment.data_dir("b"), &deployment.env);
    for url in deployment.urls() {
        assert_eq!(send(url), 401, "a replay after a restart, on {url}");
    }
}

/// Signups, eight at a time across both instances; A is killed (SIGKILL)
/// in the middle of them. Every signup that was answered 201 — by A
/// before it died, or by B — logs in on B.
#[test]
fn every_signup_answered_before_a_kill_logs_in_on_the_other() {
    let mut deployment = Deployment::start(&[
        ("BAIGATE_SIGNUP__MODE", "open"),
        ("BAIGATE_SIGNUP__VERIFY_EMAIL", "false"),
    ]);
    let urls = [deployment.a.url.clone(), deployment.b.url.clone()];
    let done = std::sync::atomic::AtomicUsize::new(0);
    let a_pid = deployment.a.pid();
    let created: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|worker| {
                let (urls, done) = (&urls, &done);
                scope.spawn(move || {
                    let agent = http();
                    let mut created = Vec::new();
                    for n in 0..25 {
                        let email = format!("s{worker}-{n}@example.com");
                        let url = &urls[(worker + n) % 2];
                        let answer =
                            agent
                                .post(format!("{url}/func/auth/signup"))
                                .send_json(json!({
                                    "email": email, "password": PASSWORD, "agreement": true
                                }));
                        if let Ok(response) = answer
                            && response.status().as_u16() == 201
                        {
                            created.push(email);
                        }
                        done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    created
                })
            })
            .collect();
        while done.load(std::sync::atomic::Ordering::SeqCst) < 60 {
            std::thread::sleep(Duration::from_millis(2));
        }
        // SIGKILL, mid-flight: no chance to finish anything.
        let killed = std::process::Command::new("kill")
            .args(["-KILL", &a_pid.to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    deployment.a.kill();
    assert!(
        created.len() >= 100,
        "only {} signups succeeded",
        created.len()
    );
    let b = &deployment.b.url;
    for email in &created {
        let (_, body, _) = login(b, email, PASSWORD, false);
        assert_eq!(body["authenticated"], true, "{email}: {body}");
    }
    let accounts: usize = deployment
        .db
        .psql("SELECT count(*) FROM users")
        .parse()
        .unwrap();
    assert!(accounts >= created.len());
}

/// A companion with another secret key refuses to start on the shared
/// database, naming its key; one without a mail server refuses too.
#[test]
fn an_instance_with_another_key_refuses_to_start() {
    let deployment = Deployment::start(&[]);
    let other = deployment.data_dir("c");
    write_key(&other, &random_key());
    let output = command(&other)
        .arg("--data-dir")
        .arg(&other)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .envs(deployment.env())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    let key = other.join("secret.key");
    assert!(
        error.contains(&key.display().to_string()) && error.contains("fingerprint"),
        "{error}"
    );
    let output = command(&other)
        .arg("--data-dir")
        .arg(&other)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("BAIGATE_STORE__URL", &deployment.db.url)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("mail.smtp_url"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The two that share the key still run.
    for url in deployment.urls() {
        assert_eq!(health(url)["engine"], "postgresql");
    }
}

/// A laptop's SQLite data moved into PostgreSQL with `baigate db copy`:
/// accounts, sessions and keys carry over, and new rows get new ids.
#[test]
fn db_copy_moves_a_laptop_into_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (access_key, _) = crate::support::cli_add_user_keys(&data, "frank@example.com", "frank");
    let laptop = ServerProcess::start(&data);
    let (_, _, token) = login(&laptop.url, "frank", PASSWORD, false);
    let token = token.unwrap();
    drop(laptop);
    let db = Cluster::shared().database();
    let smtp = SmtpServer::start();
    let copied = run_cli_env(&data, &["db", "copy", "--to", &db.url], "", &[]);
    assert!(
        copied.status.success(),
        "{}",
        String::from_utf8_lossy(&copied.stderr)
    );
    let printed = String::from_utf8_lossy(&copied.stdout);
    assert!(printed.contains("users"), "{printed}");
    assert!(printed.contains("secret.key"), "{printed}");
    let again = run_cli_env(&data, &["db", "copy", "--to", &db.url], "", &[]);
    assert!(
        !again.status.success(),
        "a second copy finds the target not empty"
    );

    let env = [
        ("BAIGATE_STORE__URL", db.url.as_str()),
        ("BAIGATE_MAIL__SMTP_URL", &smtp.url()),
    ];
    let server = ServerProcess::start_with(&data, &[], &env);
    assert!(
        authenticated(&server.url, &token),
        "the session carried over"
    );
    let listed = run_cli_env(&data, &["user", "list", "--json"], "", &env);
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains(&access_key), "{listed}");
    let added = run_cli_env(
        &data,
        &[
            "user",
            "add",
            "--email",
            "gina@example.com",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
        &env,
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert_eq!(db.psql("SELECT max(id) FROM users"), "2");
}

/// Debian's HAProxy running `docs/haproxy.cfg` (the file the README shows)
/// in front of the two companions; killed with the test.
struct Haproxy {
    child: std::process::Child,
    url: String,
}

impl Haproxy {
    fn start(a: &str, b: &str) -> Self {
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/haproxy.cfg");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&config)
            .env("BAIGATE_FRONT", format!("127.0.0.1:{port}"))
            .env("BAIGATE_A", a)
            .env("BAIGATE_B", b)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("haproxy is installed (scripts/setup.sh test installs it)");
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The README's HAProxy configuration in front of two companions: logins
/// and checks go round both, a client's own X-Forwarded-For is not
/// believed, a logout counts everywhere, and when one companion is killed
/// the other answers every request.
#[test]
fn two_companions_behind_haproxy() {
    let mut deployment = Deployment::start(&[
        ("BAIGATE_SERVER__TRUSTED_PROXIES", r#"["127.0.0.1/32"]"#),
        ("BAIGATE_SESSION__MAX_CONCURRENT", "10"),
    ]);
    deployment.add_user("hana@example.com", "hana");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let config = std::fs::read_to_string(root.join("docs/haproxy.cfg")).unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("```haproxy\n{config}```")),
        "the README shows docs/haproxy.cfg as it is"
    );
    let proxy = Haproxy::start(deployment.a.authority(), deployment.b.authority());
    let front = proxy.url.as_str();
    wait_for(
        "HAProxy with both companions up",
        Duration::from_secs(15),
        || {
            http()
                .get(format!("{front}/health"))
                .call()
                .is_ok_and(|r| r.status().as_u16() == 200)
        },
    );
    for _ in 0..4 {
        assert_eq!(health(front)["engine"], "postgresql");
    }
    let spoofed = http()
        .post(format!("{front}/server/login"))
        .header("X-Forwarded-For", "203.0.113.9")
        .send_json(json!({"username": "hana", "password": PASSWORD}))
        .unwrap();
    let token = spoofed
        .headers()
        .get("x-backendai-sessionid")
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .to_owned();
    assert_eq!(
        deployment
            .db
            .psql("SELECT client_ip FROM audit_events WHERE kind = 'login_ok'"),
        "127.0.0.1",
        "the address HAProxy saw, not the one the client wrote"
    );
    for _ in 0..20 {
        assert!(authenticated(front, &token));
    }
    let logout = http()
        .post(format!("{front}/server/logout"))
        .header("X-BackendAI-SessionID", &token)
        .send_empty()
        .unwrap();
    assert!(logout.status().is_success());
    std::thread::sleep(PROPAGATION);
    for _ in 0..10 {
        assert!(!authenticated(front, &token), "a logout counts on both");
    }

    let (_, _, token) = login(front, "hana", PASSWORD, false);
    let token = token.unwrap();
    deployment.a.kill();
    for _ in 0..30 {
        assert!(authenticated(front, &token), "B answers while A is down");
    }
}
