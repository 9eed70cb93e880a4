//! A TTree: its branches with layouts, chunk planning on basket boundaries, and column
//! reads. Input: a tree key. Output: [`Tree`] (cheap to clone, `Send + Sync`). Invariant:
//! `read_column` touches only the baskets overlapping the requested range, decompresses
//! them (in parallel when called from outside rayon's pool: inside a run, chunks are the
//! unit of parallelism, see `map_baskets`), and converts them into one flat column.

use std::ops::Range;
use std::sync::Arc;

use ana_compiler::abi::{ColumnData, InputColumn, Offsets};
use ana_compiler::schema::{Schema, SchemaBranch};
use rayon::prelude::*;

use super::basket::{self, Basket, RawBasket};
use super::column::Builder;
use super::compress::{self, Codec};
use super::directory::{self, Entry};
use super::io::{Bad, Source};
use super::layout::{self, Elem, Layout};
use super::objects::{self, BranchMeta, TreeMeta};
use super::{Location, RootError};

/// The most a column reserves ahead of decompressing (bytes, or entries), whatever the
/// file's headers claim; chunks hold about 4 MB.
const MAX_RESERVE: usize = 256 << 20;

#[derive(Clone, Debug)]
pub(crate) struct TTree {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    file: String,
    name: String,
    src: Arc<Source>,
    meta: TreeMeta,
    /// Per branch of `meta.branches`: the layout, or the unsupported type's name.
    layouts: Vec<Result<Layout, String>>,
    /// The tree object's key, which also holds the baskets embedded in its branches.
    key: directory::Key,
}

/// The entry offsets of the branches read so far for one chunk, by counter branch (see
/// [`Tree::read_column_shared`]).
#[derive(Debug, Default)]
pub struct SharedOffsets(Vec<(String, Offsets)>, Vec<(String, Vec<u64>)>);

impl SharedOffsets {
    pub(crate) fn get(&self, counter: &str) -> Option<&Offsets> {
        self.0.iter().find(|(c, _)| c == counter).map(|(_, o)| o)
    }

    pub(crate) fn add(&mut self, counter: String, offsets: Offsets) {
        self.0.push((counter, offsets));
    }

    /// An RNTuple collection's first element in each cluster the chunk touches (with the
    /// offsets, the values' element ranges, so that the offsets column is decoded once).
    pub(crate) fn starts(&self, key: &str) -> Option<&[u64]> {
        self.1
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, s)| s.as_slice())
    }

    pub(crate) fn add_starts(&mut self, key: String, starts: Vec<u64>) {
        self.1.push((key, starts));
    }
}

/// What `inspect` shows of a branch.
#[derive(Clone, Debug, PartialEq)]
pub struct BranchInfo {
    pub name: String,
    pub type_name: String,
    /// `None` when ana cannot read the branch.
    pub elem: Option<super::Elem>,
    pub jagged: bool,
    pub counter: Option<String>,
    pub entries: u64,
    pub baskets: usize,
    /// Uncompressed and compressed bytes of the branch's baskets in their own keys (ROOT's
    /// fTotBytes/fZipBytes, which do not count embedded baskets).
    pub tot_bytes: i64,
    pub zip_bytes: i64,
    /// Baskets kept inside the branch object (`fBaskets`: written with the tree before they
    /// were flushed to keys of their own), and their data bytes (entry offsets not counted).
    /// They are compressed together with the tree object (see [`Tree::record`]).
    pub embedded_baskets: usize,
    pub embedded_bytes: u64,
    /// The compression of the first basket in its own key, else of the tree object that
    /// holds the embedded ones.
    pub codec: Option<Codec>,
}

/// A tree object's own record in the file: the branches' metadata and embedded baskets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeRecord {
    pub codec: Codec,
    pub compressed_bytes: u64,
    pub uncompressed_bytes: u64,
}

/// `vector<vector<T>>` values: `outer` offsets index into `inner` offsets, which index
/// into `data`.
#[derive(Clone, Debug, PartialEq)]
pub struct Nested {
    pub data: ColumnData,
    pub outer: Vec<u32>,
    pub inner: Vec<u32>,
}

