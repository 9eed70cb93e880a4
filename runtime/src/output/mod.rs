//! A run's outputs, written into a staging folder beside the output directory and moved
//! into place only when everything is written: `histograms.json` (UHI), one Parquet dataset
//! per table, `cutflow.json`, `run.json`.
//!
//! Input: the merged results of a run. Output: files. This is the only module that names
//! arrow/parquet.
//! Invariant: a failed or interrupted run leaves an earlier run's outputs untouched (the
//! staging folder is removed when the [`StagedDir`] is dropped without `commit`).

mod parquet;
mod uhi;

use std::path::{Path, PathBuf};

use ana_compiler::abi::HistBuffer;
use ana_compiler::graph::Graph;
use serde::Serialize;

pub use parquet::{ROW_GROUP_ROWS, ROWS_PER_PART, TableSummary, TableWriter};
pub use uhi::hist_json;

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("output path {0} exists and is not a directory")]
    NotADirectory(PathBuf),
    #[error("cannot write the output directory {target}: {source}")]
    Create {
        target: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("writing Parquet {path}: {message}")]
    Parquet { path: PathBuf, message: String },
    #[error("table {table}: {message}")]
    Table { table: String, message: String },
}

impl OutputError {
    pub fn io(path: &Path, source: std::io::Error) -> OutputError {
        OutputError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    fn parquet(path: &Path, e: impl std::fmt::Display) -> OutputError {
        OutputError::Parquet {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}

/// A staging folder beside `target`; [`StagedDir::commit`] replaces `target` with it.
#[derive(Debug)]
pub struct StagedDir {
    tmp: tempfile::TempDir,
    target: PathBuf,
}

/// Refuses an output path that exists and is not a directory (a usage error).
pub fn check_output_path(target: &Path) -> Result<(), OutputError> {
    match std::fs::metadata(target) {
        Ok(m) if !m.is_dir() => Err(OutputError::NotADirectory(target.to_path_buf())),
        _ => Ok(()),
    }
}

fn parent_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

impl StagedDir {
    pub fn new(target: &Path) -> Result<StagedDir, OutputError> {
        check_output_path(target)?;
        let parent = parent_of(target);
        let cannot = |source| OutputError::Create {
            target: target.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(&parent).map_err(cannot)?;
        let tmp = tempfile::Builder::new()
            .prefix(".ana-staging-")
            .tempdir_in(&parent)
            .map_err(cannot)?;
        Ok(StagedDir {
            tmp,
            target: target.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// Moves the staged outputs to the target: an existing target folder is first renamed
    /// aside and removed only after the new one is in place.
    pub fn commit(self) -> Result<(), OutputError> {
        check_output_path(&self.target)?;
        let staged = self.tmp.keep();
        let old = if self.target.exists() {
            let aside = tempfile::Builder::new()
                .prefix(".ana-previous-")
                .tempdir_in(parent_of(&self.target))
                .map_err(|e| OutputError::io(&self.target, e))?
                .keep();
            // `aside` exists as an empty folder; rename replaces an empty folder on Unix.
            std::fs::rename(&self.target, &aside).map_err(|e| OutputError::io(&self.target, e))?;
            Some(aside)
        } else {
            None
        };
        if let Err(e) = std::fs::rename(&staged, &self.target) {
            // Put the previous outputs back; the new ones stay in the staging folder.
            if let Some(old) = &old {
                let _ = std::fs::rename(old, &self.target);
            }
            let _ = std::fs::remove_dir_all(&staged);
            return Err(OutputError::io(&self.target, e));
        }
        if let Some(old) = old {
            let _ = std::fs::remove_dir_all(old);
        }
        Ok(())
    }
}

/// Writes `value` as pretty JSON followed by a newline.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<(), OutputError> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| OutputError::io(path, std::io::Error::other(e)))?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| OutputError::io(path, e))
}

/// `histograms.json`: each histogram's name mapped to its UHI object, in declaration order.
pub fn write_histograms(
    path: &Path,
    graph: &Graph,
    hists: &[HistBuffer],
) -> Result<(), OutputError> {
    let mut map = serde_json::Map::new();
    for (spec, buf) in graph.hists.iter().zip(hists) {
        map.insert(spec.name.clone(), hist_json(spec, buf));
    }
    // serde_json's map sorts keys unless `preserve_order`; keep declaration order explicitly.
    struct Ordered<'a>(&'a Graph, &'a serde_json::Map<String, serde_json::Value>);
    impl Serialize for Ordered<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_map(
                self.0
                    .hists
                    .iter()
                    .filter_map(|h| self.1.get(&h.name).map(|v| (&h.name, v))),
            )
        }
    }
    write_json(path, &Ordered(graph, &map))
}

/// `cutflow.json`: the total and the events passing each named selection, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cutflow {
    pub total: u64,
    pub selections: Vec<CutflowRow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CutflowRow {
    pub name: String,
    pub events: u64,
}

impl Cutflow {
    pub fn new(graph: &Graph, total: u64, counts: &[u64]) -> Cutflow {
        let selections = graph
            .regions
            .iter()
            .zip(counts)
            .map(|(r, &events)| CutflowRow {
                name: r.name.clone(),
                events,
            })
            .collect();
        Cutflow { total, selections }
    }
}

/// `run.json`: what was run, on what, how.
#[derive(Clone, Debug, Serialize)]
pub struct RunRecord {
    pub ana_version: String,
    pub script: Option<ScriptRecord>,
    /// Every parameter the script declares, with its value: enough to run it again alike.
    pub parameters: Vec<ParamRecord>,
    pub tree: String,
    pub inputs: Vec<InputRecord>,
    pub entries_read: u64,
    pub engine: String,
    pub threads: usize,
    pub chunks: usize,
    pub wall_seconds: f64,
    pub tables: Vec<TableRecord>,
    /// With `--keep-going`: what could not be read and was left out.
    pub skipped: Vec<SkippedRecord>,
    pub entries_skipped: u64,
}

/// Input left out of a `--keep-going` run: a whole file (it did not open) or a chunk of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SkippedRecord {
    pub path: String,
    /// The entries left out, when known (`None`: the file did not open, its size is unknown).
    pub entries: Option<u64>,
    pub error: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScriptRecord {
    pub path: String,
    pub sha256: String,
}

/// A script parameter in `run.json`: `{"name": "ptcut", "value": 25, "source": "--set"}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamRecord {
    pub name: String,
    /// A number, a Bool or a string, as the script's default types it (a non-finite float
    /// as the string "inf", "-inf" or "nan", which JSON numbers cannot hold).
    pub value: serde_json::Value,
    /// `"default"` (the script's) or `"--set"`.
    pub source: &'static str,
}

impl From<&ana_compiler::lower::Param> for ParamRecord {
    fn from(p: &ana_compiler::lower::Param) -> ParamRecord {
        use ana_compiler::lower::ParamValue;
        let value = match &p.value {
            ParamValue::Int(v) => serde_json::Value::from(*v),
            ParamValue::Float(v) if v.is_finite() => serde_json::Value::from(*v),
            ParamValue::Float(v) => serde_json::Value::from(format!("{v}").to_lowercase()),
            ParamValue::Bool(v) => serde_json::Value::from(*v),
            ParamValue::Str(v) => serde_json::Value::from(v.as_str()),
        };
        ParamRecord {
            name: p.name.clone(),
            value,
            source: if p.set { "--set" } else { "default" },
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct InputRecord {
    pub path: String,
    pub entries: u64,
    pub entries_read: u64,
    pub entries_skipped: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct TableRecord {
    pub name: String,
    pub rows: u64,
    pub parts: usize,
}

/// Hex SHA-256 of a script's text, for `run.json`.
pub fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests;
