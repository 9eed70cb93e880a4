//! Dead-node elimination: keep the sinks, the region masks and everything they reach.
//!
//! Input: a valid graph. Output: the same graph without nodes no output depends on, ids
//! renumbered in the same (topological) order. A node's shape space and the space of a
//! `Ref` type count as uses.

use super::{remap, remap_regions, remap_shape, remap_type};
use crate::graph::*;

#[expect(
    clippy::indexing_slicing,
    reason = "`live` and `new_id` have one entry per node; `i < n`"
)]
pub fn eliminate_dead(graph: Graph) -> Graph {
    let n = graph.nodes.len();
    let mut live = vec![false; n];
    for r in &graph.regions {
        if let Some(l) = live.get_mut(r.mask.0 as usize) {
            *l = true;
        }
    }
    for i in (0..n).rev() {
        let node = &graph.nodes[i];
        if !(live[i] || node.is_sink()) {
            continue;
        }
        live[i] = true;
        let mut uses = node.operands();
        if let Shape::Elem(s) = node.shape {
            uses.push(s);
        }
        if let Type::Scalar(ScalarType::Ref(s)) = node.ty {
            uses.push(s);
        }
        for u in uses {
            if let Some(l) = live.get_mut(u.0 as usize) {
                *l = true;
            }
        }
    }
    let mut new_id = vec![NodeId(u32::MAX); n];
    let mut nodes = Vec::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        if !live[i] {
            continue;
        }
        let map = |id: NodeId| new_id.get(id.0 as usize).copied().unwrap_or(id);
        let kind = remap(&node.kind, &map);
        let ty = remap_type(node.ty, &map);
        let shape = remap_shape(node.shape, &map);
        nodes.push(Node {
            kind,
            ty,
            shape,
            hint: node.hint.clone(),
        });
        new_id[i] = NodeId(nodes.len() as u32 - 1);
    }
    let regions = remap_regions(&graph.regions, &new_id);
    Graph {
        nodes,
        regions,
        ..graph
    }
}