/// Values of any readable branch, for `inspect`.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    Column(InputColumn),
    Nested(Nested),
}

impl TTree {
    pub(super) fn load(file: &str, src: &Arc<Source>, e: &Entry) -> Result<TTree, RootError> {
        let at = Box::new(Location {
            file: file.to_string(),
            tree: Some(e.path.clone()),
            branch: None,
            basket: None,
            rntuple: false,
        });
        let meta = directory::read_object(src, &e.key)
            .and_then(|buf| objects::read_tree(&buf, e.key.keylen as usize))
            .map_err(|Bad(message)| RootError::Corrupt { at, message })?;
        let layouts = meta
            .branches
            .iter()
            .map(|b| {
                layout::layout(b, |leaf| {
                    meta.branches
                        .iter()
                        .find(|c| c.leaves.iter().any(|l| l.name == leaf))
                        .map(|c| c.name.clone())
                })
            })
            .collect();
        Ok(TTree {
            inner: Arc::new(Inner {
                file: file.to_string(),
                name: e.path.clone(),
                src: src.clone(),
                meta,
                layouts,
                key: e.key.clone(),
            }),
        })
    }

    /// The tree object's record: its size on file and uncompressed, and its codec.
    pub fn record(&self) -> TreeRecord {
        let k = &self.inner.key;
        let stored = u64::from(k.nbytes - u32::from(k.keylen));
        let codec = if stored == u64::from(k.objlen) {
            Codec::None
        } else {
            self.inner
                .src
                .read(k.seek + u64::from(k.keylen), stored.min(2))
                .map_or(Codec::None, |head| compress::codec_of(&head, usize::MAX))
        };
        TreeRecord {
            codec,
            compressed_bytes: stored,
            uncompressed_bytes: u64::from(k.objlen),
        }
    }

    pub fn name(&self) -> &str {
        &self.inner.name
    }

    pub fn entries(&self) -> u64 {
        self.inner.meta.entries
    }

    /// The file and tree, for errors found by callers.
    pub fn location(&self) -> Location {
        *self.at(None, None)
    }

    fn at(&self, branch: Option<&str>, basket: Option<usize>) -> Box<Location> {
        Box::new(Location {
            file: self.inner.file.clone(),
            tree: Some(self.inner.name.clone()),
            branch: branch.map(str::to_string),
            basket,
            rntuple: false,
        })
    }

    /// The file byte ranges of the baskets of `branches` (and of their counters) that
    /// entries `range` need: what a remote file fetches in one request per chunk.
    pub fn basket_ranges(&self, branches: &[&str], range: Range<u64>) -> Vec<Range<u64>> {
        let mut names: Vec<&str> = branches.to_vec();
        for name in branches {
            if let Ok((_, Ok(Layout::Counted { counter, .. }))) = self.find(name) {
                names.push(counter);
            }
        }
        let mut out = Vec::new();
        for name in names {
            let Ok((b, _)) = self.find(name) else {
                continue;
            };
            let be = &b.basket_entry;
            for (k, (&a, &z)) in be.iter().zip(be.iter().skip(1)).enumerate() {
                if z > range.start
                    && a < range.end
                    && let (Some(&seek), Some(&n)) = (b.basket_seek.get(k), b.basket_bytes.get(k))
                {
                    out.push(seek..seek.saturating_add(u64::from(n)));
                }
            }
        }
        out
    }

    /// Whether the file is read over the network (and worth prefetching for).
    pub fn is_remote(&self) -> bool {
        matches!(*self.inner.src, Source::Remote(_))
    }

    /// Fetches `ranges` of the file ahead of the reads that need them, kept under `key`
    /// until [`Tree::forget`] (nothing to do for a local file).
    pub fn prefetch(&self, ranges: Vec<Range<u64>>, key: u64) -> Result<(), RootError> {
        self.inner
            .src
            .prefetch(ranges, key)
            .map_err(|Bad(message)| RootError::Corrupt {
                at: self.at(None, None),
                message,
            })
    }

