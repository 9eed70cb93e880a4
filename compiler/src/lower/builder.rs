//! The graph builder: appends nodes in topological order and shares equal ones.
//!
//! Input: node kinds from `lower` (and from `optimize`, which rebuilds graphs through it).
//! Output: a [`Graph`] where no two non-sink nodes have the same (kind, type, shape).
//!
//! CSE rule (hash-consing): a node is shared when an earlier node has the same kind, type and
//! shape, whatever its `hint`. Every node is total (graph.rs), so sharing a value computed for
//! one selection with another never evaluates anything that could fault. Sinks are never
//! shared. Two small peepholes keep the graph free of identity work: gathering a space's
//! `SelfIndex` through a parent index is that parent index, and a cast to the same type is
//! its argument; a cast of a broadcast is the broadcast of the cast.
//!
//! Missing values: while lowering, the builder keeps beside each value that can be missing
//! its *validity*, a Bool node of the same shape that holds where the value is present
//! (`missing.rs`). The optimizer rebuilds graphs without it: validity nodes are ordinary
//! nodes by then.

use std::collections::HashMap;

use crate::graph::*;

#[derive(Default)]
pub struct Builder {
    pub graph: Graph,
    /// (kind, type, shape) of every shareable node, rendered with `Debug`: `f64` constants
    /// compare by their printed value, so `0.0` and `-0.0` stay distinct.
    memo: HashMap<String, NodeId>,
    /// Lowering only (`track_missing`): the validity of each value node that can be
    /// missing, set when the node is first made (so a node's validity never changes).
    pub(super) valid: Option<HashMap<NodeId, NodeId>>,
    interned: HashMap<String, i64>,
}

impl Builder {
    pub fn new() -> Self {
        Builder::default()
    }

    /// Appends a node, or returns the equal node already present. While missing values are
    /// tracked, operands that can be missing are first made safe where the node requires
    /// it (masks, keys, reductions: `missing.rs`), and a new node gets its validity.
    pub fn add(&mut self, kind: NodeKind, ty: Type, shape: Shape) -> NodeId {
        if self.valid.is_none() {
            return self.add_node(kind, ty, shape).0;
        }
        let (kind, reduced_validity) = self.skip_missing(kind);
        let (id, fresh) = self.add_node(kind, ty, shape);
        if fresh {
            let v = match reduced_validity {
                Some(v) => Some(v),
                None => self.validity_of(id),
            };
            if let (Some(v), Some(map)) = (v, self.valid.as_mut()) {
                map.insert(id, v);
            }
        }
        id
    }

    /// [`Builder::add`] without missing-value tracking; true when the node is new.
    fn add_node(&mut self, kind: NodeKind, ty: Type, shape: Shape) -> (NodeId, bool) {
        let node = Node {
            kind,
            ty,
            shape,
            hint: None,
        };
        if node.is_sink() {
            return (self.push(node), true);
        }
        let key = format!("{:?}|{:?}|{:?}", node.kind, node.ty, node.shape);
        if let Some(&id) = self.memo.get(&key) {
            return (id, false);
        }
        let id = self.push(node);
        self.memo.insert(key, id);
        (id, true)
    }

    /// Interns a string: its id in `Graph::strings`.
    pub fn intern(&mut self, s: &str) -> i64 {
        if let Some(&i) = self.interned.get(s) {
            return i;
        }
        let i = self.graph.strings.len() as i64;
        self.graph.strings.push(s.to_string());
        self.interned.insert(s.to_string(), i);
        i
    }

    fn push(&mut self, node: Node) -> NodeId {
        let id = NodeId(self.graph.nodes.len() as u32);
        self.graph.nodes.push(node);
        id
    }

    pub fn node(&self, id: NodeId) -> &Node {
        self.graph.node(id)
    }

    /// Names a node for dumps, unless it already has a name.
    pub fn hint(&mut self, id: NodeId, name: &str) {
        if let Some(node) = self.graph.nodes.get_mut(id.0 as usize)
            && node.hint.is_none()
            && !node.is_sink()
        {
            node.hint = Some(name.to_string());
        }
    }

    /// The id of a branch, adding it on first use.
    pub fn branch(&mut self, name: &str, phys: PhysType, jagged: bool) -> BranchId {
        if let Some(i) = self.graph.branches.iter().position(|b| b.name == name) {
            return BranchId(i as u32);
        }
        self.graph.branches.push(Branch {
            name: name.to_string(),
            phys,
            jagged,
        });
        BranchId(self.graph.branches.len() as u32 - 1)
    }

    pub fn scalar_type(&self, id: NodeId) -> Option<ScalarType> {
        match self.node(id).ty {
            Type::Scalar(t) => Some(t),
            Type::Space => None,
        }
    }

    pub fn shape(&self, id: NodeId) -> Shape {
        self.node(id).shape
    }

