//! The XRootD protocol's read path, written here (no maintained Rust crate speaks it; the
//! protocol specification and go-hep's pure-Go client were the references): handshake,
//! `kXR_protocol`, `kXR_login`, `kXR_auth` (`unix` and `host` only), `kXR_open` with its
//! size, `kXR_read`, `kXR_readv`, `kXR_close`; redirects (`kXR_redirect`, followed at open
//! and remembered), `kXR_wait` and `kXR_waitresp`/`kXR_attn` answers.
//!
//! One request at a time per connection: parallel reads take connections (sessions) from a
//! pool shared by all files of a server, each file opened on a session when first read
//! there (a session costs two round trips once, a file's open one; multiplexing stream ids
//! would save more at the price of a reader thread per connection). Files stay open on
//! their sessions until the process ends or the session fails.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::ops::Range;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{Counters, NetError, Protocol, Traffic, timeout};

const KXR_AUTH: u16 = 3000;
const KXR_CLOSE: u16 = 3003;
const KXR_PROTOCOL: u16 = 3006;
const KXR_LOGIN: u16 = 3007;
const KXR_OPEN: u16 = 3010;
const KXR_READ: u16 = 3013;
const KXR_READV: u16 = 3025;

const KXR_OK: u16 = 0;
const KXR_OKSOFAR: u16 = 4000;
const KXR_ATTN: u16 = 4001;
const KXR_AUTHMORE: u16 = 4002;
const KXR_ERROR: u16 = 4003;
const KXR_REDIRECT: u16 = 4004;
const KXR_WAIT: u16 = 4005;
const KXR_WAITRESP: u16 = 4006;
const KXR_ASYNRESP: i32 = 5008;

const KXR_NOT_AUTHORIZED: i32 = 3010;
const KXR_NOT_FOUND: i32 = 3011;
const KXR_OVERLOADED: i32 = 3024;

const OPEN_READ: u16 = 0x0010;
const OPEN_RETSTAT: u16 = 0x0400;

/// The protocol version this client speaks (5.0.0).
const PROTOCOL_VERSION: i32 = 0x0000_0500;
/// Bytes per `kXR_readv` element and elements per request (the servers' limits).
const READV_ELEMENT: u64 = 2_097_136;
const READV_ELEMENTS: usize = 1024;
/// Bytes per `kXR_read` request.
const READ_MAX: u64 = 64 << 20;
/// A response body larger than this is a broken server, not data to allocate for.
const MAX_FRAME: usize = 256 << 20;
/// Redirects followed at open before giving up (a loop).
const MAX_REDIRECTS: usize = 10;

/// Where requests go: the URL's host, or where a redirect sent us.
#[derive(Clone, Debug)]
struct Endpoint {
    host: String,
    port: u16,
    /// The redirect's opaque data, appended to the path at open.
    opaque: Option<String>,
}

#[derive(Debug)]
pub(crate) struct File {
    url: String,
    path: String,
    endpoint: Mutex<Endpoint>,
    len: u64,
    counters: Counters,
}

/// A logged-in connection (a session) to `key` (host:port) and the files open on it: path
/// (with the redirect's opaque data), handle, size.
#[derive(Debug)]
struct Conn {
    stream: TcpStream,
    key: String,
    files: Vec<(String, [u8; 4], u64)>,
}

/// Idle sessions, for every file of their server.
static SESSIONS: Mutex<Vec<Conn>> = Mutex::new(Vec::new());

impl Endpoint {
    fn key(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// `path` as opened here: with the redirect's opaque data.
    fn target(&self, path: &str) -> String {
        let mut target = path.to_string();
        if let Some(o) = &self.opaque {
            target.push(if target.contains('?') { '&' } else { '?' });
            target.push_str(o);
        }
        target
    }
}

/// How a request ended, short of data.
enum Failure {
    Net(NetError),
    Redirect(Endpoint),
}

impl From<NetError> for Failure {
    fn from(e: NetError) -> Self {
        Failure::Net(e)
    }
}

/// `root://[user@]host[:port]//path[?cgi]` as (host, port, /path[?cgi]).
fn parse_url(url: &str) -> Option<(String, u16, String)> {
    let rest = url.split_once("://")?.1;
    let (authority, path) = rest.split_at(rest.find('/')?);
    let authority = authority.rsplit('@').next()?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
            (h.to_string(), p.parse().ok()?)
        }
        _ => (authority.to_string(), 1094),
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    // `//eos/x` is the absolute path `/eos/x`; a single slash means the same.
    let path = format!("/{}", path.trim_start_matches('/'));
    (!host.is_empty()).then_some((host, port, path))
}

