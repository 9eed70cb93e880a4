//! Constant folding: operators whose operands are all constants become constants.
//!
//! Input: a valid graph. Output: the graph rebuilt through the hash-consing builder, so that
//! values that became equal by folding are shared too. Folding uses the same Rust `f64`/`i64`
//! operations the engines use (graph.rs), so a folded constant is bit-identical to what an
//! engine would have computed. Only event-shaped nodes are folded (constants are per event).

use super::rebuild;
use crate::graph::*;
use crate::lower::Builder;

pub fn fold_constants(graph: Graph) -> Graph {
    rebuild(graph, |b, kind, ty, shape| {
        let folded = if shape == Shape::Event {
            fold(b, &kind, ty)
        } else {
            None
        };
        match folded {
            Some(lit) => b.konst(lit),
            None => b.add(kind, ty, shape),
        }
    })
}

fn konst(b: &Builder, id: NodeId) -> Option<&Literal> {
    match &b.node(id).kind {
        NodeKind::Const(l) => Some(l),
        _ => None,
    }
}

fn fold(b: &Builder, kind: &NodeKind, ty: Type) -> Option<Literal> {
    use Literal::*;
    match kind {
        NodeKind::Unary { op, arg } => {
            let a = konst(b, *arg)?;
            Some(match (op, a) {
                (UnaryOp::Neg, Int(x)) => Int(x.wrapping_neg()),
                (UnaryOp::Neg, Float(x)) => Float(-x),
                (UnaryOp::Not, Bool(x)) => Bool(!x),
                (UnaryOp::Abs, Int(x)) => Int(x.wrapping_abs()),
                (UnaryOp::Abs, Float(x)) => Float(x.abs()),
                (UnaryOp::Sqrt, Float(x)) => Float(x.sqrt()),
                (UnaryOp::Exp, Float(x)) => Float(x.exp()),
                (UnaryOp::Log, Float(x)) => Float(x.ln()),
                (UnaryOp::Log10, Float(x)) => Float(x.log10()),
                (UnaryOp::Sin, Float(x)) => Float(crate::math::sin(*x)),
                (UnaryOp::Cos, Float(x)) => Float(crate::math::cos(*x)),
                (UnaryOp::Floor, Float(x)) => Float(x.floor()),
                (UnaryOp::Ceil, Float(x)) => Float(x.ceil()),
                (UnaryOp::IsNan, Float(x)) => Bool(x.is_nan()),
                _ => return None,
            })
        }
        NodeKind::Binary { op, lhs, rhs } => {
            let (l, r) = (konst(b, *lhs)?, konst(b, *rhs)?);
            Some(match (l, r) {
                (Int(x), Int(y)) => {
                    let (x, y) = (*x, *y);
                    match op {
                        BinaryOp::Add => Int(x.wrapping_add(y)),
                        BinaryOp::Sub => Int(x.wrapping_sub(y)),
                        BinaryOp::Mul => Int(x.wrapping_mul(y)),
                        BinaryOp::Min => Int(x.min(y)),
                        BinaryOp::Max => Int(x.max(y)),
                        BinaryOp::Eq => Bool(x == y),
                        BinaryOp::Ne => Bool(x != y),
                        BinaryOp::Lt => Bool(x < y),
                        BinaryOp::Le => Bool(x <= y),
                        BinaryOp::Gt => Bool(x > y),
                        BinaryOp::Ge => Bool(x >= y),
                        _ => return None,
                    }
                }
                (Float(x), Float(y)) => {
                    let (x, y) = (*x, *y);
                    match op {
                        BinaryOp::Add => Float(x + y),
                        BinaryOp::Sub => Float(x - y),
                        BinaryOp::Mul => Float(x * y),
                        BinaryOp::Div => Float(x / y),
                        BinaryOp::Mod => Float(x - y * (x / y).floor()),
                        BinaryOp::Pow => Float(x.powf(y)),
                        BinaryOp::Atan2 => Float(x.atan2(y)),
                        BinaryOp::Eq => Bool(x == y),
                        BinaryOp::Ne => Bool(x != y),
                        BinaryOp::Lt => Bool(x < y),
                        BinaryOp::Le => Bool(x <= y),
                        BinaryOp::Gt => Bool(x > y),
                        BinaryOp::Ge => Bool(x >= y),
                        // Min/Max have cranelift's NaN and signed-zero rules: left to engines.
                        _ => return None,
                    }
                }
                (Bool(x), Bool(y)) => match op {
                    BinaryOp::And => Bool(*x && *y),
                    BinaryOp::Or => Bool(*x || *y),
                    BinaryOp::Eq => Bool(x == y),
                    BinaryOp::Ne => Bool(x != y),
                    _ => return None,
                },
                _ => return None,
            })
        }
        NodeKind::Cast { arg } => {
            let a = konst(b, *arg)?;
            Some(match (ty, a) {
                (Type::Scalar(ScalarType::Float), Int(x)) => Float(*x as f64),
                (Type::Scalar(ScalarType::Float), Bool(x)) => Float(if *x { 1.0 } else { 0.0 }),
                (Type::Scalar(ScalarType::Int), Bool(x)) => Int(i64::from(*x)),
                (Type::Scalar(ScalarType::Int), Float(x)) => Int(*x as i64),
                _ => return None,
            })
        }
        NodeKind::Select { cond, then, else_ } => {
            let c = konst(b, *cond)?;
            let (t, e) = (konst(b, *then)?, konst(b, *else_)?);
            match c {
                Bool(true) => Some(t.clone()),
                Bool(false) => Some(e.clone()),
                _ => None,
            }
        }
        _ => None,
    }
}
