//! The analysis-level view of a script, for `ana graph` (its default `--level analysis`): what
//! a physicist reads off a script, not what the compiler made of it. Inputs and the branches
//! read → collections → regions → candidates and quantities → histograms and tables, one
//! node per name, with an edge wherever a definition uses another. A definition used by more
//! than one consumer is computed once (the graph's CSE makes it so), and the view says so.
//!
//! Input: the syntax tree, what the checker found each name denotes, the optimized graph (for
//! the branches actually read). Output: text or Graphviz DOT that depends only on those.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use crate::ast::*;
use crate::graph::Graph;
use crate::lower::{Definition, Denotes};

/// One statement of the script that defines or fills something.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub kind: ItemKind,
    pub name: String,
    /// The region a histogram, table or region is `in`.
    pub region: Option<String>,
    /// What it uses, in source order, each once.
    pub uses: Vec<Use>,
    /// For outputs, what they hold: a histogram's axis labels, a table's column count.
    pub detail: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Use {
    /// An earlier item, by index.
    Item(usize),
    /// A branch read from the input, by index in [`Overview::branches`].
    Branch(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Param,
    Collection,
    Combinations,
    Object,
    Candidate,
    Quantity,
    Region,
    Hist,
    Table,
    Cutflow,
    /// A definition with an error (only when shown for a script that failed to compile).
    Error,
}

impl ItemKind {
    pub fn word(self) -> &'static str {
        match self {
            ItemKind::Param => "param",
            ItemKind::Collection => "collection",
            ItemKind::Combinations => "combinations",
            ItemKind::Object => "object",
            ItemKind::Candidate => "candidate",
            ItemKind::Quantity => "quantity",
            ItemKind::Region => "region",
            ItemKind::Hist => "hist",
            ItemKind::Table => "table",
            ItemKind::Cutflow => "cutflow",
            ItemKind::Error => "error",
        }
    }

    fn of(d: Denotes) -> ItemKind {
        match d {
            Denotes::Param | Denotes::Text => ItemKind::Param,
            Denotes::Region => ItemKind::Region,
            Denotes::Collection => ItemKind::Collection,
            Denotes::Combinations => ItemKind::Combinations,
            Denotes::Object => ItemKind::Object,
            Denotes::FourVector => ItemKind::Candidate,
            Denotes::Number => ItemKind::Quantity,
            Denotes::Error => ItemKind::Error,
        }
    }
}

/// A script as a physicist reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct Overview {
    pub tree: String,
    /// The script's default `input`, as written.
    pub input: Option<String>,
    /// The branches the run reads, in the graph's order.
    pub branches: Vec<String>,
    pub items: Vec<Item>,
}

impl Overview {
    pub fn new(script: &Script, definitions: &[Definition], graph: &Graph) -> Overview {
        let mut b = Build {
            defs: definitions.iter().map(|d| (d.name.as_str(), d)).collect(),
            branches: graph
                .branches
                .iter()
                .enumerate()
                .map(|(i, b)| (b.name.clone(), i))
                .collect(),
            items: Vec::new(),
            by_name: HashMap::new(),
            graph,
        };
        let mut input = None;
        for stmt in &script.stmts {
            b.stmt(stmt, &mut input);
        }
        Overview {
            tree: graph.tree.clone(),
            input,
            branches: graph.branches.iter().map(|b| b.name.clone()).collect(),
            items: b.items,
        }
    }

    /// How many items use item `i` (a histogram and a region using `muons` make two).
    pub fn consumers(&self, i: usize) -> usize {
        let region = self
            .items
            .get(i)
            .filter(|x| x.kind == ItemKind::Region)
            .map(|x| x.name.as_str());
        self.items
            .iter()
            .filter(|it| {
                it.uses.contains(&Use::Item(i))
                    || (region.is_some() && it.region.as_deref() == region)
            })
            .count()
    }

