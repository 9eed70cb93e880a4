//! Every branch uproot reads as numbers, read by ana and compared by count, hash and first
//! value; whole-tree reads and chunked reads must agree.

use ana_compiler::abi::{ColumnData, InputColumn};
use ana_runtime::root::{RootFile, Tree, Values};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub(crate) fn sha(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// (dtype name as numpy spells it, values as little-endian bytes, first value as JSON).
fn describe(d: &ColumnData) -> (&'static str, Vec<u8>, Value) {
    fn go<T: Copy + Into<Value>, const N: usize>(
        v: &[T],
        le: impl Fn(T) -> [u8; N],
    ) -> (Vec<u8>, Value) {
        (
            v.iter().flat_map(|&x| le(x)).collect(),
            v.first().map(|&x| x.into()).unwrap_or(Value::Null),
        )
    }
    let (name, (bytes, first)) = match d {
        ColumnData::Bool(v) => ("bool", go(v, |x| [x as u8])),
        ColumnData::I8(v) => ("int8", go(v, i8::to_le_bytes)),
        ColumnData::U8(v) => ("uint8", go(v, u8::to_le_bytes)),
        ColumnData::I16(v) => ("int16", go(v, i16::to_le_bytes)),
        ColumnData::U16(v) => ("uint16", go(v, u16::to_le_bytes)),
        ColumnData::I32(v) => ("int32", go(v, i32::to_le_bytes)),
        ColumnData::U32(v) => ("uint32", go(v, u32::to_le_bytes)),
        ColumnData::I64(v) => ("int64", go(v, i64::to_le_bytes)),
        ColumnData::U64(v) => ("uint64", go(v, u64::to_le_bytes)),
        ColumnData::F32(v) => ("float32", go(v, f32::to_le_bytes)),
        ColumnData::F64(v) => ("float64", go(v, f64::to_le_bytes)),
    };
    (name, bytes, first)
}

fn counts(offsets: &[u32]) -> Vec<u8> {
    offsets
        .windows(2)
        .flat_map(|w| (w[1] - w[0]).to_le_bytes())
        .collect()
}

/// [entries, dtype, n values, values hash, counts hash, first value], as the fixture has it.
pub(crate) fn summary(entries: u64, v: &Values) -> Value {
    let (data, count_bytes) = match v {
        Values::Column(InputColumn { data, offsets }) => (
            data,
            offsets.as_deref().map(|o| counts(o)).unwrap_or_default(),
        ),
        Values::Nested(n) => {
            let mut c = counts(&n.outer);
            c.extend(counts(&n.inner));
            (&n.data, c)
        }
    };
    let (dtype, bytes, first) = describe(data);
    // serde_json turns NaN into null; the fixture spells non-finite floats as Python does.
    let first = match (first, data) {
        (Value::Null, ColumnData::F32(v)) if !v.is_empty() => py_float(v[0] as f64),
        (Value::Null, ColumnData::F64(v)) if !v.is_empty() => py_float(v[0]),
        (f, _) => f,
    };
    serde_json::json!([
        entries,
        dtype,
        data.len(),
        sha(&bytes),
        sha(&count_bytes),
        first
    ])
}

fn py_float(f: f64) -> Value {
    Value::String(if f.is_nan() {
        "nan".into()
    } else if f > 0.0 {
        "inf".into()
    } else {
        "-inf".into()
    })
}

/// Reads `branch` chunk by chunk and stitches the pieces together.
pub(crate) fn read_chunked(tree: &Tree, branch: &str, target: u64) -> Values {
    let chunks = tree.chunks(&[branch], target).expect("chunks");
    let mut prev = 0;
    for c in &chunks {
        assert_eq!(c.start, prev, "chunks of {branch} are not contiguous");
        prev = c.end;
    }
    assert_eq!(prev, tree.entries());
    let parts: Vec<Values> = chunks
        .iter()
        .map(|c| tree.read_values(branch, c.clone()).expect("chunk read"))
        .collect();
    concat(parts)
}

/// Reads `branch` in three parts whose bounds fall inside baskets (unless the tree is tiny).
pub(crate) fn read_split(tree: &Tree, branch: &str) -> Values {
    let n = tree.entries();
    let cuts = [0, n / 3 + 1, 2 * n / 3 + 1, n].map(|c| c.min(n));
    let parts: Vec<Values> = cuts
        .windows(2)
        .map(|w| tree.read_values(branch, w[0]..w[1]).expect("part read"))
        .collect();
    concat(parts)
}

fn concat(parts: Vec<Values>) -> Values {
    let mut it = parts.into_iter();
    let Some(mut acc) = it.next() else {
        panic!("no chunks")
    };
    for p in it {
        match (&mut acc, p) {
            (Values::Column(a), Values::Column(b)) => {
                extend(&mut a.data, b.data);
                if let (Some(ao), Some(bo)) =
                    (a.offsets.as_mut().map(std::sync::Arc::make_mut), b.offsets)
                {
                    let base = *ao.last().unwrap();
                    ao.extend(bo[1..].iter().map(|o| o + base));
                }
            }
            (Values::Nested(a), Values::Nested(b)) => {
                extend(&mut a.data, b.data);
                let ib = *a.inner.last().unwrap();
                a.inner.extend(b.inner[1..].iter().map(|o| o + ib));
                let ob = *a.outer.last().unwrap();
                a.outer.extend(b.outer[1..].iter().map(|o| o + ob));
            }
            _ => panic!("chunks of different kinds"),
        }
    }
    acc
}

fn extend(a: &mut ColumnData, b: ColumnData) {
    match (a, b) {
        (ColumnData::Bool(a), ColumnData::Bool(b)) => a.extend(b),
        (ColumnData::I8(a), ColumnData::I8(b)) => a.extend(b),
        (ColumnData::U8(a), ColumnData::U8(b)) => a.extend(b),
        (ColumnData::I16(a), ColumnData::I16(b)) => a.extend(b),
        (ColumnData::U16(a), ColumnData::U16(b)) => a.extend(b),
        (ColumnData::I32(a), ColumnData::I32(b)) => a.extend(b),
        (ColumnData::U32(a), ColumnData::U32(b)) => a.extend(b),
        (ColumnData::I64(a), ColumnData::I64(b)) => a.extend(b),
        (ColumnData::U64(a), ColumnData::U64(b)) => a.extend(b),
        (ColumnData::F32(a), ColumnData::F32(b)) => a.extend(b),
        (ColumnData::F64(a), ColumnData::F64(b)) => a.extend(b),
        _ => panic!("chunks of different types"),
    }
}

/// Equal summaries; the first value of a float32 branch compares as float32 (Python prints
/// the widened double, serde_json the shortest float32 form).
pub(crate) fn same(got: &Value, want: &Value) -> bool {
    if got == want {
        return true;
    }
    let (Some(g), Some(w)) = (got.as_array(), want.as_array()) else {
        return false;
    };
    g[..5] == w[..5]
        && w[1] == "float32"
        && matches!((g[5].as_f64(), w[5].as_f64()), (Some(a), Some(b)) if a as f32 == b as f32)
}

#[test]
fn every_numeric_branch_equals_uproot() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/root/expected");
    let mut fixtures: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    fixtures.sort();
    assert!(fixtures.len() > 50);
    let mut failures = Vec::new();
    let mut checked = 0;
    for fx in fixtures {
        let expected: serde_json::Map<String, Value> =
            serde_json::from_str(&std::fs::read_to_string(&fx).unwrap()).unwrap();
        let root_name = fx.file_stem().unwrap().to_str().unwrap().to_string() + ".root";
        let file = match RootFile::open(&crate::data(&root_name)) {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{root_name}: {e}"));
                continue;
            }
        };
        for (tree_name, branches) in expected {
            let tree_name = tree_name.split(';').next().unwrap();
            let tree = match file.tree(tree_name) {
                Ok(t) => t,
                Err(e) => {
                    failures.push(format!("{e}"));
                    continue;
                }
            };
            let schema = tree.schema();
            for (branch, want) in branches.as_object().unwrap() {
                checked += 1;
                let got = match tree.read_values(branch, 0..tree.entries()) {
                    Ok(v) => summary(tree.entries(), &v),
                    Err(e) => {
                        failures.push(format!("{e}"));
                        continue;
                    }
                };
                if !same(&got, want) {
                    failures.push(format!(
                        "{root_name} {tree_name} {branch}: got {got}, uproot {want}"
                    ));
                    continue;
                }
                let chunked = summary(tree.entries(), &read_chunked(&tree, branch, 64));
                if !same(&chunked, want) {
                    failures.push(format!(
                        "{root_name} {tree_name} {branch}: chunked read gives {chunked}"
                    ));
                }
                // Ranges that cut baskets take the general decoder, whole baskets the
                // in-place one: both must give the same values.
                let split = summary(tree.entries(), &read_split(&tree, branch));
                if !same(&split, want) {
                    failures.push(format!(
                        "{root_name} {tree_name} {branch}: read in unaligned parts gives {split}"
                    ));
                }
                let sb = schema.branch(branch).expect("in schema");
                let nested = want[4] != serde_json::json!("e3b0c44298fc1c14");
                assert_eq!(sb.jagged, nested, "{root_name} {branch}: schema jagged");
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} branches differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 2000, "only {checked} branches checked");
}

