//! API keypair mode (AT-26): requests signed by an implementation of the
//! Backend.AI recipe written here from the protocol notes, apart from the
//! server's, and the abuse cases.

use baigate_companion::model::ClientInfo;
use hmac::{Hmac, Mac};
use poem::http::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{Answer, PASSWORD, START, TestApp};

/// An independent signer: the recipe of protocol §6, step by step.
pub(crate) struct Signer<'a> {
    pub access_key: &'a str,
    pub secret_key: &'a str,
}

fn mac(key: &[u8], message: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

impl Signer<'_> {
    pub(crate) fn authorization(
        &self,
        method: &str,
        path: &str,
        date: &str,
        host: &str,
        content_type: &str,
        version: &str,
    ) -> String {
        let empty_hash = hex::encode(Sha256::digest(b""));
        let text = format!(
            "{method}\n{path}\n{date}\nhost:{host}\ncontent-type:{content_type}\nx-backendai-version:{version}\n{empty_hash}"
        );
        // YYYYMMDD of the date as written (these tests write UTC dates).
        let day: String = date[..10].chars().filter(|c| *c != '-').collect();
        let key = mac(&mac(self.secret_key.as_bytes(), &day), host);
        let signature = hex::encode(mac(&key, &text));
        format!(
            "BackendAI signMethod=HMAC-SHA256, credential={}:{signature}",
            self.access_key
        )
    }
}

/// The test clock's now, as a client writes it (UTC, microseconds).
pub(crate) fn date_at(seconds: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(seconds).unwrap();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.123456+00:00",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

struct Call<'a> {
    method: Method,
    path: &'a str,
    date: String,
    content_type: &'a str,
    body: Option<Value>,
    authorization: String,
}

async fn send(app: &TestApp, call: Call<'_>) -> Answer {
    let mut request = app
        .client
        .request(call.method, call.path)
        .header("Host", "127.0.0.1:8090")
        .header("Date", call.date)
        .header("X-BackendAI-Version", "v7.20230615")
        .header("Content-Type", call.content_type)
        .header("Authorization", call.authorization);
    if let Some(body) = call.body {
        request = request.body(body.to_string());
    }
    Answer::from(request.send().await).await
}

async fn signed_get(app: &TestApp, signer: &Signer<'_>, path: &str, date: String) -> Answer {
    let authorization = signer.authorization(
        "GET",
        path,
        &date,
        "127.0.0.1:8090",
        "text/plain",
        "v7.20230615",
    );
    send(
        app,
        Call {
            method: Method::GET,
            path,
            date,
            content_type: "text/plain",
            body: None,
            authorization,
        },
    )
    .await
}

#[tokio::test]
async fn a_signed_request_verifies_and_makes_no_session() {
    let app = TestApp::new().await;
    let created = app.add_user("user@example.com", Some("alice")).await;
    let signer = Signer {
        access_key: &created.user.access_key,
        secret_key: &created.secret_key,
    };
    let answer = signed_get(&app, &signer, "/func/auth?echo=hello", date_at(START)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json(), json!({"authorized": "yes", "echo": "hello"}));
    assert!(
        answer.header("set-cookie").is_none() && answer.header("x-backendai-sessionid").is_none()
    );
    let sessions: i64 = app
        .database()
        .query_row("SELECT count(*) FROM sessions", [], |row| row.get(0))
        .unwrap();
    assert_eq!(sessions, 0);

    let role = signed_get(&app, &signer, "/func/auth/role", date_at(START + 1)).await;
    assert_eq!(
        role.json(),
        json!({"global_role": "user", "domain_role": "user", "group_role": null})
    );
    // The manager-style path API-mode clients call.
    let direct = signed_get(
        &app,
        &signer,
        "/auth/role?group=8c4e2f16",
        date_at(START + 2),
    )
    .await;
    assert_eq!(direct.status, StatusCode::OK);

    // A signed POST with a JSON body (the JS client's style: X-BackendAI-Date).
    let date = "2027-01-15T08:00:03.000Z".to_owned();
    let authorization = signer.authorization(
        "POST",
        "/func/auth",
        &date,
        "127.0.0.1:8090",
        "application/json",
        "v7.20230615",
    );
    let answer = Answer::from(
        app.client
            .post("/func/auth")
            .header("Host", "127.0.0.1:8090")
            .header("X-BackendAI-Date", date)
            .header("X-BackendAI-Version", "v7.20230615")
            .content_type("application/json; charset=utf-8")
            .header("Authorization", authorization)
            .body(json!({"echo": {"nested": [1, 2]}}).to_string())
            .send()
            .await,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["echo"], json!({"nested": [1, 2]}));
}

