//! `ana run SCRIPT [FILE...] [-o OUTDIR] ...`: compile the script against the input's
//! branches, run it over the files' chunks in parallel, write the outputs, print a summary.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ana_runtime::analysis::{Analysis, AnalysisError, EngineKind, InputError, Options, Script};
use ana_runtime::exec::{self, ChunkPlan, RunError, RunSummary};
use ana_runtime::output::{NamedCutflow, OutputError};

use crate::Failure;

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
    /// Input ROOT files: paths, glob patterns, root:// or https:// URLs, @LIST (a file
    /// naming one input per line); default: the script's `input`.
    pub files: Vec<String>,
    /// Output directory: created, or replaced as a whole when the run succeeds if it is empty
    /// or an earlier ana output (never a folder holding inputs, the current folder or $HOME);
    /// runs into one directory wait for each other.
    #[arg(short = 'o', long = "output", default_value = "ana-out")]
    pub output: PathBuf,
    /// Input tree name (overrides the script's `tree`).
    #[arg(long)]
    pub tree: Option<String>,
    /// Worker threads (default: all cores; at most 4 per core, and no more than the cores
    /// or the run's chunks, whichever is more).
    #[arg(long, short = 'j', value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Most memory the histograms may take, all copies included (one per chunk in flight,
    /// two per thread, and the merged one): e.g. 4G, 500M (default: half the physical
    /// memory). A run that would need more is refused before it starts.
    #[arg(long, value_name = "SIZE", value_parser = exec::parse_size)]
    pub memory_limit: Option<u64>,
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
    /// Then draw every histogram into OUT/plots as PNG (`ana plot` offers more).
    #[arg(long)]
    pub plot: bool,
}

pub fn main(args: Args) -> Result<(), Failure> {
    // Installed first: a signal while files are opened or code is compiled also stops the
    // run cleanly (with exit 130) instead of killing it.
    let cancel = Arc::new(AtomicBool::new(false));
    let staging = Arc::new(AtomicBool::new(false));
    install_signal_handlers(&cancel, &staging);
    let script = Script {
        name: args.script.display().to_string(),
        path: Some(args.script.clone()),
        source: crate::read_script(&args.script)?,
    };
    let options = Options {
        params: crate::parse_sets(&args.set)?,
        tree: args.tree.clone(),
        engine: match args.engine {
            EngineArg::Interp => EngineKind::Interp,
            EngineArg::Jit => EngineKind::Jit,
        },
    };
    let files = script.inputs(&args.files).map_err(input_error)?;
    let mut inputs = files.clone();
    inputs.push(args.script.clone());
    ana_runtime::output::check_output_path(&args.output, &inputs).map_err(output_error)?;
    let plan = ChunkPlan {
        chunk_entries: args.chunk_entries,
        max_entries: args.max_entries,
        skip_unreadable: args.keep_going,
    };
    let job = Analysis::open_inputs(script, options, &files, plan).map_err(analysis_error)?;
    if let Some(w) = job.plan_warning() {
        crate::out::message(&format!("warning: {w}"));
    }
    let mut config = job.config(&args.output);
    config.threads = args.threads.map_or(0, usize::from);
    if let Some(w) = exec::worker_threads(config.threads, job.chunks().len()).warning {
        crate::out::message(&format!("warning: {w}"));
    }
    config.memory_limit = args.memory_limit;
    config.progress = !args.quiet && std::io::stderr().is_terminal();
    config.cancel = Some(cancel);
    config.keep_going = args.keep_going;
    // From here on the run may have a staging folder to remove when it stops.
    staging.store(true, Ordering::SeqCst);
    let summary = job.run_to_dir(&config).map_err(run_error)?;
    if !args.quiet {
        let tree = &job.compiled().tree;
        crate::out::print(&summary_text(&args, tree, &summary, job.compile_time()))?;
    } else {
        for k in &summary.skipped {
            crate::out::message(&format!("warning: skipped (--keep-going): {}", k.error));
        }
        if !summary.non_finite.is_empty() {
            crate::out::message(&format!(
                "warning: {}",
                non_finite_warning(&summary.non_finite)
            ));
        }
    }
    if args.plot {
        let (png, opts) = (ana_runtime::output::plot::Format::Png, Default::default());
        crate::plot::plot(&summary.out_dir, &[], png, None, opts, args.quiet)?;
    }
    Ok(())
}

/// Inputs that cannot be read: the command line's (usage errors), or files that turned out
/// bad.
fn input_error(e: InputError) -> Failure {
    let help = match &e {
        InputError::DeclaredMissing(_) => {
            "the script's `input` is relative to the script's folder; name files on the \
             command line to read others"
        }
        InputError::NoInputs => {
            "name files after the script (ana run SCRIPT FILE.root ...), or add a line \
             `input \"file.root\"` to the script"
        }
        _ => return crate::input::failure(e),
    };
    Failure::Usage(miette::miette!(help = help, "{e}"))
}

fn analysis_error(e: AnalysisError) -> Failure {
    match e {
        AnalysisError::Script(diags) => crate::report_diagnostics(diags),
        AnalysisError::Input(e) => input_error(e),
        AnalysisError::Codegen(e) => Failure::Error(Some(miette::miette!(
            help = "run with --engine interp meanwhile, and please report this script",
            "cannot compile the script to machine code: {e}"
        ))),
        AnalysisError::Run(e) => run_error(e),
        e => Failure::Error(Some(miette::miette!("{e}"))),
    }
}

