//! The extension's layering, checked on its source (natively):
//! - only `src/platform/` binds JavaScript: `chrome.*`, `fetch`, the window
//!   and the global object (the options page and the service worker have no
//!   platform code of their own and go through this crate's);
//!   `extension/clippy.toml` refuses the same methods by path;
//! - no module of `src/` imports another that imports it back.

#![cfg(not(target_arch = "wasm32"))]
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
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

/// The top-level module a file of `src/` belongs to (`None`: the crate root).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let first = file.strip_prefix(src).ok()?.components().next()?;
    let name = first.as_os_str().to_str()?.trim_end_matches(".rs");
    (name != "lib").then(|| name.to_owned())
}

/// Which top-level modules of `src/` each one uses (`crate::name`).
fn module_imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = manifest_dir().join("src");
    let files = rust_files(&src);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(&src, f)).collect();
    let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        let source = std::fs::read_to_string(file).unwrap();
        let used = imports.entry(module.clone()).or_default();
        for (_, code) in code_lines(&source) {
            for rest in code.split("crate::").skip(1) {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if name != module && modules.contains(&name) {
                    used.insert(name);
                }
            }
        }
    }
    imports
}

/// A circle of imports, if there is one.
fn find_circle(imports: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        module: &str,
        imports: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|m| m == module) {
            let mut circle = path[at..].to_vec();
            circle.push(module.to_owned());
            return Some(circle);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module.to_owned());
        for next in imports.get(module).into_iter().flatten() {
            if let Some(circle) = visit(next, imports, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(module.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    imports
        .keys()
        .find_map(|module| visit(module, imports, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_imports_in_a_circle() {
    let imports = module_imports();
    assert!(imports.contains_key("platform") && imports.contains_key("state"));
    assert!(
        imports["state"].contains("protocol"),
        "the scan reads imports: {imports:?}"
    );
    if let Some(circle) = find_circle(&imports) {
        panic!("modules import each other: {}", circle.join(" → "));
    }
}

#[test]
fn the_circle_check_finds_one() {
    let graph = |edges: &[(&str, &str)]| {
        let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in edges {
            imports
                .entry((*from).to_owned())
                .or_default()
                .insert((*to).to_owned());
        }
        imports
    };
    assert_eq!(
        find_circle(&graph(&[
            ("client", "state"),
            ("state", "protocol"),
            ("protocol", "client")
        ])),
        Some(vec![
            "client".into(),
            "state".into(),
            "protocol".into(),
            "client".into()
        ])
    );
    assert_eq!(
        find_circle(&graph(&[("a", "b"), ("a", "c"), ("b", "c")])),
        None
    );
}
