//! What a run may take of the machine, decided before anything is started or allocated:
//! worker threads, and the memory of the histograms' copies.

use std::num::NonZeroUsize;

use ana_compiler::graph::Graph;

use super::RunError;

/// The pool's size for a run, and why it differs from the request, if it does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Threads {
    pub threads: usize,
    pub warning: Option<String>,
}

/// The worker threads for `requested` threads (0: rayon's default, one per core) over
/// `chunks` chunks. A thread beyond the cores only helps while another waits on a slow disk
/// or network, so at most 4 per core; and a thread beyond both the cores and the chunks has
/// nothing to do at all (a run of fewer chunks than cores decodes a chunk's branches in
/// parallel, which the cores already cover). Asked for 16,000 threads, rayon starts them
/// all: each costs a stack and a guard page, and their start-up alone took minutes.
pub fn worker_threads(requested: usize, chunks: usize) -> Threads {
    if requested == 0 {
        return Threads {
            threads: rayon::current_num_threads(),
            warning: None,
        };
    }
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let cap = cores.saturating_mul(4).min(chunks.max(cores)).max(1);
    let threads = requested.min(cap);
    let warning = if threads < requested {
        Some(format!(
            "--threads {requested} is more than this run can use (this machine has {} and \
             the run {}): using {threads}",
            plural(cores, "core"),
            plural(chunks, "chunk"),
        ))
    } else if requested > cores {
        Some(format!(
            "--threads {requested} is more than this machine's {}: threads take turns on \
             them, which helps only when reading waits on a slow disk or network",
            plural(cores, "core"),
        ))
    } else {
        None
    };
    Threads { threads, warning }
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// Bytes of one copy of every histogram's storage (8 per slot and array: `sumw`, and
/// `sumw2`, `sumwx`, `sumwx2` where the storage keeps them).
pub fn histogram_bytes(graph: &Graph) -> u64 {
    graph
        .hists
        .iter()
        .map(|h| {
            let arrays = 1 + u64::from(h.storage.has_sumw2()) + 2 * u64::from(h.storage.is_mean());
            (h.size() as u64).saturating_mul(8 * arrays)
        })
        .fold(0, u64::saturating_add)
}

/// Copies of the histograms a run of `threads` workers holds at once: every chunk in flight
/// or waiting for its turn to merge has its own (at most two per thread: the reorder
/// window), and the merged totals.
pub fn histogram_copies(threads: usize) -> u64 {
    (threads as u64).saturating_mul(2).saturating_add(1)
}

/// Refuses a run whose histograms would need more than `limit` bytes (`None`: half the
/// physical memory), before anything is allocated: 30 histograms of 10^7 bins on two
/// threads took 11.5 GB and the allocator aborted the process.
pub fn check_histogram_memory(
    graph: &Graph,
    threads: usize,
    limit: Option<u64>,
) -> Result<(), RunError> {
    let one = histogram_bytes(graph);
    let copies = histogram_copies(threads);
    let needed = one.saturating_mul(copies);
    let (limit, what) = match limit {
        Some(l) => (l, "--memory-limit"),
        None => match default_memory_limit() {
            Some(l) => (l, "half the physical memory; --memory-limit sets another"),
            None => return Ok(()),
        },
    };
    if needed <= limit {
        return Ok(());
    }
    let largest = graph
        .hists
        .iter()
        .max_by_key(|h| h.size())
        .map(|h| format!(" (the largest, {}, has {} bins)", h.name, h.size()))
        .unwrap_or_default();
    Err(RunError::Memory(format!(
        "the histograms need {}: {} for one copy of the {} histogram(s){largest}, held {copies} \
         times (each of the {threads} worker thread(s) has up to 2 partial copies in flight, \
         plus the merged one); the limit is {} ({what})",
        human_bytes(needed),
        human_bytes(one),
        graph.hists.len(),
        human_bytes(limit),
    )))
}

/// Half the physical memory: the rest is left to the columns being read, the system and
/// other programs.
pub fn default_memory_limit() -> Option<u64> {
    // SAFETY: sysconf only reads system parameters.
    let (pages, page) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    let bytes = u64::try_from(pages)
        .ok()?
        .checked_mul(u64::try_from(page).ok()?)?;
    (bytes > 0).then_some(bytes / 2)
}

/// 11534336000 as "11.5 GB" (decimal units, as `--memory-limit` reads them).
pub fn human_bytes(n: u64) -> String {
    let units = [("GB", 1e9), ("MB", 1e6), ("kB", 1e3)];
    for (unit, size) in units {
        if n as f64 >= size {
            return format!("{:.1} {unit}", n as f64 / size);
        }
    }
    format!("{n} bytes")
}

/// Parses a size as `--memory-limit` takes it: bytes, or a number with a unit K, M, G or T
/// (powers of 1000; KiB, MiB, GiB, TiB for powers of 1024; a trailing B is optional).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size (write e.g. 4G, 500M or 2GiB)"))?;
    let scale: f64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1.0,
        "K" | "KB" => 1e3,
        "M" | "MB" => 1e6,
        "G" | "GB" => 1e9,
        "T" | "TB" => 1e12,
        "KI" | "KIB" => 1024.0,
        "MI" | "MIB" => 1024f64.powi(2),
        "GI" | "GIB" => 1024f64.powi(3),
        "TI" | "TIB" => 1024f64.powi(4),
        u => return Err(format!("unknown unit {u:?} in {text:?} (use K, M, G or T)")),
    };
    let bytes = value * scale;
    if !(bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("{text:?} is not a usable size"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("500M"), Ok(500_000_000));
        assert_eq!(parse_size("4G"), Ok(4_000_000_000));
        assert_eq!(parse_size("1.5GB"), Ok(1_500_000_000));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("8 k"), Ok(8000));
        for bad in ["", "G", "4X", "-1G", "0", "1e99G", "1.2.3M"] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn threads_are_capped_by_cores_and_chunks() {
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let huge = worker_threads(65535, 1);
        assert_eq!(huge.threads, cores);
        assert!(huge.warning.is_some_and(|w| w.contains("using")));
        // Many chunks: at most 4 threads per core.
        assert_eq!(worker_threads(65535, 1 << 20).threads, 4 * cores);
        // More than the cores, within the cap: kept, with a warning.
        let over = worker_threads(cores + 1, 1 << 20);
        assert_eq!(over.threads, cores + 1);
        assert!(over.warning.is_some());
        assert_eq!(
            worker_threads(1, 1),
            Threads {
                threads: 1,
                warning: None
            }
        );
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(11_534_336_000), "11.5 GB");
        assert_eq!(human_bytes(999), "999 bytes");
        assert_eq!(human_bytes(80_000_016), "80.0 MB");
    }
}