    /// One line per item: `kind name [in region]  <- what it uses`, then how many consumers
    /// share it when more than one.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = write!(out, "tree {}", self.tree);
        if let Some(input) = &self.input {
            let _ = write!(out, " from {input}");
        }
        out.push('\n');
        let _ = writeln!(
            out,
            "reads {} branch{}: {}",
            self.branches.len(),
            if self.branches.len() == 1 { "" } else { "es" },
            self.branches.join(", ")
        );
        let heads: Vec<String> = self
            .items
            .iter()
            .map(|it| match &it.region {
                Some(r) => format!("{} {} in {r}", it.kind.word(), it.name),
                None => format!("{} {}", it.kind.word(), it.name),
            })
            .collect();
        let width = heads.iter().map(String::len).max().unwrap_or(0).min(40);
        for (i, (it, head)) in self.items.iter().zip(&heads).enumerate() {
            let mut line = format!("{head:<width$}");
            if !it.uses.is_empty() {
                let _ = write!(line, "  <- {}", self.names(&it.uses).join(", "));
            }
            let n = self.consumers(i);
            if n > 1 {
                let _ = write!(line, "  (computed once, used by {n})");
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out
    }

    fn names(&self, uses: &[Use]) -> Vec<String> {
        uses.iter()
            .map(|u| match *u {
                Use::Item(i) => self.items.get(i).map_or("?", |it| &it.name).to_string(),
                Use::Branch(b) => self.branches.get(b).map_or("?", |s| s).to_string(),
            })
            .collect()
    }

    /// Graphviz DOT, left to right: the input, the branches read (grouped by collection
    /// prefix when they feed the same definitions), then one node per item; an edge per use,
    /// dashed from a region to what is filled or selected in it.
    pub fn dot(&self) -> String {
        let mut out = String::from(
            "digraph analysis {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n  \
             edge [color=\"#555555\"];\n",
        );
        let input = match &self.input {
            Some(f) => format!("tree {}\\n{}", self.tree, escape(f)),
            None => format!("tree {}", self.tree),
        };
        let _ = writeln!(
            out,
            "  input [shape=cylinder, style=filled, fillcolor=\"#eeeeee\", label=\"{input}\"];"
        );
        let groups = self.branch_groups();
        for (g, (label, _)) in groups.iter().enumerate() {
            let _ = writeln!(
                out,
                "  b{g} [shape=note, style=filled, fillcolor=\"#f5f5f5\", label=\"{}\"];",
                escape(label)
            );
            let _ = writeln!(out, "  input -> b{g};");
        }
        let group_of: HashMap<usize, usize> = groups
            .iter()
            .enumerate()
            .flat_map(|(g, (_, members))| members.iter().map(move |&b| (b, g)))
            .collect();
        for (i, it) in self.items.iter().enumerate() {
            let (shape, fill) = style(it.kind);
            let mut label = format!("{}\\n{}", escape(&it.name), it.kind.word());
            let n = self.consumers(i);
            if n > 1 {
                let _ = write!(label, " (used by {n})");
            }
            if let Some(d) = &it.detail {
                let _ = write!(label, "\\n{}", escape(d));
            }
            let _ = writeln!(
                out,
                "  i{i} [shape={shape}, style=\"{}\", fillcolor=\"{fill}\", label=\"{label}\"];",
                if shape == "box" {
                    "rounded,filled"
                } else {
                    "filled"
                }
            );
            let mut drawn = HashSet::new();
            for u in &it.uses {
                let from = match *u {
                    Use::Item(j) => format!("i{j}"),
                    Use::Branch(b) => match group_of.get(&b) {
                        Some(g) => format!("b{g}"),
                        None => continue,
                    },
                };
                if drawn.insert(from.clone()) {
                    let _ = writeln!(out, "  {from} -> i{i};");
                }
            }
            if let Some(r) = &it.region
                && let Some(j) = self
                    .items
                    .iter()
                    .position(|x| x.kind == ItemKind::Region && &x.name == r)
            {
                let _ = writeln!(
                    out,
                    "  i{j} -> i{i} [style=dashed, color=\"#d9822b\", label=\"in\", fontsize=9];"
                );
            }
        }
        out.push_str("}\n");
        out
    }

    /// Branches with the same prefix (`Muon_`) used by the same items, as one node labelled
    /// `Muon_{pt, eta, phi}`: NanoAOD collections read field by field would otherwise fill
    /// the picture with one box per field.
    fn branch_groups(&self) -> Vec<(String, Vec<usize>)> {
        let users = |b: usize| -> Vec<usize> {
            self.items
                .iter()
                .enumerate()
                .filter(|(_, it)| it.uses.contains(&Use::Branch(b)))
                .map(|(i, _)| i)
                .collect()
        };
        let mut groups: Vec<(String, Vec<usize>, Vec<usize>)> = Vec::new();
        for (b, name) in self.branches.iter().enumerate() {
            let prefix = name.split_once('_').map(|(p, _)| p.to_string());
            let who = users(b);
            match groups.iter_mut().find(|(p, u, _)| {
                prefix.as_deref() == Some(p.as_str()) && *u == who && !p.is_empty()
            }) {
                Some(g) => g.2.push(b),
                None => groups.push((prefix.unwrap_or_default(), who, vec![b])),
            }
        }
        groups
            .into_iter()
            .map(|(prefix, _, members)| {
                let label = if members.len() > 1 {
                    let fields: Vec<&str> = members
                        .iter()
                        .filter_map(|&b| self.branches.get(b))
                        .map(|n| n.get(prefix.len() + 1..).unwrap_or(n))
                        .collect();
                    format!("{prefix}_{{{}}}", fields.join(", "))
                } else {
                    members
                        .first()
                        .and_then(|&b| self.branches.get(b))
                        .cloned()
                        .unwrap_or_default()
                };
                (label, members)
            })
            .collect()
    }
}

fn style(kind: ItemKind) -> (&'static str, &'static str) {
    match kind {
        ItemKind::Param => ("parallelogram", "#ffffff"),
        ItemKind::Collection | ItemKind::Combinations => ("box", "#dbe9f6"),
        ItemKind::Object | ItemKind::Candidate => ("box", "#dff2df"),
        ItemKind::Quantity => ("ellipse", "#ffffff"),
        ItemKind::Region => ("hexagon", "#fde3c8"),
        ItemKind::Hist => ("box3d", "#fff7c2"),
        ItemKind::Table => ("tab", "#fff7c2"),
        ItemKind::Cutflow => ("tab", "#fde3c8"),
        ItemKind::Error => ("box", "#f8d0d0"),
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

struct Build<'a> {
    graph: &'a Graph,
    defs: HashMap<&'a str, &'a Definition>,
    branches: HashMap<String, usize>,
    items: Vec<Item>,
    by_name: HashMap<String, usize>,
}

impl Build<'_> {
    fn stmt(&mut self, stmt: &Stmt, input: &mut Option<String>) {
        let mut uses = Vec::new();
        let (kind, name, region) = match &stmt.kind {
            StmtKind::Input { path } => {
                input.get_or_insert_with(|| path.clone());
                return;
            }
            StmtKind::Tree { .. } => return,
            StmtKind::Param { name, .. } | StmtKind::Let { name, .. } => {
                let kind = self
                    .defs
                    .get(name.name.as_str())
                    .map_or(ItemKind::Error, |d| ItemKind::of(d.denotes));
                (kind, name, None)
            }
            StmtKind::Region { name, parent, .. } => (ItemKind::Region, name, parent.as_ref()),
            StmtKind::Hist { name, region, .. } => (ItemKind::Hist, name, region.as_ref()),
            StmtKind::Table { name, region, .. } => (ItemKind::Table, name, region.as_ref()),
            StmtKind::Cutflow { name, regions, .. } => {
                for r in regions {
                    self.name(&r.name, &mut uses);
                }
                (ItemKind::Cutflow, name, None)
            }
        };
        for e in stmt.exprs() {
            self.expr(e, &mut Vec::new(), &mut uses);
        }
        let detail = match kind {
            ItemKind::Hist => self
                .graph
                .hists
                .iter()
                .find(|h| h.name == name.name)
                .map(|h| {
                    h.axes
                        .iter()
                        .map(|a| {
                            if a.label.is_empty() {
                                a.name.as_str()
                            } else {
                                a.label.as_str()
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" × ")
                }),
            ItemKind::Table => self
                .graph
                .tables
                .iter()
                .find(|t| t.name == name.name)
                .map(|t| {
                    format!(
                        "{} column{}",
                        t.columns.len(),
                        if t.columns.len() == 1 { "" } else { "s" }
                    )
                }),
            _ => None,
        };
        let index = self.items.len();
        self.items.push(Item {
            kind,
            name: name.name.clone(),
            region: region.map(|r| r.name.clone()),
            uses,
            detail,
        });
        if matches!(
            stmt.kind,
            StmtKind::Param { .. } | StmtKind::Let { .. } | StmtKind::Region { .. }
        ) {
            self.by_name.entry(name.name.clone()).or_insert(index);
        }
    }

    fn push(uses: &mut Vec<Use>, u: Use) {
        if !uses.contains(&u) {
            uses.push(u);
        }
    }

    /// A bare name: an earlier definition, else a branch read as such (`MET_pt`).
    fn name(&self, name: &str, uses: &mut Vec<Use>) {
        if let Some(&i) = self.by_name.get(name) {
            Self::push(uses, Use::Item(i));
        } else if let Some(&b) = self.branches.get(name) {
            Self::push(uses, Use::Branch(b));
        }
    }

    fn branch(&self, name: &str, uses: &mut Vec<Use>) {
        if let Some(&b) = self.branches.get(name) {
            Self::push(uses, Use::Branch(b));
        }
    }

    fn expr(&self, e: &Expr, bound: &mut Vec<String>, uses: &mut Vec<Use>) {
        match &e.kind {
            ExprKind::Name(n) => {
                if !bound.iter().any(|b| b == n) {
                    self.name(n, uses);
                }
            }
            ExprKind::Lambda { param, body } => {
                bound.push(param.name.clone());
                self.expr(body, bound, uses);
                bound.pop();
            }
            ExprKind::Construct { prefix, fields } => {
                // The counter is read only when the script uses it; the fields' branches only
                // when the optimized graph still loads them.
                self.branch(&format!("n{}", prefix.name), uses);
                for f in fields {
                    match f.branch.as_ref().map(|b| &b.kind) {
                        None => self.branch(&format!("{}_{}", prefix.name, f.name.name), uses),
                        Some(ExprKind::Str(s)) => self.branch(s, uses),
                        Some(ExprKind::Name(p)) => {
                            self.name(p, uses);
                            if let Some(text) =
                                self.defs.get(p.as_str()).and_then(|d| d.text.as_ref())
                            {
                                self.branch(text, uses);
                            }
                        }
                        Some(_) => {}
                    }
                }
            }
            _ => {
                for c in e.children() {
                    self.expr(c, bound, uses);
                }
            }
        }
    }
}
