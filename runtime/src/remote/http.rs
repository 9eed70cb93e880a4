//! Files over HTTP(S): range requests with ureq (blocking, rustls; no async runtime to start
//! for what is one request per chunk). Several ranges go in one request where the server
//! answers `multipart/byteranges` (XrdHttp, Apache, nginx do), else as parallel single-range
//! requests. Redirects are followed (EOS sends readers to a storage node) and the final URL
//! kept for later requests. CA certificates come from the system store unless
//! `X509_CERT_DIR` or `SSL_CERT_FILE` names others (as grid tools do); a WLCG bearer token
//! (`BEARER_TOKEN`, else the file `BEARER_TOKEN_FILE`) is sent when present.

use std::io::Read as _;
use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use ureq::Agent;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

use super::{Counters, NetError, Protocol, Traffic, timeout};

/// Ranges per multipart request: request headers stay short (servers cap them at 8 KiB).
const RANGES_PER_REQUEST: usize = 200;
/// Single-range requests in flight at once when the server does not do multipart.
const PARALLEL: usize = 8;
/// A server that ignores `Range` sends the whole file: accepted only up to this size.
const MAX_WHOLE: u64 = 64 << 20;

#[derive(Debug)]
pub(crate) struct File {
    /// The URL given (for messages) and the one requests go to (after redirects).
    url: String,
    target: Mutex<String>,
    /// The process's agent: its connections serve every file of a server.
    agent: Agent,
    token: Option<String>,
    len: u64,
    multipart: AtomicBool,
    counters: Counters,
}

impl File {
    pub(crate) fn open(url: &str) -> Result<File, NetError> {
        let agent = agent()?;
        let mut f = File {
            url: url.to_string(),
            target: Mutex::new(url.to_string()),
            agent,
            token: bearer_token()?,
            len: 0,
            multipart: AtomicBool::new(true),
            counters: Counters::default(),
        };
        // One byte tells the length (Content-Range), and follows the redirects once.
        let (_, total) = f.get(std::slice::from_ref(&(0..1)))?;
        f.len = total.ok_or_else(|| {
            NetError::fatal(format!(
                "{url}: the server does not answer range requests (no Content-Range)"
            ))
        })?;
        Ok(f)
    }

    fn target(&self) -> String {
        self.target
            .lock()
            .map(|t| t.clone())
            .unwrap_or_else(|_| self.url.clone())
    }

