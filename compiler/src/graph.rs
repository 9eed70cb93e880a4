//! The dataflow graph: the one representation of a script that both engines execute.
//!
//! Input: built by `lower` from the checked AST, then rewritten by `optimize`.
//! Output: executed by the reference interpreter (`ana_runtime::interp`) and compiled by
//! `codegen` (cranelift). Both engines must produce bit-identical sinks, so every node's
//! semantics is written down here, and nowhere else.
//!
//! # Invariants
//! - `nodes` is in topological order: a node refers only to earlier ids. Interpreting and
//!   code generation are one forward loop. [`Graph::validate`] checks this after every pass.
//! - Every node is total: evaluation never traps and never allocates per event. Division by
//!   zero gives inf/NaN, a missing element gives the type's missing value (see [`ScalarType`]).
//!   Hence CSE and hoisting are always safe: a value computed outside a selection cannot fault.
//! - Four-vectors do not exist here: `lower` expands them into their components (px, py, pz, e
//!   or pt, eta, phi, mass) made of scalar nodes, so CSE shares components across outputs.
//!
//! # Model
//! A chunk is `n` consecutive events. A node has a [`Shape`]: one value per event, or one value
//! per element of a *space*. A space is a node too: per event, an ordered list of elements
//! (the muons of the event, the muons passing a cut, the pairs of muons, ...). A space that is
//! derived from others (filter, sort, combinations, concatenation) knows, for each of its
//! elements, which element of each parent it comes from ([`NodeKind::ParentIndex`]); values of
//! a parent are brought into a derived space with [`NodeKind::Gather`].

use std::fmt;

/// Index of a node in [`Graph::nodes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

/// Index of a branch in [`Graph::branches`]; also the index of its column in a chunk's input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BranchId(pub u32);

/// Index of a histogram in [`Graph::hists`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HistId(pub u32);

/// Index of a table in [`Graph::tables`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableId(pub u32);

/// Index of a named cutflow in [`Graph::cutflows`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CutflowId(pub u32);

/// Index of a region in [`Graph::regions`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionId(pub u32);

/// The whole script: the nodes plus the tables that name inputs and outputs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Graph {
    pub nodes: Vec<Node>,
    /// Branches read from the input tree: exactly those the graph uses, in first-use order.
    pub branches: Vec<Branch>,
    pub hists: Vec<HistSpec>,
    pub tables: Vec<TableSpec>,
    /// Named event selections in declaration order: the cutflow's rows.
    pub regions: Vec<RegionSpec>,
    /// Named cutflows (`cutflow NAME: r1, r2 weight w`) in declaration order.
    pub cutflows: Vec<CutflowSpec>,
    /// Input tree name (default `Events`).
    pub tree: String,
    /// The script's strings, interned: a string value is an `Int` node holding its index
    /// here (string categories, string table columns); -1 is no string.
    pub strings: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub ty: Type,
    pub shape: Shape,
    /// The script name this value was bound to, for readable dumps. Ignored by CSE.
    pub hint: Option<String>,
}

/// One value per event, or one value per element of a space (the id of a space node).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    Event,
    Elem(NodeId),
}

/// The type of a node's values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Scalar(ScalarType),
    /// The node is a space (its shape is `Event`: one list of elements per event).
    Space,
}

/// Value types. The value a node holds where the script's value is missing (a
/// [`NodeKind::Gather`] through index -1) is `Float` NaN, `Int` 0, `Bool` false, `Ref` -1.
/// Whether a script value is missing is not encoded in the value: lowering keeps, beside
/// every value that can be missing, a `Bool` node of the same shape that holds where it is
/// present, and builds fills, table nulls, `valid(x)` and `x ?? d` from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarType {
    Bool,
    /// i64; arithmetic wraps.
    Int,
    /// f64.
    Float,
    /// An element of the given space, stored as i64; -1 means "none". The encoding is the
    /// engine's own (an engine may use chunk-global or per-event indices); only `Eq`/`Ne`
    /// and `Gather` observe it, so outputs never depend on it.
    Ref(NodeId),
}

/// The on-disk type of a branch's values; loads convert to `Int`, `Float` or `Bool`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PhysType {
    Bool,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
}

