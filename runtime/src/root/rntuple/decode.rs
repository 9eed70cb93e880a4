//! Page decoding: the column encodings ROOT writes (plain and split little-endian numbers,
//! zigzag-encoded signed integers, delta-encoded index columns, booleans packed as bits,
//! half floats, `Real32Trunc` and `Real32Quant`) into flat values.
//!
//! Input: a page's uncompressed bytes and element count. Output: the page's values (a
//! range of them) appended to a column of the column's natural type. Invariant: a page's
//! size is checked against its element count before any byte is read, and every encoding
//! is undone page by page (split and delta encodings restart in every page).

use std::ops::Range;

use ana_compiler::abi::ColumnData;

use super::super::io::{Bad, Res};
use super::super::layout::Elem;
use super::meta::{ColType, Column};

/// How a column's elements are stored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Enc {
    Bit,
    /// Plain or split little-endian numbers of the element type; `zigzag` for split signed.
    Int {
        elem: Elem,
        split: bool,
        zigzag: bool,
    },
    Real16 {
        split: bool,
    },
    Real {
        elem: Elem,
        split: bool,
    },
    /// Offsets of collections (cluster-relative ends), 4 or 8 bytes; split ones are also
    /// delta-encoded.
    Index {
        wide: bool,
        split: bool,
    },
    Trunc {
        bits: u32,
    },
    Quant {
        bits: u32,
        min: f64,
        max: f64,
    },
}

impl Enc {
    /// The encoding of a column, or why it cannot be read.
    pub(super) fn of(c: &Column) -> Result<Enc, String> {
        let int = |elem, split, zigzag| Enc::Int {
            elem,
            split,
            zigzag,
        };
        let e = match c.kind.0 {
            0x00 => Enc::Bit,
            0x01 | 0x02 | 0x04 => int(Elem::U8, false, false),
            0x03 => int(Elem::I8, false, false),
            0x05 => int(Elem::I16, false, false),
            0x06 => int(Elem::U16, false, false),
            0x07 => int(Elem::I32, false, false),
            0x08 => int(Elem::U32, false, false),
            0x09 => int(Elem::I64, false, false),
            0x0A => int(Elem::U64, false, false),
            0x0B => Enc::Real16 { split: false },
            0x0C => Enc::Real {
                elem: Elem::F32,
                split: false,
            },
            0x0D => Enc::Real {
                elem: Elem::F64,
                split: false,
            },
            0x0E => Enc::Index {
                wide: false,
                split: false,
            },
            0x0F => Enc::Index {
                wide: true,
                split: false,
            },
            0x11 => int(Elem::I16, true, true),
            0x12 => int(Elem::U16, true, false),
            0x13 => int(Elem::I32, true, true),
            0x14 => int(Elem::U32, true, false),
            0x15 => int(Elem::I64, true, true),
            0x16 => int(Elem::U64, true, false),
            0x17 => Enc::Real16 { split: true },
            0x18 => Enc::Real {
                elem: Elem::F32,
                split: true,
            },
            0x19 => Enc::Real {
                elem: Elem::F64,
                split: true,
            },
            0x1A => Enc::Index {
                wide: false,
                split: true,
            },
            0x1B => Enc::Index {
                wide: true,
                split: true,
            },
            0x1C if (10..=31).contains(&c.bits) => Enc::Trunc {
                bits: u32::from(c.bits),
            },
            0x1D if (1..=32).contains(&c.bits) => match c.range {
                Some((min, max)) if min <= max => Enc::Quant {
                    bits: u32::from(c.bits),
                    min,
                    max,
                },
                _ => return Err("Real32Quant column without a valid value range".into()),
            },
            other => return Err(format!("column type {}", col_type_name(ColType(other)))),
        };
        Ok(e)
    }

    /// The type of the values this encoding decodes to (`None`: an index column).
    pub(super) fn elem(self) -> Option<Elem> {
        match self {
            Enc::Bit => Some(Elem::Bool),
            Enc::Int { elem, .. } | Enc::Real { elem, .. } => Some(elem),
            Enc::Real16 { .. } | Enc::Trunc { .. } | Enc::Quant { .. } => Some(Elem::F32),
            Enc::Index { .. } => None,
        }
    }

    /// Bytes of a page of `n` elements.
    pub(super) fn page_bytes(self, n: u64) -> Option<u64> {
        let bits: u64 = match self {
            Enc::Bit => 1,
            Enc::Trunc { bits } | Enc::Quant { bits, .. } => u64::from(bits),
            Enc::Real16 { .. } => 16,
            Enc::Index { wide, .. } => {
                if wide {
                    64
                } else {
                    32
                }
            }
            Enc::Int { elem, .. } | Enc::Real { elem, .. } => 8 * elem.size() as u64,
        };
        n.checked_mul(bits).map(|b| b.div_ceil(8))
    }
}

