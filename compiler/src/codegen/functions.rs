//! The kernel's functions: the exported `ana_kernel`, a loop over the chunk's events, and for
//! a big script one function per plan part (`parts.rs`), which the loop calls in turn for
//! each event.
//!
//! Input: the graph and its [`Plan`]. Output: the functions to define, each with its id in
//! the module, `ana_kernel` last (see `codegen/mod.rs` for its ABI). A part function is
//! `fn(slots, ctx, event: i64, state: *mut u64) -> i32`: 0, or 1 when a table could not grow
//! (the kernel then returns 1 too). Invariant: the parts run in plan order within each
//! event, so a part's state loads read what an earlier part stored for the same event.
//! Here too: what every function does around the items (`Translator::new`, the eager slot
//! loads, the start of an event, the state stores and loads); `translate.rs` emits the items.

#![expect(
    clippy::indexing_slicing,
    reason = "tables indexed by the node, branch, item and slot ids of one validated graph \
              and the plan made from it: every id refers to an entry of the same graph \
              (`Graph::validate`) or of its plan; a wrong id is a compiler bug"
)]

use std::collections::HashMap;
use std::ops::Range;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    self, AbiParam, InstBuilder, MemFlagsData, UserFuncName, Value, types,
};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::JITModule;
use cranelift_module::{FuncId, Linkage, Module};

use super::CodegenError;
use super::plan::Plan;
use super::translate::{I64, Translator, input, internal, mem};
use crate::graph::{Graph, NodeId};

/// How many slots (pointers, counts) are loaded once ahead of the event loop and kept in
/// registers or spill slots; more than the largest example kernel needs (the ADL query q8: 40).
pub(crate) const EAGER_SLOTS: usize = 64;

fn cl(e: &dyn std::fmt::Display) -> CodegenError {
    CodegenError::Cranelift(e.to_string())
}

/// Translate the whole graph: the functions to define, `ana_kernel` last.
pub(crate) fn translate(
    g: &Graph,
    plan: &Plan,
    module: &mut JITModule,
    fctx: &mut FunctionBuilderContext,
) -> Result<Vec<(FuncId, ir::Function)>, CodegenError> {
    let mut kernel_sig = module.make_signature();
    kernel_sig
        .params
        .extend([AbiParam::new(I64), AbiParam::new(I64)]);
    kernel_sig.returns.push(AbiParam::new(types::I32));
    let ranges = &plan.parts.ranges;
    let mut out = Vec::new();
    let mut func = ir::Function::with_name_signature(UserFuncName::default(), kernel_sig.clone());
    if let [range] = ranges.as_slice() {
        let (mut t, _) = start(g, plan, module, &mut func, fctx, 0)?;
        t.load_eager();
        event_loop(&mut t, |t, e| {
            t.start_event(e)?;
            t.emit_items(range.clone())
        })?;
        t.finish();
    } else {
        let mut part_sig = module.make_signature();
        part_sig.params.extend([AbiParam::new(I64); 4]);
        part_sig.returns.push(AbiParam::new(types::I32));
        let mut ids = Vec::new();
        for (p, range) in ranges.iter().enumerate() {
            let name = UserFuncName::user(1, p as u32);
            let mut f = ir::Function::with_name_signature(name, part_sig.clone());
            let (mut t, params) = start(g, plan, module, &mut f, fctx, p)?;
            t.start_event(params.event)?;
            t.emit_items(range.clone())?;
            t.store_state()?;
            let ok = t.b.ins().iconst(types::I32, 0);
            t.b.ins().return_(&[ok]);
            t.finish();
            let id = module
                .declare_function(&format!("ana_part{p}"), Linkage::Local, &part_sig)
                .map_err(|e| cl(&e))?;
            ids.push(id);
            out.push((id, f));
        }
        let (mut t, _) = start(g, plan, module, &mut func, fctx, 0)?;
        let state = t.load_slot(plan.layout.state);
        let refs: Vec<_> = ids
            .iter()
            .map(|id| {
                let f = t.module.declare_func_in_func(*id, t.b.func);
                // A call through an absolute address: the JIT may place the parts further
                // than a 32-bit displacement reaches.
                if let Some(data) = t.b.func.dfg.ext_funcs.get_mut(f) {
                    data.colocated = false;
                }
                f
            })
            .collect();
        event_loop(&mut t, |t, e| {
            for f in &refs {
                let call = t.b.ins().call(*f, &[t.slots, t.ctx, e, state]);
                let status =
                    t.b.inst_results(call)
                        .first()
                        .copied()
                        .ok_or_else(|| internal("a part without a result"))?;
                let next = t.b.create_block();
                t.b.ins().brif(status, t.fail, &[], next, &[]);
                t.b.switch_to_block(next);
            }
            Ok(())
        })?;
        t.finish();
    }
    let id = module
        .declare_function("ana_kernel", Linkage::Export, &kernel_sig)
        .map_err(|e| cl(&e))?;
    out.push((id, func));
    Ok(out)
}

/// A part function's parameters past `slots` and `ctx`.
struct Params {
    event: Value,
}

/// A translator on `func`'s entry block, its parameters declared.
fn start<'a, 'f>(
    g: &'a Graph,
    plan: &'a Plan,
    module: &'a mut JITModule,
    func: &'f mut ir::Function,
    fctx: &'f mut FunctionBuilderContext,
    part: usize,
) -> Result<(Translator<'a, 'f>, Params), CodegenError> {
    let mut b = FunctionBuilder::new(func, fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let params = b.block_params(entry).to_vec();
    let (slots, ctx) = match params.as_slice() {
        [s, c, ..] => (*s, *c),
        _ => return Err(internal("a kernel function without parameters")),
    };
    let (event, state) = match params.as_slice() {
        [_, _, e, s] => (*e, Some(*s)),
        _ => (slots, None),
    };
    let t = Translator::new(g, plan, module, b, slots, ctx, part, state);
    Ok((t, Params { event }))
}

/// `for e in 0..n_events { body(e) }`, then return 0.
fn event_loop(
    t: &mut Translator<'_, '_>,
    body: impl FnOnce(&mut Translator<'_, '_>, Value) -> Result<(), CodegenError>,
) -> Result<(), CodegenError> {
    let n_events = t.slot_value(0)?;
    let zero = t.b.ins().iconst(I64, 0);
    let ev = t.b.declare_var(I64);
    t.b.def_var(ev, zero);
    let (head, blk, done) = (t.b.create_block(), t.b.create_block(), t.b.create_block());
    t.b.ins().jump(head, &[]);
    t.b.switch_to_block(head);
    let e = t.b.use_var(ev);
    let more = t.b.ins().icmp(IntCC::SignedLessThan, e, n_events);
    t.b.ins().brif(more, blk, &[], done, &[]);
    t.b.switch_to_block(blk);
    body(t, e)?;
    let e1 = t.b.ins().iadd_imm_s(e, 1);
    t.b.def_var(ev, e1);
    t.b.ins().jump(head, &[]);
    t.b.switch_to_block(done);
    let ok = t.b.ins().iconst(types::I32, 0);
    t.b.ins().return_(&[ok]);
    Ok(())
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
    pub(crate) fn load_state(&mut self, id: NodeId, ty: ir::Type) -> Result<Value, CodegenError> {
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
}

/// Byte offset of state word `word`.
fn state_offset(word: u32) -> Result<i32, CodegenError> {
    i32::try_from(u64::from(word) * 8).map_err(|_| internal("part state too large"))
}
