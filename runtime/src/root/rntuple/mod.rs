//! An RNTuple (ROOT's columnar format, 1.0): its fields as branches, chunk planning on
//! cluster boundaries, and column reads in the same layout as a TTree's (flat values plus
//! entry offsets), so that engines, schema and checker do not tell the formats apart.
//!
//! Input: the `ROOT::RNTuple` anchor key. Output: [`RNTuple`] (cheap to clone, `Send +
//! Sync`). Which part does what: `meta` (anchor, envelopes, frames, page lists), `fields`
//! (which fields are branches, and of what shape), `decode` (column encodings). Invariants:
//! only the pages overlapping a read's entries are read, straight from the mapped file, and
//! decompressed in parallel when called from outside rayon's pool (as baskets are); every
//! page's size (and checksum, when stored) is checked before it is decoded; an error names
//! the file, the RNTuple, the field and, for a page, its cluster and number.

mod decode;
mod fields;
mod meta;

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use ana_compiler::abi::{ColumnData, InputColumn, Offsets};
use ana_compiler::schema::{Schema, SchemaBranch};

use super::column::{empty, offset_after};
use super::compress::Codec;
use super::directory::{self, Entry};
use super::io::{Bad, Res, Source};
use super::layout::Elem;
use super::tree::{BranchInfo, SharedOffsets, TreeRecord, Values, map_baskets};
use super::{Location, RootError};
use decode::Enc;
use fields::{Branch, Shape};
use meta::{Cluster, Page, check_entries};

#[derive(Clone, Debug)]
pub(crate) struct RNTuple {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    file: String,
    name: String,
    src: Arc<Source>,
    schema: meta::Schema,
    branches: Vec<Branch>,
    clusters: Vec<Cluster>,
    entries: u64,
    /// Per physical column: its encoding, or why it cannot be read.
    encs: Vec<Result<Enc, String>>,
    /// Per field: the physical columns attached to it (its own, or those its alias
    /// columns stand for), in attachment order.
    field_columns: Vec<Vec<u32>>,
    record: TreeRecord,
}

/// A lying header could ask for any number of clusters; more than this is damage.
const MAX_CLUSTERS: u64 = 1 << 24;

impl RNTuple {
    /// Whether the file is read over the network.
    pub fn is_remote(&self) -> bool {
        matches!(*self.inner.src, Source::Remote(_))
    }

    /// Data requests sent for this file so far and the bytes received.
    pub fn traffic(&self) -> crate::remote::Traffic {
        self.inner.src.traffic()
    }

