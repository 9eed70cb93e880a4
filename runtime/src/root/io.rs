//! Bytes in: the file (positioned reads, no shared cursor, so `Send + Sync`; local, in memory
//! or remote, see `crate::remote`) and a bounded big-endian cursor over a buffer. Every read is checked against the buffer or file length,
//! so a length read from the file can never index out of bounds or size an allocation past
//! the bytes that exist.

use std::borrow::Cow;
use std::fs::{File, FileType, OpenOptions};
use std::os::unix::fs::{FileExt, FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Why an input cannot be opened: it is not a regular file (`kind` names what it is), or
/// the system refused.
#[derive(Debug)]
pub(crate) enum OpenError {
    NotAFile { kind: &'static str },
    Io(std::io::Error),
}

/// Opens an input for reading, refusing what is not a regular file: opening a FIFO blocks
/// until a writer comes (forever, and deaf to signals, in `open`), a device may never end or
/// change state when opened, and a directory only fails later with a confusing message.
/// The path is checked before opening (no side effect on a device); the open itself is
/// non-blocking and the opened file checked again, in case the path changed in between.
pub(crate) fn open_regular(path: &Path) -> Result<File, OpenError> {
    let kind = std::fs::metadata(path).map_err(OpenError::Io)?.file_type();
    if let Some(kind) = not_regular(kind) {
        return Err(OpenError::NotAFile { kind });
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(OpenError::Io)?;
    let kind = file.metadata().map_err(OpenError::Io)?.file_type();
    if let Some(kind) = not_regular(kind) {
        return Err(OpenError::NotAFile { kind });
    }
    Ok(file)
}

/// What a file is, for the error message, unless it is a regular file.
fn not_regular(t: FileType) -> Option<&'static str> {
    let kind = if t.is_file() {
        return None;
    } else if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "something other than a regular file"
    };
    Some(kind)
}

/// A parsing failure inside one object, before the caller adds where it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Bad(pub String);

impl Bad {
    pub(crate) fn new(msg: impl Into<String>) -> Self {
        Bad(msg.into())
    }
}

pub(crate) type Res<T> = Result<T, Bad>;

/// Smaller files are read with `pread`: mapping and unmapping one costs more than copying
/// its few baskets (the reader's damaged-file test, 50k small files: 1.5x the time mapped).
const MIN_MAPPED: u64 = 1 << 20;

/// The window a page fault maps around itself (Linux's default `fault_around_bytes`).
const FAULT_AROUND: usize = 64 << 10;

/// The file, mapped into memory (baskets are decompressed straight from the page cache);
/// or read with `pread` where it cannot be mapped; or its bytes in memory (fuzzing, tests);
/// or a remote file (`root://`, `http(s)://`), whose reads are served from the blocks
/// prefetched for the chunk being read (see [`Source::prefetch`]) or fetched.
#[derive(Debug)]
pub(crate) enum Source {
    /// `_watch` reports SIGBUS in the map as an unreadable file; dropped before the map.
    Mapped {
        _watch: super::sigbus::Watch,
        map: memmap2::Mmap,
    },
    File {
        file: File,
        len: u64,
    },
    Memory(Vec<u8>),
    Remote(crate::remote::RemoteFile),
}

impl Source {
    /// `name`: how errors name the file.
    pub(crate) fn new(file: File, name: &str) -> std::io::Result<Self> {
        let len = file.metadata()?.len();
        // SAFETY: the map is only read. A file truncated while mapped raises SIGBUS on
        // access instead of giving short reads: `sigbus` reports it as an unreadable file.
        if len >= MIN_MAPPED
            && let Ok(map) = unsafe { memmap2::Mmap::map(&file) }
        {
            return Ok(Source::Mapped {
                _watch: super::sigbus::watch(&map, name),
                map,
            });
        }
        Ok(Source::File { file, len })
    }

    pub(crate) fn len(&self) -> u64 {
        match self {
            Source::Mapped { map, .. } => map.len() as u64,
            Source::File { len, .. } => *len,
            Source::Memory(bytes) => bytes.len() as u64,
            Source::Remote(r) => r.len(),
        }
    }

    /// Fetches `ranges` ahead of the reads that need them, kept under `key` until
    /// [`Source::forget`]; nothing to do for local files.
    pub(crate) fn prefetch(&self, ranges: Vec<std::ops::Range<u64>>, key: u64) -> Res<()> {
        match self {
            Source::Remote(r) => r.prefetch(ranges, key).map_err(Bad),
            _ => Ok(()),
        }
    }

    pub(crate) fn forget(&self, key: u64) {
        if let Source::Remote(r) = self {
            r.forget(key);
        }
    }

    /// Requests sent to the server so far and the bytes received (none for local files).
    pub(crate) fn traffic(&self) -> crate::remote::Traffic {
        match self {
            Source::Remote(r) => r.traffic(),
            _ => crate::remote::Traffic::default(),
        }
    }

    /// Done with `bytes` (read from this source) for now: a mapped file's pages are unmapped
    /// (they stay in the page cache), so that the process's resident memory holds only the
    /// baskets in use, not every basket read so far.
    pub(crate) fn release(&self, bytes: &[u8]) {
        let Source::Mapped { map, .. } = self else {
            return;
        };
        let offset = (bytes.as_ptr() as usize).wrapping_sub(map.as_ptr() as usize);
        let Some(end) = offset
            .checked_add(bytes.len())
            .filter(|&end| end <= map.len())
        else {
            return;
        };
        // A page fault maps the cached pages around it too, within an aligned 64 KiB window
        // (Linux's `fault_around_bytes`): those of neighbouring baskets of branches never
        // read would otherwise stay mapped, and resident memory would grow with the files.
        let start = offset & !(FAULT_AROUND - 1);
        let end = end.next_multiple_of(FAULT_AROUND).min(map.len());
        // SAFETY: the map is read-only and never written, so dropping its pages loses
        // nothing: a later read faults the same file bytes back in (a reader of a page
        // shared with a neighbouring basket just takes that fault).
        let _ = unsafe {
            map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
        };
    }

    /// `n` bytes at `offset`; an error (not a short read) when they run past the end.
    pub(crate) fn read(&self, offset: u64, n: u64) -> Res<Cow<'_, [u8]>> {
        let end = offset
            .checked_add(n)
            .ok_or_else(|| Bad::new("byte range overflows"))?;
        if end > self.len() {
            return Err(Bad(format!(
                "needs bytes {offset}..{end} but the file has {} bytes (truncated?)",
                self.len()
            )));
        }
        let outside = || Bad(format!("cannot read bytes {offset}..{end}"));
        fn slice(bytes: &[u8], offset: u64, end: u64) -> Option<&[u8]> {
            bytes.get(usize::try_from(offset).ok()?..usize::try_from(end).ok()?)
        }
        match self {
            Source::File { file, .. } => {
                let mut buf = vec![0u8; n as usize];
                file.read_exact_at(&mut buf, offset)
                    .map_err(|e| Bad(format!("cannot read bytes {offset}..{end}: {e}")))?;
                Ok(Cow::Owned(buf))
            }
            Source::Mapped { map, .. } => slice(map, offset, end)
                .map(Cow::Borrowed)
                .ok_or_else(outside),
            Source::Memory(bytes) => slice(bytes, offset, end)
                .map(Cow::Borrowed)
                .ok_or_else(outside),
            Source::Remote(r) => r
                .read(offset, n)
                .map(Cow::Owned)
                .map_err(|e| Bad(format!("cannot read bytes {offset}..{end}: {e}"))),
        }
    }
}

