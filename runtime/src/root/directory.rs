//! The file header, directories and keys. Input: the file. Output: the keys of every
//! directory (recursively), so that trees are found by name, also in subdirectories
//! (`dir/tree`). Invariant: every position and length read here is checked against the file
//! size before it is used.

use super::compress;
use super::io::{Bad, Cursor, Res, Source};

/// A TKey header: where an object is and how big.
#[derive(Clone, Debug)]
pub(crate) struct Key {
    pub nbytes: u32,
    pub objlen: u32,
    pub keylen: u16,
    pub cycle: i16,
    pub seek: u64,
    pub class: String,
    pub name: String,
    #[allow(dead_code)]
    pub title: String,
}

pub(crate) fn read_key(c: &mut Cursor<'_>) -> Res<Key> {
    let nbytes = c.i32()?;
    let version = c.i16()?;
    let objlen = c.i32()?;
    let _datime = c.u32()?;
    let keylen = c.i16()?;
    let cycle = c.i16()?;
    let big = version > 1000;
    let seek = c.seek_value(big)?;
    let _pdir = c.seek_value(big)?;
    let class = c.string()?;
    let name = c.string()?;
    let title = c.string()?;
    let nbytes =
        u32::try_from(nbytes).map_err(|_| Bad(format!("key {name}: negative size {nbytes}")))?;
    let objlen = u32::try_from(objlen)
        .map_err(|_| Bad(format!("key {name}: negative object size {objlen}")))?;
    let keylen = u16::try_from(keylen)
        .map_err(|_| Bad(format!("key {name}: negative key length {keylen}")))?;
    if (keylen as u32) > nbytes {
        return Err(Bad(format!(
            "key {name}: key length {keylen} exceeds its size {nbytes}"
        )));
    }
    Ok(Key {
        nbytes,
        objlen,
        keylen,
        cycle,
        seek,
        class,
        name,
        title,
    })
}

/// The uncompressed object a key points to.
pub(crate) fn read_object(src: &Source, key: &Key) -> Res<Vec<u8>> {
    let raw = src.read(
        key.seek + key.keylen as u64,
        (key.nbytes - key.keylen as u32) as u64,
    )?;
    compress::decompress(&raw, key.objlen as usize)
        .map_err(|Bad(m)| Bad(format!("key {} ({}): {m}", key.name, key.class)))
}

/// A named object of the file, with its directory path (`dir/name`).
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub path: String,
    pub key: Key,
}

/// The keys of the whole file: the top directory and its subdirectories.
pub(crate) fn list(src: &Source) -> Res<Vec<Entry>> {
    let head = src.read(0, 64.min(src.len()))?;
    if !head.starts_with(b"root") {
        return Err(Bad::new("not a ROOT file (no \"root\" magic at the start)"));
    }
    let mut c = Cursor::new(&head, 0);
    c.skip(4)?;
    let version = c.i32()?;
    let begin = c.i32()?;
    let big = version >= 1_000_000;
    let _end = c.seek_value(big)?;
    let _seek_free = c.seek_value(big)?;
    let _nbytes_free = c.i32()?;
    let _nfree = c.i32()?;
    let nbytes_name = c.i32()?;
    // Plausibility of the header (ROOT versions look like 62004 for 6.20/04, plus 1000000
    // for 64-bit files; the first key starts right after the 100-odd byte header).
    let plain = version % 1_000_000;
    if !(10_000..1_000_000).contains(&plain) || !(1..=4096).contains(&begin) {
        return Err(Bad(format!(
            "not a ROOT file (implausible header: version {version}, first key at {begin})"
        )));
    }
    let begin = u64::try_from(begin).map_err(|_| Bad(format!("negative fBEGIN {begin}")))?;
    let nbytes_name = u64::try_from(nbytes_name)
        .map_err(|_| Bad(format!("negative fNbytesName {nbytes_name}")))?;
    let mut out = Vec::new();
    let mut visited = Vec::new();
    directory(src, begin + nbytes_name, "", &mut out, &mut visited, 0)?;
    Ok(out)
}

fn directory(
    src: &Source,
    at: u64,
    prefix: &str,
    out: &mut Vec<Entry>,
    visited: &mut Vec<u64>,
    depth: u32,
) -> Res<()> {
    if depth > 32 || visited.contains(&at) {
        return Err(Bad::new("directories nest too deeply or form a loop"));
    }
    visited.push(at);
    let n = 64.min(src.len().saturating_sub(at));
    let rec = src.read(at, n)?;
    let mut c = Cursor::new(&rec, 0);
    let version = c.i16()?;
    let big = version > 1000;
    let _ctime = c.u32()?;
    let _mtime = c.u32()?;
    let nbytes_keys = c.i32()?;
    let _nbytes_name = c.i32()?;
    let _seek_dir = c.seek_value(big)?;
    let _seek_parent = c.seek_value(big)?;
    let seek_keys = c.seek_value(big)?;
    if seek_keys == 0 {
        return Ok(());
    }
    let nbytes_keys = u64::try_from(nbytes_keys)
        .map_err(|_| Bad(format!("negative fNbytesKeys {nbytes_keys}")))?;
    let buf = src.read(seek_keys, nbytes_keys)?;
    let mut c = Cursor::new(&buf, 0);
    let _self_key = read_key(&mut c)?;
    let nkeys = c.i32()?;
    let nkeys = usize::try_from(nkeys).map_err(|_| Bad(format!("negative key count {nkeys}")))?;
    for _ in 0..nkeys {
        let key = read_key(&mut c)?;
        let path = format!("{prefix}{}", key.name);
        if key.class == "TDirectory" || key.class == "TDirectoryFile" {
            // A subdirectory's record is its key's (uncompressed) object.
            let sub = key.seek + key.keylen as u64;
            directory(src, sub, &format!("{path}/"), out, visited, depth + 1)?;
        }
        out.push(Entry { path, key });
    }
    Ok(())
}
