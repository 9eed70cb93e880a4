//! Remote inputs end to end: `ana run` and `ana inspect` on `root://` and `http://` URLs
//! served by a real `xrootd` on loopback give byte-identical results to the local file,
//! also through a proxy that adds latency; `@list` files; and every failure (no such file,
//! permission denied, refused, unknown host, unsupported authentication, a server killed
//! mid-read, a truncated answer, a server that never answers) is an error naming the URL.
//! Tests skip with a message when `xrootd` is not installed (`.ci/run` installs it).

#![allow(
    clippy::indexing_slicing,
    reason = "tests index freely: a panic is a test failure"
)]

mod errors;
mod http;
mod redirect;
mod servers;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use servers::xrootd;

const INPUT: &str = "examples/data/Run2012BC_DoubleMuParked_Muons_1000evts.root";
const NAME: &str = "dimuon.root";

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `ana` in the project folder, without colour, with `env` set.
pub fn ana_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ana"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .expect("run ana")
}

pub fn ana(args: &[&str]) -> Output {
    ana_env(args, &[])
}

pub fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "ana failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Every file of an output folder but `run.json` (which names the inputs), by path.
fn outputs(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.file_name().is_some_and(|n| n != "run.json") {
                let bytes = std::fs::read(&p).expect("read output");
                files.push((p.strip_prefix(dir).expect("inside").to_path_buf(), bytes));
            }
        }
    }
    files.sort();
    files
}

fn run_into(out: &Path, inputs: &[&str]) {
    let mut args = vec![
        "run",
        "examples/dimuon.ana",
        "-q",
        "-o",
        out.to_str().expect("utf-8"),
    ];
    args.extend(inputs);
    ok(ana(&args));
}

#[test]
fn dimuon_over_root_and_http_matches_the_local_run_byte_for_byte() {
    let Some(server) = xrootd() else { return };
    server.serve(&root().join(INPUT), NAME);
    let tmp = tempfile::tempdir().expect("tmp");
    let local = tmp.path().join("local");
    run_into(&local, &[INPUT]);
    let expected = outputs(&local);
    assert!(
        expected
            .iter()
            .any(|(p, _)| p == Path::new("histograms.json"))
    );
    for (what, url) in [
        ("root", server.root_url(NAME)),
        ("http", server.http_url(NAME)),
    ] {
        let out = tmp.path().join(what);
        run_into(&out, &[&url]);
        assert!(
            outputs(&out) == expected,
            "{what}: outputs differ from the local run"
        );
        let run: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("run.json")).expect("run.json"))
                .expect("json");
        assert!(run.to_string().contains(&url), "run.json names the URL");
    }
}

