//! The log never carries a password, a token or a secret, and a login name
//! cannot forge a log line.

use serde_json::json;

use crate::support::{PASSWORD, ServerProcess, http, run_cli, session_of};

#[test]
fn logs_hold_no_secrets_at_any_level() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("server.log");
    let mut server = ServerProcess::start_logging(&data, &[("RUST_LOG", "trace")], &log);
    let output = run_cli(
        &data,
        &[
            "user",
            "add",
            "--email",
            "user@example.com",
            "--username",
            "alice",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    let secret = printed
        .lines()
        .find_map(|l| l.strip_prefix("secret key: "))
        .unwrap()
        .to_owned();
    let agent = http();
    let login = |username: &str, password: &str| {
        agent
            .post(format!("{}/server/login", server.url))
            .send_json(json!({"username": username, "password": password}))
            .unwrap()
    };
    let token = session_of(&login("alice", PASSWORD));
    login("alice", "Wr0ng!password-42");
    login(
        "eve\r\nINFO login succeeded user=admin",
        "Wr0ng!password-42",
    );
    agent
        .post(format!("{}/server/update-password-no-auth", server.url))
        .send_json(json!({"username": "alice", "current_password": PASSWORD, "new_password": "N3w!passphrase"}))
        .unwrap();
    agent
        .post(format!("{}/server/logout", server.url))
        .header("X-BackendAI-SessionID", &token)
        .send_empty()
        .unwrap();
    server.kill();

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("login succeeded"),
        "the log is written: {text}"
    );
    for needle in [
        PASSWORD,
        "Wr0ng!password-42",
        "N3w!passphrase",
        token.as_str(),
        secret.as_str(),
    ] {
        assert!(!text.contains(needle), "the log contains {needle:?}");
    }
    // The forged line did not start a line of its own.
    assert!(
        !text
            .lines()
            .any(|line| line.starts_with("INFO login succeeded user=admin")),
        "a login name forged a log line"
    );
}
