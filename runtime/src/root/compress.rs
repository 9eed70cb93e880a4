//! ROOT's compressed records: a sequence of blocks, each a 9-byte header (2-byte algorithm
//! tag, method byte, 3-byte little-endian compressed and uncompressed sizes) and a payload.
//! Input: the bytes after a key's header and the key's `fObjlen`. Output: exactly `fObjlen`
//! bytes, or an error. Invariant: the output buffer is sized only after the block headers
//! have been walked and their uncompressed sizes sum to `fObjlen`, so a lying length costs
//! no more than the blocks that are really there claim.
//!
//! Codecs (chosen by measurement, see ROOT-NOTES.md): libdeflate for zlib, liblzma (xz2) for
//! LZMA, liblz4 for LZ4 (its xxhash64 checksum verified), libzstd for ZSTD.

use std::mem::MaybeUninit;

use super::io::{Bad, Res};

/// The compression algorithms ROOT writes, as named by the block tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    None,
    Zlib,
    Lzma,
    Lz4,
    Zstd,
    /// ROOT's pre-zlib "CS" algorithm (files from ROOT 3 and older): not supported.
    OldRoot,
}

impl Codec {
    pub fn name(self) -> &'static str {
        match self {
            Codec::None => "none",
            Codec::Zlib => "zlib",
            Codec::Lzma => "lzma",
            Codec::Lz4 => "lz4",
            Codec::Zstd => "zstd",
            Codec::OldRoot => "old-root",
        }
    }
}

const HEADER: usize = 9;
/// liblzma's memory limit: ROOT's LZMA levels need at most ~100 MB; a corrupt header asking
/// for more is an error, not an allocation.
const LZMA_MEMLIMIT: u64 = 512 << 20;
/// ROOT never writes blocks of more than 16 MiB (3-byte sizes).
const MAX_BLOCK: usize = 0xff_ffff;

struct Block<'a> {
    codec: Codec,
    payload: &'a [u8],
    out_len: usize,
}

fn blocks(src: &[u8], objlen: usize) -> Res<Vec<Block<'_>>> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    let mut total = 0usize;
    while total < objlen {
        let h: &[u8; HEADER] = src
            .get(pos..)
            .and_then(<[u8]>::first_chunk)
            .ok_or_else(|| {
                Bad(format!(
                    "compressed record ends inside a block header at byte {pos}"
                ))
            })?;
        let [t0, t1, _method, c0, c1, c2, u0, u1, u2] = *h;
        let codec = match &[t0, t1] {
            b"ZL" => Codec::Zlib,
            b"XZ" => Codec::Lzma,
            b"L4" => Codec::Lz4,
            b"ZS" => Codec::Zstd,
            b"CS" => Codec::OldRoot,
            other => {
                return Err(Bad(format!(
                    "unknown compression tag {:?} at byte {pos}",
                    String::from_utf8_lossy(other)
                )));
            }
        };
        let c_len = usize::from(c0) | usize::from(c1) << 8 | usize::from(c2) << 16;
        let u_len = usize::from(u0) | usize::from(u1) << 8 | usize::from(u2) << 16;
        let start = pos + HEADER;
        let payload = src
            .get(start..)
            .and_then(|r| r.get(..c_len))
            .ok_or_else(|| {
                Bad(format!(
                    "compressed block at byte {pos} claims {c_len} bytes but only {} remain",
                    src.len().saturating_sub(start)
                ))
            })?;
        if u_len == 0 || u_len > MAX_BLOCK {
            return Err(Bad(format!(
                "compressed block at byte {pos} claims {u_len} output bytes"
            )));
        }
        total += u_len;
        out.push(Block {
            codec,
            payload,
            out_len: u_len,
        });
        pos = start + c_len;
    }
    if total != objlen {
        return Err(Bad(format!(
            "compressed blocks hold {total} bytes but the key says {objlen}"
        )));
    }
    Ok(out)
}

