//! The ana compiler. A script flows one way through these phases:
//!
//! parse (`syntax`) → check (`check`) → lower (`lower`) → optimize (`optimize`) → codegen (`codegen`)
//!
//! and its result, the [`graph::Graph`], is what the runtime executes, either with the
//! reference interpreter or with the machine code from `codegen`. This crate does no file IO
//! and knows nothing of threads.

pub mod abi;
pub mod codegen;
pub mod graph;
pub mod schema;
