//! `ana run SCRIPT [FILE...] [-o OUTDIR] ...`: compile the script against the input's
//! branches, run it over the files' chunks in parallel, write the outputs, print a summary.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use ana_compiler::abi::Engine;
use ana_runtime::exec::{self, ChunkPlan, RootSource, RunConfig, RunError, RunSummary};
use ana_runtime::output::{OutputError, ParamRecord, ScriptRecord};
use ana_runtime::root::Tree;

use crate::Failure;
use crate::input::ScriptInput;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineArg {
    /// The reference interpreter (the oracle the JIT is tested against).
    Interp,
    /// Native code compiled with cranelift.
    Jit,
}

#[derive(clap::Args)]
pub struct Args {
    /// The .ana script.
    pub script: PathBuf,
    /// Input ROOT files or glob patterns; default: the script's `input`.
    pub files: Vec<String>,
    /// Output directory (replaced as a whole when the run succeeds).
    #[arg(short = 'o', long = "output", default_value = "ana-out")]
    pub output: PathBuf,
    /// Input tree name (overrides the script's `tree`).
    #[arg(long)]
    pub tree: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j', value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Entries per chunk (grouped and cut at basket boundaries; default: about 4 MB of
    /// decoded data). Below the baskets' size, baskets are decompressed more than once.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub chunk_entries: Option<u64>,
    /// Execution engine.
    #[arg(long, value_enum, default_value = "jit")]
    pub engine: EngineArg,
    /// Stop after this many entries in total.
    #[arg(long)]
    pub max_entries: Option<u64>,
    /// Set a script parameter: NAME=VALUE (repeatable, each name once).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// No progress bar and no summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Skip files (and chunks) that cannot be read instead of stopping; the summary and
    /// run.json say which, and how many events were left out.
    #[arg(long)]
    pub keep_going: bool,
}

pub fn main(args: Args) -> Result<(), Failure> {
    let started = Instant::now();
    // Installed first: a signal while files are opened or code is compiled also stops the
    // run cleanly (with exit 130) instead of killing it.
    let cancel = Arc::new(AtomicBool::new(false));
    install_signal_handlers(&cancel);
    let source = crate::read_script(&args.script)?;
    let params = crate::parse_sets(&args.set)?;
    ana_runtime::output::check_output_path(&args.output).map_err(usage)?;
    let files = input_files(&args, &source)?;
    let tree = args
        .tree
        .clone()
        .or_else(|| ana_compiler::declared_tree(&source))
        .unwrap_or_else(|| "Events".to_string());
    let (schema, opened) = schema_of(&files, &tree, args.keep_going)?;
    let opts = ana_compiler::CompileOptions {
        schema: Some(schema),
        params,
    };
    let compiled = crate::compile_or_report(&args.script, &source, &opts)?;
    let graph = &compiled.graph;
    let engine: Box<dyn Engine> = match args.engine {
        EngineArg::Interp => Box::new(ana_runtime::interp::Interpreter::new(graph)),
        EngineArg::Jit => Box::new(ana_compiler::codegen::Kernel::compile(graph).map_err(|e| {
            miette::miette!(
                help = "run with --engine interp meanwhile, and please report this script",
                "cannot compile the script to machine code: {e}"
            )
        })?),
    };
    let compile_time = started.elapsed();
    let plan = ChunkPlan {
        chunk_entries: args.chunk_entries,
        max_entries: args.max_entries,
        skip_unreadable: args.keep_going,
    };
    let input =
        RootSource::open(&files, &compiled.tree, graph, plan, Some(opened)).map_err(run_error)?;
    if let Some(w) = input.plan_warning() {
        crate::out::message(&format!("warning: {w}"));
    }
    let mut config = RunConfig::new(&args.output);
    config.threads = args.threads.map_or(0, usize::from);
    config.progress = !args.quiet && std::io::stderr().is_terminal();
    config.engine_name = match args.engine {
        EngineArg::Interp => "interp",
        EngineArg::Jit => "jit",
    }
    .to_string();
    config.script = Some(ScriptRecord {
        path: args.script.display().to_string(),
        sha256: ana_runtime::output::sha256_hex(&source),
    });
    config.parameters = compiled.params.iter().map(ParamRecord::from).collect();
    config.cancel = Some(cancel);
    config.keep_going = args.keep_going;
    let summary = exec::run_source(&config, graph, engine.as_ref(), &input).map_err(run_error)?;
    if !args.quiet {
        crate::out::print(&summary_text(&args, &compiled.tree, &summary, compile_time))?;
    } else if !summary.skipped.is_empty() {
        for k in &summary.skipped {
            crate::out::message(&format!("warning: skipped (--keep-going): {}", k.error));
        }
    }
    Ok(())
}

