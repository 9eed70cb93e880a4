//! ROOT input: open a file, find its TTrees and RNTuples, plan chunks, read branches (an
//! RNTuple's fields) as columns.
//!
//! Input: a ROOT file path. Output: [`RootFile`] / [`Tree`] (a TTree or an RNTuple), whose
//! `read_column` gives a branch's values over an entry range as an engine [`InputColumn`],
//! in the same layout for both formats. Invariants: reading is
//! columnar (whole baskets are decompressed and decoded into flat arrays, no allocation per
//! entry); no input makes this module panic; every error names the file and, where known,
//! the tree, branch and basket. `RootFile` and `Tree` are `Send + Sync`; reads of different
//! ranges are independent.
//!
//! Which part does what: `io` (positioned reads, bounded cursor), `directory` (file header,
//! keys, subdirectories), `objects` (TTree/TBranch/TLeaf models, hard-coded by class
//! version as uproot does), `compress` (zlib/LZMA/LZ4/ZSTD blocks), `basket` (one basket:
//! payload and entry offsets), `layout` (how a branch's entries sit in its baskets, the
//! schema type), `column` (decoding baskets into columns), `whole` (the fast path for
//! baskets used whole: decompressed straight into the column, byte-swapped in place),
//! `rntuple` (RNTuples: anchor, envelopes, pages, column encodings), `dataset` ([`Tree`],
//! one interface over both formats).

mod basket;
mod column;
mod compress;
mod dataset;
mod directory;
mod io;
mod layout;
mod objects;
mod rntuple;
mod sigbus;
mod tree;
mod whole;

pub use compress::Codec;
pub use dataset::Tree;
pub use layout::Elem;
pub use tree::{BranchInfo, Nested, SharedOffsets, TreeRecord, Values};

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use directory::Entry;
use io::{Bad, Source};

/// Where an error happened: file, and tree, branch, basket when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub tree: Option<String>,
    pub branch: Option<String>,
    pub basket: Option<usize>,
    /// The tree is an RNTuple (and its branches are fields).
    pub rntuple: bool,
}

