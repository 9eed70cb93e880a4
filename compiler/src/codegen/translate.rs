//! Graph → CLIF: the plan's items in a function that `functions.rs` set up: event-level
//! nodes, runs of items under a guard, value nodes, element reads; element loops are in
//! `loops.rs`, scalar operators in `ops.rs`, sinks in `sinks.rs`.
//!
//! Input: the graph and its [`Plan`]. Output: the items' code in the current function (see
//! `codegen/mod.rs` for the ABI).
//! Invariant: every memory access is in bounds given the slot contents `chunk.rs` sets up
//! (element indices below the space's count, counts below the scratch capacity); nodes are
//! emitted in plan order so each operand's SSA value dominates its uses.

#![expect(
    clippy::indexing_slicing,
    reason = "tables indexed by the node, branch, slot and scratch ids of one validated graph \
              and the plan made from it: every id refers to an entry of the same graph \
              (`Graph::validate`) or of its `Layout`; a wrong id is a compiler bug"
)]

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    self, AbiParam, Block, FuncRef, InstBuilder, MemFlagsData, Value, types,
};
use cranelift_frontend::FunctionBuilder;
use cranelift_jit::JITModule;
use cranelift_module::{Linkage, Module};

use super::CodegenError;
use super::plan::{Item, Plan};
use crate::graph::{
    Counter, Graph, Literal, NodeId, NodeKind, PhysType, PickOp, ReduceOp, ScalarType, Shape, Type,
    UnaryOp,
};

pub(crate) const I8: ir::Type = types::I8;
pub(crate) const I64: ir::Type = types::I64;
pub(crate) const F64: ir::Type = types::F64;

/// Memory accesses of the kernel are in bounds and aligned by construction.
pub(crate) fn mem() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Input columns (branch values and offsets) are never written while a kernel runs: loads
/// marked read-only are pure to cranelift, so a value read twice (`pt` for px, py and pz) is
/// loaded once.
pub(crate) fn input() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly()
}

pub(crate) fn clif_type(ty: ScalarType) -> ir::Type {
    match ty {
        ScalarType::Bool => I8,
        ScalarType::Int | ScalarType::Ref(_) => I64,
        ScalarType::Float => F64,
    }
}

/// The loop being emitted: its space, the element index, and the element values computed in
/// its body so far.
pub(crate) struct LoopCtx {
    pub space: NodeId,
    pub index: Value,
    pub vals: HashMap<NodeId, Value>,
}

pub(crate) struct Translator<'a, 'f> {
    pub g: &'a Graph,
    pub plan: &'a Plan,
    pub module: &'a mut JITModule,
    pub b: FunctionBuilder<'f>,
    pub(crate) imports: HashMap<&'static str, FuncRef>,
    /// `sin_cos` results by operand node and the block that computed them (an operand
    /// read twice is two loads, so two SSA values: the node identifies it).
    pub(crate) sin_cos: HashMap<(NodeId, Block), (Value, Value)>,
    pub slots: Value,
    pub ctx: Value,
    /// Slot values loaded once in the entry block (pointers that never change).
    pub(crate) loaded: HashMap<usize, Value>,
    /// Per node: its value in the current event (event-level nodes, loop results).
    pub ev_vals: Vec<Option<Value>>,
    /// Per space node: its element count in the current event.
    pub counts: Vec<Option<Value>>,
    /// Per jagged branch: `offsets[e]`, the first value of the current event.
    pub(crate) bases: Vec<Option<Value>>,
    pub event: Value,
    pub lp: Option<LoopCtx>,
    pub fail: Block,
    /// The plan part this function emits, and the state buffer parts share (`parts.rs`).
    pub(crate) part: usize,
    pub(crate) state: Option<Value>,
}

impl Translator<'_, '_> {
    pub(crate) fn emit_item(&mut self, item: &Item) -> Result<(), CodegenError> {
        match item {
            Item::Event(id) => self.emit_event(*id),
            Item::Loop { space, nodes } => self.emit_loop(*space, nodes),
        }
    }

