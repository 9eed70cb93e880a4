//! Lazy operands: element work that an `and`, an `or` or a `select` inside a loop needs on
//! one side of its condition only, computed in a conditional block on that side (the mass of
//! a muon pair only for the pairs of opposite charge, in `p.0.charge != p.1.charge and 60 <
//! p.mass < 120`).
//!
//! Input: the graph, the plan's loop items, and which element values are kept in scratch
//! buffers. Output: a [`Lazy`]: per lazy node, the nodes each of its sides computes; and
//! [`Translator::lazy_value`], which emits a lazy node with its sides in branches.
//! Why this is safe: every node is total, so computing a value only where it is read changes
//! no result. A node is put on a side only when that side is the only reader of its value
//! (every reader is on the same side, in the same loop, and the value is not kept in a
//! scratch buffer for a later loop), so no code outside the conditional block can use it.
//! The interpreter computes every value; both engines agree because the values that are
//! computed are computed by the same operations.

#![expect(
    clippy::indexing_slicing,
    reason = "tables indexed by the node ids of one validated graph (`Graph::validate`): every \
              id refers to a node of the same graph; a wrong id is a compiler bug"
)]

use std::collections::{HashMap, HashSet};

use cranelift_codegen::ir::{InstBuilder, Value};

use crate::graph::{BinaryOp, Graph, NodeId, NodeKind, UnaryOp};

use super::CodegenError;
use super::plan::Item;
use super::translate::{I8, Translator, clif_type, internal};

/// A side is made lazy only when the work it skips costs at least this much (in units of
/// a simple arithmetic instruction): a branch the CPU mispredicts costs about as much as a
/// math call, and a side of a few arithmetic instructions is cheaper to compute always.
const MIN_COST: u32 = 16;

/// The lazy nodes of all loops.
#[derive(Clone, Debug, Default)]
pub(crate) struct Lazy {
    /// Per lazy node: the nodes computed on each side of its condition (`and`: when the
    /// left side is true; `or`: when it is false; `select`: `[then, else]`), in graph order,
    /// without those that a lazy node nested inside computes itself.
    pub sides: HashMap<NodeId, [Vec<NodeId>; 2]>,
    /// Every node that some lazy node computes (the loop body skips them).
    pub deferred: HashSet<NodeId>,
}

/// Rough cost of computing `id` once: a call into the math library or an inner loop is an
/// order of magnitude above an add.
fn cost(graph: &Graph, id: NodeId) -> u32 {
    match &graph.node(id).kind {
        NodeKind::Unary { op, .. } => match op {
            UnaryOp::Neg
            | UnaryOp::Not
            | UnaryOp::Abs
            | UnaryOp::IsNan
            | UnaryOp::Floor
            | UnaryOp::Ceil => 1,
            UnaryOp::Sqrt => 4,
            _ => 16,
        },
        NodeKind::Binary { op, .. } => match op {
            BinaryOp::Div | BinaryOp::Mod => 4,
            BinaryOp::Pow | BinaryOp::Atan2 => 16,
            _ => 1,
        },
        NodeKind::ReduceInner { .. } => 16,
        _ => 1,
    }
}

/// A node that can move into a conditional block: a pure value computed in the loop body
/// (no accumulator, no sink) whose value lives only in registers.
fn movable(graph: &Graph, id: NodeId, stored: &[bool]) -> bool {
    !stored[id.0 as usize]
        && matches!(
            graph.node(id).kind,
            NodeKind::Unary { .. }
                | NodeKind::Binary { .. }
                | NodeKind::Select { .. }
                | NodeKind::Cast { .. }
                | NodeKind::Gather { .. }
                | NodeKind::ReduceInner { .. }
        )
}

/// The nodes of the loop that only `root` (read by `reader` alone) needs: `root` and, going
/// back through the loop, every movable node all of whose readers are already in the set.
fn cone(
    graph: &Graph,
    users: &[Vec<NodeId>],
    stored: &[bool],
    loop_nodes: &[NodeId],
    reader: NodeId,
    root: NodeId,
) -> Option<HashSet<NodeId>> {
    let only_reader = users[root.0 as usize].iter().all(|&u| u == reader)
        && graph
            .node(reader)
            .operands()
            .iter()
            .filter(|&&o| o == root)
            .count()
            == 1;
    if !only_reader || !movable(graph, root, stored) || !loop_nodes.contains(&root) {
        return None;
    }
    let mut set = HashSet::from([root]);
    for &n in loop_nodes.iter().rev().filter(|n| n.0 < root.0) {
        let readers = &users[n.0 as usize];
        if movable(graph, n, stored)
            && !readers.is_empty()
            && readers.iter().all(|u| set.contains(u))
        {
            set.insert(n);
        }
    }
    Some(set)
}

