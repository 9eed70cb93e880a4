//! A generator of random well-typed graphs and random chunk data, for the differential test.
//!
//! Input: a seed. Output: a [`Case`]: a valid [`Graph`] over a fixed set of branches (two
//! counted collections, one `vector` collection without counter, flat scalars) with random
//! expressions, derived spaces (filters, sorts, combinations, cross products,
//! concatenations), reductions, picks, fills, table appends and regions; and random columns
//! for it with edge cases (empty chunks and events, NaN, infinities, signed zeros, extreme
//! integers, long events). Invariant: every graph passes `Graph::validate` and follows the
//! operand type rules of `graph.rs`, so both engines must accept it.

use ana_compiler::abi::{ColumnData, InputColumn};
use ana_compiler::graph::*;

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }
    pub fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 > 1.0 - p
    }
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

pub struct Case {
    pub graph: Graph,
    pub columns: Vec<InputColumn>,
    pub n_events: usize,
}

const F: ScalarType = ScalarType::Float;
const I: ScalarType = ScalarType::Int;
const B: ScalarType = ScalarType::Bool;

/// Fixed branches: (name, phys, jagged).
const BRANCHES: [(&str, PhysType, bool); 12] = [
    ("nA", PhysType::I32, false),
    ("A_x", PhysType::F32, true),
    ("A_y", PhysType::F64, true),
    ("A_q", PhysType::I32, true),
    ("A_b", PhysType::Bool, true),
    ("nB", PhysType::U8, false),
    ("B_x", PhysType::F32, true),
    ("B_k", PhysType::I64, true),
    ("M", PhysType::F32, false),
    ("K", PhysType::I32, false),
    ("Fl", PhysType::Bool, false),
    ("V", PhysType::F32, true),
];

struct Gen {
    rng: Rng,
    g: Graph,
    /// Space nodes, with the parents their `ParentIndex` points into.
    spaces: Vec<(NodeId, Vec<NodeId>)>,
    /// Value nodes (not sinks, not spaces).
    values: Vec<NodeId>,
}

impl Gen {
    fn add(&mut self, kind: NodeKind, ty: Type, shape: Shape) -> NodeId {
        self.g.nodes.push(Node {
            kind,
            ty,
            shape,
            hint: None,
        });
        let id = NodeId(self.g.nodes.len() as u32 - 1);
        if let Type::Scalar(_) = ty {
            self.values.push(id);
        }
        id
    }

    fn val(&mut self, kind: NodeKind, ty: ScalarType, shape: Shape) -> NodeId {
        self.add(kind, Type::Scalar(ty), shape)
    }

    fn sink(&mut self, kind: NodeKind) {
        self.g.nodes.push(Node {
            kind,
            ty: Type::Scalar(B),
            shape: Shape::Event,
            hint: None,
        });
    }

    fn existing(&mut self, shape: Shape, ty: ScalarType) -> Option<NodeId> {
        let found: Vec<NodeId> = self
            .values
            .iter()
            .copied()
            .filter(|&v| {
                let n = self.g.node(v);
                n.shape == shape && n.ty == Type::Scalar(ty) && !n.is_sink()
            })
            .collect();
        (!found.is_empty()).then(|| self.rng.pick(&found))
    }

    fn parents(&self, space: NodeId) -> Vec<NodeId> {
        self.spaces
            .iter()
            .find(|s| s.0 == space)
            .map(|s| s.1.clone())
            .unwrap_or_default()
    }

    fn is_source(&self, space: NodeId) -> bool {
        matches!(self.g.node(space).kind, NodeKind::Source { .. })
    }

    fn any_space(&mut self) -> NodeId {
        let s: Vec<NodeId> = self.spaces.iter().map(|s| s.0).collect();
        self.rng.pick(&s)
    }