/// The codec of a compressed record (the first block's), for `inspect`.
pub fn codec_of(src: &[u8], objlen: usize) -> Codec {
    if src.len() == objlen {
        return Codec::None;
    }
    match src.get(0..2) {
        Some(b"ZL") => Codec::Zlib,
        Some(b"XZ") => Codec::Lzma,
        Some(b"L4") => Codec::Lz4,
        Some(b"ZS") => Codec::Zstd,
        Some(b"CS") => Codec::OldRoot,
        _ => Codec::None,
    }
}

/// Decompresses a record into a fresh buffer of exactly `objlen` bytes. A record whose
/// stored size equals `objlen` is stored as is (ROOT does that when compression does not
/// pay, also inside compressed files).
pub(crate) fn decompress(src: &[u8], objlen: usize) -> Res<Vec<u8>> {
    if src.len() == objlen {
        return Ok(src.to_vec());
    }
    let record = record(src, objlen)?;
    if record.is_one_zlib_block() {
        // At most 16 MB, decompressed without zeroing the buffer first.
        let mut out = Vec::with_capacity(objlen);
        if let Some(done) = out
            .spare_capacity_mut()
            .get_mut(..objlen)
            .and_then(|dst| record.inflate_uninit(dst))
        {
            done?;
            // SAFETY: `inflate_uninit` wrote all `objlen` bytes, within the capacity.
            unsafe { out.set_len(objlen) };
            return Ok(out);
        }
    }
    let mut out = vec![0u8; objlen];
    inflate_all(&record.0, &mut out)?;
    Ok(out)
}

/// A compressed record whose block headers were walked and checked, not yet decompressed:
/// for callers that grow their buffer block by block, so that the memory they touch follows
/// what really decompresses, not what the headers claim.
pub(crate) struct Record<'a>(Vec<Block<'a>>);

pub(crate) fn record(src: &[u8], objlen: usize) -> Res<Record<'_>> {
    blocks(src, objlen).map(Record)
}

impl Record<'_> {
    /// Each block's output size, in order (they sum to the record's `objlen`).
    pub(crate) fn block_lens(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().map(|b| b.out_len)
    }

    /// Decompresses block `i` into `dst`, of exactly its output size.
    pub(crate) fn inflate_block(&self, i: usize, dst: &mut [u8]) -> Res<()> {
        let b = self
            .0
            .get(i)
            .ok_or_else(|| Bad::new("internal: no such block"))?;
        if dst.len() != b.out_len {
            return Err(Bad::new("internal: block buffer of the wrong size"));
        }
        inflate(b, dst)
    }
}

impl Record<'_> {
    pub(crate) fn is_one_zlib_block(&self) -> bool {
        matches!(self.0.as_slice(), [b] if b.codec == Codec::Zlib)
    }

    /// Decompresses a record of one zlib block (the common basket) into `dst`, exactly its
    /// output size, which need not be initialized: zeroing a column's memory only to have it
    /// overwritten cost a pass over every value read (~3% of a run). `None` when the record
    /// is anything else; the caller then uses [`Record::inflate_block`].
    pub(crate) fn inflate_uninit(&self, dst: &mut [MaybeUninit<u8>]) -> Option<Res<()>> {
        let [b] = self.0.as_slice() else {
            return None;
        };
        if b.codec != Codec::Zlib {
            return None;
        }
        if dst.len() != b.out_len {
            return Some(Err(Bad::new("internal: block buffer of the wrong size")));
        }
        Some(zlib_uninit(b.payload, dst))
    }
}

