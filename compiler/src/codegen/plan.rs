//! The kernel's plan: where each node is computed (per event, inside a loop over a space's
//! elements, or read on demand), in what order, and the slot layout of the runtime ABI.
//!
//! Input: a validated [`Graph`]. Output: a [`Plan`]: a schedule of event-level nodes and
//! fused element loops, plus a [`Layout`] saying which slot of the kernel's argument array
//! holds which pointer. Invariant: the schedule respects the graph's dependencies: a node is
//! emitted after every node it reads, and a node that needs a whole loop's result (a
//! reduction, a filter's count, random access to an element value) comes after that loop.

#![expect(
    clippy::indexing_slicing,
    reason = "tables indexed by the node, branch, slot and scratch ids of one validated graph \
              and the plan made from it: every id refers to an entry of the same graph \
              (`Graph::validate`) or of its `Layout`; a wrong id is a compiler bug"
)]

use std::collections::HashSet;

use crate::graph::{Graph, NodeId, NodeKind, PickOp, ReduceOp, Shape, Type};

use super::CodegenError;

/// Where a node's values come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// Nothing is computed ahead: the value at element `i` is read when needed (a column
    /// load, a broadcast event value, the element's own index, a parent index array).
    View,
    /// Computed once per event, inline in the event loop.
    Event,
    /// Computed inside a loop over the elements of this space (an element value, or an
    /// event value folded over the loop: reductions, argmin, a filter, a sort's keys).
    Loop(NodeId),
}

/// One step of an event's code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Item {
    Event(NodeId),
    /// One loop over the elements of `space`, computing `nodes` (in graph order) in its body.
    Loop {
        space: NodeId,
        nodes: Vec<NodeId>,
    },
}

/// The slots of the kernel's argument array (`*mut u64`). Every slot is a `u64`: a count,
/// or a pointer. See `codegen/mod.rs` for the ABI as a whole.
#[derive(Clone, Debug, Default)]
pub(crate) struct Layout {
    /// Number of slots.
    pub len: usize,
    /// Per branch: the slot of its data pointer, and of its offsets pointer when jagged.
    pub branch_data: Vec<usize>,
    pub branch_offsets: Vec<Option<usize>>,
    /// Per histogram: the slots of the `sumw` and (weighted storages) `sumw2` pointers, and
    /// of the `sumwx` and `sumwx2` pointers of mean storages.
    pub hist_sumw: Vec<usize>,
    pub hist_sumw2: Vec<Option<usize>>,
    pub hist_sumwx: Vec<Option<[usize; 2]>>,
    /// The slot of the cutflow counts pointer (`*mut u64`, one per region).
    pub cutflow: usize,
    /// The slot of the missing-fill counts pointer (`*mut u64`, one per histogram).
    pub missing: usize,
    /// Per named cutflow: the slots of its rows' events (`*mut u64`) and sums of weights
    /// (`*mut f64`) pointers.
    pub cutflow_events: Vec<usize>,
    pub cutflow_sumw: Vec<usize>,
    /// Scratch buffers, each holding one `u64`-sized word per element of a space, per event.
    pub scratch: Vec<Scratch>,
    /// Per node: the scratch buffer (index into `scratch`) of its element values.
    pub values: Vec<Option<usize>>,
    /// Per derived space node: the scratch buffers of its parent indices (one per parent).
    pub parents: Vec<Vec<usize>>,
    /// Per `Sort` node: the scratch buffer of its keys.
    pub sort_keys: Vec<Option<usize>>,
    pub tables: Vec<TableSlots>,
    /// The slot of the per-event state buffer's pointer, and its size in words (`parts.rs`:
    /// values one part of a big kernel computes and later parts read).
    pub state: usize,
    pub state_words: usize,
}

/// A scratch buffer: its slot, and the space whose per-event element count sizes it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scratch {
    pub slot: usize,
    pub space: NodeId,
}

/// A table's slots: row count, capacity (in rows), and one pointer per column. Each column
/// buffer holds one `u64` word per row; the value sits in its low bytes (of a list column:
/// the row's number of elements).
#[derive(Clone, Debug)]
pub(crate) struct TableSlots {
    pub rows: usize,
    pub cap: usize,
    pub columns: Vec<usize>,
    /// Per column, for a list column: the slots of its element buffer.
    pub lists: Vec<Option<ListSlots>>,
}

/// A list column's elements: one `u64` word each (the value in its low bytes), all rows'
/// one after the other; their number, the buffer's capacity and the pointer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ListSlots {
    pub len: usize,
    pub cap: usize,
    pub ptr: usize,
}

#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub items: Vec<Item>,
    /// Per item: event conditions that must all hold for it to run (see `guard`).
    pub guards: Vec<Vec<NodeId>>,
    pub layout: Layout,
    /// Element work done on one side of a condition only (see `lazy`).
    pub lazy: super::lazy::Lazy,
    /// The items split into functions of bounded size (see `parts`).
    pub parts: super::parts::Parts,
}