    pub(super) fn load(file: &str, src: &Arc<Source>, e: &Entry) -> Result<RNTuple, RootError> {
        let at = || {
            Box::new(Location {
                file: file.to_string(),
                tree: Some(e.path.clone()),
                branch: None,
                basket: None,
                rntuple: true,
            })
        };
        let corrupt = |Bad(message): Bad| RootError::Corrupt { at: at(), message };
        let obj = directory::read_object(src, &e.key).map_err(corrupt)?;
        let anchor = meta::anchor(&obj).map_err(corrupt)?;
        let max_key = anchor.max_key_size.max(1 << 30);
        let header = meta::envelope(src, anchor.header, meta::HEADER, max_key).map_err(corrupt)?;
        let mut schema = meta::header(&header).map_err(corrupt)?;
        let footer = meta::envelope(src, anchor.footer, meta::FOOTER, max_key).map_err(corrupt)?;
        let groups = meta::footer(&footer, &mut schema).map_err(corrupt)?;
        let mut clusters = Vec::new();
        for g in &groups {
            let env =
                meta::envelope(src, g.page_list, meta::PAGE_LIST, max_key).map_err(corrupt)?;
            let cs = meta::page_list(&env).map_err(corrupt)?;
            if cs.len() != g.clusters as usize {
                return Err(corrupt(Bad(format!(
                    "a cluster group claims {} clusters, its page list has {}",
                    g.clusters,
                    cs.len()
                ))));
            }
            clusters.extend(cs);
            if clusters.len() as u64 > MAX_CLUSTERS {
                return Err(corrupt(Bad::new("more clusters than a file can hold")));
            }
        }
        clusters.sort_by_key(|c| c.first_entry);
        let mut entries = 0u64;
        for (i, c) in clusters.iter().enumerate() {
            if c.first_entry != entries {
                return Err(corrupt(Bad(format!(
                    "cluster {i} starts at entry {}, expected {entries}",
                    c.first_entry
                ))));
            }
            entries = entries
                .checked_add(c.entries)
                .ok_or_else(|| corrupt(Bad::new("entry count overflows")))?;
        }
        let ncols = schema.columns.len();
        if let Some(i) = clusters.iter().position(|c| c.columns.len() > ncols) {
            return Err(corrupt(Bad(format!(
                "cluster {i} lists pages of {} columns; the schema has {ncols}",
                clusters.get(i).map_or(0, |c| c.columns.len())
            ))));
        }
        let encs: Vec<Result<Enc, String>> = schema.columns.iter().map(Enc::of).collect();
        let mut field_columns = vec![Vec::new(); schema.fields.len()];
        for (i, c) in schema.columns.iter().enumerate() {
            if let Some(f) = field_columns.get_mut(c.field as usize) {
                f.push(i as u32);
            }
        }
        for &(phys, field) in &schema.aliases {
            if (phys as usize) < ncols
                && let Some(f) = field_columns.get_mut(field as usize)
            {
                f.push(phys);
            }
        }
        check_entries(&schema, &field_columns, &clusters).map_err(corrupt)?;
        let branches = fields::branches(&schema, &field_columns, &encs);
        let record = TreeRecord {
            codec: Codec::None,
            compressed_bytes: anchor.header.at.size + anchor.footer.at.size,
            uncompressed_bytes: anchor.header.len + anchor.footer.len,
        };
        Ok(RNTuple {
            inner: Arc::new(Inner {
                file: file.to_string(),
                name: e.path.clone(),
                src: src.clone(),
                schema,
                branches,
                clusters,
                entries,
                encs,
                field_columns,
                record,
            }),
        })
    }

    pub(crate) fn name(&self) -> &str {
        &self.inner.name
    }

    pub(crate) fn entries(&self) -> u64 {
        self.inner.entries
    }

    pub(crate) fn record(&self) -> TreeRecord {
        self.inner.record
    }

    pub(crate) fn location(&self) -> Location {
        *self.at(None)
    }

    fn at(&self, field: Option<&str>) -> Box<Location> {
        Box::new(Location {
            file: self.inner.file.clone(),
            tree: Some(self.inner.name.clone()),
            branch: field.map(str::to_string),
            basket: None,
            rntuple: true,
        })
    }

    fn find(&self, name: &str) -> Result<&Branch, RootError> {
        let bs = &self.inner.branches;
        if let Some(b) = bs.iter().find(|b| b.name == name) {
            return Ok(b);
        }
        let suggestion = bs
            .iter()
            .map(|b| (super::tree::strsim_distance(&b.name, name), &b.name))
            .filter(|(d, _)| *d <= 3)
            .min_by_key(|(d, _)| *d)
            .map(|(_, n)| n.clone());
        Err(RootError::NoBranch {
            at: self.at(Some(name)),
            suggestion,
        })
    }

    /// The physical columns a shape reads (index column first).
    fn shape_columns(&self, s: &Shape) -> Vec<u32> {
        let first = |f: u32| {
            self.inner
                .field_columns
                .get(f as usize)
                .cloned()
                .unwrap_or_default()
        };
        match *s {
            Shape::Scalar { value, .. } => first(value),
            Shape::Cardinality { index, .. } => first(index),
            Shape::Jagged { index, value, .. } => {
                let mut v = first(index);
                v.extend(first(value));
                v
            }
        }
    }

