//! `-o OUT` never loses a user's files: only an empty folder or an earlier ana output is
//! replaced, in one atomic step, by one run at a time; a killed run's leftovers go with the
//! next run; a read-only OUT is left alone.

use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use super::*;

const INPUT: &str = "examples/data/Run2012BC_DoubleMuParked_Muons_1000evts.root";

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// stderr's words in one line: messages are wrapped at 100 columns.
fn words(out: &Output) -> String {
    stderr(out)
        .split_whitespace()
        .filter(|w| *w != "|")
        .collect::<Vec<_>>()
        .join(" ")
}

/// `ana` run in `dir` (not the project folder: a regression must not be able to delete it).
fn ana_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ana"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run ana")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

fn names(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

/// A copy of the dimuon script and its input in `dir`: what a user's analysis folder holds.
fn analysis_folder(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    let input = data.join("a.root");
    std::fs::copy(root().join(INPUT), &input).expect("copy");
    std::fs::write(data.join("NOTES.txt"), "my notes").expect("write");
    let script = dir.join("s.ana");
    std::fs::copy(root().join("examples/dimuon.ana"), &script).expect("copy");
    script
}

#[test]
fn folders_that_are_not_ana_outputs_are_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let script = analysis_folder(dir);
    let before = names(&dir.join("data"));
    let other = dir.join("mine");
    std::fs::create_dir(&other).expect("mkdir");
    std::fs::write(other.join("thesis.tex"), "x").expect("write");
    let cases: [(&str, &str); 7] = [
        ("missing/..", "does not name a folder"),
        ("data", "a.root, an input of this run"),
        (s(dir), "the current folder"),
        (".", "the current folder"),
        ("..", "contains the current folder"),
        ("/", "root folder"),
        ("mine", "not written by ana (it holds thesis.tex)"),
    ];
    for (out, says) in cases {
        let result = ana_in(dir, &["run", "s.ana", "data/*.root", "-q", "-o", out]);
        let err = words(&result);
        assert_eq!(result.status.code(), Some(2), "-o {out}: {err}");
        assert!(err.contains(says), "-o {out} should say {says:?}: {err}");
        assert!(err.contains("help:"), "{err}");
    }
    // The script's own folder, named from elsewhere, with an input from elsewhere.
    let elsewhere = tempfile::tempdir().expect("tmp");
    let result = ana_in(
        elsewhere.path(),
        &[
            "run",
            s(&script),
            s(&root().join(INPUT)),
            "-q",
            "-o",
            s(dir),
        ],
    );
    let err = words(&result);
    assert_eq!(result.status.code(), Some(2), "{err}");
    assert!(err.contains("s.ana, an input of this run"), "{err}");
    assert_eq!(names(&dir.join("data")), before);
    assert!(script.is_file() && other.join("thesis.tex").is_file());
    // An empty folder is fine, and the output is marked as ana's.
    std::fs::create_dir(dir.join("empty")).expect("mkdir");
    let result = ana_in(dir, &["run", "s.ana", "data/a.root", "-q", "-o", "empty"]);
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(dir.join("empty/.ana-output").is_file());
}

/// An earlier ana version's output (no marker, a run.json with ana_version) is replaced.
#[test]
fn an_output_of_an_earlier_version_is_replaced() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    std::fs::write(
        out.join("run.json"),
        r#"{"ana_version": "0.0.9", "inputs": []}"#,
    )
    .expect("write");
    std::fs::write(out.join("histograms.json"), "{}").expect("write");
    ana_ok(&["run", "examples/dimuon.ana", "-q", "-o", s(&out)]);
    assert_eq!(read_json(&out.join("run.json"))["entries_read"], 1000);
}

/// The files of a complete output, consistent with each other: one run's result.
fn assert_complete(out: &Path) -> u64 {
    assert!(out.join(".ana-output").is_file(), "{}", out.display());
    assert!(out.join("zmmtable/part-00000.parquet").is_file());
    let run = read_json(&out.join("run.json"));
    let entries = run["entries_read"].as_u64().expect("entries");
    assert_eq!(read_json(&out.join("cutflow.json"))["total"], entries);
    let hists = read_json(&out.join("histograms.json"));
    assert_eq!(
        hist_values(&hists, "nMuons").iter().sum::<f64>(),
        entries as f64
    );
    entries
}