    fn literal(&mut self, ty: ScalarType) -> Literal {
        match ty {
            ScalarType::Bool => Literal::Bool(self.rng.chance(0.5)),
            ScalarType::Int => {
                Literal::Int(self.rng.pick(&[0, 1, 2, -1, 3, 7, i64::MAX, i64::MIN]))
            }
            _ => Literal::Float(self.rng.pick(&[
                0.0,
                1.0,
                -2.5,
                0.5,
                90.0,
                1e-3,
                -0.0,
                f64::INFINITY,
                f64::NAN,
            ])),
        }
    }

    /// A value node of the given shape and type; `depth` bounds the expression size.
    fn value(&mut self, shape: Shape, ty: ScalarType, depth: u32) -> NodeId {
        if let ScalarType::Ref(target) = ty {
            return self.reference(shape, target);
        }
        if (depth == 0 || self.rng.chance(0.3))
            && let Some(v) = self.existing(shape, ty)
        {
            return v;
        }
        if depth == 0 || self.rng.chance(0.2) {
            return self.leaf(shape, ty);
        }
        let d = depth - 1;
        let r = self.rng.below(10);
        match (ty, shape) {
            (_, Shape::Event) if r == 0 => self.reduction(ty, d),
            (_, Shape::Event) if r == 1 => {
                let s = self.any_space();
                let idx = self.reference(Shape::Event, s);
                let v = self.value(Shape::Elem(s), ty, d);
                self.val(
                    NodeKind::Gather {
                        index: idx,
                        value: v,
                    },
                    ty,
                    shape,
                )
            }
            (_, Shape::Elem(s)) if r == 0 && !self.parents(s).is_empty() => {
                let ps = self.parents(s);
                let m = self.rng.below(ps.len());
                let idx = self.val(
                    NodeKind::ParentIndex {
                        space: s,
                        parent: m as u8,
                    },
                    ScalarType::Ref(ps[m]),
                    shape,
                );
                let v = self.value(Shape::Elem(ps[m]), ty, d);
                self.val(
                    NodeKind::Gather {
                        index: idx,
                        value: v,
                    },
                    ty,
                    shape,
                )
            }
            (F | B | I, Shape::Elem(s)) if r == 1 => {
                let cart = self.spaces.iter().find(|(c, ps)| {
                    matches!(self.g.node(*c).kind, NodeKind::Cartesian { .. })
                        && ps.first() == Some(&s)
                });
                match cart.map(|c| c.0) {
                    Some(c) => {
                        let op = match ty {
                            F => self
                                .rng
                                .pick(&[ReduceOp::Sum, ReduceOp::Min, ReduceOp::Max]),
                            I => self.rng.pick(&[ReduceOp::Sum, ReduceOp::Count]),
                            _ => self.rng.pick(&[ReduceOp::Any, ReduceOp::All]),
                        };
                        let v = (op != ReduceOp::Count).then(|| self.value(Shape::Elem(c), ty, d));
                        self.val(
                            NodeKind::ReduceInner {
                                op,
                                space: c,
                                value: v,
                            },
                            ty,
                            shape,
                        )
                    }
                    None => self.leaf(shape, ty),
                }
            }
            (_, _) if r == 2 => {
                let c = self.value(shape, B, d);
                let a = self.value(shape, ty, d);
                let b = self.value(shape, ty, d);
                self.val(
                    NodeKind::Select {
                        cond: c,
                        then: a,
                        else_: b,
                    },
                    ty,
                    shape,
                )
            }
            (F, _) => {
                if self.rng.chance(0.3) {
                    let from = self.rng.pick(&[I, B]);
                    let a = self.value(shape, from, d);
                    return self.val(NodeKind::Cast { arg: a }, F, shape);
                }
                if self.rng.chance(0.4) {
                    use UnaryOp::*;
                    let op = self.rng.pick(&[
                        Neg, Abs, Sqrt, Exp, Log, Log10, Sin, Cos, Tan, Asin, Acos, Atan, Sinh,
                        Cosh, Tanh, Asinh, Floor, Ceil,
                    ]);
                    let a = self.value(shape, F, d);
                    return self.val(NodeKind::Unary { op, arg: a }, F, shape);
                }
                use BinaryOp::*;
                let op = self
                    .rng
                    .pick(&[Add, Sub, Mul, Div, Mod, Pow, Atan2, Min, Max]);
                let a = self.value(shape, F, d);
                let b = self.value(shape, F, d);
                self.val(NodeKind::Binary { op, lhs: a, rhs: b }, F, shape)
            }
            (I, _) => {
                if self.rng.chance(0.25) {
                    let from = self.rng.pick(&[F, B]);
                    let a = self.value(shape, from, d);
                    return self.val(NodeKind::Cast { arg: a }, I, shape);
                }
                if self.rng.chance(0.2) {
                    let op = self.rng.pick(&[UnaryOp::Neg, UnaryOp::Abs]);
                    let a = self.value(shape, I, d);
                    return self.val(NodeKind::Unary { op, arg: a }, I, shape);
                }
                use BinaryOp::*;
                let op = self.rng.pick(&[Add, Sub, Mul, Min, Max]);
                let a = self.value(shape, I, d);
                let b = self.value(shape, I, d);
                self.val(NodeKind::Binary { op, lhs: a, rhs: b }, I, shape)
            }
            (_, _) => {
                // Bool
                use BinaryOp::*;
                match self.rng.below(5) {
                    0 => {
                        let a = self.value(shape, B, d);
                        self.val(
                            NodeKind::Unary {
                                op: UnaryOp::Not,
                                arg: a,
                            },
                            B,
                            shape,
                        )
                    }
                    1 => {
                        let a = self.value(shape, F, d);
                        self.val(
                            NodeKind::Unary {
                                op: UnaryOp::IsNan,
                                arg: a,
                            },
                            B,
                            shape,
                        )
                    }
                    2 => {
                        let op = self.rng.pick(&[And, Or]);
                        let a = self.value(shape, B, d);
                        let b = self.value(shape, B, d);
                        self.val(NodeKind::Binary { op, lhs: a, rhs: b }, B, shape)
                    }
                    3 if matches!(shape, Shape::Elem(_)) => {
                        // Identity comparisons of references.
                        let Shape::Elem(s) = shape else {
                            unreachable!()
                        };
                        let target = match self.parents(s).first() {
                            Some(p) => *p,
                            None => s,
                        };
                        let a = self.reference(shape, target);
                        let b = self.reference(shape, target);
                        let op = self.rng.pick(&[Eq, Ne]);
                        self.val(NodeKind::Binary { op, lhs: a, rhs: b }, B, shape)
                    }
                    _ => {
                        let t = self.rng.pick(&[F, I]);
                        let op = self.rng.pick(&[Eq, Ne, Lt, Le, Gt, Ge]);
                        let a = self.value(shape, t, d);
                        let b = self.value(shape, t, d);
                        self.val(NodeKind::Binary { op, lhs: a, rhs: b }, B, shape)
                    }
                }
            }
        }
    }

