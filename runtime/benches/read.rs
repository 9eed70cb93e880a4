//! Reading benchmark: ana's columnar reading of the dimuon branches against the floor, the
//! time to merely decompress the same baskets.
//!
//! Run: `cargo bench -p ana-runtime --bench read -- [--threads N] [--reps R] FILE.root...`
//! Method: the files' `Events` trees are cut into the chunks `ana run` would use (about 4 MB
//! of decoded data, at basket boundaries); on a rayon pool of N threads every (chunk, branch)
//! is either decompressed only (`decompress`) or decompressed and decoded into flat values
//! and offsets (`read`). Each is run once as warm-up (the files are then in the page cache),
//! then R times; the median is reported as one JSON line per measurement, with decoded bytes
//! and events, and a human line on stderr.

#![allow(
    clippy::indexing_slicing,
    reason = "tests index freely: a panic is a test failure"
)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ana_runtime::exec::DEFAULT_CHUNK_BYTES;
use ana_runtime::root::{RootFile, Tree};
use rayon::prelude::*;

/// The branches `ana run examples/dimuon.ana` reads (the muons' counts come from their entry
/// offsets: `nMuon` is not read, see `optimize/counters.rs`).
const BRANCHES: [&str; 5] = [
    "Muon_pt",
    "Muon_eta",
    "Muon_phi",
    "Muon_mass",
    "Muon_charge",
];

struct Task<'a> {
    tree: &'a Tree,
    branch: &'static str,
    range: std::ops::Range<u64>,
}

fn main() {
    // As `ana` does (cli/main.rs): keep freed chunk buffers instead of returning them to
    // the kernel, so that each chunk does not fault in fresh zeroed pages.
    ana_runtime::memory::keep_freed_memory();
    let mut threads = vec![1, 2];
    let mut reps = 3;
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => threads = vec![number(args.next(), "--threads")],
            "--reps" => reps = number(args.next(), "--reps"),
            "--bench" => {}
            f => files.push(PathBuf::from(f)),
        }
    }
    if files.is_empty() {
        eprintln!("usage: cargo bench -p ana-runtime --bench read -- [--threads N] FILE.root...");
        std::process::exit(2);
    }
    let trees: Vec<Tree> = files
        .iter()
        .map(|f| {
            RootFile::open(f)
                .and_then(|r| r.tree("Events"))
                .unwrap_or_else(|e| fail(&e.to_string()))
        })
        .collect();
    let events: u64 = trees.iter().map(Tree::entries).sum();
    let mut tasks = Vec::new();
    for tree in &trees {
        for range in tree.chunks(&BRANCHES, DEFAULT_CHUNK_BYTES).expect("chunks") {
            for branch in BRANCHES {
                tasks.push(Task {
                    tree,
                    branch,
                    range: range.clone(),
                });
            }
        }
    }
    for &n in &threads {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .expect("pool");
        for what in ["decompress", "read"] {
            let pass = || -> u64 {
                tasks
                    .par_iter()
                    .map(|t| match what {
                        "decompress" => t
                            .tree
                            .decompress_only(t.branch, t.range.clone())
                            .expect("decompress"),
                        _ => {
                            let col = t.tree.read_column(t.branch, t.range.clone()).expect("read");
                            let values = col.data.len() as u64 * elem_size(&col.data);
                            let offsets = col.offsets.map_or(0, |o| 4 * o.len() as u64);
                            std::hint::black_box(values + offsets)
                        }
                    })
                    .sum()
            };
            let bytes = pool.install(pass);
            let mut times: Vec<Duration> = (0..reps)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(pool.install(pass));
                    t.elapsed()
                })
                .collect();
            times.sort();
            let secs = times[times.len() / 2].as_secs_f64();
            println!(
                "{{\"what\":\"{what}\",\"threads\":{n},\"seconds\":{secs},\"bytes\":{bytes},\"events\":{events}}}"
            );
            eprintln!(
                "{what:10} {n} thread(s): {secs:.3} s, {:.0} MB/s decoded, {:.1} M events/s",
                bytes as f64 / secs / 1e6,
                events as f64 / secs / 1e6
            );
        }
    }
}

/// A bad argument or file: a message and exit 2, as a command-line tool does.
fn fail(message: &str) -> ! {
    eprintln!("read benchmark: {message}");
    std::process::exit(2)
}

fn number(arg: Option<String>, flag: &str) -> usize {
    match arg.and_then(|n| n.parse().ok()) {
        Some(n) if n > 0 => n,
        _ => fail(&format!("{flag} takes a positive number")),
    }
}

fn elem_size(d: &ana_compiler::abi::ColumnData) -> u64 {
    use ana_compiler::abi::ColumnData::*;
    match d {
        Bool(_) | I8(_) | U8(_) => 1,
        I16(_) | U16(_) => 2,
        I32(_) | U32(_) | F32(_) => 4,
        I64(_) | U64(_) | F64(_) => 8,
    }
}
