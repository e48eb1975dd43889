//! The shape of the code, checked on the source (docs/architecture.md, "Layers"): which module may
//! use which, and how long a file may grow. Run alone with `cargo test --test architecture`; the
//! `module_imports` test prints the import listing it checks.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Each top-level module of `src/` with the modules it may use (`crate::X`). The arrows point
/// down: a module never uses one that may use it, so there are no cycles. Keep this table and the
/// picture in docs/architecture.md the same.
const LAYERS: &[(&str, &[&str])] = &[
    ("secret", &[]),
    ("locks", &[]),
    ("clock", &[]),
    ("records", &[]),
    ("serve", &[]),
    ("metrics", &["clock", "locks", "serve"]),
    ("protocol", &["locks", "secret"]),
    ("plan", &["protocol"]),
    ("security", &["protocol", "secret"]),
    ("fetch", &["plan", "protocol", "records"]),
    (
        "offsets",
        &["clock", "locks", "metrics", "plan", "protocol", "records"],
    ),
    (
        "produce",
        &[
            "clock", "fetch", "metrics", "offsets", "plan", "protocol", "records",
        ],
    ),
    (
        "config",
        &[
            "fetch", "offsets", "plan", "produce", "protocol", "secret", "security",
        ],
    ),
    // Test-only: the fuzz targets, over every parser of outside input.
    (
        "fuzz",
        &["config", "fetch", "offsets", "plan", "protocol", "records"],
    ),
    (
        "operate",
        &["clock", "config", "offsets", "protocol", "security"],
    ),
    (
        "replicate",
        &[
            "clock", "config", "fetch", "locks", "metrics", "offsets", "plan", "produce",
            "protocol", "security",
        ],
    ),
    (
        "connect",
        &[
            "clock",
            "config",
            "metrics",
            "offsets",
            "protocol",
            "replicate",
            "security",
        ],
    ),
    (
        "launch",
        &["config", "connect", "metrics", "replicate", "serve"],
    ),
];

/// Files whose code (before their `#[cfg(test)]` module) is still longer than [`MAX_LINES`], with
/// the length they may not exceed while they wait to be split. The list only shrinks.
const OVERSIZED: &[(&str, usize)] = &[];

/// The longest a source file's code may be (tests not counted).
const MAX_LINES: usize = 600;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`None` for `lib.rs` and `main.rs`).
fn module_of(path: &Path) -> Option<String> {
    let rel = path.strip_prefix(src()).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    match first.strip_suffix(".rs") {
        Some("lib" | "main") => None,
        Some(leaf) => Some(leaf.to_string()),
        None => Some(first),
    }
}

/// The `crate::X` modules a file names outside comments.
fn crate_refs(text: &str) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                refs.insert(name);
            }
            rest = after;
        }
    }
    refs
}

/// Module -> the modules it uses, read from the source.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let Some(module) = module_of(&f) else {
            continue;
        };
        let refs = crate_refs(&fs::read_to_string(&f).unwrap());
        let entry = map.entry(module.clone()).or_default();
        entry.extend(refs.into_iter().filter(|r| *r != module));
    }
    map
}

#[test]
fn module_imports_follow_the_layers() {
    let allowed: BTreeMap<&str, BTreeSet<&str>> = LAYERS
        .iter()
        .map(|(m, deps)| (*m, deps.iter().copied().collect()))
        .collect();
    let actual = imports();
    let mut wrong = Vec::new();
    for (module, uses) in &actual {
        eprintln!(
            "{module} -> {}",
            uses.iter().cloned().collect::<Vec<_>>().join(" ")
        );
        let Some(ok) = allowed.get(module.as_str()) else {
            wrong.push(format!(
                "module `{module}` is not in LAYERS: give it a place"
            ));
            continue;
        };
        for u in uses {
            if !ok.contains(u.as_str()) {
                wrong.push(format!("`{module}` uses `{u}`, which it may not"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_layer_table_has_no_cycles() {
    // Every module may use only modules listed before it.
    let mut seen = BTreeSet::new();
    for (module, deps) in LAYERS {
        for d in *deps {
            assert!(
                seen.contains(d),
                "`{module}` may use `{d}`, which is not listed before it"
            );
        }
        seen.insert(*module);
    }
}

/// Lines of a file before its unit-test module.
fn code_lines(text: &str) -> usize {
    text.lines()
        .take_while(|l| !l.starts_with("#[cfg(test)]"))
        .count()
}

#[test]
fn source_files_stay_short() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let caps: BTreeMap<&str, usize> = OVERSIZED.iter().copied().collect();
    let mut wrong = Vec::new();
    for f in files {
        let rel = f.strip_prefix(root).unwrap().to_str().unwrap().to_string();
        let name = f.file_name().unwrap().to_str().unwrap();
        if name == "tests.rs" || name == "test_support.rs" {
            continue;
        }
        let n = code_lines(&fs::read_to_string(&f).unwrap());
        match caps.get(rel.as_str()) {
            Some(&cap) if n > cap => wrong.push(format!(
                "{rel}: {n} lines of code, more than the {cap} it had when it was listed as too long: split it"
            )),
            Some(_) if n <= MAX_LINES => wrong.push(format!(
                "{rel}: {n} lines, no longer too long: remove it from OVERSIZED"
            )),
            Some(_) => {}
            None if n > MAX_LINES => wrong.push(format!(
                "{rel}: {n} lines of code (more than {MAX_LINES}): split it by concern"
            )),
            None => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Code cites pages inside the repository (docs/), never a file beside it that a reader of the
/// repository does not have.
#[test]
fn code_cites_nothing_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    rust_files(&root.join("tests"), &mut files);
    let mut wrong = Vec::new();
    for f in files {
        for (n, line) in fs::read_to_string(&f).unwrap().lines().enumerate() {
            let cites = ["mm2-compat", "../shared", "TESTING.md", "STYLE.md"]
                .iter()
                .any(|outside| line.contains(outside));
            // This test's own list names them.
            if cites && !f.ends_with("architecture.rs") {
                wrong.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
