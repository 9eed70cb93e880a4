//! Per-chunk preparation for a kernel call: check the input against the graph, size the
//! scratch buffers, and fill the slot array; afterwards, move table rows into the output.
//!
//! Input: a [`ChunkInput`] and the [`ChunkOutput`] to add to. Output: a [`Prepared`] call
//! (slots, scratch, table buffers) that the kernel may use. Invariant: after `prepare`
//! succeeds, every pointer in the slots is valid for the accesses the generated code makes:
//! column lengths and offsets are consistent, per-event element counts of every space are at
//! most its scratch capacity, histogram buffers have the graph's sizes.

use std::ffi::c_void;

use super::plan::Layout;
use crate::abi::{ChunkInput, ChunkOutput, ColumnData, EngineError, InputColumn, OutValues};
use crate::graph::{Counter, Graph, NodeKind, PhysType};

/// Largest per-event element count of any space (combinations grow fast: triples of 500
/// jets are 2e7): past this a chunk is refused with an error rather than exhausting memory.
/// Each scratch buffer is then at most 128 MiB.
pub const MAX_ELEMENTS: u64 = 1 << 24;

/// Rows of a table buffer: one zero-initialised word per row per column, and per list
/// column one per element.
pub(crate) struct TableRun {
    pub cols: Vec<Vec<u64>>,
    pub lists: Vec<Option<Vec<u64>>>,
}

/// What the kernel's `ctx` argument points to: what `ana_table_grow` needs.
pub(crate) struct RunCtx<'a> {
    pub slots: *mut u64,
    pub tables: Vec<TableRun>,
    pub layout: &'a Layout,
}

pub(crate) struct Prepared {
    pub slots: Vec<u64>,
    /// Backing store of every scratch buffer (the slots point into it).
    pub scratch: Vec<u64>,
    /// The per-event state buffer of a kernel in parts (its slot points to it).
    pub state: Vec<u64>,
    pub tables: Vec<TableRun>,
}

fn err(branch: Option<&str>, message: impl Into<String>) -> EngineError {
    EngineError {
        branch: branch.map(str::to_string),
        message: message.into(),
    }
}

fn data_ptr(d: &ColumnData) -> u64 {
    match d {
        ColumnData::Bool(v) => v.as_ptr() as u64,
        ColumnData::I8(v) => v.as_ptr() as u64,
        ColumnData::U8(v) => v.as_ptr() as u64,
        ColumnData::I16(v) => v.as_ptr() as u64,
        ColumnData::U16(v) => v.as_ptr() as u64,
        ColumnData::I32(v) => v.as_ptr() as u64,
        ColumnData::U32(v) => v.as_ptr() as u64,
        ColumnData::I64(v) => v.as_ptr() as u64,
        ColumnData::U64(v) => v.as_ptr() as u64,
        ColumnData::F32(v) => v.as_ptr() as u64,
        ColumnData::F64(v) => v.as_ptr() as u64,
    }
}

