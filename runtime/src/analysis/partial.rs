//! Partial results: what one chunk (or several merged in order) adds to a run, and its
//! compact byte form, which a distributed run ships between processes.
//!
//! Format (version 2, all integers little-endian): the magic `ANAPART\0`, a `u32` version,
//! `u64` entries; `u32` histograms, each `u64` bins, a `u8` of flags (1: sums of squared
//! weights follow, 2: a profile's two sums follow), then the `f64` arrays (`sumw`, `sumw2`,
//! `sumwx`, `sumwx2`, those present); `u32` region counts as `u64`; `u32` missing-fill counts
//! as `u64`; `u32` named cutflows, each `u32` rows, the events as `u64` and the sums of
//! weights as `f64`; `u32` tables, each `u32` columns, each a `u8` type (0 bool, 1 i8, 2 u8,
//! 3 i16, 4 u16, 5 i32, 6 u32, 7 i64, 8 u64, 9 f32, 10 f64), `u64` values and the values (a
//! bool as one byte), then a `u8` 1 and `u64` row offsets (`rows + 1` of them) for a list
//! column, else 0. Decoding checks every length against the bytes left before it allocates,
//! so damaged bytes are an error, never a panic or a huge allocation.
//! Invariant: merging partials in chunk order gives the same results as one pass.

use ana_compiler::abi::{
    ChunkOutput, CutflowBuffer, HistBuffer, OutColumn, OutValues, TableBuffer,
};
use ana_compiler::graph::Graph;

use crate::exec::add_counts;

const MAGIC: &[u8; 8] = b"ANAPART\0";
/// Bumped whenever the layout changes: a reader refuses other versions by name.
pub const VERSION: u32 = 2;

/// The partial results of some chunks: histograms, cutflow counts and table rows, with the
/// entries they cover.
#[derive(Clone, Debug, PartialEq)]
pub struct Partial {
    pub entries: u64,
    pub output: ChunkOutput,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PartialError {
    #[error("not ana partial results (no ANAPART header)")]
    NotPartial,
    #[error("partial results of format version {0}, this ana reads version {VERSION}")]
    Version(u32),
    #[error("damaged partial results: {0}")]
    Damaged(String),
    #[error("partial results of another script cannot be merged: {0}")]
    Mismatch(String),
}

impl Partial {
    /// No entries yet: zeroed histograms and counts, empty tables.
    pub fn empty(graph: &Graph) -> Partial {
        Partial {
            entries: 0,
            output: ChunkOutput::new(graph),
        }
    }

    /// Adds `next` (the partial of the chunks that follow this one's) to this one.
    pub fn merge(&mut self, next: Partial) -> Result<(), PartialError> {
        self.check_shape(&next)?;
        add_counts(&mut self.output, &next.output);
        for (acc, t) in self.output.tables.iter_mut().zip(next.output.tables) {
            for (a, c) in acc.columns.iter_mut().zip(t.columns) {
                append(a, c);
            }
        }
        self.entries += next.entries;
        Ok(())
    }

    fn check_shape(&self, other: &Partial) -> Result<(), PartialError> {
        let (a, b) = (&self.output, &other.output);
        let hist_shape = |h: &HistBuffer| h.arrays().map(Vec::len).collect::<Vec<_>>();
        if a.hists.len() != b.hists.len()
            || a.hists
                .iter()
                .map(hist_shape)
                .ne(b.hists.iter().map(hist_shape))
        {
            return Err(PartialError::Mismatch("histograms differ".into()));
        }
        if a.cutflow.len() != b.cutflow.len() || a.missing.len() != b.missing.len() {
            return Err(PartialError::Mismatch("regions differ".into()));
        }
        let rows = |c: &CutflowBuffer| (c.events.len(), c.sumw.len());
        if a.cutflows.iter().map(rows).ne(b.cutflows.iter().map(rows)) {
            return Err(PartialError::Mismatch("cutflows differ".into()));
        }
        let kinds = |t: &TableBuffer| {
            t.columns
                .iter()
                .map(|c| (kind(&c.values), c.offsets.is_some()))
                .collect::<Vec<_>>()
        };
        if a.tables.iter().map(kinds).ne(b.tables.iter().map(kinds)) {
            return Err(PartialError::Mismatch("tables differ".into()));
        }
        Ok(())
    }

