//! `ana inspect FILE.root [--json] [--tree T --branch B ... --entries A:B]`.

use std::path::PathBuf;

use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// The ROOT file.
    pub file: PathBuf,
    /// Machine-readable JSON output.
    #[arg(long)]
    pub json: bool,
    /// The tree whose branch values to print.
    #[arg(long)]
    pub tree: Option<String>,
    /// A branch whose values to print (repeatable).
    #[arg(long = "branch")]
    pub branches: Vec<String>,
    /// Entry range A:B (half-open; either side may be omitted).
    #[arg(long)]
    pub entries: Option<String>,
}

pub fn main(_args: Args) -> Result<(), Failure> {
    Err(Failure::Error(Some(miette::miette!(
        "ana inspect is not available yet"
    ))))
}
