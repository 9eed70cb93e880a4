//! Value nodes over whole columns: arithmetic, casts, selects, gathers, broadcasts, folds
//! and picks, each one tight loop per node.
//!
//! Input: operand columns (same length for element-wise operations). Output: the node's
//! column. Invariant: the semantics are those written in `graph.rs`, to the bit: Float sums
//! are sequential from 0.0 in element order, Min/Max follow cranelift `fmin`/`fmax`.

use ana_compiler::abi::EngineError;
use ana_compiler::graph::{BinaryOp, Literal, PickOp, ReduceOp, ScalarType, UnaryOp};

use super::column::{Col, SpaceCol, graph_error};

pub fn constant(lit: &Literal, len: usize) -> Col {
    match lit {
        Literal::Bool(b) => Col::Bool(vec![*b; len]),
        Literal::Int(i) | Literal::Str(i) => Col::Int(vec![*i; len]),
        Literal::Float(x) => Col::Float(vec![*x; len]),
    }
}

/// `BinaryOp::Min` on floats: NaN if either is NaN, -0 below +0 (cranelift `fmin`).
pub fn fmin(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a < b {
        a
    } else if b < a {
        b
    } else if a.is_sign_negative() {
        a
    } else {
        b
    }
}

/// `BinaryOp::Max` on floats: NaN if either is NaN, +0 above -0 (cranelift `fmax`).
pub fn fmax(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a > b {
        a
    } else if b > a {
        b
    } else if a.is_sign_positive() {
        a
    } else {
        b
    }
}

fn map_f(v: &[f64], f: impl Fn(f64) -> f64) -> Col {
    Col::Float(v.iter().map(|&x| f(x)).collect())
}

pub fn unary(op: UnaryOp, arg: &Col) -> Result<Col, EngineError> {
    use UnaryOp::*;
    Ok(match (op, arg) {
        (Neg, Col::Int(v)) => Col::Int(v.iter().map(|x| x.wrapping_neg()).collect()),
        (Abs, Col::Int(v)) => Col::Int(v.iter().map(|x| x.wrapping_abs()).collect()),
        (Not, Col::Bool(v)) => Col::Bool(v.iter().map(|x| !x).collect()),
        (IsNan, Col::Float(v)) => Col::Bool(v.iter().map(|x| x.is_nan()).collect()),
        (Neg, Col::Float(v)) => map_f(v, |x| -x),
        (Abs, Col::Float(v)) => map_f(v, f64::abs),
        (Sqrt, Col::Float(v)) => map_f(v, f64::sqrt),
        (Exp, Col::Float(v)) => map_f(v, f64::exp),
        (Log, Col::Float(v)) => map_f(v, f64::ln),
        (Log10, Col::Float(v)) => map_f(v, f64::log10),
        (Sin, Col::Float(v)) => map_f(v, ana_compiler::math::sin),
        (Cos, Col::Float(v)) => map_f(v, ana_compiler::math::cos),
        (Tan, Col::Float(v)) => map_f(v, f64::tan),
        (Asin, Col::Float(v)) => map_f(v, f64::asin),
        (Acos, Col::Float(v)) => map_f(v, f64::acos),
        (Atan, Col::Float(v)) => map_f(v, f64::atan),
        (Sinh, Col::Float(v)) => map_f(v, ana_compiler::math::sinh),
        (Cosh, Col::Float(v)) => map_f(v, f64::cosh),
        (Tanh, Col::Float(v)) => map_f(v, f64::tanh),
        (Asinh, Col::Float(v)) => map_f(v, f64::asinh),
        (Floor, Col::Float(v)) => map_f(v, f64::floor),
        (Ceil, Col::Float(v)) => map_f(v, f64::ceil),
        (op, a) => return Err(graph_error(format!("{op:?} of {}", a.type_name()))),
    })
}

fn zip_f(a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64) -> Col {
    Col::Float(a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect())
}

fn zip_i(a: &[i64], b: &[i64], f: impl Fn(i64, i64) -> i64) -> Col {
    Col::Int(a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect())
}

fn cmp<T: Copy>(a: &[T], b: &[T], f: impl Fn(T, T) -> bool) -> Col {
    Col::Bool(a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect())
}

/// A comparison on any scalar column type (Bool orders false < true).
macro_rules! compare {
    ($op:expr, $a:expr, $b:expr) => {{
        use BinaryOp::*;
        match $op {
            Eq => cmp($a, $b, |x, y| x == y),
            Ne => cmp($a, $b, |x, y| x != y),
            Lt => cmp($a, $b, |x, y| x < y),
            Le => cmp($a, $b, |x, y| x <= y),
            Gt => cmp($a, $b, |x, y| x > y),
            Ge => cmp($a, $b, |x, y| x >= y),
            _ => unreachable!("compare! is only used for comparison operators"),
        }
    }};
}

