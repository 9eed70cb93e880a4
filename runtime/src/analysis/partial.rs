//! Partial results: what one chunk (or several merged in order) adds to a run, and its
//! compact byte form, which a distributed run ships between processes.
//!
//! Format (version 1, all integers little-endian): the magic `ANAPART\0`, a `u32` version,
//! `u64` entries; `u32` histograms, each `u64` bins, a `u8` 1 when sums of squared weights
//! follow, then the `f64` sums; `u32` cutflow counts as `u64`; `u32` tables, each `u32`
//! columns, each a `u8` type (0 bool, 1 i32, 2 i64, 3 f32, 4 f64), `u64` rows and the values
//! (a bool as one byte). Decoding checks every length against the bytes left before it
//! allocates, so damaged bytes are an error, never a panic or a huge allocation.
//! Invariant: merging partials in chunk order gives the same results as one pass.

use ana_compiler::abi::{ChunkOutput, HistBuffer, OutColumn, TableBuffer};
use ana_compiler::graph::Graph;

use crate::exec::add_counts;

const MAGIC: &[u8; 8] = b"ANAPART\0";
/// Bumped whenever the layout changes: a reader refuses other versions by name.
pub const VERSION: u32 = 1;

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
        let hist_shape = |h: &HistBuffer| (h.sumw.len(), h.sumw2.as_ref().map(Vec::len));
        if a.hists.len() != b.hists.len()
            || a.hists
                .iter()
                .map(hist_shape)
                .ne(b.hists.iter().map(hist_shape))
        {
            return Err(PartialError::Mismatch("histograms differ".into()));
        }
        if a.cutflow.len() != b.cutflow.len() {
            return Err(PartialError::Mismatch("regions differ".into()));
        }
        let kinds = |t: &TableBuffer| t.columns.iter().map(kind).collect::<Vec<_>>();
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
            w.push(u8::from(h.sumw2.is_some()));
            put_f64s(&mut w, &h.sumw);
            if let Some(w2) = &h.sumw2 {
                put_f64s(&mut w, w2);
            }
        }
        put_len32(&mut w, out.cutflow.len());
        for c in &out.cutflow {
            w.extend_from_slice(&c.to_le_bytes());
        }
        put_len32(&mut w, out.tables.len());
        for t in &out.tables {
            put_len32(&mut w, t.columns.len());
            for c in &t.columns {
                w.push(kind(c));
                w.extend_from_slice(&(c.len() as u64).to_le_bytes());
                match c {
                    OutColumn::Bool(v) => w.extend(v.iter().map(|&b| u8::from(b))),
                    OutColumn::I32(v) => {
                        v.iter().for_each(|x| w.extend_from_slice(&x.to_le_bytes()))
                    }
                    OutColumn::I64(v) => {
                        v.iter().for_each(|x| w.extend_from_slice(&x.to_le_bytes()))
                    }
                    OutColumn::F32(v) => {
                        v.iter().for_each(|x| w.extend_from_slice(&x.to_le_bytes()))
                    }
                    OutColumn::F64(v) => put_f64s(&mut w, v),
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
            .map(|h| 8 * (h.sumw.len() + h.sumw2.as_ref().map_or(0, Vec::len)))
            .sum();
        let tables: usize = self
            .output
            .tables
            .iter()
            .flat_map(|t| &t.columns)
            .map(|c| 8 * c.len())
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
            let weighted = match r.u8()? {
                0 => false,
                1 => true,
                other => return Err(damaged(format!("a histogram flag of {other}"))),
            };
            let sumw = r.f64s(bins)?;
            let sumw2 = if weighted { Some(r.f64s(bins)?) } else { None };
            hists.push(HistBuffer { sumw, sumw2 });
        }
        let n_cuts = r.count32(8)?;
        let cutflow = (0..n_cuts).map(|_| r.u64()).collect::<Result<_, _>>()?;
        let n_tables = r.count32(4)?;
        let mut tables = Vec::with_capacity(n_tables);
        for _ in 0..n_tables {
            let n_cols = r.count32(9)?;
            let mut columns = Vec::with_capacity(n_cols);
            for _ in 0..n_cols {
                let tag = r.u8()?;
                let size = match tag {
                    0 => 1,
                    1 | 3 => 4,
                    2 | 4 => 8,
                    other => return Err(damaged(format!("a column type of {other}"))),
                };
                let rows = r.count(size)?;
                let raw = r.take(rows * size)?;
                columns.push(match tag {
                    0 => OutColumn::Bool(raw.iter().map(|&b| b != 0).collect()),
                    1 => OutColumn::I32(words(raw).map(i32::from_le_bytes).collect()),
                    2 => OutColumn::I64(words(raw).map(i64::from_le_bytes).collect()),
                    3 => OutColumn::F32(words(raw).map(f32::from_le_bytes).collect()),
                    _ => OutColumn::F64(words(raw).map(f64::from_le_bytes).collect()),
                });
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
            },
        })
    }
}

fn kind(c: &OutColumn) -> u8 {
    match c {
        OutColumn::Bool(_) => 0,
        OutColumn::I32(_) => 1,
        OutColumn::I64(_) => 2,
        OutColumn::F32(_) => 3,
        OutColumn::F64(_) => 4,
    }
}

/// Appends `b`'s values to `a`'s; columns of different types were refused by the shape check.
fn append(a: &mut OutColumn, b: OutColumn) {
    match (a, b) {
        (OutColumn::Bool(a), OutColumn::Bool(b)) => a.extend(b),
        (OutColumn::I32(a), OutColumn::I32(b)) => a.extend(b),
        (OutColumn::I64(a), OutColumn::I64(b)) => a.extend(b),
        (OutColumn::F32(a), OutColumn::F32(b)) => a.extend(b),
        (OutColumn::F64(a), OutColumn::F64(b)) => a.extend(b),
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

    fn f64s(&mut self, n: usize) -> Result<Vec<f64>, PartialError> {
        let raw = self.take(n.saturating_mul(8))?;
        Ok(words(raw).map(f64::from_le_bytes).collect())
    }
}

#[cfg(test)]
mod tests;
