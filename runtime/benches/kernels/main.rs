//! Kernel benchmark: the JIT against the reference interpreter on decoded columns in memory
//! (no file reading), for `examples/dimuon.ana` and for a script with pair combinations
//! (`examples/adl/q5.ana`: opposite-charge muon pairs in a mass window); against the same
//! scripts written by hand in Rust (`native.rs`, compiled by rustc); plus the time to
//! compile `dimuon.ana` from source to finalized machine code.
//!
//! Run: `cargo bench -p ana-runtime --bench kernels` (release build, plain harness);
//! `-- [dimuon|pairs] [jit|interp|native]` runs only that script or engine (for profiling:
//! the other engines' outputs are then not compared); `-- --input FILE.root` takes the
//! events from another file (scripts whose branches it lacks are skipped).
//! Method: the scripts are compiled against `tests/data/adl_synth_20k.root` (synthetic
//! NanoAOD-like events with Z -> ll and multi-jet events), whose branches are decoded once
//! into columns (the first 20k events, one chunk); a pass runs every engine over the chunk
//! `REPEAT` times. Each engine does one warm-up pass, then `REPS` timed passes; reported:
//! the median pass, events per second, and the ratios interp/jit and jit/native. All
//! engines' histograms are checked equal.

#![allow(
    clippy::indexing_slicing,
    reason = "tests index freely: a panic is a test failure"
)]

use std::path::Path;
use std::time::{Duration, Instant};

use ana_compiler::abi::{ChunkInput, ChunkOutput, Engine, InputColumn};
use ana_compiler::codegen::Kernel;
use ana_compiler::{CompileOptions, compile};
use ana_runtime::interp::Interpreter;
use ana_runtime::root::RootFile;

mod native;

/// Events taken from the input file: one chunk.
const EVENTS: u64 = 20_000;

const REPEAT: usize = 25;
const REPS: usize = 7;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time_engine(
    engine: &dyn Engine,
    graph: &ana_compiler::graph::Graph,
    input: ChunkInput<'_>,
) -> (Duration, ChunkOutput) {
    time_passes(|| {
        let mut out = ChunkOutput::new(graph);
        for _ in 0..REPEAT {
            engine.run_chunk(input, &mut out).expect("engine runs");
        }
        out
    })
}

/// One warm-up pass, then the median of `REPS` timed passes; the warm-up's output.
fn time_passes<T>(pass: impl Fn() -> T) -> (Duration, T) {
    let out = pass();
    let times = (0..REPS)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(pass());
            t.elapsed()
        })
        .collect();
    (median(times), out)
}