pub fn binary(op: BinaryOp, lhs: &Col, rhs: &Col) -> Result<Col, EngineError> {
    use BinaryOp::*;
    if lhs.len() != rhs.len() {
        return Err(graph_error(format!(
            "{op:?} of columns of lengths {} and {}",
            lhs.len(),
            rhs.len()
        )));
    }
    let is_cmp = matches!(op, Eq | Ne | Lt | Le | Gt | Ge);
    Ok(match (lhs, rhs) {
        (Col::Float(a), Col::Float(b)) if is_cmp => compare!(op, a, b),
        (Col::Int(a), Col::Int(b)) if is_cmp => compare!(op, a, b),
        (Col::Bool(a), Col::Bool(b)) if is_cmp => compare!(op, a, b),
        (Col::Float(a), Col::Float(b)) => match op {
            Add => zip_f(a, b, |x, y| x + y),
            Sub => zip_f(a, b, |x, y| x - y),
            Mul => zip_f(a, b, |x, y| x * y),
            Div => zip_f(a, b, |x, y| x / y),
            Mod => zip_f(a, b, |x, y| x - y * (x / y).floor()),
            Pow => zip_f(a, b, f64::powf),
            Atan2 => zip_f(a, b, f64::atan2),
            Min => zip_f(a, b, fmin),
            Max => zip_f(a, b, fmax),
            _ => return Err(graph_error(format!("{op:?} of floats"))),
        },
        (Col::Int(a), Col::Int(b)) => match op {
            Add => zip_i(a, b, i64::wrapping_add),
            Sub => zip_i(a, b, i64::wrapping_sub),
            Mul => zip_i(a, b, i64::wrapping_mul),
            Min => zip_i(a, b, i64::min),
            Max => zip_i(a, b, i64::max),
            _ => return Err(graph_error(format!("{op:?} of ints"))),
        },
        (Col::Bool(a), Col::Bool(b)) => match op {
            And => cmp(a, b, |x, y| x & y),
            Or => cmp(a, b, |x, y| x | y),
            _ => return Err(graph_error(format!("{op:?} of bools"))),
        },
        (a, b) => {
            return Err(graph_error(format!(
                "{op:?} of {} and {}",
                a.type_name(),
                b.type_name()
            )));
        }
    })
}

pub fn select(cond: &Col, then: &Col, else_: &Col) -> Result<Col, EngineError> {
    let Col::Bool(c) = cond else {
        return Err(graph_error("select condition is not bool"));
    };
    if then.len() != c.len() || else_.len() != c.len() {
        return Err(graph_error("select operands of different lengths"));
    }
    fn pick<T: Copy>(c: &[bool], a: &[T], b: &[T]) -> Vec<T> {
        c.iter()
            .zip(a.iter().zip(b))
            .map(|(&c, (&x, &y))| if c { x } else { y })
            .collect()
    }
    Ok(match (then, else_) {
        (Col::Bool(a), Col::Bool(b)) => Col::Bool(pick(c, a, b)),
        (Col::Int(a), Col::Int(b)) => Col::Int(pick(c, a, b)),
        (Col::Float(a), Col::Float(b)) => Col::Float(pick(c, a, b)),
        (a, b) => {
            return Err(graph_error(format!(
                "select of {} and {}",
                a.type_name(),
                b.type_name()
            )));
        }
    })
}

/// `Cast` to `to`: Bool->Int/Float 0/1, Int->Float `as f64`, Float->Int `as i64` (truncate,
/// saturate, NaN -> 0); a cast to the same type is a copy.
pub fn cast(arg: &Col, to: ScalarType) -> Result<Col, EngineError> {
    Ok(match (arg, to) {
        (Col::Bool(v), ScalarType::Bool) => Col::Bool(v.clone()),
        (Col::Bool(v), ScalarType::Int) => Col::Int(v.iter().map(|&b| i64::from(b)).collect()),
        (Col::Bool(v), ScalarType::Float) => {
            Col::Float(v.iter().map(|&b| f64::from(u8::from(b))).collect())
        }
        (Col::Int(v), ScalarType::Int | ScalarType::Ref(_)) => Col::Int(v.clone()),
        (Col::Int(v), ScalarType::Float) => Col::Float(v.iter().map(|&x| x as f64).collect()),
        (Col::Float(v), ScalarType::Float) => Col::Float(v.clone()),
        (Col::Float(v), ScalarType::Int) => Col::Int(v.iter().map(|&x| x as i64).collect()),
        (a, t) => return Err(graph_error(format!("cast of {} to {t:?}", a.type_name()))),
    })
}