    pub(crate) fn branches(&self) -> Vec<BranchInfo> {
        self.inner
            .branches
            .iter()
            .map(|b| {
                let cols = b
                    .shape
                    .as_ref()
                    .map(|s| self.shape_columns(s))
                    .unwrap_or_default();
                let mut pages = 0usize;
                let mut tot = 0u64;
                let mut zip = 0u64;
                let mut codec = None;
                for cl in &self.inner.clusters {
                    for &c in &cols {
                        let Some(Some(r)) = cl.columns.get(c as usize) else {
                            continue;
                        };
                        if codec.is_none() {
                            codec = Some(codec_of_settings(r.compression));
                        }
                        let enc = self
                            .inner
                            .encs
                            .get(c as usize)
                            .and_then(|e| e.as_ref().ok());
                        for p in &r.pages {
                            pages += 1;
                            zip += p.at.size;
                            tot += enc.and_then(|e| e.page_bytes(p.elements)).unwrap_or(0);
                        }
                    }
                }
                BranchInfo {
                    name: b.name.clone(),
                    type_name: b.type_name.clone(),
                    elem: b.shape.as_ref().ok().map(Shape::elem),
                    jagged: matches!(b.shape, Ok(Shape::Jagged { .. })),
                    counter: None,
                    entries: self.entries(),
                    baskets: pages,
                    tot_bytes: i64::try_from(tot).unwrap_or(i64::MAX),
                    zip_bytes: i64::try_from(zip).unwrap_or(i64::MAX),
                    embedded_baskets: 0,
                    embedded_bytes: 0,
                    codec,
                }
            })
            .collect()
    }

    /// Decoded bytes of these fields over the whole RNTuple, from the page lists.
    pub(crate) fn decoded_bytes(&self, names: &[&str]) -> u64 {
        let mut total = 0u64;
        for b in self
            .inner
            .branches
            .iter()
            .filter(|b| names.contains(&b.name.as_str()))
        {
            let Ok(s) = &b.shape else { continue };
            for c in self.shape_columns(s) {
                let enc = self
                    .inner
                    .encs
                    .get(c as usize)
                    .and_then(|e| e.as_ref().ok());
                for cl in &self.inner.clusters {
                    if let Some(Some(r)) = cl.columns.get(c as usize) {
                        for p in &r.pages {
                            total = total.saturating_add(
                                enc.and_then(|e| e.page_bytes(p.elements)).unwrap_or(0),
                            );
                        }
                    }
                }
            }
        }
        total
    }

    pub(crate) fn schema(&self) -> Schema {
        Schema {
            tree: self.inner.name.clone(),
            branches: self
                .inner
                .branches
                .iter()
                .map(|b| SchemaBranch {
                    name: b.name.clone(),
                    phys: b.shape.as_ref().ok().map(|s| s.elem().phys()),
                    jagged: match &b.shape {
                        Ok(s) => matches!(s, Shape::Jagged { .. }),
                        Err(_) => b.jagged,
                    },
                    counter: None,
                    type_name: b.type_name.clone(),
                })
                .collect(),
        }
    }

