//! Interpreter tests on hand-built graphs: the dimuon analysis, and each node's edge cases
//! (NaN keys, empty events, negative indices, flow bins).

#![allow(
    clippy::indexing_slicing,
    reason = "tests index freely: a panic is a test failure"
)]

use ana_compiler::abi::{ChunkInput, ChunkOutput, ColumnData, Engine, InputColumn, OutValues};
use ana_compiler::graph::*;

use super::{Binner, Col, Interpreter, log_edges};

/// Builds graphs node by node for tests.
#[derive(Default)]
pub struct Builder {
    pub g: Graph,
}

impl Builder {
    pub fn node(&mut self, kind: NodeKind, ty: Type, shape: Shape) -> NodeId {
        self.g.nodes.push(Node {
            kind,
            ty,
            shape,
            hint: None,
        });
        NodeId(self.g.nodes.len() as u32 - 1)
    }
    pub fn val(&mut self, kind: NodeKind, t: ScalarType, shape: Shape) -> NodeId {
        self.node(kind, Type::Scalar(t), shape)
    }
    pub fn space(&mut self, kind: NodeKind) -> NodeId {
        self.node(kind, Type::Space, Shape::Event)
    }
    pub fn sink(&mut self, kind: NodeKind) -> NodeId {
        self.val(kind, ScalarType::Bool, Shape::Event)
    }
    pub fn branch(&mut self, name: &str, phys: PhysType, jagged: bool) -> BranchId {
        self.g.branches.push(Branch {
            name: name.into(),
            phys,
            jagged,
        });
        BranchId(self.g.branches.len() as u32 - 1)
    }
    pub fn bin(&mut self, op: BinaryOp, lhs: NodeId, rhs: NodeId) -> NodeId {
        let t = match op {
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => ScalarType::Bool,
            _ => match self.g.nodes[lhs.0 as usize].ty {
                Type::Scalar(t) => t,
                Type::Space => ScalarType::Bool,
            },
        };
        let shape = self.g.nodes[lhs.0 as usize].shape;
        self.val(NodeKind::Binary { op, lhs, rhs }, t, shape)
    }
    pub fn un(&mut self, op: UnaryOp, arg: NodeId) -> NodeId {
        let n = &self.g.nodes[arg.0 as usize];
        let (t, shape) = (
            if op == UnaryOp::IsNan {
                ScalarType::Bool
            } else {
                n.ty_scalar()
            },
            n.shape,
        );
        self.val(NodeKind::Unary { op, arg }, t, shape)
    }
    pub fn float(&mut self, x: f64, shape: Shape) -> NodeId {
        self.val(NodeKind::Const(Literal::Float(x)), ScalarType::Float, shape)
    }
    pub fn int(&mut self, x: i64, shape: Shape) -> NodeId {
        self.val(NodeKind::Const(Literal::Int(x)), ScalarType::Int, shape)
    }
    pub fn sum(&mut self, space: NodeId, value: NodeId) -> NodeId {
        let t = self.g.nodes[value.0 as usize].ty_scalar();
        self.val(
            NodeKind::Reduce {
                op: ReduceOp::Sum,
                space,
                value: Some(value),
            },
            t,
            Shape::Event,
        )
    }
}

trait TyScalar {
    fn ty_scalar(&self) -> ScalarType;
}
impl TyScalar for Node {
    fn ty_scalar(&self) -> ScalarType {
        match self.ty {
            Type::Scalar(t) => t,
            Type::Space => ScalarType::Bool,
        }
    }
}

