//! The reader's own checks on damaged page lists and entry counts, and the chunk plan, on the
//! uproot-written test file (uncompressed pages, no page checksums).

#![expect(
    clippy::indexing_slicing,
    reason = "tests index freely: a panic is a test failure"
)]

use super::*;

/// The uproot-written test file (uncompressed pages, no page checksums).
fn load() -> RNTuple {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/rntuple_types.root"
    );
    let src = Arc::new(Source::Memory(std::fs::read(path).unwrap()));
    let entries = directory::list(&src).unwrap();
    let e = entries.iter().find(|e| e.path == "ntuple").unwrap();
    RNTuple::load("types.root", &src, e).unwrap()
}

/// Page 0 of the column holding `field`'s values in cluster 0, changed by `edit`.
fn damage(field: &str, edit: impl Fn(&mut Page)) -> RNTuple {
    let mut t = load();
    let b = t.find(field).unwrap().clone();
    let Ok(Shape::Scalar { value, .. } | Shape::Jagged { value, .. }) = b.shape else {
        panic!("{field}")
    };
    let inner = Arc::get_mut(&mut t.inner).unwrap();
    let c = inner.field_columns[value as usize][0] as usize;
    let page = &mut inner.clusters[0].columns[c].as_mut().unwrap().pages[0];
    edit(page);
    t
}

#[test]
fn bad_page_sizes_name_the_field_and_page() {
    let t = load();
    assert_eq!(t.entries(), 281);
    assert!(
        t.read_column_shared("flat_float64", 0..281, &mut SharedOffsets::default())
            .is_ok()
    );
    for (what, t) in [
        ("short", damage("flat_float64", |p| p.at.size -= 8)),
        ("long", damage("flat_float64", |p| p.at.size += 8)),
        ("more elements", damage("jagged_int16", |p| p.elements += 1)),
        (
            "past the end",
            damage("flat_int32", |p| p.at.offset = 1 << 40),
        ),
    ] {
        let field = if what == "more elements" {
            "jagged_int16"
        } else if what == "past the end" {
            "flat_int32"
        } else {
            "flat_float64"
        };
        let e = t
            .read_column_shared(field, 0..281, &mut SharedOffsets::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("types.root, RNTuple ntuple")
                && e.contains(&format!("field {field}"))
                && e.contains("cluster 0, column")
                && e.contains("page 0"),
            "{what}: {e}"
        );
    }
}

/// A cluster claiming more entries than its columns hold is refused when loading (it
/// would plan 2^34 chunks, or reserve what no page holds).
#[test]
fn entry_counts_are_vouched_for_by_the_columns() {
    let t = load();
    let i = &t.inner;
    assert!(check_entries(&i.schema, &i.field_columns, &i.clusters).is_ok());
    let mut clusters = i.clusters.clone();
    clusters[1].entries = 1 << 50;
    let e = check_entries(&i.schema, &i.field_columns, &clusters).unwrap_err();
    assert!(
        e.0.contains("cluster 1 claims 1125899906842624 entries"),
        "{}",
        e.0
    );
}

/// Clusters of one page per column are not cut inside, however small the target: every
/// piece would decompress the whole page again.
#[test]
fn chunks_cut_inside_clusters_only_at_shared_page_starts() {
    let t = load();
    let ranges = t.chunks(&["flat_int32", "jagged_float32"], 1).unwrap();
    assert_eq!(ranges, vec![0..100, 100..200, 200..201, 201..281]);
    let ranges = t.chunks(&["flat_int32"], 1 << 30).unwrap();
    assert_eq!(ranges, vec![0..281]);
}
