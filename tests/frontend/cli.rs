//! `ana check` and `ana graph`, end to end.

use std::process::Command;

fn ana(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ana"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run ana")
}

#[test]
fn check_clean_example_exits_0() {
    let out = ana(&["check", "examples/dimuon.ana"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty());
}

#[test]
fn check_wrong_script_exits_1_with_diagnostics() {
    let out = ana(&["check", "tests/frontend/err/unknown_name.ana"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ana::check::unknown_name"), "{err}");
    assert!(err.contains("did you mean"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "no colour when not a terminal: {err}"
    );
}

#[test]
fn graph_text_and_dot() {
    let out = ana(&["graph", "examples/dimuon.ana"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("source space sizeof Muon_"), "{text}");
    let out = ana(&["graph", "examples/dimuon.ana", "--dot"]);
    assert!(out.status.success());
    let dot = String::from_utf8_lossy(&out.stdout);
    assert!(
        dot.starts_with("digraph ana {") && dot.trim_end().ends_with('}'),
        "{dot}"
    );
}

/// The graph is compiled for the input's branch types: the script's own `input` by default
/// (`Muon_charge` is an `Int_t` there), `--input` otherwise; a missing file is a usage error.
#[test]
fn graph_uses_the_input_branch_types() {
    let out = ana(&["graph", "examples/dimuon.ana"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Muon_charge: I32[]"), "{text}");
    let out = ana(&[
        "graph",
        "examples/adl/q1.ana",
        "--input",
        "tests/data/adl_synth_20k.root",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("MET_pt: F32"), "{text}");
    let out = ana(&["graph", "examples/dimuon.ana", "--input", "no/such.root"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such.root"));
}

#[test]
fn set_of_undeclared_parameter_is_an_error() {
    let out = ana(&["check", "examples/dimuon.ana", "--set", "nope=3"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ana::check::unknown_param"));
}

/// A script full of errors prints the first 50 and a line counting the rest, not megabytes
/// (a 1 MB script of errors printed 6-10 MB, in time worse than linear): 10,000 unknown
/// names, 10,000 syntax errors, and an expression nested too deeply on a 200 KB line.
#[test]
fn a_flood_of_errors_prints_fifty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let names: String = (0..10_000)
        .map(|i| format!("let a{i} = b{i} + 1\n"))
        .collect();
    let syntax: String = (0..10_000)
        .map(|i| format!("let a{i} = (b{i} +\n"))
        .collect();
    for (name, src) in [("names.ana", names), ("syntax.ana", syntax)] {
        let path = dir.path().join(name);
        std::fs::write(&path, src).expect("write script");
        let out = ana(&["check", path.to_str().expect("utf-8 path")]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        let shown = err
            .lines()
            .filter(|l| l.trim_start().starts_with("ana::"))
            .count();
        assert_eq!(shown, 50, "{name}: {err}");
        assert!(
            err.trim_end()
                .ends_with("and 9950 more errors (10000 in all): fix the ones above first"),
            "{name}: {err}"
        );
        assert!(err.len() < 40_000, "{name}: {} bytes", err.len());
    }
    let path = dir.path().join("deep.ana");
    let deep = format!("{}MET_pt{}", "(".repeat(70), ")".repeat(70));
    let sum = " + MET_pt".repeat(25_000);
    std::fs::write(&path, format!("let x = {deep}{sum}\n")).expect("write script");
    let out = ana(&["check", path.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ana::syntax::too_deep"), "{err}");
    assert!(err.len() < 2_000, "{} bytes: {err}", err.len());
}
