//! Parallel execution of a graph over many chunks, with results merged in chunk order.
//!
//! Input: a plan of chunks (entry ranges of one or many files, from a [`ChunkSource`]), an
//! engine, a graph. Output: the run's merged histograms, table rows and cutflow, written by
//! `output` into a staging folder that replaces the output directory at the end.
//! Invariants:
//! - Results do not depend on the number of threads: workers (a rayon pool) fill their own
//!   partials, and partials are merged strictly in chunk order (histograms added, table
//!   batches appended), with a bounded reorder window.
//! - At most `2 * threads` chunks are in flight or waiting to be merged, so peak memory is
//!   bounded by threads x chunk size, not by the dataset.
//! - A failed or interrupted run leaves an earlier output directory untouched.

mod limits;
mod plan;
mod prefetch;
mod source;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ana_compiler::abi::{ChunkInput, ChunkOutput, Engine, EngineError, InputColumn};
use ana_compiler::graph::Graph;

use crate::output::{
    self, Cutflow, InputRecord, OutputError, ParamRecord, RunRecord, ScriptRecord, SkippedRecord,
    StagedDir, Table, TableRecord, TableSummary, TableWriter,
};

pub use limits::{
    Threads, check_histogram_memory, default_memory_limit, histogram_bytes, human_bytes,
    parse_size, worker_threads,
};
pub use plan::{Chunk, limit, split_ranges};
pub use source::{ChunkPlan, RootSource};

/// How to run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// The output directory (replaced as a whole at the end of a successful run).
    pub out_dir: PathBuf,
    /// Worker threads; 0 means one per core. Capped by [`worker_threads`].
    pub threads: usize,
    /// Most bytes the histograms' copies may take; `None`: half the physical memory.
    pub memory_limit: Option<u64>,
    /// Entries per chunk; `None` lets the source choose (about [`DEFAULT_CHUNK_BYTES`]).
    pub chunk_entries: Option<u64>,
    /// Stop after this many entries in total.
    pub max_entries: Option<u64>,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// For `run.json`: the engine's name and the script.
    pub engine_name: String,
    pub script: Option<ScriptRecord>,
    /// For `run.json`: every script parameter's value and where it came from.
    pub parameters: Vec<ParamRecord>,
    /// Set (e.g. by a SIGINT handler) to stop the run; the outputs are then not written.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Rows per Parquet part file.
    pub rows_per_part: usize,
    /// Skip chunks that cannot be read (or that the engine refuses) instead of failing the
    /// run; they are reported in the summary and `run.json`.
    pub keep_going: bool,
    /// Counts the entries merged so far, for a progress display the caller draws itself
    /// (the Python module's, which must not write to a notebook's stderr from a worker).
    pub entries_done: Option<Arc<std::sync::atomic::AtomicU64>>,
}

/// Decoded bytes per chunk that sources aim for when no `chunk_entries` is given: about what
/// a core's L2 cache holds, so that the kernel reads the columns decompression just wrote
/// from the cache (16 MB chunks: dimuon 10M events 2-4% slower, on 1 and 2 threads).
pub const DEFAULT_CHUNK_BYTES: u64 = 4 << 20;

impl RunConfig {
    pub fn new(out_dir: impl Into<PathBuf>) -> RunConfig {
        RunConfig {
            out_dir: out_dir.into(),
            threads: 0,
            memory_limit: None,
            chunk_entries: None,
            max_entries: None,
            progress: false,
            engine_name: "interp".into(),
            script: None,
            parameters: Vec::new(),
            cancel: None,
            rows_per_part: output::ROWS_PER_PART,
            keep_going: false,
            entries_done: None,
        }
    }
}

