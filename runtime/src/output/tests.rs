//! Output tests: histograms checked by `hist` itself (Python, skipped with a message when it
//! is missing), Parquet parts read back, the staging folder's all-or-nothing replacement.

#![allow(
    clippy::indexing_slicing,
    reason = "tests index freely: a panic is a test failure"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ana_compiler::abi::{CutflowBuffer, HistBuffer, OutColumn, OutValues, TableBuffer};
use ana_compiler::graph::*;
use serde_json::json;

use super::*;
use crate::interp::{Binner, log_edges};

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/reference")
}

/// Runs a reference script; `None` when Python or its packages are not installed.
fn python(script: &str, arg: &Path) -> Option<std::process::Output> {
    let probe = Command::new("python3")
        .args(["-c", "import hist, uhi, pandas, pyarrow"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipping: python3 with hist, uhi, pandas, pyarrow is not available");
        return None;
    }
    Some(
        Command::new("python3")
            .arg(reference_dir().join(script))
            .arg(arg)
            .output()
            .expect("python runs"),
    )
}

fn axis(name: &str, kind: AxisKind) -> Axis {
    Axis {
        name: name.into(),
        label: format!("{name} label"),
        kind,
    }
}

fn axis_decl(a: &Axis) -> serde_json::Value {
    let base = json!({ "name": a.name, "label": a.label });
    let mut v = match &a.kind {
        AxisKind::Regular { bins, lo, hi } => {
            json!({"kind": "regular", "bins": bins, "lo": lo, "hi": hi})
        }
        AxisKind::Log { bins, lo, hi } => json!({"kind": "log", "bins": bins, "lo": lo, "hi": hi}),
        AxisKind::Variable { edges } => json!({"kind": "variable", "edges": edges}),
        AxisKind::Integer { lo, hi } => json!({"kind": "integer", "lo": lo, "hi": hi}),
        AxisKind::Category { values } => json!({"kind": "category", "values": values}),
        AxisKind::StrCategory { values, .. } => json!({"kind": "strcategory", "values": values}),
    };
    if let (Some(v), Some(b)) = (v.as_object_mut(), base.as_object()) {
        v.extend(b.clone());
    }
    v
}

/// Deterministic values spread over `lo..hi` in log space, plus every edge and specials.
fn probe_values(lo: f64, hi: f64, edges: &[f64]) -> Vec<f64> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut v: Vec<f64> = (0..2000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            (lo.ln() + u * (hi.ln() - lo.ln())).exp()
        })
        .collect();
    v.extend(edges);
    v.extend([
        0.0,
        -1.0,
        -0.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        lo,
        hi,
    ]);
    v
}

