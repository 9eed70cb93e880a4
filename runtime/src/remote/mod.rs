//! Remote inputs: files read over `root://` (XRootD) and `http(s)://`, as byte ranges.
//!
//! Input: a URL. Output: a [`RemoteFile`], which `root::io::Source` reads through like a
//! local file. Which part does what: `xrootd` (the XRootD protocol's read path, our own: no
//! maintained Rust crate speaks it), `http` (range requests with ureq over rustls), `cache`
//! (prefetched blocks and the read-ahead of small metadata reads). Invariants: every network
//! wait has a timeout ([`timeout`]); every error names the URL; transient failures (a
//! dropped connection, a timeout) are retried with back-off, a definite answer (no such
//! file, permission denied) is not; memory holds only the blocks prefetched for chunks in
//! flight plus a few read-ahead blocks.

mod cache;
mod http;
mod xrootd;

use std::ops::Range;
use std::sync::Mutex;
use std::time::Duration;

use cache::Cache;

/// Whether `path` names a remote file (`root://`, `http://`, `https://`, any case).
pub fn is_url(path: &str) -> bool {
    scheme(path).is_some()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheme {
    Root,
    Http,
}

fn scheme(path: &str) -> Option<Scheme> {
    let (s, _) = path.split_once("://")?;
    match s.to_ascii_lowercase().as_str() {
        "root" | "xroot" | "roots" | "xroots" => Some(Scheme::Root),
        "http" | "https" => Some(Scheme::Http),
        _ => None,
    }
}

/// A failed network operation. `retry`: worth trying again (the connection dropped, timed
/// out, the server was busy), as opposed to a definite answer.
#[derive(Debug, Clone)]
pub(crate) struct NetError {
    pub message: String,
    pub retry: bool,
}

impl NetError {
    pub(crate) fn fatal(message: impl Into<String>) -> Self {
        NetError {
            message: message.into(),
            retry: false,
        }
    }

    pub(crate) fn transient(message: impl Into<String>) -> Self {
        NetError {
            message: message.into(),
            retry: true,
        }
    }

    /// An IO error on a connection: a timeout says how long was waited.
    pub(crate) fn io(what: &str, e: &std::io::Error) -> Self {
        use std::io::ErrorKind as K;
        let message = match e.kind() {
            K::WouldBlock | K::TimedOut => format!(
                "{what}: no answer within {} s (set ANA_NET_TIMEOUT to wait longer)",
                timeout().as_secs()
            ),
            K::UnexpectedEof => {
                format!("{what}: the server closed the connection (truncated response)")
            }
            K::ConnectionRefused => format!("{what}: connection refused"),
            _ => format!("{what}: {e}"),
        };
        NetError::transient(message)
    }
}

/// Data requests sent and bytes received.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    pub requests: u64,
    pub bytes: u64,
}

impl std::ops::Add for Traffic {
    type Output = Traffic;
    fn add(self, o: Traffic) -> Traffic {
        Traffic {
            requests: self.requests + o.requests,
            bytes: self.bytes + o.bytes,
        }
    }
}

/// Counters behind [`Traffic`], shared by a protocol's threads.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: std::sync::atomic::AtomicU64,
    bytes: std::sync::atomic::AtomicU64,
}

