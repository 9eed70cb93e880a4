//! What a figure shows, decided from the histogram alone and before any drawing: the kind of
//! figure, each axis's scale, range, ticks and title, the bins drawn, the stat box and the
//! notes. Its serialization (bins counted, not listed) is the stable description that the
//! snapshots guard; `draw` only turns it into pixels or SVG elements.

use serde::Serialize;

use super::read::{AxisKind, Hist, HistAxis, StorageKind};
use super::ticks::{self, Ticks};

/// Choices from the command line.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlotOptions {
    /// Log scale for the counts (the y axis of 1D figures, the colour of 2D ones).
    pub logy: bool,
    /// Counts divided by the bin width (bin area in 2D).
    pub density: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub name: String,
    pub kind: FigureKind,
    pub x: Axis,
    pub y: Axis,
    pub series: Vec<Series>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map: Option<ColourMap>,
    /// The stat box (ROOT's): label and value per line.
    pub stats: Vec<(String, String)>,
    /// Facts the drawing cannot show: flow bins, non-finite bins.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FigureKind {
    /// A step line with error bars.
    Steps,
    /// One step line per category of the histogram's category axis.
    Overlay,
    /// A colour map with a colour bar.
    Map,
}

#[derive(Debug, Clone, Serialize)]
pub struct Axis {
    pub title: String,
    pub log: bool,
    pub lo: f64,
    pub hi: f64,
    pub ticks: Ticks,
}

#[derive(Debug, Clone, Serialize)]
pub struct Series {
    pub label: String,
    pub colour: &'static str,
    pub drawn_bins: usize,
    #[serde(skip)]
    pub bins: Vec<Bin>,
}

/// One bin as drawn: its edges on the x axis, its height and error (NaN: not drawn).
#[derive(Debug, Clone, Copy)]
pub struct Bin {
    pub lo: f64,
    pub hi: f64,
    pub value: f64,
    pub err: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ColourMap {
    pub title: String,
    pub log: bool,
    pub lo: f64,
    pub hi: f64,
    pub ticks: Ticks,
    pub drawn_cells: usize,
    #[serde(skip)]
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, Copy)]
pub struct Cell {
    pub x: (f64, f64),
    pub y: (f64, f64),
    pub value: f64,
}

/// The legend's most lines: more would cover the figure.
const LEGEND_LINES: usize = 12;

/// matplotlib's default colour cycle (tab10), which mplhep keeps.
pub const COLOURS: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// The figure of a histogram, or why it gets none.
pub fn figure(h: &Hist, opts: PlotOptions) -> Result<Figure, String> {
    let cats = |a: &HistAxis| matches!(a.kind, AxisKind::Categories { .. });
    match h.axes.as_slice() {
        [] => Err("it has no axis (a single number)".into()),
        [a] => Ok(steps(h, a, opts)),
        [a, b] if h.storage == StorageKind::Mean => Err(format!(
            "a 2D histogram of means ({} and {}) has no figure yet",
            a.title(),
            b.title()
        )),
        [a, b] if cats(a) != cats(b) => Ok(overlay(h, a, b, cats(a), opts)),
        [a, b] => Ok(map(h, a, b, opts)),
        axes => Err(format!(
            "it has {} axes; figures show one or two (project it onto fewer with hist)",
            axes.len()
        )),
    }
}

/// The x axis of an axis's in-range bins: bin edges, or categories at 0..n.
fn x_axis(a: &HistAxis) -> Axis {
    let title = a.title().to_string();
    match &a.kind {
        AxisKind::Edges {
            edges,
            log,
            integer,
            ..
        } => {
            let (lo, hi) = (
                edges.first().copied().unwrap_or(0.0),
                edges.last().copied().unwrap_or(1.0),
            );
            let ticks = if *log {
                ticks::log(lo, hi)
            } else if *integer && edges.len() <= 21 {
                // One tick per integer, at the bin's centre.
                Ticks {
                    major: edges
                        .iter()
                        .take(edges.len().saturating_sub(1))
                        .map(|&e| ticks::Tick {
                            at: e + 0.5,
                            label: ticks::number(e, 0),
                        })
                        .collect(),
                    minor: Vec::new(),
                }
            } else {
                ticks::linear(lo, hi)
            };
            Axis {
                title,
                log: *log,
                lo,
                hi,
                ticks,
            }
        }
        AxisKind::Categories { labels, .. } => Axis {
            title,
            log: false,
            lo: 0.0,
            hi: labels.len().max(1) as f64,
            ticks: Ticks {
                major: labels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| ticks::Tick {
                        at: i as f64 + 0.5,
                        label: l.clone(),
                    })
                    .collect(),
                minor: Vec::new(),
            },
        },
    }
}

