//! Kernel benchmark: the JIT against the reference interpreter on decoded columns in memory
//! (no file reading), for the dimuon graph and a graph with pair combinations; plus the time
//! to compile the dimuon graph to finalized machine code.
//!
//! Run: `cargo bench -p ana-runtime --bench kernels` (release build, plain harness).
//! Method: synthetic NanoAOD-like muon columns (0-5 muons per event, realistic pt/eta/phi,
//! charges ±1), chunks of 100k events; each engine runs every chunk once as warm-up, then
//! `REPS` timed passes over all chunks; reported: the median pass time per engine, events
//! per second and the ratio interp/jit. Both engines' outputs are checked equal first.

use std::time::{Duration, Instant};

use ana_compiler::abi::{ChunkInput, ChunkOutput, ColumnData, Engine, InputColumn};
use ana_compiler::codegen::Kernel;
use ana_compiler::graph::*;
use ana_runtime::interp::Interpreter;

const CHUNK: usize = 100_000;
const CHUNKS: usize = 5;
const REPS: usize = 7;

struct B(Graph);

impl B {
    fn add(&mut self, kind: NodeKind, ty: ScalarType, shape: Shape) -> NodeId {
        self.0.nodes.push(Node {
            kind,
            ty: Type::Scalar(ty),
            shape,
            hint: None,
        });
        NodeId(self.0.nodes.len() as u32 - 1)
    }
    fn space(&mut self, kind: NodeKind) -> NodeId {
        self.0.nodes.push(Node {
            kind,
            ty: Type::Space,
            shape: Shape::Event,
            hint: None,
        });
        NodeId(self.0.nodes.len() as u32 - 1)
    }
    fn sink(&mut self, kind: NodeKind) {
        self.0.nodes.push(Node {
            kind,
            ty: Type::Scalar(ScalarType::Bool),
            shape: Shape::Event,
            hint: None,
        });
    }
    fn shape(&self, a: NodeId) -> Shape {
        self.0.nodes[a.0 as usize].shape
    }
    fn ty(&self, a: NodeId) -> ScalarType {
        match self.0.nodes[a.0 as usize].ty {
            Type::Scalar(t) => t,
            Type::Space => ScalarType::Bool,
        }
    }
    fn bin(&mut self, op: BinaryOp, l: NodeId, r: NodeId) -> NodeId {
        use BinaryOp::*;
        let ty = if matches!(op, Eq | Ne | Lt | Le | Gt | Ge | And | Or) {
            ScalarType::Bool
        } else {
            self.ty(l)
        };
        let s = self.shape(l);
        self.add(NodeKind::Binary { op, lhs: l, rhs: r }, ty, s)
    }
    fn un(&mut self, op: UnaryOp, a: NodeId) -> NodeId {
        let (t, s) = (self.ty(a), self.shape(a));
        self.add(NodeKind::Unary { op, arg: a }, t, s)
    }
    fn konst(&mut self, lit: Literal, shape: Shape) -> NodeId {
        let ty = match lit {
            Literal::Bool(_) => ScalarType::Bool,
            Literal::Int(_) => ScalarType::Int,
            Literal::Float(_) => ScalarType::Float,
        };
        let c = self.add(NodeKind::Const(lit), ty, Shape::Event);
        match shape {
            Shape::Event => c,
            Shape::Elem(s) => self.add(NodeKind::Broadcast { value: c, space: s }, ty, shape),
        }
    }
    /// Signed mass from summed components, as `lower` writes it.
    fn mass(&mut self, px: NodeId, py: NodeId, pz: NodeId, e: NodeId) -> NodeId {
        use BinaryOp::*;
        let s = self.shape(px);
        let (x2, y2, z2, e2) = (
            self.bin(Mul, px, px),
            self.bin(Mul, py, py),
            self.bin(Mul, pz, pz),
            self.bin(Mul, e, e),
        );
        let t = self.bin(Add, x2, y2);
        let p2 = self.bin(Add, t, z2);
        let m2 = self.bin(Sub, e2, p2);
        let zero = self.konst(Literal::Float(0.0), s);
        let pos = self.bin(Ge, m2, zero);
        let r = self.un(UnaryOp::Sqrt, m2);
        let n = self.un(UnaryOp::Neg, m2);
        let nr = self.un(UnaryOp::Sqrt, n);
        let nr = self.un(UnaryOp::Neg, nr);
        self.add(
            NodeKind::Select {
                cond: pos,
                then: r,
                else_: nr,
            },
            ScalarType::Float,
            s,
        )
    }
    fn hist(&mut self, kind: AxisKind) -> HistId {
        self.0.hists.push(HistSpec {
            name: format!("h{}", self.0.hists.len()),
            axes: vec![Axis {
                name: "x".into(),
                label: String::new(),
                kind,
            }],
            storage: Storage::Double,
        });
        HistId(self.0.hists.len() as u32 - 1)
    }
}