    pub fn konst(&mut self, lit: Literal) -> NodeId {
        let ty = match lit {
            Literal::Bool(_) => ScalarType::Bool,
            Literal::Int(_) | Literal::Str(_) => ScalarType::Int,
            Literal::Float(_) => ScalarType::Float,
        };
        self.add(NodeKind::Const(lit), Type::Scalar(ty), Shape::Event)
    }

    pub fn float(&mut self, v: f64) -> NodeId {
        self.konst(Literal::Float(v))
    }

    pub fn unary(&mut self, op: UnaryOp, arg: NodeId) -> NodeId {
        let ty = match op {
            UnaryOp::Neg | UnaryOp::Abs => self.node(arg).ty,
            UnaryOp::Not | UnaryOp::IsNan => Type::Scalar(ScalarType::Bool),
            _ => Type::Scalar(ScalarType::Float),
        };
        let shape = self.shape(arg);
        self.add(NodeKind::Unary { op, arg }, ty, shape)
    }

    /// Broadcasts an event operand to the other operand's space (constants in formulas).
    fn align(&mut self, a: NodeId, b: NodeId) -> (NodeId, NodeId) {
        match (self.shape(a), self.shape(b)) {
            (Shape::Event, Shape::Elem(s)) => (self.broadcast(a, s), b),
            (Shape::Elem(s), Shape::Event) => (a, self.broadcast(b, s)),
            _ => (a, b),
        }
    }

    /// Operands must have one type (for arithmetic); an event operand is broadcast to the
    /// other's space, other shape differences are the caller's to resolve.
    pub fn binary(&mut self, op: BinaryOp, lhs: NodeId, rhs: NodeId) -> NodeId {
        use BinaryOp::*;
        let (lhs, rhs) = self.align(lhs, rhs);
        let ty = match op {
            Add | Sub | Mul | Min | Max => self.node(lhs).ty,
            Div | Mod | Pow | Atan2 => Type::Scalar(ScalarType::Float),
            Eq | Ne | Lt | Le | Gt | Ge | And | Or => Type::Scalar(ScalarType::Bool),
        };
        let shape = self.shape(lhs);
        self.add(NodeKind::Binary { op, lhs, rhs }, ty, shape)
    }

    pub fn select(&mut self, cond: NodeId, then: NodeId, else_: NodeId) -> NodeId {
        let (cond, then) = self.align(cond, then);
        let (then, else_) = self.align(then, else_);
        let (cond, else_) = self.align(cond, else_);
        let ty = self.node(then).ty;
        let shape = self.shape(cond);
        self.add(NodeKind::Select { cond, then, else_ }, ty, shape)
    }

    pub fn cast(&mut self, arg: NodeId, to: ScalarType) -> NodeId {
        if self.scalar_type(arg) == Some(to) {
            return arg;
        }
        // Cast a broadcast event value once per event, not once per element.
        if let NodeKind::Broadcast { value, space } = self.node(arg).kind {
            let c = self.cast(value, to);
            return self.broadcast(c, space);
        }
        let shape = self.shape(arg);
        self.add(NodeKind::Cast { arg }, Type::Scalar(to), shape)
    }

    pub fn broadcast(&mut self, value: NodeId, space: NodeId) -> NodeId {
        let ty = self.node(value).ty;
        self.add(NodeKind::Broadcast { value, space }, ty, Shape::Elem(space))
    }

    pub fn parent_index(&mut self, space: NodeId, parent: u8, parent_space: NodeId) -> NodeId {
        self.add(
            NodeKind::ParentIndex { space, parent },
            Type::Scalar(ScalarType::Ref(parent_space)),
            Shape::Elem(space),
        )
    }

    pub fn self_index(&mut self, space: NodeId) -> NodeId {
        self.add(
            NodeKind::SelfIndex { space },
            Type::Scalar(ScalarType::Ref(space)),
            Shape::Elem(space),
        )
    }

    pub fn gather(&mut self, index: NodeId, value: NodeId) -> NodeId {
        if let NodeKind::SelfIndex { space } = self.node(value).kind
            && self.node(index).ty == Type::Scalar(ScalarType::Ref(space))
        {
            return index;
        }
        let ty = self.node(value).ty;
        let shape = self.shape(index);
        self.add(NodeKind::Gather { index, value }, ty, shape)
    }

    pub fn reduce(
        &mut self,
        op: ReduceOp,
        space: NodeId,
        value: Option<NodeId>,
        ty: ScalarType,
    ) -> NodeId {
        self.add(
            NodeKind::Reduce { op, space, value },
            Type::Scalar(ty),
            Shape::Event,
        )
    }

    pub fn space(&mut self, kind: NodeKind) -> NodeId {
        self.add(kind, Type::Space, Shape::Event)
    }
}
