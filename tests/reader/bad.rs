//! Damaged and unsupported inputs: clear errors naming the file, never a panic.

use ana_runtime::root::{RootError, RootFile, Tree};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn handles_are_send_and_sync() {
    assert_send_sync::<RootFile>();
    assert_send_sync::<Tree>();
}

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

const DIMUON: &str = "Run2012BC_DoubleMuParked_Muons_1000evts.root";
const RNTUPLE: &str = "Run2012BC_DoubleMuParked_Muons_1000evts_rntuple_v1-0-0-0.root";

/// A file of the project's `tests/data` (named `tests/data/...` in lists of shared files), else
/// of the shared data.
fn local_or_shared(name: &str) -> std::path::PathBuf {
    match name.strip_prefix("tests/data/") {
        Some(local) => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(local),
        None => crate::data(name),
    }
}

/// Opens `path` and reads every readable branch of every tree; the first error, if any.
fn read_all(path: &Path) -> Result<(), RootError> {
    let f = RootFile::open(path)?;
    for t in f.tree_names() {
        let tree = f.tree(&t)?;
        for b in tree.branches() {
            if b.elem.is_some() {
                let chunks = tree.chunks(&[b.name.as_str()], 1 << 20)?;
                for c in chunks {
                    tree.read_values(&b.name, c)?;
                }
            }
        }
    }
    Ok(())
}

fn write_temp(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(bytes).unwrap();
    f.flush().unwrap();
    f
}

/// Reads a damaged copy; panics are caught and reported as failures with `what`.
fn survive(bytes: &[u8], what: &str, failures: &mut Vec<String>) -> Option<RootError> {
    let tmp = write_temp(bytes);
    match catch_unwind(AssertUnwindSafe(|| read_all(tmp.path()))) {
        Ok(Ok(())) => None,
        Ok(Err(e)) => {
            let path = tmp.path().display().to_string();
            if !e.to_string().contains(&path) {
                failures.push(format!("{what}: error does not name the file: {e}"));
            }
            Some(e)
        }
        Err(_) => {
            failures.push(format!("{what}: panicked"));
            None
        }
    }
}