/// Muons with their four-vector components: (space, pt, eta, phi, charge, [px, py, pz, e]).
fn muons(b: &mut B) -> (NodeId, [NodeId; 3], NodeId, [NodeId; 4]) {
    use BinaryOp::*;
    let names = [
        ("nMuon", PhysType::U32, false),
        ("Muon_pt", PhysType::F32, true),
        ("Muon_eta", PhysType::F32, true),
        ("Muon_phi", PhysType::F32, true),
        ("Muon_mass", PhysType::F32, true),
        ("Muon_charge", PhysType::I32, true),
    ];
    b.0.branches = names
        .iter()
        .map(|(n, p, j)| Branch {
            name: (*n).into(),
            phys: *p,
            jagged: *j,
        })
        .collect();
    let mu = b.space(NodeKind::Source {
        counter: Counter::Branch(BranchId(0)),
    });
    let el = Shape::Elem(mu);
    let [pt, eta, phi, m] = [1, 2, 3, 4].map(|i| {
        b.add(
            NodeKind::LoadElem {
                branch: BranchId(i),
                space: mu,
            },
            ScalarType::Float,
            el,
        )
    });
    let q = b.add(
        NodeKind::LoadElem {
            branch: BranchId(5),
            space: mu,
        },
        ScalarType::Int,
        el,
    );
    let c = b.un(UnaryOp::Cos, phi);
    let px = b.bin(Mul, pt, c);
    let s = b.un(UnaryOp::Sin, phi);
    let py = b.bin(Mul, pt, s);
    let sh = b.un(UnaryOp::Sinh, eta);
    let pz = b.bin(Mul, pt, sh);
    let (x2, y2, z2, m2) = (
        b.bin(Mul, px, px),
        b.bin(Mul, py, py),
        b.bin(Mul, pz, pz),
        b.bin(Mul, m, m),
    );
    let t = b.bin(Add, x2, y2);
    let t = b.bin(Add, t, z2);
    let t = b.bin(Add, t, m2);
    let e = b.un(UnaryOp::Sqrt, t);
    (mu, [pt, eta, phi], q, [px, py, pz, e])
}

