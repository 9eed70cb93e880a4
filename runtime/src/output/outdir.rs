//! The output directory OUT: which folders a run may replace, the lock that serializes runs
//! into one OUT, the staging folder beside it and the atomic switch, and the removal of what
//! killed runs left behind.
//!
//! Invariants:
//! - OUT is replaced only when it does not exist, is empty, or was written by ana (it holds
//!   [`MARKER`], or a `run.json` with `ana_version` from versions before the marker); never
//!   when it is `/`, `$HOME`, the current folder or one of its ancestors, or holds an input.
//! - At every instant OUT is the complete old or the complete new result: the staged folder
//!   and OUT are swapped in one `renameat2(RENAME_EXCHANGE)` (two renames only where the
//!   filesystem cannot exchange).
//! - One run at a time writes an OUT: an advisory lock (`.OUT.ana-lock` beside it) is held
//!   from before staging until the switch; holding it proves that every staging or previous
//!   folder of this OUT is a dead run's leftover.
//! - A symbolic link OUT stays a link: the folder it points to is replaced.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::OutputError;

/// The file that marks a folder as ana's output (so that a later run may replace it).
pub const MARKER: &str = ".ana-output";

const STAGING: &str = ".ana-staging-";
const PREVIOUS: &str = ".ana-previous-";

/// Refuses an output path that the run must not replace (see the module's invariants);
/// `inputs` are the run's input files and script. Changes nothing on disk.
pub fn check_output_path(target: &Path, inputs: &[PathBuf]) -> Result<(), OutputError> {
    match existing(target)? {
        Some(real) => check_replaceable(target, &real, &canonical_all(inputs)),
        None if target.file_name().is_none() => Err(refused(target, "it does not name a folder")),
        None => Ok(()),
    }
}

/// OUT as named and as resolved.
#[derive(Debug)]
struct Target {
    /// As the user named it, for messages.
    shown: PathBuf,
    /// Symbolic links resolved: the folder that is replaced.
    real: PathBuf,
    /// `real`'s parent, where the staging folder and the lock live (same filesystem).
    parent: PathBuf,
    /// `real`'s name as it appears in the names of leftovers and of the lock file.
    key: String,
    /// The run's inputs, resolved.
    inputs: Vec<PathBuf>,
}

/// A staging folder beside OUT, holding OUT's lock; [`StagedDir::commit`] replaces OUT with
/// it. Dropped without `commit` (a failed run), the staging folder is removed.
#[derive(Debug)]
pub struct StagedDir {
    // Declared before the lock, so dropped first: a failed run's staging folder is gone
    // before the next run into OUT may start.
    tmp: tempfile::TempDir,
    target: Target,
    _lock: OutputLock,
}

impl StagedDir {
    /// Checks `target`, waits for OUT's lock (calling `on_wait` once with the holder's pid
    /// when another run holds it; `cancel` ends the wait), removes leftovers of earlier runs
    /// into the same OUT and creates the staging folder with [`MARKER`] in it.
    pub fn new(
        target: &Path,
        inputs: &[PathBuf],
        cancel: Option<&AtomicBool>,
        on_wait: &mut dyn FnMut(Option<u32>),
    ) -> Result<StagedDir, OutputError> {
        let target = resolve(target, inputs)?;
        let lock = OutputLock::acquire(
            &target.parent.join(format!(".{}.ana-lock", target.key)),
            cancel,
            on_wait,
        )
        .map_err(|e| match e {
            OutputError::Cancelled => e,
            e => cannot_write(&target.shown, e),
        })?;
        // While this run waited, another may have written OUT, or the user changed it.
        if let Some(real) = existing(&target.real)? {
            check_replaceable(&target.shown, &real, &target.inputs)?;
        }
        remove_leftovers(&target.parent, &target.key);
        let prefix = format!("{STAGING}{}-", std::process::id());
        let suffix = format!("-{}", target.key);
        let tmp = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(&suffix)
            .tempdir_in(&target.parent)
            .map_err(|e| create_error(&target.shown, e))?;
        let marker = tmp.path().join(MARKER);
        let text = format!(
            "Written by ana {} (ana run -o). The next run into this folder replaces it as a \
             whole.\n",
            env!("CARGO_PKG_VERSION")
        );
        std::fs::write(&marker, text).map_err(|e| OutputError::io(&marker, e))?;
        Ok(StagedDir {
            tmp,
            target,
            _lock: lock,
        })
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// Replaces OUT with the staged outputs in one step, then removes the old outputs.
    pub fn commit(self) -> Result<(), OutputError> {
        let StagedDir { tmp, target, _lock } = self;
        // OUT may have changed during the run (not by ana: the lock is held).
        if let Some(real) = existing(&target.real)? {
            check_replaceable(&target.shown, &real, &target.inputs)?;
        }
        let staged = tmp.keep();
        let result = replace(&staged, &target);
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&staged);
        }
        result
    }
}

