//! Counters from entry offsets: a collection whose branches are loaded takes its per-event
//! counts from the first loaded branch's entry sizes, and its counter branch (`nMuon`) is not
//! read unless something else reads it.
//!
//! Input: a valid graph. Output: the same graph with those `Source` counters rewritten to
//! `Counter::SizeOf`; `compact_branches` then drops the unread counter branches.
//! Why: ROOT stores the entry offsets of every jagged basket, and the reader builds them for
//! each loaded branch anyway; the counter is one more column to decompress (3 of ADL Q7's 12
//! branches, 12% of its decoded bytes). The counts are the same for a well-formed file; in a
//! file whose counter disagrees with its branches, the branches' entry sizes are what their
//! values mean (uproot and awkward read them so too), and the other loaded branches of the
//! collection are still checked against the first.

use std::collections::HashMap;

use crate::graph::*;

pub fn counters_from_offsets(mut graph: Graph) -> Graph {
    let mut first: HashMap<NodeId, BranchId> = HashMap::new();
    for node in &graph.nodes {
        if let NodeKind::LoadElem { branch, space } = node.kind {
            first.entry(space).or_insert(branch);
        }
    }
    for (i, node) in graph.nodes.iter_mut().enumerate() {
        if let NodeKind::Source { counter } = &mut node.kind
            && matches!(counter, Counter::Branch(_))
            && let Some(&b) = first.get(&NodeId(i as u32))
        {
            *counter = Counter::SizeOf(b);
        }
    }
    graph
}
