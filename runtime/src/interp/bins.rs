//! Histogram bin finding, identical to boost-histogram (what `hist` does), and filling.
//!
//! Input: an axis and a value. Output: the storage slot, flow bins included, in the layout
//! `graph::Axis` documents (`[underflow, bins..., overflow]`, categories `[bins..., overflow]`).
//! Invariant: a slot is always `< Axis::extent()`, so filling never indexes out of range.

use ana_compiler::graph::{Axis, AxisKind};

/// An axis prepared for bin finding (logarithms and widths computed once).
#[derive(Clone, Debug)]
pub enum Binner {
    /// Regular, and Log after taking `ln(x)`: `z = (x - min) / delta`, boost's formula.
    Regular {
        bins: usize,
        min: f64,
        delta: f64,
        log: bool,
    },
    Variable {
        edges: Vec<f64>,
    },
    Integer {
        lo: i64,
        bins: usize,
    },
    Category {
        values: Vec<i64>,
    },
}

impl Binner {
    pub fn new(axis: &Axis) -> Binner {
        match &axis.kind {
            AxisKind::Regular { bins, lo, hi } => Binner::Regular {
                bins: *bins as usize,
                min: *lo,
                delta: hi - lo,
                log: false,
            },
            AxisKind::Log { bins, lo, hi } => {
                let min = lo.ln();
                Binner::Regular {
                    bins: *bins as usize,
                    min,
                    delta: hi.ln() - min,
                    log: true,
                }
            }
            AxisKind::Variable { edges } => Binner::Variable {
                edges: edges.clone(),
            },
            AxisKind::Integer { lo, hi } => Binner::Integer {
                lo: *lo,
                bins: hi.saturating_sub(*lo).max(0) as usize,
            },
            AxisKind::Category { values } | AxisKind::StrCategory { ids: values, .. } => {
                Binner::Category {
                    values: values.clone(),
                }
            }
        }
    }

    /// Slot of a float value.
    pub fn slot_f64(&self, x: f64) -> usize {
        match self {
            Binner::Regular {
                bins,
                min,
                delta,
                log,
            } => {
                let t = if *log { x.ln() } else { x };
                let z = (t - min) / delta;
                if z < 1.0 {
                    if z >= 0.0 {
                        // `z * n` can round up to n: that is overflow, as in boost.
                        ((z * *bins as f64) as usize).min(*bins) + 1
                    } else {
                        0
                    }
                } else {
                    // z >= 1 or NaN.
                    bins + 1
                }
            }
            Binner::Variable { edges } => {
                if edges.is_empty() {
                    return 0;
                }
                // upper_bound: the first edge e with x < e; NaN is below no edge: overflow.
                // Slot 0 is underflow, slot `edges.len()` overflow.
                if x.is_nan() {
                    return edges.len();
                }
                edges.partition_point(|&e| e <= x)
            }
            Binner::Integer { lo, bins } => {
                let z = x.floor() - *lo as f64;
                if z >= 0.0 && z < *bins as f64 {
                    z as usize + 1
                } else if z < 0.0 {
                    0
                } else {
                    bins + 1
                }
            }
            // boost casts the value to the category type (truncation toward zero).
            Binner::Category { .. } => self.slot_i64(x as i64),
        }
    }

    /// Slot of an integer value: exact for `Integer` and `Category` axes.
    pub fn slot_i64(&self, x: i64) -> usize {
        match self {
            Binner::Integer { lo, bins } => match x.checked_sub(*lo) {
                Some(z) if z >= 0 && (z as u64) < *bins as u64 => z as usize + 1,
                Some(z) if z >= 0 => bins + 1,
                None if x > *lo => bins + 1,
                _ => 0,
            },
            Binner::Category { values } => {
                values.iter().position(|&v| v == x).unwrap_or(values.len())
            }
            _ => self.slot_f64(x as f64),
        }
    }
}

/// The edges a `Log` axis is written with: boost's `regular<transform::log>::value(i)`, i.e.
/// `exp((1 - i/n) * ln(lo) + (i/n) * ln(hi))`, so they equal what `hist` serializes.
pub fn log_edges(bins: u32, lo: f64, hi: f64) -> Vec<f64> {
    let min = lo.ln();
    let delta = hi.ln() - min;
    let n = bins as f64;
    (0..=bins)
        .map(|i| {
            let z = i as f64 / n;
            ((1.0 - z) * min + z * (min + delta)).exp()
        })
        .collect()
}
