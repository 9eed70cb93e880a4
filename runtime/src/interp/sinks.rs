//! Sinks over a chunk: histogram fills, table rows, cutflow counts (regions and named
//! cutflows).
//!
//! Input: the sink's operand columns. Output: additions to the chunk's `ChunkOutput`.
//! Invariant: rows are visited in fill order (events ascending, then elements ascending), so
//! weighted sums and table rows come out in the same order in every engine.

use ana_compiler::abi::{CutflowBuffer, EngineError, HistBuffer, OutColumn, OutValues};
use ana_compiler::graph::HistSpec;

use super::bins::Binner;
use super::column::{Col, SpaceCol, graph_error};

/// The rows of a sink that pass its region: event numbers (no space) or chunk-global element
/// indices (with a space), ascending.
pub fn selected_rows(
    n_events: usize,
    space: Option<&SpaceCol>,
    region: Option<&Col>,
) -> Result<Vec<usize>, EngineError> {
    let mask = match region {
        None => None,
        Some(Col::Bool(m)) if m.len() == n_events => Some(m.as_slice()),
        Some(_) => return Err(graph_error("sink region is not a per-event bool")),
    };
    let pass = |e: usize| mask.is_none_or(|m| m.get(e).copied().unwrap_or(false));
    Ok(match space {
        None => (0..n_events).filter(|&e| pass(e)).collect(),
        Some(s) => {
            if s.n_events() != n_events {
                return Err(graph_error("sink space over another number of events"));
            }
            s.events()
                .filter(|(e, _)| pass(*e))
                .flat_map(|(_, r)| r)
                .collect()
        }
    })
}

/// Drops the rows where `valid` is false; returns how many were dropped (the histogram's
/// missing count).
#[expect(
    clippy::indexing_slicing,
    reason = "rows are below `len`, the checked length of `valid`"
)]
pub fn keep_valid(rows: &mut Vec<usize>, valid: &Col, len: usize) -> Result<u64, EngineError> {
    let Col::Bool(v) = valid else {
        return Err(graph_error("fill validity is not a bool"));
    };
    if v.len() != len {
        return Err(graph_error("fill validity of another shape than the sink"));
    }
    let before = rows.len();
    rows.retain(|&r| v[r]);
    Ok((before - rows.len()) as u64)
}

/// Adds one entry per row: slot found per axis (row-major, first axis slowest), then weight
/// w (1 without one) added to `sumw` and w*w to `sumw2`; for mean storages, with the
/// sample x, w*x to `sumwx` and (w*x)*x to `sumwx2`; each array row by row.
#[expect(
    clippy::indexing_slicing,
    reason = "rows are below `len`, the checked length of every value and of the weight; \
              a slot is below `spec.size()` (`Binner`'s invariant), the checked buffer sizes"
)]
pub fn fill(
    spec: &HistSpec,
    buf: &mut HistBuffer,
    rows: &[usize],
    values: &[&Col],
    weight: Option<&Col>,
    sample: Option<&Col>,
    len: usize,
) -> Result<(), EngineError> {
    if values.len() != spec.axes.len() {
        return Err(graph_error(format!(
            "histogram {} filled with {} values",
            spec.name,
            values.len()
        )));
    }
    let mut slots = vec![0usize; rows.len()];
    for (axis, col) in spec.axes.iter().zip(values) {
        if col.len() != len {
            return Err(graph_error("fill value of another shape than the sink"));
        }
        let binner = Binner::new(axis);
        let extent = axis.extent();
        match col {
            Col::Float(v) => {
                for (s, &r) in slots.iter_mut().zip(rows) {
                    *s = *s * extent + binner.slot_f64(v[r]);
                }
            }
            Col::Int(v) => {
                for (s, &r) in slots.iter_mut().zip(rows) {
                    *s = *s * extent + binner.slot_i64(v[r]);
                }
            }
            Col::Bool(v) => {
                for (s, &r) in slots.iter_mut().zip(rows) {
                    *s = *s * extent + binner.slot_i64(i64::from(v[r]));
                }
            }
            Col::Space(_) => return Err(graph_error("fill with a space")),
        }
    }
    if buf.arrays().any(|a| a.len() != spec.size()) {
        return Err(graph_error("histogram buffer of the wrong size"));
    }
    let w = match weight {
        None => None,
        Some(Col::Float(w)) if w.len() == len => Some(w),
        Some(_) => {
            return Err(graph_error(
                "fill weight is not a float of the sink's shape",
            ));
        }
    };
    if let (Some(sx), Some(sx2)) = (&mut buf.sumwx, &mut buf.sumwx2) {
        let Some(Col::Float(x)) = sample else {
            return Err(graph_error("a mean storage filled without a float sample"));
        };
        if x.len() != len {
            return Err(graph_error("fill sample of another shape than the sink"));
        }
        for (&s, &r) in slots.iter().zip(rows) {
            let wx = w.map_or(1.0, |w| w[r]) * x[r];
            sx[s] += wx;
            sx2[s] += wx * x[r];
        }
    }
    match weight {
        None => {
            for &s in &slots {
                buf.sumw[s] += 1.0;
            }
            if let Some(w2) = &mut buf.sumw2 {
                for &s in &slots {
                    w2[s] += 1.0;
                }
            }
        }
        Some(Col::Float(w)) if w.len() == len => {
            for (&s, &r) in slots.iter().zip(rows) {
                buf.sumw[s] += w[r];
            }
            if let Some(w2) = &mut buf.sumw2 {
                for (&s, &r) in slots.iter().zip(rows) {
                    w2[s] += w[r] * w[r];
                }
            }
        }
        Some(_) => {
            return Err(graph_error(
                "fill weight is not a float of the sink's shape",
            ));
        }
    }
    Ok(())
}