    pub fn forget(&self, key: u64) {
        self.inner.src.forget(key);
    }

    /// Data requests sent for this file so far and the bytes received (none for a local file).
    pub fn traffic(&self) -> crate::remote::Traffic {
        self.inner.src.traffic()
    }

    /// The branch named `name` and its layout.
    fn find(&self, name: &str) -> Result<(&BranchMeta, &Result<Layout, String>), RootError> {
        let bs = &self.inner.meta.branches;
        if let Some(found) = bs
            .iter()
            .zip(&self.inner.layouts)
            .find(|(b, _)| b.name == name)
        {
            return Ok(found);
        }
        let suggestion = bs
            .iter()
            .map(|b| (strsim_distance(&b.name, name), &b.name))
            .filter(|(d, _)| *d <= 3)
            .min_by_key(|(d, _)| *d)
            .map(|(_, n)| n.clone());
        Err(RootError::NoBranch {
            at: self.at(Some(name), None),
            suggestion,
        })
    }

    /// Branches in file order (sub-branches after their parent).
    pub fn branches(&self) -> Vec<BranchInfo> {
        let m = &self.inner.meta;
        m.branches
            .iter()
            .zip(&self.inner.layouts)
            .map(|(b, l)| BranchInfo {
                name: b.name.clone(),
                type_name: match l {
                    Ok(l) => layout::type_name(b, l),
                    Err(t) => t.clone(),
                },
                elem: l.as_ref().ok().map(|l| l.elem()),
                jagged: matches!(l, Ok(l) if !matches!(l, Layout::Scalar(_))),
                counter: match l {
                    Ok(Layout::Counted { counter, .. }) => Some(counter.clone()),
                    _ => None,
                },
                entries: b.entries,
                baskets: b.basket_entry.len().saturating_sub(1),
                tot_bytes: b.tot_bytes,
                zip_bytes: b.zip_bytes,
                embedded_baskets: b.embedded.len(),
                embedded_bytes: b.embedded.iter().map(|e| e.data.len() as u64).sum(),
                codec: self.first_codec(b),
            })
            .collect()
    }

    fn first_codec(&self, b: &BranchMeta) -> Option<Codec> {
        if b.basket_seek.is_empty() {
            return (!b.embedded.is_empty()).then(|| self.record().codec);
        }
        let raw = basket::fetch(&self.inner.src, b, 0).ok()?;
        Some(compress::codec_of(raw.payload(), raw.objlen))
    }

    /// Decoded bytes of these branches over the whole tree, from ROOT's own totals (no
    /// basket is read).
    pub fn decoded_bytes(&self, branches: &[&str]) -> u64 {
        self.inner
            .meta
            .branches
            .iter()
            .filter(|b| branches.contains(&b.name.as_str()))
            .map(|b| u64::try_from(b.tot_bytes).unwrap_or(0))
            .sum()
    }

    /// Every branch, with its engine type (`None` if unsupported).
    pub fn schema(&self) -> Schema {
        let m = &self.inner.meta;
        Schema {
            tree: self.inner.name.clone(),
            branches: m
                .branches
                .iter()
                .zip(&self.inner.layouts)
                .map(|(b, l)| match l {
                    Ok(Layout::VectorVector(_)) | Err(_) => SchemaBranch {
                        name: b.name.clone(),
                        phys: None,
                        jagged: l.is_ok(),
                        counter: None,
                        type_name: match l {
                            Ok(l) => layout::type_name(b, l),
                            Err(t) => t.clone(),
                        },
                    },
                    Ok(l) => SchemaBranch {
                        name: b.name.clone(),
                        phys: Some(l.elem().phys()),
                        jagged: !matches!(l, Layout::Scalar(_)),
                        counter: match l {
                            Layout::Counted { counter, .. } => Some(counter.clone()),
                            _ => None,
                        },
                        type_name: layout::type_name(b, l),
                    },
                })
                .collect(),
        }
    }