/// One zlib stream into exactly `dst.len()` bytes; on success every byte of `dst` is written.
fn zlib_uninit(src: &[u8], dst: &mut [MaybeUninit<u8>]) -> Res<()> {
    use libdeflate_sys as ld;
    // SAFETY: a decompressor from libdeflate's allocator, used by this thread only and freed
    // once below; libdeflate reads `src.len()` bytes of `src` and writes at most `dst.len()`
    // bytes into `dst` (valid for writes: a live, exclusively borrowed slice; that its bytes
    // are uninitialized does not matter to a C writer), and stores the count in `actual`.
    let (result, actual) = unsafe {
        let d = ld::libdeflate_alloc_decompressor();
        if d.is_null() {
            return Err(Bad::new("zlib: cannot allocate a decompressor"));
        }
        let mut actual = 0usize;
        let r = ld::libdeflate_zlib_decompress(
            d,
            src.as_ptr().cast(),
            src.len(),
            dst.as_mut_ptr().cast(),
            dst.len(),
            &raw mut actual,
        );
        ld::libdeflate_free_decompressor(d);
        (r, actual)
    };
    // The messages of the general path (`inflate`), which uses libdeflater.
    match result {
        ld::libdeflate_result_LIBDEFLATE_SUCCESS if actual == dst.len() => Ok(()),
        ld::libdeflate_result_LIBDEFLATE_SUCCESS
        | ld::libdeflate_result_LIBDEFLATE_SHORT_OUTPUT => Err(Bad(format!(
            "zlib block gives {actual} bytes, its header says {}",
            dst.len()
        ))),
        ld::libdeflate_result_LIBDEFLATE_INSUFFICIENT_SPACE => Err(Bad::new(
            "zlib block does not decompress: InsufficientSpace",
        )),
        _ => Err(Bad::new("zlib block does not decompress: BadData")),
    }
}

fn inflate_all(blocks: &[Block<'_>], out: &mut [u8]) -> Res<()> {
    let mut rest = out;
    for b in blocks {
        // The blocks' sizes sum to the output's length (checked by `blocks`).
        let (dst, tail) = rest
            .split_at_mut_checked(b.out_len)
            .ok_or_else(|| Bad::new("compressed blocks overrun the record"))?;
        inflate(b, dst)?;
        rest = tail;
    }
    Ok(())
}

fn inflate(b: &Block<'_>, dst: &mut [u8]) -> Res<()> {
    let want = dst.len();
    let got = match b.codec {
        Codec::Zlib => {
            // ROOT's "ZL" blocks are zlib streams (2-byte header, deflate, adler32).
            let mut d = libdeflater::Decompressor::new();
            d.zlib_decompress(b.payload, dst)
                .map_err(|e| Bad(format!("zlib block does not decompress: {e:?}")))?
        }
        Codec::Lz4 => {
            // 8-byte big-endian xxhash64 of the LZ4 data, then a raw LZ4 block.
            let (sum, data) = b
                .payload
                .split_at_checked(8)
                .ok_or_else(|| Bad::new("lz4 block shorter than its checksum"))?;
            let mut s = [0u8; 8];
            s.copy_from_slice(sum);
            if u64::from_be_bytes(s) != xxhash_rust::xxh64::xxh64(data, 0) {
                return Err(Bad::new("lz4 block checksum mismatch (corrupted data)"));
            }
            let n = i32::try_from(want).map_err(|_| Bad::new("lz4 block too large"))?;
            lz4::block::decompress_to_buffer(data, Some(n), dst)
                .map_err(|e| Bad(format!("lz4 block does not decompress: {e}")))?
        }
        Codec::Zstd => zstd::bulk::decompress_to_buffer(b.payload, dst)
            .map_err(|e| Bad(format!("zstd block does not decompress: {e}")))?,
        Codec::Lzma => {
            let mut s = xz2::stream::Stream::new_stream_decoder(LZMA_MEMLIMIT, 0)
                .map_err(|e| Bad(format!("lzma decoder: {e}")))?;
            s.process(b.payload, dst, xz2::stream::Action::Finish)
                .map_err(|e| Bad(format!("lzma block does not decompress: {e}")))?;
            s.total_out() as usize
        }
        Codec::OldRoot => {
            return Err(Bad::new(
                "compressed with ROOT's old \"CS\" algorithm (ROOT 3 era), which is not supported",
            ));
        }
        Codec::None => 0,
    };
    if got != want {
        return Err(Bad(format!(
            "{} block gives {got} bytes, its header says {want}",
            b.codec.name()
        )));
    }
    Ok(())
}
