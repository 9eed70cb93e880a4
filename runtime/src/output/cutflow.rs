//! `cutflow.json`: the events passing each region, and the named cutflows' rows.
//!
//! ```json
//! {"total": 1000,
//!  "selections": [{"name": "dimuon", "events": 415}, ...],
//!  "cutflows": {"main": {"weight": "w", "rows": [
//!     {"name": "all events", "events": 1000, "sumw": 1234.5},
//!     {"name": "dimuon", "events": 415, "sumw": 512.25}, ...]}}}
//! ```
//! `selections` counts each region alone (with its `in` parents); a named cutflow's row i
//! counts the events passing its first i regions together. A sum of weights that is NaN or
//! infinite is written as `null`, as JSON has no such numbers.

use ana_compiler::abi::CutflowBuffer;
use ana_compiler::graph::Graph;
use serde::Serialize;

/// The first row of every named cutflow.
pub const ALL_EVENTS: &str = "all events";

/// `cutflow.json`: the total and the events passing each named selection, in order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cutflow {
    pub total: u64,
    pub selections: Vec<CutflowRow>,
    /// The script's `cutflow` statements, in order (a JSON object keyed by name).
    #[serde(serialize_with = "by_name")]
    pub cutflows: Vec<NamedCutflow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CutflowRow {
    pub name: String,
    pub events: u64,
}

/// `cutflow NAME: r1, r2 weight w`: rows "all events", `r1`, `r2` (cumulative).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NamedCutflow {
    #[serde(skip)]
    pub name: String,
    /// The weight expression as written; `null` when sums of weights are event counts.
    pub weight: Option<String>,
    pub rows: Vec<NamedCutflowRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NamedCutflowRow {
    pub name: String,
    pub events: u64,
    pub sumw: f64,
}

fn by_name<S: serde::Serializer>(cutflows: &[NamedCutflow], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(cutflows.iter().map(|c| (&c.name, c)))
}

impl Cutflow {
    /// `counts`: events per region (`Graph::regions` order); `named`: the named cutflows'
    /// merged rows (`Graph::cutflows` order).
    pub fn new(graph: &Graph, total: u64, counts: &[u64], named: &[CutflowBuffer]) -> Cutflow {
        let selections = graph
            .regions
            .iter()
            .zip(counts)
            .map(|(r, &events)| CutflowRow {
                name: r.name.clone(),
                events,
            })
            .collect();
        let cutflows = graph
            .cutflows
            .iter()
            .zip(named)
            .map(|(spec, buf)| NamedCutflow {
                name: spec.name.clone(),
                weight: spec.weight.clone(),
                rows: std::iter::once(ALL_EVENTS)
                    .chain(spec.regions.iter().map(String::as_str))
                    .zip(buf.events.iter().zip(&buf.sumw))
                    .map(|(name, (&events, &sumw))| NamedCutflowRow {
                        name: name.to_string(),
                        events,
                        sumw,
                    })
                    .collect(),
            })
            .collect();
        Cutflow {
            total,
            selections,
            cutflows,
        }
    }
}