/// The dimuon analysis of `examples/dimuon.ana`, lowered by hand as the frontend would:
/// hists `nMuons` (Reg(6,0,6)) and `mass` (Log(1000, 0.2, 200)) in `dimuon`; regions
/// `dimuon`, `zpeak`; table `zmmtable` in `zpeak`.
pub fn dimuon_graph() -> Graph {
    use BinaryOp::*;
    use ScalarType::{Bool, Float, Int};
    let mut b = Builder::default();
    b.g.tree = "Events".into();
    let n_mu = b.branch("nMuon", PhysType::I32, false);
    let names = ["Muon_pt", "Muon_eta", "Muon_phi", "Muon_mass"];
    let brs: Vec<BranchId> = names
        .iter()
        .map(|n| b.branch(n, PhysType::F32, true))
        .collect();
    let charge_b = b.branch("Muon_charge", PhysType::I32, true);
    let mu = b.space(NodeKind::Source {
        counter: Counter::Branch(n_mu),
    });
    let el = Shape::Elem(mu);
    let [pt, eta, phi, m] = [0, 1, 2, 3].map(|i| {
        b.val(
            NodeKind::LoadElem {
                branch: brs[i],
                space: mu,
            },
            Float,
            el,
        )
    });
    let charge = b.val(
        NodeKind::LoadElem {
            branch: charge_b,
            space: mu,
        },
        Int,
        el,
    );
    let count = b.val(
        NodeKind::Reduce {
            op: ReduceOp::Count,
            space: mu,
            value: None,
        },
        Int,
        Shape::Event,
    );
    b.sink(NodeKind::Fill {
        hist: HistId(0),
        space: None,
        region: None,
        values: vec![count],
        weight: None,
        sample: None,
        valid: None,
    });
    let two = b.int(2, Shape::Event);
    let is2 = b.bin(Eq, count, two);
    let qsum = b.sum(mu, charge);
    let zero = b.int(0, Shape::Event);
    let neutral = b.bin(Eq, qsum, zero);
    let dimuon = b.bin(And, is2, neutral);
    b.sink(NodeKind::CountRegion {
        region: RegionId(0),
        mask: dimuon,
    });
    let cphi = b.un(UnaryOp::Cos, phi);
    let px = b.bin(Mul, pt, cphi);
    let sphi = b.un(UnaryOp::Sin, phi);
    let py = b.bin(Mul, pt, sphi);
    let sheta = b.un(UnaryOp::Sinh, eta);
    let pz = b.bin(Mul, pt, sheta);
    let [px2, py2, pz2, m2] = [px, py, pz, m].map(|x| b.bin(Mul, x, x));
    let a = b.bin(Add, px2, py2);
    let a = b.bin(Add, a, pz2);
    let a = b.bin(Add, a, m2);
    let e = b.un(UnaryOp::Sqrt, a);
    let [spx, spy, spz, se] = [px, py, pz, e].map(|x| b.sum(mu, x));
    let [ppx, ppy, ppz, ee] = [spx, spy, spz, se].map(|x| b.bin(Mul, x, x));
    let pt2 = b.bin(Add, ppx, ppy);
    let p2 = b.bin(Add, pt2, ppz);
    let mass2 = b.bin(Sub, ee, p2);
    let fzero = b.float(0.0, Shape::Event);
    let nonneg = b.bin(Ge, mass2, fzero);
    let root = b.un(UnaryOp::Sqrt, mass2);
    let neg = b.un(UnaryOp::Neg, mass2);
    let nroot = b.un(UnaryOp::Sqrt, neg);
    let nroot = b.un(UnaryOp::Neg, nroot);
    let zmass = b.val(
        NodeKind::Select {
            cond: nonneg,
            then: root,
            else_: nroot,
        },
        Float,
        Shape::Event,
    );
    b.sink(NodeKind::Fill {
        hist: HistId(1),
        space: None,
        region: Some(dimuon),
        values: vec![zmass],
        weight: None,
        sample: None,
        valid: None,
    });
    let c90 = b.float(90.0, Shape::Event);
    let d = b.bin(Sub, zmass, c90);
    let d = b.un(UnaryOp::Abs, d);
    let c30 = b.float(30.0, Shape::Event);
    let win = b.bin(Lt, d, c30);
    let zpeak = b.bin(And, dimuon, win);
    b.sink(NodeKind::CountRegion {
        region: RegionId(1),
        mask: zpeak,
    });
    let zpt = b.un(UnaryOp::Sqrt, pt2);
    let ezero = b.int(0, el);
    let mut cols = vec![zmass, zpt];
    for op in [Gt, Lt] {
        let sel = b.bin(op, charge, ezero);
        let f = b.space(NodeKind::Filter {
            parent: mu,
            mask: sel,
        });
        let first = b.val(
            NodeKind::Pick {
                op: PickOp::First,
                space: f,
            },
            ScalarType::Ref(f),
            Shape::Event,
        );
        let up = b.val(
            NodeKind::ParentIndex {
                space: f,
                parent: 0,
            },
            ScalarType::Ref(mu),
            Shape::Elem(f),
        );
        let r = b.val(
            NodeKind::Gather {
                index: first,
                value: up,
            },
            ScalarType::Ref(mu),
            Shape::Event,
        );
        for v in [pt, eta, phi] {
            cols.push(b.val(NodeKind::Gather { index: r, value: v }, Float, Shape::Event));
        }
    }
    b.sink(NodeKind::Append {
        table: TableId(0),
        space: None,
        region: Some(zpeak),
        columns: cols,
    });
    let _ = Bool;
    b.g.hists = vec![
        HistSpec {
            name: "nMuons".into(),
            axes: vec![Axis {
                name: "nMuons".into(),
                label: "Number of muons".into(),
                kind: AxisKind::Regular {
                    bins: 6,
                    lo: 0.0,
                    hi: 6.0,
                },
            }],
            storage: Storage::Double,
        },
        HistSpec {
            name: "mass".into(),
            axes: vec![Axis {
                name: "mass".into(),
                label: "Di-muon invariant mass".into(),
                kind: AxisKind::Log {
                    bins: 1000,
                    lo: 0.2,
                    hi: 200.0,
                },
            }],
            storage: Storage::Double,
        },
    ];
    let col = |n: &str, dtype| ColumnSpec {
        name: n.into(),
        dtype,
        list: false,
    };
    b.g.tables = vec![TableSpec {
        name: "zmmtable".into(),
        columns: vec![
            col("mass", ColumnType::F64),
            col("pt", ColumnType::F64),
            col("mu+_pt", ColumnType::F32),
            col("mu+_eta", ColumnType::F32),
            col("mu+_phi", ColumnType::F32),
            col("mu-_pt", ColumnType::F32),
            col("mu-_eta", ColumnType::F32),
            col("mu-_phi", ColumnType::F32),
        ],
        nullable: vec![],
    }];
    b.g.regions = vec![
        RegionSpec {
            name: "dimuon".into(),
            mask: dimuon,
        },
        RegionSpec {
            name: "zpeak".into(),
            mask: zpeak,
        },
    ];
    b.g.validate().expect("hand-built dimuon graph is valid");
    b.g
}

