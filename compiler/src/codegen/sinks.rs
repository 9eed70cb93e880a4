//! Sinks → CLIF: histogram fills with the bin search inlined, table appends, and named
//! cutflows' rows.
//!
//! Input: a `Fill` or `Append` node, emitted where the plan puts it (per event, or in the
//! loop over its space). Output: code that adds to the histogram's storage or writes a row.
//! Invariant: every computed storage index is below the histogram's size (each axis slot
//! is clamped to its extent by construction); a row is written only below the table's
//! capacity, growing it first through `ana_table_grow`, and a list column's elements only
//! below its buffer's capacity, grown through `ana_list_grow` (failure: the kernel returns 1).

#![expect(
    clippy::indexing_slicing,
    reason = "tables indexed by the node, branch, slot and scratch ids of one validated graph \
              and the plan made from it: every id refers to an entry of the same graph \
              (`Graph::validate`) or of its `Layout`; a wrong id is a compiler bug"
)]

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{InstBuilder, Value, types};

use super::CodegenError;
use super::plan::ListSlots;
use super::translate::{F64, I8, I64, Translator, internal, mem, unsupported};
use crate::graph::{AxisKind, ColumnType, NodeId, NodeKind, ScalarType, Shape};

impl Translator<'_, '_> {
    pub(crate) fn emit_fill(&mut self, id: NodeId) -> Result<(), CodegenError> {
        let g = self.g;
        let plan = self.plan;
        let NodeKind::Fill {
            hist,
            region,
            values,
            weight,
            sample,
            valid,
            ..
        } = &g.node(id).kind
        else {
            return Err(internal("not a fill"));
        };
        let h = hist.0 as usize;
        let spec = g
            .hists
            .get(h)
            .ok_or_else(|| internal("histogram out of range"))?;
        if spec.axes.len() != values.len() || values.is_empty() {
            return Err(unsupported(id, "a fill whose values do not match the axes"));
        }
        let body = |t: &mut Self| -> Result<(), CodegenError> {
            // Inside the region's branch: a pointer beyond the eager slots is loaded only
            // in events that fill.
            let sumw = t.slot_value(plan.layout.hist_sumw[h])?;
            let sumw2 = match plan.layout.hist_sumw2[h] {
                Some(s) => Some(t.slot_value(s)?),
                None => None,
            };
            let mut index: Option<Value> = None;
            for (axis, &v) in spec.axes.iter().zip(values) {
                let x = t.val(v)?;
                let ty = t.scalar(v)?;
                let slot = t.axis_slot(&axis.kind, ty, x)?;
                let extent = axis.extent() as i64;
                index = Some(match index {
                    None => slot,
                    Some(i) => {
                        let scaled = t.b.ins().imul_imm_s(i, extent);
                        t.b.ins().iadd(scaled, slot)
                    }
                });
            }
            let index = index.ok_or_else(|| internal("no axis"))?;
            let w = match weight {
                Some(w) => t.val(*w)?,
                None => t.b.ins().f64const(1.0),
            };
            // The same sums, in the same order, as the interpreter (`interp::sinks::fill`).
            t.add_at(sumw, index, w);
            if let Some(sumw2) = sumw2 {
                let w2 = t.b.ins().fmul(w, w);
                t.add_at(sumw2, index, w2);
            }
            if let (Some([sx, sx2]), Some(x)) = (plan.layout.hist_sumwx[h], sample) {
                let x = t.val(*x)?;
                let wx = t.b.ins().fmul(w, x);
                let wxx = t.b.ins().fmul(wx, x);
                let p = t.slot_value(sx)?;
                t.add_at(p, index, wx);
                let p = t.slot_value(sx2)?;
                t.add_at(p, index, wxx);
            }
            Ok(())
        };
        // A row with a missing value is counted instead of filled.
        let checked = |t: &mut Self| -> Result<(), CodegenError> {
            let Some(v) = valid else {
                return body(t);
            };
            let ok = t.val(*v)?;
            let missing = t.b.ins().bxor_imm_s(ok, 1);
            t.emit_if(missing, |t| {
                let at =
                    i32::try_from(h * 8).map_err(|_| unsupported(id, "this many histograms"))?;
                let counts = t.slot_value(plan.layout.missing)?;
                let c = t.b.ins().load(I64, mem(), counts, at);
                let c1 = t.b.ins().iadd_imm_s(c, 1);
                t.b.ins().store(mem(), c1, counts, at);
                Ok(())
            })?;
            t.emit_if(ok, body)
        };
        match region {
            Some(r) => {
                let c = self.val(*r)?;
                self.emit_if(c, checked)
            }
            None => checked(self),
        }
    }

