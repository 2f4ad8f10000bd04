//! The extension's layering, checked on its source (natively):
//! - only `src/platform/` binds JavaScript: `chrome.*`, `fetch`, the window
//!   and the global object (the options page and the service worker have no
//!   platform code of their own and go through this crate's);
//!   `extension/clippy.toml` refuses the same methods by path.
//!
//! Import cycles, here and in the companion, are checked by the workspace's
//! `tests/tests/architecture.rs`.

#![cfg(not(target_arch = "wasm32"))]
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

/// What may appear only under `src/platform/`, and what it is.
const BROWSER_ONLY: [(&str, &str); 7] = [
    ("js_namespace", "a binding to a JavaScript namespace"),
    ("extern \"C\"", "a block of JavaScript imports"),
    ("chrome.", "a chrome.* call"),
    ("\"chrome\"", "the chrome object by name"),
    ("fetch", "fetch"),
    ("web_sys::window", "the window"),
    ("js_sys::global", "the global object"),
];

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
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
}

/// The lines of `source` that are code: comments dropped (a `//` after a
/// space or at the start; URLs in strings keep theirs).
fn code_lines(source: &str) -> impl Iterator<Item = (usize, &str)> {
    source.lines().enumerate().filter_map(|(index, line)| {
        let code = match line.trim_start().starts_with("//") {
            true => "",
            false => line.find(" //").map_or(line, |at| &line[..at]),
        };
        (!code.trim().is_empty()).then_some((index + 1, code))
    })
}

/// Where `source` (named `name`) reaches the browser itself.
fn browser_uses(name: &str, source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (line, code) in code_lines(source) {
        for (needle, what) in BROWSER_ONLY {
            if code.contains(needle) {
                found.push(format!("{name}:{line}: {what} (`{}`)", code.trim()));
            }
        }
    }
    found
}

#[test]
fn only_platform_reaches_the_browser() {
    let root = manifest_dir();
    let platform = root.join("src/platform");
    let crates = [
        root.join("src"),
        root.join("options/src"),
        root.join("worker/src"),
    ];
    let mut found = Vec::new();
    for dir in &crates {
        for file in rust_files(dir) {
            if file.starts_with(&platform) {
                continue;
            }
            let source = std::fs::read_to_string(&file).unwrap();
            let name = file.strip_prefix(root).unwrap().display().to_string();
            found.extend(browser_uses(&name, &source));
        }
    }
    assert!(
        found.is_empty(),
        "only src/platform/ may reach the browser; move these there:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_browser_check_sees_bindings_and_not_comments() {
    let binding = "#[wasm_bindgen]\nextern \"C\" {\n    #[wasm_bindgen(js_namespace = [\"chrome\", \"tabs\"])]\n    fn query(q: &JsValue) -> Promise;\n}\n";
    assert_eq!(
        browser_uses("x.rs", binding).len(),
        3,
        "{:?}",
        browser_uses("x.rs", binding)
    );
    assert_eq!(browser_uses("x.rs", "let w = web_sys::window();").len(), 1);
    assert_eq!(
        browser_uses("x.rs", "#[wasm_bindgen(js_name = fetch)]").len(),
        1
    );
    let quiet = "//! Reads `chrome.storage` and calls fetch.\nlet url = \"chrome://extensions\"; // chrome.tabs\n";
    assert!(browser_uses("x.rs", quiet).is_empty());
}
