//! Elementary functions that are part of ana's semantics. Both engines call these (the
//! interpreter directly, JIT-compiled kernels through `codegen::runtime`), so they agree bit
//! for bit; where ana has no function of its own, the platform's libm is used (glibc's are
//! fast and accurate to about an ulp).
//!
//! `sinh`, `sin` and `cos` are ana's own: every four-vector built from (pt, eta, phi, m)
//! needs `pz = pt sinh(eta)`, `px = pt cos(phi)`, `py = pt sin(phi)`. glibc's `sinh` goes
//! through `expm1` (about 16 ns a call here); this one is about 3x faster. `sin` and `cos`
//! share one argument reduction ([`sin_cos`]), so a kernel that needs both (every
//! four-vector) computes them in one call instead of two of glibc's (11 ns each). All stay
//! within 2 ulp (sinh) and 1 ulp (sin, cos) of glibc's (the tests below).

#![expect(
    clippy::excessive_precision,
    reason = "fdlibm's coefficients as published, so they can be checked against the source"
)]

/// Taylor coefficients of sinh: x^(2k+1) / (2k+1)!.
const S3: f64 = 1.0 / 6.0;
const S5: f64 = 1.0 / 120.0;
const S7: f64 = 1.0 / 5040.0;
const S9: f64 = 1.0 / 362_880.0;
const S11: f64 = 1.0 / 39_916_800.0;
const S13: f64 = 1.0 / 6_227_020_800.0;

/// Hyperbolic sine, within 2 ulp of the correctly rounded value's neighbours (glibc's own
/// error is about 1 ulp).
///
/// Below 0.5 the Taylor series to x^13 (truncation error below 0.4 ulp there); up to 22 from
/// one `exp`: (e - 1/e) / 2 loses at most a factor coth(0.5) ≈ 2.2 of the operands' rounding
/// to cancellation; beyond 22 (and for NaN and infinities) libm's, which handles overflow.
#[inline]
pub fn sinh(x: f64) -> f64 {
    let a = x.abs();
    if a < 0.5 {
        let x2 = x * x;
        x + x * x2 * (S3 + x2 * (S5 + x2 * (S7 + x2 * (S9 + x2 * (S11 + x2 * S13)))))
    } else if a < 22.0 {
        let e = a.exp();
        (0.5 * (e - 1.0 / e)).copysign(x)
    } else {
        x.sinh()
    }
}

// sin and cos: the argument reduction and the kernels on [-pi/4, pi/4] are those of fdlibm
// (Sun Microsystems, 1993: "Permission to use, copy, modify, and distribute this software is
// freely granted, provided that this notice is preserved"), as in musl; the quadrant is then
// chosen without branches (phi is uniform: a branch on its quadrant mispredicts).

const SIN1: f64 = -1.666_666_666_666_663_243_48e-1;
const SIN2: f64 = 8.333_333_333_322_489_461_24e-3;
const SIN3: f64 = -1.984_126_982_985_794_931_34e-4;
const SIN4: f64 = 2.755_731_370_707_006_767_89e-6;
const SIN5: f64 = -2.505_076_025_340_686_341_95e-8;
const SIN6: f64 = 1.589_690_995_211_550_102_21e-10;
const COS1: f64 = 4.166_666_666_666_660_190_37e-2;
const COS2: f64 = -1.388_888_888_887_410_957_49e-3;
const COS3: f64 = 2.480_158_728_947_672_941_78e-5;
const COS4: f64 = -2.755_731_435_139_066_330_35e-7;
const COS5: f64 = 2.087_572_321_298_174_827_90e-9;
const COS6: f64 = -1.135_964_755_778_819_482_65e-11;

/// sin(x + y) for |x + y| <= pi/4, y a tail below half an ulp of x.
#[inline(always)]
fn kernel_sin(x: f64, y: f64) -> f64 {
    let z = x * x;
    let w = z * z;
    let r = SIN2 + z * (SIN3 + z * SIN4) + z * w * (SIN5 + z * SIN6);
    let v = z * x;
    x - ((z * (0.5 * y - v * r) - y) - v * SIN1)
}

