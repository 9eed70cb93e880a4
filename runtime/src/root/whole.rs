//! Whole baskets decoded straight into a column: the fast path of `Tree::read` when every
//! basket overlapping the range is used entirely (chunks are cut at basket boundaries, so
//! this is the common case). Input: a fetched, still compressed basket. Output: its values
//! appended to the column and its entries' offsets to the column's offsets.
//!
//! Why a second path: the general one (`column::Builder::append`) decompresses into a
//! basket buffer, then copies every value with a byte swap into the column and walks the
//! entry offsets three times (parse, check, convert). With LZ4 or ZSTD those passes cost as
//! much as the decompression itself. Here the record is decompressed into the column's own
//! memory and byte-swapped in place, and the offset table is parsed, checked and converted
//! in two vectorized passes; a basket ROOT stored uncompressed is byte-swapped as it is
//! copied. Decompression grows the column one compressed block at a time, so a header that
//! claims gigabytes over a few real bytes fails having touched at most one block.
//!
//! Invariant: both paths give identical columns and accept the same baskets (tested); every
//! length read from the file is checked before it is used.

use std::mem::MaybeUninit;

use ana_compiler::abi::{ColumnData, Offsets};
use bytemuck::Pod;

use super::basket::RawBasket;
use super::column::{Builder, append_be, offset_after};
use super::compress;
use super::io::{Bad, Res};
use super::layout::Layout;

impl Builder {
    /// Appends all entries of the fetched basket `raw`. `counts`: the counter's values for
    /// the basket's entries, needed when it has no entry-offset table (generated offsets).
    pub(crate) fn append_whole(
        &mut self,
        layout: &Layout,
        raw: &RawBasket<'_>,
        counts: Option<&[u32]>,
    ) -> Res<()> {
        let border = raw.border()?;
        let payload = raw.payload();
        let layout_entries = |offsets: &mut Option<Vec<u32>>,
                              shared: &mut Option<(Offsets, usize)>,
                              table: &[u8]| {
            entries(layout, raw, border, table, offsets, shared, counts)
        };
        if payload.len() == raw.objlen {
            // Stored uncompressed: one pass copies and swaps.
            let table = payload.get(border..).unwrap_or_default();
            let (a, z) = layout_entries(&mut self.offsets, &mut self.shared, table)?;
            let values = payload
                .get(a..z)
                .ok_or_else(|| Bad::new("internal: values outside the basket"))?;
            append_be(&mut self.data, values);
            return Ok(());
        }
        let (offsets, shared) = (&mut self.offsets, &mut self.shared);
        let entries = |bytes: &[u8]| layout_entries(offsets, shared, bytes);
        let objlen = raw.objlen;
        match &mut self.data {
            ColumnData::I8(v) => inflate(v, payload, objlen, border, entries),
            ColumnData::U8(v) => inflate(v, payload, objlen, border, entries),
            ColumnData::I16(v) => inflate(v, payload, objlen, border, entries),
            ColumnData::U16(v) => inflate(v, payload, objlen, border, entries),
            ColumnData::I32(v) => inflate(v, payload, objlen, border, entries),
            ColumnData::U32(v) => inflate(v, payload, objlen, border, entries),
            ColumnData::I64(v) => inflate(v, payload, objlen, border, entries),
            ColumnData::U64(v) => inflate(v, payload, objlen, border, entries),
            ColumnData::F32(v) => inflate(v, payload, objlen, border, entries),
            ColumnData::F64(v) => inflate(v, payload, objlen, border, entries),
            // `bool` has invalid bit patterns: never decompressed into; the caller routes
            // boolean branches through the general path.
            ColumnData::Bool(_) => Err(Bad::new("internal: boolean column in the fast path")),
        }
    }
}

/// A column element that can be byte-swapped in place from ROOT's big-endian order.
trait FromBigEndian: Pod {
    fn from_be_in_place(v: &mut [Self]);
}