    /// Entry ranges covering the RNTuple, cut at cluster boundaries, each about
    /// `target_bytes` of decoded data of `names` (at least one cluster). A cluster far larger
    /// than that is cut inside only where a page of every entry-indexed column read (values
    /// of flat fields, offsets of collections) starts, so that no such page is decompressed
    /// twice (a collection's value pages may straddle a cut: those are, by the two chunks).
    pub(crate) fn chunks(
        &self,
        names: &[&str],
        target_bytes: u64,
    ) -> Result<Vec<Range<u64>>, RootError> {
        let mut by_entry = Vec::new();
        for n in names {
            if let Ok(s) = &self.find(n)?.shape {
                by_entry.push(match *s {
                    Shape::Scalar { value, .. } => value,
                    Shape::Jagged { index, .. } | Shape::Cardinality { index, .. } => index,
                });
            }
        }
        by_entry.sort_unstable();
        by_entry.dedup();
        let n = self.entries();
        if n == 0 {
            return Ok(Vec::new());
        }
        let per_entry = (self.decoded_bytes(names) as f64 / n as f64).max(1.0);
        let target = ((target_bytes.max(1) as f64 / per_entry).ceil() as u64).max(1);
        let mut bounds: Vec<u64> = Vec::new();
        for (ci, c) in self.inner.clusters.iter().enumerate() {
            bounds.push(c.first_entry);
            if c.entries <= target.saturating_mul(4) {
                continue;
            }
            let mut shared: Option<Vec<u64>> = None;
            for &f in &by_entry {
                let Ok((_, _, r)) = self.column_in(f, ci) else {
                    shared = Some(Vec::new());
                    break;
                };
                let mut starts = Vec::with_capacity(r.pages.len());
                let mut e = c.first_entry;
                for p in &r.pages {
                    starts.push(e);
                    e = e.saturating_add(p.elements);
                }
                shared = Some(match shared {
                    None => starts,
                    Some(mut s) => {
                        s.retain(|x| starts.binary_search(x).is_ok());
                        s
                    }
                });
            }
            bounds.extend(
                shared
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|&e| e > c.first_entry && e < c.first_entry + c.entries),
            );
        }
        bounds.push(n);
        let mut out = Vec::new();
        let mut start = 0u64;
        for &b in bounds.iter().skip(1) {
            if b > start && (b - start >= target || b == n) {
                out.push(start..b);
                start = b;
            }
        }
        Ok(out)
    }

    pub(crate) fn read_column_shared(
        &self,
        name: &str,
        range: Range<u64>,
        shared: &mut SharedOffsets,
    ) -> Result<InputColumn, RootError> {
        let b = self.find(name)?;
        let shape = self.supported(b)?;
        let key = match *shape {
            Shape::Jagged { index, .. } => self
                .inner
                .field_columns
                .get(index as usize)
                .and_then(|c| c.first())
                .map(|c| format!("\u{0}rntuple column {c}")),
            _ => None,
        };
        let known = key.as_deref().and_then(|k| {
            let o = shared.get(k)?;
            let s = shared.starts(k)?;
            (o.len() as u64 == range.end - range.start + 1).then(|| (o.clone(), s.to_vec()))
        });
        let had = known.is_some();
        let (col, starts) = self.read(b, shape, range, known)?;
        if let (Some(k), false, Some(o)) = (key, had, &col.offsets) {
            shared.add(k.clone(), o.clone());
            shared.add_starts(k, starts);
        }
        Ok(col)
    }

    pub(crate) fn read_values(&self, name: &str, range: Range<u64>) -> Result<Values, RootError> {
        let b = self.find(name)?;
        let shape = self.supported(b)?;
        self.read(b, shape, range, None)
            .map(|(c, _)| Values::Column(c))
    }

    fn supported<'a>(&self, b: &'a Branch) -> Result<&'a Shape, RootError> {
        b.shape.as_ref().map_err(|reason| RootError::Unsupported {
            at: self.at(Some(&b.name)),
            type_name: b.type_name.clone(),
            reason: Some(reason.clone()),
        })
    }

    /// The values of `range`; for a collection also its first element in each cluster
    /// touched. `known`: the same collection's offsets and first elements, read for another
    /// field of it over the same range (its offsets column is then not decoded again).
    fn read(
        &self,
        b: &Branch,
        shape: &Shape,
        range: Range<u64>,
        known: Option<(Offsets, Vec<u64>)>,
    ) -> Result<(InputColumn, Vec<u64>), RootError> {
        let n = self.entries();
        if range.start > range.end || range.end > n {
            return Err(RootError::Range {
                at: self.at(Some(&b.name)),
                start: range.start,
                end: range.end,
                entries: n,
            });
        }
        let corrupt = |Bad(message): Bad| RootError::Corrupt {
            at: self.at(Some(&b.name)),
            message,
        };
        let len = (range.end - range.start) as usize;
        let elem = shape.elem();
        let mut data = empty(elem, 0);
        let mut offsets: Option<Vec<u32>> = match (shape, &known) {
            (Shape::Jagged { .. }, None) => Some(Vec::with_capacity(len.min(1 << 24) + 1)),
            _ => None,
        };
        if let Some(o) = &mut offsets {
            o.push(0);
        }
        let mut starts = Vec::new();
        let first = self
            .inner
            .clusters
            .partition_point(|c| c.first_entry + c.entries <= range.start);
        for (ci, cl) in self.inner.clusters.iter().enumerate().skip(first) {
            if cl.first_entry >= range.end {
                break;
            }
            let lo = range.start.max(cl.first_entry) - cl.first_entry;
            let hi = range.end.min(cl.first_entry + cl.entries) - cl.first_entry;
            if lo >= hi {
                continue;
            }
            match *shape {
                Shape::Scalar { value, .. } => {
                    self.values(value, ci, lo..hi, elem, &mut data)
                        .map_err(corrupt)?;
                }
                Shape::Cardinality { index, .. } => {
                    let ix = self.index(index, ci, lo..hi).map_err(corrupt)?;
                    let counts = ix.windows(2).map(|w| match *w {
                        [a, z] => z.checked_sub(a),
                        _ => None,
                    });
                    let bad = || Bad::new("collection offsets decrease");
                    match &mut data {
                        ColumnData::U32(v) => {
                            for c in counts {
                                let c = c.ok_or_else(bad).map_err(corrupt)?;
                                v.push(u32::try_from(c).map_err(|_| corrupt(bad()))?);
                            }
                        }
                        ColumnData::U64(v) => {
                            for c in counts {
                                v.push(c.ok_or_else(bad).map_err(corrupt)?);
                            }
                        }
                        _ => return Err(corrupt(Bad::new("internal: cardinality type"))),
                    }
                }
                Shape::Jagged { value, .. } if known.is_some() => {
                    // Another field of the collection was read over this range: its offsets
                    // and first elements give this cluster's element range.
                    let (o, s) = known.as_ref().map(|(o, s)| (o, s)).unzip();
                    let k = starts.len();
                    let at = |e: u64| {
                        o.and_then(|o| o.get((cl.first_entry + e - range.start) as usize))
                            .copied()
                    };
                    let (Some(a), Some(p0), Some(p1)) = (s.and_then(|s| s.get(k)), at(lo), at(hi))
                    else {
                        return Err(corrupt(Bad::new("internal: shared offsets do not fit")));
                    };
                    let count = u64::from(p1.saturating_sub(p0));
                    starts.push(*a);
                    self.values(value, ci, *a..a + count, elem, &mut data)
                        .map_err(corrupt)?;
                }
                Shape::Jagged { index, value, .. } => {
                    let ix = self.index(index, ci, lo..hi).map_err(corrupt)?;
                    let (a, z) = (
                        ix.first().copied().unwrap_or(0),
                        ix.last().copied().unwrap_or(0),
                    );
                    if ix.windows(2).any(|w| w.first() > w.get(1)) {
                        return Err(corrupt(Bad(format!(
                            "cluster {ci}: collection offsets decrease"
                        ))));
                    }
                    let base = data.len();
                    starts.push(a);
                    self.values(value, ci, a..z, elem, &mut data)
                        .map_err(corrupt)?;
                    if let Some(o) = &mut offsets {
                        for &x in ix.iter().skip(1) {
                            o.push(offset_after(base, (x - a) as usize).map_err(corrupt)?);
                        }
                    }
                }
            }
        }
        let offsets = match (offsets, known) {
            (Some(o), _) => Some(Arc::new(o)),
            (None, Some((o, _))) => Some(o),
            (None, None) => None,
        };
        Ok((InputColumn { data, offsets }, starts))
    }

    /// The column of `field` that holds the data in cluster `ci` (the first column of the
    /// representation not suppressed there), with its encoding.
    fn column_in(&self, field: u32, ci: usize) -> Res<(u32, Enc, &meta::ColumnRange)> {
        let cols = self
            .inner
            .field_columns
            .get(field as usize)
            .ok_or_else(|| Bad::new("internal: no such field"))?;
        let cl = self
            .inner
            .clusters
            .get(ci)
            .ok_or_else(|| Bad::new("internal: no such cluster"))?;
        let mut seen = Vec::new();
        for &c in cols {
            let Some(col) = self.inner.schema.columns.get(c as usize) else {
                continue;
            };
            // The first column of each representation.
            if seen.contains(&col.repr) {
                continue;
            }
            seen.push(col.repr);
            if let Some(Some(r)) = cl.columns.get(c as usize) {
                let enc = self
                    .inner
                    .encs
                    .get(c as usize)
                    .cloned()
                    .unwrap_or_else(|| Err("no such column".into()))
                    .map_err(Bad)?;
                return Ok((c, enc, r));
            }
        }
        let deferred = cols.iter().any(|&c| {
            self.inner
                .schema
                .columns
                .get(c as usize)
                .is_some_and(|c| c.first_element != 0)
        });
        Err(Bad(format!(
            "cluster {ci} has no pages for the field's columns {cols:?}{}",
            if deferred {
                " (a column added after the first entries: deferred columns are not read)"
            } else {
                ""
            }
        )))
    }

    /// Elements `r` (counted from the cluster's first) of `field`'s column in cluster `ci`,
    /// appended to `out` as `elem`.
    fn values(
        &self,
        field: u32,
        ci: usize,
        r: Range<u64>,
        elem: Elem,
        out: &mut ColumnData,
    ) -> Res<()> {
        let (c, enc, range) = self.column_in(field, ci)?;
        let native = match enc {
            // Unquantized straight into the field's real type, as ROOT does.
            Enc::Quant { .. } if elem == Elem::F64 => Elem::F64,
            _ => enc
                .elem()
                .ok_or_else(|| Bad(format!("column {c} is an index column, not values")))?,
        };
        if native == elem {
            return self.pages(c, ci, enc, range, r, |enc, page, n, sub| {
                decode::decode(enc, page, n, sub, out)
            });
        }
        let mut tmp = empty(native, 0);
        self.pages(c, ci, enc, range, r, |enc, page, n, sub| {
            decode::decode(enc, page, n, sub, &mut tmp)
        })?;
        let conv = decode::convert(tmp, elem).map_err(|m| Bad(format!("column {c}: {m}")))?;
        append(out, conv)
    }

    /// Index values of entries `r` of cluster `ci`, with the end of the entry before
    /// (0 at the cluster's start) in front: `r.len() + 1` values.
    fn index(&self, field: u32, ci: usize, r: Range<u64>) -> Res<Vec<u64>> {
        let (c, enc, range) = self.column_in(field, ci)?;
        let from = r.start.saturating_sub(1);
        let mut out = Vec::with_capacity(((r.end - from) as usize).min(1 << 20) + 1);
        if r.start == 0 {
            out.push(0);
        }
        self.pages(c, ci, enc, range, from..r.end, |enc, page, n, sub| {
            let all = decode::index(enc, page, n)?;
            out.extend(all.get(sub).unwrap_or_default());
            Ok(())
        })?;
        if out.len() as u64 != r.end - r.start + 1 {
            return Err(Bad(format!(
                "cluster {ci}: column {c} holds fewer index values than entries"
            )));
        }
        Ok(out)
    }

    /// Decompresses (in parallel) the pages of column `c` in cluster `ci` that hold elements
    /// `r` and hands each, in order, to `f` with the part of it wanted.
    fn pages(
        &self,
        c: u32,
        ci: usize,
        enc: Enc,
        range: &meta::ColumnRange,
        r: Range<u64>,
        mut f: impl FnMut(Enc, &[u8], usize, Range<usize>) -> Res<()>,
    ) -> Res<()> {
        let mut wanted: Vec<(usize, &Page, Range<usize>)> = Vec::new();
        let mut start = 0u64;
        for (k, p) in range.pages.iter().enumerate() {
            let end = start + p.elements;
            if end > r.start && start < r.end {
                let a = r.start.max(start) - start;
                let z = r.end.min(end) - start;
                wanted.push((k, p, a as usize..z as usize));
            }
            start = end;
            if start >= r.end {
                break;
            }
        }
        if start < r.end {
            return Err(Bad(format!(
                "cluster {ci}: column {c} holds {start} elements, {} are needed",
                r.end
            )));
        }
        let src = &self.inner.src;
        let pages: Vec<Res<Cow<'_, [u8]>>> =
            map_baskets(&wanted, |(k, p, _)| self.page(c, ci, *k, enc, p));
        for ((k, p, sub), page) in wanted.iter().zip(pages) {
            let page = page?;
            let n = usize::try_from(p.elements).map_err(|_| Bad::new("page too large"))?;
            f(enc, &page, n, sub.clone())
                .map_err(|Bad(m)| Bad(format!("cluster {ci}, column {c}, page {k}: {m}")))?;
            if let Cow::Borrowed(b) = page {
                src.release(b);
            }
        }
        Ok(())
    }

    /// One page, checked and decompressed.
    fn page(&self, c: u32, ci: usize, k: usize, enc: Enc, p: &Page) -> Res<Cow<'_, [u8]>> {
        let ctx = |Bad(m): Bad| Bad(format!("cluster {ci}, column {c}, page {k}: {m}"));
        let len = enc
            .page_bytes(p.elements)
            .ok_or_else(|| ctx(Bad::new("impossible element count")))?;
        let with_sum = p.at.size + if p.checksum { 8 } else { 0 };
        let raw = self.inner.src.read(p.at.offset, with_sum).map_err(ctx)?;
        let raw = if p.checksum {
            let (data, sum) = raw.split_at(raw.len().saturating_sub(8));
            let stored = <[u8; 8]>::try_from(sum).map(u64::from_le_bytes).ok();
            if stored != Some(xxhash_rust::xxh3::xxh3_64(data)) {
                return Err(ctx(Bad::new("page checksum mismatch (damaged file)")));
            }
            match raw {
                Cow::Borrowed(b) => Cow::Borrowed(b.get(..b.len() - 8).unwrap_or_default()),
                Cow::Owned(mut v) => {
                    v.truncate(v.len() - 8);
                    Cow::Owned(v)
                }
            }
        } else {
            raw
        };
        let len = usize::try_from(len).map_err(|_| ctx(Bad::new("page too large")))?;
        let stored = raw.len();
        meta::unpack_cow(raw, len).map_err(|Bad(m)| {
            ctx(Bad(format!(
                "{m} (stored in {stored} bytes for {len} uncompressed: a bad page size?)"
            )))
        })
    }

    /// Benchmark support: decompresses (only) the pages of `name` overlapping `range`,
    /// returning the uncompressed byte count.
    pub(crate) fn decompress_only(&self, name: &str, range: Range<u64>) -> Result<u64, RootError> {
        let b = self.find(name)?;
        let shape = self.supported(b)?;
        let corrupt = |Bad(message): Bad| RootError::Corrupt {
            at: self.at(Some(&b.name)),
            message,
        };
        let mut jobs = Vec::new();
        for (ci, cl) in self.inner.clusters.iter().enumerate() {
            if cl.first_entry >= range.end || cl.first_entry + cl.entries <= range.start {
                continue;
            }
            for c in self.shape_columns(shape) {
                let (Some(Some(r)), Some(Ok(enc))) =
                    (cl.columns.get(c as usize), self.inner.encs.get(c as usize))
                else {
                    continue;
                };
                for (k, p) in r.pages.iter().enumerate() {
                    jobs.push((c, ci, k, *enc, *p));
                }
            }
        }
        let sizes: Vec<Res<u64>> = map_baskets(&jobs, |(c, ci, k, enc, p)| {
            let page = self.page(*c, *ci, *k, *enc, p)?;
            let n = page.len() as u64;
            if let Cow::Borrowed(b) = page {
                self.inner.src.release(b);
            }
            Ok(n)
        });
        sizes
            .into_iter()
            .try_fold(0u64, |t, s| Ok(t + s?))
            .map_err(corrupt)
    }
}

