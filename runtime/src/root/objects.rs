//! The TTree metadata, read with hard-coded models of ROOT's streamers (as uproot does):
//! `TTree` v16-v20, `TBranch` v10-v13, `TBranchElement` v8-v10, `TLeaf*`, `TObjArray`, and
//! the `TBasket`s embedded in a branch. Input: a tree key's uncompressed object. Output: a
//! flat list of branches with leaves, basket positions, entry ranges and leaf counts.
//! Invariant: every versioned class body carries a byte count; after reading the members we
//! need we jump to its end, so members we do not model (and newer class versions that only
//! append members) are skipped, never misread.

use std::collections::HashMap;

use super::io::{Bad, Cursor, Res};

const BYTECOUNT_MASK: u32 = 0x4000_0000;
const NEW_CLASS_TAG: u32 = 0xffff_ffff;
const CLASS_MASK: u32 = 0x8000_0000;
const MAP_OFFSET: i64 = 2;
/// Nesting deeper than this is taken as a corrupt (or malicious, self-recursive) record.
const MAX_DEPTH: u32 = 64;

#[derive(Clone, Debug, Default)]
pub(crate) struct TreeMeta {
    pub entries: u64,
    /// Every branch at every level, in depth-first order.
    pub branches: Vec<BranchMeta>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct BranchMeta {
    pub name: String,
    /// `TBranchElement` class name (`vector<float>`); empty for a plain `TBranch`.
    pub class_name: String,
    pub is_element: bool,
    pub streamer_type: i32,
    pub leaves: Vec<LeafMeta>,
    pub entries: u64,
    pub tot_bytes: i64,
    pub zip_bytes: i64,
    /// Normal (free) baskets: size on file, position, first entry.
    pub basket_bytes: Vec<u32>,
    pub basket_seek: Vec<u64>,
    /// First entry of every basket (normal then embedded) plus the end: `len == n + 1`.
    pub basket_entry: Vec<u64>,
    /// Baskets stored inside the branch object (`fBaskets`), after the normal ones.
    pub embedded: Vec<EmbeddedBasket>,
    /// Index in `TreeMeta::branches` of sub-branches.
    pub children: Vec<usize>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct LeafMeta {
    pub class: String,
    pub name: String,
    pub title: String,
    /// Values per entry (product of fixed dimensions).
    pub len: i32,
    pub is_unsigned: bool,
    /// The counter leaf's name for a leaf-count array (`nMuon`).
    pub leaf_count: Option<String>,
    /// `TLeafElement::fType` (ROOT's basic type code), else 0.
    pub elem_type: i32,
}

/// A basket kept in the branch object: its uncompressed data and entry offsets, if stored.
#[derive(Clone, Debug, Default)]
pub(crate) struct EmbeddedBasket {
    pub nev: u32,
    pub data: Vec<u8>,
    /// Byte offsets of entries in `data`, `nev + 1` of them, when the basket stores them.
    pub offsets: Option<Vec<u32>>,
}

enum RefObj {
    Class(String),
    Leaf(String),
    Other,
}

enum Obj {
    Branch(usize),
    Leaf(LeafMeta),
    LeafRef(String),
    Basket(EmbeddedBasket),
    Other,
}

struct Reader<'a, 'b> {
    c: &'b mut Cursor<'a>,
    refs: HashMap<i64, RefObj>,
    branches: Vec<BranchMeta>,
    depth: u32,
}

/// A versioned class header: where it ends (when the byte count is present) and its version.
struct Header {
    end: Option<usize>,
    version: i16,
}

/// Reads a `TTree` object (the uncompressed payload of its key; `keylen` sets the origin of
/// object references).
pub(crate) fn read_tree(buf: &[u8], keylen: usize) -> Res<TreeMeta> {
    let mut c = Cursor::new(buf, keylen as i64);
    let mut r = Reader {
        c: &mut c,
        refs: HashMap::new(),
        branches: Vec::new(),
        depth: 0,
    };
    let h = r.header()?;
    if !(16..=20).contains(&h.version) {
        return Err(Bad(format!(
            "TTree class version {} is not supported (16-20 are)",
            h.version
        )));
    }
    r.tnamed()?;
    r.skip_versioned()?; // TAttLine
    r.skip_versioned()?; // TAttFill
    r.skip_versioned()?; // TAttMarker
    let entries = r.c.i64()?;
    let n_cluster;
    match h.version {
        16 => {
            r.c.skip(92 - 8)?;
            n_cluster = 0;
        }
        17 => {
            r.c.skip(96 - 8)?;
            n_cluster = 0;
        }
        18 => {
            r.c.skip(112 - 8)?;
            n_cluster = 0;
        }
        _ => {
            // 5q d 4i, then fNClusterRange (u32), then 6q
            r.c.skip(64 - 8)?;
            n_cluster = r.c.u32()? as usize;
            r.c.skip(48)?;
        }
    }
    if h.version >= 19 {
        for _ in 0..2 {
            r.c.skip(1)?;
            r.c.skip(
                n_cluster
                    .checked_mul(8)
                    .ok_or_else(|| Bad::new("cluster count overflows"))?,
            )?;
        }
    }
    if h.version >= 20 {
        r.skip_versioned()?; // fIOFeatures
    }
    let top = r.obj_array()?;
    let mut branches = std::mem::take(&mut r.branches);
    // Order: depth-first, parents before children (the order `read_branch` pushes them).
    let _ = top;
    branches.shrink_to_fit();
    let entries =
        u64::try_from(entries).map_err(|_| Bad(format!("negative entry count {entries}")))?;
    Ok(TreeMeta { entries, branches })
}

impl<'a> Reader<'a, '_> {
    fn header(&mut self) -> Res<Header> {
        let start = self.c.pos();
        let first = self.c.u32()?;
        if first & BYTECOUNT_MASK != 0 {
            let n = (first & !BYTECOUNT_MASK) as usize;
            let end = start + 4 + n;
            if end > start + 4 + self.c.remaining() {
                return Err(Bad(format!(
                    "object at byte {start} claims {n} bytes, past the record's end"
                )));
            }
            let version = self.c.i16()?;
            Ok(Header {
                end: Some(end),
                version,
            })
        } else {
            self.c.seek(start)?;
            let version = self.c.i16()?;
            Ok(Header { end: None, version })
        }
    }

    fn finish(&mut self, h: &Header) -> Res<()> {
        if let Some(end) = h.end {
            if self.c.pos() > end {
                return Err(Bad(format!(
                    "object read past its byte count (ends at {end}, read to {})",
                    self.c.pos()
                )));
            }
            self.c.seek(end)?;
        }
        Ok(())
    }

    fn skip_versioned(&mut self) -> Res<()> {
        let h = self.header()?;
        match h.end {
            Some(_) => self.finish(&h),
            None => Err(Bad::new("an attribute record has no byte count")),
        }
    }

    fn tobject(&mut self) -> Res<()> {
        let v = self.c.i16()?;
        if v as u16 & 0x4000 != 0 {
            self.c.skip(4)?;
        }
        let _unique = self.c.u32()?;
        let bits = self.c.u32()?;
        if bits & (1 << 4) != 0 {
            self.c.skip(2)?;
        }
        Ok(())
    }

    fn tnamed(&mut self) -> Res<(String, String)> {
        let h = self.header()?;
        self.tobject()?;
        let name = self.c.string()?;
        let title = self.c.string()?;
        self.finish(&h)?;
        Ok((name, title))
    }

    fn enter(&mut self) -> Res<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Bad::new("objects nested too deeply"));
        }
        Ok(())
    }

    fn obj_array(&mut self) -> Res<Vec<Obj>> {
        self.enter()?;
        let h = self.header()?;
        self.tobject()?;
        let _name = self.c.string()?;
        let n = self.c.i32()?;
        let _low = self.c.i32()?;
        let n = usize::try_from(n).map_err(|_| Bad(format!("negative array length {n}")))?;
        if n > self.c.remaining() / 4 {
            return Err(Bad(format!(
                "array of {n} objects does not fit in the record"
            )));
        }
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.object_any()?);
        }
        self.finish(&h)?;
        self.depth -= 1;
        Ok(out)
    }

    /// ROOT's `ReadObjectAny`: null, a reference to an earlier object, or a (new or known)
    /// class tag followed by the object.
    fn object_any(&mut self) -> Res<Obj> {
        let beg = self.c.displacement();
        let beg_pos = self.c.pos();
        let bcnt = self.c.u32()?;
        let (tag, start, bcnt) = if bcnt & BYTECOUNT_MASK == 0 || bcnt == NEW_CLASS_TAG {
            (bcnt, None, None)
        } else {
            let start = self.c.displacement();
            (
                self.c.u32()?,
                Some(start),
                Some((bcnt & !BYTECOUNT_MASK) as usize),
            )
        };
        if tag & CLASS_MASK == 0 {
            if tag == 0 {
                return Ok(Obj::Other);
            }
            return Ok(match self.refs.get(&(tag as i64)) {
                Some(RefObj::Leaf(name)) => Obj::LeafRef(name.clone()),
                _ => {
                    if let Some(n) = bcnt {
                        self.c.seek(beg_pos + 4 + n)?;
                    }
                    Obj::Other
                }
            });
        }
        let class = if tag == NEW_CLASS_TAG {
            let class = self.c.cstring()?;
            if let Some(s) = start {
                self.refs
                    .insert(s + MAP_OFFSET, RefObj::Class(class.clone()));
            }
            class
        } else {
            match self.refs.get(&((tag & !CLASS_MASK) as i64)) {
                Some(RefObj::Class(c)) => c.clone(),
                _ => {
                    return Err(Bad(format!(
                        "reference to unknown class at {}",
                        tag & !CLASS_MASK
                    )));
                }
            }
        };
        let obj = match class.as_str() {
            "TBranch" | "TBranchElement" => Obj::Branch(self.branch(&class)?),
            "TBasket" => Obj::Basket(self.embedded_basket()?),
            c if c.starts_with("TLeaf") => Obj::Leaf(self.leaf(c)?),
            _ => {
                // A class we do not model (TBranchObject, TBranchRef, ...): skip it whole.
                let n =
                    bcnt.ok_or_else(|| Bad(format!("object of class {class} has no byte count")))?;
                self.c.seek(beg_pos + 4 + n)?;
                Obj::Other
            }
        };
        if let Some(n) = bcnt {
            // Trust the byte count over our model: it is where the next object starts.
            self.c.seek(beg_pos + 4 + n)?;
        }
        let r = match &obj {
            Obj::Leaf(l) => RefObj::Leaf(l.name.clone()),
            _ => RefObj::Other,
        };
        if start.is_some() {
            self.refs.insert(beg + MAP_OFFSET, r);
        }
        Ok(obj)
    }

    fn leaf(&mut self, class: &str) -> Res<LeafMeta> {
        self.enter()?;
        let outer = self.header()?;
        let mut leaf = LeafMeta {
            class: class.to_string(),
            ..Default::default()
        };
        if class == "TLeaf" {
            self.leaf_base(&mut leaf, outer)?;
        } else {
            let inner = self.header()?;
            self.leaf_base(&mut leaf, inner)?;
            if class == "TLeafElement" {
                let _id = self.c.i32()?;
                leaf.elem_type = self.c.i32()?;
            }
            self.finish(&outer)?;
        }
        self.depth -= 1;
        Ok(leaf)
    }

    fn leaf_base(&mut self, leaf: &mut LeafMeta, h: Header) -> Res<()> {
        let (name, title) = self.tnamed()?;
        leaf.name = name;
        leaf.title = title;
        leaf.len = self.c.i32()?;
        let _len_type = self.c.i32()?;
        let _offset = self.c.i32()?;
        let _is_range = self.c.u8()?;
        leaf.is_unsigned = self.c.u8()? != 0;
        leaf.leaf_count = match self.object_any()? {
            Obj::Leaf(l) => Some(l.name),
            Obj::LeafRef(n) => Some(n),
            _ => None,
        };
        self.finish(&h)
    }

    /// Reads a `TBranch` or `TBranchElement`, pushes it (then its sub-branches) to
    /// `self.branches` and returns its index.
    fn branch(&mut self, class: &str) -> Res<usize> {
        self.enter()?;
        let idx;
        if class == "TBranchElement" {
            let h = self.header()?;
            if !(8..=10).contains(&h.version) {
                return Err(Bad(format!(
                    "TBranchElement class version {} is not supported (8-10 are)",
                    h.version
                )));
            }
            idx = self.tbranch()?;
            let class_name = self.c.string()?;
            let _parent = self.c.string()?;
            let _clones = self.c.string()?;
            let _checksum = self.c.u32()?;
            if h.version >= 10 {
                self.c.i16()?;
            } else {
                self.c.i32()?;
            }
            let _id = self.c.i32()?;
            let _type = self.c.i32()?;
            let streamer_type = self.c.i32()?;
            if let Some(b) = self.branches.get_mut(idx) {
                b.class_name = class_name;
                b.is_element = true;
                b.streamer_type = streamer_type;
            }
            // fMaximum, fBranchCount, fBranchCount2 are not needed: skip by byte count.
            self.finish(&h)?;
        } else {
            idx = self.tbranch()?;
        }
        self.depth -= 1;
        Ok(idx)
    }

    fn tbranch(&mut self) -> Res<usize> {
        let h = self.header()?;
        if !(10..=13).contains(&h.version) {
            return Err(Bad(format!(
                "TBranch class version {} is not supported (10-13 are)",
                h.version
            )));
        }
        let (name, _title) = self.tnamed()?;
        self.skip_versioned()?; // TAttFill
        let _compress = self.c.i32()?;
        let _basket_size = self.c.i32()?;
        let _entry_offset_len = self.c.i32()?;
        let write_basket = self.c.i32()?;
        let _entry_number = self.c.i64()?;
        if h.version >= 13 {
            self.skip_versioned()?; // fIOFeatures
        }
        let _offset = self.c.i32()?;
        let max_baskets = self.c.i32()?;
        let _split = self.c.i32()?;
        let entries = self.c.i64()?;
        if h.version >= 11 {
            let _first = self.c.i64()?;
        }
        let tot_bytes = self.c.i64()?;
        let zip_bytes = self.c.i64()?;

        // Reserve our slot before the children so parents precede them.
        let idx = self.branches.len();
        self.branches.push(BranchMeta::default());
        let children: Vec<usize> = self
            .obj_array()?
            .into_iter()
            .filter_map(|o| {
                if let Obj::Branch(i) = o {
                    Some(i)
                } else {
                    None
                }
            })
            .collect();
        let leaves: Vec<LeafMeta> = self
            .obj_array()?
            .into_iter()
            .filter_map(|o| if let Obj::Leaf(l) = o { Some(l) } else { None })
            .collect();
        let embedded: Vec<EmbeddedBasket> = self
            .obj_array()?
            .into_iter()
            .filter_map(|o| {
                if let Obj::Basket(b) = o {
                    Some(b)
                } else {
                    None
                }
            })
            .collect();

        let n = usize::try_from(max_baskets)
            .map_err(|_| Bad(format!("negative fMaxBaskets {max_baskets}")))?;
        if n > self.c.remaining() / 16 + 1 {
            return Err(Bad(format!("fMaxBaskets {n} does not fit in the record")));
        }
        self.c.skip(1)?;
        let mut bytes = Vec::with_capacity(n);
        for _ in 0..n {
            bytes.push(self.c.i32()?);
        }
        self.c.skip(1)?;
        let mut entry = Vec::with_capacity(n);
        for _ in 0..n {
            entry.push(self.c.i64()?);
        }
        self.c.skip(1)?;
        let mut seek = Vec::with_capacity(n);
        for _ in 0..n {
            seek.push(self.c.i64()?);
        }
        self.finish(&h)?;

        // Normal baskets: those with a position, up to fWriteBasket (uproot's rule).
        let mut n_normal = 0usize;
        for (i, &s) in seek.iter().enumerate() {
            if s == 0 || i as i64 == write_basket as i64 {
                break;
            }
            n_normal += 1;
        }
        let entries_u =
            u64::try_from(entries).map_err(|_| Bad(format!("negative fEntries {entries}")))?;
        let mut basket_entry = Vec::with_capacity(n_normal + embedded.len() + 1);
        for &e in entry.iter().take(n_normal + 1) {
            basket_entry
                .push(u64::try_from(e).map_err(|_| Bad(format!("negative fBasketEntry {e}")))?);
        }
        if basket_entry.is_empty() {
            basket_entry.push(0);
        }
        basket_entry.truncate(n_normal + 1);
        while basket_entry.len() < n_normal + 1 {
            basket_entry.push(entries_u);
        }
        for b in &embedded {
            let last = basket_entry.last().copied().unwrap_or(0);
            let next = last
                .checked_add(u64::from(b.nev))
                .ok_or_else(|| Bad(format!("branch {name}: embedded baskets overflow")))?;
            basket_entry.push(next);
        }
        if !basket_entry.is_sorted() {
            return Err(Bad(format!(
                "branch {name}: basket entry ranges are not increasing"
            )));
        }
        let basket_bytes = bytes
            .iter()
            .take(n_normal)
            .map(|&b| u32::try_from(b).map_err(|_| Bad(format!("negative basket size {b}"))))
            .collect::<Res<Vec<u32>>>()?;
        let basket_seek = seek.iter().take(n_normal).map(|&s| s as u64).collect();

        let slot = self
            .branches
            .get_mut(idx)
            .ok_or_else(|| Bad::new("internal: branch slot lost"))?;
        *slot = BranchMeta {
            name,
            leaves,
            entries: entries_u,
            tot_bytes,
            zip_bytes,
            basket_bytes,
            basket_seek,
            basket_entry,
            embedded,
            children,
            ..Default::default()
        };
        Ok(idx)
    }

    /// A `TBasket` inside `fBaskets`: a key-like header, the basket fields, the entry
    /// offsets (when stored), a copy of the key header, then `fLast - fKeylen` data bytes.
    fn embedded_basket(&mut self) -> Res<EmbeddedBasket> {
        let start = self.c.pos();
        let nbytes = self.c.i32()?;
        let _kv = self.c.i16()?;
        let _objlen = self.c.i32()?;
        let _datime = self.c.u32()?;
        let keylen = self.c.i16()?;
        let keylen =
            usize::try_from(keylen).map_err(|_| Bad(format!("negative fKeylen {keylen}")))?;
        if keylen < 19 {
            return Err(Bad(format!(
                "embedded basket key length {keylen} is too short"
            )));
        }
        self.c.seek(start + keylen - 19)?;
        let _version = self.c.u16()?;
        let _buffer_size = self.c.i32()?;
        let nev_buf_size = self.c.i32()?;
        let nev = self.c.i32()?;
        let last = self.c.i32()?;
        let _flag = self.c.u8()?;
        let nev = u32::try_from(nev).map_err(|_| Bad(format!("negative fNevBuf {nev}")))?;
        if nbytes as i64 > keylen as i64 {
            return Err(Bad::new(
                "a basket in fBaskets is not embedded (has its own key)",
            ));
        }
        let border = usize::try_from(last as i64 - keylen as i64).map_err(|_| {
            Bad(format!(
                "embedded basket fLast {last} is before its key end"
            ))
        })?;
        let has_offsets = nev_buf_size as i64 * nev as i64 + keylen as i64 != last as i64;
        let offsets = if has_offsets {
            let n = self.c.i32()?;
            if n as i64 != nev as i64 && n as i64 != nev as i64 + 1 {
                return Err(Bad(format!(
                    "embedded basket has {n} entry offsets for {nev} entries"
                )));
            }
            if (nev as usize) > self.c.remaining() / 4 {
                return Err(Bad::new("embedded basket offsets do not fit in the record"));
            }
            let mut offs = Vec::with_capacity(nev as usize + 1);
            for _ in 0..nev {
                let o = self.c.i32()? as i64 - keylen as i64;
                offs.push(
                    u32::try_from(o).map_err(|_| Bad(format!("entry offset {o} out of range")))?,
                );
            }
            offs.push(border as u32);
            if n as i64 == nev as i64 + 1 {
                self.c.skip(4)?;
            }
            Some(offs)
        } else {
            None
        };
        self.c.skip(keylen)?;
        let data = self.c.bytes(border)?.to_vec();
        Ok(EmbeddedBasket { nev, data, offsets })
    }
}
