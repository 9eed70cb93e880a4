//! Damaged and unsupported inputs: clear errors naming the file, never a panic.

use ana_runtime::root::{RootError, RootFile, Tree};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn handles_are_send_and_sync() {
    assert_send_sync::<RootFile>();
    assert_send_sync::<Tree>();
}

#[test]
fn rntuple_is_a_clear_error() {
    for name in [
        "Run2012BC_DoubleMuParked_Muons_1000evts_rntuple_v1-0-0-0.root",
        "cmsopendata2015_ttbar_19980_NANOAOD_RNTupleImporter_rntuple_v1-0-0-1.root",
    ] {
        let f = RootFile::open(&crate::data(name)).expect("an RNTuple file opens");
        assert!(f.tree_names().is_empty());
        let e = f.tree("Events").expect_err("RNTuple is not read");
        assert!(matches!(e, RootError::RNTuple { .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains("RNTuple is not supported yet") && msg.contains(name),
            "{msg}"
        );
    }
}
