//! Input files are read through memory maps (no copy out of the page cache); a mapped file
//! that shrinks while it is read (another program truncates or rewrites it) or whose storage
//! fails turns the next access into SIGBUS. Instead of dying with "Bus error", the process
//! names the file on stderr and exits with status 1, as for any unreadable input; outputs are
//! only moved into place at the end of a run, so earlier results stay intact.
//!
//! The mapped files are kept in a list that only grows and is linked through atomics, so
//! that the signal handler can walk it without locks or allocation (async-signal-safe: it
//! reads atomics and calls `write` and `_exit`). A fault outside every mapped file goes to
//! the handler that was there before (Rust's own, which reports stack overflows).

use std::ffi::c_void;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Once, OnceLock};

/// One mapped file: its address range (`len` 0 once unmapped) and its name.
struct Region {
    start: AtomicUsize,
    len: AtomicUsize,
    name: &'static [u8],
    next: AtomicPtr<Region>,
}

static HEAD: AtomicPtr<Region> = AtomicPtr::new(null_mut());
static INSTALL: Once = Once::new();
/// The handler before ours, for faults that are not in a mapped input file.
static PREVIOUS: OnceLock<Previous> = OnceLock::new();

struct Previous(libc::sigaction);
// SAFETY: a `sigaction` is plain data (a handler address, flags, a signal mask), only read.
unsafe impl Send for Previous {}
// SAFETY: as above.
unsafe impl Sync for Previous {}

/// While alive, a fault in `bytes` (a mapped file) is reported as an error reading `name`.
#[derive(Debug)]
pub(crate) struct Watch(&'static Region);

impl std::fmt::Debug for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.name))
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        // The region is never freed (the handler may be reading it); it just stops matching.
        self.0.len.store(0, Ordering::Release);
    }
}

/// Starts reporting faults in `bytes` as an unreadable `name`. Each call leaks a few bytes
/// (the list only grows): one per input file opened.
pub(crate) fn watch(bytes: &[u8], name: &str) -> Watch {
    INSTALL.call_once(install);
    let region: &'static mut Region = Box::leak(Box::new(Region {
        start: AtomicUsize::new(bytes.as_ptr() as usize),
        len: AtomicUsize::new(bytes.len()),
        name: Box::leak(name.as_bytes().to_vec().into_boxed_slice()),
        next: AtomicPtr::new(null_mut()),
    }));
    let mut head = HEAD.load(Ordering::Acquire);
    loop {
        region.next.store(head, Ordering::Release);
        match HEAD.compare_exchange_weak(head, region, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => break,
            Err(h) => head = h,
        }
    }
    Watch(region)
}

fn install() {
    // SAFETY: plain libc calls on zero-initialised `sigaction` values.
    unsafe {
        let mut previous: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGBUS, std::ptr::null(), &mut previous) != 0 {
            return;
        }
        // Set before the handler that reads it exists.
        let previous = PREVIOUS.get_or_init(|| Previous(previous));
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigbus as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        libc::sigemptyset(&mut action.sa_mask);
        if libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut()) != 0 {
            libc::sigaction(libc::SIGBUS, &previous.0, std::ptr::null_mut());
        }
    }
}

fn write_stderr(bytes: &[u8]) {
    // SAFETY: `write` is async-signal-safe; a short or failed write only shortens the message.
    let _ = unsafe { libc::write(2, bytes.as_ptr().cast::<c_void>(), bytes.len()) };
}

extern "C" fn on_sigbus(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut c_void) {
    // SAFETY: the kernel passes a valid `siginfo_t` to an SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    let mut node = HEAD.load(Ordering::Acquire);
    while !node.is_null() {
        // SAFETY: regions are leaked, never freed: every pointer in the list stays valid.
        let r = unsafe { &*node };
        let (start, len) = (
            r.start.load(Ordering::Acquire),
            r.len.load(Ordering::Acquire),
        );
        if addr >= start && addr - start < len {
            write_stderr(b"  x input file ");
            write_stderr(r.name);
            write_stderr(
                b" could not be read: it changed size while being read (truncated or rewritten \
                  by another program?) or its storage failed\n",
            );
            // SAFETY: `_exit` is async-signal-safe and ends the process at once.
            unsafe { libc::_exit(1) };
        }
        node = r.next.load(Ordering::Acquire);
    }
    // Not a mapped input file: put back the previous handler; returning re-runs the faulting
    // access, which now goes to it (or to the default action: terminate).
    if let Some(previous) = PREVIOUS.get() {
        // SAFETY: `sigaction` is async-signal-safe; `previous` is what the kernel gave us.
        unsafe { libc::sigaction(libc::SIGBUS, &previous.0, null_mut()) };
    }
}
