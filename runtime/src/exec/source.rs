//! The run's input as chunks: ROOT files opened once, their entries planned as chunks aligned
//! to basket boundaries, each chunk read into the graph's columns.
//!
//! Input: file paths, a tree name, the graph's branches. Output: a [`ChunkSource`].
//! Invariants: only the graph's branches are read; every file is checked up front (it opens,
//! has the tree and every branch), so a bad file fails the run before any work is done, with
//! the file's name; chunks never span two files.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use ana_compiler::abi::InputColumn;
use ana_compiler::graph::Graph;
use rayon::prelude::*;

use super::plan::{Chunk, limit, split_ranges};
use super::prefetch::{Prefetch, open_remote};
use super::{ChunkSource, DEFAULT_CHUNK_BYTES, RunError};
use crate::output::SkippedRecord;
use crate::root::{RootError, RootFile, SharedOffsets, Tree};

/// ROOT files, one tree each, as a [`ChunkSource`].
pub struct RootSource {
    files: Vec<(String, Tree)>,
    branches: Vec<String>,
    chunks: Vec<Chunk>,
    tree: String,
    unreadable: Vec<SkippedRecord>,
    /// Entries of the largest basket cluster that `--chunk-entries` cuts (its baskets are
    /// then decompressed once per chunk that cuts them), with the file.
    cut_clusters: Option<(u64, String)>,
    chunk_entries: Option<u64>,
    /// Remote files' baskets, fetched some chunks ahead (`None`: every file is local).
    prefetch: Option<Arc<Prefetch>>,
}

/// How to cut the input into chunks.
#[derive(Clone, Copy, Debug, Default)]
pub struct ChunkPlan {
    /// Entries per chunk (grouped and cut at basket boundaries); `None`: about
    /// [`DEFAULT_CHUNK_BYTES`] of decoded data per chunk.
    pub chunk_entries: Option<u64>,
    /// Stop after this many entries in total.
    pub max_entries: Option<u64>,
    /// Leave out files that cannot be opened (or lack the tree or a branch) instead of
    /// failing: `--keep-going`.
    pub skip_unreadable: bool,
}

/// Chunks of a graph without branches (it only counts events) hold this many entries.
const ENTRIES_WITHOUT_BRANCHES: u64 = 1 << 20;
/// 2^40 events (a million times a large NanoAOD file); more is a corrupt header.
const MAX_ENTRIES_WITHOUT_BRANCHES: u64 = 1 << 40;
/// At most 2^22 chunks per file, whatever `--chunk-entries` asks.
const MAX_CHUNKS_WITHOUT_BRANCHES: u64 = 1 << 22;

impl RootSource {
    /// Opens every file and plans the chunks. Files are opened in order; the first error
    /// (missing file, not ROOT, no such tree, missing branch) is returned, unless
    /// `plan.skip_unreadable`, which records it and goes on. `opened`: a file's tree the
    /// caller already opened (for the schema), by its index in `paths`: not read again (a
    /// NanoAOD tree's metadata, 1500 branches, takes milliseconds).
    pub fn open(
        paths: &[PathBuf],
        tree: &str,
        graph: &Graph,
        plan: ChunkPlan,
        mut opened: Option<(usize, Tree)>,
    ) -> Result<RootSource, RunError> {
        let branches: Vec<String> = graph.branches.iter().map(|b| b.name.clone()).collect();
        let names: Vec<&str> = branches.iter().map(String::as_str).collect();
        let mut files = Vec::with_capacity(paths.len());
        let mut chunks = Vec::new();
        let mut unreadable = Vec::new();
        let mut cut_clusters: Option<(u64, String)> = None;
        // Remote files are opened in parallel: each costs round trips, not CPU.
        let mut remote = open_remote(paths, tree, opened.as_ref().map(|(i, _)| *i));
        for (i, path) in paths.iter().enumerate() {
            let reused = match opened.take() {
                Some((k, t)) if k == i && t.name() == tree => Some(Ok(t)),
                other => {
                    opened = other;
                    remote.get_mut(i).and_then(Option::take)
                }
            };
            let read = match reused {
                Some(t) => t,
                None => RootFile::open(path).and_then(|f| f.tree(tree)),
            }
            .and_then(|t| {
                let (ranges, cut) = plan_file(&t, &names, plan)?;
                if let Some(b) = cut
                    && cut_clusters.as_ref().is_none_or(|(c, _)| b > *c)
                {
                    cut_clusters = Some((b, path.display().to_string()));
                }
                Ok((ranges, t))
            });
            let (ranges, t) = match read {
                Ok(x) => x,
                Err(e) if plan.skip_unreadable => {
                    unreadable.push(SkippedRecord {
                        path: path.display().to_string(),
                        entries: None,
                        error: e.to_string(),
                    });
                    continue;
                }
                Err(e) => return Err(RunError::Input(e.to_string())),
            };
            let file = files.len();
            chunks.extend(ranges.into_iter().map(|entries| Chunk { file, entries }));
            files.push((path.display().to_string(), t));
        }
        let chunks = limit(chunks, plan.max_entries);
        let prefetch = files
            .iter()
            .any(|(_, t)| t.is_remote())
            .then(|| Arc::new(Prefetch::new(chunks.len())));
        Ok(RootSource {
            files,
            branches,
            chunks,
            prefetch,
            tree: tree.to_string(),
            unreadable,
            cut_clusters,
            chunk_entries: plan.chunk_entries,
        })
    }
}