/// The in-range bins' (lo, hi) on the figure's x axis.
fn bin_edges(a: &HistAxis) -> Vec<(f64, f64)> {
    match &a.kind {
        AxisKind::Edges { edges, .. } => edges
            .windows(2)
            .filter_map(|w| match w {
                [l, h] => Some((*l, *h)),
                _ => None,
            })
            .collect(),
        AxisKind::Categories { labels, .. } => (0..labels.len())
            .map(|i| (i as f64, i as f64 + 1.0))
            .collect(),
    }
}

/// Value and error of stored bin `k`, per the storage (means: the error of the mean).
fn value_err(h: &Hist, k: usize) -> (f64, f64) {
    let v = h.values.get(k).copied().unwrap_or(f64::NAN);
    let var = h.variances.as_ref().and_then(|w| w.get(k).copied());
    match h.storage {
        StorageKind::Double => (v, v.abs().sqrt()),
        StorageKind::Weighted => (v, var.unwrap_or(f64::NAN).max(0.0).sqrt()),
        StorageKind::Mean => {
            let n = h
                .counts
                .as_ref()
                .and_then(|c| c.get(k).copied())
                .unwrap_or(0.0);
            if n > 0.0 {
                (v, (var.unwrap_or(0.0).max(0.0) / n).sqrt())
            } else {
                (f64::NAN, f64::NAN)
            }
        }
    }
}

fn y_title(h: &Hist, opts: PlotOptions) -> String {
    match (h.storage, opts.density) {
        (StorageKind::Mean, _) => "Mean".into(),
        (_, true) => "Events / bin width".into(),
        (_, false) => "Events".into(),
    }
}

/// Bins of one line: stored indices `ks` of the in-range bins, with their edges.
fn series_bins(h: &Hist, edges: &[(f64, f64)], ks: &[usize], opts: PlotOptions) -> Vec<Bin> {
    edges
        .iter()
        .zip(ks)
        .map(|(&(lo, hi), &k)| {
            let (mut value, mut err) = value_err(h, k);
            if opts.density && h.storage != StorageKind::Mean && hi > lo {
                value /= hi - lo;
                err /= hi - lo;
            }
            Bin { lo, hi, value, err }
        })
        .collect()
}

fn steps(h: &Hist, a: &HistAxis, opts: PlotOptions) -> Figure {
    let edges = bin_edges(a);
    let first = a.first();
    let ks: Vec<usize> = (first..first + a.bins()).collect();
    let bins = series_bins(h, &edges, &ks, opts);
    let mut notes = flow_notes(h, a, 0, 1);
    non_finite_note(&bins, &mut notes);
    let stats = if h.storage == StorageKind::Mean {
        Vec::new()
    } else {
        stat_box(h, a, &bins)
    };
    let series = vec![Series {
        label: h.name.clone(),
        colour: COLOURS[0],
        drawn_bins: drawn(&bins),
        bins,
    }];
    let y = y_axis(&series, y_title(h, opts), opts.logy, &mut notes);
    Figure {
        name: h.name.clone(),
        kind: FigureKind::Steps,
        x: x_axis(a),
        y,
        series,
        map: None,
        stats,
        notes,
    }
}

/// A histogram of one numeric and one category axis: a line per category.
fn overlay(h: &Hist, a: &HistAxis, b: &HistAxis, a_is_cat: bool, opts: PlotOptions) -> Figure {
    let (cat, num) = if a_is_cat { (a, b) } else { (b, a) };
    let edges = bin_edges(num);
    let stride_b = b.extent();
    // Stored index of (category c, numeric bin i).
    let index = |c: usize, i: usize| {
        let i = num.first() + i;
        if a_is_cat {
            c * stride_b + i
        } else {
            i * stride_b + c
        }
    };
    let labels: Vec<String> = match &cat.kind {
        AxisKind::Categories { labels, .. } => labels.clone(),
        AxisKind::Edges { .. } => Vec::new(),
    };
    let mut stats = Vec::new();
    let series: Vec<Series> = labels
        .iter()
        .enumerate()
        .map(|(c, label)| {
            let ks: Vec<usize> = (0..num.bins()).map(|i| index(c, i)).collect();
            let bins = series_bins(h, &edges, &ks, opts);
            let total: f64 = (0..num.extent())
                .map(|i| {
                    let k = if a_is_cat {
                        c * stride_b + i
                    } else {
                        i * stride_b + c
                    };
                    h.values.get(k).copied().unwrap_or(0.0)
                })
                .sum();
            // The legend: one line per category, with its entries (means have none).
            let count = if h.storage == StorageKind::Mean {
                String::new()
            } else {
                entries(total)
            };
            stats.push((format!("{} {label}", cat.title()), count));
            Series {
                label: format!("{} {label}", cat.title()),
                colour: COLOURS.get(c % COLOURS.len()).copied().unwrap_or("#1f77b4"),
                drawn_bins: drawn(&bins),
                bins,
            }
        })
        .collect();
    let mut notes = flow_notes(h, a, 0, 2);
    notes.extend(flow_notes(h, b, 1, 2));
    if stats.len() > LEGEND_LINES {
        notes.push(format!(
            "{} more categories drawn, not in the legend",
            stats.len() - LEGEND_LINES
        ));
        stats.truncate(LEGEND_LINES);
    }
    for s in &series {
        non_finite_note(&s.bins, &mut notes);
    }
    let y = y_axis(&series, y_title(h, opts), opts.logy, &mut notes);
    Figure {
        name: h.name.clone(),
        kind: FigureKind::Overlay,
        x: x_axis(num),
        y,
        series,
        map: None,
        stats,
        notes,
    }
}