/// `ordered`: also check that the offsets never decrease (not needed for a branch loaded in
/// a collection: its offsets are then compared with the collection's own, which are).
fn check_column(
    phys: PhysType,
    jagged: bool,
    ordered: bool,
    name: &str,
    col: &InputColumn,
    n: usize,
) -> Result<(), EngineError> {
    let ok = matches!(
        (phys, &col.data),
        (PhysType::Bool, ColumnData::Bool(_))
            | (PhysType::I8, ColumnData::I8(_))
            | (PhysType::U8, ColumnData::U8(_))
            | (PhysType::I16, ColumnData::I16(_))
            | (PhysType::U16, ColumnData::U16(_))
            | (PhysType::I32, ColumnData::I32(_))
            | (PhysType::U32, ColumnData::U32(_))
            | (PhysType::I64, ColumnData::I64(_))
            | (PhysType::U64, ColumnData::U64(_))
            | (PhysType::F32, ColumnData::F32(_))
            | (PhysType::F64, ColumnData::F64(_))
    );
    if !ok {
        return Err(err(
            Some(name),
            format!("expected {phys:?} values, the input has another type"),
        ));
    }
    let len = col.data.len();
    match (&col.offsets, jagged) {
        (None, false) if len == n => Ok(()),
        (None, false) => Err(err(Some(name), format!("{len} values for {n} entries"))),
        (Some(o), true) => {
            // A fold without early exit vectorizes; inputs are nearly always well formed.
            let decreasing = ordered
                && o.iter()
                    .zip(o.iter().skip(1))
                    .fold(false, |bad, (a, z)| bad | (a > z));
            if o.len() != n + 1 || o.first() != Some(&0) || decreasing {
                return Err(err(Some(name), "malformed entry offsets"));
            }
            if o.last().map(|&x| x as usize) != Some(len) {
                return Err(err(
                    Some(name),
                    "entry offsets do not end at the number of values",
                ));
            }
            Ok(())
        }
        (None, true) => Err(err(Some(name), "jagged branch without entry offsets")),
        (Some(_), false) => Err(err(Some(name), "flat branch given with entry offsets")),
    }
}

/// The largest per-event count of a `Source` space, after checking every count: not
/// negative, and equal to the entry sizes of `loaded` (the entry offsets of a branch loaded
/// in the collection) when there is one. One pass, no allocation: this runs per chunk.
fn source_max(
    graph: &Graph,
    input: &ChunkInput<'_>,
    counter: Counter,
    loaded: Option<(&str, &[u32])>,
) -> Result<u64, EngineError> {
    let (b, by_size) = match counter {
        Counter::Branch(b) => (b, false),
        Counter::SizeOf(b) => (b, true),
    };
    let branch = graph
        .branches
        .get(b.0 as usize)
        .ok_or_else(|| err(None, "counter branch out of range"))?;
    let col = input
        .column(b)
        .ok_or_else(|| err(None, "counter branch has no input column"))?;
    let name = Some(branch.name.as_str());
    let differ = || {
        let (b, _) = loaded.unwrap_or_default();
        err(
            Some(b),
            "the number of values per entry differs from the collection's counter",
        )
    };
    if by_size {
        let o = col
            .offsets
            .as_ref()
            .ok_or_else(|| err(name, "the size of a flat branch"))?;
        if loaded.is_some_and(|(_, l)| !std::ptr::eq(l, o.as_slice()) && l != o.as_slice()) {
            return Err(differ());
        }
        // Entry sizes in u64: a decreasing pair wraps far above any count.
        let (max, bad) = o
            .iter()
            .zip(o.iter().skip(1))
            .fold((0u64, false), |(m, bad), (&a, &z)| {
                (m.max(u64::from(z - a.min(z))), bad | (a > z))
            });
        if bad {
            return Err(err(name, "malformed entry offsets"));
        }
        return Ok(max);
    }
    // Loops without early exit or branches vectorize; inputs are nearly always well formed.
    // Counts and entry sizes compare as i64: a negative count or a decreasing pair of
    // offsets never matches.
    /// (smallest count, largest count, whether some count differs from its entry's size)
    fn scan<T: Copy>(v: &[T], f: impl Fn(T) -> i64, loaded: Option<&[u32]>) -> (i64, i64, bool) {
        let (mut min, mut max, mut differ) = (0i64, 0i64, false);
        match loaded {
            Some(o) => {
                for ((&x, &a), &z) in v.iter().zip(o).zip(o.iter().skip(1)) {
                    let c = f(x);
                    differ |= i64::from(z) - i64::from(a) != c;
                    max = max.max(c);
                    min = min.min(c);
                }
            }
            None => {
                for &x in v {
                    let c = f(x);
                    max = max.max(c);
                    min = min.min(c);
                }
            }
        }
        (min, max, differ)
    }
    let o = loaded.map(|(_, o)| o);
    let (min, max, differ_) = match &col.data {
        ColumnData::I8(v) => scan(v, i64::from, o),
        ColumnData::U8(v) => scan(v, i64::from, o),
        ColumnData::I16(v) => scan(v, i64::from, o),
        ColumnData::U16(v) => scan(v, i64::from, o),
        ColumnData::I32(v) => scan(v, i64::from, o),
        ColumnData::U32(v) => scan(v, i64::from, o),
        ColumnData::I64(v) => scan(v, |x| x, o),
        // u64 values load as i64 (wrapping): above i64::MAX they are negative counts.
        ColumnData::U64(v) => scan(v, |x| x as i64, o),
        _ => return Err(err(name, "a counter branch must hold integers")),
    };
    if min < 0 {
        return Err(err(name, "negative element count"));
    }
    if differ_ {
        return Err(differ());
    }
    Ok(max as u64)
}