/// A read position in a buffer. `origin` is added to positions for ROOT's object-reference
/// table, whose offsets count from the start of the key (see `objects.rs`).
#[derive(Clone, Debug)]
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    pub(crate) origin: i64,
}

macro_rules! be_reader {
    ($name:ident, $t:ty) => {
        pub(crate) fn $name(&mut self) -> Res<$t> {
            let b = self.bytes(std::mem::size_of::<$t>())?;
            let mut a = [0u8; std::mem::size_of::<$t>()];
            a.copy_from_slice(b);
            Ok(<$t>::from_be_bytes(a))
        }
    };
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a [u8], origin: i64) -> Self {
        Cursor {
            buf,
            pos: 0,
            origin,
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The position as ROOT's reference table counts it.
    pub(crate) fn displacement(&self) -> i64 {
        self.pos as i64 + self.origin
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub(crate) fn seek(&mut self, pos: usize) -> Res<()> {
        if pos > self.buf.len() {
            return Err(Bad(format!(
                "position {pos} is past the end of a {}-byte record",
                self.buf.len()
            )));
        }
        self.pos = pos;
        Ok(())
    }

    pub(crate) fn skip(&mut self, n: usize) -> Res<()> {
        let to = self
            .pos
            .checked_add(n)
            .ok_or_else(|| Bad::new("skip overflows"))?;
        self.seek(to)
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Res<&'a [u8]> {
        let buf: &'a [u8] = self.buf;
        let Some(out) = buf.get(self.pos..).and_then(|rest| rest.get(..n)) else {
            return Err(Bad(format!(
                "needs {n} bytes at position {} of a {}-byte record",
                self.pos,
                self.buf.len()
            )));
        };
        self.pos += n;
        Ok(out)
    }

    be_reader!(u8, u8);
    be_reader!(i16, i16);
    be_reader!(u16, u16);
    be_reader!(i32, i32);
    be_reader!(u32, u32);
    be_reader!(i64, i64);

    /// A ROOT `TString` / key string: a 1-byte length, or 255 and a 4-byte length.
    pub(crate) fn string(&mut self) -> Res<String> {
        let mut n = self.u8()? as usize;
        if n == 255 {
            n = self.u32()? as usize;
        }
        Ok(String::from_utf8_lossy(self.bytes(n)?).into_owned())
    }

    /// A NUL-terminated string (class names in object headers).
    pub(crate) fn cstring(&mut self) -> Res<String> {
        let buf: &'a [u8] = self.buf;
        let rest = buf.get(self.pos..).unwrap_or_default();
        let (name, _) = rest
            .iter()
            .position(|&b| b == 0)
            .and_then(|n| rest.split_at_checked(n))
            .ok_or_else(|| Bad::new("unterminated class name"))?;
        let s = String::from_utf8_lossy(name).into_owned();
        self.pos += name.len() + 1;
        Ok(s)
    }

    /// A 32-bit or 64-bit seek depending on `big`.
    pub(crate) fn seek_value(&mut self, big: bool) -> Res<u64> {
        let v = if big { self.i64()? } else { self.i32()? as i64 };
        u64::try_from(v).map_err(|_| Bad(format!("negative file position {v}")))
    }
}
