//! A script does not care whether its input is a TTree or an RNTuple: the ADL queries on the
//! shared NanoAOD RNTuple (ROOT 6.37's importer: collections of records, projected fields)
//! give byte-identical histograms and cutflows to the same events as a TTree
//! (`tests/data/nanoaod_rntuple_as_ttree.root`, written by uproot from the RNTuple by
//! `tests/fixtures/root/make_rntuple_fixtures.py`).

use super::*;

#[test]
fn adl_queries_give_the_same_outputs_on_an_rntuple_and_a_ttree() {
    let Some(rntuple) =
        shared("cmsopendata2015_ttbar_19980_NANOAOD_RNTupleImporter_rntuple_v1-0-0-1.root")
    else {
        eprintln!("skipped: ../shared/data is not there");
        return;
    };
    let rntuple = rntuple.to_str().expect("utf-8 path");
    let tree = root().join("tests/data/nanoaod_rntuple_as_ttree.root");
    let tree = tree.to_str().expect("utf-8 path");
    let tmp = tempfile::tempdir().expect("tmp");
    for q in ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8"] {
        let script = format!("examples/adl/{q}.ana");
        let mut outs = Vec::new();
        for (name, input) in [("rntuple", rntuple), ("ttree", tree)] {
            let out = tmp.path().join(format!("{q}-{name}"));
            let mut args = vec![
                "run",
                &script,
                input,
                "-o",
                out.to_str().expect("utf-8 path"),
            ];
            if q == "q6" {
                args.extend(["--set", "btag=Jet_btagDeepB"]);
            }
            ana_ok(&args);
            outs.push(out);
        }
        for file in ["histograms.json", "cutflow.json"] {
            assert!(
                std::fs::read(outs[0].join(file)).expect("rntuple output")
                    == std::fs::read(outs[1].join(file)).expect("ttree output"),
                "{q}: {file} differs"
            );
        }
    }
}
