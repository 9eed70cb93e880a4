//! The `ana` command line: argument parsing and dispatch to one module per subcommand.
//! Exit codes: 0 success, 1 an error in the script, the input or the run, 2 a usage error,
//! 130 interrupted (SIGINT/SIGTERM/SIGHUP).
//! `miette::Report` appears only in this program, never in the libraries.

mod check;
mod graph;
mod input;
mod inspect;
mod out;
mod plot;
mod run;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ana",
    version,
    about = "A compiled analysis language for particle-physics event data",
    after_help = "Examples:\n  ana run examples/dimuon.ana                 # run on the script's default input\n  ana run examples/dimuon.ana 'data/*.root' -o out\n  ana check examples/dimuon.ana\n  ana graph examples/dimuon.ana --dot | dot -Tsvg > graph.svg\n  ana inspect file.root\n  ana plot ana-out\n\nThe language (statements, types, operators, functions, axes): docs/language.md"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a script: names, types and shapes (against the input's branches when known).
    #[command(
        after_help = "Examples:\n  ana check examples/dimuon.ana\n  ana check analysis.ana --input nano.root"
    )]
    Check(check::Args),
    /// Show what a script computes from what: its analysis graph (branches, collections,
    /// regions, candidates, histograms, tables), the compiler's dataflow graph, or the kernel's
    /// cranelift IR.
    #[command(
        after_help = "Examples:\n  ana graph examples/dimuon.ana\n  ana graph examples/dimuon.ana --dot | dot -Tsvg > graph.svg\n  ana graph examples/dimuon.ana --level ir\n  ana graph examples/dimuon.ana --clif"
    )]
    Graph(graph::Args),
    /// Run a script over ROOT files: histograms (UHI JSON), tables (Parquet), cutflow.
    #[command(
        after_help = "Examples:\n  ana run examples/dimuon.ana\n  ana run examples/dimuon.ana 'data/*.root' -o out --threads 2\n  ana run q6.ana nano.root --set btag=Jet_btagDeepB"
    )]
    Run(run::Args),
    /// Show the trees (TTrees and RNTuples) and branches (an RNTuple's fields) of a ROOT file,
    /// or the values of branches.
    #[command(
        after_help = "Examples:\n  ana inspect file.root\n  ana inspect file.root --json\n  ana inspect file.root --tree Events --branch nMuon --branch Muon_pt --entries 0:5"
    )]
    Inspect(inspect::Args),
    /// Draw a run's histograms: one figure per histogram (PNG or SVG), in mplhep's style.
    #[command(
        after_help = "Examples:\n  ana plot ana-out                        # ana-out/plots/NAME.png for every histogram\n  ana plot out --hist mass --format svg -o figures\n  ana plot out --hist nMuons --logy"
    )]
    Plot(plot::Args),
}

/// How a subcommand failed: the exit code tells usage errors (2) from failures (1).
pub enum Failure {
    /// Bad flags, missing files, empty globs: exit 2.
    Usage(miette::Report),
    /// A usage error whose diagnostics were already printed (a `--set` the script does not
    /// take): exit 2.
    UsageReported,
    /// The script, the input or the run went wrong: exit 1. Diagnostics were already printed
    /// when the report is `None`.
    Error(Option<miette::Report>),
    /// SIGINT, SIGTERM or SIGHUP stopped a run: exit 130, as shells report an interrupted command.
    Interrupted,
}

impl<E: Into<miette::Report>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Error(Some(e.into()))
    }
}

fn main() -> ExitCode {
    ana_runtime::memory::keep_freed_memory();
    install_miette_hook();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check::main(args),
        Command::Graph(args) => graph::main(args),
        Command::Run(args) => run::main(args),
        Command::Inspect(args) => inspect::main(args),
        Command::Plot(args) => plot::main(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(report)) => {
            out::message(&format!("{report:?}"));
            ExitCode::from(2)
        }
        Err(Failure::UsageReported) => ExitCode::from(2),
        Err(Failure::Error(report)) => {
            if let Some(report) = report {
                out::message(&format!("{report:?}"));
            }
            ExitCode::from(1)
        }
        Err(Failure::Interrupted) => {
            out::message(INTERRUPTED);
            ExitCode::from(130)
        }
    }
}

