//! Issue 17's semantics (`tests/reference/semantics/semantics.ana`: N-dimensional and
//! string-category histograms, profiles, missing values, NanoAOD's -1 index, `last`, `??`,
//! `valid`) against awkward + hist (`tests/reference/semantics_ref.py`) on the shared CMS
//! NanoAOD file: every storage array within 1e-9 relative (flow bins included), the missing
//! fills and the region exactly, the table's rows with their nulls and strings.

use std::path::Path;

use arrow::array::{Array, Float32Array, Int32Array, Int64Array, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use super::*;

fn flatten(v: &Value, out: &mut Vec<Option<f64>>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| flatten(x, out)),
        x => out.push(x.as_f64()),
    }
}

/// `a` and `b` agree: both missing or NaN (JSON null), or within 1e-9 relative.
fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()),
        (Some(x), None) | (None, Some(x)) => x.is_nan(),
    }
}

/// Every column of the table as JSON values (null where the value is missing).
fn table_json(dir: &Path) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    let part = dir.join("part-00000.parquet");
    let file = std::fs::File::open(&part).expect("part");
    for batch in ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader")
    {
        let batch = batch.expect("batch");
        for (field, col) in batch.schema().fields().iter().zip(batch.columns()) {
            let cell = |i: usize| -> Value {
                if col.is_null(i) {
                    return Value::Null;
                }
                let any = col.as_any();
                if let Some(a) = any.downcast_ref::<Float32Array>() {
                    serde_json::json!(f64::from(a.value(i)))
                } else if let Some(a) = any.downcast_ref::<Int64Array>() {
                    serde_json::json!(a.value(i))
                } else if let Some(a) = any.downcast_ref::<Int32Array>() {
                    serde_json::json!(a.value(i))
                } else if let Some(a) = any.downcast_ref::<StringArray>() {
                    serde_json::json!(a.value(i))
                } else {
                    panic!("unexpected column type {:?}", col.data_type())
                }
            };
            let cells = out
                .entry(field.name().clone())
                .or_insert_with(|| Value::Array(vec![]));
            if let Value::Array(v) = cells {
                v.extend((0..col.len()).map(cell));
            }
        }
    }
    out
}

/// Runs the semantics script on `file` with both engines and compares with `reference`.
fn compare_with_reference(file: &Path, reference: &Value) {
    let script = root().join("tests/reference/semantics/semantics.ana");
    let tmp = tempfile::tempdir().expect("tmp");
    let mut first_hists: Option<String> = None;
    for engine in ["jit", "interp"] {
        let out = tmp.path().join(engine);
        ana_ok(&[
            "run",
            script.to_str().expect("utf-8"),
            file.to_str().expect("utf-8"),
            "-o",
            out.to_str().expect("utf-8"),
            "--engine",
            engine,
            "-q",
        ]);
        let text = std::fs::read_to_string(out.join("histograms.json")).expect("hists");
        match &first_hists {
            None => first_hists = Some(text.clone()),
            Some(t) => assert_eq!(t, &text, "the engines' histograms differ"),
        }
        let hists: Value = serde_json::from_str(&text).expect("json");
        let want_hists = reference["hists"].as_object().expect("hists");
        assert_eq!(hists.as_object().map(|h| h.len()), Some(want_hists.len()));
        for (name, want) in want_hists {
            let storage = &hists[name]["storage"];
            for (key, want) in want.as_object().expect("storage") {
                let (mut got, mut exp) = (vec![], vec![]);
                flatten(&storage[key], &mut got);
                flatten(want, &mut exp);
                assert_eq!(got.len(), exp.len(), "{engine}: {name}.{key} size");
                for (i, (g, w)) in got.iter().zip(&exp).enumerate() {
                    assert!(close(*g, *w), "{engine}: {name}.{key}[{i}]: {g:?} != {w:?}");
                }
            }
        }
        let run = read_json(&out.join("run.json"));
        for (name, n) in reference["missing"].as_object().expect("missing") {
            assert_eq!(
                run["missing_fills"][name], *n,
                "{engine}: missing fills of {name}"
            );
        }
        let cutflow = read_json(&out.join("cutflow.json"));
        assert_eq!(cutflow["selections"][0]["events"], reference["second_soft"]);
        let table = table_json(&out.join("skim"));
        for (column, want) in reference["skim"].as_object().expect("skim") {
            let (Some(Value::Array(got)), Value::Array(want)) = (table.get(column), want) else {
                panic!("{engine}: column {column} missing");
            };
            assert_eq!(got.len(), want.len(), "{engine}: rows of {column}");
            for (row, (g, w)) in got.iter().zip(want).enumerate() {
                // serde_json's default float parsing can be 1 ulp off the shortest repr.
                let same = match (g.as_f64(), w.as_f64()) {
                    (Some(a), Some(b)) => close(Some(a), Some(b)),
                    _ => g == w,
                };
                assert!(same, "{engine}: {column} row {row}: {g} != {w}");
            }
        }
    }
}

