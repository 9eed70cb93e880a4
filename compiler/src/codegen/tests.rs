//! Unit tests of the JIT on hand-built graphs, against expectations computed here directly.

#![allow(
    clippy::indexing_slicing,
    reason = "tests index freely: a panic is a test failure"
)]

use super::*;
use crate::abi::{ColumnData, InputColumn, OutValues};
use crate::graph::*;

/// A tiny graph builder for tests.
#[derive(Default)]
pub(crate) struct B {
    pub g: Graph,
}

impl B {
    pub fn add(&mut self, kind: NodeKind, ty: Type, shape: Shape) -> NodeId {
        self.g.nodes.push(Node {
            kind,
            ty,
            shape,
            hint: None,
        });
        NodeId(self.g.nodes.len() as u32 - 1)
    }
    pub fn branch(&mut self, name: &str, phys: PhysType, jagged: bool) -> BranchId {
        self.g.branches.push(Branch {
            name: name.into(),
            phys,
            jagged,
        });
        BranchId(self.g.branches.len() as u32 - 1)
    }
    pub fn f(&mut self, kind: NodeKind, shape: Shape) -> NodeId {
        self.add(kind, Type::Scalar(ScalarType::Float), shape)
    }
    pub fn un(&mut self, op: UnaryOp, arg: NodeId) -> NodeId {
        let shape = self.g.node(arg).shape;
        let ty = if op == UnaryOp::IsNan {
            Type::Scalar(ScalarType::Bool)
        } else {
            self.g.node(arg).ty
        };
        self.add(NodeKind::Unary { op, arg }, ty, shape)
    }
    pub fn bin(&mut self, op: BinaryOp, lhs: NodeId, rhs: NodeId) -> NodeId {
        use BinaryOp::*;
        let shape = self.g.node(lhs).shape;
        let ty = match op {
            Eq | Ne | Lt | Le | Gt | Ge | And | Or => Type::Scalar(ScalarType::Bool),
            _ => self.g.node(lhs).ty,
        };
        self.add(NodeKind::Binary { op, lhs, rhs }, ty, shape)
    }
    pub fn c(&mut self, lit: Literal) -> NodeId {
        let ty = match lit {
            Literal::Bool(_) => ScalarType::Bool,
            Literal::Int(_) | Literal::Str(_) => ScalarType::Int,
            Literal::Float(_) => ScalarType::Float,
        };
        self.add(NodeKind::Const(lit), Type::Scalar(ty), Shape::Event)
    }
    pub fn bcast(&mut self, value: NodeId, space: NodeId) -> NodeId {
        let ty = self.g.node(value).ty;
        self.add(NodeKind::Broadcast { value, space }, ty, Shape::Elem(space))
    }
    pub fn reduce(&mut self, op: ReduceOp, space: NodeId, value: Option<NodeId>) -> NodeId {
        let ty = match op {
            ReduceOp::Count => ScalarType::Int,
            ReduceOp::Any | ReduceOp::All => ScalarType::Bool,
            _ => match value.map(|v| self.g.node(v).ty) {
                Some(Type::Scalar(t)) => t,
                _ => ScalarType::Float,
            },
        };
        self.add(
            NodeKind::Reduce { op, space, value },
            Type::Scalar(ty),
            Shape::Event,
        )
    }
    pub fn gather(&mut self, index: NodeId, value: NodeId) -> NodeId {
        let shape = self.g.node(index).shape;
        let ty = self.g.node(value).ty;
        self.add(NodeKind::Gather { index, value }, ty, shape)
    }
}