/// The branches of the first file's tree (of the first readable one with `--keep-going`),
/// which the script is checked and compiled against; with that tree and its file's index,
/// so that the run does not open it again.
fn schema_of(
    files: &[PathBuf],
    tree: &str,
    keep_going: bool,
) -> Result<(ana_compiler::schema::Schema, (usize, Tree)), Failure> {
    let mut first_error = None;
    for (i, f) in files.iter().enumerate() {
        match ana_runtime::root::RootFile::open(f).and_then(|f| f.tree(tree)) {
            Ok(t) => return Ok((t.schema(), (i, t))),
            Err(e) if keep_going => {
                first_error.get_or_insert(e);
            }
            Err(e) => return Err(Failure::Error(Some(miette::miette!("{e}")))),
        }
    }
    let e = first_error.map_or("no input files".to_string(), |e| e.to_string());
    Err(Failure::Error(Some(miette::miette!(
        "no input file could be read (the first error: {e})"
    ))))
}

/// The files to read: the command line's (globs expanded, in order) or the script's input,
/// relative to the script's directory.
fn input_files(args: &Args, source: &str) -> Result<Vec<PathBuf>, Failure> {
    match crate::input::script_input(&args.script, source, &args.files)? {
        ScriptInput::Files(files) => Ok(files),
        ScriptInput::DeclaredMissing(why) => Err(Failure::Usage(miette::miette!(
            help = "the script's `input` is relative to the script's folder; name files on \
                    the command line to read others",
            "{why}"
        ))),
        ScriptInput::None => Err(Failure::Usage(miette::miette!(
            help = "name files after the script (ana run SCRIPT FILE.root ...), or add a \
                    line `input \"file.root\"` to the script",
            "no input files"
        ))),
    }
}

fn usage(e: OutputError) -> Failure {
    Failure::Usage(miette::miette!(
        help = "-o names a directory that the run creates or replaces",
        "{e}"
    ))
}

fn run_error(e: RunError) -> Failure {
    match e {
        RunError::Interrupted => Failure::Interrupted,
        RunError::Output(e @ OutputError::NotADirectory(_)) => usage(e),
        e => Failure::Error(Some(miette::miette!("{e}"))),
    }
}

/// The first SIGINT/SIGTERM asks the run to stop (outputs are then not written; an earlier
/// OUT stays); a second one ends the process at once.
fn install_signal_handlers(cancel: &Arc<AtomicBool>) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    for sig in [SIGINT, SIGTERM] {
        // Failing to install a handler only loses the graceful stop; the run still works.
        let _ = signal_hook::flag::register_conditional_shutdown(sig, 130, Arc::clone(cancel));
        let _ = signal_hook::flag::register(sig, Arc::clone(cancel));
    }
}

fn summary_text(args: &Args, tree: &str, s: &RunSummary, compile: Duration) -> String {
    let mut text = String::new();
    let secs = s.wall.as_secs_f64();
    let rate = if secs > 0.0 {
        s.entries as f64 / secs
    } else {
        0.0
    };
    let engine = match args.engine {
        EngineArg::Interp => "interpreter",
        EngineArg::Jit => "jit",
    };
    let _ = writeln!(text, "ana run {}", args.script.display());
    let _ = writeln!(
        text,
        "  input     {} events of tree {tree} in {}",
        group(s.entries),
        plural(s.chunks as u64, "chunk")
    );
    let _ = writeln!(
        text,
        "  engine    {engine}, {} threads, compiled in {:.1} ms",
        s.threads,
        compile.as_secs_f64() * 1e3
    );
    let _ = writeln!(
        text,
        "  time      {secs:.3} s, {} events/s",
        group(rate.round() as u64)
    );
    if !s.cutflow.selections.is_empty() {
        let width = s
            .cutflow
            .selections
            .iter()
            .map(|r| r.name.len())
            .max()
            .unwrap_or(0)
            .max(10);
        let _ = writeln!(
            text,
            "  cutflow   {:<width$}  {:>12}",
            "all events",
            group(s.entries)
        );
        for r in &s.cutflow.selections {
            let pct = if s.entries > 0 {
                100.0 * r.events as f64 / s.entries as f64
            } else {
                0.0
            };
            let _ = writeln!(
                text,
                "            {:<width$}  {:>12}  {pct:5.1}%",
                r.name,
                group(r.events)
            );
        }
    }
    let out = s.out_dir.display();
    if !s.histograms.is_empty() {
        let _ = writeln!(
            text,
            "  outputs   {out}/histograms.json: {}",
            s.histograms.join(", ")
        );
    }
    for t in &s.tables {
        let _ = writeln!(
            text,
            "            {out}/{}/: {} in {}",
            t.name,
            plural(t.rows, "row"),
            plural(t.parts as u64, "Parquet part")
        );
    }
    let _ = writeln!(text, "            {out}/cutflow.json, {out}/run.json");
    if !s.skipped.is_empty() {
        let _ = writeln!(
            text,
            "  skipped   {} unreadable input(s), {} events left out (--keep-going):",
            s.skipped.len(),
            group(s.entries_skipped)
        );
        for k in &s.skipped {
            let _ = writeln!(text, "            {}", k.error);
        }
    }
    text
}

/// "1 chunk", "3 chunks", "1,024 rows".
fn plural(n: u64, what: &str) -> String {
    format!("{} {what}{}", group(n), if n == 1 { "" } else { "s" })
}

/// 1234567 as "1,234,567".
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
