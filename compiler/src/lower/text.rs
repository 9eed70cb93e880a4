//! String values and the operators on missing values: `if c then "ee" else "mumu"`,
//! `s == "ee"`, `x ?? default`.
//!
//! Input: operands already lowered. Output: `Val::Text` (an interned id per event or
//! element) or numbers. Strings are only chosen, compared and written out: no arithmetic.

use super::Lowerer;
use super::value::{Val, lift};
use crate::ast::*;
use crate::graph::*;

impl Lowerer<'_> {
    /// `if c then s else t` with strings on both sides.
    pub(super) fn text_if(&mut self, c: &Val, t: &Val, f: &Val, spans: [Span; 3]) -> Val {
        let [cs, ts, fs] = spans;
        let Some(cn) = self.num(c, cs) else {
            return Val::Error;
        };
        if self.b.scalar_type(cn) != Some(ScalarType::Bool) {
            return self.error(
                "ana::check::type",
                cs,
                "the condition of `if` must be a Bool",
                "not a Bool",
                "compare it: `x > 0`",
            );
        }
        let (Some(tn), Some(fn_)) = (self.string_operand(t, ts), self.string_operand(f, fs)) else {
            return Val::Error;
        };
        let vals = [Val::Num(cn), Val::Num(tn), Val::Num(fn_)];
        match self.unify_nums(&vals, cs.to(fs)) {
            Some((_, n)) => match n[..] {
                [c, t, f] => Val::Text(self.b.select(c, t, f)),
                _ => Val::Error,
            },
            None => Val::Error,
        }
    }

    /// `a == b` / `a != b` of strings.
    pub(super) fn text_compare(&mut self, op: BinOp, l: &Val, r: &Val, spans: [Span; 2]) -> Val {
        let bop = match op {
            BinOp::Eq => BinaryOp::Eq,
            BinOp::Ne => BinaryOp::Ne,
            _ => {
                return self.error(
                    "ana::check::type",
                    spans[0].to(spans[1]),
                    "strings have no arithmetic or ordering",
                    "a string operand",
                    "compare strings for equality: `channel == \"ee\"`",
                );
            }
        };
        let (Some(a), Some(b)) = (
            self.string_operand(l, spans[0]),
            self.string_operand(r, spans[1]),
        ) else {
            return Val::Error;
        };
        match self.unify_nums(&[Val::Num(a), Val::Num(b)], spans[0].to(spans[1])) {
            Some((_, n)) => match n[..] {
                [a, b] => Val::Num(self.b.binary(bop, a, b)),
                _ => Val::Error,
            },
            None => Val::Error,
        }
    }

    /// A string operand's node, or an error saying a string was expected.
    fn string_operand(&mut self, v: &Val, span: Span) -> Option<NodeId> {
        if let Some(n) = self.text_value(v) {
            return Some(n);
        }
        if !matches!(v, Val::Error) {
            let d = v.describe(&self.b);
            self.error(
                "ana::check::type",
                span,
                "a string is mixed with another kind of value",
                format!("this is {d}"),
                "both sides must be strings: `if c then \"ee\" else \"mumu\"`",
            );
        }
        None
    }

    /// `x ?? d`: `x` where it is present, else `d` (`if valid(x) then x else d`).
    pub(super) fn coalesce(&mut self, x: &Val, d: &Val, spans: [Span; 2]) -> Val {
        let text = super::expr::is_string(x) || super::expr::is_string(d);
        let (xn, dn) = if text {
            (
                self.string_operand(x, spans[0]),
                self.string_operand(d, spans[1]),
            )
        } else {
            (self.num(x, spans[0]), self.num(d, spans[1]))
        };
        let (Some(xn), Some(dn)) = (xn, dn) else {
            return Val::Error;
        };
        let Some((xn, dn)) = self.same_type(xn, dn, spans[0].to(spans[1])) else {
            return Val::Error;
        };
        let Some((_, n)) = self.unify_nums(&[Val::Num(xn), Val::Num(dn)], spans[0].to(spans[1]))
        else {
            return Val::Error;
        };
        let [xn, dn] = n[..] else { return Val::Error };
        let out = match self.b.validity(xn) {
            None => xn,
            Some(v) => self.b.select(v, xn, dn),
        };
        if text { Val::Text(out) } else { Val::Num(out) }
    }

    /// `valid(x)`: true where `x` (a number, string or object) is present.
    pub(super) fn valid_of(&mut self, v: &Val, span: Span) -> Val {
        let node = match v {
            Val::Num(n) | Val::Text(n) => Some(*n),
            Val::Obj(o) => o.index,
            Val::Vec4(x) => Some(x.any()),
            Val::Error => return Val::Error,
            Val::Str(_) => None,
            Val::Coll(_) => {
                return self.error(
                    "ana::check::type",
                    span,
                    "`valid` takes a value, not a collection",
                    "a collection",
                    "a collection is never missing; test one of its objects: `valid(first(c))`",
                );
            }
        };
        let shape = match node {
            Some(n) => self.b.shape(n),
            None => Shape::Event,
        };
        let t = self.b.konst(Literal::Bool(true));
        let out = match node.and_then(|n| self.b.validity(n)) {
            Some(v) => v,
            None => match lift(&mut self.b, &Val::Num(t), shape) {
                Some(Val::Num(n)) => n,
                _ => t,
            },
        };
        Val::Num(out)
    }
}