impl PhysType {
    /// The graph type that a load of this branch produces: integers widen to i64
    /// (u64 wraps), f32 widens to f64.
    pub fn value_type(self) -> ScalarType {
        match self {
            PhysType::Bool => ScalarType::Bool,
            PhysType::F32 | PhysType::F64 => ScalarType::Float,
            _ => ScalarType::Int,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Branch {
    /// The branch name as ROOT spells it.
    pub name: String,
    pub phys: PhysType,
    /// Jagged (one list per entry: `Muon_pt[nMuon]`, `std::vector<T>`) or one value per entry.
    pub jagged: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    // ---- spaces (ty = Space, shape = Event) ----
    /// `Muon{...}`: per event, `counter` elements.
    Source {
        counter: Counter,
    },
    /// `muons[pt > 20]`: the elements of `parent` whose `mask` (Bool, `Elem(parent)`) holds,
    /// in parent order. `ParentIndex(self, 0)` points into `parent`.
    Filter {
        parent: NodeId,
        mask: NodeId,
    },
    /// `sort(jets, pt, desc)`: the elements of `parent` ordered by `key` (Float or Int,
    /// `Elem(parent)`), stable; NaN keys go last in both directions. Float keys compare with
    /// IEEE `<` (so -0 and +0 are equal keys and keep parent order).
    Sort {
        parent: NodeId,
        key: NodeId,
        descending: bool,
    },
    /// `pairs(mu)`, `triples(jets)`: the `k`-element combinations i0 < i1 < ... of `parent`,
    /// in lexicographic order of (i0, i1, ...) as `ak.combinations`. `ParentIndex(self, m)`
    /// is member m; all point into `parent`. 2 <= k <= 3.
    Combinations {
        parent: NodeId,
        k: u8,
    },
    /// `pairs(jets, leptons)`: all (i, j) with i in `parents[0]`, j in `parents[1]`, in
    /// lexicographic order of (i, j) as `ak.cartesian`. `ParentIndex(self, m)` points into
    /// `parents[m]`.
    Cartesian {
        parents: [NodeId; 2],
    },
    /// `concat(electrons, muons)`: per event the elements of `parents[0]`, then those of
    /// `parents[1]`. `ParentIndex(self, m)` points into `parents[m]`, or is -1 for an element
    /// that comes from the other parent.
    Concat {
        parents: [NodeId; 2],
    },

    // ---- values ----
    Const(Literal),
    /// One value per event from a non-jagged branch. Shape `Event`.
    LoadEvent {
        branch: BranchId,
    },
    /// The values of a jagged branch, one per element of `space` (a `Source` space). Shape
    /// `Elem(space)`. The engine checks that the branch holds exactly as many values per
    /// event as the space has elements.
    LoadElem {
        branch: BranchId,
        space: NodeId,
    },
    /// An event value repeated for every element of `space`. Shape `Elem(space)`.
    Broadcast {
        value: NodeId,
        space: NodeId,
    },
    /// For each element of the derived `space`, the element of its parent number `parent`
    /// that it comes from. Type `Ref(that parent)`, shape `Elem(space)`.
    ParentIndex {
        space: NodeId,
        parent: u8,
    },
    /// Each element of `space` as a reference to itself: `Ref(space)`, shape `Elem(space)`.
    /// Lets a script compare objects for identity (`l != best.0`).
    SelfIndex {
        space: NodeId,
    },
    /// `value` (shape `Elem(S)`) at the element `index` (type `Ref(S)`, any shape) points
    /// to; the missing value of the type when `index` is -1. Shape of `index`.
    Gather {
        index: NodeId,
        value: NodeId,
    },
    Unary {
        op: UnaryOp,
        arg: NodeId,
    },
    /// Both operands have the node's shape (lowering inserts `Broadcast`/`Gather`).
    Binary {
        op: BinaryOp,
        lhs: NodeId,
        rhs: NodeId,
    },
    /// `cond ? then : else_`, all three evaluated (every node is total).
    Select {
        cond: NodeId,
        then: NodeId,
        else_: NodeId,
    },
    /// Convert `arg` to the node's type: Bool->Int (0/1), Bool->Float, Int->Float (`as f64`),
    /// Float->Int (`as i64`: truncate, saturate, NaN -> 0).
    Cast {
        arg: NodeId,
    },
    /// Per event, fold `value` (shape `Elem(space)`) over the elements of `space` in order.
    /// Shape `Event`. See [`ReduceOp`] for results on empty lists.
    Reduce {
        op: ReduceOp,
        space: NodeId,
        value: Option<NodeId>,
    },
    /// `jets[j => all(leptons, l => deltaR(j, l) > 0.4)]`: for each element i of
    /// `parents[0]` of the `Cartesian` space `space`, fold `value` (shape `Elem(space)`) over the
    /// pairs (i, j) in j order. Shape `Elem(parents[0])`; same results on empty lists as `Reduce`.
    ReduceInner {
        op: ReduceOp,
        space: NodeId,
        value: Option<NodeId>,
    },
    /// Per event, choose one element of `space`: type `Ref(space)`, shape `Event`.
    Pick {
        op: PickOp,
        space: NodeId,
    },

    // ---- sinks (ty = Scalar(Bool) by convention, never used as operands) ----
    /// Fill histogram `hist` with one entry per event (`space` None) or per element of
    /// `space`, when `region` (Bool, Event) holds. `values` has one node per axis, all with
    /// the sink's shape, as have `weight` (Float), `sample` (Float, the value averaged by a
    /// mean storage) and `valid` (Bool) when present. A row where `region` holds but `valid`
    /// does not is not filled: it adds 1 to the histogram's missing count instead. Fill
    /// order: events ascending, then elements ascending.
    Fill {
        hist: HistId,
        space: Option<NodeId>,
        region: Option<NodeId>,
        values: Vec<NodeId>,
        weight: Option<NodeId>,
        sample: Option<NodeId>,
        valid: Option<NodeId>,
    },
    /// Append one row to `table` per event (`space` None) or per element of `space`, when
    /// `region` holds; `columns` in the order of `TableSpec::columns`, each converted to its
    /// column's `dtype` (Float -> f32 rounds to nearest; Int -> a narrower or unsigned
    /// integer keeps the low bits, as `as`). With a `space`, every column has shape
    /// `Elem(space)`. Without one, a column of shape `Event` is one value per row, and a
    /// column of shape `Elem(s)` is a list column (`ColumnSpec::list`): its row holds the
    /// column's values at the elements of `s` in that event, in element order (possibly
    /// none); different list columns may have different spaces.
    Append {
        table: TableId,
        space: Option<NodeId>,
        region: Option<NodeId>,
        columns: Vec<NodeId>,
    },
    /// Count the events where `mask` (Bool, Event) holds: the cutflow row of `region`.
    CountRegion {
        region: RegionId,
        mask: NodeId,
    },
    /// Row `row` of named cutflow `cutflow`: for each event where `mask` (Bool, Event) holds
    /// (every event when None), add 1 to the row's events and `weight` (Float, Event; 1.0
    /// when None) to its sum of weights, in event order (sequential f64 additions, so both
    /// engines agree bit for bit). `weight` is read only where `mask` holds. Row 0 counts all
    /// events; row i > 0 has the conjunction of the masks of the cutflow's first i regions
    /// (each region's mask includes its `in` parents).
    CountCutflow {
        cutflow: CutflowId,
        row: u32,
        mask: Option<NodeId>,
        weight: Option<NodeId>,
    },
}

/// How a `Source` space gets its per-event size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Counter {
    /// An integer, non-jagged branch (`nMuon`): its value is the event's element count.
    Branch(BranchId),
    /// The entry sizes of a jagged branch itself (`std::vector<float>` without a counter).
    SizeOf(BranchId),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Bool(bool),
    Int(i64),
    Float(f64),
    /// An interned string (`Graph::strings`): an `Int` holding its id, kept apart from the
    /// integer of the same value so that CSE never merges a string with a number.
    Str(i64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// Int: wrapping; Float: sign flip.
    Neg,
    /// Bool only.
    Not,
    /// Int (wrapping) or Float.
    Abs,
    // Float -> Float. `Sqrt`, `Floor`, `Ceil` are IEEE-exact; `Sin`, `Cos`, `Sinh` are ana's
    // own (`crate::math`), the others the Rust std function of the same name (`f64::exp`,
    // ...): both engines call the same function, so results are identical.
    Sqrt,
    Exp,
    Log,
    Log10,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Asinh,
    Floor,
    Ceil,
    /// Bool: is the value NaN.
    IsNan,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// Int (wrapping) or Float, both operands the same type.
    Add,
    Sub,
    Mul,
    /// Float only (lowering casts Int operands): IEEE division.
    Div,
    /// Float only: `a - b * floor(a / b)` (the sign of `b`), used for angle wrapping.
    Mod,
    /// Float only: `f64::powf`.
    Pow,
    /// Float only: `f64::atan2(lhs, rhs)`.
    Atan2,
    /// Int or Float. Float: NaN if either operand is NaN, else the smaller; -0 < +0
    /// (cranelift `fmin` semantics).
    Min,
    /// As `Min`, the larger.
    Max,
    /// Comparisons of Int, Float (IEEE: NaN compares false, `Ne` true) or Ref (Eq/Ne only).
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// Bool only; both operands evaluated.
    And,
    Or,
}

/// Per-event folds. Empty lists give: Count 0, Sum 0 (0.0), Min/Max NaN (Float; Int values
/// are cast to Float by lowering), Any false, All true.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    /// Number of elements (`value` None). Int.
    Count,
    /// Sum in element order starting from 0 (Float: sequential f64 additions, never
    /// reassociated, so both engines agree bit for bit). Int or Float.
    Sum,
    /// Float, NaN-propagating as [`BinaryOp::Min`].
    Min,
    Max,
    /// Bool.
    Any,
    All,
}

/// Per-event choice of one element. Result -1 when there is none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PickOp {
    /// The first element.
    First,
    /// `mu[i]`, `jets[mu.jetIdx]`: the element at `index` (Int, any shape: the result has
    /// the index's shape) of the event's list; an index outside `0..count` (negative ones
    /// included, as NanoAOD's -1 for "none") gives -1.
    At { index: NodeId },
    /// The last element.
    Last,
    /// The first element with the smallest `key` (Float or Int, `Elem(space)`); NaN keys are
    /// skipped.
    ArgMin { key: NodeId },
    /// The first element with the largest key; NaN keys are skipped.
    ArgMax { key: NodeId },
}

#[derive(Clone, Debug, PartialEq)]
pub struct HistSpec {
    pub name: String,
    /// 1 to [`MAX_AXES`] axes.
    pub axes: Vec<Axis>,
    pub storage: Storage,
}

/// Most axes a histogram may have.
pub const MAX_AXES: usize = 8;

/// What each bin accumulates (`abi::HistBuffer` holds the sums).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// Counts: `sumw` += 1.
    Double,
    /// With a weight w: `sumw` += w, `sumw2` += w*w.
    Weighted,
    /// A profile without weights: `sumw` += 1 (the count), `sumwx` += x, `sumwx2` += x*x
    /// for the fill's sample x; written as UHI `mean` storage.
    Mean,
    /// A profile with weights: `sumw` += w, `sumw2` += w*w, `sumwx` += w*x,
    /// `sumwx2` += w*x*x; written as UHI `weighted_mean` storage.
    WeightedMean,
}