/// Appends the selected rows of `col` to a column of one value per row.
pub fn append(
    out: &mut OutColumn,
    col: &Col,
    rows: &[usize],
    len: usize,
) -> Result<(), EngineError> {
    if out.offsets.is_some() {
        return Err(graph_error("a list column appended one value per row"));
    }
    push_values(&mut out.values, col, rows, len)
}

/// Appends one row per selected event (`events`, ascending) to a list column: the values of
/// `col` at the event's elements of `space`, then the row's end offset.
pub fn append_list(
    out: &mut OutColumn,
    col: &Col,
    space: &SpaceCol,
    events: &[usize],
) -> Result<(), EngineError> {
    let Some(offsets) = &mut out.offsets else {
        return Err(graph_error(
            "a list appended to a column of one value per row",
        ));
    };
    let mut elems = Vec::new();
    let mut end = offsets.last().copied().unwrap_or(0);
    for &e in events {
        let (Some(&a), Some(&z)) = (space.offsets.get(e), space.offsets.get(e + 1)) else {
            return Err(graph_error("list column over another number of events"));
        };
        elems.extend(a..z);
        end += (z - a) as u64;
        offsets.push(end);
    }
    push_values(&mut out.values, col, &elems, space.total())
}

/// Appends `col` at `rows`, converted to the output column's type (Float -> f32 rounds to
/// nearest; Float -> i32/i64 truncates and saturates; Int -> a narrower or unsigned
/// integer keeps the low bits; numbers -> bool is `!= 0`).
#[expect(
    clippy::indexing_slicing,
    reason = "rows are below `len`, the checked length of `col`"
)]
fn push_values(
    out: &mut OutValues,
    col: &Col,
    rows: &[usize],
    len: usize,
) -> Result<(), EngineError> {
    if col.len() != len {
        return Err(graph_error("table column of another shape than the sink"));
    }
    macro_rules! push {
        ($dst:expr, $f:expr) => {{
            let f = $f;
            $dst.extend(rows.iter().map(|&r| f(r)))
        }};
    }
    match (out, col) {
        (OutValues::F64(d), Col::Float(v)) => push!(d, |r: usize| v[r]),
        (OutValues::F64(d), Col::Int(v)) => push!(d, |r: usize| v[r] as f64),
        (OutValues::F64(d), Col::Bool(v)) => push!(d, |r: usize| f64::from(u8::from(v[r]))),
        (OutValues::F32(d), Col::Float(v)) => push!(d, |r: usize| v[r] as f32),
        (OutValues::F32(d), Col::Int(v)) => push!(d, |r: usize| v[r] as f32),
        (OutValues::F32(d), Col::Bool(v)) => push!(d, |r: usize| f32::from(u8::from(v[r]))),
        (OutValues::I64(d), Col::Int(v)) => push!(d, |r: usize| v[r]),
        (OutValues::I64(d), Col::Float(v)) => push!(d, |r: usize| v[r] as i64),
        (OutValues::I64(d), Col::Bool(v)) => push!(d, |r: usize| i64::from(v[r])),
        (OutValues::I32(d), Col::Int(v)) => push!(d, |r: usize| v[r] as i32),
        (OutValues::I32(d), Col::Float(v)) => push!(d, |r: usize| v[r] as i32),
        (OutValues::I32(d), Col::Bool(v)) => push!(d, |r: usize| i32::from(v[r])),
        (OutValues::I8(d), Col::Int(v)) => push!(d, |r: usize| v[r] as i8),
        (OutValues::I8(d), Col::Bool(v)) => push!(d, |r: usize| i8::from(v[r])),
        (OutValues::U8(d), Col::Int(v)) => push!(d, |r: usize| v[r] as u8),
        (OutValues::U8(d), Col::Bool(v)) => push!(d, |r: usize| u8::from(v[r])),
        (OutValues::I16(d), Col::Int(v)) => push!(d, |r: usize| v[r] as i16),
        (OutValues::I16(d), Col::Bool(v)) => push!(d, |r: usize| i16::from(v[r])),
        (OutValues::U16(d), Col::Int(v)) => push!(d, |r: usize| v[r] as u16),
        (OutValues::U16(d), Col::Bool(v)) => push!(d, |r: usize| u16::from(v[r])),
        (OutValues::U32(d), Col::Int(v)) => push!(d, |r: usize| v[r] as u32),
        (OutValues::U32(d), Col::Bool(v)) => push!(d, |r: usize| u32::from(v[r])),
        (OutValues::U64(d), Col::Int(v)) => push!(d, |r: usize| v[r] as u64),
        (OutValues::U64(d), Col::Bool(v)) => push!(d, |r: usize| u64::from(v[r])),
        (OutValues::Bool(d), Col::Bool(v)) => push!(d, |r: usize| v[r]),
        (OutValues::Bool(d), Col::Int(v)) => push!(d, |r: usize| v[r] != 0),
        (OutValues::Bool(d), Col::Float(v)) => push!(d, |r: usize| v[r] != 0.0),
        (_, Col::Space(_)) => return Err(graph_error("table column is a space")),
        (_, Col::Float(_)) => {
            return Err(graph_error("a float value in a narrow integer column"));
        }
    }
    Ok(())
}