macro_rules! from_be {
    ($t:ty, $u:ty) => {
        impl FromBigEndian for $t {
            fn from_be_in_place(v: &mut [Self]) {
                // Same size and alignment: the cast cannot fail. The loop vectorizes.
                let u: &mut [$u] = bytemuck::cast_slice_mut(v);
                for x in u {
                    *x = <$u>::from_be(*x);
                }
            }
        }
    };
}
from_be!(u8, u8);
from_be!(i8, u8);
from_be!(u16, u16);
from_be!(i16, u16);
from_be!(u32, u32);
from_be!(i32, u32);
from_be!(f32, u32);
from_be!(u64, u64);
from_be!(i64, u64);
from_be!(f64, u64);

/// Decompresses the record (`objlen` bytes: values, then the entry-offset table) into the
/// spare end of `v`, lets `entries` read the table (`bytes[border..]`) and name the values'
/// byte range, then keeps just those values, swapped to native order.
fn inflate<T: FromBigEndian>(
    v: &mut Vec<T>,
    payload: &[u8],
    objlen: usize,
    border: usize,
    entries: impl FnOnce(&[u8]) -> Res<(usize, usize)>,
) -> Res<()> {
    let start = v.len();
    let got = inflate_blocks(v, payload, objlen).and_then(|()| {
        let bytes: &[u8] = bytemuck::cast_slice(v.get(start..).unwrap_or_default());
        entries(bytes.get(border..objlen).unwrap_or_default())
    });
    let (a, z) = match got {
        Ok(r) => r,
        Err(e) => {
            v.truncate(start);
            return Err(e);
        }
    };
    if a > 0 {
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(v.get_mut(start..).unwrap_or_default());
        bytes.copy_within(a..z, 0);
    }
    v.truncate(start + (z - a) / size_of::<T>());
    T::from_be_in_place(v.get_mut(start..).unwrap_or_default());
    Ok(())
}

/// Appends the record's `objlen` decompressed bytes to `v` (rounded up to whole values),
/// growing it one block at a time: a header claiming gigabytes over a few real bytes fails
/// at its first block, having touched at most that block's 16 MB.
fn inflate_blocks<T: FromBigEndian>(v: &mut Vec<T>, payload: &[u8], objlen: usize) -> Res<()> {
    let size = size_of::<T>();
    let start = v.len();
    let record = compress::record(payload, objlen)?;
    // One zlib block of whole values (at most 16 MB, so the reservation is bounded):
    // straight into the spare capacity, no zeroing first.
    if objlen.is_multiple_of(size) && record.is_one_zlib_block() {
        v.try_reserve(objlen / size)
            .map_err(|_| Bad::new("not enough memory for the column"))?;
        let spare = v.spare_capacity_mut();
        let avail = spare.len() * size;
        // SAFETY: the spare capacity as bytes: `MaybeUninit<u8>` has no validity invariant
        // and alignment 1, and `avail` bytes lie within the `spare.len()` values of `T`.
        let bytes: &mut [MaybeUninit<u8>] =
            unsafe { std::slice::from_raw_parts_mut(spare.as_mut_ptr().cast(), avail) };
        if let Some(done) = bytes
            .get_mut(..objlen)
            .and_then(|dst| record.inflate_uninit(dst))
        {
            done?;
            // SAFETY: `inflate_uninit` wrote all `objlen` bytes, whole values of `T` (a plain
            // number: every bit pattern is valid), within the reserved capacity.
            unsafe { v.set_len(start + objlen / size) };
            return Ok(());
        }
    }
    let mut at = 0usize;
    for (i, len) in record.block_lens().enumerate() {
        v.resize(start + (at + len).div_ceil(size), T::zeroed());
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(v.get_mut(start..).unwrap_or_default());
        let dst = bytes
            .get_mut(at..at + len)
            .ok_or_else(|| Bad::new("internal: short column buffer"))?;
        record.inflate_block(i, dst)?;
        at += len;
    }
    Ok(())
}

