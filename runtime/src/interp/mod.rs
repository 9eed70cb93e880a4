//! The reference interpreter: executes a `Graph` over a chunk's decoded columns.
//!
//! Input: a chunk (`abi::ChunkInput`). Output: the chunk's fills, rows and counts added to an
//! `abi::ChunkOutput`. It is the oracle the cranelift JIT must match bit for bit, so it is
//! written to be obviously correct: one forward loop over the nodes, each node computed as a
//! whole column (one value per event or per element of a space) by one tight loop.
//! Invariant: every input column is checked against its branch before any node runs, and a
//! column is dropped after its last use, so memory is bounded by the live columns.

mod bins;
mod column;
mod sinks;
mod spaces;
mod values;

use ana_compiler::abi::{ChunkInput, ChunkOutput, Engine, EngineError};
use ana_compiler::graph::{Counter, Graph, Node, NodeId, NodeKind, Shape, Type};

pub use bins::{Binner, log_edges};
pub use column::{Col, SpaceCol};

use column::{
    check_input, counts_from_values, graph_error, input_error, load_values, offsets_from_counts,
};

/// The interpreter for one graph; shared by all worker threads (it holds no chunk state).
#[derive(Clone, Debug)]
pub struct Interpreter {
    graph: Graph,
    /// For each node, the last node that reads its column (itself if none).
    last_use: Vec<usize>,
}

impl Interpreter {
    pub fn new(graph: &Graph) -> Interpreter {
        let mut last_use: Vec<usize> = (0..graph.nodes.len()).collect();
        for (i, node) in graph.nodes.iter().enumerate() {
            for op in uses(graph, node) {
                if let Some(slot) = last_use.get_mut(op.0 as usize) {
                    *slot = (*slot).max(i);
                }
            }
        }
        Interpreter {
            graph: graph.clone(),
            last_use,
        }
    }

    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// Evaluates every node and returns the columns of all nodes (none dropped): for tests
    /// and debugging dumps.
    pub fn eval_all(
        &self,
        input: ChunkInput<'_>,
        out: &mut ChunkOutput,
    ) -> Result<Vec<Option<Col>>, EngineError> {
        self.run(input, out, false)
    }

    fn run(
        &self,
        input: ChunkInput<'_>,
        out: &mut ChunkOutput,
        drop: bool,
    ) -> Result<Vec<Option<Col>>, EngineError> {
        let g = &self.graph;
        if input.columns.len() != g.branches.len() {
            return Err(EngineError {
                branch: None,
                message: format!(
                    "{} input columns for {} branches",
                    input.columns.len(),
                    g.branches.len()
                ),
            });
        }
        for (branch, col) in g.branches.iter().zip(input.columns) {
            check_input(branch, col, input.n_events)?;
        }
        let mut cols: Vec<Option<Col>> = vec![None; g.nodes.len()];
        for (i, node) in g.nodes.iter().enumerate() {
            let value = self.eval(node, &cols, input, out)?;
            if let Some(slot) = cols.get_mut(i) {
                *slot = value;
            }
            if drop {
                for op in uses(g, node) {
                    let op = op.0 as usize;
                    if self.last_use.get(op) == Some(&i)
                        && let Some(slot) = cols.get_mut(op)
                    {
                        *slot = None;
                    }
                }
            }
        }
        Ok(cols)
    }