#[test]
fn histograms_open_in_hist_with_identical_contents() {
    let mut graph = Graph::default();
    let mut fills = serde_json::Map::new();
    let mut bufs = vec![];
    let regular = axis(
        "n",
        AxisKind::Regular {
            bins: 6,
            lo: 0.0,
            hi: 6.0,
        },
    );
    let log = axis(
        "mass",
        AxisKind::Log {
            bins: 1000,
            lo: 0.2,
            hi: 200.0,
        },
    );
    let var = axis(
        "v",
        AxisKind::Variable {
            edges: vec![0.0, 1.0, 3.0, 10.0],
        },
    );
    let int = axis("i", AxisKind::Integer { lo: -1, hi: 3 });
    let cat = axis(
        "c",
        AxisKind::Category {
            values: vec![11, 13, 17],
        },
    );
    let cases: Vec<(&str, Vec<Axis>, Storage)> = vec![
        ("regular", vec![regular.clone()], Storage::Double),
        ("log", vec![log.clone()], Storage::Double),
        ("variable", vec![var.clone()], Storage::Double),
        ("integer", vec![int], Storage::Double),
        ("category", vec![cat], Storage::Double),
        ("twod_weighted", vec![regular, var], Storage::Weighted),
    ];
    for (name, axes, storage) in cases {
        let spec = HistSpec {
            name: name.into(),
            axes,
            storage,
        };
        let n_edges = log_edges(1000, 0.2, 200.0);
        let mut cols: Vec<Vec<f64>> = spec
            .axes
            .iter()
            .map(|a| match &a.kind {
                AxisKind::Log { .. } => probe_values(0.1, 300.0, &n_edges),
                AxisKind::Variable { edges } => probe_values(0.01, 12.0, edges),
                AxisKind::Category { .. } => vec![11.0, 13.0, 5.0, 17.0, 13.0, -3.0],
                _ => probe_values(0.01, 8.0, &[-1.5, -1.0, 0.0, 1.0, 2.9, 3.0, 5.0, 6.0]),
            })
            .collect();
        let len = cols.iter().map(Vec::len).min().unwrap_or(0);
        cols.iter_mut().for_each(|c| c.truncate(len));
        let weights: Option<Vec<f64>> = (storage == Storage::Weighted)
            .then(|| (0..len).map(|i| 0.5 + (i % 7) as f64 * 0.25).collect());
        let mut buf = HistBuffer::new(&spec);
        let binners: Vec<Binner> = spec.axes.iter().map(Binner::new).collect();
        for row in 0..len {
            let mut slot = 0;
            for ((a, b), c) in spec.axes.iter().zip(&binners).zip(&cols) {
                let s = match a.kind {
                    AxisKind::Category { .. } => b.slot_i64(c[row] as i64),
                    _ => b.slot_f64(c[row]),
                };
                slot = slot * a.extent() + s;
            }
            let w = weights.as_ref().map_or(1.0, |w| w[row]);
            buf.sumw[slot] += w;
            if let Some(w2) = &mut buf.sumw2 {
                w2[slot] += w * w;
            }
        }
        let strings = |v: &[f64]| v.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>();
        fills.insert(
            name.into(),
            json!({
                "axes": spec.axes.iter().map(axis_decl).collect::<Vec<_>>(),
                "values": cols.iter().map(|c| strings(c)).collect::<Vec<_>>(),
                "weights": weights.as_deref().map(strings),
            }),
        );
        graph.hists.push(spec);
        bufs.push(buf);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    write_histograms(&dir.path().join("histograms.json"), &graph, &bufs).expect("written");
    write_json(&dir.path().join("fills.json"), &fills).expect("written");
    let text = std::fs::read_to_string(dir.path().join("histograms.json")).expect("read");
    assert!(
        text.find("\"regular\"") < text.find("\"twod_weighted\""),
        "declaration order kept"
    );
    let Some(out) = python("check_hist_json.py", dir.path()) else {
        return;
    };
    let report =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "hist disagrees:\n{report}");
    assert_eq!(report.matches(": ok").count(), 6, "{report}");
}

fn table_spec() -> TableSpec {
    let col = |name: &str, dtype| ColumnSpec {
        name: name.into(),
        dtype,
        list: false,
    };
    TableSpec {
        name: "t".into(),
        columns: vec![
            col("x", ColumnType::F64),
            col("mu+_pt", ColumnType::F32),
            col("n", ColumnType::I32),
            col("id", ColumnType::I64),
            col("ok", ColumnType::Bool),
        ],
        nullable: vec![],
    }
}

fn batch(rows: std::ops::Range<i64>) -> TableBuffer {
    TableBuffer {
        columns: [
            OutValues::F64(rows.clone().map(|i| i as f64 * 0.5).collect()),
            OutValues::F32(rows.clone().map(|i| i as f32 * 0.25).collect()),
            OutValues::I32(rows.clone().map(|i| i as i32 - 3).collect()),
            OutValues::I64(rows.clone().collect()),
            OutValues::Bool(rows.map(|i| i % 3 == 0).collect()),
        ]
        .into_iter()
        .map(|values| OutColumn {
            values,
            offsets: None,
        })
        .collect(),
    }
}

#[test]
fn parquet_parts_roll_and_keep_row_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w =
        TableWriter::new(dir.path(), &table_spec(), Default::default(), 1000).expect("writer");
    let mut start = 0;
    for size in [10, 0, 990, 1500, 7, 493] {
        w.append(batch(start..start + size)).expect("append");
        start += size;
    }
    let summary = w.finish().expect("finish");
    assert_eq!((summary.rows, summary.parts), (3000, 3));
    let parts: Vec<_> = std::fs::read_dir(dir.path().join("t"))
        .expect("dir")
        .collect();
    assert_eq!(parts.len(), 3);
    let script = "import sys, pandas as pd, numpy as np\n\
        df = pd.read_parquet(sys.argv[1])\n\
        assert list(df.columns) == ['x', 'mu+_pt', 'n', 'id', 'ok'], df.columns\n\
        assert [str(t) for t in df.dtypes] == ['float64', 'float32', 'int32', 'int64', 'bool'], df.dtypes\n\
        assert (df['id'].to_numpy() == np.arange(3000)).all()\n\
        assert (df['x'].to_numpy() == np.arange(3000) * 0.5).all()\n\
        print('ok', len(df))\n";
    let probe = Command::new("python3")
        .args(["-c", "import pandas, pyarrow"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipping pandas check: python3 with pandas and pyarrow is not available");
        return;
    }
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(dir.path().join("t"))
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn empty_table_is_one_part_with_the_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let w = TableWriter::new(dir.path(), &table_spec(), Default::default(), 1000).expect("writer");
    let s = w.finish().expect("finish");
    assert_eq!((s.rows, s.parts), (0, 1));
    assert!(dir.path().join("t/part-00000.parquet").is_file());
}

