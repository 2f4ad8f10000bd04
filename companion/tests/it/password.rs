//! `/server/update-password-no-auth` and `/companion/password-policy`.

use baigate_shared::password::{PasswordPolicy, PasswordPolicyDocument};
use poem::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{Answer, PASSWORD, TestApp};

async fn change(app: &TestApp, body: Value) -> Answer {
    app.post_json("/server/update-password-no-auth", &body)
        .await
}

#[tokio::test]
async fn changing_the_password_ends_every_session() {
    let app = TestApp::multi_session().await;
    app.add_user("user@example.com", Some("alice")).await;
    let first = app.session("alice", PASSWORD).await;
    let second = app.session("user@example.com", PASSWORD).await;
    app.clock.advance(30);
    let answer = change(
        &app,
        json!({"username": "ALICE", "current_password": PASSWORD, "new_password": "N3w!passphrase"}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json(),
        json!({"data": null, "password_changed_at": "2027-01-15T08:00:30Z"})
    );
    for token in [&first, &second] {
        assert_eq!(app.login_check(token).await["authenticated"], false);
    }
    assert_eq!(
        app.login("alice", PASSWORD).await.json()["authenticated"],
        false
    );
    assert_eq!(
        app.login("alice", "N3w!passphrase").await.json()["authenticated"],
        true
    );
    assert!(app.audit_kinds().contains(&"password_changed".to_owned()));
}

#[tokio::test]
async fn refusals_come_in_the_data_member() {
    let app = TestApp::new().await;
    app.add_user("user@example.com", Some("alice")).await;
    let cases = [
        (
            json!({"username": "alice", "current_password": "Wr0ng!pass", "new_password": "N3w!passphrase"}),
            "https://api.backend.ai/probs/auth-failed",
            None,
        ),
        (
            json!({"username": "ghost", "current_password": PASSWORD, "new_password": "N3w!passphrase"}),
            "https://api.backend.ai/probs/auth-failed",
            None,
        ),
        (
            json!({"username": "alice", "current_password": PASSWORD, "new_password": PASSWORD}),
            "https://api.backend.ai/probs/invalid-api-params",
            Some("new_password"),
        ),
        (
            json!({"username": "alice", "current_password": PASSWORD, "new_password": "short1!"}),
            "https://api.backend.ai/probs/rejected-by-hook",
            Some("new_password"),
        ),
        (
            json!({"username": "alice", "current_password": PASSWORD, "new_password": "Password1!"}),
            "https://api.backend.ai/probs/rejected-by-hook",
            Some("new_password"),
        ),
        (
            json!({"username": "alice", "current_password": PASSWORD, "new_password": "User@Example.com"}),
            "https://api.backend.ai/probs/rejected-by-hook",
            Some("new_password"),
        ),
    ];
    for (body, problem_type, field) in cases {
        let answer = change(&app, body.clone()).await;
        assert_eq!(answer.status, StatusCode::OK, "{body}");
        let json = answer.json();
        assert_eq!(json["password_changed_at"], Value::Null);
        assert_eq!(json["data"]["type"], problem_type, "{body}: {json}");
        assert_eq!(json["data"]["field"].as_str(), field, "{body}");
    }
    // The policy refusal says what is wrong.
    let json = change(
        &app,
        json!({"username": "alice", "current_password": PASSWORD, "new_password": "short1!"}),
    )
    .await
    .json();
    assert!(
        json["data"]["details"]
            .as_str()
            .unwrap()
            .contains("at least 8 characters"),
        "{json}"
    );
    // Nothing changed.
    assert_eq!(
        app.login("alice", PASSWORD).await.json()["authenticated"],
        true
    );
}

#[tokio::test]
async fn missing_fields_are_named() {
    let app = TestApp::new().await;
    let full = json!({"username": "a", "current_password": "b", "new_password": "c"});
    for field in ["username", "current_password", "new_password"] {
        let mut body = full.clone();
        body.as_object_mut().unwrap().remove(field);
        let answer = change(&app, body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            answer.json()["title"],
            format!("You must provide the {field} field.")
        );
        assert_eq!(answer.json()["field"], field);
    }
}

#[tokio::test]
async fn the_policy_document_is_what_the_server_enforces() {
    let app = TestApp::with(|config| config.password.policy.min_length = 12).await;
    let answer = Answer::from(app.client.get("/companion/password-policy").send().await).await;
    assert_eq!(answer.status, StatusCode::OK);
    let document: PasswordPolicyDocument = serde_json::from_slice(&answer.body).unwrap();
    let expected = PasswordPolicy {
        min_length: 12,
        ..PasswordPolicy::default()
    };
    assert_eq!(document, PasswordPolicyDocument::new(&expected));
    assert_eq!(document.rules[0].description, "at least 12 characters");
    assert_eq!(answer.json()["rules"][0]["rule"], "min-length");
    // And the server applies it.
    let long = "L0nger!passphrase";
    app.add_user_with(
        "user@example.com",
        Some("alice"),
        long,
        baigate_companion::model::Role::User,
    )
    .await;
    let json = change(
        &app,
        json!({"username": "alice", "current_password": long, "new_password": "Sh0rt!pass"}),
    )
    .await
    .json();
    assert_eq!(
        json["data"]["type"],
        "https://api.backend.ai/probs/rejected-by-hook"
    );
}

#[tokio::test]
async fn the_openapi_document_describes_the_companion_routes() {
    let app = TestApp::new().await;
    let answer = Answer::from(app.client.get("/companion/openapi.json").send().await).await;
    assert_eq!(answer.status, StatusCode::OK);
    let spec = answer.json();
    assert_eq!(spec["info"]["title"], "baigate companion");
    assert_eq!(spec["servers"][0]["url"], "http://127.0.0.1:8090/companion");
    assert!(
        spec["paths"]["/password-policy"]["get"].is_object(),
        "{spec}"
    );
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    assert!(schemas.contains_key("PasswordPolicy"));
    assert!(schemas.contains_key("PasswordRule"));
    assert_eq!(
        spec["components"]["schemas"]["PasswordRule"]["enum"][0],
        "min-length"
    );
}

#[tokio::test]
async fn the_openapi_document_declares_how_to_authenticate_and_the_refusals() {
    let app = TestApp::new().await;
    let spec = Answer::from(app.client.get("/companion/openapi.json").send().await)
        .await
        .json();
    let schemes = &spec["components"]["securitySchemes"];
    assert_eq!(schemes["session"]["type"], "apiKey");
    assert_eq!(schemes["session"]["in"], "header");
    assert_eq!(schemes["session"]["name"], "X-BackendAI-SessionID");
    assert_eq!(schemes["sessionCookie"]["in"], "cookie");
    assert_eq!(schemes["sessionCookie"]["name"], "AIOHTTP_SESSION");
    assert_eq!(schemes["signature"]["name"], "Authorization");
    let names = |operation: &serde_json::Value| -> Vec<String> {
        operation["security"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|requirement| requirement.as_object().unwrap().keys().cloned())
            .collect()
    };
    let sessions = &spec["paths"]["/sessions"]["get"];
    assert_eq!(names(sessions), ["session", "sessionCookie"]);
    assert_eq!(
        names(&spec["paths"]["/summary"]["get"]),
        ["session", "sessionCookie", "signature"]
    );
    assert!(names(&spec["paths"]["/password-policy"]["get"]).is_empty());
    for status in ["401", "429"] {
        let refusal = &sessions["responses"][status];
        assert!(
            refusal["content"]["application/problem+json"]["schema"]["$ref"]
                .as_str()
                .unwrap()
                .ends_with("/Problem"),
            "{status}: {refusal}"
        );
    }
    assert!(spec["components"]["schemas"]["Problem"]["properties"]["type"].is_object());
}
