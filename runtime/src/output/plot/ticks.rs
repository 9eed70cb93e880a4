//! Axis ticks as matplotlib places them: on a linear scale at multiples of 1, 2, 2.5 or 5
//! times a power of ten (five to nine labelled ticks, minor ticks between); on a log scale at
//! the decades, with 2 to 9 times each decade as minor ticks (and labelled 2 and 5 when the
//! range holds fewer than two decades).

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Tick {
    pub at: f64,
    pub label: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Ticks {
    pub major: Vec<Tick>,
    #[serde(skip)]
    pub minor: Vec<f64>,
}

/// Linear ticks between `lo` and `hi`.
pub fn linear(lo: f64, hi: f64) -> Ticks {
    let span = hi - lo;
    if !(span.is_finite() && span > 0.0) {
        return Ticks::default();
    }
    let raw = span / 8.0;
    let mag = 10f64.powf(raw.log10().floor());
    let (step_mul, minor_div) = [(1.0, 5.0), (2.0, 4.0), (2.5, 5.0), (5.0, 5.0), (10.0, 5.0)]
        .into_iter()
        .find(|(m, _)| m * mag >= raw)
        .unwrap_or((10.0, 5.0));
    let step = step_mul * mag;
    // Digits after the point that the step needs (2.5 x 10^k needs one more).
    let digits = -(step.log10().floor() as i32) + i32::from(step_mul == 2.5);
    let decimals = digits.clamp(0, 12) as usize;
    let eps = step * 1e-9;
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    let top = lo.abs().max(hi.abs());
    // Beyond a million, labels share one power of ten, as matplotlib's offset text.
    let scale = (top >= 1e6).then(|| top.log10().floor() as i32);
    let major = (first..=last)
        .map(|i| {
            let at = i as f64 * step;
            let label = match scale {
                Some(k) if at != 0.0 => {
                    let d = (digits + k).clamp(0, 12) as usize;
                    format!("{}×{}", number(at / 10f64.powi(k), d), power(k))
                }
                _ => number(at, decimals),
            };
            Tick { at, label }
        })
        .collect();
    let minor_step = step / minor_div;
    let mfirst = (lo / minor_step - 1e-9).ceil() as i64;
    let mlast = (hi / minor_step + 1e-9).floor() as i64;
    let minor = (mfirst..=mlast)
        .map(|i| i as f64 * minor_step)
        .filter(|m| ((m / step).round() * step - m).abs() > eps)
        .collect();
    Ticks { major, minor }
}

/// Log ticks between `lo` and `hi` (both positive).
pub fn log(lo: f64, hi: f64) -> Ticks {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return Ticks::default();
    }
    let inside = |x: f64| x >= lo * (1.0 - 1e-9) && x <= hi * (1.0 + 1e-9);
    let (d0, d1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let decades: Vec<i32> = (d0..=d1).filter(|&k| inside(10f64.powi(k))).collect();
    // Every n-th decade labelled, so that at most about eight labels fit.
    let every = decades.len().div_ceil(8).max(1);
    let shown: Vec<i32> = decades
        .iter()
        .copied()
        .filter(|&k| k.rem_euclid(every as i32) == 0)
        .collect();
    // One style per axis: plain numbers when every label is near 1, else all powers of ten.
    let plain = shown.iter().all(|k| (-3..=4).contains(k));
    let mut major: Vec<Tick> = shown
        .iter()
        .map(|&k| Tick {
            at: 10f64.powi(k),
            label: if plain {
                number(10f64.powi(k), (-k).max(0) as usize)
            } else {
                power(k)
            },
        })
        .collect();
    let mut minor = Vec::new();
    for k in d0..=d1 {
        for m in 1..=9 {
            let x = f64::from(m) * 10f64.powi(k);
            if inside(x) && !major.iter().any(|t| t.at == x) {
                minor.push(x);
            }
        }
    }
    if decades.len() < 2 {
        let extra: Vec<f64> = minor
            .iter()
            .copied()
            .filter(|x| {
                let m = x / 10f64.powf(x.log10().floor());
                (m - 2.0).abs() < 1e-6 || (m - 5.0).abs() < 1e-6
            })
            .collect();
        for x in extra {
            let decimals = (-(x.log10().floor())).clamp(0.0, 12.0) as usize;
            major.push(Tick {
                at: x,
                label: number(x, decimals),
            });
        }
        major.sort_by(|a, b| a.at.total_cmp(&b.at));
        minor.retain(|x| !major.iter().any(|t| t.at == *x));
    }
    Ticks { major, minor }
}

/// 10^k with a superscript exponent.
fn power(k: i32) -> String {
    let sup: String = k
        .to_string()
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            _ => '⁹',
        })
        .collect();
    format!("10{sup}")
}

/// A tick label: fixed decimals, with a minus sign (not a hyphen) as matplotlib writes it.
pub fn number(x: f64, decimals: usize) -> String {
    let x = if x == 0.0 { 0.0 } else { x };
    format!("{x:.decimals$}").replace('-', "\u{2212}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(t: &Ticks) -> Vec<&str> {
        t.major.iter().map(|t| t.label.as_str()).collect()
    }

    #[test]
    fn linear_ticks_are_round() {
        assert_eq!(
            labels(&linear(0.0, 200.0)),
            ["0", "25", "50", "75", "100", "125", "150", "175", "200"]
        );
        assert_eq!(
            labels(&linear(0.0, 6.0)),
            ["0", "1", "2", "3", "4", "5", "6"]
        );
        assert_eq!(
            labels(&linear(0.0, 1.0)),
            ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
        );
        assert_eq!(
            labels(&linear(-1.0, 1.0)),
            [
                "−1.00", "−0.75", "−0.50", "−0.25", "0.00", "0.25", "0.50", "0.75", "1.00"
            ]
        );
        assert_eq!(
            labels(&linear(0.0, 3e6)),
            [
                "0",
                "0.5×10⁶",
                "1.0×10⁶",
                "1.5×10⁶",
                "2.0×10⁶",
                "2.5×10⁶",
                "3.0×10⁶"
            ]
        );
        assert!(linear(1.0, 1.0).major.is_empty());
        assert!(linear(0.0, f64::NAN).major.is_empty());
    }

    #[test]
    fn log_ticks_at_decades() {
        let t = log(0.2, 200.0);
        assert_eq!(labels(&t), ["1", "10", "100"]);
        assert!(t.minor.contains(&0.2) && t.minor.contains(&50.0));
        assert_eq!(labels(&log(2.0, 9.0)), ["2", "5"]);
        assert_eq!(labels(&log(1e-12, 1e12)).len(), 7);
        assert_eq!(labels(&log(1e5, 1e7)), ["10⁵", "10⁶", "10⁷"]);
        assert_eq!(
            labels(&log(0.5, 2e6)),
            ["10⁰", "10¹", "10²", "10³", "10⁴", "10⁵", "10⁶"]
        );
        assert!(log(0.0, 1.0).major.is_empty());
    }
}