/// SIGKILL at random moments of runs that replace an earlier output: OUT is always a
/// complete result (the earlier or the new one), and the next run removes what the killed
/// ones left.
#[test]
fn a_killed_run_leaves_a_complete_output_and_the_next_run_cleans_up() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    let run = |entries: u64| -> Vec<String> {
        let mut args = vec!["run", "examples/dimuon.ana", "-q", "--max-entries"]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        args.push(entries.to_string());
        args.extend(["-o".into(), s(&out).into()]);
        args
    };
    let started = Instant::now();
    let mut first = spawn_ana(&run(1000));
    assert!(first.wait().expect("wait").success());
    let duration = started.elapsed();
    assert_eq!(assert_complete(&out), 1000);
    // Deterministic pseudo-random kill times over the whole run, up to 1.5x its duration.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let (mut new, mut old) = (0, 0);
    for i in 0..40u64 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let delay = duration.mul_f64((state % 1000) as f64 / 666.0);
        let entries = 100 + 100 * (i % 9);
        let mut child = spawn_ana(&run(entries));
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        let now = assert_complete(&out);
        if now == entries {
            new += 1;
        } else {
            old += 1;
        }
    }
    eprintln!("after SIGKILL: {new} new outputs, {old} earlier ones (run {duration:?})");
    let result = ana(&run(1000).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(result.status.success(), "{}", stderr(&result));
    assert_complete(&out);
    assert_eq!(names(tmp.path()), ["out"], "leftovers not removed");
}

/// kill -9 leaves a staging folder (nothing can be done in the process); the next run
/// into the same OUT removes it.
#[test]
fn a_sigkilled_run_leaves_staging_that_the_next_run_removes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    ana_ok(&["run", "examples/dimuon.ana", "-q", "-o", s(&out)]);
    let mut child = spawn_ana(&long_run(&out));
    // Killed once it writes its staging folder (after opening its 2000 inputs).
    let waiting = Instant::now();
    while !names(tmp.path())
        .iter()
        .any(|n| n.starts_with(".ana-staging-"))
    {
        assert!(
            waiting.elapsed() < Duration::from_secs(60),
            "no staging folder"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill");
    let _ = child.wait();
    let left = names(tmp.path());
    assert!(
        left.iter().any(|n| n.starts_with(".ana-staging-")),
        "the killed run left its staging folder: {left:?}"
    );
    assert_complete(&out);
    ana_ok(&["run", "examples/dimuon.ana", "-q", "-o", s(&out)]);
    assert_eq!(names(tmp.path()), ["out"]);
}

/// SIGHUP (a closed terminal) stops a run as SIGTERM does: exit 130, nothing left behind.
#[test]
fn sighup_stops_a_run_cleanly() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    ana_ok(&["run", "examples/dimuon.ana", "-q", "-o", s(&out)]);
    let before = std::fs::read(out.join("histograms.json")).expect("read");
    let child = spawn_ana(&long_run(&out));
    std::thread::sleep(Duration::from_millis(700));
    let hup = Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(hup.success());
    let result = child.wait_with_output().expect("wait");
    assert_eq!(result.status.code(), Some(130), "{}", stderr(&result));
    assert_eq!(
        std::fs::read(out.join("histograms.json")).expect("read"),
        before
    );
    assert_eq!(names(tmp.path()), ["out"]);
}

/// Runs started together into one OUT: all succeed, one after the other, and OUT is one
/// run's complete result.
#[test]
fn concurrent_runs_into_one_output_take_turns() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    for round in 0..3 {
        let children: Vec<Child> = (1..=4u64)
            .map(|k| {
                let mut args = ["run", "examples/dimuon.ana", "-q", "-o", s(&out)]
                    .map(String::from)
                    .to_vec();
                args.extend(["--max-entries".into(), (100 * k + round).to_string()]);
                spawn_ana(&args)
            })
            .collect();
        for child in children {
            let result = child.wait_with_output().expect("wait");
            assert!(result.status.success(), "{}", stderr(&result));
        }
        let entries = assert_complete(&out);
        assert!((1..=4).any(|k| entries == 100 * k + round), "{entries}");
        assert_eq!(names(tmp.path()), ["out"]);
    }
}

