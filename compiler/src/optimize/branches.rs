//! The branch set: keep only the branches the graph reads, numbered in first-use order.
//!
//! Input: a graph (after dead-node elimination, so every load is used). Output: the same
//! graph with `branches` holding exactly the branches its loads and counters name.

use crate::graph::*;

pub fn compact_branches(mut graph: Graph) -> Graph {
    let mut new_id: Vec<Option<BranchId>> = vec![None; graph.branches.len()];
    let mut branches = Vec::new();
    let mut map = |b: BranchId, branches: &mut Vec<Branch>| -> BranchId {
        let i = b.0 as usize;
        if let Some(Some(id)) = new_id.get(i) {
            return *id;
        }
        let id = BranchId(branches.len() as u32);
        if let (Some(slot), Some(br)) = (new_id.get_mut(i), graph.branches.get(i)) {
            *slot = Some(id);
            branches.push(br.clone());
        }
        id
    };
    for node in &mut graph.nodes {
        match &mut node.kind {
            NodeKind::Source {
                counter: Counter::Branch(b) | Counter::SizeOf(b),
            } => *b = map(*b, &mut branches),
            NodeKind::LoadEvent { branch } | NodeKind::LoadElem { branch, .. } => {
                *branch = map(*branch, &mut branches)
            }
            _ => {}
        }
    }
    graph.branches = branches;
    graph
}
