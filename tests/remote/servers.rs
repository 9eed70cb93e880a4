//! The servers the remote tests read from: Debian's `xrootd` (root:// and, with XrdHttp,
//! http://) serving a temporary folder on loopback; a proxy that delays every byte by a fixed
//! latency; and small fake servers that misbehave on purpose.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running `xrootd`, killed when dropped.
pub struct Xrootd {
    child: Child,
    pub dir: tempfile::TempDir,
    pub root_port: u16,
    pub http_port: u16,
}

impl Xrootd {
    /// `root://localhost:PORT//name` of a file in the served folder.
    pub fn root_url(&self, name: &str) -> String {
        format!("root://localhost:{}//{name}", self.root_port)
    }

    pub fn http_url(&self, name: &str) -> String {
        format!("http://localhost:{}/{name}", self.http_port)
    }

    /// The served folder's file `name`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join("data").join(name)
    }

    /// Copies `from` into the served folder as `name`, readable by the server's user.
    pub fn serve(&self, from: &Path, name: &str) {
        std::fs::copy(from, self.path(name)).expect("copy into the served folder");
        chmod(&self.path(name), 0o644);
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Xrootd {
    fn drop(&mut self) {
        self.kill();
    }
}

fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A port nobody listens on (just freed by the system).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind")
        .port()
}

fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200)).is_ok()
}

/// Starts `xrootd` serving a fresh folder, or says why the test is skipped (`None`).
pub fn xrootd() -> Option<Xrootd> {
    if Command::new("xrootd").arg("-v").output().is_err() {
        eprintln!("skipped: xrootd is not installed (apt-get install xrootd-server)");
        return None;
    }
    for _attempt in 0..3 {
        let dir = tempfile::tempdir().expect("tmp");
        // Debian's xrootd refuses to run as root: it runs as nobody, who must reach the files.
        for sub in ["data", "admin"] {
            std::fs::create_dir(dir.path().join(sub)).expect("mkdir");
            chmod(&dir.path().join(sub), 0o777);
        }
        chmod(dir.path(), 0o755);
        let (root_port, http_port) = (free_port(), free_port());
        let cfg = dir.path().join("xrootd.cfg");
        let d = dir.path().display();
        std::fs::write(
            &cfg,
            format!(
                "all.export /\noss.localroot {d}/data\nxrd.port {root_port}\n\
                 all.adminpath {d}/admin\nall.pidpath {d}/admin\n\
                 xrd.protocol XrdHttp:{http_port} libXrdHttp.so\n"
            ),
        )
        .expect("config");
        chmod(&cfg, 0o644);
        let mut cmd = Command::new("xrootd");
        cmd.arg("-c")
            .arg(&cfg)
            .arg("-l")
            .arg(dir.path().join("admin/log"));
        // Only root may (and, for Debian's xrootd, must) name the user to run as.
        if nix_is_root() {
            cmd.args(["-R", "nobody"]);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn xrootd");
        let mut server = Xrootd {
            child,
            dir,
            root_port,
            http_port,
        };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if listening(root_port) && listening(http_port) {
                return Some(server);
            }
            if let Ok(Some(_)) = server.child.try_wait() {
                break; // a port was taken meanwhile: try others
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        server.kill();
    }
    panic!("xrootd did not start");
}

fn nix_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A TCP proxy to `target` that delays every byte by `delay` each way (a round trip costs
/// twice that), without limiting throughput. Runs until the test process ends.
pub fn delaying_proxy(target: u16, delay: Duration) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                continue;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (c2, s2) = (
                client.try_clone().expect("clone"),
                server.try_clone().expect("clone"),
            );
            pipe(client, server, delay);
            pipe(s2, c2, delay);
        }
    });
    port
}

/// Copies `from` to `to`, each piece sent `delay` after it arrived.
fn pipe(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx
                        .send((Instant::now() + delay, buf[..n].to_vec()))
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
    });
    std::thread::spawn(move || {
        for (at, bytes) in rx {
            std::thread::sleep(at.saturating_duration_since(Instant::now()));
            if to.write_all(&bytes).is_err() {
                break;
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
}

/// A server that runs `script` on every connection it accepts (each on a thread).
pub fn fake_server(script: fn(&mut TcpStream)) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for mut c in listener.incoming().flatten() {
            std::thread::spawn(move || script(&mut c));
        }
    });
    port
}