fn create_error(target: &Path, source: std::io::Error) -> OutputError {
    OutputError::Create {
        target: target.to_path_buf(),
        source,
    }
}

fn cannot_write(target: &Path, e: OutputError) -> OutputError {
    match e {
        OutputError::Io { source, .. } => create_error(target, source),
        e => e,
    }
}

fn refused(target: &Path, reason: impl Into<String>) -> OutputError {
    OutputError::Refused {
        target: target.to_path_buf(),
        reason: reason.into(),
    }
}

/// The folder `target` names, symbolic links resolved, when something is there.
fn existing(target: &Path) -> Result<Option<PathBuf>, OutputError> {
    match std::fs::symlink_metadata(target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(create_error(target, e)),
        Ok(_) => {}
    }
    match std::fs::canonicalize(target) {
        Ok(real) => Ok(Some(real)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(refused(
            target,
            "it is a symbolic link to a folder that does not exist",
        )),
        Err(e) => Err(create_error(target, e)),
    }
}

fn canonical_all(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = paths
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    all.sort();
    all.dedup();
    all
}

/// Checks `target` (whose parent is created) and names its parts; nothing else changes.
fn resolve(target: &Path, inputs: &[PathBuf]) -> Result<Target, OutputError> {
    let inputs = canonical_all(inputs);
    let real = match existing(target)? {
        Some(real) => {
            check_replaceable(target, &real, &inputs)?;
            real
        }
        None => {
            let Some(name) = target.file_name() else {
                return Err(refused(target, "it does not name a folder"));
            };
            let parent = match target.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            std::fs::create_dir_all(parent).map_err(|e| create_error(target, e))?;
            std::fs::canonicalize(parent)
                .map_err(|e| create_error(target, e))?
                .join(name)
        }
    };
    let (Some(parent), Some(name)) = (real.parent(), real.file_name()) else {
        return Err(refused(target, "it is the root folder"));
    };
    Ok(Target {
        shown: target.to_path_buf(),
        parent: parent.to_path_buf(),
        key: key_of(name),
        real,
        inputs,
    })
}

/// OUT's name in leftovers' and the lock's names: the name itself when short and printable
/// (users see these names), else a hash, so that the names stay within 255 bytes.
fn key_of(name: &OsStr) -> String {
    match name.to_str() {
        Some(s) if s.len() <= 100 && !s.chars().any(char::is_control) => s.to_string(),
        _ => {
            use std::os::unix::ffi::OsStrExt;
            format!("#{:016x}", xxhash_rust::xxh64::xxh64(name.as_bytes(), 0))
        }
    }
}

/// Refuses to replace the existing folder `real` (named `target` by the user) unless it is
/// ana's to replace and the user may write it.
fn check_replaceable(target: &Path, real: &Path, inputs: &[PathBuf]) -> Result<(), OutputError> {
    let meta = std::fs::metadata(real).map_err(|e| create_error(target, e))?;
    if !meta.is_dir() {
        return Err(OutputError::NotADirectory(target.to_path_buf()));
    }
    if real.parent().is_none() {
        return Err(refused(target, "it is the root folder"));
    }
    let home = std::env::var_os("HOME").and_then(|h| std::fs::canonicalize(h).ok());
    if home.as_deref() == Some(real) {
        return Err(refused(target, "it is your home folder"));
    }
    if let Ok(cwd) = std::env::current_dir().and_then(std::fs::canonicalize) {
        if cwd == real {
            return Err(refused(target, "it is the current folder"));
        }
        if cwd.starts_with(real) {
            return Err(refused(target, "it contains the current folder"));
        }
    }
    if let Some(input) = inputs.iter().find(|p| p.starts_with(real)) {
        return Err(refused(
            target,
            format!("it contains {}, an input of this run", input.display()),
        ));
    }
    if !written_by_ana(real).map_err(|e| create_error(target, e))? {
        let mut names: Vec<String> = std::fs::read_dir(real)
            .map_err(|e| create_error(target, e))?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .take(4)
            .collect();
        names.sort();
        return Err(refused(
            target,
            format!(
                "it was not written by ana (it holds {}{})",
                names.join(", "),
                if names.len() == 4 { ", ..." } else { "" }
            ),
        ));
    }
    check_writable(target, real)
}

/// Empty, marked, or an output of an ana version before the marker (its `run.json` has
/// `ana_version`).
fn written_by_ana(dir: &Path) -> std::io::Result<bool> {
    if std::fs::read_dir(dir)?.next().is_none() {
        return Ok(true);
    }
    if std::fs::symlink_metadata(dir.join(MARKER)).is_ok_and(|m| m.is_file()) {
        return Ok(true);
    }
    let Ok(file) = File::open(dir.join("run.json")) else {
        return Ok(false);
    };
    // Bounded: a user's huge file of that name is not ana's run record anyway.
    let mut text = Vec::new();
    if file.take(16 << 20).read_to_end(&mut text).is_err() {
        return Ok(false);
    }
    Ok(
        serde_json::from_slice::<serde_json::Value>(&text).is_ok_and(|v| {
            v.get("ana_version")
                .is_some_and(serde_json::Value::is_string)
        }),
    )
}

/// Replacing OUT deletes the files in it and in its table folders: refused ("permission
/// denied") when one of those folders is not writable. For root, which the kernel lets
/// write anything, a folder without any write bit counts as read-only: the owner made it so.
fn check_writable(target: &Path, real: &Path) -> Result<(), OutputError> {
    let mut dirs = vec![real.to_path_buf()];
    if let Ok(entries) = std::fs::read_dir(real) {
        dirs.extend(
            entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.path()),
        );
    }
    for dir in dirs {
        if let Ok(meta) = std::fs::metadata(&dir)
            && !writable(&dir, &meta)
        {
            return Err(OutputError::PermissionDenied {
                target: target.to_path_buf(),
                path: dir,
                mode: meta.mode() & 0o7777,
            });
        }
    }
    Ok(())
}

