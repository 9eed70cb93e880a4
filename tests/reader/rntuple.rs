//! RNTuples against uproot: every field uproot reads as numbers (the shared RNTuple files,
//! ROOT-written with split, zigzag and delta encodings, and `tests/data/rntuple_types*.root`,
//! written by uproot with plain encodings in three clusters), read by the library whole, in
//! chunks and in unaligned parts, and through `ana inspect --json`. Fixtures made by
//! `tests/fixtures/root/make_rntuple_fixtures.py`.

use std::path::PathBuf;
use std::process::Command;

use ana_runtime::root::{RootFile, Values};
use serde_json::Value;

use crate::expected::{read_chunked, read_split, same, sha, summary};

fn fixtures() -> Vec<(PathBuf, String, serde_json::Map<String, Value>)> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/root/expected_rntuple"
    );
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    assert_eq!(paths.len(), 4, "{paths:?}");
    let mut out = Vec::new();
    for fx in paths {
        let stem = fx.file_stem().unwrap().to_str().unwrap().to_string();
        let local = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(format!("{stem}.root"));
        let file = if local.exists() {
            local
        } else {
            crate::data(&format!("{stem}.root"))
        };
        let expected: serde_json::Map<String, Value> =
            serde_json::from_str(&std::fs::read_to_string(&fx).unwrap()).unwrap();
        for (ntuple, fields) in expected {
            out.push((file.clone(), ntuple, fields.as_object().unwrap().clone()));
        }
    }
    out
}

#[test]
fn every_numeric_field_equals_uproot() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (path, ntuple, fields) in fixtures() {
        let file = RootFile::open(&path).expect("opens");
        let t = file.tree(&ntuple).expect("the RNTuple loads");
        assert!(t.is_rntuple());
        let schema = t.schema();
        for (field, want) in &fields {
            checked += 1;
            let got = match t.read_values(field, 0..t.entries()) {
                Ok(v) => summary(t.entries(), &v),
                Err(e) => {
                    failures.push(format!("{e}"));
                    continue;
                }
            };
            if !same(&got, want) {
                failures.push(format!(
                    "{} {field}: got {got}, uproot {want}",
                    path.display()
                ));
                continue;
            }
            let chunked = summary(t.entries(), &read_chunked(&t, field, 64));
            if !same(&chunked, want) {
                failures.push(format!("{field}: chunked read gives {chunked}"));
            }
            let split = summary(t.entries(), &read_split(&t, field));
            if !same(&split, want) {
                failures.push(format!("{field}: read in unaligned parts gives {split}"));
            }
            let sb = schema.branch(field).expect("in schema");
            let nested = want[4] != serde_json::json!("e3b0c44298fc1c14");
            assert_eq!(sb.jagged, nested, "{field}: schema jagged");
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} fields differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 1300, "only {checked} fields checked");
}

/// The values of `ana inspect --json` as the fixture's little-endian bytes of `dtype`.
fn json_bytes(values: &[Value], dtype: &str) -> (Vec<u8>, Vec<u8>, usize) {
    let mut bytes = Vec::new();
    let mut counts = Vec::new();
    let mut n = 0;
    let mut one = |v: &Value| {
        n += 1;
        let f = || match v {
            Value::String(s) => s.parse::<f64>().unwrap(),
            v => v.as_f64().unwrap(),
        };
        match dtype {
            "bool" => bytes.push(u8::from(v.as_bool().unwrap())),
            "int8" => bytes.extend((v.as_i64().unwrap() as i8).to_le_bytes()),
            "uint8" => bytes.extend((v.as_u64().unwrap() as u8).to_le_bytes()),
            "int16" => bytes.extend((v.as_i64().unwrap() as i16).to_le_bytes()),
            "uint16" => bytes.extend((v.as_u64().unwrap() as u16).to_le_bytes()),
            "int32" => bytes.extend((v.as_i64().unwrap() as i32).to_le_bytes()),
            "uint32" => bytes.extend((v.as_u64().unwrap() as u32).to_le_bytes()),
            "int64" => bytes.extend(v.as_i64().unwrap().to_le_bytes()),
            "uint64" => bytes.extend(v.as_u64().unwrap().to_le_bytes()),
            "float32" => bytes.extend((f() as f32).to_le_bytes()),
            "float64" => bytes.extend(f().to_le_bytes()),
            other => panic!("dtype {other}"),
        }
    };
    for v in values {
        match v {
            Value::Array(list) => {
                counts.extend((list.len() as u32).to_le_bytes());
                list.iter().for_each(&mut one);
            }
            v => one(v),
        }
    }
    (bytes, counts, n)
}

/// Little-endian floats with every NaN replaced by one NaN.
fn canonical_nans(bytes: &[u8], dtype: &str) -> Vec<u8> {
    match dtype {
        "float32" => bytes
            .chunks(4)
            .flat_map(|c| {
                let x = f32::from_le_bytes(c.try_into().unwrap());
                if x.is_nan() { f32::NAN } else { x }.to_le_bytes()
            })
            .collect(),
        "float64" => bytes
            .chunks(8)
            .flat_map(|c| {
                let x = f64::from_le_bytes(c.try_into().unwrap());
                if x.is_nan() { f64::NAN } else { x }.to_le_bytes()
            })
            .collect(),
        _ => bytes.to_vec(),
    }
}