impl File {
    pub(crate) fn open(url: &str) -> Result<File, NetError> {
        let (host, port, path) = parse_url(url)
            .ok_or_else(|| NetError::fatal(format!("{url}: not a root://host//path URL")))?;
        let f = File {
            url: url.to_string(),
            path,
            endpoint: Mutex::new(Endpoint {
                host,
                port,
                opaque: None,
            }),
            len: 0,
            counters: Counters::default(),
        };
        let (conn, _, len) = f.take()?;
        put(conn);
        Ok(File { len, ..f })
    }

    fn endpoint(&self) -> Result<Endpoint, NetError> {
        self.endpoint
            .lock()
            .map(|e| e.clone())
            .map_err(|_| NetError::fatal("poisoned endpoint"))
    }

    /// A session with the file open, following redirects: an idle one of the server's,
    /// else a new one; with the file's handle and size.
    fn take(&self) -> Result<(Conn, [u8; 4], u64), NetError> {
        let mut at = self.endpoint()?;
        for _ in 0..=MAX_REDIRECTS {
            let key = at.key();
            let idle = SESSIONS.lock().ok().and_then(|mut v| {
                let i = v.iter().position(|c| c.key == key)?;
                Some(v.swap_remove(i))
            });
            let mut c = match idle {
                Some(c) => c,
                None => match Conn::connect(&self.url, &at, &self.counters) {
                    Ok(c) => c,
                    Err(Failure::Redirect(to)) => {
                        at = to;
                        continue;
                    }
                    Err(Failure::Net(e)) => return Err(e),
                },
            };
            let target = at.target(&self.path);
            if let Some((_, h, size)) = c.files.iter().find(|(p, _, _)| *p == target) {
                let (h, size) = (*h, *size);
                return Ok((c, h, size));
            }
            match c.open_file(&self.url, &target, &self.counters) {
                Ok((h, size)) => {
                    c.files.push((target, h, size));
                    if let Ok(mut e) = self.endpoint.lock() {
                        *e = at;
                    }
                    return Ok((c, h, size));
                }
                Err(Failure::Redirect(to)) => {
                    put(c);
                    at = to;
                }
                Err(Failure::Net(e)) => {
                    // A definite answer (no such file) leaves the session usable.
                    if !e.retry {
                        put(c);
                    }
                    return Err(e);
                }
            }
        }
        Err(NetError::fatal(format!(
            "{}: more than {MAX_REDIRECTS} redirects (a loop?)",
            self.url
        )))
    }