/// `examples/dimuon.ana`, lowered by hand.
fn dimuon() -> Graph {
    use BinaryOp::*;
    let mut b = B(Graph::default());
    let (mu, [pt, eta, phi], q, p4) = muons(&mut b);
    let count = b.add(
        NodeKind::Reduce {
            op: ReduceOp::Count,
            space: mu,
            value: None,
        },
        ScalarType::Int,
        Shape::Event,
    );
    let cf = b.add(
        NodeKind::Cast { arg: count },
        ScalarType::Float,
        Shape::Event,
    );
    let h = b.hist(AxisKind::Regular {
        bins: 6,
        lo: 0.0,
        hi: 6.0,
    });
    b.sink(NodeKind::Fill {
        hist: h,
        space: None,
        region: None,
        values: vec![cf],
        weight: None,
    });
    let two = b.konst(Literal::Int(2), Shape::Event);
    let is2 = b.bin(Eq, count, two);
    let qs = b.add(
        NodeKind::Reduce {
            op: ReduceOp::Sum,
            space: mu,
            value: Some(q),
        },
        ScalarType::Int,
        Shape::Event,
    );
    let zero = b.konst(Literal::Int(0), Shape::Event);
    let neutral = b.bin(Eq, qs, zero);
    let dimuon = b.bin(And, is2, neutral);
    b.0.regions.push(RegionSpec {
        name: "dimuon".into(),
        mask: dimuon,
    });
    b.sink(NodeKind::CountRegion {
        region: RegionId(0),
        mask: dimuon,
    });
    let [zx, zy, zz, ze] = p4.map(|c| {
        b.add(
            NodeKind::Reduce {
                op: ReduceOp::Sum,
                space: mu,
                value: Some(c),
            },
            ScalarType::Float,
            Shape::Event,
        )
    });
    let zm = b.mass(zx, zy, zz, ze);
    let h = b.hist(AxisKind::Log {
        bins: 1000,
        lo: 0.2,
        hi: 200.0,
    });
    b.sink(NodeKind::Fill {
        hist: h,
        space: None,
        region: Some(dimuon),
        values: vec![zm],
        weight: None,
    });
    let ninety = b.konst(Literal::Float(90.0), Shape::Event);
    let d = b.bin(Sub, zm, ninety);
    let d = b.un(UnaryOp::Abs, d);
    let thirty = b.konst(Literal::Float(30.0), Shape::Event);
    let near = b.bin(Lt, d, thirty);
    let zpeak = b.bin(And, dimuon, near);
    b.0.regions.push(RegionSpec {
        name: "zpeak".into(),
        mask: zpeak,
    });
    b.sink(NodeKind::CountRegion {
        region: RegionId(1),
        mask: zpeak,
    });
    let zx2 = b.bin(Mul, zx, zx);
    let zy2 = b.bin(Mul, zy, zy);
    let zpt2 = b.bin(Add, zx2, zy2);
    let zpt = b.un(UnaryOp::Sqrt, zpt2);
    let mut cols = vec![zm, zpt];
    for op in [Gt, Lt] {
        let z = b.konst(Literal::Int(0), Shape::Elem(mu));
        let sel = b.bin(op, q, z);
        let f = b.space(NodeKind::Filter {
            parent: mu,
            mask: sel,
        });
        let first = b.add(
            NodeKind::Pick {
                op: PickOp::First,
                space: f,
            },
            ScalarType::Ref(f),
            Shape::Event,
        );
        let pi = b.add(
            NodeKind::ParentIndex {
                space: f,
                parent: 0,
            },
            ScalarType::Ref(mu),
            Shape::Elem(f),
        );
        let idx = b.add(
            NodeKind::Gather {
                index: first,
                value: pi,
            },
            ScalarType::Ref(mu),
            Shape::Event,
        );
        for v in [pt, eta, phi] {
            cols.push(b.add(
                NodeKind::Gather {
                    index: idx,
                    value: v,
                },
                ScalarType::Float,
                Shape::Event,
            ));
        }
    }
    b.0.tables.push(TableSpec {
        name: "zmmtable".into(),
        columns: (0..8)
            .map(|i| ColumnSpec {
                name: format!("c{i}"),
                dtype: if i < 2 {
                    ColumnType::F64
                } else {
                    ColumnType::F32
                },
            })
            .collect(),
    });
    b.sink(NodeKind::Append {
        table: TableId(0),
        space: None,
        region: Some(zpeak),
        columns: cols,
    });
    b.0
}

/// Opposite-charge muon pairs: every pair's mass histogrammed, and the pair closest to the Z.
fn pairs() -> Graph {
    use BinaryOp::*;
    let mut b = B(Graph::default());
    let (mu, _, q, p4) = muons(&mut b);
    let pairs = b.space(NodeKind::Combinations { parent: mu, k: 2 });
    let el = Shape::Elem(pairs);
    let i0 = b.add(
        NodeKind::ParentIndex {
            space: pairs,
            parent: 0,
        },
        ScalarType::Ref(mu),
        el,
    );
    let i1 = b.add(
        NodeKind::ParentIndex {
            space: pairs,
            parent: 1,
        },
        ScalarType::Ref(mu),
        el,
    );
    let mut sum = Vec::new();
    for c in p4 {
        let a = b.add(
            NodeKind::Gather {
                index: i0,
                value: c,
            },
            ScalarType::Float,
            el,
        );
        let d = b.add(
            NodeKind::Gather {
                index: i1,
                value: c,
            },
            ScalarType::Float,
            el,
        );
        sum.push(b.bin(Add, a, d));
    }
    let m = b.mass(sum[0], sum[1], sum[2], sum[3]);
    let q0 = b.add(
        NodeKind::Gather {
            index: i0,
            value: q,
        },
        ScalarType::Int,
        el,
    );
    let q1 = b.add(
        NodeKind::Gather {
            index: i1,
            value: q,
        },
        ScalarType::Int,
        el,
    );
    let qs = b.bin(Add, q0, q1);
    let zero = b.konst(Literal::Int(0), el);
    let os = b.bin(Eq, qs, zero);
    let z = b.space(NodeKind::Filter {
        parent: pairs,
        mask: os,
    });
    let zi = b.add(
        NodeKind::ParentIndex {
            space: z,
            parent: 0,
        },
        ScalarType::Ref(pairs),
        Shape::Elem(z),
    );
    let zm = b.add(
        NodeKind::Gather {
            index: zi,
            value: m,
        },
        ScalarType::Float,
        Shape::Elem(z),
    );
    let h = b.hist(AxisKind::Regular {
        bins: 120,
        lo: 0.0,
        hi: 120.0,
    });
    b.sink(NodeKind::Fill {
        hist: h,
        space: Some(z),
        region: None,
        values: vec![zm],
        weight: None,
    });
    let mz = b.konst(Literal::Float(91.2), Shape::Elem(z));
    let d = b.bin(Sub, zm, mz);
    let d = b.un(UnaryOp::Abs, d);
    let best = b.add(
        NodeKind::Pick {
            op: PickOp::ArgMin { key: d },
            space: z,
        },
        ScalarType::Ref(z),
        Shape::Event,
    );
    let bm = b.add(
        NodeKind::Gather {
            index: best,
            value: zm,
        },
        ScalarType::Float,
        Shape::Event,
    );
    let h = b.hist(AxisKind::Regular {
        bins: 60,
        lo: 60.0,
        hi: 120.0,
    });
    b.sink(NodeKind::Fill {
        hist: h,
        space: None,
        region: None,
        values: vec![bm],
        weight: None,
    });
    b.0
}