impl Storage {
    /// Whether the storage keeps the sum of squared weights.
    pub fn has_sumw2(self) -> bool {
        matches!(self, Storage::Weighted | Storage::WeightedMean)
    }

    /// Whether the storage keeps sums of the sample (a profile).
    pub fn is_mean(self) -> bool {
        matches!(self, Storage::Mean | Storage::WeightedMean)
    }
}

/// A histogram axis. Bin layout in storage: `[underflow, bins..., overflow]` for every kind
/// but `Category`, which is `[bins..., overflow]` (as `hist` with default flow options).
/// Multi-axis storage is row-major: the first axis varies slowest.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The axis name in the output (`metadata.name`).
    pub name: String,
    pub label: String,
    pub kind: AxisKind,
}

/// Bin finding, identical to boost-histogram (so fills land where `hist` puts them).
/// Int (and Bool, as 0/1) values bin exactly on `Integer` and `Category` axes, and as their
/// `as f64` value on the others:
#[derive(Clone, Debug, PartialEq)]
pub enum AxisKind {
    /// `z = (x - lo) / (hi - lo)`; `z >= 1` or NaN: overflow; `z < 0`: underflow; else bin
    /// `(z * n) as i64` (which can equal n: overflow).
    Regular { bins: u32, lo: f64, hi: f64 },
    /// As `Regular` on `ln(x)` with bounds `ln(lo)`, `ln(hi)` (hist's log transform); written
    /// out as the variable axis with boost's edges `exp((1 - i/n) * ln(lo) + (i/n) * ln(hi))`
    /// (these are what `hist` serializes; the interpreter's `log_edges`).
    Log { bins: u32, lo: f64, hi: f64 },
    /// Edges strictly increasing: bin `upper_bound(edges, x) - 1`; `x < edges[0]`: underflow;
    /// `x >= edges[n]` or NaN: overflow.
    Variable { edges: Vec<f64> },
    /// Integer bins `lo..hi`: bin `floor(x) - lo`; below: underflow; above or NaN: overflow.
    Integer { lo: i64, hi: i64 },
    /// Integer categories: the index of the value in `values`, else overflow. A Float value
    /// is first truncated toward zero (`as i64`), as boost's cast.
    Category { values: Vec<i64> },
    /// String categories: engines bin the interned string ids (`Graph::strings`) exactly as
    /// `Category` bins `ids`; `values[k]` is the string of `ids[k]`, written to the output.
    StrCategory { values: Vec<String>, ids: Vec<i64> },
}