/// cos(x + y) for |x + y| <= pi/4.
#[inline(always)]
fn kernel_cos(x: f64, y: f64) -> f64 {
    let z = x * x;
    let w = z * z;
    let r = z * (COS1 + z * (COS2 + z * COS3)) + w * w * (COS4 + z * (COS5 + z * COS6));
    let hz = 0.5 * z;
    let w = 1.0 - hz;
    w + (((1.0 - w) - hz) + (z * r - x * y))
}

/// 2/pi, fdlibm's `invpio2` (0x3FE45F306DC9C883).
const INV_PIO2: f64 = std::f64::consts::FRAC_2_PI;
/// pi/2 in three pieces of 33 bits (pio2_1, pio2_2, pio2_3) with tails (pio2_nt).
const PIO2_1: f64 = 1.570_796_326_734_125_614_17;
const PIO2_1T: f64 = 6.077_100_506_506_192_249_32e-11;
const PIO2_2: f64 = 6.077_100_506_303_965_976_60e-11;
const PIO2_2T: f64 = 2.022_266_248_795_950_631_54e-21;
const PIO2_3: f64 = 2.022_266_248_711_166_455_80e-21;
const PIO2_3T: f64 = 8.478_427_660_368_899_569_97e-32;
/// Adding and subtracting this rounds a double below 2^51 to an integer.
const TO_INT: f64 = 1.5 / f64::EPSILON;
/// The reduction below is exact enough up to 2^20 pi/2; beyond, libm's.
const MEDIUM: f64 = 1_647_099.329_165_285_5;

fn exponent(x: f64) -> i64 {
    ((x.to_bits() >> 52) & 0x7ff) as i64
}

/// x = n pi/2 + (y0 + y1), |y0 + y1| <= pi/4, for |x| < MEDIUM.
#[inline(always)]
fn rem_pio2(x: f64) -> (i64, f64, f64) {
    let f = x * INV_PIO2 + TO_INT - TO_INT;
    let mut r = x - f * PIO2_1;
    let mut w = f * PIO2_1T;
    let mut y0 = r - w;
    // Near a multiple of pi/2 the first step cancels: take more bits of pi/2.
    let ex = exponent(x);
    if ex - exponent(y0) > 16 {
        (r, w, y0) = refine(f, r, PIO2_2, PIO2_2T);
        if ex - exponent(y0) > 49 {
            (r, w, y0) = refine(f, r, PIO2_3, PIO2_3T);
        }
    }
    (f as i64, y0, (r - y0) - w)
}

/// One more step of the reduction of `r` with the next piece of pi/2 and its tail: the new
/// remainder, its error term and their difference.
#[inline(always)]
fn refine(f: f64, r: f64, piece: f64, tail: f64) -> (f64, f64, f64) {
    let w = f * piece;
    let r1 = r - w;
    let w = f * tail - ((r - r1) - w);
    (r1, w, r1 - w)
}

/// (sin x, cos x), each within an ulp. `sin` and `cos` are defined as its halves, so a
/// kernel may compute both with one call and agree with one that computes either.
#[inline]
pub fn sin_cos(x: f64) -> (f64, f64) {
    let a = x.abs();
    if a < 7.450_580_596_923_828e-9 {
        // 2^-27: sin x = x and cos x = 1 to double precision (keeps sin(-0) = -0).
        return (x, 1.0);
    }
    if a >= MEDIUM || a.is_nan() {
        return (x.sin(), x.cos());
    }
    let (n, y0, y1) = rem_pio2(x);
    let (s, c) = (kernel_sin(y0, y1), kernel_cos(y0, y1));
    // Quadrant n: sin x = s, c, -s, -c and cos x = c, -s, -c, s.
    let odd = n & 1 != 0;
    let (s, c) = (if odd { c } else { s }, if odd { s } else { c });
    let flip = |v: f64, neg: bool| f64::from_bits(v.to_bits() ^ (u64::from(neg) << 63));
    (flip(s, n & 2 != 0), flip(c, (n + 1) & 2 != 0))
}