/// Adds a cutflow row's events: those where `mask` holds (all without one), and their
/// weights (1.0 each without one) to the row's sum, in event order.
pub fn count_cutflow(
    buf: &mut CutflowBuffer,
    row: usize,
    n_events: usize,
    mask: Option<&Col>,
    weight: Option<&Col>,
) -> Result<(), EngineError> {
    let rows = selected_rows(n_events, None, mask)?;
    let (Some(events), Some(sumw)) = (buf.events.get_mut(row), buf.sumw.get_mut(row)) else {
        return Err(graph_error(format!("cutflow row {row} out of range")));
    };
    *events += rows.len() as u64;
    match weight {
        None => rows.iter().for_each(|_| *sumw += 1.0),
        Some(Col::Float(w)) if w.len() == n_events => {
            for &r in &rows {
                *sumw += w.get(r).copied().unwrap_or(f64::NAN);
            }
        }
        Some(_) => return Err(graph_error("cutflow weight is not a float per event")),
    }
    Ok(())
}

#[cfg(test)]
#[allow(
    clippy::indexing_slicing,
    reason = "tests index freely: a panic is a test failure"
)]
mod tests {
    use super::*;

    #[test]
    fn a_cutflow_row_adds_the_weights_of_passing_events_only_in_event_order() {
        let mut buf = CutflowBuffer {
            events: vec![0; 2],
            sumw: vec![0.0; 2],
        };
        let mask = Col::Bool(vec![true, false, true, true]);
        // The failing event's NaN weight is never read; 1e16 + 0.25 + 1.5 would round
        // differently from (1.5 + 0.25) + 1e16.
        let w = Col::Float(vec![1.5, f64::NAN, 0.25, 1e16]);
        count_cutflow(&mut buf, 1, 4, Some(&mask), Some(&w)).expect("counts");
        assert_eq!(buf.events, [0, 3]);
        assert_eq!(buf.sumw[1].to_bits(), ((1.5f64 + 0.25) + 1e16).to_bits());
        count_cutflow(&mut buf, 0, 4, None, Some(&w)).expect("counts");
        assert!(buf.events[0] == 4 && buf.sumw[0].is_nan());
        let mut want = buf.sumw[1];
        (0..3).for_each(|_| want += 1.0);
        count_cutflow(&mut buf, 1, 4, Some(&mask), None).expect("counts");
        assert_eq!((buf.events[1], buf.sumw[1].to_bits()), (6, want.to_bits()));
        let ints = Col::Int(vec![1; 4]);
        assert!(count_cutflow(&mut buf, 1, 4, Some(&mask), Some(&ints)).is_err());
        assert!(count_cutflow(&mut buf, 2, 4, None, None).is_err());
    }
}