fn writable(path: &Path, meta: &std::fs::Metadata) -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return meta.mode() & 0o222 != 0;
    }
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return true;
    };
    // SAFETY: `c` is a valid NUL-terminated path; faccessat only reads it.
    unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), libc::W_OK, libc::AT_EACCESS) == 0 }
}

/// Puts the staged folder in OUT's place: swapped in one step when OUT exists.
fn replace(staged: &Path, t: &Target) -> Result<(), OutputError> {
    match exchange(staged, &t.real) {
        Ok(true) => {
            // `staged` now holds the old outputs; a kill before they are gone leaves them
            // to the next run's cleanup.
            let _ = std::fs::remove_dir_all(staged);
            Ok(())
        }
        Ok(false) => two_renames(staged, t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::rename(staged, &t.real).map_err(|e| OutputError::io(&t.shown, e))
        }
        Err(e) => Err(OutputError::io(&t.shown, e)),
    }
}

/// Swaps two paths atomically; `Ok(false)` where the system or the filesystem cannot.
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let a = std::ffi::CString::new(a.as_os_str().as_bytes())?;
        let b = std::ffi::CString::new(b.as_os_str().as_bytes())?;
        // SAFETY: both paths are valid NUL-terminated strings that outlive the call; the
        // syscall (not glibc's wrapper, which older or other C libraries lack) only reads
        // them.
        let r = unsafe {
            libc::syscall(
                libc::SYS_renameat2,
                libc::AT_FDCWD,
                a.as_ptr(),
                libc::AT_FDCWD,
                b.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if r == 0 {
            return Ok(true);
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP) => Ok(false),
            _ => Err(e),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (a, b);
        Ok(false)
    }
}