    /// Entry ranges covering `[0, entries)`, split at entries where a basket of every one of
    /// `branches` starts (cluster boundaries), each about `target_bytes` of decoded data (at
    /// least one cluster). A cluster far larger than the target (branches whose baskets do
    /// not line up) is split further at any branch's basket boundary, so memory stays
    /// bounded.
    pub fn chunks(
        &self,
        branches: &[&str],
        target_bytes: u64,
    ) -> Result<Vec<Range<u64>>, RootError> {
        let n = self.entries();
        if n == 0 {
            return Ok(Vec::new());
        }
        let bs = branches
            .iter()
            .map(|b| Ok(self.find(b)?.0))
            .collect::<Result<Vec<&BranchMeta>, RootError>>()?;
        // Decoded bytes per entry, from ROOT's own totals.
        let per_entry: f64 = bs
            .iter()
            .map(|b| b.tot_bytes.max(0) as f64 / n as f64)
            .sum::<f64>()
            .max(1.0);
        let target_entries = ((target_bytes.max(1) as f64 / per_entry).ceil() as u64).max(1);
        let starts = |b: &BranchMeta| -> Vec<u64> {
            b.basket_entry.iter().copied().filter(|&e| e < n).collect()
        };
        let mut shared: Vec<u64> = vec![0, n];
        let mut any: Vec<u64> = vec![0, n];
        if let Some((first, rest)) = bs.split_first() {
            shared = starts(first);
            any = shared.clone();
            for b in rest {
                let s = starts(b);
                shared.retain(|e| s.binary_search(e).is_ok());
                any.extend(s);
            }
            shared.push(n);
            any.push(n);
            shared.sort_unstable();
            shared.dedup();
            any.sort_unstable();
            any.dedup();
        }
        if shared.first() != Some(&0) {
            shared.insert(0, 0);
        }
        // Refine clusters much larger than the target at any basket boundary.
        let mut bounds = Vec::with_capacity(shared.len());
        for (&a, &b) in shared.iter().zip(shared.iter().skip(1)) {
            bounds.push(a);
            if b - a > target_entries.saturating_mul(4) {
                bounds.extend(any.iter().copied().filter(|&e| e > a && e < b));
            }
        }
        bounds.push(n);
        let mut out = Vec::new();
        let mut start = 0u64;
        for &b in bounds.iter().skip(1) {
            if b - start >= target_entries || b == n {
                out.push(start..b);
                start = b;
            }
        }
        Ok(out)
    }

    /// The branch's values for entries `range`, as an engine column: flat values plus
    /// offsets (starting at 0) for jagged branches.
    pub fn read_column(&self, branch: &str, range: Range<u64>) -> Result<InputColumn, RootError> {
        self.read_column_shared(branch, range, &mut SharedOffsets::default())
    }

    /// `read_column` for one of a chunk's branches, read one after the other: a branch whose
    /// counter is in `shared` is checked against those offsets and shares them (one array for
    /// `Muon_pt`, `Muon_eta`, ... instead of one each); a branch that builds its own adds them.
    pub fn read_column_shared(
        &self,
        branch: &str,
        range: Range<u64>,
        shared: &mut SharedOffsets,
    ) -> Result<InputColumn, RootError> {
        let (b, layout) = self.find(branch)?;
        let counter = match layout {
            Ok(Layout::VectorVector(_)) => {
                return Err(RootError::Unsupported {
                    at: self.at(Some(branch), None),
                    type_name: b.class_name.clone(),
                    reason: Some("vectors of vectors are not an engine input".to_string()),
                });
            }
            Ok(Layout::Counted { counter, .. }) => Some(counter.as_str()),
            _ => None,
        };
        let known = counter.and_then(|c| shared.get(c)).cloned();
        let col = self.read(b, layout, range, known.as_ref())?.finish();
        if let (Some(c), None, Some(o)) = (counter, known, &col.offsets) {
            shared.0.push((c.to_string(), o.clone()));
        }
        Ok(col)
    }

