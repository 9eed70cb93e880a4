//! `examples/dimuon.ana` against the notebook's analysis done by uproot + awkward + vector +
//! hist in float64 (`tests/reference/dimuon_ref.py`): histograms bin for bin, the cutflow
//! exactly, the Z-candidate table row for row (values within 1e-6 relative).

use std::path::Path;
use std::process::Command;

use super::*;

const ENGINES: [&str; 2] = ["jit", "interp"];

/// Compares a run's outputs in `out` with a reference written by `dimuon_ref.py`.
fn compare(out: &Path, reference: &serde_json::Value, what: &str) {
    let hists = read_json(&out.join("histograms.json"));
    for name in ["nMuons", "mass"] {
        let want: Vec<f64> = reference["hists"][name]["values_flow"]
            .as_array()
            .expect("reference values")
            .iter()
            .map(|v| v.as_f64().expect("number"))
            .collect();
        assert_eq!(hist_values(&hists, name), want, "{what}: histogram {name}");
    }
    let cutflow = read_json(&out.join("cutflow.json"));
    assert_eq!(cutflow["total"], reference["entries"], "{what}: events");
    for (i, region) in ["dimuon", "zpeak"].iter().enumerate() {
        assert_eq!(cutflow["selections"][i]["name"], *region);
        assert_eq!(
            cutflow["selections"][i]["events"], reference["cutflow"][region],
            "{what}: events in {region}"
        );
    }
    let table = read_table(&out.join("zmmtable"));
    let rows = reference["zmmtable"]["rows"].as_u64().expect("rows") as usize;
    let names: Vec<&str> = table.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "mass", "pt", "mu+_pt", "mu+_eta", "mu+_phi", "mu-_pt", "mu-_eta", "mu-_phi"
        ],
        "{what}: table columns"
    );
    for (name, values) in &table {
        assert_eq!(values.len(), rows, "{what}: rows of {name}");
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1e-12);
        if let Some(want) = reference["zmmtable"]["columns"][name].as_array() {
            for (row, (got, want)) in values.iter().zip(want).enumerate() {
                let want = want.as_f64().expect("number");
                assert!(
                    close(*got, want),
                    "{what}: {name} row {row}: {got} != {want}"
                );
            }
        } else {
            let want = reference["zmmtable"]["sums"][name].as_f64().expect("sum");
            let got: f64 = values.iter().sum();
            assert!(close(got, want), "{what}: sum of {name}: {got} != {want}");
        }
    }
}

fn fixture(name: &str) -> serde_json::Value {
    read_json(&root().join("tests/reference/dimuon").join(name))
}

#[test]
fn real_cms_events_match_the_notebook_on_both_engines() {
    let reference = fixture("Run2012BC_DoubleMuParked_Muons_1000evts.json");
    let tmp = tempfile::tempdir().expect("tmp");
    for engine in ENGINES {
        let out = tmp.path().join(engine);
        let out_s = out.to_str().expect("utf-8 path");
        // No files: the script's default input, examples/data/.
        ana_ok(&[
            "run",
            "examples/dimuon.ana",
            "-o",
            out_s,
            "--engine",
            engine,
        ]);
        compare(&out, &reference, engine);
        let run = read_json(&out.join("run.json"));
        assert_eq!(run["engine"], engine);
        assert_eq!(run["entries_read"], 1000);
    }
}

#[test]
fn cms_nanoaod_matches_the_notebook_on_both_engines() {
    let Some(file) = shared("nanoAOD_2015_CMS_Open_Data_ttbar.root") else {
        eprintln!("skipped: shared/data is not there");
        return;
    };
    let reference = fixture("nanoAOD_2015_CMS_Open_Data_ttbar.json");
    let tmp = tempfile::tempdir().expect("tmp");
    for engine in ENGINES {
        let out = tmp.path().join(engine);
        let (f, o) = (file.to_str().expect("utf-8"), out.to_str().expect("utf-8"));
        ana_ok(&["run", "examples/dimuon.ana", f, "-o", o, "--engine", engine]);
        compare(&out, &reference, engine);
    }
}

