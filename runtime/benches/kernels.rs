//! Kernel benchmark: the JIT against the reference interpreter on decoded columns in memory
//! (no file reading), for `examples/dimuon.ana` and for a script with pair combinations
//! (`examples/adl/q5.ana`: opposite-charge muon pairs in a mass window); plus the time to
//! compile `dimuon.ana` from source to finalized machine code.
//!
//! Run: `cargo bench -p ana-runtime --bench kernels` (release build, plain harness);
//! `-- [dimuon|pairs] [jit|interp]` runs only that script or engine (for profiling: the other
//! engine's output is then not compared).
//! Method: the scripts are compiled against `tests/data/adl_synth_20k.root` (synthetic
//! NanoAOD-like events with Z -> ll and multi-jet events), whose branches are decoded once
//! into columns (20k events per chunk); a pass runs every engine over the chunk `REPEAT`
//! times. Each engine does one warm-up pass, then `REPS` timed passes; reported: the median
//! pass, events per second, and the ratio interp/jit. Both engines' outputs are checked equal.

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
    let pass = || {
        let mut out = ChunkOutput::new(graph);
        for _ in 0..REPEAT {
            engine.run_chunk(input, &mut out).expect("engine runs");
        }
        out
    };
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
    let tree = RootFile::open(&root.join("tests/data/adl_synth_20k.root"))
        .and_then(|f| f.tree("Events"))
        .expect("tests/data/adl_synth_20k.root");
    let n = tree.entries();
    let opts = CompileOptions {
        schema: Some(tree.schema()),
        params: vec![],
    };
    println!(
        "kernel benchmark: {n} events x {REPEAT} per pass, decoded in memory, median of {REPS} passes"
    );
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |what: &str, all: &[&str]| {
        let picked: Vec<&String> = args.iter().filter(|a| all.contains(&a.as_str())).collect();
        picked.is_empty() || picked.iter().any(|a| a.as_str() == what)
    };
    let engines = ["jit", "interp"];
    for (name, script) in [
        ("dimuon", "examples/dimuon.ana"),
        ("pairs", "examples/adl/q5.ana"),
    ] {
        if !wanted(name, &["dimuon", "pairs"]) {
            continue;
        }
        let source = std::fs::read_to_string(root.join(script)).expect("script");
        let compile_times: Vec<Duration> = (0..9)
            .map(|_| {
                let t = Instant::now();
                let c = compile(script, &source, &opts).expect("compiles");
                std::hint::black_box(Kernel::compile(&c.graph).expect("JIT compiles"));
                t.elapsed()
            })
            .collect();
        let graph = compile(script, &source, &opts).expect("compiles").graph;
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
        let skip = (Duration::ZERO, None);
        let (ti, oi) = if wanted("interp", &engines) {
            let (t, o) = time_engine(&interp, &graph, input);
            (t, Some(o))
        } else {
            skip.clone()
        };
        let (tj, oj) = if wanted("jit", &engines) {
            let (t, o) = time_engine(&kernel, &graph, input);
            (t, Some(o))
        } else {
            skip
        };
        if let (Some(oi), Some(oj)) = (oi, oj) {
            assert_eq!(
                format!("{oi:?}"),
                format!("{oj:?}"),
                "{name}: engines disagree"
            );
        }
        let events = (n as usize * REPEAT) as f64;
        println!(
            "{name:7} ({script}) interp {:8.2} ms ({:6.1} Mev/s)  jit {:8.2} ms ({:6.1} Mev/s)  speedup {:5.1}x  source->machine code {:.2} ms",
            ti.as_secs_f64() * 1e3,
            events / ti.as_secs_f64() / 1e6,
            tj.as_secs_f64() * 1e3,
            events / tj.as_secs_f64() / 1e6,
            ti.as_secs_f64() / tj.as_secs_f64(),
            median(compile_times).as_secs_f64() * 1e3,
        );
    }
}
