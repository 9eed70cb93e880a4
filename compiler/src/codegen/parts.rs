//! Kernel parts: a big script's plan split into several functions of bounded size, which the
//! kernel calls in turn for each event. Register allocation costs more than linearly in the
//! size of a function (10,000 histograms in one function took a minute); bounded functions
//! keep compile time linear in the script.
//!
//! Input: the graph, its places, and the plan's items and guards. Output: [`Parts`]: per
//! part a range of items; per event value or space count that a later part reads, its word
//! in the per-event state buffer (where the part computing it stores it and later parts load
//! it). Invariant: items keep their order and every part after the first starts at an item
//! boundary, so each part reads only what the parts before it computed (the plan already
//! orders items by dependency). A kernel of at most [`PART_NODES`] nodes is one part: small
//! scripts keep one function, with no calls or state traffic per event.

#![expect(
    clippy::indexing_slicing,
    reason = "tables indexed by the node ids of one validated graph and the item indices of \
              its plan: every id refers to an entry of the same graph (`Graph::validate`); a \
              wrong id is a compiler bug"
)]

use std::ops::Range;

use crate::graph::{Graph, NodeId, NodeKind, Shape};

use super::plan::{Item, Place, needs};

/// Scheduled nodes per part: above a few thousand, register allocation of one function
/// dominates compile time; below a few hundred, calls and state loads add up per event.
pub(crate) const PART_NODES: usize = 1000;

#[derive(Clone, Debug, Default)]
pub(crate) struct Parts {
    /// Per part: its items (indices into the plan's items), in order, covering them all.
    pub ranges: Vec<Range<usize>>,
    /// Per node: the part that computes it (`usize::MAX`: not scheduled).
    pub home: Vec<usize>,
    /// Per node: its word in the state buffer, when a later part reads it.
    pub state: Vec<Option<u32>>,
    /// Words of the state buffer.
    pub words: usize,
}

/// The nodes an item computes.
pub(crate) fn item_nodes(item: &Item) -> &[NodeId] {
    match item {
        Item::Event(id) => std::slice::from_ref(id),
        Item::Loop { nodes, .. } => nodes.as_slice(),
    }
}

pub(crate) fn parts(
    graph: &Graph,
    places: &[Place],
    items: &[Item],
    guards: &[Vec<NodeId>],
) -> Parts {
    let mut ranges = Vec::new();
    let (mut start, mut size) = (0, 0);
    for (k, item) in items.iter().enumerate() {
        let n = item_nodes(item).len();
        if size > 0 && size + n > PART_NODES {
            ranges.push(start..k);
            (start, size) = (k, 0);
        }
        size += n;
    }
    ranges.push(start..items.len());

    let mut home = vec![usize::MAX; graph.nodes.len()];
    for (p, r) in ranges.iter().enumerate() {
        for item in &items[r.clone()] {
            for n in item_nodes(item) {
                home[n.0 as usize] = p;
            }
        }
    }
    let mut state = vec![None; graph.nodes.len()];
    let mut words = 0u32;
    let mut reads = Vec::new();
    for (p, r) in ranges.iter().enumerate().skip(1) {
        for k in r.clone() {
            reads.clear();
            reads.extend(guards.get(k).into_iter().flatten());
            for &n in item_nodes(&items[k]) {
                needs(graph, places, n, &mut reads);
                // An inner reduction reads the count of its cross product's second parent.
                if let NodeKind::ReduceInner { space, .. } = &graph.node(n).kind
                    && let NodeKind::Cartesian { parents } = &graph.node(*space).kind
                {
                    reads.extend(parents);
                }
            }
            for &d in &reads {
                let i = d.0 as usize;
                let node = graph.node(d);
                let per_event = node.is_space() || (node.shape == Shape::Event && !node.is_sink());
                // Element values read by a later loop are in scratch buffers already.
                if per_event && home[i] < p && state[i].is_none() {
                    state[i] = Some(words);
                    words += 1;
                }
            }
        }
    }
    Parts {
        ranges,
        home,
        state,
        words: words as usize,
    }
}
