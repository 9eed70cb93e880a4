//! Script parameters: `param NAME = default`, set from the command line with `--set
//! NAME=VALUE`. Each declared parameter's value and where it came from is kept for the run
//! record, so that a run can be reproduced from its `run.json`.

use super::Lowerer;
use super::value::Val;
use crate::ast::*;
use crate::diagnostics::{Diagnostic, did_you_mean};
use crate::graph::Literal;

/// A declared parameter and the value it got.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: String,
    pub value: ParamValue,
    /// Given with `--set` (else the script's default).
    pub set: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A branch name or other text.
    Str(String),
}

impl Lowerer<'_> {
    /// A parameter's value: the `--set` value if given (parsed as the default's type), else
    /// the default.
    pub(super) fn param(&mut self, name: &Ident, default: &Expr) -> Val {
        // Every pair with this name is used (the CLI refuses a name given twice; a library
        // caller's last pair wins), so none is reported as undeclared.
        let mut set = None;
        for p in self.params.iter_mut().filter(|(k, _, _)| *k == name.name) {
            p.2 = true;
            set = Some(p.1.clone());
        }
        let from_set = set.is_some();
        let value = match (&default.kind, set) {
            (ExprKind::Int(v), None) => ParamValue::Int(*v),
            (ExprKind::Float(v), None) => ParamValue::Float(*v),
            (ExprKind::Bool(v), None) => ParamValue::Bool(*v),
            (ExprKind::Str(s), None) => ParamValue::Str(s.clone()),
            (ExprKind::Str(_), Some(v)) => ParamValue::Str(v),
            (_, None) => return Val::Error,
            (kind, Some(v)) => {
                let parsed = match kind {
                    ExprKind::Int(_) => v.trim().parse::<i64>().ok().map(ParamValue::Int),
                    ExprKind::Float(_) => v.trim().parse::<f64>().ok().map(ParamValue::Float),
                    ExprKind::Bool(_) => match v.trim() {
                        "true" => Some(ParamValue::Bool(true)),
                        "false" => Some(ParamValue::Bool(false)),
                        _ => None,
                    },
                    _ => None,
                };
                let ty = match kind {
                    ExprKind::Int(_) => "an integer",
                    ExprKind::Float(_) => "a number",
                    _ => "`true` or `false`",
                };
                match parsed {
                    Some(p) => p,
                    None => {
                        return self.error(
                            "ana::check::param_value",
                            default.span,
                            format!(
                                "`--set {}={v}`: the parameter `{}` takes {ty}",
                                name.name, name.name
                            ),
                            format!("the default makes it {ty}"),
                            format!("give {ty}, like the default `{}`", self.text(default.span)),
                        );
                    }
                }
            }
        };
        self.param_values.push(Param {
            name: name.name.clone(),
            value: value.clone(),
            set: from_set,
        });
        match value {
            ParamValue::Int(v) => Val::Num(self.b.konst(Literal::Int(v))),
            ParamValue::Float(v) => Val::Num(self.b.konst(Literal::Float(v))),
            ParamValue::Bool(v) => Val::Num(self.b.konst(Literal::Bool(v))),
            ParamValue::Str(s) => Val::Str(s),
        }
    }

    /// A `--set` naming no declared parameter, with the closest declared one.
    pub(super) fn report_unset_params(&mut self) {
        let mut diags = Vec::new();
        for (name, _, used) in &self.params {
            if !*used {
                let declared: Vec<&str> = self
                    .globals
                    .iter()
                    .filter(|(_, g)| g.what == "parameter")
                    .map(|(k, _)| k.as_str())
                    .collect();
                let mut d = Diagnostic::new(
                    "ana::check::unknown_param",
                    Span::new(0, 0),
                    format!("`--set {name}=...`: the script declares no parameter `{name}`"),
                )
                .label("parameters are declared in the script");
                d = match did_you_mean(name, declared.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None if declared.is_empty() => {
                        d.help("declare it in the script: `param NAME = default`")
                    }
                    None => d.help(format!("declared parameters: {}", declared.join(", "))),
                };
                diags.push(d);
            }
        }
        self.diags.extend(diags);
    }
}
