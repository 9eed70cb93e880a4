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
fn set_of_undeclared_parameter_is_a_usage_error() {
    let out = ana(&["check", "examples/dimuon.ana", "--set", "nope=3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ana::check::unknown_param"));
}

/// Stderr with miette's line wrapping undone: words separated by single spaces.
fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr)
        .split_whitespace()
        .filter(|w| *w != "|")
        .collect::<Vec<_>>()
        .join(" ")
}

/// The shared NanoAOD file, when the shared folder is there.
fn nanoaod() -> Option<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    ["../shared/data", "../../shared/data"]
        .iter()
        .map(|d| root.join(d).join("nanoAOD_2015_CMS_Open_Data_ttbar.root"))
        .find(|p| p.exists())
        .map(|p| p.canonicalize().expect("canonical path"))
}

/// `genWeight` is a NanoAOD branch that the assumed schema does not know (no `_`-less flat
/// branch is assumed) and `Muon_tightId` a Bool the assumed schema calls float32: checking
/// against the script's own input accepts both, as `ana run` does.
const USES_THE_INPUT: &str = "let muons = Muon{pt, eta, tight = \"Muon_tightId\"}\n\
    region good: count(muons[pt > 20 and tight]) >= 1\n\
    hist pt in good: muons.pt ~ Reg(10, 0, 100) weight genWeight\n";

#[test]
fn check_uses_the_scripts_own_input() {
    let Some(nano) = nanoaod() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let script = tmp.path().join("ttbar.ana");
    std::fs::write(
        &script,
        format!("input {:?}\n{USES_THE_INPUT}", nano.display()),
    )
    .expect("write");
    let s = script.to_str().expect("utf-8");
    let out = ana(&["check", s]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    // The same script without its input fails against the assumed types, and says which.
    let bare = tmp.path().join("bare.ana");
    std::fs::write(&bare, USES_THE_INPUT).expect("write");
    let out = ana(&["check", bare.to_str().expect("utf-8")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("no input: branch types assumed"), "{err}");
    assert!(err.contains("genWeight"), "{err}");
    // --input gives the same schema as the script's input.
    let n = nano.to_str().expect("utf-8");
    let out = ana(&["check", bare.to_str().expect("utf-8"), "--input", n]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn check_names_a_missing_default_input() {
    let tmp = tempfile::tempdir().expect("tmp");
    let script = tmp.path().join("s.ana");
    std::fs::write(
        &script,
        "input \"gone.root\"\nhist n: nMuon ~ Reg(4, 0, 4)\n",
    )
    .expect("write");
    let out = ana(&["check", script.to_str().expect("utf-8")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("gone.root does not exist: branch types assumed"),
        "{err}"
    );
}

#[test]
fn set_given_twice_is_a_usage_error() {
    let out = ana(&[
        "check",
        "examples/adl/q6.ana",
        "--set",
        "btag=Jet_btag",
        "--set",
        "btag=Jet_btagDeepB",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--set btag is given twice"), "{err}");
    assert!(!err.contains("did you mean"), "{err}");
}

#[test]
fn a_script_with_a_byte_order_mark_is_accepted() {
    let tmp = tempfile::tempdir().expect("tmp");
    let source = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/dimuon.ana"),
    )
    .expect("read");
    let script = tmp.path().join("bom.ana");
    std::fs::write(&script, format!("\u{feff}{source}")).expect("write");
    let input = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/data/Run2012BC_DoubleMuParked_Muons_1000evts.root");
    let s = script.to_str().expect("utf-8");
    let out = ana(&["check", s, "--input", input.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // An error on the first line is pointed at where it is.
    std::fs::write(&script, "\u{feff}let x = nope + 1\n").expect("write");
    let out = ana(&["check", s]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr).replace(s, "bom.ana");
    insta::assert_snapshot!("bom_first_line_error", err);
}

#[test]
fn check_input_that_is_a_broken_link_says_so() {
    let tmp = tempfile::tempdir().expect("tmp");
    let link = tmp.path().join("in.root");
    std::os::unix::fs::symlink("elsewhere.root", &link).expect("symlink");
    let out = ana(&[
        "check",
        "examples/dimuon.ana",
        "--input",
        link.to_str().expect("utf-8"),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("is a symbolic link to elsewhere.root, which does not exist"),
        "{err}"
    );
}

/// The byte-order mark is skipped wherever a script is parsed: its `input` and `tree` are
/// found, and spans stay offsets into the text as read.
#[test]
fn a_byte_order_mark_before_the_first_statement() {
    let source = "\u{feff}input \"x.root\"\ntree T\nlet y = nope\n";
    assert_eq!(
        ana_compiler::declared_input(source).as_deref(),
        Some("x.root")
    );
    assert_eq!(ana_compiler::declared_tree(source).as_deref(), Some("T"));
    let opts = ana_compiler::CompileOptions::default();
    let diags = ana_compiler::compile("s.ana", source, &opts).expect_err("unknown name");
    let span = diags.shown[0].span;
    assert_eq!(&source[span.start..span.end], "nope");
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

#[test]
fn help_points_to_the_language_reference() {
    let out = ana(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("docs/language.md"), "{text}");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(root.join("docs/language.md").is_file());
}
