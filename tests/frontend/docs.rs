//! `docs/language.md`: every ```ana block is checked as `ana check` does, against the branches
//! of its input file (`tests/data/adl_synth_20k.root`, or the fence's `input=FILE` from
//! `examples/data` or `tests/data`); every ```ana run block is also run by the `ana` binary,
//! and its `# result:` lines compared with the outputs. The results were checked against
//! uproot + awkward (the dimuon ones are `tests/reference/dimuon`'s, the cutflow ones
//! `tests/reference/cutflow`'s).

use std::path::{Path, PathBuf};

use ana_compiler::{CompileOptions, compile};

use crate::render;

struct Block {
    /// 1-based line of the opening fence in the document.
    line: usize,
    input: PathBuf,
    run: bool,
    source: String,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn blocks(doc: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = doc.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```ana") else {
            continue;
        };
        let mut input = root().join("tests/data/adl_synth_20k.root");
        let mut run = false;
        for word in info.split_whitespace() {
            match word.split_once('=') {
                Some(("input", file)) => {
                    // `../shared/data` is beside the clone (tests may read it); where it is
                    // absent, the block is skipped with a message.
                    input = ["examples/data", "tests/data", "../shared/data"]
                        .iter()
                        .map(|d| root().join(d).join(file))
                        .find(|p| p.exists())
                        .unwrap_or_else(|| root().join("../shared/data").join(file));
                }
                None if word == "run" => run = true,
                _ => panic!("line {}: unknown fence word `{word}`", i + 1),
            }
        }
        let mut source = String::new();
        for (_, l) in lines.by_ref() {
            if l.starts_with("```") {
                break;
            }
            source.push_str(l);
            source.push('\n');
        }
        out.push(Block {
            line: i + 1,
            input,
            run,
            source,
        });
    }
    out
}

/// Compares one `# result:` line with the run's outputs in `out`.
fn check_result(line: &str, out: &Path, at: usize) {
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(out.join(f)).expect("read output"))
            .expect("json")
    };
    let words: Vec<&str> = line.split_whitespace().collect();
    let num = |s: &str| -> f64 { s.parse().unwrap_or_else(|_| panic!("line {at}: `{s}`")) };
    match words.as_slice() {
        ["region", name, events] => {
            let c = read("cutflow.json");
            let row = c["selections"]
                .as_array()
                .and_then(|s| s.iter().find(|r| r["name"] == *name))
                .unwrap_or_else(|| panic!("line {at}: no region {name}"));
            assert_eq!(
                row["events"].as_f64(),
                Some(num(events)),
                "line {at}: {line}"
            );
        }
        ["cutflow", name, row, events, sumw] => {
            let c = read("cutflow.json");
            let r = &c["cutflows"][name]["rows"][num(row) as usize];
            assert_eq!(r["events"].as_f64(), Some(num(events)), "line {at}: {line}");
            let got = r["sumw"].as_f64().expect("sumw");
            assert_eq!(
                format!("{got:.3}"),
                format!("{:.3}", num(sumw)),
                "line {at}: {line}"
            );
        }
        ["hist", name, values @ ..] => {
            let h = read("histograms.json");
            let mut got: Vec<f64> = h[name]["storage"]["values"]
                .as_array()
                .unwrap_or_else(|| panic!("line {at}: no 1D histogram {name}"))
                .iter()
                .map(|v| v.as_f64().expect("number"))
                .collect();
            // Flow bins: one at each end (a category axis has only the overflow).
            let under = h[name]["axes"][0]["type"] != "category";
            if under && !got.is_empty() {
                got.remove(0);
            }
            got.pop();
            let want: Vec<f64> = values.iter().map(|v| num(v)).collect();
            assert_eq!(got, want, "line {at}: {line}");
        }
        ["missing", name, fills] => {
            let r = read("run.json");
            assert_eq!(
                r["missing_fills"][name].as_f64(),
                Some(num(fills)),
                "line {at}: {line}"
            );
        }
        _ => panic!("line {at}: cannot read `# result: {line}`"),
    }
}

#[test]
fn every_example_in_the_language_reference_checks_and_runs() {
    let doc = std::fs::read_to_string(root().join("docs/language.md")).expect("docs");
    let blocks = blocks(&doc);
    let runs = blocks.iter().filter(|b| b.run).count();
    assert!(
        blocks.len() >= 12 && runs >= 2,
        "{} blocks, {runs} run",
        blocks.len()
    );
    let tmp = tempfile::tempdir().expect("tmp");
    for (k, b) in blocks.iter().enumerate() {
        if !b.input.exists() {
            eprintln!(
                "skipped: line {}: {} is not there",
                b.line,
                b.input.display()
            );
            continue;
        }
        let tree = ana_runtime::root::RootFile::open(&b.input)
            .and_then(|f| f.tree("Events"))
            .expect("open input");
        let opts = CompileOptions {
            schema: Some(tree.schema()),
            params: Vec::new(),
        };
        if let Err(d) = compile("language.md", &b.source, &opts) {
            panic!("docs/language.md block at line {}:\n{}", b.line, render(&d));
        }
        if !b.run {
            continue;
        }
        let script = tmp.path().join(format!("block{k}.ana"));
        std::fs::write(&script, &b.source).expect("write");
        let out = tmp.path().join(format!("out{k}"));
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_ana"))
            .arg("run")
            .arg(&script)
            .arg(&b.input)
            .arg("-q")
            .arg("-o")
            .arg(&out)
            .output()
            .expect("run ana");
        assert!(
            run.status.success(),
            "block at line {}: {}",
            b.line,
            String::from_utf8_lossy(&run.stderr)
        );
        let mut results = 0;
        for (i, line) in b.source.lines().enumerate() {
            if let Some(r) = line.strip_prefix("# result:") {
                check_result(r, &out, b.line + 1 + i);
                results += 1;
            }
        }
        assert!(
            results > 0,
            "block at line {} runs but states no result",
            b.line
        );
    }
}
