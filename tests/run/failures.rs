//! Runs that cannot start or do not finish: usage errors exit 2 with a hint, failures exit 1
//! naming the file, an interrupted run exits 130; none of them touches an earlier output.

use std::process::Command;
use std::time::Duration;

use super::*;

const INPUT: &str = "examples/data/Run2012BC_DoubleMuParked_Muons_1000evts.root";

/// Stderr with miette's line wrapping undone: words separated by single spaces.
fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr)
        .split_whitespace()
        .filter(|w| *w != "|")
        .collect::<Vec<_>>()
        .join(" ")
}

/// A finished earlier run in `dir/out`, whose files the failing runs must leave alone.
fn earlier_run(dir: &Path) -> (PathBuf, Vec<u8>) {
    let out = dir.join("out");
    ana_ok(&[
        "run",
        "examples/dimuon.ana",
        "-q",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    let hists = std::fs::read(out.join("histograms.json")).expect("histograms");
    (out, hists)
}

fn assert_intact(out: &Path, hists: &[u8]) {
    assert_eq!(
        std::fs::read(out.join("histograms.json")).expect("still there"),
        hists
    );
    assert!(out.join("zmmtable/part-00000.parquet").is_file());
    let leftovers: Vec<_> = std::fs::read_dir(out.parent().expect("parent"))
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .filter(|n| n != "out" && n != "bad.root")
        .collect();
    assert!(
        leftovers.is_empty(),
        "staging folders left behind: {leftovers:?}"
    );
}

#[test]
fn usage_errors_exit_2_with_a_hint() {
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").expect("write");
    let dangling = tmp.path().join("dangling.root");
    std::os::unix::fs::symlink("no-such.root", &dangling).expect("symlink");
    let dangling = dangling.display().to_string();
    let looping = tmp.path().join("loop.root");
    std::os::unix::fs::symlink("loop2.root", &looping).expect("symlink");
    std::os::unix::fs::symlink("loop.root", tmp.path().join("loop2.root")).expect("symlink");
    let looping = looping.display().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["run", "examples/dimuon.ana", "nope.root"],
            "does not exist",
        ),
        (
            vec!["run", "examples/dimuon.ana", "nowhere/*.root"],
            "no files match",
        ),
        (
            vec![
                "run",
                "examples/dimuon.ana",
                "-o",
                file.to_str().expect("utf-8"),
            ],
            "not a directory",
        ),
        (vec!["run", "missing.ana"], "cannot read script"),
        (
            vec!["run", "examples/dimuon.ana", "--threads", "0"],
            "threads",
        ),
        (
            vec!["run", "examples/dimuon.ana", "--engine", "fast"],
            "engine",
        ),
        (
            vec!["run", "examples/dimuon.ana", "--set", "novalue"],
            "NAME=VALUE",
        ),
        (
            vec!["run", "examples/dimuon.ana", "--set", "nope=3"],
            "declares no parameter `nope`",
        ),
        (
            vec![
                "run",
                "examples/adl/q6.ana",
                "--set",
                "btag=a",
                "--set",
                "btag=b",
            ],
            "--set btag is given twice: btag=a and btag=b",
        ),
        (
            vec!["run", "examples/dimuon.ana", &dangling],
            "is a symbolic link to no-such.root, which does not exist",
        ),
        (
            vec!["run", "examples/dimuon.ana", &looping],
            "is a symbolic link loop",
        ),
    ];
    for (args, says) in cases {
        let out = ana(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?} should say {says:?}: {err}");
    }
}

#[test]
fn a_bad_file_in_the_list_fails_the_run_and_keeps_the_earlier_outputs() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (out, hists) = earlier_run(tmp.path());
    let bad = tmp.path().join("bad.root");
    let mut bytes = std::fs::read(root().join(INPUT)).expect("read");
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&bad, bytes).expect("write");
    let o = out.to_str().expect("utf-8");
    let result = ana(&[
        "run",
        "examples/dimuon.ana",
        INPUT,
        bad.to_str().expect("utf-8"),
        INPUT,
        "-o",
        o,
    ]);
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(1), "{err}");
    assert!(err.contains("bad.root"), "the error names the file: {err}");
    assert_intact(&out, &hists);
}

#[test]
fn a_script_error_exits_1_with_the_diagnostic() {
    let tmp = tempfile::tempdir().expect("tmp");
    let script = tmp.path().join("wrong.ana");
    std::fs::write(
        &script,
        "let m = Muon{pt}\nhist h: count(m) ~ Reg(6, 0, 6)\nhist g: m.ptt ~ Reg(1, 0, 1)\n",
    )
    .expect("write");
    let out = ana(&[
        "run",
        script.to_str().expect("utf-8"),
        INPUT,
        "-o",
        tmp.path().join("o").to_str().expect("utf-8"),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("ptt"), "{err}");
    assert!(!tmp.path().join("o").exists());
}

/// SIGINT in the middle of a long run: exit 130, the earlier outputs untouched, no staging
/// folder left.
#[test]
fn an_interrupted_run_keeps_the_earlier_outputs() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (out, hists) = earlier_run(tmp.path());
    let child = spawn_ana(&long_run(&out));
    std::thread::sleep(Duration::from_millis(700));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let result = child.wait_with_output().expect("wait");
    assert_eq!(result.status.code(), Some(130), "{}", stderr(&result));
    assert!(stderr(&result).contains("interrupted"));
    assert_intact(&out, &hists);
}