#[tokio::test]
async fn every_abuse_of_a_signature_is_refused() {
    let app = TestApp::new().await;
    let created = app.add_user("user@example.com", Some("alice")).await;
    let signer = Signer {
        access_key: &created.user.access_key,
        secret_key: &created.secret_key,
    };
    let mismatch = |answer: &Answer| {
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.text());
        assert_eq!(
            answer.json()["type"],
            "https://api.backend.ai/probs/auth-failed"
        );
        assert_eq!(answer.json()["details"], "Signature mismatch");
    };

    // A wrong secret.
    let wrong = Signer {
        access_key: &created.user.access_key,
        secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    };
    let wrong_answer = signed_get(&app, &wrong, "/func/auth", date_at(START)).await;
    mismatch(&wrong_answer);
    // An unknown access key: the same answer, byte for byte.
    let unknown = Signer {
        access_key: "AKIAIOSFODNN7EXAMPLE",
        secret_key: &created.secret_key,
    };
    let unknown_answer = signed_get(&app, &unknown, "/func/auth", date_at(START)).await;
    mismatch(&unknown_answer);
    assert_eq!(wrong_answer.body, unknown_answer.body);

    // Six minutes off either way.
    for offset in [-360, 360] {
        let answer = signed_get(&app, &signer, "/func/auth", date_at(START + offset)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            answer.json()["type"],
            "https://api.backend.ai/probs/invalid-auth-params"
        );
        assert_eq!(answer.json()["title"], "Date/time sync error");
    }
    // Four minutes off is inside the window.
    assert_eq!(
        signed_get(&app, &signer, "/func/auth", date_at(START - 240))
            .await
            .status,
        StatusCode::OK
    );

    // An exact replay inside the window.
    let date = date_at(START + 10);
    let authorization = signer.authorization(
        "GET",
        "/func/auth",
        &date,
        "127.0.0.1:8090",
        "text/plain",
        "v7.20230615",
    );
    let call = || Call {
        method: Method::GET,
        path: "/func/auth",
        date: date.clone(),
        content_type: "text/plain",
        body: None,
        authorization: authorization.clone(),
    };
    assert_eq!(send(&app, call()).await.status, StatusCode::OK);
    mismatch(&send(&app, call()).await);

    // The path (and its query) changed under the same signature.
    let date = date_at(START + 11);
    let authorization = signer.authorization(
        "GET",
        "/func/auth?echo=a",
        &date,
        "127.0.0.1:8090",
        "text/plain",
        "v7.20230615",
    );
    mismatch(
        &send(
            &app,
            Call {
                method: Method::GET,
                path: "/func/auth?echo=b",
                date,
                content_type: "text/plain",
                body: None,
                authorization,
            },
        )
        .await,
    );

    // Other methods than HMAC-SHA256.
    for method in ["HMAC-MD5", "HMAC-SHA1", "HMAC-SHA512"] {
        let date = date_at(START + 12);
        let authorization = signer
            .authorization(
                "GET",
                "/func/auth",
                &date,
                "127.0.0.1:8090",
                "text/plain",
                "v7.20230615",
            )
            .replace("HMAC-SHA256", method);
        let answer = send(
            &app,
            Call {
                method: Method::GET,
                path: "/func/auth",
                date,
                content_type: "text/plain",
                body: None,
                authorization,
            },
        )
        .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{method}");
        assert_eq!(
            answer.json()["title"],
            "Only HMAC-SHA256 signatures are accepted"
        );
    }

    // A signed header carrying a line break cannot pass for another request.
    let date = date_at(START + 13);
    let forged = signer.authorization(
        "GET",
        "/func/auth",
        &date,
        "127.0.0.1:8090\ncontent-type:text/plain",
        "text/plain",
        "v7.20230615",
    );
    mismatch(
        &send(
            &app,
            Call {
                method: Method::GET,
                path: "/func/auth",
                date,
                content_type: "text/plain",
                body: None,
                authorization: forged,
            },
        )
        .await,
    );

    // Malformed headers.
    for authorization in [
        "BackendAI nonsense",
        "BackendAI signMethod=HMAC-SHA256, credential=nocolon",
    ] {
        let answer = send(
            &app,
            Call {
                method: Method::GET,
                path: "/func/auth",
                date: date_at(START),
                content_type: "text/plain",
                body: None,
                authorization: authorization.to_owned(),
            },
        )
        .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{authorization}");
    }
    // No date at all.
    let answer = Answer::from(
        app.client
            .get("/func/auth")
            .header("Host", "127.0.0.1:8090")
            .header("X-BackendAI-Version", "v7.20230615")
            .header(
                "Authorization",
                signer.authorization(
                    "GET",
                    "/func/auth",
                    &date_at(START),
                    "127.0.0.1:8090",
                    "text/plain",
                    "v7.20230615",
                ),
            )
            .send()
            .await,
    )
    .await;
    assert_eq!(answer.json()["title"], "Date/time sync error");
}

