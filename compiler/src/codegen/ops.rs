//! Scalar operations → CLIF: unary and binary operators, casts, and calls of the math
//! functions both engines share (`math.rs`, std), one `sin_cos` call for a sine and cosine
//! of one angle.
//!
//! Input: an operator and its operands' values. Output: the result's value. Invariant: the
//! same operations in the same order as the interpreter (no fused multiply-add, `a % b` as
//! `a - b * floor(a / b)`), so that both engines give the same bits.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{InstBuilder, Value};

use super::CodegenError;
use super::translate::{F64, I64, Translator, internal, unsupported};
use crate::graph::{BinaryOp, NodeId, ScalarType, UnaryOp};

impl Translator<'_, '_> {
    pub(crate) fn unary(
        &mut self,
        id: NodeId,
        op: UnaryOp,
        x: Value,
    ) -> Result<Value, CodegenError> {
        let float = self.b.func.dfg.value_type(x) == F64;
        let shim = |name| -> Option<&'static str> { Some(name) };
        let name = match op {
            UnaryOp::Neg if float => return Ok(self.b.ins().fneg(x)),
            UnaryOp::Neg => return Ok(self.b.ins().ineg(x)),
            UnaryOp::Not => return Ok(self.b.ins().bxor_imm_s(x, 1)),
            UnaryOp::Abs if float => return Ok(self.b.ins().fabs(x)),
            UnaryOp::Abs => return Ok(self.b.ins().iabs(x)),
            _ if !float => return Err(unsupported(id, &format!("{op:?} of a non-float"))),
            UnaryOp::Sqrt => return Ok(self.b.ins().sqrt(x)),
            UnaryOp::Floor => return Ok(self.b.ins().floor(x)),
            UnaryOp::Ceil => return Ok(self.b.ins().ceil(x)),
            UnaryOp::IsNan => return Ok(self.b.ins().fcmp(FloatCC::Unordered, x, x)),
            UnaryOp::Exp => shim("ana_exp"),
            UnaryOp::Log => shim("ana_ln"),
            UnaryOp::Log10 => shim("ana_log10"),
            UnaryOp::Sin | UnaryOp::Cos => {
                return Err(internal("sin and cos of a float go through sin_cos"));
            }
            UnaryOp::Tan => shim("ana_tan"),
            UnaryOp::Asin => shim("ana_asin"),
            UnaryOp::Acos => shim("ana_acos"),
            UnaryOp::Atan => shim("ana_atan"),
            UnaryOp::Sinh => shim("ana_sinh"),
            UnaryOp::Cosh => shim("ana_cosh"),
            UnaryOp::Tanh => shim("ana_tanh"),
            UnaryOp::Asinh => shim("ana_asinh"),
        };
        let name = name.ok_or_else(|| internal("no shim"))?;
        self.call_f64(name, &[x])
    }

    /// sin and cos of `arg` from one call; the second of the two (a four-vector's px and
    /// py) reuses the first's when it is emitted in the same block, which the first dominates.
    pub(crate) fn sin_cos(&mut self, arg: NodeId) -> Result<(Value, Value), CodegenError> {
        let block = self.b.current_block();
        if let Some(&(s, c)) = block.and_then(|b| self.sin_cos.get(&(arg, b))) {
            return Ok((s, c));
        }
        let x = self.val(arg)?;
        let f = self.import("ana_sincos", &[F64], &[F64, F64])?;
        let call = self.b.ins().call(f, &[x]);
        let (s, c) = match self.b.inst_results(call) {
            &[s, c] => (s, c),
            _ => return Err(internal("ana_sincos returns two values")),
        };
        if let Some(b) = block {
            self.sin_cos.insert((arg, b), (s, c));
        }
        Ok((s, c))
    }

    pub(crate) fn binary(
        &mut self,
        id: NodeId,
        op: BinaryOp,
        operand: ScalarType,
        x: Value,
        y: Value,
    ) -> Result<Value, CodegenError> {
        let float = operand == ScalarType::Float;
        let ins = self.b.ins();
        Ok(match op {
            BinaryOp::Add if float => ins.fadd(x, y),
            BinaryOp::Add => ins.iadd(x, y),
            BinaryOp::Sub if float => ins.fsub(x, y),
            BinaryOp::Sub => ins.isub(x, y),
            BinaryOp::Mul if float => ins.fmul(x, y),
            BinaryOp::Mul => ins.imul(x, y),
            BinaryOp::Min if float => ins.fmin(x, y),
            BinaryOp::Min => ins.smin(x, y),
            BinaryOp::Max if float => ins.fmax(x, y),
            BinaryOp::Max => ins.smax(x, y),
            BinaryOp::And => ins.band(x, y),
            BinaryOp::Or => ins.bor(x, y),
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
                if float =>
            {
                let cc = match op {
                    BinaryOp::Eq => FloatCC::Equal,
                    BinaryOp::Ne => FloatCC::NotEqual,
                    BinaryOp::Lt => FloatCC::LessThan,
                    BinaryOp::Le => FloatCC::LessThanOrEqual,
                    BinaryOp::Gt => FloatCC::GreaterThan,
                    _ => FloatCC::GreaterThanOrEqual,
                };
                ins.fcmp(cc, x, y)
            }
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => {
                let cc = match op {
                    BinaryOp::Eq => IntCC::Equal,
                    BinaryOp::Ne => IntCC::NotEqual,
                    BinaryOp::Lt => IntCC::SignedLessThan,
                    BinaryOp::Le => IntCC::SignedLessThanOrEqual,
                    BinaryOp::Gt => IntCC::SignedGreaterThan,
                    _ => IntCC::SignedGreaterThanOrEqual,
                };
                ins.icmp(cc, x, y)
            }
            _ if !float => return Err(unsupported(id, &format!("{op:?} of non-floats"))),
            BinaryOp::Div => ins.fdiv(x, y),
            BinaryOp::Mod => {
                // a - b * floor(a / b), in this order (no fused multiply-add).
                let q = ins.fdiv(x, y);
                let f = self.b.ins().floor(q);
                let p = self.b.ins().fmul(y, f);
                self.b.ins().fsub(x, p)
            }
            BinaryOp::Pow => return self.call_f64("ana_powf", &[x, y]),
            BinaryOp::Atan2 => return self.call_f64("ana_atan2", &[x, y]),
        })
    }

    pub(crate) fn cast(
        &mut self,
        id: NodeId,
        from: ScalarType,
        to: ScalarType,
        x: Value,
    ) -> Result<Value, CodegenError> {
        use ScalarType::*;
        let ins = self.b.ins();
        Ok(match (from, to) {
            (a, b) if a == b => x,
            (Bool, Int) => ins.uextend(I64, x),
            (Bool, Float) => {
                let w = ins.uextend(I64, x);
                self.b.ins().fcvt_from_sint(F64, w)
            }
            (Int, Float) => ins.fcvt_from_sint(F64, x),
            (Float, Int) => ins.fcvt_to_sint_sat(I64, x),
            _ => return Err(unsupported(id, &format!("a cast from {from:?} to {to:?}"))),
        })
    }
}