/// Where chunks come from: planned entry ranges, read into engine columns.
pub trait ChunkSource: Sync {
    /// The chunks of the run, in order (already cut to `max_entries`).
    fn chunks(&self) -> &[Chunk];
    /// The graph's branches (in `Graph::branches` order) for one chunk.
    fn read(&self, chunk: &Chunk) -> Result<Vec<InputColumn>, RunError>;
    /// The input files, with their entries (for `run.json`).
    fn files(&self) -> Vec<(String, u64)>;
    fn tree(&self) -> String;
    /// Inputs already left out when the source was opened (`--keep-going`).
    fn unreadable(&self) -> Vec<SkippedRecord> {
        Vec::new()
    }
    /// Requests sent to servers for remote inputs so far, and the bytes received; `None`
    /// when all are local.
    fn remote_traffic(&self) -> Option<crate::remote::Traffic> {
        None
    }
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct RunSummary {
    pub entries: u64,
    pub chunks: usize,
    pub threads: usize,
    pub cutflow: Cutflow,
    pub tables: Vec<TableSummary>,
    pub histograms: Vec<String>,
    pub wall: Duration,
    pub out_dir: PathBuf,
    /// Inputs left out by `--keep-going`, and their entries.
    pub skipped: Vec<SkippedRecord>,
    pub entries_skipped: u64,
    /// Histograms with bins whose contents are NaN or infinite (written as JSON `null`),
    /// and how many such bins, in declaration order.
    pub non_finite: Vec<(String, u64)>,
    /// Per histogram, in declaration order, the fills skipped because a value was missing.
    pub missing: Vec<(String, u64)>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Input(String),
    #[error("{file}, entries {start}..{end}: {error}")]
    Engine {
        file: String,
        start: u64,
        end: u64,
        error: EngineError,
    },
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("cannot start worker threads: {0}")]
    Threads(String),
    #[error("interrupted: the previous outputs were left untouched")]
    Interrupted,
    #[error("{0}")]
    Memory(String),
}

/// Runs `graph` with `engine` over the chunks of `source` and writes the outputs: table rows
/// stream into the staging folder as chunks merge, so memory stays bounded by the chunks in
/// flight whatever the tables' size.
pub fn run_source(
    config: &RunConfig,
    graph: &Graph,
    engine: &dyn Engine,
    source: &dyn ChunkSource,
) -> Result<RunSummary, RunError> {
    let started = Instant::now();
    let threads = worker_threads(config.threads, source.chunks().len()).threads;
    check_histogram_memory(graph, threads, config.memory_limit)?;
    let staged = stage(config, &source.files())?;
    let mut merger = Merger::new(graph, staged.path(), config.rows_per_part)?;
    let run = execute(config, graph, engine, source, &mut |out| {
        merger.add(out).map_err(RunError::from)
    })?;
    finish(config, graph, staged, merger, &run, started)
}

/// Writes results merged elsewhere (in memory, or from partials of other processes) exactly
/// as [`run_source`] writes its own: the same files, replacing OUT in one step.
/// `tables` are rows kept in memory as Arrow arrays, written after `merged`'s own.
pub fn write_results(
    config: &RunConfig,
    graph: &Graph,
    run: &Execution,
    merged: ChunkOutput,
    tables: &[Table],
) -> Result<RunSummary, RunError> {
    let started = Instant::now();
    let staged = stage(config, &run.files)?;
    let mut merger = Merger::new(graph, staged.path(), config.rows_per_part)?;
    merger.add(merged)?;
    for (w, t) in merger.tables.iter_mut().zip(tables) {
        w.append_table(t)?;
    }
    let mut summary = finish(config, graph, staged, merger, run, started)?;
    summary.wall = run.wall;
    Ok(summary)
}

/// The staging folder beside OUT, once OUT is known to be replaceable (inputs and the script
/// never are) and no other run writes it.
fn stage(config: &RunConfig, files: &[(String, u64)]) -> Result<StagedDir, RunError> {
    let mut inputs: Vec<PathBuf> = files.iter().map(|f| PathBuf::from(&f.0)).collect();
    inputs.extend(config.script.as_ref().map(|s| PathBuf::from(&s.path)));
    StagedDir::new(
        &config.out_dir,
        &inputs,
        config.cancel.as_deref(),
        &mut |pid| {
            // A closed stderr is no reason to fail the run: the message is only a courtesy.
            let pid = pid.map_or(String::new(), |p| format!(" (pid {p})"));
            let _ = writeln!(
                std::io::stderr(),
                "waiting for another ana run writing {}{pid}",
                config.out_dir.display()
            );
        },
    )
    .map_err(|e| match e {
        OutputError::Cancelled => RunError::Interrupted,
        e => e.into(),
    })
}