    /// `if all(guard) { items }`: when the guard fails, the items' event values are "missing"
    /// and their spaces empty (nothing that matters reads them then: see `guard`).
    pub(crate) fn emit_guarded(
        &mut self,
        items: &[Item],
        guard: &[NodeId],
    ) -> Result<(), CodegenError> {
        let mut cond = self.val(guard[0])?;
        for a in &guard[1..] {
            let v = self.val(*a)?;
            cond = self.b.ins().band(cond, v);
        }
        let nodes = items.iter().flat_map(|item| match item {
            Item::Event(id) => std::slice::from_ref(id),
            Item::Loop { nodes, .. } => nodes.as_slice(),
        });
        // (node, is a space count, variable) for everything the items define per event.
        let mut defs = Vec::new();
        for &id in nodes {
            let node = self.g.node(id);
            let (ty, default) = if node.is_space() {
                (I64, self.b.ins().iconst(I64, 0))
            } else if node.shape == Shape::Event && !node.is_sink() {
                let s = self.scalar(id)?;
                (clif_type(s), self.missing(s))
            } else {
                continue;
            };
            let var = self.b.declare_var(ty);
            self.b.def_var(var, default);
            defs.push((id, node.is_space(), var));
        }
        let (yes, cont) = (self.b.create_block(), self.b.create_block());
        self.b.ins().brif(cond, yes, &[], cont, &[]);
        self.b.switch_to_block(yes);
        for item in items {
            self.emit_item(item)?;
        }
        for &(id, is_count, var) in &defs {
            let i = id.0 as usize;
            let v = if is_count {
                self.counts[i]
            } else {
                self.ev_vals[i]
            };
            let v = v.ok_or_else(|| internal(format!("guarded %{i} defines no value")))?;
            self.b.def_var(var, v);
        }
        self.b.ins().jump(cont, &[]);
        self.b.switch_to_block(cont);
        for &(id, is_count, var) in &defs {
            let v = Some(self.b.use_var(var));
            if is_count {
                self.counts[id.0 as usize] = v;
            } else {
                self.ev_vals[id.0 as usize] = v;
            }
        }
        Ok(())
    }

    /// Per branch: the space all of its element loads are in, when there is exactly one.
    pub(crate) fn shared_offsets(&self) -> Vec<Option<NodeId>> {
        let mut spaces: Vec<Option<Option<NodeId>>> = vec![None; self.g.branches.len()];
        for node in &self.g.nodes {
            if let NodeKind::LoadElem { branch, space } = &node.kind {
                let slot = &mut spaces[branch.0 as usize];
                *slot = match *slot {
                    None => Some(Some(*space)),
                    Some(Some(s)) if s == *space => Some(Some(s)),
                    Some(_) => Some(None),
                };
            }
        }
        spaces.into_iter().map(Option::flatten).collect()
    }

    // ---- small helpers ----

    pub fn load_slot(&mut self, slot: usize) -> Value {
        self.b.ins().load(I64, mem(), self.slots, (slot * 8) as i32)
    }

    /// A slot that no call changes while the kernel runs (not a table's): the value loaded
    /// in the entry block, or past `functions::EAGER_SLOTS` a load here.
    pub fn slot_value(&mut self, slot: usize) -> Result<Value, CodegenError> {
        if let Some(v) = self.loaded.get(&slot) {
            return Ok(*v);
        }
        let at = i32::try_from(slot * 8)
            .ok()
            .filter(|_| slot < self.plan.layout.len)
            .ok_or_else(|| internal(format!("slot {slot} out of range")))?;
        // Read-only: loads of one slot on one path are merged into one.
        let flags = MemFlagsData::trusted().with_readonly();
        Ok(self.b.ins().load(I64, flags, self.slots, at))
    }

    /// `base + index * size`.
    pub fn index_addr(&mut self, base: Value, index: Value, size: i64) -> Value {
        let off = self.b.ins().imul_imm_s(index, size);
        self.b.ins().iadd(base, off)
    }

    /// Call an imported function by name, declaring it on first use.
    pub fn call(
        &mut self,
        name: &'static str,
        params: &[ir::Type],
        ret: Option<ir::Type>,
        args: &[Value],
    ) -> Result<Option<Value>, CodegenError> {
        let rets: &[ir::Type] = match &ret {
            Some(t) => std::slice::from_ref(t),
            None => &[],
        };
        let f = self.import(name, params, rets)?;
        let inst = self.b.ins().call(f, args);
        Ok(self.b.inst_results(inst).first().copied())
    }

