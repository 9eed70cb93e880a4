//! Built-in functions: math, reductions, picks, sorting, combinations, concatenation and
//! four-vector functions.
//!
//! Input: a call's name and argument expressions. Output: its [`Val`]. Reductions with a
//! predicate (`any(c, x => ...)`) inside another collection's brackets run over the cross
//! pairs of the outer elements with `c` and fold per outer element (`ReduceInner`).

use std::f64::consts::PI;
use std::rc::Rc;

use super::value::{Coll, CollKind, Obj, V4, Val, lift};
use super::{Lowerer, Scope};
use crate::ast::*;
use crate::diagnostics::did_you_mean;
use crate::graph::*;

const MATH1: [(&str, UnaryOp); 17] = [
    ("sqrt", UnaryOp::Sqrt),
    ("exp", UnaryOp::Exp),
    ("log", UnaryOp::Log),
    ("log10", UnaryOp::Log10),
    ("sin", UnaryOp::Sin),
    ("cos", UnaryOp::Cos),
    ("tan", UnaryOp::Tan),
    ("asin", UnaryOp::Asin),
    ("acos", UnaryOp::Acos),
    ("atan", UnaryOp::Atan),
    ("sinh", UnaryOp::Sinh),
    ("cosh", UnaryOp::Cosh),
    ("tanh", UnaryOp::Tanh),
    ("asinh", UnaryOp::Asinh),
    ("floor", UnaryOp::Floor),
    ("ceil", UnaryOp::Ceil),
    ("isnan", UnaryOp::IsNan),
];

const OTHERS: [&str; 24] = [
    "abs", "atan2", "pow", "min", "max", "count", "sum", "any", "all", "first", "last", "valid",
    "argmin", "argmax", "sort", "pairs", "triples", "concat", "deltaR", "deltaPhi", "mt", "branch",
    "int", "float",
];

pub fn is_function(name: &str) -> bool {
    MATH1.iter().any(|(n, _)| *n == name) || OTHERS.contains(&name)
}

