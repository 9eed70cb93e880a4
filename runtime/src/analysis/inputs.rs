//! Input resolution, in one place for every front door: which files a run reads (the
//! caller's paths and glob patterns, else the script's own `input` relative to the script's
//! folder), and the branch schema of the first readable one, which the script is compiled
//! against.

use std::path::{Path, PathBuf};

use ana_compiler::schema::Schema;

use crate::root::{RootFile, Tree};

/// What a script reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptInput {
    /// Files that exist, in order: the caller's (globs expanded) or the script's own.
    Files(Vec<PathBuf>),
    /// The script's own `input`, which cannot be opened: why not.
    DeclaredMissing(String),
    /// Neither the caller nor the script names an input.
    None,
}

/// Inputs that cannot be used. Each message names the file or pattern.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// A path the caller named that cannot be opened.
    #[error("input file {given}{why}")]
    Missing { given: String, why: String },
    #[error("bad glob pattern {pattern:?}: {message}")]
    BadPattern { pattern: String, message: String },
    #[error("no files match {0:?}")]
    NoMatch(String),
    /// A folder could not be listed while a pattern was expanded.
    #[error("{0}")]
    Listing(String),
    /// The script's default input cannot be opened (and no files were named).
    #[error("{0}")]
    DeclaredMissing(String),
    #[error("no input files")]
    NoInputs,
    /// An `@FILE` list that cannot be read or names nothing.
    #[error("input list {list}: {message}")]
    List { list: String, message: String },
    /// A file that does not open as ROOT, or lacks the tree: the reader's message, which
    /// names the file.
    #[error("{0}")]
    Unreadable(String),
    #[error("no input file could be read (the first error: {0})")]
    NoneReadable(String),
}

impl InputError {
    /// Whether the caller asked for something impossible (a usage error, exit 2) rather than
    /// named files that turned out bad.
    pub fn is_usage(&self) -> bool {
        !matches!(
            self,
            InputError::Listing(_) | InputError::Unreadable(_) | InputError::NoneReadable(_)
        )
    }
}

/// The files a script reads: `given` (paths, glob patterns, root:// or http(s):// URLs, or
/// `@FILE` lists of them, one per line, in order), else the script's `input`, relative to
/// `script_dir` (the script file's folder; the current folder for a script given as text).
/// A given path that does not exist is an error; globs are local only.
pub fn resolve(
    script_dir: Option<&Path>,
    source: &str,
    given: &[String],
) -> Result<ScriptInput, InputError> {
    if given.is_empty() {
        let Some(input) = ana_compiler::declared_input(source) else {
            return Ok(ScriptInput::None);
        };
        if crate::remote::is_url(&input) {
            return Ok(ScriptInput::Files(vec![PathBuf::from(input)]));
        }
        let path = script_dir.unwrap_or(Path::new("")).join(input);
        return Ok(match unusable(&path) {
            Some(why) => ScriptInput::DeclaredMissing(format!(
                "the script's default input {}{why}",
                path.display()
            )),
            None => ScriptInput::Files(vec![path]),
        });
    }
    let mut files = Vec::new();
    for pattern in given {
        match pattern.strip_prefix('@') {
            Some(list) => files.extend(list_file(Path::new(list))?),
            None => expand(pattern, Path::new(""), &mut files)?,
        }
    }
    Ok(ScriptInput::Files(files))
}

/// One path, glob pattern or URL (relative paths from `base`), appended to `files`.
fn expand(pattern: &str, base: &Path, files: &mut Vec<PathBuf>) -> Result<(), InputError> {
    if crate::remote::is_url(pattern) {
        files.push(PathBuf::from(pattern));
        return Ok(());
    }
    let path = base.join(pattern);
    if !pattern.contains(['*', '?', '[']) {
        if let Some(why) = unusable(&path) {
            return Err(InputError::Missing {
                given: path.display().to_string(),
                why,
            });
        }
        files.push(path);
        return Ok(());
    }
    let pattern = path.display().to_string();
    let paths = glob::glob(&pattern).map_err(|e| InputError::BadPattern {
        pattern: pattern.clone(),
        message: e.to_string(),
    })?;
    let before = files.len();
    for p in paths {
        files.push(p.map_err(|e| InputError::Listing(e.to_string()))?);
    }
    if files.len() == before {
        return Err(InputError::NoMatch(pattern));
    }
    Ok(())
}

/// The inputs an `@FILE` list names: one path, pattern or URL per line (relative to the
/// list's folder); blank lines and `#` comments skipped.
fn list_file(list: &Path) -> Result<Vec<PathBuf>, InputError> {
    let bad = |message: String| InputError::List {
        list: list.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(list).map_err(|e| bad(e.to_string()))?;
    let base = list.parent().unwrap_or(Path::new(""));
    let mut files = Vec::new();
    for line in text.lines().map(str::trim) {
        if !line.is_empty() && !line.starts_with('#') {
            expand(line, base, &mut files)?;
        }
    }
    if files.is_empty() {
        return Err(bad("names no inputs".to_string()));
    }
    Ok(files)
}

/// The files to run over: [`resolve`]'s, with no input at all an error.
pub fn files(
    script_dir: Option<&Path>,
    source: &str,
    given: &[String],
) -> Result<Vec<PathBuf>, InputError> {
    match resolve(script_dir, source, given)? {
        ScriptInput::Files(files) => Ok(files),
        ScriptInput::DeclaredMissing(why) => Err(InputError::DeclaredMissing(why)),
        ScriptInput::None => Err(InputError::NoInputs),
    }
}

/// The branches of the first file's tree (of the first readable one with `keep_going`),
/// which the script is checked and compiled against; with that tree and its file's index,
/// so that the run does not open it again.
pub fn first_schema(
    files: &[PathBuf],
    tree: &str,
    keep_going: bool,
) -> Result<(Schema, (usize, Tree)), InputError> {
    let mut first_error = None;
    for (i, f) in files.iter().enumerate() {
        match RootFile::open(f).and_then(|f| f.tree(tree)) {
            Ok(t) => return Ok((t.schema(), (i, t))),
            Err(e) if keep_going => {
                first_error.get_or_insert(e);
            }
            Err(e) => return Err(InputError::Unreadable(e.to_string())),
        }
    }
    let e = first_error.map_or("no input files".to_string(), |e| e.to_string());
    Err(InputError::NoneReadable(e))
}

/// Why `path` cannot be opened, as the end of a sentence naming it (" does not exist", " is a
/// symbolic link loop"), or `None` when it can be.
pub fn unusable(path: &Path) -> Option<String> {
    let err = std::fs::metadata(path).err()?;
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link {
        return Some(match err.kind() {
            std::io::ErrorKind::NotFound => " does not exist".to_string(),
            _ => format!(" cannot be opened: {err}"),
        });
    }
    // Follow the chain by hand: the OS only says "not found" or "too many levels".
    let mut seen = vec![path.to_path_buf()];
    let mut at = path.to_path_buf();
    loop {
        let Ok(target) = std::fs::read_link(&at) else {
            return Some(format!(" cannot be opened: {err}"));
        };
        let next = at.parent().unwrap_or(Path::new("")).join(&target);
        if seen.contains(&next) || seen.len() > 40 {
            return Some(" is a symbolic link loop".to_string());
        }
        match std::fs::symlink_metadata(&next) {
            Ok(m) if m.file_type().is_symlink() => {
                seen.push(next.clone());
                at = next;
            }
            Ok(_) => return Some(format!(" cannot be opened: {err}")),
            Err(_) => {
                return Some(format!(
                    " is a symbolic link to {}, which does not exist",
                    target.display()
                ));
            }
        }
    }
}
