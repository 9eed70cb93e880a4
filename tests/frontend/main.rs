//! Front-end tests, data-driven: every `examples/*.ana` and `tests/frontend/ok/*.ana` must
//! compile (snapshots of the AST and the optimized graph); every `tests/frontend/err/*.ana`
//! must fail (snapshot of the rendered diagnostics, no colour, fixed width). The CLI is tested
//! end to end, and a property test feeds the front end arbitrary and mutated text.
//!
//! Regenerate snapshots: `INSTA_UPDATE=always cargo test --test frontend`, then review the diff.

#![allow(
    clippy::indexing_slicing,
    reason = "tests index freely: a panic is a test failure"
)]

mod architecture;
mod cli;
mod docs;
mod props;
mod reference;

use ana_compiler::{CompileOptions, compile, dump, syntax};

/// Renders diagnostics as `ana check` does on a non-terminal.
pub fn render(diags: &ana_compiler::Diagnostics) -> String {
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(100);
    let mut out = String::new();
    for d in &diags.shown {
        let _ = handler.render_report(&mut out, d);
        out.push('\n');
    }
    if let Some(note) = diags.omitted_note() {
        out.push_str(&note);
        out.push('\n');
    }
    out
}

fn compile_ok(path: &std::path::Path) -> (String, ana_compiler::Compiled) {
    let source = std::fs::read_to_string(path).expect("read script");
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("script");
    match compile(name, &source, &options(&source)) {
        Ok(c) => {
            c.graph.validate().expect("valid graph");
            (source, c)
        }
        Err(d) => panic!("{} does not compile:\n{}", path.display(), render(&d)),
    }
}

#[test]
fn examples() {
    insta::glob!("../../examples", "{*.ana,adl/*.ana}", |path| {
        let (source, compiled) = compile_ok(path);
        let (ast, diags) = syntax::parse(&source);
        assert!(diags.is_empty());
        insta::assert_snapshot!("ast", format!("{ast:#?}"));
        insta::assert_snapshot!("graph", dump::text(&compiled.graph));
        insta::assert_snapshot!("analysis", compiled.overview.text());
    });
}

#[test]
fn ok() {
    insta::glob!("ok/*.ana", |path| {
        let source = std::fs::read_to_string(path).expect("read script");
        if !inputs_present(&source) {
            return;
        }
        let (_, compiled) = compile_ok(path);
        insta::assert_snapshot!(dump::text(&compiled.graph));
    });
}

/// A script's `#! input FILE`, when it names one: in examples/data, or shared/data beside the
/// repository (or beside the worktree); None when not there.
fn input_file(file: &str) -> Option<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    ["examples/data", "../shared/data", "../../shared/data"]
        .iter()
        .map(|d| root.join(d).join(file.trim()))
        .find(|p| p.exists())
}

/// Whether every `#! input` of a script is there (scripts on shared data skip without it).
fn inputs_present(source: &str) -> bool {
    let present = source
        .lines()
        .filter_map(|l| l.strip_prefix("#! input "))
        .all(|f| input_file(f).is_some());
    if !present {
        eprintln!("skipping a script: its #! input is not in examples/data or shared/data");
    }
    present
}

/// Options from `#! set NAME=VALUE` and `#! input FILE` (in `examples/data` or `shared/data`) headers.
fn options(source: &str) -> CompileOptions {
    let mut opts = CompileOptions::default();
    for line in source.lines() {
        if let Some(kv) = line.strip_prefix("#! set ") {
            let (k, v) = kv.split_once('=').expect("#! set NAME=VALUE");
            opts.params
                .push((k.trim().to_string(), v.trim().to_string()));
        } else if let Some(file) = line.strip_prefix("#! input ") {
            let path = input_file(file).expect("test input in examples/data or shared/data");
            let root = ana_runtime::root::RootFile::open(&path).expect("open test input");
            opts.schema = Some(root.tree("Events").expect("tree Events").schema());
        }
    }
    opts
}

#[test]
fn err() {
    insta::glob!("err/*.ana", |path| {
        let source = std::fs::read_to_string(path).expect("read script");
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("script");
        let opts = options(&source);
        match compile(name, &source, &opts) {
            Ok(_) => panic!("{} compiles but should not", path.display()),
            Err(d) => {
                for x in &d.shown {
                    assert!(
                        !x.help.is_empty(),
                        "{}: diagnostic without help: {}",
                        path.display(),
                        x.message
                    );
                }
                insta::assert_snapshot!(render(&d));
            }
        }
    });
}

/// A table has one row per event unless every column is one value per element of the same
/// collection; in a per-event table, values per element are list columns, over any
/// collections (once an error, or one row per element).
#[test]
fn tables_are_per_event_with_list_columns_unless_all_per_element() {
    use ana_compiler::graph::{NodeKind, Shape};
    let src = "let mu = Muon{pt, eta, phi, mass, charge}\nlet jets = Jet{pt}\n\
               let zs = pairs(mu)\n\
               table skim { n = count(mu), mu_pt = mu.pt, jet_pt = jets.pt, m = zs.mass }\n\
               table cands { m = zs.mass, pt0 = zs.0.pt }\n\
               table events { n = count(mu) }\n";
    let c = compile("t.ana", src, &CompileOptions::default()).expect("compiles");
    c.graph.validate().expect("valid graph");
    let lists: Vec<Vec<bool>> = c
        .graph
        .tables
        .iter()
        .map(|t| t.columns.iter().map(|col| col.list).collect())
        .collect();
    assert_eq!(
        lists,
        [
            vec![false, true, true, true],
            vec![false, false],
            vec![false]
        ]
    );
    let rows: Vec<Option<Shape>> = c
        .graph
        .nodes
        .iter()
        .filter_map(|n| match &n.kind {
            NodeKind::Append { space, .. } => Some(space.map(Shape::Elem)),
            _ => None,
        })
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0], None, "skim: one row per event");
    assert!(rows[1].is_some(), "cands: one row per pair");
    assert_eq!(rows[2], None, "events: one row per event");
}