#[tokio::test]
async fn disabled_or_locked_accounts_keys_stop_at_once() {
    let app = TestApp::new().await;
    let created = app.add_user("user@example.com", Some("alice")).await;
    let signer = Signer {
        access_key: &created.user.access_key,
        secret_key: &created.secret_key,
    };
    assert_eq!(
        signed_get(&app, &signer, "/func/auth", date_at(START))
            .await
            .status,
        StatusCode::OK
    );
    for _ in 0..10 {
        app.login("alice", "Wr0ng!password").await;
    }
    assert_eq!(
        signed_get(&app, &signer, "/func/auth", date_at(START + 1))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    app.domain
        .unlock("alice", ClientInfo::command_line())
        .await
        .unwrap();
    assert_eq!(
        signed_get(&app, &signer, "/func/auth", date_at(START + 2))
            .await
            .status,
        StatusCode::OK
    );
    app.database()
        .execute("UPDATE users SET status = 'inactive'", [])
        .unwrap();
    assert_eq!(
        signed_get(&app, &signer, "/func/auth", date_at(START + 3))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn sessions_work_on_the_same_routes_and_nothing_works_without_either() {
    let app = TestApp::new().await;
    app.add_user("admin@example.com", Some("boss")).await;
    app.database()
        .execute("UPDATE users SET role = 'admin'", [])
        .unwrap();
    let token = app.session("boss", PASSWORD).await;
    let role = Answer::from(
        app.client
            .get("/func/auth/role")
            .header("X-BackendAI-SessionID", &token)
            .send()
            .await,
    )
    .await;
    assert_eq!(
        role.json(),
        json!({"global_role": "superadmin", "domain_role": "admin", "group_role": null})
    );
    let anonymous = Answer::from(app.client.get("/func/auth").send().await).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    // API-mode clients negotiate at the root.
    let version = app.get("/").await;
    assert_eq!(version.json()["version"], "v8.20240915");
}

#[tokio::test]
async fn the_password_change_takes_a_signed_request_and_ends_every_session() {
    let app = TestApp::new().await;
    let created = app.add_user("user@example.com", Some("alice")).await;
    let session = app.session("alice", PASSWORD).await;
    let signer = Signer {
        access_key: &created.user.access_key,
        secret_key: &created.secret_key,
    };
    let date = date_at(START);
    let authorization = signer.authorization(
        "POST",
        "/func/auth/update-password",
        &date,
        "127.0.0.1:8090",
        "application/json",
        "v7.20230615",
    );
    let answer = send(
        &app,
        Call {
            method: Method::POST,
            path: "/func/auth/update-password",
            date,
            content_type: "application/json",
            body: Some(json!({"old_password": PASSWORD, "new_password": "N3w!passphrase", "new_password2": "N3w!passphrase"})),
            authorization,
        },
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(app.login_check(&session).await["authenticated"], false);
    assert_eq!(
        app.login("alice", "N3w!passphrase").await.json()["authenticated"],
        true
    );
}

#[tokio::test]
async fn reading_and_rotating_the_own_keypair() {
    let app = TestApp::new().await;
    let created = app.add_user("user@example.com", Some("alice")).await;
    let session = app.session("alice", PASSWORD).await;
    let read = Answer::from(
        app.client
            .get("/companion/keypair")
            .header("X-BackendAI-SessionID", &session)
            .send()
            .await,
    )
    .await;
    assert_eq!(read.json(), json!({"access_key": created.user.access_key}));
    assert!(!read.text().contains(&created.secret_key));

    let rotate = |password: &'static str| {
        let session = session.clone();
        let app = &app;
        async move {
            Answer::from(
                app.client
                    .post("/companion/keypair/rotate")
                    .header("X-BackendAI-SessionID", session)
                    .body_json(&json!({"password": password}))
                    .send()
                    .await,
            )
            .await
        }
    };
    assert_eq!(
        rotate("Wr0ng!password").await.status,
        StatusCode::UNAUTHORIZED
    );
    let rotated = rotate(PASSWORD).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text());
    let json = rotated.json();
    let access_key = json["access_key"].as_str().unwrap();
    let secret_key = json["secret_key"].as_str().unwrap();
    assert_ne!(access_key, created.user.access_key);
    // The old keys stop, the new ones work.
    let old = Signer {
        access_key: &created.user.access_key,
        secret_key: &created.secret_key,
    };
    assert_eq!(
        signed_get(&app, &old, "/func/auth", date_at(START))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let new = Signer {
        access_key,
        secret_key,
    };
    assert_eq!(
        signed_get(&app, &new, "/func/auth", date_at(START + 1))
            .await
            .status,
        StatusCode::OK
    );
    assert!(app.audit_kinds().contains(&"keypair_rotated".to_owned()));
    // The database never holds a secret key in clear.
    let raw = std::fs::read(app.config.database_path()).unwrap();
    let wal =
        std::fs::read(app.config.database_path().with_extension("sqlite3-wal")).unwrap_or_default();
    for secret in [secret_key, created.secret_key.as_str()] {
        for bytes in [&raw, &wal] {
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
        }
    }
}