/// An OUT the user made read-only is not replaced: exit 1, "permission denied". (Checked on
/// the mode bits, so this holds for root too.)
#[test]
fn a_read_only_output_is_not_replaced() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    ana_ok(&["run", "examples/dimuon.ana", "-q", "-o", s(&out)]);
    let before = std::fs::read(out.join("histograms.json")).expect("read");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let result = ana(&[
        "run",
        "examples/dimuon.ana",
        "-q",
        "--max-entries",
        "10",
        "-o",
        s(&out),
    ]);
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(1), "{err}");
    assert!(err.contains("permission denied"), "{err}");
    assert_eq!(
        std::fs::read(out.join("histograms.json")).expect("read"),
        before
    );
    assert_eq!(names(tmp.path()), ["out"]);
}

/// A symbolic link OUT stays a link; the folder it points to gets the new outputs.
#[test]
fn a_symlinked_output_is_replaced_through_the_link() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = tmp.path().join("store");
    let links = tmp.path().join("links");
    std::fs::create_dir_all(&links).expect("mkdir");
    std::fs::create_dir_all(store.join("v1")).expect("mkdir");
    let link = links.join("out");
    std::os::unix::fs::symlink(store.join("v1"), &link).expect("symlink");
    for entries in ["100", "200"] {
        ana_ok(&[
            "run",
            "examples/dimuon.ana",
            "-q",
            "--max-entries",
            entries,
            "-o",
            s(&link),
        ]);
        assert!(std::fs::symlink_metadata(&link).expect("link").is_symlink());
        assert_eq!(assert_complete(&store.join("v1")).to_string(), entries);
        assert_eq!(names(&links), ["out"]);
        assert_eq!(names(&store), ["v1"]);
    }
}

/// NaN and infinite weights: the bins are null in histograms.json; run.json and the summary
/// count them, identically on both engines.
#[test]
fn non_finite_bin_contents_are_counted_and_reported() {
    let tmp = tempfile::tempdir().expect("tmp");
    let script = tmp.path().join("nan.ana");
    std::fs::write(
        &script,
        "let muons = Muon{pt, charge}\n\
         hist fine: count(muons) ~ Reg(6, 0, 6)\n\
         hist bad: count(muons) ~ Reg(6, 0, 6) weight log(count(muons) - 1.0)\n",
    )
    .expect("write");
    let mut counts = vec![];
    for engine in ["jit", "interp"] {
        let out = tmp.path().join(engine);
        let result = ana_ok(&["run", s(&script), INPUT, "--engine", engine, "-o", s(&out)]);
        let text = String::from_utf8_lossy(&result.stdout);
        assert!(
            text.contains("NaN or infinite bin contents") && text.contains("bad ("),
            "{text}"
        );
        let run = read_json(&out.join("run.json"));
        let n = run["non_finite"]["bad"].as_u64().expect("counted");
        assert!(run["non_finite"].get("fine").is_none(), "{run}");
        // The nulls in the file are exactly the counted bins.
        let hists = read_json(&out.join("histograms.json"));
        let values = hists["bad"]["storage"]["values"]
            .as_array()
            .expect("values");
        assert_eq!(values.iter().filter(|v| v.is_null()).count() as u64, n);
        counts.push(n);
        let quiet = ana_ok(&[
            "run",
            s(&script),
            INPUT,
            "-q",
            "--engine",
            engine,
            "-o",
            s(&out),
        ]);
        assert!(
            stderr(&quiet).contains("warning: NaN or infinite"),
            "{}",
            stderr(&quiet)
        );
    }
    assert!(counts[0] > 0);
    assert_eq!(counts[0], counts[1]);
}
