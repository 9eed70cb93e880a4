//! Tables with list and unsigned columns (`tests/frontend/ok/skim.ana`) against the uproot +
//! awkward reference (`tests/reference/skim_ref.py`) on the shared CMS NanoAOD file, on both
//! engines, in many chunks: read back here with arrow, and by pandas, pyarrow and awkward
//! (`tests/reference/check_table_parquet.py`), row by row.

use std::path::PathBuf;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float32Type, UInt64Type};

use super::*;

fn batches(dir: &Path) -> Vec<RecordBatch> {
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("table folder")
        .map(|e| e.expect("entry").path())
        .collect();
    parts.sort();
    parts
        .iter()
        .flat_map(|p| {
            let file = std::fs::File::open(p).expect("open part");
            ParquetRecordBatchReaderBuilder::try_new(file)
                .expect("parquet")
                .build()
                .expect("reader")
                .map(|b| b.expect("batch"))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The event numbers (uint64) and the selected jets' pt (a list of float32 per event), as
/// arrow reads them, against the fixture.
fn check_with_arrow(out: &Path, fixture: &serde_json::Value, what: &str) {
    let want = &fixture["tables"]["skim"]["columns"];
    let (mut events, mut jet_pt) = (Vec::new(), Vec::new());
    for b in batches(&out.join("skim")) {
        let schema = b.schema();
        let ty = |name: &str| {
            schema
                .field_with_name(name)
                .expect("column")
                .data_type()
                .clone()
        };
        assert_eq!(ty("event"), DataType::UInt64, "{what}");
        let DataType::List(item) = ty("jet_ncons") else {
            panic!("{what}: jet_ncons is not a list");
        };
        assert_eq!(item.data_type(), &DataType::UInt8, "{what}");
        let ev = b.column_by_name("event").expect("event");
        events.extend(ev.as_primitive::<UInt64Type>().values().iter().copied());
        let pt = b.column_by_name("jet_pt").expect("jet_pt").as_list::<i32>();
        for row in pt.iter() {
            let row = row.expect("no null rows");
            let row: Vec<f64> = row
                .as_primitive::<Float32Type>()
                .values()
                .iter()
                .map(|&x| f64::from(x))
                .collect();
            jet_pt.push(row);
        }
    }
    let want_events: Vec<u64> = want["event"]
        .as_array()
        .expect("events")
        .iter()
        .map(|v| v.as_u64().expect("u64"))
        .collect();
    assert_eq!(events, want_events, "{what}: event numbers");
    let want_pt: Vec<Vec<f64>> = serde_json::from_value(want["jet_pt"].clone()).expect("lists");
    assert_eq!(jet_pt, want_pt, "{what}: jet pt lists");
}

#[test]
fn list_and_uint64_columns_match_the_awkward_reference_on_both_engines() {
    let Some(file) = shared("nanoAOD_2015_CMS_Open_Data_ttbar.root") else {
        eprintln!("skipped: shared/data is not there");
        return;
    };
    let fixture_path = root().join("tests/reference/skim/nanoAOD_2015_CMS_Open_Data_ttbar.json");
    let fixture = read_json(&fixture_path);
    let python = Command::new("python3")
        .args(["-c", "import awkward, pandas, pyarrow"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !python {
        eprintln!("skipping the pandas/pyarrow/awkward check: python3 with them is not available");
    }
    let tmp = tempfile::tempdir().expect("tmp");
    for engine in ["jit", "interp"] {
        let out = tmp.path().join(engine);
        let (f, o) = (file.to_str().expect("utf-8"), out.to_str().expect("utf-8"));
        // Chunks of 37 events: each chunk's list offsets start at 0 and must follow on.
        ana_ok(&[
            "run",
            "tests/frontend/ok/skim.ana",
            f,
            "-o",
            o,
            "--engine",
            engine,
            "--chunk-entries",
            "37",
            "-q",
        ]);
        check_with_arrow(&out, &fixture, engine);
    }
    if python {
        let check = Command::new("python3")
            .arg(root().join("tests/reference/check_table_parquet.py"))
            .arg(&fixture_path)
            .args(["jit", "interp"].map(|e| tmp.path().join(e)))
            .output()
            .expect("python3 runs");
        let report = String::from_utf8_lossy(&check.stdout).to_string()
            + &String::from_utf8_lossy(&check.stderr);
        assert!(check.status.success(), "readers disagree:\n{report}");
        assert_eq!(report.matches(" rows").count(), 12, "{report}");
    }
}