    /// `p[index] += x` for an f64 array `p`.
    fn add_at(&mut self, p: Value, index: Value, x: Value) {
        let a = self.index_addr(p, index, 8);
        let old = self.b.ins().load(F64, mem(), a, 0);
        let new = self.b.ins().fadd(old, x);
        self.b.ins().store(mem(), new, a, 0);
    }

    /// A named cutflow's row: where its mask holds, one more event and the weight (1.0
    /// without one) added to the row's sum, kept in memory like the region counts.
    pub(crate) fn emit_count_cutflow(&mut self, id: NodeId) -> Result<(), CodegenError> {
        let NodeKind::CountCutflow {
            cutflow,
            row,
            mask,
            weight,
        } = &self.g.node(id).kind
        else {
            return Err(internal("not a cutflow row"));
        };
        let c = cutflow.0 as usize;
        let rows = self
            .g
            .cutflows
            .get(c)
            .ok_or_else(|| internal("cutflow out of range"))?
            .rows();
        if *row as usize >= rows {
            return Err(internal("cutflow row out of range"));
        }
        let at =
            i32::try_from(*row as usize * 8).map_err(|_| unsupported(id, "a cutflow this long"))?;
        let (events_slot, sumw_slot) = (
            self.plan.layout.cutflow_events[c],
            self.plan.layout.cutflow_sumw[c],
        );
        let weight = *weight;
        let body = |t: &mut Self| -> Result<(), CodegenError> {
            let events = t.slot_value(events_slot)?;
            let n = t.b.ins().load(I64, mem(), events, at);
            let n1 = t.b.ins().iadd_imm_s(n, 1);
            t.b.ins().store(mem(), n1, events, at);
            let w = match weight {
                Some(w) => t.val(w)?,
                None => t.b.ins().f64const(1.0),
            };
            let sumw = t.slot_value(sumw_slot)?;
            let s = t.b.ins().load(F64, mem(), sumw, at);
            let s1 = t.b.ins().fadd(s, w);
            t.b.ins().store(mem(), s1, sumw, at);
            Ok(())
        };
        match mask {
            Some(m) => {
                let m = self.val(*m)?;
                self.emit_if(m, body)
            }
            None => body(self),
        }
    }