fn choose(n: u64, k: u8) -> Option<u64> {
    match k {
        2 => n.checked_mul(n.saturating_sub(1)).map(|x| x / 2),
        3 => n
            .checked_mul(n.saturating_sub(1))?
            .checked_mul(n.saturating_sub(2))
            .map(|x| x / 6),
        _ => None,
    }
}

/// Check `input` and `out` against the graph and build the kernel's arguments.
#[expect(
    clippy::indexing_slicing,
    reason = "slot numbers come from the `Layout` planned for this graph (all below \
              `layout.len`), node ids refer to earlier nodes (`Graph::validate`), branch ids \
              are below `graph.branches.len() == input.columns.len()` (checked first)"
)]
/// `row_hints`: per table, the rows to make room for up front (what earlier chunks needed),
/// so that the kernel rarely stops to grow a buffer.
pub(crate) fn prepare(
    graph: &Graph,
    layout: &Layout,
    input: &ChunkInput<'_>,
    out: &mut ChunkOutput,
    row_hints: &[usize],
) -> Result<Prepared, EngineError> {
    let n = input.n_events;
    if input.columns.len() != graph.branches.len() {
        return Err(err(
            None,
            format!(
                "{} input columns for {} branches",
                input.columns.len(),
                graph.branches.len()
            ),
        ));
    }
    let mut slots = vec![0u64; layout.len];
    slots[0] = n as u64;
    let mut in_collection = vec![false; graph.branches.len()];
    for node in &graph.nodes {
        if let NodeKind::LoadElem { branch, .. } = node.kind {
            in_collection[branch.0 as usize] = true;
        }
    }
    for (i, (b, col)) in graph.branches.iter().zip(input.columns).enumerate() {
        check_column(b.phys, b.jagged, !in_collection[i], &b.name, col, n)?;
        slots[layout.branch_data[i]] = data_ptr(&col.data);
        if let (Some(s), Some(o)) = (layout.branch_offsets[i], &col.offsets) {
            slots[s] = o.as_ptr() as u64;
        }
    }
    // Per-event capacity of every space.
    let too_many = || {
        err(
            None,
            format!(
                "an event has more than {MAX_ELEMENTS} elements in one collection or \
                 combination (combinations grow fast): select objects before combining them"
            ),
        )
    };
    // Per collection: the first branch loaded in it, whose offsets its counts must match;
    // every other branch loaded in it must have the same offsets.
    let mut first_load: Vec<Option<usize>> = vec![None; graph.nodes.len()];
    for node in &graph.nodes {
        if let NodeKind::LoadElem { branch, space } = node.kind {
            first_load[space.0 as usize].get_or_insert(branch.0 as usize);
        }
    }
    let loaded = |space: usize| -> Option<(&str, &[u32])> {
        let b = first_load[space]?;
        let o = input.columns[b].offsets.as_deref()?;
        Some((graph.branches[b].name.as_str(), o))
    };
    let mut caps = vec![0u64; graph.nodes.len()];
    for (i, node) in graph.nodes.iter().enumerate() {
        let cap = |id: crate::graph::NodeId| caps[id.0 as usize];
        caps[i] = match &node.kind {
            NodeKind::Source { counter } => source_max(graph, input, *counter, loaded(i))?,
            NodeKind::Filter { parent, .. } | NodeKind::Sort { parent, .. } => cap(*parent),
            NodeKind::Combinations { parent, k } => {
                choose(cap(*parent), *k).ok_or_else(too_many)?
            }
            NodeKind::Cartesian { parents } => cap(parents[0])
                .checked_mul(cap(parents[1]))
                .ok_or_else(too_many)?,
            NodeKind::Concat { parents } => cap(parents[0])
                .checked_add(cap(parents[1]))
                .ok_or_else(too_many)?,
            NodeKind::LoadElem { branch, space } => {
                let b = &graph.branches[branch.0 as usize];
                let is_source = matches!(graph.node(*space).kind, NodeKind::Source { .. });
                let (Some((_, expected)), Some(o), true) = (
                    loaded(space.0 as usize),
                    input.column(*branch).and_then(|c| c.offsets.as_ref()),
                    is_source,
                ) else {
                    return Err(err(
                        Some(&b.name),
                        "a jagged load over a space that is not a collection",
                    ));
                };
                // One comparison of whole arrays (a memcmp) instead of a pass per entry,
                // none for an array shared with the first branch (the reader's siblings);
                // the first branch's own offsets were checked against the counts.
                if !std::ptr::eq(o.as_slice(), expected) && o.as_slice() != expected {
                    return Err(err(
                        Some(&b.name),
                        "the number of values per entry differs from the collection's counter",
                    ));
                }
                0
            }
            _ => 0,
        };
        if caps[i] > MAX_ELEMENTS {
            return Err(too_many());
        }
    }
    let words: u64 = layout
        .scratch
        .iter()
        .map(|s| caps[s.space.0 as usize])
        .sum();
    let mut scratch: Vec<u64> = Vec::new();
    scratch
        .try_reserve_exact(words as usize)
        .map_err(|_| err(None, "not enough memory for the chunk's scratch buffers"))?;
    scratch.resize(words as usize, 0);
    let mut at = 0usize;
    for s in &layout.scratch {
        slots[s.slot] = scratch.as_mut_ptr().wrapping_add(at) as u64;
        at += caps[s.space.0 as usize] as usize;
    }
    let mut state: Vec<u64> = Vec::new();
    state
        .try_reserve_exact(layout.state_words)
        .map_err(|_| err(None, "not enough memory for the kernel's state"))?;
    state.resize(layout.state_words, 0);
    slots[layout.state] = state.as_mut_ptr() as u64;
    if out.hists.len() != graph.hists.len() || out.tables.len() != graph.tables.len() {
        return Err(err(None, "the output does not match the graph"));
    }
    for (h, (spec, buf)) in graph.hists.iter().zip(&mut out.hists).enumerate() {
        let (weighted, mean) = (spec.storage.has_sumw2(), spec.storage.is_mean());
        if buf.sumw.len() != spec.size()
            || buf.sumw2.as_ref().map(Vec::len) != weighted.then(|| spec.size())
            || buf.sumwx.as_ref().map(Vec::len) != mean.then(|| spec.size())
            || buf.sumwx2.as_ref().map(Vec::len) != mean.then(|| spec.size())
        {
            return Err(err(
                None,
                format!("histogram {} has the wrong storage size", spec.name),
            ));
        }
        slots[layout.hist_sumw[h]] = buf.sumw.as_mut_ptr() as u64;
        if let (Some(s), Some(w2)) = (layout.hist_sumw2[h], &mut buf.sumw2) {
            slots[s] = w2.as_mut_ptr() as u64;
        }
        if let (Some([a, b]), Some(x), Some(x2)) =
            (layout.hist_sumwx[h], &mut buf.sumwx, &mut buf.sumwx2)
        {
            slots[a] = x.as_mut_ptr() as u64;
            slots[b] = x2.as_mut_ptr() as u64;
        }
    }
    if out.cutflow.len() != graph.regions.len() {
        return Err(err(None, "the cutflow does not match the graph's regions"));
    }
    slots[layout.cutflow] = out.cutflow.as_mut_ptr() as u64;
    if out.missing.len() != graph.hists.len() {
        return Err(err(
            None,
            "the missing counts do not match the graph's histograms",
        ));
    }
    slots[layout.missing] = out.missing.as_mut_ptr() as u64;
    if out.cutflows.len() != graph.cutflows.len() {
        return Err(err(None, "the named cutflows do not match the graph's"));
    }
    for (c, (spec, buf)) in graph.cutflows.iter().zip(&mut out.cutflows).enumerate() {
        if buf.events.len() != spec.rows() || buf.sumw.len() != spec.rows() {
            return Err(err(
                None,
                format!("cutflow {} has the wrong number of rows", spec.name),
            ));
        }
        slots[layout.cutflow_events[c]] = buf.events.as_mut_ptr() as u64;
        slots[layout.cutflow_sumw[c]] = buf.sumw.as_mut_ptr() as u64;
    }
    let mut tables = Vec::new();
    for (spec, buf) in graph.tables.iter().zip(&out.tables) {
        let same = buf.columns.len() == spec.columns.len()
            && buf
                .columns
                .iter()
                .zip(&spec.columns)
                .all(|(c, s)| c.matches(s));
        if !same {
            return Err(err(
                None,
                format!("table {} has the wrong columns", spec.name),
            ));
        }
        let rows = row_hints.get(tables.len()).copied().unwrap_or(0);
        let mut cols: Vec<Vec<u64>> = vec![Vec::new(); spec.columns.len()];
        // Only a hint: without the memory, the buffers start empty and the kernel grows them.
        if cols.iter_mut().all(|c| c.try_reserve_exact(rows).is_ok()) {
            cols.iter_mut().for_each(|c| c.resize(rows, 0));
        } else {
            cols = vec![Vec::new(); spec.columns.len()];
        }
        let at = &layout.tables[tables.len()];
        for (c, &s) in cols.iter_mut().zip(&at.columns) {
            slots[s] = c.as_mut_ptr() as u64;
        }
        slots[at.cap] = cols.first().map_or(0, Vec::len) as u64;
        // Element buffers start empty: the kernel grows them to what the rows need.
        let lists: Vec<Option<Vec<u64>>> =
            spec.columns.iter().map(|c| c.list.then(Vec::new)).collect();
        for (l, s) in lists.iter().zip(&at.lists) {
            if let (Some(l), Some(s)) = (l, s) {
                slots[s.ptr] = l.as_ptr() as u64;
                slots[s.len] = 0;
                slots[s.cap] = 0;
            }
        }
        tables.push(TableRun { cols, lists });
    }
    Ok(Prepared {
        slots,
        scratch,
        state,
        tables,
    })
}