#[derive(Clone, Debug, PartialEq)]
pub struct TableSpec {
    pub name: String,
    /// The columns engines append, in order: the visible ones, then one Bool column per
    /// nullable column (its validity, see `nullable`), which outputs do not show.
    pub columns: Vec<ColumnSpec>,
    /// `(column, validity column)`: the column is null in rows where the validity column
    /// is false (the script's value was missing).
    pub nullable: Vec<(usize, usize)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ColumnSpec {
    /// Any string, e.g. `mu+_pt`.
    pub name: String,
    /// The type of the column's values (of a list column: of its elements).
    pub dtype: ColumnType,
    /// A list column: each row holds a list of values (Parquet `list<item: dtype>`). True
    /// exactly for the element-shaped columns of a per-event `Append`.
    pub list: bool,
}

/// Parquet column types. A column's type is the physical type of the branch when the value
/// is a plain load (possibly gathered or broadcast) of a branch: float32, any integer type
/// (so NanoAOD's `event`, a ULong64_t, is written as uint64 with the bits it has) or bool;
/// else float64, int64 or bool by the value's type; `Str` holds interned
/// string ids (engines append them as `I64`), written as UTF-8 strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnType {
    Bool,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
    Str,
}

impl ColumnType {
    /// The column type of a plain load of a branch of type `phys`.
    pub fn of_branch(phys: PhysType) -> ColumnType {
        match phys {
            PhysType::Bool => ColumnType::Bool,
            PhysType::I8 => ColumnType::I8,
            PhysType::U8 => ColumnType::U8,
            PhysType::I16 => ColumnType::I16,
            PhysType::U16 => ColumnType::U16,
            PhysType::I32 => ColumnType::I32,
            PhysType::U32 => ColumnType::U32,
            PhysType::I64 => ColumnType::I64,
            PhysType::U64 => ColumnType::U64,
            PhysType::F32 => ColumnType::F32,
            PhysType::F64 => ColumnType::F64,
        }
    }