/// `value` at each reference of `index`; the missing value of `ty` for -1.
pub fn gather(index: &Col, value: &Col, ty: ScalarType) -> Result<Col, EngineError> {
    let Col::Int(idx) = index else {
        return Err(graph_error("gather index is not a reference"));
    };
    fn take<T: Copy>(idx: &[i64], v: &[T], missing: T) -> Result<Vec<T>, EngineError> {
        idx.iter()
            .map(|&i| {
                if i < 0 {
                    Ok(missing)
                } else {
                    v.get(i as usize)
                        .copied()
                        .ok_or_else(|| graph_error("gather index out of its space"))
                }
            })
            .collect()
    }
    Ok(match (value, ty) {
        (Col::Bool(v), _) => Col::Bool(take(idx, v, false)?),
        (Col::Int(v), ScalarType::Ref(_)) => Col::Int(take(idx, v, -1)?),
        (Col::Int(v), _) => Col::Int(take(idx, v, 0)?),
        (Col::Float(v), _) => Col::Float(take(idx, v, f64::NAN)?),
        (Col::Space(_), _) => return Err(graph_error("gather of a space")),
    })
}

/// An event value repeated for every element of `space`.
#[expect(
    clippy::indexing_slicing,
    reason = "one value per event of `space` (checked): `e < value.len()`"
)]
pub fn broadcast(value: &Col, space: &SpaceCol) -> Result<Col, EngineError> {
    if value.len() != space.n_events() {
        return Err(graph_error("broadcast of a value that is not per event"));
    }
    fn spread<T: Copy>(v: &[T], s: &SpaceCol) -> Vec<T> {
        let mut out = Vec::with_capacity(s.total());
        for (e, r) in s.events() {
            out.extend(std::iter::repeat_n(v[e], r.len()));
        }
        out
    }
    Ok(match value {
        Col::Bool(v) => Col::Bool(spread(v, space)),
        Col::Int(v) => Col::Int(spread(v, space)),
        Col::Float(v) => Col::Float(spread(v, space)),
        Col::Space(_) => return Err(graph_error("broadcast of a space")),
    })
}

/// Folds `value` over consecutive runs `runs` (element ranges), one result per run.
/// The callers check that `value` has one value per element and that the runs lie within.
#[expect(
    clippy::indexing_slicing,
    reason = "runs are element ranges of a space whose values `value` holds (callers check)"
)]
fn fold_runs(
    op: ReduceOp,
    value: Option<&Col>,
    runs: impl Iterator<Item = std::ops::Range<usize>>,
    n_runs: usize,
) -> Result<Col, EngineError> {
    Ok(match (op, value) {
        (ReduceOp::Count, _) => Col::Int(runs.map(|r| r.len() as i64).collect()),
        (ReduceOp::Sum, Some(Col::Float(v))) => {
            let mut out = Vec::with_capacity(n_runs);
            for r in runs {
                let mut acc = 0.0f64;
                for &x in &v[r] {
                    acc += x;
                }
                out.push(acc);
            }
            Col::Float(out)
        }
        (ReduceOp::Sum, Some(Col::Int(v))) => Col::Int(
            runs.map(|r| v[r].iter().fold(0i64, |a, &x| a.wrapping_add(x)))
                .collect(),
        ),
        (ReduceOp::Min | ReduceOp::Max, Some(Col::Float(v))) => {
            let f = if op == ReduceOp::Min { fmin } else { fmax };
            Col::Float(
                runs.map(|r| {
                    let s = &v[r];
                    match s.split_first() {
                        None => f64::NAN,
                        Some((&first, rest)) => rest.iter().fold(first, |a, &x| f(a, x)),
                    }
                })
                .collect(),
            )
        }
        (ReduceOp::Any, Some(Col::Bool(v))) => {
            Col::Bool(runs.map(|r| v[r].iter().any(|&b| b)).collect())
        }
        (ReduceOp::All, Some(Col::Bool(v))) => {
            Col::Bool(runs.map(|r| v[r].iter().all(|&b| b)).collect())
        }
        (op, v) => {
            return Err(graph_error(format!(
                "reduce {op:?} of {:?}",
                v.map(Col::type_name)
            )));
        }
    })
}

pub fn reduce(op: ReduceOp, space: &SpaceCol, value: Option<&Col>) -> Result<Col, EngineError> {
    if let Some(v) = value
        && v.len() != space.total()
    {
        return Err(graph_error("reduced value is not per element of its space"));
    }
    fold_runs(op, value, space.events().map(|(_, r)| r), space.n_events())
}