/// Grow table `table`'s buffers (at least doubling) and update its slots. Returns 1, or 0
/// when memory is exhausted (the kernel then stops with an error).
///
/// # Safety
/// `ctx` is the `RunCtx` the kernel was called with, and `ctx.slots` its slot array.
pub(crate) unsafe extern "C" fn ana_table_grow(ctx: *mut c_void, table: i64) -> i8 {
    // SAFETY: the caller passes the kernel's `ctx`, a live `RunCtx` no one else borrows now.
    let run = unsafe { &mut *(ctx as *mut RunCtx<'_>) };
    let (Some(slots), Some(t)) = (
        run.layout.tables.get(table as usize),
        run.tables.get_mut(table as usize),
    ) else {
        return 0;
    };
    let cap = t.cols.first().map_or(0, Vec::len);
    let new_cap = cap.saturating_mul(2).max(256);
    for (c, &s) in t.cols.iter_mut().zip(&slots.columns) {
        if c.try_reserve_exact(new_cap - c.len()).is_err() {
            return 0;
        }
        c.resize(new_cap, 0);
        // SAFETY: `s` is a slot index below the layout's length, the length of `run.slots`.
        unsafe { *run.slots.add(s) = c.as_mut_ptr() as u64 };
    }
    // SAFETY: as above.
    unsafe { *run.slots.add(slots.cap) = new_cap as u64 };
    1
}

/// Grow list column `column` of table `table` to hold at least `need` elements (at least
/// doubling) and update its slots. Returns 1, or 0 when memory is exhausted or the
/// column is not a list (the kernel then stops with an error).
///
/// # Safety
/// `ctx` is the `RunCtx` the kernel was called with, and `ctx.slots` its slot array.
pub(crate) unsafe extern "C" fn ana_list_grow(
    ctx: *mut c_void,
    table: i64,
    column: i64,
    need: i64,
) -> i8 {
    // SAFETY: the caller passes the kernel's `ctx`, a live `RunCtx` no one else borrows now.
    let run = unsafe { &mut *(ctx as *mut RunCtx<'_>) };
    let (Some(slots), Some(t)) = (
        run.layout.tables.get(table as usize),
        run.tables.get_mut(table as usize),
    ) else {
        return 0;
    };
    let (Some(Some(at)), Some(Some(elems))) = (
        slots.lists.get(column as usize),
        t.lists.get_mut(column as usize),
    ) else {
        return 0;
    };
    let need = usize::try_from(need).unwrap_or(usize::MAX);
    let new_cap = elems.len().saturating_mul(2).max(need).max(256);
    if elems.try_reserve_exact(new_cap - elems.len()).is_err() {
        return 0;
    }
    elems.resize(new_cap, 0);
    // SAFETY: `at`'s slots are below the layout's length, the length of `run.slots`.
    unsafe {
        *run.slots.add(at.ptr) = elems.as_mut_ptr() as u64;
        *run.slots.add(at.cap) = new_cap as u64;
    }
    1
}

/// Move the rows the kernel wrote into the output tables.
#[expect(
    clippy::indexing_slicing,
    reason = "`t.rows` and a list's `len` are slots of the layout, below `slots.len()`"
)]
pub(crate) fn finish_tables(
    layout: &Layout,
    slots: &[u64],
    tables: &[TableRun],
    out: &mut ChunkOutput,
) {
    for ((t, run), buf) in layout.tables.iter().zip(tables).zip(&mut out.tables) {
        let rows = slots[t.rows] as usize;
        for (((words, list), at), col) in run
            .cols
            .iter()
            .zip(&run.lists)
            .zip(&t.lists)
            .zip(&mut buf.columns)
        {
            let words = &words[..rows.min(words.len())];
            match (&mut col.offsets, list, at) {
                (Some(offsets), Some(elems), Some(at)) => {
                    // The row words are element counts.
                    let mut end = offsets.last().copied().unwrap_or(0);
                    offsets.extend(words.iter().map(|&n| {
                        end += n;
                        end
                    }));
                    let len = slots[at.len] as usize;
                    push_words(&mut col.values, &elems[..len.min(elems.len())]);
                }
                _ => push_words(&mut col.values, words),
            }
        }
    }
}

/// Values from the words the kernel stored (each in the low bytes of its word).
fn push_words(values: &mut OutValues, words: &[u64]) {
    let w = words.iter().copied();
    match values {
        OutValues::Bool(v) => v.extend(w.map(|w| w as u8 != 0)),
        OutValues::I8(v) => v.extend(w.map(|w| w as u8 as i8)),
        OutValues::U8(v) => v.extend(w.map(|w| w as u8)),
        OutValues::I16(v) => v.extend(w.map(|w| w as u16 as i16)),
        OutValues::U16(v) => v.extend(w.map(|w| w as u16)),
        OutValues::I32(v) => v.extend(w.map(|w| w as u32 as i32)),
        OutValues::U32(v) => v.extend(w.map(|w| w as u32)),
        OutValues::I64(v) => v.extend(w.map(|w| w as i64)),
        OutValues::U64(v) => v.extend(w),
        OutValues::F32(v) => v.extend(w.map(|w| f32::from_bits(w as u32))),
        OutValues::F64(v) => v.extend(w.map(f64::from_bits)),
    }
}
