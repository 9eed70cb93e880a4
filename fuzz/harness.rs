//! What each fuzz target does with one input, shared by the libFuzzer targets
//! (`fuzz_targets/`) and the regression test that replays the corpus in `cargo test`
//! (`tests/robust/`). The only failure is a panic (or an abort, a hang, unbounded memory).

use ana_compiler::abi::{ChunkInput, ChunkOutput, Engine};
use ana_compiler::codegen::Kernel;
use ana_compiler::{CompileOptions, compile};
use ana_runtime::interp::Interpreter;
use ana_runtime::root::RootFile;

/// Script text through the whole front end; when it compiles, through code generation too,
/// and both engines on a chunk of events without data (every branch empty).
pub fn script(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(compiled) = compile("fuzz.ana", text, &CompileOptions::default()) else {
        return;
    };
    let graph = &compiled.graph;
    let kernel = Kernel::compile(graph).expect("a checked graph must compile to machine code");
    let columns: Vec<_> = graph
        .branches
        .iter()
        .map(|b| ana_compiler::abi::InputColumn {
            data: empty_column(b.phys),
            offsets: b.jagged.then(|| vec![0; 4].into()),
        })
        .collect();
    let input = ChunkInput {
        n_events: 3,
        columns: &columns,
    };
    let (mut a, mut b) = (ChunkOutput::new(graph), ChunkOutput::new(graph));
    let ra = kernel.run_chunk(input, &mut a);
    let rb = Interpreter::new(graph).run_chunk(input, &mut b);
    assert_eq!(
        ra.is_ok(),
        rb.is_ok(),
        "engines disagree on accepting the chunk"
    );
}

/// Scalar branches get 3 zero values; jagged ones 3 empty entries.
fn empty_column(t: ana_compiler::graph::PhysType) -> ana_compiler::abi::ColumnData {
    use ana_compiler::abi::ColumnData as C;
    use ana_compiler::graph::PhysType as P;
    match t {
        P::Bool => C::Bool(vec![false; 3]),
        P::I8 => C::I8(vec![0; 3]),
        P::U8 => C::U8(vec![0; 3]),
        P::I16 => C::I16(vec![0; 3]),
        P::U16 => C::U16(vec![0; 3]),
        P::I32 => C::I32(vec![0; 3]),
        P::U32 => C::U32(vec![0; 3]),
        P::I64 => C::I64(vec![0; 3]),
        P::U64 => C::U64(vec![0; 3]),
        P::F32 => C::F32(vec![0.0; 3]),
        P::F64 => C::F64(vec![0.0; 3]),
    }
}

/// File bytes through the reader: keys, trees and RNTuples, branch (field) metadata, every
/// branch's values, the chunk plan. Errors are fine; panics are not.
pub fn root_file(data: &[u8]) {
    let Ok(file) = RootFile::from_bytes("fuzz.root", data.to_vec()) else {
        return;
    };
    let _ = file.rntuple_names();
    for name in file.tree_names().iter().take(4) {
        let Ok(tree) = file.tree(name) else {
            continue;
        };
        let _ = tree.schema();
        let branches = tree.branches();
        let n = tree.entries();
        let names: Vec<&str> = branches.iter().take(64).map(|b| b.name.as_str()).collect();
        let _ = tree.chunks(&names, 1 << 20);
        for b in &names {
            let _ = tree.read_values(b, 0..n);
            let _ = tree.read_values(b, n / 2..n);
        }
        // As `ana run` reads a chunk: one branch after the other, sharing offsets.
        let mut shared = ana_runtime::root::SharedOffsets::default();
        for b in &names {
            let _ = tree.read_column_shared(b, 0..n, &mut shared);
        }
    }
}