#[test]
fn staged_dir_replaces_all_or_nothing() {
    let root = tempfile::tempdir().expect("tempdir");
    let target = root.path().join("out");
    std::fs::create_dir(&target).expect("mkdir");
    std::fs::write(target.join("old.txt"), "old").expect("write");
    std::fs::write(target.join(MARKER), "").expect("write");
    {
        let staged = StagedDir::new(&target, &[], None, &mut |_| {}).expect("staged");
        std::fs::write(staged.path().join("new.txt"), "new").expect("write");
        // Dropped without commit: a failed run.
    }
    assert!(target.join("old.txt").is_file());
    assert_eq!(
        std::fs::read_dir(root.path()).expect("ls").count(),
        1,
        "staging folder removed"
    );
    let staged = StagedDir::new(&target, &[], None, &mut |_| {}).expect("staged");
    std::fs::write(staged.path().join("new.txt"), "new").expect("write");
    staged.commit().expect("commit");
    assert!(target.join("new.txt").is_file() && !target.join("old.txt").exists());
    assert_eq!(
        std::fs::read_dir(root.path()).expect("ls").count(),
        1,
        "nothing left beside"
    );
    let file = root.path().join("file");
    std::fs::write(&file, "x").expect("write");
    assert!(matches!(
        StagedDir::new(&file, &[], None, &mut |_| {}),
        Err(OutputError::NotADirectory(_))
    ));
}

#[test]
fn cutflow_lists_regions_in_order() {
    let mut g = Graph::default();
    for name in ["b", "a"] {
        g.regions.push(RegionSpec {
            name: name.into(),
            mask: NodeId(0),
        });
    }
    let c = Cutflow::new(&g, 10, &[5, 2], &[]);
    let text = serde_json::to_string(&c).expect("json");
    assert_eq!(
        text,
        r#"{"total":10,"selections":[{"name":"b","events":5},{"name":"a","events":2}],"cutflows":{}}"#
    );
}

#[test]
fn named_cutflows_are_keyed_in_script_order_with_all_events_first() {
    let mut g = Graph::default();
    for (name, regions, weight) in [("z", vec!["b"], Some("w")), ("a", vec![], None)] {
        g.cutflows.push(CutflowSpec {
            name: name.into(),
            regions: regions.into_iter().map(String::from).collect(),
            weight: weight.map(String::from),
        });
    }
    let named = [
        CutflowBuffer {
            events: vec![10, 4],
            sumw: vec![2.5, f64::NAN],
        },
        CutflowBuffer {
            events: vec![10],
            sumw: vec![10.0],
        },
    ];
    let c = Cutflow::new(&g, 10, &[], &named);
    let text = serde_json::to_string(&c).expect("json");
    assert_eq!(
        text,
        r#"{"total":10,"selections":[],"cutflows":{"z":{"weight":"w","rows":[{"name":"all events","events":10,"sumw":2.5},{"name":"b","events":4,"sumw":null}]},"a":{"weight":null,"rows":[{"name":"all events","events":10,"sumw":10.0}]}}}"#
    );
}

/// A table with a uint64 column and two list columns, and a batch of its rows: row `i` has
/// `i % 4` elements (so some lists are empty), `event` above 2^63.
fn list_spec() -> TableSpec {
    let col = |name: &str, dtype, list| ColumnSpec {
        name: name.into(),
        dtype,
        list,
    };
    TableSpec {
        name: "skim".into(),
        nullable: vec![],
        columns: vec![
            col("event", ColumnType::U64, false),
            col("pt", ColumnType::F32, true),
            col("ok", ColumnType::Bool, true),
        ],
    }
}