/// Shared work is computed once: the same selection used by a histogram and a table.
#[test]
fn cse_merges_shared_work() {
    let src = "let mu = Muon{pt, eta}\nhist a: count(mu[pt > 20]) ~ Reg(5, 0, 5)\n\
               table t { n = count(mu[pt > 20]), s = sum(mu[pt > 20].pt) }\n";
    let c = compile("t.ana", src, &CompileOptions::default()).expect("compiles");
    let filters = c
        .graph
        .nodes
        .iter()
        .filter(|n| matches!(n.kind, ana_compiler::graph::NodeKind::Filter { .. }))
        .count();
    let counts = c
        .graph
        .nodes
        .iter()
        .filter(|n| {
            matches!(
                n.kind,
                ana_compiler::graph::NodeKind::Reduce {
                    op: ana_compiler::graph::ReduceOp::Count,
                    ..
                }
            )
        })
        .count();
    assert_eq!((filters, counts), (1, 1), "{}", dump::text(&c.graph));
    // Muon_pt alone: the muons' counts come from its entry offsets (optimize/counters.rs).
    assert_eq!(c.graph.branches.len(), 1, "only Muon_pt is read");
    insta::assert_snapshot!("cse_dot", dump::dot(&c.graph));
}

/// A collection's counts come from a loaded branch's entry offsets: its counter branch is
/// read only when the script reads it itself, or when no branch of the collection is loaded.
#[test]
fn counter_branches_are_read_only_when_needed() {
    let branches = |src: &str| -> Vec<String> {
        let c = compile("t.ana", src, &CompileOptions::default()).expect("compiles");
        let mut v: Vec<String> = c.graph.branches.iter().map(|b| b.name.clone()).collect();
        v.sort();
        v
    };
    let mu = "let mu = Muon{pt, eta}\n";
    assert_eq!(
        branches(&format!("{mu}hist a: sum(mu.pt) ~ Reg(5, 0, 5)\n")),
        ["Muon_pt"]
    );
    assert_eq!(
        branches(&format!("{mu}hist a: count(mu) ~ Reg(5, 0, 5)\n")),
        ["nMuon"]
    );
    assert_eq!(
        branches(&format!(
            "{mu}hist a: sum(mu.eta) ~ Reg(5, 0, 5)\nhist n: nMuon ~ Reg(5, 0, 5)\n"
        )),
        ["Muon_eta", "nMuon"]
    );
}

/// One mistake is one error: a definition whose expression failed is still defined (as
/// poisoned), and what uses it reports nothing more. Two typos in a ttbar draft used to give
/// 11 errors: every use of a region whose condition failed was "used before its definition".
#[test]
fn errors_do_not_cascade() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/frontend/err/cascade_ttbar.ana");
    let source = std::fs::read_to_string(&path).expect("read script");
    let d = compile("cascade_ttbar.ana", &source, &options(&source)).expect_err("two typos");
    let codes: Vec<&str> = d.shown.iter().map(|x| x.code).collect();
    assert_eq!(codes, ["ana::check::unknown_name"; 2], "{}", render(&d));
    assert_eq!(d.total(), 2);
}

/// A script full of errors: the first 50 (by position) and the count of the rest.
#[test]
fn errors_beyond_fifty_are_counted() {
    let src: String = (0..200).map(|i| format!("let a{i} = b{i} + 1\n")).collect();
    let d = compile("flood.ana", &src, &CompileOptions::default()).expect_err("200 errors");
    assert_eq!((d.shown.len(), d.omitted, d.total()), (50, 150, 200));
    let text = render(&d);
    assert!(text.contains("unknown name `b0`") && text.contains("unknown name `b49`"));
    assert!(!text.contains("`b50`"), "{text}");
    assert!(text.ends_with("and 150 more errors (200 in all): fix the ones above first\n"));
}

/// A line of 200 KB is shown as a window around the error, once, with its line number.
#[test]
fn long_line_is_shown_as_a_window() {
    let sum = " + 1".repeat(50_000);
    let deep = format!("{}MET_pt{}", "(".repeat(70), ")".repeat(70));
    let src = format!("let a = MET_pt\nlet x = {deep}{sum}\nlet y = MET_phi\n");
    let d = compile("deep.ana", &src, &CompileOptions::default()).expect_err("too deep");
    let text = render(&d);
    assert!(text.len() < 2000, "{} bytes", text.len());
    insta::assert_snapshot!(text);
}

/// The parser reads a long script a few KB at a time (a syntax error then costs its window,
/// not the rest of the script): an unclosed statement at a window's end reads as it does
/// anywhere else, and the statements after it are parsed.
#[test]
fn syntax_errors_read_the_same_at_a_parse_window_end() {
    for pad in 0..48 {
        let mut src = format!("# {}\n", "x".repeat(pad));
        while src.len() < 4096 - 16 {
            src.push_str("let a = MET_pt\n");
        }
        src.push_str("let b = (MET_pt\nlet c = 1\nlet d = )\nlet e = 2\n");
        let (script, diags) = syntax::parse(&src);
        let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "expected `)` or an operator, found `let`",
                "expected an expression, found `)`"
            ],
            "padding {pad}"
        );
        let last: Vec<String> = script
            .stmts
            .iter()
            .rev()
            .take(2)
            .map(|s| format!("{:?}", s.kind).chars().take(30).collect())
            .collect();
        assert!(
            last[0].contains("\"e\"") && last[1].contains("\"c\""),
            "padding {pad}: {last:?}"
        );
    }
}
