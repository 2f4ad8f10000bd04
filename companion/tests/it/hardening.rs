//! Hardening (the attacker's cases that used to work): bodies read before
//! authentication, slow and idle connections, credentialed CORS for any
//! local page, forged `X-Forwarded-For` lines, a timing difference after a
//! bcrypt cost raise, over-long fields, wall-clock steps, storage faults,
//! the silent two-factor lock, service names as passwords, and replayed
//! signatures after a restart. Each test failed before its fix.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use baigate_companion::model::ClientInfo;
use poem::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{
    Answer, PASSWORD, ServerProcess, TestApp, cli_add_user, cli_add_user_keys, http,
};

/// Every route of the companion, read from the route table in the source
/// (and the OpenAPI document for `/companion/*`), with its methods.
fn route_table(url: &str) -> Vec<(String, String)> {
    let source = include_str!("../../src/http/mod.rs");
    let mut routes = Vec::new();
    for at in source.split(".at(").skip(1) {
        let Some(path) = at.split('"').nth(1) else {
            continue;
        };
        let call = at.split("\n        .at(").next().unwrap_or(at);
        for (marker, method) in [("get(", "GET"), ("post(", "POST"), (".delete(", "DELETE")] {
            if call.contains(marker) {
                routes.push((
                    method.to_owned(),
                    path.replace(":name", "terms-of-service.en.html"),
                ));
            }
        }
    }
    let spec: Value = http()
        .get(format!("{url}/companion/openapi.json"))
        .call()
        .unwrap()
        .into_body()
        .read_json()
        .unwrap();
    for (path, operations) in spec["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            routes.push((
                method.to_uppercase(),
                format!("/companion{}", path.replace("{id}", "x")),
            ));
        }
    }
    assert!(routes.len() > 40, "{routes:?}");
    routes
}

/// Sends `method path` with a chunked body of up to 64 MiB as fast as the
/// server takes it; returns the status line's code (0 if the server only
/// closed the connection) and how much the server let through.
fn send_huge(authority: &str, method: &str, path: &str, extra: &str) -> (u16, usize) {
    let mut stream = TcpStream::connect(authority).unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n{extra}\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    let framed = [
        format!("{:x}\r\n", chunk.len()).into_bytes(),
        chunk,
        b"\r\n".to_vec(),
    ]
    .concat();
    let mut sent = 0;
    while sent < 64 * 1024 * 1024 {
        if stream.write_all(&framed).is_err() {
            break;
        }
        sent += framed.len();
    }
    let _ = stream.shutdown(Shutdown::Write);
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (status, sent)
}

/// H-5: no route reads more than its limit, with or without a session, and
/// a route that needs a session answers 401 before it reads anything.
#[test]
fn no_route_reads_a_huge_body() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server =
        ServerProcess::start_with(&data, &[], &[("BAIGATE_THROTTLE__PER_IP_PER_MINUTE", "0")]);
    cli_add_user(&data, "user@example.com", "alice");
    let session = http()
        .post(format!("{}/server/login", server.url))
        .send_json(json!({"username": "alice", "password": PASSWORD}))
        .unwrap()
        .headers()
        .get("x-backendai-sessionid")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let before = server.rss_kib();
    for (method, path) in route_table(&server.url) {
        let (status, _) = send_huge(server.authority(), &method, &path, "");
        // Routes that read no body answer as usual; none fails or reads it all.
        assert!(status < 500, "{method} {path} anonymous: {status}");
        let (status, _) = send_huge(
            server.authority(),
            &method,
            &path,
            &format!("X-BackendAI-SessionID: {session}\r\n"),
        );
        assert!(status < 500, "{method} {path} with a session: {status}");
    }
    // The session routes refuse at once without a session.
    for path in [
        "/companion/keypair/rotate",
        "/func/totp/verify",
        "/server/extend-login-session",
    ] {
        let (status, _) = send_huge(server.authority(), "POST", path, "");
        assert_eq!(status, 401, "{path}");
    }
    let (status, _) = send_huge(
        server.authority(),
        "POST",
        "/companion/keypair/rotate",
        &format!("X-BackendAI-SessionID: {session}\r\n"),
    );
    assert_eq!(status, 413, "a session's body is capped too");
    let grown = server.rss_kib().saturating_sub(before);
    assert!(grown < 32 * 1024, "memory grew by {grown} KiB");
    // An announced length over the limit is refused before any of it is read.
    let refused = http()
        .post(format!("{}/server/login", server.url))
        .header("Content-Length", "104857600")
        .send(&b"{}"[..]);
    assert!(refused.is_err() || refused.unwrap().status().as_u16() == 413);
}

