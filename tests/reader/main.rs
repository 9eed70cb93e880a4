//! The reader's integration tests (one binary): every numeric branch of every TTree in the
//! shared ROOT files against uproot's values (fixtures made by
//! `tests/fixtures/root/make_fixtures.py`), chunked reads, damaged files, `ana inspect`.

#![allow(
    clippy::indexing_slicing,
    reason = "tests index freely: a panic is a test failure"
)]

mod bad;
mod expected;
mod inspect;
mod rntuple;

use std::path::PathBuf;

/// `../shared/data` from the repository root (or from `/work/wt/<name>`, a worktree).
pub fn data_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for up in [root.join("../shared/data"), root.join("../../shared/data")] {
        if up.is_dir() {
            return up;
        }
    }
    panic!("shared test data not found next to {}", root.display());
}

pub fn data(name: &str) -> PathBuf {
    data_dir().join(name)
}