fn chunk(seed: u64) -> (usize, Vec<InputColumn>) {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut rnd = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let counts: Vec<u32> = (0..CHUNK)
        .map(|_| [0, 1, 1, 2, 2, 2, 3, 4, 5][(rnd() * 9.0) as usize])
        .collect();
    let mut offsets = vec![0u32];
    for c in &counts {
        offsets.push(offsets.last().copied().unwrap_or(0) + c);
    }
    let total = *offsets.last().unwrap_or(&0) as usize;
    let mut f = |lo: f64, hi: f64| {
        ColumnData::F32(
            (0..total)
                .map(|_| (lo + (hi - lo) * rnd()) as f32)
                .collect(),
        )
    };
    let (pt, eta, phi, mass) = (
        f(3.0, 80.0),
        f(-2.4, 2.4),
        f(-std::f64::consts::PI, std::f64::consts::PI),
        f(0.1056, 0.1057),
    );
    let q = ColumnData::I32(
        (0..total)
            .map(|i| if (i * 7919) % 3 == 0 { -1 } else { 1 })
            .collect(),
    );
    let jag = |d| InputColumn {
        data: d,
        offsets: Some(offsets.clone()),
    };
    (
        CHUNK,
        vec![
            InputColumn {
                data: ColumnData::U32(counts),
                offsets: None,
            },
            jag(pt),
            jag(eta),
            jag(phi),
            jag(mass),
            jag(q),
        ],
    )
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time_engine(
    e: &dyn Engine,
    g: &Graph,
    chunks: &[(usize, Vec<InputColumn>)],
) -> (Duration, ChunkOutput) {
    let run = || {
        let mut out = ChunkOutput::new(g);
        for (n, cols) in chunks {
            e.run_chunk(
                ChunkInput {
                    n_events: *n,
                    columns: cols,
                },
                &mut out,
            )
            .expect("engine runs");
        }
        out
    };
    let out = run();
    let times = (0..REPS)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(run());
            t.elapsed()
        })
        .collect();
    (median(times), out)
}

fn main() {
    let chunks: Vec<_> = (0..CHUNKS as u64).map(chunk).collect();
    let events = (CHUNK * CHUNKS) as f64;
    println!("kernel benchmark: {CHUNKS} chunks x {CHUNK} events, median of {REPS} passes");
    for (name, g) in [("dimuon", dimuon()), ("pairs", pairs())] {
        g.validate().expect("valid graph");
        let compile: Vec<Duration> = (0..5)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(Kernel::compile(&g).expect("compiles"));
                t.elapsed()
            })
            .collect();
        let kernel = Kernel::compile(&g).expect("compiles");
        let interp = Interpreter::new(&g);
        let (ti, oi) = time_engine(&interp, &g, &chunks);
        let (tj, oj) = time_engine(&kernel, &g, &chunks);
        assert_eq!(
            format!("{:?}", oi),
            format!("{:?}", oj),
            "{name}: engines disagree"
        );
        println!(
            "{name:7} interp {:8.2} ms ({:6.1} Mev/s)  jit {:8.2} ms ({:6.1} Mev/s)  speedup {:5.1}x  graph->machine code {:.2} ms",
            ti.as_secs_f64() * 1e3,
            events / ti.as_secs_f64() / 1e6,
            tj.as_secs_f64() * 1e3,
            events / tj.as_secs_f64() / 1e6,
            ti.as_secs_f64() / tj.as_secs_f64(),
            median(compile).as_secs_f64() * 1e3,
        );
    }
}