fn open_files(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .unwrap()
        .to_owned();
    let numbers: Vec<String> = line
        .split_whitespace()
        .filter(|word| word.chars().all(|c| c.is_ascii_digit()) || *word == "unlimited")
        .map(str::to_owned)
        .collect();
    (numbers[0].clone(), numbers[1].clone())
}

/// Whether the server has closed `stream` within `within`.
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut byte = [0u8; 1];
    loop {
        match stream.read(&mut byte) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

/// H-4: slow senders, idle connections and oversized headers are cut off;
/// one address cannot take every connection; the open-file limit is raised.
#[test]
fn slow_idle_and_greedy_connections_are_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_with(
        &dir.path().join("data"),
        &[],
        &[
            ("BAIGATE_SERVER__HEADER_TIMEOUT", "1s"),
            ("BAIGATE_SERVER__MAX_CONNECTIONS_PER_ADDRESS", "8"),
        ],
    );
    let (soft, hard) = open_files(server.pid());
    assert_eq!(
        soft, hard,
        "the soft open-file limit is raised to the hard one"
    );

    // A slowloris: one header byte a second never completes a request.
    let mut slow = TcpStream::connect(server.authority()).unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: a")
        .unwrap();
    let started = Instant::now();
    let mut cut = false;
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(500));
        if slow.write_all(b"a").is_err() || closed_within(&mut slow, Duration::from_millis(10)) {
            cut = true;
            break;
        }
    }
    assert!(cut, "the slow sender was never cut off");
    assert!(started.elapsed() < Duration::from_secs(3));

    // An idle connection after an answer is closed too.
    let mut idle = TcpStream::connect(server.authority()).unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut answer = [0u8; 12];
    idle.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
    assert!(
        closed_within(&mut idle, Duration::from_secs(3)),
        "idle kept open"
    );

    // Headers over the cap: 431, not a buffer that grows.
    let mut big = TcpStream::connect(server.authority()).unwrap();
    let header = format!("X-Big: {}\r\n", "a".repeat(64 * 1024));
    let _ = big.write_all(format!("GET /health HTTP/1.1\r\nHost: x\r\n{header}\r\n").as_bytes());
    let mut answer = String::new();
    big.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let _ = big.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:.40}");

    // One address holds at most 8 at a time: of nine opened together, the
    // server keeps no more than eight (a seat from the connections above may
    // still be in the middle of being given back, so more may be refused).
    drop((slow, idle, big));
    let mut opened: Vec<TcpStream> = (0..9)
        .map(|_| TcpStream::connect(server.authority()).unwrap())
        .collect();
    let kept = std::thread::scope(|scope| {
        let watchers: Vec<_> = opened
            .iter_mut()
            .map(|stream| scope.spawn(|| !closed_within(stream, Duration::from_secs(2))))
            .collect();
        watchers
            .into_iter()
            .map(|watcher| watcher.join())
            .filter(|kept| matches!(kept, Ok(true)))
            .count()
    });
    assert!(kept <= 8, "{kept} connections kept from one address");
    assert!(kept >= 1, "every connection refused");
}

/// H-4 (cont.): the seats of closed connections are given back.
#[test]
fn an_address_is_served_again_once_its_connections_close() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_with(
        &dir.path().join("data"),
        &[],
        &[("BAIGATE_SERVER__MAX_CONNECTIONS_PER_ADDRESS", "4")],
    );
    let held: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(server.authority()).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let mut fifth = TcpStream::connect(server.authority()).unwrap();
    assert!(closed_within(&mut fifth, Duration::from_secs(1)));
    drop(held);
    std::thread::sleep(Duration::from_millis(200));
    let health = http().get(format!("{}/health", server.url)).call().unwrap();
    assert_eq!(health.status().as_u16(), 200);
}

