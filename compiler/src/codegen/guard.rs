//! Guards: the event conditions under which a node's value can matter, so that the kernel
//! computes it only in events where they hold (the four-vectors of a dimuon candidate only in
//! events with two opposite-charge muons).
//!
//! Input: a validated graph and the plan's items. Output: per item, a list of event-level
//! Bool nodes ("atoms") that must all be true for the item to run; an item whose guard fails
//! leaves its event values at their "missing" defaults and its space counts at 0.
//! Why this is safe: every node is total (no traps), so computing less never changes a
//! result that is used. A value is *used* only where its consumer's conditions hold: a sink
//! reads its values only when its region holds (a cutflow row its weight only when its mask
//! holds), `a and b` needs `b` only when `a` holds.
//! [`guards`] makes sure that whenever an item runs, every item it reads from has run, unless
//! the read is one of those two conditional uses, whose own condition is then false.

#![expect(
    clippy::indexing_slicing,
    reason = "tables indexed by the node, branch, slot and scratch ids of one validated graph \
              and the plan made from it: every id refers to an entry of the same graph \
              (`Graph::validate`) or of its `Layout`; a wrong id is a compiler bug"
)]

use std::collections::BTreeSet;

use crate::graph::{BinaryOp, Graph, NodeId, NodeKind, Shape};

use super::plan::{Item, Place};

pub(crate) type Atoms = BTreeSet<NodeId>;

/// The conjuncts of an event-level `and` chain; any other node is its own atom.
fn atoms(graph: &Graph, c: NodeId, out: &mut Atoms) {
    match &graph.node(c).kind {
        NodeKind::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } if graph.node(c).shape == Shape::Event => {
            atoms(graph, *lhs, out);
            atoms(graph, *rhs, out);
        }
        _ => {
            out.insert(c);
        }
    }
}

/// The operands a node reads, each with the atoms that hold whenever the read matters
/// beyond those of the node itself (a sink's region; the left side of an event `and`).
fn edges(graph: &Graph, id: NodeId) -> Vec<(NodeId, Atoms)> {
    let node = graph.node(id);
    let mut out: Vec<(NodeId, Atoms)> = Vec::new();
    let conditional = |region: &Option<NodeId>| {
        let mut a = Atoms::new();
        if let Some(r) = region {
            atoms(graph, *r, &mut a);
        }
        a
    };
    match &node.kind {
        NodeKind::Fill { region, .. } | NodeKind::Append { region, .. } => {
            let when = conditional(region);
            for op in node.operands() {
                let e = if Some(op) == *region {
                    Atoms::new()
                } else {
                    when.clone()
                };
                out.push((op, e));
            }
            // A list column's row reads its space's count.
            if let NodeKind::Append {
                space: None,
                columns,
                ..
            } = &node.kind
            {
                for &c in columns {
                    if let Shape::Elem(s) = graph.node(c).shape {
                        out.push((s, when.clone()));
                    }
                }
            }
        }
        NodeKind::CountCutflow { mask, weight, .. } => {
            if let Some(m) = mask {
                out.push((*m, Atoms::new()));
            }
            if let Some(w) = weight {
                out.push((*w, conditional(mask)));
            }
        }
        NodeKind::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } if node.shape == Shape::Event => {
            let mut when = Atoms::new();
            atoms(graph, *lhs, &mut when);
            out.push((*lhs, Atoms::new()));
            out.push((*rhs, when));
        }
        _ => out.extend(node.operands().into_iter().map(|o| (o, Atoms::new()))),
    }
    if let Shape::Elem(s) = node.shape {
        out.push((s, Atoms::new()));
    }
    out
}

/// Per node: the atoms that hold whenever its value matters (the intersection over its
/// readers). Sinks and unread nodes: none.
pub(crate) fn needed(graph: &Graph) -> Vec<Atoms> {
    let n = graph.nodes.len();
    let mut need: Vec<Option<Atoms>> = vec![None; n];
    for i in (0..n).rev() {
        let mine = need[i].take().unwrap_or_default();
        for (op, extra) in edges(graph, NodeId(i as u32)) {
            let e: Atoms = mine.union(&extra).copied().collect();
            let slot = &mut need[op.0 as usize];
            *slot = Some(match slot.take() {
                None => e,
                Some(old) => old.intersection(&e).copied().collect(),
            });
        }
        need[i] = Some(mine);
    }
    need.into_iter().map(Option::unwrap_or_default).collect()
}

/// Each item's guard. An atom is kept only where it is computed by an earlier item and
/// outside any loop item that reads it; then guards are weakened until every read is covered:
/// an item running means each item it reads from ran too (but for conditional reads whose
/// condition is false, which use no value).
pub(crate) fn guards(graph: &Graph, places: &[Place], items: &[Item]) -> Vec<Vec<NodeId>> {
    let need = needed(graph);
    // The item computing each node (views are read on demand: no item).
    let mut item_of = vec![usize::MAX; graph.nodes.len()];
    for (k, item) in items.iter().enumerate() {
        match item {
            Item::Event(id) => item_of[id.0 as usize] = k,
            Item::Loop { nodes, .. } => nodes.iter().for_each(|n| item_of[n.0 as usize] = k),
        }
    }
    let nodes_of = |item: &Item| -> Vec<NodeId> {
        match item {
            Item::Event(id) => vec![*id],
            Item::Loop { nodes, .. } => nodes.clone(),
        }
    };
    let mut g: Vec<Atoms> = items
        .iter()
        .enumerate()
        .map(|(k, item)| {
            let ns = nodes_of(item);
            let mut common: Option<Atoms> = None;
            for n in &ns {
                let a = &need[n.0 as usize];
                common = Some(match common {
                    None => a.clone(),
                    Some(c) => c.intersection(a).copied().collect(),
                });
            }
            let mut c = common.unwrap_or_default();
            c.retain(|a| item_of[a.0 as usize] < k && places[a.0 as usize] != Place::View);
            c
        })
        .collect();
    // Reads, looking through views, with their conditional atoms.
    let reads = |id: NodeId| -> Vec<(NodeId, Atoms)> {
        let mut out = Vec::new();
        let mut stack = edges(graph, id);
        while let Some((op, extra)) = stack.pop() {
            if places[op.0 as usize] == Place::View {
                stack.extend(edges(graph, op).into_iter().map(|(o, e)| {
                    let u: Atoms = e.union(&extra).copied().collect();
                    (o, u)
                }));
            } else {
                out.push((op, extra));
            }
        }
        out
    };
    for k in (0..items.len()).rev() {
        for n in nodes_of(&items[k]) {
            for (op, extra) in reads(n) {
                let j = item_of[op.0 as usize];
                if j == usize::MAX || j == k {
                    continue;
                }
                let cover: Atoms = g[k].union(&extra).copied().collect();
                let weaker: Atoms = g[j].intersection(&cover).copied().collect();
                g[j] = weaker;
            }
        }
        // The guard's own atoms are read whenever the event is: their items must have run
        // whenever this item's other atoms hold (a skipped atom reads as false).
        for a in g[k].clone() {
            let j = item_of[a.0 as usize];
            if j < k {
                let weaker: Atoms = g[j].intersection(&g[k]).copied().collect();
                g[j] = weaker;
            }
        }
    }
    g.into_iter().map(|a| a.into_iter().collect()).collect()
}
