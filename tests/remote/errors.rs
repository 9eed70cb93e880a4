//! Remote failures: each one an error (exit 1) that names the URL and says what happened,
//! within a bounded time.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::servers::{fake_server, free_port, xrootd};
use super::*;

/// Stderr of a failed run of the dimuon script on `url`, with miette's wrapping undone.
fn failure(url: &str, env: &[(&str, &str)]) -> String {
    let tmp = tempfile::tempdir().expect("tmp");
    let out_dir = tmp.path().join("out");
    let out = ana_env(
        &[
            "run",
            "examples/dimuon.ana",
            url,
            "-q",
            "-o",
            out_dir.to_str().expect("utf-8"),
        ],
        env,
    );
    let err = String::from_utf8_lossy(&out.stderr)
        .split_whitespace()
        .filter(|w| *w != "|")
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(out.status.code(), Some(1), "{url}: {err}");
    assert!(!out_dir.exists(), "a failed run writes no output");
    err
}

fn assert_says(err: &str, url: &str, what: &str) {
    assert!(err.contains(url), "the error names {url}: {err}");
    assert!(err.contains(what), "the error says {what:?}: {err}");
}

#[test]
fn missing_and_unreadable_files_are_named() {
    let Some(server) = xrootd() else { return };
    server.serve(&root().join(INPUT), "locked.root");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            server.path("locked.root"),
            std::fs::Permissions::from_mode(0o000),
        )
        .expect("chmod");
    }
    for url in [
        server.root_url("missing.root"),
        server.http_url("missing.root"),
    ] {
        assert_says(&failure(&url, &[]), &url, "no such file");
    }
    for url in [
        server.root_url("locked.root"),
        server.http_url("locked.root"),
    ] {
        assert_says(&failure(&url, &[]), &url, "permission denied");
    }
}

#[test]
fn refused_connections_and_unknown_hosts_are_named() {
    let port = free_port();
    for url in [
        format!("root://localhost:{port}//x.root"),
        format!("http://localhost:{port}/x.root"),
    ] {
        assert_says(&failure(&url, &[]), &url, "connection refused");
    }
    for url in [
        "root://no-such-host.invalid//x.root",
        "https://no-such-host.invalid/x.root",
    ] {
        assert_says(&failure(url, &[]), url, "unknown host");
    }
}

/// A fake XRootD server that asks for GSI at login.
fn gsi_server(c: &mut TcpStream) {
    let mut first = [0u8; 44];
    if c.read_exact(&mut first).is_err() {
        return;
    }
    let mut answer = vec![0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 5, 0, 0, 0, 0, 1];
    answer.extend([0, 1, 0, 0, 0, 0, 0, 8, 0, 0, 5, 0, 0, 0, 0, 1]);
    let _ = c.write_all(&answer);
    let mut login = [0u8; 24];
    if c.read_exact(&mut login).is_err() {
        return;
    }
    let sec = b"&P=gsi,v:10000,c:ssl,ca:abcd";
    let mut answer = vec![0, 1, 0, 0];
    answer.extend(((16 + sec.len()) as u32).to_be_bytes());
    answer.extend([0u8; 16]);
    answer.extend(sec);
    let _ = c.write_all(&answer);
    let _ = c.read(&mut [0u8; 64]);
}

#[test]
fn unsupported_authentication_is_named() {
    let port = fake_server(gsi_server);
    let url = format!("root://localhost:{port}//x.root");
    assert_says(&failure(&url, &[]), &url, "authentication by gsi");
}

/// A fake HTTP server that tells the file's length, then sends a part of what it announces.
fn truncating_http(c: &mut TcpStream) {
    let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
    loop {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match c.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => return,
            }
        }
        let head = String::from_utf8_lossy(&head).to_string();
        if head.contains("bytes=0-0") {
            let _ = c.write_all(
                b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-0/100000\r\n\
                  Content-Length: 1\r\n\r\nr",
            );
            continue;
        }
        let _ = c.write_all(
            b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-99999/100000\r\n\
              Content-Length: 100000\r\n\r\nroot\0\0\0\0",
        );
        return;
    }
}

#[test]
fn a_truncated_answer_is_named() {
    let port = fake_server(truncating_http);
    let url = format!("http://localhost:{port}/x.root");
    assert_says(&failure(&url, &[]), &url, "truncated response");
}

/// Accepts and never answers.
fn silent(c: &mut TcpStream) {
    let _ = c.read(&mut [0u8; 1 << 16]);
    std::thread::sleep(Duration::from_secs(30));
}

#[test]
fn a_server_that_never_answers_times_out() {
    let port = fake_server(silent);
    for url in [
        format!("root://localhost:{port}//x.root"),
        format!("http://localhost:{port}/x.root"),
    ] {
        let start = Instant::now();
        let err = failure(&url, &[("ANA_NET_TIMEOUT", "0.5")]);
        assert_says(&err, &url, "no answer within");
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "{:?}",
            start.elapsed()
        );
    }
}

#[test]
fn a_server_killed_mid_read_is_named() {
    let Some(mut server) = xrootd() else { return };
    // Bigger than what the open reads of a file's ends: chunks need the server.
    let Some(data) = super::synthetic() else {
        return;
    };
    server.serve(&data, NAME);
    let url = server.root_url(NAME);
    let tmp = tempfile::tempdir().expect("tmp");
    let out_dir = tmp.path().join("out");
    // Several copies of the file in small chunks, one thread: a run of seconds.
    let mut args: Vec<String> = ["run", "examples/dimuon.ana", "-q", "--threads", "1"]
        .map(String::from)
        .to_vec();
    args.extend(["--chunk-entries", "10000", "--engine", "interp", "-o"].map(String::from));
    args.push(out_dir.display().to_string());
    args.extend(std::iter::repeat_n(url.clone(), 20));
    let child = Command::new(env!("CARGO_BIN_EXE_ana"))
        .args(&args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn ana");
    std::thread::sleep(Duration::from_millis(1500));
    server.kill();
    let start = Instant::now();
    let out = child.wait_with_output().expect("ana ends");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&url), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}
