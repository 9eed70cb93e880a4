//! `ana._ana`, the compiled half of the `ana` Python package: a thin caller of the runtime's
//! facade (`ana_runtime::analysis`). The Python half (`python/ana/__init__.py`) turns its
//! results into `hist`, pandas and pyarrow objects, draws the progress bar and documents the
//! API.
//!
//! Invariants: no panic crosses into Python (a run's worker thread catches any, and every
//! error is a Python exception); the GIL is released while a run executes, and the calling
//! thread wakes every 100 ms to let Python handle signals (Ctrl-C cancels the run).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use ana_runtime::analysis::{self, AnalysisError, EngineKind, Options, Script};
use ana_runtime::exec::{ChunkPlan, RunError};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyKeyboardInterrupt, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

create_exception!(_ana, AnaError, PyException, "Base class of ana's errors.");
create_exception!(
    _ana,
    ScriptError,
    AnaError,
    "The script has errors: str() is the rendering `ana check` prints; `.diagnostics` the same as data."
);
create_exception!(
    _ana,
    InputError,
    AnaError,
    "An input cannot be used (missing, unreadable, corrupt, not ROOT, without the tree or a branch); the message names the file."
);

/// A table column for Python: (name, pyarrow type name, address, bytes, rows).
type RawColumn = (String, &'static str, usize, usize, usize);

/// One error in a script.
#[pyclass(module = "ana", frozen, get_all)]
struct Diagnostic {
    /// Stable code, e.g. `ana::check::unknown_name`.
    code: String,
    message: String,
    /// 1-based line and column (in characters) of the span's start.
    line: usize,
    column: usize,
    /// Text under the span.
    label: String,
    /// What to do about it.
    help: String,
}

#[pymethods]
impl Diagnostic {
    fn __repr__(&self) -> String {
        format!(
            "Diagnostic(code={:?}, line={}, column={}, message={:?})",
            self.code, self.line, self.column, self.message
        )
    }
}

/// The diagnostics as the CLI prints them without colour, and as data.
fn script_error(py: Python<'_>, source: &str, diags: ana_compiler::Diagnostics) -> PyErr {
    let handler = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::none())
        .with_width(100)
        .with_links(false);
    let lines = ana_compiler::diagnostics::LineIndex::new(source);
    let mut text = String::new();
    let mut data = Vec::new();
    for d in &diags.shown {
        let mut one = String::new();
        if handler.render_report(&mut one, d).is_err() {
            one = format!("{}: {}", d.code, d.message);
        }
        text.push_str(one.trim_end());
        text.push('\n');
        let line = lines.line(d.span.start);
        let line_start = source
            .get(..d.span.start)
            .and_then(|before| before.rfind(['\n', '\r']).map(|i| i + 1))
            .unwrap_or(0);
        let column = source
            .get(line_start..d.span.start)
            .map_or(1, |s| s.chars().count() + 1);
        data.push(Diagnostic {
            code: d.code.to_string(),
            message: d.message.clone(),
            line: line + 1,
            column,
            label: d.label.clone(),
            help: d.help.clone(),
        });
    }
    if let Some(note) = diags.omitted_note() {
        text.push_str(&note);
        text.push('\n');
    }
    let err = ScriptError::new_err(text.trim_end().to_string());
    let list: Vec<Py<Diagnostic>> = data
        .into_iter()
        .filter_map(|d| Py::new(py, d).ok())
        .collect();
    let _ = err.value(py).setattr("diagnostics", list);
    err
}

fn run_error(e: RunError) -> PyErr {
    match e {
        RunError::Interrupted => PyKeyboardInterrupt::new_err("interrupted: the run was cancelled"),
        e @ (RunError::Input(_) | RunError::Engine { .. }) => InputError::new_err(e.to_string()),
        e => AnaError::new_err(e.to_string()),
    }
}

fn error(py: Python<'_>, source: &str, e: AnalysisError) -> PyErr {
    match e {
        AnalysisError::Script(d) => script_error(py, source, d),
        AnalysisError::ReadScript { .. } | AnalysisError::Input(_) => {
            InputError::new_err(e.to_string())
        }
        AnalysisError::Run(e) => run_error(e),
        e => AnaError::new_err(e.to_string()),
    }
}

/// A compiled script (see `ana.Analysis`).
#[pyclass(module = "ana._ana", frozen)]
struct Analysis {
    inner: Arc<analysis::Analysis>,
}

/// What a run's worker thread reports to the waiting caller.
enum Report {
    /// The inputs are open: the entries to read.
    Planned(u64),
    Done(Box<Result<analysis::Results, AnalysisError>>),
    Panicked(String),
}

