//! The ana runtime: ROOT input (`root`), the reference interpreter, parallel execution over
//! chunks, and the outputs (UHI histogram JSON, Parquet tables, cutflow, run record).

pub mod exec;
pub mod interp;
pub mod memory;
pub mod output;
pub mod root;
