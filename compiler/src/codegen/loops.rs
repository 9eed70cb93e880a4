//! Element loops → CLIF: a loop item's body with its accumulators (reductions, filters,
//! sorts' keys, argmin/argmax), inner reductions over a cross product's second member, and
//! the index arrays of pairs, cross products and concatenations, built inline.
//!
//! Input: a `Loop` item of the plan (a space and the nodes computed per element), emitted by
//! `translate.rs` in plan order. Output: code that leaves the loop's event-level results
//! (counts, reductions, picks) in the translator for the nodes after it. Invariant: element
//! indices stay below the space's count, and writes into a parent index buffer below its
//! capacity (`chunk::prepare` sizes them from the same counts).

#![expect(
    clippy::indexing_slicing,
    reason = "tables indexed by the node, branch, slot and scratch ids of one validated graph \
              and the plan made from it: every id refers to an entry of the same graph \
              (`Graph::validate`) or of its `Layout`; a wrong id is a compiler bug"
)]

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{InstBuilder, Value};
use cranelift_frontend::Variable;

use super::CodegenError;
use super::translate::{F64, I8, I64, LoopCtx, Translator, clif_type, internal, mem, unsupported};
use crate::graph::{NodeId, NodeKind, PickOp, ReduceOp, ScalarType};

impl Translator<'_, '_> {
    /// The pairs (a, b), a < b, of `0..n` in lexicographic order into the space's two parent
    /// buffers, inline: for the usual event with a few objects, a call to a helper cost more
    /// than the loop (`ana_combinations` does the same for triples).
    pub(crate) fn emit_pairs(&mut self, id: usize, n: Value) -> Result<(), CodegenError> {
        let l = &self.plan.layout;
        let (Some(&p0), Some(&p1)) = (l.parents[id].first(), l.parents[id].get(1)) else {
            return Err(internal("pairs without two parent buffers"));
        };
        let out0 = self.slot_value(l.scratch[p0].slot)?;
        let out1 = self.slot_value(l.scratch[p1].slot)?;
        let c = self.b.declare_var(I64);
        let zero = self.b.ins().iconst(I64, 0);
        self.b.def_var(c, zero);
        self.emit_for(n, |t, a| {
            let a1 = t.b.ins().iadd_imm_s(a, 1);
            let rest = t.b.ins().isub(n, a1);
            t.emit_for(rest, |t, j| {
                let b = t.b.ins().iadd(a1, j);
                let k = t.b.use_var(c);
                // k < C(n, 2), the buffers' capacity (`chunk::prepare`).
                t.store_member_pair([out0, out1], k, [a, b]);
                let k1 = t.b.ins().iadd_imm_s(k, 1);
                t.b.def_var(c, k1);
                Ok(())
            })
        })?;
        self.counts[id] = Some(self.b.use_var(c));
        Ok(())
    }

    /// The pairs (a, b) of `0..n0` x `0..n1`, a-major, into `out0`/`out1` (capacity
    /// n0 n1, `chunk::prepare`); returns their number. Inline, as for `emit_pairs`.
    pub(crate) fn emit_cartesian(
        &mut self,
        n0: Value,
        n1: Value,
        out0: Value,
        out1: Value,
    ) -> Result<Value, CodegenError> {
        self.emit_for(n0, |t, a| {
            let row = t.b.ins().imul(a, n1);
            t.emit_for(n1, |t, b| {
                let k = t.b.ins().iadd(row, b);
                t.store_member_pair([out0, out1], k, [a, b]);
                Ok(())
            })
        })?;
        Ok(self.b.ins().imul(n0, n1))
    }

