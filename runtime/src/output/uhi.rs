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
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
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

/// [`hist_json`]'s text, written straight from the storage: the `Value` tree takes 32
/// bytes per bin where the storage takes 8, and a run's histograms are written all at once
/// (a 10^8-bin histogram took gigabytes to write). Keys in the order of `hist_json`'s maps
/// (serde_json sorts them), so that the text is the same.
pub struct HistJson<'a> {
    pub spec: &'a HistSpec,
    pub buf: &'a HistBuffer,
}

impl Serialize for HistJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (spec, buf) = (self.spec, self.buf);
        let extents: Vec<usize> = spec.axes.iter().map(Axis::extent).collect();
        let values = Nested {
            values: &buf.sumw,
            extents: &extents,
        };
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry("axes", &spec.axes.iter().map(axis_json).collect::<Vec<_>>())?;
        m.serialize_entry("metadata", &json!({ "name": spec.name }))?;
        m.serialize_entry(
            "storage",
            &StorageJson {
                values,
                variances: match (spec.storage, &buf.sumw2) {
                    (Storage::Weighted, Some(w2)) => Some(Nested {
                        values: w2,
                        extents: &extents,
                    }),
                    _ => None,
                },
            },
        )?;
        m.serialize_entry("uhi_schema", &1)?;
        m.serialize_entry(
            "writer_info",
            &json!({ "ana": { "version": env!("CARGO_PKG_VERSION") } }),
        )?;
        m.end()
    }
}

struct StorageJson<'a> {
    values: Nested<'a>,
    variances: Option<Nested<'a>>,
}

impl Serialize for StorageJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match &self.variances {
            Some(variances) => {
                m.serialize_entry("type", "weighted")?;
                m.serialize_entry("values", &self.values)?;
                m.serialize_entry("variances", variances)?;
            }
            None => {
                m.serialize_entry("type", "double")?;
                m.serialize_entry("values", &self.values)?;
            }
        }
        m.end()
    }
}

/// [`nest`], serialized as it goes.
struct Nested<'a> {
    values: &'a [f64],
    extents: &'a [usize],
}

impl Serialize for Nested<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.extents.split_first() {
            None => match self.values.first() {
                // serde_json writes a non-finite f64 as null, as `json!` makes it.
                Some(x) => x.serialize(s),
                None => s.serialize_unit(),
            },
            Some((_, [])) => self.values.serialize(s),
            Some((_, rest)) => {
                let stride: usize = rest.iter().product();
                let mut seq = s.serialize_seq(None)?;
                if stride > 0 {
                    for c in self.values.chunks(stride) {
                        seq.serialize_element(&Nested {
                            values: c,
                            extents: rest,
                        })?;
                    }
                }
                seq.end()
            }
        }
    }
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

    /// The streamed text is `hist_json`'s, for every axis kind, both storages, non-finite
    /// values and empty axes.
    #[test]
    fn streamed_json_is_the_value_trees() {
        use ana_compiler::graph::{AxisKind, HistSpec};
        let axis = |kind| Axis {
            name: "x".into(),
            label: "x [GeV]".into(),
            kind,
        };
        let kinds = [
            AxisKind::Regular {
                bins: 3,
                lo: 0.0,
                hi: 1.0,
            },
            AxisKind::Log {
                bins: 2,
                lo: 1.0,
                hi: 100.0,
            },
            AxisKind::Variable {
                edges: vec![0.0, 1.0, 5.0],
            },
            AxisKind::Integer { lo: 2, hi: 5 },
            AxisKind::Category { values: vec![1, 7] },
            AxisKind::Category { values: vec![] },
        ];
        for (i, a) in kinds.iter().enumerate() {
            for b in kinds.iter().skip(i) {
                for storage in [Storage::Double, Storage::Weighted] {
                    let spec = HistSpec {
                        name: format!("h{i}"),
                        axes: vec![axis(a.clone()), axis(b.clone())],
                        storage,
                    };
                    let n = spec.size();
                    let sumw: Vec<f64> = (0..n)
                        .map(|k| match k % 5 {
                            0 => f64::NAN,
                            1 => f64::INFINITY,
                            _ => k as f64 * 0.1,
                        })
                        .collect();
                    let buf = HistBuffer {
                        sumw2: (storage == Storage::Weighted).then(|| sumw.clone()),
                        sumw,
                    };
                    let streamed = serde_json::to_string_pretty(&HistJson {
                        spec: &spec,
                        buf: &buf,
                    });
                    let tree = serde_json::to_string_pretty(&hist_json(&spec, &buf));
                    assert_eq!(streamed.expect("streamed"), tree.expect("tree"));
                }
            }
        }
    }

    #[test]
    fn nests_row_major() {
        let v: Vec<f64> = (0..6).map(f64::from).collect();
        assert_eq!(nest(&v, &[2, 3]), json!([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]));
        assert_eq!(nest(&v, &[6]), json!(v));
    }
}
