//! Histogram axes: `Reg(n, lo, hi [, "label"])`, `Log(...)`, `Var([edges] [, "label"])`,
//! `Int(lo, hi [, "label"])`, `Cat([values] [, "label"])`, each with optional
//! `name = "..."` and `label = "..."`.
//!
//! Input: the unchecked [`AxisExpr`]. Output: a [`graph::Axis`] with validated bounds.
//! Numbers are literals, negated literals or numeric `param`s (so binning can be set with
//! `--set`).

use super::{Lowerer, Val};
use crate::ast::*;
use crate::graph::*;

const KINDS: &str = "Reg(n, lo, hi), Log(n, lo, hi), Var([edges]), Int(lo, hi), Cat([values])";

impl Lowerer<'_> {
    #[expect(
        clippy::indexing_slicing,
        reason = "`pos.len() == want` is checked before any `pos[i]`"
    )]
    pub(crate) fn axis(&mut self, ax: &AxisExpr, default_name: String) -> Option<Axis> {
        let mut name = default_name;
        let mut label: Option<String> = None;
        let mut pos: Vec<&Expr> = Vec::new();
        for a in &ax.args {
            match &a.kind {
                ExprKind::Named { name: n, value } => {
                    let s = match &value.kind {
                        ExprKind::Str(s) => s.clone(),
                        _ => {
                            self.error(
                                "ana::check::axis",
                                value.span,
                                format!("`{}` must be a string", n.name),
                                "not a string",
                                "write `name = \"mass\"`",
                            );
                            return None;
                        }
                    };
                    match n.name.as_str() {
                        "name" => name = s,
                        "label" => label = Some(s),
                        other => {
                            self.error(
                                "ana::check::axis",
                                n.span,
                                format!("axes have no option `{other}`"),
                                "unknown option",
                                "options are `name = \"...\"` and `label = \"...\"`",
                            );
                            return None;
                        }
                    }
                }
                _ => pos.push(a),
            }
        }
        // A trailing string is the label.
        if let Some(ExprKind::Str(s)) = pos.last().map(|e| &e.kind) {
            label = Some(s.clone());
            pos.pop();
        }
        let kind = ax.kind.name.as_str();
        let usage = match kind {
            "Reg" | "Log" => format!("{kind}(bins, lo, hi, \"label\")"),
            "Var" => "Var([e0, e1, ...], \"label\")".to_string(),
            "Int" => "Int(lo, hi, \"label\")".to_string(),
            "Cat" => "Cat([v0, v1, ...], \"label\") (integers or strings)".to_string(),
            _ => {
                let help = match crate::diagnostics::did_you_mean(
                    kind,
                    ["Reg", "Log", "Var", "Int", "Cat"],
                ) {
                    Some(s) => format!("did you mean `{s}`? axes are {KINDS}"),
                    None => format!("axes are {KINDS}"),
                };
                self.error(
                    "ana::check::axis",
                    ax.kind.span,
                    format!("unknown axis kind `{kind}`"),
                    "not an axis",
                    help,
                );
                return None;
            }
        };
        let want = match kind {
            "Reg" | "Log" => 3,
            "Int" => 2,
            _ => 1,
        };
        if pos.len() != want {
            self.error(
                "ana::check::axis",
                ax.span,
                format!("`{kind}` takes {want} numeric argument(s) and an optional label"),
                format!("{} given", pos.len()),
                format!("usage: {usage}"),
            );
            return None;
        }
        let kind = match kind {
            "Reg" | "Log" => {
                let bins = self.const_int(pos[0])?;
                let (lo, hi) = (self.const_float(pos[1])?, self.const_float(pos[2])?);
                if !(1..=10_000_000).contains(&bins) {
                    self.error(
                        "ana::check::axis",
                        pos[0].span,
                        "the number of bins must be between 1 and 10^7",
                        "bins",
                        format!("usage: {usage}"),
                    );
                    return None;
                }
                if lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less)
                    || !lo.is_finite()
                    || !hi.is_finite()
                {
                    self.error(
                        "ana::check::axis",
                        pos[1].span.to(pos[2].span),
                        "the axis needs finite lo < hi",
                        "bounds",
                        format!("usage: {usage}"),
                    );
                    return None;
                }
                if kind == "Log" {
                    if lo <= 0.0 {
                        self.error(
                            "ana::check::axis",
                            pos[1].span,
                            "a log axis needs lo > 0",
                            "not positive",
                            "start the axis above zero, e.g. `Log(100, 0.1, 100)`",
                        );
                        return None;
                    }
                    AxisKind::Log {
                        bins: bins as u32,
                        lo,
                        hi,
                    }
                } else {
                    AxisKind::Regular {
                        bins: bins as u32,
                        lo,
                        hi,
                    }
                }
            }
            "Int" => {
                let (lo, hi) = (self.const_int(pos[0])?, self.const_int(pos[1])?);
                if lo >= hi || hi.saturating_sub(lo) > 10_000_000 {
                    self.error(
                        "ana::check::axis",
                        pos[0].span.to(pos[1].span),
                        "an integer axis needs lo < hi (at most 10^7 bins)",
                        "bounds",
                        format!("usage: {usage}"),
                    );
                    return None;
                }
                AxisKind::Integer { lo, hi }
            }
            "Var" => {
                let items = self.list(pos[0], &usage)?;
                let mut edges = Vec::new();
                for e in items {
                    edges.push(self.const_float(e)?);
                }
                if edges.len() < 2
                    || edges
                        .windows(2)
                        .any(|w| w[0].partial_cmp(&w[1]) != Some(std::cmp::Ordering::Less))
                    || edges.iter().any(|e| !e.is_finite())
                {
                    self.error(
                        "ana::check::axis",
                        pos[0].span,
                        "edges must be at least two finite numbers, strictly increasing",
                        "edges",
                        format!("usage: {usage}"),
                    );
                    return None;
                }
                AxisKind::Variable { edges }
            }
            _ => {
                let items = self.list(pos[0], &usage)?;
                if let Some(strings) = self.const_strings(items) {
                    let strings = strings?;
                    let mut seen = std::collections::HashSet::new();
                    if let Some(dup) = strings.iter().find(|s| !seen.insert(s.as_str())) {
                        self.error(
                            "ana::check::axis",
                            pos[0].span,
                            format!("category \"{dup}\" is listed twice"),
                            "repeated category",
                            "list each category once",
                        );
                        return None;
                    }
                    let ids = strings.iter().map(|s| self.b.intern(s)).collect();
                    let label = label.unwrap_or_else(|| name.clone());
                    return Some(Axis {
                        name,
                        label,
                        kind: AxisKind::StrCategory {
                            values: strings,
                            ids,
                        },
                    });
                }
                let mut values = Vec::new();
                for e in items {
                    values.push(self.const_int(e)?);
                }
                if values.is_empty() {
                    self.error(
                        "ana::check::axis",
                        pos[0].span,
                        "a category axis needs at least one value",
                        "empty",
                        format!("usage: {usage}"),
                    );
                    return None;
                }
                AxisKind::Category { values }
            }
        };
        let label = label.unwrap_or_else(|| name.clone());
        Some(Axis { name, label, kind })
    }

    /// The strings of a category list whose first item is a string (a literal or a string
    /// parameter): `None` when it is not a string list, `Some(None)` after an error.
    fn const_strings(&mut self, items: &[Expr]) -> Option<Option<Vec<String>>> {
        let as_string = |l: &Self, e: &Expr| -> Option<String> {
            match &e.kind {
                ExprKind::Str(s) => Some(s.clone()),
                ExprKind::Name(n) => match l.globals.get(n).map(|g| (&g.val, g.what)) {
                    Some((Val::Str(s), "parameter")) => Some(s.clone()),
                    _ => None,
                },
                _ => None,
            }
        };
        as_string(self, items.first()?)?;
        let mut out = Vec::new();
        for e in items {
            match as_string(self, e) {
                Some(s) => out.push(s),
                None => {
                    self.error(
                        "ana::check::axis",
                        e.span,
                        "a category list mixes strings and other values",
                        "not a string",
                        "categories are all strings (`Cat([\"ee\", \"mumu\"])`) or all integers",
                    );
                    return Some(None);
                }
            }
        }
        Some(Some(out))
    }

    fn list<'e>(&mut self, e: &'e Expr, usage: &str) -> Option<&'e [Expr]> {
        match &e.kind {
            ExprKind::List(items) => Some(items),
            _ => {
                self.error(
                    "ana::check::axis",
                    e.span,
                    "a list `[...]` is needed here",
                    "not a list",
                    format!("usage: {usage}"),
                );
                None
            }
        }
    }

    /// A literal or numeric parameter, as f64.
    fn const_number(&mut self, e: &Expr) -> Option<Literal> {
        match &e.kind {
            ExprKind::Int(v) => Some(Literal::Int(*v)),
            ExprKind::Float(v) => Some(Literal::Float(*v)),
            ExprKind::Unary(UnOp::Neg, inner) => match self.const_number(inner)? {
                Literal::Int(v) => Some(Literal::Int(v.wrapping_neg())),
                Literal::Float(v) => Some(Literal::Float(-v)),
                b => Some(b),
            },
            ExprKind::Name(n) => {
                if let Some(Val::Num(id)) = self
                    .globals
                    .get(n)
                    .filter(|g| g.what == "parameter")
                    .map(|g| g.val.clone())
                    && let NodeKind::Const(l) = &self.b.node(id).kind
                {
                    return Some(l.clone());
                }
                self.error(
                    "ana::check::axis",
                    e.span,
                    "axis arguments must be numbers or numeric parameters",
                    "not a constant",
                    "write a number, or declare `param NAME = 50` and use NAME",
                );
                None
            }
            _ => {
                self.error(
                    "ana::check::axis",
                    e.span,
                    "axis arguments must be numbers or numeric parameters",
                    "not a constant",
                    "write a number, or declare `param NAME = 50` and use NAME",
                );
                None
            }
        }
    }

    fn const_float(&mut self, e: &Expr) -> Option<f64> {
        match self.const_number(e)? {
            Literal::Int(v) => Some(v as f64),
            Literal::Float(v) => Some(v),
            Literal::Bool(_) | Literal::Str(_) => {
                self.error(
                    "ana::check::axis",
                    e.span,
                    "a number is needed",
                    "not a number",
                    "write a number",
                );
                None
            }
        }
    }

    fn const_int(&mut self, e: &Expr) -> Option<i64> {
        match self.const_number(e)? {
            Literal::Int(v) => Some(v),
            _ => {
                self.error(
                    "ana::check::axis",
                    e.span,
                    "an integer is needed",
                    "not an integer",
                    "write an integer, e.g. `50`",
                );
                None
            }
        }
    }
}
