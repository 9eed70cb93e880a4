//! Baskets in, engine columns out: the values of a branch over an entry range, as flat
//! arrays (big-endian converted) plus `u32` entry offsets for jagged branches. Input: the
//! decompressed baskets that overlap the range. Output: `InputColumn` (or nested values for
//! `vector<vector<T>>`). Invariant: no allocation per entry; every slice bound was checked
//! against the basket's data first, so lying offsets give an error, never a panic.

use ana_compiler::abi::{ColumnData, InputColumn, Offsets};

use super::basket::Basket;
use super::io::{Bad, Res};
use super::layout::{Elem, Layout};

/// An empty column of `elem`'s type, with room for `cap` values.
pub(crate) fn empty(elem: Elem, cap: usize) -> ColumnData {
    match elem {
        Elem::Bool => ColumnData::Bool(Vec::with_capacity(cap)),
        Elem::I8 => ColumnData::I8(Vec::with_capacity(cap)),
        Elem::U8 => ColumnData::U8(Vec::with_capacity(cap)),
        Elem::I16 => ColumnData::I16(Vec::with_capacity(cap)),
        Elem::U16 => ColumnData::U16(Vec::with_capacity(cap)),
        Elem::I32 => ColumnData::I32(Vec::with_capacity(cap)),
        Elem::U32 => ColumnData::U32(Vec::with_capacity(cap)),
        Elem::I64 => ColumnData::I64(Vec::with_capacity(cap)),
        Elem::U64 => ColumnData::U64(Vec::with_capacity(cap)),
        Elem::F32 => ColumnData::F32(Vec::with_capacity(cap)),
        Elem::F64 => ColumnData::F64(Vec::with_capacity(cap)),
    }
}

macro_rules! extend_be {
    ($v:expr, $bytes:expr, $t:ty, $n:literal) => {
        $v.extend($bytes.chunks_exact($n).map(|c| {
            let mut a = [0u8; $n];
            a.copy_from_slice(c);
            <$t>::from_be_bytes(a)
        }))
    };
}

/// Appends big-endian values (`bytes.len()` a multiple of the element size, checked by
/// the caller) to `data`.
pub(crate) fn append_be(data: &mut ColumnData, bytes: &[u8]) {
    match data {
        ColumnData::Bool(v) => v.extend(bytes.iter().map(|&b| b != 0)),
        ColumnData::I8(v) => v.extend(bytes.iter().map(|&b| b as i8)),
        ColumnData::U8(v) => v.extend_from_slice(bytes),
        ColumnData::I16(v) => extend_be!(v, bytes, i16, 2),
        ColumnData::U16(v) => extend_be!(v, bytes, u16, 2),
        ColumnData::I32(v) => extend_be!(v, bytes, i32, 4),
        ColumnData::U32(v) => extend_be!(v, bytes, u32, 4),
        ColumnData::I64(v) => extend_be!(v, bytes, i64, 8),
        ColumnData::U64(v) => extend_be!(v, bytes, u64, 8),
        ColumnData::F32(v) => extend_be!(v, bytes, f32, 4),
        ColumnData::F64(v) => extend_be!(v, bytes, f64, 8),
    }
}

/// Accumulates one column across baskets.
pub(crate) struct Builder {
    pub data: ColumnData,
    pub offsets: Option<Vec<u32>>,
    /// Instead of `offsets`: those of a branch with the same counter read before in the
    /// chunk, and how many of their entries this column's baskets have matched so far.
    pub shared: Option<(Offsets, usize)>,
    /// For `vector<vector<T>>`: inner-list offsets (outer offsets index into these).
    pub inner: Option<Vec<u32>>,
}

fn slice(data: &[u8], a: usize, b: usize) -> Res<&[u8]> {
    data.get(a..b).ok_or_else(|| {
        Bad(format!(
            "entry bytes {a}..{b} lie outside the basket's {} bytes",
            data.len()
        ))
    })
}

/// Bytes `lo * w .. hi * w` of `data`: entries `lo..hi` of `w` bytes each.
fn entries(data: &[u8], lo: usize, hi: usize, w: usize) -> Res<&[u8]> {
    match (lo.checked_mul(w), hi.checked_mul(w)) {
        (Some(a), Some(b)) => slice(data, a, b),
        _ => Err(Bad(format!(
            "entries {lo}..{hi} of {w} bytes each overflow the address space"
        ))),
    }
}

/// The offset `add` values after `base`, which must fit the columns' `u32` offsets.
pub(crate) fn offset_after(base: usize, add: usize) -> Res<u32> {
    base.checked_add(add)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| Bad::new("more than 2^32 values in one read; use smaller chunks"))
}

fn push_offset(offsets: &mut Vec<u32>, add: usize) -> Res<()> {
    let last = offsets.last().copied().unwrap_or(0) as usize;
    offsets.push(offset_after(last, add)?);
    Ok(())
}