    fn reduction(&mut self, ty: ScalarType, d: u32) -> NodeId {
        let s = self.any_space();
        let op = match ty {
            F => self
                .rng
                .pick(&[ReduceOp::Sum, ReduceOp::Min, ReduceOp::Max]),
            I => self.rng.pick(&[ReduceOp::Sum, ReduceOp::Count]),
            _ => self.rng.pick(&[ReduceOp::Any, ReduceOp::All]),
        };
        let v = (op != ReduceOp::Count).then(|| self.value(Shape::Elem(s), ty, d));
        self.val(
            NodeKind::Reduce {
                op,
                space: s,
                value: v,
            },
            ty,
            Shape::Event,
        )
    }

    /// A reference into `target`, of the given shape.
    fn reference(&mut self, shape: Shape, target: NodeId) -> NodeId {
        let ty = ScalarType::Ref(target);
        match shape {
            Shape::Event => {
                let op = match self.rng.below(5) {
                    0 => PickOp::First,
                    4 => PickOp::Last,
                    1 => PickOp::At {
                        index: self.value(Shape::Event, I, 1),
                    },
                    2 => PickOp::ArgMin {
                        key: self.key(target),
                    },
                    _ => PickOp::ArgMax {
                        key: self.key(target),
                    },
                };
                self.val(NodeKind::Pick { op, space: target }, ty, shape)
            }
            Shape::Elem(s) if s == target => self.val(NodeKind::SelfIndex { space: s }, ty, shape),
            Shape::Elem(s) => match self.parents(s).iter().position(|p| *p == target) {
                Some(m) => self.val(
                    NodeKind::ParentIndex {
                        space: s,
                        parent: m as u8,
                    },
                    ty,
                    shape,
                ),
                // An index per element into another space (`jets[mu.jetIdx]`).
                None if self.rng.chance(0.5) => {
                    let index = self.value(shape, I, 1);
                    self.val(
                        NodeKind::Pick {
                            op: PickOp::At { index },
                            space: target,
                        },
                        ty,
                        shape,
                    )
                }
                None => {
                    let r = self.reference(Shape::Event, target);
                    self.val(NodeKind::Broadcast { value: r, space: s }, ty, shape)
                }
            },
        }
    }

