//! The code's stated shape, checked from its sources: no module imports
//! another that imports it back (directly or round a longer loop), and the
//! companion's layers point one way (`http` → `domain` → `store`).
//!
//! A module's imports are the `crate::…` and `super::…` paths in its file
//! (`use` trees and paths in code alike), test modules left out. An import
//! between a module and its own ancestor is not an edge (a parent declares
//! and re-exports its children); any other import counts between the two
//! siblings under their closest common parent, so `http::cloud` using
//! `http::keypair::x` is the edge cloud → keypair.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

/// Every module of a crate (by path from the crate root) and its source.
fn modules(src: &Path) -> BTreeMap<Module, String> {
    let mut found = BTreeMap::new();
    walk(src, src, &mut found);
    found
}

fn walk(root: &Path, dir: &Path, found: &mut BTreeMap<Module, String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(root, &path, found);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let relative = path.strip_prefix(root).unwrap().with_extension("");
        let mut module: Module = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if matches!(
            module.last().map(String::as_str),
            Some("mod" | "lib" | "main")
        ) {
            module.pop();
        }
        let source = std::fs::read_to_string(&path).unwrap();
        found.insert(module, without_tests(&source));
    }
}

/// The source without its `#[cfg(test)] mod tests { … }` (kept last by convention).
fn without_tests(source: &str) -> String {
    match source.find("#[cfg(test)]\nmod tests") {
        Some(start) => source[..start].to_owned(),
        None => source.to_owned(),
    }
}

/// Comments out: `//` to the end of the line (doc comments name paths too).
fn code_only(source: &str) -> String {
    source
        .lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `use` trees and qualified paths of a file, expanded to full paths
/// (`crate::a::b`, `super::c`), as written.
fn referenced_paths(source: &str) -> Vec<Vec<String>> {
    let code = code_only(source);
    let mut paths = Vec::new();
    let mut rest = code.as_str();
    // `use` statements, braces expanded.
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        rest = &rest[at + 4..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(end) = rest.find(';') else { break };
        let tree: String = rest[..end].chars().filter(|c| !c.is_whitespace()).collect();
        expand(&tree, &mut Vec::new(), &mut paths);
        rest = &rest[end..];
    }
    // Paths in code: `crate::x::y` and `super::x`.
    let bytes = code.as_bytes();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(offset) = code[from..].find(start) {
            let at = from + offset;
            from = at + start.len();
            if at > 0
                && (bytes[at - 1].is_ascii_alphanumeric()
                    || bytes[at - 1] == b'_'
                    || bytes[at - 1] == b':')
            {
                continue;
            }
            let path: String = code[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            paths.push(
                path.split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            );
        }
    }
    paths
}

/// Expands a `use` tree such as `super::{a, b::{c, d}}` into its paths.
fn expand(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let (head, group) = match tree.find('{') {
        Some(open) if tree.ends_with('}') => (&tree[..open], Some(&tree[open + 1..tree.len() - 1])),
        _ => (tree, None),
    };
    let segments: Vec<String> = head
        .split("::")
        .filter(|s| !s.is_empty())
        .map(|s| s.split(" as ").next().unwrap_or(s).to_owned())
        .collect();
    let depth = prefix.len();
    prefix.extend(segments);
    match group {
        None => out.push(prefix.clone()),
        Some(group) => {
            for item in split_top_level(group) {
                expand(item, prefix, out);
            }
        }
    }
    prefix.truncate(depth);
}

/// Splits a group at the commas that are not inside nested braces.
fn split_top_level(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&group[start..]);
    items.into_iter().filter(|s| !s.is_empty()).collect()
}

/// The module a path written in `module` points into (the longest known
/// module prefix), if it is in this crate.
fn target(module: &Module, path: &[String], known: &BTreeMap<Module, String>) -> Option<Module> {
    let mut absolute: Module = match path.first().map(String::as_str) {
        Some("crate") => Vec::new(),
        Some("super") => {
            let mut base = module.clone();
            let mut segments = path.iter().peekable();
            while segments.peek().is_some_and(|s| *s == "super") {
                segments.next();
                base.pop();
            }
            base.extend(segments.cloned());
            return longest_known(base, known);
        }
        _ => return None,
    };
    absolute.extend(path.iter().skip(1).cloned());
    longest_known(absolute, known)
}