/// `--keep-going` leaves out what cannot be read, says so, and counts it in `run.json`.
#[test]
fn keep_going_skips_unreadable_files_and_reports_them() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bad = tmp.path().join("bad.root");
    std::fs::write(&bad, b"this is not a ROOT file at all").expect("write");
    let out = tmp.path().join("out");
    let (b, o) = (bad.to_str().expect("utf-8"), out.to_str().expect("utf-8"));
    let result = ana(&[
        "run",
        "examples/dimuon.ana",
        INPUT,
        b,
        INPUT,
        "-o",
        o,
        "--keep-going",
    ]);
    let text = String::from_utf8_lossy(&result.stdout);
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(
        text.contains("skipped") && text.contains("bad.root"),
        "{text}"
    );
    let run = read_json(&out.join("run.json"));
    assert_eq!(run["entries_read"], 2000);
    assert_eq!(run["skipped"][0]["path"], b);
    assert!(
        run["skipped"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("bad.root"))
    );
    let hists = read_json(&out.join("histograms.json"));
    assert_eq!(hist_values(&hists, "nMuons").iter().sum::<f64>(), 2000.0);
    // Without the flag the same run fails.
    let result = ana(&["run", "examples/dimuon.ana", INPUT, b, "-o", o]);
    assert_eq!(result.status.code(), Some(1));
}

/// A copy of INPUT in `dir` with the middle of the file, where the baskets are, scrambled
/// (same length, intact header and keys).
fn corrupt_baskets_copy(dir: &Path) -> PathBuf {
    let mut bytes = std::fs::read(root().join(INPUT)).expect("read");
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 2000] {
        *b ^= 0x5a;
    }
    let bad = dir.join("bad.root");
    std::fs::write(&bad, bytes).expect("write");
    bad
}

/// A corrupt basket in the middle of a file: with `--keep-going` only that chunk is left
/// out, and the events it held are counted as skipped.
#[test]
fn keep_going_skips_a_corrupt_chunk() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bad = corrupt_baskets_copy(tmp.path());
    let out = tmp.path().join("out");
    let (b, o) = (bad.to_str().expect("utf-8"), out.to_str().expect("utf-8"));
    let result = ana(&[
        "run",
        "examples/dimuon.ana",
        b,
        INPUT,
        "-o",
        o,
        "--keep-going",
        "-q",
    ]);
    assert!(result.status.success(), "{}", stderr(&result));
    let run = read_json(&out.join("run.json"));
    let skipped = run["entries_skipped"].as_u64().expect("count");
    assert!(skipped > 0, "{run}");
    assert_eq!(run["entries_read"].as_u64(), Some(2000 - skipped));
    assert!(stderr(&result).contains("warning: skipped"));
}

#[test]
fn an_unwritable_output_directory_fails_with_a_message() {
    let out = ana(&[
        "run",
        "examples/dimuon.ana",
        "-q",
        "-o",
        "/proc/ana-cannot-write/out",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot write the output directory"), "{err}");
}

/// The same corrupt file listed twice: each listing's skipped events are counted on its own.
#[test]
fn keep_going_counts_a_file_listed_twice_per_listing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bad = corrupt_baskets_copy(tmp.path());
    let out = tmp.path().join("out");
    let (b, o) = (bad.to_str().expect("utf-8"), out.to_str().expect("utf-8"));
    let result = ana(&[
        "run",
        "examples/dimuon.ana",
        b,
        INPUT,
        b,
        "-o",
        o,
        "--keep-going",
        "-q",
    ]);
    assert!(result.status.success(), "{}", stderr(&result));
    let run = read_json(&out.join("run.json"));
    let skipped = run["entries_skipped"].as_u64().expect("count");
    assert_eq!(
        run["inputs"][0]["entries_skipped"],
        run["inputs"][2]["entries_skipped"]
    );
    assert_eq!(run["entries_read"].as_u64(), Some(3000 - skipped));
    for i in 0..3 {
        let input = &run["inputs"][i];
        assert_eq!(
            input["entries_read"]
                .as_u64()
                .zip(input["entries_skipped"].as_u64())
                .map(|(a, b)| a + b),
            Some(1000),
            "{input}"
        );
    }
}

/// Output files that cannot grow (`ulimit -f`, so every write past a few KB fails with
/// EFBIG, as on a full disk): exit 1 with the cause, the earlier outputs untouched, no
/// staging folder left.
#[test]
fn an_output_that_cannot_be_written_in_full_keeps_the_earlier_outputs() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (out, hists) = earlier_run(tmp.path());
    // SIGXFSZ would kill the process; ignored (inherited through exec), the write fails.
    let result = Command::new("sh")
        .args([
            "-c",
            "trap '' XFSZ; ulimit -f 8 && exec \"$@\"",
            "sh",
            env!("CARGO_BIN_EXE_ana"),
            "run",
            "examples/dimuon.ana",
            "-q",
            "-o",
            out.to_str().expect("utf-8"),
        ])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run sh");
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(1), "{err}");
    assert!(
        err.contains("too large"),
        "the error gives the cause: {err}"
    );
    assert_intact(&out, &hists);
}

