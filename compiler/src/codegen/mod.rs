//! Native kernels: the graph JIT-compiled with cranelift (the only module naming cranelift).
//!
//! Input: a validated [`Graph`]. Output: a [`Kernel`], an [`Engine`] whose `run_chunk` is one
//! call of machine code over the chunk's columns. Invariant: the kernel's outputs are
//! bit-identical to the reference interpreter's (same operation order, same std functions
//! for transcendentals, no fused multiply-add); a node kind it cannot compile makes
//! [`Kernel::compile`] fail with [`CodegenError::Unsupported`], never produce wrong code.
//!
//! # Code shape
//! One function per script (`functions.rs`): a loop over the chunk's events; in it, the plan's items
//! (`plan.rs`) in order: event-level values as SSA values, and loops over a space's elements
//! with reductions, `first`/argmin/argmax kept in registers (cranelift variables). Element
//! values that are read again later are stored in per-chunk scratch buffers (one word per
//! element, sized by the largest per-event count of the space in the chunk). Derived spaces
//! keep, per event, the index arrays of their parents (filters are built inline; sorts,
//! combinations, cross products and concatenations by small helpers in `runtime.rs`).
//! References (`Ref`) are per-event element indices. Histogram bin search is inlined
//! (`sinks.rs`); no heap allocation and no dynamic dispatch happen per event or object.
//! A big script (over `parts::PART_NODES` scheduled nodes) is split into part functions of
//! bounded size that the event loop calls in turn, so that register allocation, superlinear
//! in a function's size, stays linear in the script; values one part computes and later parts
//! read go through a per-event state buffer (`parts.rs`).
//!
//! # Runtime ABI
//! `extern "C" fn kernel(slots: *mut u64, ctx: *mut c_void) -> i32` returns 0, or 1 when a
//! table could not grow. `slots` is an array of words whose layout `plan::Layout` fixes at
//! compile time: slot 0 the number of events; per branch its data pointer (and offsets
//! pointer when jagged); per histogram its `sumw` (and `sumw2`) pointer; the cutflow counts
//! pointer; one pointer per scratch buffer; per table its row count, capacity and column
//! pointers (one `u64` word per row; the value in the low bytes, little-endian); the state
//! buffer's pointer. When a
//! table is full the kernel calls `ana_table_grow(ctx, table)`, which reallocates and
//! rewrites that table's slots. `ctx` points at `chunk::RunCtx`.

mod chunk;
mod functions;
mod guard;
mod lazy;
mod loops;
mod ops;
mod parts;
mod plan;
mod runtime;
mod sinks;
mod translate;

use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::FunctionBuilderContext;
use std::sync::atomic::{AtomicUsize, Ordering};

use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Module, default_libcall_names};

use crate::abi::{ChunkInput, ChunkOutput, Engine, EngineError};
use crate::graph::{Graph, InvalidGraph};

pub use chunk::MAX_ELEMENTS;

/// Why a graph could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
    /// A node the JIT does not compile (yet): run the graph with the interpreter instead.
    #[error("the JIT cannot compile node %{node}: {what}")]
    Unsupported { node: u32, what: String },
    #[error(transparent)]
    InvalidGraph(#[from] InvalidGraph),
    #[error("cranelift: {0}")]
    Cranelift(String),
    /// A bug in the code generator.
    #[error("internal error in the JIT: {0}")]
    Internal(String),
}

type KernelFn = unsafe extern "C" fn(*mut u64, *mut runtime::Ctx) -> i32;

/// A compiled graph: owns the JIT module (the machine code lives as long as the kernel).
pub struct Kernel {
    graph: Graph,
    plan: plan::Plan,
    module: Option<JITModule>,
    entry: KernelFn,
    clif: String,
    /// Per table: rows to allocate up front, from the chunks run so far (a chunk usually
    /// needs about what the one before did).
    row_hints: Vec<AtomicUsize>,
}

// SAFETY: after `finalize_definitions` the module is never touched until `Drop`, and the
// generated code keeps no state between calls (everything is in the arguments), so calls
// from several threads at once are fine.
unsafe impl Send for Kernel {}
// SAFETY: as above.
unsafe impl Sync for Kernel {}

impl Drop for Kernel {
    fn drop(&mut self) {
        if let Some(m) = self.module.take() {
            // SAFETY: `entry` is private and dies with `self`: no pointer into the code
            // outlives this call.
            unsafe { m.free_memory() };
        }
    }
}

impl std::fmt::Debug for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kernel")
            .field("nodes", &self.graph.nodes.len())
            .finish_non_exhaustive()
    }
}