fn longest_known(mut path: Module, known: &BTreeMap<Module, String>) -> Option<Module> {
    while !path.is_empty() {
        if known.contains_key(&path) {
            return Some(path);
        }
        path.pop();
    }
    None
}

/// Edges between sibling modules, named by their full paths.
fn sibling_edges(known: &BTreeMap<Module, String>) -> BTreeSet<(Module, Module)> {
    let mut edges = BTreeSet::new();
    for (module, source) in known {
        for path in referenced_paths(source) {
            let Some(to) = target(module, &path, known) else {
                continue;
            };
            let common = module.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if common == module.len() || common == to.len() {
                continue; // a module and its ancestor
            }
            edges.insert((module[..=common].to_vec(), to[..=common].to_vec()));
        }
    }
    edges
}

/// A loop in the edges, if there is one, as the modules around it.
fn find_cycle(edges: &BTreeSet<(Module, Module)>) -> Option<Vec<String>> {
    let mut graph: BTreeMap<&Module, Vec<&Module>> = BTreeMap::new();
    for (from, to) in edges {
        graph.entry(from).or_default().push(to);
    }
    fn visit<'a>(
        node: &'a Module,
        graph: &BTreeMap<&'a Module, Vec<&'a Module>>,
        stack: &mut Vec<&'a Module>,
        done: &mut BTreeSet<&'a Module>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|m| *m == node) {
            let mut cycle: Vec<String> = stack[at..].iter().map(|m| m.join("::")).collect();
            cycle.push(node.join("::"));
            return Some(cycle);
        }
        if !done.insert(node) {
            return None;
        }
        stack.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        // Revisit from every node: `done` only skips finished subtrees.
        let mut stack = Vec::new();
        if let Some(cycle) = visit(node, &graph, &mut stack, &mut done) {
            return Some(cycle);
        }
    }
    None
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn assert_acyclic(crate_src: &str) {
    let known = modules(&workspace().join(crate_src));
    assert!(known.len() > 3, "{crate_src}: no modules found");
    let edges = sibling_edges(&known);
    if let Some(cycle) = find_cycle(&edges) {
        panic!(
            "{crate_src}: modules import each other: {}",
            cycle.join(" → ")
        );
    }
}

#[test]
fn the_companion_has_no_import_cycles() {
    assert_acyclic("companion/src");
}

#[test]
fn the_extension_crates_have_no_import_cycles() {
    for src in [
        "extension/src",
        "extension/options/src",
        "extension/worker/src",
    ] {
        let known = modules(&workspace().join(src));
        if let Some(cycle) = find_cycle(&sibling_edges(&known)) {
            panic!("{src}: modules import each other: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn the_companion_layers_point_one_way() {
    let known = modules(&workspace().join("companion/src"));
    let forbidden: [(&str, &[&str]); 2] = [("store", &["domain", "http"]), ("domain", &["http"])];
    for (module, source) in &known {
        for (layer, above) in forbidden {
            if module.first().map(String::as_str) != Some(layer) {
                continue;
            }
            for path in referenced_paths(source) {
                if let Some(to) = target(module, &path, &known) {
                    let top = to.first().map(String::as_str).unwrap_or_default();
                    assert!(
                        !above.contains(&top),
                        "{} reaches up into {}",
                        module.join("::"),
                        to.join("::")
                    );
                }
            }
        }
    }
}

#[test]
fn the_checker_sees_cycles() {
    let mut known = BTreeMap::new();
    known.insert(vec![], "mod a; mod b;".to_owned());
    known.insert(vec!["a".to_owned()], "use super::b::{x, y::Z};".to_owned());
    known.insert(vec!["b".to_owned()], "fn f() { crate::a::g() }".to_owned());
    known.insert(vec!["b".to_owned(), "y".to_owned()], String::new());
    let edges = sibling_edges(&known);
    assert!(edges.contains(&(vec!["a".to_owned()], vec!["b".to_owned()])));
    assert!(find_cycle(&edges).is_some());
    // A child using its parent, and a parent its child, are not loops.
    known.insert(
        vec!["b".to_owned()],
        "use super::b::y::Z; use self::y::Z;".to_owned(),
    );
    known.insert(
        vec!["b".to_owned(), "y".to_owned()],
        "use super::f;".to_owned(),
    );
    assert_eq!(find_cycle(&sibling_edges(&known)), None);
}