impl Counters {
    pub(crate) fn request(&self) {
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn received(&self, n: usize) {
        self.bytes
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> Traffic {
        Traffic {
            requests: self.requests.load(std::sync::atomic::Ordering::Relaxed),
            bytes: self.bytes.load(std::sync::atomic::Ordering::Relaxed),
        }
    }
}

/// What a protocol provides: the file's length and its bytes, several ranges per request
/// where the protocol can.
pub(crate) trait Protocol: Send + Sync + std::fmt::Debug {
    fn len(&self) -> u64;
    /// The bytes of every range, in order (ranges lie inside the file, are sorted and do
    /// not overlap).
    fn read_ranges(&self, ranges: &[Range<u64>]) -> Result<Vec<Vec<u8>>, NetError>;
    /// Data requests sent so far (not the session's setup) and the bytes they brought, for
    /// the figures in `run.json`.
    fn traffic(&self) -> Traffic;
}

/// How long any network wait may take: `ANA_NET_TIMEOUT` seconds, else 60.
pub(crate) fn timeout() -> Duration {
    let secs = std::env::var("ANA_NET_TIMEOUT")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(60.0);
    Duration::from_secs_f64(secs.min(86_400.0))
}

/// Attempts of an operation that fails transiently, with back-off between them.
const ATTEMPTS: u32 = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// `f`, again after a back-off while it fails transiently.
fn retrying<T>(mut f: impl FnMut() -> Result<T, NetError>) -> Result<T, NetError> {
    let mut wait = FIRST_BACKOFF;
    let mut attempt = 1;
    loop {
        match f() {
            Err(e) if e.retry && attempt < ATTEMPTS => {
                std::thread::sleep(wait);
                wait *= 4;
                attempt += 1;
            }
            Err(e) if e.retry => {
                return Err(NetError::fatal(format!(
                    "{} (after {ATTEMPTS} attempts)",
                    e.message
                )));
            }
            other => return other,
        }
    }
}

/// A remote file, opened (its length known, its first bytes read ahead).
#[derive(Debug)]
pub(crate) struct RemoteFile {
    proto: Box<dyn Protocol>,
    cache: Mutex<Cache>,
}

/// Neighbouring ranges closer than this are fetched as one (uproot's default too): a
/// request costs a round trip, 32 KiB on a fast link much less.
const COALESCE_GAP: u64 = 32 << 10;

/// Small reads (the file header, keys, tree metadata) fetch this much, so that the reads
/// which follow (usually just after) need no round trip of their own.
const READ_AHEAD: u64 = 256 << 10;

/// Bytes of a file's start and end read at open.
const OPEN_HEAD: u64 = 64 << 10;
const OPEN_TAIL: u64 = 512 << 10;

impl RemoteFile {
    /// Opens `url` (errors name it).
    pub(crate) fn open(url: &str) -> Result<RemoteFile, String> {
        let proto: Box<dyn Protocol> = match scheme(url) {
            Some(Scheme::Root) => {
                Box::new(retrying(|| xrootd::File::open(url)).map_err(|e| e.message)?)
            }
            Some(Scheme::Http) => {
                Box::new(retrying(|| http::File::open(url)).map_err(|e| e.message)?)
            }
            None => return Err(format!("{url}: not a root:// or http(s):// URL")),
        };
        // The file's start (header, top directory) and end (keys list, usually the tree's
        // metadata, written last) in one request: opening then costs one round trip, not
        // one per object.
        let len = proto.len();
        let ends = coalesce(
            vec![0..len.min(OPEN_HEAD), len.saturating_sub(OPEN_TAIL)..len],
            COALESCE_GAP,
        );
        let blocks = retrying(|| proto.read_ranges(&ends)).map_err(|e| e.message)?;
        let mut cache = Cache::default();
        for (r, b) in ends.into_iter().zip(blocks) {
            if b.len() as u64 == r.end - r.start {
                cache.read_ahead(r.start, b);
            }
        }
        Ok(RemoteFile {
            proto,
            cache: Mutex::new(cache),
        })
    }

    pub(crate) fn len(&self) -> u64 {
        self.proto.len()
    }

    pub(crate) fn traffic(&self) -> Traffic {
        self.proto.traffic()
    }

    /// `n` bytes at `offset` (inside the file): from the blocks prefetched or read ahead,
    /// else fetched (small reads with read-ahead).
    pub(crate) fn read(&self, offset: u64, n: u64) -> Result<Vec<u8>, String> {
        let want = offset..offset.saturating_add(n);
        if let Some(bytes) = self.cached(&want) {
            return Ok(bytes);
        }
        let fetch = if n < READ_AHEAD {
            offset
                ..offset
                    .saturating_add(READ_AHEAD)
                    .min(self.len())
                    .max(want.end)
        } else {
            want.clone()
        };
        let mut got = retrying(|| self.proto.read_ranges(std::slice::from_ref(&fetch)))
            .map_err(|e| e.message)?;
        let block = got
            .pop()
            .filter(|b| b.len() as u64 == fetch.end - fetch.start);
        let Some(block) = block else {
            return Err(format!(
                "the server sent a short answer for bytes {}..{}",
                fetch.start, fetch.end
            ));
        };
        let out = block
            .get(..usize::try_from(n).unwrap_or(usize::MAX))
            .map(<[u8]>::to_vec)
            .ok_or_else(|| "short read".to_string())?;
        if n < READ_AHEAD
            && let Ok(mut c) = self.cache.lock()
        {
            c.read_ahead(fetch.start, block);
        }
        Ok(out)
    }

    fn cached(&self, want: &Range<u64>) -> Option<Vec<u8>> {
        self.cache.lock().ok()?.get(want)
    }

    /// Fetches `ranges` (neighbours coalesced) in as few requests as the protocol allows
    /// and keeps them for reads until [`RemoteFile::forget`]`(key)`.
    pub(crate) fn prefetch(&self, ranges: Vec<Range<u64>>, key: u64) -> Result<(), String> {
        let mut merged = coalesce(ranges, COALESCE_GAP);
        // What the open's read of the file's ends already holds (all of a small file).
        if let Ok(c) = self.cache.lock() {
            merged.retain(|r| !c.covers(r));
        }
        if merged.is_empty() {
            return Ok(());
        }
        let blocks = retrying(|| self.proto.read_ranges(&merged)).map_err(|e| e.message)?;
        if blocks.len() != merged.len() {
            return Err("the server answered a different number of ranges".to_string());
        }
        let mut c = self
            .cache
            .lock()
            .map_err(|_| "the prefetch cache is poisoned".to_string())?;
        for (r, b) in merged.into_iter().zip(blocks) {
            if b.len() as u64 != r.end - r.start {
                return Err(format!(
                    "the server sent {} bytes for bytes {}..{}",
                    b.len(),
                    r.start,
                    r.end
                ));
            }
            c.insert(r.start, b, key);
        }
        Ok(())
    }

    /// Drops the blocks prefetched under `key`.
    pub(crate) fn forget(&self, key: u64) {
        if let Ok(mut c) = self.cache.lock() {
            c.forget(key);
        }
    }
}

/// Sorted, merged ranges: overlapping ones and those less than `gap` apart become one.
pub(crate) fn coalesce(mut ranges: Vec<Range<u64>>, gap: u64) -> Vec<Range<u64>> {
    ranges.retain(|r| r.end > r.start);
    ranges.sort_by_key(|r| r.start);
    let mut out: Vec<Range<u64>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end.saturating_add(gap) => {
                last.end = last.end.max(r.end);
            }
            _ => out.push(r),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coalesce_merges_neighbours_within_the_gap_only() {
        let r = coalesce(
            vec![100..200, 0..10, 10..20, 250..260, 300..400, 5000..6000],
            50,
        );
        assert_eq!(r, vec![0..20, 100..400, 5000..6000]);
        assert_eq!(coalesce(vec![0..10, 20..30], 0), vec![0..10, 20..30]);
        assert_eq!(coalesce(vec![0..10, 5..8, 3..3], 0), vec![0..10]);
    }

    #[test]
    fn schemes() {
        assert!(is_url("root://eospublic.cern.ch//eos/x.root"));
        assert!(is_url("HTTPS://host/x.root"));
        assert!(!is_url("data/x.root"));
        assert!(!is_url("file://x.root"));
    }
}