#[inline]
pub fn sin(x: f64) -> f64 {
    sin_cos(x).0
}

#[inline]
pub fn cos(x: f64) -> f64 {
    sin_cos(x).1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in representable doubles (same sign assumed).
    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn sinh_is_within_two_ulp_of_libm() {
        let mut worst = (0, 0.0);
        // A dense sweep through every regime (and both sides of the switches at 0.5 and 22).
        let mut x = -30.0f64;
        while x <= 30.0 {
            for y in [x, x + 1e-9, x * (1.0 + 1e-15)] {
                let d = ulps(sinh(y), y.sinh());
                if d > worst.0 {
                    worst = (d, y);
                }
            }
            x += 1.0 / 4099.0;
        }
        for k in -1074..=9 {
            let y = 2f64.powi(k);
            for y in [y, -y, y * 1.3, 0.5f64.next_down(), 22f64.next_down()] {
                let d = ulps(sinh(y), y.sinh());
                if d > worst.0 {
                    worst = (d, y);
                }
            }
        }
        assert!(
            worst.0 <= 2,
            "sinh({}) is {} ulp from libm's",
            worst.1,
            worst.0
        );
    }

    #[test]
    fn sin_cos_are_within_one_ulp_of_libm() {
        let mut worst = (0, 0.0);
        let mut check = |y: f64| {
            let (s, c) = sin_cos(y);
            assert_eq!(
                (s.to_bits(), c.to_bits()),
                (sin(y).to_bits(), cos(y).to_bits())
            );
            for d in [ulps(s, y.sin()), ulps(c, y.cos())] {
                if d > worst.0 {
                    worst = (d, y);
                }
            }
        };
        let mut x = -40.0f64;
        while x <= 40.0 {
            check(x);
            x += 1.0 / 8191.0;
        }
        // Near multiples of pi/2 (where the reduction cancels), far out, and tiny.
        for k in -2000i32..=2000 {
            let m = f64::from(k) * std::f64::consts::FRAC_PI_2;
            let mut y = m;
            for _ in 0..4 {
                check(y);
                check(y.next_up());
                y = y.next_down();
            }
        }
        for k in -1074..=21 {
            let y = 2f64.powi(k);
            for y in [y, -y, y * 1.7, -y * 1.3] {
                check(y);
            }
        }
        for y in [MEDIUM, MEDIUM.next_down(), 1e6 + 0.5, -123_456.789, 1e300] {
            check(y);
        }
        assert!(
            worst.0 <= 1,
            "sin/cos({}) is {} ulp from libm's",
            worst.1,
            worst.0
        );
    }

    #[test]
    fn sin_cos_special_values() {
        assert_eq!(INV_PIO2.to_bits(), 0x3FE4_5F30_6DC9_C883);
        assert_eq!(sin(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(cos(-0.0), 1.0);
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(sin(v).is_nan() && cos(v).is_nan());
        }
    }

    #[test]
    fn sinh_special_values() {
        assert_eq!(sinh(0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(sinh(-0.0).to_bits(), (-0.0f64).to_bits());
        assert!(sinh(f64::NAN).is_nan());
        assert_eq!(sinh(f64::INFINITY), f64::INFINITY);
        assert_eq!(sinh(f64::NEG_INFINITY), f64::NEG_INFINITY);
        assert_eq!(sinh(711.0), f64::INFINITY);
        assert_eq!(sinh(710.0), 710f64.sinh());
        assert_eq!(sinh(f64::MIN_POSITIVE / 4.0), f64::MIN_POSITIVE / 4.0);
        // odd and increasing across the switch points
        for s in [0.5, 22.0] {
            let (below, at) = (sinh(f64::next_down(s)), sinh(s));
            assert!(below <= at, "sinh is not increasing at {s}");
            assert_eq!(sinh(-s), -at);
        }
    }
}
