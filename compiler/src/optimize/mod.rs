//! Graph optimizations, one pass per file, run in this order by [`optimize`]:
//! `fold` (constant folding, re-sharing what folding makes equal), `hoist` (element-wise
//! work on a combination's members done once per object instead, then gathered),
//! `counters` (a collection's counts from a loaded branch's entry offsets), `dce`
//! (dead-node elimination), `branches` (keep only the branches the graph reads, in
//! first-use order).
//!
//! Input: a valid graph from `lower`. Output: a valid graph computing the same sinks.
//! Each pass rebuilds the node table; [`remap`] rewrites a node's references.

mod branches;
mod counters;
mod dce;
mod fold;
mod hoist;

use crate::graph::*;
use crate::lower::Builder;

pub use branches::compact_branches;
pub use counters::counters_from_offsets;
pub use dce::eliminate_dead;
pub use fold::fold_constants;
pub use hoist::hoist_through_gathers;

/// Runs every pass.
pub fn optimize(graph: Graph) -> Graph {
    let g = fold_constants(graph);
    debug_assert!(g.validate().is_ok(), "fold broke the graph");
    let g = hoist_through_gathers(g);
    debug_assert!(g.validate().is_ok(), "hoist broke the graph");
    let g = counters_from_offsets(g);
    debug_assert!(g.validate().is_ok(), "counters broke the graph");
    let g = eliminate_dead(g);
    debug_assert!(g.validate().is_ok(), "dce broke the graph");
    let g = compact_branches(g);
    debug_assert!(g.validate().is_ok(), "branches broke the graph");
    g
}

/// Rebuilds the graph through the hash-consing builder: each node, its references already
/// renamed, is given to `emit`, which adds it (or what replaces it) and returns its new id;
/// hints and region masks follow.
pub(crate) fn rebuild(
    graph: Graph,
    mut emit: impl FnMut(&mut Builder, NodeKind, Type, Shape) -> NodeId,
) -> Graph {
    let mut b = Builder::new();
    b.graph.branches = graph.branches.clone();
    let mut new_id: Vec<NodeId> = Vec::with_capacity(graph.nodes.len());
    for node in &graph.nodes {
        let map = |id: NodeId| new_id.get(id.0 as usize).copied().unwrap_or(id);
        let kind = remap(&node.kind, &map);
        let ty = remap_type(node.ty, &map);
        let shape = remap_shape(node.shape, &map);
        let id = emit(&mut b, kind, ty, shape);
        if let Some(h) = &node.hint {
            b.hint(id, h);
        }
        new_id.push(id);
    }
    Graph {
        nodes: b.graph.nodes,
        regions: remap_regions(&graph.regions, &new_id),
        ..graph
    }
}

/// Region masks renamed to the rebuilt graph's ids.
pub(crate) fn remap_regions(regions: &[RegionSpec], new_id: &[NodeId]) -> Vec<RegionSpec> {
    regions
        .iter()
        .map(|r| RegionSpec {
            name: r.name.clone(),
            mask: new_id.get(r.mask.0 as usize).copied().unwrap_or(r.mask),
        })
        .collect()
}

/// A node kind with every node reference passed through `f`.
pub(crate) fn remap(kind: &NodeKind, f: &impl Fn(NodeId) -> NodeId) -> NodeKind {
    use NodeKind::*;
    match kind {
        Source { counter } => Source { counter: *counter },
        Filter { parent, mask } => Filter {
            parent: f(*parent),
            mask: f(*mask),
        },
        Sort {
            parent,
            key,
            descending,
        } => Sort {
            parent: f(*parent),
            key: f(*key),
            descending: *descending,
        },
        Combinations { parent, k } => Combinations {
            parent: f(*parent),
            k: *k,
        },
        Cartesian { parents } => Cartesian {
            parents: parents.map(f),
        },
        Concat { parents } => Concat {
            parents: parents.map(f),
        },
        Const(l) => Const(l.clone()),
        LoadEvent { branch } => LoadEvent { branch: *branch },
        LoadElem { branch, space } => LoadElem {
            branch: *branch,
            space: f(*space),
        },
        Broadcast { value, space } => Broadcast {
            value: f(*value),
            space: f(*space),
        },
        ParentIndex { space, parent } => ParentIndex {
            space: f(*space),
            parent: *parent,
        },
        SelfIndex { space } => SelfIndex { space: f(*space) },
        Gather { index, value } => Gather {
            index: f(*index),
            value: f(*value),
        },
        Unary { op, arg } => Unary {
            op: *op,
            arg: f(*arg),
        },
        Binary { op, lhs, rhs } => Binary {
            op: *op,
            lhs: f(*lhs),
            rhs: f(*rhs),
        },
        Select { cond, then, else_ } => Select {
            cond: f(*cond),
            then: f(*then),
            else_: f(*else_),
        },
        Cast { arg } => Cast { arg: f(*arg) },
        Reduce { op, space, value } => Reduce {
            op: *op,
            space: f(*space),
            value: value.map(f),
        },
        ReduceInner { op, space, value } => ReduceInner {
            op: *op,
            space: f(*space),
            value: value.map(f),
        },
        Pick { op, space } => Pick {
            op: match op {
                PickOp::First => PickOp::First,
                PickOp::Last => PickOp::Last,
                PickOp::At { index } => PickOp::At { index: f(*index) },
                PickOp::ArgMin { key } => PickOp::ArgMin { key: f(*key) },
                PickOp::ArgMax { key } => PickOp::ArgMax { key: f(*key) },
            },
            space: f(*space),
        },
        Fill {
            hist,
            space,
            region,
            values,
            weight,
            sample,
            valid,
        } => Fill {
            hist: *hist,
            space: space.map(f),
            region: region.map(f),
            values: values.iter().map(|v| f(*v)).collect(),
            weight: weight.map(f),
            sample: sample.map(f),
            valid: valid.map(f),
        },
        Append {
            table,
            space,
            region,
            columns,
        } => Append {
            table: *table,
            space: space.map(f),
            region: region.map(f),
            columns: columns.iter().map(|v| f(*v)).collect(),
        },
        CountRegion { region, mask } => CountRegion {
            region: *region,
            mask: f(*mask),
        },
        CountCutflow {
            cutflow,
            row,
            mask,
            weight,
        } => CountCutflow {
            cutflow: *cutflow,
            row: *row,
            mask: mask.map(f),
            weight: weight.map(f),
        },
    }
}

pub(crate) fn remap_type(ty: Type, f: &impl Fn(NodeId) -> NodeId) -> Type {
    match ty {
        Type::Scalar(ScalarType::Ref(s)) => Type::Scalar(ScalarType::Ref(f(s))),
        other => other,
    }
}

pub(crate) fn remap_shape(shape: Shape, f: &impl Fn(NodeId) -> NodeId) -> Shape {
    match shape {
        Shape::Elem(s) => Shape::Elem(f(s)),
        Shape::Event => Shape::Event,
    }
}