    /// The function `name` of the runtime, declared on first use.
    pub(crate) fn import(
        &mut self,
        name: &'static str,
        params: &[ir::Type],
        rets: &[ir::Type],
    ) -> Result<FuncRef, CodegenError> {
        if let Some(f) = self.imports.get(name) {
            return Ok(*f);
        }
        let mut sig = self.module.make_signature();
        sig.params.extend(params.iter().map(|t| AbiParam::new(*t)));
        sig.returns.extend(rets.iter().map(|t| AbiParam::new(*t)));
        let id = self
            .module
            .declare_function(name, Linkage::Import, &sig)
            .map_err(|e| CodegenError::Cranelift(e.to_string()))?;
        let f = self.module.declare_func_in_func(id, self.b.func);
        self.imports.insert(name, f);
        Ok(f)
    }

    pub fn call_f64(&mut self, name: &'static str, args: &[Value]) -> Result<Value, CodegenError> {
        let params = vec![F64; args.len()];
        self.call(name, &params, Some(F64), args)?
            .ok_or_else(|| internal("call without result"))
    }

    pub fn scalar(&self, id: NodeId) -> Result<ScalarType, CodegenError> {
        match self.g.node(id).ty {
            Type::Scalar(s) => Ok(s),
            Type::Space => Err(internal(format!("%{} is a space, not a value", id.0))),
        }
    }

    pub fn count(&mut self, space: NodeId) -> Result<Value, CodegenError> {
        match self.counts[space.0 as usize] {
            Some(n) => Ok(n),
            None => self.load_state(space, I64),
        }
    }

    pub fn missing(&mut self, ty: ScalarType) -> Value {
        match ty {
            ScalarType::Bool => self.b.ins().iconst(I8, 0),
            ScalarType::Int => self.b.ins().iconst(I64, 0),
            ScalarType::Ref(_) => self.b.ins().iconst(I64, -1),
            ScalarType::Float => self.b.ins().f64const(f64::NAN),
        }
    }

    /// The value of `id` where code is being emitted now: the current event's value, or
    /// for an element node of the open loop's space, the current element's.
    pub fn val(&mut self, id: NodeId) -> Result<Value, CodegenError> {
        if let Some(v) = self.lp.as_ref().and_then(|lp| lp.vals.get(&id)) {
            return Ok(*v);
        }
        match self.g.node(id).shape {
            Shape::Event => match self.ev_vals[id.0 as usize] {
                Some(v) => Ok(v),
                None => {
                    let ty = clif_type(self.scalar(id)?);
                    self.load_state(id, ty)
                }
            },
            Shape::Elem(s) => match &self.lp {
                Some(lp) if lp.space == s => {
                    let i = lp.index;
                    self.read_elem(id, i)
                }
                _ => Err(internal(format!(
                    "%{} read outside a loop over its space",
                    id.0
                ))),
            },
        }
    }

    /// The value of the element node `id` at element `idx` of its space, in this event.
    pub fn read_elem(&mut self, id: NodeId, idx: Value) -> Result<Value, CodegenError> {
        let node = self.g.node(id);
        match &node.kind {
            NodeKind::Const(lit) => Ok(self.literal(lit)),
            NodeKind::LoadElem { branch, .. } => {
                let base = self.bases[branch.0 as usize]
                    .ok_or_else(|| internal(format!("branch #{} is not jagged", branch.0)))?;
                let at = self.b.ins().iadd(base, idx);
                self.load_branch(branch.0 as usize, at)
            }
            NodeKind::Broadcast { value, .. } => self.val(*value),
            NodeKind::SelfIndex { .. } => Ok(idx),
            NodeKind::ParentIndex { space, parent } => {
                let buf = *self.plan.layout.parents[space.0 as usize]
                    .get(*parent as usize)
                    .ok_or_else(|| internal(format!("%{} has no parent {parent}", space.0)))?;
                let p = self.slot_value(self.plan.layout.scratch[buf].slot)?;
                let a = self.index_addr(p, idx, 8);
                Ok(self.b.ins().load(I64, mem(), a, 0))
            }
            _ => {
                let ty = clif_type(self.scalar(id)?);
                let buf = self.plan.layout.values[id.0 as usize]
                    .ok_or_else(|| internal(format!("%{} has no element buffer", id.0)))?;
                let p = self.slot_value(self.plan.layout.scratch[buf].slot)?;
                let a = self.index_addr(p, idx, 8);
                Ok(self.b.ins().load(ty, mem(), a, 0))
            }
        }
    }