/// A refused OUT is a usage error; one the user may not write, a failure.
fn output_error(e: OutputError) -> Failure {
    match e {
        OutputError::NotADirectory(_) | OutputError::Refused { .. } => {
            Failure::Usage(miette::miette!(
                help = "-o names a folder that ana creates, or replaces as a whole when it is \
                        empty or holds an earlier ana output (marked by its .ana-output file); \
                        name a new folder",
                "{e}"
            ))
        }
        e @ OutputError::PermissionDenied { .. } => Failure::Error(Some(miette::miette!(
            help = "make it writable (chmod u+w), or name another folder with -o",
            "{e}"
        ))),
        OutputError::Cancelled => Failure::Interrupted,
        e => Failure::Error(Some(miette::miette!("{e}"))),
    }
}

fn run_error(e: RunError) -> Failure {
    match e {
        RunError::Interrupted => Failure::Interrupted,
        RunError::Memory(e) => Failure::Error(Some(miette::miette!(
            help = "use fewer bins or fewer histograms, fewer --threads, or a larger \
                    --memory-limit if the machine has the memory",
            "{e}"
        ))),
        RunError::Output(e) => output_error(e),
        e => Failure::Error(Some(miette::miette!("{e}"))),
    }
}

/// The first SIGINT, SIGTERM or SIGHUP asks the run to stop (outputs are then not written;
/// an earlier OUT stays); a second one ends the process at once. SIGHUP (a closed terminal or
/// ssh session) is no reason to leave a staging folder behind.
/// Until the run has a staging folder (`staging`), nothing needs cleaning up, and a thread
/// ends the process at once: opening inputs and compiling cannot be interrupted from inside
/// (a big script spends tens of seconds in cranelift). Once it has one, the run stops
/// itself between chunks and output files; should it not within a second (a stalled file
/// system), the thread ends the process anyway.
fn install_signal_handlers(cancel: &Arc<AtomicBool>, staging: &Arc<AtomicBool>) {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    const SIGNALS: [i32; 3] = [SIGINT, SIGTERM, SIGHUP];
    for sig in SIGNALS {
        // Failing to install a handler only loses the graceful stop; the run still works.
        let _ = signal_hook::flag::register_conditional_shutdown(sig, 130, Arc::clone(cancel));
        let _ = signal_hook::flag::register(sig, Arc::clone(cancel));
    }
    let Ok(mut signals) = signal_hook::iterator::Signals::new(SIGNALS) else {
        return;
    };
    let staging = Arc::clone(staging);
    let _ = std::thread::Builder::new()
        .name("ana-signals".into())
        .spawn(move || {
            if signals.forever().next().is_none() {
                return;
            }
            if staging.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_secs(1));
                crate::out::message(
                    "interrupted: the run did not stop within a second and was ended; an \
                     earlier output directory is untouched (a .ana-staging-* folder beside it \
                     may be left)",
                );
            } else {
                crate::out::message(crate::INTERRUPTED);
            }
            std::process::exit(130);
        });
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
    if !s.cutflow.cutflows.is_empty() {
        named_cutflows(&mut text, &s.cutflow.cutflows);
    } else if !s.cutflow.selections.is_empty() {
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
    let missing: Vec<String> = s
        .missing
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| format!("{name} {}", group(*n)))
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(
            text,
            "  missing   fills skipped (a value was missing): {}",
            missing.join(", ")
        );
    }
    if !s.non_finite.is_empty() {
        let _ = writeln!(text, "  warning   {}", non_finite_warning(&s.non_finite));
    }
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

/// Histograms whose bins hold NaN or inf (from NaN or infinite weights), which JSON cannot
/// hold: `histograms.json` has `null` there.
fn non_finite_warning(hists: &[(String, u64)]) -> String {
    let list: Vec<String> = hists
        .iter()
        .map(|(name, n)| format!("{name} ({})", plural(*n, "bin")))
        .collect();
    format!(
        "NaN or infinite bin contents (from NaN or infinite weights), written as null: {}",
        list.join(", ")
    )
}

/// "1 chunk", "3 chunks", "1,024 rows".
/// The script's named cutflows (then the per-region counts are in `cutflow.json` only):
/// events and their share of all events per row, and the sum of weights when weighted.
fn named_cutflows(text: &mut String, cutflows: &[NamedCutflow]) {
    let width = cutflows
        .iter()
        .flat_map(|c| c.rows.iter().map(|r| r.name.len()))
        .max()
        .unwrap_or(0)
        .max(10);
    for c in cutflows {
        match &c.weight {
            Some(w) => {
                let _ = writeln!(text, "  cutflow   {} (sum of weights: {w})", c.name);
            }
            None => {
                let _ = writeln!(text, "  cutflow   {}", c.name);
            }
        }
        let all = c.rows.first().map_or(0, |r| r.events);
        for r in &c.rows {
            let pct = if all > 0 {
                100.0 * r.events as f64 / all as f64
            } else {
                0.0
            };
            let _ = write!(
                text,
                "            {:<width$}  {:>12}  {pct:5.1}%",
                r.name,
                group(r.events)
            );
            if c.weight.is_some() {
                let _ = write!(text, "  {:>12}", sum_text(r.sumw));
            }
            text.push('\n');
        }
    }
}

/// A sum of weights in at most 12 characters: fixed point when that is readable.
fn sum_text(x: f64) -> String {
    if x == 0.0 || (1e-3..1e8).contains(&x.abs()) {
        format!("{x:.3}")
    } else {
        format!("{x:.4e}")
    }
}

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