fn map(h: &Hist, a: &HistAxis, b: &HistAxis, opts: PlotOptions) -> Figure {
    let (ea, eb) = (bin_edges(a), bin_edges(b));
    let stride = b.extent();
    let mut cells = Vec::new();
    let mut non_finite = 0usize;
    for (i, &x) in ea.iter().enumerate() {
        for (j, &y) in eb.iter().enumerate() {
            let k = (a.first() + i) * stride + b.first() + j;
            let mut value = h.values.get(k).copied().unwrap_or(f64::NAN);
            if !value.is_finite() {
                non_finite += 1;
                continue;
            }
            let area = (x.1 - x.0) * (y.1 - y.0);
            if opts.density && area > 0.0 {
                value /= area;
            }
            // Empty cells stay white, as ROOT's COLZ and mplhep's cmin leave them.
            if value != 0.0 {
                cells.push(Cell { x, y, value });
            }
        }
    }
    let mut notes = Vec::new();
    notes.extend(flow_notes(h, a, 0, 2));
    notes.extend(flow_notes(h, b, 1, 2));
    if non_finite > 0 {
        notes.push(format!("{non_finite} NaN or infinite bins not drawn"));
    }
    let positive: Vec<f64> = cells.iter().map(|c| c.value).filter(|&v| v > 0.0).collect();
    let max = cells.iter().map(|c| c.value).fold(0.0f64, f64::max);
    let min = cells.iter().map(|c| c.value).fold(0.0f64, f64::min);
    let (lo, hi, log) = if opts.logy && !positive.is_empty() {
        let pmin = positive.iter().copied().fold(f64::INFINITY, f64::min);
        let lo = 10f64.powf(pmin.log10().floor());
        let hi = 10f64.powf(max.log10().ceil()).max(lo * 10.0);
        (lo, hi, true)
    } else {
        (min, if max > min { max } else { min + 1.0 }, false)
    };
    let title = if opts.density {
        "Events / bin area"
    } else {
        "Events"
    };
    let total: f64 = h.values.iter().filter(|v| v.is_finite()).sum();
    Figure {
        name: h.name.clone(),
        kind: FigureKind::Map,
        x: x_axis(a),
        y: x_axis(b),
        series: Vec::new(),
        map: Some(ColourMap {
            title: title.into(),
            log,
            lo,
            hi,
            ticks: if log {
                ticks::log(lo, hi)
            } else {
                ticks::linear(lo, hi)
            },
            drawn_cells: cells.len(),
            cells,
        }),
        stats: vec![("Entries".into(), entries(total))],
        notes,
    }
}

fn drawn(bins: &[Bin]) -> usize {
    bins.iter().filter(|b| b.value.is_finite()).count()
}

fn non_finite_note(bins: &[Bin], notes: &mut Vec<String>) {
    let n = bins.iter().filter(|b| !b.value.is_finite()).count();
    if n > 0 {
        notes.push(format!("{n} bins without a finite value not drawn"));
    }
}

