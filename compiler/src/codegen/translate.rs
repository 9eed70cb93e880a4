//! Graph → CLIF: the body of the kernel function, one `translate_*`/`emit_*` per node kind.
//!
//! Input: the graph and its [`Plan`]. Output: the kernel `fn(slots: *mut u64, ctx: *mut
//! c_void) -> i32` in a cranelift `Function` (see `codegen/mod.rs` for the ABI).
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
use std::ops::Range;

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    self, AbiParam, Block, FuncRef, InstBuilder, MemFlagsData, Value, types,
};
use cranelift_frontend::{FunctionBuilder, Variable};
use cranelift_jit::JITModule;
use cranelift_module::{Linkage, Module};

use super::CodegenError;
use super::plan::{Item, Plan};
use crate::graph::{
    BinaryOp, Counter, Graph, Literal, NodeId, NodeKind, PhysType, PickOp, ReduceOp, ScalarType,
    Shape, Type, UnaryOp,
};

pub(crate) const I8: ir::Type = types::I8;
pub(crate) const I64: ir::Type = types::I64;
pub(crate) const F64: ir::Type = types::F64;

/// How many slots (pointers, counts) are loaded once ahead of the event loop and kept in
/// registers or spill slots; more than the largest example kernel needs (the ADL query q8: 40).
pub(crate) const EAGER_SLOTS: usize = 64;

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
    imports: HashMap<&'static str, FuncRef>,
    /// `sin_cos` results by operand node and the block that computed them (an operand
    /// read twice is two loads, so two SSA values: the node identifies it).
    sin_cos: HashMap<(NodeId, Block), (Value, Value)>,
    pub slots: Value,
    pub ctx: Value,
    /// Slot values loaded once in the entry block (pointers that never change).
    loaded: HashMap<usize, Value>,
    /// Per node: its value in the current event (event-level nodes, loop results).
    pub ev_vals: Vec<Option<Value>>,
    /// Per space node: its element count in the current event.
    pub counts: Vec<Option<Value>>,
    /// Per jagged branch: `offsets[e]`, the first value of the current event.
    bases: Vec<Option<Value>>,
    pub event: Value,
    pub lp: Option<LoopCtx>,
    pub fail: Block,
    /// The plan part this function emits, and the state buffer parts share (`parts.rs`).
    part: usize,
    state: Option<Value>,
}

impl<'a, 'f> Translator<'a, 'f> {
    /// A translator for a function whose entry block `b` has switched to, with the slot
    /// array and run context at hand; `part` is the plan part it emits (0 when one function
    /// does it all), `state` the per-event state buffer parts share.
    #[expect(clippy::too_many_arguments, reason = "one constructor, called twice")]
    pub(crate) fn new(
        g: &'a Graph,
        plan: &'a Plan,
        module: &'a mut JITModule,
        b: FunctionBuilder<'f>,
        slots: Value,
        ctx: Value,
        part: usize,
        state: Option<Value>,
    ) -> Self {
        let mut b = b;
        let fail = b.create_block();
        let n = g.nodes.len();
        Translator {
            g,
            plan,
            module,
            b,
            imports: HashMap::new(),
            sin_cos: HashMap::new(),
            slots,
            ctx,
            loaded: HashMap::new(),
            ev_vals: vec![None; n],
            counts: vec![None; n],
            bases: vec![None; g.branches.len()],
            event: slots, // replaced by `start_event`
            lp: None,
            fail,
            part,
            state,
        }
    }

    /// Seal and finalize the function; its failure block returns 1.
    pub(crate) fn finish(mut self) {
        self.b.switch_to_block(self.fail);
        let bad = self.b.ins().iconst(types::I32, 1);
        self.b.ins().return_(&[bad]);
        let config = self.module.target_config();
        self.b.seal_all_blocks();
        self.b.finalize(config);
    }
}

impl Translator<'_, '_> {
    /// Load the slots that stay in registers (or spill slots) for the whole function.
    pub(crate) fn load_eager(&mut self) {
        let l = &self.plan.layout;
        let mut eager: Vec<usize> = vec![0, l.cutflow];
        eager.extend(&l.branch_data);
        eager.extend(l.branch_offsets.iter().flatten());
        eager.extend(l.scratch.iter().map(|s| s.slot));
        eager.extend(&l.hist_sumw);
        eager.extend(l.hist_sumw2.iter().flatten());
        // Values loaded here are live across the whole event loop; past a few dozen they
        // only spill, and each adds to every block's live set, so register allocation grew
        // quadratically with the number of histograms. The rest are loaded where used.
        eager.truncate(EAGER_SLOTS);
        for s in eager {
            let v = self.load_slot(s);
            self.loaded.insert(s, v);
        }
    }

