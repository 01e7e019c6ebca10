//! The crate's layers, enforced: every `crate::<module>` reference in a
//! top-level module must name a module of a lower layer (the order
//! `src/lib.rs` documents), so no two modules can import each other in a
//! circle. A new top-level module must be given its place here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module with its layer; a module may use only lower layers.
const LAYERS: &[(&str, u32)] = &[
    ("util", 0),
    ("protocol", 1),
    ("alloc", 1),
    ("log", 1),
    ("config", 2),
    ("scripting", 2),
    ("observe", 3),
    ("keyspace", 4),
    ("security", 5),
    ("state", 6),
    ("command", 7),
    ("families", 8),
    ("dispatch", 8),
    ("server", 9),
    ("testing", 10),
];

/// The top-level modules `src/lib.rs` declares.
fn declared_modules() -> BTreeSet<String> {
    let lib = std::fs::read_to_string("src/lib.rs").unwrap();
    lib.lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';').to_string())
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to (`None` for the crate root).
fn module_of(path: &Path) -> Option<String> {
    let rel = path.strip_prefix("src").ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.trim_end_matches(".rs");
    (name != "lib" && name != "main").then(|| name.to_string())
}

/// Every `crate::<name>` in `text` whose name is a declared module.
fn references(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if modules.contains(&name) {
            found.insert(name);
        }
    }
    found
}

/// Which modules each module refers to.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = declared_modules();
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(module) = module_of(&file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        let uses = references(&text, &modules);
        let entry = graph.entry(module.clone()).or_default();
        entry.extend(uses.into_iter().filter(|u| *u != module));
    }
    graph
}

#[test]
fn every_top_level_module_has_a_layer() {
    let layered: BTreeSet<String> = LAYERS.iter().map(|(m, _)| m.to_string()).collect();
    assert_eq!(
        declared_modules(),
        layered,
        "src/lib.rs and LAYERS must list the same modules"
    );
}

#[test]
fn modules_import_only_lower_layers() {
    let layer: BTreeMap<&str, u32> = LAYERS.iter().copied().collect();
    let mut violations = Vec::new();
    for (module, uses) in module_graph() {
        for used in uses {
            if layer[used.as_str()] >= layer[module.as_str()] {
                violations.push(format!("{module} uses {used}"));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "imports against the layering: {violations:?}"
    );
}

#[test]
fn the_reference_scanner_sees_paths_and_use_lines() {
    let modules: BTreeSet<String> = ["state", "keyspace"].map(String::from).into();
    let text = "use crate::state::Shared;\nlet x = crate::keyspace::now(); crate::dispatcher(c);";
    assert_eq!(references(text, &modules), modules);
}