/// Where the filesystem cannot exchange: OUT moved aside, the staged folder moved in. A kill
/// between the two leaves no OUT, the old outputs in `.ana-previous-*` (removed by the next
/// run).
fn two_renames(staged: &Path, t: &Target) -> Result<(), OutputError> {
    let io = |e| OutputError::io(&t.shown, e);
    let aside = tempfile::Builder::new()
        .prefix(&format!("{PREVIOUS}{}-", std::process::id()))
        .suffix(&format!("-{}", t.key))
        .tempdir_in(&t.parent)
        .map_err(io)?
        .keep();
    // `aside` is an empty folder, which rename replaces.
    if let Err(e) = std::fs::rename(&t.real, &aside) {
        let _ = std::fs::remove_dir(&aside);
        if e.kind() != std::io::ErrorKind::NotFound {
            return Err(io(e));
        }
        return std::fs::rename(staged, &t.real).map_err(io);
    }
    if let Err(e) = std::fs::rename(staged, &t.real) {
        let _ = std::fs::rename(&aside, &t.real);
        return Err(io(e));
    }
    let _ = std::fs::remove_dir_all(&aside);
    Ok(())
}

/// The pid and OUT key in a leftover's name `.ana-staging-PID-RANDOM-KEY` (or previous).
fn parse_leftover(name: &str) -> Option<(u32, &str)> {
    let rest = name
        .strip_prefix(STAGING)
        .or_else(|| name.strip_prefix(PREVIOUS))?;
    let (pid, rest) = rest.split_once('-')?;
    let (_random, key) = rest.split_once('-')?;
    Some((pid.parse().ok()?, key))
}

/// Removes staging and previous folders beside OUT that no run owns: all of this OUT's
/// (the caller holds its lock, so no run writes them), and other OUTs' whose process is gone.
fn remove_leftovers(parent: &Path, key: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some((pid, k)) = name.to_str().and_then(parse_leftover) else {
            continue;
        };
        if (k == key || !alive(pid)) && entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether process `pid` may exist (`kill(pid, 0)`); unknown counts as alive.
fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true;
    };
    if pid <= 0 {
        return true;
    }
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// An exclusive `flock` on a lock file beside OUT, holding the holder's pid; removed on drop.
#[derive(Debug)]
struct OutputLock {
    /// Holds the lock until dropped.
    _file: File,
    path: PathBuf,
}

impl OutputLock {
    /// Polls rather than blocks, so that a signal (`cancel`) ends the wait.
    fn acquire(
        path: &Path,
        cancel: Option<&AtomicBool>,
        on_wait: &mut dyn FnMut(Option<u32>),
    ) -> Result<OutputLock, OutputError> {
        let io = |e| OutputError::io(path, e);
        let mut announced = false;
        loop {
            let mut file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                // A link planted at the lock's name must not make ana truncate and write
                // the file it points to.
                .custom_flags(libc::O_NOFOLLOW)
                .open(path)
                .map_err(io)?;
            // SAFETY: flock on a file descriptor this function owns.
            let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if r == 0 {
                // The previous holder removes the file before unlocking: a lock on a file no
                // longer at `path` locks nothing that others see.
                let here = std::fs::metadata(path).ok();
                let mine = file.metadata().map_err(io)?;
                if here.is_some_and(|h| h.ino() == mine.ino() && h.dev() == mine.dev()) {
                    file.set_len(0).map_err(io)?;
                    write!(file, "{}", std::process::id()).map_err(io)?;
                    return Ok(OutputLock {
                        _file: file,
                        path: path.to_path_buf(),
                    });
                }
                continue;
            }
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EWOULDBLOCK) {
                return Err(io(e));
            }
            if !announced {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                on_wait(text.trim().parse().ok());
                announced = true;
            }
            if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Err(OutputError::Cancelled);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Removed while still locked (see `acquire`); the lock goes with the descriptor.
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
#[path = "outdir_tests.rs"]
mod tests;