    /// Begin event `e`: nothing computed yet, the jagged branches' first values located.
    pub(crate) fn start_event(&mut self, e: Value) -> Result<(), CodegenError> {
        self.event = e;
        self.ev_vals.iter_mut().for_each(|v| *v = None);
        self.counts.iter_mut().for_each(|v| *v = None);
        // Branches loaded in the same collection have equal offsets (`chunk::prepare` checks
        // each against the collection's counts), so one load of `offsets[e]` serves them all.
        let mut by_space: HashMap<NodeId, Value> = HashMap::new();
        let shared = self.shared_offsets();
        for (i, br) in self.g.branches.iter().enumerate() {
            self.bases[i] = None;
            if let (true, Some(s)) = (br.jagged, self.plan.layout.branch_offsets[i]) {
                if let Some(v) = shared[i].and_then(|sp| by_space.get(&sp)) {
                    self.bases[i] = Some(*v);
                    continue;
                }
                let offsets = self.slot_value(s)?;
                let a = self.index_addr(offsets, e, 4);
                let v = self.b.ins().uload32(input(), a, 0);
                self.bases[i] = Some(v);
                if let Some(sp) = shared[i] {
                    by_space.insert(sp, v);
                }
            }
        }
        Ok(())
    }

    /// The plan's items `range`, for the current event.
    pub(crate) fn emit_items(&mut self, range: Range<usize>) -> Result<(), CodegenError> {
        // Consecutive items under the same guard share one conditional block: one test and
        // branch per run of items, not per item (a dimuon candidate's dozen scalar steps).
        let (items, guards) = (&self.plan.items, &self.plan.guards);
        let mut start = range.start;
        while start < range.end {
            let guard = &guards[start];
            let end = start
                + guards[start..range.end]
                    .iter()
                    .take_while(|g| *g == guard)
                    .count();
            if guard.is_empty() {
                for item in &items[start..end] {
                    self.emit_item(item)?;
                }
            } else {
                self.emit_guarded(&items[start..end], guard)?;
            }
            start = end;
        }
        Ok(())
    }

    /// Store this part's values that later parts read into the state buffer.
    pub(crate) fn store_state(&mut self) -> Result<(), CodegenError> {
        let parts = &self.plan.parts;
        for (i, word) in parts.state.iter().enumerate() {
            let Some(word) = word else { continue };
            if parts.home[i] != self.part {
                continue;
            }
            let v = if self.g.nodes[i].is_space() {
                self.counts[i]
            } else {
                self.ev_vals[i]
            };
            let v = v.ok_or_else(|| internal(format!("part state: %{i} not computed")))?;
            let state = self
                .state
                .ok_or_else(|| internal("part state: no buffer"))?;
            self.b.ins().store(mem(), v, state, state_offset(*word)?);
        }
        Ok(())
    }

    /// The value (or space count) of `id` that an earlier part computed in this event.
    fn from_state(&mut self, id: NodeId, ty: ir::Type) -> Result<Value, CodegenError> {
        let i = id.0 as usize;
        let parts = &self.plan.parts;
        match (parts.state[i], self.state) {
            (Some(word), Some(state)) if parts.home[i] < self.part => {
                // Read-only here: loads of one word on one path are merged into one.
                let flags = MemFlagsData::trusted().with_readonly();
                let at = state_offset(word)?;
                Ok(self.b.ins().load(ty, flags, state, at))
            }
            _ => Err(internal(format!("%{i} used before it is computed"))),
        }
    }

    fn emit_item(&mut self, item: &Item) -> Result<(), CodegenError> {
        match item {
            Item::Event(id) => self.emit_event(*id),
            Item::Loop { space, nodes } => self.emit_loop(*space, nodes),
        }
    }