    /// One GET of `ranges`: the response's parts, and the file length if it says.
    fn get(&self, ranges: &[Range<u64>]) -> Result<(Vec<Vec<u8>>, Option<u64>), NetError> {
        let spec: Vec<String> = ranges
            .iter()
            .map(|r| format!("{}-{}", r.start, r.end.saturating_sub(1)))
            .collect();
        let target = self.target();
        // Names as RFC 9110 spells them: XrdHttp before 5.7 ignores `range` in lower case
        // (xrootd/xrootd#2259) and sends the whole file.
        let range = format!("bytes={}", spec.join(","));
        let mut req = self
            .agent
            .get(&target)
            .header_raw("Range", range.as_bytes());
        if let Some(t) = &self.token {
            req = req.header_raw("Authorization", format!("Bearer {t}").as_bytes());
        }
        self.counters.request();
        let url = &self.url;
        let resp = req.call().map_err(|e| request_error(url, &e))?;
        let final_uri = ureq::ResponseExt::get_uri(&resp).to_string();
        if final_uri != target
            && let Ok(mut t) = self.target.lock()
        {
            *t = final_uri;
        }
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header("content-type").unwrap_or_default();
        let content_range = header("content-range");
        let mut body = Vec::new();
        resp.into_body()
            .into_reader()
            .take(MAX_WHOLE.saturating_add(1 << 20))
            .read_to_end(&mut body)
            .map_err(|e| NetError::io(&format!("{url}: reading the response"), &e))?;
        self.counters.received(body.len());
        match status {
            206 => {}
            200 => return whole(url, body, ranges),
            404 | 410 => {
                return Err(NetError::fatal(format!(
                    "{url}: no such file (HTTP {status})"
                )));
            }
            401 | 403 => {
                return Err(NetError::fatal(format!(
                    "{url}: permission denied (HTTP {status}){}",
                    if self.token.is_none() {
                        "; set BEARER_TOKEN or BEARER_TOKEN_FILE if the server takes a token"
                    } else {
                        ""
                    }
                )));
            }
            416 => {
                return Err(NetError::fatal(format!(
                    "{url}: range not satisfiable (HTTP 416)"
                )));
            }
            s if s >= 500 => {
                return Err(NetError::transient(format!(
                    "{url}: server error (HTTP {s})"
                )));
            }
            s => {
                return Err(NetError::fatal(format!(
                    "{url}: unexpected answer HTTP {s}"
                )));
            }
        }
        if let Some(boundary) = content_type
            .to_ascii_lowercase()
            .starts_with("multipart/byteranges")
            .then(|| boundary_of(&content_type))
            .flatten()
        {
            let (parts, total) = multipart(url, &body, &boundary)?;
            return Ok((pick(url, &parts, ranges)?, total));
        }
        let (first, total) = content_range
            .as_deref()
            .and_then(parse_content_range)
            .ok_or_else(|| NetError::fatal(format!("{url}: a 206 answer without Content-Range")))?;
        let parts = vec![(first, body)];
        Ok((pick(url, &parts, ranges)?, total))
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
        if ranges.len() > 1 && self.multipart.load(Ordering::Relaxed) {
            let mut out = Vec::with_capacity(ranges.len());
            for group in ranges.chunks(RANGES_PER_REQUEST) {
                match self.get(group) {
                    Ok((parts, _)) => out.extend(parts),
                    // The server answered with fewer ranges than asked: single ranges from now.
                    Err(e) if e.message.contains(NOT_ALL) => {
                        self.multipart.store(false, Ordering::Relaxed);
                        return self.read_ranges(ranges);
                    }
                    Err(e) => return Err(e),
                }
            }
            return Ok(out);
        }
        let mut out: Vec<Option<Result<Vec<u8>, NetError>>> = Vec::new();
        out.resize_with(ranges.len(), || None);
        for (group, slots) in ranges.chunks(PARALLEL).zip(out.chunks_mut(PARALLEL)) {
            std::thread::scope(|s| {
                for (r, slot) in group.iter().zip(slots.iter_mut()) {
                    s.spawn(move || {
                        *slot = Some(self.get(std::slice::from_ref(r)).and_then(|(mut p, _)| {
                            p.pop().ok_or_else(|| NetError::fatal("an empty answer"))
                        }));
                    });
                }
            });
        }
        out.into_iter()
            .map(|r| r.unwrap_or_else(|| Err(NetError::fatal("a range request did not finish"))))
            .collect()
    }
}

/// The parts of an answer: (first byte, bytes).
type Parts = Vec<(u64, Vec<u8>)>;

/// The one agent (connection pool) of the process, made on first use.
fn agent() -> Result<Agent, NetError> {
    static AGENT: std::sync::OnceLock<Result<Agent, NetError>> = std::sync::OnceLock::new();
    AGENT
        .get_or_init(|| {
            let mut tls = TlsConfig::builder();
            if let Some(certs) = ca_certificates()? {
                tls = tls.root_certs(RootCerts::new_with_certs(&certs));
            }
            Ok(Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(10)
                .redirect_auth_headers(ureq::config::RedirectAuthHeaders::SameHost)
                // Prefetch threads and files read at once each hold a connection.
                .max_idle_connections_per_host(32)
                .timeout_connect(Some(timeout()))
                .timeout_recv_response(Some(timeout()))
                .timeout_per_read(Some(timeout()))
                .tls_config(tls.build())
                .build()
                .into())
        })
        .clone()
}

const NOT_ALL: &str = "does not hold the requested bytes";

/// The bytes of each range in `ranges` out of the parts the server sent (each part may hold
/// several ranges: servers merge close ones).
fn pick(
    url: &str,
    parts: &[(u64, Vec<u8>)],
    ranges: &[Range<u64>],
) -> Result<Vec<Vec<u8>>, NetError> {
    ranges
        .iter()
        .map(|r| {
            parts
                .iter()
                .find_map(|(start, bytes)| {
                    let from = usize::try_from(r.start.checked_sub(*start)?).ok()?;
                    let to = usize::try_from(r.end.checked_sub(*start)?).ok()?;
                    bytes.get(from..to).map(<[u8]>::to_vec)
                })
                .ok_or_else(|| {
                    NetError::transient(format!(
                        "{url}: the answer {NOT_ALL} {}..{} (truncated response?)",
                        r.start, r.end
                    ))
                })
        })
        .collect()
}

