//! Runs that must stop: an input that is not a file is refused instead of blocking, and the
//! first SIGTERM, SIGINT or SIGHUP ends a run within a second in every phase (exit 130,
//! an earlier OUT intact, nothing left beside it).

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use super::*;

const INPUT: &str = "examples/data/Run2012BC_DoubleMuParked_Muons_1000evts.root";

/// Generous: the CI machine is loaded; a run that ignores the signal takes far longer.
const PROMPTLY: Duration = Duration::from_secs(5);

/// Waits for `child` at most `limit`; kills it and fails the test past that.
fn finish_within(mut child: Child, limit: Duration, what: &str) -> (Output, Duration) {
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("wait");
            panic!(
                "{what}: still running after {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = started.elapsed();
    (child.wait_with_output().expect("output"), elapsed)
}

fn signal(child: &Child, sig: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{sig}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The names in `dir` other than `keep`.
fn others(dir: &Path, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect()
}

/// A FIFO blocked `open` forever (deaf to signals); devices and folders are refused too,
/// by every command that opens inputs.
#[test]
fn inputs_that_are_not_files_are_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let fifo = tmp.path().join("x.root");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let fifo = fifo.to_str().expect("utf-8");
    let out_dir = tmp.path().join("out");
    let out_dir = out_dir.to_str().expect("utf-8");
    let cases: [(Vec<&str>, &str); 6] = [
        (
            vec!["run", "examples/dimuon.ana", fifo, "-o", out_dir],
            "x.root is a FIFO (named pipe), not a ROOT file",
        ),
        (vec!["inspect", fifo], "is a FIFO (named pipe)"),
        (
            vec!["check", "examples/dimuon.ana", "--input", fifo],
            "is a FIFO (named pipe)",
        ),
        (vec!["inspect", "/dev/null"], "is a character device"),
        (vec!["inspect", "examples"], "examples is a directory"),
        (
            vec![
                "run",
                "examples/dimuon.ana",
                INPUT,
                "examples",
                "-o",
                out_dir,
            ],
            "examples is a directory, not a ROOT file",
        ),
    ];
    for (args, says) in cases {
        let (out, _) = finish_within(spawn_ana(&args), Duration::from_secs(60), "a FIFO input");
        let err = stderr(&out);
        assert!(
            matches!(out.status.code(), Some(1 | 2)),
            "{args:?}: {:?} {err}",
            out.status
        );
        assert!(err.contains(says), "{args:?} should say {says:?}: {err}");
    }
    assert!(!tmp.path().join("out").exists());
}

/// A script of `n` histograms of distinct expressions: seconds of compilation.
fn big_script(n: usize) -> String {
    let mut s = String::from("let muons = Muon{pt, eta, phi, mass, charge}\nlet z = sum(muons)\n");
    for i in 0..n {
        s.push_str(&format!(
            "hist h{i}: z.mass * {a} + sum(muons.pt * {b}) - count(muons[pt > {c}]) ~ Reg(10, 0, 100)\n",
            a = i + 1,
            b = i % 13 + 2,
            c = i % 29,
        ));
    }
    s
}

/// Cranelift cannot be interrupted inside a function: a 33 s compile ignored SIGTERM for 32 s.
#[test]
fn sigterm_while_compiling_stops_at_once() {
    let tmp = tempfile::tempdir().expect("tmp");
    let script = tmp.path().join("big.ana");
    std::fs::write(&script, big_script(3000)).expect("write");
    let out = tmp.path().join("out");
    let child = spawn_ana(&[
        "run",
        script.to_str().expect("utf-8"),
        INPUT,
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    std::thread::sleep(Duration::from_millis(1500));
    signal(&child, "TERM");
    let (result, took) = finish_within(child, Duration::from_secs(120), "compiling");
    assert_eq!(result.status.code(), Some(130), "{}", stderr(&result));
    assert!(
        stderr(&result).contains("interrupted"),
        "{}",
        stderr(&result)
    );
    assert!(took < PROMPTLY, "took {took:?} to stop");
    assert_eq!(others(tmp.path(), &["big.ana"]), Vec::<String>::new());
}

/// The signal comes once the run has its staging folder: it stops between chunks, removes
/// the folder and leaves the earlier outputs. SIGHUP (a closed terminal) used to kill the
/// process and leave the staging folder behind.
#[test]
fn a_signal_during_the_run_stops_it_and_keeps_the_earlier_outputs() {
    for sig in ["TERM", "HUP"] {
        let tmp = tempfile::tempdir().expect("tmp");
        let out = tmp.path().join("out");
        let o = out.to_str().expect("utf-8");
        ana_ok(&["run", "examples/dimuon.ana", "-q", "-o", o]);
        let hists = std::fs::read(out.join("histograms.json")).expect("histograms");
        let mut args = vec!["run", "examples/dimuon.ana", "-q", "--chunk-entries", "1"];
        args.extend(std::iter::repeat_n(INPUT, 300));
        args.extend(["-o", o]);
        let child = spawn_ana(&args);
        let started = Instant::now();
        while others(tmp.path(), &["out"]).is_empty() {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "no staging folder"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(200));
        signal(&child, sig);
        let (result, took) = finish_within(child, Duration::from_secs(120), "running");
        assert_eq!(
            result.status.code(),
            Some(130),
            "{sig}: {}",
            stderr(&result)
        );
        assert!(took < PROMPTLY, "{sig}: took {took:?} to stop");
        assert_eq!(
            std::fs::read(out.join("histograms.json")).expect("kept"),
            hists
        );
        assert_eq!(others(tmp.path(), &["out"]), Vec::<String>::new(), "{sig}");
    }
}