/// A file's chunks: entry ranges at basket boundaries of the branches read; with the
/// entries of the largest basket cluster that `--chunk-entries` cuts, if any.
fn plan_file(
    t: &Tree,
    names: &[&str],
    plan: ChunkPlan,
) -> Result<(Vec<Range<u64>>, Option<u64>), RootError> {
    let mut cut = None;
    let ranges = if names.is_empty() {
        // No basket vouches for the entry count here: a lying header must not plan 2^43
        // chunks (an allocation abort) or a count that never ends.
        let n = t.entries();
        if n > MAX_ENTRIES_WITHOUT_BRANCHES {
            return Err(RootError::Corrupt {
                at: Box::new(t.location()),
                message: format!(
                    "the tree claims {n} entries, more than a file can hold \
                     (at most {MAX_ENTRIES_WITHOUT_BRANCHES} without branches)"
                ),
            });
        }
        let step = plan
            .chunk_entries
            .unwrap_or(ENTRIES_WITHOUT_BRANCHES)
            .max(1)
            .max(n / MAX_CHUNKS_WITHOUT_BRANCHES);
        (0..n)
            .step_by(usize::try_from(step).unwrap_or(usize::MAX))
            .map(|s| s..s.saturating_add(step).min(n))
            .collect()
    } else if let Some(n) = plan.chunk_entries {
        // The finest clusters (a target of one byte), grouped to `n` entries.
        let clusters = t.chunks(names, 1)?;
        cut = clusters
            .iter()
            .map(|r| r.end - r.start)
            .filter(|&c| c > n)
            .max();
        split_ranges(&clusters, Some(n))
    } else {
        // Files are cut into about 16 chunks (at least 1 MB, at most 4 MB of decoded data
        // each; basket boundaries permitting), so that the threads finish together: with 5
        // chunks for 2 threads one thread does 3 (measured on the ADL queries, 1M events:
        // 10 chunks instead of 5 is 0.30 -> 0.22 s for q6).
        // (`Tree::branches` would read a basket of every branch for its codec.)
        let target = (t.decoded_bytes(names) / 16).clamp(MIN_CHUNK_BYTES, DEFAULT_CHUNK_BYTES);
        t.chunks(names, target)?
    };
    Ok((ranges, cut))
}

/// The smallest chunk aimed at for small files (decoded bytes).
const MIN_CHUNK_BYTES: u64 = 1 << 20;

impl RootSource {
    /// Advice about the plan: `--chunk-entries` smaller than the baskets makes every chunk
    /// that cuts a basket decompress all of it (measured: 50k-entry chunks over 100k-entry
    /// baskets, 1.6x the CPU time).
    pub fn plan_warning(&self) -> Option<String> {
        let ((biggest, file), n) = self.cut_clusters.as_ref().zip(self.chunk_entries)?;
        Some(format!(
            "--chunk-entries {n} is smaller than the baskets ({file} has clusters of \
             {biggest} entries): a basket cut by chunks is decompressed once per chunk it \
             falls in; use a multiple of the basket size, or leave --chunk-entries out"
        ))
    }
}

impl RootSource {
    pub(super) fn chunks_ref(&self) -> &[Chunk] {
        &self.chunks
    }

    pub(super) fn branch_names(&self) -> Vec<&str> {
        self.branches.iter().map(String::as_str).collect()
    }

    pub(super) fn tree_of(&self, chunk: &Chunk) -> Result<&Tree, RunError> {
        self.files
            .get(chunk.file)
            .map(|(_, t)| t)
            .ok_or_else(|| RunError::Input(format!("no input file number {}", chunk.file)))
    }

    /// The chunk's place in the plan (chunks are in file and entry order).
    pub(super) fn index_of(&self, chunk: &Chunk) -> Result<usize, RunError> {
        self.chunks
            .binary_search_by(|c| (c.file, c.entries.start).cmp(&(chunk.file, chunk.entries.start)))
            .map_err(|_| RunError::Input(format!("a chunk outside the plan: {chunk:?}")))
    }
}

impl ChunkSource for RootSource {
    fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }

    fn read(&self, chunk: &Chunk) -> Result<Vec<InputColumn>, RunError> {
        let (_, tree) = self
            .files
            .get(chunk.file)
            .ok_or_else(|| RunError::Input(format!("no input file number {}", chunk.file)))?;
        let _fetched = match &self.prefetch {
            Some(p) => Some(p.wait(self, chunk)?),
            None => None,
        };
        let read = |b: &String, shared: &mut SharedOffsets| {
            tree.read_column_shared(b, chunk.entries.clone(), shared)
                .map_err(|e| RunError::Input(e.to_string()))
        };
        // With few chunks, branches decode in parallel so that every core has work. With
        // enough chunks to go round, not: a worker waiting for a nested job would steal a
        // whole chunk meanwhile, delay its own, and stall the ordered merge. One after the
        // other, branches with the same counter share their offsets.
        if self.chunks.len() < 2 * rayon::current_num_threads() {
            self.branches
                .par_iter()
                .map(|b| read(b, &mut SharedOffsets::default()))
                .collect()
        } else {
            let mut shared = SharedOffsets::default();
            self.branches.iter().map(|b| read(b, &mut shared)).collect()
        }
    }

    fn files(&self) -> Vec<(String, u64)> {
        self.files
            .iter()
            .map(|(p, t)| (p.clone(), t.entries()))
            .collect()
    }

    fn tree(&self) -> String {
        self.tree.clone()
    }

    fn unreadable(&self) -> Vec<SkippedRecord> {
        self.unreadable.clone()
    }

    fn remote_traffic(&self) -> Option<crate::remote::Traffic> {
        self.files.iter().any(|(_, t)| t.is_remote()).then(|| {
            self.files
                .iter()
                .fold(crate::remote::Traffic::default(), |a, (_, t)| {
                    a + t.traffic()
                })
        })
    }
}