    /// `f` on a pooled connection, which goes back to the pool only if `f` succeeded (a
    /// failed one may hold half a response).
    fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut Conn, [u8; 4]) -> Result<T, Failure>,
    ) -> Result<T, NetError> {
        let (mut c, handle, _) = self.take()?;
        match f(&mut c, handle) {
            Ok(x) => {
                put(c);
                Ok(x)
            }
            Err(Failure::Net(e)) => Err(e),
            // A redirect mid-read: where to go next time; this read is tried again.
            Err(Failure::Redirect(to)) => {
                if let Ok(mut e) = self.endpoint.lock() {
                    *e = to;
                }
                Err(NetError::transient(format!(
                    "{}: redirected while reading",
                    self.url
                )))
            }
        }
    }

    fn read_one(&self, r: &Range<u64>) -> Result<Vec<u8>, NetError> {
        let mut out = Vec::with_capacity(usize::try_from(r.end - r.start).unwrap_or(0));
        let mut at = r.start;
        while at < r.end {
            let n = (r.end - at).min(READ_MAX);
            let mut p = [0u8; 16];
            let got = self.with_conn(|c, handle| {
                p[..4].copy_from_slice(&handle);
                p[4..12].copy_from_slice(&at.to_be_bytes());
                p[12..16].copy_from_slice(&(n as u32).to_be_bytes());
                c.call(&self.url, KXR_READ, p, &[], &self.counters)
            })?;
            if got.len() as u64 != n {
                return Err(NetError::transient(format!(
                    "{}: the server sent {} of bytes {at}..{} (truncated response; \
                     the file shrank?)",
                    self.url,
                    got.len(),
                    at + n
                )));
            }
            out.extend_from_slice(&got);
            at += n;
        }
        Ok(out)
    }

    /// One `kXR_readv` of `elements` (each at most [`READV_ELEMENT`] bytes).
    fn readv(&self, elements: &[(u64, u32)]) -> Result<Vec<u8>, NetError> {
        let body = self.with_conn(|c, handle| {
            let mut list = Vec::with_capacity(elements.len() * 16);
            for (offset, len) in elements {
                list.extend_from_slice(&handle);
                list.extend_from_slice(&len.to_be_bytes());
                list.extend_from_slice(&offset.to_be_bytes());
            }
            c.call(&self.url, KXR_READV, [0; 16], &list, &self.counters)
        })?;
        // The answer: per element a 16-byte header (handle, length, offset) and the bytes.
        let total: u64 = elements.iter().map(|(_, n)| u64::from(*n)).sum();
        let mut out = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
        let mut at = 0usize;
        for (offset, len) in elements {
            let head = body.get(at..at + 16).ok_or_else(|| self.truncated())?;
            let got_len = u32::from_be_bytes(
                head.get(4..8)
                    .and_then(|b| b.try_into().ok())
                    .unwrap_or_default(),
            );
            let got_off = u64::from_be_bytes(
                head.get(8..16)
                    .and_then(|b| b.try_into().ok())
                    .unwrap_or_default(),
            );
            if got_len != *len || got_off != *offset {
                return Err(NetError::transient(format!(
                    "{}: the server sent {got_len} bytes at {got_off} for {len} at {offset} \
                     (truncated response; the file shrank?)",
                    self.url
                )));
            }
            let bytes = body
                .get(at + 16..at + 16 + *len as usize)
                .ok_or_else(|| self.truncated())?;
            out.extend_from_slice(bytes);
            at += 16 + *len as usize;
        }
        Ok(out)
    }

    fn truncated(&self) -> NetError {
        NetError::transient(format!("{}: a truncated vector-read answer", self.url))
    }
}

impl Protocol for File {
    fn len(&self) -> u64 {
        self.len
    }

    fn traffic(&self) -> Traffic {
        self.counters.get()
    }

    fn read_ranges(&self, ranges: &[Range<u64>]) -> Result<Vec<Vec<u8>>, NetError> {
        if let [r] = ranges {
            return Ok(vec![self.read_one(r)?]);
        }
        // Ranges cut into elements the server accepts; elements grouped into requests.
        let mut elements: Vec<(u64, u32)> = Vec::new();
        for r in ranges {
            let mut at = r.start;
            while at < r.end {
                let n = (r.end - at).min(READV_ELEMENT);
                elements.push((at, n as u32));
                at += n;
            }
        }
        let mut bytes = Vec::new();
        for group in elements.chunks(READV_ELEMENTS) {
            bytes.extend(self.readv(group)?);
        }
        let mut out = Vec::with_capacity(ranges.len());
        let mut at = 0usize;
        for r in ranges {
            let n = usize::try_from(r.end - r.start).unwrap_or(usize::MAX);
            let part = bytes
                .get(at..at.saturating_add(n))
                .ok_or_else(|| self.truncated())?;
            out.push(part.to_vec());
            at += n;
        }
        Ok(out)
    }
}

/// Gives an idle session back to the pool.
fn put(c: Conn) {
    if let Ok(mut v) = SESSIONS.lock() {
        v.push(c);
    }
}

fn io_err(url: &str, at: &Endpoint, e: &std::io::Error) -> Failure {
    Failure::Net(NetError::io(&format!("{url} ({}:{})", at.host, at.port), e))
}

