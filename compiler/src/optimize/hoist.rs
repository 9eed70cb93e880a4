//! Hoisting through gathers: an element-wise operation whose operands are all read from one
//! combination's member (`op(gather(a, i), gather(b, i))`, with `i` a `ParentIndex` of
//! `triples` or a cartesian product) is computed once per object of the parent collection
//! and gathered instead (`gather(op(a, b), i)`).
//!
//! Why: lowering writes a candidate's four-vector sum member by member, so every member's
//! `pt * cos(phi)`, `sinh(eta)`, energy... was computed once per combination the object is
//! in: for the triples of 8 jets, 21 times per jet. After this pass each object's components
//! are computed once and the combinations only add them up.
//!
//! The same pass composes gathers: `gather(gather(w, i), p)` (a value of a filtered list's
//! element, picked by `first`) becomes `gather(w, gather(i, p))`, so no value is brought
//! into the intermediate space only to be read at one element.
//!
//! Input: a valid graph. Output: the graph rebuilt through the hash-consing builder (so the
//! hoisted operations of the several members share one node). Values are unchanged, bit for
//! bit: the same operation on the same operands. Only combination and cartesian spaces
//! qualify: their parent indices are never -1 (a gather at -1 gives the missing value, and
//! `op(missing)` need not be missing), and their members repeat objects; a filtered or
//! sorted space holds each object at most once, where hoisting could only add work.

use super::{rebuild, remap};
use crate::graph::*;
use crate::lower::Builder;

pub fn hoist_through_gathers(graph: Graph) -> Graph {
    rebuild(graph, |b, kind, ty, shape| {
        if let NodeKind::Gather { index, value } = kind
            && let NodeKind::Gather {
                index: inner,
                value: w,
            } = b.node(value).kind
        {
            // A gather of a gather reads through: `w` at (`inner` at `index`). The picked
            // muon's pt is read at its index, not gathered for every muon of the filtered
            // list first; a missing index stays missing (-1 at -1 is -1).
            let inner_ty = b.node(inner).ty;
            let at = b.add(
                NodeKind::Gather {
                    index,
                    value: inner,
                },
                inner_ty,
                shape,
            );
            return b.add(
                NodeKind::Gather {
                    index: at,
                    value: w,
                },
                ty,
                shape,
            );
        }
        match hoistable(b, &kind, ty) {
            Some((index, parent)) => {
                let lifted = lift(b, &kind, parent);
                let value = b.add(lifted, ty, Shape::Elem(parent));
                b.add(NodeKind::Gather { index, value }, ty, shape)
            }
            None => b.add(kind, ty, shape),
        }
    })
}

/// The common index and the parent space when every operand of the element-wise `kind` is a
/// gather at one combination member's index, or a broadcast (at least one gather).
fn hoistable(b: &Builder, kind: &NodeKind, ty: Type) -> Option<(NodeId, NodeId)> {
    if !matches!(
        ty,
        Type::Scalar(ScalarType::Float | ScalarType::Int | ScalarType::Bool)
    ) {
        return None;
    }
    let mut index = None;
    for op in operands(kind)? {
        match &b.node(op).kind {
            NodeKind::Gather { index: i, .. } if index.is_none_or(|j| j == *i) => {
                index = Some(*i);
            }
            NodeKind::Broadcast { .. } => {}
            _ => return None,
        }
    }
    let index = index?;
    let NodeKind::ParentIndex { space, .. } = &b.node(index).kind else {
        return None;
    };
    // Pairs are left alone: in the common event with two objects each is in one pair, so
    // hoisting saves nothing, and an event with one object would compute it for no pair
    // (measured: ADL q5 and q8 slower by 10-20%, q6 with triples 1.6x faster).
    if !matches!(
        b.node(*space).kind,
        NodeKind::Combinations { k: 3.., .. } | NodeKind::Cartesian { .. }
    ) {
        return None;
    }
    match b.node(index).ty {
        Type::Scalar(ScalarType::Ref(parent)) => Some((index, parent)),
        _ => None,
    }
}

/// `kind` with each gather replaced by the gathered value and each broadcast re-aimed at
/// the parent space.
fn lift(b: &mut Builder, kind: &NodeKind, parent: NodeId) -> NodeKind {
    let mut lifted: Vec<(NodeId, NodeId)> = Vec::new();
    for op in operands(kind).unwrap_or_default() {
        let node = b.node(op).clone();
        let to = match node.kind {
            NodeKind::Gather { value, .. } => value,
            NodeKind::Broadcast { value, .. } => b.add(
                NodeKind::Broadcast {
                    value,
                    space: parent,
                },
                node.ty,
                Shape::Elem(parent),
            ),
            _ => op,
        };
        lifted.push((op, to));
    }
    remap(kind, &|id| {
        lifted
            .iter()
            .find(|(from, _)| *from == id)
            .map_or(id, |(_, to)| *to)
    })
}

/// The operands of an element-wise operation; `None` for any other node.
fn operands(kind: &NodeKind) -> Option<Vec<NodeId>> {
    match kind {
        NodeKind::Unary { arg, .. } | NodeKind::Cast { arg } => Some(vec![*arg]),
        NodeKind::Binary { lhs, rhs, .. } => Some(vec![*lhs, *rhs]),
        NodeKind::Select { cond, then, else_ } => Some(vec![*cond, *then, *else_]),
        _ => None,
    }
}
