//! `ana check SCRIPT [--input FILE.root]`: exit 0 when the script is clean, else 1 with every
//! diagnostic on stderr.

use std::path::PathBuf;

use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// The .ana script to check.
    pub script: PathBuf,
    /// A ROOT file whose branches the script's names are checked against.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// The input tree (default: the script's `tree`, else `Events`).
    #[arg(long)]
    pub tree: Option<String>,
    /// Set a script parameter: NAME=VALUE (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
}

pub fn main(args: Args) -> Result<(), Failure> {
    let source = crate::read_script(&args.script)?;
    let schema = match &args.input {
        None => None,
        Some(input) => Some(crate::input_schema(input, args.tree.clone(), &source)?),
    };
    let opts = ana_compiler::CompileOptions {
        schema,
        params: crate::parse_sets(&args.set)?,
    };
    crate::compile_or_report(&args.script, &source, &opts)?;
    Ok(())
}