impl Conn {
    /// Connects, logs in and authenticates if asked.
    fn connect(url: &str, at: &Endpoint, requests: &Counters) -> Result<Conn, Failure> {
        let addrs = (at.host.as_str(), at.port).to_socket_addrs().map_err(|e| {
            Failure::Net(NetError::fatal(format!(
                "{url}: unknown host {} ({e})",
                at.host
            )))
        })?;
        let mut last = None;
        let mut stream = None;
        for a in addrs {
            match TcpStream::connect_timeout(&a, timeout()) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let stream = match (stream, last) {
            (Some(s), _) => s,
            (None, Some(e)) => return Err(io_err(url, at, &e)),
            (None, None) => {
                return Err(Failure::Net(NetError::fatal(format!(
                    "{url}: unknown host {}",
                    at.host
                ))));
            }
        };
        let io = |e: std::io::Error| io_err(url, at, &e);
        stream.set_read_timeout(Some(timeout())).map_err(io)?;
        stream.set_write_timeout(Some(timeout())).map_err(io)?;
        stream.set_nodelay(true).map_err(io)?;
        let mut c = Conn {
            stream,
            key: at.key(),
            files: Vec::new(),
        };
        // The handshake, kXR_protocol and kXR_login in one write: one round trip (the
        // server reads them in order).
        let mut first = Vec::with_capacity(92);
        for v in [0i32, 0, 0, 4, 2012] {
            first.extend_from_slice(&v.to_be_bytes());
        }
        let mut p = [0u8; 16];
        p[..4].copy_from_slice(&PROTOCOL_VERSION.to_be_bytes());
        first.extend_from_slice(&request(KXR_PROTOCOL, p, &[]));
        let mut p = [0u8; 16];
        p[..4].copy_from_slice(&(std::process::id() as i32).to_be_bytes());
        let user = std::env::var("USER").unwrap_or_else(|_| "ana".into());
        for (d, s) in p[4..12].iter_mut().zip(user.bytes()) {
            *d = s;
        }
        p[14] = 4; // capver: a protocol 4 client without asynchronous answers
        let login = request(KXR_LOGIN, p, &[]);
        first.extend_from_slice(&login);
        c.stream.write_all(&first).map_err(io)?;
        let (status, body) = c.frame(url)?;
        if status != KXR_OK || body.len() != 8 {
            return Err(Failure::Net(NetError::fatal(format!(
                "{url}: {}:{} does not speak XRootD",
                at.host, at.port
            ))));
        }
        let (status, _) = c.frame(url)?;
        if status != KXR_OK {
            return Err(Failure::Net(NetError::fatal(format!(
                "{url}: the server refused the protocol request"
            ))));
        }
        let login = c.answer(url, KXR_LOGIN, &login, requests)?;
        if let Some(sec) = login.get(16..).filter(|s| !s.is_empty()) {
            c.authenticate(url, &String::from_utf8_lossy(sec), requests)?;
        }
        Ok(c)
    }

    /// Opens `target` for reading: its handle and size.
    fn open_file(
        &mut self,
        url: &str,
        target: &str,
        requests: &Counters,
    ) -> Result<([u8; 4], u64), Failure> {
        let mut p = [0u8; 16];
        p[2..4].copy_from_slice(&(OPEN_READ | OPEN_RETSTAT).to_be_bytes());
        let open = self.call(url, KXR_OPEN, p, target.as_bytes(), requests)?;
        let handle = open
            .get(..4)
            .and_then(|h| h.try_into().ok())
            .ok_or_else(|| {
                Failure::Net(NetError::transient(format!("{url}: a short open answer")))
            })?;
        // After the handle: compression info (8 bytes), then "id size flags mtime".
        let stat = open
            .get(12..)
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        let size = stat
            .trim_end_matches('\0')
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| {
                Failure::Net(NetError::fatal(format!(
                    "{url}: the server did not say the file's size"
                )))
            })?;
        Ok((handle, size))
    }