/// What the workers did: the entries read and left out, per file.
#[derive(Clone, Debug)]
pub struct Execution {
    /// Entries read (those of skipped chunks left out).
    pub entries: u64,
    pub chunks: usize,
    pub threads: usize,
    /// The input files with their entries, and the tree read.
    pub files: Vec<(String, u64)>,
    pub tree: String,
    pub read_per_file: Vec<u64>,
    pub skipped_per_file: Vec<u64>,
    pub skipped: Vec<SkippedRecord>,
    pub entries_skipped: u64,
    pub wall: Duration,
    /// Requests sent and bytes received for remote inputs (none when every input is local).
    pub remote: Option<crate::remote::Traffic>,
}

/// Runs every chunk of `source` on a pool of workers and hands their partials to `sink`
/// strictly in chunk order.
pub fn execute(
    config: &RunConfig,
    graph: &Graph,
    engine: &dyn Engine,
    source: &dyn ChunkSource,
    sink: &mut dyn FnMut(ChunkOutput) -> Result<(), RunError>,
) -> Result<Execution, RunError> {
    let started = Instant::now();
    let chunks = source.chunks();
    let threads = worker_threads(config.threads, chunks.len()).threads;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("ana-worker-{i}"))
        .build()
        .map_err(|e| RunError::Threads(e.to_string()))?;
    let total: u64 = chunks.iter().map(|c| c.entries.end - c.entries.start).sum();
    let bar = progress_bar(config.progress, total);
    let stop = AtomicBool::new(false);
    let cancelled = || {
        stop.load(Ordering::Relaxed)
            || config
                .cancel
                .as_ref()
                .is_some_and(|c| c.load(Ordering::Relaxed))
    };
    let cancelled = &cancelled;
    let window = 2 * threads;
    let files = source.files();
    let mut skipped = source.unreadable();
    // By the chunk's file index: the same path may be listed more than once.
    let mut skipped_per_file: Vec<u64> = vec![0; files.len()];
    let result = pool.in_place_scope(|scope| -> Result<(), RunError> {
        let (tx, rx) = crossbeam_channel::unbounded::<(usize, Result<ChunkOutput, RunError>)>();
        let mut pending = BTreeMap::new();
        let (mut spawned, mut merged, mut outcome) = (0usize, 0usize, Ok(()));
        let mut in_flight = 0usize;
        loop {
            while outcome.is_ok()
                && !cancelled()
                && spawned < chunks.len()
                && spawned < merged + window
            {
                let (i, tx) = (spawned, tx.clone());
                scope.spawn(move |_| {
                    // Chunks queued behind the workers are dropped at once when the run
                    // stops: only the ones already running delay its end.
                    #[expect(clippy::indexing_slicing, reason = "`i < chunks.len()`: see the loop")]
                    let res = if cancelled() {
                        Err(RunError::Interrupted)
                    } else {
                        run_chunk(graph, engine, source, &chunks[i])
                    };
                    let _ = tx.send((i, res));
                });
                spawned += 1;
                in_flight += 1;
            }
            if in_flight == 0 {
                break;
            }
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok((i, res)) => {
                    in_flight -= 1;
                    pending.insert(i, res);
                }
                Err(_) => continue,
            }
            while outcome.is_ok()
                && let Some(res) = pending.remove(&merged)
            {
                #[expect(
                    clippy::indexing_slicing,
                    reason = "`merged` is a key of `pending`: a spawned chunk's index"
                )]
                let chunk = &chunks[merged];
                let res = match res {
                    Err(e @ (RunError::Input(_) | RunError::Engine { .. }))
                        if config.keep_going =>
                    {
                        let n = chunk.entries.end - chunk.entries.start;
                        if let Some(k) = skipped_per_file.get_mut(chunk.file) {
                            *k += n;
                        }
                        skipped.push(SkippedRecord {
                            path: files
                                .get(chunk.file)
                                .map(|f| f.0.clone())
                                .unwrap_or_default(),
                            entries: Some(n),
                            error: e.to_string(),
                        });
                        Ok(())
                    }
                    res => res.and_then(&mut *sink),
                };
                match res {
                    Ok(()) => {
                        let n = chunk.entries.end - chunk.entries.start;
                        bar.inc(n);
                        if let Some(done) = &config.entries_done {
                            done.fetch_add(n, Ordering::Relaxed);
                        }
                        merged += 1;
                    }
                    Err(e) => {
                        stop.store(true, Ordering::Relaxed);
                        outcome = Err(e);
                    }
                }
            }
        }
        outcome?;
        if merged < chunks.len() {
            return Err(RunError::Interrupted);
        }
        Ok(())
    });
    bar.finish_and_clear();
    result?;
    if cancelled() {
        return Err(RunError::Interrupted);
    }
    let mut read_per_file: Vec<u64> = vec![0; files.len()];
    for c in chunks {
        if let Some(n) = read_per_file.get_mut(c.file) {
            *n += c.entries.end - c.entries.start;
        }
    }
    for (read, skipped) in read_per_file.iter_mut().zip(&skipped_per_file) {
        *read -= skipped;
    }
    let entries_skipped: u64 = skipped_per_file.iter().sum();
    Ok(Execution {
        entries: total - entries_skipped,
        chunks: chunks.len(),
        threads,
        files,
        tree: source.tree(),
        read_per_file,
        skipped_per_file,
        skipped,
        entries_skipped,
        wall: started.elapsed(),
        remote: source.remote_traffic(),
    })
}

