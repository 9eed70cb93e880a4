//! Every example and every test script, compiled against the real files whose branches it
//! uses and run on them by both engines: outputs must agree bit for bit. Chunks are cut small
//! so that boundaries fall inside the data, as they do in `ana run`.

use std::path::{Path, PathBuf};

use ana_compiler::abi::{ChunkInput, ChunkOutput, Engine};
use ana_compiler::codegen::Kernel;
use ana_compiler::{CompileOptions, compile};
use ana_runtime::interp::Interpreter;
use ana_runtime::root::RootFile;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn inputs() -> Vec<PathBuf> {
    let mut v = vec![
        root().join("examples/data/Run2012BC_DoubleMuParked_Muons_1000evts.root"),
        root().join("tests/data/adl_synth_20k.root"),
    ];
    let shared = root().join("../shared/data/nanoAOD_2015_CMS_Open_Data_ttbar.root");
    if shared.exists() {
        v.push(shared);
    }
    v
}

fn scripts() -> Vec<PathBuf> {
    let mut v = vec![root().join("examples/dimuon.ana")];
    for dir in ["examples/adl", "tests/frontend/ok"] {
        let mut s: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .expect("list")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "ana"))
            .collect();
        s.sort();
        v.extend(s);
    }
    v
}

/// The b-tag parameter each file spells its own way.
fn params(source: &str, file: &Path) -> Vec<(String, String)> {
    let btag = if file.ends_with("adl_synth_20k.root") {
        "Jet_btag"
    } else {
        "Jet_btagDeepB"
    };
    ["btag", "btag_branch"]
        .iter()
        .filter(|p| source.contains(&format!("param {p} ")))
        .map(|p| (p.to_string(), btag.to_string()))
        .collect()
}

#[test]
fn every_script_agrees_on_real_files() {
    let mut runs = 0;
    for file in inputs() {
        let tree = RootFile::open(&file)
            .and_then(|f| f.tree("Events"))
            .expect("open");
        for script in scripts() {
            let source = std::fs::read_to_string(&script).expect("read");
            let opts = CompileOptions {
                schema: Some(tree.schema()),
                params: params(&source, &file),
            };
            // A script that needs branches this file lacks is run on the other files.
            let Ok(compiled) = compile("s", &source, &opts) else {
                continue;
            };
            let graph = &compiled.graph;
            let kernel = Kernel::compile(graph).expect("JIT compiles");
            let (a, b) = crate::run_both(graph, &kernel, &tree);
            if let Some(d) = crate::diff(&a, &b) {
                panic!(
                    "{} on {}: engines disagree: {d}",
                    script.display(),
                    file.display()
                );
            }
            runs += 1;
        }
    }
    assert!(runs >= 15, "only {runs} script/file pairs ran");
}

/// The cranelift IR of every example, as `ana graph --clif` prints it, so that changes to
/// code generation show up in review.
#[test]
fn clif_of_the_examples() {
    for script in scripts()
        .iter()
        .filter(|s| s.starts_with(root().join("examples")))
    {
        let source = std::fs::read_to_string(script).expect("read");
        let compiled = compile("s", &source, &CompileOptions::default()).expect("compiles");
        let kernel = Kernel::compile(&compiled.graph).expect("JIT compiles");
        let name = script.file_stem().and_then(|s| s.to_str()).expect("name");
        insta::assert_snapshot!(format!("clif_{name}"), kernel.clif());
    }
}

/// Combinations that would exhaust memory (pairs of the triples of 60 muons: 5.9e8 per
/// event) are refused by both engines with a message that says what to do, before any
/// allocation of that size.
#[test]
fn exploding_combinations_are_refused_with_a_hint() {
    use ana_compiler::abi::{ColumnData, InputColumn};
    let source = "let m = Muon{pt}\nhist h: count(pairs(triples(m))) ~ Reg(1, 0, 1)\n";
    let graph = compile("s", source, &CompileOptions::default())
        .expect("compiles")
        .graph;
    let columns: Vec<InputColumn> = graph
        .branches
        .iter()
        .map(|b| match b.jagged {
            false => InputColumn {
                data: ColumnData::I32(vec![60]),
                offsets: None,
            },
            true => InputColumn {
                data: ColumnData::F32(vec![1.0; 60]),
                offsets: Some(vec![0, 60].into()),
            },
        })
        .collect();
    let input = ChunkInput {
        n_events: 1,
        columns: &columns,
    };
    let kernel = Kernel::compile(&graph).expect("JIT compiles");
    for (name, engine) in [
        ("jit", &kernel as &dyn Engine),
        ("interp", &Interpreter::new(&graph)),
    ] {
        let mut out = ChunkOutput::new(&graph);
        let e = engine.run_chunk(input, &mut out).expect_err("refused");
        assert!(
            e.message.contains("select objects before combining"),
            "{name}: {e}"
        );
    }
}
