//! The kernel's functions: the exported `ana_kernel`, a loop over the chunk's events, and for
//! a big script one function per plan part (`parts.rs`), which the loop calls in turn for
//! each event.
//!
//! Input: the graph and its [`Plan`]. Output: the functions to define, each with its id in
//! the module, `ana_kernel` last (see `codegen/mod.rs` for its ABI). A part function is
//! `fn(slots, ctx, event: i64, state: *mut u64) -> i32`: 0, or 1 when a table could not grow
//! (the kernel then returns 1 too). Invariant: the parts run in plan order within each
//! event, so a part's state loads read what an earlier part stored for the same event.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, AbiParam, InstBuilder, UserFuncName, Value, types};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::JITModule;
use cranelift_module::{FuncId, Linkage, Module};

use super::CodegenError;
use super::plan::Plan;
use super::translate::{I64, Translator, internal};
use crate::graph::Graph;

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
