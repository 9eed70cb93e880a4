//! Histograms as UHI JSON (`uhi_schema: 1`), the format `hist`/`boost-histogram` read with
//! `uhi.io.json.object_hook`.
//!
//! Input: a histogram's spec and its merged storage. Output: a JSON value, flow bins
//! included, values nested one list level per axis (first axis outermost).
//! Invariant: a `Log` axis is written exactly as `hist` writes
//! `Regular(n, lo, hi, transform=log)`: a variable axis with boost's edges plus the
//! `writer_info` that lets `hist` restore the transform.

use ana_compiler::abi::HistBuffer;
use ana_compiler::graph::{Axis, AxisKind, HistSpec, Storage};
use serde_json::{Value, json};

use crate::interp::log_edges;

/// The UHI serialization of one histogram.
pub fn hist_json(spec: &HistSpec, buf: &HistBuffer) -> Value {
    let extents: Vec<usize> = spec.axes.iter().map(Axis::extent).collect();
    let storage = match (spec.storage, &buf.sumw2) {
        (Storage::Weighted, Some(w2)) => json!({
            "type": "weighted",
            "values": nest(&buf.sumw, &extents),
            "variances": nest(w2, &extents),
        }),
        _ => json!({ "type": "double", "values": nest(&buf.sumw, &extents) }),
    };
    json!({
        "uhi_schema": 1,
        "writer_info": { "ana": { "version": env!("CARGO_PKG_VERSION") } },
        "axes": spec.axes.iter().map(axis_json).collect::<Vec<_>>(),
        "storage": storage,
        "metadata": { "name": spec.name },
    })
}

fn axis_json(axis: &Axis) -> Value {
    let metadata = json!({ "name": axis.name, "label": axis.label });
    match &axis.kind {
        AxisKind::Regular { bins, lo, hi } => json!({
            "type": "regular", "lower": lo, "upper": hi, "bins": bins,
            "underflow": true, "overflow": true, "circular": false, "metadata": metadata,
        }),
        AxisKind::Log { bins, lo, hi } => {
            let edges = log_edges(*bins, *lo, *hi);
            let upper = edges.last().copied().unwrap_or(*hi);
            json!({
                "type": "variable", "edges": edges,
                "underflow": true, "overflow": true, "circular": false,
                "writer_info": { "boost-histogram": {
                    "transform": "log", "bins": bins, "lower": lo, "upper": upper,
                } },
                "metadata": metadata,
            })
        }
        AxisKind::Variable { edges } => json!({
            "type": "variable", "edges": edges,
            "underflow": true, "overflow": true, "circular": false, "metadata": metadata,
        }),
        AxisKind::Integer { lo, hi } => json!({
            "type": "regular", "lower": lo, "upper": hi, "bins": hi.saturating_sub(*lo).max(0),
            "underflow": true, "overflow": true, "circular": false,
            "writer_info": { "boost-histogram": { "orig_type": "Integer" } },
            "metadata": metadata,
        }),
        AxisKind::Category { values } => json!({
            "type": "category_int", "categories": values, "flow": true, "metadata": metadata,
        }),
    }
}

/// Row-major storage as nested lists, one level per axis.
fn nest(values: &[f64], extents: &[usize]) -> Value {
    match extents.split_first() {
        None => values.first().map_or(Value::Null, |&x| json!(x)),
        Some((_, [])) => json!(values),
        Some((_, rest)) => {
            let stride: usize = rest.iter().product();
            if stride == 0 {
                return json!([]);
            }
            Value::Array(values.chunks(stride).map(|c| nest(c, rest)).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nests_row_major() {
        let v: Vec<f64> = (0..6).map(f64::from).collect();
        assert_eq!(nest(&v, &[2, 3]), json!([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]));
        assert_eq!(nest(&v, &[6]), json!(v));
    }
}
