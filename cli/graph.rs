//! `ana graph SCRIPT [--dot | --clif]`: the optimized dataflow graph, as text (one node per
//! line) or Graphviz DOT, or the cranelift IR the JIT compiles it to.

use std::path::PathBuf;

use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// The .ana script.
    pub script: PathBuf,
    /// Print Graphviz DOT instead of text.
    #[arg(long, conflicts_with = "clif")]
    pub dot: bool,
    /// Print the cranelift IR of the script's kernel (what the JIT compiles).
    #[arg(long)]
    pub clif: bool,
    /// Set a script parameter: NAME=VALUE (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
}

pub fn main(args: Args) -> Result<(), Failure> {
    let source = crate::read_script(&args.script)?;
    let opts = ana_compiler::CompileOptions {
        schema: None,
        params: crate::parse_sets(&args.set)?,
    };
    let compiled = crate::compile_or_report(&args.script, &source, &opts)?;
    let out = if args.clif {
        ana_compiler::codegen::Kernel::compile(&compiled.graph)
            .map_err(|e| miette::miette!("cannot compile the script to machine code: {e}"))?
            .clif()
            .to_string()
    } else if args.dot {
        ana_compiler::dump::dot(&compiled.graph)
    } else {
        ana_compiler::dump::text(&compiled.graph)
    };
    print!("{out}");
    Ok(())
}