#[test]
fn semantics_match_awkward_and_hist_on_both_engines() {
    let Some(file) = shared("nanoAOD_2015_CMS_Open_Data_ttbar.root") else {
        return;
    };
    let reference =
        read_json(&root().join("tests/reference/semantics/nanoAOD_2015_CMS_Open_Data_ttbar.json"));
    compare_with_reference(&file, &reference);
}

/// The same on 20,000 synthetic Z+jets events (`../shared/tools/gen_nanoaod.py`), where most
/// events have two muons and NanoAOD's -1 index is common; the reference is computed live.
#[test]
fn semantics_match_awkward_and_hist_on_synthetic_nanoaod() {
    let Some(tool) = ["../shared/tools", "../../shared/tools"]
        .iter()
        .map(|d| root().join(d).join("gen_nanoaod.py"))
        .find(|p| p.exists())
    else {
        eprintln!("skipped: shared/tools/gen_nanoaod.py is not there");
        return;
    };
    if !python_reference_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("mc.root");
    let reference_path = dir.path().join("reference.json");
    let status = Command::new("python3")
        .arg(&tool)
        .arg(&file)
        .args(["--events", "20000", "--seed", "3", "--mc"])
        .status()
        .expect("python3 runs");
    assert!(status.success(), "gen_nanoaod.py failed");
    let status = Command::new("python3")
        .arg(root().join("tests/reference/semantics_ref.py"))
        .arg(&file)
        .arg(&reference_path)
        .status()
        .expect("python3 runs");
    assert!(status.success(), "semantics_ref.py failed");
    let reference = read_json(&reference_path);
    assert!(reference["missing"]["muon_jet_pt"].as_u64() > Some(100));
    assert!(reference["second_soft"].as_u64() > Some(100));
    compare_with_reference(&file, &reference);
}

/// The UHI JSON of the new axes and storages is what `hist` loads: string categories,
/// mean and weighted-mean storage, four axes.
#[test]
fn hist_loads_the_new_axes_and_storages() {
    let Some(file) = shared("nanoAOD_2015_CMS_Open_Data_ttbar.root") else {
        return;
    };
    if !python_reference_available() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    let script = root().join("tests/reference/semantics/semantics.ana");
    ana_ok(&[
        "run",
        script.to_str().expect("utf-8"),
        file.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
        "-q",
    ]);
    let check = r#"
import json, sys, hist, uhi.io.json as uj, pandas, pyarrow.parquet, awkward as ak
h = json.load(open(sys.argv[1] + "/histograms.json"), object_hook=uj.object_hook)
nd = hist.Hist(h["nd"]); assert nd.ndim == 4, nd
chan = hist.Hist(h["chan"]); assert list(chan.axes[0]) == ["none", "mu", "mumu"], chan
p = hist.Hist(h["lead_jet_pt"]); assert p.storage_type is hist.storage.Mean, p
w = hist.Hist(h["lead_jet_pt_w"]); assert w.storage_type is hist.storage.WeightedMean, w
t = pyarrow.parquet.read_table(sys.argv[1] + "/skim")
assert str(t.schema.field("channel").type) == "string", t.schema
assert t.column("second_pt").null_count > 0
df = pandas.read_parquet(sys.argv[1] + "/skim"); assert len(df) == 10
a = ak.from_parquet(sys.argv[1] + "/skim"); assert ak.any(ak.is_none(a.second_charge))
"#;
    let status = Command::new("python3")
        .args(["-c", check, out.to_str().expect("utf-8")])
        .status()
        .expect("python3");
    assert!(
        status.success(),
        "hist, pandas, pyarrow or awkward refused the outputs"
    );
}
