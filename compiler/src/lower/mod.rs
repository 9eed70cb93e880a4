//! Checking and lowering: the AST to one dataflow graph, with every error found on the way.
//!
//! Input: the [`Script`] from `syntax`, an optional input [`Schema`], and `--set` parameters.
//! Output: the unoptimized [`Graph`] (shared work already merged by the hash-consing
//! [`Builder`]) and diagnostics.
//!
//! Names, types and shapes are checked in the same walk that builds the graph: what a name
//! denotes (a number per event, a collection, one object, a four-vector) is a [`Val`] whose
//! nodes already exist, and shapes are graph spaces, so the checker and the builder cannot
//! disagree. A failed expression becomes `Val::Error`, which later uses accept silently: each
//! mistake is reported once, and the walk goes on to report the next. A definition whose
//! expression failed still defines its name, as `Val::Error` (a region too: its uses report
//! nothing more), so that no error follows from an earlier one.
//!
//! Names: `let`, `param` and `region` share one namespace, the names expressions use. A
//! histogram's, a table's or a cutflow's name only names an output (a key of
//! `histograms.json`, a Parquet folder, a key of `cutflow.json`'s `cutflows`): outputs of one
//! kind need distinct names, but may be named like a value (`hist mll: mll ~ ...`).
//!
//! Without a schema, a collection `X{f, ...}` reads the counter `nX` as an int32 branch and
//! each field `X_f` as a jagged float32 branch counted by `nX`; other branches (`MET_pt`) are
//! read as flat float32. A bare name that is not bound is a flat branch when it looks like one
//! (it contains `_`, or is `n` followed by a capital: `nJet`); with a schema, when the schema
//! has it.

mod axis;
mod branches;
mod builder;
mod call;
mod cutflow;
mod denotes;
mod expr;
mod hist;
mod missing;
mod param;
mod text;
mod value;

use indexmap::IndexMap;

use branches::looks_like_branch;
pub use builder::Builder;
pub use denotes::{Definition, Denotes};
pub use param::{Param, ParamValue};
pub use value::{Coll, CollKind, Obj, V4, Val};

use crate::ast::*;
use crate::diagnostics::{Diagnostic, LineIndex, MAX_SHOWN, did_you_mean};
use crate::graph::*;
use crate::schema::Schema;

/// What lowering produces besides the graph.
pub struct Lowered {
    pub graph: Graph,
    pub default_input: Option<String>,
    pub tree: String,
    /// Every parameter the script declares, with the value it got, in declaration order.
    pub params: Vec<Param>,
    /// The script's parameters, values and regions, in definition order.
    pub definitions: Vec<Definition>,
}

/// What a global name denotes; a region's `val` is its mask (`Val::Error` when its
/// definition failed).
#[derive(Clone, Debug)]
struct Global {
    val: Val,
    span: Span,
    what: &'static str,
}

/// A name scope inside brackets or a lambda: its elements' space, the bound name, and the
/// object whose fields are in scope bare (`muons[pt > 20]`).
struct Scope {
    space: NodeId,
    binder: Option<(String, Val)>,
    implicit: Option<Obj>,
}

pub struct Lowerer<'a> {
    pub b: Builder,
    pub diags: Vec<Diagnostic>,
    source: &'a str,
    lines: LineIndex,
    schema: Option<&'a Schema>,
    globals: IndexMap<String, Global>,
    /// Output names: a histogram's and a table's first definition.
    outputs: IndexMap<(&'static str, String), Span>,
    scopes: Vec<Scope>,
    params: Vec<(String, String, bool)>,
    /// The declared parameters' values, for the run record.
    param_values: Vec<Param>,
    default_input: Option<(String, Span)>,
    tree: Option<(String, Span)>,
    /// Every region of the script, to say "defined later" instead of "unknown".
    later_regions: IndexMap<String, Span>,
    /// Set once [`MAX_SHOWN`] errors are found before a statement: that statement's errors
    /// sort after them and are only counted, so their hints (a search through every name)
    /// are not worked out. Keeps a script full of errors linear.
    flooded: bool,
}

