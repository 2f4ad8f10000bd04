//! The per-IP throttle, over real sockets (the client's address comes from
//! the connection, or from `X-Forwarded-For` behind a trusted proxy).

use serde_json::{Value, json};

use crate::support::{PASSWORD, ServerProcess, cli_add_user, http};

fn login(url: &str, forwarded_for: Option<&str>, password: &str) -> (u16, Value, Option<String>) {
    let mut request = http().post(format!("{url}/server/login"));
    if let Some(ip) = forwarded_for {
        request = request.header("X-Forwarded-For", ip);
    }
    let response = request
        .send_json(json!({"username": "alice", "password": password}))
        .unwrap();
    let status = response.status().as_u16();
    let retry = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.into_body().read_json().unwrap_or(Value::Null);
    (status, body, retry)
}

fn audit_ips(data: &std::path::Path) -> Vec<Option<String>> {
    let db = rusqlite::Connection::open(data.join("baigate.sqlite3")).unwrap();
    let mut stmt = db
        .prepare("SELECT client_ip FROM audit_events WHERE kind = 'login_failed' ORDER BY id")
        .unwrap();
    stmt.query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn one_address_gets_its_quota_then_429_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = ServerProcess::start_with(
        &data,
        &[],
        &[
            ("BAIGATE_THROTTLE__PER_IP_PER_MINUTE", "5"),
            ("BAIGATE_LOCKOUT__MAX_FAILURES", "50"),
            ("BAIGATE_LOCKOUT__MAX_CONSECUTIVE", "100"),
        ],
    );
    cli_add_user(&data, "user@example.com", "alice");
    for _ in 0..5 {
        let (status, body, _) = login(&server.url, None, "Wr0ng!password");
        assert_eq!(status, 200, "{body}");
    }
    let (status, body, retry) = login(&server.url, None, PASSWORD);
    assert_eq!(status, 429, "{body}");
    assert_eq!(
        body["type"],
        "https://api.backend.ai/probs/rate-limit-exceeded"
    );
    let retry: u64 = retry.unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(
        audit_ips(&data).len(),
        5,
        "the refused attempt was never checked"
    );
    // Without a trusted proxy, X-Forwarded-For changes nothing.
    let (status, _, _) = login(&server.url, Some("203.0.113.9"), PASSWORD);
    assert_eq!(status, 429);
    // Other routes that check credentials share the budget.
    let change = http()
        .post(format!("{}/server/update-password-no-auth", server.url))
        .send_json(json!({"username": "alice", "current_password": PASSWORD, "new_password": "N3w!passphrase"}))
        .unwrap();
    assert_eq!(change.status().as_u16(), 429);
    // Routes that check nothing are not throttled.
    let check = http()
        .post(format!("{}/server/login-check", server.url))
        .send_empty()
        .unwrap();
    assert_eq!(check.status().as_u16(), 200);
}

#[test]
fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = ServerProcess::start_with(
        &data,
        &[],
        &[
            ("BAIGATE_THROTTLE__PER_IP_PER_MINUTE", "3"),
            ("BAIGATE_SERVER__TRUSTED_PROXIES", "[\"127.0.0.1/32\"]"),
        ],
    );
    cli_add_user(&data, "user@example.com", "alice");
    for _ in 0..3 {
        assert_eq!(
            login(&server.url, Some("203.0.113.1"), "Wr0ng!password").0,
            200
        );
    }
    assert_eq!(login(&server.url, Some("203.0.113.1"), PASSWORD).0, 429);
    // A client cannot escape by prepending a made-up hop.
    assert_eq!(
        login(&server.url, Some("6.6.6.6, 203.0.113.1"), PASSWORD).0,
        429
    );
    let (status, body, _) = login(&server.url, Some("198.51.100.7"), PASSWORD);
    assert_eq!(status, 200);
    assert_eq!(body["authenticated"], true);
    let ips = audit_ips(&data);
    assert_eq!(ips.len(), 3);
    assert!(
        ips.iter().all(|ip| ip.as_deref() == Some("203.0.113.1")),
        "{ips:?}"
    );
}

#[test]
fn zero_turns_the_throttle_off() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = ServerProcess::start_with(
        &data,
        &[],
        &[
            ("BAIGATE_THROTTLE__PER_IP_PER_MINUTE", "0"),
            ("BAIGATE_LOCKOUT__MAX_FAILURES", "100"),
            ("BAIGATE_LOCKOUT__MAX_CONSECUTIVE", "100"),
        ],
    );
    cli_add_user(&data, "user@example.com", "alice");
    for attempt in 0..70 {
        let (status, body, _) = login(&server.url, None, "Wr0ng!password");
        assert_eq!(status, 200, "attempt {attempt}: {body}");
        assert_eq!(body["data"]["details"], "User credential mismatch.");
    }
}