/// A really full disk (a 2 MB tmpfs filled up, mounted in a private user and mount
/// namespace): the run fails with "No space left on device" and the earlier outputs on the
/// same disk survive. Skipped where unprivileged namespaces are not allowed.
#[test]
fn a_full_disk_fails_the_run_and_keeps_the_earlier_outputs() {
    let tmp = tempfile::tempdir().expect("tmp");
    let disk = tmp.path().join("disk");
    std::fs::create_dir(&disk).expect("mkdir");
    let err_file = tmp.path().join("stderr.txt");
    let script = r#"
        set -u
        disk=$1 ana=$2 err=$3
        mount -t tmpfs -o size=2m ana-full "$disk" || exit 97
        "$ana" run examples/dimuon.ana -q -o "$disk/out" || exit 98
        before=$(sha256sum < "$disk/out/histograms.json")
        dd if=/dev/zero of="$disk/fill" bs=4k 2>/dev/null
        "$ana" run examples/dimuon.ana -q -o "$disk/out" 2>"$err"
        echo "status=$?"
        after=$(sha256sum < "$disk/out/histograms.json")
        [ "$before" = "$after" ] && echo "histograms intact"
        [ -f "$disk/out/zmmtable/part-00000.parquet" ] && echo "table intact"
        ls -A "$disk" | tr '\n' ' '
    "#;
    let result = Command::new("unshare")
        .args([
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            script,
            "sh",
        ])
        .arg(&disk)
        .arg(env!("CARGO_BIN_EXE_ana"))
        .arg(&err_file)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output();
    let result = match result {
        Ok(r) if r.status.code() != Some(97) && r.status.code() != Some(1) => r,
        _ => {
            eprintln!("skipped: cannot mount a tmpfs in a user namespace here");
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&result.stdout);
    let err = std::fs::read_to_string(&err_file).unwrap_or_default();
    assert!(
        stdout.contains("status=1"),
        "{stdout}\n{}\n{err}",
        stderr(&result)
    );
    assert!(err.contains("No space left on device"), "{err}");
    assert!(stdout.contains("histograms intact"), "{stdout}");
    assert!(stdout.contains("table intact"), "{stdout}");
    // Only the earlier output and the filler: no staging folder left behind.
    assert!(stdout.trim_end().ends_with("fill out"), "{stdout}");
}

/// A tree header claiming 2^50 entries, read by a script that reads no branch (so no basket
/// vouches for the count): a clear error, not 2^30 planned chunks or a count without end.
#[test]
fn a_lying_entry_count_without_branches_is_an_error() {
    let Some(src) = shared("uproot-Zmumu-uncompressed.root") else {
        eprintln!("skipped: ../shared/data is not there");
        return;
    };
    let mut bytes = std::fs::read(src).expect("read");
    // The TTree (uncompressed, after its name) holds fEntries = 2304 as a big-endian i64.
    let at = bytes
        .windows(5)
        .position(|w| w == b"TTree")
        .expect("a TTree");
    let entries = 2304i64.to_be_bytes();
    let k = at
        + bytes[at..]
            .windows(8)
            .position(|w| w == entries)
            .expect("fEntries");
    bytes[k..k + 8].copy_from_slice(&(1i64 << 50).to_be_bytes());
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("lying.root");
    std::fs::write(&file, bytes).expect("write");
    let script = tmp.path().join("count.ana");
    std::fs::write(&script, "hist events: 1 ~ Reg(2, 0, 2)\n").expect("write");
    let out = ana(&[
        "run",
        script.to_str().expect("utf-8"),
        file.to_str().expect("utf-8"),
        "--tree",
        "events",
        "-q",
        "-o",
        tmp.path().join("out").to_str().expect("utf-8"),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("lying.root") && err.contains("claims"),
        "{err}"
    );
}

/// A script's own `input` that is a dangling symbolic link is named as one.
#[test]
fn a_dangling_default_input_is_named_as_a_link() {
    let tmp = tempfile::tempdir().expect("tmp");
    std::os::unix::fs::symlink("gone.root", tmp.path().join("in.root")).expect("symlink");
    let script = tmp.path().join("s.ana");
    std::fs::write(&script, "input \"in.root\"\nhist n: nMuon ~ Reg(4, 0, 4)\n").expect("write");
    let o = tmp.path().join("o");
    let out = ana(&[
        "run",
        script.to_str().expect("utf-8"),
        "-o",
        o.to_str().expect("utf-8"),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("in.root is a symbolic link to gone.root, which does not exist"),
        "{err}"
    );
}