    fn key(&mut self, space: NodeId) -> NodeId {
        let t = self.rng.pick(&[F, F, I]);
        self.value(Shape::Elem(space), t, 2)
    }

    fn leaf(&mut self, shape: Shape, ty: ScalarType) -> NodeId {
        match shape {
            Shape::Event => {
                let branch = match ty {
                    F => 8,
                    I => 9,
                    _ => 10,
                };
                if self.rng.chance(0.5) {
                    let lit = self.literal(ty);
                    self.val(NodeKind::Const(lit), ty, shape)
                } else if ty == I && self.rng.chance(0.5) {
                    let s = self.any_space();
                    self.val(
                        NodeKind::Reduce {
                            op: ReduceOp::Count,
                            space: s,
                            value: None,
                        },
                        I,
                        shape,
                    )
                } else {
                    self.val(
                        NodeKind::LoadEvent {
                            branch: BranchId(branch),
                        },
                        ty,
                        shape,
                    )
                }
            }
            Shape::Elem(s) => {
                let load = match (&self.g.node(s).kind, ty) {
                    (
                        NodeKind::Source {
                            counter: Counter::Branch(BranchId(0)),
                        },
                        F,
                    ) => Some(self.rng.pick(&[1, 2])),
                    (
                        NodeKind::Source {
                            counter: Counter::Branch(BranchId(0)),
                        },
                        I,
                    ) => Some(3),
                    (
                        NodeKind::Source {
                            counter: Counter::Branch(BranchId(0)),
                        },
                        B,
                    ) => Some(4),
                    (
                        NodeKind::Source {
                            counter: Counter::Branch(BranchId(5)),
                        },
                        F,
                    ) => Some(6),
                    (
                        NodeKind::Source {
                            counter: Counter::Branch(BranchId(5)),
                        },
                        I,
                    ) => Some(7),
                    (
                        NodeKind::Source {
                            counter: Counter::SizeOf(BranchId(11)),
                        },
                        F,
                    ) => Some(11),
                    _ => None,
                };
                match load {
                    Some(b) if self.rng.chance(0.8) => self.val(
                        NodeKind::LoadElem {
                            branch: BranchId(b),
                            space: s,
                        },
                        ty,
                        shape,
                    ),
                    _ => {
                        let v = self.leaf(Shape::Event, ty);
                        self.val(NodeKind::Broadcast { value: v, space: s }, ty, shape)
                    }
                }
            }
        }
    }