/// A muon: (pt, eta, phi, mass, charge).
pub type Mu = (f32, f32, f32, f32, i32);

/// Muons per event, as the six dimuon input columns.
pub fn dimuon_input(events: &[Vec<Mu>]) -> Vec<InputColumn> {
    let mut offsets = vec![0u32];
    let mut cols: [Vec<f32>; 4] = Default::default();
    let mut charge = Vec::new();
    for ev in events {
        for &(pt, eta, phi, m, q) in ev {
            cols[0].push(pt);
            cols[1].push(eta);
            cols[2].push(phi);
            cols[3].push(m);
            charge.push(q);
        }
        offsets.push(charge.len() as u32);
    }
    let jag = |data| InputColumn {
        data,
        offsets: Some(offsets.clone().into()),
    };
    let mut out = vec![InputColumn {
        data: ColumnData::I32(events.iter().map(|e| e.len() as i32).collect()),
        offsets: None,
    }];
    out.extend(cols.into_iter().map(|c| jag(ColumnData::F32(c))));
    out.push(jag(ColumnData::I32(charge)));
    out
}

fn run(g: &Graph, cols: &[InputColumn], n: usize) -> ChunkOutput {
    let mut out = ChunkOutput::new(g);
    Interpreter::new(g)
        .run_chunk(
            ChunkInput {
                n_events: n,
                columns: cols,
            },
            &mut out,
        )
        .expect("chunk runs");
    out
}