    /// An integer type narrower than i64 or unsigned: only Int (and Bool) values are
    /// written to it (the loads of branches of that type), keeping their low bits.
    pub fn is_narrow_int(self) -> bool {
        matches!(
            self,
            ColumnType::I8
                | ColumnType::U8
                | ColumnType::I16
                | ColumnType::U16
                | ColumnType::U32
                | ColumnType::U64
        )
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct RegionSpec {
    pub name: String,
    /// The node with the region's mask (Bool, Event), parents already and-ed in.
    pub mask: NodeId,
}

/// `cutflow NAME: r1, r2, r3 weight EXPR`: rows "all events", then after `r1`, after `r1 and
/// r2`, ... (as coffea's `PackedSelection.cutflow` and RDataFrame's `Report`).
#[derive(Clone, Debug, PartialEq)]
pub struct CutflowSpec {
    pub name: String,
    /// The regions' names, in the cutflow's order: row i + 1 is after `regions[..=i]`.
    pub regions: Vec<String>,
    /// The weight expression as written, when the cutflow has one (sumw = events without).
    pub weight: Option<String>,
}

impl CutflowSpec {
    /// Rows of the cutflow: all events, then one per region.
    pub fn rows(&self) -> usize {
        self.regions.len() + 1
    }
}

impl Axis {
    /// Number of storage slots along this axis, flow bins included.
    pub fn extent(&self) -> usize {
        match &self.kind {
            AxisKind::Regular { bins, .. } | AxisKind::Log { bins, .. } => *bins as usize + 2,
            AxisKind::Variable { edges } => edges.len().saturating_sub(1) + 2,
            AxisKind::Integer { lo, hi } => (hi.saturating_sub(*lo)).max(0) as usize + 2,
            AxisKind::Category { values } => values.len() + 1,
            AxisKind::StrCategory { ids, .. } => ids.len() + 1,
        }
    }
}

/// Most storage slots (flow bins included) a histogram may have: every worker holds a
/// partial copy of each histogram, 8 bytes per slot (16 when weighted).
pub const MAX_HIST_SLOTS: usize = 100_000_000;

impl HistSpec {
    /// Number of storage slots of the histogram, flow bins included (saturating: the
    /// checker refuses histograms of more than [`MAX_HIST_SLOTS`]).
    pub fn size(&self) -> usize {
        self.axes
            .iter()
            .map(Axis::extent)
            .fold(1usize, usize::saturating_mul)
    }
}

impl Node {
    pub fn is_space(&self) -> bool {
        self.ty == Type::Space
    }

    pub fn is_sink(&self) -> bool {
        matches!(
            self.kind,
            NodeKind::Fill { .. }
                | NodeKind::Append { .. }
                | NodeKind::CountRegion { .. }
                | NodeKind::CountCutflow { .. }
        )
    }

    /// The nodes this node reads, in a fixed order.
    pub fn operands(&self) -> Vec<NodeId> {
        use NodeKind::*;
        match &self.kind {
            Source { .. } | Const(_) | LoadEvent { .. } => vec![],
            Filter { parent, mask } => vec![*parent, *mask],
            Sort { parent, key, .. } => vec![*parent, *key],
            Combinations { parent, .. } => vec![*parent],
            Cartesian { parents } | Concat { parents } => parents.to_vec(),
            LoadElem { space, .. } => vec![*space],
            Broadcast { value, space } => vec![*value, *space],
            ParentIndex { space, .. } | SelfIndex { space } => vec![*space],
            Gather { index, value } => vec![*index, *value],
            Unary { arg, .. } | Cast { arg } => vec![*arg],
            Binary { lhs, rhs, .. } => vec![*lhs, *rhs],
            Select { cond, then, else_ } => vec![*cond, *then, *else_],
            Reduce { space, value, .. } | ReduceInner { space, value, .. } => {
                std::iter::once(*space).chain(*value).collect()
            }
            Pick { op, space } => {
                let mut v = vec![*space];
                match op {
                    PickOp::First | PickOp::Last => {}
                    PickOp::At { index } => v.push(*index),
                    PickOp::ArgMin { key } | PickOp::ArgMax { key } => v.push(*key),
                }
                v
            }
            Fill {
                space,
                region,
                values,
                weight,
                sample,
                valid,
                ..
            } => space
                .iter()
                .chain(region.iter())
                .chain(values.iter())
                .chain(weight.iter())
                .chain(sample.iter())
                .chain(valid.iter())
                .copied()
                .collect(),
            Append {
                space,
                region,
                columns,
                ..
            } => space
                .iter()
                .chain(region.iter())
                .chain(columns.iter())
                .copied()
                .collect(),
            CountRegion { mask, .. } => vec![*mask],
            CountCutflow { mask, weight, .. } => {
                mask.iter().chain(weight.iter()).copied().collect()
            }
        }
    }
}

impl Graph {
    /// An append's columns match its table: one per column, each of the row's shape, or a
    /// list column exactly when element-shaped in a per-event table.
    fn validate_append(
        &self,
        table: TableId,
        space: Option<NodeId>,
        columns: &[NodeId],
    ) -> Result<(), String> {
        let spec = self
            .tables
            .get(table.0 as usize)
            .ok_or_else(|| format!("table #{} out of range", table.0))?;
        if spec.columns.len() != columns.len() {
            return Err(format!(
                "{} values for the {} columns of table {}",
                columns.len(),
                spec.columns.len(),
                spec.name
            ));
        }
        for (c, &v) in spec.columns.iter().zip(columns) {
            let node = self.node(v);
            let list = match (space, node.shape) {
                (Some(s), Shape::Elem(e)) if e == s => false,
                (Some(_), _) => {
                    return Err(format!("column {} is not one value per row", c.name));
                }
                (None, shape) => shape != Shape::Event,
            };
            if list != c.list {
                return Err(format!(
                    "column {} is a list exactly when not one value per row",
                    c.name
                ));
            }
            let ty = match node.ty {
                Type::Scalar(t) => t,
                Type::Space => return Err(format!("column {} is a space", c.name)),
            };
            if matches!(ty, ScalarType::Ref(_))
                || (c.dtype.is_narrow_int() && !matches!(ty, ScalarType::Int | ScalarType::Bool))
            {
                return Err(format!(
                    "a {ty:?} value in the {:?} column {}",
                    c.dtype, c.name
                ));
            }
        }
        Ok(())
    }
}

/// A graph that breaks an invariant: a bug in the compiler, never a user error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidGraph {
    pub node: NodeId,
    pub reason: String,
}

impl fmt::Display for InvalidGraph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid graph at %{}: {}", self.node.0, self.reason)
    }
}