/// The dimuon script's graph, built by hand as `lower` would.
pub(crate) fn dimuon() -> Graph {
    use BinaryOp::*;
    use Shape::*;
    use UnaryOp::*;
    let mut b = B::default();
    let n_mu = b.branch("nMuon", PhysType::U32, false);
    let [pt_b, eta_b, phi_b, m_b] =
        ["Muon_pt", "Muon_eta", "Muon_phi", "Muon_mass"].map(|n| b.branch(n, PhysType::F32, true));
    let q_b = b.branch("Muon_charge", PhysType::I32, true);
    let mu = b.add(
        NodeKind::Source {
            counter: Counter::Branch(n_mu),
        },
        Type::Space,
        Event,
    );
    let pt = b.f(
        NodeKind::LoadElem {
            branch: pt_b,
            space: mu,
        },
        Elem(mu),
    );
    let eta = b.f(
        NodeKind::LoadElem {
            branch: eta_b,
            space: mu,
        },
        Elem(mu),
    );
    let phi = b.f(
        NodeKind::LoadElem {
            branch: phi_b,
            space: mu,
        },
        Elem(mu),
    );
    let mass = b.f(
        NodeKind::LoadElem {
            branch: m_b,
            space: mu,
        },
        Elem(mu),
    );
    let q = b.add(
        NodeKind::LoadElem {
            branch: q_b,
            space: mu,
        },
        Type::Scalar(ScalarType::Int),
        Elem(mu),
    );
    let count = b.reduce(ReduceOp::Count, mu, None);
    let countf = b.f(NodeKind::Cast { arg: count }, Event);
    b.g.hists.push(HistSpec {
        name: "nMuons".into(),
        axes: vec![Axis {
            name: "nMuons".into(),
            label: "".into(),
            kind: AxisKind::Regular {
                bins: 6,
                lo: 0.0,
                hi: 6.0,
            },
        }],
        storage: Storage::Double,
    });
    b.add(
        NodeKind::Fill {
            hist: HistId(0),
            space: None,
            region: None,
            values: vec![countf],
            weight: None,
            sample: None,
            valid: None,
        },
        Type::Scalar(ScalarType::Bool),
        Event,
    );
    let two = b.c(Literal::Int(2));
    let is2 = b.bin(Eq, count, two);
    let qsum = b.reduce(ReduceOp::Sum, mu, Some(q));
    let zero = b.c(Literal::Int(0));
    let neutral = b.bin(Eq, qsum, zero);
    let dimuon = b.bin(And, is2, neutral);
    b.g.regions.push(RegionSpec {
        name: "dimuon".into(),
        mask: dimuon,
    });
    b.add(
        NodeKind::CountRegion {
            region: RegionId(0),
            mask: dimuon,
        },
        Type::Scalar(ScalarType::Bool),
        Event,
    );
    // Four-vector components per muon, then summed.
    let cphi = b.un(Cos, phi);
    let px = b.bin(Mul, pt, cphi);
    let sphi = b.un(Sin, phi);
    let py = b.bin(Mul, pt, sphi);
    let sheta = b.un(Sinh, eta);
    let pz = b.bin(Mul, pt, sheta);
    let px2 = b.bin(Mul, px, px);
    let py2 = b.bin(Mul, py, py);
    let pz2 = b.bin(Mul, pz, pz);
    let m2 = b.bin(Mul, mass, mass);
    let s1 = b.bin(Add, px2, py2);
    let s2 = b.bin(Add, s1, pz2);
    let s3 = b.bin(Add, s2, m2);
    let e = b.un(Sqrt, s3);
    let [zpx, zpy, zpz, ze] = [px, py, pz, e].map(|c| b.reduce(ReduceOp::Sum, mu, Some(c)));
    let zpx2 = b.bin(Mul, zpx, zpx);
    let zpy2 = b.bin(Mul, zpy, zpy);
    let zpz2 = b.bin(Mul, zpz, zpz);
    let zpt2 = b.bin(Add, zpx2, zpy2);
    let zp2 = b.bin(Add, zpt2, zpz2);
    let ze2 = b.bin(Mul, ze, ze);
    let zm2 = b.bin(Sub, ze2, zp2);
    let fzero = b.c(Literal::Float(0.0));
    let pos = b.bin(Ge, zm2, fzero);
    let root = b.un(Sqrt, zm2);
    let negm2 = b.un(Neg, zm2);
    let nroot = b.un(Sqrt, negm2);
    let nroot = b.un(Neg, nroot);
    let zmass = b.add(
        NodeKind::Select {
            cond: pos,
            then: root,
            else_: nroot,
        },
        Type::Scalar(ScalarType::Float),
        Event,
    );
    let zpt = b.un(Sqrt, zpt2);
    b.g.hists.push(HistSpec {
        name: "mass".into(),
        axes: vec![Axis {
            name: "mass".into(),
            label: "".into(),
            kind: AxisKind::Log {
                bins: 1000,
                lo: 0.2,
                hi: 200.0,
            },
        }],
        storage: Storage::Double,
    });
    b.add(
        NodeKind::Fill {
            hist: HistId(1),
            space: None,
            region: Some(dimuon),
            values: vec![zmass],
            weight: None,
            sample: None,
            valid: None,
        },
        Type::Scalar(ScalarType::Bool),
        Event,
    );
    let ninety = b.c(Literal::Float(90.0));
    let d = b.bin(Sub, zmass, ninety);
    let ad = b.un(Abs, d);
    let thirty = b.c(Literal::Float(30.0));
    let near = b.bin(Lt, ad, thirty);
    let zpeak = b.bin(And, dimuon, near);
    b.g.regions.push(RegionSpec {
        name: "zpeak".into(),
        mask: zpeak,
    });
    b.add(
        NodeKind::CountRegion {
            region: RegionId(1),
            mask: zpeak,
        },
        Type::Scalar(ScalarType::Bool),
        Event,
    );
    let mut cols = vec![zmass, zpt];
    for (sign, op) in [("+", Gt), ("-", Lt)] {
        let _ = sign;
        let z0 = b.add(
            NodeKind::Const(Literal::Int(0)),
            Type::Scalar(ScalarType::Int),
            Event,
        );
        let zb = b.bcast(z0, mu);
        let sel = b.bin(op, q, zb);
        let f = b.add(
            NodeKind::Filter {
                parent: mu,
                mask: sel,
            },
            Type::Space,
            Event,
        );
        let first = b.add(
            NodeKind::Pick {
                op: PickOp::First,
                space: f,
            },
            Type::Scalar(ScalarType::Ref(f)),
            Event,
        );
        let pi = b.add(
            NodeKind::ParentIndex {
                space: f,
                parent: 0,
            },
            Type::Scalar(ScalarType::Ref(mu)),
            Elem(f),
        );
        let idx = b.gather(first, pi);
        for v in [pt, eta, phi] {
            cols.push(b.gather(idx, v));
        }
    }
    let names = [
        "mass", "pt", "mu+_pt", "mu+_eta", "mu+_phi", "mu-_pt", "mu-_eta", "mu-_phi",
    ];
    b.g.tables.push(TableSpec {
        name: "zmmtable".into(),
        columns: names
            .iter()
            .enumerate()
            .map(|(i, n)| ColumnSpec {
                name: (*n).into(),
                dtype: if i < 2 {
                    ColumnType::F64
                } else {
                    ColumnType::F32
                },
                list: false,
            })
            .collect(),
        nullable: vec![],
    });
    b.add(
        NodeKind::Append {
            table: TableId(0),
            space: None,
            region: Some(zpeak),
            columns: cols,
        },
        Type::Scalar(ScalarType::Bool),
        Event,
    );
    b.g.tree = "Events".into();
    b.g.validate().expect("valid dimuon graph");
    b.g
}