    /// The versioned byte form (see the module doc).
    pub fn to_bytes(&self) -> Vec<u8> {
        let out = &self.output;
        let mut w = Vec::with_capacity(64 + self.payload_bytes());
        w.extend_from_slice(MAGIC);
        w.extend_from_slice(&VERSION.to_le_bytes());
        w.extend_from_slice(&self.entries.to_le_bytes());
        put_len32(&mut w, out.hists.len());
        for h in &out.hists {
            w.extend_from_slice(&(h.sumw.len() as u64).to_le_bytes());
            w.push(u8::from(h.sumw2.is_some()) | (u8::from(h.sumwx.is_some()) << 1));
            for a in h.arrays() {
                put_f64s(&mut w, a);
            }
        }
        for counts in [&out.cutflow, &out.missing] {
            put_len32(&mut w, counts.len());
            for c in counts {
                w.extend_from_slice(&c.to_le_bytes());
            }
        }
        put_len32(&mut w, out.cutflows.len());
        for c in &out.cutflows {
            put_len32(&mut w, c.events.len());
            c.events
                .iter()
                .for_each(|x| w.extend_from_slice(&x.to_le_bytes()));
            put_f64s(&mut w, &c.sumw);
        }
        put_len32(&mut w, out.tables.len());
        for t in &out.tables {
            put_len32(&mut w, t.columns.len());
            for c in &t.columns {
                w.push(kind(&c.values));
                w.extend_from_slice(&(c.values.len() as u64).to_le_bytes());
                macro_rules! put {
                    ($v:expr) => {
                        $v.iter()
                            .for_each(|x| w.extend_from_slice(&x.to_le_bytes()))
                    };
                }
                match &c.values {
                    OutValues::Bool(v) => w.extend(v.iter().map(|&b| u8::from(b))),
                    OutValues::I8(v) => put!(v),
                    OutValues::U8(v) => put!(v),
                    OutValues::I16(v) => put!(v),
                    OutValues::U16(v) => put!(v),
                    OutValues::I32(v) => put!(v),
                    OutValues::U32(v) => put!(v),
                    OutValues::I64(v) => put!(v),
                    OutValues::U64(v) => put!(v),
                    OutValues::F32(v) => put!(v),
                    OutValues::F64(v) => put!(v),
                }
                match &c.offsets {
                    Some(o) => {
                        w.push(1);
                        w.extend_from_slice(&(o.len() as u64).to_le_bytes());
                        put!(o);
                    }
                    None => w.push(0),
                }
            }
        }
        w
    }

    fn payload_bytes(&self) -> usize {
        let hists: usize = self
            .output
            .hists
            .iter()
            .map(|h| 8 * h.arrays().map(Vec::len).sum::<usize>())
            .sum();
        let tables: usize = self
            .output
            .tables
            .iter()
            .flat_map(|t| &t.columns)
            .map(|c| 8 * (c.values.len() + c.offsets.as_ref().map_or(0, Vec::len)))
            .sum();
        hists + tables + 8 * self.output.cutflow.len()
    }