    /// The storage slot along one axis (flow bins included) of the value `x`.
    fn axis_slot(
        &mut self,
        kind: &AxisKind,
        ty: ScalarType,
        x: Value,
    ) -> Result<Value, CodegenError> {
        let int_like = matches!(ty, ScalarType::Int | ScalarType::Bool);
        let x = if ty == ScalarType::Bool {
            self.b.ins().uextend(I64, x)
        } else {
            x
        };
        let to_float = |t: &mut Self, x: Value| {
            if int_like {
                t.b.ins().fcvt_from_sint(F64, x)
            } else {
                x
            }
        };
        match kind {
            AxisKind::Regular { bins, lo, hi } => {
                let x = to_float(self, x);
                Ok(self.regular(x, *bins, *lo, hi - lo))
            }
            AxisKind::Log { bins, lo, hi } => {
                let x = to_float(self, x);
                let lx = self.call_f64("ana_ln", &[x])?;
                let (llo, lhi) = (lo.ln(), hi.ln());
                Ok(self.regular(lx, *bins, llo, lhi - llo))
            }
            AxisKind::Variable { edges } => {
                if edges.is_empty() {
                    return Ok(self.b.ins().iconst(I64, 0));
                }
                let x = to_float(self, x);
                // upper_bound(edges, x) as a count of edges <= x (edges are increasing).
                let mut count = self.b.ins().iconst(I64, 0);
                for e in edges {
                    let ev = self.b.ins().f64const(*e);
                    let le = self.b.ins().fcmp(FloatCC::LessThanOrEqual, ev, x);
                    let le = self.b.ins().uextend(I64, le);
                    count = self.b.ins().iadd(count, le);
                }
                let over = self.b.ins().iconst(I64, edges.len() as i64);
                let nan = self.b.ins().fcmp(FloatCC::Unordered, x, x);
                Ok(self.b.ins().select(nan, over, count))
            }
            AxisKind::Integer { lo, hi } => {
                let bins = hi.saturating_sub(*lo).max(0);
                let under = self.b.ins().iconst(I64, 0);
                let over = self.b.ins().iconst(I64, bins.saturating_add(1));
                let (below, inside, z) = if int_like {
                    // In range iff 0 <= x - lo < bins, without overflow.
                    let below = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, x, *lo);
                    let z = self.b.ins().iadd_imm_s(x, lo.wrapping_neg());
                    let small = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, z, bins);
                    let above = self.b.ins().bxor_imm_s(below, 1);
                    (below, self.b.ins().band(above, small), z)
                } else {
                    // z = floor(x) - lo; NaN is neither inside nor below: overflow.
                    let f = self.b.ins().floor(x);
                    let lof = self.b.ins().f64const(*lo as f64);
                    let z = self.b.ins().fsub(f, lof);
                    let (zero, nf) = (
                        self.b.ins().f64const(0.0),
                        self.b.ins().f64const(bins as f64),
                    );
                    let ge0 = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, z, zero);
                    let ltn = self.b.ins().fcmp(FloatCC::LessThan, z, nf);
                    let below = self.b.ins().fcmp(FloatCC::LessThan, z, zero);
                    let inside = self.b.ins().band(ge0, ltn);
                    (below, inside, self.b.ins().fcvt_to_sint_sat(I64, z))
                };
                let k = self.b.ins().iadd_imm_s(z, 1);
                let s = self.b.ins().select(below, under, over);
                Ok(self.b.ins().select(inside, k, s))
            }
            AxisKind::Category { values } | AxisKind::StrCategory { ids: values, .. } => {
                // Floats are cast as `as i64` (truncate, saturate), as boost does.
                let x = if int_like {
                    x
                } else {
                    self.b.ins().fcvt_to_sint_sat(I64, x)
                };
                let mut s = self.b.ins().iconst(I64, values.len() as i64);
                for (k, v) in values.iter().enumerate().rev() {
                    let hit = self.b.ins().icmp_imm_s(IntCC::Equal, x, *v);
                    let kv = self.b.ins().iconst(I64, k as i64);
                    s = self.b.ins().select(hit, kv, s);
                }
                Ok(s)
            }
        }
    }

    /// Regular binning: `z = (x - lo) / width`; NaN or `z >= 1` overflow, `z < 0` underflow,
    /// else slot `(z * bins) as i64 + 1` (which can reach `bins + 1`: overflow).
    fn regular(&mut self, x: Value, bins: u32, lo: f64, width: f64) -> Value {
        let lo = self.b.ins().f64const(lo);
        let width = self.b.ins().f64const(width);
        let d = self.b.ins().fsub(x, lo);
        let z = self.b.ins().fdiv(d, width);
        let one = self.b.ins().f64const(1.0);
        let zero = self.b.ins().f64const(0.0);
        let over = self
            .b
            .ins()
            .fcmp(FloatCC::UnorderedOrGreaterThanOrEqual, z, one);
        let under = self.b.ins().fcmp(FloatCC::LessThan, z, zero);
        let nf = self.b.ins().f64const(f64::from(bins));
        let zn = self.b.ins().fmul(z, nf);
        let k = self.b.ins().fcvt_to_sint_sat(I64, zn);
        let k = self.b.ins().iadd_imm_s(k, 1);
        let over_slot = self.b.ins().iconst(I64, i64::from(bins) + 1);
        let under_slot = self.b.ins().iconst(I64, 0);
        let s = self.b.ins().select(over, over_slot, k);
        self.b.ins().select(under, under_slot, s)
    }

    pub(crate) fn emit_append(&mut self, id: NodeId) -> Result<(), CodegenError> {
        let g = self.g;
        let plan = self.plan;
        let NodeKind::Append {
            table,
            space,
            region,
            columns,
        } = &g.node(id).kind
        else {
            return Err(internal("not an append"));
        };
        let t = table.0 as usize;
        let spec = g
            .tables
            .get(t)
            .ok_or_else(|| internal("table out of range"))?;
        let slots = plan
            .layout
            .tables
            .get(t)
            .ok_or_else(|| internal("table slots"))?;
        if spec.columns.len() != columns.len() {
            return Err(unsupported(
                id,
                "an append whose values do not match the columns",
            ));
        }
        // Per list column: its space (a list column is an element value in a per-event row).
        let mut lists = Vec::new();
        for (k, &v) in columns.iter().enumerate() {
            if let (None, Shape::Elem(s)) = (space, g.node(v).shape) {
                let at = slots.lists[k].ok_or_else(|| internal("list column without slots"))?;
                lists.push((k, v, s, at));
            }
        }
        let body = |tr: &mut Self| -> Result<(), CodegenError> {
            // Values first: they are computed where the row is decided.
            let mut vals = Vec::new();
            for (c, &v) in spec.columns.iter().zip(columns) {
                match g.node(v).shape {
                    Shape::Elem(s) if space.is_none() => vals.push(tr.count(s)?),
                    _ => {
                        let x = tr.val(v)?;
                        let ty = tr.scalar(v)?;
                        vals.push(tr.convert(id, ty, c.dtype, x)?);
                    }
                }
            }
            let rows = tr.load_slot(slots.rows);
            let cap = tr.load_slot(slots.cap);
            let full =
                tr.b.ins()
                    .icmp(IntCC::UnsignedGreaterThanOrEqual, rows, cap);
            let fail = tr.fail;
            tr.emit_if(full, |tr| {
                let tid = tr.b.ins().iconst(I64, t as i64);
                let ctx = tr.ctx;
                let ok = tr.call("ana_table_grow", &[I64, I64], Some(I8), &[ctx, tid])?;
                let ok = ok.ok_or_else(|| internal("grow without result"))?;
                let cont = tr.b.create_block();
                tr.b.ins().brif(ok, cont, &[], fail, &[]);
                tr.b.switch_to_block(cont);
                Ok(())
            })?;
            for (&s, v) in slots.columns.iter().zip(vals) {
                let p = tr.load_slot(s);
                let a = tr.index_addr(p, rows, 8);
                tr.b.ins().store(mem(), v, a, 0);
            }
            let rows1 = tr.b.ins().iadd_imm_s(rows, 1);
            let slots_ptr = tr.slots;
            tr.b.ins()
                .store(mem(), rows1, slots_ptr, (slots.rows * 8) as i32);
            for &(k, v, s, at) in &lists {
                tr.emit_list(id, t, k, v, s, at, spec.columns[k].dtype)?;
            }
            Ok(())
        };
        match region {
            Some(r) => {
                let c = self.val(*r)?;
                self.emit_if(c, body)
            }
            None => body(self),
        }
    }

    /// A list column's elements for the current event: the values of `value` at the
    /// elements of `space`, after the column's earlier elements, growing the buffer first
    /// through `ana_list_grow` (failure: the kernel returns 1).
    #[expect(
        clippy::too_many_arguments,
        reason = "one list column's coordinates, all needed to emit its loop"
    )]
    fn emit_list(
        &mut self,
        id: NodeId,
        table: usize,
        column: usize,
        value: NodeId,
        space: NodeId,
        at: ListSlots,
        dtype: ColumnType,
    ) -> Result<(), CodegenError> {
        let n = self.count(space)?;
        let len = self.load_slot(at.len);
        let cap = self.load_slot(at.cap);
        let need = self.b.ins().iadd(len, n);
        let short = self.b.ins().icmp(IntCC::UnsignedGreaterThan, need, cap);
        let fail = self.fail;
        self.emit_if(short, |tr| {
            let tid = tr.b.ins().iconst(I64, table as i64);
            let cid = tr.b.ins().iconst(I64, column as i64);
            let ctx = tr.ctx;
            let ok = tr.call(
                "ana_list_grow",
                &[I64, I64, I64, I64],
                Some(I8),
                &[ctx, tid, cid, need],
            )?;
            let ok = ok.ok_or_else(|| internal("grow without result"))?;
            let cont = tr.b.create_block();
            tr.b.ins().brif(ok, cont, &[], fail, &[]);
            tr.b.switch_to_block(cont);
            Ok(())
        })?;
        // Loaded after the grow, which may move the buffer.
        let p = self.load_slot(at.ptr);
        let ty = self.scalar(value)?;
        self.emit_for(n, |tr, j| {
            let x = tr.read_elem(value, j)?;
            let x = tr.convert(id, ty, dtype, x)?;
            let k = tr.b.ins().iadd(len, j);
            let a = tr.index_addr(p, k, 8);
            tr.b.ins().store(mem(), x, a, 0);
            Ok(())
        })?;
        let slots_ptr = self.slots;
        self.b
            .ins()
            .store(mem(), need, slots_ptr, (at.len * 8) as i32);
        Ok(())
    }

    /// A value converted to a table column's type (stored in the low bytes of a word).
    fn convert(
        &mut self,
        id: NodeId,
        from: ScalarType,
        to: ColumnType,
        x: Value,
    ) -> Result<Value, CodegenError> {
        use ScalarType as S;
        let ins = self.b.ins();
        Ok(match (from, to) {
            (S::Bool, ColumnType::Bool) => x,
            (S::Int, ColumnType::I64 | ColumnType::Str) | (S::Float, ColumnType::F64) => x,
            (S::Int, ColumnType::I32 | ColumnType::U32) => ins.ireduce(types::I32, x),
            (S::Int, ColumnType::I16 | ColumnType::U16) => ins.ireduce(types::I16, x),
            (S::Int, ColumnType::I8 | ColumnType::U8) => ins.ireduce(types::I8, x),
            (S::Int, ColumnType::U64) => x,
            (S::Bool, ColumnType::I8 | ColumnType::U8) => x,
            (S::Bool, ColumnType::I16 | ColumnType::U16) => ins.uextend(types::I16, x),
            (S::Bool, ColumnType::U32) => ins.uextend(types::I32, x),
            (S::Bool, ColumnType::U64) => ins.uextend(I64, x),
            (S::Float, ColumnType::F32) => ins.fdemote(types::F32, x),
            (S::Int, ColumnType::F64) => ins.fcvt_from_sint(F64, x),
            (S::Int, ColumnType::F32) => ins.fcvt_from_sint(types::F32, x),
            (S::Float, ColumnType::I64) => ins.fcvt_to_sint_sat(I64, x),
            (S::Float, ColumnType::I32) => ins.fcvt_to_sint_sat(types::I32, x),
            (S::Bool, ColumnType::I64) => ins.uextend(I64, x),
            (S::Bool, ColumnType::I32) => ins.uextend(types::I32, x),
            (S::Bool, ColumnType::F64 | ColumnType::F32) => {
                let t = if to == ColumnType::F64 {
                    F64
                } else {
                    types::F32
                };
                let w = ins.uextend(I64, x);
                self.b.ins().fcvt_from_sint(t, w)
            }
            (S::Int, ColumnType::Bool) => ins.icmp_imm_s(IntCC::NotEqual, x, 0),
            (S::Float, ColumnType::Bool) => {
                let zero = ins.f64const(0.0);
                self.b.ins().fcmp(FloatCC::NotEqual, x, zero)
            }
            _ => {
                return Err(unsupported(
                    id,
                    &format!("a {from:?} value in a {to:?} column"),
                ));
            }
        })
    }
}