/// The notebook's computation for one event, written plainly, in f64.
fn zmass_pt(mus: &[Mu]) -> (f64, f64) {
    let (mut px, mut py, mut pz, mut e) = (0.0, 0.0, 0.0, 0.0);
    for &(pt, eta, phi, m, _) in mus {
        let (pt, eta, phi, m) = (pt as f64, eta as f64, phi as f64, m as f64);
        // ana's own elementary functions are part of the semantics
        use ana_compiler::math::{cos, sin, sinh};
        let (x, y, z) = (pt * cos(phi), pt * sin(phi), pt * sinh(eta));
        px += x;
        py += y;
        pz += z;
        e += (x * x + y * y + z * z + m * m).sqrt();
    }
    let m2 = e * e - (px * px + py * py + pz * pz);
    (
        if m2 >= 0.0 { m2.sqrt() } else { -(-m2).sqrt() },
        (px * px + py * py).sqrt(),
    )
}

#[test]
fn dimuon_by_hand() {
    let events = vec![
        vec![(45.0, 0.1, 0.5, 0.105, 1), (44.0, -0.3, -2.6, 0.105, -1)],
        vec![],
        vec![(10.0, 1.0, 0.0, 0.105, 1)],
        vec![(30.0, 0.1, 0.5, 0.105, 1), (20.0, 0.2, 0.7, 0.105, 1)],
        vec![(5.0, 2.0, 3.0, 0.105, -1), (6.0, -2.0, -3.0, 0.105, 1)],
        vec![
            (1.0, 0.0, 0.0, 0.1, 1),
            (1.0, 0.0, 1.0, 0.1, -1),
            (1.0, 0.0, 2.0, 0.1, 1),
        ],
    ];
    let g = dimuon_graph();
    let out = run(&g, &dimuon_input(&events), events.len());
    assert_eq!(
        out.hists[0].sumw,
        vec![0.0, 1.0, 1.0, 3.0, 1.0, 0.0, 0.0, 0.0]
    );
    assert_eq!(out.cutflow, vec![2, 1]);
    let (m0, pt0) = zmass_pt(&events[0]);
    let (m4, _) = zmass_pt(&events[4]);
    let binner = Binner::new(&g.hists[1].axes[0]);
    let mut expect = vec![0.0; 1002];
    expect[binner.slot_f64(m0)] += 1.0;
    expect[binner.slot_f64(m4)] += 1.0;
    assert_eq!(out.hists[1].sumw, expect);
    let t = &out.tables[0].columns;
    assert_eq!(t[0].values, OutValues::F64(vec![m0]));
    assert_eq!(t[1].values, OutValues::F64(vec![pt0]));
    assert_eq!(t[2].values, OutValues::F32(vec![45.0]));
    assert_eq!(t[7].values, OutValues::F32(vec![-2.6]));
}

