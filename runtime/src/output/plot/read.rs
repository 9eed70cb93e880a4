//! Histograms read back from UHI JSON (`histograms.json`), as much of the schema as a figure
//! needs: regular, variable (with `hist`'s log transform), integer (`orig_type`), integer and
//! string category axes; double, int, weighted, mean and weighted-mean storage.
//!
//! Input: the parsed file. Output: one [`Hist`] per key, or why a histogram cannot be read.
//! Invariant: `Hist::values` holds every bin, flow included, row-major with the first axis
//! outermost, and its length is the product of the axes' extents.

use serde_json::Value;

/// The most bins per axis a figure is drawn for.
pub const MAX_BINS: usize = 10_000_000;

/// One histogram, flattened.
#[derive(Debug, Clone)]
pub struct Hist {
    pub name: String,
    pub axes: Vec<HistAxis>,
    pub storage: StorageKind,
    /// Bin contents (sums of weights, or means for mean storages); `null` read as NaN.
    pub values: Vec<f64>,
    /// Variances of the sums (weighted storage) or of the samples (mean storages).
    pub variances: Option<Vec<f64>>,
    /// Fills per bin (mean storages: counts, or the sum of weights).
    pub counts: Option<Vec<f64>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageKind {
    Double,
    Weighted,
    Mean,
}

#[derive(Debug, Clone)]
pub struct HistAxis {
    pub name: String,
    pub label: String,
    pub kind: AxisKind,
}

#[derive(Debug, Clone)]
pub enum AxisKind {
    /// Numeric bins between `edges`; `log` when `hist` restores a log transform, `integer`
    /// when each bin is one integer (ana's `Int`).
    Edges {
        edges: Vec<f64>,
        log: bool,
        integer: bool,
        underflow: bool,
        overflow: bool,
    },
    /// One bin per label, then one "other" bin when `flow`.
    Categories { labels: Vec<String>, flow: bool },
}

impl HistAxis {
    /// In-range bins.
    pub fn bins(&self) -> usize {
        match &self.kind {
            AxisKind::Edges { edges, .. } => edges.len().saturating_sub(1),
            AxisKind::Categories { labels, .. } => labels.len(),
        }
    }

    /// Bins stored, flow included.
    pub fn extent(&self) -> usize {
        match &self.kind {
            AxisKind::Edges {
                underflow,
                overflow,
                ..
            } => self.bins() + usize::from(*underflow) + usize::from(*overflow),
            AxisKind::Categories { flow, .. } => self.bins() + usize::from(*flow),
        }
    }

    /// The stored index of in-range bin 0 (1 after an underflow bin).
    pub fn first(&self) -> usize {
        match &self.kind {
            AxisKind::Edges { underflow, .. } => usize::from(*underflow),
            AxisKind::Categories { .. } => 0,
        }
    }

