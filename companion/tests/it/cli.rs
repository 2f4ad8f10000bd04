//! The `baigate` binary: configuration layers, exit statuses, account commands.

use std::process::Output;

use serde_json::{Value, json};

use crate::support::{PASSWORD, ServerProcess, cli_add_user, command, http, run_cli};

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