impl Builder {
    pub(crate) fn new(layout: &Layout, cap_values: usize, cap_entries: usize) -> Self {
        let jagged = !matches!(layout, Layout::Scalar(_));
        let mut offsets = jagged.then(|| Vec::with_capacity(cap_entries + 1));
        if let Some(o) = offsets.as_mut() {
            o.push(0);
        }
        let inner = matches!(layout, Layout::VectorVector(_)).then(|| vec![0u32]);
        Builder {
            data: empty(layout.elem(), cap_values),
            offsets,
            shared: None,
            inner,
        }
    }

    pub(crate) fn finish(self) -> InputColumn {
        InputColumn {
            data: self.data,
            offsets: match self.shared {
                Some((o, _)) => Some(o),
                None => self.offsets.map(Offsets::new),
            },
        }
    }

    /// Appends entries `lo..hi` of basket `b`. `counts` gives the counter's values for all
    /// of the basket's entries when the basket has no entry offsets (generated offsets).
    pub(crate) fn append(
        &mut self,
        layout: &Layout,
        b: &Basket,
        lo: usize,
        hi: usize,
        counts: Option<&[u32]>,
    ) -> Res<()> {
        let data = b.data();
        let s = layout.elem().size();
        match layout {
            Layout::Scalar(_) => {
                append_be(&mut self.data, entries(data, lo, hi, s)?);
            }
            Layout::Fixed(_, n) => {
                let w = s * n;
                append_be(&mut self.data, entries(data, lo, hi, w)?);
                if let Some(o) = self.offsets.as_mut() {
                    for _ in lo..hi {
                        push_offset(o, *n)?;
                    }
                }
            }
            Layout::Counted { per, .. } => {
                let w = s * per;
                let o = self
                    .offsets
                    .as_mut()
                    .ok_or_else(|| Bad::new("internal: no offsets"))?;
                if let Some(offs) = &b.offsets {
                    // `lo <= hi <= nev` and the basket has `nev + 1` offsets, but checking is
                    // cheap (once per basket).
                    let rel = entry_bounds(offs, lo, hi)?;
                    let (&first, rest) = rel
                        .split_first()
                        .ok_or_else(|| Bad::new("internal: empty entry range"))?;
                    let (a, z) = (
                        first as usize,
                        rest.last().copied().unwrap_or(first) as usize,
                    );
                    let base = o.last().copied().unwrap_or(0) as usize;
                    // The basket's offsets are non-decreasing and within its data (checked
                    // when it was decoded), so only the total can overflow.
                    offset_after(base, (z - a) / s)?;
                    // Element sizes are powers of two: shifts and masks, no division per entry.
                    let shift = s.trailing_zeros();
                    if *per == 1 {
                        let mask = (s - 1) as u32;
                        let mut stray = 0u32;
                        o.extend(rest.iter().map(|&e| {
                            let d = e - first;
                            stray |= d & mask;
                            (base + ((d as usize) >> shift)) as u32
                        }));
                        if stray != 0 {
                            return Err(Bad(format!(
                                "an entry's byte count is not a multiple of {w}"
                            )));
                        }
                    } else {
                        for (k, (start, end)) in (lo..).zip(rel.iter().zip(rest)) {
                            let len = (end - start) as usize;
                            if !len.is_multiple_of(w) {
                                return Err(Bad(format!(
                                    "entry {k} has {len} bytes, not a multiple of {w}"
                                )));
                            }
                            push_offset(o, len >> shift)?;
                        }
                    }
                    append_be(&mut self.data, slice(data, a, z)?);
                } else {
                    let counts = counts
                        .ok_or_else(|| Bad::new("basket has no entry offsets and no counter"))?;
                    let (Some(before), Some(these)) = (counts.get(..lo), counts.get(lo..hi)) else {
                        return Err(Bad::new("counter branch has fewer entries than the basket"));
                    };
                    // Counter values and `per` come from the file: sum with checked arithmetic.
                    let too_many = || Bad::new("counter values overflow the basket's size");
                    let bytes = |c: u32| (c as usize).checked_mul(w).ok_or_else(too_many);
                    let start = before.iter().try_fold(0usize, |acc, &c| {
                        acc.checked_add(bytes(c)?).ok_or_else(too_many)
                    })?;
                    let mut end = start;
                    for &c in these {
                        push_offset(o, (c as usize).checked_mul(*per).ok_or_else(too_many)?)?;
                        end = end.checked_add(bytes(c)?).ok_or_else(too_many)?;
                    }
                    append_be(&mut self.data, slice(data, start, end)?);
                }
            }
            Layout::Vector(_) => {
                let offs = b
                    .offsets
                    .as_ref()
                    .ok_or_else(|| Bad::new("vector basket has no entry offsets"))?;
                let o = self
                    .offsets
                    .as_mut()
                    .ok_or_else(|| Bad::new("internal: no offsets"))?;
                let bounds = entry_bounds(offs, lo, hi)?;
                for (k, (a, z)) in (lo..).zip(bounds.iter().zip(bounds.iter().skip(1))) {
                    let e = slice(data, *a as usize, *z as usize)?;
                    let n = vector_len(e, s, k)?;
                    push_offset(o, n)?;
                    append_be(&mut self.data, e.get(10..).unwrap_or_default());
                }
            }
            Layout::VectorVector(_) => {
                let offs = b
                    .offsets
                    .as_ref()
                    .ok_or_else(|| Bad::new("vector basket has no entry offsets"))?;
                let outer = self
                    .offsets
                    .as_mut()
                    .ok_or_else(|| Bad::new("internal: no offsets"))?;
                let inner = self
                    .inner
                    .as_mut()
                    .ok_or_else(|| Bad::new("internal: no offsets"))?;
                let bounds = entry_bounds(offs, lo, hi)?;
                for (k, (a, z)) in (lo..).zip(bounds.iter().zip(bounds.iter().skip(1))) {
                    let e = slice(data, *a as usize, *z as usize)?;
                    if e.is_empty() {
                        push_offset(outer, 0)?;
                        continue;
                    }
                    let n_outer = be_u32(e, 6)? as usize;
                    if n_outer > e.len() / 4 {
                        return Err(Bad(format!("entry {k} claims {n_outer} inner vectors")));
                    }
                    let mut p = 10;
                    for _ in 0..n_outer {
                        let n = be_u32(e, p)? as usize;
                        let bytes = n
                            .checked_mul(s)
                            .ok_or_else(|| Bad::new("inner length overflows"))?;
                        let v = slice(e, p + 4, p + 4 + bytes)?;
                        append_be(&mut self.data, v);
                        push_offset(inner, n)?;
                        p += 4 + bytes;
                    }
                    if p != e.len() {
                        return Err(Bad(format!(
                            "entry {k}: {} bytes left after its vectors",
                            e.len() - p
                        )));
                    }
                    push_offset(outer, n_outer)?;
                }
            }
        }
        Ok(())
    }
}

