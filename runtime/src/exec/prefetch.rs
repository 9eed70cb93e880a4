//! Latency hiding for remote files: a chunk's baskets are fetched in one vector request
//! (neighbours coalesced, see `crate::remote`) some chunks before a worker reads it, on
//! threads of their own, so that the network works while earlier chunks compute.
//!
//! Invariants: at most [`Prefetch::ahead`] chunks past the one being read are fetched or
//! held (memory stays bounded by chunks, not by files); a chunk's blocks are dropped as soon
//! as it has been read; files are never fetched ahead of the run's order.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};

use super::RunError;
use super::plan::Chunk;
use super::source::RootSource;
use crate::root::{RootError, RootFile, Tree};

/// Chunks fetched ahead of the one being read, at least (more with many threads, each of
/// which may be reading one).
const MIN_AHEAD: usize = 4;

pub(super) struct Prefetch {
    state: Mutex<State>,
    ahead: usize,
    chunks: usize,
}

struct State {
    /// The first chunk not yet asked for.
    next: usize,
    slots: HashMap<usize, Arc<Slot>>,
}

/// One chunk's fetch: its outcome once done.
#[derive(Default)]
struct Slot {
    done: Mutex<Option<Result<(), String>>>,
    cv: Condvar,
}

/// A chunk whose baskets are in memory; dropping it drops them.
pub(super) struct Fetched<'a> {
    prefetch: &'a Prefetch,
    tree: Tree,
    index: usize,
}

impl Drop for Fetched<'_> {
    fn drop(&mut self) {
        self.tree.forget(self.index as u64);
        if let Ok(mut st) = self.prefetch.state.lock() {
            st.slots.remove(&self.index);
        }
    }
}

impl Prefetch {
    pub(super) fn new(chunks: usize) -> Prefetch {
        Prefetch {
            state: Mutex::new(State {
                next: 0,
                slots: HashMap::new(),
            }),
            ahead: MIN_AHEAD.max(rayon::current_num_threads()),
            chunks,
        }
    }

    /// Waits for `chunk`'s baskets, having asked for those of the chunks after it.
    pub(super) fn wait<'a>(
        &'a self,
        src: &RootSource,
        chunk: &Chunk,
    ) -> Result<Fetched<'a>, RunError> {
        let index = src.index_of(chunk)?;
        let slot = {
            let mut st = self
                .state
                .lock()
                .map_err(|_| RunError::Input("the prefetch state is poisoned".into()))?;
            let last = index
                .saturating_add(self.ahead)
                .min(self.chunks.saturating_sub(1));
            while st.next <= last {
                let i = st.next;
                st.next += 1;
                if let Some(slot) = start(src, i) {
                    st.slots.insert(i, slot);
                }
            }
            st.slots.get(&index).cloned()
        };
        let tree = src.tree_of(chunk)?.clone();
        if let Some(slot) = slot {
            let mut done = slot
                .done
                .lock()
                .map_err(|_| RunError::Input("the prefetch state is poisoned".into()))?;
            // Every network wait has a timeout, so the fetch ends.
            while done.is_none() {
                done = slot
                    .cv
                    .wait(done)
                    .map_err(|_| RunError::Input("the prefetch state is poisoned".into()))?;
            }
            if let Some(Err(e)) = done.as_ref() {
                return Err(RunError::Input(e.clone()));
            }
        }
        Ok(Fetched {
            prefetch: self,
            tree,
            index,
        })
    }
}

/// Starts fetching chunk `i`'s baskets on a thread of its own.
fn start(src: &RootSource, i: usize) -> Option<Arc<Slot>> {
    let chunk = src.chunks_ref().get(i)?;
    let tree = src.tree_of(chunk).ok()?.clone();
    if !tree.is_remote() {
        return None;
    }
    let ranges = tree.basket_ranges(&src.branch_names(), chunk.entries.clone());
    let slot = Arc::new(Slot::default());
    let theirs = slot.clone();
    let spawned = std::thread::Builder::new()
        .name("ana-prefetch".into())
        .spawn(move || {
            let r = tree.prefetch(ranges, i as u64).map_err(|e| e.to_string());
            if let Ok(mut done) = theirs.done.lock() {
                *done = Some(r);
            }
            theirs.cv.notify_all();
        });
    // Without a thread the chunk's reads fetch what they need themselves.
    spawned.is_ok().then_some(slot)
}

/// Files opened at the same time.
const PARALLEL_OPENS: usize = 8;

/// The remote ones of `paths` opened (their tree `tree`), in parallel: each open costs
/// round trips, not CPU. `None` for local paths and for `skip` (opened already).
pub(super) fn open_remote(
    paths: &[PathBuf],
    tree: &str,
    skip: Option<usize>,
) -> Vec<Option<Result<Tree, RootError>>> {
    let mut out: Vec<Option<Result<Tree, RootError>>> = Vec::new();
    out.resize_with(paths.len(), || None);
    let todo: Vec<(usize, &PathBuf)> = paths
        .iter()
        .enumerate()
        .filter(|(i, p)| Some(*i) != skip && crate::remote::is_url(&p.display().to_string()))
        .collect();
    for group in todo.chunks(PARALLEL_OPENS) {
        let opened: Vec<(usize, Result<Tree, RootError>)> = std::thread::scope(|s| {
            let handles: Vec<_> = group
                .iter()
                .map(|&(i, p)| {
                    (
                        i,
                        s.spawn(move || RootFile::open(p).and_then(|f| f.tree(tree))),
                    )
                })
                .collect();
            handles
                .into_iter()
                .filter_map(|(i, h)| Some((i, h.join().ok()?)))
                .collect()
        });
        for (i, r) in opened {
            if let Some(slot) = out.get_mut(i) {
                *slot = Some(r);
            }
        }
    }
    out
}