/// Appends the offsets of the basket's entries (for jagged layouts) and returns the byte
/// range of its values within the basket's data (`0..border`), after checking it: from the
/// entry-offset table `table` (the bytes after `border`), from `counts`, or from the layout.
fn entries(
    layout: &Layout,
    raw: &RawBasket<'_>,
    border: usize,
    table: &[u8],
    offsets: &mut Option<Vec<u32>>,
    shared: &mut Option<(Offsets, usize)>,
    counts: Option<&[u32]>,
) -> Res<(usize, usize)> {
    let nev = raw.nev as usize;
    let s = layout.elem().size();
    let fixed = |w: usize| {
        let need = nev.checked_mul(w).filter(|&n| n <= border).ok_or_else(|| {
            Bad(format!(
                "{nev} entries of {w} bytes do not fit the basket's {border} bytes"
            ))
        })?;
        Ok((0, need))
    };
    match layout {
        Layout::Scalar(_) => fixed(s),
        Layout::Fixed(_, n) => {
            let r = fixed(s * n)?;
            let o = offsets
                .as_mut()
                .ok_or_else(|| Bad::new("internal: no offsets"))?;
            let base = o.last().copied().unwrap_or(0) as usize;
            offset_after(base, nev.saturating_mul(*n))?;
            o.extend((1..=nev).map(|k| (base + k * n) as u32));
            Ok(r)
        }
        Layout::Counted { per, .. } => {
            if let Some((o, at)) = shared.as_mut() {
                // `read_whole` shares offsets only with an entry-offset table and `per == 1`.
                if table.is_empty() || *per != 1 {
                    return Err(Bad::new("internal: shared offsets for this basket"));
                }
                return check_table(o, at, table, raw.keylen, nev, border, s);
            }
            let o = offsets
                .as_mut()
                .ok_or_else(|| Bad::new("internal: no offsets"))?;
            if table.is_empty() {
                from_counts(o, counts, nev, s * per, *per, border)
            } else {
                from_table(o, table, raw.keylen, nev, border, s, *per)
            }
        }
        Layout::Vector(_) | Layout::VectorVector(_) => {
            Err(Bad::new("internal: vectors take the general path"))
        }
    }
}

/// An entry's start in ROOT's entry-offset table (big-endian i32).
type EntryStart = [u8; 4];

/// ROOT's entry-offset table (an i32 count, then each entry's start, big-endian, counted
/// from the key's start): the starts after the first entry's, and the first entry's start
/// within the basket's data, checked to lie in `0..=border`; `None` for no entries.
fn table_entries(
    table: &[u8],
    keylen: usize,
    nev: usize,
    border: usize,
) -> Res<Option<(&[EntryStart], i64)>> {
    let entries = table.get(4..4 + 4 * nev).ok_or_else(|| {
        Bad(format!(
            "entry-offset table has {} bytes for {nev} entries",
            table.len()
        ))
    })?;
    let (words, _) = entries.as_chunks::<4>();
    let Some((head, rest)) = words.split_first() else {
        return Ok(None);
    };
    let first = i64::from(i32::from_be_bytes(*head)) - keylen as i64;
    if !(0..=border as i64).contains(&first) {
        return Err(Bad(format!("entry offset {first} is outside the basket")));
    }
    Ok(Some((rest, first)))
}