/// Events as (pt, eta, phi, mass, charge) per muon.
type Mu = (f32, f32, f32, f32, i32);

pub(crate) fn dimuon_input(events: &[Vec<Mu>]) -> Vec<InputColumn> {
    let mut offsets = vec![0u32];
    for e in events {
        offsets.push(offsets.last().copied().unwrap_or(0) + e.len() as u32);
    }
    let flat = |f: fn(&Mu) -> f32| InputColumn {
        data: ColumnData::F32(events.iter().flatten().map(f).collect()),
        offsets: Some(offsets.clone().into()),
    };
    vec![
        InputColumn {
            data: ColumnData::U32(events.iter().map(|e| e.len() as u32).collect()),
            offsets: None,
        },
        flat(|m| m.0),
        flat(|m| m.1),
        flat(|m| m.2),
        flat(|m| m.3),
        InputColumn {
            data: ColumnData::I32(events.iter().flatten().map(|m| m.4).collect()),
            offsets: Some(offsets.clone().into()),
        },
    ]
}

/// A direct, independent computation of the dimuon outputs.
fn dimuon_expected(g: &Graph, events: &[Vec<Mu>]) -> ChunkOutput {
    let mut out = ChunkOutput::new(g);
    for ev in events {
        let slot = |z: f64, n: u32| {
            if z.is_nan() || z >= 1.0 {
                n as usize + 1
            } else if z < 0.0 {
                0
            } else {
                (z * f64::from(n)) as usize + 1
            }
        };
        out.hists[0].sumw[slot(ev.len() as f64 / 6.0, 6)] += 1.0;
        let dimuon = ev.len() == 2 && ev.iter().map(|m| m.4 as i64).sum::<i64>() == 0;
        let (mut px, mut py, mut pz, mut e) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        for m in ev {
            let (pt, eta, phi, mass) = (
                f64::from(m.0),
                f64::from(m.1),
                f64::from(m.2),
                f64::from(m.3),
            );
            // ana's own elementary functions are part of the semantics (`crate::math`)
            let (x, y, z) = (
                pt * crate::math::cos(phi),
                pt * crate::math::sin(phi),
                pt * crate::math::sinh(eta),
            );
            px += x;
            py += y;
            pz += z;
            e += (x * x + y * y + z * z + mass * mass).sqrt();
        }
        let m2 = e * e - (px * px + py * py + pz * pz);
        let mass = if m2 >= 0.0 { m2.sqrt() } else { -(-m2).sqrt() };
        if dimuon {
            let z = (mass.ln() - 0.2f64.ln()) / (200f64.ln() - 0.2f64.ln());
            out.hists[1].sumw[slot(z, 1000)] += 1.0;
            out.cutflow[0] += 1;
        }
        if dimuon && (mass - 90.0).abs() < 30.0 {
            out.cutflow[1] += 1;
            let cols = &mut out.tables[0].columns;
            let pick = |pos: bool| ev.iter().find(|m| if pos { m.4 > 0 } else { m.4 < 0 });
            let mut vals: Vec<f64> = vec![mass, (px * px + py * py).sqrt()];
            for pos in [true, false] {
                match pick(pos) {
                    Some(m) => vals.extend([m.0, m.1, m.2].map(f64::from)),
                    None => vals.extend([f64::NAN; 3]),
                }
            }
            for (c, v) in cols.iter_mut().zip(vals) {
                match &mut c.values {
                    OutValues::F64(x) => x.push(v),
                    OutValues::F32(x) => x.push(v as f32),
                    _ => unreachable!(),
                }
            }
        }
    }
    out
}

