//! RNTuple metadata (format 1.0): the anchor, the header, footer and page-list envelopes.
//!
//! Input: the anchor key's object and the file. Output: [`Meta`]: fields, columns (alias
//! columns resolved to physical ones), clusters with their page locations. Invariants:
//! every envelope's length and xxHash-3 checksum are verified before it is parsed; every
//! frame is read inside its own declared size and skipped by that size (so newer writers'
//! extra fields are ignored, as the specification asks); every count read from the file is
//! bounded by the bytes that hold it before anything is allocated for it.

use std::borrow::Cow;

use super::super::compress;
use super::super::io::{Bad, Res, Source};

/// A little-endian reader over an envelope (RNTuple payloads are little-endian, unlike
/// the rest of a ROOT file).
pub(super) struct Le<'a> {
    buf: &'a [u8],
    pos: usize,
}

macro_rules! le_reader {
    ($name:ident, $t:ty) => {
        pub(super) fn $name(&mut self) -> Res<$t> {
            let b = self.bytes(std::mem::size_of::<$t>())?;
            let mut a = [0u8; std::mem::size_of::<$t>()];
            a.copy_from_slice(b);
            Ok(<$t>::from_le_bytes(a))
        }
    };
}

impl<'a> Le<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Le { buf, pos: 0 }
    }

    fn bytes(&mut self, n: usize) -> Res<&'a [u8]> {
        let buf: &'a [u8] = self.buf;
        let out = buf
            .get(self.pos..)
            .and_then(|rest| rest.get(..n))
            .ok_or_else(|| {
                Bad(format!(
                    "needs {n} bytes at position {} of a {}-byte envelope",
                    self.pos,
                    self.buf.len()
                ))
            })?;
        self.pos += n;
        Ok(out)
    }

    fn seek(&mut self, pos: usize) -> Res<()> {
        if pos > self.buf.len() {
            return Err(Bad(format!(
                "frame ends at {pos}, past the {}-byte envelope",
                self.buf.len()
            )));
        }
        self.pos = pos;
        Ok(())
    }

    le_reader!(u16, u16);
    le_reader!(u32, u32);
    le_reader!(i32, i32);
    le_reader!(u64, u64);
    le_reader!(i64, i64);
    le_reader!(f64, f64);

    fn string(&mut self) -> Res<String> {
        let n = self.u32()? as usize;
        Ok(String::from_utf8_lossy(self.bytes(n)?).into_owned())
    }

    /// A frame's preamble: its end position and, for a list frame, its item count (bounded
    /// by the frame's bytes, a list item taking at least one).
    fn frame(&mut self) -> Res<Frame> {
        let start = self.pos;
        let size = self.i64()?;
        let items = if size < 0 { Some(self.u32()?) } else { None };
        let len = usize::try_from(size.unsigned_abs())
            .map_err(|_| Bad(format!("frame size {size} overflows")))?;
        let end = start
            .checked_add(len)
            .filter(|&e| e >= self.pos && e <= self.buf.len())
            .ok_or_else(|| {
                Bad(format!(
                    "frame at {start} claims {len} bytes; the envelope has {}",
                    self.buf.len()
                ))
            })?;
        if let Some(n) = items
            && n as usize > end - self.pos
        {
            return Err(Bad(format!(
                "list frame at {start} claims {n} items in {} bytes",
                end - self.pos
            )));
        }
        Ok(Frame {
            end,
            items: items.unwrap_or(0),
        })
    }

    fn list(&mut self) -> Res<Frame> {
        let at = self.pos;
        let f = self.frame()?;
        if self.buf.get(at + 7).is_some_and(|b| b & 0x80 == 0) {
            return Err(Bad(format!(
                "expected a list frame at {at}, found a record"
            )));
        }
        Ok(f)
    }

    fn feature_flags(&mut self) -> Res<()> {
        loop {
            let f = self.i64()?;
            if f & 0x7fff_ffff_ffff_ffff != 0 {
                return Err(Bad(format!(
                    "the RNTuple uses format features this reader does not know (flags {f:#x})"
                )));
            }
            if f >= 0 {
                return Ok(());
            }
        }
    }

    fn locator(&mut self) -> Res<Locator> {
        let size = self.i32()?;
        if size >= 0 {
            return Ok(Locator {
                offset: self.u64()?,
                size: size as u64,
            });
        }
        let raw = size as u32;
        let kind = (raw >> 24) as u8 as i8;
        let own = (raw & 0xffff) as usize;
        if kind.unsigned_abs() != 1 {
            return Err(Bad(format!(
                "locator of type {} (only file locators are read)",
                kind.unsigned_abs()
            )));
        }
        let start = self.pos - 4;
        let size = self.u64()?;
        let offset = self.u64()?;
        self.seek(start.saturating_add(own).max(self.pos))?;
        Ok(Locator { offset, size })
    }

    fn link(&mut self) -> Res<Link> {
        let len = self.u64()?;
        let at = self.locator()?;
        Ok(Link { len, at })
    }
}

