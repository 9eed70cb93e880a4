//! The functions generated code calls: math shims and per-event space builders.
//!
//! Input: arguments from kernel code (numbers, and pointers into the chunk's scratch
//! buffers, sized by `chunk.rs` so every write below stays in bounds). Output: values, or
//! elements written to those buffers. Invariant: the math shims call exactly the function the
//! interpreter calls (Rust std's, or ana's own in `crate::math`), so both engines agree bit
//! for bit; nothing here allocates or panics.

use std::ffi::c_void;

/// Symbols generated code may import, with their addresses and arity (all f64).
pub(crate) fn math_symbols() -> Vec<(&'static str, *const u8)> {
    vec![
        ("ana_exp", ana_exp as *const u8),
        ("ana_ln", ana_ln as *const u8),
        ("ana_log10", ana_log10 as *const u8),
        ("ana_sincos", ana_sincos as *const u8),
        ("ana_tan", ana_tan as *const u8),
        ("ana_asin", ana_asin as *const u8),
        ("ana_acos", ana_acos as *const u8),
        ("ana_atan", ana_atan as *const u8),
        ("ana_sinh", ana_sinh as *const u8),
        ("ana_cosh", ana_cosh as *const u8),
        ("ana_tanh", ana_tanh as *const u8),
        ("ana_asinh", ana_asinh as *const u8),
        ("ana_powf", ana_powf as *const u8),
        ("ana_atan2", ana_atan2 as *const u8),
    ]
}

/// Helper symbols (space builders and table growth), with their addresses.
pub(crate) fn helper_symbols() -> Vec<(&'static str, *const u8)> {
    vec![
        ("ana_combinations", ana_combinations as *const u8),
        ("ana_sort_f64", ana_sort_f64 as *const u8),
        ("ana_sort_i64", ana_sort_i64 as *const u8),
        ("ana_table_grow", super::chunk::ana_table_grow as *const u8),
        ("ana_list_grow", super::chunk::ana_list_grow as *const u8),
    ]
}

macro_rules! unary {
    ($($name:ident => $f:ident),* $(,)?) => {
        $(extern "C" fn $name(x: f64) -> f64 { x.$f() })*
    };
}
unary!(
    ana_exp => exp, ana_ln => ln, ana_log10 => log10, ana_tan => tan, ana_asin => asin, ana_acos => acos, ana_atan => atan, ana_cosh => cosh, ana_tanh => tanh, ana_asinh => asinh,
);

/// Both of `sin_cos`'s results, returned in two registers (xmm0, xmm1).
#[repr(C)]
struct SinCos {
    sin: f64,
    cos: f64,
}

extern "C" fn ana_sincos(x: f64) -> SinCos {
    let (sin, cos) = crate::math::sin_cos(x);
    SinCos { sin, cos }
}

extern "C" fn ana_sinh(x: f64) -> f64 {
    crate::math::sinh(x)
}

extern "C" fn ana_powf(x: f64, y: f64) -> f64 {
    x.powf(y)
}

extern "C" fn ana_atan2(y: f64, x: f64) -> f64 {
    y.atan2(x)
}

/// The `k`-combinations (k = 2 or 3) of `0..n` in lexicographic order, member m written to
/// `out[m]`. Returns their number. (Kernels call it for triples; pairs, cartesian products
/// and concatenations are enumerated inline, see `translate.rs`.)
///
/// # Safety
/// Each `out[m]` (m < k) is valid for writes of C(n, k) `i64`s.
unsafe extern "C" fn ana_combinations(
    n: i64,
    k: i64,
    out0: *mut i64,
    out1: *mut i64,
    out2: *mut i64,
) -> i64 {
    let mut c = 0usize;
    for i in 0..n {
        for j in i + 1..n {
            if k == 2 {
                // SAFETY: c < C(n, 2), the capacity the caller guarantees.
                unsafe {
                    *out0.add(c) = i;
                    *out1.add(c) = j;
                }
                c += 1;
            } else {
                for l in j + 1..n {
                    // SAFETY: c < C(n, 3), the capacity the caller guarantees.
                    unsafe {
                        *out0.add(c) = i;
                        *out1.add(c) = j;
                        *out2.add(c) = l;
                    }
                    c += 1;
                }
            }
        }
    }
    c as i64
}