/// Offsets from ROOT's entry-offset table (an i32 count, then one big-endian i32 per entry
/// counted from the key's start), parsed, checked and converted in two vectorized passes.
fn from_table(
    o: &mut Vec<u32>,
    table: &[u8],
    keylen: usize,
    nev: usize,
    border: usize,
    s: usize,
    per: usize,
) -> Res<(usize, usize)> {
    let Some((rest, first)) = table_entries(table, keylen, nev, border)? else {
        return Ok((0, 0)); // no entries
    };
    let border_i = border as i64;
    let base = o.last().copied().unwrap_or(0) as usize;
    let w = (s * per) as i64;
    if w == 0 {
        return Err(Bad::new("entries of zero values in a counted branch"));
    }
    offset_after(base, (border - first as usize) / s)?;
    // Two passes over the (cache-resident) new offsets, each a simple loop that the
    // compiler vectorizes: a single loop carrying the previous offset and the error flags
    // ran scalar and cost as much as the decompression.
    // 1. The end of entry j is the table's entry j + 1 (the last one ends at `border`),
    //    counted from the key's start: relative to the first entry's start, checked to lie
    //    within the values (an offset before the start wraps past them), in whole values,
    //    and converted to a count of values after those already in the column.
    let n0 = o.len();
    o.resize(n0 + nev, 0);
    let dst = o.get_mut(n0..).unwrap_or_default();
    let start = (first + keylen as i64) as u32;
    let span = (border_i - first) as u32;
    let base = base as u32;
    let (mut over, mut stray) = (false, false);
    if per == 1 {
        // Element sizes are powers of two: shifts and masks, no division per entry.
        let (shift, mask) = (s.trailing_zeros(), w as u32 - 1);
        let mut bits = 0u32;
        for (d, c) in dst.iter_mut().zip(rest) {
            let rel = u32::from_be_bytes(*c).wrapping_sub(start);
            over |= rel > span;
            bits |= rel & mask;
            *d = base.wrapping_add(rel >> shift);
        }
        stray = bits != 0 || span & mask != 0;
        if let Some(last) = dst.last_mut() {
            *last = base + (span >> shift);
        }
    } else {
        let (w, per) = (w as u32, per as u32);
        for (d, c) in dst.iter_mut().zip(rest) {
            let rel = u32::from_be_bytes(*c).wrapping_sub(start);
            over |= rel > span;
            stray |= !rel.is_multiple_of(w);
            *d = base.wrapping_add(rel / w * per);
        }
        stray |= !span.is_multiple_of(w);
        if let Some(last) = dst.last_mut() {
            *last = base + span / w * per;
        }
    }
    if over {
        return Err(Bad::new("an entry offset lies outside the basket's values"));
    }
    if stray {
        return Err(Bad(format!(
            "an entry's byte count is not a multiple of {w}"
        )));
    }
    // 2. Non-decreasing (with every end within the values and in whole values, the counts
    //    are ordered as the byte offsets are). Two slices zipped, not `skip(1)`, which keeps
    //    the loop from vectorizing.
    let before = dst.split_last().map_or(&[][..], |(_, init)| init);
    let after = dst.split_first().map_or(&[][..], |(_, tail)| tail);
    let mut bad = false;
    for (a, b) in before.iter().zip(after) {
        bad |= a > b;
    }
    if bad {
        return Err(Bad::new(
            "entry offsets are not increasing within the basket",
        ));
    }
    Ok((first as usize, border))
}