/// For each element i of `outer` (the first parent of the cartesian space `pairs`), fold
/// `value` over the pairs (i, j): a contiguous run of `|inner|` pairs, since `Cartesian`
/// orders pairs by i first.
#[expect(
    clippy::indexing_slicing,
    reason = "`e + 1 <= n_events` of `inner` and `outer`, both checked equal to `pairs`'s"
)]
pub fn reduce_inner(
    op: ReduceOp,
    pairs: &SpaceCol,
    outer: &SpaceCol,
    inner: &SpaceCol,
    value: Option<&Col>,
) -> Result<Col, EngineError> {
    if let Some(v) = value
        && v.len() != pairs.total()
    {
        return Err(graph_error("reduced value is not per element of its space"));
    }
    if outer.n_events() != pairs.n_events() || inner.n_events() != pairs.n_events() {
        return Err(graph_error("reduce_inner over spaces of different events"));
    }
    let sizes_match = pairs.events().all(|(e, r)| {
        let n_inner = inner.offsets[e + 1] - inner.offsets[e];
        let n_outer = outer.offsets[e + 1] - outer.offsets[e];
        r.len() == n_outer * n_inner
    });
    if !sizes_match {
        return Err(graph_error(
            "reduce_inner space is not the cartesian product of its parents",
        ));
    }
    let runs = pairs.events().flat_map(|(e, r)| {
        let n_inner = inner.offsets[e + 1] - inner.offsets[e];
        let n_outer = outer.offsets[e + 1] - outer.offsets[e];
        (0..n_outer).map(move |i| {
            let start = r.start + i * n_inner;
            start..start + n_inner
        })
    });
    fold_runs(op, value, runs, outer.total())
}

#[expect(
    clippy::indexing_slicing,
    reason = "`at` has one value per event and `key` one per element (both checked)"
)]
pub fn pick(
    op: &PickOp,
    space: &SpaceCol,
    arg: Option<&Col>,
    per: Option<&SpaceCol>,
) -> Result<Col, EngineError> {
    let n = space.n_events();
    let mut out = Vec::with_capacity(n);
    // The element at `k` of an event's list, or -1 outside 0..len (negative included).
    let at_in = |r: &std::ops::Range<usize>, k: i64| -> i64 {
        if (0..r.len() as i64).contains(&k) {
            r.start as i64 + k
        } else {
            -1
        }
    };
    match (op, arg, per) {
        (PickOp::First, _, _) => {
            out.extend(
                space
                    .events()
                    .map(|(_, r)| if r.is_empty() { -1 } else { r.start as i64 }),
            );
        }
        (PickOp::Last, _, _) => {
            out.extend(
                space
                    .events()
                    .map(|(_, r)| if r.is_empty() { -1 } else { r.end as i64 - 1 }),
            );
        }
        (PickOp::At { .. }, Some(Col::Int(at)), None) if at.len() == n => {
            for (e, r) in space.events() {
                out.push(at_in(&r, at[e]));
            }
        }
        (PickOp::At { .. }, Some(Col::Int(at)), Some(per))
            if at.len() == per.total() && per.n_events() == n =>
        {
            out.reserve(at.len());
            for ((_, r), (_, rows)) in space.events().zip(per.events()) {
                for i in rows {
                    out.push(at_in(&r, at[i]));
                }
            }
        }
        (PickOp::ArgMin { .. } | PickOp::ArgMax { .. }, Some(key), None)
            if key.len() == space.total() =>
        {
            let min = matches!(op, PickOp::ArgMin { .. });
            for (_, r) in space.events() {
                let mut best = -1i64;
                match key {
                    Col::Float(k) => {
                        let mut best_key = 0.0;
                        for i in r {
                            let x = k[i];
                            // NaN keys are skipped; ties keep the first element.
                            if !x.is_nan()
                                && (best < 0 || if min { x < best_key } else { x > best_key })
                            {
                                best = i as i64;
                                best_key = x;
                            }
                        }
                    }
                    Col::Int(k) => {
                        let mut best_key = 0;
                        for i in r {
                            let x = k[i];
                            if best < 0 || if min { x < best_key } else { x > best_key } {
                                best = i as i64;
                                best_key = x;
                            }
                        }
                    }
                    other => {
                        return Err(graph_error(format!(
                            "pick key of type {}",
                            other.type_name()
                        )));
                    }
                }
                out.push(best);
            }
        }
        (op, _, _) => {
            return Err(graph_error(format!(
                "pick {op:?} with a malformed argument"
            )));
        }
    }
    Ok(Col::Int(out))
}