/// H-7: two `X-Forwarded-For` lines from a trusted proxy are one list: the
/// proxy's own (last) line names the client, not the client's forged one.
#[test]
fn forwarded_lines_are_read_as_one_list() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = ServerProcess::start_with(
        &data,
        &[],
        &[("BAIGATE_SERVER__TRUSTED_PROXIES", "[\"127.0.0.1/32\"]")],
    );
    cli_add_user(&data, "user@example.com", "alice");
    let body = r#"{"username":"alice","password":"Wr0ng!password"}"#;
    let mut stream = TcpStream::connect(server.authority()).unwrap();
    let request = format!(
        "POST /server/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 203.0.113.9\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let db = rusqlite::Connection::open(data.join("baigate.sqlite3")).unwrap();
    let ip: String = db
        .query_row(
            "SELECT client_ip FROM audit_events WHERE kind = 'login_failed' ORDER BY id DESC LIMIT 1",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(ip, "203.0.113.9");
}

/// H-6: a page on another port of this machine cannot read a 2FA enrolment
/// secret with the user's cookie; a configured origin (with its port) can.
#[tokio::test]
async fn a_local_page_cannot_read_secrets_with_the_cookie() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    let session = app.session("alice", PASSWORD).await;
    let answer = Answer::from(
        app.client
            .post("/func/totp")
            .header("Origin", "http://127.0.0.1:9999")
            .header("Cookie", format!("AIOHTTP_SESSION={session}"))
            .send()
            .await,
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(!answer.text().contains("totp_key"));
    let configured = TestApp::with(|config| {
        config.server.allowed_origins = vec!["http://127.0.0.1:5173".into()];
    })
    .await;
    configured.add_user("user@example.com", Some("alice")).await;
    let session = configured.session("alice", PASSWORD).await;
    let answer = Answer::from(
        configured
            .client
            .post("/func/totp")
            .header("Origin", "http://127.0.0.1:5173")
            .header("Cookie", format!("AIOHTTP_SESSION={session}"))
            .send()
            .await,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

/// H-1: after `password.bcrypt_cost` is raised, a wrong password for an
/// account whose hash has the old cost spends the same bcrypt work as one
/// for an unknown name (counted in rounds, not timed).
#[tokio::test]
async fn a_cost_raise_does_not_tell_old_accounts_apart() {
    let app = TestApp::with(|config| config.password.bcrypt_cost = 6).await;
    app.add_user("user@example.com", Some("alice")).await;
    let legacy = bcrypt::hash(PASSWORD, 4).unwrap();
    app.database()
        .execute(
            "UPDATE users SET password_hash = ?1 WHERE username = 'alice'",
            [legacy],
        )
        .unwrap();
    let work = |app: &TestApp| app.domain.hasher().work();
    app.login("ghost", "Wr0ng!password").await;
    let before = work(&app);
    app.login("ghost", "Wr0ng!password").await;
    let unknown = work(&app) - before;
    let before = work(&app);
    app.login("alice", "Wr0ng!password").await;
    let old_hash = work(&app) - before;
    assert_eq!(unknown, 1 << 6);
    assert_eq!(old_hash, unknown, "a refusal costs the configured work");
    // The right password still logs in (and upgrades the hash).
    assert_eq!(
        app.login("alice", PASSWORD).await.json()["authenticated"],
        true
    );
}

/// AT-22: names and passwords no account can have are refused at once,
/// naming the field, before any bcrypt work.
#[tokio::test]
async fn over_long_fields_are_refused_before_any_bcrypt() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    let before = app.domain.hasher().verifications();
    let long_name = app.login(&"u".repeat(10_000), "x").await;
    assert_eq!(long_name.status, StatusCode::BAD_REQUEST);
    assert_eq!(long_name.json()["field"], "username");
    let long_password = app.login("alice", &"p".repeat(73)).await;
    assert_eq!(long_password.status, StatusCode::BAD_REQUEST);
    assert_eq!(long_password.json()["field"], "password");
    let change = app
        .post_json(
            "/server/update-password-no-auth",
            &json!({"username": "alice", "current_password": "é".repeat(40), "new_password": "N3w!passphrase"}),
        )
        .await;
    assert_eq!(change.status, StatusCode::BAD_REQUEST);
    assert_eq!(change.json()["field"], "current_password");
    assert_eq!(
        app.domain.hasher().verifications(),
        before,
        "no bcrypt at all"
    );
}

/// H-2: a backward step of the wall clock does not make the throttle refuse
/// everyone, nor stretch a lock.
#[tokio::test]
async fn wall_clock_steps_freeze_nothing() {
    let app = TestApp::with(|config| config.throttle.per_ip_per_minute = 3).await;
    app.add_user("user@example.com", Some("alice")).await;
    // In process there is no socket address, so the throttle is not involved
    // here (its own unit test steps the clock); the lock is.
    for _ in 0..10 {
        app.login("alice", "Wr0ng!password").await;
    }
    app.clock.set(app.domain.now() - 3600);
    let locked = app.login("alice", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        locked.json()["retry_after"],
        1200,
        "not an hour and twenty minutes"
    );
    app.clock.advance(1200);
    assert_eq!(
        app.login("alice", PASSWORD).await.json()["authenticated"],
        true
    );
}

/// H-3: a database that takes no writes (here: another process holds its
/// lock) answers 503 with `Retry-After`, `/health` says so, and both recover
/// without a restart.
#[tokio::test]
async fn a_blocked_database_says_so_and_recovers() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    let blocker = app.database();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let answer = app.login("alice", PASSWORD).await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        answer.text()
    );
    assert_eq!(
        answer.json()["type"],
        "https://api.backend.ai/probs/service-unavailable"
    );
    assert!(answer.header("retry-after").is_some());
    let health = app.get("/health").await;
    assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(health.header("retry-after").is_some());
    blocker.execute_batch("ROLLBACK").unwrap();
    assert_eq!(app.get("/health").await.status, StatusCode::OK);
    assert_eq!(
        app.login("alice", PASSWORD).await.json()["authenticated"],
        true
    );
}

