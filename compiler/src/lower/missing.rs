//! Missing values, lowered: each value that can be missing has a *validity*, a Bool node of
//! its shape that holds where the value is present. Nothing else in the graph knows about
//! missing values; engines run validity nodes like any other.
//!
//! Where missing values come from: a reference that points nowhere (`first`, `last`,
//! `c[i]` out of range, `argmin` of nothing: a `Pick` that gives -1), and `min`/`max` of
//! nothing. How they flow (the rules, `validity_of`): element-wise operations are missing
//! where an operand is; `and`/`or` follow Kleene's logic (`false and missing` is false,
//! `true or missing` is true); `if c then a else b` is missing where `c` is, or the chosen
//! side is. Where they stop (`skip_missing`): a filter's or a region's condition that is
//! missing counts as false; sort and argmin/argmax keys that are missing go last / are
//! skipped (as NaN); reductions skip missing values (as awkward's do); an index that is
//! missing picks nothing. Sinks (fills, table rows) are the lowering's: see `lower::mod`.
//!
//! Invariant: validity nodes themselves are never missing, so they are built with tracking
//! off (`untracked`), and a node's validity is set once, when the node is first made.

use super::builder::Builder;
use crate::graph::*;

impl Builder {
    /// Starts tracking missing values (lowering does; the optimizer's rebuilds do not).
    pub fn track_missing(&mut self) {
        self.valid = Some(Default::default());
    }

    /// The validity of `id`, or `None` when it is never missing.
    pub fn validity(&self, id: NodeId) -> Option<NodeId> {
        self.valid.as_ref().and_then(|m| m.get(&id).copied())
    }

    /// Sets the validity of a node just made (`x ?? d`): only if it has none yet.
    pub fn set_validity(&mut self, id: NodeId, valid: Option<NodeId>) {
        if let (Some(map), Some(v)) = (self.valid.as_mut(), valid) {
            map.entry(id).or_insert(v);
        }
    }

    /// Runs `f` with tracking off: what it builds is never missing.
    pub fn untracked<T>(&mut self, f: impl FnOnce(&mut Builder) -> T) -> T {
        let saved = self.valid.take();
        let out = f(self);
        self.valid = saved;
        out
    }

    /// `x` where it is present, false where it is missing.
    pub fn definite(&mut self, x: NodeId) -> NodeId {
        match self.validity(x) {
            None => x,
            Some(v) => self.untracked(|b| b.binary(BinaryOp::And, v, x)),
        }
    }

    /// The conjunction of some validities (`None`: all present).
    pub fn all_valid(&mut self, vs: impl IntoIterator<Item = Option<NodeId>>) -> Option<NodeId> {
        let mut acc: Option<NodeId> = None;
        for v in vs.into_iter().flatten() {
            acc = Some(match acc {
                None => v,
                Some(a) if a == v => a,
                Some(a) => self.untracked(|b| b.binary(BinaryOp::And, a, v)),
            });
        }
        acc
    }

    /// Rewrites the operands of a node that must not see missing values; for `min`/`max`
    /// also returns the result's validity (an empty or all-missing list gives missing).
    pub(super) fn skip_missing(&mut self, kind: NodeKind) -> (NodeKind, Option<NodeId>) {
        match kind {
            NodeKind::Filter { parent, mask } => {
                let mask = self.definite(mask);
                (NodeKind::Filter { parent, mask }, None)
            }
            NodeKind::Sort {
                parent,
                key,
                descending,
            } => {
                let key = self.key_last(key);
                (
                    NodeKind::Sort {
                        parent,
                        key,
                        descending,
                    },
                    None,
                )
            }
            NodeKind::Pick { op, space } => {
                let op = match op {
                    PickOp::ArgMin { key } => PickOp::ArgMin {
                        key: self.key_last(key),
                    },
                    PickOp::ArgMax { key } => PickOp::ArgMax {
                        key: self.key_last(key),
                    },
                    PickOp::At { index } => PickOp::At {
                        index: match self.validity(index) {
                            None => index,
                            Some(v) => self.untracked(|b| {
                                let none = b.konst(Literal::Int(-1));
                                b.select(v, index, none)
                            }),
                        },
                    },
                    other => other,
                };
                (NodeKind::Pick { op, space }, None)
            }
            NodeKind::Reduce { op, space, value } => {
                let (value, valid) = self.reduced(op, space, value, false);
                (NodeKind::Reduce { op, space, value }, valid)
            }
            NodeKind::ReduceInner { op, space, value } => {
                let (value, valid) = self.reduced(op, space, value, true);
                (NodeKind::ReduceInner { op, space, value }, valid)
            }
            other => (other, None),
        }
    }

    /// A sort or argmin key where missing keys compare as NaN (last, or skipped).
    fn key_last(&mut self, key: NodeId) -> NodeId {
        let Some(v) = self.validity(key) else {
            return key;
        };
        self.untracked(|b| {
            let k = b.cast(key, ScalarType::Float);
            let nan = b.float(f64::NAN);
            b.select(v, k, nan)
        })
    }

