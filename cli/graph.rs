//! `ana graph SCRIPT [--dot] [--level analysis|ir] [--clif] [--input FILE.root]`: the script as
//! a physicist reads it (branches, collections, regions, candidates, histograms and tables,
//! with shared work shown once), or the compiler's optimized dataflow graph (`--level ir`), as
//! text or Graphviz DOT; or the cranelift IR the JIT compiles it to. The branch types come
//! from `--input`, else from the script's own `input` when that file exists (as `ana run`
//! compiles it), else they are assumed from the names (see `input`).

use std::path::PathBuf;

use crate::Failure;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Level {
    /// Inputs and branches, collections, regions, candidates, histograms and tables.
    Analysis,
    /// The optimized dataflow graph, one node per operation.
    Ir,
}

#[derive(clap::Args)]
pub struct Args {
    /// The .ana script.
    pub script: PathBuf,
    /// Print Graphviz DOT instead of text.
    #[arg(long, conflicts_with = "clif")]
    pub dot: bool,
    /// What to draw: the analysis (definitions and what uses what) or the compiler's IR
    /// (one node per operation).
    #[arg(long, value_enum, default_value = "analysis")]
    pub level: Level,
    /// Print the cranelift IR of the script's kernel (what the JIT compiles).
    #[arg(long)]
    pub clif: bool,
    /// A ROOT file whose branch types the graph is compiled for (default: the script's
    /// `input`, when it exists).
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// The input tree (default: the script's `tree`, else `Events`).
    #[arg(long)]
    pub tree: Option<String>,
    /// Set a script parameter: NAME=VALUE (repeatable, each name once).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
}

pub fn main(args: Args) -> Result<(), Failure> {
    let compiled =
        crate::compile_script(&args.script, args.input.as_deref(), args.tree, &args.set)?;
    let out = if args.clif {
        ana_compiler::codegen::Kernel::compile(&compiled.graph)
            .map_err(|e| miette::miette!("cannot compile the script to machine code: {e}"))?
            .clif()
            .to_string()
    } else {
        match (args.level, args.dot) {
            (Level::Analysis, true) => compiled.overview.dot(),
            (Level::Analysis, false) => compiled.overview.text(),
            (Level::Ir, true) => ana_compiler::dump::dot(&compiled.graph),
            (Level::Ir, false) => ana_compiler::dump::text(&compiled.graph),
        }
    };
    crate::out::print(&out)
}
