//! A script's inputs for every subcommand, resolved by the facade
//! (`ana_runtime::analysis::inputs`): the files it reads (the command line's, else the
//! script's own `input` relative to the script's folder) and the branch schema its names are
//! checked against; here only how the command line reports them.

use std::path::Path;

use ana_compiler::schema::Schema;
pub use ana_runtime::analysis::inputs::unusable;
use ana_runtime::analysis::inputs::{self, InputError, ScriptInput};

use crate::Failure;

/// The input resolution of the facade, as `check` and `graph` see it.
pub fn script_input(script: &Path, source: &str, given: &[String]) -> Result<ScriptInput, Failure> {
    inputs::resolve(script.parent(), source, given).map_err(failure)
}

/// An input error as the command line reports it: a path, pattern or file the user named
/// that cannot be used is a usage error (exit 2); a file that turned out bad, a failure.
pub fn failure(e: InputError) -> Failure {
    let help = match &e {
        InputError::Missing { .. } => {
            "check the path; glob patterns such as 'data/*.root' are expanded, root:// and \
             https:// URLs are read remotely"
        }
        InputError::List { .. } => "@FILE names a text file with one input path or URL per line",
        InputError::BadPattern { .. } => "quote patterns so that ana, not the shell, expands them",
        InputError::NoMatch(_) => "check the pattern and the current directory",
        _ if !e.is_usage() => return Failure::Error(Some(miette::miette!("{e}"))),
        _ => return Failure::Usage(miette::miette!("{e}")),
    };
    Failure::Usage(miette::miette!(help = help, "{e}"))
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
