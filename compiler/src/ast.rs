//! The syntax tree of a script, as written: every node carries its byte span in the source.
//!
//! Input: built by `syntax` from the pest parse tree. Output: read by `lower`, which checks
//! names, types and shapes while it builds the graph. Nothing here is resolved or typed yet.

/// A byte range `start..end` in the script's source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Script {
    pub stmts: Vec<Stmt>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `input "data/file.root"`: the default input, relative to the script.
    Input { path: String },
    /// `tree Events`.
    Tree { name: Ident },
    /// `param ptcut = 20`.
    Param { name: Ident, value: Expr },
    /// `let muons = Muon{pt, eta}`.
    Let { name: Ident, value: Expr },
    /// `region zpeak in dimuon: abs(z.mass - 91) < 30`.
    Region {
        name: Ident,
        parent: Option<Ident>,
        cond: Expr,
    },
    /// `hist m in zpeak: z.mass ~ Reg(60, 60, 120) weight w`.
    Hist {
        name: Ident,
        region: Option<Ident>,
        dims: Vec<HistDim>,
        weight: Option<Expr>,
        /// `profile NAME: SAMPLE vs ...`: the value whose mean each bin holds.
        sample: Option<Expr>,
    },
    /// `table t in zpeak { mass = z.mass, "mu+_pt" = mup.pt }`.
    Table {
        name: Ident,
        region: Option<Ident>,
        columns: Vec<Column>,
    },
    /// `cutflow main: dimuon, zpeak weight w`.
    Cutflow {
        name: Ident,
        regions: Vec<Ident>,
        weight: Option<Expr>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct HistDim {
    pub value: Expr,
    pub axis: AxisExpr,
}

/// `Reg(60, 60, 120, "label", name = "m")`: the kind and its arguments, unchecked.
#[derive(Clone, Debug, PartialEq)]
pub struct AxisExpr {
    pub kind: Ident,
    pub args: Vec<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// A bare identifier or any string.
    pub name: String,
    pub name_span: Span,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    Name(String),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `abs(x)`, `pairs(mu)`, `argmin(zs, p => abs(p.mass - 91.2))`.
    Call {
        func: Ident,
        args: Vec<Expr>,
    },
    /// `x => body`, only as an argument or inside brackets.
    Lambda {
        param: Ident,
        body: Box<Expr>,
    },
    /// `z.mass`, `p.0`.
    Member {
        base: Box<Expr>,
        member: Ident,
    },
    /// `muons[pt > 20]` (filter) or `muons[0]` (index): decided by the type of the inside.
    Bracket {
        base: Box<Expr>,
        inner: Box<Expr>,
    },
    /// `Muon{pt, eta, phi, mass, charge, btag = "Muon_btag"}`.
    Construct {
        prefix: Ident,
        fields: Vec<FieldSpec>,
    },
    /// `[0, 1.5, 3]`: axis edges and categories.
    List(Vec<Expr>),
    /// `name = "x"`: an axis option.
    Named {
        name: Ident,
        value: Box<Expr>,
    },
    /// `if c then a else b`.
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        else_: Box<Expr>,
    },
}

impl Expr {
    /// The direct sub-expressions, in source order.
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Bool(_)
            | ExprKind::Str(_)
            | ExprKind::Name(_) => vec![],
            ExprKind::Unary(_, a) => vec![a],
            ExprKind::Binary(_, a, b) => vec![a, b],
            ExprKind::Call { args, .. } | ExprKind::List(args) => args.iter().collect(),
            ExprKind::Lambda { body, .. } => vec![body],
            ExprKind::Member { base, .. } => vec![base],
            ExprKind::Bracket { base, inner } => vec![base, inner],
            ExprKind::Construct { fields, .. } => {
                fields.iter().filter_map(|f| f.branch.as_ref()).collect()
            }
            ExprKind::Named { value, .. } => vec![value],
            ExprKind::If { cond, then, else_ } => vec![cond, then, else_],
        }
    }

    /// Nesting depth (1 for a leaf), computed without recursion.
    pub fn depth(&self) -> usize {
        let mut max = 0;
        let mut stack = vec![(self, 1usize)];
        while let Some((e, d)) = stack.pop() {
            max = max.max(d);
            stack.extend(e.children().into_iter().map(|c| (c, d + 1)));
        }
        max
    }
}

impl Stmt {
    /// The expressions the statement contains directly.
    pub fn exprs(&self) -> Vec<&Expr> {
        match &self.kind {
            StmtKind::Input { .. } | StmtKind::Tree { .. } => vec![],
            StmtKind::Cutflow { weight, .. } => weight.iter().collect(),
            StmtKind::Param { value, .. } | StmtKind::Let { value, .. } => vec![value],
            StmtKind::Region { cond, .. } => vec![cond],
            StmtKind::Hist {
                dims,
                weight,
                sample,
                ..
            } => sample
                .iter()
                .chain(
                    dims.iter()
                        .flat_map(|d| std::iter::once(&d.value).chain(d.axis.args.iter())),
                )
                .chain(weight.iter())
                .collect(),
            StmtKind::Table { columns, .. } => columns.iter().map(|c| &c.value).collect(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldSpec {
    pub name: Ident,
    /// `btag = "Jet_btagDeepB"` or `btag = btag_branch` (a string param).
    pub branch: Option<Expr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    /// `x ?? d`: `x`, or `d` where `x` is missing.
    Coalesce,
}