#[test]
fn dropping_columns_changes_nothing() {
    let events = vec![vec![(45.0, 0.1, 0.5, 0.105, 1), (44.0, -0.3, -2.6, 0.105, -1)]; 3];
    let g = dimuon_graph();
    let cols = dimuon_input(&events);
    let a = run(&g, &cols, 3);
    let mut b = ChunkOutput::new(&g);
    let all = Interpreter::new(&g)
        .eval_all(
            ChunkInput {
                n_events: 3,
                columns: &cols,
            },
            &mut b,
        )
        .expect("runs");
    assert_eq!(a, b);
    assert!(all.iter().filter(|c| c.is_some()).count() > 40);
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let g = dimuon_graph();
    let events = vec![vec![(45.0, 0.1, 0.5, 0.105, 1)]];
    let mut cols = dimuon_input(&events);
    let interp = Interpreter::new(&g);
    let mut out = ChunkOutput::new(&g);
    // Counter says 2 muons, branches hold 1.
    cols[0].data = ColumnData::I32(vec![2]);
    let err = interp
        .run_chunk(
            ChunkInput {
                n_events: 1,
                columns: &cols,
            },
            &mut out,
        )
        .unwrap_err();
    assert_eq!(err.branch.as_deref(), Some("Muon_pt"));
    cols[0].data = ColumnData::F32(vec![1.0]);
    assert!(
        interp
            .run_chunk(
                ChunkInput {
                    n_events: 1,
                    columns: &cols
                },
                &mut out
            )
            .is_err()
    );
    cols[0].data = ColumnData::I32(vec![-1]);
    assert!(
        interp
            .run_chunk(
                ChunkInput {
                    n_events: 1,
                    columns: &cols
                },
                &mut out
            )
            .is_err()
    );
    assert!(
        interp
            .run_chunk(
                ChunkInput {
                    n_events: 2,
                    columns: &cols
                },
                &mut out
            )
            .is_err()
    );
    assert!(
        interp
            .run_chunk(
                ChunkInput {
                    n_events: 1,
                    columns: &cols[..3]
                },
                &mut out
            )
            .is_err()
    );
}

/// One jagged float branch `x` over `events`, a source space over its sizes, and `f` adding
/// nodes; returns the columns of every node.
fn eval_x(events: &[Vec<f64>], f: impl FnOnce(&mut Builder, NodeId, NodeId)) -> Vec<Option<Col>> {
    let mut b = Builder::default();
    let xb = b.branch("x", PhysType::F64, true);
    let s = b.space(NodeKind::Source {
        counter: Counter::SizeOf(xb),
    });
    let x = b.val(
        NodeKind::LoadElem {
            branch: xb,
            space: s,
        },
        ScalarType::Float,
        Shape::Elem(s),
    );
    f(&mut b, s, x);
    b.g.validate().expect("valid");
    let mut offsets = vec![0u32];
    let mut data = vec![];
    for e in events {
        data.extend(e);
        offsets.push(data.len() as u32);
    }
    let cols = [InputColumn {
        data: ColumnData::F64(data),
        offsets: Some(offsets.into()),
    }];
    let mut out = ChunkOutput::new(&b.g);
    Interpreter::new(&b.g)
        .eval_all(
            ChunkInput {
                n_events: events.len(),
                columns: &cols,
            },
            &mut out,
        )
        .expect("runs")
}

fn floats(c: &Option<Col>) -> Vec<f64> {
    match c {
        Some(Col::Float(v)) => v.clone(),
        other => panic!("not floats: {other:?}"),
    }
}

fn ints(c: &Option<Col>) -> Vec<i64> {
    match c {
        Some(Col::Int(v)) => v.clone(),
        other => panic!("not ints: {other:?}"),
    }
}

#[test]
fn sort_is_stable_with_nan_last_both_ways() {
    let nan = f64::NAN;
    let ev = vec![vec![2.0, nan, 1.0, 2.0, -0.0, 0.0], vec![], vec![nan, 3.0]];
    for (desc, want) in [
        (false, vec![4, 5, 2, 0, 3, 1, 7, 6]),
        (true, vec![0, 3, 2, 4, 5, 1, 7, 6]),
    ] {
        let cols = eval_x(&ev, |b, s, x| {
            let sorted = b.space(NodeKind::Sort {
                parent: s,
                key: x,
                descending: desc,
            });
            b.val(
                NodeKind::ParentIndex {
                    space: sorted,
                    parent: 0,
                },
                ScalarType::Ref(s),
                Shape::Elem(sorted),
            );
        });
        assert_eq!(ints(&cols[3]), want, "descending {desc}");
    }
}

