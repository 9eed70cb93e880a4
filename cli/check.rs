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
    /// Set a script parameter: NAME=VALUE (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
}

pub fn main(args: Args) -> Result<(), Failure> {
    let source = crate::read_script(&args.script)?;
    if let Some(input) = &args.input {
        // The ROOT reader is not on main yet: a schema cannot be read.
        return Err(Failure::Usage(miette::miette!(
            help = "run `ana check` without --input until the ROOT reader lands",
            "--input {}: reading ROOT files is not available yet",
            input.display()
        )));
    }
    let opts = ana_compiler::CompileOptions {
        schema: None,
        params: crate::parse_sets(&args.set)?,
    };
    crate::compile_or_report(&args.script, &source, &opts)?;
    Ok(())
}
