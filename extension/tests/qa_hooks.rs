//! The automation hooks `docs/qa.md` promises QA engineers (its table
//! between `<!-- hooks -->` and `<!-- /hooks -->`) are still in the popup:
//! an id (`#otp`) as `id="otp"`, an attribute (`[data-busy]`) as
//! `data-busy=`, and an attribute with a value (`[data-panel="otp"]`) as
//! `data-panel="otp"`, or, where the value is computed, as `data-panel={`
//! and a quoted `"otp"` in one file. A hook that disappears, or is renamed,
//! fails here; the examples that `scripts/qa-examples.sh` runs use them
//! live.

#![cfg(not(target_arch = "wasm32"))]
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The popup's Rust sources, one string per file.
fn popup_sources() -> Vec<String> {
    let mut pending = vec![manifest_dir().join("src")];
    let mut files: Vec<PathBuf> = Vec::new();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect()
}

/// The selectors in the first column of the hooks table of `docs/qa.md`.
fn documented_hooks() -> Vec<String> {
    let doc = std::fs::read_to_string(manifest_dir().join("../docs/qa.md")).unwrap();
    let start = doc
        .find("<!-- hooks -->")
        .expect("docs/qa.md has no hooks table");
    let end = doc
        .find("<!-- /hooks -->")
        .expect("the hooks table is not closed");
    doc[start..end]
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .map(str::to_owned)
        .collect()
}

/// What a selector asks of the markup: ids, attributes, and attributes
/// with a value.
#[derive(Debug, Default, PartialEq)]
struct Needs {
    ids: Vec<String>,
    attributes: Vec<String>,
    values: Vec<(String, String)>,
}

impl Needs {
    /// Whether the sources (one string per file) render all of it.
    fn met_by(&self, files: &[String]) -> bool {
        let anywhere = |text: &str| files.iter().any(|file| file.contains(text));
        self.ids.iter().all(|id| anywhere(&format!("id=\"{id}\"")))
            && self
                .attributes
                .iter()
                .all(|name| anywhere(&format!("{name}=")))
            && self.values.iter().all(|(name, value)| {
                anywhere(&format!("{name}=\"{value}\""))
                    || files.iter().any(|file| {
                        file.contains(&format!("{name}={{"))
                            && file.contains(&format!("\"{value}\""))
                    })
            })
    }
}

fn needs(selector: &str) -> Needs {
    let mut found = Needs::default();
    for part in selector.split_whitespace() {
        if let Some(id) = part.strip_prefix('#') {
            found.ids.push(id.to_owned());
        }
        for attribute in part.split('[').skip(1) {
            let inside = attribute.trim_end_matches(']');
            match inside.split_once('=') {
                Some((name, value)) => found
                    .values
                    .push((name.to_owned(), value.trim_matches('"').to_owned())),
                None => found.attributes.push(inside.to_owned()),
            }
        }
    }
    found
}

#[test]
fn selectors_read_as_ids_attributes_and_values() {
    assert_eq!(
        needs("main[data-busy]"),
        Needs {
            attributes: vec!["data-busy".into()],
            ..Needs::default()
        }
    );
    assert_eq!(
        needs("[data-panel=\"otp\"]"),
        Needs {
            values: vec![("data-panel".into(), "otp".into())],
            ..Needs::default()
        }
    );
    assert_eq!(
        needs("#signup-email"),
        Needs {
            ids: vec!["signup-email".into()],
            ..Needs::default()
        }
    );
}

#[test]
fn every_documented_hook_is_in_the_popup() {
    let hooks = documented_hooks();
    assert!(
        hooks.len() >= 50,
        "the hooks table lost rows: {} left",
        hooks.len()
    );
    let sources = popup_sources();
    let mut missing = Vec::new();
    for hook in &hooks {
        let wanted = needs(hook);
        assert_ne!(wanted, Needs::default(), "{hook} names no id or attribute");
        if !wanted.met_by(&sources) {
            missing.push(hook.as_str());
        }
    }
    assert!(
        missing.is_empty(),
        "docs/qa.md promises hooks the popup no longer has: {missing:?}"
    );
}

#[test]
fn a_hook_that_is_gone_is_missed() {
    let files = vec![
        "<code class=\"access-key\">".to_owned(),
        "<p data-qa=\"not-offered\">".to_owned(),
        "<input id=\"access-key\">".to_owned(),
    ];
    assert!(!needs("[data-qa=\"access-key\"]").met_by(&files));
    assert!(needs("[data-qa=\"not-offered\"]").met_by(&files));
    assert!(needs("#access-key").met_by(&files));
    let computed = vec!["<p data-action={slug}> let slug = \"turn-on-2fa\";".to_owned()];
    assert!(needs("[data-action=\"turn-on-2fa\"]").met_by(&computed));
}
