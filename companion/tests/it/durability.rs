//! A committed write survives the process being killed.

use serde_json::{Value, json};

use crate::support::{PASSWORD, ServerProcess, cli_add_user, http, session_of};

#[test]
fn sessions_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = ServerProcess::start(&data);
    cli_add_user(&data, "user@example.com", "alice");
    let agent = http();
    let response = agent
        .post(format!("{}/server/login", server.url))
        .send_json(json!({"username": "alice", "password": PASSWORD}))
        .unwrap();
    let token = session_of(&response);
    // The answer came back, so the session is committed. Kill without warning.
    server.kill();

    let server = ServerProcess::start(&data);
    let check: Value = agent
        .post(format!("{}/server/login-check", server.url))
        .header("X-BackendAI-SessionID", &token)
        .send_empty()
        .unwrap()
        .into_body()
        .read_json()
        .unwrap();
    assert_eq!(check["authenticated"], true, "{check}");
    let db = rusqlite::Connection::open(data.join("baigate.sqlite3")).unwrap();
    let logins: i64 = db
        .query_row(
            "SELECT count(*) FROM audit_events WHERE kind = 'login_ok'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(logins, 1);
}
