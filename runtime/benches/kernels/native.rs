//! The benchmark's two scripts written by hand in Rust, compiled by rustc (LLVM, -O3): what a
//! physicist's own compiled event loop over the same decoded columns costs. They measure
//! how close generated code comes to native code, not ana's semantics: they use ana's math
//! functions and bin formulas, and `main.rs` checks that they fill the same histograms.

use ana_compiler::abi::{ColumnData, InputColumn};
use ana_compiler::math::{sin_cos, sinh};

/// The muon columns (and MET) of a chunk.
pub struct Muons<'a> {
    pub offsets: &'a [u32],
    pub pt: &'a [f32],
    pub eta: &'a [f32],
    pub phi: &'a [f32],
    pub mass: &'a [f32],
    pub charge: &'a [i32],
    pub met: Option<&'a [f32]>,
}

fn f32s(c: &InputColumn) -> &[f32] {
    match &c.data {
        ColumnData::F32(v) => v,
        _ => panic!("expected a float column"),
    }
}

impl<'a> Muons<'a> {
    /// `cols` by name: Muon_pt, Muon_eta, Muon_phi, Muon_mass, Muon_charge, then MET_pt.
    pub fn new(cols: &'a [InputColumn]) -> Muons<'a> {
        let charge = match &cols[4].data {
            ColumnData::I32(v) => v.as_slice(),
            _ => panic!("Muon_charge is not int32"),
        };
        Muons {
            offsets: cols[0].offsets.as_deref().expect("jagged"),
            pt: f32s(&cols[0]),
            eta: f32s(&cols[1]),
            phi: f32s(&cols[2]),
            mass: f32s(&cols[3]),
            charge,
            met: cols.get(5).map(f32s),
        }
    }

    /// (px, py, pz, E) of muon `i`, in f64.
    #[inline(always)]
    fn p4(&self, i: usize) -> [f64; 4] {
        let pt = f64::from(self.pt[i]);
        let (s, c) = sin_cos(f64::from(self.phi[i]));
        let (px, py, pz) = (pt * c, pt * s, pt * sinh(f64::from(self.eta[i])));
        let m = f64::from(self.mass[i]);
        [px, py, pz, (px * px + py * py + pz * pz + m * m).sqrt()]
    }
}

fn add(a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]]
}

fn mass(p: [f64; 4]) -> f64 {
    let m2 = p[3] * p[3] - (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
    if m2 >= 0.0 { m2.sqrt() } else { -(-m2).sqrt() }
}

/// ana's regular-axis slot (flow bins included).
#[inline(always)]
fn regular(x: f64, bins: usize, lo: f64, width: f64) -> usize {
    let t = (x - lo) / width;
    if t < 0.0 {
        0
    } else if t >= 1.0 || t.is_nan() {
        bins + 1
    } else {
        (t * bins as f64) as usize + 1
    }
}

/// `examples/dimuon.ana`: the muon-count histogram, the dimuon mass (log axis) of events
/// with two opposite-charge muons, and the table of Z candidates.
pub fn dimuon(m: &Muons<'_>, hists: &mut [Vec<f64>; 2], table: &mut [Vec<f64>; 8]) {
    let (llo, lhi) = (0.2f64.ln(), 200f64.ln());
    for e in 0..m.offsets.len() - 1 {
        let (a, z) = (m.offsets[e] as usize, m.offsets[e + 1] as usize);
        hists[0][regular((z - a) as f64, 6, 0.0, 6.0)] += 1.0;
        if z - a != 2 || m.charge[a] + m.charge[a + 1] != 0 {
            continue;
        }
        let p = add(m.p4(a), m.p4(a + 1));
        let mz = mass(p);
        hists[1][regular(mz.ln(), 1000, llo, lhi - llo)] += 1.0;
        if (mz - 90.0).abs() < 30.0 {
            let (plus, minus) = if m.charge[a] > 0 {
                (a, a + 1)
            } else {
                (a + 1, a)
            };
            let row = [
                mz,
                (p[0] * p[0] + p[1] * p[1]).sqrt(),
                f64::from(m.pt[plus]),
                f64::from(m.eta[plus]),
                f64::from(m.phi[plus]),
                f64::from(m.pt[minus]),
                f64::from(m.eta[minus]),
                f64::from(m.phi[minus]),
            ];
            for (col, v) in table.iter_mut().zip(row) {
                col.push(v);
            }
        }
    }
}

/// `examples/adl/q5.ana`: MET of events with an opposite-charge muon pair of mass 60-120
/// GeV, the mass computed only for opposite-charge pairs.
pub fn pairs(m: &Muons<'_>, hist: &mut [f64]) {
    let met = m.met.expect("MET_pt");
    for e in 0..m.offsets.len() - 1 {
        let (a, z) = (m.offsets[e] as usize, m.offsets[e + 1] as usize);
        let mut any = false;
        for i in a..z {
            for j in i + 1..z {
                if m.charge[i] != m.charge[j] {
                    let mz = mass(add(m.p4(i), m.p4(j)));
                    any |= 60.0 < mz && mz < 120.0;
                }
            }
        }
        if any {
            hist[regular(f64::from(met[e]), 100, 0.0, 200.0)] += 1.0;
        }
    }
}