fn sample_events() -> Vec<Vec<Mu>> {
    let mut events = Vec::new();
    let mut s = 12345u64;
    let mut rnd = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 33) as f64) / f64::from(1u32 << 31)
    };
    for i in 0..500 {
        let n = (rnd() * 5.0) as usize;
        let mut ev = Vec::new();
        for _ in 0..n {
            let q = if rnd() < 0.5 { 1 } else { -1 };
            ev.push((
                (5.0 + 60.0 * rnd()) as f32,
                (rnd() * 5.0 - 2.5) as f32,
                (rnd() * 6.0 - 3.0) as f32,
                0.105f32,
                q,
            ));
        }
        if i % 50 == 0 {
            ev.clear();
        }
        events.push(ev);
    }
    events
}

/// Runs the dimuon kernel over `events` as one chunk, adding into `out`.
fn run_dimuon(k: &Kernel, events: &[Vec<Mu>], out: &mut ChunkOutput) {
    let cols = dimuon_input(events);
    k.run_chunk(
        ChunkInput {
            n_events: events.len(),
            columns: &cols,
        },
        out,
    )
    .expect("runs");
}

#[test]
fn dimuon_matches_direct_computation() {
    let g = dimuon();
    let k = Kernel::compile(&g).expect("compiles");
    let events = sample_events();
    let mut out = ChunkOutput::new(&g);
    run_dimuon(&k, &events, &mut out);
    let want = dimuon_expected(&g, &events);
    assert_eq!(out.hists, want.hists);
    assert_eq!(out.cutflow, want.cutflow);
    assert_eq!(format!("{:?}", out.tables), format!("{:?}", want.tables));
    assert!(
        out.cutflow[1] > 10,
        "the sample should fill the table: {:?}",
        out.cutflow
    );
}

#[test]
fn table_buffers_grow_past_the_rows_of_earlier_chunks() {
    // The first chunk sets the rows allocated up front for the next ones; a later chunk
    // with many more rows grows its buffers in the kernel (several doublings).
    let g = dimuon();
    let k = Kernel::compile(&g).expect("compiles");
    let few = sample_events();
    let many: Vec<Vec<Mu>> = (0..40).flat_map(|_| few.clone()).collect();
    let mut out = ChunkOutput::new(&g);
    for events in [&few, &many, &few] {
        run_dimuon(&k, events, &mut out);
    }
    let all: Vec<Vec<Mu>> = few.iter().chain(&many).chain(&few).cloned().collect();
    let want = dimuon_expected(&g, &all);
    assert!(want.cutflow[1] > 500, "{:?}", want.cutflow);
    assert_eq!(format!("{:?}", out.tables), format!("{:?}", want.tables));
    assert_eq!(out.hists, want.hists);
}