impl Kernel {
    /// Compile all of the graph's work into one function, finalized once.
    pub fn compile(graph: &Graph) -> Result<Kernel, CodegenError> {
        graph.validate()?;
        let plan = plan::plan(graph)?;
        let cl = |e: &dyn std::fmt::Display| CodegenError::Cranelift(e.to_string());
        let mut flags = settings::builder();
        flags.set("opt_level", "speed").map_err(|e| cl(&e))?;
        flags
            .set("use_colocated_libcalls", "false")
            .map_err(|e| cl(&e))?;
        flags.set("is_pic", "false").map_err(|e| cl(&e))?;
        // The IR verifier runs in debug builds (every test and the fuzzers); in release it
        // would only re-check what those did, at a fifth of the compile time.
        let verify = if cfg!(debug_assertions) {
            "true"
        } else {
            "false"
        };
        flags.set("enable_verifier", verify).map_err(|e| cl(&e))?;
        let isa = cranelift_native::builder()
            .map_err(|e| cl(&e))?
            .finish(settings::Flags::new(flags))
            .map_err(|e| cl(&e))?;
        let mut jb = JITBuilder::with_isa(isa, default_libcall_names());
        jb.symbols(runtime::math_symbols());
        jb.symbols(runtime::helper_symbols());
        let mut module = JITModule::new(jb);
        let mut ctx = module.make_context();
        let mut fctx = FunctionBuilderContext::new();
        let result = (|| {
            let funcs = functions::translate(graph, &plan, &mut module, &mut fctx)?;
            let mut clif = String::new();
            let mut entry = None;
            for (id, func) in funcs {
                clif += &func.display().to_string();
                ctx.func = func;
                module.define_function(id, &mut ctx).map_err(|e| cl(&e))?;
                module.clear_context(&mut ctx);
                entry = Some(id);
            }
            let id = entry.ok_or_else(|| CodegenError::Internal("no kernel function".into()))?;
            module.finalize_definitions().map_err(|e| cl(&e))?;
            Ok((id, clif))
        })();
        let (id, clif) = match result {
            Ok(x) => x,
            Err(e) => {
                // SAFETY: no code of this module was handed out.
                unsafe { module.free_memory() };
                return Err(e);
            }
        };
        let code = module.get_finalized_function(id);
        // SAFETY: `code` is the finalized `ana_kernel`, whose signature `translate` made
        // (two pointer-sized params, an i32 result, the platform's C calling convention).
        let entry = unsafe { std::mem::transmute::<*const u8, KernelFn>(code) };
        Ok(Kernel {
            graph: graph.clone(),
            plan,
            module: Some(module),
            entry,
            clif,
            row_hints: graph.tables.iter().map(|_| AtomicUsize::new(0)).collect(),
        })
    }

    /// The kernel's cranelift IR (before optimization), for `ana graph --clif` and
    /// snapshot tests.
    pub fn clif(&self) -> &str {
        &self.clif
    }

    pub fn graph(&self) -> &Graph {
        &self.graph
    }
}

impl Engine for Kernel {
    fn run_chunk(&self, input: ChunkInput<'_>, out: &mut ChunkOutput) -> Result<(), EngineError> {
        let layout = &self.plan.layout;
        let hints: Vec<usize> = self
            .row_hints
            .iter()
            .map(|h| h.load(Ordering::Relaxed))
            .collect();
        let mut prepared = chunk::prepare(&self.graph, layout, &input, out, &hints)?;
        let mut run = chunk::RunCtx {
            slots: prepared.slots.as_mut_ptr(),
            tables: std::mem::take(&mut prepared.tables),
            layout,
        };
        // SAFETY: this is the one call into generated code. `prepare` checked every input
        // column (type, length, offsets), every per-event element count against the scratch
        // capacities, and the output buffers' sizes, and put valid pointers in every slot;
        // the code only accesses memory through those slots within those bounds. `run`
        // outlives the call and nothing else borrows it or the slots meanwhile.
        let status =
            unsafe { (self.entry)(run.slots, (&mut run as *mut chunk::RunCtx<'_>).cast()) };
        drop(prepared.scratch);
        drop(prepared.state);
        if status != 0 {
            return Err(EngineError {
                branch: None,
                message: "not enough memory for the table rows".into(),
            });
        }
        for (t, hint) in layout.tables.iter().zip(&self.row_hints) {
            let rows = prepared.slots.get(t.rows).map_or(0, |&r| r as usize);
            hint.fetch_max(rows + rows / 8, Ordering::Relaxed);
        }
        chunk::finish_tables(layout, &prepared.slots, &run.tables, out);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
