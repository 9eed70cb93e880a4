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

/// `examples/adl/q1.ana` ... `q8.ana`, each run on both files.
#[test]
fn adl_examples_match_the_python_reference() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let synth = root.join("tests/data/adl_synth_20k.root");
    let cms = shared("nanoAOD_2015_CMS_Open_Data_ttbar.root");
    for q in 1..=8 {
        let script = root.join(format!("examples/adl/q{q}.ana"));
        let set = |b: &str| {
            if q == 6 {
                vec![("btag".to_string(), b.to_string())]
            } else {
                vec![]
            }
        };
        run_and_compare(
            &synth,
            &script,
            "adl_synth_20k.json",
            set("Jet_btag"),
            &format!("q{q}"),
        );
        if let Some(cms) = &cms {
            run_and_compare(
                cms,
                &script,
                "nanoAOD_2015_CMS_Open_Data_ttbar.json",
                set("Jet_btagDeepB"),
                &format!("q{q}"),
            );
        }
    }
}

/// Compiles the script against the file's schema (with `--set btag=...`), runs it in one
/// chunk, and compares every histogram bin with the reference.
fn check(path: &std::path::Path, reference: &str, btag: &str) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/frontend/ok/adl_reference.ana");
    let n = run_and_compare(
        path,
        &script,
        reference,
        vec![("btag".into(), btag.into())],
        "",
    );
    assert_eq!(n, 9);
}

/// Runs `script` on `path` and compares each histogram with the reference: histogram
/// `q<n>_<name>` (or `<name>` when `query` is given) with `queries.q<n>.<name>`.
fn run_and_compare(
    path: &std::path::Path,
    script: &std::path::Path,
    reference: &str,
    params: Vec<(String, String)>,
    query: &str,
) -> usize {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("tests/reference/adl").join(reference))
            .expect("reference"),
    )
    .expect("json");
    let file = ana_runtime::root::RootFile::open(path).expect("open");
    let tree = file.tree("Events").expect("Events");
    let source = std::fs::read_to_string(script).expect("script");
    let opts = CompileOptions {
        schema: Some(tree.schema()),
        params,
    };
    let compiled = match compile(&script.display().to_string(), &source, &opts) {
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
        let (q, name) = if query.is_empty() {
            spec.name.split_once('_').expect("q<n>_<name>")
        } else {
            (query, spec.name.as_str())
        };
        let want: Vec<f64> = reference["queries"][q][name]["values_flow"]
            .as_array()
            .unwrap_or_else(|| panic!("no reference for {q} {name}"))
            .iter()
            .map(|v| v.as_f64().expect("number"))
            .collect();
        assert_eq!(
            buf.sumw,
            want,
            "{} {q} {name} on {}",
            script.display(),
            path.display()
        );
        checked += 1;
    }
    assert!(checked > 0);
    checked
}
