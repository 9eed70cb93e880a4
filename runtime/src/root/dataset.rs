//! [`Tree`]: a file's event data, a TTree or an RNTuple, behind one interface, so that the
//! run's chunk source, the schema and `inspect` do not depend on the format (the format is
//! chosen per file, by the class of the key the name finds).

use std::ops::Range;

use ana_compiler::abi::InputColumn;
use ana_compiler::schema::Schema;

use super::rntuple::RNTuple;
use super::tree::{BranchInfo, SharedOffsets, TTree, TreeRecord, Values};
use super::{Location, RootError};

/// A TTree or an RNTuple (cheap to clone, `Send + Sync`). An RNTuple's fields are its
/// branches: a scalar field is a flat branch, a collection of numbers a jagged one.
#[derive(Clone, Debug)]
pub struct Tree(Kind);

#[derive(Clone, Debug)]
enum Kind {
    TTree(TTree),
    RNTuple(RNTuple),
}

macro_rules! both {
    ($self:expr, $t:ident => $e:expr) => {
        match &$self.0 {
            Kind::TTree($t) => $e,
            Kind::RNTuple($t) => $e,
        }
    };
}

impl Tree {
    pub(super) fn ttree(t: TTree) -> Tree {
        Tree(Kind::TTree(t))
    }

    pub(super) fn rntuple(t: RNTuple) -> Tree {
        Tree(Kind::RNTuple(t))
    }

    /// Whether this is an RNTuple (else a TTree).
    pub fn is_rntuple(&self) -> bool {
        matches!(self.0, Kind::RNTuple(_))
    }

    /// The object's own record: a tree's metadata (with its embedded baskets), an RNTuple's
    /// header and footer envelopes.
    pub fn record(&self) -> TreeRecord {
        both!(self, t => t.record())
    }

    pub fn name(&self) -> &str {
        both!(self, t => t.name())
    }

    pub fn entries(&self) -> u64 {
        both!(self, t => t.entries())
    }

    /// The file and tree, for errors found by callers.
    pub fn location(&self) -> Location {
        both!(self, t => t.location())
    }

    /// Branches (an RNTuple's fields) in file order.
    pub fn branches(&self) -> Vec<BranchInfo> {
        both!(self, t => t.branches())
    }

    /// Decoded bytes of these branches over the whole tree, from the file's own totals.
    pub fn decoded_bytes(&self, branches: &[&str]) -> u64 {
        both!(self, t => t.decoded_bytes(branches))
    }

    /// Every branch, with its engine type (`None` if unsupported).
    pub fn schema(&self) -> Schema {
        both!(self, t => t.schema())
    }

    /// The file ranges holding these branches' baskets over `range` of entries, for one
    /// vector read per chunk from a remote file. An RNTuple gives none: its pages are read
    /// as they are needed (a request each when remote).
    pub fn basket_ranges(&self, branches: &[&str], range: Range<u64>) -> Vec<Range<u64>> {
        match &self.0 {
            Kind::TTree(t) => t.basket_ranges(branches, range),
            Kind::RNTuple(_) => Vec::new(),
        }
    }

    /// Whether the file is read over the network.
    pub fn is_remote(&self) -> bool {
        match &self.0 {
            Kind::TTree(t) => t.is_remote(),
            Kind::RNTuple(t) => t.is_remote(),
        }
    }

    /// Fetches `ranges` of the file ahead of the reads that need them, kept under `key`
    /// until [`Tree::forget`].
    pub fn prefetch(&self, ranges: Vec<Range<u64>>, key: u64) -> Result<(), RootError> {
        match &self.0 {
            Kind::TTree(t) => t.prefetch(ranges, key),
            Kind::RNTuple(_) => Ok(()),
        }
    }

    pub fn forget(&self, key: u64) {
        if let Kind::TTree(t) = &self.0 {
            t.forget(key)
        }
    }

    /// Data requests sent for this file so far and the bytes received.
    pub fn traffic(&self) -> crate::remote::Traffic {
        match &self.0 {
            Kind::TTree(t) => t.traffic(),
            Kind::RNTuple(t) => t.traffic(),
        }
    }

    /// Entry ranges covering `[0, entries)` at basket (TTree) or cluster (RNTuple)
    /// boundaries, each about `target_bytes` of decoded data of `branches`.
    pub fn chunks(
        &self,
        branches: &[&str],
        target_bytes: u64,
    ) -> Result<Vec<Range<u64>>, RootError> {
        both!(self, t => t.chunks(branches, target_bytes))
    }

    /// The branch's values for entries `range`, as an engine column: flat values plus
    /// offsets (starting at 0) for jagged branches.
    pub fn read_column(&self, branch: &str, range: Range<u64>) -> Result<InputColumn, RootError> {
        self.read_column_shared(branch, range, &mut SharedOffsets::default())
    }

    /// `read_column` for one of a chunk's branches, read one after the other: branches of
    /// one collection (same counter branch, or same RNTuple offsets column) share one
    /// offsets array.
    pub fn read_column_shared(
        &self,
        branch: &str,
        range: Range<u64>,
        shared: &mut SharedOffsets,
    ) -> Result<InputColumn, RootError> {
        both!(self, t => t.read_column_shared(branch, range, shared))
    }

    /// Values of any readable branch, including `vector<vector<T>>` (for `inspect`).
    pub fn read_values(&self, branch: &str, range: Range<u64>) -> Result<Values, RootError> {
        both!(self, t => t.read_values(branch, range))
    }

    /// Benchmark support: decompresses (only) the baskets or pages of `branch` overlapping
    /// `range`, returning the uncompressed byte count.
    pub fn decompress_only(&self, branch: &str, range: Range<u64>) -> Result<u64, RootError> {
        both!(self, t => t.decompress_only(branch, range))
    }
}