    fn new_space(&mut self) {
        let s = self.any_space();
        let small = self.is_source(s) || matches!(self.g.node(s).kind, NodeKind::Filter { .. });
        let (kind, parents) = match self.rng.below(5) {
            0 => (
                NodeKind::Filter {
                    parent: s,
                    mask: self.value(Shape::Elem(s), B, 3),
                },
                vec![s],
            ),
            1 => (
                NodeKind::Sort {
                    parent: s,
                    key: self.key(s),
                    descending: self.rng.chance(0.5),
                },
                vec![s],
            ),
            2 if small => (
                NodeKind::Combinations {
                    parent: s,
                    k: self.rng.pick(&[2, 2, 3]),
                },
                vec![s],
            ),
            3 if small => {
                let t = self.any_space();
                if !(self.is_source(t) || matches!(self.g.node(t).kind, NodeKind::Filter { .. })) {
                    return;
                }
                (NodeKind::Cartesian { parents: [s, t] }, vec![s, t])
            }
            4 => {
                let t = self.any_space();
                (NodeKind::Concat { parents: [s, t] }, vec![s, t])
            }
            _ => return,
        };
        let k = match &kind {
            NodeKind::Combinations { k, .. } => *k as usize,
            _ => parents.len(),
        };
        let parents = if k == parents.len() {
            parents
        } else {
            vec![s; k]
        };
        let id = self.add(kind, Type::Space, Shape::Event);
        self.spaces.push((id, parents));
    }

    fn axis(&mut self, ty: ScalarType) -> Axis {
        let kind = match (ty, self.rng.below(5)) {
            (_, 0) => {
                let lo = self.rng.pick(&[0.0, -3.0, 0.5]);
                AxisKind::Regular {
                    bins: 1 + self.rng.below(20) as u32,
                    lo,
                    hi: lo + self.rng.pick(&[1.0, 6.0, 100.0]),
                }
            }
            (_, 1) => AxisKind::Log {
                bins: 1 + self.rng.below(30) as u32,
                lo: self.rng.pick(&[0.1, 1.0, 0.2]),
                hi: self.rng.pick(&[10.0, 200.0, 1000.0]),
            },
            (_, 2) => {
                let mut edges = vec![self.rng.pick(&[-2.0, 0.0, 0.5])];
                for _ in 0..self.rng.below(25) {
                    let last = *edges.last().unwrap_or(&0.0);
                    edges.push(last + 0.01 + self.rng.unit() * 3.0);
                }
                AxisKind::Variable { edges }
            }
            (_, 3) => {
                let lo = self.rng.pick(&[0, -2, 1, i64::MIN, 5]);
                AxisKind::Integer {
                    lo,
                    hi: lo.saturating_add(self.rng.below(12) as i64),
                }
            }
            (_, 4) if self.rng.chance(0.3) => {
                let ids: Vec<i64> = (0..self.rng.below(4)).map(|k| k as i64).collect();
                AxisKind::StrCategory {
                    values: ids.iter().map(|k| format!("s{k}")).collect(),
                    ids,
                }
            }
            _ => AxisKind::Category {
                values: (0..self.rng.below(6))
                    .map(|_| self.rng.pick(&[0, 1, 2, -1, 3, 11, 13]))
                    .collect(),
            },
        };
        Axis {
            name: "x".into(),
            label: String::new(),
            kind,
        }
    }

    fn fill(&mut self) {
        let space = self.rng.chance(0.5).then(|| self.any_space());
        let shape = space.map_or(Shape::Event, Shape::Elem);
        let n_axes = 1 + usize::from(self.rng.chance(0.3)) + usize::from(self.rng.chance(0.15));
        let mut axes = Vec::new();
        let mut values = Vec::new();
        for _ in 0..n_axes {
            let ty = self.rng.pick(&[F, F, F, I, B]);
            values.push(self.value(shape, ty, 4));
            axes.push(self.axis(ty));
        }
        let weight = self.rng.chance(0.4).then(|| self.value(shape, F, 3));
        let sample = self.rng.chance(0.3).then(|| self.value(shape, F, 3));
        let valid = self.rng.chance(0.3).then(|| self.value(shape, B, 2));
        let region = self.rng.chance(0.5).then(|| self.value(Shape::Event, B, 3));
        let hist = HistId(self.g.hists.len() as u32);
        let storage = match (weight.is_some(), sample.is_some()) {
            (false, false) => Storage::Double,
            (true, false) => Storage::Weighted,
            (false, true) => Storage::Mean,
            (true, true) => Storage::WeightedMean,
        };
        self.g.hists.push(HistSpec {
            name: format!("h{}", hist.0),
            axes,
            storage,
        });
        self.sink(NodeKind::Fill {
            hist,
            space,
            region,
            values,
            weight,
            sample,
            valid,
        });
    }