    pub fn literal(&mut self, lit: &Literal) -> Value {
        match lit {
            Literal::Bool(v) => self.b.ins().iconst(I8, i64::from(*v)),
            Literal::Int(v) | Literal::Str(v) => self.b.ins().iconst(I64, *v),
            Literal::Float(v) => self.b.ins().f64const(*v),
        }
    }

    /// Value `at` (a flat index) of branch `b`, converted to its graph type.
    pub fn load_branch(&mut self, b: usize, at: Value) -> Result<Value, CodegenError> {
        let phys = self
            .g
            .branches
            .get(b)
            .map(|br| br.phys)
            .ok_or_else(|| internal("branch out of range"))?;
        let size = match phys {
            PhysType::Bool | PhysType::I8 | PhysType::U8 => 1,
            PhysType::I16 | PhysType::U16 => 2,
            PhysType::I32 | PhysType::U32 | PhysType::F32 => 4,
            PhysType::I64 | PhysType::U64 | PhysType::F64 => 8,
        };
        let data = self.slot_value(self.plan.layout.branch_data[b])?;
        let a = self.index_addr(data, at, size);
        let ins = self.b.ins();
        Ok(match phys {
            PhysType::Bool => ins.load(I8, input(), a, 0),
            PhysType::I8 => ins.sload8(I64, input(), a, 0),
            PhysType::U8 => ins.uload8(I64, input(), a, 0),
            PhysType::I16 => ins.sload16(I64, input(), a, 0),
            PhysType::U16 => ins.uload16(I64, input(), a, 0),
            PhysType::I32 => ins.sload32(input(), a, 0),
            PhysType::U32 => ins.uload32(input(), a, 0),
            PhysType::I64 | PhysType::U64 => ins.load(I64, input(), a, 0),
            PhysType::F32 => {
                let x = ins.load(types::F32, input(), a, 0);
                self.b.ins().fpromote(F64, x)
            }
            PhysType::F64 => ins.load(F64, input(), a, 0),
        })
    }

    /// `if cond { then() }`, continuing after.
    pub fn emit_if(
        &mut self,
        cond: Value,
        then: impl FnOnce(&mut Self) -> Result<(), CodegenError>,
    ) -> Result<(), CodegenError> {
        let (yes, cont) = (self.b.create_block(), self.b.create_block());
        self.b.ins().brif(cond, yes, &[], cont, &[]);
        self.b.switch_to_block(yes);
        then(self)?;
        self.b.ins().jump(cont, &[]);
        self.b.switch_to_block(cont);
        Ok(())
    }

    /// `for i in 0..n { body(i) }`, continuing after.
    pub fn emit_for(
        &mut self,
        n: Value,
        body: impl FnOnce(&mut Self, Value) -> Result<(), CodegenError>,
    ) -> Result<(), CodegenError> {
        let var = self.b.declare_var(I64);
        let zero = self.b.ins().iconst(I64, 0);
        self.b.def_var(var, zero);
        let (head, blk, exit) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        self.b.ins().jump(head, &[]);
        self.b.switch_to_block(head);
        let i = self.b.use_var(var);
        let more = self.b.ins().icmp(IntCC::SignedLessThan, i, n);
        self.b.ins().brif(more, blk, &[], exit, &[]);
        self.b.switch_to_block(blk);
        body(self, i)?;
        let i1 = self.b.ins().iadd_imm_s(i, 1);
        self.b.def_var(var, i1);
        self.b.ins().jump(head, &[]);
        self.b.switch_to_block(exit);
        Ok(())
    }

    // ---- event-level nodes ----

