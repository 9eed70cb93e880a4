//! XRootD redirects and waits: a fake redirector that asks the client to wait once, then
//! sends it to the real server (as EOS's manager sends readers to a storage node).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU16, Ordering};

use super::servers::{fake_server, xrootd};
use super::*;

/// Where the fake redirector sends clients.
static TARGET: AtomicU16 = AtomicU16::new(0);

fn answer(c: &mut TcpStream, status: u16, body: &[u8]) -> bool {
    let mut m = vec![0, 1];
    m.extend(status.to_be_bytes());
    m.extend((body.len() as u32).to_be_bytes());
    m.extend(body);
    c.write_all(&m).is_ok()
}

/// A request: its id and data.
fn request(c: &mut TcpStream) -> Option<(u16, Vec<u8>)> {
    let mut h = [0u8; 24];
    c.read_exact(&mut h).ok()?;
    let len = u32::from_be_bytes([h[20], h[21], h[22], h[23]]) as usize;
    let mut body = vec![0u8; len];
    c.read_exact(&mut body).ok()?;
    Some((u16::from_be_bytes([h[2], h[3]]), body))
}

fn redirector(c: &mut TcpStream) {
    let mut handshake = [0u8; 20];
    if c.read_exact(&mut handshake).is_err() {
        return;
    }
    let _ = c.write_all(&[0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 5, 0, 0, 0, 0, 0]);
    let mut waited = false;
    while let Some((id, _)) = request(c) {
        let ok = match id {
            3006 => answer(c, 0, &[0, 0, 5, 0, 0, 0, 0, 2]),
            3007 => answer(c, 0, &[0; 16]),
            3010 if !waited => {
                waited = true;
                let mut body = 0i32.to_be_bytes().to_vec();
                body.extend(b"busy");
                answer(c, 4005, &body)
            }
            3010 => {
                let mut body = i32::from(TARGET.load(Ordering::SeqCst))
                    .to_be_bytes()
                    .to_vec();
                body.extend(b"localhost?tried=fake");
                answer(c, 4004, &body)
            }
            _ => answer(c, 4003, &[0, 0, 11, 166, b'n', b'o', 0]),
        };
        if !ok {
            return;
        }
    }
}

#[test]
fn redirects_and_waits_are_followed() {
    let Some(server) = xrootd() else { return };
    server.serve(&root().join(INPUT), NAME);
    TARGET.store(server.root_port, Ordering::SeqCst);
    let port = fake_server(redirector);
    let url = format!("root://localhost:{port}//{NAME}");
    let tmp = tempfile::tempdir().expect("tmp");
    let (local, remote) = (tmp.path().join("local"), tmp.path().join("remote"));
    run_into(&local, &[INPUT]);
    run_into(&remote, &[&url]);
    assert!(
        outputs(&remote) == outputs(&local),
        "outputs differ from the local run"
    );
}
