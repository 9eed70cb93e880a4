//! The data both engines exchange with the runtime, per chunk: decoded input columns in,
//! partial histograms, table rows and cutflow counts out.
//!
//! Input: columns decoded by `ana_runtime::root`, indexed by [`BranchId`]. Output: partials
//! that the runtime merges in chunk order. The interpreter and the JIT fill the same
//! [`ChunkOutput`], so the differential tests compare them with `==`.

use crate::graph::{BranchId, ColumnSpec, ColumnType, Graph};

/// A branch's values for the entries of one chunk, as stored (no conversion).
#[derive(Clone, Debug, PartialEq)]
pub enum ColumnData {
    Bool(Vec<bool>),
    I8(Vec<i8>),
    U8(Vec<u8>),
    I16(Vec<i16>),
    U16(Vec<u16>),
    I32(Vec<i32>),
    U32(Vec<u32>),
    I64(Vec<i64>),
    U64(Vec<u64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

impl ColumnData {
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Bool(v) => v.len(),
            ColumnData::I8(v) => v.len(),
            ColumnData::U8(v) => v.len(),
            ColumnData::I16(v) => v.len(),
            ColumnData::U16(v) => v.len(),
            ColumnData::I32(v) => v.len(),
            ColumnData::U32(v) => v.len(),
            ColumnData::I64(v) => v.len(),
            ColumnData::U64(v) => v.len(),
            ColumnData::F32(v) => v.len(),
            ColumnData::F64(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One branch over a chunk's entries: flat values, plus entry offsets for a jagged branch
/// (`offsets.len() == entries + 1`, `offsets[0] == 0`, non-decreasing, last == values).
/// A `vector<vector<T>>` branch is not an engine input (the reader serves it to `inspect`).
/// Branches with the same counter (`Muon_pt`, `Muon_eta`, ... of `nMuon`) may share one
/// offsets array: the reader builds it once per chunk, and engines skip comparing an array
/// with itself.
#[derive(Clone, Debug, PartialEq)]
pub struct InputColumn {
    pub data: ColumnData,
    pub offsets: Option<Offsets>,
}

/// Entry offsets, shareable between the columns of one chunk.
pub type Offsets = std::sync::Arc<Vec<u32>>;

/// What an engine reads for one chunk: `columns[b]` is branch `BranchId(b)` of the graph.
#[derive(Clone, Copy, Debug)]
pub struct ChunkInput<'a> {
    pub n_events: usize,
    pub columns: &'a [InputColumn],
}

impl ChunkInput<'_> {
    /// Branch `b`'s column, if the input has it.
    pub fn column(&self, b: BranchId) -> Option<&InputColumn> {
        self.columns.get(b.0 as usize)
    }
}

/// Partial results of one chunk. Merging partials in chunk order gives the run's results.
#[derive(Clone, Debug, PartialEq)]
pub struct ChunkOutput {
    pub hists: Vec<HistBuffer>,
    pub tables: Vec<TableBuffer>,
    /// Events passing each region, in `Graph::regions` order.
    pub cutflow: Vec<u64>,
    /// Per histogram, the fills skipped because a value was missing (`Fill::valid`).
    pub missing: Vec<u64>,
    /// Per named cutflow (`Graph::cutflows` order), its rows' counts.
    pub cutflows: Vec<CutflowBuffer>,
}

/// One named cutflow's rows (all events first, then one per region): events, and sums of
/// weights accumulated in event order.
#[derive(Clone, Debug, PartialEq)]
pub struct CutflowBuffer {
    pub events: Vec<u64>,
    pub sumw: Vec<f64>,
}

/// Storage of one histogram, flow bins included, in the layout of `graph::Axis`; which
/// sums a storage keeps: `graph::Storage`.
#[derive(Clone, Debug, PartialEq)]
pub struct HistBuffer {
    /// Sum of weights (counts for unweighted histograms).
    pub sumw: Vec<f64>,
    /// Sum of squared weights, for weighted storages only.
    pub sumw2: Option<Vec<f64>>,
    /// Sums of weight times sample and weight times squared sample, for mean storages.
    pub sumwx: Option<Vec<f64>>,
    pub sumwx2: Option<Vec<f64>>,
}

impl HistBuffer {
    /// Zeroed storage for `spec`.
    pub fn new(spec: &crate::graph::HistSpec) -> HistBuffer {
        let n = spec.size();
        let mean = spec.storage.is_mean();
        HistBuffer {
            sumw: vec![0.0; n],
            sumw2: spec.storage.has_sumw2().then(|| vec![0.0; n]),
            sumwx: mean.then(|| vec![0.0; n]),
            sumwx2: mean.then(|| vec![0.0; n]),
        }
    }

    /// The arrays of the storage, `sumw` first: what merging adds slot by slot.
    pub fn arrays_mut(&mut self) -> impl Iterator<Item = &mut Vec<f64>> {
        std::iter::once(&mut self.sumw)
            .chain(self.sumw2.as_mut())
            .chain(self.sumwx.as_mut())
            .chain(self.sumwx2.as_mut())
    }

    /// As [`HistBuffer::arrays_mut`], read-only.
    pub fn arrays(&self) -> impl Iterator<Item = &Vec<f64>> {
        std::iter::once(&self.sumw)
            .chain(self.sumw2.as_ref())
            .chain(self.sumwx.as_ref())
            .chain(self.sumwx2.as_ref())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TableBuffer {
    pub columns: Vec<OutColumn>,
}

/// One table column over a chunk's rows.
#[derive(Clone, Debug, PartialEq)]
pub struct OutColumn {
    /// One value per row; of a list column, the rows' elements one after the other.
    pub values: OutValues,
    /// A list column's row boundaries: row r holds `values[offsets[r]..offsets[r + 1]]`
    /// (`rows + 1` offsets, the first 0, the last `values.len()`). Each chunk's offsets
    /// start at 0: its rows are written as one batch of their own.
    pub offsets: Option<Vec<u64>>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OutValues {
    Bool(Vec<bool>),
    I8(Vec<i8>),
    U8(Vec<u8>),
    I16(Vec<i16>),
    U16(Vec<u16>),
    I32(Vec<i32>),
    U32(Vec<u32>),
    I64(Vec<i64>),
    U64(Vec<u64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

impl OutValues {
    pub fn new(dtype: ColumnType) -> Self {
        match dtype {
            ColumnType::Bool => OutValues::Bool(Vec::new()),
            ColumnType::I8 => OutValues::I8(Vec::new()),
            ColumnType::U8 => OutValues::U8(Vec::new()),
            ColumnType::I16 => OutValues::I16(Vec::new()),
            ColumnType::U16 => OutValues::U16(Vec::new()),
            ColumnType::I32 => OutValues::I32(Vec::new()),
            ColumnType::U32 => OutValues::U32(Vec::new()),
            ColumnType::I64 | ColumnType::Str => OutValues::I64(Vec::new()),
            ColumnType::U64 => OutValues::U64(Vec::new()),
            ColumnType::F32 => OutValues::F32(Vec::new()),
            ColumnType::F64 => OutValues::F64(Vec::new()),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            OutValues::Bool(v) => v.len(),
            OutValues::I8(v) => v.len(),
            OutValues::U8(v) => v.len(),
            OutValues::I16(v) => v.len(),
            OutValues::U16(v) => v.len(),
            OutValues::I32(v) => v.len(),
            OutValues::U32(v) => v.len(),
            OutValues::I64(v) => v.len(),
            OutValues::U64(v) => v.len(),
            OutValues::F32(v) => v.len(),
            OutValues::F64(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl OutColumn {
    /// An empty column of `spec`'s type (a list column with the one offset 0).
    pub fn new(spec: &ColumnSpec) -> Self {
        OutColumn {
            values: OutValues::new(spec.dtype),
            offsets: spec.list.then(|| vec![0]),
        }
    }

    /// Whether the column has `spec`'s type.
    pub fn matches(&self, spec: &ColumnSpec) -> bool {
        std::mem::discriminant(&self.values) == std::mem::discriminant(&OutValues::new(spec.dtype))
            && self.offsets.is_some() == spec.list
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        match &self.offsets {
            Some(o) => o.len().saturating_sub(1),
            None => self.values.len(),
        }
    }
}

impl ChunkOutput {
    /// Empty partials for `graph`: zeroed histograms, empty tables, zero counts.
    pub fn new(graph: &Graph) -> Self {
        ChunkOutput {
            hists: graph.hists.iter().map(HistBuffer::new).collect(),
            tables: graph
                .tables
                .iter()
                .map(|t| TableBuffer {
                    columns: t.columns.iter().map(OutColumn::new).collect(),
                })
                .collect(),
            cutflow: vec![0; graph.regions.len()],
            missing: vec![0; graph.hists.len()],
            cutflows: graph
                .cutflows
                .iter()
                .map(|c| CutflowBuffer {
                    events: vec![0; c.rows()],
                    sumw: vec![0.0; c.rows()],
                })
                .collect(),
        }
    }
}

/// A chunk's input disagrees with the graph (lengths that do not match, a column of the
/// wrong type): the engine refuses it before running.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineError {
    /// The branch concerned, as ROOT spells it, when there is one.
    pub branch: Option<String>,
    pub message: String,
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.branch {
            Some(b) => write!(f, "branch {b}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for EngineError {}

/// An executor of a graph over chunks: the reference interpreter or JIT-compiled kernels.
/// `run_chunk` adds the chunk's fills, rows and counts to `out` (which starts as
/// `ChunkOutput::new(graph)`); it checks every column's length and type before touching data.
pub trait Engine: Send + Sync {
    fn run_chunk(&self, input: ChunkInput<'_>, out: &mut ChunkOutput) -> Result<(), EngineError>;
}