    fn emit_event(&mut self, id: NodeId) -> Result<(), CodegenError> {
        let node = self.g.node(id);
        let i = id.0 as usize;
        let l = &self.plan.layout;
        match &node.kind {
            NodeKind::Source { counter } => {
                let n = match counter {
                    Counter::Branch(b) => {
                        let e = self.event;
                        let v = self.load_branch(b.0 as usize, e)?;
                        if self.b.func.dfg.value_type(v) != I64 {
                            return Err(unsupported(
                                id,
                                "a counter branch that does not hold integers",
                            ));
                        }
                        v
                    }
                    Counter::SizeOf(b) => {
                        let s = l.branch_offsets[b.0 as usize]
                            .ok_or_else(|| unsupported(id, "the size of a flat branch"))?;
                        let offsets = self.slot_value(s)?;
                        let a = self.index_addr(offsets, self.event, 4);
                        let lo = self.b.ins().uload32(input(), a, 0);
                        let hi = self.b.ins().uload32(input(), a, 4);
                        self.b.ins().isub(hi, lo)
                    }
                };
                self.counts[i] = Some(n);
            }
            NodeKind::Combinations { parent, k } => {
                let n = self.count(*parent)?;
                let k = *k as i64;
                if !(2..=3).contains(&k) {
                    return Err(unsupported(
                        id,
                        "combinations of other than 2 or 3 elements",
                    ));
                }
                if k == 2 {
                    self.emit_pairs(i, n)?;
                    return Ok(());
                }
                let mut args = vec![n, self.b.ins().iconst(I64, k)];
                for m in 0..3 {
                    args.push(match l.parents[i].get(m) {
                        Some(buf) => self.slot_value(l.scratch[*buf].slot)?,
                        None => self.b.ins().iconst(I64, 0),
                    });
                }
                let c = self.call("ana_combinations", &[I64; 5], Some(I64), &args)?;
                self.counts[i] = c;
            }
            NodeKind::Cartesian { parents } | NodeKind::Concat { parents } => {
                let n0 = self.count(parents[0])?;
                let n1 = self.count(parents[1])?;
                let p0 = self.slot_value(l.scratch[l.parents[i][0]].slot)?;
                let p1 = self.slot_value(l.scratch[l.parents[i][1]].slot)?;
                let cartesian = matches!(node.kind, NodeKind::Cartesian { .. });
                self.counts[i] = Some(if cartesian {
                    self.emit_cartesian(n0, n1, p0, p1)?
                } else {
                    self.emit_concat(n0, n1, p0, p1)?
                });
            }
            NodeKind::Const(lit) => self.ev_vals[i] = Some(self.literal(lit)),
            NodeKind::LoadEvent { branch } => {
                let e = self.event;
                self.ev_vals[i] = Some(self.load_branch(branch.0 as usize, e)?);
            }
            NodeKind::CountRegion { region, mask } => {
                // Counted in memory, not in a variable: a variable live across the whole
                // event loop is threaded through every block as a block parameter, which
                // made code size quadratic in the number of regions.
                let m = self.val(*mask)?;
                let m = self.b.ins().uextend(I64, m);
                let r = region.0 as usize;
                if r >= self.g.regions.len() {
                    return Err(internal("region out of range"));
                }
                let at = i32::try_from(r * 8).map_err(|_| unsupported(id, "this many regions"))?;
                let counts = self.slot_value(l.cutflow)?;
                let c = self.b.ins().load(I64, mem(), counts, at);
                let c1 = self.b.ins().iadd(c, m);
                self.b.ins().store(mem(), c1, counts, at);
            }
            NodeKind::Reduce {
                op: ReduceOp::Count,
                space,
                ..
            } => self.ev_vals[i] = Some(self.count(*space)?),
            NodeKind::Pick {
                op: PickOp::First,
                space,
            } => {
                let n = self.count(*space)?;
                let some = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThan, n, 0);
                let (zero, none) = (self.b.ins().iconst(I64, 0), self.b.ins().iconst(I64, -1));
                self.ev_vals[i] = Some(self.b.ins().select(some, zero, none));
            }
            NodeKind::Pick {
                op: PickOp::Last,
                space,
            } => {
                // n - 1 is -1 ("none") for an empty list.
                let n = self.count(*space)?;
                self.ev_vals[i] = Some(self.b.ins().iadd_imm_s(n, -1));
            }
            NodeKind::Pick {
                op: PickOp::At { .. },
                ..
            } => {
                let v = self.compute(id)?;
                self.ev_vals[i] = Some(v);
            }
            NodeKind::Fill { .. } => self.emit_fill(id)?,
            NodeKind::Append { .. } => self.emit_append(id)?,
            NodeKind::CountCutflow { .. } => self.emit_count_cutflow(id)?,
            NodeKind::Gather { .. }
            | NodeKind::Unary { .. }
            | NodeKind::Binary { .. }
            | NodeKind::Select { .. }
            | NodeKind::Cast { .. } => {
                let v = self.compute(id)?;
                self.ev_vals[i] = Some(v);
            }
            _ => return Err(unsupported(id, "this node at event level")),
        }
        Ok(())
    }

    /// A value node (event or element of the open loop): its value, from its operands.
    pub(crate) fn compute(&mut self, id: NodeId) -> Result<Value, CodegenError> {
        let node = self.g.node(id);
        let ty = self.scalar(id)?;
        match &node.kind {
            NodeKind::Unary {
                op: op @ (UnaryOp::Sin | UnaryOp::Cos),
                arg,
            } if self.g.node(*arg).ty == Type::Scalar(ScalarType::Float) => {
                let (s, c) = self.sin_cos(*arg)?;
                Ok(if *op == UnaryOp::Sin { s } else { c })
            }
            NodeKind::Unary { op, arg } => {
                let x = self.val(*arg)?;
                self.unary(id, *op, x)
            }
            NodeKind::Binary { op, lhs, rhs } => {
                let (x, y) = (self.val(*lhs)?, self.val(*rhs)?);
                let operand = self.scalar(*lhs)?;
                self.binary(id, *op, operand, x, y)
            }
            NodeKind::Select { cond, then, else_ } => {
                let (c, x, y) = (self.val(*cond)?, self.val(*then)?, self.val(*else_)?);
                Ok(self.b.ins().select(c, x, y))
            }
            NodeKind::Cast { arg } => {
                let from = self.scalar(*arg)?;
                let x = self.val(*arg)?;
                self.cast(id, from, ty, x)
            }
            NodeKind::Gather { index, value } => {
                let idx = self.val(*index)?;
                if self.never_missing(*index) {
                    self.read_elem(*value, idx)
                } else {
                    self.gather(idx, *value, ty)
                }
            }
            NodeKind::ReduceInner { op, space, value } => {
                self.reduce_inner(id, *op, *space, *value)
            }
            NodeKind::Pick {
                op: PickOp::At { index },
                space,
            } => {
                // The element at `k` of the event's list, or -1 ("none") outside 0..n:
                // one unsigned compare covers both 0 <= k and k < n.
                let n = self.count(*space)?;
                let k = self.val(*index)?;
                let inside = self.b.ins().icmp(IntCC::UnsignedLessThan, k, n);
                let none = self.b.ins().iconst(I64, -1);
                Ok(self.b.ins().select(inside, k, none))
            }
            _ => Err(unsupported(id, "this node inside an element loop")),
        }
    }

    /// Whether the reference `index` always points at an element: the parent of an element
    /// of a filtered or sorted collection, a combination or a cross product (the kernel
    /// writes those indices itself); not a concatenation's (-1 on the other side) nor a
    /// picked object's (-1 when there is none).
    pub(crate) fn never_missing(&self, index: NodeId) -> bool {
        match self.g.node(index).kind {
            NodeKind::ParentIndex { space, .. } => matches!(
                self.g.node(space).kind,
                NodeKind::Filter { .. }
                    | NodeKind::Sort { .. }
                    | NodeKind::Combinations { .. }
                    | NodeKind::Cartesian { .. }
            ),
            // A reference that is never -1, read at an index that is never -1.
            NodeKind::Gather { index, value } => {
                self.never_missing(index) && self.never_missing(value)
            }
            _ => false,
        }
    }

    /// `value` at element `idx`, or the missing value when `idx` is -1.
    pub(crate) fn gather(
        &mut self,
        idx: Value,
        value: NodeId,
        ty: ScalarType,
    ) -> Result<Value, CodegenError> {
        let vk = &self.g.node(value).kind;
        if let NodeKind::Broadcast { .. } | NodeKind::SelfIndex { .. } | NodeKind::Const(_) = vk {
            // No memory is touched: select instead of branching.
            let v = self.read_elem(value, idx)?;
            let m = self.missing(ty);
            let ok = self
                .b
                .ins()
                .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, idx, 0);
            return Ok(self.b.ins().select(ok, v, m));
        }
        let cont = self.b.create_block();
        let res = self.b.append_block_param(cont, clif_type(ty));
        let yes = self.b.create_block();
        let m = self.missing(ty);
        let ok = self
            .b
            .ins()
            .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, idx, 0);
        self.b.ins().brif(ok, yes, &[], cont, &[m.into()]);
        self.b.switch_to_block(yes);
        let v = self.read_elem(value, idx)?;
        self.b.ins().jump(cont, &[v.into()]);
        self.b.switch_to_block(cont);
        Ok(res)
    }
}

pub(crate) fn unsupported(id: NodeId, what: &str) -> CodegenError {
    CodegenError::Unsupported {
        node: id.0,
        what: what.to_string(),
    }
}

pub(crate) fn internal(what: impl Into<String>) -> CodegenError {
    CodegenError::Internal(what.into())
}
