//! `ana inspect`, end to end through the binary: listings (snapshots), values as JSON
//! against uproot (`tests/fixtures/root/inspect.json`), exit codes.

use std::process::{Command, Output};

use serde_json::Value;

fn ana(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ana"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run ana")
}

fn data(name: &str) -> String {
    crate::data(name).display().to_string()
}

/// Equal JSON, numbers compared as the float32 they may have been stored as.
fn close(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| close(x, y))
        }
        (Value::Number(a), Value::Number(b)) => {
            a == b
                || matches!((a.as_f64(), b.as_f64()), (Some(x), Some(y)) if x == y || x as f32 == y as f32)
        }
        (a, b) => a == b,
    }
}

#[test]
fn values_as_json_equal_uproot() {
    let cases: Vec<Value> =
        serde_json::from_str(include_str!("../fixtures/root/inspect.json")).expect("fixture");
    for case in cases {
        let file = data(case["file"].as_str().unwrap());
        let tree = case["tree"].as_str().unwrap();
        let want = case["values"].as_object().unwrap();
        let mut args = vec![
            "inspect",
            file.as_str(),
            "--json",
            "--tree",
            tree,
            "--entries",
        ];
        args.push(case["entries"].as_str().unwrap());
        for b in want.keys() {
            args.push("--branch");
            args.push(b);
        }
        let out = ana(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Value = serde_json::from_slice(&out.stdout).expect("JSON output");
        assert_eq!(got["tree"], tree);
        for (b, w) in want {
            assert!(
                close(&got["values"][b], w),
                "{file} {b}: got {}, uproot {w}",
                got["values"][b]
            );
        }
    }
}

#[test]
fn listing_text_and_json() {
    let out = ana(&[
        "inspect",
        &data("Run2012BC_DoubleMuParked_Muons_1000evts.root"),
    ]);
    assert!(out.status.success());
    insta::assert_snapshot!("dimuon_listing", String::from_utf8_lossy(&out.stdout));
    let out = ana(&["inspect", &data("uproot-stl_containers.root")]);
    insta::assert_snapshot!("stl_listing", String::from_utf8_lossy(&out.stdout));
    // An RNTuple's fields: collections of numbers as jagged branches, sizes of collections,
    // and the untyped collection of records the importer writes, listed as unsupported.
    let out = ana(&[
        "inspect",
        &data("Run2012BC_DoubleMuParked_Muons_1000evts_rntuple_v1-0-0-0.root"),
    ]);
    assert!(out.status.success());
    insta::assert_snapshot!("rntuple_listing", String::from_utf8_lossy(&out.stdout));
    let out = ana(&[
        "inspect",
        &data("Run2012BC_DoubleMuParked_Muons_1000evts.root"),
        "--json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let t = &v["trees"][0];
    assert_eq!(t["name"], "Events");
    assert_eq!(t["entries"], 1000);
    let pt = &t["branches"][1];
    assert_eq!(pt["name"], "Muon_pt");
    assert_eq!(pt["type"], "Float_t[nMuon]");
    assert_eq!(pt["counter"], "nMuon");
    assert_eq!(pt["compression"], "zlib");
}

#[test]
fn values_text() {
    let f = data("Run2012BC_DoubleMuParked_Muons_1000evts.root");
    let out = ana(&[
        "inspect",
        &f,
        "--branch",
        "nMuon",
        "--branch",
        "Muon_pt",
        "--entries",
        ":3",
    ]);
    assert!(out.status.success());
    insta::assert_snapshot!("dimuon_values", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn exit_codes() {
    let f = data("Run2012BC_DoubleMuParked_Muons_1000evts.root");
    let code = |args: &[&str]| ana(args).status.code();
    assert_eq!(code(&["inspect", "/no/such/file.root"]), Some(2));
    assert_eq!(
        code(&["inspect", &f, "--branch", "nMuon", "--entries", "x:y"]),
        Some(2)
    );
    assert_eq!(code(&["inspect", &f, "--branch", "nope"]), Some(1));
    assert_eq!(code(&["inspect", &f, "--tree", "nope"]), Some(1));
    assert_eq!(code(&["inspect", "/etc/hostname"]), Some(1));
    let out = ana(&[
        "inspect",
        &data("Run2012BC_DoubleMuParked_Muons_1000evts_rntuple_v1-0-0-0.root"),
        "--branch",
        "nMuon",
    ]);
    assert_eq!(out.status.code(), Some(0), "an RNTuple's field is read");
}

/// The last possible entry as a single-entry range (`A` means `A:A+1`): an empty range past
/// the tree's end, not an arithmetic overflow.
#[test]
fn entry_range_at_u64_max() {
    let f = data("Run2012BC_DoubleMuParked_Muons_1000evts.root");
    let out = ana(&[
        "inspect",
        &f,
        "--json",
        "--branch",
        "nMuon",
        "--entries",
        &u64::MAX.to_string(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["values"]["nMuon"], serde_json::json!([]));
}

/// Branch sizes, basket counts and codecs as uproot reads them (`make_sizes.py`), including
/// baskets embedded in the tree object (every basket of the NanoAOD file).
#[test]
fn sizes_and_codecs_equal_uproot() {
    let cases: Vec<Value> =
        serde_json::from_str(include_str!("../fixtures/root/sizes.json")).expect("fixture");
    for case in cases {
        let file = data(case["file"].as_str().unwrap());
        let tree = case["tree"].as_str().unwrap();
        let out = ana(&["inspect", &file, "--json", "--tree", tree]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let t = &got["trees"][0];
        assert_eq!(t["record"], case["record"], "{file}: the tree's record");
        let want = case["branches"].as_array().unwrap();
        let branches = t["branches"].as_array().unwrap();
        assert_eq!(branches.len(), want.len(), "{file}");
        for (g, w) in branches.iter().zip(want) {
            for field in [
                "name",
                "baskets",
                "uncompressed_bytes",
                "compressed_bytes",
                "embedded_baskets",
                "embedded_bytes",
                "compression",
            ] {
                assert_eq!(g[field], w[field], "{file} {}: {field}", w["name"]);
            }
        }
    }
}

/// The NanoAOD listing: embedded baskets' real sizes (not "0 B, none"), long names cut to
/// the name column's width. A few rows: the first ones and the longest names.
#[test]
fn nanoaod_listing() {
    let out = ana(&["inspect", &data("nanoAOD_2015_CMS_Open_Data_ttbar.root")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 947, "{} lines", lines.len());
    // The longest name has 83 characters; cut to 40, rows stay under 160.
    let widest = lines.iter().map(|l| l.chars().count()).max().unwrap();
    assert!(widest < 160, "a line of {widest} characters");
    assert!(
        !text.contains("| none"),
        "a branch without its codec:\n{text}"
    );
    let mut cut = 0;
    let picked: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(i, l)| {
            let first_cut = l.contains('…') && {
                cut += 1;
                cut <= 3
            };
            *i < 8
                || first_cut
                || l.starts_with("Muon_pt ")
                || l.starts_with("Muon_tightId ")
                || l.starts_with("genWeight")
                || l.starts_with("LHEPdfWeight ")
                || l.starts_with("FsrPhoton_pt ")
                || l.starts_with("in tree:")
                || l.starts_with("  ")
        })
        .map(|(_, l)| *l)
        .collect();
    insta::assert_snapshot!("nanoaod_listing", picked.join("\n"));
}

/// A reader that closes the pipe early (`ana inspect FILE | head`) ends ana quietly, exit 0,
/// as `ls | head` does: no "failed printing to stdout" panic.
#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let f = data("nanoAOD_2015_CMS_Open_Data_ttbar.root");
    // Both listings are larger than a pipe's buffer (64 KiB), so ana is still writing when
    // the reader goes.
    for extra in [None, Some("--json")] {
        let mut args = vec!["inspect", f.as_str()];
        args.extend(extra);
        let mut child = Command::new(env!("CARGO_BIN_EXE_ana"))
            .args(&args)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ana");
        let mut stdout = child.stdout.take().expect("stdout");
        let mut head = [0u8; 100];
        stdout.read_exact(&mut head).expect("first bytes");
        drop(stdout);
        let out = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("panicked") && !err.contains("failed printing"),
            "{err}"
        );
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}

#[test]
fn a_link_to_nothing_is_named_as_such() {
    let tmp = tempfile::tempdir().expect("tmp");
    let link = tmp.path().join("f.root");
    std::os::unix::fs::symlink("missing.root", &link).expect("symlink");
    let out = ana(&["inspect", link.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr)
        .split_whitespace()
        .filter(|w| *w != "|")
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("is a symbolic link to missing.root, which does not exist"),
        "{err}"
    );
}