/// `from_table` for a branch whose entries must be those of `shared` (the offsets of a
/// branch with the same counter, read before it in the chunk): the basket's table is checked
/// against `shared[*at..=*at + nev]` in one vectorized pass that writes nothing, and `*at`
/// moves past the basket's entries. Then the column's values are exactly `shared`'s count.
fn check_table(
    shared: &[u32],
    at: &mut usize,
    table: &[u8],
    keylen: usize,
    nev: usize,
    border: usize,
    s: usize,
) -> Res<(usize, usize)> {
    let Some((rest, first)) = table_entries(table, keylen, nev, border)? else {
        return Ok((0, 0)); // no entries
    };
    let expect = shared.get(*at..=*at + nev).ok_or_else(|| {
        Bad::new("the basket has more entries than the branches with the same counter")
    })?;
    let Some((&base, ends)) = expect.split_first() else {
        return Ok((0, 0)); // `*at..=*at + nev` is never empty
    };
    let border_i = border as i64;
    let start = (first + keylen as i64) as u32;
    let span = (border_i - first) as u32;
    let (shift, mask) = (s.trailing_zeros(), s as u32 - 1);
    let (mut over, mut bits, mut differ) = (false, 0u32, false);
    // `rel >> shift` < 2^31 (a basket is smaller than 2 GB): `base +` it cannot wrap to a
    // valid offset.
    for (&e, c) in ends.iter().zip(rest) {
        let rel = u32::from_be_bytes(*c).wrapping_sub(start);
        over |= rel > span;
        bits |= rel & mask;
        differ |= base.wrapping_add(rel >> shift) != e;
    }
    differ |= ends.last() != Some(&base.wrapping_add(span >> shift));
    if over {
        return Err(Bad::new("an entry offset lies outside the basket's values"));
    }
    if bits != 0 || span & mask != 0 {
        return Err(Bad(format!(
            "an entry's byte count is not a multiple of {s}"
        )));
    }
    if differ {
        return Err(Bad::new(
            "the entries hold other numbers of values than in the branches with the same counter",
        ));
    }
    *at += nev;
    Ok((first as usize, border))
}