/// H-3 (start): a damaged database file stops the server at start with one
/// line, instead of starting and failing every login.
#[test]
fn a_damaged_database_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    cli_add_user(&data, "user@example.com", "alice");
    let file = data.join("baigate.sqlite3");
    // Checkpoint the WAL into the file, then damage a page of the users table.
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    let mut bytes = std::fs::read(&file).unwrap();
    let page = 4096;
    // Every page but the first (the header and the schema's root stay, so
    // it still opens as a database): the tables' pages are garbage.
    for byte in bytes.iter_mut().skip(page) {
        *byte ^= 0x5a;
    }
    std::fs::write(&file, bytes).unwrap();
    let mut child = crate::support::command(dir.path())
        .arg("--data-dir")
        .arg(&data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server started on a damaged database");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("damaged")
            || stderr.contains("malformed")
            || stderr.contains("not a database"),
        "{stderr}"
    );
}

/// Mail written to the outbox (no SMTP server configured), newest last.
fn outbox_subjects(app: &TestApp) -> Vec<String> {
    let dir = app.config.outbox_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .filter_map(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("Subject: ").map(str::to_owned))
        })
        .collect()
}

/// H-8: ten wrong one-time codes lock two-factor login with a mail and an
/// audit row; after a hundred, the answer says it is off and how to get out.
#[tokio::test]
async fn the_two_factor_lock_is_told_and_true() {
    let app = TestApp::with(|config| {
        config.session.max_concurrent = 10;
        config.lockout.max_consecutive = 20;
    })
    .await;
    app.add_user("user@example.com", Some("alice")).await;
    crate::totp::enrolled(&app).await;
    let body = json!({"username": "alice", "password": PASSWORD, "otp": "000000"});
    let login = |_: &str| app.post_json("/server/login", &body);
    for _ in 0..10 {
        login("000000").await;
    }
    app.domain.settle_background().await;
    assert!(app.audit_kinds().contains(&"login_locked".to_owned()));
    assert!(
        outbox_subjects(&app)
            .iter()
            .any(|subject| subject.contains("Two-factor login to your account is paused")),
        "{:?}",
        outbox_subjects(&app)
    );
    let refused = login("000000").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(1201);
    for _ in 0..10 {
        login("000000").await;
    }
    app.clock.advance(1201);
    let off = login("000000").await;
    assert_eq!(off.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        off.json()["type"],
        "https://api.backend.ai/probs/password-login-disabled"
    );
    assert!(
        off.json().get("retry_after").is_none(),
        "no countdown to nothing"
    );
    assert!(
        off.json()["details"]
            .as_str()
            .unwrap()
            .contains("administrator")
    );
    app.domain.settle_background().await;
    assert!(app.audit_kinds().contains(&"login_disabled".to_owned()));
    app.domain
        .unlock("alice", ClientInfo::command_line())
        .await
        .unwrap();
    assert_eq!(
        login("000000").await.status,
        StatusCode::OK,
        "unlocked: a wrong code is just wrong"
    );
}

/// H-9: the service's own names, dressed up with digits and symbols, are
/// refused as passwords.
#[tokio::test]
async fn the_service_names_are_no_passwords() {
    let app = TestApp::with(|config| {
        config.signup.mode = baigate_companion::config::SignupMode::Open;
        config.signup.verify_email = false;
    })
    .await;
    for password in ["baigate2024!", "Backend.AI2024!", "companion2024!"] {
        let answer = app
            .sign_up(json!({"email": "sana@example.com", "username": "sana", "password": password, "agreement": true}))
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{password}");
        assert_eq!(answer.json()["field"], "password");
    }
}

/// H-11: a captured signature does not work again after a restart.
#[test]
fn a_signature_works_once_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (access_key, secret_key) = cli_add_user_keys(&data, "user@example.com", "alice");
    let signer = crate::keypair::Signer {
        access_key: &access_key,
        secret_key: &secret_key,
    };
    #[allow(
        clippy::disallowed_methods,
        reason = "the real server reads the wall clock"
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
    let mut first = ServerProcess::start(&data);
    assert_eq!(send(&first.url), 200);
    first.kill();
    let second = ServerProcess::start(&data);
    assert_eq!(send(&second.url), 401, "a replay after a restart");
}
