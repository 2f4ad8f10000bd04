//! The `baigate` binary: configuration layers, exit statuses, account commands.

use std::process::Output;

use serde_json::{Value, json};

use crate::support::{PASSWORD, ServerProcess, cli_add_user, command, http, run_cli, run_cli_env};

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs `baigate --data-dir <tmp> user list` with extra environment and arguments.
fn list_with(env: &[(&str, &str)], args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut command = command(dir.path());
    // Listing hashes nothing; let the file's bcrypt cost show through.
    command.env_remove("BAIGATE_PASSWORD__BCRYPT_COST");
    command
        .arg("--data-dir")
        .arg(dir.path())
        .args(args)
        .args(["user", "list"]);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

#[test]
fn a_bad_value_is_one_line_naming_the_key_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad_type = dir.path().join("bad-type.toml");
    std::fs::write(&bad_type, "[password]\nbcrypt_cost = \"twelve\"\n").unwrap();
    let unknown = dir.path().join("unknown.toml");
    std::fs::write(&unknown, "[server]\nlisten_addr = \"127.0.0.1:1\"\n").unwrap();
    let syntax = dir.path().join("syntax.toml");
    std::fs::write(&syntax, "[server\n").unwrap();
    let bad_type = bad_type.to_str().unwrap();
    let unknown = unknown.to_str().unwrap();
    let syntax = syntax.to_str().unwrap();

    type Case<'a> = (Vec<(&'a str, &'a str)>, Vec<&'a str>, &'a [&'a str]);
    let cases: Vec<Case<'_>> = vec![
        (
            vec![("BAIGATE_PASSWORD__BCRYPT_COST", "abc")],
            vec![],
            &["password.bcrypt_cost", "BAIGATE_PASSWORD__BCRYPT_COST"],
        ),
        (
            vec![("BAIGATE_PASSWORD__BCRYPT_COST", "99")],
            vec![],
            &["password.bcrypt_cost", "4 to 31"],
        ),
        (
            vec![("BAIGATE_LISTEN", "not-an-address")],
            vec![],
            &["`listen`"],
        ),
        (
            vec![("BAIGATE_SERVER__PUBLIC_URL", "ftp://example.com")],
            vec![],
            &["server.public_url"],
        ),
        (
            vec![("BAIGATE_SERVER__ALLOWED_ORIGINS", "[\"*\"]")],
            vec![],
            &["server.allowed_origins", "wildcard"],
        ),
        (
            vec![("BAIGATE_SESSION__LIFETIME", "soon")],
            vec![],
            &["session.lifetime"],
        ),
        (vec![("BAIGATE_NOT_A_KEY", "1")], vec![], &["not_a_key"]),
        (
            vec![],
            vec!["--config", bad_type],
            &["password.bcrypt_cost", "bad-type.toml"],
        ),
        (
            vec![("BAIGATE_CONFIG", bad_type)],
            vec![],
            &["password.bcrypt_cost"],
        ),
        (vec![], vec!["--config", unknown], &["server.listen_addr"]),
        (vec![], vec!["--config", syntax], &["syntax.toml"]),
        (
            vec![],
            vec!["--config", "/nonexistent/baigate.toml"],
            &["does not exist"],
        ),
    ];
    for (env, args, expected) in cases {
        let output = list_with(&env, &args);
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{env:?} {args:?}: {text}");
        assert_eq!(text.trim_end().lines().count(), 1, "one line: {text}");
        assert!(text.starts_with("baigate: configuration key"), "{text}");
        for needle in expected {
            assert!(
                text.contains(needle),
                "{env:?} {args:?}: {text:?} lacks {needle:?}"
            );
        }
    }
}

