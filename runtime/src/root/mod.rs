//! ROOT input: open a file, find its TTrees, plan chunks, read branches as columns.
//!
//! Input: a ROOT file path. Output: [`RootFile`] / [`Tree`], whose `read_column` gives a
//! branch's values over an entry range as an engine [`InputColumn`]. Invariants: reading is
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
//! baskets used whole: decompressed straight into the column, byte-swapped in place).

mod basket;
mod column;
mod compress;
mod directory;
mod io;
mod layout;
mod objects;
mod sigbus;
mod tree;
mod whole;

pub use compress::Codec;
pub use layout::Elem;
pub use tree::{BranchInfo, Nested, SharedOffsets, Tree, TreeRecord, Values};

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
}

impl Location {
    fn in_file(file: &str, tree: Option<&str>) -> Box<Location> {
        Box::new(Location {
            file: file.to_string(),
            tree: tree.map(str::to_string),
            branch: None,
            basket: None,
        })
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(t) = &self.tree {
            write!(f, ", tree {t}")?;
        }
        if let Some(b) = &self.branch {
            write!(f, ", branch {b}")?;
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
    #[error(
        "{at}: RNTuple is not supported yet (only TTrees are read); convert it to a TTree, e.g. with uproot"
    )]
    RNTuple { at: Box<Location> },
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
        "the file has no TTrees".to_string()
    } else {
        format!("the file's trees are: {}", v.join(", "))
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
            RootError::RNTuple { at }
            | RootError::NoBranch { at, .. }
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

    /// The TTrees of the file (`dir/name` for trees in subdirectories), in key order.
    pub fn tree_names(&self) -> Vec<String> {
        self.newest(|c| c == "TTree")
            .into_iter()
            .map(|e| e.path.clone())
            .collect()
    }

    /// The RNTuples of the file (which cannot be read yet).
    pub fn rntuple_names(&self) -> Vec<String> {
        self.newest(is_rntuple)
            .into_iter()
            .map(|e| e.path.clone())
            .collect()
    }

    pub fn tree(&self, name: &str) -> Result<Tree, RootError> {
        let name = name.split(';').next().unwrap_or(name);
        let trees = self.newest(|c| c == "TTree");
        if let Some(e) = trees.iter().find(|e| e.path == name) {
            return Tree::load(&self.path, &self.src, e);
        }
        if self.newest(is_rntuple).iter().any(|e| e.path == name) {
            return Err(RootError::RNTuple {
                at: Location::in_file(&self.path, Some(name)),
            });
        }
        if trees.is_empty() && !self.rntuple_names().is_empty() {
            return Err(RootError::RNTuple {
                at: Location::in_file(&self.path, None),
            });
        }
        Err(RootError::NoTree {
            file: self.path.clone(),
            name: name.to_string(),
            available: trees.iter().map(|e| e.path.clone()).collect(),
        })
    }
}