    /// A reduction's value with missing values replaced by the fold's identity, and the
    /// validity of a `min`/`max` (at least one value present).
    fn reduced(
        &mut self,
        op: ReduceOp,
        space: NodeId,
        value: Option<NodeId>,
        inner: bool,
    ) -> (Option<NodeId>, Option<NodeId>) {
        let Some(x) = value else {
            return (None, None);
        };
        let v = self.validity(x);
        self.untracked(|b| {
            let present = |b: &mut Builder, v: Option<NodeId>| -> NodeId {
                match v {
                    Some(v) => v,
                    None => {
                        let t = b.konst(Literal::Bool(true));
                        b.broadcast(t, space)
                    }
                }
            };
            match op {
                ReduceOp::Count => (value, None),
                ReduceOp::Sum => match v {
                    None => (value, None),
                    Some(v) => {
                        let zero = match b.scalar_type(x) {
                            Some(ScalarType::Int) => b.konst(Literal::Int(0)),
                            _ => b.float(0.0),
                        };
                        (Some(b.select(v, x, zero)), None)
                    }
                },
                ReduceOp::Any => (
                    v.map_or(value, |v| Some(b.binary(BinaryOp::And, x, v))),
                    None,
                ),
                ReduceOp::All => (
                    v.map_or(value, |v| {
                        let not = b.unary(UnaryOp::Not, v);
                        Some(b.binary(BinaryOp::Or, x, not))
                    }),
                    None,
                ),
                ReduceOp::Min | ReduceOp::Max => {
                    let x = match v {
                        None => x,
                        Some(v) => {
                            let far = if op == ReduceOp::Min {
                                f64::INFINITY
                            } else {
                                f64::NEG_INFINITY
                            };
                            let far = b.float(far);
                            b.select(v, x, far)
                        }
                    };
                    let p = present(b, v);
                    let kind = if inner {
                        NodeKind::ReduceInner {
                            op: ReduceOp::Any,
                            space,
                            value: Some(p),
                        }
                    } else {
                        NodeKind::Reduce {
                            op: ReduceOp::Any,
                            space,
                            value: Some(p),
                        }
                    };
                    let shape = match inner {
                        false => Shape::Event,
                        true => match &b.node(space).kind {
                            NodeKind::Cartesian { parents } => Shape::Elem(parents[0]),
                            _ => Shape::Event,
                        },
                    };
                    let any = b.add(kind, Type::Scalar(ScalarType::Bool), shape);
                    (Some(x), Some(any))
                }
            }
        })
    }

    /// The validity of a node just made, from its operands' (the rules in the module doc).
    pub(super) fn validity_of(&mut self, id: NodeId) -> Option<NodeId> {
        let node = self.node(id).clone();
        let v = |b: &Builder, x: NodeId| b.validity(x);
        match node.kind {
            NodeKind::Pick { space, .. } => Some(self.untracked(|b| {
                let t = b.konst(Literal::Bool(true));
                let present = b.broadcast(t, space);
                b.gather(id, present)
            })),
            NodeKind::Gather { index, value } => {
                let (vi, vv) = (v(self, index), v(self, value));
                match vv {
                    None => vi,
                    Some(vv) => {
                        let g = self.untracked(|b| b.gather(index, vv));
                        self.all_valid([vi, Some(g)])
                    }
                }
            }
            NodeKind::Unary { arg, .. } | NodeKind::Cast { arg } => v(self, arg),
            NodeKind::Broadcast { value, space } => {
                let vv = v(self, value)?;
                Some(self.untracked(|b| b.broadcast(vv, space)))
            }
            NodeKind::Binary { op, lhs, rhs } => {
                let (vl, vr) = (v(self, lhs), v(self, rhs));
                match op {
                    BinaryOp::And | BinaryOp::Or if vl.is_some() || vr.is_some() => {
                        Some(self.untracked(|b| kleene(b, op, lhs, rhs, vl, vr)))
                    }
                    _ => self.all_valid([vl, vr]),
                }
            }
            NodeKind::Select { cond, then, else_ } => {
                let (vc, vt, ve) = (v(self, cond), v(self, then), v(self, else_));
                // `x ?? d` is `if valid(x) then x else d`: present where d is.
                if vt.is_some() && vt == Some(cond) {
                    return ve;
                }
                let side = match (vt, ve) {
                    (None, None) => None,
                    (vt, ve) => Some(self.untracked(|b| {
                        let t = b.konst(Literal::Bool(true));
                        b.select(cond, vt.unwrap_or(t), ve.unwrap_or(t))
                    })),
                };
                self.all_valid([vc, side])
            }
            _ => None,
        }
    }
}

/// Validity of `l and r` / `l or r` under Kleene's logic: present when both are, or when
/// a present operand decides alone (false for `and`, true for `or`).
fn kleene(
    b: &mut Builder,
    op: BinaryOp,
    l: NodeId,
    r: NodeId,
    vl: Option<NodeId>,
    vr: Option<NodeId>,
) -> NodeId {
    let decides = |b: &mut Builder, x: NodeId, vx: Option<NodeId>| -> NodeId {
        let x = if op == BinaryOp::And {
            b.unary(UnaryOp::Not, x)
        } else {
            x
        };
        match vx {
            Some(v) => b.binary(BinaryOp::And, v, x),
            None => x,
        }
    };
    let t = b.konst(Literal::Bool(true));
    let both = b.binary(BinaryOp::And, vl.unwrap_or(t), vr.unwrap_or(t));
    let dl = decides(b, l, vl);
    let dr = decides(b, r, vr);
    let either = b.binary(BinaryOp::Or, dl, dr);
    b.binary(BinaryOp::Or, both, either)
}