/// A 200 answer: the whole file, from which the ranges are cut (small files only).
fn whole(
    url: &str,
    body: Vec<u8>,
    ranges: &[Range<u64>],
) -> Result<(Vec<Vec<u8>>, Option<u64>), NetError> {
    if body.len() as u64 > MAX_WHOLE {
        return Err(NetError::fatal(format!(
            "{url}: the server ignores range requests and the file is too big to read whole"
        )));
    }
    let total = body.len() as u64;
    let parts = vec![(0, body)];
    Ok((pick(url, &parts, ranges)?, Some(total)))
}

/// `bytes FIRST-LAST/TOTAL` as (FIRST, TOTAL).
fn parse_content_range(v: &str) -> Option<(u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes")?.trim_start();
    let (span, total) = rest.split_once('/')?;
    let (first, _) = span.split_once('-')?;
    Some((first.trim().parse().ok()?, total.trim().parse().ok()))
}

fn boundary_of(content_type: &str) -> Option<String> {
    content_type.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// The parts of a `multipart/byteranges` body: (first byte, bytes) each, and the file length.
fn multipart(url: &str, body: &[u8], boundary: &str) -> Result<(Parts, Option<u64>), NetError> {
    let bad =
        |what: &str| NetError::transient(format!("{url}: a malformed multipart answer ({what})"));
    let delim = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut total = None;
    let mut at = 0;
    loop {
        let rest = body.get(at..).ok_or_else(|| bad("ends early"))?;
        let found = find(rest, delim.as_bytes()).ok_or_else(|| bad("no closing boundary"))?;
        at += found + delim.len();
        if body.get(at..at + 2) == Some(b"--") {
            break;
        }
        let rest = body.get(at..).ok_or_else(|| bad("ends early"))?;
        let head_end = find(rest, b"\r\n\r\n").ok_or_else(|| bad("part headers do not end"))?;
        let head = String::from_utf8_lossy(rest.get(..head_end).unwrap_or_default());
        at += head_end + 4;
        let range = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim().eq_ignore_ascii_case("content-range").then_some(v)
            })
            .ok_or_else(|| bad("a part without Content-Range"))?;
        let rest = range
            .trim()
            .strip_prefix("bytes")
            .unwrap_or_default()
            .trim_start();
        let (span, t) = rest.split_once('/').ok_or_else(|| bad("Content-Range"))?;
        let (a, b) = span.split_once('-').ok_or_else(|| bad("Content-Range"))?;
        let (a, b): (u64, u64) = (
            a.trim().parse().map_err(|_| bad("Content-Range"))?,
            b.trim().parse().map_err(|_| bad("Content-Range"))?,
        );
        total = t.trim().parse().ok().or(total);
        let n = usize::try_from(b.checked_sub(a).ok_or_else(|| bad("Content-Range"))? + 1)
            .map_err(|_| bad("Content-Range"))?;
        let bytes = body
            .get(at..at.saturating_add(n))
            .ok_or_else(|| bad("a part shorter than its Content-Range (truncated response)"))?;
        parts.push((a, bytes.to_vec()));
        at += n;
    }
    Ok((parts, total))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn request_error(url: &str, e: &ureq::Error) -> NetError {
    match e {
        ureq::Error::HostNotFound => NetError::fatal(format!("{url}: unknown host")),
        // The resolver's failure comes as an IO error: a name that does not resolve.
        ureq::Error::Io(io) if io.to_string().contains("failed to lookup address") => {
            NetError::fatal(format!("{url}: unknown host ({io})"))
        }
        ureq::Error::Io(io) => NetError::io(url, io),
        ureq::Error::Timeout(_) => NetError::transient(format!(
            "{url}: no answer within {} s (set ANA_NET_TIMEOUT to wait longer)",
            timeout().as_secs()
        )),
        ureq::Error::ConnectionFailed => NetError::transient(format!("{url}: cannot connect")),
        ureq::Error::Tls(m) => NetError::fatal(format!(
            "{url}: TLS failed: {m} (CA certificates: X509_CERT_DIR or SSL_CERT_FILE)"
        )),
        other => NetError::fatal(format!("{url}: {other}")),
    }
}