/// The offsets of entries `lo..hi` of a basket and the end of the last (`hi - lo + 1`).
fn entry_bounds(offs: &[u32], lo: usize, hi: usize) -> Res<&[u32]> {
    offs.get(lo..=hi)
        .ok_or_else(|| Bad(format!("entries {lo}..{hi} are not in the basket")))
}

fn be_u32(e: &[u8], p: usize) -> Res<u32> {
    let b = slice(e, p, p.saturating_add(4))?;
    let b: [u8; 4] = b
        .try_into()
        .map_err(|_| Bad::new("internal: not 4 bytes"))?;
    Ok(u32::from_be_bytes(b))
}

/// The element count of one serialized `std::vector<T>` entry (10-byte header: byte count,
/// version, length), checked against the entry's size.
fn vector_len(e: &[u8], s: usize, k: usize) -> Res<usize> {
    let n = be_u32(e, 6).map_err(|_| {
        Bad(format!(
            "entry {k}: {} bytes, shorter than a vector header",
            e.len()
        ))
    })? as usize;
    if n.checked_mul(s).and_then(|b| b.checked_add(10)) != Some(e.len()) {
        return Err(Bad(format!(
            "entry {k}: vector of {n} values in {} bytes",
            e.len()
        )));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing, reason = "tests index freely")]

    use super::*;
    use crate::root::layout::Elem;

    fn basket(nev: u32, data: Vec<u8>, offsets: Option<Vec<u32>>) -> Basket {
        Basket {
            nev,
            border: data.len(),
            buf: data,
            offsets,
        }
    }

    /// `T[N]` with a huge `N` from the file: entry byte positions overflow `usize`, which
    /// must be an error (it was an arithmetic-overflow panic in debug builds).
    #[test]
    fn huge_fixed_array_is_an_error() {
        let layout = Layout::Fixed(Elem::F64, i32::MAX as usize);
        let b = basket(u32::MAX, vec![0; 16], None);
        let mut out = Builder::new(&layout, 0, 0);
        let e = out
            .append(&layout, &b, 1 << 31, 1 << 31 | 1, None)
            .unwrap_err();
        assert!(e.0.contains("overflow"), "{e:?}");
    }

    /// Generated entry offsets: lengths come from the counter branch times `N` of `T[n][N]`,
    /// both from the file; their byte total must not overflow.
    #[test]
    fn huge_counter_values_are_an_error() {
        let layout = Layout::Counted {
            elem: Elem::F64,
            per: i32::MAX as usize,
            counter: "n".to_string(),
        };
        let b = basket(2, vec![0; 16], None);
        let counts = [u32::MAX, u32::MAX];
        let mut out = Builder::new(&layout, 0, 0);
        let e = out.append(&layout, &b, 1, 2, Some(&counts)).unwrap_err();
        assert!(e.0.contains("overflow"), "{e:?}");
    }

    #[test]
    fn entries_outside_the_basket_are_an_error() {
        let layout = Layout::Vector(Elem::I32);
        let b = basket(1, vec![0; 10], Some(vec![0, 10]));
        let mut out = Builder::new(&layout, 0, 0);
        assert!(out.append(&layout, &b, 0, 3, None).is_err());
    }
}
