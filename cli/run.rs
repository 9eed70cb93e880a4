//! `ana run SCRIPT [FILE...] [-o OUTDIR] ...`.

use std::path::PathBuf;

use crate::Failure;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineArg {
    Interp,
    Jit,
}

#[derive(clap::Args)]
pub struct Args {
    /// The .ana script.
    pub script: PathBuf,
    /// Input ROOT files or glob patterns; default: the script's `input`.
    pub files: Vec<String>,
    /// Output directory.
    #[arg(short = 'o', long = "output", default_value = "ana-out")]
    pub output: PathBuf,
    /// Input tree name (overrides the script's `tree`).
    #[arg(long)]
    pub tree: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Entries per chunk (rounded to basket boundaries).
    #[arg(long)]
    pub chunk_entries: Option<u64>,
    /// Execution engine.
    #[arg(long, value_enum, default_value = "interp")]
    pub engine: EngineArg,
    /// Stop after this many entries in total.
    #[arg(long)]
    pub max_entries: Option<u64>,
    /// Set a script parameter: NAME=VALUE (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
}

pub fn main(args: Args) -> Result<(), Failure> {
    let _source = crate::read_script(&args.script)?;
    Err(Failure::Error(Some(miette::miette!(
        "ana run is not available yet"
    ))))
}
