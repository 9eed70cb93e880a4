//! HTTP specifics: servers without multipart ranges (parallel single ranges instead),
//! redirects, bearer tokens; and a script whose own `input` is a URL.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::OnceLock;

use super::servers::{fake_server, xrootd};
use super::*;

fn file_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| std::fs::read(root().join(INPUT)).expect("input"))
}

/// The request head (up to the blank line), or `None` when the client is gone.
fn read_head(c: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match c.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&head).to_string())
}

/// A file server that answers only the first range of a request (as servers without
/// multipart support do), on a kept-alive connection.
fn first_range_only(c: &mut TcpStream) {
    let bytes = file_bytes();
    while let Some(head) = read_head(c) {
        let range = head
            .lines()
            // Header names are case-insensitive (ureq sends them in lower case).
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("range: bytes=")
                    .map(str::to_string)
            })
            .and_then(|r| r.split(',').next().map(str::to_string))
            .and_then(|r| {
                let (a, b) = r.split_once('-')?;
                Some((
                    a.trim().parse::<usize>().ok()?,
                    b.trim().parse::<usize>().ok()?,
                ))
            });
        let Some((a, b)) = range else { return };
        let b = b.min(bytes.len() - 1);
        let body = &bytes[a..=b];
        let head = format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {a}-{b}/{}\r\nContent-Length: {}\r\n\r\n",
            bytes.len(),
            body.len()
        );
        if c.write_all(head.as_bytes())
            .and_then(|_| c.write_all(body))
            .is_err()
        {
            return;
        }
    }
}

#[test]
fn servers_without_multipart_ranges_get_single_ranges() {
    let port = fake_server(first_range_only);
    let url = format!("http://localhost:{port}/x.root");
    let tmp = tempfile::tempdir().expect("tmp");
    let (local, remote) = (tmp.path().join("local"), tmp.path().join("remote"));
    run_into(&local, &[INPUT, "--chunk-entries", "100"]);
    run_into(&remote, &[&url, "--chunk-entries", "100"]);
    assert!(
        outputs(&remote) == outputs(&local),
        "outputs differ from the local run"
    );
}

/// Redirects `/PORT/name` to `http://127.0.0.1:PORT/name` when the
/// request carries the bearer token `sesame`; 401 otherwise.
fn token_redirector(c: &mut TcpStream) {
    while let Some(head) = read_head(c) {
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        let (port, name) = path
            .trim_start_matches('/')
            .split_once('/')
            .unwrap_or(("0", ""));
        let answer = if head
            .to_ascii_lowercase()
            .contains("authorization: bearer sesame")
        {
            format!(
                "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{port}/{name}\r\nContent-Length: 0\r\n\r\n"
            )
        } else {
            "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n".to_string()
        };
        if c.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

#[test]
fn redirects_are_followed_and_bearer_tokens_sent() {
    let Some(server) = xrootd() else { return };
    server.serve(&root().join(INPUT), NAME);
    let port = fake_server(token_redirector);
    let url = format!("http://localhost:{port}/{}/{NAME}", server.http_port);
    let tmp = tempfile::tempdir().expect("tmp");
    let local = tmp.path().join("local");
    run_into(&local, &[INPUT]);
    // From the environment, then from a file (WLCG token discovery).
    let token_file = tmp.path().join("token");
    std::fs::write(&token_file, "sesame\n").expect("token");
    let token_file = token_file.to_str().expect("utf-8");
    for (i, env) in [
        ("BEARER_TOKEN", "sesame"),
        ("BEARER_TOKEN_FILE", token_file),
    ]
    .into_iter()
    .enumerate()
    {
        let out = tmp.path().join(format!("remote{i}"));
        ok(ana_env(
            &[
                "run",
                "examples/dimuon.ana",
                &url,
                "-q",
                "-o",
                out.to_str().expect("utf-8"),
            ],
            &[env],
        ));
        assert!(outputs(&out) == outputs(&local), "{env:?}: outputs differ");
    }
    let out = ana(&[
        "run",
        "examples/dimuon.ana",
        &url,
        "-q",
        "-o",
        tmp.path().join("x").to_str().expect("utf-8"),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("permission denied") && err.contains("BEARER_TOKEN"),
        "{err}"
    );
}

#[test]
fn a_script_input_may_be_a_url() {
    let Some(server) = xrootd() else { return };
    server.serve(&root().join(INPUT), NAME);
    let tmp = tempfile::tempdir().expect("tmp");
    let source = std::fs::read_to_string(root().join("examples/dimuon.ana")).expect("script");
    let line = source
        .lines()
        .find(|l| l.trim_start().starts_with("input "))
        .expect("the example declares its input");
    let script = tmp.path().join("remote.ana");
    let remote_source = source.replace(line, &format!("input \"{}\"", server.root_url(NAME)));
    std::fs::write(&script, remote_source).expect("script");
    let (local, remote) = (tmp.path().join("local"), tmp.path().join("remote"));
    run_into(&local, &[INPUT]);
    ok(ana(&[
        "run",
        script.to_str().expect("utf-8"),
        "-q",
        "-o",
        remote.to_str().expect("utf-8"),
    ]));
    assert!(
        outputs(&remote) == outputs(&local),
        "outputs differ from the local run"
    );
}