/// A chunk's branches read one after the other with shared offsets (as `ana run` reads
/// them) equal the branches read alone, and branches with the same counter hold one array.
#[test]
fn branches_with_one_counter_share_their_offsets() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for (path, min_shared) in [
        (root.join("tests/data/adl_synth_20k.root"), 1),
        (
            crate::data("Run2012BC_DoubleMuParked_Muons_1000evts.root"),
            1,
        ),
        // Embedded baskets take the general path: each branch builds its own offsets.
        (crate::data("nanoAOD_2015_CMS_Open_Data_ttbar.root"), 0),
    ] {
        let file = RootFile::open(&path).expect("opens");
        let tree = file.tree("Events").expect("Events");
        let names: Vec<String> = tree
            .branches()
            .into_iter()
            .filter(|b| b.counter.is_some() && b.elem.is_some())
            .map(|b| b.name)
            .take(40)
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut shared_pairs = 0;
        for chunk in tree.chunks(&refs, 1 << 20).expect("chunks") {
            let mut shared = ana_runtime::root::SharedOffsets::default();
            let cols: Vec<InputColumn> = names
                .iter()
                .map(|b| {
                    tree.read_column_shared(b, chunk.clone(), &mut shared)
                        .expect("shared read")
                })
                .collect();
            for (i, (b, col)) in names.iter().zip(&cols).enumerate() {
                let alone = tree.read_column(b, chunk.clone()).expect("read alone");
                assert_eq!(col, &alone, "{b} in {}", path.display());
                let o = col.offsets.as_ref().expect("jagged");
                shared_pairs += cols[..i]
                    .iter()
                    .filter(|c| {
                        c.offsets
                            .as_ref()
                            .is_some_and(|p| std::sync::Arc::ptr_eq(p, o))
                    })
                    .count()
                    .min(1);
            }
        }
        assert!(
            shared_pairs >= min_shared,
            "{}: {shared_pairs} branches shared offsets",
            path.display()
        );
        if min_shared == 0 {
            assert_eq!(shared_pairs, 0, "embedded baskets share nothing");
        }
    }
}