    /// Answers the login's security requirements (`&P=unix,...&P=gsi,...`) with a protocol
    /// this client has; an error lists what the server wanted.
    fn authenticate(&mut self, url: &str, sec: &str, requests: &Counters) -> Result<(), Failure> {
        let offered: Vec<&str> = sec
            .split("&P=")
            .skip(1)
            .map(|p| {
                p.split([',', '&'])
                    .next()
                    .unwrap_or(p)
                    .trim_end_matches('\0')
            })
            .collect();
        let creds: Vec<u8> = if offered.contains(&"unix") {
            let user = std::env::var("USER").unwrap_or_else(|_| "ana".into());
            format!("unix\0{user} nogroup\0").into_bytes()
        } else if offered.contains(&"host") {
            b"host\0".to_vec()
        } else if offered.is_empty() {
            return Ok(());
        } else {
            return Err(Failure::Net(NetError::fatal(format!(
                "{url}: the server asks for authentication by {}, which ana does not support \
                 (it reads anonymously, or with unix or host security)",
                offered.join(", ")
            ))));
        };
        let kind = if creds.starts_with(b"unix") {
            *b"unix"
        } else {
            *b"host"
        };
        let mut p = [0u8; 16];
        p[12..16].copy_from_slice(&kind);
        self.call(url, KXR_AUTH, p, &creds, requests).map(|_| ())
    }

    /// Sends a request and returns its answer's data, waiting as `kXR_wait` asks and
    /// gathering `kXR_oksofar` parts.
    fn call(
        &mut self,
        url: &str,
        id: u16,
        params: [u8; 16],
        body: &[u8],
        requests: &Counters,
    ) -> Result<Vec<u8>, Failure> {
        let msg = request(id, params, body);
        // Data requests only: the session's setup is paid once per connection.
        if id == KXR_READ || id == KXR_READV {
            requests.request();
        }
        self.stream
            .write_all(&msg)
            .map_err(|e| Failure::Net(NetError::io(url, &e)))?;
        self.answer(url, id, &msg, requests)
    }

    /// The answer to request `msg` (sent already), which is sent again as `kXR_wait` asks.
    fn answer(
        &mut self,
        url: &str,
        id: u16,
        msg: &[u8],
        requests: &Counters,
    ) -> Result<Vec<u8>, Failure> {
        let deadline = Instant::now() + timeout();
        loop {
            let mut data = Vec::new();
            loop {
                let (mut status, mut part) = self.frame(url)?;
                if status == KXR_WAITRESP {
                    // The answer comes later, inside a kXR_attn/kXR_asynresp message.
                    let (s, p) = self.frame(url)?;
                    let action = be_i32(&p, 0);
                    if s != KXR_ATTN || action != Some(KXR_ASYNRESP) || p.len() < 16 {
                        return Err(Failure::Net(NetError::transient(format!(
                            "{url}: an unexpected answer after kXR_waitresp"
                        ))));
                    }
                    status = p
                        .get(10..12)
                        .and_then(|s| s.try_into().ok())
                        .map_or(KXR_ERROR, u16::from_be_bytes);
                    part = p.get(16..).unwrap_or_default().to_vec();
                }
                match status {
                    KXR_OK => {
                        data.extend_from_slice(&part);
                        requests.received(data.len());
                        return Ok(data);
                    }
                    KXR_OKSOFAR => data.extend_from_slice(&part),
                    KXR_ATTN => {}
                    KXR_WAIT => {
                        let secs = be_i32(&part, 0).unwrap_or(1).clamp(0, 60) as u64;
                        let wait = Duration::from_secs(secs.max(1));
                        if Instant::now() + wait > deadline {
                            return Err(Failure::Net(NetError::transient(format!(
                                "{url}: the server kept asking to wait (kXR_wait) for more than {} s",
                                timeout().as_secs()
                            ))));
                        }
                        std::thread::sleep(wait);
                        if id == KXR_READ || id == KXR_READV {
                            requests.request();
                        }
                        self.stream
                            .write_all(msg)
                            .map_err(|e| Failure::Net(NetError::io(url, &e)))?;
                        break;
                    }
                    KXR_REDIRECT => {
                        let port = be_i32(&part, 0).unwrap_or(0);
                        let target = String::from_utf8_lossy(part.get(4..).unwrap_or_default())
                            .trim_end_matches('\0')
                            .to_string();
                        let mut pieces = target.splitn(3, '?');
                        let host = pieces.next().unwrap_or_default().to_string();
                        let opaque = pieces.next().filter(|o| !o.is_empty()).map(str::to_string);
                        let port = u16::try_from(port).ok().filter(|p| *p > 0);
                        return match port {
                            Some(port) if !host.is_empty() && !host.contains("://") => {
                                Err(Failure::Redirect(Endpoint { host, port, opaque }))
                            }
                            _ => Err(Failure::Net(NetError::fatal(format!(
                                "{url}: an unsupported redirect to {target:?}"
                            )))),
                        };
                    }
                    KXR_ERROR => {
                        let code = be_i32(&part, 0).unwrap_or(0);
                        let text = String::from_utf8_lossy(part.get(4..).unwrap_or_default())
                            .trim_end_matches('\0')
                            .trim()
                            .to_string();
                        let what = match code {
                            KXR_NOT_FOUND => "no such file".to_string(),
                            KXR_NOT_AUTHORIZED => "permission denied".to_string(),
                            _ => format!("server error {code}"),
                        };
                        let e = format!("{url}: {what} ({text})");
                        return Err(Failure::Net(if code == KXR_OVERLOADED {
                            NetError::transient(e)
                        } else {
                            NetError::fatal(e)
                        }));
                    }
                    KXR_AUTHMORE => {
                        return Err(Failure::Net(NetError::fatal(format!(
                            "{url}: the server wants a multi-step authentication, which ana \
                             does not support"
                        ))));
                    }
                    s => {
                        return Err(Failure::Net(NetError::transient(format!(
                            "{url}: an unknown answer status {s}"
                        ))));
                    }
                }
            }
        }
    }

