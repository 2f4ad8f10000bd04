//! What the manifest may ask of the browser, pinned: the permissions on an
//! allow-list, host access to this computer only (any other endpoint is
//! asked for when first used), no page of the extension reachable from the
//! web or from other extensions, and a content security policy stricter
//! than Manifest V3's minimum. A change to any of these is a decision, and
//! this test is where it is made.

#![cfg(not(target_arch = "wasm32"))]
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use serde_json::{Value, json};

fn manifest() -> Value {
    serde_json::from_str(include_str!("../manifest.json")).unwrap()
}

fn strings(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// A policy's directives, each with its sources in order.
fn directives(policy: &str) -> Vec<(String, Vec<String>)> {
    policy
        .split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            let mut words = d.split_whitespace().map(str::to_owned);
            (words.next().unwrap(), words.collect())
        })
        .collect()
}

fn owned(pairs: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    pairs
        .iter()
        .map(|(name, sources)| {
            (
                (*name).to_owned(),
                sources.iter().map(|s| (*s).to_owned()).collect(),
            )
        })
        .collect()
}

#[test]
fn permissions_are_the_allowed_ones() {
    let manifest = manifest();
    let allowed: BTreeSet<String> = [
        "storage",
        "activeTab",
        "alarms",
        "offscreen",
        "clipboardWrite",
        "notifications",
        "scripting",
        "identity",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(strings(&manifest["permissions"]), allowed);
    assert!(
        manifest.get("optional_permissions").is_none(),
        "no API permission asked for later"
    );
}

#[test]
fn host_access_is_this_computer_and_the_rest_only_when_asked() {
    let manifest = manifest();
    assert_eq!(
        strings(&manifest["host_permissions"]),
        ["http://127.0.0.1/*", "http://localhost/*"]
            .map(str::to_owned)
            .into()
    );
    // Asked for one endpoint at a time, at its first login.
    assert_eq!(
        strings(&manifest["optional_host_permissions"]),
        ["https://*/*", "http://*/*"].map(str::to_owned).into()
    );
    let text = include_str!("../manifest.json");
    assert!(!text.contains("<all_urls>"));
    assert!(!text.contains("*://*/*"));
    // The sidebar script is registered at run time on configured origins,
    // and asks the worker for what it keeps: storage is for the extension's
    // own pages (`background.js` restricts storage.local to them).
    assert!(manifest.get("content_scripts").is_none());
    assert!(!include_str!("../static/content.js").contains("chrome.storage"));
    assert!(
        include_str!("../static/background.js").contains(
            "chrome.storage.local\n  .setAccessLevel({ accessLevel: 'TRUSTED_CONTEXTS' })"
        )
    );
}

#[test]
fn no_page_is_open_to_the_web_or_to_other_extensions() {
    let manifest = manifest();
    // Single sign-on needs none: its page opens in a tab the worker makes.
    assert!(manifest.get("web_accessible_resources").is_none());
    assert_eq!(manifest["externally_connectable"], json!({"ids": []}));
}

#[test]
fn the_extension_pages_policy_is_stricter_than_the_minimum() {
    let manifest = manifest();
    let policy = manifest["content_security_policy"]["extension_pages"]
        .as_str()
        .unwrap();
    assert_eq!(
        directives(policy),
        owned(&[
            ("script-src", &["'self'", "'wasm-unsafe-eval'"]),
            ("object-src", &["'none'"]),
            ("base-uri", &["'none'"]),
            ("form-action", &["'none'"]),
            ("frame-ancestors", &["'none'"]),
        ])
    );
}

#[test]
fn only_the_single_sign_on_form_is_sandboxed_and_may_post() {
    let manifest = manifest();
    assert_eq!(manifest["sandbox"], json!({"pages": ["sso.html"]}));
    let policy = manifest["content_security_policy"]["sandbox"]
        .as_str()
        .unwrap();
    assert_eq!(
        directives(policy),
        owned(&[
            // No allow-same-origin: the page is an opaque origin, without
            // the extension's APIs or storage.
            ("sandbox", &["allow-scripts", "allow-forms"]),
            ("script-src", &["'self'"]),
            ("object-src", &["'none'"]),
            ("base-uri", &["'none'"]),
            ("form-action", &["http:", "https:"]),
            ("frame-ancestors", &["'none'"]),
        ])
    );
    let script = include_str!("../static/sso.js");
    assert!(
        !script.contains("chrome."),
        "a sandboxed page has no chrome.* to call"
    );
}