/// What an interrupted run says on stderr before it exits with 130.
pub const INTERRUPTED: &str =
    "interrupted: no outputs were written; an earlier output directory is untouched";

/// Colour only on a terminal and never with `NO_COLOR`; fixed width when not a terminal, so
/// that diagnostics in logs and tests are stable.
fn install_miette_hook() {
    use std::io::IsTerminal;
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = miette::set_hook(Box::new(move |_| {
        let mut opts = miette::MietteHandlerOpts::new()
            .color(colour)
            .unicode(colour);
        if !colour {
            opts = opts.width(100).terminal_links(false);
        }
        Box::new(opts.build())
    }));
}

/// Reads a script file, as a usage error when it cannot be read.
pub fn read_script(path: &std::path::Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| {
        Failure::Usage(miette::miette!(
            help = "check the path; scripts are plain text files ending in .ana",
            "cannot read script {}: {e}",
            path.display()
        ))
    })
}

/// Parses `--set NAME=VALUE` flags, as a usage error when one has no `=` or a name is given
/// twice (a run record must say which value a parameter had, not which flag won).
pub fn parse_sets(sets: &[String]) -> Result<Vec<(String, String)>, Failure> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(sets.len());
    for s in sets {
        let (k, v) = match s.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => (k.trim().to_string(), v.to_string()),
            _ => {
                return Err(Failure::Usage(miette::miette!(
                    help = "write --set NAME=VALUE, e.g. --set ptcut=25",
                    "--set {s:?}: expected NAME=VALUE"
                )));
            }
        };
        if let Some((_, first)) = out.iter().find(|(name, _)| *name == k) {
            return Err(Failure::Usage(miette::miette!(
                help = "give each parameter once",
                "--set {k} is given twice: {k}={first} and {k}={v}"
            )));
        }
        out.push((k, v));
    }
    Ok(out)
}

/// Diagnostics about `--set` flags rather than the script: usage errors (exit 2).
const USAGE_CODES: [&str; 2] = ["ana::check::unknown_param", "ana::check::param_value"];

/// Checks and compiles a script for `check` and `graph`, against the branches of `input`,
/// else of the script's own `input`, else of types assumed from the names (see `input`).
pub fn compile_script(
    script: &std::path::Path,
    input: Option<&std::path::Path>,
    tree: Option<String>,
    sets: &[String],
) -> Result<ana_compiler::Compiled, Failure> {
    let source = read_script(script)?;
    let schema = input::check_schema(script, &source, input, tree)?;
    let opts = ana_compiler::CompileOptions {
        schema,
        params: parse_sets(sets)?,
    };
    compile_or_report(script, &source, &opts)
}

/// Compiles a script, printing its diagnostics on stderr when it has errors: the first
/// [`ana_compiler::diagnostics::MAX_SHOWN`], then the count of the rest.
pub fn compile_or_report(
    path: &std::path::Path,
    source: &str,
    opts: &ana_compiler::CompileOptions,
) -> Result<ana_compiler::Compiled, Failure> {
    ana_compiler::compile(&path.display().to_string(), source, opts).map_err(report_diagnostics)
}

/// Prints a script's diagnostics on stderr: the first [`ana_compiler::diagnostics::MAX_SHOWN`],
/// then the count of the rest. Errors in `--set` flags are usage errors.
pub fn report_diagnostics(diags: ana_compiler::Diagnostics) -> Failure {
    let usage = diags.shown.iter().any(|d| USAGE_CODES.contains(&d.code));
    let omitted = diags.omitted_note();
    for d in diags.shown {
        out::message(&format!("{:?}", miette::Report::new(d)));
    }
    if let Some(line) = omitted {
        out::message(&line);
    }
    if usage {
        Failure::UsageReported
    } else {
        Failure::Error(None)
    }
}
