//! The ana runtime: ROOT input (`root`, local or `remote`), the reference interpreter, parallel
//! execution over chunks, and the outputs (UHI histogram JSON, Parquet tables, cutflow, run
//! record); `analysis` is the facade every front door runs scripts through.

pub mod analysis;
pub mod exec;
pub mod interp;
pub mod memory;
pub mod output;
pub mod remote;
pub mod root;
