//! The front end's lowering checked against an independent implementation: the ADL queries
//! (`ok/adl_reference.ana`), compiled with the real schema and run by the reference
//! interpreter on the CMS NanoAOD file, must fill exactly the bins of the uproot/awkward/hist
//! reference (`tests/reference/adl/nanoAOD_2015_CMS_Open_Data_ttbar.json`).

use ana_compiler::abi::{ChunkInput, ChunkOutput, Engine};
use ana_compiler::{CompileOptions, compile};

fn shared(file: &str) -> Option<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    ["../shared/data", "../../shared/data"]
        .iter()
        .map(|d| root.join(d).join(file))
        .find(|p| p.exists())
}

#[test]
fn adl_queries_match_the_python_reference_on_cms_nanoaod() {
    match shared("nanoAOD_2015_CMS_Open_Data_ttbar.root") {
        Some(path) => check(
            &path,
            "nanoAOD_2015_CMS_Open_Data_ttbar.json",
            "Jet_btagDeepB",
        ),
        None => eprintln!("skipped: shared/data/nanoAOD_2015_CMS_Open_Data_ttbar.root not found"),
    }
}

#[test]
fn adl_queries_match_the_python_reference_on_synthetic_events() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/adl_synth_20k.root");
    check(&path, "adl_synth_20k.json", "Jet_btag");
}

/// Compiles the script against the file's schema (with `--set btag=...`), runs it in one
/// chunk, and compares every histogram bin with the reference.
fn check(path: &std::path::Path, reference: &str, btag: &str) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("tests/reference/adl").join(reference))
            .expect("reference"),
    )
    .expect("json");
    let file = ana_runtime::root::RootFile::open(path).expect("open");
    let tree = file.tree("Events").expect("Events");
    let source =
        std::fs::read_to_string(root.join("tests/frontend/ok/adl_reference.ana")).expect("script");
    let opts = CompileOptions {
        schema: Some(tree.schema()),
        params: vec![("btag".into(), btag.into())],
    };
    let compiled = match compile("adl_reference.ana", &source, &opts) {
        Ok(c) => c,
        Err(d) => panic!("{}", crate::render(&d)),
    };
    let graph = compiled.graph;
    let n = tree.entries();
    let columns: Vec<_> = graph
        .branches
        .iter()
        .map(|b| tree.read_column(&b.name, 0..n).expect("column"))
        .collect();
    let input = ChunkInput {
        n_events: n as usize,
        columns: &columns,
    };
    let mut out = ChunkOutput::new(&graph);
    ana_runtime::interp::Interpreter::new(&graph)
        .run_chunk(input, &mut out)
        .expect("run");
    let mut checked = 0;
    for (spec, buf) in graph.hists.iter().zip(&out.hists) {
        let (q, name) = spec.name.split_once('_').expect("q<n>_<name>");
        let want: Vec<f64> = reference["queries"][q][name]["values_flow"]
            .as_array()
            .unwrap_or_else(|| panic!("no reference for {}", spec.name))
            .iter()
            .map(|v| v.as_f64().expect("number"))
            .collect();
        assert_eq!(buf.sumw, want, "{}", spec.name);
        checked += 1;
    }
    assert_eq!(checked, 9);
}