/// Find the lazy nodes of every loop. `stored`: per node, whether its element values are
/// kept in a scratch buffer (read outside the loop that computes them).
pub(crate) fn lazy(graph: &Graph, items: &[Item], stored: &[bool]) -> Lazy {
    let mut users: Vec<Vec<NodeId>> = vec![Vec::new(); graph.nodes.len()];
    for (i, node) in graph.nodes.iter().enumerate() {
        for op in node.operands() {
            users[op.0 as usize].push(NodeId(i as u32));
        }
    }
    let mut owner: HashMap<NodeId, (NodeId, usize)> = HashMap::new();
    let mut out = Lazy::default();
    for item in items {
        let Item::Loop { nodes, .. } = item else {
            continue;
        };
        // In graph order, so that a lazy node nested in another's side claims its own
        // nodes first.
        for &x in nodes {
            let roots = match graph.node(x).kind {
                NodeKind::Binary {
                    op: BinaryOp::And | BinaryOp::Or,
                    rhs,
                    ..
                } => [Some(rhs), None],
                NodeKind::Select { then, else_, .. } => [Some(then), Some(else_)],
                _ => continue,
            };
            let mut any = false;
            for (side, root) in roots.into_iter().enumerate() {
                let Some(set) = root.and_then(|r| cone(graph, &users, stored, nodes, x, r)) else {
                    continue;
                };
                if set.iter().map(|&n| cost(graph, n)).sum::<u32>() < MIN_COST {
                    continue;
                }
                any = true;
                for n in set {
                    owner.entry(n).or_insert((x, side));
                }
            }
            if any {
                out.sides.insert(x, [Vec::new(), Vec::new()]);
            }
        }
        for &n in nodes {
            if let Some(&(x, side)) = owner.get(&n)
                && let Some(sides) = out.sides.get_mut(&x)
            {
                sides[side].push(n);
                out.deferred.insert(n);
            }
        }
    }
    out
}

impl Translator<'_, '_> {
    /// A lazy `and`, `or` or `select`: each side's nodes are computed in a
    /// block entered only when the condition picks that side; the result is the merge
    /// block's parameter.
    pub(crate) fn lazy_value(
        &mut self,
        id: NodeId,
        sides: &[Vec<NodeId>; 2],
    ) -> Result<Value, CodegenError> {
        // Per arm (condition true, false): the value it yields and the side computing it;
        // an arm without one yields the condition itself (`and`: false, `or`: true).
        let (cond, arms, ty) = match self.g.node(id).kind {
            NodeKind::Binary {
                op: BinaryOp::And,
                lhs,
                rhs,
            } => (lhs, [Some((rhs, 0)), None], I8),
            NodeKind::Binary {
                op: BinaryOp::Or,
                lhs,
                rhs,
            } => (lhs, [None, Some((rhs, 0))], I8),
            NodeKind::Select { cond, then, else_ } => (
                cond,
                [Some((then, 0)), Some((else_, 1))],
                clif_type(self.scalar(id)?),
            ),
            _ => return Err(internal(format!("%{} cannot be lazy", id.0))),
        };
        let c = self.val(cond)?;
        let merge = self.b.create_block();
        let result = self.b.append_block_param(merge, ty);
        let blocks = [self.b.create_block(), self.b.create_block()];
        self.b.ins().brif(c, blocks[0], &[], blocks[1], &[]);
        for (arm, block) in arms.into_iter().zip(blocks) {
            self.b.switch_to_block(block);
            let v = match arm {
                Some((value, side)) => {
                    for &n in &sides[side] {
                        self.emit_in_loop(n, None)?;
                    }
                    self.val(value)?
                }
                None => c,
            };
            self.b.ins().jump(merge, &[v.into()]);
        }
        self.b.switch_to_block(merge);
        Ok(result)
    }
}