    fn append(&mut self) {
        let space = self.rng.chance(0.5).then(|| self.any_space());
        let mut columns = Vec::new();
        let mut specs = Vec::new();
        for c in 0..1 + self.rng.below(4) {
            // In a per-event table, a column of one value per element (of any space) is a list.
            let shape = match space {
                Some(s) => Shape::Elem(s),
                None if self.rng.chance(0.4) => Shape::Elem(self.any_space()),
                None => Shape::Event,
            };
            let ty = self.rng.pick(&[F, F, I, B]);
            columns.push(self.value(shape, ty, 4));
            let any = [
                ColumnType::F64,
                ColumnType::F32,
                ColumnType::I64,
                ColumnType::I32,
                ColumnType::Bool,
            ];
            let narrow = [
                ColumnType::I8,
                ColumnType::U8,
                ColumnType::I16,
                ColumnType::U16,
                ColumnType::U32,
                ColumnType::U64,
            ];
            let dtype = match (ty, self.rng.chance(0.8)) {
                (F, true) => self.rng.pick(&[ColumnType::F64, ColumnType::F32]),
                (I, true) if self.rng.chance(0.5) => self.rng.pick(&narrow),
                (I, true) => self.rng.pick(&[ColumnType::I64, ColumnType::I32]),
                (B, true) => ColumnType::Bool,
                (F, false) => self.rng.pick(&any),
                _ => self.rng.pick(&[&any[..], &narrow[..]].concat()),
            };
            specs.push(ColumnSpec {
                name: format!("c{c}"),
                dtype,
                list: space.is_none() && shape != Shape::Event,
            });
        }
        let region = self.rng.chance(0.6).then(|| self.value(Shape::Event, B, 3));
        let table = TableId(self.g.tables.len() as u32);
        self.g.tables.push(TableSpec {
            name: format!("t{}", table.0),
            columns: specs,
            nullable: vec![],
        });
        self.sink(NodeKind::Append {
            table,
            space,
            region,
            columns,
        });
    }

    fn region(&mut self) {
        let mask = self.value(Shape::Event, B, 4);
        let region = RegionId(self.g.regions.len() as u32);
        self.g.regions.push(RegionSpec {
            name: format!("r{}", region.0),
            mask,
        });
        self.sink(NodeKind::CountRegion { region, mask });
    }

    /// A named cutflow: row 0 unmasked, the others any masks (the node does not need them
    /// cumulative), with or without a weight.
    fn cutflow(&mut self) {
        let cutflow = CutflowId(self.g.cutflows.len() as u32);
        let regions: Vec<String> = (0..self.rng.below(4)).map(|i| format!("r{i}")).collect();
        let weight = self.rng.chance(0.6).then(|| self.value(Shape::Event, F, 3));
        for row in 0..=regions.len() {
            let mask = (row > 0).then(|| self.value(Shape::Event, B, 3));
            self.sink(NodeKind::CountCutflow {
                cutflow,
                row: row as u32,
                mask,
                weight,
            });
        }
        self.g.cutflows.push(CutflowSpec {
            name: format!("c{}", cutflow.0),
            regions,
            weight: weight.map(|w| format!("%{}", w.0)),
        });
    }
}

/// A random graph.
pub fn graph(seed: u64) -> Graph {
    let mut g = Gen {
        rng: Rng::new(seed),
        g: Graph::default(),
        spaces: Vec::new(),
        values: Vec::new(),
    };
    g.g.tree = "Events".into();
    g.g.branches = BRANCHES
        .iter()
        .map(|(n, p, j)| Branch {
            name: (*n).into(),
            phys: *p,
            jagged: *j,
        })
        .collect();
    for counter in [
        Counter::Branch(BranchId(0)),
        Counter::Branch(BranchId(5)),
        Counter::SizeOf(BranchId(11)),
    ] {
        let id = g.add(NodeKind::Source { counter }, Type::Space, Shape::Event);
        g.spaces.push((id, Vec::new()));
    }
    let steps = 3 + g.rng.below(10);
    for _ in 0..steps {
        match g.rng.below(7) {
            0 | 1 => g.new_space(),
            2 | 3 => g.fill(),
            4 => g.append(),
            5 => g.cutflow(),
            _ => g.region(),
        }
    }
    g.fill();
    g.g
}

