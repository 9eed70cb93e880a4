//! Expressions: names, operators, members, brackets, constructors.
//!
//! Input: an [`Expr`] and the scopes in force. Output: its [`Val`], with nodes in the graph,
//! or `Val::Error` after reporting why. Operands of one operator are brought to one shape
//! ([`Lowerer::unify_nums`]) and one type (Int op Int stays Int; any Float makes Float; `/`
//! is always Float).

use std::rc::Rc;

use super::value::{self, Obj, VECTOR_PROPS, Val, lift};
use super::{Lowerer, Scope, looks_like_branch};
use crate::ast::*;
use crate::diagnostics::did_you_mean;
use crate::graph::*;

impl Lowerer<'_> {
    pub(crate) fn expr(&mut self, e: &Expr) -> Val {
        match &e.kind {
            ExprKind::Int(v) => Val::Num(self.b.konst(Literal::Int(*v))),
            ExprKind::Float(v) => Val::Num(self.b.konst(Literal::Float(*v))),
            ExprKind::Bool(v) => Val::Num(self.b.konst(Literal::Bool(*v))),
            ExprKind::Str(s) => Val::Str(s.clone()),
            ExprKind::Name(n) => self.name(n, e.span),
            ExprKind::Unary(op, arg) => self.unary_op(*op, arg, e.span),
            ExprKind::Binary(op, l, r) => self.binary_op(*op, l, r, e.span),
            ExprKind::Call { func, args } => self.call(func, args, e.span),
            ExprKind::Lambda { .. } => self.error(
                "ana::check::lambda",
                e.span,
                "a function `x => ...` can only be an argument",
                "not an argument",
                "use it in `c[x => ...]`, `any(c, x => ...)`, `argmin(c, x => ...)`",
            ),
            ExprKind::Member { base, member } => self.member(base, member),
            ExprKind::Bracket { base, inner } => self.bracket(base, inner, e.span),
            ExprKind::Construct { prefix, fields } => self.construct(prefix, fields, e.span),
            ExprKind::List(_) => self.error(
                "ana::check::list",
                e.span,
                "a list can only be an axis argument",
                "a list",
                "write edges or categories in an axis: `Var([0, 10, 50])`",
            ),
            ExprKind::Named { name, .. } => self.error(
                "ana::check::named_arg",
                name.span,
                "named arguments are only for axes",
                "not an axis",
                "axes take `name = \"...\"`; functions take arguments by position",
            ),
            ExprKind::If { cond, then, else_ } => {
                let c = self.expr(cond);
                let t = self.expr(then);
                let f = self.expr(else_);
                if is_string(&t) || is_string(&f) {
                    return self.text_if(&c, &t, &f, [cond.span, then.span, else_.span]);
                }
                let (Some(c), Some(t), Some(f)) = (
                    self.num(&c, cond.span),
                    self.num(&t, then.span),
                    self.num(&f, else_.span),
                ) else {
                    return Val::Error;
                };
                if self.b.scalar_type(c) != Some(ScalarType::Bool) {
                    return self.error(
                        "ana::check::type",
                        cond.span,
                        "the condition of `if` must be a Bool",
                        "not a Bool",
                        "compare it: `x > 0`",
                    );
                }
                let Some((t, f)) = self.same_type(t, f, then.span.to(else_.span)) else {
                    return Val::Error;
                };
                match self.unify_nums(&[Val::Num(c), Val::Num(t), Val::Num(f)], e.span) {
                    Some((_, n)) => match n[..] {
                        [c, t, f] => Val::Num(self.b.select(c, t, f)),
                        _ => Val::Error,
                    },
                    None => Val::Error,
                }
            }
        }
    }

    /// Look-up order: the innermost scope's bound name, then its bare fields, outward; then
    /// `let`s, parameters and regions; then branches.
    #[expect(clippy::indexing_slicing, reason = "`i < self.scopes.len()`")]
    fn name(&mut self, name: &str, span: Span) -> Val {
        for i in (0..self.scopes.len()).rev() {
            if let Some((n, v)) = &self.scopes[i].binder
                && n == name
            {
                return v.clone();
            }
            if let Some(obj) = self.scopes[i].implicit.clone()
                && let Some(v) = self.obj_member(&obj, name)
            {
                return v;
            }
        }
        if let Some(g) = self.globals.get(name) {
            return g.val.clone();
        }
        let in_schema = self.schema.is_some_and(|s| s.branch(name).is_some());
        if !in_schema && let Some(help) = self.member_spelt_as_branch(name) {
            return self.error(
                "ana::check::unknown_name",
                span,
                format!("unknown name `{name}`"),
                "not defined",
                help,
            );
        }
        // With a schema, a branch-like name the input lacks gets "the input has no branch".
        if in_schema || looks_like_branch(name) {
            return self.flat_branch(name, span);
        }
        if self.flooded {
            return self.error(
                "ana::check::unknown_name",
                span,
                format!("unknown name `{name}`"),
                "not defined",
                "names are bound with `let`, `param` or `region` before use",
            );
        }
        let mut candidates: Vec<String> = self.globals.keys().cloned().collect();
        for s in &self.scopes {
            if let Some((n, _)) = &s.binder {
                candidates.push(n.clone());
            }
            if let Some(o) = &s.implicit {
                candidates.extend(o.coll.field_names());
            }
        }
        if let Some(schema) = self.schema {
            candidates.extend(
                schema
                    .branches
                    .iter()
                    .filter(|b| !b.jagged)
                    .map(|b| b.name.clone()),
            );
        }
        let help = match did_you_mean(name, candidates.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None if super::call::is_function(name) => format!("`{name}` is a function: call it, `{name}(...)`"),
            None => "names are bound with `let`, `param` or `region` before use; branches are read as `Prefix{field}` or by their full name (`MET_pt`)".to_string(),
        };
        self.error(
            "ana::check::unknown_name",
            span,
            format!("unknown name `{name}`"),
            "not defined",
            help,
        )
    }

    /// The value a name is bound to in scope (a binder or a global), without a diagnostic.
    fn bound(&self, name: &str) -> Option<&Val> {
        let binder = self.scopes.iter().rev().find_map(|s| match &s.binder {
            Some((n, v)) if n == name => Some(v),
            _ => None,
        });
        binder.or_else(|| self.globals.get(name).map(|g| &g.val))
    }

    /// For `goodmu_charge` where `goodmu` is a collection, an object or a four-vector in
    /// scope: the hint to write `goodmu.charge` (a branch name is its collection's prefix and
    /// a field, but a bound collection's fields are read with `.`).
    fn member_spelt_as_branch(&self, name: &str) -> Option<String> {
        // Longest prefix first: `good_mu_pt` with `good_mu` bound.
        let cuts = name.match_indices('_').map(|(i, _)| i).rev();
        for i in cuts {
            let (Some(prefix), Some(field)) = (name.get(..i), name.get(i + 1..)) else {
                continue;
            };
            if field.is_empty() {
                continue;
            }
            let Some((what, fields)) = self.bound(prefix).and_then(member_names) else {
                continue;
            };
            let how = format!("`{prefix}` is {what}: its fields are read with `.`");
            if fields.iter().any(|f| f == field) {
                return Some(format!("did you mean `{prefix}.{field}`? ({how})"));
            }
            return Some(
                match did_you_mean(field, fields.iter().map(String::as_str)) {
                    Some(f) => format!("did you mean `{prefix}.{f}`? ({how})"),
                    None => format!(
                        "{how}, e.g. `{prefix}.FIELD`; fields: {}",
                        fields.join(", ")
                    ),
                },
            );
        }
        None
    }

    /// A number node, or a diagnostic saying what the value is instead.
    pub(crate) fn num(&mut self, v: &Val, span: Span) -> Option<NodeId> {
        let (what, help) = match v {
            Val::Num(n) => return Some(*n),
            Val::Error => return None,
            Val::Coll(_) => (
                "a collection is used where a number is needed",
                "reduce it (`count(c)`, `sum(c.pt)`, `any(c.pt > 20)`) or pick one object (`c[0]`, `first(c)`) and a field",
            ),
            Val::Obj(_) => (
                "an object is used where a number is needed",
                "take one of its fields: `.pt`, `.eta`, ...",
            ),
            Val::Vec4(_) => (
                "a four-vector is used where a number is needed",
                "take a component: `.pt`, `.mass`, `.eta`, `.phi`, `.px`, ...",
            ),
            Val::Str(_) | Val::Text(_) => (
                "a string is used where a number is needed",
                "strings name branches and labels, fill string categories (`Cat([\"ee\", \"mumu\"])`), \
                 compare with `==` and fill string table columns",
            ),
        };
        let d = v.describe(&self.b);
        self.error(
            "ana::check::not_a_number",
            span,
            what,
            format!("this is {d}"),
            help,
        );
        None
    }

    /// Brings number nodes to one shape: the most derived space among them (event values
    /// are broadcast, values of a parent space gathered). Errors on unrelated spaces.
    pub(crate) fn unify_nums(&mut self, vals: &[Val], span: Span) -> Option<(Shape, Vec<NodeId>)> {
        let shape = self.common_shape(vals, span)?;
        let mut out = Vec::new();
        for v in vals {
            match lift(&mut self.b, v, shape) {
                Some(Val::Num(n)) => out.push(n),
                _ => return None,
            }
        }
        Some((shape, out))
    }

    pub(crate) fn common_shape(&mut self, vals: &[Val], span: Span) -> Option<Shape> {
        let mut shape = Shape::Event;
        for v in vals {
            let s = v.shape(&self.b)?;
            shape = match (shape, s) {
                (Shape::Event, s) => s,
                (cur, Shape::Event) => cur,
                (cur, s) if cur == s => cur,
                (cur @ Shape::Elem(_), s @ Shape::Elem(_)) => {
                    if self.reaches(s, cur) {
                        cur
                    } else if self.reaches(cur, s) {
                        s
                    } else {
                        self.error(
                            "ana::check::shape",
                            span,
                            "values per element of different collections are combined",
                            "these have different elements",
                            "reduce one side first (`sum`, `any`, `first`, ...), or combine the collections with `pairs(a, b)`",
                        );
                        return None;
                    }
                }
            };
        }
        Some(shape)
    }

    /// Whether values of shape `from` can be brought to shape `to`.
    fn reaches(&self, from: Shape, to: Shape) -> bool {
        match (from, to) {
            (Shape::Event, _) => true,
            (Shape::Elem(a), Shape::Elem(b)) => value::path_to(&self.b, a, b).is_some(),
            (Shape::Elem(_), Shape::Event) => false,
        }
    }

    /// Int and Int stay Int; otherwise both become Float. Bools are not numbers.
    pub(crate) fn same_type(
        &mut self,
        l: NodeId,
        r: NodeId,
        span: Span,
    ) -> Option<(NodeId, NodeId)> {
        let (tl, tr) = (self.b.scalar_type(l), self.b.scalar_type(r));
        if tl == tr {
            return Some((l, r));
        }
        if tl == Some(ScalarType::Bool) || tr == Some(ScalarType::Bool) {
            self.error(
                "ana::check::type",
                span,
                "a Bool is mixed with a number",
                "Bool and number",
                "convert explicitly: `if b then 1 else 0`, or compare the number",
            );
            return None;
        }
        Some((
            self.b.cast(l, ScalarType::Float),
            self.b.cast(r, ScalarType::Float),
        ))
    }

    fn unary_op(&mut self, op: UnOp, arg: &Expr, span: Span) -> Val {
        let v = self.expr(arg);
        let Some(n) = self.num(&v, arg.span) else {
            return Val::Error;
        };
        let ty = self.b.scalar_type(n);
        match op {
            UnOp::Neg if ty == Some(ScalarType::Bool) => self.error(
                "ana::check::type",
                span,
                "`-` of a Bool",
                "a Bool",
                "use `not` for Bools",
            ),
            UnOp::Neg => Val::Num(self.b.unary(UnaryOp::Neg, n)),
            UnOp::Not if ty != Some(ScalarType::Bool) => self.error(
                "ana::check::type",
                span,
                "`not` of a number",
                "not a Bool",
                "compare the number first: `not (x > 0)`",
            ),
            UnOp::Not => Val::Num(self.b.unary(UnaryOp::Not, n)),
        }
    }

    #[expect(
        clippy::indexing_slicing,
        reason = "`unify_nums` returns one node per value given"
    )]
    fn binary_op(&mut self, op: BinOp, l: &Expr, r: &Expr, span: Span) -> Val {
        let lv = self.expr(l);
        let rv = self.expr(r);
        if matches!(lv, Val::Error) || matches!(rv, Val::Error) {
            return Val::Error;
        }
        if op == BinOp::Coalesce {
            return self.coalesce(&lv, &rv, [l.span, r.span]);
        }
        if is_string(&lv) || is_string(&rv) {
            return self.text_compare(op, &lv, &rv, [l.span, r.span]);
        }
        // Four-vector sums: `mu0 + mu1`, `z + j`.
        if op == BinOp::Add
            && (matches!(lv, Val::Obj(_) | Val::Vec4(_))
                || matches!(rv, Val::Obj(_) | Val::Vec4(_)))
        {
            let (Some(a), Some(b)) = (self.vec4_of(&lv, l.span), self.vec4_of(&rv, r.span)) else {
                return Val::Error;
            };
            let vals = [Val::Vec4(a), Val::Vec4(b)];
            let Some(shape) = self.common_shape(&vals, span) else {
                return Val::Error;
            };
            let (Some(Val::Vec4(a)), Some(Val::Vec4(b))) = (
                lift(&mut self.b, &vals[0], shape),
                lift(&mut self.b, &vals[1], shape),
            ) else {
                return Val::Error;
            };
            return Val::Vec4(a.add(&b, &mut self.b));
        }
        // Object identity: `l != best.0`.
        if matches!(op, BinOp::Eq | BinOp::Ne)
            && let (Val::Obj(a), Val::Obj(b)) = (&lv, &rv)
        {
            if a.coll.space != b.coll.space {
                return self.error("ana::check::identity", span, "objects of different collections are compared", "different collections", "objects compare by identity within one collection; compare fields instead (`a.pt == b.pt`)");
            }
            let ia = Val::Num(a.index_node(&mut self.b));
            let ib = Val::Num(b.index_node(&mut self.b));
            let Some((_, n)) = self.unify_nums(&[ia, ib], span) else {
                return Val::Error;
            };
            let bop = if op == BinOp::Eq {
                BinaryOp::Eq
            } else {
                BinaryOp::Ne
            };
            return Val::Num(self.b.binary(bop, n[0], n[1]));
        }
        let (Some(a), Some(b)) = (self.num(&lv, l.span), self.num(&rv, r.span)) else {
            return Val::Error;
        };
        let Some((_, n)) = self.unify_nums(&[Val::Num(a), Val::Num(b)], span) else {
            return Val::Error;
        };
        let (a, b) = (n[0], n[1]);
        let (ta, tb) = (self.b.scalar_type(a), self.b.scalar_type(b));
        let bool_ = Some(ScalarType::Bool);
        match op {
            BinOp::And | BinOp::Or => {
                if ta != bool_ || tb != bool_ {
                    let bad = if ta != bool_ { l.span } else { r.span };
                    let word = if op == BinOp::And { "and" } else { "or" };
                    return self.error(
                        "ana::check::type",
                        bad,
                        format!("`{word}` needs Bools"),
                        "not a Bool",
                        "compare numbers first: `x > 0`",
                    );
                }
                let bop = if op == BinOp::And {
                    BinaryOp::And
                } else {
                    BinaryOp::Or
                };
                Val::Num(self.b.binary(bop, a, b))
            }
            BinOp::Eq | BinOp::Ne if ta == bool_ && tb == bool_ => {
                let bop = if op == BinOp::Eq {
                    BinaryOp::Eq
                } else {
                    BinaryOp::Ne
                };
                Val::Num(self.b.binary(bop, a, b))
            }
            _ => {
                if ta == bool_ || tb == bool_ {
                    let bad = if ta == bool_ { l.span } else { r.span };
                    return self.error(
                        "ana::check::type",
                        bad,
                        "a Bool is used in arithmetic or an ordering",
                        "a Bool",
                        "combine Bools with `and`/`or`; convert with `if b then 1 else 0`",
                    );
                }
                let Some((a, b)) = self.same_type(a, b, span) else {
                    return Val::Error;
                };
                let (a, b) = if matches!(op, BinOp::Div | BinOp::Mod | BinOp::Pow) {
                    (
                        self.b.cast(a, ScalarType::Float),
                        self.b.cast(b, ScalarType::Float),
                    )
                } else {
                    (a, b)
                };
                let bop = match op {
                    BinOp::Add => BinaryOp::Add,
                    BinOp::Sub => BinaryOp::Sub,
                    BinOp::Mul => BinaryOp::Mul,
                    BinOp::Div => BinaryOp::Div,
                    BinOp::Mod => BinaryOp::Mod,
                    BinOp::Pow => BinaryOp::Pow,
                    BinOp::Eq => BinaryOp::Eq,
                    BinOp::Ne => BinaryOp::Ne,
                    BinOp::Lt => BinaryOp::Lt,
                    BinOp::Le => BinaryOp::Le,
                    BinOp::Gt => BinaryOp::Gt,
                    BinOp::Ge => BinaryOp::Ge,
                    BinOp::And | BinOp::Or | BinOp::Coalesce => BinaryOp::And,
                };
                Val::Num(self.b.binary(bop, a, b))
            }
        }
    }

    /// The four-vector of an object or a vector value.
    pub(crate) fn vec4_of(&mut self, v: &Val, span: Span) -> Option<value::V4> {
        match v {
            Val::Vec4(x) => Some(*x),
            Val::Obj(o) => match o.vec4(&mut self.b) {
                Some(x) => Some(x),
                None => {
                    self.error(
                        "ana::check::not_a_vector",
                        span,
                        format!("{} objects are not four-vectors", o.coll.what),
                        "no pt, eta, phi, mass",
                        format!(
                            "declare the fields: `{}{{pt, eta, phi, mass, ...}}`",
                            o.coll.what
                        ),
                    );
                    None
                }
            },
            Val::Error => None,
            other => {
                let d = other.describe(&self.b);
                self.error(
                    "ana::check::not_a_vector",
                    span,
                    "a four-vector is needed",
                    format!("this is {d}"),
                    "use one object (`mu[0]`, `first(c)`, `best.0`) or a sum (`sum(c)`, `a + b`)",
                );
                None
            }
        }
    }

    /// A field or four-vector property of an object; `None` if it has none of that name.
    pub(crate) fn obj_member(&mut self, obj: &Obj, name: &str) -> Option<Val> {
        if let Some(v) = obj.field(name, &mut self.b) {
            return Some(v);
        }
        if VECTOR_PROPS.contains(&name) {
            let v = obj.vec4(&mut self.b)?;
            return v.prop(name, &mut self.b).map(Val::Num);
        }
        None
    }

    fn member(&mut self, base: &Expr, member: &Ident) -> Val {
        let v = self.expr(base);
        let name = member.name.as_str();
        let found = match &v {
            Val::Error => return Val::Error,
            Val::Obj(o) => self.obj_member(&o.clone(), name),
            Val::Coll(c) => {
                let all = Obj {
                    coll: c.clone(),
                    index: None,
                };
                self.obj_member(&all, name)
            }
            Val::Vec4(x) if VECTOR_PROPS.contains(&name) => x.prop(name, &mut self.b).map(Val::Num),
            Val::Vec4(_) => None,
            other => {
                let d = other.describe(&self.b);
                return self.error(
                    "ana::check::member",
                    base.span,
                    format!("`.{name}` of something that has no fields"),
                    format!("this is {d}"),
                    "fields belong to collections, objects and four-vectors",
                );
            }
        };
        if let Some(f) = found {
            return f;
        }
        let names = member_names(&v).map(|(_, n)| n).unwrap_or_default();
        let help = match did_you_mean(name, names.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None if names.is_empty() => "it has no fields".to_string(),
            None => format!(
                "available: {}; add a field to the collection's `{{...}}` to read its branch",
                names.join(", ")
            ),
        };
        let d = v.describe(&self.b);
        self.error(
            "ana::check::unknown_field",
            member.span,
            format!("{d} has no field `{name}`"),
            "no such field",
            help,
        )
    }

    /// Runs `f` with a scope over the elements of `coll` (fields bare, `binder` bound).
    pub(crate) fn in_elements<T>(
        &mut self,
        coll: &Rc<super::Coll>,
        binder: Option<&Ident>,
        obj: Obj,
        space: NodeId,
        f: impl FnOnce(&mut Self) -> T,
    ) -> T {
        let _ = coll;
        let scope = Scope {
            space,
            binder: binder.map(|b| (b.name.clone(), Val::Obj(obj.clone()))),
            implicit: if binder.is_some() { None } else { Some(obj) },
        };
        self.scopes.push(scope);
        let out = f(self);
        self.scopes.pop();
        out
    }

    /// Evaluates a predicate or key over the elements of `coll` at event level: `pt > 20` (fields
    /// bare) or `x => x.pt > 20`. The result is lifted to `Elem(coll.space)`.
    pub(crate) fn per_element(&mut self, coll: &Rc<super::Coll>, e: &Expr) -> Option<NodeId> {
        let obj = Obj {
            coll: coll.clone(),
            index: None,
        };
        let space = coll.space;
        let (binder, body) = match &e.kind {
            ExprKind::Lambda { param, body } => (Some(param), body.as_ref()),
            _ => (None, e),
        };
        let v = self.in_elements(coll, binder, obj, space, |l| l.expr(body));
        let n = self.num(&v, body.span)?;
        match lift(&mut self.b, &Val::Num(n), Shape::Elem(space)) {
            Some(Val::Num(n)) => Some(n),
            _ => {
                self.error("ana::check::shape", body.span, format!("this is not one value per element of {}", coll.what), "depends on other elements", "inside `c[...]` and `argmin(c, ...)` use the element's fields, per-event values, or reductions");
                None
            }
        }
    }

    fn bracket(&mut self, base: &Expr, inner: &Expr, span: Span) -> Val {
        let v = self.expr(base);
        let coll = match v {
            Val::Coll(c) => c,
            Val::Error => return Val::Error,
            other => {
                let d = other.describe(&self.b);
                return self.error(
                    "ana::check::not_a_collection",
                    base.span,
                    "only collections can be indexed or filtered",
                    format!("this is {d}"),
                    "`c[0]` picks an element of a collection, `c[pt > 20]` selects elements",
                );
            }
        };
        let obj = Obj {
            coll: coll.clone(),
            index: None,
        };
        let (binder, body) = match &inner.kind {
            ExprKind::Lambda { param, body } => (Some(param), body.as_ref()),
            _ => (None, inner),
        };
        let iv = self.in_elements(&coll, binder, obj, coll.space, |l| l.expr(body));
        let Some(n) = self.num(&iv, body.span) else {
            return Val::Error;
        };
        let ty = self.b.scalar_type(n);
        let shape = self.b.shape(n);
        if ty == Some(ScalarType::Int) && binder.is_none() {
            // An index per event picks one element per event; an index per element of
            // another collection (`jets[mu.jetIdx]`) one element per element of it.
            let pick = self.b.add(
                NodeKind::Pick {
                    op: PickOp::At { index: n },
                    space: coll.space,
                },
                Type::Scalar(ScalarType::Ref(coll.space)),
                shape,
            );
            return Val::Obj(Obj {
                coll,
                index: Some(pick),
            });
        }
        if ty != Some(ScalarType::Bool) {
            let d = iv.describe(&self.b);
            return self.error(
                "ana::check::type",
                body.span,
                "brackets take an index (Int) or a condition (Bool)",
                format!("this is {d}"),
                "write `c[0]` or `c[pt > 20]`",
            );
        }
        let mask = match lift(&mut self.b, &Val::Num(n), Shape::Elem(coll.space)) {
            Some(Val::Num(m)) => m,
            _ => {
                return self.error(
                    "ana::check::shape",
                    body.span,
                    format!(
                        "the condition is not one value per element of {}",
                        coll.what
                    ),
                    "depends on other elements",
                    "use the element's fields, per-event values, or reductions",
                );
            }
        };
        let _ = span;
        self.filter(&coll, mask)
    }

    pub(crate) fn filter(&mut self, coll: &Rc<super::Coll>, mask: NodeId) -> Val {
        let space = self.b.space(NodeKind::Filter {
            parent: coll.space,
            mask,
        });
        let index = self.b.parent_index(space, 0, coll.space);
        Val::Coll(Rc::new(super::Coll {
            space,
            what: coll.what.clone(),
            kind: super::CollKind::Derived {
                parent: coll.clone(),
                index,
            },
        }))
    }
}

/// Whether a value is a string (a literal, a parameter or a computed string).
pub(super) fn is_string(v: &Val) -> bool {
    matches!(v, Val::Str(_) | Val::Text(_))
}

/// What a value with members is, and the names `.` reads on it: its fields, then the
/// four-vector properties it has, each once.
fn member_names(v: &Val) -> Option<(&'static str, Vec<String>)> {
    let (what, mut names, vector) = match v {
        Val::Obj(o) => ("an object", o.coll.field_names(), o.coll.is_vector()),
        Val::Coll(c) => ("a collection", c.field_names(), c.is_vector()),
        Val::Vec4(_) => ("a four-vector", Vec::new(), true),
        _ => return None,
    };
    if vector {
        names.extend(VECTOR_PROPS.iter().map(|s| s.to_string()));
    }
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
    Some((what, names))
}
