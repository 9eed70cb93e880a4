//! The commands' output on stdout, and messages on stderr. A reader that closes the pipe early
//! (`ana inspect f.root | head`, `ana check s.ana 2>&1 | head`) ends the output quietly, as for
//! any Unix tool: it has what it wanted. (`println!` and `eprintln!` panic instead.)

use std::io::Write;

use crate::Failure;

/// Writes `text` to stdout. A closed pipe is a quiet success; other write errors (a full
/// disk behind a redirection) are failures.
pub fn print(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::Error(Some(miette::miette!(
            "cannot write the output: {e}"
        )))),
    }
}

/// Writes a message line to stderr; one that cannot be written is dropped (there is nowhere
/// left to say so), and the exit code still tells what happened.
pub fn message(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
}
