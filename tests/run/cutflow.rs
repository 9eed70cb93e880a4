//! Named, weighted cutflows (`tests/frontend/ok/cutflow.ana`) against the uproot + awkward
//! reference (`tests/reference/cutflow_ref.py`, fixture in `tests/reference/cutflow/`) on
//! the synthetic ADL events: events exactly, sums of weights to 1e-12 relative (ana adds in
//! event order within a chunk, numpy pairwise); both engines write the same file byte for
//! byte, and the run summary shows each cutflow.

use super::*;

#[test]
fn named_cutflows_match_awkward_on_both_engines() {
    let want = read_json(&root().join("tests/reference/cutflow/adl_synth_20k.json"));
    let tmp = tempfile::tempdir().expect("tmp");
    let mut files = Vec::new();
    for engine in ["jit", "interp"] {
        let out = tmp.path().join(engine);
        let run = ana_ok(&[
            "run",
            "tests/frontend/ok/cutflow.ana",
            "tests/data/adl_synth_20k.root",
            "--engine",
            engine,
            "--chunk-entries",
            "3000",
            "-o",
            out.to_str().expect("utf-8"),
        ]);
        let got = read_json(&out.join("cutflow.json"));
        assert_eq!(got["total"], want["total"], "{engine}");
        assert_eq!(got["selections"], want["selections"], "{engine}");
        let (got_c, want_c) = (
            got["cutflows"].as_object().expect("cutflows"),
            want["cutflows"].as_object().expect("cutflows"),
        );
        // In the script's order (the parsed map here sorts its keys: look at the text).
        let text = std::fs::read_to_string(out.join("cutflow.json")).expect("read");
        let at = |key: &str| text.find(&format!("\"{key}\": {{")).expect("a cutflow key");
        assert!(at("main") < at("reordered") && at("reordered") < at("ints"));
        assert_eq!(got_c.len(), want_c.len(), "{engine}");
        for (name, w) in want_c {
            let g = &got_c[name];
            assert_eq!(g["weight"], w["weight"], "{engine} {name}");
            let (g_rows, w_rows) = (
                g["rows"].as_array().expect("rows"),
                w["rows"].as_array().expect("rows"),
            );
            assert_eq!(g_rows.len(), w_rows.len(), "{engine} {name}");
            for (g, w) in g_rows.iter().zip(w_rows) {
                assert_eq!((&g["name"], &g["events"]), (&w["name"], &w["events"]));
                let (a, b) = (
                    g["sumw"].as_f64().expect("sumw"),
                    w["sumw"].as_f64().expect("sumw"),
                );
                assert!(
                    (a - b).abs() <= 1e-12 * b.abs(),
                    "{engine} {name} {}: sumw {a} != {b}",
                    w["name"]
                );
            }
        }
        let summary = String::from_utf8_lossy(&run.stdout).into_owned();
        for line in [
            "cutflow   main (sum of weights: w)",
            "  all events        20,000  100.0%     17514.693\n",
            "  jets2                414    2.1%       435.277\n",
            "cutflow   reordered\n",
            "  os                   414    2.1%\n",
        ] {
            assert!(
                summary.contains(line),
                "{engine}: no `{line}` in\n{summary}"
            );
        }
        files.push(std::fs::read(out.join("cutflow.json")).expect("read"));
    }
    assert_eq!(files[0], files[1], "the engines' cutflow.json differ");
}