fn list_batch(rows: std::ops::Range<u64>) -> TableBuffer {
    let mut offsets = vec![0u64];
    let (mut pt, mut ok) = (Vec::new(), Vec::new());
    for i in rows.clone() {
        for k in 0..i % 4 {
            pt.push(i as f32 + k as f32 * 0.5);
            ok.push(k % 2 == 0);
        }
        offsets.push(pt.len() as u64);
    }
    TableBuffer {
        columns: vec![
            OutColumn {
                values: OutValues::U64(rows.map(|i| u64::MAX - i).collect()),
                offsets: None,
            },
            OutColumn {
                values: OutValues::F32(pt),
                offsets: Some(offsets.clone()),
            },
            OutColumn {
                values: OutValues::Bool(ok),
                offsets: Some(offsets),
            },
        ],
    }
}

/// Every row of a table's parts: (event, pt list, ok list).
fn read_list_rows(dir: &Path) -> Vec<(u64, Vec<f32>, Vec<bool>)> {
    use arrow::array::{AsArray, BooleanArray};
    use arrow::datatypes::{Float32Type, UInt64Type};
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    parts.sort();
    let mut rows = Vec::new();
    for p in parts {
        let file = std::fs::File::open(&p).expect("open");
        let reader = ::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .expect("parquet")
            .build()
            .expect("reader");
        for b in reader {
            let b = b.expect("batch");
            let ev = b.column(0).as_primitive::<UInt64Type>();
            let (pt, ok) = (b.column(1).as_list::<i32>(), b.column(2).as_list::<i32>());
            for r in 0..b.num_rows() {
                let p = pt.value(r);
                let o = ok.value(r);
                let o = o.as_any().downcast_ref::<BooleanArray>().expect("bools");
                rows.push((
                    ev.value(r),
                    p.as_primitive::<Float32Type>().values().to_vec(),
                    (0..o.len()).map(|k| o.value(k)).collect(),
                ));
            }
        }
    }
    rows
}

#[test]
fn list_and_uint64_columns_keep_their_rows_across_batches_and_parts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = TableWriter::new(dir.path(), &list_spec(), Default::default(), 7).expect("writer");
    let mut start = 0;
    // Each batch's offsets start at 0, as a chunk's do; parts roll inside batches.
    for size in [3, 0, 10, 1, 20] {
        w.append(list_batch(start..start + size)).expect("append");
        start += size;
    }
    let summary = w.finish().expect("finish");
    assert_eq!((summary.rows, summary.parts), (34, 5));
    let rows = read_list_rows(&dir.path().join("skim"));
    let want: Vec<(u64, Vec<f32>, Vec<bool>)> = (0..34u64)
        .map(|i| {
            let n = i % 4;
            (
                u64::MAX - i,
                (0..n).map(|k| i as f32 + k as f32 * 0.5).collect(),
                (0..n).map(|k| k % 2 == 0).collect(),
            )
        })
        .collect();
    assert_eq!(rows, want);
}

#[test]
fn batches_beyond_arrow_offsets_are_cut_into_pieces() {
    // Rows of 0, 1, 2, 3, 0, 1, ... elements, at most 3 elements per piece.
    let pieces = super::parquet::pieces(list_batch(0..10), 3).expect("pieces");
    let mut events: Vec<u64> = Vec::new();
    for p in &pieces {
        let o = p.columns[1].offsets.as_ref().expect("list");
        assert_eq!(o[0], 0);
        assert!(*o.last().expect("offsets") <= 3, "{o:?}");
        assert_eq!(
            p.columns[1].values.len() as u64,
            *o.last().expect("offsets")
        );
        assert_eq!(p.columns[2].offsets.as_ref(), Some(o));
        match &p.columns[0].values {
            OutValues::U64(v) => events.extend(v),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(events, (0..10).map(|i| u64::MAX - i).collect::<Vec<_>>());
    // Greedy: rows 0..3, 3..5, 5..7, 7..9, 9..10.
    assert_eq!(pieces.len(), 5);
    // A batch that fits is not copied into pieces.
    assert_eq!(
        super::parquet::pieces(list_batch(0..10), 100)
            .expect("fits")
            .len(),
        1
    );
    // One row longer than a piece is an error, not a panic.
    assert!(super::parquet::pieces(list_batch(0..10), 2).is_err());
}

#[test]
fn malformed_list_offsets_are_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = TableWriter::new(dir.path(), &list_spec(), Default::default(), 7).expect("writer");
    let mut b = list_batch(0..5);
    b.columns[1].offsets = Some(vec![0, 2, 1, 3, 3, 6]);
    assert!(matches!(w.append(b), Err(OutputError::Table { .. })));
    let mut b = list_batch(0..5);
    b.columns[2].offsets = Some(vec![0, 0, 1, 3, 6, 7]);
    assert!(matches!(w.append(b), Err(OutputError::Table { .. })));
}