/// Lowers a parsed script; `params` are the `--set NAME=VALUE` pairs.
pub fn lower(
    script: &Script,
    source: &str,
    schema: Option<&Schema>,
    params: &[(String, String)],
) -> (Lowered, Vec<Diagnostic>) {
    let mut l = Lowerer {
        b: Builder::new(),
        diags: Vec::new(),
        source,
        lines: LineIndex::new(source),
        schema,
        globals: IndexMap::new(),
        outputs: IndexMap::new(),
        scopes: Vec::new(),
        params: params
            .iter()
            .map(|(k, v)| (k.clone(), v.clone(), false))
            .collect(),
        param_values: Vec::new(),
        default_input: None,
        tree: None,
        later_regions: IndexMap::new(),
        flooded: false,
    };
    l.b.track_missing();
    for stmt in &script.stmts {
        if let StmtKind::Region { name, .. } = &stmt.kind {
            l.later_regions
                .entry(name.name.clone())
                .or_insert(name.span);
        }
    }
    for stmt in &script.stmts {
        l.flooded = l.diags.len() >= MAX_SHOWN;
        l.stmt(stmt);
    }
    l.report_unset_params();
    let mut graph = std::mem::take(&mut l.b.graph);
    let tree = match (&l.tree, l.schema) {
        (Some((t, _)), _) => t.clone(),
        (None, Some(s)) if !s.tree.is_empty() => s.tree.clone(),
        _ => "Events".to_string(),
    };
    graph.tree = tree.clone();
    let definitions = l
        .globals
        .iter()
        .map(|(name, g)| Definition {
            name: name.clone(),
            denotes: denotes::denotes(&g.val, g.what),
            text: match &g.val {
                Val::Str(s) => Some(s.clone()),
                _ => None,
            },
        })
        .collect();
    let lowered = Lowered {
        graph,
        default_input: l.default_input.map(|(p, _)| p),
        tree,
        params: l.param_values,
        definitions,
    };
    (lowered, l.diags)
}

impl<'a> Lowerer<'a> {
    pub(crate) fn error(
        &mut self,
        code: &'static str,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
        help: impl Into<String>,
    ) -> Val {
        self.diags
            .push(Diagnostic::new(code, span, message).label(label).help(help));
        Val::Error
    }

    /// 1-based line number of a span's start.
    fn line_of(&self, span: Span) -> usize {
        self.lines.line_number(span.start)
    }

    fn text(&self, span: Span) -> &str {
        self.source.get(span.start..span.end).unwrap_or("")
    }

    fn define(&mut self, name: &Ident, val: Val, what: &'static str) {
        if let Some(prev) = self.globals.get(&name.name) {
            let (prev_span, prev_what) = (prev.span, prev.what);
            self.redefined(name, prev_span, prev_what, "names are bound once");
            return;
        }
        self.name_nodes(&name.name, &val);
        self.globals.insert(
            name.name.clone(),
            Global {
                val,
                span: name.span,
                what,
            },
        );
    }

    /// A name defined a second time: the diagnostic points at both definitions.
    fn redefined(&mut self, name: &Ident, first: Span, what: &str, rule: &str) {
        let line = self.line_of(first);
        self.diags.push(
            Diagnostic::new(
                "ana::check::redefined",
                name.span,
                format!("`{}` is already defined", name.name),
            )
            .label("defined again here")
            .also(first, format!("first defined here, as {}", article(what)))
            .help(format!(
                "{rule}; the first definition is on line {line}: choose another name"
            )),
        );
    }