    /// Reads [`Partial::to_bytes`]'s form back.
    pub fn from_bytes(bytes: &[u8]) -> Result<Partial, PartialError> {
        let mut r = Reader { bytes };
        if r.take(MAGIC.len()).ok() != Some(MAGIC.as_slice()) {
            return Err(PartialError::NotPartial);
        }
        let version = r.u32()?;
        if version != VERSION {
            return Err(PartialError::Version(version));
        }
        let entries = r.u64()?;
        let n_hists = r.count32(9)?;
        let mut hists = Vec::with_capacity(n_hists);
        for _ in 0..n_hists {
            let bins = r.count(8)?;
            let flags = r.u8()?;
            if flags > 3 {
                return Err(damaged(format!("histogram flags of {flags}")));
            }
            let sumw = r.f64s(bins)?;
            let sumw2 = if flags & 1 != 0 {
                Some(r.f64s(bins)?)
            } else {
                None
            };
            let (sumwx, sumwx2) = if flags & 2 != 0 {
                (Some(r.f64s(bins)?), Some(r.f64s(bins)?))
            } else {
                (None, None)
            };
            hists.push(HistBuffer {
                sumw,
                sumw2,
                sumwx,
                sumwx2,
            });
        }
        let n_cuts = r.count32(8)?;
        let cutflow = (0..n_cuts).map(|_| r.u64()).collect::<Result<_, _>>()?;
        let n_missing = r.count32(8)?;
        let missing = (0..n_missing).map(|_| r.u64()).collect::<Result<_, _>>()?;
        let n_cutflows = r.count32(4)?;
        let mut cutflows = Vec::with_capacity(n_cutflows);
        for _ in 0..n_cutflows {
            let rows = r.count32(16)?;
            let events = (0..rows).map(|_| r.u64()).collect::<Result<_, _>>()?;
            let sumw = r.f64s(rows)?;
            cutflows.push(CutflowBuffer { events, sumw });
        }
        let n_tables = r.count32(4)?;
        let mut tables = Vec::with_capacity(n_tables);
        for _ in 0..n_tables {
            let n_cols = r.count32(10)?;
            let mut columns = Vec::with_capacity(n_cols);
            for _ in 0..n_cols {
                columns.push(r.column()?);
            }
            tables.push(TableBuffer { columns });
        }
        if r.left() != 0 {
            return Err(damaged(format!("{} bytes after the end", r.left())));
        }
        Ok(Partial {
            entries,
            output: ChunkOutput {
                hists,
                tables,
                cutflow,
                missing,
                cutflows,
            },
        })
    }
}

fn kind(v: &OutValues) -> u8 {
    match v {
        OutValues::Bool(_) => 0,
        OutValues::I8(_) => 1,
        OutValues::U8(_) => 2,
        OutValues::I16(_) => 3,
        OutValues::U16(_) => 4,
        OutValues::I32(_) => 5,
        OutValues::U32(_) => 6,
        OutValues::I64(_) => 7,
        OutValues::U64(_) => 8,
        OutValues::F32(_) => 9,
        OutValues::F64(_) => 10,
    }
}

/// Appends `b`'s rows to `a`'s (list offsets continued from `a`'s last); columns of
/// different types were refused by the shape check.
fn append(a: &mut OutColumn, b: OutColumn) {
    if let (Some(ao), Some(bo)) = (&mut a.offsets, &b.offsets) {
        let base = ao.last().copied().unwrap_or(0);
        let first = bo.first().copied().unwrap_or(0);
        if ao.is_empty() {
            ao.push(0);
        }
        ao.extend(bo.iter().skip(1).map(|&x| base + (x - first)));
    }
    match (&mut a.values, b.values) {
        (OutValues::Bool(a), OutValues::Bool(b)) => a.extend(b),
        (OutValues::I8(a), OutValues::I8(b)) => a.extend(b),
        (OutValues::U8(a), OutValues::U8(b)) => a.extend(b),
        (OutValues::I16(a), OutValues::I16(b)) => a.extend(b),
        (OutValues::U16(a), OutValues::U16(b)) => a.extend(b),
        (OutValues::I32(a), OutValues::I32(b)) => a.extend(b),
        (OutValues::U32(a), OutValues::U32(b)) => a.extend(b),
        (OutValues::I64(a), OutValues::I64(b)) => a.extend(b),
        (OutValues::U64(a), OutValues::U64(b)) => a.extend(b),
        (OutValues::F32(a), OutValues::F32(b)) => a.extend(b),
        (OutValues::F64(a), OutValues::F64(b)) => a.extend(b),
        _ => {}
    }
}

fn put_len32(w: &mut Vec<u8>, n: usize) {
    // Counts of histograms, regions, tables and columns come from a script, far below 2^32.
    w.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

fn put_f64s(w: &mut Vec<u8>, v: &[f64]) {
    for x in v {
        w.extend_from_slice(&x.to_le_bytes());
    }
}

fn damaged(what: String) -> PartialError {
    PartialError::Damaged(what)
}

/// `N`-byte little-endian words of `raw` (whose length is a multiple of `N`).
fn words<const N: usize>(raw: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
    raw.chunks_exact(N)
        .map(|c| <[u8; N]>::try_from(c).unwrap_or([0; N]))
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn left(&self) -> usize {
        self.bytes.len()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], PartialError> {
        if n > self.bytes.len() {
            return Err(damaged(format!(
                "{n} bytes wanted, {} left (truncated?)",
                self.bytes.len()
            )));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], PartialError> {
        let raw = self.take(N)?;
        <[u8; N]>::try_from(raw).map_err(|_| damaged("a short read".into()))
    }

    fn u8(&mut self) -> Result<u8, PartialError> {
        self.array().map(u8::from_le_bytes)
    }

    fn u32(&mut self) -> Result<u32, PartialError> {
        self.array().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Result<u64, PartialError> {
        self.array().map(u64::from_le_bytes)
    }

    /// A `u64` count of items of `size` bytes each, which must fit in the bytes left.
    fn count(&mut self, size: usize) -> Result<usize, PartialError> {
        let n = self.u64()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n.checked_mul(size).is_some_and(|b| b <= self.left()))
            .ok_or_else(|| damaged(format!("a count of {n} past the end")))
    }

    /// A `u32` count of items of at least `size` bytes each.
    fn count32(&mut self, size: usize) -> Result<usize, PartialError> {
        let n = self.u32()? as usize;
        if n.saturating_mul(size) > self.left() {
            return Err(damaged(format!("a count of {n} past the end")));
        }
        Ok(n)
    }

    /// One table column (see the module doc).
    fn column(&mut self) -> Result<OutColumn, PartialError> {
        let tag = self.u8()?;
        let size = match tag {
            0..=2 => 1,
            3 | 4 => 2,
            5 | 6 | 9 => 4,
            7 | 8 | 10 => 8,
            other => return Err(damaged(format!("a column type of {other}"))),
        };
        let n = self.count(size)?;
        let raw = self.take(n * size)?;
        let values = match tag {
            0 => OutValues::Bool(raw.iter().map(|&b| b != 0).collect()),
            1 => OutValues::I8(words(raw).map(i8::from_le_bytes).collect()),
            2 => OutValues::U8(raw.to_vec()),
            3 => OutValues::I16(words(raw).map(i16::from_le_bytes).collect()),
            4 => OutValues::U16(words(raw).map(u16::from_le_bytes).collect()),
            5 => OutValues::I32(words(raw).map(i32::from_le_bytes).collect()),
            6 => OutValues::U32(words(raw).map(u32::from_le_bytes).collect()),
            7 => OutValues::I64(words(raw).map(i64::from_le_bytes).collect()),
            8 => OutValues::U64(words(raw).map(u64::from_le_bytes).collect()),
            9 => OutValues::F32(words(raw).map(f32::from_le_bytes).collect()),
            _ => OutValues::F64(words(raw).map(f64::from_le_bytes).collect()),
        };
        let offsets = match self.u8()? {
            0 => None,
            1 => {
                let k = self.count(8)?;
                let raw = self.take(k * 8)?;
                let o: Vec<u64> = words(raw).map(u64::from_le_bytes).collect();
                let ordered = o.windows(2).all(|w| w.first() <= w.get(1));
                if !ordered || o.last().copied().unwrap_or(0) != n as u64 {
                    return Err(damaged("list offsets out of order or range".into()));
                }
                Some(o)
            }
            other => return Err(damaged(format!("a list flag of {other}"))),
        };
        Ok(OutColumn { values, offsets })
    }

    fn f64s(&mut self, n: usize) -> Result<Vec<f64>, PartialError> {
        let raw = self.take(n.saturating_mul(8))?;
        Ok(words(raw).map(f64::from_le_bytes).collect())
    }
}

#[cfg(test)]
mod tests;