/// Offsets from the counter branch's values, for baskets written without an offset table.
fn from_counts(
    o: &mut Vec<u32>,
    counts: Option<&[u32]>,
    nev: usize,
    w: usize,
    per: usize,
    border: usize,
) -> Res<(usize, usize)> {
    let counts = counts.ok_or_else(|| Bad::new("basket has no entry offsets and no counter"))?;
    let counts = counts
        .get(..nev)
        .ok_or_else(|| Bad::new("counter branch has fewer entries than the basket"))?;
    let total: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    let bytes = usize::try_from(total)
        .ok()
        .and_then(|t| t.checked_mul(w))
        .filter(|&b| b <= border)
        .ok_or_else(|| {
            Bad(format!(
                "the counter gives {total} values, more than the basket's {border} bytes hold"
            ))
        })?;
    let base = o.last().copied().unwrap_or(0) as usize;
    offset_after(base, (total as usize).saturating_mul(per))?;
    let mut at = base;
    o.extend(counts.iter().map(|&c| {
        at += c as usize * per;
        at as u32
    }));
    Ok((0, bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing, reason = "tests index freely")]

    use super::*;

    /// ROOT's entry-offset table for entries of `counts` 4-byte values after a key of
    /// `keylen` bytes: the count word, then each entry's start counted from the key's start.
    fn offset_table(counts: &[u32], keylen: usize) -> (Vec<u8>, usize) {
        let mut t = ((counts.len() + 1) as i32).to_be_bytes().to_vec();
        let mut at = keylen as u32;
        for c in counts {
            t.extend_from_slice(&at.to_be_bytes());
            at += 4 * c;
        }
        (t, (at as usize) - keylen)
    }

    #[test]
    fn a_table_checked_against_shared_offsets_agrees_with_the_built_ones() {
        let (keylen, counts) = (60, [2u32, 0, 3, 1, 0, 0, 5]);
        let (table, border) = offset_table(&counts, keylen);
        // Built after 4 values of an earlier basket, as the first branch of a chunk does.
        let mut built = vec![0, 4];
        let range = from_table(&mut built, &table, keylen, counts.len(), border, 4, 1)
            .expect("a well-formed table");
        let mut at = 1;
        let checked = check_table(&built, &mut at, &table, keylen, counts.len(), border, 4)
            .expect("the same entries");
        assert_eq!((checked, at), (range, built.len() - 1));
        // One entry with a value more and the next with one fewer: same total, other entries.
        let (other, border2) = offset_table(&[2, 1, 2, 1, 0, 0, 5], keylen);
        assert_eq!(border, border2);
        let err = check_table(&built, &mut 1, &other, keylen, counts.len(), border, 4)
            .expect_err("other entries");
        assert!(err.0.contains("other numbers of values"), "{}", err.0);
        // A table for more entries than are shared, and values that do not add up.
        let err = check_table(&built, &mut 2, &table, keylen, counts.len(), border, 4)
            .expect_err("past the end");
        assert!(err.0.contains("more entries"), "{}", err.0);
        let err = check_table(&built, &mut 1, &table, keylen, counts.len(), border + 4, 4)
            .expect_err("an extra value");
        assert!(err.0.contains("other numbers of values"), "{}", err.0);
    }

    /// 128 blocks whose headers claim 16 MB each (2 GB) over 16 bytes of payload each.
    fn bomb() -> (Vec<u8>, usize) {
        let (claim, payload) = (0xff_ffffusize, [0x78u8; 16]);
        let mut rec = Vec::new();
        for _ in 0..128 {
            rec.extend_from_slice(b"ZL\x08");
            rec.extend_from_slice(&(payload.len() as u32).to_le_bytes()[..3]);
            rec.extend_from_slice(&(claim as u32).to_le_bytes()[..3]);
            rec.extend_from_slice(&payload);
        }
        (rec, 128 * claim)
    }

    #[test]
    fn a_decompression_bomb_touches_at_most_one_block() {
        let (rec, objlen) = bomb();
        let mut v: Vec<f32> = Vec::new();
        let err = inflate_blocks(&mut v, &rec, objlen).expect_err("not zlib data");
        assert!(err.0.contains("zlib"), "{}", err.0);
        assert!(
            v.capacity() * 4 <= 17 << 20,
            "grew to {} bytes",
            v.capacity() * 4
        );
    }

    /// A one-block zlib record of `data`, with the uncompressed size its header claims.
    fn zl(data: &[u8], claim: usize) -> Vec<u8> {
        let mut c =
            libdeflater::Compressor::new(libdeflater::CompressionLvl::new(1).expect("level"));
        let mut z = vec![0u8; c.zlib_compress_bound(data.len())];
        let n = c.zlib_compress(data, &mut z).expect("compresses");
        let mut rec = b"ZL\x08".to_vec();
        rec.extend_from_slice(&(n as u32).to_le_bytes()[..3]);
        rec.extend_from_slice(&(claim as u32).to_le_bytes()[..3]);
        rec.extend_from_slice(&z[..n]);
        rec
    }

    #[test]
    fn one_zlib_block_decompresses_into_uninitialized_memory() {
        let values: Vec<f32> = (0..10_000).map(|i| i as f32 * 0.5).collect();
        let be: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
        // Appended, still big-endian (the caller swaps), after what the column holds.
        let mut v = vec![-1.0f32];
        inflate_blocks(&mut v, &zl(&be, be.len()), be.len()).expect("inflates");
        assert_eq!(v.len(), 10_001);
        assert_eq!(v[0], -1.0);
        let got: &[u8] = bytemuck::cast_slice(&v[1..]);
        assert!(got == &be[..], "the values differ");
        // The general path's whole-record decompression takes the same shortcut.
        let whole = compress::decompress(&zl(&be, be.len()), be.len()).expect("decompresses");
        assert!(whole == be, "the bytes differ");
        // Headers that lie about the size, and damaged data: errors, the column unchanged.
        for (rec, objlen, want) in [
            (zl(&be, be.len() + 4), be.len() + 4, "gives 40000 bytes"),
            (zl(&be, be.len() - 4), be.len() - 4, "InsufficientSpace"),
            (
                {
                    let mut r = zl(&be, be.len());
                    let n = r.len();
                    r[n / 2] ^= 0xff;
                    r
                },
                be.len(),
                "zlib",
            ),
        ] {
            let mut v = vec![-1.0f32];
            let err = inflate_blocks(&mut v, &rec, objlen).expect_err("refused");
            assert!(err.0.contains(want), "{}", err.0);
            assert_eq!(v, vec![-1.0]);
            let err = compress::decompress(&rec, objlen).expect_err("refused");
            assert!(err.0.contains(want), "{}", err.0);
        }
    }
}
