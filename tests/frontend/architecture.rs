//! ARCHITECTURE.md is a newcomer's map of the code: every repository path it names must exist,
//! so that the map cannot drift from the code unnoticed.

use std::path::{Path, PathBuf};

/// File kinds a map names; other dotted words (`run.json`, outputs) are not repository files.
const EXTENSIONS: [&str; 6] = [".rs", ".toml", ".pest", ".sh", ".py", ".md"];

/// Every word of `text` that looks like a repository path: it starts with a top-level entry
/// of the repository and has a `/`, or it names a source file (`native.rs`, `root/sigbus.rs`).
fn path_like(text: &str, top_level: &[String]) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || "`()|,;:".contains(c))
        .map(|w| w.trim_end_matches('.'))
        .filter(|w| !w.is_empty() && !w.starts_with("../"))
        .filter(|w| {
            let first = w.split('/').next().unwrap_or_default();
            (w.contains('/') && top_level.iter().any(|t| t == first))
                || EXTENSIONS.iter().any(|e| w.ends_with(e))
        })
        .map(str::to_string)
        .collect()
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        out.push(p.clone());
        if p.is_dir() {
            files_under(&p, out);
        }
    }
}

/// A path from the repository root must exist as written (`tests/<area>/main.rs` for at least
/// one area); a path relative to a module (`root/sigbus.rs`) must end some repository path.
fn exists(root: &Path, all: &[PathBuf], path: &str, top_level: &[String]) -> bool {
    let rooted = top_level
        .iter()
        .any(|t| path.split('/').next() == Some(t.as_str()));
    let pattern: String = {
        let mut out = String::new();
        let mut in_placeholder = false;
        for c in path.trim_end_matches('/').chars() {
            match c {
                '<' => {
                    in_placeholder = true;
                    out.push('*');
                }
                '>' => in_placeholder = false,
                c if !in_placeholder => out.push(c),
                _ => {}
            }
        }
        out
    };
    if rooted {
        let full = root.join(&pattern).display().to_string();
        return glob::glob(&full)
            .expect("pattern")
            .flatten()
            .next()
            .is_some();
    }
    all.iter().any(|p| {
        p.strip_prefix(root)
            .is_ok_and(|rel| rel.ends_with(Path::new(&pattern)))
    })
}

#[test]
fn every_path_in_architecture_md_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let top_level: Vec<String> = std::fs::read_dir(root)
        .expect("repository root")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| !n.starts_with('.') && n != "target")
        .collect();
    let mut all = Vec::new();
    files_under(root, &mut all);
    let named = path_like(&text, &top_level);
    assert!(
        named.len() > 20,
        "the map names few paths: the scan is broken: {named:?}"
    );
    let missing: Vec<&String> = named
        .iter()
        .filter(|p| !exists(root, &all, p, &top_level))
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist: {missing:?}"
    );
}

#[test]
fn the_scan_finds_a_wrong_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let top = vec!["compiler".to_string(), "runtime".to_string()];
    let named = path_like(
        "(compiler/src/check) `root/sigbus.rs`, TTree/TBranch, run.json, abi::Engine",
        &top,
    );
    assert_eq!(named, ["compiler/src/check", "root/sigbus.rs"]);
    let mut all = Vec::new();
    files_under(&root.join("runtime"), &mut all);
    assert!(!exists(root, &all, "compiler/src/check", &top));
    assert!(exists(root, &all, "compiler/src/lower/", &top));
    assert!(exists(root, &all, "root/sigbus.rs", &top));
}