pub(super) fn col_type_name(t: ColType) -> String {
    const NAMES: [&str; 30] = [
        "Bit",
        "Byte",
        "Char",
        "Int8",
        "UInt8",
        "Int16",
        "UInt16",
        "Int32",
        "UInt32",
        "Int64",
        "UInt64",
        "Real16",
        "Real32",
        "Real64",
        "Index32",
        "Index64",
        "Switch",
        "SplitInt16",
        "SplitUInt16",
        "SplitInt32",
        "SplitUInt32",
        "SplitInt64",
        "SplitUInt64",
        "SplitReal16",
        "SplitReal32",
        "SplitReal64",
        "SplitIndex32",
        "SplitIndex64",
        "Real32Trunc",
        "Real32Quant",
    ];
    NAMES
        .get(usize::from(t.0))
        .map_or_else(|| format!("unknown ({:#x})", t.0), |s| (*s).to_string())
}

/// Calls `f` with elements `r` of `n` little-endian `W`-byte elements, split (byte `k` of
/// every element in plane `k`) or not, in order. The caller checked `page.len() == n * W`
/// and `r.end <= n`.
#[inline(always)]
fn each<const W: usize>(
    page: &[u8],
    n: usize,
    split: bool,
    r: Range<usize>,
    mut f: impl FnMut([u8; W]),
) {
    if !split || W == 1 {
        let bytes = page.get(r.start * W..r.end * W).unwrap_or_default();
        for c in bytes.chunks_exact(W) {
            if let Ok(a) = <[u8; W]>::try_from(c) {
                f(a);
            }
        }
        return;
    }
    let len = r.end - r.start;
    let planes: [&[u8]; W] =
        std::array::from_fn(|k| page.get(k * n + r.start..k * n + r.end).unwrap_or_default());
    if planes.iter().any(|p| p.len() != len) {
        return;
    }
    for j in 0..len {
        let mut a = [0u8; W];
        for (b, p) in a.iter_mut().zip(&planes) {
            // Every plane holds `len` bytes (checked above).
            *b = p.get(j).copied().unwrap_or(0);
        }
        f(a);
    }
}

macro_rules! uints {
    ($v:expr, $page:expr, $n:expr, $r:expr, $split:expr, $t:ty) => {{
        const W: usize = std::mem::size_of::<$t>();
        $v.reserve($r.len());
        each::<W>($page, $n, $split, $r, |a| $v.push(<$t>::from_le_bytes(a)))
    }};
}

macro_rules! ints {
    ($v:expr, $page:expr, $n:expr, $r:expr, $split:expr, $zigzag:expr, $t:ty, $u:ty) => {{
        const W: usize = std::mem::size_of::<$t>();
        $v.reserve($r.len());
        if $zigzag {
            each::<W>($page, $n, $split, $r, |a| {
                let u = <$u>::from_le_bytes(a);
                $v.push(((u >> 1) as $t) ^ (-((u & 1) as $t)))
            })
        } else {
            each::<W>($page, $n, $split, $r, |a| $v.push(<$t>::from_le_bytes(a)))
        }
    }};
}