/// The count axis: from zero (or the lowest bin) to above the highest error bar, with room
/// for the stat box; on a log scale, from below the lowest positive bin.
fn y_axis(series: &[Series], title: String, log: bool, notes: &mut Vec<String>) -> Axis {
    let bins = || {
        series
            .iter()
            .flat_map(|s| &s.bins)
            .filter(|b| b.value.is_finite())
    };
    let top = bins()
        .map(|b| b.value + if b.err.is_finite() { b.err } else { 0.0 })
        .fold(f64::NEG_INFINITY, f64::max);
    let bottom = bins()
        .map(|b| b.value - if b.err.is_finite() { b.err } else { 0.0 })
        .fold(f64::INFINITY, f64::min);
    if log {
        let pmin = bins()
            .map(|b| b.value)
            .filter(|&v| v > 0.0)
            .fold(f64::INFINITY, f64::min);
        if pmin.is_finite() && top > 0.0 {
            let lo = 10f64.powf((pmin / 2.0).log10().floor());
            // Half again the decades above the top: room for the stat box.
            let hi = 10f64.powf(top.log10() + 0.5 * (top / lo).log10().max(1.0));
            return Axis {
                title,
                log: true,
                lo,
                hi,
                ticks: ticks::log(lo, hi),
            };
        }
        notes.push("no positive bin: the y axis is linear".into());
    }
    let lo = if bottom.is_finite() && bottom < 0.0 {
        bottom * 1.1
    } else {
        0.0
    };
    let hi = if top.is_finite() && top > 0.0 {
        top * 1.3
    } else {
        1.0
    };
    let hi = if hi > lo { hi } else { lo + 1.0 };
    Axis {
        title,
        log: false,
        lo,
        hi,
        ticks: ticks::linear(lo, hi),
    }
}

/// Entries (the sum of all bins, flow included), mean and standard deviation of the
/// in-range bins' centres, as ROOT's stat box computes them.
fn stat_box(h: &Hist, a: &HistAxis, bins: &[Bin]) -> Vec<(String, String)> {
    let total: f64 = h.values.iter().filter(|v| v.is_finite()).sum();
    let label = if h.storage == StorageKind::Weighted {
        "Sum of weights"
    } else {
        "Entries"
    };
    let mut out = vec![(label.to_string(), entries(total))];
    if matches!(a.kind, AxisKind::Edges { .. }) {
        let (mut sw, mut swx, mut swxx) = (0.0, 0.0, 0.0);
        for (b, k) in bins.iter().zip(a.first()..) {
            let w = h.values.get(k).copied().unwrap_or(0.0);
            if w.is_finite() {
                let c = 0.5 * (b.lo + b.hi);
                sw += w;
                swx += w * c;
                swxx += w * c * c;
            }
        }
        if sw > 0.0 {
            let mean = swx / sw;
            let std = (swxx / sw - mean * mean).max(0.0).sqrt();
            out.push(("Mean".into(), significant(mean)));
            out.push(("Std Dev".into(), significant(std)));
        }
    }
    out
}

/// Flow bins along axis `i` of `n` that hold anything: "underflow 3, overflow 12 (axis)".
fn flow_notes(h: &Hist, a: &HistAxis, i: usize, n: usize) -> Vec<String> {
    let extents: Vec<usize> = h.axes.iter().map(HistAxis::extent).collect();
    let inner: usize = extents.iter().skip(i + 1).product();
    let ext = a.extent();
    // The sum over every bin whose index along this axis is `j`.
    let slice_sum = |j: usize| -> f64 {
        h.values
            .iter()
            .enumerate()
            .filter(|(k, _)| (k / inner.max(1)) % ext.max(1) == j)
            .map(|(_, v)| *v)
            .filter(|v| v.is_finite())
            .sum()
    };
    let axis = if n > 1 {
        format!(" ({})", a.title())
    } else {
        String::new()
    };
    let mut parts = Vec::new();
    match &a.kind {
        AxisKind::Edges {
            underflow,
            overflow,
            ..
        } => {
            if *underflow {
                let u = slice_sum(0);
                if u != 0.0 {
                    parts.push(format!("underflow {}", entries(u)));
                }
            }
            if *overflow {
                let o = slice_sum(ext - 1);
                if o != 0.0 {
                    parts.push(format!("overflow {}", entries(o)));
                }
            }
        }
        AxisKind::Categories { flow: true, labels } => {
            let o = slice_sum(labels.len());
            if o != 0.0 {
                parts.push(format!("other categories {}", entries(o)));
            }
        }
        AxisKind::Categories { .. } => {}
    }
    if parts.is_empty() {
        Vec::new()
    } else {
        vec![format!("{}{axis}", parts.join(", "))]
    }
}

/// A count: whole numbers as integers, sums of weights with four significant digits.
fn entries(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        significant(x)
    }
}

/// Four significant digits, as ROOT's stat box.
fn significant(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let mag = x.abs().log10().floor() as i32;
    if (-4..6).contains(&mag) {
        let decimals = (3 - mag).max(0) as usize;
        format!("{x:.decimals$}")
    } else {
        format!("{x:.3e}")
    }
}