#[pymethods]
impl Analysis {
    #[new]
    #[pyo3(signature = (path=None, source=None, name=None, params=Vec::new(), tree=None, engine="jit"))]
    fn new(
        py: Python<'_>,
        path: Option<PathBuf>,
        source: Option<String>,
        name: Option<String>,
        params: Vec<(String, String)>,
        tree: Option<String>,
        engine: &str,
    ) -> PyResult<Analysis> {
        let engine = match engine {
            "jit" => EngineKind::Jit,
            "interp" => EngineKind::Interp,
            other => {
                return Err(PyValueError::new_err(format!(
                    "engine {other:?}: expected \"jit\" or \"interp\""
                )));
            }
        };
        let script = match (path, source) {
            (Some(p), None) => Script::read(&p).map_err(|e| error(py, "", e))?,
            (None, Some(text)) => Script::inline(name.as_deref().unwrap_or("<script>"), &text),
            _ => {
                return Err(PyValueError::new_err(
                    "give a script file, or its text with source=",
                ));
            }
        };
        let options = Options {
            params,
            tree,
            engine,
        };
        let text = script.source.clone();
        let inner = py
            .detach(|| {
                std::panic::catch_unwind(|| analysis::Analysis::new(script, options))
                    .map_err(|_| {
                        AnalysisError::Codegen("internal error (a panic) while compiling".into())
                    })
                    .and_then(|r| r)
            })
            .map_err(|e| error(py, &text, e))?;
        Ok(Analysis {
            inner: Arc::new(inner),
        })
    }

    /// The script's name (its path, or the name given with its text).
    #[getter]
    fn name(&self) -> String {
        self.inner.script().name.clone()
    }

    /// Every parameter with its value and where it came from: (name, value, "default" | "set").
    #[getter]
    fn params(&self) -> Vec<(String, String, String)> {
        self.inner
            .compiled()
            .params
            .iter()
            .map(|p| {
                let r = ana_runtime::output::ParamRecord::from(p);
                let value = match r.value {
                    serde_json::Value::String(s) => s,
                    v => v.to_string(),
                };
                let source = if p.set { "set" } else { "default" };
                (p.name.clone(), value, source.to_string())
            })
            .collect()
    }

    /// The graph as text or Graphviz DOT, at the analysis level or the compiler's IR.
    #[pyo3(signature = (format="text", level="analysis"))]
    fn graph(&self, format: &str, level: &str) -> PyResult<String> {
        let c = self.inner.compiled();
        match (level, format) {
            ("analysis", "text") => Ok(c.overview.text()),
            ("analysis", "dot") => Ok(c.overview.dot()),
            ("ir", "text") => Ok(ana_compiler::dump::text(&c.graph)),
            ("ir", "dot") => Ok(ana_compiler::dump::dot(&c.graph)),
            _ => Err(PyValueError::new_err(format!(
                "graph(format={format:?}, level={level:?}): format is \"text\" or \"dot\", level \"analysis\" or \"ir\""
            ))),
        }
    }

    /// Runs over `files` (paths and glob patterns; none: the script's input) with the GIL
    /// released; `progress(done, total)` is called about every 100 ms with the entries merged.
    #[pyo3(signature = (files, threads=0, max_entries=None, chunk_entries=None, keep_going=false, progress=None))]
    #[expect(
        clippy::too_many_arguments,
        reason = "Python's keyword arguments, each optional"
    )]
    fn run(
        &self,
        py: Python<'_>,
        files: Vec<String>,
        threads: usize,
        max_entries: Option<u64>,
        chunk_entries: Option<u64>,
        keep_going: bool,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Results> {
        let cancel = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        let (tx, rx) = crossbeam_channel::unbounded();
        let worker = {
            let (inner, cancel, done) = (
                Arc::clone(&self.inner),
                Arc::clone(&cancel),
                Arc::clone(&done),
            );
            move || {
                let work = || -> Result<analysis::Results, AnalysisError> {
                    let paths = inner.inputs(&files)?;
                    let plan = ChunkPlan {
                        chunk_entries,
                        max_entries,
                        skip_unreadable: keep_going,
                    };
                    let job = inner.open(&paths, plan)?;
                    let total = job
                        .chunks()
                        .iter()
                        .map(|c| c.entries.end - c.entries.start)
                        .sum();
                    let _ = tx.send(Report::Planned(total));
                    let mut config = job.config(PathBuf::new());
                    config.threads = threads;
                    config.cancel = Some(cancel);
                    config.entries_done = Some(done);
                    config.keep_going = keep_going;
                    job.run(&config)
                };
                let report = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
                    Ok(r) => Report::Done(Box::new(r)),
                    Err(p) => Report::Panicked(
                        p.downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| p.downcast_ref::<String>().cloned())
                            .unwrap_or_default(),
                    ),
                };
                let _ = tx.send(report);
            }
        };
        std::thread::Builder::new()
            .name("ana-run".into())
            .spawn(worker)
            .map_err(|e| AnaError::new_err(format!("cannot start the run: {e}")))?;
        let mut total = 0;
        loop {
            let report = py.detach(|| rx.recv_timeout(Duration::from_millis(100)));
            // A signal (Ctrl-C) raises here; the worker stops at its next chunk and is left
            // to finish on its own, so that the caller gets control back at once.
            if let Err(e) = py.check_signals() {
                cancel.store(true, Ordering::SeqCst);
                return Err(e);
            }
            let finished = match report {
                Ok(Report::Planned(t)) => {
                    total = t;
                    None
                }
                Ok(Report::Done(r)) => Some(*r),
                Ok(Report::Panicked(m)) => {
                    return Err(AnaError::new_err(format!(
                        "internal error in ana (please report it): {m}"
                    )));
                }
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => None,
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                    return Err(AnaError::new_err(
                        "internal error in ana: the run ended without a result",
                    ));
                }
            };
            if let Some(cb) = &progress {
                cb.call1(py, (done.load(Ordering::Relaxed), total))?;
            }
            if let Some(r) = finished {
                let results = r.map_err(|e| error(py, &self.inner.script().source, e))?;
                return Ok(Results {
                    inner: Arc::new(results),
                });
            }
        }
    }
}