    /// Values of any readable branch, including `vector<vector<T>>` (for `inspect`).
    pub fn read_values(&self, branch: &str, range: Range<u64>) -> Result<Values, RootError> {
        let (b, layout) = self.find(branch)?;
        let b = self.read(b, layout, range, None)?;
        Ok(match b.inner {
            Some(inner) => Values::Nested(Nested {
                data: b.data,
                outer: b.offsets.unwrap_or_default(),
                inner,
            }),
            None => Values::Column(b.finish()),
        })
    }

    /// `shared`: offsets to check the branch's against and share (see `read_column_shared`).
    fn read(
        &self,
        b: &BranchMeta,
        layout: &Result<Layout, String>,
        range: Range<u64>,
        shared: Option<&Offsets>,
    ) -> Result<Builder, RootError> {
        let name = b.name.as_str();
        let layout = match layout {
            Ok(l) => l,
            Err(t) => {
                return Err(RootError::Unsupported {
                    at: self.at(Some(name), None),
                    type_name: t.clone(),
                    reason: None,
                });
            }
        };
        let n = self.entries();
        if range.start > range.end || range.end > n.min(b.entries.max(n)) {
            return Err(RootError::Range {
                at: self.at(Some(name), None),
                start: range.start,
                end: range.end,
                entries: n,
            });
        }
        let be = &b.basket_entry;
        if be.last().copied() != Some(b.entries) || b.entries < range.end {
            return Err(RootError::Corrupt {
                at: self.at(Some(name), None),
                message: format!(
                    "baskets hold {} entries, the branch says {}",
                    be.last().copied().unwrap_or(0),
                    b.entries
                ),
            });
        }
        // Baskets overlapping the range: k with be[k] < end and be[k+1] > start.
        let first = be.partition_point(|&e| e <= range.start).saturating_sub(1);
        let last = be.partition_point(|&e| e < range.end);
        // Basket k holds entries `be[k]..be[k + 1]`.
        let ks: Vec<(usize, Range<u64>)> = be
            .iter()
            .zip(be.iter().skip(1))
            .enumerate()
            .take(last)
            .skip(first)
            .filter(|(_, (a, z))| z > a)
            .map(|(k, (&a, &z))| (k, a..z))
            .collect();
        let whole = layout.elem() != Elem::Bool
            && matches!(
                layout,
                Layout::Scalar(_) | Layout::Fixed(..) | Layout::Counted { .. }
            )
            && ks.iter().all(|(k, span)| {
                *k < b.basket_seek.len() && span.start >= range.start && span.end <= range.end
            });
        if whole {
            return self.read_whole(b, layout, &ks, range, shared);
        }
        let src = &self.inner.src;
        let baskets: Vec<Result<Basket, RootError>> = map_baskets(&ks, |(k, span)| {
            let k = *k;
            let bk = basket::read(src, b, k).map_err(|Bad(message)| RootError::Corrupt {
                at: self.at(Some(name), Some(k)),
                message,
            })?;
            let want = span.end - span.start;
            if bk.nev as u64 != want {
                return Err(RootError::Corrupt {
                    at: self.at(Some(name), Some(k)),
                    message: format!(
                        "basket holds {} entries, the branch's index says {want}",
                        bk.nev
                    ),
                });
            }
            Ok(bk)
        });
        let baskets = baskets.into_iter().collect::<Result<Vec<_>, _>>()?;
        // Generated offsets: counts come from the counter branch over the baskets' span.
        let counts = match layout {
            Layout::Counted { counter, .. } if baskets.iter().any(|bk| bk.offsets.is_none()) => {
                let start = ks.first().map_or(0, |(_, r)| r.start);
                let end = ks.last().map_or(0, |(_, r)| r.end);
                Some((start, self.counts(counter, start..end)?))
            }
            _ => None,
        };
        let cap_bytes: usize = baskets.iter().map(|bk| bk.border).sum();
        // Reserve by the bytes really decoded, never by an entry count read from the file.
        let cap_entries = ((range.end - range.start) as usize).min(cap_bytes + 1);
        let mut out = Builder::new(layout, cap_bytes / layout.elem().size(), cap_entries);
        let mut covered = 0u64;
        for (bk, (k, span)) in baskets.iter().zip(&ks) {
            // `span` overlaps `range` (chosen so above; `basket_entry` is non-decreasing).
            let lo = range.start.max(span.start) - span.start;
            let hi = range.end.min(span.end) - span.start;
            covered += hi - lo;
            let c = counts
                .as_ref()
                .and_then(|(s0, c)| c.get((span.start - s0) as usize..(span.end - s0) as usize));
            out.append(layout, bk, lo as usize, hi as usize, c)
                .map_err(|Bad(message)| RootError::Corrupt {
                    at: self.at(Some(name), Some(*k)),
                    message,
                })?;
        }
        if covered != range.end - range.start {
            return Err(RootError::Corrupt {
                at: self.at(Some(name), None),
                message: format!(
                    "baskets hold {covered} of entries {}..{} (the first basket starts at entry {})",
                    range.start,
                    range.end,
                    be.first().copied().unwrap_or(0)
                ),
            });
        }
        Ok(out)
    }