impl std::error::Error for InvalidGraph {}

impl Graph {
    /// Node `id` of this graph.
    ///
    /// # Panics
    /// If `id` is not a node of this graph: ids are only made by the graph's builder and
    /// refer to earlier nodes (`Graph::validate`).
    #[expect(
        clippy::indexing_slicing,
        reason = "node ids always refer to nodes of the same graph (`Graph::validate`)"
    )]
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    /// Check the structural invariants: topological order, operands of the right kind
    /// (spaces where spaces are expected), ids in range. Run after every pass in debug
    /// builds and in tests.
    pub fn validate(&self) -> Result<(), InvalidGraph> {
        for (i, node) in self.nodes.iter().enumerate() {
            let here = NodeId(i as u32);
            let bad = |reason: String| InvalidGraph { node: here, reason };
            for op in node.operands() {
                if op.0 as usize >= i {
                    return Err(bad(format!("operand %{} is not earlier", op.0)));
                }
                if self.node(op).is_sink() {
                    return Err(bad(format!("operand %{} is a sink", op.0)));
                }
            }
            if let Shape::Elem(s) = node.shape
                && (s.0 as usize >= i || !self.node(s).is_space())
            {
                return Err(bad(format!(
                    "shape refers to %{} which is not an earlier space",
                    s.0
                )));
            }
            let space_operand = |id: NodeId| -> Result<(), InvalidGraph> {
                if self.node(id).is_space() {
                    Ok(())
                } else {
                    Err(bad(format!("%{} is used as a space but is a value", id.0)))
                }
            };
            use NodeKind::*;
            match &node.kind {
                Filter { parent, .. } | Sort { parent, .. } | Combinations { parent, .. } => {
                    space_operand(*parent)?
                }
                Cartesian { parents } | Concat { parents } => {
                    space_operand(parents[0])?;
                    space_operand(parents[1])?;
                }
                LoadElem { space, .. }
                | Broadcast { space, .. }
                | ParentIndex { space, .. }
                | SelfIndex { space }
                | Reduce { space, .. }
                | ReduceInner { space, .. }
                | Pick { space, .. } => space_operand(*space)?,
                _ => {}
            }
            if let LoadEvent { branch } | LoadElem { branch, .. } = &node.kind
                && branch.0 as usize >= self.branches.len()
            {
                return Err(bad(format!("branch #{} out of range", branch.0)));
            }
            if let Append {
                table,
                space,
                columns,
                ..
            } = &node.kind
            {
                self.validate_append(*table, *space, columns).map_err(bad)?;
            }
        }
        Ok(())
    }
}