    /// One answer: status and data.
    fn frame(&mut self, url: &str) -> Result<(u16, Vec<u8>), Failure> {
        let mut h = [0u8; 8];
        self.stream
            .read_exact(&mut h)
            .map_err(|e| Failure::Net(NetError::io(url, &e)))?;
        let status = u16::from_be_bytes([h[2], h[3]]);
        let len = u32::from_be_bytes([h[4], h[5], h[6], h[7]]) as usize;
        if len > MAX_FRAME {
            return Err(Failure::Net(NetError::fatal(format!(
                "{url}: the server announced a {len}-byte answer"
            ))));
        }
        let mut body = vec![0u8; len];
        self.stream
            .read_exact(&mut body)
            .map_err(|e| Failure::Net(NetError::io(url, &e)))?;
        Ok((status, body))
    }
}

impl Drop for Conn {
    /// Closes the files; the server closes them anyway when the connection goes, so no more
    /// than a short wait for the answers.
    fn drop(&mut self) {
        let _ = self
            .stream
            .set_read_timeout(Some(Duration::from_millis(100)));
        for (_, handle, _) in &self.files {
            let mut p = [0u8; 16];
            p[..4].copy_from_slice(handle);
            if self.stream.write_all(&request(KXR_CLOSE, p, &[])).is_err() {
                return;
            }
            let mut h = [0u8; 8];
            let _ = self.stream.read_exact(&mut h);
        }
    }
}

/// A request: stream id, request id, 16 bytes of parameters, the data's length, the data.
fn request(id: u16, params: [u8; 16], body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(24 + body.len());
    m.extend_from_slice(&[0, 1]);
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&params);
    m.extend_from_slice(&(body.len() as u32).to_be_bytes());
    m.extend_from_slice(body);
    m
}

fn be_i32(b: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("root://eospublic.cern.ch//eos/a.root"),
            Some(("eospublic.cern.ch".into(), 1094, "/eos/a.root".into()))
        );
        assert_eq!(
            parse_url("root://u@localhost:1234//tmp/a.root?x=1"),
            Some(("localhost".into(), 1234, "/tmp/a.root?x=1".into()))
        );
        assert_eq!(
            parse_url("root://[::1]:99/a.root"),
            Some(("::1".into(), 99, "/a.root".into()))
        );
        assert_eq!(parse_url("root://host"), None);
    }
}
