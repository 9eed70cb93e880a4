//! What a run may take of the machine: a thread count past any use is cut (with a warning),
//! and histograms that would not fit in memory are refused before anything is allocated.

use std::time::{Duration, Instant};

use super::*;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `--threads 65535` started 16,000 threads, panicked and held the machine for minutes.
#[test]
fn a_huge_thread_count_is_cut_with_a_warning() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    let started = Instant::now();
    let result = ana_ok(&[
        "run",
        "examples/dimuon.ana",
        "--threads",
        "65535",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    let took = started.elapsed();
    let err = stderr(&result);
    assert!(
        err.contains("warning: --threads 65535 is more than this run can use"),
        "{err}"
    );
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    // The example is one chunk: no more threads than cores.
    assert_eq!(read_json(&out.join("run.json"))["threads"], cores);
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

/// A script of `n` histograms of `bins` bins each (over x and y when `two_d`).
fn hists_script(n: usize, bins: u64, two_d: bool) -> String {
    let mut s = String::from("let muons = Muon{pt, eta}\n");
    for i in 0..n {
        let y = if two_d {
            format!(", count(muons) ~ Reg({bins}, 0, 6)")
        } else {
            String::new()
        };
        s.push_str(&format!(
            "hist h{i}: sum(muons.pt) ~ Reg({bins}, 0, 100){y}\n"
        ));
    }
    s
}

fn run_script(dir: &Path, script: &str, extra: &[&str]) -> Output {
    let path = dir.join("s.ana");
    std::fs::write(&path, script).expect("write");
    let out = dir.join("out");
    let mut args = vec![
        "run",
        path.to_str().expect("utf-8"),
        "examples/data/Run2012BC_DoubleMuParked_Muons_1000evts.root",
        "-o",
        out.to_str().expect("utf-8"),
    ];
    args.extend(extra);
    ana(&args)
}

/// Each histogram is within the per-histogram limit, together they are not: refused with
/// the figure and a hint, before any allocation (the run would need 80 GB per copy).
#[test]
fn histograms_past_the_memory_limit_are_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    // 100 histograms of 9,998 x 9,998 bins: 10^8 slots, 800 MB each.
    let result = run_script(tmp.path(), &hists_script(100, 9998, true), &[]);
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(1), "{err}");
    assert!(err.contains("the histograms need"), "{err}");
    assert!(
        err.contains("80.0 GB for one copy of the 100 histogram(s)"),
        "{err}"
    );
    assert!(err.contains("half the physical memory"), "{err}");
    assert!(err.contains("fewer --threads"), "{err}");
    assert!(!tmp.path().join("out").exists());
}

/// `--memory-limit` moves the line: one histogram of 10^6 bins on one thread is 3 copies
/// (one chunk's partial, one waiting to merge, the merged totals) of 8 MB.
#[test]
fn the_memory_limit_is_configurable() {
    let tmp = tempfile::tempdir().expect("tmp");
    let script = hists_script(1, 1_000_000, false);
    let refused = run_script(
        tmp.path(),
        &script,
        &["--threads", "1", "--memory-limit", "20M"],
    );
    let err = stderr(&refused);
    assert_eq!(refused.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the histograms need 24.0 MB") && err.contains("the limit is 20.0 MB"),
        "{err}"
    );
    let ran = run_script(
        tmp.path(),
        &script,
        &["--threads", "1", "--memory-limit", "30M"],
    );
    assert!(ran.status.success(), "{}", stderr(&ran));
    let bad = run_script(tmp.path(), &script, &["--memory-limit", "lots"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("not a size"), "{}", stderr(&bad));
}