/// Synthetic events from `../shared/tools/gen_dimuon.py`, made once per target folder, in two
/// files; the reference is computed by the Python script in the same test.
#[test]
fn synthetic_millions_of_events_match_the_notebook() {
    let Some(gen_tool) = ["../shared/tools", "../../shared/tools"]
        .iter()
        .map(|d| root().join(d).join("gen_dimuon.py"))
        .find(|p| p.exists())
    else {
        eprintln!("skipped: shared/tools/gen_dimuon.py is not there");
        return;
    };
    if !python_reference_available() {
        return;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dimuon-synthetic");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let files: Vec<std::path::PathBuf> = (0..2)
        .map(|i| dir.join(format!("dimuon_{i}.root")))
        .collect();
    if !files.iter().all(|f| f.exists()) {
        let status = Command::new("python3")
            .arg(&gen_tool)
            .arg(dir.join("dimuon_{}.root"))
            .args(["--events", "2000000", "--files", "2", "--seed", "11"])
            .status()
            .expect("python3 runs");
        assert!(status.success(), "gen_dimuon.py failed");
    }
    let reference_path = dir.join("reference.json");
    if !reference_path.exists() {
        let status = Command::new("python3")
            .arg(root().join("tests/reference/dimuon_ref.py"))
            .args(&files)
            .arg("-o")
            .arg(&reference_path)
            .status()
            .expect("python3 runs");
        assert!(status.success(), "dimuon_ref.py failed");
    }
    let reference = read_json(&reference_path);
    assert_eq!(reference["entries"], 2_000_000);
    assert!(reference["zmmtable"]["rows"].as_u64() > Some(10_000));
    let tmp = tempfile::tempdir().expect("tmp");
    let inputs: Vec<&str> = files.iter().map(|f| f.to_str().expect("utf-8")).collect();
    for engine in ENGINES {
        let out = tmp.path().join(engine);
        let mut args = vec!["run", "examples/dimuon.ana"];
        args.extend(&inputs);
        args.extend(["-o", out.to_str().expect("utf-8"), "--engine", engine]);
        ana_ok(&args);
        compare(&out, &reference, engine);
    }
}

/// Threads and chunking change nothing: byte-identical histograms and cutflow, identical
/// Parquet tables (the same rows in the same order).
#[test]
fn results_do_not_depend_on_threads_or_chunks() {
    let tmp = tempfile::tempdir().expect("tmp");
    let input = "examples/data/Run2012BC_DoubleMuParked_Muons_1000evts.root";
    // The same file three times: several files, and enough chunks to reorder.
    let runs = [
        ("a", vec!["--threads", "1"]),
        ("b", vec!["--threads", "2"]),
        ("c", vec!["--threads", "2", "--chunk-entries", "7"]),
        (
            "d",
            vec![
                "--threads",
                "1",
                "--chunk-entries",
                "100",
                "--engine",
                "interp",
            ],
        ),
    ];
    for (name, flags) in &runs {
        let out = tmp.path().join(name);
        let mut args = vec!["run", "examples/dimuon.ana", input, input, input];
        args.extend(["-o", out.to_str().expect("utf-8"), "-q"]);
        args.extend(flags);
        ana_ok(&args);
    }
    let bytes =
        |run: &str, file: &str| std::fs::read(tmp.path().join(run).join(file)).expect("read");
    for (name, _) in &runs[1..] {
        for file in ["histograms.json", "cutflow.json"] {
            assert!(
                bytes("a", file) == bytes(name, file),
                "{file} of run {name} differs"
            );
        }
        assert_eq!(
            read_table(&tmp.path().join("a/zmmtable")),
            read_table(&tmp.path().join(name).join("zmmtable")),
            "table of run {name}"
        );
    }
    let run = read_json(&tmp.path().join("c/run.json"));
    assert_eq!(run["entries_read"], 3000);
    assert!(run["chunks"].as_u64() > Some(100), "{run}");
}

/// Chunks smaller than the baskets decompress baskets more than once: the run says so (and
/// still gives the same results, above); chunks of whole baskets say nothing.
#[test]
fn chunks_smaller_than_the_baskets_are_warned_about() {
    let tmp = tempfile::tempdir().expect("tmp");
    let o = tmp.path().join("o");
    let o = o.to_str().expect("utf-8");
    let input = "examples/data/Run2012BC_DoubleMuParked_Muons_1000evts.root";
    let run = |n: &str| {
        let out = ana_ok(&[
            "run",
            "examples/dimuon.ana",
            input,
            "-o",
            o,
            "-q",
            "--chunk-entries",
            n,
        ]);
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let small = run("100");
    assert!(
        small.contains("warning: --chunk-entries 100 is smaller than the baskets"),
        "{small}"
    );
    let whole = run("1000");
    assert!(!whole.contains("warning"), "{whole}");
}

#[test]
fn max_entries_reads_only_the_first_events() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("o");
    let input = "examples/data/Run2012BC_DoubleMuParked_Muons_1000evts.root";
    let o = out.to_str().expect("utf-8");
    ana_ok(&[
        "run",
        "examples/dimuon.ana",
        input,
        input,
        "-o",
        o,
        "--max-entries",
        "1500",
    ]);
    let run = read_json(&out.join("run.json"));
    assert_eq!(run["entries_read"], 1500);
    assert_eq!(run["inputs"][0]["entries_read"], 1000);
    assert_eq!(run["inputs"][1]["entries_read"], 500);
    let hists = read_json(&out.join("histograms.json"));
    assert_eq!(hist_values(&hists, "nMuons").iter().sum::<f64>(), 1500.0);
}

/// `run.json` records every parameter with its value and origin, so that the run can be
/// repeated from its record alone.
#[test]
fn run_json_records_every_parameter() {
    let tmp = tempfile::tempdir().expect("tmp");
    let script = tmp.path().join("params.ana");
    let data = root().join("examples/data/Run2012BC_DoubleMuParked_Muons_1000evts.root");
    std::fs::write(
        &script,
        format!(
            "input {:?}\nparam ptcut = 20.0\nparam nmin = 2\nparam strict = false\n\
             param ptbranch = \"Muon_pt\"\n\
             let muons = Muon{{pt, eta}}\n\
             region sel: count(muons[pt > ptcut]) >= nmin or strict\n\
             hist n in sel: count(muons) ~ Reg(6, 0, 6)\n",
            data.display()
        ),
    )
    .expect("write");
    let out = tmp.path().join("o");
    let s = script.to_str().expect("utf-8");
    let o = out.to_str().expect("utf-8");
    ana_ok(&[
        "run",
        s,
        "-q",
        "-o",
        o,
        "--set",
        "nmin=1",
        "--set",
        "ptcut=25.5",
    ]);
    let run = read_json(&out.join("run.json"));
    assert_eq!(
        run["parameters"],
        serde_json::json!([
            {"name": "ptcut", "value": 25.5, "source": "--set"},
            {"name": "nmin", "value": 1, "source": "--set"},
            {"name": "strict", "value": false, "source": "default"},
            {"name": "ptbranch", "value": "Muon_pt", "source": "default"},
        ])
    );
}

/// The RNTuple copy of the 1000 events (ROOT's own, its muon fields the importer's
/// collection) gives byte-identical histograms, cutflow and table to the TTree, whole and in
/// chunks smaller than its cluster.
#[test]
fn the_rntuple_copy_gives_identical_outputs() {
    let Some(rntuple) = shared("Run2012BC_DoubleMuParked_Muons_1000evts_rntuple_v1-0-0-0.root")
    else {
        eprintln!("skipped: ../shared/data is not there");
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let run = |name: &str, input: &str, extra: &[&str]| {
        let out = tmp.path().join(name);
        let mut args = vec![
            "run",
            "examples/dimuon.ana",
            input,
            "-o",
            out.to_str().expect("utf-8 path"),
        ];
        args.extend(extra);
        ana_ok(&args);
        out
    };
    let tree = run(
        "ttree",
        "examples/data/Run2012BC_DoubleMuParked_Muons_1000evts.root",
        &[],
    );
    let rntuple = rntuple.to_str().expect("utf-8 path");
    for (name, extra) in [
        ("rntuple", &[][..]),
        ("chunked", &["--chunk-entries", "300"][..]),
        ("interp", &["--engine", "interp"][..]),
    ] {
        let out = run(name, rntuple, extra);
        for file in [
            "histograms.json",
            "cutflow.json",
            "zmmtable/part-00000.parquet",
        ] {
            assert!(
                std::fs::read(tree.join(file)).expect("ttree output")
                    == std::fs::read(out.join(file)).expect("rntuple output"),
                "{name}: {file} differs"
            );
        }
    }
}