    /// `read` when every basket `ks` (number, entries) lies wholly in `range` and is stored
    /// in the file (not embedded): fetched (see `map_baskets`), then decompressed straight
    /// into the column.
    fn read_whole(
        &self,
        b: &BranchMeta,
        layout: &Layout,
        ks: &[(usize, Range<u64>)],
        range: Range<u64>,
        shared: Option<&Offsets>,
    ) -> Result<Builder, RootError> {
        let corrupt = |k: usize, Bad(message): Bad| RootError::Corrupt {
            at: self.at(Some(&b.name), Some(k)),
            message,
        };
        let covered: u64 = ks.iter().map(|(_, span)| span.end - span.start).sum();
        if covered != range.end - range.start {
            return Err(RootError::Corrupt {
                at: self.at(Some(&b.name), None),
                message: format!(
                    "baskets hold {covered} of entries {}..{}",
                    range.start, range.end
                ),
            });
        }
        let raws: Vec<(usize, &Range<u64>, RawBasket<'_>, usize)> = map_baskets(ks, |(k, span)| {
            let k = *k;
            let raw = basket::fetch(&self.inner.src, b, k).map_err(|e| corrupt(k, e))?;
            let border = raw.border().map_err(|e| corrupt(k, e))?;
            let want = span.end - span.start;
            if raw.nev as u64 != want {
                return Err(corrupt(
                    k,
                    Bad(format!(
                        "basket holds {} entries, the branch's index says {want}",
                        raw.nev
                    )),
                ));
            }
            Ok((k, span, raw, border))
        })
        .into_iter()
        .collect::<Result<_, _>>()?;
        let counts = match layout {
            Layout::Counted { counter, .. }
                if raws.iter().any(|(_, _, r, border)| *border == r.objlen) =>
            {
                Some(self.counts(counter, range.clone())?)
            }
            _ => None,
        };
        // Room for every basket's values plus the largest offset table, which is
        // decompressed behind the values before they are kept.
        let values: usize = raws.iter().map(|(_, _, _, border)| border).sum();
        let table = raws.iter().map(|(_, _, r, border)| r.objlen - border).max();
        let size = layout.elem().size();
        // Sizes claimed by the file: reserved up to a bound, beyond it the column grows as
        // the data really decompresses.
        let cap_values = (values + table.unwrap_or(0))
            .min(MAX_RESERVE)
            .div_ceil(size);
        let cap_entries = ((range.end - range.start) as usize).min(values.min(MAX_RESERVE) + 1);
        // Baskets with entry-offset tables are checked against shared offsets as they are
        // read (other layouts build their own, which engines then compare).
        let share = match (shared, layout, &counts) {
            (Some(o), Layout::Counted { per: 1, .. }, None)
                if o.len() as u64 == range.end - range.start + 1 =>
            {
                Some(o)
            }
            _ => None,
        };
        let mut out = Builder::new(
            layout,
            cap_values,
            if share.is_some() { 0 } else { cap_entries },
        );
        if let Some(o) = share {
            out.offsets = None;
            out.shared = Some((o.clone(), 0));
        }
        for (k, span, raw, _) in &raws {
            // Every span lies in `range` (checked by the caller).
            let c = counts.as_ref().and_then(|c| {
                c.get((span.start - range.start) as usize..(span.end - range.start) as usize)
            });
            out.append_whole(layout, raw, c)
                .map_err(|e| corrupt(*k, e))?;
        }
        Ok(out)
    }

    /// A counter branch's values as lengths.
    fn counts(&self, counter: &str, span: Range<u64>) -> Result<Vec<u32>, RootError> {
        let col = self.read_column(counter, span)?;
        let bad = || RootError::Corrupt {
            at: self.at(Some(counter), None),
            message: "negative counter value".to_string(),
        };
        Ok(match col.data {
            ColumnData::I32(v) => v
                .into_iter()
                .map(|x| u32::try_from(x).map_err(|_| bad()))
                .collect::<Result<_, _>>()?,
            ColumnData::U32(v) => v,
            ColumnData::I16(v) => v
                .into_iter()
                .map(|x| u32::try_from(x).map_err(|_| bad()))
                .collect::<Result<_, _>>()?,
            ColumnData::U16(v) => v.into_iter().map(u32::from).collect(),
            ColumnData::I8(v) => v
                .into_iter()
                .map(|x| u32::try_from(x).map_err(|_| bad()))
                .collect::<Result<_, _>>()?,
            ColumnData::U8(v) => v.into_iter().map(u32::from).collect(),
            ColumnData::I64(v) => v
                .into_iter()
                .map(|x| u32::try_from(x).map_err(|_| bad()))
                .collect::<Result<_, _>>()?,
            ColumnData::U64(v) => v
                .into_iter()
                .map(|x| u32::try_from(x).map_err(|_| bad()))
                .collect::<Result<_, _>>()?,
            _ => {
                return Err(RootError::Unsupported {
                    at: self.at(Some(counter), None),
                    type_name: "non-integer counter".to_string(),
                    reason: None,
                });
            }
        })
    }

    /// Benchmark support: decompresses (only) the free baskets of `branch` overlapping
    /// `range`, returning the uncompressed byte count. The baseline for reading throughput.
    pub fn decompress_only(&self, branch: &str, range: Range<u64>) -> Result<u64, RootError> {
        let (b, _) = self.find(branch)?;
        let be = &b.basket_entry;
        let first = be.partition_point(|&e| e <= range.start).saturating_sub(1);
        let last = be
            .partition_point(|&e| e < range.end)
            .min(b.basket_seek.len());
        let ks: Vec<usize> = (first..last).collect();
        let total: Result<Vec<u64>, RootError> = map_baskets(&ks, |&k| {
            let raw = basket::fetch(&self.inner.src, b, k)
                .and_then(|r| compress::decompress(r.payload(), r.objlen))
                .map_err(|Bad(message)| RootError::Corrupt {
                    at: self.at(Some(&b.name), Some(k)),
                    message,
                })?;
            Ok(raw.len() as u64)
        })
        .into_iter()
        .collect();
        Ok(total?.iter().sum())
    }
}

/// Levenshtein distance for "did you mean" (small inputs only).
#[expect(
    clippy::indexing_slicing,
    reason = "`j < b.len()` indexes rows of `b.len() + 1` entries"
)]
pub(crate) fn strsim_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `f` over a branch's baskets: in parallel, unless the caller already is one of rayon's
/// workers. Inside a run the chunks are the unit of parallelism; a worker that waits for a
/// nested job steals a whole chunk meanwhile, which delays the chunk it was reading and
/// stalls the ordered merge (measured: 2-thread dimuon run 1.55 -> 1.07 s without nesting).
pub(crate) fn map_baskets<'a, T: Sync, R: Send>(
    items: &'a [T],
    f: impl Fn(&'a T) -> R + Sync + Send,
) -> Vec<R> {
    if rayon::current_thread_index().is_some() {
        items.iter().map(f).collect()
    } else {
        items.par_iter().map(f).collect()
    }
}
