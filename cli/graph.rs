//! `ana graph SCRIPT [--dot]`.

use std::path::PathBuf;

use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// The .ana script.
    pub script: PathBuf,
    /// Print Graphviz DOT instead of text.
    #[arg(long)]
    pub dot: bool,
}

pub fn main(args: Args) -> Result<(), Failure> {
    let _source = crate::read_script(&args.script)?;
    Err(Failure::Error(Some(miette::miette!(
        "ana graph is not available yet"
    ))))
}