/// Appends elements `r` of a page of `n` elements to `out` (whose type is `enc.elem()`).
pub(super) fn decode(
    enc: Enc,
    page: &[u8],
    n: usize,
    r: Range<usize>,
    out: &mut ColumnData,
) -> Res<()> {
    check_size(enc, page, n)?;
    if r.start > r.end || r.end > n {
        return Err(Bad(format!(
            "internal: elements {}..{} of a page of {n}",
            r.start, r.end
        )));
    }
    match (enc, out) {
        (Enc::Bit, ColumnData::Bool(v)) => {
            v.extend(r.map(|i| page.get(i / 8).is_some_and(|b| b >> (i % 8) & 1 != 0)))
        }
        (Enc::Int { split, zigzag, .. }, ColumnData::I8(v)) => {
            ints!(v, page, n, r, split, zigzag, i8, u8)
        }
        (Enc::Int { .. }, ColumnData::U8(v)) => {
            v.extend(r.map(|i| page.get(i).copied().unwrap_or(0)))
        }
        (Enc::Int { split, zigzag, .. }, ColumnData::I16(v)) => {
            ints!(v, page, n, r, split, zigzag, i16, u16)
        }
        (Enc::Int { split, .. }, ColumnData::U16(v)) => uints!(v, page, n, r, split, u16),
        (Enc::Int { split, zigzag, .. }, ColumnData::I32(v)) => {
            ints!(v, page, n, r, split, zigzag, i32, u32)
        }
        (Enc::Int { split, .. }, ColumnData::U32(v)) => uints!(v, page, n, r, split, u32),
        (Enc::Int { split, zigzag, .. }, ColumnData::I64(v)) => {
            ints!(v, page, n, r, split, zigzag, i64, u64)
        }
        (Enc::Int { split, .. }, ColumnData::U64(v)) => uints!(v, page, n, r, split, u64),
        (Enc::Real { split, .. }, ColumnData::F32(v)) => {
            v.reserve(r.len());
            each::<4>(page, n, split, r, |a| v.push(f32::from_le_bytes(a)))
        }
        (Enc::Real { split, .. }, ColumnData::F64(v)) => {
            v.reserve(r.len());
            each::<8>(page, n, split, r, |a| v.push(f64::from_le_bytes(a)))
        }
        (Enc::Real16 { split }, ColumnData::F32(v)) => {
            v.reserve(r.len());
            each::<2>(page, n, split, r, |a| {
                v.push(half_to_f32(u16::from_le_bytes(a)))
            })
        }
        (Enc::Trunc { bits }, ColumnData::F32(v)) => {
            v.extend(r.map(|i| f32::from_bits(packed(page, bits, i) << (32 - bits))))
        }
        // As ROOT unquantizes (`UnquantizeReals`): `q * scale + min` in double, then the
        // field's type, so a `double` field keeps the double (read into F64 directly).
        (Enc::Quant { bits, min, max }, ColumnData::F32(v)) => {
            let scale = (max - min) / ((1u64 << bits) - 1) as f64;
            v.extend(r.map(|i| (f64::from(packed(page, bits, i)) * scale + min) as f32))
        }
        (Enc::Quant { bits, min, max }, ColumnData::F64(v)) => {
            let scale = (max - min) / ((1u64 << bits) - 1) as f64;
            v.extend(r.map(|i| f64::from(packed(page, bits, i)) * scale + min))
        }
        _ => return Err(Bad::new("internal: column decoded into the wrong type")),
    }
    Ok(())
}

fn check_size(enc: Enc, page: &[u8], n: usize) -> Res<()> {
    let want = enc.page_bytes(n as u64);
    if want != Some(page.len() as u64) {
        return Err(Bad(format!(
            "page of {n} elements has {} bytes, expected {}",
            page.len(),
            want.map_or_else(|| "an impossible number of".to_string(), |w| w.to_string())
        )));
    }
    Ok(())
}

/// Element `i` of `bits`-bit values packed from the least significant bit up.
fn packed(page: &[u8], bits: u32, i: usize) -> u32 {
    let start = i as u64 * u64::from(bits);
    let byte = (start / 8) as usize;
    let mut w = [0u8; 8];
    for (k, b) in w.iter_mut().enumerate() {
        *b = page.get(byte + k).copied().unwrap_or(0);
    }
    let word = u64::from_le_bytes(w) >> (start % 8);
    (word & ((1u64 << bits) - 1)) as u32
}

/// IEEE-754 binary16 to binary32 (exact).
fn half_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from(h >> 10) & 0x1f;
    let man = u32::from(h) & 0x3ff;
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, m) => {
            // Subnormal: normalize the mantissa.
            let shift = m.leading_zeros() - 21;
            sign | ((127 - 15 + 1 - shift) << 23) | (((m << shift) & 0x3ff) << 13)
        }
        (0x1f, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 127 - 15) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

/// An index page's values (cluster-relative collection ends), delta encoding undone.
pub(super) fn index(enc: Enc, page: &[u8], n: usize) -> Res<Vec<u64>> {
    check_size(enc, page, n)?;
    let Enc::Index { wide, split } = enc else {
        return Err(Bad::new("internal: not an index column"));
    };
    let mut v: Vec<u64> = Vec::with_capacity(n);
    if wide {
        each::<8>(page, n, split, 0..n, |a| v.push(u64::from_le_bytes(a)));
    } else {
        each::<4>(page, n, split, 0..n, |a| {
            v.push(u64::from(u32::from_le_bytes(a)))
        });
    }
    if split {
        let mut acc = 0u64;
        for x in &mut v {
            acc = acc.wrapping_add(*x);
            *x = acc;
        }
    }
    Ok(v)
}