/// A column's values as `ana inspect` prints them (floats in their shortest form), parsed
/// back as JSON, for `json_bytes`.
fn column_json(d: &ana_compiler::abi::ColumnData) -> Vec<Value> {
    use ana_compiler::abi::ColumnData as D;
    let text: Vec<String> = match d {
        D::F32(v) => v.iter().map(|x| f(x.is_finite(), x.to_string())).collect(),
        D::F64(v) => v.iter().map(|x| f(x.is_finite(), x.to_string())).collect(),
        other => panic!("floats expected, got {other:?}"),
    };
    serde_json::from_str(&format!("[{}]", text.join(","))).unwrap()
}

fn f(finite: bool, s: String) -> String {
    if finite {
        s
    } else {
        format!("\"{}\"", s.to_lowercase())
    }
}

/// `ana inspect --json` prints every field's values as uproot reads them.
#[test]
fn inspect_json_values_equal_uproot() {
    for (path, ntuple, fields) in fixtures() {
        let file = path.display().to_string();
        let mut args = vec![
            "inspect",
            file.as_str(),
            "--json",
            "--tree",
            ntuple.as_str(),
        ];
        for f in fields.keys() {
            args.push("--branch");
            args.push(f);
        }
        let out = Command::new(env!("CARGO_BIN_EXE_ana"))
            .args(&args)
            .output()
            .expect("run ana");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Value = serde_json::from_slice(&out.stdout).expect("json");
        for (field, want) in &fields {
            let values = got["values"][field].as_array().expect(field);
            let dtype = want[1].as_str().unwrap();
            let (bytes, counts, n) = json_bytes(values, dtype);
            assert_eq!(values.len() as u64, want[0].as_u64().unwrap(), "{field}");
            assert_eq!(n as u64, want[2].as_u64().unwrap(), "{file} {field}");
            if sha(&bytes) != want[3].as_str().unwrap() {
                // JSON spells every NaN "nan", and serde_json's parser may round a double's
                // shortest form to a neighbour: compare with the values uproot's hash vouches
                // for (the test above), printed and parsed the same way, NaNs made alike.
                let t = RootFile::open(&path).unwrap().tree(&ntuple).unwrap();
                let Values::Column(c) = t.read_values(field, 0..t.entries()).unwrap() else {
                    panic!("{field}: nested")
                };
                let (lib, _, _) = json_bytes(&column_json(&c.data), dtype);
                assert!(
                    canonical_nans(&bytes, dtype) == canonical_nans(&lib, dtype)
                        && summary(t.entries(), &Values::Column(c.clone()))[3] == want[3],
                    "{file} {field} values"
                );
            }
            let jagged = want[4] != serde_json::json!("e3b0c44298fc1c14");
            if jagged {
                assert_eq!(sha(&counts), want[4].as_str().unwrap(), "{file} {field}");
            }
        }
    }
}

/// Fields ana cannot read are listed with their type, and reading one is an error that names
/// the file, the field and its type, never values.
#[test]
fn unsupported_fields_are_named() {
    let file = RootFile::open(&crate::data(
        "Run2012BC_DoubleMuParked_Muons_1000evts_rntuple_v1-0-0-0.root",
    ))
    .unwrap();
    let t = file.tree("Events").unwrap();
    let b = t
        .branches()
        .into_iter()
        .find(|b| b.name == "_collection0")
        .expect("listed");
    assert!(b.elem.is_none());
    let e = t.read_values("_collection0", 0..1).unwrap_err().to_string();
    assert!(
        e.contains("Run2012BC") && e.contains("_collection0") && e.contains("untyped collection"),
        "{e}"
    );
    assert!(matches!(
        t.read_values("nMuon", 0..t.entries()),
        Ok(Values::Column(_))
    ));
}

/// Fields of one collection read one after the other for a chunk (as `ana run` reads them)
/// equal the fields read alone and share one offsets array: the importer's projected
/// `Muon_*` fields all stand for `_collection0`'s offsets column.
#[test]
fn fields_of_one_collection_share_their_offsets() {
    let file = RootFile::open(&crate::data(
        "Run2012BC_DoubleMuParked_Muons_1000evts_rntuple_v1-0-0-0.root",
    ))
    .unwrap();
    let t = file.tree("Events").unwrap();
    let names = [
        "Muon_pt",
        "Muon_eta",
        "Muon_charge",
        "_collection0.Muon_phi",
    ];
    for range in [0..1000, 0..333, 333..1000, 999..1000, 5..5] {
        let mut shared = ana_runtime::root::SharedOffsets::default();
        let cols: Vec<_> = names
            .iter()
            .map(|b| t.read_column_shared(b, range.clone(), &mut shared).unwrap())
            .collect();
        for (b, c) in names.iter().zip(&cols) {
            assert_eq!(
                c,
                &t.read_column(b, range.clone()).unwrap(),
                "{b} {range:?}"
            );
            assert!(
                std::sync::Arc::ptr_eq(
                    c.offsets.as_ref().unwrap(),
                    cols[0].offsets.as_ref().unwrap()
                ),
                "{b} {range:?}: offsets not shared"
            );
        }
    }
}