/// Where `id` is computed.
pub(crate) fn place(graph: &Graph, id: NodeId) -> Place {
    let node = graph.node(id);
    let by_shape = match node.shape {
        Shape::Event => Place::Event,
        Shape::Elem(s) => Place::Loop(s),
    };
    match &node.kind {
        NodeKind::Source { .. }
        | NodeKind::Combinations { .. }
        | NodeKind::Cartesian { .. }
        | NodeKind::Concat { .. }
        | NodeKind::LoadEvent { .. }
        | NodeKind::CountRegion { .. }
        | NodeKind::CountCutflow { .. } => Place::Event,
        NodeKind::Filter { parent, .. } | NodeKind::Sort { parent, .. } => Place::Loop(*parent),
        NodeKind::LoadElem { .. }
        | NodeKind::Broadcast { .. }
        | NodeKind::ParentIndex { .. }
        | NodeKind::SelfIndex { .. } => Place::View,
        NodeKind::Const(_) => match node.shape {
            Shape::Event => Place::Event,
            Shape::Elem(_) => Place::View,
        },
        NodeKind::Gather { .. }
        | NodeKind::Unary { .. }
        | NodeKind::Binary { .. }
        | NodeKind::Select { .. }
        | NodeKind::Cast { .. }
        | NodeKind::ReduceInner { .. } => by_shape,
        NodeKind::Reduce {
            op: ReduceOp::Count,
            ..
        } => Place::Event,
        NodeKind::Reduce { space, .. } => Place::Loop(*space),
        NodeKind::Pick {
            op: PickOp::First | PickOp::Last,
            ..
        } => Place::Event,
        NodeKind::Pick {
            op: PickOp::At { .. },
            ..
        } => by_shape,
        NodeKind::Pick { space, .. } => Place::Loop(*space),
        NodeKind::Fill { space, .. } | NodeKind::Append { space, .. } => match space {
            None => Place::Event,
            Some(s) => Place::Loop(*s),
        },
    }
}

/// The scheduled nodes that `id` needs, looking through views (a view is read on demand, so
/// what it needs is what its reader needs).
pub(crate) fn needs(graph: &Graph, places: &[Place], id: NodeId, out: &mut Vec<NodeId>) {
    let node = graph.node(id);
    let mut direct = node.operands();
    if let Shape::Elem(s) = node.shape {
        direct.push(s);
    }
    // A list column is written element by element: it needs its space's count.
    if let NodeKind::Append {
        space: None,
        columns,
        ..
    } = &node.kind
    {
        direct.extend(columns.iter().filter_map(|&c| match graph.node(c).shape {
            Shape::Elem(s) => Some(s),
            Shape::Event => None,
        }));
    }
    for op in direct {
        match places[op.0 as usize] {
            Place::View => needs(graph, places, op, out),
            _ => out.push(op),
        }
    }
}

/// Schedule the graph: nodes in graph order, consecutive element nodes of one space fused
/// into one loop; event nodes that do not need the open loop are hoisted before it.
pub(crate) fn plan(graph: &Graph) -> Result<Plan, CodegenError> {
    let places: Vec<Place> = (0..graph.nodes.len())
        .map(|i| place(graph, NodeId(i as u32)))
        .collect();

    // Nodes needed under different conditions go to different loops, so that each loop can
    // be skipped on its own.
    let need = super::guard::needed(graph);
    struct Open {
        space: NodeId,
        need: super::guard::Atoms,
        nodes: Vec<NodeId>,
        /// Everything the loop computes.
        all: HashSet<NodeId>,
        /// The loop's event-level results (reductions, picks, filters, sorts).
        results: HashSet<NodeId>,
        hoisted: Vec<NodeId>,
    }
    let close = |open: &mut Option<Open>, items: &mut Vec<Item>| {
        if let Some(o) = open.take() {
            items.extend(o.hoisted.into_iter().map(Item::Event));
            items.push(Item::Loop {
                space: o.space,
                nodes: o.nodes,
            });
        }
    };

    let mut items = Vec::new();
    let mut open: Option<Open> = None;
    let mut deps = Vec::new();
    for (i, place) in places.iter().enumerate() {
        let id = NodeId(i as u32);
        deps.clear();
        needs(graph, &places, id, &mut deps);
        match *place {
            Place::View => {}
            Place::Event => {
                let conflict = open
                    .as_ref()
                    .is_some_and(|o| deps.iter().any(|d| o.all.contains(d)));
                if conflict {
                    close(&mut open, &mut items);
                }
                match open.as_mut() {
                    Some(o) => o.hoisted.push(id),
                    None => items.push(Item::Event(id)),
                }
            }
            Place::Loop(space) => {
                let node = graph.node(id);
                let joins = open.as_ref().is_some_and(|o| {
                    o.space == space
                        && o.need == need[i]
                        && !deps.iter().any(|d| o.results.contains(d))
                        // Random access into values of this very loop needs the loop done.
                        && !matches!(&node.kind, NodeKind::Gather { value, .. }
                            if reads_loop(graph, &places, *value, &o.all))
                });
                if !joins {
                    close(&mut open, &mut items);
                    open = Some(Open {
                        space,
                        need: need[i].clone(),
                        nodes: Vec::new(),
                        all: HashSet::new(),
                        results: HashSet::new(),
                        hoisted: Vec::new(),
                    });
                }
                if let Some(o) = open.as_mut() {
                    o.nodes.push(id);
                    o.all.insert(id);
                    if node.shape == Shape::Event || node.is_space() {
                        o.results.insert(id);
                    }
                }
            }
        }
    }
    close(&mut open, &mut items);
    let stored = stored(graph, &items);
    let mut layout = layout(graph, &places, &stored)?;
    let guards = super::guard::guards(graph, &places, &items);
    let lazy = super::lazy::lazy(graph, &items, &stored);
    let parts = super::parts::parts(graph, &places, &items, &guards);
    layout.state_words = parts.words;
    Ok(Plan {
        items,
        guards,
        layout,
        lazy,
        parts,
    })
}