impl Lowerer<'_> {
    fn arity(
        &mut self,
        func: &Ident,
        args: &[Expr],
        span: Span,
        ok: &[usize],
        usage: &str,
    ) -> bool {
        if ok.contains(&args.len()) {
            return true;
        }
        self.error(
            "ana::check::arity",
            span,
            format!(
                "`{}` takes {} arguments, not {}",
                func.name,
                ok.iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
                args.len()
            ),
            "wrong number of arguments",
            format!("usage: {usage}"),
        );
        false
    }

    fn coll_arg(&mut self, e: &Expr) -> Option<Rc<Coll>> {
        match self.expr(e) {
            Val::Coll(c) => Some(c),
            Val::Error => None,
            other => {
                let d = other.describe(&self.b);
                self.error(
                    "ana::check::not_a_collection",
                    e.span,
                    "a collection is needed here",
                    format!("this is {d}"),
                    "pass a collection: `Muon{pt, eta}`, `jets[pt > 30]`, `pairs(mu)`",
                );
                None
            }
        }
    }

    fn num_arg(&mut self, e: &Expr) -> Option<NodeId> {
        let v = self.expr(e);
        let n = self.num(&v, e.span)?;
        if self.b.scalar_type(n) == Some(ScalarType::Bool) {
            self.error(
                "ana::check::type",
                e.span,
                "a number is needed here",
                "a Bool",
                "convert with `if b then 1 else 0`",
            );
            return None;
        }
        Some(n)
    }

    #[expect(
        clippy::indexing_slicing,
        reason = "`args.len()` is checked by `arity` before any `args[i]`; `unify_nums` returns one node per value"
    )]
    pub(crate) fn call(&mut self, func: &Ident, args: &[Expr], span: Span) -> Val {
        let name = func.name.as_str();
        if let Some((_, op)) = MATH1.iter().find(|(n, _)| *n == name) {
            if !self.arity(func, args, span, &[1], &format!("{name}(x)")) {
                return Val::Error;
            }
            let Some(n) = self.num_arg(&args[0]) else {
                return Val::Error;
            };
            let n = self.b.cast(n, ScalarType::Float);
            return Val::Num(self.b.unary(*op, n));
        }
        match name {
            "abs" => {
                if !self.arity(func, args, span, &[1], "abs(x)") {
                    return Val::Error;
                }
                match self.num_arg(&args[0]) {
                    Some(n) => Val::Num(self.b.unary(UnaryOp::Abs, n)),
                    None => Val::Error,
                }
            }
            "int" | "float" => {
                if !self.arity(func, args, span, &[1], &format!("{name}(x)")) {
                    return Val::Error;
                }
                let v = self.expr(&args[0]);
                let Some(n) = self.num(&v, args[0].span) else {
                    return Val::Error;
                };
                let to = if name == "int" {
                    ScalarType::Int
                } else {
                    ScalarType::Float
                };
                Val::Num(self.b.cast(n, to))
            }
            "atan2" | "pow" => {
                if !self.arity(func, args, span, &[2], &format!("{name}(a, b)")) {
                    return Val::Error;
                }
                let (Some(a), Some(b)) = (self.num_arg(&args[0]), self.num_arg(&args[1])) else {
                    return Val::Error;
                };
                let Some((_, n)) = self.unify_nums(&[Val::Num(a), Val::Num(b)], span) else {
                    return Val::Error;
                };
                let a = self.b.cast(n[0], ScalarType::Float);
                let b = self.b.cast(n[1], ScalarType::Float);
                let op = if name == "pow" {
                    BinaryOp::Pow
                } else {
                    BinaryOp::Atan2
                };
                Val::Num(self.b.binary(op, a, b))
            }
            "min" | "max" => self.min_max(func, args, span),
            "count" | "sum" | "any" | "all" => self.reduction(func, args, span),
            "valid" => {
                if !self.arity(func, args, span, &[1], "valid(x)") {
                    return Val::Error;
                }
                let v = self.expr(&args[0]);
                self.valid_of(&v, args[0].span)
            }
            "first" | "last" => {
                if !self.arity(func, args, span, &[1], &format!("{name}(c)")) {
                    return Val::Error;
                }
                let Some(c) = self.coll_arg(&args[0]) else {
                    return Val::Error;
                };
                let op = if name == "first" {
                    PickOp::First
                } else {
                    PickOp::Last
                };
                let pick = self.b.add(
                    NodeKind::Pick { op, space: c.space },
                    Type::Scalar(ScalarType::Ref(c.space)),
                    Shape::Event,
                );
                Val::Obj(Obj {
                    coll: c,
                    index: Some(pick),
                })
            }
            "argmin" | "argmax" => {
                if !self.arity(
                    func,
                    args,
                    span,
                    &[2],
                    &format!("{name}(c, key) — key: `pt` or `x => abs(x.mass - 91.2)`"),
                ) {
                    return Val::Error;
                }
                let Some(c) = self.coll_arg(&args[0]) else {
                    return Val::Error;
                };
                let Some(key) = self.key(&c, &args[1]) else {
                    return Val::Error;
                };
                let op = if name == "argmin" {
                    PickOp::ArgMin { key }
                } else {
                    PickOp::ArgMax { key }
                };
                let pick = self.b.add(
                    NodeKind::Pick { op, space: c.space },
                    Type::Scalar(ScalarType::Ref(c.space)),
                    Shape::Event,
                );
                Val::Obj(Obj {
                    coll: c,
                    index: Some(pick),
                })
            }
            "sort" => {
                if !self.arity(
                    func,
                    args,
                    span,
                    &[2, 3],
                    "sort(c, key) or sort(c, key, desc)",
                ) {
                    return Val::Error;
                }
                let Some(c) = self.coll_arg(&args[0]) else {
                    return Val::Error;
                };
                let Some(key) = self.key(&c, &args[1]) else {
                    return Val::Error;
                };
                let descending = match args.get(2).map(|a| &a.kind) {
                    None => false,
                    Some(ExprKind::Name(n)) if n == "desc" => true,
                    Some(ExprKind::Name(n)) if n == "asc" => false,
                    Some(_) => {
                        return self.error(
                            "ana::check::sort_order",
                            args[2].span,
                            "the order of `sort` is `asc` or `desc`",
                            "not an order",
                            "write `sort(jets, pt, desc)`",
                        );
                    }
                };
                let space = self.b.space(NodeKind::Sort {
                    parent: c.space,
                    key,
                    descending,
                });
                let index = self.b.parent_index(space, 0, c.space);
                Val::Coll(Rc::new(Coll {
                    space,
                    what: c.what.clone(),
                    kind: CollKind::Derived { parent: c, index },
                }))
            }
            "pairs" | "triples" => {
                let usage = if name == "pairs" {
                    "pairs(c) or pairs(a, b)"
                } else {
                    "triples(c)"
                };
                let ok: &[usize] = if name == "pairs" { &[1, 2] } else { &[1] };
                if !self.arity(func, args, span, ok, usage) {
                    return Val::Error;
                }
                let mut colls = Vec::new();
                for a in args {
                    colls.push(self.coll_arg(a));
                }
                let Some(colls) = colls.into_iter().collect::<Option<Vec<_>>>() else {
                    return Val::Error;
                };
                let (space, members) = if colls.len() == 2 {
                    let space = self.b.space(NodeKind::Cartesian {
                        parents: [colls[0].space, colls[1].space],
                    });
                    let m0 = self.b.parent_index(space, 0, colls[0].space);
                    let m1 = self.b.parent_index(space, 1, colls[1].space);
                    (space, vec![(colls[0].clone(), m0), (colls[1].clone(), m1)])
                } else {
                    let k = if name == "pairs" { 2 } else { 3 };
                    let c = &colls[0];
                    let space = self.b.space(NodeKind::Combinations { parent: c.space, k });
                    let members = (0..k)
                        .map(|m| (c.clone(), self.b.parent_index(space, m, c.space)))
                        .collect();
                    (space, members)
                };
                let what = format!(
                    "{name} of {}",
                    colls
                        .iter()
                        .map(|c| c.what.as_str())
                        .collect::<Vec<_>>()
                        .join(" and ")
                );
                Val::Coll(Rc::new(Coll {
                    space,
                    what,
                    kind: CollKind::Combo { members },
                }))
            }
            "concat" => self.concat(func, args, span),
            "deltaR" | "deltaPhi" => {
                if !self.arity(
                    func,
                    args,
                    span,
                    &[2],
                    &format!("{name}(a, b) of two objects or four-vectors"),
                ) {
                    return Val::Error;
                }
                let (va, vb) = (self.expr(&args[0]), self.expr(&args[1]));
                let (Some(a), Some(b)) = (
                    self.vec4_of(&va, args[0].span),
                    self.vec4_of(&vb, args[1].span),
                ) else {
                    return Val::Error;
                };
                let Some((a, b)) = self.unify_vecs(a, b, span) else {
                    return Val::Error;
                };
                let (Some(phi1), Some(phi2)) =
                    (a.prop("phi", &mut self.b), b.prop("phi", &mut self.b))
                else {
                    return Val::Error;
                };
                let dphi = self.delta_phi(phi1, phi2);
                if name == "deltaPhi" {
                    return Val::Num(dphi);
                }
                let (Some(eta1), Some(eta2)) =
                    (a.prop("eta", &mut self.b), b.prop("eta", &mut self.b))
                else {
                    return Val::Error;
                };
                let deta = self.b.binary(BinaryOp::Sub, eta1, eta2);
                let s = super::value::sum_sq(&mut self.b, &[deta, dphi]);
                Val::Num(self.b.unary(UnaryOp::Sqrt, s))
            }
            "mt" => {
                if !self.arity(func, args, span, &[3], "mt(lepton, met_pt, met_phi)") {
                    return Val::Error;
                }
                let vl = self.expr(&args[0]);
                let Some(l) = self.vec4_of(&vl, args[0].span) else {
                    return Val::Error;
                };
                let (Some(met), Some(mphi)) = (self.num_arg(&args[1]), self.num_arg(&args[2]))
                else {
                    return Val::Error;
                };
                let (Some(pt), Some(phi)) = (l.prop("pt", &mut self.b), l.prop("phi", &mut self.b))
                else {
                    return Val::Error;
                };
                let Some((_, n)) = self.unify_nums(
                    &[Val::Num(pt), Val::Num(phi), Val::Num(met), Val::Num(mphi)],
                    span,
                ) else {
                    return Val::Error;
                };
                let met = self.b.cast(n[2], ScalarType::Float);
                let mphi = self.b.cast(n[3], ScalarType::Float);
                // mt = sqrt(2 pt met (1 - cos(dphi))), dphi wrapped as in deltaPhi.
                let dphi = self.delta_phi(n[1], mphi);
                let two = self.b.float(2.0);
                let one = self.b.float(1.0);
                let x = self.b.binary(BinaryOp::Mul, two, n[0]);
                let x = self.b.binary(BinaryOp::Mul, x, met);
                let c = self.b.unary(UnaryOp::Cos, dphi);
                let c = self.b.binary(BinaryOp::Sub, one, c);
                let x = self.b.binary(BinaryOp::Mul, x, c);
                Val::Num(self.b.unary(UnaryOp::Sqrt, x))
            }
            "branch" => {
                if !self.arity(
                    func,
                    args,
                    span,
                    &[1],
                    "branch(\"MET_pt\") or branch(param)",
                ) {
                    return Val::Error;
                }
                match self.expr(&args[0]) {
                    Val::Str(s) => self.flat_branch(&s, args[0].span),
                    Val::Error => Val::Error,
                    other => {
                        let d = other.describe(&self.b);
                        self.error(
                            "ana::check::type",
                            args[0].span,
                            "`branch` takes a branch name",
                            format!("this is {d}"),
                            "write `branch(\"MET_pt\")` or pass a string `param`",
                        )
                    }
                }
            }
            _ => {
                let all = MATH1.iter().map(|(n, _)| *n).chain(OTHERS.iter().copied());
                let help = match did_you_mean(name, all) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "functions: abs, sqrt, exp, log, sin, cos, atan2, min, max, count, sum, any, all, first, argmin, argmax, sort, pairs, triples, concat, deltaR, deltaPhi, mt, branch, ...".to_string(),
                };
                self.error(
                    "ana::check::unknown_function",
                    func.span,
                    format!("unknown function `{name}`"),
                    "not a function",
                    help,
                )
            }
        }
    }

    /// dphi = mod(phi1 - phi2 + pi, 2 pi) - pi, in [-pi, pi).
    fn delta_phi(&mut self, phi1: NodeId, phi2: NodeId) -> NodeId {
        let pi = self.b.float(PI);
        let two_pi = self.b.float(2.0 * PI);
        let d = self.b.binary(BinaryOp::Sub, phi1, phi2);
        let d = self.b.binary(BinaryOp::Add, d, pi);
        let d = self.b.binary(BinaryOp::Mod, d, two_pi);
        self.b.binary(BinaryOp::Sub, d, pi)
    }

    fn unify_vecs(&mut self, a: V4, b: V4, span: Span) -> Option<(V4, V4)> {
        let vals = [Val::Vec4(a), Val::Vec4(b)];
        let shape = self.common_shape(&vals, span)?;
        match (
            lift(&mut self.b, &vals[0], shape),
            lift(&mut self.b, &vals[1], shape),
        ) {
            (Some(Val::Vec4(a)), Some(Val::Vec4(b))) => Some((a, b)),
            _ => None,
        }
    }

    /// A sort or pick key per element of `c`: Int or Float.
    fn key(&mut self, c: &Rc<Coll>, e: &Expr) -> Option<NodeId> {
        let k = self.per_element(c, e)?;
        if self.b.scalar_type(k) == Some(ScalarType::Bool) {
            self.error(
                "ana::check::type",
                e.span,
                "a key must be a number",
                "a Bool",
                "use a number: `pt`, `x => abs(x.mass - 91.2)`",
            );
            return None;
        }
        Some(k)
    }

    #[expect(
        clippy::indexing_slicing,
        reason = "`args.len()` is checked by `arity` before any `args[i]`; `unify_nums` returns one node per value"
    )]
    fn min_max(&mut self, func: &Ident, args: &[Expr], span: Span) -> Val {
        let name = func.name.as_str();
        if !self.arity(
            func,
            args,
            span,
            &[1, 2],
            &format!("{name}(a, b), {name}(c.pt) or {name}(c, key)"),
        ) {
            return Val::Error;
        }
        let first = self.expr(&args[0]);
        let rop = if name == "min" {
            ReduceOp::Min
        } else {
            ReduceOp::Max
        };
        if let Val::Coll(c) = &first
            && args.len() == 2
        {
            return self.reduce_with(rop, c, &args[1], span);
        }
        let Some(a) = self.num(&first, args[0].span) else {
            return Val::Error;
        };
        if args.len() == 1 {
            return self.reduce_value(rop, a, args[0].span);
        }
        let Some(b) = self.num_arg(&args[1]) else {
            return Val::Error;
        };
        let Some((_, n)) = self.unify_nums(&[Val::Num(a), Val::Num(b)], span) else {
            return Val::Error;
        };
        let Some((a, b)) = self.same_type(n[0], n[1], span) else {
            return Val::Error;
        };
        let op = if name == "min" {
            BinaryOp::Min
        } else {
            BinaryOp::Max
        };
        Val::Num(self.b.binary(op, a, b))
    }

    #[expect(
        clippy::indexing_slicing,
        reason = "`args.len()` is checked by `arity` before any `args[i]`; `unify_nums` returns one node per value"
    )]
    fn reduction(&mut self, func: &Ident, args: &[Expr], span: Span) -> Val {
        let name = func.name.as_str();
        let usage = match name {
            "count" => "count(c) or count(c, pt > 20)",
            "sum" => "sum(c) (four-vectors), sum(c.pt) or sum(c, key)",
            _ => "any(c.pt > 20) or any(c, x => x.pt > 20)",
        };
        if !self.arity(func, args, span, &[1, 2], usage) {
            return Val::Error;
        }
        let op = match name {
            "count" => ReduceOp::Count,
            "sum" => ReduceOp::Sum,
            "any" => ReduceOp::Any,
            _ => ReduceOp::All,
        };
        let first = self.expr(&args[0]);
        if args.len() == 2 {
            let Val::Coll(c) = &first else {
                if matches!(first, Val::Error) {
                    return Val::Error;
                }
                let d = first.describe(&self.b);
                return self.error(
                    "ana::check::not_a_collection",
                    args[0].span,
                    format!("the first argument of `{name}(c, ...)` is a collection"),
                    format!("this is {d}"),
                    usage.to_string(),
                );
            };
            return self.reduce_with(op, c, &args[1], span);
        }
        match (&first, op) {
            (Val::Error, _) => Val::Error,
            (Val::Coll(c), ReduceOp::Count) => {
                Val::Num(
                    self.b
                        .reduce(ReduceOp::Count, c.space, None, ScalarType::Int),
                )
            }
            (Val::Coll(c), ReduceOp::Sum) => {
                let Some(v) = c.vec4(&mut self.b) else {
                    return self.error(
                        "ana::check::not_a_vector",
                        args[0].span,
                        format!(
                            "{} objects are not four-vectors, so they cannot be summed",
                            c.what
                        ),
                        "not four-vectors",
                        "sum a field (`sum(c.pt)`), or declare pt, eta, phi, mass",
                    );
                };
                let [px, py, pz, e] = v.cart(&mut self.b).map(|n| {
                    self.b
                        .reduce(ReduceOp::Sum, c.space, Some(n), ScalarType::Float)
                });
                Val::Vec4(V4::Cart { px, py, pz, e })
            }
            (Val::Coll(_), _) => self.error(
                "ana::check::type",
                args[0].span,
                format!("`{name}` of a collection needs a condition"),
                "a collection",
                format!("write `{name}(c, pt > 20)` or `{name}(c.pt > 20)`"),
            ),
            _ => {
                let Some(n) = self.num(&first, args[0].span) else {
                    return Val::Error;
                };
                if op == ReduceOp::Count {
                    if self.b.scalar_type(n) != Some(ScalarType::Bool) {
                        return self.error(
                            "ana::check::type",
                            args[0].span,
                            "`count` takes a collection or per-element Bools",
                            "a number",
                            "write `count(c)` or `count(c.pt > 20)`",
                        );
                    }
                    let i = self.b.cast(n, ScalarType::Int);
                    return self.reduce_value(ReduceOp::Sum, i, args[0].span);
                }
                self.reduce_value(op, n, args[0].span)
            }
        }
    }

    /// Folds a per-element value over its own space.
    fn reduce_value(&mut self, op: ReduceOp, n: NodeId, span: Span) -> Val {
        let Shape::Elem(space) = self.b.shape(n) else {
            return self.error(
                "ana::check::shape",
                span,
                "a reduction needs one value per element",
                "one value per event",
                "reduce a collection's field: `sum(jets.pt)`, `any(mu.pt > 20)`",
            );
        };
        let Some((n, ty)) = self.reduce_operand(op, n, span) else {
            return Val::Error;
        };
        Val::Num(self.b.reduce(op, space, Some(n), ty))
    }

    /// The operand and result type of a fold: Sum keeps Int (Bool counts as Int), Min/Max are
    /// Float, Any/All need Bools.
    fn reduce_operand(
        &mut self,
        op: ReduceOp,
        n: NodeId,
        span: Span,
    ) -> Option<(NodeId, ScalarType)> {
        let ty = self.b.scalar_type(n);
        let is_bool = ty == Some(ScalarType::Bool);
        match op {
            ReduceOp::Any | ReduceOp::All if !is_bool => {
                self.error(
                    "ana::check::type",
                    span,
                    "`any`/`all` need a condition",
                    "not a Bool",
                    "compare: `any(c.pt > 20)`",
                );
                None
            }
            ReduceOp::Any | ReduceOp::All => Some((n, ScalarType::Bool)),
            ReduceOp::Sum if is_bool || ty == Some(ScalarType::Int) => {
                Some((self.b.cast(n, ScalarType::Int), ScalarType::Int))
            }
            ReduceOp::Count | ReduceOp::Sum => {
                Some((self.b.cast(n, ScalarType::Float), ScalarType::Float))
            }
            ReduceOp::Min | ReduceOp::Max if is_bool => {
                self.error(
                    "ana::check::type",
                    span,
                    "`min`/`max` need numbers",
                    "a Bool",
                    "use `any`/`all` for Bools",
                );
                None
            }
            ReduceOp::Min | ReduceOp::Max => {
                Some((self.b.cast(n, ScalarType::Float), ScalarType::Float))
            }
        }
    }

    /// `any(c, pred)`, `sum(c, key)`, `count(c, pred)`: at event level a `Reduce` over `c`;
    /// inside another collection's scope, a `ReduceInner` over the cross pairs (outer, c).
    fn reduce_with(&mut self, op: ReduceOp, c: &Rc<Coll>, e: &Expr, span: Span) -> Val {
        let (binder, body) = match &e.kind {
            ExprKind::Lambda { param, body } => (Some(param), body.as_ref()),
            _ => (None, e),
        };
        // count(c, pred) is the sum of the predicate as 0/1.
        let (op, count) = if op == ReduceOp::Count {
            (ReduceOp::Sum, true)
        } else {
            (op, false)
        };
        let outer = self.scopes.last().map(|s| s.space);
        let (space, obj) = match outer {
            None => (
                c.space,
                Obj {
                    coll: c.clone(),
                    index: None,
                },
            ),
            Some(o) => {
                let space = self.b.space(NodeKind::Cartesian {
                    parents: [o, c.space],
                });
                let index = self.b.parent_index(space, 1, c.space);
                (
                    space,
                    Obj {
                        coll: c.clone(),
                        index: Some(index),
                    },
                )
            }
        };
        self.scopes.push(Scope {
            space,
            binder: binder.map(|b| (b.name.clone(), Val::Obj(obj.clone()))),
            implicit: if binder.is_some() { None } else { Some(obj) },
        });
        let v = self.expr(body);
        self.scopes.pop();
        let Some(n) = self.num(&v, body.span) else {
            return Val::Error;
        };
        if count && self.b.scalar_type(n) != Some(ScalarType::Bool) {
            return self.error(
                "ana::check::type",
                body.span,
                "`count(c, ...)` needs a condition",
                "not a Bool",
                "write `count(jets, pt > 30)`",
            );
        }
        let Some(Val::Num(n)) = lift(&mut self.b, &Val::Num(n), Shape::Elem(space)) else {
            return self.error(
                "ana::check::shape",
                body.span,
                format!("this is not one value per element of {}", c.what),
                "depends on other elements",
                "use the element's fields, per-event values, or reductions",
            );
        };
        let Some((n, ty)) = self.reduce_operand(op, n, span) else {
            return Val::Error;
        };
        Val::Num(match outer {
            None => self.b.reduce(op, space, Some(n), ty),
            Some(o) => self.b.add(
                NodeKind::ReduceInner {
                    op,
                    space,
                    value: Some(n),
                },
                Type::Scalar(ty),
                Shape::Elem(o),
            ),
        })
    }

    /// `concat(a, b)`: flavour 0 and 1; `concat(a, 11, b, 13)`: flavour 11 and 13.
    #[expect(
        clippy::indexing_slicing,
        reason = "`args.len()` is checked by `arity` before any `args[i]`; `unify_nums` returns one node per value"
    )]
    fn concat(&mut self, func: &Ident, args: &[Expr], span: Span) -> Val {
        if !self.arity(
            func,
            args,
            span,
            &[2, 4],
            "concat(a, b) or concat(a, tag_a, b, tag_b)",
        ) {
            return Val::Error;
        }
        let (ea, eb) = if args.len() == 2 {
            (&args[0], &args[1])
        } else {
            (&args[0], &args[2])
        };
        let a = self.coll_arg(ea);
        let b = self.coll_arg(eb);
        let mut tags = [0, 1];
        if args.len() == 4 {
            for (slot, e) in [(0, &args[1]), (1, &args[3])] {
                match e.kind {
                    ExprKind::Int(v) => tags[slot] = v,
                    ExprKind::Unary(UnOp::Neg, ref inner)
                        if matches!(inner.kind, ExprKind::Int(_)) =>
                    {
                        if let ExprKind::Int(v) = inner.kind {
                            tags[slot] = v.wrapping_neg();
                        }
                    }
                    _ => {
                        self.error(
                            "ana::check::concat_tag",
                            e.span,
                            "a concat tag must be an integer literal",
                            "not an integer",
                            "write `concat(electrons, 11, muons, 13)`",
                        );
                        return Val::Error;
                    }
                }
            }
        }
        let (Some(a), Some(b)) = (a, b) else {
            return Val::Error;
        };
        let mut fa = a.field_names();
        let mut fb = b.field_names();
        fa.sort();
        fb.sort();
        if fa != fb {
            let only_a: Vec<&str> = fa
                .iter()
                .filter(|f| !fb.contains(f))
                .map(String::as_str)
                .collect();
            let only_b: Vec<&str> = fb
                .iter()
                .filter(|f| !fa.contains(f))
                .map(String::as_str)
                .collect();
            return self.error(
                "ana::check::concat_fields",
                span,
                "concatenated collections must have the same fields",
                "different fields",
                format!(
                    "only in the first: [{}]; only in the second: [{}]",
                    only_a.join(", "),
                    only_b.join(", ")
                ),
            );
        }
        let space = self.b.space(NodeKind::Concat {
            parents: [a.space, b.space],
        });
        let ia = self.b.parent_index(space, 0, a.space);
        let ib = self.b.parent_index(space, 1, b.space);
        let t = self.b.konst(Literal::Bool(true));
        let t = self.b.broadcast(t, a.space);
        let first = self.b.gather(ia, t);
        let what = format!("{} and {}", a.what, b.what);
        Val::Coll(Rc::new(Coll {
            space,
            what,
            kind: CollKind::Concat {
                parts: [(a, ia), (b, ib)],
                first,
                tags,
            },
        }))
    }
}
