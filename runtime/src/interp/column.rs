//! The interpreter's per-chunk values: one column per graph node, and the checks and
//! conversions that turn a chunk's decoded branches into such columns.
//!
//! Input: `abi::InputColumn`s as the reader decoded them. Output: [`Col`]s of the node's
//! type, with one value per event (`Shape::Event`) or per element of a space.
//! Invariant: a space's `offsets` has `n_events + 1` non-decreasing entries starting at 0;
//! references (`ScalarType::Ref`) are chunk-global element indices of their space, or -1.

use ana_compiler::abi::{ColumnData, EngineError, InputColumn};
use ana_compiler::graph::{Branch, PhysType, ScalarType};

/// Largest number of elements a space may have in one chunk. Combinations grow fast; past
/// this a chunk is refused with an error rather than exhausting memory (each f64 column
/// over the space is then at most 512 MiB).
pub const MAX_ELEMENTS: usize = 1 << 26;

/// The value of one node over a chunk.
#[derive(Clone, Debug, PartialEq)]
pub enum Col {
    Bool(Vec<bool>),
    /// `Int` values and `Ref` values (chunk-global element indices, -1 for none).
    Int(Vec<i64>),
    Float(Vec<f64>),
    Space(SpaceCol),
}

/// A space over a chunk: per event, a run of elements; for a derived space, the element of
/// each parent that every element comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct SpaceCol {
    /// `offsets[e]..offsets[e + 1]` are event `e`'s elements.
    pub offsets: Vec<usize>,
    /// `parents[m][i]`: chunk-global index in parent `m` of element `i`, or -1.
    pub parents: Vec<Vec<i64>>,
}

impl SpaceCol {
    pub fn total(&self) -> usize {
        self.offsets.last().copied().unwrap_or(0)
    }

    pub fn n_events(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Events with their element ranges.
    pub fn events(&self) -> impl Iterator<Item = (usize, std::ops::Range<usize>)> + '_ {
        self.offsets
            .iter()
            .zip(self.offsets.iter().skip(1))
            .enumerate()
            .map(|(e, (&a, &z))| (e, a..z))
    }
}

impl Col {
    pub fn len(&self) -> usize {
        match self {
            Col::Bool(v) => v.len(),
            Col::Int(v) => v.len(),
            Col::Float(v) => v.len(),
            Col::Space(s) => s.n_events(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Col::Bool(_) => "bool",
            Col::Int(_) => "int",
            Col::Float(_) => "float",
            Col::Space(_) => "space",
        }
    }

    /// A column of `len` copies of the missing value of `ty` (see `graph::ScalarType`).
    pub fn missing(ty: ScalarType, len: usize) -> Col {
        match ty {
            ScalarType::Bool => Col::Bool(vec![false; len]),
            ScalarType::Int => Col::Int(vec![0; len]),
            ScalarType::Ref(_) => Col::Int(vec![-1; len]),
            ScalarType::Float => Col::Float(vec![f64::NAN; len]),
        }
    }
}

/// An error about the chunk's input (not about the graph).
pub fn input_error(branch: &Branch, message: impl Into<String>) -> EngineError {
    EngineError {
        branch: Some(branch.name.clone()),
        message: message.into(),
    }
}

/// An error that only a malformed graph can cause: a compiler bug, reported, never a panic.
pub fn graph_error(message: impl Into<String>) -> EngineError {
    EngineError {
        branch: None,
        message: format!("internal error (invalid graph): {}", message.into()),
    }
}

/// Check one input column against its branch before any data is touched: the stored type,
/// jaggedness, and lengths (offsets well formed, one value per event for a flat branch).
pub fn check_input(branch: &Branch, col: &InputColumn, n_events: usize) -> Result<(), EngineError> {
    let stored_ok = matches!(
        (branch.phys, &col.data),
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
    if !stored_ok {
        return Err(input_error(
            branch,
            format!(
                "expected {:?} values, the input has another type",
                branch.phys
            ),
        ));
    }
    let len = col.data.len();
    match (&col.offsets, branch.jagged) {
        (None, false) => {
            if len != n_events {
                return Err(input_error(
                    branch,
                    format!("{len} values for {n_events} entries"),
                ));
            }
        }
        (Some(offsets), true) => {
            if offsets.len() != n_events + 1 {
                return Err(input_error(
                    branch,
                    format!("{} offsets for {n_events} entries", offsets.len()),
                ));
            }
            if offsets.first().copied().unwrap_or(0) != 0 || !offsets.is_sorted() {
                return Err(input_error(
                    branch,
                    "entry offsets do not start at 0 or decrease",
                ));
            }
            if offsets.last().map(|&o| o as usize) != Some(len) {
                return Err(input_error(
                    branch,
                    format!(
                        "offsets end at {:?}, but there are {len} values",
                        offsets.last()
                    ),
                ));
            }
        }
        (None, true) => return Err(input_error(branch, "jagged branch without entry offsets")),
        (Some(_), false) => {
            return Err(input_error(branch, "flat branch given with entry offsets"));
        }
    }
    Ok(())
}

/// The branch's values converted to the graph's value type: integers widen to i64 (u64
/// wraps), f32 widens to f64.
pub fn load_values(data: &ColumnData) -> Col {
    fn ints<T: Copy>(v: &[T], f: impl Fn(T) -> i64) -> Col {
        Col::Int(v.iter().map(|&x| f(x)).collect())
    }
    match data {
        ColumnData::Bool(v) => Col::Bool(v.clone()),
        ColumnData::I8(v) => ints(v, i64::from),
        ColumnData::U8(v) => ints(v, i64::from),
        ColumnData::I16(v) => ints(v, i64::from),
        ColumnData::U16(v) => ints(v, i64::from),
        ColumnData::I32(v) => ints(v, i64::from),
        ColumnData::U32(v) => ints(v, i64::from),
        ColumnData::I64(v) => Col::Int(v.clone()),
        ColumnData::U64(v) => ints(v, |x| x as i64),
        ColumnData::F32(v) => Col::Float(v.iter().map(|&x| f64::from(x)).collect()),
        ColumnData::F64(v) => Col::Float(v.clone()),
    }
}

/// Per-event element counts from a counter branch (`nMuon`): integer values, non-negative.
pub fn counts_from_values(branch: &Branch, data: &ColumnData) -> Result<Vec<usize>, EngineError> {
    let Col::Int(v) = load_values(data) else {
        return Err(input_error(branch, "a counter branch must hold integers"));
    };
    let mut counts = Vec::with_capacity(v.len());
    for x in v {
        let n = usize::try_from(x)
            .map_err(|_| input_error(branch, format!("negative element count {x}")))?;
        counts.push(n);
    }
    Ok(counts)
}

/// Offsets from per-event counts, refusing totals past [`MAX_ELEMENTS`].
pub fn offsets_from_counts(
    counts: impl Iterator<Item = usize>,
    n_events: usize,
) -> Result<Vec<usize>, EngineError> {
    let mut offsets = Vec::with_capacity(n_events + 1);
    let mut total = 0usize;
    offsets.push(0);
    for c in counts {
        total = total.saturating_add(c);
        if total > MAX_ELEMENTS {
            return Err(EngineError {
                branch: None,
                message: format!(
                    "more than {MAX_ELEMENTS} elements of one collection or combination in \
                     one chunk: select objects before combining them, or use smaller chunks \
                     (--chunk-entries)"
                ),
            });
        }
        offsets.push(total);
    }
    Ok(offsets)
}
