//! The library facade (`ana_runtime::analysis`) gives what `ana run` gives: the whole run in
//! memory then written, and chunks run one at a time (in any order), shipped as bytes, merged
//! in chunk order and written, produce the CLI's files byte for byte.

use std::path::Path;

use ana_runtime::analysis::{Analysis, Options, Partial, Script};
use ana_runtime::exec::ChunkPlan;
use ana_runtime::output::Table;

use crate::{ana, root};

/// The files that do not record timings: histograms, cutflow and every table part.
fn results(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![];
    let mut stack = vec![out.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("read OUT") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n != "run.json") {
                let name = p
                    .strip_prefix(out)
                    .expect("under OUT")
                    .display()
                    .to_string();
                files.push((name, std::fs::read(&p).expect("read")));
            }
        }
    }
    files.sort();
    files
}

fn check_script(script: &str, chunk_entries: u64) {
    let tmp = tempfile::tempdir().expect("tmp");
    let cli = tmp.path().join("cli");
    let n = chunk_entries.to_string();
    let args = ["run", script, "-q", "--chunk-entries", &n, "-o"];
    let out = ana(&[&args[..], &[cli.to_str().expect("utf-8")]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = results(&cli);
    assert!(expected.len() >= 2, "{expected:?}");

    let script = Script::read(&root().join(script)).expect("script");
    let files = script.inputs(&[]).expect("the script's input");
    let plan = ChunkPlan {
        chunk_entries: Some(chunk_entries),
        ..ChunkPlan::default()
    };
    let job = Analysis::open_inputs(script, Options::default(), &files, plan).expect("open");
    assert!(job.chunks().len() > 2, "the test needs several chunks");

    let memory = tmp.path().join("memory");
    let mut config = job.config(tmp.path().join("unused"));
    config.threads = 2;
    let run = job.run(&config).expect("run");
    run.write(&memory, None).expect("write");
    assert_eq!(results(&memory), expected, "in memory, then written");

    let mut bytes: Vec<(usize, Vec<u8>)> = (0..job.chunks().len())
        .rev()
        .map(|i| (i, job.run_chunk(i).expect("chunk").to_bytes()))
        .collect();
    bytes.sort();
    let mut merged = Partial::empty(job.graph());
    for (_, b) in &bytes {
        merged
            .merge(Partial::from_bytes(b).expect("bytes"))
            .expect("merge");
    }
    assert_eq!(merged.entries, run.entries());
    assert_eq!(merged.output.hists, run.hists());
    assert_eq!(run.cutflow().selections.len(), merged.output.cutflow.len());
    let graph = job.graph();
    for ((spec, buf), table) in graph
        .tables
        .iter()
        .zip(&merged.output.tables)
        .zip(run.tables())
    {
        assert_eq!(
            &Table::new(spec, Default::default(), buf.clone()).expect("table"),
            table
        );
    }
    let parts = tmp.path().join("parts");
    job.write(merged, &job.config(&parts)).expect("write");
    assert_eq!(results(&parts), expected, "chunk by chunk, merged");
}

#[test]
fn dimuon_through_the_facade_equals_the_cli() {
    check_script("examples/dimuon.ana", 100);
}

#[test]
fn adl_queries_through_the_facade_equal_the_cli() {
    for q in ["q1", "q3", "q8"] {
        check_script(&format!("examples/adl/{q}.ana"), 3000);
    }
}

#[test]
fn a_parameter_naming_branches_of_other_files_compiles_and_is_checked_when_run() {
    let q6 = || Script::read(&root().join("examples/adl/q6.ana")).expect("script");
    let options = Options {
        params: vec![("btag".into(), "Jet_btagDeepB".into())],
        ..Options::default()
    };
    // The script's own input (synthetic) has no Jet_btagDeepB: the run over it says so.
    let analysis = Analysis::new(q6(), options.clone()).expect("compiles with assumed types");
    let own = q6().inputs(&[]).expect("input");
    let Err(ana_runtime::analysis::AnalysisError::Script(d)) =
        analysis.open(&own, ChunkPlan::default())
    else {
        panic!("the run over the script's input must report the missing branch");
    };
    assert_eq!(d.shown[0].code, "ana::check::unknown_branch");
    // A name the script never defines is still reported at once.
    let typo = Script {
        name: "typo.ana".into(),
        path: Some(root().join("examples/adl/typo.ana")),
        source: "input \"../../tests/data/adl_synth_20k.root\"\nhist h: count(jetz) ~ Int(0, 5)\n"
            .into(),
    };
    let Err(ana_runtime::analysis::AnalysisError::Script(d)) =
        Analysis::new(typo, Options::default())
    else {
        panic!("an undefined name must be reported when the script is compiled");
    };
    assert!(d.shown[0].message.contains("jetz"), "{:?}", d.shown[0]);
}