/// Whether reading `value` at an arbitrary element touches something the open loop computes.
fn reads_loop(graph: &Graph, places: &[Place], value: NodeId, all: &HashSet<NodeId>) -> bool {
    let mut deps = vec![value];
    if places[value.0 as usize] == Place::View {
        deps.clear();
        needs(graph, places, value, &mut deps);
    }
    deps.iter().any(|d| all.contains(d))
}

/// Which element values must be kept in a scratch buffer: those read outside the loop that
/// computes them (by a later loop, or at an arbitrary element through `Gather`,
/// `ReduceInner`). The others live only in registers.
fn stored(graph: &Graph, items: &[Item]) -> Vec<bool> {
    let mut item_of = vec![usize::MAX; graph.nodes.len()];
    for (k, item) in items.iter().enumerate() {
        if let Item::Loop { nodes, .. } = item {
            for n in nodes {
                item_of[n.0 as usize] = k;
            }
        }
    }
    let mut stored = vec![false; graph.nodes.len()];
    for (i, node) in graph.nodes.iter().enumerate() {
        let random_access = match &node.kind {
            NodeKind::Gather { value, .. } => Some(*value),
            NodeKind::ReduceInner { value, .. } => *value,
            _ => None,
        };
        for op in node.operands() {
            let o = op.0 as usize;
            if item_of[o] != usize::MAX && (item_of[o] != item_of[i] || random_access == Some(op)) {
                stored[o] = true;
            }
        }
    }
    stored
}

fn layout(graph: &Graph, places: &[Place], stored: &[bool]) -> Result<Layout, CodegenError> {
    let n = graph.nodes.len();
    let mut l = Layout {
        values: vec![None; n],
        parents: vec![Vec::new(); n],
        sort_keys: vec![None; n],
        ..Layout::default()
    };
    let mut next = 1; // slot 0: the number of events
    let mut slot = || {
        next += 1;
        next - 1
    };
    for b in &graph.branches {
        l.branch_data.push(slot());
        l.branch_offsets.push(b.jagged.then(&mut slot));
    }
    for h in &graph.hists {
        l.hist_sumw.push(slot());
        l.hist_sumw2.push(h.storage.has_sumw2().then(&mut slot));
        let mean = h.storage.is_mean();
        l.hist_sumwx.push(mean.then(|| [slot(), slot()]));
    }
    l.cutflow = slot();
    l.missing = slot();
    for _ in &graph.cutflows {
        l.cutflow_events.push(slot());
        l.cutflow_sumw.push(slot());
    }
    for (i, node) in graph.nodes.iter().enumerate() {
        let id = NodeId(i as u32);
        let mut scratch = |space: NodeId, l: &mut Layout| {
            l.scratch.push(Scratch {
                slot: slot(),
                space,
            });
            l.scratch.len() - 1
        };
        let n_parents = match &node.kind {
            NodeKind::Filter { .. } | NodeKind::Sort { .. } => 1,
            NodeKind::Combinations { k, .. } => *k as usize,
            NodeKind::Cartesian { .. } | NodeKind::Concat { .. } => 2,
            _ => 0,
        };
        for _ in 0..n_parents {
            let s = scratch(id, &mut l);
            l.parents[i].push(s);
        }
        if let NodeKind::Sort { parent, .. } = &node.kind {
            l.sort_keys[i] = Some(scratch(*parent, &mut l));
        }
        if let (Place::Loop(space), Type::Scalar(_), Shape::Elem(_), false, true) =
            (places[i], node.ty, node.shape, node.is_sink(), stored[i])
        {
            l.values[i] = Some(scratch(space, &mut l));
        }
    }
    for t in &graph.tables {
        l.tables.push(TableSlots {
            rows: slot(),
            cap: slot(),
            columns: t.columns.iter().map(|_| slot()).collect(),
            lists: t
                .columns
                .iter()
                .map(|c| {
                    c.list.then(|| ListSlots {
                        len: slot(),
                        cap: slot(),
                        ptr: slot(),
                    })
                })
                .collect(),
        });
    }
    l.state = slot();
    l.len = next;
    Ok(l)
}
