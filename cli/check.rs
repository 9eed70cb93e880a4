//! `ana check SCRIPT [--input FILE.root]`: exit 0 when the script is clean, else 1 with every
//! diagnostic on stderr. The branch types come from `--input`, else from the script's own
//! `input` (the file `ana run` reads), else they are assumed from the names, as a note says.

use std::path::PathBuf;

use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// The .ana script to check.
    pub script: PathBuf,
    /// A ROOT file whose branches the script's names are checked against (default: the
    /// script's `input`, when it exists).
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
    crate::compile_script(&args.script, args.input.as_deref(), args.tree, &args.set)?;
    Ok(())
}
