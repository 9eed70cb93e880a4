//! Generated scripts of the size real analyses reach (issue 24, `bench/gen_big.py`): hundreds
//! of regions, each with its own histogram, plus histograms of distinct expressions. Both
//! engines must agree on them, and the kernel's size must grow linearly with the script.

use std::path::Path;

use ana_compiler::codegen::Kernel;
use ana_compiler::{CompileOptions, compile};
use ana_runtime::root::{RootFile, Tree};

/// `n` lets, `n` regions (every fourth nested in the one before) with one histogram each,
/// `n` histograms outside regions over reductions, filters, `first` and pairs defined once at
/// the top (so that a kernel in parts reads them from its first part), and a table every 100.
fn script(n: usize) -> String {
    let mut s = String::from(
        "let muons = Muon{pt, eta, phi, mass, charge}\n\
         let good = muons[pt > 5]\n\
         let zs = pairs(good)[p => p.0.charge != p.1.charge]\n\
         let best = argmin(zs, p => abs(p.mass - 91.2))\n",
    );
    for i in 0..n {
        let c = 1.0 + i as f64 / 7.0;
        let cut = (i % 40) as f64 * 2.5;
        s += &format!("let x{i} = sum(muons.pt) + {c:?}\n");
        match i % 4 {
            3 => s += &format!("region r{i} in r{}: x{i} > {cut:?}\n", i - 1),
            _ => s += &format!("region r{i}: x{i} > {cut:?}\n"),
        }
        s += &format!("hist h{i} in r{i}: x{i} ~ Reg(50, 0, 200)\n");
        let expr = match i % 7 {
            0 => format!("sum(muons.pt) * {c:?}"),
            1 => format!("max(muons.eta) + {c:?}"),
            2 => format!("count(muons[pt > {c:?}])"),
            3 => format!("first(muons[pt > {c:?}]).phi"),
            4 => format!("count(zs[p => p.mass > {c:?}])"),
            5 => format!("best.mass * {c:?}"),
            _ => format!("sum(good.pt) - {c:?}"),
        };
        s += &format!("hist g{i}: {expr} ~ Reg(50, -5, 100)\n");
        if i % 100 == 99 {
            s += &format!("table t{i} in r{i} {{ x = x{i}, m = best.mass }}\n");
        }
    }
    s
}

fn tree() -> Tree {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/data/Run2012BC_DoubleMuParked_Muons_1000evts.root");
    RootFile::open(&file)
        .and_then(|f| f.tree("Events"))
        .expect("open")
}

fn kernel(tree: &Tree, n: usize) -> (ana_compiler::graph::Graph, Kernel) {
    let opts = CompileOptions {
        schema: Some(tree.schema()),
        params: Vec::new(),
    };
    let graph = compile("big", &script(n), &opts).expect("compiles").graph;
    let kernel = Kernel::compile(&graph).expect("JIT compiles");
    (graph, kernel)
}

#[test]
fn hundreds_of_regions_agree_with_the_interpreter() {
    let tree = tree();
    let (graph, kernel) = kernel(&tree, 300);
    assert_eq!(graph.regions.len(), 300);
    // Big enough to be compiled in parts (`codegen/parts.rs`), so that their state is tested.
    let functions = kernel.clif().matches("\nfunction ").count() + 1;
    assert!(functions > 3, "{functions} functions");
    let (a, b) = crate::run_both(&graph, &kernel, &tree);
    if let Some(d) = crate::diff(&a, &b) {
        panic!("engines disagree: {d}");
    }
    // Not vacuous: the regions select different numbers of events.
    let counts: std::collections::BTreeSet<u64> = a.cutflow.iter().copied().collect();
    assert!(counts.len() > 10, "cutflow {:?}", a.cutflow);
}

/// Region counters once were variables threaded through every block of the kernel as block
/// parameters: the CLIF grew with the square of the number of regions (1.9k lines at 10,
/// 38.6k at 100, 3.1M at 1,000).
#[test]
fn kernel_size_grows_linearly_with_the_script() {
    let tree = tree();
    let lines = |n| kernel(&tree, n).1.clif().lines().count();
    let (small, big) = (lines(50), lines(200));
    let ratio = big as f64 / small as f64;
    assert!(
        ratio < 4.5,
        "4 times the script, {ratio:.1} times the CLIF ({small} -> {big} lines)"
    );
}

/// Pointers loaded ahead of the event loop stay live across all of it: once one per
/// histogram, which made register allocation quadratic in the number of histograms. At most
/// 64 are; the others are loaded where they are used.
#[test]
fn few_pointers_are_loaded_ahead_of_the_event_loop() {
    let tree = tree();
    let opts = CompileOptions {
        schema: Some(tree.schema()),
        params: Vec::new(),
    };
    let mut source = String::from("let muons = Muon{pt, eta, phi, mass, charge}\n");
    for i in 0..200 {
        source += &format!("hist h{i}: sum(muons.pt) * {}.5 ~ Reg(50, 0, 100)\n", i + 1);
    }
    let graph = compile("hists", &source, &opts).expect("compiles").graph;
    let kernel = Kernel::compile(&graph).expect("JIT compiles");
    let clif = kernel.clif();
    let entry = clif
        .split("\nblock0")
        .nth(1)
        .and_then(|s| s.split("\nblock").next())
        .expect("an entry block");
    let loads = entry.matches("= load.i64").count();
    assert!((10..=64).contains(&loads), "{loads} slots loaded ahead");
}
