//! `ana check SCRIPT [--input FILE.root]`.

use std::path::PathBuf;

use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// The .ana script to check.
    pub script: PathBuf,
    /// A ROOT file whose branches the script's names are checked against.
    #[arg(long)]
    pub input: Option<PathBuf>,
}

pub fn main(args: Args) -> Result<(), Failure> {
    let _source = crate::read_script(&args.script)?;
    Err(Failure::Error(Some(miette::miette!(
        "ana check is not available yet"
    ))))
}
