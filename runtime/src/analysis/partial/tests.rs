//! Partials: merged in chunk order they equal one pass; their bytes read back equal; damaged
//! bytes are an error, never a panic.

#![allow(
    clippy::indexing_slicing,
    reason = "tests index freely: a panic is a test failure"
)]

use ana_compiler::abi::{ChunkInput, ChunkOutput, Engine, OutColumn, OutValues};

use super::*;
use crate::interp::Interpreter;
use crate::interp::tests::{Mu, dimuon_graph, dimuon_input};

/// Events with 0 to 3 muons, some pairs near the Z mass.
fn events(n: usize) -> Vec<Vec<Mu>> {
    (0..n)
        .map(|i| {
            let k = i % 4;
            (0..k)
                .map(|j| {
                    let pt = 20.0 + ((i * 7 + j * 13) % 50) as f32;
                    let eta = ((i + j) % 5) as f32 * 0.4 - 1.0;
                    let phi = ((i * 3 + j) % 7) as f32 * 0.9 - 3.0;
                    let q = if (i + j) % 2 == 0 { 1 } else { -1 };
                    (pt, eta, phi, 0.105, q)
                })
                .collect()
        })
        .collect()
}

fn run(graph: &Graph, evs: &[Vec<Mu>]) -> Partial {
    let columns = dimuon_input(evs);
    let mut output = ChunkOutput::new(graph);
    Interpreter::new(graph)
        .run_chunk(
            ChunkInput {
                n_events: evs.len(),
                columns: &columns,
            },
            &mut output,
        )
        .unwrap();
    Partial {
        entries: evs.len() as u64,
        output,
    }
}

#[test]
fn partials_merged_in_order_equal_one_pass() {
    let graph = dimuon_graph();
    let evs = events(1000);
    let whole = run(&graph, &evs);
    let mut merged = Partial::empty(&graph);
    for chunk in evs.chunks(137) {
        merged.merge(run(&graph, chunk)).unwrap();
    }
    assert_eq!(merged, whole);
    assert!(
        whole.output.tables[0].columns[0].rows() > 10,
        "the test needs table rows"
    );
}

#[test]
fn bytes_round_trip() {
    let graph = dimuon_graph();
    let mut p = run(&graph, &events(500));
    // Every column type, a list column, weighted and mean storage, a named cutflow and
    // missing counts, whatever the dimuon graph has.
    let plain = |values| OutColumn {
        values,
        offsets: None,
    };
    p.output.tables.push(TableBuffer {
        columns: vec![
            plain(OutValues::Bool(vec![true, false, true])),
            plain(OutValues::I8(vec![-1, 0, 7])),
            plain(OutValues::U8(vec![1, 0, 255])),
            plain(OutValues::I16(vec![-1, 0, 7])),
            plain(OutValues::U16(vec![1, 0, 9])),
            plain(OutValues::I32(vec![-1, 0, i32::MAX])),
            plain(OutValues::U32(vec![1, 0, u32::MAX])),
            plain(OutValues::I64(vec![i64::MIN, 5, 6])),
            plain(OutValues::U64(vec![u64::MAX, 5, 6])),
            plain(OutValues::F32(vec![1.5, f32::NAN, -0.0])),
            OutColumn {
                values: OutValues::F64(vec![f64::INFINITY, 2.25, 1e-300, 4.0]),
                offsets: Some(vec![0, 2, 2, 4]),
            },
        ],
    });
    p.output.hists.push(HistBuffer {
        sumw: vec![1.0, 2.0],
        sumw2: Some(vec![1.0, 4.0]),
        sumwx: Some(vec![3.0, 5.0]),
        sumwx2: Some(vec![9.0, 25.0]),
    });
    p.output.missing.push(3);
    p.output.cutflows.push(ana_compiler::abi::CutflowBuffer {
        events: vec![10, 4],
        sumw: vec![12.5, 4.25],
    });
    let bytes = p.to_bytes();
    let back = Partial::from_bytes(&bytes).unwrap();
    // NaN != NaN: compare the bytes of the copy.
    assert_eq!(back.to_bytes(), bytes);
    assert_eq!(back.entries, 500);
    assert_eq!(back.output.hists, p.output.hists);
    assert_eq!(back.output.cutflow, p.output.cutflow);
    assert_eq!(back.output.tables[0], p.output.tables[0]);
    assert_eq!(back.output.missing, p.output.missing);
    assert_eq!(back.output.cutflows, p.output.cutflows);
    // Compact: the values plus a few bytes per item, no text.
    assert!(
        bytes.len() < p.payload_bytes() + 256,
        "{} bytes",
        bytes.len()
    );
}

#[test]
fn damaged_bytes_are_errors() {
    let graph = dimuon_graph();
    let bytes = run(&graph, &events(200)).to_bytes();
    for n in 0..bytes.len() {
        assert!(
            Partial::from_bytes(&bytes[..n]).is_err(),
            "prefix of {n} bytes"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        Partial::from_bytes(&longer),
        Err(PartialError::Damaged(_))
    ));
    assert_eq!(
        Partial::from_bytes(b"PAR1 not ours"),
        Err(PartialError::NotPartial)
    );
    let mut other = bytes.clone();
    other[8..12].copy_from_slice(&(VERSION + 1).to_le_bytes());
    assert_eq!(
        Partial::from_bytes(&other),
        Err(PartialError::Version(VERSION + 1))
    );
    // A count that claims more than the bytes hold is refused before allocating.
    let mut huge = bytes.clone();
    huge[20..28].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(
        Partial::from_bytes(&huge),
        Err(PartialError::Damaged(_))
    ));
}

#[test]
fn partials_of_another_script_do_not_merge() {
    let graph = dimuon_graph();
    let mut a = run(&graph, &events(10));
    let mut b = run(&graph, &events(10));
    b.output.cutflow.push(1);
    assert!(matches!(a.merge(b), Err(PartialError::Mismatch(_))));
    let mut c = run(&graph, &events(10));
    c.output.tables[0].columns[0] = OutColumn {
        values: OutValues::Bool(vec![]),
        offsets: None,
    };
    assert!(matches!(a.merge(c), Err(PartialError::Mismatch(_))));
}