struct Frame {
    end: usize,
    items: u32,
}

/// Where a block lies in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Locator {
    pub offset: u64,
    pub size: u64,
}

/// An envelope: where it is and its uncompressed length.
#[derive(Clone, Copy, Debug)]
pub(super) struct Link {
    pub len: u64,
    pub at: Locator,
}

/// The anchor (the `ROOT::RNTuple` key's object).
#[derive(Clone, Debug)]
pub(super) struct Anchor {
    pub header: Link,
    pub footer: Link,
    pub max_key_size: u64,
}

/// Parses the anchor object: a class-version preamble, then big-endian fields and their
/// xxHash-3 checksum.
pub(super) fn anchor(obj: &[u8]) -> Res<Anchor> {
    let fields = obj
        .get(6..6 + 64)
        .ok_or_else(|| Bad(format!("anchor of {} bytes, expected 78", obj.len())))?;
    let sum = obj
        .get(70..78)
        .ok_or_else(|| Bad(format!("anchor of {} bytes, expected 78", obj.len())))?;
    let stored = u64::from_be_bytes(sum.try_into().map_err(|_| Bad::new("anchor checksum"))?);
    if xxhash_rust::xxh3::xxh3_64(fields) != stored {
        return Err(Bad::new("anchor checksum mismatch (damaged file)"));
    }
    let be16 = |i: usize| {
        fields
            .get(i..i + 2)
            .and_then(|b| <[u8; 2]>::try_from(b).ok())
            .map_or(0, u16::from_be_bytes)
    };
    let be64 = |i: usize| {
        fields
            .get(i..i + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map_or(0, u64::from_be_bytes)
    };
    let epoch = be16(0);
    if epoch != 1 {
        return Err(Bad(format!(
            "RNTuple format epoch {epoch} (only epoch 1, ROOT 6.34 and later, is read)"
        )));
    }
    Ok(Anchor {
        header: Link {
            len: be64(24),
            at: Locator {
                offset: be64(8),
                size: be64(16),
            },
        },
        footer: Link {
            len: be64(48),
            at: Locator {
                offset: be64(32),
                size: be64(40),
            },
        },
        max_key_size: be64(56),
    })
}

/// Envelope type ids.
pub(super) const HEADER: u16 = 1;
pub(super) const FOOTER: u16 = 2;
pub(super) const PAGE_LIST: u16 = 3;

/// No envelope ROOT writes comes near this (NanoAOD's header: ~100 kB); a link claiming
/// more is damage, not an allocation to try.
const MAX_ENVELOPE: u64 = 1 << 30;

/// Reads, decompresses and checks an envelope of type `kind`: its length (in the preamble)
/// and checksum (the last 8 bytes). Returns the envelope with preamble and checksum.
pub(super) fn envelope(src: &Source, link: Link, kind: u16, max_key: u64) -> Res<Vec<u8>> {
    let name = match kind {
        HEADER => "header",
        FOOTER => "footer",
        _ => "page list",
    };
    let ctx = |Bad(m): Bad| Bad(format!("{name} envelope: {m}"));
    if link.len < 16 || link.len > MAX_ENVELOPE {
        return Err(ctx(Bad(format!("length {} is impossible", link.len))));
    }
    if link.at.size > max_key {
        return Err(ctx(Bad(format!(
            "stored in {} bytes, more than one key holds ({max_key}); split blobs are not read",
            link.at.size
        ))));
    }
    let raw = src.read(link.at.offset, link.at.size).map_err(ctx)?;
    let buf = unpack(&raw, link.len as usize).map_err(ctx)?;
    let pre = buf
        .first_chunk::<8>()
        .map(|b| u64::from_le_bytes(*b))
        .unwrap_or(0);
    if pre & 0xffff != u64::from(kind) || pre >> 16 != link.len {
        return Err(ctx(Bad(format!(
            "preamble says type {} of {} bytes, expected type {kind} of {}",
            pre & 0xffff,
            pre >> 16,
            link.len
        ))));
    }
    let (body, sum) = buf.split_at(buf.len() - 8);
    let stored = u64::from_le_bytes(sum.try_into().map_err(|_| ctx(Bad::new("checksum")))?);
    if xxhash_rust::xxh3::xxh3_64(body) != stored {
        return Err(ctx(Bad::new("checksum mismatch (damaged file)")));
    }
    Ok(buf)
}

/// A block as stored (`raw`) to its `len` uncompressed bytes.
pub(super) fn unpack(raw: &[u8], len: usize) -> Res<Vec<u8>> {
    if raw.len() == len {
        return Ok(raw.to_vec());
    }
    compress::decompress(raw, len)
}

/// The same, borrowing uncompressed blocks.
pub(super) fn unpack_cow(raw: Cow<'_, [u8]>, len: usize) -> Res<Cow<'_, [u8]>> {
    if raw.len() == len {
        return Ok(raw);
    }
    compress::decompress(&raw, len).map(Cow::Owned)
}

/// Structural roles.
pub(super) const LEAF: u16 = 0;
pub(super) const COLLECTION: u16 = 1;
pub(super) const RECORD: u16 = 2;

#[derive(Clone, Debug)]
pub(super) struct Field {
    pub name: String,
    pub type_name: String,
    pub parent: u32,
    pub role: u16,
    pub flags: u16,
}

/// Column element types (the specification's table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ColType(pub u16);

#[derive(Clone, Debug)]
pub(super) struct Column {
    pub kind: ColType,
    pub bits: u16,
    pub field: u32,
    pub repr: u16,
    pub first_element: i64,
    pub range: Option<(f64, f64)>,
}

/// Header (plus schema extension): fields and physical columns, and per field its columns
/// (physical, or the physical columns its alias columns stand for) in attachment order.
#[derive(Clone, Debug, Default)]
pub(super) struct Schema {
    pub fields: Vec<Field>,
    pub columns: Vec<Column>,
    /// `(physical column, field)` for every alias column.
    pub aliases: Vec<(u32, u32)>,
}

fn schema_lists(c: &mut Le<'_>, s: &mut Schema) -> Res<()> {
    let f = c.list()?;
    for _ in 0..f.items {
        let r = c.frame()?;
        let _field_version = c.u32()?;
        let _type_version = c.u32()?;
        let parent = c.u32()?;
        let role = c.u16()?;
        let flags = c.u16()?;
        let name = c.string()?;
        let type_name = c.string()?;
        // The type alias, description, array size, projection source and type checksum
        // that follow are not needed: projected fields' columns are alias columns.
        c.seek(r.end)?;
        s.fields.push(Field {
            name,
            type_name,
            parent,
            role,
            flags,
        });
    }
    c.seek(f.end)?;
    let f = c.list()?;
    for _ in 0..f.items {
        let r = c.frame()?;
        let kind = ColType(c.u16()?);
        let bits = c.u16()?;
        let field = c.u32()?;
        let flags = c.u16()?;
        let repr = c.u16()?;
        let first_element = if flags & 1 != 0 { c.i64()? } else { 0 };
        let range = if flags & 2 != 0 {
            Some((c.f64()?, c.f64()?))
        } else {
            None
        };
        c.seek(r.end)?;
        s.columns.push(Column {
            kind,
            bits,
            field,
            repr,
            first_element,
            range,
        });
    }
    c.seek(f.end)?;
    let f = c.list()?;
    for _ in 0..f.items {
        let r = c.frame()?;
        let physical = c.u32()?;
        let field = c.u32()?;
        c.seek(r.end)?;
        s.aliases.push((physical, field));
    }
    c.seek(f.end)?;
    // Extra type information (streamer infos): not needed for the types read.
    let f = c.list()?;
    c.seek(f.end)
}

/// The header envelope.
pub(super) fn header(env: &[u8]) -> Res<Schema> {
    let mut c = Le::new(env);
    c.seek(8)?;
    c.feature_flags()?;
    let mut s = Schema::default();
    let _name = c.string()?;
    let _description = c.string()?;
    let _writer = c.string()?;
    schema_lists(&mut c, &mut s).map_err(|Bad(m)| Bad(format!("header envelope: {m}")))?;
    Ok(s)
}

/// A cluster group: its page list.
#[derive(Clone, Debug)]
pub(super) struct Group {
    pub clusters: u32,
    pub page_list: Link,
}

/// The footer envelope: the schema extension is added to `s`; returns the cluster groups.
pub(super) fn footer(env: &[u8], s: &mut Schema) -> Res<Vec<Group>> {
    let ctx = |Bad(m): Bad| Bad(format!("footer envelope: {m}"));
    let mut c = Le::new(env);
    c.seek(8).map_err(ctx)?;
    c.feature_flags().map_err(ctx)?;
    let _header_checksum = c.u64().map_err(ctx)?;
    let ext = c.frame().map_err(ctx)?;
    if ext.end > c.pos {
        schema_lists(&mut c, s).map_err(ctx)?;
    }
    c.seek(ext.end).map_err(ctx)?;
    let f = c.list().map_err(ctx)?;
    let mut groups = Vec::new();
    for _ in 0..f.items {
        let r = c.frame().map_err(ctx)?;
        let _min_entry = c.u64().map_err(ctx)?;
        let _span = c.u64().map_err(ctx)?;
        let clusters = c.u32().map_err(ctx)?;
        let page_list = c.link().map_err(ctx)?;
        c.seek(r.end).map_err(ctx)?;
        groups.push(Group {
            clusters,
            page_list,
        });
    }
    Ok(groups)
}

/// One page of a column in a cluster.
#[derive(Clone, Copy, Debug)]
pub(super) struct Page {
    pub elements: u64,
    pub at: Locator,
    pub checksum: bool,
}

/// A column in one cluster: its pages, or `None` when the column is suppressed there
/// (another representation holds the data).
#[derive(Clone, Debug)]
pub(super) struct ColumnRange {
    pub pages: Vec<Page>,
    pub compression: u32,
}

#[derive(Clone, Debug)]
pub(super) struct Cluster {
    pub first_entry: u64,
    pub entries: u64,
    /// By physical column id; shorter than the column list when the cluster predates
    /// columns added later (deferred columns).
    pub columns: Vec<Option<ColumnRange>>,
}

/// A page-list envelope: its clusters, in order.
pub(super) fn page_list(env: &[u8]) -> Res<Vec<Cluster>> {
    let ctx = |Bad(m): Bad| Bad(format!("page list envelope: {m}"));
    let mut c = Le::new(env);
    c.seek(8).map_err(ctx)?;
    let _header_checksum = c.u64().map_err(ctx)?;
    let f = c.list().map_err(ctx)?;
    let mut clusters = Vec::new();
    for _ in 0..f.items {
        let r = c.frame().map_err(ctx)?;
        let first_entry = c.u64().map_err(ctx)?;
        let word = c.u64().map_err(ctx)?;
        if word >> 56 & 1 != 0 {
            return Err(ctx(Bad::new(
                "sharded clusters (a future format feature) are not read",
            )));
        }
        c.seek(r.end).map_err(ctx)?;
        clusters.push(Cluster {
            first_entry,
            entries: word & ((1 << 56) - 1),
            columns: Vec::new(),
        });
    }
    c.seek(f.end).map_err(ctx)?;
    let top = c.list().map_err(ctx)?;
    if top.items as usize != clusters.len() {
        return Err(ctx(Bad(format!(
            "{} clusters have page locations, {} are summarized",
            top.items,
            clusters.len()
        ))));
    }
    for cl in &mut clusters {
        let outer = c.list().map_err(ctx)?;
        for _ in 0..outer.items {
            let inner = c.list().map_err(ctx)?;
            let mut pages = Vec::new();
            for _ in 0..inner.items {
                let n = c.i32().map_err(ctx)?;
                let at = c.locator().map_err(ctx)?;
                pages.push(Page {
                    elements: u64::from(n.unsigned_abs()),
                    at,
                    checksum: n < 0,
                });
            }
            let first = c.i64().map_err(ctx)?;
            let range = if first < 0 {
                None
            } else {
                let compression = c.u32().map_err(ctx)?;
                Some(ColumnRange { pages, compression })
            };
            c.seek(inner.end).map_err(ctx)?;
            cl.columns.push(range);
        }
        c.seek(outer.end).map_err(ctx)?;
    }
    Ok(clusters)
}

/// Every cluster's entry count is what the columns of its top-level fields hold (one element
/// per entry), so that a count read from the file never plans or reserves more than the
/// pages hold.
pub(super) fn check_entries(
    schema: &Schema,
    field_columns: &[Vec<u32>],
    clusters: &[Cluster],
) -> Res<()> {
    for (ci, cl) in clusters.iter().enumerate() {
        let mut vouched = false;
        for (f, field) in schema.fields.iter().enumerate() {
            if field.parent as usize != f {
                continue;
            }
            for &c in field_columns.get(f).map_or(&[][..], Vec::as_slice) {
                let Some(Some(r)) = cl.columns.get(c as usize) else {
                    continue;
                };
                let held: u64 = r.pages.iter().map(|p| p.elements).sum();
                // Bit columns of `std::bitset`, strings' second columns and the like hold
                // other counts; the principal column of a top-level field holds one per entry.
                let principal = field_columns
                    .get(f)
                    .and_then(|cs| cs.first())
                    .is_some_and(|&p| {
                        schema.columns.get(p as usize).map(|x| x.repr)
                            == schema.columns.get(c as usize).map(|x| x.repr)
                    });
                if principal && field.flags & 1 == 0 {
                    if held != cl.entries {
                        return Err(Bad(format!(
                            "cluster {ci} claims {} entries; column {c} of field {} holds {held}",
                            cl.entries, field.name
                        )));
                    }
                    vouched = true;
                    break;
                }
            }
        }
        if !vouched && cl.entries > MAX_UNVOUCHED {
            return Err(Bad(format!(
                "cluster {ci} claims {} entries and no column holds them",
                cl.entries
            )));
        }
    }
    Ok(())
}

/// Entries a cluster without columns may claim (an RNTuple of no fields).
const MAX_UNVOUCHED: u64 = 1 << 40;
