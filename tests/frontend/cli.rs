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
    let out = ana(&["graph", "examples/dimuon.ana", "--level", "ir"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("source space sizeof Muon_"), "{text}");
    let out = ana(&["graph", "examples/dimuon.ana", "--dot", "--level", "ir"]);
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
    let out = ana(&["graph", "examples/dimuon.ana", "--level", "ir"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Muon_charge: I32[]"), "{text}");
    let out = ana(&[
        "graph",
        "--level=ir",
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

/// The default view is the analysis a physicist wrote: the branches read, the collection they
/// make, what uses it (computed once, used five times), regions and outputs; the DOT a
/// newcomer renders with `dot -Tsvg` is a dozen nodes, not the compiler's seventy.
#[test]
fn graph_analysis_level_of_dimuon() {
    let out = ana(&["graph", "examples/dimuon.ana"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("collection muons"), "{text}");
    assert!(text.contains("computed once, used by 5"), "{text}");
    let out = ana(&["graph", "examples/dimuon.ana", "--dot"]);
    assert!(out.status.success());
    insta::assert_snapshot!("dimuon_analysis_dot", String::from_utf8_lossy(&out.stdout));
}
