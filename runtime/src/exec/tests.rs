//! Executor tests on an in-memory source: results identical for any thread count and
//! chunking, errors and cancellation leave the previous outputs untouched.

#![allow(
    clippy::indexing_slicing,
    reason = "tests index freely: a panic is a test failure"
)]

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use ana_compiler::abi::{ColumnData, InputColumn};

use super::plan::limit;
use super::*;
use crate::interp::Interpreter;
use crate::interp::tests::{Mu, dimuon_graph, dimuon_input};

/// Synthetic dimuon events in files of given sizes; chunks cut by `split_ranges`.
struct Memory {
    files: Vec<Vec<Vec<Mu>>>,
    chunks: Vec<Chunk>,
    /// A chunk that fails to read (entry start, file).
    broken: Option<(usize, u64)>,
}

fn events(n: usize, seed: u64) -> Vec<Vec<Mu>> {
    let mut s = seed | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let k = (next() * 4.0) as usize;
            (0..k)
                .map(|_| {
                    let pt = (5.0 + 60.0 * next()) as f32;
                    let eta = (next() * 4.0 - 2.0) as f32;
                    let phi = ((next() * 2.0 - 1.0) * std::f64::consts::PI) as f32;
                    let q = if next() < 0.5 { -1 } else { 1 };
                    (pt, eta, phi, 0.105, q)
                })
                .collect()
        })
        .collect()
}

impl Memory {
    fn new(sizes: &[usize], chunk_entries: Option<u64>) -> Memory {
        let files: Vec<_> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| events(n, 7 + i as u64))
            .collect();
        let mut chunks = vec![];
        for (f, evs) in files.iter().enumerate() {
            // Clusters of 37 entries, as baskets would be.
            let n = evs.len() as u64;
            let clusters: Vec<_> = (0..n).step_by(37).map(|s| s..(s + 37).min(n)).collect();
            chunks.extend(
                split_ranges(&clusters, chunk_entries)
                    .into_iter()
                    .map(|entries| Chunk { file: f, entries }),
            );
        }
        Memory {
            files,
            chunks,
            broken: None,
        }
    }
}

impl ChunkSource for Memory {
    fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }
    fn read(&self, chunk: &Chunk) -> Result<Vec<InputColumn>, RunError> {
        if self.broken == Some((chunk.file, chunk.entries.start)) {
            return Ok(vec![
                InputColumn {
                    data: ColumnData::I32(vec![]),
                    offsets: None
                };
                6
            ]);
        }
        let evs = &self.files[chunk.file][chunk.entries.start as usize..chunk.entries.end as usize];
        Ok(dimuon_input(evs))
    }
    fn files(&self) -> Vec<(String, u64)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (format!("mem{i}.root"), f.len() as u64))
            .collect()
    }
    fn tree(&self) -> String {
        "Events".into()
    }
}

fn run_mem(src: &Memory, threads: usize, out: &Path) -> Result<RunSummary, RunError> {
    let graph = dimuon_graph();
    let mut config = RunConfig::new(out);
    config.threads = threads;
    config.rows_per_part = 50;
    run_source(&config, &graph, &Interpreter::new(&graph), src)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The table's part files, concatenated: identical bytes means identical rows.
fn table_bytes(out: &Path) -> Vec<u8> {
    let mut parts: Vec<_> = std::fs::read_dir(out.join("zmmtable"))
        .expect("table dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    parts.sort();
    parts.iter().flat_map(|p| read(p)).collect()
}

#[test]
fn results_do_not_depend_on_threads_or_chunks() {
    let root = tempfile::tempdir().expect("tempdir");
    let reference = root.path().join("one");
    let one = Memory::new(&[3000, 1234], Some(1 << 40));
    let s = run_mem(&one, 1, &reference).expect("runs");
    assert_eq!(s.chunks, 2);
    assert_eq!(s.entries, 4234);
    assert!(s.tables[0].parts > 2, "several part files are exercised");
    for (threads, chunk) in [(1, None), (2, None), (3, Some(100)), (2, Some(1))] {
        let out = root.path().join(format!("t{threads}-{chunk:?}"));
        let src = Memory::new(&[3000, 1234], chunk);
        let s2 = run_mem(&src, threads, &out).expect("runs");
        assert_eq!(s2.cutflow, s.cutflow);
        assert_eq!(
            read(&out.join("histograms.json")),
            read(&reference.join("histograms.json")),
            "{threads} {chunk:?}"
        );
        assert_eq!(
            read(&out.join("cutflow.json")),
            read(&reference.join("cutflow.json"))
        );
        if chunk.is_none() {
            assert_eq!(
                table_bytes(&out),
                table_bytes(&reference),
                "{threads} {chunk:?}"
            );
        }
    }
}

#[test]
fn failures_and_interrupts_keep_previous_outputs() {
    let root = tempfile::tempdir().expect("tempdir");
    let out = root.path().join("out");
    let src = Memory::new(&[500], Some(50));
    run_mem(&src, 2, &out).expect("runs");
    let before = read(&out.join("run.json"));
    let mut broken = Memory::new(&[500], Some(50));
    let bad_start = broken.chunks[3].entries.start;
    broken.broken = Some((0, bad_start));
    let err = run_mem(&broken, 2, &out).unwrap_err();
    assert!(
        matches!(err, RunError::Engine { start, .. } if start == bad_start),
        "{err}"
    );
    assert_eq!(read(&out.join("run.json")), before);
    let graph = dimuon_graph();
    let mut config = RunConfig::new(&out);
    config.cancel = Some(Arc::new(AtomicBool::new(true)));
    let err = run_source(&config, &graph, &Interpreter::new(&graph), &src).unwrap_err();
    assert!(matches!(err, RunError::Interrupted));
    assert_eq!(read(&out.join("run.json")), before);
    assert_eq!(
        std::fs::read_dir(root.path()).expect("ls").count(),
        1,
        "no staging folder left"
    );
}

#[test]
fn max_entries_limits_the_plan() {
    let mut src = Memory::new(&[100, 100], Some(30));
    src.chunks = limit(src.chunks, Some(150));
    let root = tempfile::tempdir().expect("tempdir");
    let s = run_mem(&src, 2, &root.path().join("o")).expect("runs");
    assert_eq!(s.entries, 150);
    assert_eq!(s.cutflow.total, 150);
}
