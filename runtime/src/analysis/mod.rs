//! The library facade: the one way into a run for every front door (the `ana run` command,
//! the Python module, a distributed worker). None of them assembles a run by hand.
//!
//! Flow, one way: a [`Script`] and its [`Options`] → [`Analysis`] (compiled once, against
//! the branches of an input) → [`Job`] (the inputs opened and planned as chunks) → either
//! the whole run ([`Job::run`] into memory, or [`Job::run_to_dir`] streaming into OUT), or
//! one chunk at a time ([`Job::run_chunk`] → [`Partial`], merged in chunk order with
//! [`Partial::merge`], shipped as bytes with [`Partial::to_bytes`]) → outputs written by
//! [`Job::write`] / [`Results::write`], the same files and the same atomic swap as
//! `ana run -o`.
//! Input resolution (which files, the first one's schema) lives in [`inputs`] only.

pub mod inputs;
mod partial;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ana_compiler::abi::{Engine, HistBuffer};
use ana_compiler::graph::Graph;
use ana_compiler::schema::Schema;
use ana_compiler::{CompileOptions, Compiled, Diagnostics};

use crate::exec::{self, Chunk, ChunkPlan, ChunkSource, Execution, RootSource, RunConfig};
use crate::exec::{RunError, RunSummary};
use crate::output::{Cutflow, ParamRecord, ScriptRecord, Table};

pub use inputs::{InputError, ScriptInput};
pub use partial::{Partial, PartialError, VERSION as PARTIAL_VERSION};

/// A script's text and where it came from.
#[derive(Clone, Debug)]
pub struct Script {
    /// How diagnostics and `run.json` name it: the file's path, or a name given with the text.
    pub name: String,
    /// The file, for a script read from one: its `input` is relative to its folder.
    pub path: Option<PathBuf>,
    pub source: String,
}