    /// Records an output's name, or reports that one of its kind already has it.
    fn output_name(&mut self, name: &Ident, kind: &'static str) -> bool {
        let key = (kind, name.name.clone());
        if let Some(&first) = self.outputs.get(&key) {
            self.redefined(name, first, kind, &format!("{kind}s need distinct names"));
            return false;
        }
        self.outputs.insert(key, name.span);
        true
    }

    /// Hints for dumps: the bound name on the value's nodes.
    fn name_nodes(&mut self, name: &str, val: &Val) {
        match val {
            Val::Num(n) => self.b.hint(*n, name),
            Val::Coll(c) => self.b.hint(c.space, name),
            Val::Obj(o) => {
                if let Some(i) = o.index {
                    self.b.hint(i, name)
                }
            }
            Val::Vec4(V4::Cart { px, py, pz, e }) => {
                for (n, c) in [(px, "px"), (py, "py"), (pz, "pz"), (e, "e")] {
                    self.b.hint(*n, &format!("{name}.{c}"));
                }
            }
            _ => {}
        }
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Input { path } => {
                if let Some((_, prev)) = &self.default_input {
                    let _ = prev;
                    self.error(
                        "ana::check::duplicate_input",
                        stmt.span,
                        "the default input is given twice",
                        "second `input`",
                        "keep one `input` statement; files on the command line replace it anyway",
                    );
                } else {
                    self.default_input = Some((path.clone(), stmt.span));
                }
            }
            StmtKind::Tree { name } => {
                if self.tree.is_some() {
                    self.error(
                        "ana::check::duplicate_tree",
                        stmt.span,
                        "the tree is given twice",
                        "second `tree`",
                        "keep one `tree` statement",
                    );
                } else {
                    if let Some(schema) = self.schema
                        && !schema.tree.is_empty()
                        && schema.tree != name.name
                    {
                        // The schema describes the tree the runtime opened; a different
                        // name means the checks below would be against the wrong tree.
                        self.error(
                            "ana::check::tree_mismatch",
                            name.span,
                            format!("the input was opened with tree `{}`", schema.tree),
                            "script's tree",
                            "pass --tree or fix the `tree` statement",
                        );
                    }
                    self.tree = Some((name.name.clone(), name.span));
                }
            }
            StmtKind::Param { name, value } => {
                let val = self.param(name, value);
                self.define(name, val, "parameter");
            }
            StmtKind::Let { name, value } => {
                let val = self.expr(value);
                if let Val::Str(_) = val {
                    self.error("ana::check::string_let", value.span, "`let` cannot bind a string", "a string", "strings name branches: use `param NAME = \"...\"` so it can be set from the command line");
                }
                self.define(name, val, "value");
            }
            StmtKind::Region { name, parent, cond } => self.region(name, parent.as_ref(), cond),
            StmtKind::Hist {
                name,
                region,
                dims,
                weight,
                sample,
            } => self.hist(
                name,
                region.as_ref(),
                dims,
                weight.as_ref(),
                sample.as_ref(),
            ),
            StmtKind::Table {
                name,
                region,
                columns,
            } => self.table(name, region.as_ref(), columns),
            StmtKind::Cutflow {
                name,
                regions,
                weight,
            } => self.cutflow(name, regions, weight.as_ref()),
        }
    }

    /// The mask of a named region, or an error naming the closest region. A region whose
    /// definition failed has no mask, and its uses report nothing more.
    fn region_mask(&mut self, name: &Ident) -> Option<NodeId> {
        if let Some(g) = self.globals.get(&name.name) {
            return match (&g.val, g.what) {
                (Val::Num(m), "region") => Some(*m),
                (Val::Error, _) => None,
                (_, what) => {
                    let (what, first) = (what, g.span);
                    let line = self.line_of(first);
                    self.diags.push(
                        Diagnostic::new(
                            "ana::check::not_a_region",
                            name.span,
                            format!("`{}` is not a region", name.name),
                        )
                        .label("used as a region")
                        .also(first, format!("defined here, as {}", article(what)))
                        .help(format!(
                            "`in` and `cutflow` take regions, defined with `region NAME: condition`; `{}` is {} (line {line})",
                            name.name,
                            article(what)
                        )),
                    );
                    None
                }
            };
        }
        if let Some(later) = self.later_regions.get(&name.name) {
            let line = self.line_of(*later);
            let help = format!(
                "`{}` is defined later, on line {line}: move its definition before this use",
                name.name
            );
            self.error(
                "ana::check::region_order",
                name.span,
                format!("region `{}` is used before its definition", name.name),
                "used here",
                help,
            );
            return None;
        }
        let names: Vec<&str> = match self.flooded {
            true => Vec::new(),
            false => self
                .globals
                .iter()
                .filter(|(_, g)| g.what == "region")
                .map(|(k, _)| k.as_str())
                .collect(),
        };
        let help = match did_you_mean(&name.name, names.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None if names.is_empty() => "declare it first: `region NAME: condition`".to_string(),
            None => format!("regions defined so far: {}", names.join(", ")),
        };
        self.error(
            "ana::check::unknown_region",
            name.span,
            format!("no region named `{}`", name.name),
            "not a region",
            help,
        );
        None
    }

    fn region(&mut self, name: &Ident, parent: Option<&Ident>, cond: &Expr) {
        let parent_mask = parent.map(|p| self.region_mask(p));
        let val = self.expr(cond);
        // A condition that is missing (`mu[1].pt > 20` with one muon) does not hold.
        let mask = self
            .event_bool(&val, cond.span, "a region's condition")
            .map(|m| self.b.definite(m));
        let mask = match (parent_mask, mask) {
            (Some(Some(p)), Some(m)) => Some(self.b.binary(BinaryOp::And, p, m)),
            (None, m) => m,
            (Some(None), _) | (_, None) => None,
        };
        // Defined even when its condition failed (as an error): its uses then report nothing.
        let (Some(mask), false) = (mask, self.globals.contains_key(&name.name)) else {
            return self.define(name, Val::Error, "region");
        };
        self.b.hint(mask, &name.name);
        let id = RegionId(self.b.graph.regions.len() as u32);
        self.b.graph.regions.push(RegionSpec {
            name: name.name.clone(),
            mask,
        });
        self.b.add(
            NodeKind::CountRegion { region: id, mask },
            Type::Scalar(ScalarType::Bool),
            Shape::Event,
        );
        self.define(name, Val::Num(mask), "region");
    }

    /// A Bool per event, or a diagnostic saying what the value is instead.
    fn event_bool(&mut self, val: &Val, span: Span, what: &str) -> Option<NodeId> {
        let n = self.num(val, span)?;
        if self.b.scalar_type(n) != Some(ScalarType::Bool) {
            self.error(
                "ana::check::type",
                span,
                format!("{what} must be a Bool"),
                format!("this is {}", val.describe(&self.b)),
                "compare it: `x > 0`, `count(c) >= 2`",
            );
            return None;
        }
        if self.b.shape(n) != Shape::Event {
            self.error(
                "ana::check::shape",
                span,
                format!("{what} must be one value per event"),
                "this has one value per element",
                "reduce it: `any(...)`, `all(...)`, `count(...) > 0`",
            );
            return None;
        }
        Some(n)
    }

    fn table(&mut self, name: &Ident, region: Option<&Ident>, columns: &[Column]) {
        let fresh = self.output_name(name, "table");
        let mask = region.map(|r| self.region_mask(r));
        let mut vals = Vec::new();
        let mut specs = Vec::new();
        for (i, col) in columns.iter().enumerate() {
            if columns.iter().take(i).any(|c| c.name == col.name) {
                self.error(
                    "ana::check::duplicate_column",
                    col.name_span,
                    format!("column `{}` appears twice", col.name),
                    "again here",
                    "columns need distinct names",
                );
            }
            let v = self.expr(&col.value);
            let (n, dtype) = if expr::is_string(&v) {
                (self.text_value(&v), Some(ColumnType::Str))
            } else {
                (self.num(&v, col.value.span), None)
            };
            let Some(n) = n else {
                continue;
            };
            let dtype = dtype.unwrap_or_else(|| self.column_type(n));
            specs.push(ColumnSpec {
                name: col.name.clone(),
                dtype,
                list: false,
            });
            vals.push(n);
        }
        if columns.is_empty() {
            self.error(
                "ana::check::empty_table",
                name.span,
                "a table needs at least one column",
                "no columns",
                "write `table t { x = expr, \"any name\" = expr }`",
            );
            return;
        }
        if vals.len() != columns.len() {
            return;
        }
        let mask = match mask {
            None => None,
            Some(Some(m)) => Some(m),
            Some(None) => return,
        };
        // One row per element when every column is one value per element of the same
        // collection (a table of candidates); else one row per event, where a column of one
        // value per element is a list (a skim of events with their objects).
        let shapes: Vec<Shape> = vals.iter().map(|&n| self.b.node(n).shape).collect();
        let space = match shapes.first() {
            Some(&Shape::Elem(s)) if shapes.iter().all(|&x| x == Shape::Elem(s)) => Some(s),
            _ => None,
        };
        for (spec, shape) in specs.iter_mut().zip(&shapes) {
            spec.list = space.is_none() && *shape != Shape::Event;
        }
        if !fresh {
            return;
        }
        // A column whose value can be missing is null there: its validity is appended as
        // a hidden Bool column, one per distinct validity (`mu+_pt`, `mu+_eta` share one).
        let mut nullable = Vec::new();
        let visible = vals.len();
        for i in 0..visible {
            let Some(v) = vals.get(i).and_then(|&n| self.b.validity(n)) else {
                continue;
            };
            let at = match vals.iter().skip(visible).position(|&h| h == v) {
                Some(k) => visible + k,
                None => {
                    vals.push(v);
                    let (name, list) = specs
                        .get(i)
                        .map_or((String::new(), false), |c| (c.name.clone(), c.list));
                    specs.push(ColumnSpec {
                        name: format!("{name}.valid"),
                        dtype: ColumnType::Bool,
                        list,
                    });
                    vals.len() - 1
                }
            };
            nullable.push((i, at));
        }
        let table = TableId(self.b.graph.tables.len() as u32);
        self.b.graph.tables.push(TableSpec {
            name: name.name.clone(),
            columns: specs,
            nullable,
        });
        self.b.add(
            NodeKind::Append {
                table,
                space,
                region: mask,
                columns: vals,
            },
            Type::Scalar(ScalarType::Bool),
            Shape::Event,
        );
    }

    /// The branch's own type for a plain load (possibly gathered or broadcast) of a float32
    /// or integer branch, else float64/int64/bool by the value's type.
    fn column_type(&self, mut n: NodeId) -> ColumnType {
        loop {
            match &self.b.node(n).kind {
                NodeKind::Gather { value, .. } => n = *value,
                NodeKind::Broadcast { value, .. } => n = *value,
                NodeKind::LoadElem { branch, .. } | NodeKind::LoadEvent { branch } => {
                    match self.b.graph.branches.get(branch.0 as usize).map(|b| b.phys) {
                        Some(PhysType::F64) | None => break,
                        Some(p) => return ColumnType::of_branch(p),
                    }
                }
                _ => break,
            }
        }
        match self.b.scalar_type(n) {
            Some(ScalarType::Bool) => ColumnType::Bool,
            Some(ScalarType::Int) => ColumnType::I64,
            _ => ColumnType::F64,
        }
    }
}

/// "a value", "an event", for messages.
fn article(noun: &str) -> String {
    match noun.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {noun}"),
        _ => format!("a {noun}"),
    }
}