/// Writes the merged results, `run.json` last, and swaps the staging folder in.
fn finish(
    config: &RunConfig,
    graph: &Graph,
    staged: StagedDir,
    merger: Merger,
    run: &Execution,
    started: Instant,
) -> Result<RunSummary, RunError> {
    let cancelled = || {
        config
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    };
    let non_finite = merger.non_finite(graph);
    let missing: Vec<(String, u64)> = graph
        .hists
        .iter()
        .zip(&merger.total.missing)
        .map(|(h, &n)| (h.name.clone(), n))
        .collect();
    // Writing the outputs may take seconds (large histograms, many tables): a signal meanwhile
    // stops between files.
    let (cutflow, tables, histograms) =
        merger.finish(graph, staged.path(), run.entries, &cancelled)?;
    let wall = started.elapsed();
    let record = RunRecord {
        ana_version: env!("CARGO_PKG_VERSION").into(),
        script: config.script.clone(),
        parameters: config.parameters.clone(),
        tree: run.tree.clone(),
        inputs: run
            .files
            .iter()
            .zip(run.read_per_file.iter().zip(&run.skipped_per_file))
            .map(|((path, entries), (&read, &skipped))| InputRecord {
                path: path.clone(),
                entries: *entries,
                entries_read: read,
                entries_skipped: skipped,
            })
            .collect(),
        entries_read: run.entries,
        engine: config.engine_name.clone(),
        threads: run.threads,
        chunks: run.chunks,
        wall_seconds: wall.as_secs_f64(),
        tables: tables
            .iter()
            .map(|t| TableRecord {
                name: t.name.clone(),
                rows: t.rows,
                parts: t.parts,
            })
            .collect(),
        skipped: run.skipped.clone(),
        entries_skipped: run.entries_skipped,
        non_finite: non_finite.iter().cloned().collect(),
        missing_fills: missing.iter().cloned().collect(),
        remote_requests: run.remote.map(|t| t.requests),
        remote_bytes: run.remote.map(|t| t.bytes),
    };
    output::write_json(&staged.path().join("run.json"), &record)?;
    if cancelled() {
        return Err(RunError::Interrupted);
    }
    staged.commit()?;
    Ok(RunSummary {
        entries: run.entries,
        chunks: run.chunks,
        threads: run.threads,
        cutflow,
        tables,
        histograms,
        wall,
        out_dir: config.out_dir.clone(),
        skipped: run.skipped.clone(),
        entries_skipped: run.entries_skipped,
        non_finite,
        missing,
    })
}

pub(crate) fn run_chunk(
    graph: &Graph,
    engine: &dyn Engine,
    source: &dyn ChunkSource,
    chunk: &Chunk,
) -> Result<ChunkOutput, RunError> {
    let columns = source.read(chunk)?;
    let n_events = usize::try_from(chunk.entries.end - chunk.entries.start)
        .map_err(|_| RunError::Input("chunk too large for this platform".into()))?;
    let mut out = ChunkOutput::new(graph);
    engine
        .run_chunk(
            ChunkInput {
                n_events,
                columns: &columns,
            },
            &mut out,
        )
        .map_err(|error| RunError::Engine {
            file: source
                .files()
                .get(chunk.file)
                .map(|f| f.0.clone())
                .unwrap_or_default(),
            start: chunk.entries.start,
            end: chunk.entries.end,
            error,
        })?;
    Ok(out)
}