#[test]
fn defaults_then_file_then_environment_then_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("baigate.toml");
    std::fs::write(
        &file,
        "[server]\npublic_url = \"http://from-file.example:1\"\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let data = dir.path().join("data");

    let server = ServerProcess::start_with(&data, &[], &[]);
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "default: {}",
        server.url
    );
    drop(server);

    let server = ServerProcess::start_with(&data, &[], &[("BAIGATE_CONFIG", file)]);
    assert_eq!(server.url, "http://from-file.example:1");
    drop(server);

    let env = [
        ("BAIGATE_CONFIG", file),
        ("BAIGATE_SERVER__PUBLIC_URL", "http://from-env.example:2"),
    ];
    let server = ServerProcess::start_with(&data, &[], &env);
    assert_eq!(server.url, "http://from-env.example:2");
    drop(server);

    let server =
        ServerProcess::start_with(&data, &["--public-url", "http://from-flag.example:3"], &env);
    assert_eq!(server.url, "http://from-flag.example:3");

    // BAIGATE_DATA_DIR is honoured too (the flag wins over it).
    let other = dir.path().join("other");
    let mut command = command(dir.path());
    command
        .env("BAIGATE_DATA_DIR", &other)
        .args(["user", "list"]);
    assert!(command.output().unwrap().status.success());
    assert!(other.join("baigate.sqlite3").exists());
}

#[test]
fn user_add_checks_everything_and_prints_the_keys() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let add = |email: &str, username: &str, password: &str| {
        run_cli(
            data,
            &[
                "user",
                "add",
                "--email",
                email,
                "--username",
                username,
                "--role",
                "admin",
                "--password-stdin",
            ],
            password,
        )
    };
    let output = add("Admin@Example.com", "boss", &format!("{PASSWORD}\n"));
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let access = text
        .lines()
        .find_map(|l| l.strip_prefix("access key: "))
        .unwrap();
    let secret = text
        .lines()
        .find_map(|l| l.strip_prefix("secret key: "))
        .unwrap();
    assert!(access.starts_with("AKIA") && access.len() == 20, "{access}");
    assert_eq!(secret.len(), 40);
    // The database file never holds the secret in clear.
    let db = std::fs::read(data.join("baigate.sqlite3")).unwrap();
    let wal = std::fs::read(data.join("baigate.sqlite3-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
    }

    let refusals: [(&str, &str, &str, &str); 6] = [
        (
            "admin@example.com",
            "other",
            "S3cret!pass\n",
            "email: an account with this email address already exists",
        ),
        (
            "new@example.com",
            "BOSS",
            "S3cret!pass\n",
            "username: this username is already taken",
        ),
        (
            "not-an-email",
            "x",
            "S3cret!pass\n",
            "email: is not a valid email address",
        ),
        (
            "new@example.com",
            "bad name",
            "S3cret!pass\n",
            "username: may contain only",
        ),
        (
            "new@example.com",
            "newbie",
            "short\n",
            "at least 8 characters",
        ),
        (
            "new@example.com",
            "newbie",
            "\n",
            "no password on standard input",
        ),
    ];
    for (email, username, password, message) in refusals {
        let output = add(email, username, password);
        assert_eq!(output.status.code(), Some(1), "{email} {username}");
        assert!(stderr(&output).contains(message), "{}", stderr(&output));
    }

    // Without --password-stdin the password is asked on a terminal, and a
    // pipe is not one.
    let output = run_cli(
        data,
        &["user", "add", "--email", "new@example.com"],
        "S3cret!pass\n",
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("pass --password-stdin"),
        "{}",
        stderr(&output)
    );

    let output = run_cli(data, &["user", "list"], "");
    let table = stdout(&output);
    assert!(table.starts_with("EMAIL"), "{table}");
    assert!(
        table.contains("Admin@Example.com") && table.contains("admin") && table.contains(access)
    );
    assert_eq!(table.lines().count(), 2, "{table}");

    let output = run_cli(data, &["user", "list", "--json"], "");
    let row: Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    assert_eq!(row["email"], "Admin@Example.com");
    assert_eq!(row["username"], "boss");
    assert_eq!(row["role"], "admin");
    assert_eq!(row["access_key"], access);
    assert_eq!(row["last_login_at"], Value::Null);
    assert!(row.get("secret_key").is_none());
}