    fn eval(
        &self,
        node: &Node,
        cols: &[Option<Col>],
        input: ChunkInput<'_>,
        out: &mut ChunkOutput,
    ) -> Result<Option<Col>, EngineError> {
        let g = &self.graph;
        let n = input.n_events;
        let get = |id: NodeId| -> Result<&Col, EngineError> {
            cols.get(id.0 as usize)
                .and_then(Option::as_ref)
                .ok_or_else(|| graph_error(format!("%{} is read but has no value", id.0)))
        };
        let space = |id: NodeId| -> Result<&SpaceCol, EngineError> {
            match get(id)? {
                Col::Space(s) => Ok(s),
                _ => Err(graph_error(format!("%{} is not a space", id.0))),
            }
        };
        let shape_len = |shape: Shape| -> Result<usize, EngineError> {
            match shape {
                Shape::Event => Ok(n),
                Shape::Elem(s) => Ok(space(s)?.total()),
            }
        };
        let scalar_ty = || match node.ty {
            Type::Scalar(t) => Ok(t),
            Type::Space => Err(graph_error("a value node typed as a space")),
        };
        let branch = |b: ana_compiler::graph::BranchId| {
            g.branches
                .get(b.0 as usize)
                .zip(input.columns.get(b.0 as usize))
                .ok_or_else(|| graph_error(format!("branch #{} out of range", b.0)))
        };
        use NodeKind::*;
        let col = match &node.kind {
            Source { counter } => {
                let counts = match *counter {
                    Counter::Branch(b) => {
                        let (br, c) = branch(b)?;
                        if c.offsets.is_some() {
                            return Err(input_error(
                                br,
                                "a counter branch must hold one value per entry",
                            ));
                        }
                        counts_from_values(br, &c.data)?
                    }
                    Counter::SizeOf(b) => {
                        let (br, c) = branch(b)?;
                        let Some(offsets) = &c.offsets else {
                            return Err(input_error(
                                br,
                                "the branch has no entry sizes (not jagged)",
                            ));
                        };
                        // Non-decreasing: checked by `check_input`.
                        offsets
                            .iter()
                            .zip(offsets.iter().skip(1))
                            .map(|(a, z)| (z - a) as usize)
                            .collect()
                    }
                };
                let offsets = offsets_from_counts(counts.into_iter(), n)?;
                Col::Space(SpaceCol {
                    offsets,
                    parents: vec![],
                })
            }
            Filter { parent, mask } => match get(*mask)? {
                Col::Bool(m) => Col::Space(spaces::filter(space(*parent)?, m)?),
                _ => return Err(graph_error("filter mask is not bool")),
            },
            Sort {
                parent,
                key,
                descending,
            } => Col::Space(spaces::sort(space(*parent)?, get(*key)?, *descending)?),
            Combinations { parent, k } => Col::Space(spaces::combinations(space(*parent)?, *k)?),
            Cartesian { parents: [a, b] } => Col::Space(spaces::cartesian(space(*a)?, space(*b)?)?),
            Concat { parents: [a, b] } => Col::Space(spaces::concat(space(*a)?, space(*b)?)?),
            Const(lit) => values::constant(lit, shape_len(node.shape)?),
            LoadEvent { branch: b } => {
                let (br, c) = branch(*b)?;
                if c.offsets.is_some() {
                    return Err(input_error(br, "a per-event load of a jagged branch"));
                }
                load_values(&c.data)
            }
            LoadElem {
                branch: b,
                space: s,
            } => {
                let (br, c) = branch(*b)?;
                let sp = space(*s)?;
                let Some(offsets) = &c.offsets else {
                    return Err(input_error(
                        br,
                        "a per-element load of a branch with one value per entry",
                    ));
                };
                let same = offsets.len() == sp.offsets.len()
                    && offsets
                        .iter()
                        .zip(&sp.offsets)
                        .all(|(&a, &b)| a as usize == b);
                if !same {
                    return Err(input_error(
                        br,
                        "the number of values per entry differs from the collection's counter",
                    ));
                }
                load_values(&c.data)
            }
            Broadcast { value, space: s } => values::broadcast(get(*value)?, space(*s)?)?,
            ParentIndex { space: s, parent } => {
                let sp = space(*s)?;
                match sp.parents.get(*parent as usize) {
                    Some(p) => Col::Int(p.clone()),
                    None => return Err(graph_error(format!("%{} has no parent {parent}", s.0))),
                }
            }
            SelfIndex { space: s } => Col::Int((0..space(*s)?.total() as i64).collect()),
            Gather { index, value } => values::gather(get(*index)?, get(*value)?, scalar_ty()?)?,
            Unary { op, arg } => values::unary(*op, get(*arg)?)?,
            Binary { op, lhs, rhs } => values::binary(*op, get(*lhs)?, get(*rhs)?)?,
            Select { cond, then, else_ } => values::select(get(*cond)?, get(*then)?, get(*else_)?)?,
            Cast { arg } => values::cast(get(*arg)?, scalar_ty()?)?,
            Reduce {
                op,
                space: s,
                value,
            } => {
                let v = value.map(&get).transpose()?;
                values::reduce(*op, space(*s)?, v)?
            }
            ReduceInner {
                op,
                space: s,
                value,
            } => {
                let Some(NodeKind::Cartesian { parents: [a, b] }) =
                    g.nodes.get(s.0 as usize).map(|n| &n.kind)
                else {
                    return Err(graph_error(
                        "reduce_inner over a space that is not a cartesian product",
                    ));
                };
                let v = value.map(&get).transpose()?;
                values::reduce_inner(*op, space(*s)?, space(*a)?, space(*b)?, v)?
            }
            Pick { op, space: s } => {
                use ana_compiler::graph::PickOp;
                let arg = match op {
                    PickOp::First | PickOp::Last => None,
                    PickOp::At { index } => Some(get(*index)?),
                    PickOp::ArgMin { key } | PickOp::ArgMax { key } => Some(get(*key)?),
                };
                // An index per element picks per element of its own space.
                let per = match node.shape {
                    Shape::Elem(e) => Some(space(e)?),
                    Shape::Event => None,
                };
                values::pick(op, space(*s)?, arg, per)?
            }
            Fill {
                hist,
                space: s,
                region,
                values: vals,
                weight,
                sample,
                valid,
            } => {
                let sp = s.map(&space).transpose()?;
                let len = sp.map_or(n, SpaceCol::total);
                let mut rows = sinks::selected_rows(n, sp, region.map(&get).transpose()?)?;
                let i = hist.0 as usize;
                if let Some(v) = valid {
                    let missing = sinks::keep_valid(&mut rows, get(*v)?, len)?;
                    let Some(count) = out.missing.get_mut(i) else {
                        return Err(graph_error(format!("histogram #{i} out of range")));
                    };
                    *count += missing;
                }
                let vals = vals
                    .iter()
                    .map(|&v| get(v))
                    .collect::<Result<Vec<_>, _>>()?;
                let w = weight.map(&get).transpose()?;
                let x = sample.map(&get).transpose()?;
                let (Some(spec), Some(buf)) = (g.hists.get(i), out.hists.get_mut(i)) else {
                    return Err(graph_error(format!("histogram #{i} out of range")));
                };
                sinks::fill(spec, buf, &rows, &vals, w, x, len)?;
                return Ok(None);
            }
            Append {
                table,
                space: s,
                region,
                columns,
            } => {
                let sp = s.map(&space).transpose()?;
                let len = sp.map_or(n, SpaceCol::total);
                let rows = sinks::selected_rows(n, sp, region.map(&get).transpose()?)?;
                let i = table.0 as usize;
                let Some(buf) = out.tables.get_mut(i) else {
                    return Err(graph_error(format!("table #{i} out of range")));
                };
                if buf.columns.len() != columns.len() {
                    return Err(graph_error(format!(
                        "table #{i} appended with {} columns",
                        columns.len()
                    )));
                }
                for (dst, &c) in buf.columns.iter_mut().zip(columns) {
                    let shape = g.nodes.get(c.0 as usize).map(|n| n.shape);
                    match (s, shape) {
                        (None, Some(Shape::Elem(e))) => {
                            sinks::append_list(dst, get(c)?, space(e)?, &rows)?
                        }
                        _ => sinks::append(dst, get(c)?, &rows, len)?,
                    }
                }
                return Ok(None);
            }
            CountRegion { region, mask } => {
                let Col::Bool(m) = get(*mask)? else {
                    return Err(graph_error("region mask is not bool"));
                };
                let Some(count) = out.cutflow.get_mut(region.0 as usize) else {
                    return Err(graph_error(format!("region #{} out of range", region.0)));
                };
                *count += m.iter().filter(|&&b| b).count() as u64;
                return Ok(None);
            }
            CountCutflow {
                cutflow,
                row,
                mask,
                weight,
            } => {
                let Some(buf) = out.cutflows.get_mut(cutflow.0 as usize) else {
                    return Err(graph_error(format!("cutflow #{} out of range", cutflow.0)));
                };
                let mask = mask.map(&get).transpose()?;
                let weight = weight.map(&get).transpose()?;
                sinks::count_cutflow(buf, *row as usize, n, mask, weight)?;
                return Ok(None);
            }
        };
        Ok(Some(col))
    }
}

/// The nodes whose columns evaluating `node` reads: its operands, the space of its shape,
/// and for `ReduceInner` the parents of its cartesian space.
fn uses(graph: &Graph, node: &Node) -> Vec<NodeId> {
    let mut v = node.operands();
    if let Shape::Elem(s) = node.shape {
        v.push(s);
    }
    // A list column reads its space's per-event element ranges.
    if let NodeKind::Append {
        space: None,
        columns,
        ..
    } = &node.kind
    {
        v.extend(
            columns
                .iter()
                .filter_map(|c| match graph.nodes.get(c.0 as usize)?.shape {
                    Shape::Elem(s) => Some(s),
                    Shape::Event => None,
                }),
        );
    }
    if let NodeKind::ReduceInner { space, .. } = &node.kind
        && let Some(NodeKind::Cartesian { parents }) =
            graph.nodes.get(space.0 as usize).map(|n| &n.kind)
    {
        v.extend(parents);
    }
    v
}

impl Engine for Interpreter {
    fn run_chunk(&self, input: ChunkInput<'_>, out: &mut ChunkOutput) -> Result<(), EngineError> {
        self.run(input, out, true).map(|_| ())
    }
}

#[cfg(test)]
pub(crate) mod tests;