impl Location {
    fn in_file(file: &str, tree: Option<&str>) -> Box<Location> {
        Box::new(Location {
            file: file.to_string(),
            tree: tree.map(str::to_string),
            branch: None,
            basket: None,
            rntuple: false,
        })
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        let (tree, branch) = if self.rntuple {
            ("RNTuple", "field")
        } else {
            ("tree", "branch")
        };
        if let Some(t) = &self.tree {
            write!(f, ", {tree} {t}")?;
        }
        if let Some(b) = &self.branch {
            write!(f, ", {branch} {b}")?;
        }
        if let Some(k) = &self.basket {
            write!(f, ", basket {k}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RootError {
    #[error("{file}: cannot open: {source}")]
    Open {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// A remote file that cannot be opened (the message names the URL).
    #[error("{message}")]
    Remote { file: String, message: String },
    #[error("{file} is {kind}, not a ROOT file")]
    NotAFile { file: String, kind: &'static str },
    #[error("{file}: no tree named {name:?}; {}", list_or_none(.available))]
    NoTree {
        file: String,
        name: String,
        available: Vec<String>,
    },
    #[error("{at}: no such branch{}", suggest(.suggestion))]
    NoBranch {
        at: Box<Location>,
        suggestion: Option<String>,
    },
    #[error("{at}: type {type_name} is not supported{}", why(.reason))]
    Unsupported {
        at: Box<Location>,
        type_name: String,
        reason: Option<String>,
    },
    #[error("{at}: entry range {start}..{end} is outside the tree's {entries} entries")]
    Range {
        at: Box<Location>,
        start: u64,
        end: u64,
        entries: u64,
    },
    #[error("{at}: {message}")]
    Corrupt { at: Box<Location>, message: String },
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "the file has no TTrees or RNTuples".to_string()
    } else {
        format!("the file's trees and RNTuples are: {}", v.join(", "))
    }
}

fn suggest(s: &Option<String>) -> String {
    s.as_ref()
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default()
}

fn why(s: &Option<String>) -> String {
    s.as_ref().map(|s| format!(" ({s})")).unwrap_or_default()
}

impl RootError {
    /// The location, when the error has one.
    pub fn location(&self) -> Option<&Location> {
        match self {
            RootError::NoBranch { at, .. }
            | RootError::Unsupported { at, .. }
            | RootError::Range { at, .. }
            | RootError::Corrupt { at, .. } => Some(at),
            RootError::Open { .. }
            | RootError::Remote { .. }
            | RootError::NotAFile { .. }
            | RootError::NoTree { .. } => None,
        }
    }
}

/// An open ROOT file: its keys, read once. Trees are parsed on demand by [`RootFile::tree`].
#[derive(Debug)]
pub struct RootFile {
    path: String,
    src: Arc<Source>,
    entries: Vec<Entry>,
}

fn is_rntuple(class: &str) -> bool {
    class == "ROOT::RNTuple" || class == "ROOT::Experimental::RNTuple"
}

impl RootFile {
    /// Opens a local file, or a remote one when `path` is a `root://` or `http(s)://` URL.
    pub fn open(path: &Path) -> Result<RootFile, RootError> {
        let file_name = path.display().to_string();
        if crate::remote::is_url(&file_name) {
            let remote = crate::remote::RemoteFile::open(&file_name).map_err(|message| {
                RootError::Remote {
                    file: file_name.clone(),
                    message,
                }
            })?;
            return Self::from_source(file_name, Source::Remote(remote));
        }
        let file = io::open_regular(path).map_err(|e| match e {
            io::OpenError::NotAFile { kind } => RootError::NotAFile {
                file: file_name.clone(),
                kind,
            },
            io::OpenError::Io(source) => RootError::Open {
                file: file_name.clone(),
                source,
            },
        })?;
        let src = Source::new(file, &file_name).map_err(|source| RootError::Open {
            file: file_name.clone(),
            source,
        })?;
        let entries = directory::list(&src).map_err(|Bad(message)| RootError::Corrupt {
            at: Location::in_file(&file_name, None),
            message,
        })?;
        Ok(RootFile {
            path: file_name,
            src: Arc::new(src),
            entries,
        })
    }

    /// A ROOT file's bytes, already in memory (`name` is how errors name it).
    pub fn from_bytes(name: &str, bytes: Vec<u8>) -> Result<RootFile, RootError> {
        Self::from_source(name.to_string(), Source::Memory(bytes))
    }

    fn from_source(name: String, src: Source) -> Result<RootFile, RootError> {
        let entries = directory::list(&src).map_err(|Bad(message)| RootError::Corrupt {
            at: Location::in_file(&name, None),
            message,
        })?;
        Ok(RootFile {
            path: name,
            src: Arc::new(src),
            entries,
        })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// The newest cycle of every key named like this with one of `classes`.
    fn newest(&self, pred: impl Fn(&str) -> bool) -> Vec<&Entry> {
        let mut out: Vec<&Entry> = Vec::new();
        for e in self.entries.iter().filter(|e| pred(&e.key.class)) {
            match out.iter_mut().find(|o| o.path == e.path) {
                Some(o) if o.key.cycle < e.key.cycle => *o = e,
                Some(_) => {}
                None => out.push(e),
            }
        }
        out
    }

    /// The TTrees and RNTuples of the file (`dir/name` for those in subdirectories), in
    /// key order.
    pub fn tree_names(&self) -> Vec<String> {
        self.newest(|c| c == "TTree" || is_rntuple(c))
            .into_iter()
            .map(|e| e.path.clone())
            .collect()
    }

    /// The RNTuples of the file (also in `tree_names`).
    pub fn rntuple_names(&self) -> Vec<String> {
        self.newest(is_rntuple)
            .into_iter()
            .map(|e| e.path.clone())
            .collect()
    }

    /// The TTree or RNTuple named `name` (a `;cycle` suffix is ignored: the newest is read).
    pub fn tree(&self, name: &str) -> Result<Tree, RootError> {
        let name = name.split(';').next().unwrap_or(name);
        let all = self.newest(|c| c == "TTree" || is_rntuple(c));
        match all.iter().find(|e| e.path == name) {
            Some(e) if is_rntuple(&e.key.class) => {
                rntuple::RNTuple::load(&self.path, &self.src, e).map(Tree::rntuple)
            }
            Some(e) => tree::TTree::load(&self.path, &self.src, e).map(Tree::ttree),
            None => Err(RootError::NoTree {
                file: self.path.clone(),
                name: name.to_string(),
                available: all.iter().map(|e| e.path.clone()).collect(),
            }),
        }
    }
}
