//! Histograms and profiles: `hist NAME [in R]: x ~ Axis, ... [weight w]` (1 to 8 axes) and
//! `profile NAME [in R]: y vs x ~ Axis, ... [weight w]` (the mean of y per bin).
//!
//! Input: the statement's parts. Output: a [`HistSpec`] and its `Fill` sink. A row whose
//! values, weight or sample are missing is not filled but counted (`Fill::valid`).

use super::Lowerer;
use super::value::Val;
use crate::ast::*;
use crate::graph::*;

impl Lowerer<'_> {
    pub(super) fn hist(
        &mut self,
        name: &Ident,
        region: Option<&Ident>,
        dims: &[HistDim],
        weight: Option<&Expr>,
        sample: Option<&Expr>,
    ) {
        let what = if sample.is_some() {
            "profile"
        } else {
            "histogram"
        };
        let fresh = self.output_name(name, "histogram");
        let mask = region.map(|r| self.region_mask(r));
        let mut axes = Vec::new();
        let mut vals = Vec::new();
        let mut spans = Vec::new();
        let many = dims.len() > 1;
        for dim in dims {
            let default_name = if many {
                self.text(dim.value.span).to_string()
            } else {
                name.name.clone()
            };
            let axis = self.axis(&dim.axis, default_name);
            let v = self.expr(&dim.value);
            if let Some(n) = self.axis_value(&v, dim.value.span, axis.as_ref()) {
                vals.push(Val::Num(n));
                spans.push(dim.value.span);
            }
            axes.push(axis);
        }
        if dims.len() > MAX_AXES {
            self.error(
                "ana::check::hist_dims",
                name.span,
                format!("a {what} has at most {MAX_AXES} axes"),
                format!("{} axes", dims.len()),
                "split it into several histograms",
            );
            return;
        }
        let mut extra = 0;
        for (e, role) in [(sample, "the averaged value"), (weight, "a weight")] {
            let Some(e) = e else { continue };
            extra += 1;
            let v = self.expr(e);
            let Some(n) = self.num(&v, e.span) else {
                continue;
            };
            if self.b.scalar_type(n) == Some(ScalarType::Bool) {
                self.error(
                    "ana::check::type",
                    e.span,
                    format!("{role} must be a number"),
                    "a Bool",
                    "use `if cond then 1.0 else 0.0`",
                );
                continue;
            }
            vals.push(Val::Num(n));
            spans.push(e.span);
        }
        let exact: Vec<bool> = axes
            .iter()
            .map(|a| {
                matches!(
                    a.as_ref().map(|a| &a.kind),
                    Some(
                        AxisKind::Integer { .. }
                            | AxisKind::Category { .. }
                            | AxisKind::StrCategory { .. }
                    )
                )
            })
            .collect();
        let (Some(axes), true) = (
            axes.into_iter().collect::<Option<Vec<Axis>>>(),
            vals.len() == dims.len() + extra,
        ) else {
            return;
        };
        let mask = match mask {
            None => None,
            Some(Some(m)) => Some(m),
            Some(None) => return,
        };
        let all = spans.iter().copied().reduce(Span::to).unwrap_or(name.span);
        let Some((shape, nodes)) = self.unify_nums(&vals, all) else {
            return;
        };
        let validities: Vec<Option<NodeId>> = nodes.iter().map(|&n| self.b.validity(n)).collect();
        let valid = self.b.all_valid(validities);
        // Integer and category axes bin integers exactly: Int values stay Int (Bools become
        // 0/1); every other axis, the sample and the weight take Float.
        let nodes: Vec<NodeId> = nodes
            .into_iter()
            .enumerate()
            .map(|(i, n)| match (exact.get(i), self.b.scalar_type(n)) {
                (Some(true), Some(ScalarType::Int | ScalarType::Bool)) => {
                    self.b.cast(n, ScalarType::Int)
                }
                _ => self.b.cast(n, ScalarType::Float),
            })
            .collect();
        let (values, rest) = nodes.split_at(dims.len().min(nodes.len()));
        let mut rest = rest.iter().copied();
        let sample_node = sample.and_then(|_| rest.next());
        let weight_node = weight.and_then(|_| rest.next());
        if !fresh {
            return;
        }
        let slots = axes
            .iter()
            .map(Axis::extent)
            .fold(1usize, usize::saturating_mul);
        if slots > MAX_HIST_SLOTS {
            self.error(
                "ana::check::axis",
                name.span,
                format!("{} `{}` would have {slots} bins", what, name.name),
                "too many bins",
                format!(
                    "a histogram has at most {MAX_HIST_SLOTS} bins in all (flow bins included): \
                     use fewer bins per axis"
                ),
            );
            return;
        }
        let storage = match (sample_node.is_some(), weight_node.is_some()) {
            (false, false) => Storage::Double,
            (false, true) => Storage::Weighted,
            (true, false) => Storage::Mean,
            (true, true) => Storage::WeightedMean,
        };
        let hist = HistId(self.b.graph.hists.len() as u32);
        self.b.graph.hists.push(HistSpec {
            name: name.name.clone(),
            axes,
            storage,
        });
        let space = match shape {
            Shape::Event => None,
            Shape::Elem(s) => Some(s),
        };
        self.b.add(
            NodeKind::Fill {
                hist,
                space,
                region: mask,
                values: values.to_vec(),
                weight: weight_node,
                sample: sample_node,
                valid,
            },
            Type::Scalar(ScalarType::Bool),
            Shape::Event,
        );
    }

    /// The node filled into `axis`: a number for numeric axes, a string for string
    /// categories; a Bool only on integer and category axes.
    fn axis_value(&mut self, v: &Val, span: Span, axis: Option<&Axis>) -> Option<NodeId> {
        let strings = matches!(axis.map(|a| &a.kind), Some(AxisKind::StrCategory { .. }));
        match (v, strings) {
            // The axis is reported already.
            (Val::Str(_) | Val::Text(_), _) if axis.is_none() => return None,
            (Val::Str(_) | Val::Text(_), true) => return self.text_value(v),
            (Val::Str(_) | Val::Text(_), false) if axis.is_some() => {
                self.error(
                    "ana::check::type",
                    span,
                    "a string filled into a numeric axis",
                    "a string",
                    "strings fill string categories: `Cat([\"ee\", \"mumu\"])`",
                );
                return None;
            }
            (Val::Error, _) => return None,
            (_, true) => {
                let d = v.describe(&self.b);
                self.error(
                    "ana::check::type",
                    span,
                    "a string category is filled with strings",
                    format!("this is {}", d),
                    "fill a string (`if n == 2 then \"ee\" else \"mumu\"`), or use integer categories `Cat([1, 2])`",
                );
                return None;
            }
            _ => {}
        }
        let n = self.num(v, span)?;
        if self.b.scalar_type(n) == Some(ScalarType::Bool)
            && !matches!(
                axis.map(|a| &a.kind),
                None | Some(AxisKind::Integer { .. } | AxisKind::Category { .. })
            )
        {
            self.error(
                "ana::check::type",
                span,
                "a Bool filled into a numeric axis",
                "a Bool",
                "use `Int(0, 2)` for a Bool, or fill a number",
            );
        }
        Some(n)
    }

    /// The node of a string value (a literal or parameter is interned here).
    pub(super) fn text_value(&mut self, v: &Val) -> Option<NodeId> {
        match v {
            Val::Str(s) => {
                let id = self.b.intern(s);
                Some(self.b.konst(Literal::Str(id)))
            }
            Val::Text(n) => Some(*n),
            _ => None,
        }
    }
}