/// A run's merged results (see `ana.Result`).
#[pyclass(module = "ana._ana", frozen)]
struct Results {
    inner: Arc<analysis::Results>,
}

#[pymethods]
impl Results {
    /// Entries read.
    #[getter]
    fn entries(&self) -> u64 {
        self.inner.entries()
    }

    /// Histogram names, in declaration order.
    fn hist_names(&self) -> Vec<String> {
        self.inner
            .graph()
            .hists
            .iter()
            .map(|h| h.name.clone())
            .collect()
    }

    /// A histogram as UHI JSON text: what `histograms.json` holds for it.
    fn hist_json(&self, name: &str) -> PyResult<String> {
        let (spec, buf) = self
            .inner
            .graph()
            .hists
            .iter()
            .zip(self.inner.hists())
            .find(|(h, _)| h.name == name)
            .ok_or_else(|| PyValueError::new_err(format!("no histogram named {name:?}")))?;
        serde_json::to_string(&ana_runtime::output::HistJson { spec, buf })
            .map_err(|e| AnaError::new_err(e.to_string()))
    }

    fn table_names(&self) -> Vec<String> {
        self.inner
            .tables()
            .iter()
            .map(|t| t.name().to_string())
            .collect()
    }

    /// The table `name` for the Arrow PyCapsule interface: (schema capsule, array capsule)
    /// of one struct array whose fields are the columns, sharing the run's memory.
    fn table_capsules<'py>(
        &self,
        py: Python<'py>,
        name: &str,
    ) -> PyResult<(Bound<'py, PyCapsule>, Bound<'py, PyCapsule>)> {
        let table = self
            .inner
            .tables()
            .iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| PyValueError::new_err(format!("no table named {name:?}")))?;
        let (array, schema) = table.to_c_data().map_err(PyValueError::new_err)?;
        Ok((
            PyCapsule::new_with_value(py, schema, c"arrow_schema")?,
            PyCapsule::new_with_value(py, array, c"arrow_array")?,
        ))
    }

    /// A table's columns where they lie in memory: (name, pyarrow type name, address,
    /// bytes, rows) each, valid while this object lives (pass it as the buffers' base).
    fn table_columns(&self, name: &str) -> PyResult<Vec<RawColumn>> {
        let table = self
            .inner
            .tables()
            .iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| PyValueError::new_err(format!("no table named {name:?}")))?;
        Ok(table
            .columns()
            .map_err(PyValueError::new_err)?
            .into_iter()
            .map(|c| (c.name, c.arrow_type, c.address, c.bytes, c.rows))
            .collect())
    }

    /// (name, events) of "all events", then of each region, in order.
    fn cutflow(&self) -> Vec<(String, u64)> {
        let c = self.inner.cutflow();
        std::iter::once(("all events".to_string(), c.total))
            .chain(c.selections.into_iter().map(|r| (r.name, r.events)))
            .collect()
    }

    /// Writes the outputs into `out_dir` as `ana run -o` does; returns nothing.
    fn write(&self, py: Python<'_>, out_dir: PathBuf) -> PyResult<()> {
        let inner = Arc::clone(&self.inner);
        py.detach(move || inner.write(&out_dir, None))
            .map(|_| ())
            .map_err(run_error)
    }
}

#[pymodule]
fn _ana(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Analysis>()?;
    m.add_class::<Results>()?;
    m.add_class::<Diagnostic>()?;
    m.add("AnaError", py.get_type::<AnaError>())?;
    m.add("ScriptError", py.get_type::<ScriptError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