    /// The axis title: its label, else its name.
    pub fn title(&self) -> &str {
        if self.label.is_empty() {
            &self.name
        } else {
            &self.label
        }
    }
}

/// A histogram file's entries: each name with its histogram, or why it cannot be read.
pub type Entries = Vec<(String, Result<Hist, String>)>;

/// Every histogram of a `histograms.json` text, in the file's order; a histogram that cannot
/// be read comes with the reason instead.
pub fn read_all(text: &str) -> Result<Entries, serde_json::Error> {
    let value: serde_json::Map<String, Value> = serde_json::from_str(text)?;
    Ok(value
        .into_iter()
        .map(|(name, h)| {
            let hist = read_hist(&name, &h);
            (name, hist)
        })
        .collect())
}

/// One UHI histogram object.
pub fn read_hist(name: &str, h: &Value) -> Result<Hist, String> {
    let axes = h
        .get("axes")
        .and_then(Value::as_array)
        .ok_or("it has no `axes` list")?
        .iter()
        .enumerate()
        .map(|(i, a)| read_axis(a).map_err(|e| format!("axis {i}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let storage = h.get("storage").ok_or("it has no `storage`")?;
    let kind = storage.get("type").and_then(Value::as_str).unwrap_or("");
    let extents: Vec<usize> = axes.iter().map(HistAxis::extent).collect();
    let field = |key: &str| -> Result<Vec<f64>, String> {
        let v = storage
            .get(key)
            .ok_or_else(|| format!("{kind} storage has no `{key}`"))?;
        flatten(v, &extents).map_err(|e| format!("storage `{key}`: {e}"))
    };
    let (storage, values, variances, counts) = match kind {
        "double" | "int" => (StorageKind::Double, field("values")?, None, None),
        "weighted" => (
            StorageKind::Weighted,
            field("values")?,
            Some(field("variances")?),
            None,
        ),
        "mean" => (
            StorageKind::Mean,
            field("values")?,
            Some(field("variances")?),
            Some(field("counts")?),
        ),
        "weighted_mean" => (
            StorageKind::Mean,
            field("values")?,
            Some(field("variances")?),
            Some(field("sum_of_weights")?),
        ),
        other => return Err(format!("storage type {other:?} is not one ana can plot")),
    };
    let label = h
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or(name);
    Ok(Hist {
        name: label.to_string(),
        axes,
        storage,
        values,
        variances,
        counts,
    })
}

fn read_axis(a: &Value) -> Result<HistAxis, String> {
    let meta = a.get("metadata");
    let text = |key: &str| {
        meta.and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let flag = |key: &str| a.get(key).and_then(Value::as_bool).unwrap_or(false);
    let boost = a.get("writer_info").and_then(|w| w.get("boost-histogram"));
    let kind = match a.get("type").and_then(Value::as_str).unwrap_or("") {
        "regular" => {
            let num = |key: &str| {
                a.get(key)
                    .and_then(Value::as_f64)
                    .ok_or(format!("regular axis without `{key}`"))
            };
            let (lo, hi) = (num("lower")?, num("upper")?);
            let bins = a
                .get("bins")
                .and_then(Value::as_u64)
                .ok_or("regular axis without `bins`")?;
            // Edges are built before the values are checked against them: a claim of a
            // trillion bins must not allocate them (a figure has a few hundred pixels anyway).
            let bins = usize::try_from(bins)
                .ok()
                .filter(|&b| b <= MAX_BINS)
                .ok_or(format!(
                    "{bins} bins: more than the {MAX_BINS} a figure draws"
                ))?;
            if !(lo.is_finite() && hi.is_finite() && lo < hi) && bins > 0 {
                return Err(format!("regular axis from {lo} to {hi}"));
            }
            let edges = (0..=bins)
                .map(|i| lo + (hi - lo) * i as f64 / bins.max(1) as f64)
                .collect();
            let integer = boost
                .and_then(|b| b.get("orig_type"))
                .and_then(Value::as_str)
                == Some("Integer");
            AxisKind::Edges {
                edges,
                log: false,
                integer,
                underflow: flag("underflow"),
                overflow: flag("overflow"),
            }
        }
        "variable" => {
            let edges: Vec<f64> = a
                .get("edges")
                .and_then(Value::as_array)
                .ok_or("variable axis without `edges`")?
                .iter()
                .map(|e| e.as_f64().ok_or("an edge is not a number"))
                .collect::<Result<_, _>>()?;
            if edges.windows(2).any(|w| !matches!(w, [a, b] if a < b)) {
                return Err("variable axis edges are not increasing".into());
            }
            if edges.iter().any(|e| !e.is_finite()) {
                return Err("variable axis with a non-finite edge".into());
            }
            let log = boost
                .and_then(|b| b.get("transform"))
                .and_then(Value::as_str)
                == Some("log")
                && edges.first().is_some_and(|&e| e > 0.0);
            AxisKind::Edges {
                edges,
                log,
                integer: false,
                underflow: flag("underflow"),
                overflow: flag("overflow"),
            }
        }
        t @ ("category_int" | "category_str") => {
            let labels = a
                .get("categories")
                .and_then(Value::as_array)
                .ok_or(format!("{t} axis without `categories`"))?
                .iter()
                .map(|c| match c {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            AxisKind::Categories {
                labels,
                flow: flag("flow"),
            }
        }
        "boolean" => AxisKind::Categories {
            labels: vec!["false".into(), "true".into()],
            flow: false,
        },
        other => return Err(format!("axis type {other:?} is not one ana can plot")),
    };
    Ok(HistAxis {
        name: text("name"),
        label: text("label"),
        kind,
    })
}

/// Nested lists, one level per axis, as one row-major list; `null` (a non-finite sum) as NaN.
fn flatten(v: &Value, extents: &[usize]) -> Result<Vec<f64>, String> {
    fn walk(v: &Value, extents: &[usize], out: &mut Vec<f64>) -> Result<(), String> {
        match extents.split_first() {
            None => match v {
                Value::Null => out.push(f64::NAN),
                Value::Number(n) => out.push(n.as_f64().unwrap_or(f64::NAN)),
                other => return Err(format!("{other} is not a number")),
            },
            Some((&n, rest)) => {
                let list = v.as_array().ok_or("the nesting does not follow the axes")?;
                if list.len() != n {
                    return Err(format!("{} values where the axes have {n}", list.len()));
                }
                for x in list {
                    walk(x, rest, out)?;
                }
            }
        }
        Ok(())
    }
    let mut out = Vec::with_capacity(extents.iter().product());
    walk(v, extents, &mut out)?;
    Ok(out)
}
