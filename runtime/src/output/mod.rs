//! A run's outputs, written into a staging folder beside the output directory and moved
//! into place only when everything is written: `histograms.json` (UHI), one Parquet dataset
//! per table, `cutflow.json` (`cutflow`), `run.json`.
//!
//! Input: the merged results of a run. Output: files. This is the only module that names
//! arrow/parquet.
//! Invariant: a failed or interrupted run leaves an earlier run's outputs untouched (the
//! staging folder is removed when the [`StagedDir`] is dropped without `commit`); which
//! folders OUT may be and how it is replaced: `outdir`.

mod cutflow;
mod outdir;
mod parquet;
pub mod plot;
mod uhi;

use std::path::{Path, PathBuf};

use ana_compiler::abi::HistBuffer;
use ana_compiler::graph::Graph;
use serde::Serialize;

pub use cutflow::{ALL_EVENTS, Cutflow, CutflowRow, NamedCutflow, NamedCutflowRow};
pub use outdir::{MARKER, StagedDir, check_output_path};
pub use parquet::{ROW_GROUP_ROWS, ROWS_PER_PART, RawColumn, Table, TableSummary, TableWriter};
pub use uhi::{HistJson, hist_json};

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("output path {0} exists and is not a directory")]
    NotADirectory(PathBuf),
    /// OUT must not be replaced (a usage error): not ana's, or a folder holding inputs.
    #[error("refusing to replace the output directory {target}: {reason}")]
    Refused { target: PathBuf, reason: String },
    #[error(
        "permission denied: {path} is not writable (mode {mode:04o}), so {target} was left as it was"
    )]
    PermissionDenied {
        target: PathBuf,
        path: PathBuf,
        mode: u32,
    },
    /// A signal arrived while waiting for another run into the same OUT.
    #[error("interrupted while waiting for another ana run writing the output directory")]
    Cancelled,
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
    struct Ordered<'a>(&'a Graph, &'a [HistBuffer]);
    impl Serialize for Ordered<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_map(
                self.0
                    .hists
                    .iter()
                    .zip(self.1)
                    .map(|(spec, buf)| (&spec.name, uhi::HistJson { spec, buf })),
            )
        }
    }
    // Streamed: the histograms may be hundreds of megabytes.
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
        serde_json::to_writer_pretty(&mut w, &Ordered(graph, hists))?;
        w.write_all(b"\n")?;
        w.flush()
    };
    write().map_err(|e| OutputError::io(path, e))
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
    /// Histograms with NaN or infinite bin contents (written as `null` in
    /// `histograms.json`): the number of such bins, by histogram name.
    pub non_finite: std::collections::BTreeMap<String, u64>,
    /// Per histogram, the fills skipped because a value was missing (an empty collection's
    /// `first`, an index out of range): every histogram, 0 included.
    pub missing_fills: std::collections::BTreeMap<String, u64>,
    /// Requests sent to servers for remote inputs (absent when every input is local).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_requests: Option<u64>,
    /// Bytes received for remote inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_bytes: Option<u64>,
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
