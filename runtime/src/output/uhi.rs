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
    let storage = match (spec.storage, &buf.sumw2, Means::of(spec, buf)) {
        (Storage::Weighted, Some(w2), _) => json!({
            "type": "weighted",
            "values": nest(&buf.sumw, &extents),
            "variances": nest(w2, &extents),
        }),
        (Storage::Mean, _, Some(m)) => json!({
            "type": "mean",
            "counts": nest(&buf.sumw, &extents),
            "values": nest(&m.values, &extents),
            "variances": nest(&m.variances, &extents),
        }),
        (Storage::WeightedMean, Some(w2), Some(m)) => json!({
            "type": "weighted_mean",
            "sum_of_weights": nest(&buf.sumw, &extents),
            "sum_of_weights_squared": nest(w2, &extents),
            "values": nest(&m.values, &extents),
            "variances": nest(&m.variances, &extents),
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
        let means = Means::of(spec, buf);
        let nested = |values| Nested {
            values,
            extents: &extents,
        };
        let storage = match (spec.storage, &buf.sumw2, &means) {
            (Storage::Weighted, Some(w2), _) => StorageJson::Weighted {
                values,
                variances: nested(w2),
            },
            (Storage::Mean, _, Some(m)) => StorageJson::Mean {
                counts: values,
                values: nested(&m.values),
                variances: nested(&m.variances),
            },
            (Storage::WeightedMean, Some(w2), Some(m)) => StorageJson::WeightedMean {
                sumw: values,
                sumw2: nested(w2),
                values: nested(&m.values),
                variances: nested(&m.variances),
            },
            _ => StorageJson::Double { values },
        };
        m.serialize_entry("storage", &storage)?;
        m.serialize_entry("uhi_schema", &1)?;
        m.serialize_entry(
            "writer_info",
            &json!({ "ana": { "version": env!("CARGO_PKG_VERSION") } }),
        )?;
        m.end()
    }
}

/// A storage's arrays; keys in sorted order, as `json!` writes them.
enum StorageJson<'a> {
    Double {
        values: Nested<'a>,
    },
    Weighted {
        values: Nested<'a>,
        variances: Nested<'a>,
    },
    Mean {
        counts: Nested<'a>,
        values: Nested<'a>,
        variances: Nested<'a>,
    },
    WeightedMean {
        sumw: Nested<'a>,
        sumw2: Nested<'a>,
        values: Nested<'a>,
        variances: Nested<'a>,
    },
}

impl Serialize for StorageJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match self {
            StorageJson::Double { values } => {
                m.serialize_entry("type", "double")?;
                m.serialize_entry("values", values)?;
            }
            StorageJson::Weighted { values, variances } => {
                m.serialize_entry("type", "weighted")?;
                m.serialize_entry("values", values)?;
                m.serialize_entry("variances", variances)?;
            }
            StorageJson::Mean {
                counts,
                values,
                variances,
            } => {
                m.serialize_entry("counts", counts)?;
                m.serialize_entry("type", "mean")?;
                m.serialize_entry("values", values)?;
                m.serialize_entry("variances", variances)?;
            }
            StorageJson::WeightedMean {
                sumw,
                sumw2,
                values,
                variances,
            } => {
                m.serialize_entry("sum_of_weights", sumw)?;
                m.serialize_entry("sum_of_weights_squared", sumw2)?;
                m.serialize_entry("type", "weighted_mean")?;
                m.serialize_entry("values", values)?;
                m.serialize_entry("variances", variances)?;
            }
        }
        m.end()
    }
}

/// A profile's means and variances per bin, from its sums, as boost-histogram defines
/// them: `mean` storage variance `sum of squared deviations / (count - 1)`, `weighted_mean`
/// `sum of weighted squared deviations / (sumw - sumw2 / sumw)`; an empty bin has mean 0
/// and sum of squared deviations 0 (so variance -0 for `mean`, NaN for `weighted_mean`, as
/// `hist` writes them).
struct Means {
    values: Vec<f64>,
    variances: Vec<f64>,
}

impl Means {
    fn of(spec: &HistSpec, buf: &HistBuffer) -> Option<Means> {
        let (sx, sx2) = (buf.sumwx.as_ref()?, buf.sumwx2.as_ref()?);
        let weighted = spec.storage == Storage::WeightedMean;
        let n = buf.sumw.len();
        let (mut values, mut variances) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for i in 0..n {
            let at = |a: &[f64]| a.get(i).copied().unwrap_or(0.0);
            let (w, wx, wxx) = (at(&buf.sumw), at(sx), at(sx2));
            let (mean, dev2) = if w == 0.0 {
                (0.0, 0.0)
            } else {
                (wx / w, wxx - wx * wx / w)
            };
            let dof = if weighted {
                let w2 = buf.sumw2.as_deref().map_or(0.0, at);
                w - w2 / w
            } else {
                w - 1.0
            };
            values.push(mean);
            variances.push(dev2 / dof);
        }
        Some(Means { values, variances })
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
        AxisKind::StrCategory { values, .. } => json!({
            "type": "category_str", "categories": values, "flow": true, "metadata": metadata,
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
            AxisKind::StrCategory {
                values: vec!["ee".into(), "mumu".into()],
                ids: vec![0, 1],
            },
        ];
        for (i, a) in kinds.iter().enumerate() {
            for b in kinds.iter().skip(i) {
                for storage in [
                    Storage::Double,
                    Storage::Weighted,
                    Storage::Mean,
                    Storage::WeightedMean,
                ] {
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
                    let mean = storage.is_mean();
                    let buf = HistBuffer {
                        sumw2: storage.has_sumw2().then(|| sumw.clone()),
                        sumwx: mean.then(|| sumw.iter().map(|x| x * 3.0).collect()),
                        sumwx2: mean.then(|| sumw.iter().map(|x| x * 11.0).collect()),
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
