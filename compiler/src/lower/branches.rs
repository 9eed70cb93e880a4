//! Branches: collections built from branches (`Muon{pt, eta}`), flat branches read by name,
//! and their types, checked against the input's schema when there is one.
//!
//! Input: a prefix and field list, or a branch name. Output: a collection or a per-event
//! value whose loads are in the graph, or a diagnostic naming the closest branch.

use std::rc::Rc;

use indexmap::IndexMap;

use super::Lowerer;
use super::value::{Coll, CollKind, Val};
use crate::ast::*;
use crate::diagnostics::did_you_mean;
use crate::graph::*;

impl Lowerer<'_> {
    /// A collection from branches: `Muon{pt, eta, btag = "Muon_btagX"}`.
    pub(super) fn construct(&mut self, prefix: &Ident, specs: &[FieldSpec], span: Span) -> Val {
        let mut fields: IndexMap<String, (String, PhysType)> = IndexMap::new();
        let mut counter_from_field: Option<(String, Option<String>)> = None;
        let mut ok = true;
        for f in specs {
            if fields.contains_key(&f.name.name) {
                self.error(
                    "ana::check::duplicate_field",
                    f.name.span,
                    format!("field `{}` is listed twice", f.name.name),
                    "again here",
                    "list each field once",
                );
                continue;
            }
            let branch = match &f.branch {
                None => format!("{}_{}", prefix.name, f.name.name),
                Some(e) => match self.expr(e) {
                    Val::Str(s) => s,
                    Val::Error => {
                        ok = false;
                        continue;
                    }
                    other => {
                        let d = other.describe(&self.b);
                        self.error(
                            "ana::check::type",
                            e.span,
                            "a field's branch must be a string",
                            format!("this is {d}"),
                            "write `btag = \"Jet_btagDeepB\"` or use a string `param`",
                        );
                        ok = false;
                        continue;
                    }
                },
            };
            let span = f.branch.as_ref().map_or(f.name.span, |e| e.span);
            match self.branch_type(&branch, true, span) {
                Some((phys, counter)) => {
                    if counter_from_field.is_none() {
                        counter_from_field = Some((branch.clone(), counter));
                    }
                    fields.insert(f.name.name.clone(), (branch, phys));
                }
                None => ok = false,
            }
        }
        if specs.is_empty() {
            return self.error(
                "ana::check::empty_collection",
                span,
                "a collection needs at least one field",
                "no fields",
                format!(
                    "list the fields the script uses: `{}{{pt, eta, phi, mass}}`",
                    prefix.name
                ),
            );
        }
        if !ok {
            return Val::Error;
        }
        let counter_name = format!("n{}", prefix.name);
        let counter = match self.schema {
            None => Counter::Branch(self.b.branch(&counter_name, PhysType::I32, false)),
            Some(schema) => match schema.branch(&counter_name) {
                Some(sb)
                    if !sb.jagged && sb.phys.is_some_and(|p| p.value_type() == ScalarType::Int) =>
                {
                    Counter::Branch(self.b.branch(
                        &counter_name,
                        sb.phys.unwrap_or(PhysType::I32),
                        false,
                    ))
                }
                _ => match counter_from_field {
                    Some((_, Some(c))) => match schema.branch(&c).and_then(|b| b.phys) {
                        Some(p) => Counter::Branch(self.b.branch(&c, p, false)),
                        None => return Val::Error,
                    },
                    Some((field, None)) => {
                        let phys = fields.values().next().map_or(PhysType::F32, |f| f.1);
                        Counter::SizeOf(self.b.branch(&field, phys, true))
                    }
                    None => return Val::Error,
                },
            },
        };
        let space = self.b.space(NodeKind::Source { counter });
        Val::Coll(Rc::new(Coll {
            space,
            what: prefix.name.clone(),
            kind: CollKind::Source { fields },
        }))
    }

    /// The physical type of a branch (and its counter), checked against the schema if any.
    fn branch_type(
        &mut self,
        name: &str,
        jagged: bool,
        span: Span,
    ) -> Option<(PhysType, Option<String>)> {
        let Some(schema) = self.schema else {
            let phys = if !jagged && is_counter_name(name) {
                PhysType::I32
            } else {
                PhysType::F32
            };
            return Some((phys, None));
        };
        let Some(sb) = schema.branch(name) else {
            let names = schema
                .branches
                .iter()
                .filter(|_| !self.flooded)
                .map(|b| b.name.as_str());
            let help = match did_you_mean(name, names) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("`ana inspect` lists the branches of tree `{}`", schema.tree),
            };
            self.error(
                "ana::check::unknown_branch",
                span,
                format!("the input has no branch `{name}`"),
                "not in the input",
                help,
            );
            return None;
        };
        let Some(phys) = sb.phys else {
            self.error(
                "ana::check::unsupported_branch",
                span,
                format!(
                    "branch `{name}` has type {}, which ana cannot read",
                    sb.type_name
                ),
                "unsupported type",
                "ana reads numbers, booleans, and lists of them",
            );
            return None;
        };
        if sb.jagged != jagged {
            let (label, help) = if jagged {
                (
                    "one value per event",
                    format!("use it as a per-event value: `{name}`"),
                )
            } else {
                (
                    "a list per event",
                    "read it as a field of a collection: `Prefix{field}`".to_string(),
                )
            };
            self.error(
                "ana::check::branch_shape",
                span,
                format!("branch `{name}` ({}) is {label}", sb.type_name),
                label,
                help,
            );
            return None;
        }
        Some((phys, sb.counter.clone()))
    }

    /// A flat branch by name, as a per-event value.
    pub(super) fn flat_branch(&mut self, name: &str, span: Span) -> Val {
        let Some((phys, _)) = self.branch_type(name, false, span) else {
            return Val::Error;
        };
        let id = self.b.branch(name, phys, false);
        Val::Num(self.b.add(
            NodeKind::LoadEvent { branch: id },
            Type::Scalar(phys.value_type()),
            Shape::Event,
        ))
    }
}

/// `nMuon`, `nJet`: the NanoAOD counter naming.
fn is_counter_name(name: &str) -> bool {
    let mut c = name.chars();
    c.next() == Some('n') && c.next().is_some_and(|x| x.is_ascii_uppercase())
}

/// Whether an unbound name may be read as a branch without a schema.
pub(super) fn looks_like_branch(name: &str) -> bool {
    name.contains('_') || is_counter_name(name)
}
