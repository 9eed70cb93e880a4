//! Which folders OUT may be, the atomic switch, the lock and the cleanup of leftovers.

#![allow(
    clippy::indexing_slicing,
    reason = "tests index freely: a panic is a test failure"
)]

use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use super::*;

fn staged(target: &Path) -> Result<StagedDir, OutputError> {
    StagedDir::new(target, &[], None, &mut |_| {})
}

/// A finished output in `dir` holding `tag`.
fn output(dir: &Path, tag: &str) {
    std::fs::create_dir_all(dir.join("table")).expect("mkdir");
    std::fs::write(dir.join(MARKER), "").expect("write");
    std::fs::write(dir.join("tag"), tag).expect("write");
    std::fs::write(dir.join("table/part"), tag).expect("write");
}

fn tag(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("tag")).expect("tag")
}

fn names(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

#[test]
fn exchange_swaps_two_folders_in_one_step() {
    let root = tempfile::tempdir().expect("tmp");
    let (a, b) = (root.path().join("a"), root.path().join("b"));
    output(&a, "new");
    output(&b, "old");
    if !exchange(&a, &b).expect("exchange") {
        eprintln!("skipped: this filesystem cannot exchange (the two-rename fallback is used)");
        return;
    }
    assert_eq!((tag(&a), tag(&b)), ("old".to_string(), "new".to_string()));
    assert_eq!(
        std::fs::read_to_string(b.join("table/part")).expect("part"),
        "new"
    );
    // A missing side is an error, not half an exchange.
    let e = exchange(&a, &root.path().join("missing")).expect_err("missing");
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    assert_eq!(tag(&a), "old");
}

#[test]
fn commit_replaces_an_earlier_output_and_leaves_nothing_beside() {
    let root = tempfile::tempdir().expect("tmp");
    let out = root.path().join("out");
    output(&out, "old");
    let s = staged(&out).expect("staged");
    assert!(s.path().join(MARKER).is_file(), "every output is marked");
    output(s.path(), "new");
    s.commit().expect("commit");
    assert_eq!(tag(&out), "new");
    assert!(out.join(MARKER).is_file());
    assert_eq!(names(root.path()), ["out"]);
}

#[test]
fn the_two_rename_fallback_replaces_too() {
    let root = tempfile::tempdir().expect("tmp");
    let out = root.path().join("out");
    output(&out, "old");
    let staging = root.path().join("staging");
    output(&staging, "new");
    let target = resolve(&out, &[]).expect("resolve");
    two_renames(&staging, &target).expect("replace");
    assert_eq!(tag(&out), "new");
    assert_eq!(names(root.path()), ["out"]);
    // Without an earlier output: a plain rename.
    std::fs::remove_dir_all(&out).expect("rm");
    output(&staging, "newer");
    two_renames(&staging, &target).expect("replace");
    assert_eq!(tag(&out), "newer");
    assert_eq!(names(root.path()), ["out"]);
}

fn refusal(target: &Path, inputs: &[PathBuf]) -> String {
    match check_output_path(target, inputs) {
        Err(e @ OutputError::Refused { .. }) => e.to_string(),
        other => panic!("{} should be refused: {other:?}", target.display()),
    }
}

#[test]
fn only_empty_or_ana_folders_are_replaced() {
    let root = tempfile::tempdir().expect("tmp");
    let out = root.path().join("out");
    check_output_path(&out, &[]).expect("a new folder");
    std::fs::create_dir(&out).expect("mkdir");
    check_output_path(&out, &[]).expect("an empty folder");
    std::fs::write(out.join("NOTES.txt"), "mine").expect("write");
    let why = refusal(&out, &[]);
    assert!(
        why.contains("not written by ana") && why.contains("NOTES.txt"),
        "{why}"
    );
    assert!(matches!(staged(&out), Err(OutputError::Refused { .. })));
    assert!(out.join("NOTES.txt").is_file());
    // An output of a version before the marker: run.json with ana_version.
    std::fs::write(out.join("run.json"), r#"{"ana_version": "0.1.0"}"#).expect("write");
    check_output_path(&out, &[]).expect("an earlier ana output");
    std::fs::write(out.join("run.json"), r#"{"version": "0.1.0"}"#).expect("write");
    refusal(&out, &[]);
    std::fs::write(out.join(MARKER), "").expect("write");
    check_output_path(&out, &[]).expect("marked");
}

#[test]
fn never_a_folder_with_inputs_the_current_folder_home_or_root() {
    let root = tempfile::tempdir().expect("tmp");
    let out = root.path().join("out");
    output(&out, "old");
    let input = out.join("sub/data.root");
    std::fs::create_dir_all(input.parent().expect("parent")).expect("mkdir");
    std::fs::write(&input, "x").expect("write");
    let why = refusal(&out, std::slice::from_ref(&input));
    assert!(why.contains("data.root"), "{why}");
    // Named through `..`: the same folder.
    refusal(&out.join("sub/.."), &[input]);
    let cwd = std::env::current_dir().expect("cwd");
    assert!(refusal(&cwd, &[]).contains("the current folder"));
    assert!(refusal(cwd.parent().expect("parent"), &[]).contains("contains the current folder"));
    assert!(refusal(Path::new("/"), &[]).contains("root folder"));
    if let Some(home) = std::env::var_os("HOME").filter(|h| Path::new(h).is_dir()) {
        let why = refusal(Path::new(&home), &[]);
        assert!(
            why.contains("home folder") || why.contains("current folder"),
            "{why}"
        );
    }
}

#[test]
fn a_read_only_output_is_left_as_it_was() {
    let root = tempfile::tempdir().expect("tmp");
    let out = root.path().join("out");
    for read_only in [out.clone(), out.join("table")] {
        output(&out, "old");
        std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o555))
            .expect("chmod");
        let e = staged(&out).expect_err("read-only");
        assert!(
            matches!(&e, OutputError::PermissionDenied { path, .. } if *path == read_only),
            "{e:?}"
        );
        assert!(e.to_string().contains("permission denied"), "{e}");
        assert_eq!(tag(&out), "old");
        assert_eq!(names(root.path()), ["out"]);
        std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
    }
}

#[test]
fn a_symlinked_output_replaces_the_folder_it_points_to() {
    let root = tempfile::tempdir().expect("tmp");
    let (links, store) = (root.path().join("links"), root.path().join("store"));
    std::fs::create_dir(&links).expect("mkdir");
    let real = store.join("results");
    output(&real, "old");
    let link = links.join("out");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let s = staged(&link).expect("staged");
    output(s.path(), "new");
    s.commit().expect("commit");
    assert!(std::fs::symlink_metadata(&link).expect("link").is_symlink());
    assert_eq!(tag(&link), "new");
    assert_eq!(names(&links), ["out"]);
    assert_eq!(names(&store), ["results"]);
    let dangling = links.join("dangling");
    std::os::unix::fs::symlink(root.path().join("nowhere"), &dangling).expect("symlink");
    assert!(refusal(&dangling, &[]).contains("does not exist"));
}

#[test]
fn a_second_run_into_the_same_output_waits_for_the_first() {
    let root = tempfile::tempdir().expect("tmp");
    let out = root.path().join("out");
    let first = staged(&out).expect("staged");
    output(first.path(), "first");
    let (tx, rx) = mpsc::channel();
    let second = std::thread::spawn({
        let out = out.clone();
        move || {
            let waited = std::cell::Cell::new(None);
            let s =
                StagedDir::new(&out, &[], None, &mut |pid| waited.set(Some(pid))).expect("staged");
            let _ = tx.send(());
            output(s.path(), "second");
            s.commit().expect("commit");
            waited.get()
        }
    });
    assert!(
        rx.recv_timeout(Duration::from_millis(300)).is_err(),
        "the second run went ahead"
    );
    first.commit().expect("commit");
    let waited = second.join().expect("second run");
    assert_eq!(
        waited,
        Some(Some(std::process::id())),
        "told whom it waits for"
    );
    assert_eq!(tag(&out), "second");
    assert_eq!(names(root.path()), ["out"], "no lock file or staging left");
    // A signal ends the wait.
    let _held = staged(&out).expect("staged");
    let cancel = AtomicBool::new(false);
    let mut calls = 0;
    let e = StagedDir::new(&out, &[], Some(&cancel), &mut |_| {
        calls += 1;
        cancel.store(true, Ordering::Relaxed);
    })
    .expect_err("cancelled");
    assert!(matches!(e, OutputError::Cancelled), "{e:?}");
    assert_eq!(calls, 1);
}

#[test]
fn leftovers_of_dead_runs_are_removed() {
    let root = tempfile::tempdir().expect("tmp");
    let out = root.path().join("out");
    output(&out, "old");
    let mut child = std::process::Command::new("true").spawn().expect("spawn");
    let dead = child.id();
    child.wait().expect("wait");
    let live = std::process::id();
    let make = |name: String| {
        output(&root.path().join(&name), "left");
        name
    };
    let removed = [
        make(format!(".ana-staging-{live}-AbC123-out")),
        make(format!(".ana-previous-{dead}-xYz789-out")),
        make(format!(".ana-staging-{dead}-xYz789-other")),
    ];
    let kept = [
        make(format!(".ana-staging-{live}-AbC123-other")),
        make(".ana-staging-Q1w2E3".to_string()),
    ];
    let s = staged(&out).expect("staged");
    drop(s);
    let left = names(root.path());
    for name in &removed {
        assert!(!left.contains(name), "{name} should be removed: {left:?}");
    }
    for name in &kept {
        assert!(left.contains(name), "{name} should be kept: {left:?}");
    }
    assert_eq!(tag(&out), "old");
}

#[test]
fn leftover_names_carry_pid_and_output() {
    assert_eq!(
        parse_leftover(".ana-staging-42-AbC123-my-out"),
        Some((42, "my-out"))
    );
    assert_eq!(parse_leftover(".ana-previous-7-x-o"), Some((7, "o")));
    assert_eq!(parse_leftover(".ana-staging-AbC123"), None);
    assert_eq!(parse_leftover("out"), None);
    let long = "x".repeat(300);
    assert!(key_of(OsStr::new(&long)).len() < 20);
    assert_eq!(key_of(OsStr::new("out")), "out");
}

/// A reader looking at OUT while runs replace it again and again always finds an output
/// there (with two renames it finds none between them).
#[test]
fn out_is_never_missing_while_it_is_replaced() {
    let root = tempfile::tempdir().expect("tmp");
    let out = root.path().join("out");
    output(&out, "0");
    let done = AtomicBool::new(false);
    let missing = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let (mut looks, mut missing) = (0u64, 0u64);
            while !done.load(Ordering::Relaxed) {
                looks += 1;
                if std::fs::symlink_metadata(out.join(MARKER)).is_err() {
                    missing += 1;
                }
            }
            (looks, missing)
        });
        for i in 1..=100 {
            let s = staged(&out).expect("staged");
            output(s.path(), &i.to_string());
            s.commit().expect("commit");
        }
        done.store(true, Ordering::Relaxed);
        reader.join().expect("reader")
    });
    assert_eq!(tag(&out), "100");
    assert!(missing.0 > 100, "the reader looked: {missing:?}");
    assert_eq!(
        missing.1, 0,
        "OUT was missing {} of {} times",
        missing.1, missing.0
    );
}

/// A link planted where OUT's lock file goes is not followed: the run fails to lock and the
/// file the link points to keeps its contents.
#[test]
fn a_link_at_the_lock_is_not_followed() {
    let dir = tempfile::tempdir().expect("tmp");
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").expect("write");
    std::os::unix::fs::symlink(&victim, dir.path().join(".out.ana-lock")).expect("symlink");
    let e = staged(&dir.path().join("out")).expect_err("refused");
    assert!(
        matches!(e, OutputError::Create { .. } | OutputError::Io { .. }),
        "{e}"
    );
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "precious");
}