#[test]
fn combinations_cartesian_and_inner_reduce() {
    let ev = vec![vec![1.0, 2.0, 3.0], vec![5.0], vec![]];
    let cols = eval_x(&ev, |b, s, x| {
        let pairs = b.space(NodeKind::Combinations { parent: s, k: 2 }); // %2
        b.val(
            NodeKind::ParentIndex {
                space: pairs,
                parent: 1,
            },
            ScalarType::Ref(s),
            Shape::Elem(pairs),
        ); // %3
        let tri = b.space(NodeKind::Combinations { parent: s, k: 3 }); // %4
        b.val(
            NodeKind::ParentIndex {
                space: tri,
                parent: 2,
            },
            ScalarType::Ref(s),
            Shape::Elem(tri),
        ); // %5
        let cart = b.space(NodeKind::Cartesian { parents: [s, s] }); // %6
        let j = b.val(
            NodeKind::ParentIndex {
                space: cart,
                parent: 1,
            },
            ScalarType::Ref(s),
            Shape::Elem(cart),
        ); // %7
        let xj = b.val(
            NodeKind::Gather { index: j, value: x },
            ScalarType::Float,
            Shape::Elem(cart),
        ); // %8
        b.val(
            NodeKind::ReduceInner {
                op: ReduceOp::Sum,
                space: cart,
                value: Some(xj),
            },
            ScalarType::Float,
            Shape::Elem(s),
        ); // %9
        let cc = b.space(NodeKind::Concat {
            parents: [s, pairs],
        }); // %10
        b.val(
            NodeKind::ParentIndex {
                space: cc,
                parent: 1,
            },
            ScalarType::Ref(pairs),
            Shape::Elem(cc),
        ); // %11
        b.val(
            NodeKind::Reduce {
                op: ReduceOp::Max,
                space: s,
                value: Some(x),
            },
            ScalarType::Float,
            Shape::Event,
        ); // %12
    });
    assert_eq!(ints(&cols[3]), vec![1, 2, 2]);
    assert_eq!(ints(&cols[5]), vec![2]);
    assert_eq!(floats(&cols[9]), vec![6.0, 6.0, 6.0, 5.0]);
    assert_eq!(ints(&cols[11]), vec![-1, -1, -1, 0, 1, 2, -1]);
    let max = floats(&cols[12]);
    assert_eq!(&max[..2], &[3.0, 5.0]);
    assert!(max[2].is_nan());
}

#[test]
fn picks_and_missing_values() {
    let nan = f64::NAN;
    let ev = vec![vec![3.0, nan, 1.0, 1.0], vec![], vec![nan]];
    let cols = eval_x(&ev, |b, s, x| {
        let at = b.int(-1, Shape::Event); // %2
        let last = b.val(
            NodeKind::Pick {
                op: PickOp::Last,
                space: s,
            },
            ScalarType::Ref(s),
            Shape::Event,
        ); // %3
        b.val(
            NodeKind::Gather {
                index: last,
                value: x,
            },
            ScalarType::Float,
            Shape::Event,
        ); // %4
        b.val(
            NodeKind::Pick {
                op: PickOp::ArgMin { key: x },
                space: s,
            },
            ScalarType::Ref(s),
            Shape::Event,
        ); // %5
        b.val(
            NodeKind::Pick {
                op: PickOp::ArgMax { key: x },
                space: s,
            },
            ScalarType::Ref(s),
            Shape::Event,
        ); // %6
        let big = b.int(4, Shape::Event); // %7
        b.val(
            NodeKind::Pick {
                op: PickOp::At { index: big },
                space: s,
            },
            ScalarType::Ref(s),
            Shape::Event,
        ); // %8
        // NanoAOD's -1 ("no element") is out of range, not the last element.
        b.val(
            NodeKind::Pick {
                op: PickOp::At { index: at },
                space: s,
            },
            ScalarType::Ref(s),
            Shape::Event,
        ); // %9
    });
    assert_eq!(ints(&cols[3]), vec![3, -1, 4]);
    let v = floats(&cols[4]);
    assert_eq!(v[0], 1.0);
    assert!(v[1].is_nan() && v[2].is_nan());
    assert_eq!(ints(&cols[5]), vec![2, -1, -1]);
    assert_eq!(ints(&cols[6]), vec![0, -1, -1]);
    assert_eq!(ints(&cols[8]), vec![-1, -1, -1]);
    assert_eq!(ints(&cols[9]), vec![-1, -1, -1]);
}

