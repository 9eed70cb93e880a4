//! Differential tests: the JIT (`ana_compiler::codegen::Kernel`) against the reference
//! interpreter (`ana_runtime::interp::Interpreter`), which is the oracle.
//!
//! Input: random well-typed graphs over random data with edge cases (`random.rs`), and the
//! hand-written graphs of the engines' unit tests. Output: pass when both engines give the
//! same `ChunkOutput` bit for bit (NaN payloads aside: every NaN equals every NaN), or both
//! refuse the input. A failing seed is printed with the graph, so it can be replayed with
//! `ANA_JIT_SEED=<seed> cargo test --test jit`.

#![allow(
    clippy::indexing_slicing,
    reason = "tests index freely: a panic is a test failure"
)]

mod big;
mod random;
mod scripts;

use ana_compiler::abi::{ChunkInput, ChunkOutput, Engine, OutColumn, OutValues};
use ana_compiler::codegen::Kernel;
use ana_compiler::graph::Graph;
use ana_runtime::interp::Interpreter;

/// Float equality for outputs: the same bits, or both NaN.
fn same_f64(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Where two outputs differ, if they do.
pub fn diff(a: &ChunkOutput, b: &ChunkOutput) -> Option<String> {
    if a.cutflow != b.cutflow {
        return Some(format!("cutflow {:?} != {:?}", a.cutflow, b.cutflow));
    }
    for (c, (x, y)) in a.cutflows.iter().zip(&b.cutflows).enumerate() {
        let sums_equal = x.sumw.len() == y.sumw.len()
            && x.sumw.iter().zip(&y.sumw).all(|(u, v)| same_f64(*u, *v));
        if x.events != y.events || !sums_equal {
            return Some(format!(
                "named cutflow {c}:\n jit    {:?} {:?}\n interp {:?} {:?}",
                x.events, x.sumw, y.events, y.sumw
            ));
        }
    }
    for (h, (x, y)) in a.hists.iter().zip(&b.hists).enumerate() {
        let w2 = |v: &Option<Vec<f64>>| v.clone().unwrap_or_default();
        for (name, p, q) in [
            ("sumw", x.sumw.clone(), y.sumw.clone()),
            ("sumw2", w2(&x.sumw2), w2(&y.sumw2)),
        ] {
            if p.len() != q.len() || p.iter().zip(&q).any(|(u, v)| !same_f64(*u, *v)) {
                return Some(format!("hist {h} {name}:\n jit    {p:?}\n interp {q:?}"));
            }
        }
    }
    for (t, (x, y)) in a.tables.iter().zip(&b.tables).enumerate() {
        for (c, (p, q)) in x.columns.iter().zip(&y.columns).enumerate() {
            let equal = p.offsets == q.offsets
                && match (&p.values, &q.values) {
                    (OutValues::F64(u), OutValues::F64(v)) => {
                        u.len() == v.len() && u.iter().zip(v).all(|(a, b)| same_f64(*a, *b))
                    }
                    (OutValues::F32(u), OutValues::F32(v)) => {
                        u.len() == v.len()
                            && u.iter().zip(v).all(|(a, b)| {
                                same_f64(f64::from(*a), f64::from(*b))
                                    && (a.is_nan() || a.to_bits() == b.to_bits())
                            })
                    }
                    _ => p == q,
                };
            if !equal {
                return Some(format!(
                    "table {t} column {c}:\n jit    {p:?}\n interp {q:?}"
                ));
            }
        }
    }
    (a.hists.len() != b.hists.len()
        || a.tables.len() != b.tables.len()
        || a.cutflows.len() != b.cutflows.len())
    .then(|| "output shapes differ".into())
}

/// Run both engines on one chunk; `Err` with a description when they disagree.
/// Runs `graph` with the JIT `kernel` and with the interpreter over all of `tree`, in chunks of
/// 313 entries (not a divisor of any file's baskets), and returns both outputs.
pub fn run_both(
    graph: &Graph,
    kernel: &Kernel,
    tree: &ana_runtime::root::Tree,
) -> (ChunkOutput, ChunkOutput) {
    let interp = Interpreter::new(graph);
    let (mut a, mut b) = (ChunkOutput::new(graph), ChunkOutput::new(graph));
    let n = tree.entries();
    let mut start = 0;
    while start < n {
        let end = (start + 313).min(n);
        let columns: Vec<_> = graph
            .branches
            .iter()
            .map(|b| tree.read_column(&b.name, start..end).expect("read"))
            .collect();
        let input = ChunkInput {
            n_events: (end - start) as usize,
            columns: &columns,
        };
        kernel.run_chunk(input, &mut a).expect("jit runs");
        interp.run_chunk(input, &mut b).expect("interp runs");
        start = end;
    }
    (a, b)
}

pub fn compare(graph: &Graph, input: ChunkInput<'_>) -> Result<(), String> {
    let kernel = Kernel::compile(graph).map_err(|e| format!("JIT compile: {e}"))?;
    let interp = Interpreter::new(graph);
    let mut a = ChunkOutput::new(graph);
    let mut b = ChunkOutput::new(graph);
    let ra = kernel.run_chunk(input, &mut a);
    let rb = interp.run_chunk(input, &mut b);
    match (ra, rb) {
        (Ok(()), Ok(())) => diff(&a, &b).map_or(Ok(()), Err),
        (Err(_), Err(_)) => Ok(()),
        (ra, rb) => Err(format!(
            "one engine refused the chunk: jit {ra:?}, interp {rb:?}"
        )),
    }
}

fn check_seed(seed: u64) -> Result<(), String> {
    let case = random::case(seed);
    case.graph
        .validate()
        .map_err(|e| format!("generator made an invalid graph: {e}"))?;
    let input = ChunkInput {
        n_events: case.n_events,
        columns: &case.columns,
    };
    compare(&case.graph, input)
        .map_err(|e| format!("seed {seed}: {e}\ngraph: {:#?}", case.graph.nodes))
}

#[test]
fn random_graphs_agree_with_the_interpreter() {
    if let Some(seed) = std::env::var("ANA_JIT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        if let Err(e) = check_seed(seed) {
            panic!("{e}");
        }
        return;
    }
    let n: u64 = std::env::var("ANA_JIT_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let failures: Vec<String> = (0..n).filter_map(|s| check_seed(s).err()).collect();
    if let Some(first) = failures.first() {
        panic!(
            "{} of {n} random graphs disagree; first:\n{first}",
            failures.len()
        );
    }
}

#[test]
fn the_same_kernel_runs_many_chunks() {
    // One kernel, several chunks added into one output, against the interpreter doing the same;
    // a graph with a list column, whose offsets must continue from chunk to chunk.
    let graph = (7..)
        .map(random::graph)
        .find(|g| g.tables.iter().flat_map(|t| &t.columns).any(|c| c.list))
        .expect("a graph with a list column");
    let kernel = Kernel::compile(&graph).expect("compiles");
    let interp = Interpreter::new(&graph);
    let mut a = ChunkOutput::new(&graph);
    let mut b = ChunkOutput::new(&graph);
    for seed in 0..5 {
        let (n, cols) = random::columns(seed);
        let input = ChunkInput {
            n_events: n,
            columns: &cols,
        };
        kernel.run_chunk(input, &mut a).expect("jit runs");
        interp.run_chunk(input, &mut b).expect("interp runs");
    }
    assert_eq!(diff(&a, &b), None);
    for c in a.tables.iter().flat_map(|t| &t.columns) {
        if let Some(o) = &c.offsets {
            assert_eq!(o.last().copied(), Some(c.values.len() as u64));
        }
    }
}

#[test]
fn the_generator_covers_every_node_kind() {
    // Guards the differential test against a generator that silently stops producing
    // some node kinds, or outputs that are always empty.
    let mut kinds = std::collections::BTreeSet::new();
    let (mut filled, mut rows, mut counted, mut list_elements, mut narrow) = (0, 0, 0, 0, 0);
    for s in 0..100 {
        let c = random::case(s);
        for n in &c.graph.nodes {
            let k = format!("{:?}", n.kind);
            kinds.insert(
                k.split(|c: char| !c.is_alphanumeric())
                    .next()
                    .unwrap_or("")
                    .to_string(),
            );
        }
        let mut out = ChunkOutput::new(&c.graph);
        let k = Kernel::compile(&c.graph).expect("compiles");
        k.run_chunk(
            ChunkInput {
                n_events: c.n_events,
                columns: &c.columns,
            },
            &mut out,
        )
        .expect("runs");
        filled += out
            .hists
            .iter()
            .filter(|h| h.sumw.iter().any(|&x| x != 0.0))
            .count();
        rows += out
            .tables
            .iter()
            .map(|t| t.columns.first().map_or(0, OutColumn::rows))
            .sum::<usize>();
        counted += out
            .cutflows
            .iter()
            .filter(|c| c.events.iter().skip(1).any(|&e| e > 0))
            .count();
        for c in out.tables.iter().flat_map(|t| &t.columns) {
            if c.offsets.is_some() {
                list_elements += c.values.len();
            }
            if matches!(
                c.values,
                OutValues::U64(_) | OutValues::I8(_) | OutValues::U16(_)
            ) {
                narrow += c.rows();
            }
        }
    }
    let all = "Append Binary Broadcast Cartesian Cast Combinations Concat Const CountCutflow CountRegion Fill Filter \
               Gather LoadElem LoadEvent ParentIndex Pick Reduce ReduceInner Select SelfIndex Sort Source Unary";
    for k in all.split_whitespace() {
        assert!(kinds.contains(k), "no {k} generated");
    }
    assert!(
        filled > 100 && rows > 1000 && counted > 10 && list_elements > 1000 && narrow > 100,
        "outputs too sparse: {filled} hists filled, {rows} rows, {counted} cutflows counted, \
         {list_elements} list elements, {narrow} rows of narrow integer columns"
    );
}

/// A uint64 event number above 2^63 and lists of uint8 and int16 values come out with the
/// bits they have in the file, in both engines (loads widen to i64, wrapping; the column
/// keeps the branch's type).
#[test]
fn unsigned_and_list_columns_keep_the_branch_bits() {
    use ana_compiler::abi::{ColumnData, InputColumn};
    use ana_compiler::graph::PhysType;
    use ana_compiler::schema::{Schema, SchemaBranch};
    use ana_compiler::{CompileOptions, compile};
    let branch = |name: &str, phys, counter: Option<&str>| SchemaBranch {
        name: name.into(),
        phys: Some(phys),
        jagged: counter.is_some(),
        counter: counter.map(str::to_string),
        type_name: String::new(),
    };
    let schema = Schema {
        tree: "Events".into(),
        branches: vec![
            branch("event", PhysType::U64, None),
            branch("nJet", PhysType::U32, None),
            branch("Jet_ncons", PhysType::U8, Some("nJet")),
            branch("Jet_flav", PhysType::I16, Some("nJet")),
        ],
    };
    let src = "let jets = Jet{ncons, flav}\n\
               table skim { event = event, n = nJet, ncons = jets.ncons, flav = jets.flav }\n";
    let opts = CompileOptions {
        schema: Some(schema),
        params: vec![],
    };
    let graph = compile("t.ana", src, &opts).expect("compiles").graph;
    let offsets = std::sync::Arc::new(vec![0u32, 2, 2, 3]);
    let column = |data, offsets: Option<&std::sync::Arc<Vec<u32>>>| InputColumn {
        data,
        offsets: offsets.cloned(),
    };
    let by_name = |name: &str| match name {
        "event" => column(ColumnData::U64(vec![u64::MAX, 1 << 63, 7]), None),
        "nJet" => column(ColumnData::U32(vec![2, 0, 1]), None),
        "Jet_ncons" => column(ColumnData::U8(vec![255, 1, 128]), Some(&offsets)),
        "Jet_flav" => column(
            ColumnData::I16(vec![-5, i16::MAX, i16::MIN]),
            Some(&offsets),
        ),
        other => panic!("unexpected branch {other}"),
    };
    let columns: Vec<InputColumn> = graph.branches.iter().map(|b| by_name(&b.name)).collect();
    let input = ChunkInput {
        n_events: 3,
        columns: &columns,
    };
    let kernel = Kernel::compile(&graph).expect("compiles");
    let interp = Interpreter::new(&graph);
    for engine in [&kernel as &dyn Engine, &interp] {
        let mut out = ChunkOutput::new(&graph);
        engine.run_chunk(input, &mut out).expect("runs");
        let t = &out.tables[0].columns;
        assert_eq!(t[0].values, OutValues::U64(vec![u64::MAX, 1 << 63, 7]));
        assert_eq!(t[1].values, OutValues::U32(vec![2, 0, 1]));
        assert_eq!(t[2].values, OutValues::U8(vec![255, 1, 128]));
        assert_eq!(t[2].offsets, Some(vec![0, 2, 2, 3]));
        assert_eq!(t[3].values, OutValues::I16(vec![-5, i16::MAX, i16::MIN]));
        assert_eq!(t[3].offsets, Some(vec![0, 2, 2, 3]));
    }
}
