//! Baskets in, engine columns out: the values of a branch over an entry range, as flat
//! arrays (big-endian converted) plus `u32` entry offsets for jagged branches. Input: the
//! decompressed baskets that overlap the range. Output: `InputColumn` (or nested values for
//! `vector<vector<T>>`). Invariant: no allocation per entry; every slice bound was checked
//! against the basket's data first, so lying offsets give an error, never a panic.

use ana_compiler::abi::{ColumnData, InputColumn};

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

fn push_offset(offsets: &mut Vec<u32>, add: usize) -> Res<()> {
    let last = offsets.last().copied().unwrap_or(0) as usize;
    let next = last
        .checked_add(add)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| Bad::new("more than 2^32 values in one read; use smaller chunks"))?;
    offsets.push(next);
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
            inner,
        }
    }

    pub(crate) fn finish(self) -> InputColumn {
        InputColumn {
            data: self.data,
            offsets: self.offsets,
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
                append_be(&mut self.data, slice(data, lo * s, hi * s)?);
            }
            Layout::Fixed(_, n) => {
                let w = s * n;
                append_be(&mut self.data, slice(data, lo * w, hi * w)?);
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
                    let (a, z) = (offs[lo] as usize, offs[hi] as usize);
                    let base = o.last().copied().unwrap_or(0) as usize;
                    // The basket's offsets are non-decreasing and within its data (checked
                    // when it was decoded), so only the total can overflow.
                    base.checked_add((z - a) / s)
                        .filter(|&n| u32::try_from(n).is_ok())
                        .ok_or_else(|| {
                            Bad::new("more than 2^32 values in one read; use smaller chunks")
                        })?;
                    let rel = &offs[lo..=hi];
                    // Element sizes are powers of two: shifts and masks, no division per entry.
                    let shift = s.trailing_zeros();
                    if *per == 1 {
                        let mask = (s - 1) as u32;
                        let mut stray = 0u32;
                        o.extend(rel[1..].iter().map(|&e| {
                            let d = e - rel[0];
                            stray |= d & mask;
                            (base + ((d as usize) >> shift)) as u32
                        }));
                        if stray != 0 {
                            return Err(Bad(format!(
                                "an entry's byte count is not a multiple of {w}"
                            )));
                        }
                    } else {
                        for k in lo..hi {
                            let len = (offs[k + 1] - offs[k]) as usize;
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
                    if counts.len() < hi {
                        return Err(Bad::new("counter branch has fewer entries than the basket"));
                    }
                    let start: usize = counts[..lo].iter().map(|&c| c as usize * w).sum();
                    let mut end = start;
                    for &c in &counts[lo..hi] {
                        push_offset(o, c as usize * per)?;
                        end += c as usize * w;
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
                for k in lo..hi {
                    let e = slice(data, offs[k] as usize, offs[k + 1] as usize)?;
                    let n = vector_len(e, s, k)?;
                    push_offset(o, n)?;
                    append_be(&mut self.data, &e[10..]);
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
                for k in lo..hi {
                    let e = slice(data, offs[k] as usize, offs[k + 1] as usize)?;
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

fn be_u32(e: &[u8], p: usize) -> Res<u32> {
    let b = slice(e, p, p + 4)?;
    Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
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