#[test]
fn the_cli_and_the_server_share_a_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = ServerProcess::start(&data);
    // Created while the server runs, usable at once.
    cli_add_user(&data, "user@example.com", "alice");
    let answer = http()
        .post(format!("{}/server/login", server.url))
        .send_json(json!({"username": "alice", "password": PASSWORD}))
        .unwrap()
        .into_body()
        .read_json::<Value>()
        .unwrap();
    assert_eq!(answer["authenticated"], true, "{answer}");
    let output = run_cli(&data, &["user", "list", "--json"], "");
    let row: Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    assert!(row["last_login_at"].is_string(), "{row}");
}

#[test]
fn invitations_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let output = run_cli(
        data,
        &[
            "invite",
            "create",
            "--uses",
            "3",
            "--expires",
            "2d",
            "--email",
            "Guest@Example.com",
        ],
        "",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let token = text
        .lines()
        .find_map(|l| l.strip_prefix("token: "))
        .unwrap();
    let link = text
        .lines()
        .find_map(|l| l.strip_prefix("signup link: "))
        .unwrap();
    assert_eq!(token.len(), 43);
    assert_eq!(link, format!("http://127.0.0.1:8090/signup?token={token}"));
    assert!(
        text.contains("3 use(s)") && text.contains("only for guest@example.com"),
        "{text}"
    );

    let list = stdout(&run_cli(data, &["invite", "list"], ""));
    assert!(list.starts_with("ID"), "{list}");
    assert!(
        list.contains("usable") && list.contains("0/3") && list.contains("guest@example.com"),
        "{list}"
    );
    assert!(!list.contains(token), "the token is never shown again");

    assert!(
        run_cli(data, &["invite", "revoke", "1"], "")
            .status
            .success()
    );
    assert!(stdout(&run_cli(data, &["invite", "list"], "")).contains("revoked"));
    let again = run_cli(data, &["invite", "revoke", "1"], "");
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("no invitation 1"));
    let bad = run_cli(data, &["invite", "create", "--uses", "0"], "");
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("--uses"));
    let bad = run_cli(data, &["invite", "create", "--expires", "soon"], "");
    assert_eq!(bad.status.code(), Some(2), "a usage error");
}

#[test]
fn the_administrators_reset_locks_the_old_password_and_mails_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = ServerProcess::start(&data);
    cli_add_user(&data, "user@example.com", "alice");
    let agent = http();
    let login = |password: &str| -> Value {
        agent
            .post(format!("{}/server/login", server.url))
            .send_json(json!({"username": "alice", "password": password}))
            .unwrap()
            .into_body()
            .read_json()
            .unwrap()
    };
    assert_eq!(login(PASSWORD)["authenticated"], true);

    let output = run_cli(
        &data,
        &[
            "user",
            "reset-password",
            "ALICE",
            "--print-link",
            "--lang",
            "ko",
        ],
        "",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("no longer works"), "{text}");
    assert!(
        text.contains("the message is in"),
        "no SMTP: the outbox: {text}"
    );
    let link = text
        .lines()
        .find_map(|l| {
            l.split(": ")
                .nth(1)
                .filter(|v| v.contains("/change-password?token="))
        })
        .unwrap();
    assert!(
        link.starts_with("http://127.0.0.1:8090/change-password?token="),
        "{link}"
    );
    let outbox: Vec<_> = std::fs::read_dir(data.join("outbox")).unwrap().collect();
    assert_eq!(outbox.len(), 1);
    let eml = std::fs::read_to_string(outbox[0].as_ref().unwrap().path()).unwrap();
    assert!(eml.contains("To: user@example.com"));

    assert_eq!(
        login(PASSWORD)["authenticated"],
        false,
        "the old password stopped working"
    );
    let unknown = run_cli(&data, &["user", "reset-password", "nobody"], "");
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("no account has the login name"));
}

