//! One basket in, its uncompressed payload out: the value bytes and (when the basket stores
//! them) the byte offset of every entry. Input: the branch metadata and a basket number.
//! Output: [`Basket`]. Invariant: offsets, when present, are `nev + 1` non-decreasing byte
//! positions within the data, the last equal to its length (checked here, so decoders can
//! slice without further checks failing).

use super::compress;
use super::directory::read_key;
use super::io::{Bad, Cursor, Res, Source};
use super::objects::BranchMeta;

/// A decompressed basket.
#[derive(Debug)]
pub(crate) struct Basket {
    /// Entries in the basket.
    pub nev: u32,
    /// The uncompressed buffer; the values are `buf[..border]`.
    pub buf: Vec<u8>,
    pub border: usize,
    /// Byte offset of each entry in `buf[..border]` and the end (`nev + 1` values).
    pub offsets: Option<Vec<u32>>,
}

impl Basket {
    #[expect(
        clippy::indexing_slicing,
        reason = "`border <= buf.len()`: checked by `RawBasket::decode`, equal for embedded baskets"
    )]
    pub(crate) fn data(&self) -> &[u8] {
        &self.buf[..self.border]
    }
}

/// The compressed bytes of a free basket with its parsed header, before decompression
/// (separate so the benchmark can time decompression alone).
pub(crate) struct RawBasket<'a> {
    src: &'a Source,
    pub raw: std::borrow::Cow<'a, [u8]>,
    pub keylen: usize,
    pub objlen: usize,
    pub nev: u32,
    pub last: usize,
}

pub(crate) fn fetch<'a>(src: &'a Source, b: &BranchMeta, i: usize) -> Res<RawBasket<'a>> {
    let (Some(&seek), Some(&bytes)) = (b.basket_seek.get(i), b.basket_bytes.get(i)) else {
        return Err(Bad(format!("no basket {i}")));
    };
    let raw = src.read(seek, bytes as u64)?;
    let mut c = Cursor::new(&raw, 0);
    let key = read_key(&mut c)?;
    if key.nbytes != bytes {
        return Err(Bad(format!(
            "basket key says {} bytes, the branch says {bytes}",
            key.nbytes
        )));
    }
    let _version = c.i16()?;
    let _buffer_size = c.i32()?;
    let nev_buf_size = c.i32()?;
    if nev_buf_size < 0 {
        // ROOT >= 6.12: a negative fNevBufSize flags an fIOBits byte (e.g. generated offsets).
        let _io_bits = c.u8()?;
    }
    let nev = c.i32()?;
    let last = c.i32()?;
    let nev = u32::try_from(nev).map_err(|_| Bad(format!("negative fNevBuf {nev}")))?;
    let keylen = key.keylen as usize;
    let last = usize::try_from(last).map_err(|_| Bad(format!("negative fLast {last}")))?;
    Ok(RawBasket {
        src,
        raw,
        keylen,
        objlen: key.objlen as usize,
        nev,
        last,
    })
}

impl Drop for RawBasket<'_> {
    fn drop(&mut self) {
        self.src.release(&self.raw);
    }
}

impl RawBasket<'_> {
    pub(crate) fn payload(&self) -> &[u8] {
        self.raw.get(self.keylen..).unwrap_or_default()
    }

    /// Where the values end in the uncompressed record (an entry-offset table may follow).
    pub(crate) fn border(&self) -> Res<usize> {
        self.last
            .checked_sub(self.keylen)
            .filter(|&b| b <= self.objlen)
            .ok_or_else(|| Bad(format!("fLast {} is outside the basket", self.last)))
    }

    pub(crate) fn decode(self) -> Res<Basket> {
        let border = self.border()?;
        let buf = compress::decompress(self.payload(), self.objlen)?;
        let offsets = if border < buf.len() {
            // i32 count, then one BE i32 per entry counted from the key start, then padding.
            let table = buf.get(border..).unwrap_or_default();
            let need = 4 + 4 * self.nev as usize;
            let Some(entries) = table.get(4..need) else {
                return Err(Bad(format!(
                    "entry-offset table has {} bytes for {} entries",
                    table.len(),
                    self.nev
                )));
            };
            // One branch-free pass (it vectorizes); negative offsets are caught after it.
            let keylen = self.keylen as i64;
            let mut lowest = 0i64;
            let (entries, _) = entries.as_chunks::<4>();
            let mut offs: Vec<u32> = entries
                .iter()
                .map(|&c| {
                    let o = i64::from(i32::from_be_bytes(c)) - keylen;
                    lowest = lowest.min(o);
                    o as u32
                })
                .collect();
            if lowest < 0 {
                return Err(Bad(format!("entry offset {lowest} is negative")));
            }
            offs.push(border as u32);
            Some(offs)
        } else {
            None
        };
        let b = Basket {
            nev: self.nev,
            buf,
            border,
            offsets,
        };
        check_offsets(&b)?;
        Ok(b)
    }
}

/// Reads basket `i` (free or embedded) of branch `b`.
pub(crate) fn read(src: &Source, b: &BranchMeta, i: usize) -> Res<Basket> {
    let n_free = b.basket_seek.len();
    if i < n_free {
        return fetch(src, b, i)?.decode();
    }
    let e = b
        .embedded
        .get(i - n_free)
        .ok_or_else(|| Bad(format!("no basket {i}")))?;
    let basket = Basket {
        nev: e.nev,
        border: e.data.len(),
        buf: e.data.clone(),
        offsets: e.offsets.clone(),
    };
    check_offsets(&basket)?;
    Ok(basket)
}

fn check_offsets(b: &Basket) -> Res<()> {
    if let Some(o) = &b.offsets {
        let ok = o.len() == b.nev as usize + 1
            && o.is_sorted()
            && o.last().is_some_and(|&l| l as usize == b.border);
        if !ok {
            return Err(Bad::new(
                "entry offsets are not increasing within the basket",
            ));
        }
    }
    Ok(())
}
