//! `cutflow NAME: r1, r2, r3 weight EXPR`: a named cutflow, lowered to one counting sink
//! per row.
//!
//! Row 0 counts every event; row i counts the events passing `r1 and ... and ri`, each
//! region with its own `in` parents (a region's mask already includes them), so the rows
//! never grow. This is coffea's `PackedSelection.cutflow` and RDataFrame's `Report`: the
//! cutflow's order, not the regions' declaration order, decides what is cumulative.

use crate::ast::{Expr, Ident};
use crate::graph::{BinaryOp, CutflowId, CutflowSpec, NodeId, NodeKind, ScalarType, Shape, Type};

use super::Lowerer;

impl Lowerer<'_> {
    pub(super) fn cutflow(&mut self, name: &Ident, regions: &[Ident], weight: Option<&Expr>) {
        let fresh = self.output_name(name, "cutflow");
        let mut masks = Vec::new();
        let mut complete = true;
        for (i, r) in regions.iter().enumerate() {
            if let Some(first) = regions.iter().take(i).find(|p| p.name == r.name) {
                let line = self.line_of(first.span);
                self.diags.push(
                    crate::diagnostics::Diagnostic::new(
                        "ana::check::cutflow_repeat",
                        r.span,
                        format!("region `{}` appears twice in cutflow `{}`", r.name, name.name),
                    )
                    .label("again here")
                    .also(first.span, "first here")
                    .help(format!(
                        "a row after `{}` again would repeat line {line}'s row: list each region once",
                        r.name
                    )),
                );
                complete = false;
                continue;
            }
            match self.region_mask(r) {
                Some(m) => masks.push(m),
                None => complete = false,
            }
        }
        let w = match weight {
            Some(w) => match self.cutflow_weight(w) {
                Some(n) => Some(n),
                None => return,
            },
            None => None,
        };
        if !(fresh && complete) {
            return;
        }
        let id = CutflowId(self.b.graph.cutflows.len() as u32);
        self.b.graph.cutflows.push(CutflowSpec {
            name: name.name.clone(),
            regions: regions.iter().map(|r| r.name.clone()).collect(),
            weight: weight.map(|w| self.text(w.span).to_string()),
        });
        let mut mask: Option<NodeId> = None;
        for row in 0..=masks.len() {
            if let Some(&m) = row.checked_sub(1).and_then(|i| masks.get(i)) {
                mask = Some(match mask {
                    None => m,
                    Some(acc) => self.b.binary(BinaryOp::And, acc, m),
                });
            }
            self.b.add(
                NodeKind::CountCutflow {
                    cutflow: id,
                    row: row as u32,
                    mask,
                    weight: w,
                },
                Type::Scalar(ScalarType::Bool),
                Shape::Event,
            );
        }
    }

    /// A cutflow's weight: a number per event, as a Float.
    fn cutflow_weight(&mut self, w: &Expr) -> Option<NodeId> {
        let v = self.expr(w);
        let n = self.num(&v, w.span)?;
        if self.b.scalar_type(n) == Some(ScalarType::Bool) {
            self.error(
                "ana::check::type",
                w.span,
                "a weight must be a number",
                "a Bool",
                "use `if cond then 1.0 else 0.0`",
            );
            return None;
        }
        if self.b.shape(n) != Shape::Event {
            self.error(
                "ana::check::shape",
                w.span,
                "a cutflow's weight must be one value per event",
                "this has one value per element",
                "a cutflow counts events: reduce it (`sum(...)`, `first(c).w`) to one number per event",
            );
            return None;
        }
        Some(self.b.cast(n, ScalarType::Float))
    }
}