#[test]
fn send_test_email_through_smtp_the_outbox_or_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let smtp = crate::smtp::SmtpServer::start();
    let url = smtp.url();
    let output = run_cli_env(
        data,
        &["send-test-email", "--to", "ops@example.com"],
        "",
        &[("BAIGATE_MAIL__SMTP_URL", &url)],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("Sent to ops@example.com"));
    let mails = smtp.messages_to("ops@example.com");
    assert_eq!(mails.len(), 1);
    assert!(mails[0].subject.contains("Test message"));

    let output = run_cli(data, &["send-test-email", "--to", "ops@example.com"], "");
    assert!(output.status.success());
    assert!(
        stdout(&output).contains("written to"),
        "{}",
        stdout(&output)
    );

    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead_url = format!("smtp://127.0.0.1:{dead}");
    let output = run_cli_env(
        data,
        &["send-test-email", "--to", "ops@example.com"],
        "",
        &[("BAIGATE_MAIL__SMTP_URL", &dead_url)],
    );
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("the test message was not sent")
            && message.contains(&format!("127.0.0.1:{dead}")),
        "{message}"
    );
    let output = run_cli_env(
        data,
        &["send-test-email", "--to", "ops@example.com"],
        "",
        &[("BAIGATE_MAIL__SMTP_URL", "ftp://x")],
    );
    assert_eq!(
        output.status.code(),
        Some(2),
        "a bad setting is a configuration error"
    );
}

#[test]
fn unlock_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = ServerProcess::start(&data);
    cli_add_user(&data, "user@example.com", "alice");
    let agent = http();
    let login = |password: &str| {
        agent
            .post(format!("{}/server/login", server.url))
            .send_json(json!({"username": "alice", "password": password}))
            .unwrap()
            .status()
            .as_u16()
    };
    for _ in 0..10 {
        assert_eq!(login("Wr0ng!password"), 200);
    }
    assert_eq!(login(PASSWORD), 429);
    let output = run_cli(&data, &["user", "unlock", "USER@example.com"], "");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("Unlocked user@example.com"));
    assert_eq!(login(PASSWORD), 200);
    let again = run_cli(&data, &["user", "unlock", "alice"], "");
    assert!(stdout(&again).contains("was not locked"));
    let unknown = run_cli(&data, &["user", "unlock", "nobody"], "");
    assert_eq!(unknown.status.code(), Some(1));
}

#[test]
fn keypair_rotate_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let old = cli_add_user(data, "user@example.com", "alice");
    let output = run_cli(data, &["keypair", "rotate", "ALICE"], "");
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let new = text
        .lines()
        .find_map(|l| l.strip_prefix("access key: "))
        .unwrap();
    assert_ne!(new, old);
    assert_eq!(
        text.lines()
            .find_map(|l| l.strip_prefix("secret key: "))
            .unwrap()
            .len(),
        40
    );
    let list = stdout(&run_cli(data, &["user", "list"], ""));
    assert!(list.contains(new) && !list.contains(&old));
    let unknown = run_cli(data, &["keypair", "rotate", "nobody"], "");
    assert_eq!(unknown.status.code(), Some(1));
}

#[test]
fn reset_2fa_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    cli_add_user(data, "user@example.com", "alice");
    let output = run_cli(data, &["user", "reset-2fa", "alice"], "");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("Two-factor authentication of user@example.com is off"));
    let db = rusqlite::Connection::open(data.join("baigate.sqlite3")).unwrap();
    let kind: String = db
        .query_row(
            "SELECT kind FROM audit_events ORDER BY id DESC",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(kind, "totp_disabled");
    let unknown = run_cli(data, &["user", "reset-2fa", "nobody"], "");
    assert_eq!(unknown.status.code(), Some(1));
}