/// Values of `data` as type `to`: widening or narrowing integers (a value that does not fit
/// is an error, never a wrapped number), `float` to `double` and back, booleans from bits.
pub(super) fn convert(data: ColumnData, to: Elem) -> Result<ColumnData, String> {
    use ColumnData as D;
    macro_rules! ints {
        ($v:expr) => {{
            let v: Vec<i128> = $v.into_iter().map(|x| x as i128).collect();
            let bad = |x: i128| format!("value {x} does not fit the field's type");
            macro_rules! to {
                ($t:ty, $var:ident) => {
                    D::$var(
                        v.into_iter()
                            .map(|x| <$t>::try_from(x).map_err(|_| bad(x)))
                            .collect::<Result<_, _>>()?,
                    )
                };
            }
            match to {
                Elem::Bool => D::Bool(v.into_iter().map(|x| x != 0).collect()),
                Elem::I8 => to!(i8, I8),
                Elem::U8 => to!(u8, U8),
                Elem::I16 => to!(i16, I16),
                Elem::U16 => to!(u16, U16),
                Elem::I32 => to!(i32, I32),
                Elem::U32 => to!(u32, U32),
                Elem::I64 => to!(i64, I64),
                Elem::U64 => to!(u64, U64),
                Elem::F32 | Elem::F64 => return Err("integers read as a real".into()),
            }
        }};
    }
    Ok(match data {
        D::F32(v) if to == Elem::F64 => D::F64(v.into_iter().map(f64::from).collect()),
        D::F64(v) if to == Elem::F32 => D::F32(v.into_iter().map(|x| x as f32).collect()),
        d @ (D::F32(_) | D::F64(_)) => {
            if to == Elem::F32 || to == Elem::F64 {
                d
            } else {
                return Err("reals read as an integer".into());
            }
        }
        D::Bool(v) => ints!(v.into_iter().map(i128::from).collect::<Vec<_>>()),
        D::I8(v) => ints!(v),
        D::U8(v) => ints!(v),
        D::I16(v) => ints!(v),
        D::U16(v) => ints!(v),
        D::I32(v) => ints!(v),
        D::U32(v) => ints!(v),
        D::I64(v) => ints!(v),
        D::U64(v) => ints!(v),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_zigzag_and_delta_are_undone() {
        // -1, 2, -3 zigzag: 1, 4, 5; split over 2 bytes: low bytes then high bytes.
        let page = [1u8, 4, 5, 0, 0, 0];
        let mut out = ColumnData::I16(Vec::new());
        let enc = Enc::Int {
            elem: Elem::I16,
            split: true,
            zigzag: true,
        };
        decode(enc, &page, 3, 1..3, &mut out).unwrap();
        assert_eq!(out, ColumnData::I16(vec![2, -3]));
        // Deltas 3, 0, 2 of offsets 3, 3, 5, split 4 bytes.
        let page = [3u8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let enc = Enc::Index {
            wide: false,
            split: true,
        };
        assert_eq!(index(enc, &page, 3).unwrap(), vec![3, 3, 5]);
        assert!(index(enc, &page[..11], 3).is_err());
    }

    #[test]
    fn bits_halves_and_truncated_reals() {
        let mut out = ColumnData::Bool(Vec::new());
        decode(Enc::Bit, &[0b1010_0101, 0b1], 9, 0..9, &mut out).unwrap();
        assert_eq!(
            out,
            ColumnData::Bool(vec![
                true, false, true, false, false, true, false, true, true
            ])
        );
        assert_eq!(half_to_f32(0x3c00), 1.0);
        assert_eq!(half_to_f32(0xc000), -2.0);
        assert_eq!(half_to_f32(0x0001), 2f32.powi(-24));
        assert!(half_to_f32(0x7e00).is_nan());
        // Two 12-bit values: the top 12 bits of 1.5 (0x3fc) and of -2 (0xc00).
        let (a, b) = (0x3fc_u32, 0xc00_u32);
        let w = a | b << 12;
        let page = w.to_le_bytes()[..3].to_vec();
        let mut out = ColumnData::F32(Vec::new());
        decode(Enc::Trunc { bits: 12 }, &page, 2, 0..2, &mut out).unwrap();
        assert_eq!(out, ColumnData::F32(vec![1.5, -2.0]));
    }

    #[test]
    fn quantized_reals_as_root_unquantizes_them() {
        // 3-bit values 0, 7, 3 packed from the low bit: 0b011_111_000.
        let page = 0b0_1111_1000u16.to_le_bytes();
        let enc = Enc::Quant {
            bits: 3,
            min: 0.5,
            max: 1.5,
        };
        let mut out = ColumnData::F32(Vec::new());
        decode(enc, &page, 3, 0..3, &mut out).unwrap();
        let scale = 1.0f64 / 7.0;
        let want = [0.5f64, 7.0 * scale + 0.5, 3.0 * scale + 0.5];
        assert_eq!(
            out,
            ColumnData::F32(want.iter().map(|&x| x as f32).collect())
        );
        let mut out = ColumnData::F64(Vec::new());
        decode(enc, &page, 3, 0..3, &mut out).unwrap();
        assert_eq!(out, ColumnData::F64(want.to_vec()));
    }

    #[test]
    fn conversion_refuses_what_does_not_fit() {
        assert_eq!(
            convert(ColumnData::I64(vec![1, -2]), Elem::I32),
            Ok(ColumnData::I32(vec![1, -2]))
        );
        assert!(convert(ColumnData::I64(vec![1 << 40]), Elem::I32).is_err());
        assert!(convert(ColumnData::F32(vec![1.0]), Elem::I32).is_err());
    }
}