/// Stable insertion sort of `0..n` by `keys` (ascending, or descending when `desc != 0`),
/// NaN keys last in both directions; written to `out`. Insertion sort: per-event lists are
/// short, and it needs no allocation.
///
/// # Safety
/// `keys` is valid for reads and `out` for writes of `n` values.
unsafe extern "C" fn ana_sort_f64(keys: *const f64, n: i64, desc: i8, out: *mut i64) {
    let n = n.max(0) as usize;
    // SAFETY: the caller guarantees both ranges.
    let (keys, out) = unsafe {
        (
            std::slice::from_raw_parts(keys, n),
            std::slice::from_raw_parts_mut(out, n),
        )
    };
    // `a` goes strictly before `b`.
    let before = |a: f64, b: f64| {
        if b.is_nan() {
            !a.is_nan()
        } else if desc != 0 {
            a > b
        } else {
            a < b
        }
    };
    #[expect(
        clippy::indexing_slicing,
        reason = "`insertion_sort` compares only values of `0..n`, `n == keys.len()`"
    )]
    insertion_sort(out, |a, b| before(keys[a as usize], keys[b as usize]));
}

/// As [`ana_sort_f64`] for integer keys.
///
/// # Safety
/// `keys` is valid for reads and `out` for writes of `n` values.
unsafe extern "C" fn ana_sort_i64(keys: *const i64, n: i64, desc: i8, out: *mut i64) {
    let n = n.max(0) as usize;
    // SAFETY: the caller guarantees both ranges.
    let (keys, out) = unsafe {
        (
            std::slice::from_raw_parts(keys, n),
            std::slice::from_raw_parts_mut(out, n),
        )
    };
    let before = |a: i64, b: i64| if desc != 0 { a > b } else { a < b };
    #[expect(
        clippy::indexing_slicing,
        reason = "`insertion_sort` compares only values of `0..n`, `n == keys.len()`"
    )]
    insertion_sort(out, |a, b| before(keys[a as usize], keys[b as usize]));
}

/// Fill `out` with `0..len` stably sorted by `before` (a strict order).
#[expect(clippy::indexing_slicing, reason = "`0 <= j <= i < out.len()`")]
fn insertion_sort(out: &mut [i64], before: impl Fn(i64, i64) -> bool) {
    for (i, o) in out.iter_mut().enumerate() {
        *o = i as i64;
    }
    for i in 1..out.len() {
        let x = out[i];
        let mut j = i;
        while j > 0 && before(x, out[j - 1]) {
            out[j] = out[j - 1];
            j -= 1;
        }
        out[j] = x;
    }
}

/// Opaque pointer type of the kernel's second argument.
pub(crate) type Ctx = c_void;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_stably_with_nan_last() {
        let keys = [2.0, f64::NAN, 1.0, 2.0, -0.0, 0.0];
        let mut out = [0i64; 6];
        // SAFETY: both arrays have 6 elements.
        unsafe { ana_sort_f64(keys.as_ptr(), 6, 0, out.as_mut_ptr()) };
        assert_eq!(out, [4, 5, 2, 0, 3, 1]);
        // SAFETY: as above.
        unsafe { ana_sort_f64(keys.as_ptr(), 6, 1, out.as_mut_ptr()) };
        assert_eq!(out, [0, 3, 2, 4, 5, 1]);
    }

    #[test]
    fn combinations_in_lexicographic_order() {
        let (mut a, mut b, mut c) = ([0i64; 4], [0i64; 4], [0i64; 4]);
        // SAFETY: C(4, 3) = 4 slots each.
        let n = unsafe { ana_combinations(4, 3, a.as_mut_ptr(), b.as_mut_ptr(), c.as_mut_ptr()) };
        assert_eq!((n, a, b, c), (4, [0, 0, 0, 1], [1, 1, 2, 2], [2, 3, 3, 3]));
    }
}
