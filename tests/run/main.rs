//! `ana run`, end to end: the dimuon example against the uproot + awkward + hist reference
//! (`tests/reference/dimuon_ref.py`), on the real CMS events, the shared NanoAOD file and
//! synthetic data; both engines; results independent of threads and chunking; usage errors,
//! failed and interrupted runs that leave an earlier output directory intact (`failures`);
//! inputs that are not files and signals in every phase (`stop`); the thread cap and the
//! histograms' memory budget (`limits`); list and uint64 table columns against an awkward
//! reference, read back by pandas, pyarrow and awkward (`tables`); the library facade against the CLI (`facade`).

#![allow(
    clippy::indexing_slicing,
    reason = "tests index freely: a panic is a test failure"
)]

mod cutflow;
mod dimuon;
mod facade;
mod failures;
mod formats;
mod limits;
mod output_safety;
mod plot;
mod semantics;
mod snapshots;
mod stop;
mod tables;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow::array::{Array, Float32Array, Float64Array};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A file of `../shared/data`, when the shared folder is there.
pub fn shared(file: &str) -> Option<PathBuf> {
    ["../shared/data", "../../shared/data"]
        .iter()
        .map(|d| root().join(d).join(file))
        .find(|p| p.exists())
}

/// Runs `ana` in the project folder, without colour.
pub fn ana(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ana"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run ana")
}

/// Starts `ana` in the project folder, without colour, its stderr piped (for runs a test
/// signals, kills or races).
pub fn spawn_ana<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_ana"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn ana")
}

/// Arguments of a run of several seconds (2000 copies of the input, small chunks, one
/// thread, the interpreter) into `out`.
pub fn long_run(out: &Path) -> Vec<String> {
    let mut args = vec!["run".to_string(), "examples/dimuon.ana".into(), "-q".into()];
    args.extend(std::iter::repeat_n(
        "examples/data/Run2012BC_DoubleMuParked_Muons_1000evts.root".to_string(),
        2000,
    ));
    args.extend(
        [
            "--chunk-entries",
            "10",
            "--engine",
            "interp",
            "--threads",
            "1",
            "-o",
        ]
        .map(String::from),
    );
    args.push(out.to_str().expect("utf-8").into());
    args
}

/// Runs `ana` and fails the test with its stderr unless it succeeds.
pub fn ana_ok(args: &[&str]) -> Output {
    let out = ana(args);
    assert!(
        out.status.success(),
        "ana {args:?} failed ({:?}):\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("valid JSON")
}

/// A histogram's contents with flow bins, flattened, from `histograms.json`.
pub fn hist_values(hists: &serde_json::Value, name: &str) -> Vec<f64> {
    fn flatten(v: &serde_json::Value, out: &mut Vec<f64>) {
        match v {
            serde_json::Value::Array(a) => a.iter().for_each(|x| flatten(x, out)),
            x => out.push(x.as_f64().expect("number")),
        }
    }
    let mut out = Vec::new();
    flatten(&hists[name]["storage"]["values"], &mut out);
    out
}

/// A table's columns (as f64, in file column order) from its Parquet dataset, parts in order.
pub fn read_table(dir: &Path) -> Vec<(String, Vec<f64>)> {
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    parts.sort();
    let mut columns: Vec<(String, Vec<f64>)> = Vec::new();
    for part in parts {
        let file = std::fs::File::open(&part).expect("open part");
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).expect("parquet");
        if columns.is_empty() {
            // From the schema: a table without rows still has its columns.
            columns = builder
                .schema()
                .fields()
                .iter()
                .map(|f| (f.name().clone(), vec![]))
                .collect();
        }
        for batch in builder.build().expect("reader") {
            let batch = batch.expect("batch");
            for (i, col) in batch.columns().iter().enumerate() {
                let values = &mut columns[i].1;
                if let Some(a) = col.as_any().downcast_ref::<Float64Array>() {
                    values.extend(a.values().iter().copied());
                } else if let Some(a) = col.as_any().downcast_ref::<Float32Array>() {
                    values.extend(a.values().iter().map(|&x| f64::from(x)));
                } else {
                    panic!("unexpected column type {:?}", col.data_type());
                }
                assert_eq!(col.null_count(), 0);
            }
        }
    }
    columns
}

/// Whether python3 with the reference packages is available (tests needing it skip if not).
pub fn python_reference_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import uproot, awkward, vector, hist, numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipping: python3 with uproot, awkward, vector, hist is not available");
    }
    ok
}
