//! The fuzz corpora replayed as regression tests: every input that libFuzzer kept (the
//! minimized corpus in `fuzz/corpus-min/<target>/`, seeded with the examples and the shared
//! ROOT files, plus every crash found and fixed) must go through its target without a panic.
//! Run the fuzzers themselves with `fuzz/run.sh` (see fuzz/README.md).

#![allow(
    clippy::indexing_slicing,
    reason = "tests index freely: a panic is a test failure"
)]

#[path = "../../fuzz/harness.rs"]
mod harness;

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus-min")
        .join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .collect();
    inputs.sort();
    assert!(
        inputs.len() >= 5,
        "corpus {} is nearly empty",
        dir.display()
    );
    for path in &inputs {
        let data = std::fs::read(path).expect("read input");
        if std::panic::catch_unwind(|| run(&data)).is_err() {
            panic!("{target}: input {} panics", path.display());
        }
    }
}

#[test]
fn script_corpus_never_panics() {
    replay("script", harness::script);
}

#[test]
fn root_file_corpus_never_panics() {
    replay("root_file", harness::root_file);
}