#[test]
fn refuses_inconsistent_input() {
    let g = dimuon();
    let k = Kernel::compile(&g).expect("compiles");
    let events = sample_events();
    let mut cols = dimuon_input(&events);
    cols[0] = InputColumn {
        data: ColumnData::U32(vec![1; events.len()]),
        offsets: None,
    };
    let mut out = ChunkOutput::new(&g);
    let e = k.run_chunk(
        ChunkInput {
            n_events: events.len(),
            columns: &cols,
        },
        &mut out,
    );
    assert!(e.is_err());
    let e = k.run_chunk(
        ChunkInput {
            n_events: events.len() + 1,
            columns: &cols,
        },
        &mut out,
    );
    assert!(e.is_err());
    // The kernel reads all branches of a collection through one branch's offsets, which is
    // sound only because a branch that disagrees with the collection's counter is refused:
    // Muon_eta with one value moved from a two-muon event to the next (offsets still well
    // formed, the total unchanged).
    // Each branch in turn: the first one loaded is checked against the counts, the others
    // against it.
    let e2 = (0..events.len())
        .find(|&e| events[e].len() == 2)
        .expect("a two-muon event");
    let jagged: Vec<usize> = (0..g.branches.len())
        .filter(|&b| g.branches[b].jagged)
        .collect();
    assert!(jagged.len() >= 2);
    for b in jagged {
        let mut cols = dimuon_input(&events);
        std::sync::Arc::make_mut(cols[b].offsets.as_mut().expect("jagged"))[e2 + 1] -= 1;
        let e = k
            .run_chunk(
                ChunkInput {
                    n_events: events.len(),
                    columns: &cols,
                },
                &mut out,
            )
            .expect_err("refused");
        assert!(
            e.message.contains("differs from the collection's counter"),
            "{e:?}"
        );
        assert_eq!(e.branch.as_deref(), Some(g.branches[b].name.as_str()));
    }
}

#[test]
fn dimuon_clif_snapshot() {
    // Code generation stays reviewable: the kernel's IR for the dimuon graph.
    let k = Kernel::compile(&dimuon()).expect("compiles");
    insta::assert_snapshot!("dimuon_clif", k.clif());
}

/// The unary math operations a lazy node's side `side` computes.
fn side_math(g: &Graph, lazy: &lazy::Lazy, x: NodeId, side: usize) -> Vec<UnaryOp> {
    lazy.sides[&x][side]
        .iter()
        .filter_map(|n| match g.node(*n).kind {
            NodeKind::Unary { op, .. } => Some(op),
            _ => None,
        })
        .collect()
}

#[test]
fn lazy_sides_hold_the_work_only_they_need() {
    let src = include_str!("../../../tests/frontend/ok/lazy.ana");
    let c = crate::compile("lazy.ana", src, &crate::CompileOptions::default()).expect("compiles");
    let g = &c.graph;
    let p = plan::plan(g).expect("plans");
    let kind = |x: &NodeId| &g.node(*x).kind;
    let lazy_of = |op: BinaryOp| -> Vec<NodeId> {
        let mut v: Vec<NodeId> = p
            .lazy
            .sides
            .keys()
            .copied()
            .filter(|x| matches!(kind(x), NodeKind::Binary { op: o, .. } if *o == op))
            .collect();
        v.sort();
        v
    };
    // The pairs' `charge != and mass > 60 and mass < 120`: the outer `and` computes the mass
    // (two sinh, one sin/cos per member) on its side; the inner ones are too cheap to branch.
    let ands = lazy_of(BinaryOp::And);
    let mass_side = ands
        .iter()
        .find(|x| side_math(g, &p.lazy, **x, 0).contains(&UnaryOp::Sinh))
        .expect("a lazy `and` computes the pair mass");
    assert!(p.lazy.sides[mass_side][1].is_empty());
    // `pt > 50 or pt * sinh(eta) > 40`: sinh on the `or`'s side.
    let ors = lazy_of(BinaryOp::Or);
    assert!(
        ors.iter()
            .any(|x| side_math(g, &p.lazy, *x, 0).contains(&UnaryOp::Sinh))
    );
    // The `if`: exp on one arm, log on the other, cosh on neither (both arms read it).
    let select = p
        .lazy
        .sides
        .keys()
        .find(|x| matches!(kind(x), NodeKind::Select { .. }))
        .expect("a lazy select");
    assert_eq!(side_math(g, &p.lazy, *select, 0), vec![UnaryOp::Exp]);
    assert_eq!(side_math(g, &p.lazy, *select, 1), vec![UnaryOp::Log]);
    // The jets' `sin(phi)` is also summed outside the filter's `and`: computed always.
    let jet_phi = g.branches.iter().position(|b| b.name == "Jet_phi");
    let sin_jet_phi = (0..g.nodes.len() as u32).map(NodeId).find(|n| {
        matches!(kind(n), NodeKind::Unary { op: UnaryOp::Sin, arg }
            if matches!(kind(arg), NodeKind::LoadElem { branch, .. }
                if Some(branch.0 as usize) == jet_phi))
    });
    let sin_jet_phi = sin_jet_phi.expect("sin(Jet_phi) in the graph");
    assert!(!p.lazy.deferred.contains(&sin_jet_phi));
    for n in &p.lazy.deferred {
        assert!(
            p.layout.values[n.0 as usize].is_none(),
            "a stored value is deferred"
        );
    }
}