fn main() {
    // The allocator settings `ana` runs with (cli/main.rs).
    ana_runtime::memory::keep_freed_memory();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let input = match args.iter().position(|a| a == "--input") {
        Some(i) => {
            let path = args.get(i + 1).cloned().expect("--input FILE");
            args.drain(i..i + 2);
            Path::new(&path).to_path_buf()
        }
        None => root.join("tests/data/adl_synth_20k.root"),
    };
    let args: Vec<String> = args.into_iter().filter(|a| !a.starts_with('-')).collect();
    let tree = RootFile::open(&input)
        .and_then(|f| f.tree("Events"))
        .unwrap_or_else(|e| panic!("{}: {e}", input.display()));
    let n = tree.entries().min(EVENTS);
    let opts = CompileOptions {
        schema: Some(tree.schema()),
        params: vec![],
    };
    println!(
        "kernel benchmark: {n} events of {} x {REPEAT} per pass, decoded in memory, median of {REPS} passes",
        input.display()
    );
    let wanted = |what: &str, all: &[&str]| {
        let picked: Vec<&String> = args.iter().filter(|a| all.contains(&a.as_str())).collect();
        picked.is_empty() || picked.iter().any(|a| a.as_str() == what)
    };
    let engines = ["jit", "interp", "native"];
    for (name, script) in [
        ("dimuon", "examples/dimuon.ana"),
        ("pairs", "examples/adl/q5.ana"),
    ] {
        if !wanted(name, &["dimuon", "pairs"]) {
            continue;
        }
        let source = std::fs::read_to_string(root.join(script)).expect("script");
        let Ok(compiled) = compile(script, &source, &opts) else {
            println!("{name:7} ({script}) skipped: the input lacks its branches");
            continue;
        };
        let compile_times: Vec<Duration> = (0..9)
            .map(|_| {
                let t = Instant::now();
                let c = compile(script, &source, &opts).expect("compiles");
                std::hint::black_box(Kernel::compile(&c.graph).expect("JIT compiles"));
                t.elapsed()
            })
            .collect();
        let graph = compiled.graph;
        let columns: Vec<InputColumn> = graph
            .branches
            .iter()
            .map(|b| tree.read_column(&b.name, 0..n).expect("column"))
            .collect();
        let input = ChunkInput {
            n_events: n as usize,
            columns: &columns,
        };
        let kernel = Kernel::compile(&graph).expect("JIT compiles");
        let interp = Interpreter::new(&graph);
        let timed = |engine: &dyn Engine, which: &str| {
            wanted(which, &engines).then(|| time_engine(engine, &graph, input))
        };
        let ti = timed(&interp, "interp");
        let tj = timed(&kernel, "jit");
        let tn = wanted("native", &engines).then(|| time_native(name, &tree, n));
        if let (Some((_, oi)), Some((_, oj))) = (&ti, &tj) {
            assert_eq!(
                format!("{oi:?}"),
                format!("{oj:?}"),
                "{name}: engines disagree"
            );
        }
        if let (Some((_, oj)), Some((_, hn))) = (&tj, &tn) {
            let hj: Vec<&Vec<f64>> = oj.hists.iter().map(|h| &h.sumw).collect();
            assert!(
                hj.iter().zip(hn).all(|(a, b)| *a == b),
                "{name}: the hand-written kernel fills other histograms"
            );
        }
        let events = (n as usize * REPEAT) as f64;
        let t = |r: Option<Duration>| r.unwrap_or(Duration::ZERO);
        let (ti, tj, tn) = (t(ti.map(|r| r.0)), t(tj.map(|r| r.0)), t(tn.map(|r| r.0)));
        let ms = |t: Duration| t.as_secs_f64() * 1e3;
        let rate = |t: Duration| events / t.as_secs_f64() / 1e6;
        println!(
            "{name:7} ({script}) interp {:8.2} ms ({:6.1} Mev/s)  jit {:8.2} ms ({:6.1} Mev/s)  native {:8.2} ms ({:6.1} Mev/s)  interp/jit {:5.1}x  jit/native {:5.2}x  source->machine code {:.2} ms",
            ms(ti),
            rate(ti),
            ms(tj),
            rate(tj),
            ms(tn),
            rate(tn),
            ti.as_secs_f64() / tj.as_secs_f64(),
            tj.as_secs_f64() / tn.as_secs_f64(),
            median(compile_times).as_secs_f64() * 1e3,
        );
    }
}

/// Times the hand-written kernel of `name` as `time_engine` times an engine; returns its
/// histograms (flow bins included, as `HistBuffer::sumw`).
fn time_native(name: &str, tree: &ana_runtime::root::Tree, n: u64) -> (Duration, Vec<Vec<f64>>) {
    let mut names = vec![
        "Muon_pt",
        "Muon_eta",
        "Muon_phi",
        "Muon_mass",
        "Muon_charge",
    ];
    if name == "pairs" {
        names.push("MET_pt");
    }
    let cols: Vec<InputColumn> = names
        .iter()
        .map(|b| tree.read_column(b, 0..n).expect("column"))
        .collect();
    let m = native::Muons::new(&cols);
    let pass = || -> Vec<Vec<f64>> {
        if name == "dimuon" {
            let mut hists = [vec![0.0; 8], vec![0.0; 1002]];
            for _ in 0..REPEAT {
                // A fresh table per chunk, as engines start one per chunk.
                let mut table: [Vec<f64>; 8] = Default::default();
                native::dimuon(&m, &mut hists, &mut table);
                std::hint::black_box(&table);
            }
            hists.into()
        } else {
            let mut hist = vec![0.0; 102];
            for _ in 0..REPEAT {
                native::pairs(&m, &mut hist);
            }
            vec![hist]
        }
    };
    time_passes(pass)
}