#[test]
fn non_root_and_empty_files_are_errors() {
    let mut failures = Vec::new();
    for (what, bytes) in [
        ("empty", Vec::new()),
        ("text", b"root:x:0:0:root:/root:/bin/bash\n".repeat(40)),
        ("zeros", vec![0u8; 4096]),
        ("magic only", b"root".to_vec()),
    ] {
        let e = survive(&bytes, what, &mut failures);
        assert!(e.is_some(), "{what} read without error");
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn truncated_files_are_errors_not_panics() {
    for (name, stride, min_errors) in [(DIMUON, 331, 150), (RNTUPLE, 97, 250)] {
        let full = std::fs::read(crate::data(name)).unwrap();
        let mut failures = Vec::new();
        let mut errors = 0;
        for cut in (0..full.len()).step_by(stride) {
            if survive(&full[..cut], &format!("{name} cut at {cut}"), &mut failures).is_some() {
                errors += 1;
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
        assert!(
            errors > min_errors,
            "{name}: only {errors} truncations noticed"
        );
    }
}

/// Every byte position of small files (and a stride through larger ones) flipped in turn:
/// any outcome but a panic (or an unbounded allocation, which would abort) is acceptable.
#[test]
fn corrupted_bytes_never_panic() {
    let mut failures = Vec::new();
    for (name, stride) in [
        (DIMUON, 97),
        ("uproot-small-dy-nooffsets.root", 29),
        ("uproot-HZZ-zstd.root", 409),
        ("uproot-HZZ-lz4.root", 409),
        ("uproot-HZZ-lzma.root", 997),
        ("uproot-stl_containers.root", 11),
        ("uproot-vectorVectorDouble.root", 5),
        ("nanoAOD_2015_CMS_Open_Data_ttbar.root", 1201),
        ("uproot-sample-6.20.04-uncompressed.root", 61),
        (RNTUPLE, 47),
        (
            "cmsopendata2015_ttbar_19980_NANOAOD_RNTupleImporter_rntuple_v1-0-0-1.root",
            1999,
        ),
        ("tests/data/rntuple_types_zstd.root", 421),
    ] {
        let full = std::fs::read(local_or_shared(name)).unwrap();
        for pos in (0..full.len()).step_by(stride) {
            for pattern in [0xffu8, 0x7f] {
                let mut b = full.clone();
                b[pos] ^= pattern;
                survive(
                    &b,
                    &format!("{name} byte {pos} ^ {pattern:#x}"),
                    &mut failures,
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A basket key that claims a 2 GB object: an error naming the basket, no allocation.
#[test]
fn lying_basket_length_is_an_error() {
    let mut b = std::fs::read(crate::data(DIMUON)).unwrap();
    // The first basket key: its class name "TBasket" follows the 26-byte fixed key header.
    let at = b
        .windows(8)
        .position(|w| w == b"\x07TBasket")
        .expect("a basket key")
        - 26;
    b[at + 6..at + 10].copy_from_slice(&0x7fff_fff0i32.to_be_bytes());
    let tmp = write_temp(&b);
    let e = read_all(tmp.path()).expect_err("a lying fObjlen is noticed");
    let msg = e.to_string();
    assert!(msg.contains("basket 0"), "{msg}");
}

#[test]
fn missing_tree_and_branch_name_what_exists() {
    let f = RootFile::open(&crate::data(DIMUON)).unwrap();
    let e = f.tree("Evnts").unwrap_err().to_string();
    assert!(
        e.contains("no tree named \"Evnts\"") && e.contains("Events") && e.contains(DIMUON),
        "{e}"
    );
    let t = f.tree("Events").unwrap();
    let e = t.read_column("Muon_ptt", 0..10).unwrap_err().to_string();
    assert!(
        e.contains("branch Muon_ptt") && e.contains("did you mean Muon_pt"),
        "{e}"
    );
    let e = t.read_column("Muon_pt", 0..1001).unwrap_err().to_string();
    assert!(e.contains("outside"), "{e}");
}

#[test]
fn unsupported_types_are_clear_errors() {
    let f = RootFile::open(&crate::data("uproot-stl_containers.root")).unwrap();
    let t = f.tree("tree").unwrap();
    for b in ["string", "vector_string", "vector_vector_int32"] {
        let e = t.read_column(b, 0..t.entries()).unwrap_err();
        assert!(matches!(e, RootError::Unsupported { .. }), "{b}: {e}");
        assert!(e.to_string().contains("not supported"), "{e}");
    }
    let s = t.schema();
    assert_eq!(s.branch("string").unwrap().phys, None);
    assert_eq!(s.branch("vector_vector_int32").unwrap().phys, None);
    assert!(s.branch("vector_int32").unwrap().phys.is_some());
}

/// Set in the child process of `a_file_truncated_while_mapped_is_an_error_naming_it`.
const TRUNCATE_CHILD: &str = "ANA_TEST_TRUNCATE_WHILE_MAPPED";

#[test]
fn a_file_truncated_while_mapped_is_an_error_naming_it() {
    // Files are read through memory maps: a file that shrinks after it was opened raises
    // SIGBUS on access, which must end the process with a message naming the file and
    // status 1 (not "Bus error"). Run in a child process, which that ends.
    if let Ok(path) = std::env::var(TRUNCATE_CHILD) {
        let f = RootFile::open(Path::new(&path)).expect("opens");
        let t = f.tree("Events").expect("tree");
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|w| w.set_len(4096))
            .expect("truncate");
        let r = t.read_column("Jet_pt", 0..t.entries());
        // Not reached when the baskets were mapped; with a file read by `pread`, an error.
        eprintln!("read after truncation: {:?}", r.err());
        std::process::exit(3);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shrinks.root");
    // Large enough to be mapped (small files are read with `pread`).
    let big = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/adl_synth_20k.root");
    std::fs::copy(big, &path).expect("copy");
    let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "bad::a_file_truncated_while_mapped_is_an_error_naming_it",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(TRUNCATE_CHILD, &path)
        .output()
        .expect("runs the child");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&path.display().to_string()) && err.contains("changed size"),
        "{err}"
    );
}

/// The RNTuple's anchor (after its 6-byte class-version preamble): big-endian fields and
/// their xxHash-3, rewritten with `edit` and a checksum that matches again.
fn edit_anchor(bytes: &mut [u8], edit: impl Fn(&mut [u8])) {
    let at = bytes
        .windows(8)
        .position(|w| w == [0x40, 0, 0, 0x42, 0, 2, 0, 1])
        .expect("the anchor")
        + 6;
    edit(&mut bytes[at..at + 64]);
    let sum = xxhash_rust::xxh3::xxh3_64(&bytes[at..at + 64]);
    bytes[at + 64..at + 72].copy_from_slice(&sum.to_be_bytes());
}

/// Damaged RNTuples: every error names the file; a damaged page also the field and the page.
#[test]
fn damaged_rntuples_name_file_field_and_page() {
    let full = std::fs::read(crate::data(RNTUPLE)).unwrap();
    let load = |bytes: &[u8]| -> Result<Tree, RootError> {
        let tmp = write_temp(bytes);
        let path = tmp.path().display().to_string();
        let r = RootFile::open(tmp.path()).and_then(|f| f.tree("Events"));
        if let Err(e) = &r {
            assert!(e.to_string().contains(&path), "{e}");
        }
        r
    };
    // A byte of Muon_pt's page (ROOT stores a checksum after every page).
    let mut b = full.clone();
    b[1231 + 100] ^= 0x20;
    let t = load(&b).expect("metadata intact");
    let e = t.read_column("Muon_pt", 0..1000).unwrap_err().to_string();
    assert!(
        e.contains("field Muon_pt")
            && e.contains("cluster 0, column 1, page 0")
            && e.contains("checksum"),
        "{e}"
    );
    assert!(t.read_column("Muon_eta", 0..1000).is_ok());
    // The footer envelope past the end of the file.
    let mut b = full.clone();
    edit_anchor(&mut b, |a| {
        a[32..40].copy_from_slice(&(1u64 << 40).to_be_bytes())
    });
    let e = load(&b).unwrap_err().to_string();
    assert!(
        e.contains("footer envelope") && e.contains("truncated"),
        "{e}"
    );
    // The header envelope stored in fewer bytes than it takes.
    let mut b = full.clone();
    edit_anchor(&mut b, |a| a[16..24].copy_from_slice(&100u64.to_be_bytes()));
    let e = load(&b).unwrap_err().to_string();
    assert!(e.contains("header envelope"), "{e}");
    // A byte of the header envelope: its checksum fails.
    let mut b = full.clone();
    b[364 + 40] ^= 1;
    let e = load(&b).unwrap_err().to_string();
    assert!(e.contains("header envelope"), "{e}");
    // The anchor itself, damaged.
    let mut b = full.clone();
    let at = b
        .windows(8)
        .position(|w| w == [0x40, 0, 0, 0x42, 0, 2, 0, 1])
        .unwrap();
    b[at + 20] ^= 1;
    let e = load(&b).unwrap_err().to_string();
    assert!(e.contains("anchor checksum"), "{e}");
}