#[test]
fn several_remote_files_and_list_files_read_like_local_ones() {
    let Some(server) = xrootd() else { return };
    server.serve(&root().join(INPUT), "a.root");
    server.serve(&root().join(INPUT), "b.root");
    let tmp = tempfile::tempdir().expect("tmp");
    let local = tmp.path().join("local");
    run_into(&local, &[INPUT, INPUT, INPUT]);
    // A list: a URL of each kind and a local path relative to the list's folder.
    std::fs::copy(root().join(INPUT), tmp.path().join("c.root")).expect("copy");
    let list = tmp.path().join("files.txt");
    std::fs::write(
        &list,
        format!(
            "# inputs\n{}\n\n{}\nc.root\n",
            server.root_url("a.root"),
            server.http_url("b.root")
        ),
    )
    .expect("list");
    let remote = tmp.path().join("remote");
    run_into(&remote, &[&format!("@{}", list.display())]);
    assert!(
        outputs(&remote) == outputs(&local),
        "outputs differ from the local run"
    );
    // An empty list is a usage error naming it.
    std::fs::write(&list, "# nothing\n").expect("list");
    let out = ana(&[
        "run",
        "examples/dimuon.ana",
        &format!("@{}", list.display()),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("names no inputs"));
}

#[test]
fn inspect_reads_urls() {
    let Some(server) = xrootd() else { return };
    server.serve(&root().join(INPUT), NAME);
    let local = ok(ana(&[
        "inspect",
        INPUT,
        "--branch",
        "Muon_pt",
        "--entries",
        "0:5",
    ]));
    for url in [server.root_url(NAME), server.http_url(NAME)] {
        let remote = ok(ana(&[
            "inspect",
            &url,
            "--branch",
            "Muon_pt",
            "--entries",
            "0:5",
        ]));
        assert_eq!(remote.stdout, local.stdout, "{url}");
        let listing = ok(ana(&["inspect", &url]));
        let text = String::from_utf8_lossy(&listing.stdout);
        assert!(
            text.contains("Muon_pt") && text.contains("Events"),
            "{text}"
        );
    }
}

/// 200k synthetic events in baskets of 10k (`../shared/tools/gen_dimuon.py`), made once per
/// target folder; `None` (the test skips) without the tool or Python's uproot.
pub fn synthetic() -> Option<PathBuf> {
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("remote-200k.root");
    if file.exists() {
        return Some(file);
    }
    let Some(tool) = ["../shared/tools", "../../shared/tools"]
        .iter()
        .map(|d| root().join(d).join("gen_dimuon.py"))
        .find(|p| p.exists())
    else {
        eprintln!("skipped: shared/tools/gen_dimuon.py is not there");
        return None;
    };
    let made = Command::new("python3")
        .arg(&tool)
        .arg(&file)
        .args([
            "--events",
            "200000",
            "--basket-events",
            "10000",
            "--seed",
            "23",
        ])
        .output();
    if !made.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: gen_dimuon.py did not run (python3 with uproot needed)");
        return None;
    }
    Some(file)
}

/// Through a proxy adding 20 ms of round trip, results are the same and each chunk costs
/// one request (one vector read, or one multipart GET), not one per basket; the bytes
/// received are about the file's (no whole-file answers to range requests).
#[test]
fn with_latency_a_chunk_costs_one_request() {
    let Some(server) = xrootd() else { return };
    let Some(data) = synthetic() else { return };
    server.serve(&data, NAME);
    let size = std::fs::metadata(&data).expect("size").len();
    let delay = Duration::from_millis(10);
    let root_proxy = servers::delaying_proxy(server.root_port, delay);
    let http_proxy = servers::delaying_proxy(server.http_port, delay);
    let data = data.to_str().expect("utf-8");
    let tmp = tempfile::tempdir().expect("tmp");
    let local = tmp.path().join("local");
    run_into(&local, &[data, "--chunk-entries", "20000"]);
    for url in [
        format!("root://localhost:{root_proxy}//{NAME}"),
        format!("http://localhost:{http_proxy}/{NAME}"),
    ] {
        let remote = tmp.path().join("remote");
        let _ = std::fs::remove_dir_all(&remote);
        run_into(&remote, &[&url, "--chunk-entries", "20000"]);
        assert!(outputs(&remote) == outputs(&local), "{url}: outputs differ");
        let run: serde_json::Value =
            serde_json::from_slice(&std::fs::read(remote.join("run.json")).expect("run.json"))
                .expect("json");
        let requests = run["remote_requests"]
            .as_u64()
            .expect("run.json counts requests");
        let bytes = run["remote_bytes"].as_u64().expect("run.json counts bytes");
        let chunks = run["chunks"].as_u64().expect("chunks");
        assert_eq!(chunks, 10);
        // The file's ends at open (and HTTP's probe for the length), then one per chunk.
        assert!(
            requests <= chunks + 3,
            "{url}: {requests} requests for {chunks} chunks"
        );
        // At most the file's ends twice (read at open, again in a chunk's vector read).
        assert!(
            bytes <= size + (1 << 20),
            "{url}: {bytes} bytes received for a {size}-byte file"
        );
    }
}