fn float(rng: &mut Rng) -> f64 {
    if rng.chance(0.06) {
        return rng.pick(&[
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            0.0,
            1e300,
            -1e-300,
            1.0,
            90.0,
        ]);
    }
    let scale = rng.pick(&[1.0, 10.0, 100.0]);
    (rng.unit() * 2.0 - 1.0) * scale
}

fn int(rng: &mut Rng) -> i64 {
    if rng.chance(0.05) {
        return rng.pick(&[i32::MIN as i64, i32::MAX as i64, 0, -1]);
    }
    rng.below(7) as i64 - 3
}

/// Random columns for the fixed branches.
pub fn columns(seed: u64) -> (usize, Vec<InputColumn>) {
    let mut rng = Rng::new(seed ^ 0xABCD);
    let n = rng.pick(&[0, 1, 3, 40, 200]);
    let count = |rng: &mut Rng| -> usize {
        match rng.below(20) {
            0 => 0,
            1 => 12 + rng.below(8),
            _ => rng.below(5),
        }
    };
    let na: Vec<usize> = (0..n).map(|_| count(&mut rng)).collect();
    let nb: Vec<usize> = (0..n).map(|_| count(&mut rng)).collect();
    let nv: Vec<usize> = (0..n).map(|_| count(&mut rng)).collect();
    let offsets = |c: &[usize]| -> Vec<u32> {
        let mut o = vec![0u32];
        for &x in c {
            o.push(o.last().copied().unwrap_or(0) + x as u32);
        }
        o
    };
    let total = |c: &[usize]| c.iter().sum::<usize>();
    let (ta, tb, tv) = (total(&na), total(&nb), total(&nv));
    let jag = |data: ColumnData, c: &[usize]| InputColumn {
        data,
        offsets: Some(offsets(c).into()),
    };
    let flat = |data: ColumnData| InputColumn {
        data,
        offsets: None,
    };
    let cols = vec![
        flat(ColumnData::I32(na.iter().map(|&x| x as i32).collect())),
        jag(
            ColumnData::F32((0..ta).map(|_| float(&mut rng) as f32).collect()),
            &na,
        ),
        jag(
            ColumnData::F64((0..ta).map(|_| float(&mut rng)).collect()),
            &na,
        ),
        jag(
            ColumnData::I32((0..ta).map(|_| int(&mut rng) as i32).collect()),
            &na,
        ),
        jag(
            ColumnData::Bool((0..ta).map(|_| rng.chance(0.5)).collect()),
            &na,
        ),
        flat(ColumnData::U8(nb.iter().map(|&x| x as u8).collect())),
        jag(
            ColumnData::F32((0..tb).map(|_| float(&mut rng) as f32).collect()),
            &nb,
        ),
        jag(
            ColumnData::I64((0..tb).map(|_| int(&mut rng)).collect()),
            &nb,
        ),
        flat(ColumnData::F32(
            (0..n).map(|_| float(&mut rng) as f32).collect(),
        )),
        flat(ColumnData::I32(
            (0..n).map(|_| int(&mut rng) as i32).collect(),
        )),
        flat(ColumnData::Bool((0..n).map(|_| rng.chance(0.5)).collect())),
        jag(
            ColumnData::F32((0..tv).map(|_| float(&mut rng) as f32).collect()),
            &nv,
        ),
    ];
    (n, cols)
}

pub fn case(seed: u64) -> Case {
    let graph = graph(seed);
    let (n_events, columns) = columns(seed);
    Case {
        graph,
        columns,
        n_events,
    }
}