#[test]
fn float_min_max_follow_fmin_fmax() {
    use super::values::{fmax, fmin};
    assert!(fmin(f64::NAN, 1.0).is_nan() && fmax(1.0, f64::NAN).is_nan());
    assert!(fmin(0.0, -0.0).is_sign_negative() && fmin(-0.0, 0.0).is_sign_negative());
    assert!(fmax(0.0, -0.0).is_sign_positive() && fmax(-0.0, 0.0).is_sign_positive());
    assert_eq!(fmin(1.0, 2.0), 1.0);
    assert_eq!(fmax(1.0, 2.0), 2.0);
}

fn axis(kind: AxisKind) -> Axis {
    Axis {
        name: "x".into(),
        label: String::new(),
        kind,
    }
}

#[test]
fn bin_finding_matches_boost() {
    let reg = Binner::new(&axis(AxisKind::Regular {
        bins: 6,
        lo: 0.0,
        hi: 6.0,
    }));
    let cases = [
        (-0.1, 0),
        (0.0, 1),
        (5.999, 6),
        (6.0, 7),
        (f64::NAN, 7),
        (f64::INFINITY, 7),
        (f64::NEG_INFINITY, 0),
    ];
    for (x, slot) in cases {
        assert_eq!(reg.slot_f64(x), slot, "regular {x}");
    }
    let log = Binner::new(&axis(AxisKind::Log {
        bins: 1000,
        lo: 0.2,
        hi: 200.0,
    }));
    assert_eq!(log.slot_f64(0.0), 0);
    assert_eq!(log.slot_f64(-1.0), 1001);
    assert_eq!(log.slot_f64(0.2), 1);
    assert_eq!(log.slot_f64(200.0), 1001);
    let var = Binner::new(&axis(AxisKind::Variable {
        edges: vec![0.0, 1.0, 3.0],
    }));
    for (x, slot) in [
        (-1.0, 0),
        (0.0, 1),
        (1.0, 2),
        (2.9, 2),
        (3.0, 3),
        (f64::NAN, 3),
    ] {
        assert_eq!(var.slot_f64(x), slot, "variable {x}");
    }
    let int = Binner::new(&axis(AxisKind::Integer { lo: -1, hi: 2 }));
    for (x, slot) in [(-1.5, 0), (-1.0, 1), (1.9, 3), (2.0, 4), (f64::NAN, 4)] {
        assert_eq!(int.slot_f64(x), slot, "integer {x}");
    }
    assert_eq!(
        (
            int.slot_i64(-2),
            int.slot_i64(0),
            int.slot_i64(i64::MAX),
            int.slot_i64(i64::MIN)
        ),
        (0, 2, 4, 0)
    );
    let cat = Binner::new(&axis(AxisKind::Category {
        values: vec![11, 13],
    }));
    assert_eq!(
        (
            cat.slot_i64(13),
            cat.slot_i64(11),
            cat.slot_i64(0),
            cat.slot_f64(13.7)
        ),
        (1, 0, 2, 1)
    );
}

#[test]
fn log_edges_are_hists() {
    // Printed by hist 2.12: Regular(4, 0.2, 200, transform=log) serialized edges.
    let want = [
        0.2,
        1.1246826503806981,
        6.324555320336757,
        35.56558820077844,
        199.99999999999991,
    ];
    assert_eq!(log_edges(4, 0.2, 200.0), want);
}