impl Script {
    /// Reads a script file.
    pub fn read(path: &Path) -> Result<Script, AnalysisError> {
        let source = std::fs::read_to_string(path).map_err(|e| AnalysisError::ReadScript {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(Script {
            name: path.display().to_string(),
            path: Some(path.to_path_buf()),
            source,
        })
    }

    /// A script given as text; its `input` is relative to the current folder.
    pub fn inline(name: &str, source: &str) -> Script {
        Script {
            name: name.to_string(),
            path: None,
            source: source.to_string(),
        }
    }

    /// The folder its `input` is relative to (`None`: the current folder).
    pub fn dir(&self) -> Option<&Path> {
        self.path.as_deref().and_then(Path::parent)
    }

    /// The files a run reads: `given` (paths and glob patterns), else the script's `input`.
    pub fn inputs(&self, given: &[String]) -> Result<Vec<PathBuf>, InputError> {
        inputs::files(self.dir(), &self.source, given)
    }

    fn record(&self) -> ScriptRecord {
        ScriptRecord {
            path: self.name.clone(),
            sha256: crate::output::sha256_hex(&self.source),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EngineKind {
    /// The reference interpreter (the oracle the JIT is tested against).
    Interp,
    /// Native code compiled with cranelift.
    #[default]
    Jit,
}

impl EngineKind {
    /// As `run.json` names it.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Interp => "interp",
            EngineKind::Jit => "jit",
        }
    }
}

/// How to compile and read.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Script parameters, NAME=VALUE, each name once.
    pub params: Vec<(String, String)>,
    /// The input tree, over the script's `tree` (else `Events`).
    pub tree: Option<String>,
    pub engine: EngineKind,
}

#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error("cannot read script {path}: {message}", path = path.display())]
    ReadScript { path: PathBuf, message: String },
    /// The script's diagnostics (rendered by the front door).
    #[error("{0}")]
    Script(Diagnostics),
    #[error(transparent)]
    Input(#[from] InputError),
    /// The JIT could not compile a script the checker accepted: a bug in ana.
    #[error("cannot compile the script to machine code: {0}")]
    Codegen(String),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Partial(#[from] PartialError),
}

/// A compiled script and its engine, for one input schema.
struct Program {
    compiled: Compiled,
    engine: Box<dyn Engine>,
    schema: Option<Schema>,
    compile_time: Duration,
}

impl Program {
    fn new(
        script: &Script,
        opts: &Options,
        schema: Option<Schema>,
    ) -> Result<Program, AnalysisError> {
        let started = Instant::now();
        let compile_opts = CompileOptions {
            schema: schema.clone(),
            params: opts.params.clone(),
        };
        let compiled = ana_compiler::compile(&script.name, &script.source, &compile_opts)
            .map_err(AnalysisError::Script)?;
        let engine: Box<dyn Engine> = match opts.engine {
            EngineKind::Interp => Box::new(crate::interp::Interpreter::new(&compiled.graph)),
            EngineKind::Jit => Box::new(
                ana_compiler::codegen::Kernel::compile(&compiled.graph)
                    .map_err(|e| AnalysisError::Codegen(e.to_string()))?,
            ),
        };
        Ok(Program {
            compiled,
            engine,
            schema,
            compile_time: started.elapsed(),
        })
    }
}

/// A script compiled once, ready to run over inputs.
pub struct Analysis {
    script: Script,
    options: Options,
    program: Arc<Program>,
}

impl Analysis {
    /// Compiles `script` against `schema` (`None`: branch types assumed from their names).
    pub fn compile(
        script: Script,
        options: Options,
        schema: Option<Schema>,
    ) -> Result<Analysis, AnalysisError> {
        let program = Arc::new(Program::new(&script, &options, schema)?);
        Ok(Analysis {
            script,
            options,
            program,
        })
    }

    /// Compiles `script` against the branches of its own `input` when that file can be read,
    /// else with types assumed from the names; [`Analysis::open`] compiles again should the
    /// files run over have other branch types. A script that fits other files than its own
    /// `input` (a parameter naming a branch only they have) is accepted when it compiles
    /// with assumed types: its branches are checked when it runs. Otherwise the errors
    /// against its `input` are returned, whose hints name the branches there.
    pub fn new(script: Script, options: Options) -> Result<Analysis, AnalysisError> {
        let tree = tree_name(&script, &options);
        let schema = match inputs::resolve(script.dir(), &script.source, &[]) {
            Ok(ScriptInput::Files(files)) => inputs::first_schema(&files, &tree, false)
                .ok()
                .map(|(s, _)| s),
            _ => None,
        };
        let Some(schema) = schema else {
            return Analysis::compile(script, options, None);
        };
        match Program::new(&script, &options, Some(schema)) {
            Ok(program) => Ok(Analysis {
                script,
                options,
                program: Arc::new(program),
            }),
            Err(e @ AnalysisError::Script(_)) => match Program::new(&script, &options, None) {
                Ok(program) => Ok(Analysis {
                    script,
                    options,
                    program: Arc::new(program),
                }),
                Err(_) => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    /// Resolves the inputs, compiles against the first file's branches and opens every file:
    /// `ana run`'s way in, which opens the first file once.
    pub fn open_inputs(
        script: Script,
        options: Options,
        files: &[PathBuf],
        plan: ChunkPlan,
    ) -> Result<Job, AnalysisError> {
        let tree = tree_name(&script, &options);
        let (schema, opened) = inputs::first_schema(files, &tree, plan.skip_unreadable)?;
        let analysis = Analysis::compile(script, options, Some(schema))?;
        analysis.job(Arc::clone(&analysis.program), files, plan, opened)
    }

    pub fn script(&self) -> &Script {
        &self.script
    }

    /// The compiled script: its graph, parameters, tree and overview.
    pub fn compiled(&self) -> &Compiled {
        &self.program.compiled
    }

    /// Compiling and building the engine (the JIT's code generation included).
    pub fn compile_time(&self) -> Duration {
        self.program.compile_time
    }

    /// The files a run reads: `given`, else the script's `input`.
    pub fn inputs(&self, given: &[String]) -> Result<Vec<PathBuf>, InputError> {
        self.script.inputs(given)
    }

    /// Opens `files` and plans their chunks; compiles again if their branches differ from
    /// those the script was compiled against.
    pub fn open(&self, files: &[PathBuf], plan: ChunkPlan) -> Result<Job, AnalysisError> {
        let tree = tree_name(&self.script, &self.options);
        let (schema, opened) = inputs::first_schema(files, &tree, plan.skip_unreadable)?;
        let program = if self.program.schema.as_ref() == Some(&schema) {
            Arc::clone(&self.program)
        } else {
            Arc::new(Program::new(&self.script, &self.options, Some(schema))?)
        };
        self.job(program, files, plan, opened)
    }

    fn job(
        &self,
        program: Arc<Program>,
        files: &[PathBuf],
        plan: ChunkPlan,
        opened: (usize, crate::root::Tree),
    ) -> Result<Job, AnalysisError> {
        let compiled = &program.compiled;
        let source = RootSource::open(files, &compiled.tree, &compiled.graph, plan, Some(opened))?;
        Ok(Job {
            script: self.script.record(),
            engine: self.options.engine,
            program,
            source,
        })
    }
}

/// The tree read: the caller's, else the script's `tree`, else `Events`.
fn tree_name(script: &Script, options: &Options) -> String {
    options
        .tree
        .clone()
        .or_else(|| ana_compiler::declared_tree(&script.source))
        .unwrap_or_else(|| "Events".to_string())
}

/// A compiled script over opened inputs, planned as chunks.
pub struct Job {
    script: ScriptRecord,
    engine: EngineKind,
    program: Arc<Program>,
    source: RootSource,
}

impl Job {
    pub fn compiled(&self) -> &Compiled {
        &self.program.compiled
    }

    pub fn graph(&self) -> &Graph {
        &self.program.compiled.graph
    }

    pub fn compile_time(&self) -> Duration {
        self.program.compile_time
    }

    /// The run's chunks, in order.
    pub fn chunks(&self) -> &[Chunk] {
        self.source.chunks()
    }

    /// Advice about the chunk plan (see [`RootSource::plan_warning`]).
    pub fn plan_warning(&self) -> Option<String> {
        self.source.plan_warning()
    }

    /// A configuration for this job's runs: `run.json`'s script, parameters and engine
    /// filled in.
    pub fn config(&self, out_dir: impl Into<PathBuf>) -> RunConfig {
        let mut config = RunConfig::new(out_dir);
        config.engine_name = self.engine.name().to_string();
        config.script = Some(self.script.clone());
        config.parameters = self
            .compiled()
            .params
            .iter()
            .map(ParamRecord::from)
            .collect();
        config
    }

    /// Runs every chunk and writes the outputs into `config.out_dir` as they merge (table
    /// rows are not kept in memory).
    pub fn run_to_dir(&self, config: &RunConfig) -> Result<RunSummary, RunError> {
        exec::run_source(
            config,
            self.graph(),
            self.program.engine.as_ref(),
            &self.source,
        )
    }

    /// Runs every chunk and keeps the merged results in memory.
    pub fn run(&self, config: &RunConfig) -> Result<Results, AnalysisError> {
        let graph = self.graph();
        let threads = exec::worker_threads(config.threads, self.chunks().len()).threads;
        exec::check_histogram_memory(graph, threads, config.memory_limit)?;
        let mut merged = Partial::empty(graph);
        let execution = exec::execute(
            config,
            graph,
            self.program.engine.as_ref(),
            &self.source,
            &mut |output| {
                merged
                    .merge(Partial { entries: 0, output })
                    .map_err(|e| RunError::Input(e.to_string()))
            },
        )?;
        merged.entries = execution.entries;
        let buffers = std::mem::take(&mut merged.output.tables);
        let strings = Arc::new(graph.strings.clone());
        let tables = graph
            .tables
            .iter()
            .zip(buffers)
            .map(|(spec, buf)| Table::new(spec, strings.clone(), buf))
            .collect::<Result<_, _>>()
            .map_err(RunError::from)?;
        let mut config = config.clone();
        config.cancel = None;
        config.entries_done = None;
        config.progress = false;
        Ok(Results {
            program: Arc::clone(&self.program),
            counts: merged,
            tables,
            execution,
            config,
        })
    }

    /// Runs chunk number `index` alone.
    pub fn run_chunk(&self, index: usize) -> Result<Partial, AnalysisError> {
        let chunk = self.chunks().get(index).ok_or_else(|| {
            RunError::Input(format!(
                "no chunk number {index} (the run has {})",
                self.chunks().len()
            ))
        })?;
        let output = exec::run_chunk(
            self.graph(),
            self.program.engine.as_ref(),
            &self.source,
            chunk,
        )?;
        Ok(Partial {
            entries: chunk.entries.end - chunk.entries.start,
            output,
        })
    }

    /// Writes `merged` (every chunk's partial, merged in chunk order) into `config.out_dir`
    /// as [`Job::run_to_dir`] would have.
    pub fn write(&self, merged: Partial, config: &RunConfig) -> Result<RunSummary, AnalysisError> {
        let files = self.source.files();
        let mut read_per_file = vec![0; files.len()];
        for c in self.chunks() {
            if let Some(n) = read_per_file.get_mut(c.file) {
                *n += c.entries.end - c.entries.start;
            }
        }
        let execution = Execution {
            entries: merged.entries,
            chunks: self.chunks().len(),
            threads: 1,
            skipped_per_file: vec![0; files.len()],
            files,
            tree: self.source.tree(),
            read_per_file,
            skipped: Vec::new(),
            entries_skipped: 0,
            wall: Duration::ZERO,
            remote: self.source.remote_traffic(),
        };
        Ok(exec::write_results(
            config,
            self.graph(),
            &execution,
            merged.output,
            &[],
        )?)
    }
}

/// A whole run's merged results, in memory.
pub struct Results {
    program: Arc<Program>,
    /// Histograms and cutflow counts (its tables are in `tables`).
    counts: Partial,
    tables: Vec<Table>,
    execution: Execution,
    /// The run's configuration, for `run.json`.
    config: RunConfig,
}

impl Results {
    pub fn graph(&self) -> &Graph {
        &self.program.compiled.graph
    }

    pub fn compiled(&self) -> &Compiled {
        &self.program.compiled
    }

    /// Entries read (those of skipped chunks left out).
    pub fn entries(&self) -> u64 {
        self.counts.entries
    }

    /// Each histogram's storage, in `Graph::hists` order.
    pub fn hists(&self) -> &[HistBuffer] {
        &self.counts.output.hists
    }

    /// Each table's rows, in `Graph::tables` order.
    pub fn tables(&self) -> &[Table] {
        &self.tables
    }

    pub fn cutflow(&self) -> Cutflow {
        Cutflow::new(
            self.graph(),
            self.counts.entries,
            &self.counts.output.cutflow,
            &self.counts.output.cutflows,
        )
    }

    /// What the workers did (entries per file, skipped inputs, threads, wall time).
    pub fn execution(&self) -> &Execution {
        &self.execution
    }

    /// Writes the outputs into `out_dir`, as `ana run -o` does (the same files, replacing
    /// OUT in one step); `cancel` stops the writing between files.
    pub fn write(
        &self,
        out_dir: &Path,
        cancel: Option<Arc<std::sync::atomic::AtomicBool>>,
    ) -> Result<RunSummary, RunError> {
        let mut config = self.config.clone();
        config.out_dir = out_dir.to_path_buf();
        config.cancel = cancel;
        exec::write_results(
            &config,
            self.graph(),
            &self.execution,
            self.counts.output.clone(),
            &self.tables,
        )
    }
}