    /// The elements of two collections one after the other: element k is (k, -1) for
    /// k < n0, then (-1, k - n0); capacity n0 + n1 (`chunk::prepare`).
    pub(crate) fn emit_concat(
        &mut self,
        n0: Value,
        n1: Value,
        out0: Value,
        out1: Value,
    ) -> Result<Value, CodegenError> {
        let none = self.b.ins().iconst(I64, -1);
        self.emit_for(n0, |t, a| {
            t.store_member_pair([out0, out1], a, [a, none]);
            Ok(())
        })?;
        self.emit_for(n1, |t, b| {
            let k = t.b.ins().iadd(n0, b);
            t.store_member_pair([out0, out1], k, [none, b]);
            Ok(())
        })?;
        Ok(self.b.ins().iadd(n0, n1))
    }

    /// Element `k` of a two-member space: its member indices into the parent buffers.
    pub(crate) fn store_member_pair(&mut self, out: [Value; 2], k: Value, members: [Value; 2]) {
        for (buf, m) in out.into_iter().zip(members) {
            let at = self.index_addr(buf, k, 8);
            self.b.ins().store(mem(), m, at, 0);
        }
    }

    pub(crate) fn emit_loop(
        &mut self,
        space: NodeId,
        nodes: &[NodeId],
    ) -> Result<(), CodegenError> {
        let n = self.count(space)?;
        // Accumulators, defined before the loop.
        let mut accs: HashMap<NodeId, (Variable, Option<Variable>)> = HashMap::new();
        for &id in nodes {
            if let Some(acc) = self.init_acc(id)? {
                accs.insert(id, acc);
            }
        }
        let outer = self.lp.take();
        self.emit_for(n, |t, i| {
            t.lp = Some(LoopCtx {
                space,
                index: i,
                vals: HashMap::new(),
            });
            for &id in nodes {
                if !t.plan.lazy.deferred.contains(&id) {
                    t.emit_in_loop(id, accs.get(&id).copied())?;
                }
            }
            Ok(())
        })?;
        self.lp = outer;
        for &id in nodes {
            let i = id.0 as usize;
            let l = &self.plan.layout;
            match &self.g.node(id).kind {
                NodeKind::Filter { .. } => {
                    self.counts[i] = accs.get(&id).map(|a| self.b.use_var(a.0))
                }
                NodeKind::Reduce { .. } | NodeKind::Pick { .. } => {
                    self.ev_vals[i] = accs.get(&id).map(|a| self.b.use_var(a.0))
                }
                NodeKind::Sort {
                    key, descending, ..
                } => {
                    let keys = self.slot_value(
                        l.scratch[l.sort_keys[i].ok_or_else(|| internal("sort keys"))?].slot,
                    )?;
                    let out = self.slot_value(l.scratch[l.parents[i][0]].slot)?;
                    let desc = self.b.ins().iconst(I8, i64::from(*descending));
                    let name = match self.scalar(*key)? {
                        ScalarType::Float => "ana_sort_f64",
                        ScalarType::Int => "ana_sort_i64",
                        _ => return Err(unsupported(id, "sorting by a key that is not a number")),
                    };
                    self.call(name, &[I64, I64, I8, I64], None, &[keys, n, desc, out])?;
                    self.counts[i] = Some(n);
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn init_acc(
        &mut self,
        id: NodeId,
    ) -> Result<Option<(Variable, Option<Variable>)>, CodegenError> {
        let node = self.g.node(id);
        let (ty, init) = match &node.kind {
            NodeKind::Filter { .. } => (I64, self.b.ins().iconst(I64, 0)),
            NodeKind::Reduce { op, .. } => {
                let ty = self.scalar(id)?;
                (clif_type(ty), self.reduce_init(id, *op, ty)?)
            }
            NodeKind::Pick {
                op: PickOp::ArgMin { key } | PickOp::ArgMax { key },
                ..
            } => {
                let kt = clif_type(self.scalar(*key)?);
                let best = self.b.declare_var(I64);
                let none = self.b.ins().iconst(I64, -1);
                self.b.def_var(best, none);
                let k = self.b.declare_var(kt);
                let z = if kt == F64 {
                    self.b.ins().f64const(0.0)
                } else {
                    self.b.ins().iconst(kt, 0)
                };
                self.b.def_var(k, z);
                return Ok(Some((best, Some(k))));
            }
            _ => return Ok(None),
        };
        let v = self.b.declare_var(ty);
        self.b.def_var(v, init);
        Ok(Some((v, None)))
    }

    pub fn reduce_init(
        &mut self,
        id: NodeId,
        op: ReduceOp,
        ty: ScalarType,
    ) -> Result<Value, CodegenError> {
        Ok(match (op, ty) {
            (ReduceOp::Count | ReduceOp::Sum, ScalarType::Int) => self.b.ins().iconst(I64, 0),
            (ReduceOp::Sum, ScalarType::Float) => self.b.ins().f64const(0.0),
            (ReduceOp::Min | ReduceOp::Max, ScalarType::Float) => self.b.ins().f64const(f64::NAN),
            (ReduceOp::Any, ScalarType::Bool) => self.b.ins().iconst(I8, 0),
            (ReduceOp::All, ScalarType::Bool) => self.b.ins().iconst(I8, 1),
            _ => return Err(unsupported(id, &format!("reduction {op:?} to {ty:?}"))),
        })
    }

    /// `acc` folded with `v`; `first` says whether `v` is the list's first element.
    pub fn reduce_step(&mut self, op: ReduceOp, acc: Value, v: Value, first: Value) -> Value {
        let float = self.b.func.dfg.value_type(acc) == F64;
        let ins = self.b.ins();
        match op {
            ReduceOp::Count => ins.iadd_imm_s(acc, 1),
            ReduceOp::Sum if float => ins.fadd(acc, v),
            ReduceOp::Sum => ins.iadd(acc, v),
            ReduceOp::Min | ReduceOp::Max => {
                let m = if op == ReduceOp::Min {
                    ins.fmin(acc, v)
                } else {
                    ins.fmax(acc, v)
                };
                self.b.ins().select(first, v, m)
            }
            ReduceOp::Any => ins.bor(acc, v),
            ReduceOp::All => ins.band(acc, v),
        }
    }

    pub(crate) fn emit_in_loop(
        &mut self,
        id: NodeId,
        acc: Option<(Variable, Option<Variable>)>,
    ) -> Result<(), CodegenError> {
        let node = self.g.node(id);
        let i = self
            .lp
            .as_ref()
            .map(|lp| lp.index)
            .ok_or_else(|| internal("no loop"))?;
        let l = &self.plan.layout;
        let acc_var = || {
            acc.map(|a| a.0)
                .ok_or_else(|| internal("accumulator missing"))
        };
        match &node.kind {
            NodeKind::Filter { mask, .. } => {
                let var = acc_var()?;
                let m = self.val(*mask)?;
                let c = self.b.use_var(var);
                let out = self.slot_value(l.scratch[l.parents[id.0 as usize][0]].slot)?;
                // Write unconditionally (c <= i < capacity), advance only when kept.
                let a = self.index_addr(out, c, 8);
                self.b.ins().store(mem(), i, a, 0);
                let m = self.b.ins().uextend(I64, m);
                let c1 = self.b.ins().iadd(c, m);
                self.b.def_var(var, c1);
            }
            NodeKind::Sort { key, .. } => {
                let k = self.val(*key)?;
                let buf = l.sort_keys[id.0 as usize].ok_or_else(|| internal("sort keys"))?;
                let p = self.slot_value(l.scratch[buf].slot)?;
                let a = self.index_addr(p, i, 8);
                self.b.ins().store(mem(), k, a, 0);
            }
            NodeKind::Reduce { op, value, .. } => {
                let var = acc_var()?;
                let v = match value {
                    Some(v) => self.val(*v)?,
                    None => i,
                };
                let a = self.b.use_var(var);
                let first = self.b.ins().icmp_imm_s(IntCC::Equal, i, 0);
                let a1 = self.reduce_step(*op, a, v, first);
                self.b.def_var(var, a1);
            }
            NodeKind::Pick {
                op: PickOp::ArgMin { key } | PickOp::ArgMax { key },
                ..
            } => {
                let (best, bk) = match acc {
                    Some((b, Some(k))) => (b, k),
                    _ => return Err(internal("argmin accumulators missing")),
                };
                let min = matches!(
                    node.kind,
                    NodeKind::Pick {
                        op: PickOp::ArgMin { .. },
                        ..
                    }
                );
                let k = self.val(*key)?;
                let (bi, bkv) = (self.b.use_var(best), self.b.use_var(bk));
                let none = self.b.ins().icmp_imm_s(IntCC::Equal, bi, -1);
                let take = if self.b.func.dfg.value_type(k) == F64 {
                    let better = self.b.ins().fcmp(
                        if min {
                            FloatCC::LessThan
                        } else {
                            FloatCC::GreaterThan
                        },
                        k,
                        bkv,
                    );
                    let t = self.b.ins().bor(none, better);
                    let ordered = self.b.ins().fcmp(FloatCC::Ordered, k, k);
                    self.b.ins().band(t, ordered)
                } else {
                    let cc = if min {
                        IntCC::SignedLessThan
                    } else {
                        IntCC::SignedGreaterThan
                    };
                    let better = self.b.ins().icmp(cc, k, bkv);
                    self.b.ins().bor(none, better)
                };
                let bi1 = self.b.ins().select(take, i, bi);
                let bk1 = self.b.ins().select(take, k, bkv);
                self.b.def_var(best, bi1);
                self.b.def_var(bk, bk1);
            }
            NodeKind::Fill { .. } => self.emit_fill(id)?,
            NodeKind::Append { .. } => self.emit_append(id)?,
            _ => {
                let v = match self.plan.lazy.sides.get(&id) {
                    Some(sides) => self.lazy_value(id, sides)?,
                    None => self.compute(id)?,
                };
                if let Some(buf) = l.values[id.0 as usize] {
                    let p = self.slot_value(l.scratch[buf].slot)?;
                    let a = self.index_addr(p, i, 8);
                    self.b.ins().store(mem(), v, a, 0);
                }
                if let Some(lp) = self.lp.as_mut() {
                    lp.vals.insert(id, v);
                }
            }
        }
        Ok(())
    }

    pub(crate) fn reduce_inner(
        &mut self,
        id: NodeId,
        op: ReduceOp,
        space: NodeId,
        value: Option<NodeId>,
    ) -> Result<Value, CodegenError> {
        let NodeKind::Cartesian { parents } = &self.g.node(space).kind else {
            return Err(unsupported(
                id,
                "an inner reduction over a space that is not a cross product",
            ));
        };
        let n1 = self.count(parents[1])?;
        if op == ReduceOp::Count {
            return Ok(n1);
        }
        let i = self
            .lp
            .as_ref()
            .map(|lp| lp.index)
            .ok_or_else(|| internal("no loop"))?;
        let ty = self.scalar(id)?;
        let init = self.reduce_init(id, op, ty)?;
        let acc = self.b.declare_var(clif_type(ty));
        self.b.def_var(acc, init);
        let base = self.b.ins().imul(i, n1);
        let value = value.ok_or_else(|| internal("inner reduction without a value"))?;
        self.emit_for(n1, |t, j| {
            let at = t.b.ins().iadd(base, j);
            let v = t.read_elem(value, at)?;
            let a = t.b.use_var(acc);
            let first = t.b.ins().icmp_imm_s(IntCC::Equal, j, 0);
            let a1 = t.reduce_step(op, a, v, first);
            t.b.def_var(acc, a1);
            Ok(())
        })?;
        Ok(self.b.use_var(acc))
    }
}
