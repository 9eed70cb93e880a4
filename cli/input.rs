//! A script's inputs, resolved once for every subcommand: the files it reads (the command
//! line's, else the script's own `input` relative to the script's folder) and the branch
//! schema its names are checked against.

use std::path::{Path, PathBuf};

use ana_compiler::schema::Schema;

use crate::Failure;

/// What a script reads.
pub enum ScriptInput {
    /// Files that exist, in order: the command line's (globs expanded) or the script's own.
    Files(Vec<PathBuf>),
    /// The script's own `input`, which cannot be opened: why not.
    DeclaredMissing(String),
    /// Neither the command line nor the script names an input.
    None,
}

/// The files a script reads: `given` (paths, glob patterns, URLs or `@list` files, in order), else the script's
/// `input`, relative to the script's folder. A given path that does not exist is a usage
/// error.
pub fn script_input(script: &Path, source: &str, given: &[String]) -> Result<ScriptInput, Failure> {
    if given.is_empty() {
        let Some(input) = ana_compiler::declared_input(source) else {
            return Ok(ScriptInput::None);
        };
        if ana_runtime::remote::is_url(&input) {
            return Ok(ScriptInput::Files(vec![PathBuf::from(input)]));
        }
        let path = script.parent().unwrap_or(Path::new("")).join(input);
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
            None => resolve(pattern, Path::new(""), &mut files)?,
        }
    }
    Ok(ScriptInput::Files(files))
}

/// One input argument into `files`: a `root://` or `http(s)://` URL as it is (opened when
/// read), a glob pattern expanded (local files only), else a path that must exist. `base`:
/// the folder relative paths start from.
fn resolve(pattern: &str, base: &Path, files: &mut Vec<PathBuf>) -> Result<(), Failure> {
    if ana_runtime::remote::is_url(pattern) {
        files.push(PathBuf::from(pattern));
        return Ok(());
    }
    let path = base.join(pattern);
    if !pattern.contains(['*', '?', '[']) {
        if let Some(why) = unusable(&path) {
            return Err(Failure::Usage(miette::miette!(
                help = "check the path; glob patterns such as 'data/*.root' are expanded, \
                        root:// and https:// URLs are read remotely",
                "input file {}{why}",
                path.display()
            )));
        }
        files.push(path);
        return Ok(());
    }
    let pattern = path.display().to_string();
    let paths = glob::glob(&pattern).map_err(|e| {
        Failure::Usage(miette::miette!(
            help = "quote patterns so that ana, not the shell, expands them",
            "bad glob pattern {pattern:?}: {e}"
        ))
    })?;
    let before = files.len();
    for p in paths {
        files.push(p.map_err(|e| Failure::Error(Some(miette::miette!("{e}"))))?);
    }
    if files.len() == before {
        return Err(Failure::Usage(miette::miette!(
            help = "check the pattern and the current directory",
            "no files match {pattern:?}"
        )));
    }
    Ok(())
}

/// The inputs a list file (`@files.txt`) names, one path, pattern or URL per line (blank
/// lines and `#` comments skipped; relative paths from the list's folder).
fn list_file(list: &Path) -> Result<Vec<PathBuf>, Failure> {
    let text = std::fs::read_to_string(list).map_err(|e| {
        Failure::Usage(miette::miette!(
            help = "@FILE names a text file with one input path or URL per line",
            "input list {}: {e}",
            list.display()
        ))
    })?;
    let base = list.parent().unwrap_or(Path::new(""));
    let mut files = Vec::new();
    for line in text.lines().map(str::trim) {
        if !line.is_empty() && !line.starts_with('#') {
            resolve(line, base, &mut files)?;
        }
    }
    if files.is_empty() {
        return Err(Failure::Usage(miette::miette!(
            help = "@FILE names a text file with one input path or URL per line",
            "input list {} names no inputs",
            list.display()
        )));
    }
    Ok(files)
}

/// The schema `ana check` and `ana graph` compile against: the tree of `--input`, else of the
/// script's own `input` (the file `ana run` would read), else none: branch types are then
/// assumed from their names, and a note on stderr says so.
pub fn check_schema(
    script: &Path,
    source: &str,
    input: Option<&Path>,
    tree: Option<String>,
) -> Result<Option<Schema>, Failure> {
    let given: Vec<String> = input.map(|p| p.display().to_string()).into_iter().collect();
    let assumed = "branch types assumed from their names (a collection's fields float32, \
                   counted by an int32 nX; other branches float32)";
    match script_input(script, source, &given)? {
        ScriptInput::Files(files) => match files.first() {
            Some(first) => input_schema(first, tree, source).map(Some),
            None => Ok(None),
        },
        ScriptInput::DeclaredMissing(why) => {
            crate::out::message(&format!(
                "note: {why}: {assumed}; pass --input FILE to check against a file"
            ));
            Ok(None)
        }
        ScriptInput::None => {
            crate::out::message(&format!(
                "note: no input: {assumed}; pass --input FILE to check against a file"
            ));
            Ok(None)
        }
    }
}

/// The schema of `input`'s tree (`tree`, else the script's `tree`, else `Events`); an
/// unreadable file is a usage error.
fn input_schema(input: &Path, tree: Option<String>, source: &str) -> Result<Schema, Failure> {
    let tree = tree
        .or_else(|| ana_compiler::declared_tree(source))
        .unwrap_or_else(|| "Events".to_string());
    let file = ana_runtime::root::RootFile::open(input)
        .map_err(|e| Failure::Usage(miette::miette!("{e}")))?;
    let tree = file
        .tree(&tree)
        .map_err(|e| Failure::Usage(miette::miette!("{e}")))?;
    Ok(tree.schema())
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