/// Adds `part`'s histograms and cutflow counts to `acc`'s (tables are appended elsewhere:
/// to Parquet files as they come, or to a partial in memory).
pub fn add_counts(total: &mut ChunkOutput, part: &ChunkOutput) {
    for (acc, h) in total.hists.iter_mut().zip(&part.hists) {
        for (acc, arr) in acc.arrays_mut().zip(h.arrays()) {
            for (a, b) in acc.iter_mut().zip(arr) {
                *a += b;
            }
        }
    }
    for (acc, c) in total.cutflow.iter_mut().zip(&part.cutflow) {
        *acc += c;
    }
    for (acc, c) in total.missing.iter_mut().zip(&part.missing) {
        *acc += c;
    }
    // In chunk order, row by row: the same sums whichever engine or thread count.
    for (acc, c) in total.cutflows.iter_mut().zip(&part.cutflows) {
        for (a, b) in acc.events.iter_mut().zip(&c.events) {
            *a += b;
        }
        for (a, b) in acc.sumw.iter_mut().zip(&c.sumw) {
            *a += b;
        }
    }
}

/// The run's results so far: partials added in chunk order.
struct Merger {
    total: ChunkOutput,
    tables: Vec<TableWriter>,
}

impl Merger {
    fn new(graph: &Graph, dir: &Path, rows_per_part: usize) -> Result<Merger, OutputError> {
        let mut total = ChunkOutput::new(graph);
        total.tables.clear();
        let strings = std::sync::Arc::new(graph.strings.clone());
        let tables = graph
            .tables
            .iter()
            .map(|t| TableWriter::new(dir, t, strings.clone(), rows_per_part))
            .collect::<Result<_, _>>()?;
        Ok(Merger { total, tables })
    }

    fn add(&mut self, part: ChunkOutput) -> Result<(), OutputError> {
        add_counts(&mut self.total, &part);
        for (w, t) in self.tables.iter_mut().zip(part.tables) {
            w.append(t)?;
        }
        Ok(())
    }

    /// Bins whose sum of weights or of squared weights is NaN or infinite, per histogram
    /// that has any: JSON cannot hold those values, so they are written as `null`.
    fn non_finite(&self, graph: &Graph) -> Vec<(String, u64)> {
        graph
            .hists
            .iter()
            .zip(&self.total.hists)
            .filter_map(|(spec, h)| {
                let n = (0..h.sumw.len())
                    .filter(|&i| h.arrays().any(|a| a.get(i).is_some_and(|x| !x.is_finite())))
                    .count() as u64;
                (n > 0).then(|| (spec.name.clone(), n))
            })
            .collect()
    }

    /// Writes the merged results; `cancelled` is asked before each file.
    fn finish(
        self,
        graph: &Graph,
        dir: &Path,
        entries: u64,
        cancelled: &dyn Fn() -> bool,
    ) -> Result<(Cutflow, Vec<TableSummary>, Vec<String>), RunError> {
        let go_on = || {
            if cancelled() {
                Err(RunError::Interrupted)
            } else {
                Ok(())
            }
        };
        go_on()?;
        output::write_histograms(&dir.join("histograms.json"), graph, &self.total.hists)?;
        go_on()?;
        let cutflow = Cutflow::new(graph, entries, &self.total.cutflow, &self.total.cutflows);
        output::write_json(&dir.join("cutflow.json"), &cutflow)?;
        let tables = self
            .tables
            .into_iter()
            .map(|t| {
                go_on()?;
                Ok(t.finish()?)
            })
            .collect::<Result<Vec<_>, RunError>>()?;
        Ok((
            cutflow,
            tables,
            graph.hists.iter().map(|h| h.name.clone()).collect(),
        ))
    }
}

fn progress_bar(show: bool, total: u64) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template(
        "{elapsed_precise} [{bar:30}] {human_pos}/{human_len} events, {per_sec}, eta {eta}",
    )
    .map(|s| s.progress_chars("=> "));
    if let Ok(style) = style {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests;