/// ROOT's compression settings (algorithm * 100 + level) as a codec.
fn codec_of_settings(s: u32) -> Codec {
    match s / 100 {
        _ if s == 0 => Codec::None,
        1 => Codec::Zlib,
        2 => Codec::Lzma,
        4 => Codec::Lz4,
        5 => Codec::Zstd,
        3 => Codec::OldRoot,
        _ => Codec::None,
    }
}

/// `more` appended to `out` (of the same type).
fn append(out: &mut ColumnData, more: ColumnData) -> Res<()> {
    use ColumnData as D;
    match (out, more) {
        (D::Bool(a), D::Bool(b)) => a.extend(b),
        (D::I8(a), D::I8(b)) => a.extend(b),
        (D::U8(a), D::U8(b)) => a.extend(b),
        (D::I16(a), D::I16(b)) => a.extend(b),
        (D::U16(a), D::U16(b)) => a.extend(b),
        (D::I32(a), D::I32(b)) => a.extend(b),
        (D::U32(a), D::U32(b)) => a.extend(b),
        (D::I64(a), D::I64(b)) => a.extend(b),
        (D::U64(a), D::U64(b)) => a.extend(b),
        (D::F32(a), D::F32(b)) => a.extend(b),
        (D::F64(a), D::F64(b)) => a.extend(b),
        _ => return Err(Bad::new("internal: converted column of the wrong type")),
    }
    Ok(())
}

#[cfg(test)]
mod tests;