/// The CA certificates to trust: `X509_CERT_DIR`'s files, else `SSL_CERT_FILE`, else the
/// system bundle; `None` (Mozilla's roots, built in) when none of these exists.
fn ca_certificates() -> Result<Option<Vec<Certificate<'static>>>, NetError> {
    let mut files = Vec::new();
    if let Some(dir) = std::env::var_os("X509_CERT_DIR") {
        let entries = std::fs::read_dir(&dir).map_err(|e| {
            NetError::fatal(format!("X509_CERT_DIR {}: {e}", dir.to_string_lossy()))
        })?;
        files.extend(
            entries
                .filter_map(|e| Some(e.ok()?.path()))
                .filter(|p| p.is_file()),
        );
    } else if let Some(file) = std::env::var_os("SSL_CERT_FILE") {
        files.push(file.into());
    } else {
        const SYSTEM: [&str; 4] = [
            "/etc/ssl/certs/ca-certificates.crt",
            "/etc/pki/tls/certs/ca-bundle.crt",
            "/etc/ssl/ca-bundle.pem",
            "/etc/ssl/cert.pem",
        ];
        files.extend(
            SYSTEM
                .iter()
                .map(std::path::PathBuf::from)
                .filter(|p| p.is_file())
                .take(1),
        );
    }
    let mut certs = Vec::new();
    for f in &files {
        // Directories of hashed links also hold CRLs and keys: only certificates count.
        let Ok(pem) = std::fs::read(f) else { continue };
        certs.extend(ureq::tls::parse_pem(&pem).filter_map(|item| match item {
            Ok(PemItem::Certificate(c)) => Some(c),
            _ => None,
        }));
    }
    if certs.is_empty() && !files.is_empty() {
        let name = std::env::var("X509_CERT_DIR").or_else(|_| std::env::var("SSL_CERT_FILE"));
        if let Ok(name) = name {
            return Err(NetError::fatal(format!(
                "no CA certificate found in {name}"
            )));
        }
    }
    Ok((!certs.is_empty()).then_some(certs))
}

/// WLCG bearer token discovery: `BEARER_TOKEN`, else the file `BEARER_TOKEN_FILE`.
fn bearer_token() -> Result<Option<String>, NetError> {
    if let Ok(t) = std::env::var("BEARER_TOKEN")
        && !t.trim().is_empty()
    {
        return Ok(Some(t.trim().to_string()));
    }
    if let Some(f) = std::env::var_os("BEARER_TOKEN_FILE") {
        let t = std::fs::read_to_string(&f).map_err(|e| {
            NetError::fatal(format!("BEARER_TOKEN_FILE {}: {e}", f.to_string_lossy()))
        })?;
        return Ok(Some(t.trim().to_string()));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_bodies_split_into_their_ranges() {
        let body = b"\r\n--XY\r\nContent-type: text/plain\r\nContent-range: bytes 0-3/100\r\n\r\nabcd\r\n--XY\r\nContent-range: bytes 10-11/100\r\n\r\nkl\r\n--XY--\r\n";
        let (parts, total) = multipart("u", body, "XY").map_err(|e| e.message).unwrap();
        assert_eq!(parts, vec![(0, b"abcd".to_vec()), (10, b"kl".to_vec())]);
        assert_eq!(total, Some(100));
        let got = pick("u", &parts, &[1..3, 10..12])
            .map_err(|e| e.message)
            .unwrap();
        assert_eq!(got, vec![b"bc".to_vec(), b"kl".to_vec()]);
        assert!(pick("u", &parts, std::slice::from_ref(&(3..5))).is_err());
        let cut = body.get(..body.len() - 20).unwrap();
        assert!(
            multipart("u", cut, "XY").is_err(),
            "a truncated body is an error"
        );
    }

    #[test]
    fn content_range_and_boundary() {
        assert_eq!(
            parse_content_range("bytes 5-9/62187"),
            Some((5, Some(62187)))
        );
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(
            boundary_of("multipart/byteranges; boundary=123456").as_deref(),
            Some("123456")
        );
    }
}
