//! The ana compiler. A script flows one way through these phases:
//!
//! parse (`syntax`) → check and lower (`lower`) → optimize (`optimize`) → codegen (`codegen`)
//!
//! and its result, the [`graph::Graph`], is what the runtime executes, either with the
//! reference interpreter or with the machine code from `codegen`. This crate does no file IO
//! and knows nothing of threads. [`compile`] is the front end as one call.

pub mod abi;
pub mod ast;
pub mod codegen;
pub mod diagnostics;
pub mod dump;
pub mod graph;
pub mod lower;
pub mod math;
pub mod optimize;
pub mod overview;
pub mod schema;
pub mod syntax;

use std::sync::Arc;

pub use diagnostics::{Diagnostic, Diagnostics};

/// What the front end needs besides the script.
#[derive(Clone, Debug, Default)]
pub struct CompileOptions {
    /// The input's branches; without it, branch names and types are assumed (see `lower`).
    pub schema: Option<schema::Schema>,
    /// `--set NAME=VALUE` parameters.
    pub params: Vec<(String, String)>,
}

/// A compiled script.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// Optimized and validated.
    pub graph: graph::Graph,
    /// The script's `input "..."`, as written (relative to the script's directory).
    pub default_input: Option<String>,
    /// The input tree: the script's `tree`, else the schema's, else `Events`.
    pub tree: String,
    /// Every declared parameter with its value (default or `--set`), in declaration order.
    pub params: Vec<lower::Param>,
    /// The script as a physicist reads it (`ana graph`'s analysis level).
    pub overview: overview::Overview,
}

/// Parses, checks, lowers and optimizes a script. `name` is how diagnostics name the source.
/// Returns the errors found, sorted by span (the first [`diagnostics::MAX_SHOWN`], and the
/// count of the rest).
pub fn compile(name: &str, source: &str, opts: &CompileOptions) -> Result<Compiled, Diagnostics> {
    let named = Arc::new(diagnostics::ScriptSource::new(name, source));
    let (script, diags) = syntax::parse(source);
    // After a syntax error, names defined by the broken statements are missing: checking
    // would only add errors that are consequences of the first ones.
    if !diags.is_empty() {
        return Err(Diagnostics::sorted(diags, named));
    }
    let (lowered, diags) = lower::lower(&script, source, opts.schema.as_ref(), &opts.params);
    if !diags.is_empty() {
        return Err(Diagnostics::sorted(diags, named));
    }
    let graph = optimize::optimize(lowered.graph);
    if let Err(e) = graph.validate() {
        let d = Diagnostic::new(
            "ana::internal::invalid_graph",
            ast::Span::new(0, 0),
            format!("internal error: {e}"),
        )
        .label("while compiling this script")
        .help("this is a bug in ana's compiler; please report it with the script");
        return Err(Diagnostics::sorted(vec![d], named));
    }
    let overview = overview::Overview::new(&script, &lowered.definitions, &graph);
    Ok(Compiled {
        graph,
        default_input: lowered.default_input,
        tree: lowered.tree,
        params: lowered.params,
        overview,
    })
}

/// The tree a script names with `tree NAME`, if any: lets a caller open the right tree to
/// build the [`schema::Schema`] before compiling. Tolerates syntax errors elsewhere.
pub fn declared_tree(source: &str) -> Option<String> {
    let (script, _) = syntax::parse(source);
    script.stmts.iter().find_map(|s| match &s.kind {
        ast::StmtKind::Tree { name } => Some(name.name.clone()),
        _ => None,
    })
}

/// The default input a script names with `input "PATH"`, as written (relative to the
/// script's directory): lets a caller open the input to build the schema before compiling.
/// Tolerates syntax errors elsewhere.
pub fn declared_input(source: &str) -> Option<String> {
    let (script, _) = syntax::parse(source);
    script.stmts.iter().find_map(|s| match &s.kind {
        ast::StmtKind::Input { path } => Some(path.clone()),
        _ => None,
    })
}