    /// `if all(guard) { items }`: when the guard fails, the items' event values are "missing"
    /// and their spaces empty (nothing that matters reads them then: see `guard`).
    fn emit_guarded(&mut self, items: &[Item], guard: &[NodeId]) -> Result<(), CodegenError> {
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
    fn shared_offsets(&self) -> Vec<Option<NodeId>> {
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
    /// in the entry block, or past [`EAGER_SLOTS`] a load here.
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
    fn import(
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
            None => self.from_state(space, I64),
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
                    self.from_state(id, ty)
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
            Literal::Int(v) => self.b.ins().iconst(I64, *v),
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

    /// The pairs (a, b), a < b, of `0..n` in lexicographic order into the space's two parent
    /// buffers, inline: for the usual event with a few objects, a call to a helper cost more
    /// than the loop (`ana_combinations` does the same for triples).
    fn emit_pairs(&mut self, id: usize, n: Value) -> Result<(), CodegenError> {
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
    fn emit_cartesian(
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
    fn emit_concat(
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
    fn store_member_pair(&mut self, out: [Value; 2], k: Value, members: [Value; 2]) {
        for (buf, m) in out.into_iter().zip(members) {
            let at = self.index_addr(buf, k, 8);
            self.b.ins().store(mem(), m, at, 0);
        }
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
                op: PickOp::At { index },
                space,
            } => {
                let n = self.count(*space)?;
                let k = self.val(*index)?;
                let neg = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, k, 0);
                let from_end = self.b.ins().iadd(k, n);
                let k = self.b.ins().select(neg, from_end, k);
                // One unsigned compare covers both 0 <= k and k < n.
                let inside = self.b.ins().icmp(IntCC::UnsignedLessThan, k, n);
                let none = self.b.ins().iconst(I64, -1);
                self.ev_vals[i] = Some(self.b.ins().select(inside, k, none));
            }
            NodeKind::Fill { .. } => self.emit_fill(id)?,
            NodeKind::Append { .. } => self.emit_append(id)?,
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

    // ---- element loops ----

    fn emit_loop(&mut self, space: NodeId, nodes: &[NodeId]) -> Result<(), CodegenError> {
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

    /// A value node (event or element of the open loop): its value, from its operands.
    fn compute(&mut self, id: NodeId) -> Result<Value, CodegenError> {
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
            _ => Err(unsupported(id, "this node inside an element loop")),
        }
    }

    /// Whether the reference `index` always points at an element: the parent of an element
    /// of a filtered or sorted collection, a combination or a cross product (the kernel
    /// writes those indices itself); not a concatenation's (-1 on the other side) nor a
    /// picked object's (-1 when there is none).
    fn never_missing(&self, index: NodeId) -> bool {
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
    fn gather(&mut self, idx: Value, value: NodeId, ty: ScalarType) -> Result<Value, CodegenError> {
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

    fn reduce_inner(
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

    fn unary(&mut self, id: NodeId, op: UnaryOp, x: Value) -> Result<Value, CodegenError> {
        let float = self.b.func.dfg.value_type(x) == F64;
        let shim = |name| -> Option<&'static str> { Some(name) };
        let name = match op {
            UnaryOp::Neg if float => return Ok(self.b.ins().fneg(x)),
            UnaryOp::Neg => return Ok(self.b.ins().ineg(x)),
            UnaryOp::Not => return Ok(self.b.ins().bxor_imm_s(x, 1)),
            UnaryOp::Abs if float => return Ok(self.b.ins().fabs(x)),
            UnaryOp::Abs => return Ok(self.b.ins().iabs(x)),
            _ if !float => return Err(unsupported(id, &format!("{op:?} of a non-float"))),
            UnaryOp::Sqrt => return Ok(self.b.ins().sqrt(x)),
            UnaryOp::Floor => return Ok(self.b.ins().floor(x)),
            UnaryOp::Ceil => return Ok(self.b.ins().ceil(x)),
            UnaryOp::IsNan => return Ok(self.b.ins().fcmp(FloatCC::Unordered, x, x)),
            UnaryOp::Exp => shim("ana_exp"),
            UnaryOp::Log => shim("ana_ln"),
            UnaryOp::Log10 => shim("ana_log10"),
            UnaryOp::Sin | UnaryOp::Cos => {
                return Err(internal("sin and cos of a float go through sin_cos"));
            }
            UnaryOp::Tan => shim("ana_tan"),
            UnaryOp::Asin => shim("ana_asin"),
            UnaryOp::Acos => shim("ana_acos"),
            UnaryOp::Atan => shim("ana_atan"),
            UnaryOp::Sinh => shim("ana_sinh"),
            UnaryOp::Cosh => shim("ana_cosh"),
            UnaryOp::Tanh => shim("ana_tanh"),
            UnaryOp::Asinh => shim("ana_asinh"),
        };
        let name = name.ok_or_else(|| internal("no shim"))?;
        self.call_f64(name, &[x])
    }

    /// sin and cos of `arg` from one call; the second of the two (a four-vector's px and
    /// py) reuses the first's when it is emitted in the same block, which the first dominates.
    fn sin_cos(&mut self, arg: NodeId) -> Result<(Value, Value), CodegenError> {
        let block = self.b.current_block();
        if let Some(&(s, c)) = block.and_then(|b| self.sin_cos.get(&(arg, b))) {
            return Ok((s, c));
        }
        let x = self.val(arg)?;
        let f = self.import("ana_sincos", &[F64], &[F64, F64])?;
        let call = self.b.ins().call(f, &[x]);
        let (s, c) = match self.b.inst_results(call) {
            &[s, c] => (s, c),
            _ => return Err(internal("ana_sincos returns two values")),
        };
        if let Some(b) = block {
            self.sin_cos.insert((arg, b), (s, c));
        }
        Ok((s, c))
    }

    fn binary(
        &mut self,
        id: NodeId,
        op: BinaryOp,
        operand: ScalarType,
        x: Value,
        y: Value,
    ) -> Result<Value, CodegenError> {
        let float = operand == ScalarType::Float;
        let ins = self.b.ins();
        Ok(match op {
            BinaryOp::Add if float => ins.fadd(x, y),
            BinaryOp::Add => ins.iadd(x, y),
            BinaryOp::Sub if float => ins.fsub(x, y),
            BinaryOp::Sub => ins.isub(x, y),
            BinaryOp::Mul if float => ins.fmul(x, y),
            BinaryOp::Mul => ins.imul(x, y),
            BinaryOp::Min if float => ins.fmin(x, y),
            BinaryOp::Min => ins.smin(x, y),
            BinaryOp::Max if float => ins.fmax(x, y),
            BinaryOp::Max => ins.smax(x, y),
            BinaryOp::And => ins.band(x, y),
            BinaryOp::Or => ins.bor(x, y),
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
                if float =>
            {
                let cc = match op {
                    BinaryOp::Eq => FloatCC::Equal,
                    BinaryOp::Ne => FloatCC::NotEqual,
                    BinaryOp::Lt => FloatCC::LessThan,
                    BinaryOp::Le => FloatCC::LessThanOrEqual,
                    BinaryOp::Gt => FloatCC::GreaterThan,
                    _ => FloatCC::GreaterThanOrEqual,
                };
                ins.fcmp(cc, x, y)
            }
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => {
                let cc = match op {
                    BinaryOp::Eq => IntCC::Equal,
                    BinaryOp::Ne => IntCC::NotEqual,
                    BinaryOp::Lt => IntCC::SignedLessThan,
                    BinaryOp::Le => IntCC::SignedLessThanOrEqual,
                    BinaryOp::Gt => IntCC::SignedGreaterThan,
                    _ => IntCC::SignedGreaterThanOrEqual,
                };
                ins.icmp(cc, x, y)
            }
            _ if !float => return Err(unsupported(id, &format!("{op:?} of non-floats"))),
            BinaryOp::Div => ins.fdiv(x, y),
            BinaryOp::Mod => {
                // a - b * floor(a / b), in this order (no fused multiply-add).
                let q = ins.fdiv(x, y);
                let f = self.b.ins().floor(q);
                let p = self.b.ins().fmul(y, f);
                self.b.ins().fsub(x, p)
            }
            BinaryOp::Pow => return self.call_f64("ana_powf", &[x, y]),
            BinaryOp::Atan2 => return self.call_f64("ana_atan2", &[x, y]),
        })
    }

    fn cast(
        &mut self,
        id: NodeId,
        from: ScalarType,
        to: ScalarType,
        x: Value,
    ) -> Result<Value, CodegenError> {
        use ScalarType::*;
        let ins = self.b.ins();
        Ok(match (from, to) {
            (a, b) if a == b => x,
            (Bool, Int) => ins.uextend(I64, x),
            (Bool, Float) => {
                let w = ins.uextend(I64, x);
                self.b.ins().fcvt_from_sint(F64, w)
            }
            (Int, Float) => ins.fcvt_from_sint(F64, x),
            (Float, Int) => ins.fcvt_to_sint_sat(I64, x),
            _ => return Err(unsupported(id, &format!("a cast from {from:?} to {to:?}"))),
        })
    }
}

/// Byte offset of state word `word`.
fn state_offset(word: u32) -> Result<i32, CodegenError> {
    i32::try_from(u64::from(word) * 8).map_err(|_| internal("part state too large"))
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
